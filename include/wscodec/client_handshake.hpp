// SPDX-License-Identifier: MIT
// wscodec/client_handshake.hpp — the client side of the opening handshake
// (RFC 6455 §4.1) over HTTP/1.1 (RFC 9112), as a sans-I/O state machine: it
// builds the request (into a heap buffer of the exact size) and validates the
// server's response read from bytes split anywhere, reporting a refusal (401,
// 403, a redirect) with its status, headers and the start of its body. It
// stops consuming at the end of the header block, so frames pipelined behind
// it stay with the caller for the connection.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <utility>
#include <wscodec/accept.hpp>
#include <wscodec/detail/byte_buffer.hpp>
#include <wscodec/detail/http_build.hpp>
#include <wscodec/handshake_reader.hpp>

namespace wscodec {

/// What a client asks for (§4.1).
struct request_options {
    std::string_view host;     ///< host name or IP address (an IPv6 address without brackets is bracketed)
    std::uint16_t port = 0;    ///< appended to Host unless 0 (leave 0 for the scheme's default port)
    std::string_view target = "/";  ///< path and query, starting with '/'
    std::string_view origin;   ///< Origin to send, empty for none (§4.1 item 8: browsers send one)
    std::span<const std::string_view> subprotocols;  ///< offered, in order of preference
    std::span<const std::string_view> extensions;    ///< offered, each with its parameters
    std::span<const http_header> headers;            ///< more fields (Authorization, Cookie, ...)
};

/// Where a client handshake is.
enum class client_handshake_state : std::uint8_t {
    waiting,  ///< the request is queued or written; the response has not been read
    open,     ///< the server accepted; frames follow
    failed,   ///< see failure(); close TCP
};

/// The client side of the opening handshake (§4.1).
class client_handshake {
public:
    /// Queues the request. `nonce` is 16 random bytes (§4.1 item 7: from a
    /// strong source; a client session draws it from its key source). If the
    /// options are invalid (invalid_http_input) or memory runs out, the
    /// handshake starts failed and output() is empty.
    client_handshake(const request_options& o, const std::array<std::uint8_t, 16>& nonce,
                     const handshake_options& options = {}) noexcept
        : options_(options) {
        (void)detail::base64_encode(bytes_view(nonce), std::span<char>(key_));
        expected_ = compute_accept(std::string_view(key_.data(), key_.size()));
        const error e = build(o);
        if (e != error::none) {
            failure_ = e;
            state_ = client_handshake_state::failed;
            out_.release();
        }
    }

    /// Reads response bytes. Returns need_more, open (`consumed` ends at the
    /// blank line; later bytes are frames), or failed (`err`; `http_status`
    /// is the response's status, 0 if none was read; close TCP). A response other than
    /// 101 fails with handshake_not_101 and stays readable in response().
    [[nodiscard]] event receive(bytes_view in) noexcept {
        if (state_ != client_handshake_state::waiting) return detail::handshake_event(event_type::need_more, 0);
        return reader_.read(in, options_, *this);
    }

    /// Bytes to write: the rest of the request.
    [[nodiscard]] bytes_view output() const noexcept {
        return bytes_view(reinterpret_cast<const std::uint8_t*>(out_.data()) + sent_, out_.size() - sent_);
    }
    /// Acknowledges `n` bytes of output() as written.
    void consume(std::size_t n) noexcept { sent_ += std::min(n, out_.size() - sent_); }

    /// The response once read (see http_response for lifetime).
    [[nodiscard]] const http_response& response() const noexcept { return response_; }
    /// The Sec-WebSocket-Key sent.
    [[nodiscard]] std::string_view key() const noexcept { return {key_.data(), key_.size()}; }
    [[nodiscard]] client_handshake_state state() const noexcept { return state_; }
    /// Why the handshake failed (error::none unless state() is failed).
    [[nodiscard]] error failure() const noexcept { return failure_; }

private:
    friend class detail::handshake_reader;
    friend class detail::head_reader;

