// SPDX-License-Identifier: MIT
// fuzz/fuzz_url.cpp — libFuzzer target for wscodec/url.hpp (parse_ws_url).
// The input is the URL text. Oracles:
// - a reference model written from the header's documentation (the order of
//   checks, the character classes of RFC 3986 §2 spelt differently, IPv6
//   literals checked by inet_pton where the platform has it) gives the same
//   error, at the same position (or, for bad_host, inside the authority);
// - an error is a named enumerator with a message, and leaves nothing half
//   parsed (no host, no views, no resource name);
// - a parsed URL has a host, a port from 1 to 65535 (the scheme's default
//   when none is written), secure iff the scheme is wss, a path that is empty
//   or starts with '/', a Host field of the host (bracketed if IPv6) and the
//   port as written unless it is the default, and every view lies exactly
//   where the model finds that part in the text;
// - resource_name() with and without scratch space;
// - round trip: the parts written back out (scheme://host[:port]path[?query],
//   IPv6 in brackets; once canonical, once with an upper-case scheme and the
//   port always written) parse to the very same parts.
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>
#include <wscodec/url.hpp>

#if __has_include(<arpa/inet.h>) && __has_include(<sys/socket.h>)
#include <arpa/inet.h>
#include <sys/socket.h>
#define WSCODEC_FUZZ_URL_INET_PTON 1
#endif

#include "violation.hpp"

