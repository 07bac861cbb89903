// SPDX-License-Identifier: MIT
// wscodec/server_handshake.hpp — the server side of the opening handshake
// (RFC 6455 §4.2) over HTTP/1.1 (RFC 9112), as a sans-I/O state machine: it
// reads a request from bytes split anywhere, validates it, and reports an
// upgrade request (the application accepts it, getting the 101 response, or
// answers it otherwise), a plain HTTP request (so a page can be served on the
// same port), or a failure with a complete HTTP error response queued (400,
// 405, 426, 431, 505). It stops consuming at the end of the header block, so
// frames pipelined behind it stay with the caller for the connection. A
// response that fits (a browser's 101 does) is written into the object, over
// the request it answers; a longer one into a heap buffer of the exact size.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>
#include <wscodec/accept.hpp>
#include <wscodec/detail/byte_buffer.hpp>
#include <wscodec/detail/http_build.hpp>
#include <wscodec/handshake_reader.hpp>

namespace wscodec {

namespace detail {
/// An empty request: what request() returns once the request is answered,
/// and what a handshake starts from (copied; deliberately not const, so that
/// the copy is not turned into clearing each member). Never written.
inline http_request blank_request{};

/// How every 101 response accept() writes begins (§4.2.2 step 5); the
/// accept key follows.
inline constexpr std::string_view switching_protocols_head =
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ";
}  // namespace detail

/// Where a server handshake is.
enum class server_handshake_state : std::uint8_t {
    reading,          ///< the request is not complete
    upgrade_request,  ///< a WebSocket request waits: accept() or respond()
    http_request,     ///< a plain HTTP request waits: respond()
    accepted,         ///< the 101 response is queued; frames follow
    responded,        ///< another response is queued; close TCP once written
    failed,           ///< the request was invalid; the error response is queued; close TCP once written
};

/// The server side of the opening handshake (§4.2).
class server_handshake {
public:
    explicit server_handshake(const handshake_options& options = {}) noexcept : options_(options) {}

    /// Reads request bytes. Returns need_more (all consumed), request (an
    /// upgrade request waits; `consumed` ends at the blank line, later bytes
    /// are frames for the connection), http_request (a plain request, with
    /// no Upgrade: websocket and no sign of a WebSocket attempt, waits; its
    /// body, if any, follows `consumed`), or failed (`err`; `http_status`
    /// is that of the error response now queued; close TCP once written).
    /// After the request, consumes nothing.
    [[nodiscard]] event receive(bytes_view in) noexcept {
        if (state_ != server_handshake_state::reading) return detail::handshake_event(event_type::need_more, 0);
        return reader_.read(in, options_, *this);
    }

    /// The request, once receive() reported it, until accept() or respond()
    /// (see http_request for how long its views live); then an empty request.
    [[nodiscard]] const http_request& request() const noexcept {
        return state_ <= server_handshake_state::http_request ? request_ : detail::blank_request;
    }

    /// Hands over the heap buffer that holds a response too long for this
    /// object (empty if the response is in the object): a session moves it
    /// out before this object's storage becomes the connection's.
    [[nodiscard]] detail::byte_buffer take_response_buffer() noexcept { return std::move(out_); }