    /// A host for the Host field (RFC 3986 §3.2.2): a name or IPv4 address
    /// (unreserved, sub-delims, '%'), an IPv6 address in brackets, or a bare
    /// IPv6 address (hex digits, ':' and '.'), which `bracket` asks to wrap.
    [[nodiscard]] static bool valid_host(std::string_view h, bool& bracket) noexcept {
        bracket = false;
        const auto ipv6 = [](std::string_view a) {
            if (a.empty() || a.find(':') == std::string_view::npos) return false;
            for (char c : a)
                if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.'))
                    return false;
            return true;
        };
        if (h.empty()) return false;
        if (h.front() == '[') return h.size() > 2 && h.back() == ']' && ipv6(h.substr(1, h.size() - 2));
        if (h.find(':') != std::string_view::npos) return bracket = ipv6(h);
        for (char c : h) {
            const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                            std::string_view("-._~!$&'()*+,;=%").find(c) != std::string_view::npos;
            if (!ok) return false;
        }
        return true;
    }
    /// A request target to send: origin-form, no space or control byte.
    [[nodiscard]] static bool valid_target(std::string_view t) noexcept {
        if (t.empty() || t.front() != '/') return false;
        for (char c : t)
            if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7F) return false;
        return true;
    }

    /// Checks the options and writes the request (§4.1 items 1-10) into out_.
    [[nodiscard]] error build(const request_options& o) noexcept {
        bool bracket = false;
        if (!valid_host(o.host, bracket) || !valid_target(o.target) || !detail::is_field_value(o.origin) ||
            !detail::valid_headers(o.headers))
            return error::invalid_http_input;
        for (std::string_view p : o.subprotocols)
            if (!detail::is_token(p)) return error::invalid_http_input;
        for (std::string_view e : o.extensions)
            if (!detail::is_extension(e)) return error::invalid_http_input;
        std::array<char, 20> digits{};
        const std::string_view port = o.port != 0 ? detail::to_decimal(o.port, digits) : std::string_view{};
        // Writes "name: a, b\r\n" and notes where the list lies in the request.
        const auto list = [](auto& put, std::string_view name, std::span<const std::string_view> items,
                             std::pair<std::size_t, std::size_t>& at) {
            if (items.empty()) return;
            put(name);
            at.first = put.size();
            for (std::size_t i = 0; i < items.size(); ++i) {
                if (i > 0) put(", ");
                put(items[i]);
            }
            at.second = put.size() - at.first;
            put("\r\n");
        };
        const bool ok = detail::build_message([&](auto& put) {
            put("GET ");
            put(o.target);
            put(" HTTP/1.1\r\nHost: ");
            if (bracket) put("[");
            put(o.host);
            if (bracket) put("]");
            if (!port.empty()) {
                put(":");
                put(port);
            }
            put("\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ");
            put(std::string_view(key_.data(), key_.size()));
            put("\r\nSec-WebSocket-Version: 13\r\n");
            if (!o.origin.empty()) {
                put("Origin: ");
                put(o.origin);
                put("\r\n");
            }
            list(put, "Sec-WebSocket-Protocol: ", o.subprotocols, protocols_);
            list(put, "Sec-WebSocket-Extensions: ", o.extensions, extensions_);
            detail::put_headers(put, o.headers);
            put("\r\n");
        }, [this](std::size_t n) { return out_.overwrite(n); });
        return ok ? error::none : error::out_of_memory;
    }

    // The list offered at `at` (offset and length within the request), empty if none.
    [[nodiscard]] std::string_view offered(const std::pair<std::size_t, std::size_t>& at) const noexcept {
        return at.second == 0 ? std::string_view{} : out_.view().substr(at.first, at.second);
    }

    // Fails with `e`; `status` is the response's once its block was read, 0 before.
    [[nodiscard]] event fail(error e, std::size_t consumed, std::size_t position, std::uint16_t status = 0) noexcept {
        failure_ = e;
        state_ = client_handshake_state::failed;
        return detail::handshake_failure(e, status, consumed, position);
    }

    // The response's block is complete (`consumed` bytes of the input `in`):
    // validates it; a refusal keeps the start of its body.
    [[nodiscard]] event on_block(std::string_view block, std::size_t consumed, std::string_view in) noexcept {
        response_.raw = block;
        const error e = validate();
        if (e == error::handshake_not_101) {
            std::string_view body = in.substr(consumed);
            if (response_.content_length && body.size() > *response_.content_length)
                body = body.substr(0, static_cast<std::size_t>(*response_.content_length));
            response_.body = body;
        }
        if (e != error::none) return fail(e, consumed, 0, response_.status);
        state_ = client_handshake_state::open;
        return detail::handshake_event(event_type::open, consumed);
    }

    // Everything the fields set, cleared; the status line kept.
    void reset_fields() noexcept {
        detail::clear_fields(response_, &http_response::version_major, &http_response::version_minor, &http_response::status,
                             &http_response::reason);
        accepts_ = protocols_seen_ = 0;
        bad_extensions_ = false;
    }

