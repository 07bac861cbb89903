// SPDX-License-Identifier: MIT
// wscodec/handshake_reader.hpp — what the server and client handshakes share
// to read the peer's header block (RFC 6455 §4, RFC 9112): the shared parse
// core (detail/http_head.hpp) run for one side, its faults as wscodec::error
// (the one mapping), and the events a handshake returns. State: the core's.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <wscodec/detail/http_head.hpp>
#include <wscodec/error.hpp>
#include <wscodec/events.hpp>
#include <wscodec/http_message.hpp>

namespace wscodec::detail {

/// The error a malformed header block is reported as.
[[nodiscard]] constexpr error to_error(http_fault f) noexcept {
    switch (f) {
        case http_fault::none: return error::none;
        case http_fault::bad_request_line: return error::http_bad_request_line;
        case http_fault::bad_status_line: return error::http_bad_status_line;
        case http_fault::bad_header: return error::http_bad_header;
        case http_fault::bad_header_value: return error::http_bad_header_value;
        case http_fault::obs_fold: return error::http_obs_fold;
        case http_fault::bad_line_ending: return error::http_bad_line_ending;
        case http_fault::headers_too_large: return error::http_headers_too_large;
        case http_fault::too_many_headers: return error::http_too_many_headers;
        case http_fault::out_of_memory: return error::out_of_memory;
    }
    return error::none;
}

/// An event of type `t` that used `consumed` bytes of the input.
[[nodiscard]] inline event handshake_event(event_type t, std::size_t consumed) noexcept {
    return {.type = t, .consumed = consumed};
}

/// A failed handshake: `e`, the HTTP status answered or received; linger
/// (the rest of the peer's input is unread).
[[nodiscard]] inline event handshake_failure(error e, std::uint16_t status, std::size_t consumed,
                                             std::size_t position) noexcept {
    return {.type = event_type::failed,
            .action = tcp_action::linger,
            .err = e,
            .http_status = status,
            .consumed = consumed,
            .position = position};
}

/// Clears what the fields of `m` set, keeping the start line's `members`.
template <class Message, class... T>
void clear_fields(Message& m, T Message::*... members) noexcept {
    Message fresh;
    ((fresh.*members = m.*members), ...);
    m = fresh;
}

/// Notes a field named `lower` that may appear once: counts it and keeps its value.
template <class Value, class Count>
WSCODEC_ALWAYS_INLINE void read_single_field(std::string_view name, std::string_view lower, const Value& v,
                                             std::string_view& out, Count& count) noexcept {
    if (!name_is(name, lower)) return;
    ++count;
    out = v.value();
}

/// Notes an Upgrade or a Connection field, which both sides read alike
/// (§4.1, §4.2.1): whether Upgrade lists websocket and Connection upgrade.
template <class Message, class Value>
WSCODEC_ALWAYS_INLINE void read_upgrade_field(Message& m, std::string_view name, const Value& v) noexcept {
    if (name_is(name, "upgrade")) m.upgrade_websocket = m.upgrade_websocket || list_has_token(v.value(), "websocket");
    else if (name_is(name, "connection")) m.connection_upgrade = m.connection_upgrade || list_has_token(v.value(), "upgrade");
}

/// Reads the peer's header block for one side of the handshake. The side (a
/// friend of this class and of head_reader) provides the parse hooks
/// head_reader calls, fail(err, consumed, position) for a malformed block,
/// and on_block(block, consumed, in) for a complete one. State: 40 bytes.
class handshake_reader {
public:
    /// Reads `in`: need_more (all consumed), the side's failure, or what the
    /// side reports for the complete block.
    template <class Side>
    [[nodiscard]] event read(bytes_view in, const handshake_options& o, Side& side) noexcept {
        const std::string_view text(reinterpret_cast<const char*>(in.data()), in.size());
        const head_reader::result r = core_.read(text, o.max_header_bytes, o.max_headers, side);
        using k = parse_outcome::kind;
        if (r.status == k::incomplete) return handshake_event(event_type::need_more, r.consumed);
        if (r.status == k::failed) return side.fail(to_error(r.err), r.consumed, r.position);
        return side.on_block(r.block, r.consumed, text);
    }

    /// Frees the gathering buffer (views into it end).
    void release() noexcept { core_.release(); }

private:
    head_reader core_{};
};

}  // namespace wscodec::detail