    /// Accepts the upgrade request: queues the 101 response with
    /// Sec-WebSocket-Accept (§4.2.2 step 5). Errors: handshake_not_ready,
    /// subprotocol_not_offered, invalid_http_input (bad extension text, an
    /// extension not offered, a bad extra header), out_of_memory.
    [[nodiscard]] error accept(const accept_options& o = {}) noexcept {
        if (state_ != server_handshake_state::upgrade_request) return error::handshake_not_ready;
        if (!o.subprotocol.empty() && !offered_subprotocol(o.subprotocol)) return error::subprotocol_not_offered;
        if (!o.extensions.empty() &&
            (!detail::is_extension_list(o.extensions) || o.extensions.find_first_of("\r\n") != std::string_view::npos ||
             !detail::extensions_offered(o.extensions, request_.extensions())))
            return error::invalid_http_input;
        if (!detail::valid_headers(o.headers)) return error::invalid_http_input;
        const std::array<char, 28>& accept = accept_;
        constexpr std::string_view head = detail::switching_protocols_head;
        constexpr std::string_view protocol = "Sec-WebSocket-Protocol: ", extensions = "Sec-WebSocket-Extensions: ";
        std::size_t n = head.size() + accept.size() + 4;
        if (!o.subprotocol.empty()) n += protocol.size() + o.subprotocol.size() + 2;
        if (!o.extensions.empty()) n += extensions.size() + o.extensions.size() + 2;
        for (const http_header& h : o.headers) n += h.name.size() + h.value.size() + 4;
        char* q = output_space(n);
        if (q == nullptr) return error::out_of_memory;
        const auto put = [&q](std::string_view t) {  // one pass: the size is known
            std::memcpy(q, t.data(), t.size());
            q += t.size();
        };
        put(head);
        put(std::string_view(accept.data(), accept.size()));
        put("\r\n");
        if (!o.subprotocol.empty()) {
            put(protocol);
            put(o.subprotocol);
            put("\r\n");
        }
        if (!o.extensions.empty()) {
            put(extensions);
            put(o.extensions);
            put("\r\n");
        }
        detail::put_headers(put, o.headers);
        put("\r\n");
        finish(server_handshake_state::accepted);
        return error::none;
    }

    /// Answers the waiting request (plain or upgrade) with `status` (200-599),
    /// `headers` and `body`, adding Content-Length and Connection: close (the
    /// caller closes TCP once the response is written); no body for HEAD.
    /// Errors: handshake_not_ready, invalid_http_input, out_of_memory.
    [[nodiscard]] error respond(std::uint16_t status, std::span<const http_header> headers = {},
                                std::string_view body = {}) noexcept {
        if (state_ != server_handshake_state::upgrade_request && state_ != server_handshake_state::http_request)
            return error::handshake_not_ready;
        if (status < 200 || status > 599 || !detail::valid_headers(headers)) return error::invalid_http_input;
        const bool head = detail::equals(request_.method, "HEAD");
        if (!write_response(status, headers, body, head)) return error::out_of_memory;
        finish(server_handshake_state::responded);
        return error::none;
    }

    /// Bytes to write: the response once queued; empty before.
    [[nodiscard]] bytes_view output() const noexcept {
        const std::string_view all = response();
        return bytes_view(reinterpret_cast<const std::uint8_t*>(all.data()) + sent_, all.size() - sent_);
    }
    /// Acknowledges `n` bytes of output() as written.
    void consume(std::size_t n) noexcept { sent_ += std::min(n, response().size() - sent_); }

    [[nodiscard]] server_handshake_state state() const noexcept { return state_; }
    /// Why the handshake failed (error::none unless state() is failed).
    [[nodiscard]] error failure() const noexcept { return failure_; }

private:
    friend class detail::handshake_reader;
    friend class detail::head_reader;

    [[nodiscard]] bool write_response(std::uint16_t status, std::span<const http_header> headers,
                                      std::string_view body, bool head, std::string_view extra = {},
                                      std::string_view connection = "close") noexcept {
        std::array<char, 20> digits{}, length{};
        const std::string_view code = detail::to_decimal(status, digits);
        const std::string_view size = detail::to_decimal(body.size(), length);
        return detail::build_message(
            [&](auto& put) {
                put("HTTP/1.1 ");
                put(code);
                put(" ");
                put(detail::reason_phrase(status));
                put("\r\n");
                put(extra);
                detail::put_headers(put, headers);
                put("Content-Length: ");
                put(size);
                put("\r\nConnection: ");
                put(connection);
                put("\r\n\r\n");
                if (!head) put(body);
            },
            [this](std::size_t n) { return output_space(n); });
    }