    // "HTTP/x.y NNN reason" CRLF at `p` (the block starts at `begin`).
    [[nodiscard]] detail::parse_outcome read_start_line(const char* begin, const char*& p, const char* end) noexcept {
        const detail::parse_outcome more{};
        const auto bad = [begin](const char* at) { return detail::parse_failure(detail::http_fault::bad_status_line, begin, at); };
        const int v = detail::read_http_version(p, end, response_.version_major, response_.version_minor);
        if (v == 0) return more;
        if (v < 0) return bad(p);
        if (p == end) return more;
        if (*p != ' ') return bad(p);
        ++p;
        std::uint16_t status = 0;
        for (int i = 0; i < 3; ++i, ++p) {
            if (p == end) return more;
            if (*p < '0' || *p > '9') return bad(p);
            status = static_cast<std::uint16_t>(status * 10 + (*p - '0'));
        }
        response_.status = status;
        if (p == end) return more;
        if (*p == ' ') ++p;
        else if (*p != '\r') return bad(p);  // "HTTP/1.1 101" without a reason is tolerated
        const char* reason = p;
        const detail::parse_outcome text = detail::read_line_text(begin, p, end, detail::http_fault::bad_status_line);
        if (text.status != detail::parse_outcome::kind::done) return text;
        response_.reason = std::string_view(reason, static_cast<std::size_t>(p - reason));
        return detail::parse_done(begin, p += 2);
    }

    // As the server's: names told apart by length, values cut out only for
    // the fields read (`v` is a detail::cut_value or lazy_value).
    template <class Value>
    WSCODEC_ALWAYS_INLINE void on_field(std::string_view name, const Value& v) noexcept {
        using detail::name_is;
        switch (name.size()) {
            case 7: detail::read_upgrade_field(response_, name, v); break;
            case 10: detail::read_upgrade_field(response_, name, v); break;
            case 14:
                if (name_is(name, "content-length")) {
                    std::uint64_t n = 0;
                    if (detail::parse_length(v.value(), n)) response_.content_length = n;
                }
                break;
            case 20: detail::read_single_field(name, "sec-websocket-accept", v, response_.accept, accepts_); break;
            case 22: detail::read_single_field(name, "sec-websocket-protocol", v, response_.subprotocol, protocols_seen_); break;
            case 24:
                if (name_is(name, "sec-websocket-extensions")) {
                    const std::string_view value = v.value();
                    bad_extensions_ = bad_extensions_ || !detail::is_extension_list(value, v.bits(value));
                }
                break;
            default: break;
        }
    }

    // §4.1: the checks a client makes of the server's response, in order.
    [[nodiscard]] error validate() const noexcept {
        const http_response& r = response_;
        if (r.version_major != 1) return error::http_version_not_supported;
        if (r.status != 101) return error::handshake_not_101;
        if (r.version_minor == 0) return error::handshake_http_too_old;
        if (!r.upgrade_websocket) return error::handshake_no_upgrade_websocket;
        if (!r.connection_upgrade) return error::handshake_no_connection_upgrade;
        if (accepts_ > 1 || protocols_seen_ > 1) return error::handshake_duplicate_header;
        if (accepts_ == 0 || r.accept != std::string_view(expected_.data(), expected_.size())) return error::handshake_bad_accept;
        if (protocols_seen_ == 1 && !detail::list_contains(offered(protocols_), r.subprotocol))
            return error::handshake_unexpected_subprotocol;
        if (bad_extensions_) return error::handshake_bad_extensions;
        for (const extension& x : r.extensions())
            if (!detail::list_has_extension(offered(extensions_), x.name)) return error::handshake_unexpected_extension;
        return error::none;
    }

    handshake_options options_;
    http_response response_{};
    detail::handshake_reader reader_{};
    detail::byte_buffer out_{};
    std::size_t sent_ = 0;
    std::pair<std::size_t, std::size_t> protocols_{0, 0};   // offered list within out_
    std::pair<std::size_t, std::size_t> extensions_{0, 0};
    std::array<char, 24> key_{};
    std::array<char, 28> expected_{};
    std::uint8_t accepts_ = 0, protocols_seen_ = 0;
    bool bad_extensions_ = false;
    client_handshake_state state_ = client_handshake_state::waiting;
    error failure_ = error::none;
};

}  // namespace wscodec
