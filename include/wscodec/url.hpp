// SPDX-License-Identifier: MIT
// wscodec/url.hpp — ws:// and wss:// URLs (RFC 6455 §3, grammar of RFC 3986): parses one
// into what a client needs to connect and to build its request (host, port, secure flag,
// Host field, resource name), as views into the caller's text. Stateless, no allocation.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <span>
#include <string_view>

namespace wscodec {

/// Why a text is not a WebSocket URL. Stable values: append, never renumber.
enum class url_error : std::uint8_t {
    none = 0,
    invalid_character = 1,  ///< a byte no URI holds (control, space, DEL, non-ASCII, `"<>\^`{|}`), or '[', ']' or a '%' without two hex digits in the path or query
    bad_scheme = 2,         ///< does not start with "ws://" or "wss://" (any case)
    fragment = 3,           ///< '#': §3, fragment identifiers MUST NOT be used
    userinfo = 4,           ///< "user@" or "user:password@" before the host
    empty_host = 5,         ///< nothing between "//" and the port, path or query
    bad_host = 6,           ///< not a name or IPv4 address (RFC 3986 reg-name) nor an IPv6 address in brackets
    unclosed_ipv6 = 7,      ///< '[' without its ']'
    bad_port = 8,           ///< a port that is not decimal digits, or is 0 or above 65535
};

namespace detail {

/// One url_error described once.
struct url_error_row {
    url_error value;
    const char* name;     ///< the enumerator's name
    const char* message;  ///< one sentence for a user
};

/// Row i describes the url_error whose value is i (checked below).
inline constexpr url_error_row url_error_rows[] = {
    {url_error::none, "none", "no error"},
    {url_error::invalid_character, "invalid_character", "URL contains a character that is not allowed there"},
    {url_error::bad_scheme, "bad_scheme", "URL does not start with ws:// or wss://"},
    {url_error::fragment, "fragment", "a WebSocket URL must not have a fragment (#)"},
    {url_error::userinfo, "userinfo", "a WebSocket URL must not carry a user name or password (user@)"},
    {url_error::empty_host, "empty_host", "URL has no host"},
    {url_error::bad_host, "bad_host", "host is not a name, an IPv4 address or an IPv6 address in brackets"},
    {url_error::unclosed_ipv6, "unclosed_ipv6", "IPv6 address lacks its closing ]"},
    {url_error::bad_port, "bad_port", "port is not a number from 1 to 65535"},
};

[[nodiscard]] constexpr bool url_error_rows_in_order() noexcept {
    for (std::size_t i = 0; i < std::size(url_error_rows); ++i)
        if (static_cast<std::size_t>(url_error_rows[i].value) != i) return false;
    return true;
}
static_assert(url_error_rows_in_order(), "url_error_rows: row i must describe the url_error whose value is i");
static_assert(std::size(url_error_rows) == static_cast<std::size_t>(url_error::bad_port) + 1,
              "url_error_rows: one row per url_error, the last enumerator last");

inline constexpr url_error_row unknown_url_error_row{static_cast<url_error>(0xFF), "unknown", "unknown error"};

[[nodiscard]] constexpr const url_error_row& url_error_row_of(url_error e) noexcept {
    const auto i = static_cast<std::size_t>(e);
    return i < std::size(url_error_rows) ? url_error_rows[i] : unknown_url_error_row;
}

// Character classes of RFC 3986 §2.
[[nodiscard]] constexpr bool is_url_digit(char c) noexcept { return c >= '0' && c <= '9'; }
[[nodiscard]] constexpr bool is_url_hex(char c) noexcept {
    return is_url_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
/// unreserved / sub-delims: what a reg-name holds besides pct-encoded.
[[nodiscard]] constexpr bool is_url_name_char(char c) noexcept {
    return is_url_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           std::string_view("-._~!$&'()*+,;=").find(c) != std::string_view::npos;
}
/// False for a byte that no part of any URI may hold: a control byte, space, DEL, a byte
/// of 0x80 or more, and `"<>\^`{|}` (RFC 3986 §2: neither reserved nor unreserved nor '%').
[[nodiscard]] constexpr bool is_uri_char(char c) noexcept {
    return is_url_name_char(c) || std::string_view(":/?#[]@%").find(c) != std::string_view::npos;
}
/// True if a '%' at `i` of `s` starts pct-encoded ('%' HEXDIG HEXDIG).
[[nodiscard]] constexpr bool is_pct_encoded(std::string_view s, std::size_t i) noexcept {
    return i + 2 < s.size() && is_url_hex(s[i + 1]) && is_url_hex(s[i + 2]);
}

/// RFC 3986 §3.2.2 IPv4address: four dec-octets (0-255, no leading zero) joined by '.'.
[[nodiscard]] constexpr bool is_ipv4_address(std::string_view s) noexcept {
    for (int octet = 0; octet < 4; ++octet) {
        if (octet > 0) {
            if (s.empty() || s.front() != '.') return false;
            s.remove_prefix(1);
        }
        std::size_t n = 0;
        unsigned value = 0;
        while (n < s.size() && n < 3 && is_url_digit(s[n])) value = value * 10 + static_cast<unsigned>(s[n++] - '0');
        if (n == 0 || value > 255 || (n > 1 && s.front() == '0')) return false;
        s.remove_prefix(n);
    }
    return s.empty();
}

/// RFC 3986 §3.2.2 IPv6address (the text between the brackets): 16-bit pieces of 1-4 hex
/// digits joined by ':', eight of them, or at most seven with one "::" standing for the
/// rest; the last two may be written as an IPv4 address. A zone ("%25eth0") is not accepted.
[[nodiscard]] constexpr bool is_ipv6_address(std::string_view s) noexcept {
    std::size_t pieces = 0;
    bool elided = false;
    std::size_t i = 0;
    if (s.starts_with("::")) {
        elided = true;
        i = 2;
        if (i == s.size()) return true;
    }
    for (;;) {
        const std::size_t end = std::min(s.find(':', i), s.size());
        const std::string_view piece = s.substr(i, end - i);
        if (piece.find('.') != std::string_view::npos) {
            if (end != s.size() || !is_ipv4_address(piece)) return false;  // only the last piece
            pieces += 2;
            break;
        }
        if (piece.empty() || piece.size() > 4) return false;
        for (char c : piece)
            if (!is_url_hex(c)) return false;
        ++pieces;
        if (pieces > 8) return false;
        if (end == s.size()) break;
        if (end + 1 < s.size() && s[end + 1] == ':') {
            if (elided) return false;
            elided = true;
            i = end + 2;
            if (i == s.size()) break;
        } else {
            i = end + 1;
            if (i == s.size()) return false;  // a single trailing ':'
        }
    }
    return elided ? pieces <= 7 : pieces == 8;
}

/// True if `s` starts with `prefix`, letters compared case-insensitively (`prefix` lower case).
[[nodiscard]] constexpr bool starts_with_nocase(std::string_view s, std::string_view prefix) noexcept {
    if (s.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i) {
        const char c = s[i] >= 'A' && s[i] <= 'Z' ? static_cast<char>(s[i] - 'A' + 'a') : s[i];
        if (c != prefix[i]) return false;
    }
    return true;
}

}  // namespace detail

/// Stable snake_case name of `e`, equal to the enumerator's name ("unknown" for a value with none).
[[nodiscard]] constexpr const char* url_error_name(url_error e) noexcept { return detail::url_error_row_of(e).name; }

/// One-sentence description of `e` for a user ("unknown error" for a value with no enumerator).
[[nodiscard]] constexpr const char* url_error_message(url_error e) noexcept {
    return detail::url_error_row_of(e).message;
}

/// A parsed WebSocket URL (RFC 6455 §3). On success every view is into the parsed text, so it
/// is valid while that text is. On failure only `err` and `position` mean something.
struct ws_url {
    url_error err = url_error::none;
    std::size_t position = 0;       ///< offset of the fault in the text (the text's size when ok)
    bool secure = false;            ///< wss: §3 "the secure flag is set"; connect with TLS
    bool ipv6 = false;              ///< `host` is an IPv6 address (bracketed in the Host field)
    bool port_is_default = true;    ///< no port, an empty one, or the scheme's own (80 for ws, 443 for wss)
    std::uint16_t port = 80;        ///< the port to connect to: as written, else 80 (ws) or 443 (wss)
    std::string_view host;          ///< name or address to connect to, without brackets
    std::string_view host_header;   ///< the Host field's value (§4.1 item 4): the host (an IPv6 one in brackets), then ":port" as written unless port_is_default
    std::string_view path;          ///< RFC 3986 path-abempty as written: empty or starting with '/'
    std::string_view query;         ///< after '?', without it; empty if there is none