    // Room for a response of `n` bytes, replacing any before: in the object,
    // over the request (which nothing reads once a response is written), when
    // it fits, as the 101 to a browser does; on the heap otherwise. nullptr if
    // memory ran out.
    [[nodiscard]] char* output_space(std::size_t n) noexcept {
        sent_ = 0;
        if (n <= small_out_.size()) {
            out_.release();
            small_size_ = static_cast<std::uint16_t>(n);
            return small_out_.data();
        }
        small_size_ = 0;
        return out_.overwrite(n);
    }

    // The response written, whole.
    [[nodiscard]] std::string_view response() const noexcept {
        if (small_size_ != 0) return {small_out_.data(), small_size_};
        return out_.view();
    }

    // The request's views may point into the reader's buffer, which goes:
    // they are not to be read after accept() or respond().
    void finish(server_handshake_state s) noexcept {
        state_ = s;
        reader_.release();
    }

    // True if `p` is one of the offered subprotocols (exactly, §4.2.2 step 5.4's
    // "one of the values"). One field: a search of its value for `p` between
    // separators (the value is a valid token list, and `p` a token, so a match
    // there is an element); several fields: element by element.
    [[nodiscard]] bool offered_subprotocol(std::string_view p) const noexcept {
        if (!detail::is_token(p)) return false;
        if (request_.protocol_fields > 1) {
            for (std::string_view q : request_.subprotocols())
                if (q == p) return true;
            return false;
        }
        const std::string_view list = request_.protocol_field;
        const auto separator = [](char c) { return c == ',' || c == ' ' || c == '\t'; };
        for (std::size_t i = list.find(p); i != std::string_view::npos; i = list.find(p, i + 1)) {
            const std::size_t e = i + p.size();
            if ((i == 0 || separator(list[i - 1])) && (e == list.size() || separator(list[e]))) return true;
        }
        return false;
    }

    // Fails with `e`: queues the error response (http_status_for(e), 400 if
    // none, the error's message as its body) and frees the reader.
    [[nodiscard]] event fail(error e, std::size_t consumed, std::size_t position) noexcept {
        failure_ = e;
        std::uint16_t status = http_status_for(e);
        if (status == 0) status = 400;
        std::string_view extra = "Content-Type: text/plain; charset=utf-8\r\n";
        std::string_view connection = "close";
        if (e == error::handshake_bad_version) {
            // RFC 9110 §15.5.22: a 426 names the protocol to upgrade to in
            // Upgrade, and §7.8 lists "upgrade" in Connection with it.
            extra = "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\nContent-Type: text/plain; charset=utf-8\r\n";
            connection = "upgrade, close";
        }
        else if (e == error::handshake_method_not_get)
            extra = "Allow: GET\r\nContent-Type: text/plain; charset=utf-8\r\n";
        const std::string_view message = error_message(e);
        std::array<char, 128> body{};
        const std::size_t n = std::min(message.size(), body.size() - 1);
        std::memcpy(body.data(), message.data(), n);
        body[n] = '\n';
        if (!write_response(status, {}, std::string_view(body.data(), n + 1), false, extra, connection)) {
            out_.release();
            small_size_ = 0;
        }
        state_ = server_handshake_state::failed;
        reader_.release();
        return detail::handshake_failure(e, status, consumed, position);
    }

    // The request's block is complete (`consumed` bytes of this input):
    // validates and reports it.
    [[nodiscard]] event on_block(std::string_view block, std::size_t consumed, std::string_view) noexcept {
        request_.raw = block;
        const error e = validate();
        if (e != error::none) return fail(e, consumed, 0);
        state_ = request_.upgrade_websocket ? server_handshake_state::upgrade_request
                                            : server_handshake_state::http_request;
        return detail::handshake_event(request_.upgrade_websocket ? event_type::request : event_type::http_request,
                                       consumed);
    }

    // Everything the fields set, cleared; the request line kept.
    void reset_fields() noexcept {
        detail::clear_fields(request_, &http_request::method, &http_request::target, &http_request::version_major,
                             &http_request::version_minor);
        counts_ = {};
    }

