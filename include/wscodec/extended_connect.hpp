// wscodec/extended_connect.hpp — WebSocket over HTTP/2 (RFC 8441) and HTTP/3
// (RFC 9220): the opening handshake is an extended CONNECT on one stream, its
// header list already decoded by the caller's HTTP/2 or HTTP/3 stack (HPACK,
// QPACK). These helpers validate that header list, and build the header lists
// of the request and of the 2xx response. There is no key and no
// Sec-WebSocket-Accept (RFC 8441 §5); after a 2xx the stream carries RFC 6455
// frames, so a connection (connection.hpp), which starts open, reads the
// stream's DATA bytes directly.
#pragma once

#include <wscodec/handshake.hpp>

namespace wscodec {

namespace detail {
/// The elements of the comma lists of every field named `name` in a header list.
class span_list_cursor {
public:
    constexpr span_list_cursor() noexcept = default;
    span_list_cursor(std::span<const http_header> headers, std::string_view name) noexcept
        : headers_(headers), name_(name) {}
    bool next(std::string_view& out) noexcept {
        for (;;) {
            if (list_.next(out)) return true;
            while (i_ < headers_.size() && !iequals(headers_[i_].name, name_)) ++i_;
            if (i_ == headers_.size()) return false;
            list_ = list_cursor(headers_[i_++].value);
        }
    }

private:
    std::span<const http_header> headers_{};
    std::string_view name_{};
    std::size_t i_ = 0;
    list_cursor list_{};
};

using span_extension_cursor = basic_extension_cursor<span_list_cursor>;

/// A field HTTP/2 and HTTP/3 forbid (RFC 9113 §8.2.2, RFC 9114 §4.2): the
/// connection-specific ones, and TE with any value but "trailers".
[[nodiscard]] inline bool is_connection_specific(const http_header& h) noexcept {
    return iequals(h.name, "connection") || iequals(h.name, "upgrade") || iequals(h.name, "keep-alive") ||
           iequals(h.name, "proxy-connection") || iequals(h.name, "transfer-encoding") ||
           (iequals(h.name, "te") && !iequals(h.value, "trailers"));
}

/// A field a builder may emit: lower-case token name, clean value, not connection-specific.
[[nodiscard]] inline bool is_h2_field(const http_header& h) noexcept {
    for (char c : h.name)
        if (c >= 'A' && c <= 'Z') return false;
    return is_token(h.name) && is_field_value(h.value) && !is_connection_specific(h);
}

/// The status code as text, for the :status pseudo-header.
[[nodiscard]] constexpr std::string_view status_text(std::uint16_t status) noexcept {
    switch (status) {
        case 200: return "200";
        case 400: return "400";
        case 405: return "405";
        case 426: return "426";
        case 431: return "431";
        case 503: return "503";
        case 505: return "505";
        default: return "400";
    }
}
}  // namespace detail

using span_value_range = cursor_range<detail::span_list_cursor, std::string_view>;
using span_extension_range = cursor_range<detail::span_extension_cursor, extension>;

/// A validated extended CONNECT request. Views point into the caller's header list.
struct extended_connect_request {
    std::string_view scheme;     ///< :scheme ("https", "http")
    std::string_view path;       ///< :path
    std::string_view authority;  ///< :authority
    std::string_view origin;     ///< origin, empty if none
    std::span<const http_header> headers;  ///< the whole list, pseudo-headers included