namespace {

using namespace wscodec;

[[noreturn]] void violation(const char* what, std::string_view text) {
    fuzz::violation("fuzz_url", what, "URL", text);
}

void expect(bool ok, const char* what, std::string_view text) {
    if (!ok) violation(what, text);
}

/// A text in an allocation of exactly its size, so that ASan sees a read past either end.
struct exact_text {
    explicit exact_text(std::string_view s) : bytes(s.begin(), s.end()) {}
    [[nodiscard]] std::string_view view() const { return {bytes.data(), bytes.size()}; }
    std::vector<char> bytes;
};

// RFC 3986 §2, spelt independently of url.hpp: a URI holds printable ASCII
// except the nine characters that are neither reserved nor unreserved.
bool uri_char(char c) {
    const auto b = static_cast<unsigned char>(c);
    return b > 0x20 && b < 0x7f && std::string_view("\"<>\\^`{|}").find(c) == std::string_view::npos;
}
bool alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool digit(char c) { return c >= '0' && c <= '9'; }
bool hex(char c) { return digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
/// A reg-name byte besides pct-encoded: unreserved or sub-delims.
bool reg_name_char(char c) {
    return alpha(c) || digit(c) || std::string_view("-._~!$&'()*+,;=").find(c) != std::string_view::npos;
}
/// '%' at `i` of `s` followed by two hex digits inside `s`.
bool pct_at(std::string_view s, std::size_t i) { return i + 2 < s.size() && hex(s[i + 1]) && hex(s[i + 2]); }
char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

/// RFC 3986 IPv6address (no zone): the C library's parser where there is one.
bool ipv6_literal(std::string_view s) {
#ifdef WSCODEC_FUZZ_URL_INET_PTON
    if (s.size() > 45) return false;  // INET6_ADDRSTRLEN - 1: no valid literal is longer
    const std::string z(s);           // inet_pton wants a NUL-terminated string
    unsigned char out[16];
    return inet_pton(AF_INET6, z.c_str(), out) == 1;
#else
    return detail::is_ipv6_address(s);
#endif
}

/// What parse_ws_url must return for a text, by the header's documentation.
struct model {
    url_error err = url_error::none;
    std::size_t lo = 0, hi = 0;  // the error's position lies in [lo, hi]
    std::size_t scheme_end = 0;  // past "://"
    std::size_t authority_end = 0;
    std::size_t host_end = 0;    // in the text, past the host and its ']'
    bool secure = false;
    bool ipv6 = false;
    std::uint16_t port = 0;
    bool port_written = false;   // ':' and at least one digit
    std::string_view host, host_header, path, query;
};

model fail(url_error e, std::size_t lo, std::size_t hi) {
    model m;
    m.err = e;
    m.lo = lo;
    m.hi = hi;
    return m;
}

model expected(std::string_view t) {
    const std::size_t n = t.size();
    for (std::size_t i = 0; i < n; ++i)
        if (!uri_char(t[i])) return fail(url_error::invalid_character, i, i);
    model m;
    std::string scheme;
    for (std::size_t i = 0; i < n && i < 6; ++i) scheme += lower(t[i]);
    if (scheme.starts_with("wss://")) {
        m.secure = true;
        m.scheme_end = 6;
    } else if (scheme.starts_with("ws://")) {
        m.scheme_end = 5;
    } else {
        return fail(url_error::bad_scheme, 0, 0);
    }
    const std::size_t at = m.scheme_end;
    if (const std::size_t h = t.find('#'); h != std::string_view::npos) return fail(url_error::fragment, h, h);
    std::size_t ae = at;
    while (ae < n && t[ae] != '/' && t[ae] != '?') ++ae;
    m.authority_end = ae;
    const std::string_view auth = t.substr(at, ae - at);
    if (const std::size_t a = auth.find('@'); a != std::string_view::npos)
        return fail(url_error::userinfo, at + a, at + a);
    if (auth.empty()) return fail(url_error::empty_host, at, at);
    std::size_t he = 0;  // in auth
    if (auth[0] == '[') {
        const std::size_t close = auth.find(']');
        if (close == std::string_view::npos) return fail(url_error::unclosed_ipv6, at, at);
        m.host = auth.substr(1, close - 1);
        if (!ipv6_literal(m.host)) return fail(url_error::bad_host, at, ae - 1);
        m.ipv6 = true;
        he = close + 1;
        if (he < auth.size() && auth[he] != ':') return fail(url_error::bad_host, at, ae - 1);
    } else {
        he = auth.find(':');
        if (he == std::string_view::npos) he = auth.size();
        m.host = auth.substr(0, he);
        if (m.host.empty()) return fail(url_error::empty_host, at, at);
        std::size_t colons = 0;
        for (char c : auth) colons += c == ':';
        if (colons > 1) return fail(url_error::bad_host, at, ae - 1);
        for (std::size_t i = 0; i < m.host.size(); ++i) {
            if (reg_name_char(m.host[i])) continue;
            if (m.host[i] == '%' && pct_at(m.host, i)) {
                i += 2;
                continue;
            }
            return fail(url_error::bad_host, at, ae - 1);
        }
    }
    m.host_end = at + he;
    const std::uint16_t default_port = m.secure ? 443 : 80;
    m.port = default_port;
    if (he < auth.size()) {  // auth[he] == ':'
        const std::string_view digits = auth.substr(he + 1);
        const std::size_t p = at + he + 1;
        if (!digits.empty()) {
            for (char c : digits)
                if (!digit(c)) return fail(url_error::bad_port, p, p);
            std::string_view sig = digits;
            while (!sig.empty() && sig.front() == '0') sig.remove_prefix(1);
            if (sig.empty() || sig.size() > 5) return fail(url_error::bad_port, p, p);
            unsigned long value = std::stoul(std::string(sig));
            if (value > 65535) return fail(url_error::bad_port, p, p);
            m.port = static_cast<std::uint16_t>(value);
            m.port_written = true;
        }
    }
    m.host_header = m.port == default_port ? t.substr(at, he) : auth;
    for (std::size_t i = ae; i < n; ++i)
        if (t[i] == '[' || t[i] == ']' || (t[i] == '%' && !pct_at(t, i)))
            return fail(url_error::invalid_character, i, i);
    const std::size_t q = t.find('?', ae);
    m.path = t.substr(ae, (q == std::string_view::npos ? n : q) - ae);
    if (q != std::string_view::npos) m.query = t.substr(q + 1);
    return m;
}

/// Same characters, and for a non-empty view the very same bytes of the text.
bool same_view(std::string_view got, std::string_view want) {
    return got == want && (want.empty() || got.data() == want.data());
}

bool inside(std::string_view part, std::string_view whole) {
    return part.empty() || (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

std::string bracketed(const ws_url& u) { return u.ipv6 ? "[" + std::string(u.host) + "]" : std::string(u.host); }

/// The parts written back out; `explicit_port` writes even the default, `upper` the scheme in capitals.
std::string serialise(const ws_url& u, bool explicit_port, bool upper) {
    std::string s = u.secure ? (upper ? "WSS://" : "wss://") : (upper ? "WS://" : "ws://");
    s += bracketed(u);
    if (explicit_port || !u.port_is_default) s += ":" + std::to_string(u.port);
    s += u.path;
    if (!u.query.empty()) s += "?" + std::string(u.query);
    return s;
}

/// Checks resource_name(), with too little and with enough scratch space.
void check_resource_name(const ws_url& u, std::string_view text) {
    std::string want = u.path.empty() ? "/" : std::string(u.path);
    if (!u.query.empty()) want += "?" + std::string(u.query);
    expect(u.resource_name_size() == want.size(), "resource_name_size()", text);
    std::vector<char> scratch(want.size());
    const std::string_view with = u.resource_name(std::span<char>(scratch));
    expect(with == want, "resource_name(scratch)", text);
    expect(inside(with, text) || with == "/" || inside(with, std::string_view(scratch.data(), scratch.size())),
           "resource_name(scratch) views neither the text nor the scratch", text);
    const std::string_view bare = u.resource_name();
    std::vector<char> short_scratch(want.size() - 1);
    const std::string_view short_view = u.resource_name(std::span<char>(short_scratch));
    if (u.path.empty() && !u.query.empty()) {
        expect(bare.empty(), "resource_name() without scratch for an empty path before a query", text);
        expect(short_view.empty(), "resource_name() with scratch one byte short", text);
    } else {
        expect(bare == want, "resource_name()", text);
        // It views the text, except the static "/" for an empty path and query.
        expect(inside(bare, text) || (u.path.empty() && u.query.empty()), "resource_name() outside the text", text);
        expect(short_view == want, "resource_name() needs no scratch here", text);
    }
}

/// A URL made by serialise() parses to the parts of `u`.
void round_trip(const ws_url& u, std::string_view original, bool explicit_port, bool upper) {
    const std::string s = serialise(u, explicit_port, upper);
    const exact_text t(s);
    const ws_url v = parse_ws_url(t.view());
    expect(v.ok(), "round trip: the written-out URL does not parse", original);
    expect(v.position == s.size(), "round trip: position", original);
    expect(v.secure == u.secure && v.ipv6 == u.ipv6 && v.host == u.host && v.port == u.port &&
               v.port_is_default == u.port_is_default && v.path == u.path && v.query == u.query,
           "round trip: the parts differ", original);
    std::string host_header = bracketed(u);
    if (!u.port_is_default) host_header += ":" + std::to_string(u.port);
    expect(v.host_header == host_header, "round trip: Host field", original);
    expect(serialise(v, false, false) == serialise(u, false, false), "round trip: not idempotent", original);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const exact_text in(std::string_view(reinterpret_cast<const char*>(data), size));
    const std::string_view text = in.view();
    const ws_url u = parse_ws_url(text);
    const model m = expected(text);

    // The error: a named enumerator with a message, the one the model expects, where it expects it.
    const auto e = static_cast<unsigned>(u.err);
    expect(e <= static_cast<unsigned>(url_error::bad_port), "error value out of range", text);
    expect(std::string_view(url_error_name(u.err)) != "unknown", "error without a name", text);
    const std::string_view message = url_error_message(u.err);
    expect(!message.empty() && message != "unknown error", "error without a message", text);
    expect(u.ok() == (u.err == url_error::none), "ok() disagrees with err", text);
    if (u.err != m.err) {
        std::fprintf(stderr, "fuzz_url: got %s at %zu, the model expects %s at %zu..%zu\n", url_error_name(u.err),
                     u.position, url_error_name(m.err), m.lo, m.hi);
        violation("error differs from the model", text);
    }
    expect(u.position <= size, "position past the text", text);

    if (!u.ok()) {
        expect(u.position >= m.lo && u.position <= m.hi, "error position differs from the model", text);
        expect(u.host.empty() && u.host_header.empty() && u.path.empty() && u.query.empty() && !u.secure && !u.ipv6,
               "a failed parse leaves parts behind", text);
        expect(u.resource_name().empty(), "resource_name() of a failed parse", text);
        char scratch[8];
        expect(u.resource_name(scratch).empty(), "resource_name(scratch) of a failed parse", text);
        return 0;
    }

    // Invariants of a parsed URL.
    expect(u.position == size, "position of a parsed URL is not the text's size", text);
    expect(!u.host.empty(), "empty host", text);
    expect(u.port >= 1, "port 0", text);
    expect(u.path.empty() || u.path.front() == '/', "path neither empty nor starting with '/'", text);
    expect(u.path.find('?') == std::string_view::npos, "'?' in the path", text);
    const bool wss = size >= 6 && lower(text[0]) == 'w' && lower(text[1]) == 's' && lower(text[2]) == 's' &&
                     text.substr(3, 3) == "://";
    expect(u.secure == wss, "secure is not 'the scheme is wss'", text);
    const std::uint16_t default_port = u.secure ? 443 : 80;
    expect(u.port_is_default == (u.port == default_port), "port_is_default", text);
    expect(m.port_written || u.port == default_port, "no port written, yet not the default", text);
    if (u.ipv6)
        expect(u.host.find(':') != std::string_view::npos && ipv6_literal(u.host), "ipv6 host is no IPv6 address",
               text);
    else
        expect(u.host.find(':') == std::string_view::npos && u.host.find('[') == std::string_view::npos,
               "':' or '[' in a host that is not IPv6", text);
    std::string host_header = bracketed(u);
    if (!u.port_is_default)
        host_header += ":" + std::string(text.substr(m.host_end + 1, m.authority_end - m.host_end - 1));
    expect(u.host_header == host_header, "Host field is not the host and the port as written", text);
    for (std::string_view v : {u.host, u.host_header, u.path, u.query})
        expect(inside(v, text), "a view outside the text", text);

    // Each part exactly where the model finds it.
    expect(u.secure == m.secure && u.ipv6 == m.ipv6 && u.port == m.port, "flags or port differ from the model", text);
    expect(same_view(u.host, m.host), "host differs from the model", text);
    expect(same_view(u.host_header, m.host_header), "Host field differs from the model", text);
    expect(same_view(u.path, m.path), "path differs from the model", text);
    expect(same_view(u.query, m.query), "query differs from the model", text);

    check_resource_name(u, text);
    round_trip(u, text, false, false);
    round_trip(u, text, true, true);
    return 0;
}