    // "METHOD target HTTP/x.y" CRLF at `p` (the block starts at `begin`).
    [[nodiscard]] detail::parse_outcome read_start_line(const char* begin, const char*& p, const char* end) noexcept {
        const detail::parse_outcome more{};
        const auto bad = [begin](const char* at) { return detail::parse_failure(detail::http_fault::bad_request_line, begin, at); };
        // The common line, "GET " target " HTTP/1.1" CRLF, by word compares.
        const auto word = [](const char* at) {  // eight bytes
            std::uint64_t w = 0;
            std::memcpy(&w, at, 8);
            return w;
        };
        if (end - p >= 16 && std::memcmp(p, "GET ", 4) == 0) {
            const char* t = p + 4;
            const char* q = t;
            while (q != end && static_cast<unsigned char>(*q) > 0x20 && *q != 0x7F) ++q;
            if (end - q >= 11 && q != t && word(q) == word(" HTTP/1.") && word(q + 3) == word("TP/1.1\r\n")) {
                request_.method = std::string_view(p, 3);
                request_.target = std::string_view(t, static_cast<std::size_t>(q - t));
                request_.version_major = request_.version_minor = 1;
                p = q + 11;
                return {detail::parse_outcome::kind::done, detail::http_fault::none, static_cast<std::size_t>(p - begin)};
            }
        }
        while (p != end && detail::is_tchar(*p)) ++p;
        if (p == end) return more;
        if (*p != ' ' || p == begin) return bad(p);
        request_.method = std::string_view(begin, static_cast<std::size_t>(p - begin));
        const char* target = ++p;
        while (p != end && static_cast<unsigned char>(*p) > 0x20 && *p != 0x7F) ++p;
        if (p == end) return more;
        if (*p != ' ' || p == target) return bad(p);
        request_.target = std::string_view(target, static_cast<std::size_t>(p - target));
        ++p;
        const int v = detail::read_http_version(p, end, request_.version_major, request_.version_minor);
        if (v == 0) return more;
        if (v < 0) return bad(p);
        if (p == end || (p + 1 == end && *p == '\r')) return more;
        if (*p != '\r' || p[1] != '\n') {
            const bool ending = *p == '\n' || *p == '\r';
            return detail::parse_failure(ending ? detail::http_fault::bad_line_ending : detail::http_fault::bad_request_line, begin, p);
        }
        return detail::parse_done(begin, p += 2);
    }

    // `v` is a detail::cut_value or lazy_value: v.value() is the field's value.
    template <class Value>
    WSCODEC_ALWAYS_INLINE void on_field(std::string_view name, const Value& v) noexcept {
        using detail::name_is;
        switch (name.size()) {
            case 4: detail::read_single_field(name, "host", v, request_.host, counts_.host); break;
            case 6: detail::read_single_field(name, "origin", v, request_.origin, counts_.origin); break;
            case 7: detail::read_upgrade_field(request_, name, v); break;
            case 10: detail::read_upgrade_field(request_, name, v); break;
            case 14:
                if (name_is(name, "content-length")) {
                    std::uint64_t n = 0;
                    if (!detail::parse_length(v.value(), n)) counts_.bad_length = true;
                    else if (request_.content_length && *request_.content_length != n) counts_.conflicting_length = true;
                    request_.content_length = n;
                }
                break;
            case 17:
                if (name_is(name, "sec-websocket-key")) {
                    const std::string_view value = v.value();
                    // The accept value is computed here, overlapping the rest
                    // of the parse, not in accept(). Only the first key
                    // counts (a second one fails).
                    if (++counts_.key == 1 && value.size() == 24) accept_ = compute_accept(value);
                    request_.key = value;
                } else if (name_is(name, "transfer-encoding")) {
                    request_.transfer_encoding = true;
                }
                break;
            case 21: detail::read_single_field(name, "sec-websocket-version", v, request_.websocket_version, counts_.version); break;
            case 22:
                read_offer<detail::list_grammar::tokens>(name, "sec-websocket-protocol", v, counts_.bad_protocols,
                                                         request_.protocol_field, request_.protocol_fields);
                break;
            case 24:
                read_offer<detail::list_grammar::extensions>(name, "sec-websocket-extensions", v, counts_.bad_extensions,
                                                             request_.extension_field, request_.extension_fields);
                break;
            default: break;
        }
    }

