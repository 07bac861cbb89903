// SPDX-License-Identifier: MIT
// wscodec/extended_connect.hpp — WebSocket over HTTP/2 (RFC 8441) and HTTP/3
// (RFC 9220): the opening handshake is an extended CONNECT on one stream, its
// header list already decoded by the caller's HTTP/2 or HTTP/3 stack (HPACK,
// QPACK). These functions validate the request and the response header
// lists, and build the request, the 2xx response and the refusal. There is no
// key and no Sec-WebSocket-Accept (RFC 8441 §5); after a 2xx the stream
// carries RFC 6455 frames, so a connection (connection.hpp), which starts
// open, reads the stream's DATA bytes directly. No state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <wscodec/error.hpp>
#include <wscodec/http_message.hpp>

namespace wscodec {

namespace detail {
/// The fields of a header list, in order.
class span_field_cursor {
public:
    constexpr span_field_cursor() noexcept = default;
    explicit span_field_cursor(std::span<const http_header> headers) noexcept : headers_(headers) {}
    bool next(http_header& out) noexcept {
        if (i_ == headers_.size()) return false;
        out = headers_[i_++];
        return true;
    }

private:
    std::span<const http_header> headers_{};
    std::size_t i_ = 0;
};

/// The elements of the comma lists of every field named `name` in a header list.
using span_list_cursor = basic_named_list_cursor<span_field_cursor>;

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

/// What a header-list builder wrote: `count` fields, or 0 with `err` set.
struct header_list_result {
    std::size_t count = 0;
    error err = error::none;
};

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
/// to answer with (build_extended_connect_rejection()).
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
/// extension in `o.extensions` must have been offered. Errors:
/// buffer_too_small, subprotocol_not_offered, invalid_http_input.
[[nodiscard]] inline header_list_result build_extended_connect_response(const extended_connect_request& request,
                                                                        const accept_options& o,
                                                                        std::span<http_header> out) noexcept {
    if (!o.subprotocol.empty()) {
        bool offered = false;
        for (std::string_view p : request.subprotocols()) offered = offered || p == o.subprotocol;
        if (!offered) return {0, error::subprotocol_not_offered};
    }
    if (!o.extensions.empty() && !(detail::is_extension_list(o.extensions) && detail::is_field_value(o.extensions) &&
                                   detail::extensions_offered(o.extensions, request.extensions())))
        return {0, error::invalid_http_input};
    for (const http_header& h : o.headers)
        if (!detail::is_h2_field(h)) return {0, error::invalid_http_input};
    const std::size_t n = 1u + (o.subprotocol.empty() ? 0u : 1u) + (o.extensions.empty() ? 0u : 1u) + o.headers.size();
    if (out.size() < n) return {0, error::buffer_too_small};
    std::size_t i = 0;
    out[i++] = {":status", "200"};
    if (!o.subprotocol.empty()) out[i++] = {"sec-websocket-protocol", o.subprotocol};
    if (!o.extensions.empty()) out[i++] = {"sec-websocket-extensions", o.extensions};
    for (const http_header& h : o.headers) out[i++] = h;
    return {i, error::none};
}

/// Writes the header list refusing an extended CONNECT that failed with `e`
/// into `out`: :status from http_status_for(e) (400 if it has none), plus
/// sec-websocket-version 13 with a 426 (RFC 6455 §4.2.2); at most 2 fields.
/// Errors: buffer_too_small.
[[nodiscard]] inline header_list_result build_extended_connect_rejection(error e, std::span<http_header> out) noexcept {
    const std::uint16_t status = http_status_for(e);
    const std::size_t n = status == 426 ? 2 : 1;
    if (out.size() < n) return {0, error::buffer_too_small};
    out[0] = {":status", detail::status_text(status == 0 ? 400 : status)};
    if (n == 2) out[1] = {"sec-websocket-version", "13"};
    return {n, error::none};
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
/// `o.headers`. Errors: buffer_too_small, invalid_http_input.
[[nodiscard]] inline header_list_result build_extended_connect_request(const extended_connect_options& o,
                                                                       std::span<http_header> out) noexcept {
    bool ok = detail::is_token(o.scheme) && !o.authority.empty() && detail::is_field_value(o.authority) &&
              !o.path.empty() && detail::is_field_value(o.path) && detail::is_field_value(o.origin) &&
              detail::is_token_list(o.subprotocols) && detail::is_field_value(o.subprotocols) &&
              detail::is_extension_list(o.extensions) && detail::is_field_value(o.extensions);
    for (const http_header& h : o.headers) ok = ok && detail::is_h2_field(h);
    if (!ok) return {0, error::invalid_http_input};
    const std::size_t n = 6u + (o.origin.empty() ? 0u : 1u) + (o.subprotocols.empty() ? 0u : 1u) +
                          (o.extensions.empty() ? 0u : 1u) + o.headers.size();
    if (out.size() < n) return {0, error::buffer_too_small};
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
    return {i, error::none};
}

/// Validates the response to an extended CONNECT sent with `o`: :status 2xx
/// (otherwise extended_connect_rejected: the server refused), a subprotocol
/// that was offered (handshake_unexpected_subprotocol), extensions that were
/// offered (handshake_unexpected_extension). On success the stream carries
/// frames.
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
        return error::extended_connect_rejected;
    if (protocols > 1) return error::handshake_duplicate_header;
    if (protocols == 1 && !detail::list_contains(o.subprotocols, protocol)) return error::handshake_unexpected_subprotocol;
    for (const extension& x : span_extension_range(detail::span_extension_cursor(headers, "sec-websocket-extensions"))) {
        if (!detail::is_extension(x.text)) return error::handshake_bad_extensions;
        if (!detail::list_has_extension(o.extensions, x.name)) return error::handshake_unexpected_extension;
    }
    return error::none;
}

}  // namespace wscodec