    [[nodiscard]] constexpr bool ok() const noexcept { return err == url_error::none; }

    /// Size of resource_name(): of "/" when the path and the query are empty.
    [[nodiscard]] constexpr std::size_t resource_name_size() const noexcept {
        return (path.empty() ? 1 : path.size()) + (query.empty() ? 0 : 1 + query.size());
    }

    /// §3 /resource name/, the request target: "/" if the path is empty, the path, then "?"
    /// and the query if the query is non-empty. It views the parsed text (or a static "/"),
    /// except for an empty path before a query (`ws://h?x=1` → "/?x=1"), whose '/' is not
    /// in the text: that one is written to `scratch` and the view is of `scratch`, or empty
    /// if `scratch` holds less than resource_name_size() bytes. Empty if !ok().
    [[nodiscard]] constexpr std::string_view resource_name(std::span<char> scratch = {}) const noexcept {
        if (!ok()) return {};
        if (query.empty()) return path.empty() ? std::string_view("/") : path;
        if (!path.empty()) return {path.data(), path.size() + 1 + query.size()};  // "?" follows the path
        if (scratch.size() < resource_name_size()) return {};
        scratch[0] = '/';
        scratch[1] = '?';
        for (std::size_t i = 0; i < query.size(); ++i) scratch[2 + i] = query[i];
        return {scratch.data(), resource_name_size()};
    }
};

/// Parses `text` as a ws:// or wss:// URL (§3: `"ws:" "//" host [ ":" port ] path [ "?" query ]`;
/// the scheme in any case). Checks, in this order, each fault reported at its `position`:
/// a byte that no URI holds (invalid_character; no whitespace is trimmed), the scheme
/// (bad_scheme), a '#' (fragment), a '@' before the host ends (userinfo), the host
/// (empty_host; unclosed_ipv6; bad_host: a name holds letters, digits, `-._~!$&'()*+,;=` and
/// pct-encoded bytes, an address in brackets must be an RFC 3986 IPv6address, an unbracketed
/// host holds no ':'), the port (bad_port; an empty port after ':' means the default, as RFC
/// 3986 §3.2.3 allows), then the path and the query (invalid_character: '[', ']', or '%'
/// without two hex digits).
[[nodiscard]] constexpr ws_url parse_ws_url(std::string_view text) noexcept {
    const auto fail = [](url_error e, std::size_t at) {
        ws_url f;
        f.err = e;
        f.position = at;
        return f;
    };
    for (std::size_t i = 0; i < text.size(); ++i)
        if (!detail::is_uri_char(text[i])) return fail(url_error::invalid_character, i);
    ws_url u;
    std::size_t at = 0;
    if (detail::starts_with_nocase(text, "ws://")) {
        at = 5;
    } else if (detail::starts_with_nocase(text, "wss://")) {
        at = 6;
        u.secure = true;
    } else {
        return fail(url_error::bad_scheme, 0);
    }
    if (const std::size_t hash = text.find('#'); hash != std::string_view::npos)
        return fail(url_error::fragment, hash);

    // authority = host [ ":" port ]: up to the path or the query.
    const std::size_t authority_end = std::min(text.find_first_of("/?", at), text.size());
    const std::string_view authority = text.substr(at, authority_end - at);
    if (const std::size_t a = authority.find('@'); a != std::string_view::npos) return fail(url_error::userinfo, at + a);
    if (authority.empty()) return fail(url_error::empty_host, at);
    std::size_t host_end = 0;  // in `authority`, past the host (and its ']')
    if (authority.front() == '[') {
        const std::size_t close = authority.find(']');
        if (close == std::string_view::npos) return fail(url_error::unclosed_ipv6, at);
        u.host = authority.substr(1, close - 1);
        if (!detail::is_ipv6_address(u.host)) return fail(url_error::bad_host, at);
        u.ipv6 = true;
        host_end = close + 1;
        if (host_end < authority.size() && authority[host_end] != ':') return fail(url_error::bad_host, at + host_end);
    } else {
        host_end = std::min(authority.find(':'), authority.size());
        u.host = authority.substr(0, host_end);
        if (u.host.empty()) return fail(url_error::empty_host, at);
        if (authority.find(':', host_end + 1) < authority.size()) return fail(url_error::bad_host, at);  // bare IPv6
        for (std::size_t i = 0; i < u.host.size(); ++i) {
            if (detail::is_url_name_char(u.host[i])) continue;
            if (u.host[i] == '%' && detail::is_pct_encoded(u.host, i)) {
                i += 2;
                continue;
            }
            return fail(url_error::bad_host, at + i);
        }
    }

    // port = *DIGIT (§3: the default for "ws" is port 80, for "wss" 443).
    const std::uint16_t default_port = u.secure ? 443 : 80;
    u.port = default_port;
    if (host_end < authority.size()) {
        const std::string_view digits = authority.substr(host_end + 1);
        if (!digits.empty()) {
            std::uint32_t value = 0;
            for (char c : digits) {
                if (!detail::is_url_digit(c)) return fail(url_error::bad_port, at + host_end + 1);
                value = value * 10 + static_cast<std::uint32_t>(c - '0');
                if (value > 65535) return fail(url_error::bad_port, at + host_end + 1);
            }
            if (value == 0) return fail(url_error::bad_port, at + host_end + 1);
            u.port = static_cast<std::uint16_t>(value);
        }
    }
    u.port_is_default = u.port == default_port;
    u.host_header = u.port_is_default ? authority.substr(0, host_end) : authority;

    // path-abempty [ "?" query ]: pchar, '/' and (in the query) '?'.
    for (std::size_t i = authority_end; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '[' || c == ']' || (c == '%' && !detail::is_pct_encoded(text, i)))
            return fail(url_error::invalid_character, i);
    }
    const std::string_view rest = text.substr(authority_end);
    const std::size_t q = std::min(rest.find('?'), rest.size());
    u.path = rest.substr(0, q);
    if (q < rest.size()) u.query = rest.substr(q + 1);
    u.position = text.size();
    return u;
}

}  // namespace wscodec