    // An offer list named `lower` (Sec-WebSocket-Protocol, -Extensions):
    // whether every value follows grammar G, the first value, how many fields.
    template <detail::list_grammar G, class Value>
    WSCODEC_ALWAYS_INLINE static void read_offer(std::string_view name, std::string_view lower, const Value& v, bool& bad,
                                                 std::string_view& first, std::uint8_t& fields) noexcept {
        if (!detail::name_is(name, lower)) return;
        const std::string_view value = v.value();
        bad = bad || !detail::is_list<G>(value, v.bits(value));
        if (fields == 0) first = value;
        if (fields < 255) ++fields;
    }

    // The checks of §4.2.1 on a complete request, in a fixed order.
    [[nodiscard]] error validate() const noexcept {
        const http_request& r = request_;
        if (r.version_major != 1) return error::http_version_not_supported;
        if (counts_.bad_length) return error::http_bad_header_value;
        if (counts_.conflicting_length || counts_.host > 1) return error::handshake_duplicate_header;
        if (r.version_minor >= 1 && counts_.host == 0) return error::handshake_no_host;
        if (!r.upgrade_websocket) return websocket_attempt() ? error::handshake_no_upgrade_header : error::none;
        if (r.version_minor == 0) return error::handshake_http_too_old;
        if (!detail::equals(r.method, "GET")) return error::handshake_method_not_get;
        if (!r.connection_upgrade) return error::handshake_no_connection_upgrade;
        if (counts_.version > 1 || counts_.key > 1 || counts_.origin > 1) return error::handshake_duplicate_header;
        if (counts_.version == 0 || !detail::equals(r.websocket_version, "13")) return error::handshake_bad_version;
        if (counts_.key == 0 || !is_valid_key(r.key)) return error::handshake_bad_key;
        if (counts_.bad_protocols) return error::handshake_bad_subprotocols;
        if (counts_.bad_extensions) return error::handshake_bad_extensions;
        if ((r.content_length && *r.content_length != 0) || r.transfer_encoding) return error::handshake_request_body;
        return error::none;
    }

    // For a request whose Upgrade does not list websocket: whether it still
    // means to open a WebSocket (so it fails rather than being served as a
    // page): it carries Sec-WebSocket-Key or -Version, or Connection: upgrade
    // with no Upgrade field at all (Connection: upgrade beside Upgrade: h2c
    // asks for another protocol, and stays a plain request).
    [[nodiscard]] bool websocket_attempt() const noexcept {
        if (counts_.key != 0 || counts_.version != 0) return true;
        return request_.connection_upgrade && !request_.header("upgrade");
    }

    struct field_counts {
        std::uint8_t host = 0, origin = 0, key = 0, version = 0;
        bool bad_length = false, conflicting_length = false, bad_protocols = false, bad_extensions = false;
    };

    // Each run of zero-initialised members stays under 64 bytes, and request_
    // starts as a copy of blank_request: both keep construction cheap.
    handshake_options options_;
    field_counts counts_{};
    detail::handshake_reader reader_{};
    union {
        http_request request_ = detail::blank_request;  // while reading and until a response is written
        std::array<char, sizeof(http_request)> small_out_;  // then a response that fits
    };
    detail::byte_buffer out_{};  // a response that does not
    std::size_t sent_ = 0;
    std::uint16_t small_size_ = 0;  // the response's size in small_out_, 0 if it is in out_
    server_handshake_state state_ = server_handshake_state::reading;
    error failure_ = error::none;
    std::array<char, 28> accept_{};  // Sec-WebSocket-Accept for the first 24-byte key, set with counts_.key
};

}  // namespace wscodec