    /// Offered subprotocols, in order.
    [[nodiscard]] span_value_range subprotocols() const noexcept {
        return span_value_range(detail::span_list_cursor(headers, "sec-websocket-protocol"));
    }
    /// Offered extensions, in order.
    [[nodiscard]] span_extension_range extensions() const noexcept {
        return span_extension_range(detail::span_extension_cursor(headers, "sec-websocket-extensions"));
    }
};

/// Validates a decoded extended CONNECT header list (RFC 8441 §4-§5, RFC 9220
/// §3): pseudo-headers first, each once, only :method, :protocol, :scheme,
/// :path and :authority; :method CONNECT; :protocol websocket; :scheme, :path
/// and :authority present and not empty; names in lower case and no
/// connection-specific field (RFC 9113 §8.2); sec-websocket-version 13 (RFC
/// 6455 §4.2.1, answered with 426); well-formed subprotocol and extension
/// lists. On success fills `out`. The error's http_status_for() is the status
/// to answer with (extended_connect_rejection()).
[[nodiscard]] inline error parse_extended_connect(std::span<const http_header> headers,
                                                  extended_connect_request& out) noexcept {
    using detail::iequals;
    std::string_view method, protocol, scheme, path, authority, version, origin;
    bool has_method = false, has_protocol = false, has_scheme = false, has_path = false, has_authority = false;
    bool regular_seen = false;
    int versions = 0;
    bool bad_protocols = false, bad_extensions = false;
    for (const http_header& h : headers) {
        if (h.name.empty()) return error::extended_connect_bad_pseudo_header;
        for (char c : h.name)
            if (c >= 'A' && c <= 'Z') return error::extended_connect_connection_header;
        if (h.name.front() == ':') {
            if (regular_seen) return error::extended_connect_bad_pseudo_header;
            const auto once = [&h](bool& seen, std::string_view& value) {
                if (seen) return false;
                seen = true;
                value = h.value;
                return true;
            };
            bool ok = false;
            if (h.name == ":method") ok = once(has_method, method);
            else if (h.name == ":protocol") ok = once(has_protocol, protocol);
            else if (h.name == ":scheme") ok = once(has_scheme, scheme);
            else if (h.name == ":path") ok = once(has_path, path);
            else if (h.name == ":authority") ok = once(has_authority, authority);
            if (!ok) return error::extended_connect_bad_pseudo_header;
            continue;
        }
        regular_seen = true;
        if (detail::is_connection_specific(h)) return error::extended_connect_connection_header;
        if (h.name == "sec-websocket-version") {
            ++versions;
            version = h.value;
        } else if (h.name == "origin") {
            origin = h.value;
        } else if (h.name == "sec-websocket-protocol") {
            bad_protocols = bad_protocols || !detail::is_token_list(h.value);
        } else if (h.name == "sec-websocket-extensions") {
            bad_extensions = bad_extensions || !detail::is_extension_list(h.value);
        }
    }
    if (!has_method || method != "CONNECT") return error::extended_connect_bad_method;
    if (!has_protocol || !iequals(protocol, "websocket")) return error::extended_connect_bad_protocol;
    if (scheme.empty() || path.empty() || authority.empty()) return error::extended_connect_bad_pseudo_header;
    if (versions > 1) return error::handshake_duplicate_header;
    if (versions == 0 || version != "13") return error::handshake_bad_version;
    if (bad_protocols) return error::handshake_bad_subprotocols;
    if (bad_extensions) return error::handshake_bad_extensions;
    out = extended_connect_request{scheme, path, authority, origin, headers};
    return error::none;
}

/// Writes the header list of the 200 response accepting `request` into `out`:
/// :status 200, then sec-websocket-protocol and sec-websocket-extensions when
/// chosen, then `o.headers` (lower-case names, none connection-specific). Each
/// extension in `o.extensions` must have been offered. Returns the number of
/// fields written, or 0 with `err` set: buffer_too_small,
/// subprotocol_not_offered, invalid_http_input.
[[nodiscard]] inline std::size_t extended_connect_response(const extended_connect_request& request,
                                                           const accept_options& o, std::span<http_header> out,
                                                           error& err) noexcept {
    err = error::none;
    if (!o.subprotocol.empty()) {
        bool offered = false;
        for (std::string_view p : request.subprotocols()) offered = offered || p == o.subprotocol;
        if (!offered) {
            err = error::subprotocol_not_offered;
            return 0;
        }
    }
    if (!o.extensions.empty()) {
        bool ok = detail::is_extension_list(o.extensions) && detail::is_field_value(o.extensions);
        detail::list_cursor c(o.extensions);
        std::string_view e;
        while (ok && c.next(e)) {
            bool offered = false;
            for (const extension& x : request.extensions()) offered = offered || detail::iequals(x.name, detail::extension_name(e));
            ok = offered;
        }
        if (!ok) {
            err = error::invalid_http_input;
            return 0;
        }
    }
    for (const http_header& h : o.headers) {
        if (!detail::is_h2_field(h)) {
            err = error::invalid_http_input;
            return 0;
        }
    }
    const std::size_t n = 1u + (o.subprotocol.empty() ? 0u : 1u) + (o.extensions.empty() ? 0u : 1u) + o.headers.size();
    if (out.size() < n) {
        err = error::buffer_too_small;
        return 0;
    }
    std::size_t i = 0;
    out[i++] = {":status", "200"};
    if (!o.subprotocol.empty()) out[i++] = {"sec-websocket-protocol", o.subprotocol};
    if (!o.extensions.empty()) out[i++] = {"sec-websocket-extensions", o.extensions};
    for (const http_header& h : o.headers) out[i++] = h;
    return i;
}

/// The header list refusing an extended CONNECT that failed with `e`:
/// :status from http_status_for(e) (400 if it has none), plus
/// sec-websocket-version 13 with a 426 (RFC 6455 §4.2.2). Returns the count
/// (at most 2), 0 if `out` is too small.
[[nodiscard]] inline std::size_t extended_connect_rejection(error e, std::span<http_header> out) noexcept {
    const std::uint16_t status = http_status_for(e);
    const std::size_t n = status == 426 ? 2 : 1;
    if (out.size() < n) return 0;
    out[0] = {":status", detail::status_text(status == 0 ? 400 : status)};
    if (n == 2) out[1] = {"sec-websocket-version", "13"};
    return n;
}

/// What a client sends as an extended CONNECT.
struct extended_connect_options {
    std::string_view scheme = "https";
    std::string_view authority;  ///< host[:port]
    std::string_view path = "/";
    std::string_view origin;        ///< empty for none
    std::string_view subprotocols;  ///< comma list to offer, empty for none
    std::string_view extensions;    ///< extension list to offer, empty for none
    std::span<const http_header> headers;  ///< more fields, lower-case names
};

/// Writes the extended CONNECT request's header list into `out`: :method,
/// :protocol, :scheme, :path, :authority, sec-websocket-version, then origin,
/// sec-websocket-protocol, sec-websocket-extensions when given, then
/// `o.headers`. Returns the count, or 0 with `err` set (buffer_too_small,
/// invalid_http_input).
[[nodiscard]] inline std::size_t extended_connect_request_headers(const extended_connect_options& o,
                                                                  std::span<http_header> out, error& err) noexcept {
    err = error::none;
    bool ok = detail::is_token(o.scheme) && !o.authority.empty() && detail::is_field_value(o.authority) &&
              !o.path.empty() && detail::is_field_value(o.path) && detail::is_field_value(o.origin) &&
              detail::is_token_list(o.subprotocols) && detail::is_field_value(o.subprotocols) &&
              detail::is_extension_list(o.extensions) && detail::is_field_value(o.extensions);
    for (const http_header& h : o.headers) ok = ok && detail::is_h2_field(h);
    if (!ok) {
        err = error::invalid_http_input;
        return 0;
    }
    const std::size_t n = 6u + (o.origin.empty() ? 0u : 1u) + (o.subprotocols.empty() ? 0u : 1u) +
                          (o.extensions.empty() ? 0u : 1u) + o.headers.size();
    if (out.size() < n) {
        err = error::buffer_too_small;
        return 0;
    }
    std::size_t i = 0;
    out[i++] = {":method", "CONNECT"};
    out[i++] = {":protocol", "websocket"};
    out[i++] = {":scheme", o.scheme};
    out[i++] = {":path", o.path};
    out[i++] = {":authority", o.authority};
    out[i++] = {"sec-websocket-version", "13"};
    if (!o.origin.empty()) out[i++] = {"origin", o.origin};
    if (!o.subprotocols.empty()) out[i++] = {"sec-websocket-protocol", o.subprotocols};
    if (!o.extensions.empty()) out[i++] = {"sec-websocket-extensions", o.extensions};
    for (const http_header& h : o.headers) out[i++] = h;
    return i;
}

/// Validates the response to an extended CONNECT sent with `o`: :status 2xx
/// (otherwise handshake_not_101: the server refused), a subprotocol that was
/// offered (handshake_unexpected_subprotocol), extensions that were offered
/// (handshake_unexpected_extension). On success the stream carries frames.
[[nodiscard]] inline error validate_extended_connect_response(std::span<const http_header> headers,
                                                              const extended_connect_options& o) noexcept {
    std::string_view status;
    int protocols = 0;
    std::string_view protocol;
    for (const http_header& h : headers) {
        if (h.name == ":status") status = h.value;
        else if (h.name == "sec-websocket-protocol") {
            ++protocols;
            protocol = h.value;
        }
    }
    if (status.size() != 3 || status[0] != '2' || status[1] < '0' || status[1] > '9' || status[2] < '0' || status[2] > '9')
        return error::handshake_not_101;
    if (protocols > 1) return error::handshake_duplicate_header;
    if (protocols == 1) {
        bool ok = false;
        detail::list_cursor c(o.subprotocols);
        std::string_view p;
        while (c.next(p)) ok = ok || p == protocol;
        if (!ok) return error::handshake_unexpected_subprotocol;
    }
    for (const extension& x : span_extension_range(detail::span_extension_cursor(headers, "sec-websocket-extensions"))) {
        if (!detail::is_extension(x.text)) return error::handshake_bad_extensions;
        bool ok = false;
        detail::list_cursor c(o.extensions);
        std::string_view e;
        while (c.next(e)) ok = ok || detail::iequals(detail::extension_name(e), x.name);
        if (!ok) return error::handshake_unexpected_extension;
    }
    return error::none;
}

}  // namespace wscodec
