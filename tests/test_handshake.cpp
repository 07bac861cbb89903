// SPDX-License-Identifier: MIT
// tests/test_handshake.cpp — wscodec/handshake.hpp (http_message.hpp,
// server_handshake.hpp, client_handshake.hpp): the opening handshake (RFC 6455
// §4) over HTTP/1.1 (RFC 9112), both roles.
//
//  - The RFC's examples (§1.2, §1.3, §4.1, §4.2.2) byte for byte.
//  - Every request of tests/http_samples.hpp (browsers, curl, Python, Node) is
//    accepted with its fields as sent; every response is read by a client that
//    made the matching offer.
//  - Split invariance (DESIGN invariant 1): each sample fed whole, byte by
//    byte, split in two at every position and in chunks of every size, with
//    and without a frame behind it, gives the same event, and the bytes after
//    the header block are left to the caller.
//  - Every way a request is refused, with its error value and the exact HTTP
//    status line of the queued response (400, 405, 426, 431, 505); plain HTTP
//    requests and respond(); accept() options.
//  - The client's request bytes, its checks of the response (§4.1), and a
//    seeded round trip of random requests between the two roles.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>
#include <wscodec/handshake.hpp>

#include "helpers.hpp"
#include "http_samples.hpp"

using namespace wscodec;

namespace {

constexpr std::size_t npos = std::string_view::npos;

// ------------------------------------------------------------------- bytes

bytes_view as_bytes(std::string_view s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }
std::string text(bytes_view b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }
std::string text(const std::array<char, 28>& a) { return {a.data(), a.size()}; }
std::string text(const std::optional<std::string_view>& v) { return v ? "'" + std::string(*v) + "'" : "(none)"; }

/// A masked text frame "Hello" (RFC 6455 §5.7), as a client pipelines it behind its request.
const std::string masked_hello = [] {
    const test::bytes f = test::hex("81 85 37 fa 21 3d 7f 9f 4d 51 58");
    return std::string(f.begin(), f.end());
}();
/// The same frame unmasked (§5.7), as a server sends it right after its 101.
const std::string hello = [] {
    const test::bytes f = test::hex("81 05 48 65 6c 6c 6f");
    return std::string(f.begin(), f.end());
}();

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    return out;
}
std::string upper(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
    return out;
}
using test::split;
using test::trim;

/// The header block of an HTTP message: through the first blank line.
std::size_t block_length(std::string_view m) { return m.find("\r\n\r\n") + 4; }

// ------------------------------------------------- an independent reading

struct field {
    std::string name, value;
};

/// The field lines of a well-formed block, read with string searches only.
std::vector<field> fields_of(std::string_view m) {
    std::vector<field> out;
    std::size_t at = m.find("\r\n") + 2;
    for (;;) {
        const std::size_t end = m.find("\r\n", at);
        if (end == npos || end == at) return out;
        const std::string_view line = m.substr(at, end - at);
        const std::size_t colon = line.find(':');
        out.push_back({std::string(line.substr(0, colon)), std::string(trim(line.substr(colon + 1)))});
        at = end + 2;
    }
}

std::string first_value(const std::vector<field>& fs, std::string_view name) {
    for (const field& f : fs)
        if (lower(f.name) == lower(name)) return f.value;
    return {};
}

/// The elements of every list field named `name`, in order.
std::vector<std::string> list_of(const std::vector<field>& fs, std::string_view name) {
    std::vector<std::string> out;
    for (const field& f : fs)
        if (lower(f.name) == lower(name))
            for (std::string& e : split(f.value, ',')) out.push_back(std::move(e));
    return out;
}

/// An extension list written as " name{param;param=value;}" per element, from text.
std::string extensions_text(const std::vector<std::string>& elements) {
    std::string s;
    for (const std::string& e : elements) {
        const std::vector<std::string> parts = split(e, ';');
        s += " " + parts[0] + "{";
        for (std::size_t i = 1; i < parts.size(); ++i) {
            const std::size_t eq = parts[i].find('=');
            s += std::string(trim(std::string_view(parts[i]).substr(0, eq)));
            if (eq != npos) {
                std::string_view v = trim(std::string_view(parts[i]).substr(eq + 1));
                if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
                s += "=" + std::string(v);
            }
            s += ";";
        }
        s += "}";
    }
    return s;
}

/// The same form from what the library parsed.
std::string extensions_text(const extension_range& xs) {
    std::string s;
    for (const extension& x : xs) {
        s += " " + std::string(x.name) + "{";
        for (const extension_param& p : x.params()) {
            s += std::string(p.name);
            if (p.has_value) s += "=" + std::string(p.value);
            s += ";";
        }
        s += "}";
    }
    return s;
}

std::vector<std::string> strings(const value_range& r) {
    std::vector<std::string> out;
    for (std::string_view v : r) out.emplace_back(v);
    return out;
}

std::vector<std::string> lines(const header_range& r) {
    std::vector<std::string> out;
    for (const http_header& h : r) out.push_back(std::string(h.name) + ": " + std::string(h.value));
    return out;
}
std::vector<std::string> lines(const std::vector<field>& fs) {
    std::vector<std::string> out;
    for (const field& f : fs) out.push_back(f.name + ": " + f.value);
    return out;
}

// ------------------------------------------------------- what was parsed

std::string describe(const event& ev) {
    return std::string(event_type_name(ev.type)) + " err=" + error_name(ev.err) + " status=" + std::to_string(ev.http_status) +
           " action=" + tcp_action_name(ev.action) + " consumed=" + std::to_string(ev.consumed) +
           " position=" + std::to_string(ev.position);
}
std::string expect(event_type t, std::size_t consumed) {
    event ev;
    ev.type = t;
    ev.consumed = consumed;
    return describe(ev);
}
std::string expect_failed(error e, std::uint16_t code, std::size_t consumed, std::size_t position) {
    event ev;
    ev.type = event_type::failed;
    ev.err = e;
    ev.http_status = code;
    ev.action = tcp_action::linger;
    ev.consumed = consumed;
    ev.position = position;
    return describe(ev);
}
/// A failure without where it sits in the input (which depends on the split).
std::string failure_of(const event& ev) {
    return std::string(event_type_name(ev.type)) + " err=" + error_name(ev.err) + " status=" + std::to_string(ev.http_status) +
           " action=" + tcp_action_name(ev.action);
}

std::string summary(const http_request& r) {
    std::string s = std::string(r.method) + " " + std::string(r.target) + " HTTP/" + std::to_string(r.version_major) +
                    "." + std::to_string(r.version_minor) + "\n";
    s += "host=" + std::string(r.host) + " origin=" + std::string(r.origin) + " key=" + std::string(r.key) +
         " version=" + std::string(r.websocket_version) +
         " content_length=" + (r.content_length ? std::to_string(*r.content_length) : "none") +
         " te=" + std::to_string(r.transfer_encoding) + " upgrade=" + std::to_string(r.upgrade_websocket) +
         " connection=" + std::to_string(r.connection_upgrade) + "\n";
    for (const std::string& l : lines(r.headers())) s += l + "\n";
    s += "protocols:";
    for (const std::string& p : strings(r.subprotocols())) s += " " + p;
    s += "\nextensions:" + extensions_text(r.extensions()) + "\nraw=" + std::string(r.raw);
    return s;
}

std::string summary(const http_response& r) {
    std::string s = "HTTP/" + std::to_string(r.version_major) + "." + std::to_string(r.version_minor) + " " +
                    std::to_string(r.status) + " '" + std::string(r.reason) + "'\n";
    s += "accept=" + std::string(r.accept) + " subprotocol=" + std::string(r.subprotocol) +
         " content_length=" + (r.content_length ? std::to_string(*r.content_length) : "none") +
         " upgrade=" + std::to_string(r.upgrade_websocket) + " connection=" + std::to_string(r.connection_upgrade) +
         "\n";
    for (const std::string& l : lines(r.headers())) s += l + "\n";
    s += "extensions:" + extensions_text(r.extensions()) + "\nraw=" + std::string(r.raw);
    return s;
}

// ----------------------------------------------------------------- feeding

/// What feeding an input in pieces gave: the first event other than
/// need_more, with `consumed` the total over all calls; `end` is where the
/// piece that produced it ends; `problems` lists need_more calls that did not
/// take their whole piece.
struct fed {
    event ev;
    std::size_t end = 0;
    std::string problems;
};

template <class Handshake>
fed feed(Handshake& h, std::string_view input, const std::vector<std::size_t>& parts) {
    fed out;
    std::size_t at = 0, total = 0;
    for (std::size_t n : parts) {
        event ev = h.receive(as_bytes(input.substr(at, n)));
        total += ev.consumed;
        at += n;
        if (ev.type != event_type::need_more) {
            ev.consumed = total;
            out.ev = ev;
            out.end = at;
            return out;
        }
        if (ev.consumed != n) out.problems += "need_more took " + std::to_string(ev.consumed) + " of " + std::to_string(n) + "; ";
    }
    out.ev.consumed = total;
    out.end = at;
    return out;
}

/// Whole, byte by byte, and split in two at every position.
std::vector<std::vector<std::size_t>> two_way(std::size_t n) {
    std::vector<std::vector<std::size_t>> out;
    out.push_back({n});
    out.push_back(std::vector<std::size_t>(n, 1));
    for (std::size_t cut = 0; cut <= n; ++cut) out.push_back({cut, n - cut});
    return out;
}

std::string parts_text(const std::vector<std::size_t>& parts) {
    std::string s;
    for (std::size_t i = 0; i < parts.size() && i < 8; ++i) s += std::to_string(parts[i]) + " ";
    if (parts.size() > 8) s += "... (" + std::to_string(parts.size()) + " parts)";
    return s;
}

/// Cuts [0, n) at up to `max_cuts` random places (seeded std::mt19937: the same on every platform).
std::vector<std::size_t> random_parts(std::mt19937& rng, std::size_t n, std::size_t max_cuts = 5) {
    std::vector<std::size_t> cuts;
    const std::size_t k = rng() % (max_cuts + 1);
    for (std::size_t i = 0; i < k; ++i) cuts.push_back(rng() % (n + 1));
    cuts.push_back(n);
    std::sort(cuts.begin(), cuts.end());
    std::vector<std::size_t> parts;
    std::size_t at = 0;
    for (std::size_t c : cuts) {
        parts.push_back(c - at);
        at = c;
    }
    return parts;
}

// ---------------------------------------------------------------- builders

/// The 101 wscodec sends for `key` with no options (§4.2.2 step 5).
std::string switching(std::string_view key, std::string_view more = {}) {
    return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
           text(compute_accept(key)) + "\r\n" + std::string(more) + "\r\n";
}

constexpr std::string_view rfc_key = "dGhlIHNhbXBsZSBub25jZQ==";
/// A minimal valid upgrade request's field lines (Host, Upgrade, Connection, key, version).
const std::string good_fields =
    "Host: server.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";

std::string request(std::string_view start, std::string_view fields) {
    return std::string(start) + "\r\n" + std::string(fields) + "\r\n";
}
/// The minimal request with `extra` field lines appended.
std::string with(std::string_view extra) { return request("GET /chat HTTP/1.1", good_fields + std::string(extra)); }
/// The minimal request with `from` (a piece of its fields) replaced by `to`.
std::string replacing(std::string_view from, std::string_view to) {
    std::string f = good_fields;
    const std::size_t at = f.find(from);
    CHECK(at != npos);
    if (at != npos) f.replace(at, from.size(), to);
    return request("GET /chat HTTP/1.1", f);
}

/// The whole error response a server queues for `e` (status line, the extra
/// field a status calls for, a text/plain body holding the error message).
std::string error_response(error e, std::string_view status_line, std::string_view extra = {}) {
    const std::string body = std::string(error_message(e)) + "\n";
    return std::string(status_line) + std::string(extra) + "Content-Type: text/plain; charset=utf-8\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\nConnection: " + (e == error::handshake_bad_version ? "upgrade, " : "") +
           "close\r\n\r\n" + body;
}

std::string status_line(std::uint16_t status) {
    switch (status) {
        case 400: return "HTTP/1.1 400 Bad Request\r\n";
        case 405: return "HTTP/1.1 405 Method Not Allowed\r\n";
        case 426: return "HTTP/1.1 426 Upgrade Required\r\n";
        case 431: return "HTTP/1.1 431 Request Header Fields Too Large\r\n";
        case 505: return "HTTP/1.1 505 HTTP Version Not Supported\r\n";
        default: return "?";
    }
}

/// What a client offers, with storage for the views request_options holds.
struct offer {
    std::vector<std::string> protocols, extensions;
    std::vector<http_header> headers;
    std::vector<std::string_view> protocol_views, extension_views;
    std::array<std::uint8_t, 16> nonce{};

    request_options options(std::string_view host = "localhost", std::uint16_t port = 9001, std::string_view target = "/chat") {
        protocol_views.assign(protocols.begin(), protocols.end());
        extension_views.assign(extensions.begin(), extensions.end());
        request_options o;
        o.host = host;
        o.port = port;
        o.target = target;
        o.subprotocols = protocol_views;
        o.extensions = extension_views;
        o.headers = headers;
        return o;
    }
};

/// The nonce whose base64 is `key` (canonical keys only).
std::array<std::uint8_t, 16> nonce_of(std::string_view key) {
    std::array<std::uint8_t, 16> nonce{};
    const detail::base64_result r = detail::base64_decode(key, mutable_bytes(nonce));
    CHECK(static_cast<bool>(r));
    CHECK(r.size == 16);
    return nonce;
}

/// The offer of the sample request whose key is `key`, as a server reads it.
offer offer_for(std::string_view key) {
    offer o;
    o.nonce = nonce_of(key);
    for (const samples::sample& s : samples::requests) {
        if (s.key != key) continue;
        server_handshake server;
        CHECK(server.receive(as_bytes(s.bytes)).type == event_type::request);
        for (std::string_view p : server.request().subprotocols()) o.protocols.emplace_back(p);
        for (const extension& x : server.request().extensions()) o.extensions.emplace_back(x.text);
        return o;
    }
    FAIL_CHECK("no sample request has key " << std::string(key));
    return o;
}

constexpr std::array<std::uint8_t, 16> nonce_1_to_16 = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
constexpr std::string_view key_1_to_16 = "AQIDBAUGBwgJCgsMDQ4PEA==";

}  // namespace

// ======================================================== RFC 6455 examples

TEST_CASE("handshake §1.2 §4.2.2: the RFC's request is answered with exactly the RFC's 101") {
    const samples::sample& rfc = samples::requests[std::size(samples::requests) - 1];
    CHECK(std::string(rfc.name) == "rfc6455");
    server_handshake s;
    const event ev = s.receive(as_bytes(rfc.bytes));
    CHECK_EQ(describe(ev), expect(event_type::request, rfc.bytes.size()));
    CHECK(s.state() == server_handshake_state::upgrade_request);
    CHECK(s.output().empty());
    CHECK(s.request().key == "dGhlIHNhbXBsZSBub25jZQ==");
    CHECK(strings(s.request().subprotocols()) == std::vector<std::string>{"chat", "superchat"});
    accept_options o;
    o.subprotocol = "chat";
    CHECK(s.accept(o) == error::none);
    CHECK(s.state() == server_handshake_state::accepted);
    CHECK_EQ(text(s.output()),
             "HTTP/1.1 101 Switching Protocols\r\n"
             "Upgrade: websocket\r\n"
             "Connection: Upgrade\r\n"
             "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
             "Sec-WebSocket-Protocol: chat\r\n"
             "\r\n");
    CHECK(text(s.output()) == std::string(samples::responses[0].bytes));
    // Without a subprotocol: the same minus that line.
    server_handshake plain;
    CHECK(plain.receive(as_bytes(rfc.bytes)).type == event_type::request);
    CHECK(plain.accept() == error::none);
    CHECK_EQ(text(plain.output()),
             "HTTP/1.1 101 Switching Protocols\r\n"
             "Upgrade: websocket\r\n"
             "Connection: Upgrade\r\n"
             "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
             "\r\n");
}

TEST_CASE("handshake §4.1: the RFC's example key AQIDBAUGBwgJCgsMDQ4PEC== (pad bits set) is accepted") {
    const std::string req = replacing(rfc_key, "AQIDBAUGBwgJCgsMDQ4PEC==");
    server_handshake s;
    CHECK_EQ(describe(s.receive(as_bytes(req))), expect(event_type::request, req.size()));
    CHECK(s.request().key == "AQIDBAUGBwgJCgsMDQ4PEC==");
    CHECK(s.accept() == error::none);
    CHECK_EQ(text(s.output()), switching("AQIDBAUGBwgJCgsMDQ4PEC=="));
    // The key is hashed as sent: its accept differs from the canonical spelling's.
    CHECK(text(compute_accept("AQIDBAUGBwgJCgsMDQ4PEC==")) != text(compute_accept("AQIDBAUGBwgJCgsMDQ4PEA==")));
}

TEST_CASE("handshake §4.1: the RFC's 101 opens a client that offered chat and superchat with its nonce") {
    offer of;
    of.protocols = {"chat", "superchat"};
    of.nonce = nonce_of(rfc_key);
    client_handshake c(of.options("server.example.com", 0), of.nonce);
    CHECK(c.key() == rfc_key);
    const std::string_view r = samples::responses[0].bytes;
    CHECK_EQ(describe(c.receive(as_bytes(r))), expect(event_type::open, r.size()));
    CHECK(c.state() == client_handshake_state::open);
    CHECK(c.failure() == error::none);
    CHECK(c.response().status == 101);
    CHECK(c.response().reason == "Switching Protocols");
    CHECK(c.response().accept == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    CHECK(c.response().subprotocol == "chat");
}

// ================================================ §4.2.1 real requests

TEST_CASE("handshake §4.2.1: every sample request is accepted with its fields as sent, and answered with the 101 of its key") {
    for (const samples::sample& sample : samples::requests) {
        CAPTURE(sample.name);
        server_handshake s;
        const event ev = s.receive(as_bytes(sample.bytes));
        CHECK_EQ(describe(ev), expect(event_type::request, sample.bytes.size()));
        CHECK(s.state() == server_handshake_state::upgrade_request);
        CHECK(s.failure() == error::none);
        const http_request& r = s.request();
        const std::vector<field> fs = fields_of(sample.bytes);
        CHECK(r.method == "GET");
        CHECK(r.target == "/chat");
        CHECK(r.version_major == 1);
        CHECK(r.version_minor == 1);
        CHECK_EQ(std::string(r.host), first_value(fs, "Host"));
        CHECK_EQ(std::string(r.origin), first_value(fs, "Origin"));
        CHECK_EQ(std::string(r.key), std::string(sample.key));
        CHECK(r.websocket_version == "13");
        CHECK_FALSE(r.content_length.has_value());
        CHECK_FALSE(r.transfer_encoding);
        CHECK(r.upgrade_websocket);
        CHECK(r.connection_upgrade);
        // A request that arrives whole is parsed where it lies.
        CHECK(r.raw.data() == sample.bytes.data());
        CHECK(r.raw.size() == sample.bytes.size());
        // Every field line, in order.
        CHECK(lines(r.headers()) == lines(fs));
        CHECK(r.headers().size() == fs.size());
        CHECK_FALSE(r.headers().empty());
        // Lookup ignores case and gives the first field of a name.
        for (const field& f : fs) {
            CAPTURE(f.name);
            CHECK_EQ(text(r.header(f.name)), "'" + first_value(fs, f.name) + "'");
            CHECK_EQ(text(r.header(lower(f.name))), "'" + first_value(fs, f.name) + "'");
            CHECK_EQ(text(r.header(upper(f.name))), "'" + first_value(fs, f.name) + "'");
        }
        CHECK_FALSE(r.header("X-Not-Sent").has_value());
        CHECK_FALSE(r.header("Hos").has_value());
        CHECK(strings(r.subprotocols()) == list_of(fs, "Sec-WebSocket-Protocol"));
        CHECK_EQ(extensions_text(r.extensions()), extensions_text(list_of(fs, "Sec-WebSocket-Extensions")));
        CHECK(strings(r.list("Connection")) == list_of(fs, "Connection"));
        // Nothing is consumed once the request is read.
        CHECK_EQ(describe(s.receive(as_bytes(masked_hello))), expect(event_type::need_more, 0));
        // §4.2.2 step 5: the 101 with Sec-WebSocket-Accept for this key.
        CHECK(s.accept() == error::none);
        CHECK(s.state() == server_handshake_state::accepted);
        CHECK_EQ(text(s.output()), switching(sample.key));
        CHECK(s.accept() == error::handshake_not_ready);
        CHECK(s.respond(403) == error::handshake_not_ready);
    }
}

TEST_CASE("handshake §4.2.1: the sample requests' fields, spelled out") {
    // The independent reading above is checked once against the values written out.
    const auto parse = [](std::string_view name, const auto& check) {
        for (const samples::sample& sample : samples::requests) {
            if (std::string_view(sample.name) != name) continue;
            server_handshake s;
            CHECK(s.receive(as_bytes(sample.bytes)).type == event_type::request);
            check(s.request());
        }
    };
    parse("chromium_500", [](const http_request& r) {
        CHECK(r.host == "localhost:9001");
        CHECK(r.origin == "http://localhost:9001");
        CHECK(r.key == "MzBYF9uo0Cu7+nOomfthlg==");
        CHECK(strings(r.subprotocols()) == std::vector<std::string>{"chat", "superchat"});
        CHECK_EQ(extensions_text(r.extensions()), " permessage-deflate{client_max_window_bits;}");
        CHECK(r.header("cookie") == std::optional<std::string_view>("sid=9f2c4e7a1b8d3f60"));
        CHECK(r.headers().size() == 14);
        const extension x = *r.extensions().begin();
        CHECK(x.name == "permessage-deflate");
        CHECK(x.text == "permessage-deflate; client_max_window_bits");
        const extension_param p = *x.params().begin();
        CHECK(p.name == "client_max_window_bits");
        CHECK_FALSE(p.has_value);
        CHECK(p.value.empty());
    });
    parse("firefox", [](const http_request& r) {
        CHECK(strings(r.list("connection")) == std::vector<std::string>{"keep-alive", "Upgrade"});
        CHECK_EQ(extensions_text(r.extensions()), " permessage-deflate{}");
        CHECK(r.extensions().begin()->params().empty());
        CHECK(r.subprotocols().empty());
    });
    parse("safari_webkit", [](const http_request& r) {
        CHECK_EQ(extensions_text(r.extensions()), " x-webkit-deflate-frame{}");
        CHECK(r.headers().begin()->name == "Upgrade");
    });
    parse("node_ws", [](const http_request& r) {
        CHECK(r.host == "localhost:9001");
        CHECK(r.origin.empty());
        CHECK_FALSE(r.header("Origin").has_value());
    });
    parse("rfc6455", [](const http_request& r) {
        CHECK(r.host == "server.example.com");
        CHECK(r.origin == "http://example.com");
        CHECK(r.extensions().empty());
    });
}

// ==================================================== split invariance

TEST_CASE("handshake §4.2.1: each sample request gives the same event and request however it is split; "
          "bytes after it are left to the caller") {
    for (const samples::sample& sample : samples::requests) {
        CAPTURE(sample.name);
        const std::size_t block = sample.bytes.size();
        std::string expected;
        {
            server_handshake s;
            const event ev = s.receive(as_bytes(sample.bytes));
            expected = describe(ev) + "\n" + summary(s.request());
        }
        CHECK(expected.rfind(expect(event_type::request, block), 0) == 0);
        for (const std::string& trailing : {std::string(), masked_hello, masked_hello + masked_hello}) {
            const std::string input = std::string(sample.bytes) + trailing;
            CAPTURE(trailing.size());
            for (const std::vector<std::size_t>& parts : test::splits(input.size())) {
                CAPTURE(parts_text(parts));
                server_handshake s;
                const fed f = feed(s, input, parts);
                CHECK_EQ(describe(f.ev) + "\n" + summary(s.request()), expected);
                CHECK_EQ(f.problems, "");
                // The bytes after the block are the caller's: the frame, whole.
                CHECK(input.substr(f.ev.consumed) == trailing);
                CHECK(s.state() == server_handshake_state::upgrade_request);
            }
        }
    }
}

TEST_CASE("handshake §4.1: each sample response gives the same event and response however it is split; "
          "bytes after it are left to the caller") {
    for (const samples::response_sample& sample : samples::responses) {
        CAPTURE(sample.name);
        const std::size_t block = block_length(sample.bytes);
        offer of = offer_for(sample.key);
        std::string expected;
        {
            client_handshake c(of.options(), of.nonce);
            const event ev = c.receive(as_bytes(sample.bytes));
            expected = describe(ev) + "\n" + summary(c.response());
        }
        const bool is_101 = sample.status == 101;
        CHECK(expected.rfind(is_101 ? expect(event_type::open, block)
                                    : expect_failed(error::handshake_not_101, static_cast<std::uint16_t>(sample.status), block, 0),
                             0) == 0);
        // A 101 is followed by frames; another response by its body (already in the sample).
        const std::vector<std::string> trailings = is_101 ? std::vector<std::string>{std::string(), hello} : std::vector<std::string>{std::string()};
        for (const std::string& trailing : trailings) {
            const std::string input = std::string(sample.bytes) + trailing;
            CAPTURE(trailing.size());
            for (const std::vector<std::size_t>& parts : test::splits(input.size())) {
                CAPTURE(parts_text(parts));
                client_handshake c(of.options(), of.nonce);
                const fed f = feed(c, input, parts);
                CHECK_EQ(describe(f.ev) + "\n" + summary(c.response()), expected);
                CHECK_EQ(f.problems, "");
                CHECK(input.substr(f.ev.consumed) == input.substr(block));
                // A refusal's body: what came with the headers, up to Content-Length.
                std::string body = is_101 ? std::string() : input.substr(block, f.end - block);
                if (c.response().content_length && body.size() > *c.response().content_length)
                    body.resize(static_cast<std::size_t>(*c.response().content_length));
                CHECK_EQ(std::string(c.response().body), body);
                CHECK(c.state() == (is_101 ? client_handshake_state::open : client_handshake_state::failed));
            }
        }
    }
}

// ======================================================== §4.2.1 refusals

namespace {

struct rejection {
    std::string name;
    std::string input;
    error err;
    std::uint16_t status;
    std::size_t position;  ///< of the offending byte in the whole input; 0 when the complete request is judged
};

std::string with_byte(std::string_view before, char c, std::string_view after) {
    std::string s(before);
    s += c;
    s += after;
    return s;
}

std::vector<rejection> rejections() {
    std::vector<rejection> v;
    const auto at = [](const std::string& input, std::string_view needle, std::size_t offset) {
        const std::size_t i = input.find(needle);
        CHECK(i != npos);
        return i + offset;
    };
    const auto line = [&](std::string name, std::string start, error e, std::size_t pos) {
        v.push_back({std::move(name), request(start, good_fields), e, 400, pos});
    };
    // RFC 9112 §3: request-line = method SP request-target SP HTTP-version CRLF.
    line("two spaces before the target", "GET  /chat HTTP/1.1", error::http_bad_request_line, 4);
    line("two spaces before the version", "GET /chat  HTTP/1.1", error::http_bad_request_line, 10);
    line("no version (HTTP/0.9 style)", "GET /chat", error::http_bad_request_line, 9);
    line("space after the version", "GET /chat HTTP/1.1 ", error::http_bad_request_line, 18);
    line("HTTX", "GET /chat HTTX/1.1", error::http_bad_request_line, 13);
    line("lower-case http", "GET /chat http/1.1", error::http_bad_request_line, 10);
    line("version letter", "GET /chat HTTP/1.x", error::http_bad_request_line, 17);
    line("two-digit major", "GET /chat HTTP/11.1", error::http_bad_request_line, 16);
    line("two-digit minor", "GET /chat HTTP/1.10", error::http_bad_request_line, 18);
    line("no minor", "GET /chat HTTP/1", error::http_bad_request_line, 16);
    line("leading space", " GET /chat HTTP/1.1", error::http_bad_request_line, 0);
    line("empty method", " /chat HTTP/1.1", error::http_bad_request_line, 0);
    line("tab after the method", "GET\t/chat HTTP/1.1", error::http_bad_request_line, 3);
    line("method not a token", "G@T /chat HTTP/1.1", error::http_bad_request_line, 1);
    line("DEL in the target", with_byte("GET /ch", '\x7f', "at HTTP/1.1"), error::http_bad_request_line, 7);
    line("NUL in the target", with_byte("GET /ch", '\0', "at HTTP/1.1"), error::http_bad_request_line, 7);
    line("tab in the target", "GET /ch\tat HTTP/1.1", error::http_bad_request_line, 7);
    v.push_back({"bare LF after the request line", "GET /chat HTTP/1.1\n" + good_fields + "\r\n",
                 error::http_bad_line_ending, 400, 18});
    v.push_back({"bare CR after the request line", "GET /chat HTTP/1.1\r" + good_fields + "\r\n",
                 error::http_bad_line_ending, 400, 18});
    // RFC 9112 §5: field-line = field-name ":" OWS field-value OWS.
    {
        const std::string r = with("Bad Name: x\r\n");
        v.push_back({"space in a field name", r, error::http_bad_header, 400, at(r, "Bad Name", 3)});
    }
    {
        const std::string r = replacing("Host:", "Host :");
        v.push_back({"space before the colon (RFC 9112 §5.1)", r, error::http_bad_header, 400, at(r, "Host :", 4)});
    }
    {
        const std::string r = replacing("Host:", "Host\t:");
        v.push_back({"tab before the colon", r, error::http_bad_header, 400, at(r, "Host\t:", 4)});
    }
    {
        const std::string r = with(": x\r\n");
        v.push_back({"empty field name", r, error::http_bad_header, 400, at(r, "\r\n: x", 2)});
    }
    {
        const std::string r = with("NoColon\r\n");
        v.push_back({"no colon", r, error::http_bad_header, 400, at(r, "NoColon", 7)});
    }
    {
        const std::string r = with("X(y): z\r\n");
        v.push_back({"field name not a token", r, error::http_bad_header, 400, at(r, "X(y)", 1)});
    }
    {
        const std::string r = with("X-Y\n: z\r\n");
        v.push_back({"LF in a field name", r, error::http_bad_header, 400, at(r, "X-Y\n", 3)});
    }
    // RFC 9110 §5.5: no control bytes in a value but HTAB.
    for (char c : {'\0', '\x01', '\x08', '\x0b', '\x0c', '\x1f', '\x7f'}) {
        const std::string r = with(with_byte("X-A: a", c, "b\r\n"));
        v.push_back({"control byte " + std::to_string(static_cast<int>(c)) + " in a value", r,
                     error::http_bad_header_value, 400, at(r, "X-A: a", 6)});
    }
    {
        const std::string r = with(with_byte("X-A: ", '\0', "\r\n"));
        v.push_back({"NUL as the whole value", r, error::http_bad_header_value, 400, at(r, "X-A: ", 5)});
    }
    {
        const std::string r = replacing("Sec-WebSocket-Key: dGhl", with_byte("Sec-WebSocket-Key: dG", '\0', "hl"));
        v.push_back({"NUL inside the key", r, error::http_bad_header_value, 400, at(r, "Key: dG", 7)});
    }
    // RFC 9112 §5.2: obs-fold is rejected.
    {
        const std::string r = with("X-A: a\r\n b\r\n");
        v.push_back({"obs-fold with a space", r, error::http_obs_fold, 400, at(r, "\r\n b", 2)});
    }
    {
        const std::string r = with("X-A: a\r\n\tb\r\n");
        v.push_back({"obs-fold with a tab", r, error::http_obs_fold, 400, at(r, "\r\n\tb", 2)});
    }
    {
        const std::string r = request("GET /chat HTTP/1.1", " Host: server.example.com\r\n" + good_fields.substr(26));
        v.push_back({"first field line starts with a space", r, error::http_obs_fold, 400, 20});
    }
    // RFC 9112 §2.2: lines end in CRLF.
    {
        const std::string r = with("X-A: a\nX-B: b\r\n");
        v.push_back({"bare LF ending a field line", r, error::http_bad_line_ending, 400, at(r, "a\nX-B", 1)});
    }
    {
        const std::string r = with("X-A: a\rb\r\n");
        v.push_back({"bare CR inside a value", r, error::http_bad_line_ending, 400, at(r, "a\rb", 1)});
    }
    {
        const std::string r = "GET /chat HTTP/1.1\r\n" + good_fields + "\n";
        v.push_back({"bare LF as the blank line", r, error::http_bad_line_ending, 400, r.size() - 1});
    }
    {
        const std::string r = "GET /chat HTTP/1.1\r\n" + good_fields + "\rX\r\n\r\n";
        v.push_back({"bare CR as the blank line", r, error::http_bad_line_ending, 400, 20 + good_fields.size()});
    }
    {
        const std::string r = "GET /chat HTTP/1.1\r\n" + good_fields + "X-A: a\r\r\n\r\n";
        v.push_back({"CR CR LF", r, error::http_bad_line_ending, 400, at(r, "a\r\r", 1)});
    }
    // Versions (RFC 9112 §2.6) and the upgrade's method (RFC 6455 §4.1 item 2).
    v.push_back({"HTTP/2.0", request("GET /chat HTTP/2.0", good_fields), error::http_version_not_supported, 505, 0});
    v.push_back({"HTTP/0.9", request("GET /chat HTTP/0.9", good_fields), error::http_version_not_supported, 505, 0});
    v.push_back({"HTTP/1.0 upgrade", request("GET /chat HTTP/1.0", good_fields), error::handshake_http_too_old, 400, 0});
    v.push_back({"HTTP/1.0 upgrade without Host", request("GET /chat HTTP/1.0", good_fields.substr(26)),
                 error::handshake_http_too_old, 400, 0});
    v.push_back({"POST upgrade", request("POST /chat HTTP/1.1", good_fields), error::handshake_method_not_get, 405, 0});
    v.push_back({"lower-case get (methods are case-sensitive)", request("get /chat HTTP/1.1", good_fields),
                 error::handshake_method_not_get, 405, 0});
    v.push_back({"CONNECT upgrade", request("CONNECT server.example.com:80 HTTP/1.1", good_fields),
                 error::handshake_method_not_get, 405, 0});
    // §4.1 items 4-9, §4.2.1.
    v.push_back({"no Host", replacing("Host: server.example.com\r\n", ""), error::handshake_no_host, 400, 0});
    v.push_back({"two Hosts", with("Host: other.example.com\r\n"), error::handshake_duplicate_header, 400, 0});
    v.push_back({"two equal Hosts", with("Host: server.example.com\r\n"), error::handshake_duplicate_header, 400, 0});
    v.push_back({"no Connection", replacing("Connection: Upgrade\r\n", ""), error::handshake_no_connection_upgrade, 400, 0});
    v.push_back({"Connection without Upgrade", replacing("Connection: Upgrade", "Connection: keep-alive"),
                 error::handshake_no_connection_upgrade, 400, 0});
    v.push_back({"Connection: Upgrades", replacing("Connection: Upgrade", "Connection: Upgrades"),
                 error::handshake_no_connection_upgrade, 400, 0});
    // §4.2.1 item 3: a WebSocket request (a key, a version, or Connection: upgrade
    // with no Upgrade field) without Upgrade: websocket is refused, not served as a page.
    v.push_back({"no Upgrade", replacing("Upgrade: websocket\r\n", ""), error::handshake_no_upgrade_header, 400, 0});
    v.push_back({"Upgrade: h2c with the WebSocket fields", replacing("Upgrade: websocket", "Upgrade: h2c"),
                 error::handshake_no_upgrade_header, 400, 0});
    v.push_back({"Upgrade: websockets", replacing("Upgrade: websocket", "Upgrade: websockets"),
                 error::handshake_no_upgrade_header, 400, 0});
    v.push_back({"key alone", request("GET /chat HTTP/1.1", "Host: h\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"),
                 error::handshake_no_upgrade_header, 400, 0});
    v.push_back({"version alone", request("GET /chat HTTP/1.1", "Host: h\r\nSec-WebSocket-Version: 13\r\n"),
                 error::handshake_no_upgrade_header, 400, 0});
    v.push_back({"Connection: Upgrade alone", request("GET /chat HTTP/1.1", "Host: h\r\nConnection: keep-alive, Upgrade\r\n"),
                 error::handshake_no_upgrade_header, 400, 0});
    // The missing Upgrade is reported before what only an upgrade request must get right.
    v.push_back({"no Upgrade and version 8", request("GET /chat HTTP/1.1", "Host: h\r\nSec-WebSocket-Version: 8\r\n"),
                 error::handshake_no_upgrade_header, 400, 0});
    v.push_back({"POST with a key, no Upgrade", request("POST /chat HTTP/1.1", "Host: h\r\nSec-WebSocket-Key: x\r\n"),
                 error::handshake_no_upgrade_header, 400, 0});
    v.push_back({"HTTP/1.0 with a version, no Upgrade", request("GET /chat HTTP/1.0", "Sec-WebSocket-Version: 13\r\n"),
                 error::handshake_no_upgrade_header, 400, 0});
    v.push_back({"no version", replacing("Sec-WebSocket-Version: 13\r\n", ""), error::handshake_bad_version, 426, 0});
    v.push_back({"version 8", replacing("Version: 13", "Version: 8"), error::handshake_bad_version, 426, 0});
    v.push_back({"version 13, 8", replacing("Version: 13", "Version: 13, 8"), error::handshake_bad_version, 426, 0});
    v.push_back({"version 013", replacing("Version: 13", "Version: 013"), error::handshake_bad_version, 426, 0});
    v.push_back({"empty version", replacing("Version: 13", "Version:"), error::handshake_bad_version, 426, 0});
    v.push_back({"two versions", with("Sec-WebSocket-Version: 13\r\n"), error::handshake_duplicate_header, 400, 0});
    v.push_back({"no key", replacing("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", ""), error::handshake_bad_key, 400, 0});
    v.push_back({"empty key", replacing(rfc_key, ""), error::handshake_bad_key, 400, 0});
    v.push_back({"key of 15 bytes", replacing(rfc_key, "QUFBQUFBQUFBQUFBQUFB"), error::handshake_bad_key, 400, 0});
    v.push_back({"key of 17 bytes", replacing(rfc_key, "QUFBQUFBQUFBQUFBQUFBQUE="), error::handshake_bad_key, 400, 0});
    v.push_back({"key of 18 bytes", replacing(rfc_key, "QUFBQUFBQUFBQUFBQUFBQUFB"), error::handshake_bad_key, 400, 0});
    v.push_back({"key in base64url", replacing(rfc_key, "dGhlIHNhbXBsZSBub25j_Q=="), error::handshake_bad_key, 400, 0});
    v.push_back({"two keys", with("Sec-WebSocket-Key: x3JJHMbDL1EzLkh9GBhXDw==\r\n"), error::handshake_duplicate_header, 400, 0});
    v.push_back({"two Origins", with("Origin: http://a.example\r\nOrigin: http://b.example\r\n"),
                 error::handshake_duplicate_header, 400, 0});
    v.push_back({"subprotocol with a space", with("Sec-WebSocket-Protocol: chat, sup er\r\n"), error::handshake_bad_subprotocols, 400, 0});
    v.push_back({"subprotocol with a semicolon", with("Sec-WebSocket-Protocol: chat;v=1\r\n"), error::handshake_bad_subprotocols, 400, 0});
    v.push_back({"bad subprotocol in a second line", with("Sec-WebSocket-Protocol: chat\r\nSec-WebSocket-Protocol: a/b\r\n"),
                 error::handshake_bad_subprotocols, 400, 0});
    // §9.1: extension = extension-token *( ";" extension-param ).
    v.push_back({"extension parameter without a name", with("Sec-WebSocket-Extensions: permessage-deflate; =1\r\n"),
                 error::handshake_bad_extensions, 400, 0});
    v.push_back({"quoted extension value with a space", with("Sec-WebSocket-Extensions: foo; bar=\"a b\"\r\n"),
                 error::handshake_bad_extensions, 400, 0});
    v.push_back({"empty quoted extension value", with("Sec-WebSocket-Extensions: foo; bar=\"\"\r\n"),
                 error::handshake_bad_extensions, 400, 0});
    v.push_back({"extension parameter with an empty value", with("Sec-WebSocket-Extensions: foo; bar=\r\n"),
                 error::handshake_bad_extensions, 400, 0});
    v.push_back({"trailing semicolon", with("Sec-WebSocket-Extensions: permessage-deflate;\r\n"),
                 error::handshake_bad_extensions, 400, 0});
    v.push_back({"extension name not a token", with("Sec-WebSocket-Extensions: per/message\r\n"),
                 error::handshake_bad_extensions, 400, 0});
    v.push_back({"unterminated quote", with("Sec-WebSocket-Extensions: foo; bar=\"x\r\n"),
                 error::handshake_bad_extensions, 400, 0});
    // An upgrade request carries no body (RFC 9110 §9.3.1; a body would be read as frames).
    v.push_back({"Content-Length: 5", with("Content-Length: 5\r\n"), error::handshake_request_body, 400, 0});
    v.push_back({"Transfer-Encoding", with("Transfer-Encoding: chunked\r\n"), error::handshake_request_body, 400, 0});
    v.push_back({"Transfer-Encoding with Content-Length: 0", with("Content-Length: 0\r\nTransfer-Encoding: chunked\r\n"),
                 error::handshake_request_body, 400, 0});
    // RFC 9112 §6.3: an invalid Content-Length is unrecoverable.
    v.push_back({"Content-Length: abc", with("Content-Length: abc\r\n"), error::http_bad_header_value, 400, 0});
    v.push_back({"Content-Length: -1", with("Content-Length: -1\r\n"), error::http_bad_header_value, 400, 0});
    v.push_back({"Content-Length: 1, 1", with("Content-Length: 1, 1\r\n"), error::http_bad_header_value, 400, 0});
    v.push_back({"Content-Length: 20 digits", with("Content-Length: 10000000000000000000\r\n"), error::http_bad_header_value, 400, 0});
    v.push_back({"empty Content-Length", with("Content-Length:\r\n"), error::http_bad_header_value, 400, 0});
    v.push_back({"two different Content-Lengths", with("Content-Length: 0\r\nContent-Length: 1\r\n"),
                 error::handshake_duplicate_header, 400, 0});
    v.push_back({"bad Content-Length on a plain request", request("GET / HTTP/1.1", "Host: h\r\nContent-Length: x\r\n"),
                 error::http_bad_header_value, 400, 0});
    v.push_back({"plain request without Host", request("GET / HTTP/1.1", "Accept: */*\r\n"), error::handshake_no_host, 400, 0});
    v.push_back({"plain HTTP/2.0 request", request("GET / HTTP/2.0", "Host: h\r\n"), error::http_version_not_supported, 505, 0});
    // Limits (§4.2.1 leaves them to the server; 431 per RFC 6585 §5).
    {
        std::string fields = good_fields;
        for (int i = 0; i < 96; ++i) fields += "X-" + std::to_string(i) + ": x\r\n";
        const std::string r = request("GET /chat HTTP/1.1", fields);
        v.push_back({"101 fields", r, error::http_too_many_headers, 431, at(r, "X-95:", 0)});
    }
    return v;
}

/// A request of exactly `size` bytes (padded with an X-Pad field; at least 160).
std::string request_of_size(std::size_t size) {
    const std::string base = with("X-Pad: \r\n");
    CHECK(size >= base.size());
    if (size < base.size()) return base;
    std::string r = with("X-Pad: " + std::string(size - base.size(), 'p') + "\r\n");
    CHECK(r.size() == size);
    return r;
}

void check_error_response(std::string_view out, error e, std::uint16_t status) {
    CHECK(out.rfind(status_line(status), 0) == 0);
    const std::size_t head = block_length(out);
    CHECK(head <= out.size());
    const std::vector<field> fs = fields_of(out);
    CHECK_EQ(first_value(fs, "Connection"), status == 426 ? "upgrade, close" : "close");
    CHECK_EQ(first_value(fs, "Content-Length"), std::to_string(out.size() - head));
    CHECK_EQ(std::string(out.substr(head)), std::string(error_message(e)) + "\n");
    if (status == 405) CHECK_EQ(first_value(fs, "Allow"), "GET");
    if (status == 426) CHECK_EQ(first_value(fs, "Sec-WebSocket-Version"), "13");
    if (status == 426) CHECK_EQ(first_value(fs, "Upgrade"), "websocket");  // RFC 9110 §15.5.22
}

}  // namespace

TEST_CASE("handshake §4.2.1 §4.2.2 RFC 9112: every refusal has its error, its status and a complete error response") {
    for (const rejection& r : rejections()) {
        CAPTURE(r.name);
        CAPTURE(r.input);
        CHECK(http_status_for(r.err) == r.status);
        server_handshake s;
        const event ev = s.receive(as_bytes(r.input));
        CHECK_EQ(describe(ev), expect_failed(r.err, r.status, r.input.size(), r.position));
        CHECK(s.state() == server_handshake_state::failed);
        CHECK(s.failure() == r.err);
        const std::string out = text(s.output());
        check_error_response(out, r.err, r.status);
        // Nothing more is read, and nothing else can be answered.
        CHECK_EQ(describe(s.receive(as_bytes(good_fields))), expect(event_type::need_more, 0));
        CHECK(s.accept() == error::handshake_not_ready);
        CHECK(s.respond(200) == error::handshake_not_ready);
        CHECK(text(s.output()) == out);
        // The output is acknowledged as written.
        s.consume(5);
        CHECK(text(s.output()) == out.substr(5));
        s.consume(out.size());
        CHECK(s.output().empty());
    }
}

TEST_CASE("handshake §4.2.1 RFC 9112: every refusal is the same however the request is split") {
    for (const rejection& r : rejections()) {
        CAPTURE(r.name);
        std::string out;
        {
            server_handshake s;
            (void)s.receive(as_bytes(r.input));
            out = text(s.output());
        }
        for (const std::vector<std::size_t>& parts : two_way(r.input.size())) {
            CAPTURE(parts_text(parts));
            server_handshake s;
            const fed f = feed(s, r.input, parts);
            CHECK(s.failure() == r.err);
            CHECK_EQ(failure_of(f.ev), "failed err=" + std::string(error_name(r.err)) + " status=" + std::to_string(r.status) +
                                           " action=linger");
            CHECK_EQ(f.problems, "");
            CHECK(text(s.output()) == out);
        }
    }
}

TEST_CASE("handshake §4.2.1: the exact error responses for 400, 405, 426, 431 and 505") {
    const auto out = [](const std::string& input, const handshake_options& o = {}) {
        server_handshake s(o);
        (void)s.receive(as_bytes(input));
        return text(s.output());
    };
    CHECK_EQ(out(replacing("Host: server.example.com\r\n", "")),
             "HTTP/1.1 400 Bad Request\r\n"
             "Content-Type: text/plain; charset=utf-8\r\n"
             "Content-Length: 27\r\n"
             "Connection: close\r\n"
             "\r\n"
             "request has no Host header\n");
    CHECK_EQ(out(request("POST /chat HTTP/1.1", good_fields)),
             "HTTP/1.1 405 Method Not Allowed\r\n"
             "Allow: GET\r\n"
             "Content-Type: text/plain; charset=utf-8\r\n"
             "Content-Length: 45\r\n"
             "Connection: close\r\n"
             "\r\n"
             "WebSocket upgrade request method must be GET\n");
    // §4.2.2 item 4: the versions the server supports, in a Sec-WebSocket-Version header.
    CHECK_EQ(out(replacing("Version: 13", "Version: 8")),
             "HTTP/1.1 426 Upgrade Required\r\n"
             "Upgrade: websocket\r\n"  // RFC 9110 §15.5.22
             "Sec-WebSocket-Version: 13\r\n"
             "Content-Type: text/plain; charset=utf-8\r\n"
             "Content-Length: 33\r\n"
             "Connection: upgrade, close\r\n"
             "\r\n"
             "Sec-WebSocket-Version must be 13\n");
    handshake_options small;
    small.max_header_bytes = 64;
    CHECK_EQ(out(std::string(samples::requests[0].bytes), small),
             error_response(error::http_headers_too_large, "HTTP/1.1 431 Request Header Fields Too Large\r\n"));
    CHECK_EQ(out(request("GET /chat HTTP/2.0", good_fields)),
             error_response(error::http_version_not_supported, "HTTP/1.1 505 HTTP Version Not Supported\r\n"));
    CHECK_EQ(out(with("Content-Length: 5\r\n")), error_response(error::handshake_request_body, status_line(400)));
}

TEST_CASE("handshake §4.2.1: a refusal found in the complete request consumes the block; a malformed one, the input") {
    // Judged once complete: the bytes after the block are not consumed.
    {
        const std::string r = replacing("Host: server.example.com\r\n", "");
        const std::string input = r + masked_hello;
        server_handshake s;
        CHECK_EQ(describe(s.receive(as_bytes(input))), expect_failed(error::handshake_no_host, 400, r.size(), 0));
    }
    // Malformed: parsing stops at the offending byte, and the connection is over.
    {
        const std::string r = with("Bad Name: x\r\n");
        const std::string input = r + masked_hello;
        server_handshake s;
        CHECK_EQ(describe(s.receive(as_bytes(input))),
                 expect_failed(error::http_bad_header, 400, input.size(), r.find("Bad Name") + 3));
    }
    // Found in a later piece: the position is in that piece.
    {
        const std::string r = with("X-A: a\x01\r\n");
        const std::size_t bad = r.find('\x01');
        server_handshake s;
        CHECK_EQ(describe(s.receive(as_bytes(std::string_view(r).substr(0, 10)))), expect(event_type::need_more, 10));
        CHECK_EQ(describe(s.receive(as_bytes(std::string_view(r).substr(10)))),
                 expect_failed(error::http_bad_header_value, 400, r.size() - 10, bad - 10));
    }
    // Found in the first piece, before the block ends: reported at once (fail fast).
    {
        const std::string r = with("X-A: a\x01\r\n");
        const std::size_t bad = r.find('\x01');
        server_handshake s;
        CHECK_EQ(describe(s.receive(as_bytes(std::string_view(r).substr(0, bad + 2)))),
                 expect_failed(error::http_bad_header_value, 400, bad + 2, bad));
    }
}

TEST_CASE("handshake §4.2.1: control bytes in a value are found at every offset; HTAB and obs-text are allowed") {
    // The value scan runs eight bytes at a time: put the byte at every offset of a long value.
    for (std::size_t offset = 0; offset < 40; ++offset) {
        for (int c = 0; c < 256; ++c) {
            const bool ctl = (c < 0x20 && c != '\t') || c == 0x7F;
            std::string value(48, 'v');
            value[offset] = static_cast<char>(c);
            const std::string r = with("X-Long: " + value + "\r\n");
            server_handshake s;
            const event ev = s.receive(as_bytes(r));
            CAPTURE(offset);
            CAPTURE(c);
            if (!ctl) {
                if (ev.type != event_type::request) CHECK_EQ(describe(ev), expect(event_type::request, r.size()));
                continue;
            }
            const std::size_t pos = r.find("X-Long: ") + 8 + offset;
            const error e = c == '\r' || c == '\n' ? error::http_bad_line_ending : error::http_bad_header_value;
            CHECK_EQ(describe(ev), expect_failed(e, 400, r.size(), pos));
        }
    }
    // HTAB inside a value is kept; around it, it is OWS and trimmed.
    const std::string r = with("X-Tab: \ta\tb\t \r\nX-Utf8: caf\xc3\xa9 \xff\r\nX-Empty:\r\nX-Spaces:    \r\n");
    server_handshake s;
    CHECK_EQ(describe(s.receive(as_bytes(r))), expect(event_type::request, r.size()));
    CHECK_EQ(text(s.request().header("x-tab")), "'a\tb'");
    CHECK_EQ(text(s.request().header("X-UTF8")), "'caf\xc3\xa9 \xff'");
    CHECK_EQ(text(s.request().header("X-Empty")), "''");
    CHECK_EQ(text(s.request().header("X-Spaces")), "''");
}

TEST_CASE("handshake §4.2.1: what a server accepts beyond the minimal request") {
    const auto accepted = [](const std::string& r) {
        CAPTURE(r);
        server_handshake s;
        const event ev = s.receive(as_bytes(r));
        CHECK_EQ(describe(ev), expect(event_type::request, r.size()));
        CHECK(s.request().upgrade_websocket);
        CHECK(s.request().connection_upgrade);
        const std::string key(s.request().key);
        CHECK(s.accept() == error::none);
        CHECK_EQ(text(s.output()), switching(key));
    };
    // §4.2.1 item 4: Connection is a list holding the token Upgrade, any case.
    accepted(replacing("Connection: Upgrade", "Connection: keep-alive, Upgrade"));
    accepted(replacing("Connection: Upgrade", "Connection: upgrade"));
    accepted(replacing("Connection: Upgrade", "Connection: keep-alive,,UPGRADE ,"));
    accepted(replacing("Connection: Upgrade", "Connection: keep-alive\r\nConnection: Upgrade"));
    // §4.2.1 item 3: Upgrade holds websocket, any case.
    accepted(replacing("Upgrade: websocket", "Upgrade: WebSocket"));
    accepted(replacing("Upgrade: websocket", "Upgrade: h2c, websocket"));
    // Field names in any case; OWS around values.
    accepted(request("GET /chat HTTP/1.1", lower(good_fields)));
    accepted(request("GET /chat HTTP/1.1", upper(good_fields.substr(0, 26)) + good_fields.substr(26)));
    accepted(replacing("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Key:\t  dGhlIHNhbXBsZSBub25jZQ== \t"));
    accepted(replacing("Version: 13", "Version:13"));
    // A body of length 0 is no body.
    accepted(with("Content-Length: 0\r\n"));
    accepted(with("Content-Length: 0\r\nContent-Length: 0\r\n"));
    // Other request targets, an HTTP/1.1 version other than .1 (RFC 9112 §2.6: minor versions are compatible).
    accepted(request("GET /chat?room=1&x=%20 HTTP/1.1", good_fields));
    accepted(request("GET http://server.example.com/chat HTTP/1.1", good_fields));
    accepted(request("GET /caf\xc3\xa9 HTTP/1.1", good_fields));
    accepted(request("GET /chat HTTP/1.2", good_fields));
    // Well-formed lists of subprotocols and extensions, in several lines.
    accepted(with("Sec-WebSocket-Protocol: chat,superchat\r\nSec-WebSocket-Protocol: v2.bin.example\r\n"));
    accepted(with("Sec-WebSocket-Extensions: foo; a=1; b=\"x\"; c, bar\r\nSec-WebSocket-Extensions: baz ; q=\"\\x\"\r\n"));
    accepted(with("Sec-WebSocket-Protocol:\r\nSec-WebSocket-Extensions:\r\n"));
}

TEST_CASE("handshake §4.2.1: header block limits: max_header_bytes (431) and max_headers (431)") {
    const std::size_t limit = handshake_options{}.max_header_bytes;
    CHECK(limit == 8192);
    CHECK(handshake_options{}.max_headers == 100);
    // Exactly at the limit: accepted whole, split, and with a frame behind it.
    const std::string at_limit = request_of_size(limit);
    for (const std::string& input : {at_limit, at_limit + masked_hello}) {
        for (const std::vector<std::size_t>& parts : two_way(input.size())) {
            CAPTURE(parts_text(parts));
            server_handshake s;
            const fed f = feed(s, input, parts);
            CHECK_EQ(describe(f.ev), expect(event_type::request, limit));
            CHECK_EQ(f.problems, "");
        }
    }
    // One byte over: 431 whole (at the byte past the limit) and split.
    const std::string over = request_of_size(limit + 1);
    {
        server_handshake s;
        CHECK_EQ(describe(s.receive(as_bytes(over))), expect_failed(error::http_headers_too_large, 431, over.size(), limit));
        check_error_response(text(s.output()), error::http_headers_too_large, 431);
    }
    for (const std::vector<std::size_t>& parts : two_way(over.size())) {
        CAPTURE(parts_text(parts));
        server_handshake s;
        const fed f = feed(s, over, parts);
        CHECK_EQ(failure_of(f.ev), "failed err=http_headers_too_large status=431 action=linger");
        CHECK_EQ(f.problems, "");
    }
    // An endless header block fails once the limit is reached, not at its end.
    {
        server_handshake s;
        const std::string start = "GET /chat HTTP/1.1\r\nX-Pad: ";
        CHECK_EQ(describe(s.receive(as_bytes(start))), expect(event_type::need_more, start.size()));
        const std::string pad(limit, 'p');
        CHECK_EQ(describe(s.receive(as_bytes(pad))),
                 expect_failed(error::http_headers_too_large, 431, pad.size(), limit - start.size()));
    }
    // A smaller limit.
    handshake_options o;
    o.max_header_bytes = 200;
    {
        const std::string r = request_of_size(200);
        server_handshake s(o);
        CHECK_EQ(describe(s.receive(as_bytes(r))), expect(event_type::request, 200));
    }
    {
        const std::string r = request_of_size(201);
        server_handshake s(o);
        CHECK_EQ(describe(s.receive(as_bytes(r))), expect_failed(error::http_headers_too_large, 431, 201, 200));
    }
    // max_headers: 100 field lines pass, 101 fail at the start of the 101st.
    {
        std::string fields = good_fields;
        for (int i = 0; i < 95; ++i) fields += "X-" + std::to_string(i) + ": x\r\n";
        const std::string r = request("GET /chat HTTP/1.1", fields);
        server_handshake s;
        CHECK_EQ(describe(s.receive(as_bytes(r))), expect(event_type::request, r.size()));
        CHECK(s.request().headers().size() == 100);
    }
    o = handshake_options{};
    o.max_headers = 5;
    {
        server_handshake s(o);
        const std::string r = with("");
        CHECK_EQ(describe(s.receive(as_bytes(r))), expect(event_type::request, r.size()));
    }
    {
        server_handshake s(o);
        const std::string r = with("X-Six: 6\r\n");
        CHECK_EQ(describe(s.receive(as_bytes(r))), expect_failed(error::http_too_many_headers, 431, r.size(), r.find("X-Six")));
        check_error_response(text(s.output()), error::http_too_many_headers, 431);
    }
}

// ======================================================= plain HTTP

TEST_CASE("handshake §4.2.1: a request without Upgrade: websocket is a plain HTTP request to answer") {
    const std::string r = "GET / HTTP/1.1\r\nHost: example.com\r\nAccept: text/html\r\n\r\n";
    server_handshake s;
    CHECK_EQ(describe(s.receive(as_bytes(r))), expect(event_type::http_request, r.size()));
    CHECK(s.state() == server_handshake_state::http_request);
    const http_request& q = s.request();
    CHECK(q.method == "GET");
    CHECK(q.target == "/");
    CHECK(q.version_major == 1);
    CHECK(q.version_minor == 1);
    CHECK(q.host == "example.com");
    CHECK_FALSE(q.upgrade_websocket);
    CHECK_FALSE(q.connection_upgrade);
    CHECK(q.key.empty());
    CHECK(q.raw == r);
    CHECK(lines(q.headers()) == std::vector<std::string>{"Host: example.com", "Accept: text/html"});
    // accept() needs an upgrade request.
    CHECK(s.accept() == error::handshake_not_ready);
    CHECK(s.state() == server_handshake_state::http_request);
    // respond(): status 200-599, valid headers.
    const http_header bad_value[] = {{"X-A", "a\r\nInjected: 1"}};
    const http_header bad_name[] = {{"X A", "a"}};
    const http_header empty_name[] = {{"", "a"}};
    const http_header spaced_value[] = {{"X-A", " a"}};
    CHECK(s.respond(101) == error::invalid_http_input);
    CHECK(s.respond(99) == error::invalid_http_input);
    CHECK(s.respond(199) == error::invalid_http_input);
    CHECK(s.respond(600) == error::invalid_http_input);
    CHECK(s.respond(200, bad_value) == error::invalid_http_input);
    CHECK(s.respond(200, bad_name) == error::invalid_http_input);
    CHECK(s.respond(200, empty_name) == error::invalid_http_input);
    CHECK(s.respond(200, spaced_value) == error::invalid_http_input);
    CHECK(s.output().empty());
    CHECK(s.state() == server_handshake_state::http_request);
    const http_header html[] = {{"Content-Type", "text/html"}};
    CHECK(s.respond(200, html, "<p>hi</p>") == error::none);
    CHECK(s.state() == server_handshake_state::responded);
    CHECK_EQ(text(s.output()),
             "HTTP/1.1 200 OK\r\n"
             "Content-Type: text/html\r\n"
             "Content-Length: 9\r\n"
             "Connection: close\r\n"
             "\r\n"
             "<p>hi</p>");
    CHECK(s.respond(200) == error::handshake_not_ready);
    CHECK(s.accept() == error::handshake_not_ready);
}

TEST_CASE("handshake §4.2.1 item 3: a WebSocket request without Upgrade: websocket fails with 400; other requests stay plain") {
    // Each fails when its block is complete, with this one response.
    const std::string refusal =
        "HTTP/1.1 400 Bad Request\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Length: 109\r\n"
        "Connection: close\r\n"
        "\r\n"
        "WebSocket request (Sec-WebSocket-Key, Sec-WebSocket-Version or Connection: upgrade) lacks Upgrade: websocket\n";
    const std::string attempts[] = {
        // A key (and everything else) but no Upgrade field.
        "GET /chat HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n",
        // A version, with an upgrade to another protocol.
        "GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: h2c\r\nConnection: Upgrade, HTTP2-Settings\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n",
        // Connection: Upgrade, and no Upgrade field to say to what.
        "GET /chat HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\n\r\n",
    };
    for (const std::string& r : attempts) {
        CAPTURE(r);
        server_handshake s;
        CHECK_EQ(describe(s.receive(as_bytes(r))), expect_failed(error::handshake_no_upgrade_header, 400, r.size(), 0));
        CHECK(s.state() == server_handshake_state::failed);
        CHECK(s.failure() == error::handshake_no_upgrade_header);
        CHECK_EQ(text(s.output()), refusal);
        CHECK(s.respond(200) == error::handshake_not_ready);
    }
    CHECK(http_status_for(error::handshake_no_upgrade_header) == 400);
    CHECK(kind_of(error::handshake_no_upgrade_header) == error_kind::http);
    // No WebSocket field and no bare Connection: upgrade: a plain request.
    const std::string plain[] = {
        "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: h2c\r\nConnection: Upgrade, HTTP2-Settings\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: h2c\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
        "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nSec-WebSocket-Protocol: chat\r\nOrigin: http://h\r\n\r\n",
    };
    for (const std::string& r : plain) {
        CAPTURE(r);
        server_handshake s;
        CHECK_EQ(describe(s.receive(as_bytes(r))), expect(event_type::http_request, r.size()));
        CHECK(s.state() == server_handshake_state::http_request);
        CHECK(s.output().empty());
    }
}

TEST_CASE("handshake RFC 9110 §9.3.2: HEAD is answered without a body but with its Content-Length") {
    const std::string r = "HEAD /index.html HTTP/1.1\r\nHost: example.com\r\n\r\n";
    server_handshake s;
    CHECK_EQ(describe(s.receive(as_bytes(r))), expect(event_type::http_request, r.size()));
    CHECK(s.request().method == "HEAD");
    const http_header html[] = {{"Content-Type", "text/html"}};
    CHECK(s.respond(200, html, "<p>hi</p>") == error::none);
    CHECK_EQ(text(s.output()),
             "HTTP/1.1 200 OK\r\n"
             "Content-Type: text/html\r\n"
             "Content-Length: 9\r\n"
             "Connection: close\r\n"
             "\r\n");
}

TEST_CASE("handshake §4.2.1: a plain request's body is left to the caller") {
    const std::string head = "POST /form HTTP/1.1\r\nHost: example.com\r\nContent-Length: 3\r\n\r\n";
    const std::string input = head + "abc";
    for (const std::vector<std::size_t>& parts : two_way(input.size())) {
        CAPTURE(parts_text(parts));
        server_handshake s;
        const fed f = feed(s, input, parts);
        CHECK_EQ(describe(f.ev), expect(event_type::http_request, head.size()));
        CHECK_EQ(f.problems, "");
        CHECK(s.request().method == "POST");
        CHECK(s.request().content_length == std::optional<std::uint64_t>(3));
        CHECK(input.substr(f.ev.consumed) == "abc");
    }
    server_handshake s;
    CHECK(s.receive(as_bytes(input)).type == event_type::http_request);
    CHECK_EQ(describe(s.receive(as_bytes("abc"))), expect(event_type::need_more, 0));
    // Other plain requests: chunked, HTTP/1.0 without Host, an Upgrade to something else.
    const auto plain = [](const std::string& r) {
        CAPTURE(r);
        server_handshake h;
        CHECK_EQ(describe(h.receive(as_bytes(r))), expect(event_type::http_request, r.size()));
        return summary(h.request());
    };
    CHECK(plain("POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n").find("te=1") != npos);
    CHECK(plain("GET / HTTP/1.0\r\n\r\n").find("GET / HTTP/1.0\nhost= ") == 0);
    CHECK(plain("GET / HTTP/1.1\r\nHost: h\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n").find("upgrade=0 connection=1") != npos);
    CHECK(plain("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n").find("OPTIONS * HTTP/1.1") == 0);
}

TEST_CASE("handshake §4.2.2: an upgrade request may be refused with respond()") {
    server_handshake s;
    const std::string_view r = samples::requests[0].bytes;
    CHECK(s.receive(as_bytes(r)).type == event_type::request);
    const http_header h[] = {{"WWW-Authenticate", "Basic realm=\"chat\""}};
    CHECK(s.respond(401, h, "no") == error::none);
    CHECK(s.state() == server_handshake_state::responded);
    CHECK_EQ(text(s.output()),
             "HTTP/1.1 401 Unauthorized\r\n"
             "WWW-Authenticate: Basic realm=\"chat\"\r\n"
             "Content-Length: 2\r\n"
             "Connection: close\r\n"
             "\r\n"
             "no");
    CHECK(s.accept() == error::handshake_not_ready);
    // A status without a known reason phrase keeps the space before the (empty) reason.
    server_handshake t;
    CHECK(t.receive(as_bytes(r)).type == event_type::request);
    CHECK(t.respond(299) == error::none);
    CHECK_EQ(text(t.output()), "HTTP/1.1 299 \r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    // Before a request is read, nothing can be answered.
    server_handshake u;
    CHECK(u.accept() == error::handshake_not_ready);
    CHECK(u.respond(200) == error::handshake_not_ready);
    CHECK(u.state() == server_handshake_state::reading);
    CHECK_EQ(describe(u.receive(as_bytes(r.substr(0, 10)))), expect(event_type::need_more, 10));
    CHECK(u.accept() == error::handshake_not_ready);
}

// ======================================================== accept() options

TEST_CASE("handshake §4.2.2 step 5: accept() options: subprotocol, extensions, more headers") {
    const std::string_view chromium_500 = samples::requests[1].bytes;  // chat, superchat; permessage-deflate
    const std::string_view key = samples::requests[1].key;
    CHECK(std::string(samples::requests[1].name) == "chromium_500");
    const auto ready = [&](server_handshake& s) { CHECK(s.receive(as_bytes(chromium_500)).type == event_type::request); };
    // The subprotocol must be one offered, exactly as offered.
    for (std::string_view p : {"superchat2", "Chat", "chat, superchat", "mqtt"}) {
        CAPTURE(std::string(p));
        server_handshake s;
        ready(s);
        accept_options o;
        o.subprotocol = p;
        CHECK(s.accept(o) == error::subprotocol_not_offered);
        CHECK(s.state() == server_handshake_state::upgrade_request);
        CHECK(s.output().empty());
    }
    {
        server_handshake s;
        ready(s);
        accept_options o;
        o.subprotocol = "superchat";
        CHECK(s.accept(o) == error::none);
        CHECK_EQ(text(s.output()), switching(key, "Sec-WebSocket-Protocol: superchat\r\n"));
    }
    {
        server_handshake s;
        CHECK(s.receive(as_bytes(samples::requests[0].bytes)).type == event_type::request);  // no subprotocol offered
        accept_options o;
        o.subprotocol = "chat";
        CHECK(s.accept(o) == error::subprotocol_not_offered);
    }
    // Extensions: well-formed, and each one offered (by name, any case).
    for (std::string_view x : {"x-webkit-deflate-frame", "permessage-deflate, x-foo", "permessage-deflate; =1",
                               "permessage-deflate; a=\"b c\"", "permessage-deflate\r\nX-Injected: 1", "per message"}) {
        CAPTURE(std::string(x));
        server_handshake s;
        ready(s);
        accept_options o;
        o.extensions = x;
        CHECK(s.accept(o) == error::invalid_http_input);
        CHECK(s.state() == server_handshake_state::upgrade_request);
    }
    {
        server_handshake s;
        ready(s);
        accept_options o;
        o.extensions = "permessage-deflate; server_no_context_takeover";
        CHECK(s.accept(o) == error::none);
        CHECK_EQ(text(s.output()), switching(key, "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n"));
    }
    {
        server_handshake s;
        ready(s);
        accept_options o;
        o.extensions = "Permessage-Deflate; client_max_window_bits=10";
        CHECK(s.accept(o) == error::none);
        CHECK_EQ(text(s.output()), switching(key, "Sec-WebSocket-Extensions: Permessage-Deflate; client_max_window_bits=10\r\n"));
    }
    // More headers, in order, after the handshake's own; invalid ones refused.
    const http_header more[] = {{"Set-Cookie", "sid=1; HttpOnly"}, {"X-Server", "wscodec"}, {"X-Empty", ""}};
    const http_header bad[] = {{"X-Ok", "1"}, {"Bad:Name", "1"}};
    const http_header bad_value[] = {{"X-Bad", "1\n"}};
    {
        server_handshake s;
        ready(s);
        accept_options o;
        o.headers = bad;
        CHECK(s.accept(o) == error::invalid_http_input);
        o.headers = bad_value;
        CHECK(s.accept(o) == error::invalid_http_input);
        // A failed accept() leaves the request waiting: everything at once now.
        o.subprotocol = "chat";
        o.extensions = "permessage-deflate";
        o.headers = more;
        CHECK(s.accept(o) == error::none);
        CHECK_EQ(text(s.output()), switching(key,
                                             "Sec-WebSocket-Protocol: chat\r\n"
                                             "Sec-WebSocket-Extensions: permessage-deflate\r\n"
                                             "Set-Cookie: sid=1; HttpOnly\r\n"
                                             "X-Server: wscodec\r\n"
                                             "X-Empty: \r\n"));
        // Written in pieces.
        const std::string all = text(s.output());
        s.consume(17);
        CHECK(text(s.output()) == all.substr(17));
        s.consume(0);
        CHECK(text(s.output()) == all.substr(17));
        s.consume(all.size());
        CHECK(s.output().empty());
        CHECK(s.accept(o) == error::handshake_not_ready);
    }
}

// ================================================================ §4.1 client

TEST_CASE("handshake §4.1: the client's request, byte for byte") {
    offer of;
    of.protocols = {"chat", "superchat"};
    of.extensions = {"permessage-deflate; client_max_window_bits", "x-foo"};
    of.headers = {{"Authorization", "Bearer abc"}, {"Cookie", "a=b; c=d"}};
    request_options o = of.options("example.com", 8080, "/chat?room=1");
    o.origin = "https://example.com";
    client_handshake c(o, nonce_1_to_16);
    CHECK(c.state() == client_handshake_state::waiting);
    CHECK(c.failure() == error::none);
    CHECK(c.key() == key_1_to_16);
    const std::string expected =
        "GET /chat?room=1 HTTP/1.1\r\n"
        "Host: example.com:8080\r\n"
        "Upgrade: websocket\r\n"
        "Connection: Upgrade\r\n"
        "Sec-WebSocket-Key: AQIDBAUGBwgJCgsMDQ4PEA==\r\n"
        "Sec-WebSocket-Version: 13\r\n"
        "Origin: https://example.com\r\n"
        "Sec-WebSocket-Protocol: chat, superchat\r\n"
        "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits, x-foo\r\n"
        "Authorization: Bearer abc\r\n"
        "Cookie: a=b; c=d\r\n"
        "\r\n";
    CHECK_EQ(text(c.output()), expected);
    c.consume(4);
    CHECK(text(c.output()) == expected.substr(4));
    c.consume(expected.size());
    CHECK(c.output().empty());
    // The server reads it back as sent.
    server_handshake s;
    CHECK_EQ(describe(s.receive(as_bytes(expected))), expect(event_type::request, expected.size()));
    CHECK(s.request().host == "example.com:8080");
    CHECK(strings(s.request().subprotocols()) == of.protocols);
    CHECK_EQ(extensions_text(s.request().extensions()), " permessage-deflate{client_max_window_bits;} x-foo{}");

    // The least a client sends.
    request_options least;
    least.host = "localhost";
    client_handshake d(least, nonce_1_to_16);
    CHECK_EQ(text(d.output()),
             "GET / HTTP/1.1\r\n"
             "Host: localhost\r\n"
             "Upgrade: websocket\r\n"
             "Connection: Upgrade\r\n"
             "Sec-WebSocket-Key: AQIDBAUGBwgJCgsMDQ4PEA==\r\n"
             "Sec-WebSocket-Version: 13\r\n"
             "\r\n");
    // §4.1 item 7: the key is the nonce in base64.
    std::array<std::uint8_t, 16> zeros{};
    const client_handshake z(least, zeros);
    CHECK(z.key() == "AAAAAAAAAAAAAAAAAAAAAA==");
    const client_handshake k(least, nonce_of(rfc_key));
    CHECK(k.key() == rfc_key);
}

TEST_CASE("handshake §4.1 item 4: Host: IPv6 literals are bracketed, port 0 is left out") {
    const auto host_line = [](std::string_view host, std::uint16_t port) {
        request_options o;
        o.host = host;
        o.port = port;
        client_handshake c(o, nonce_1_to_16);
        CHECK(c.state() == client_handshake_state::waiting);
        const std::string out = text(c.output());
        return first_value(fields_of(out), "Host");
    };
    CHECK_EQ(host_line("::1", 0), "[::1]");
    CHECK_EQ(host_line("::1", 9001), "[::1]:9001");
    CHECK_EQ(host_line("2001:db8::1", 443), "[2001:db8::1]:443");
    CHECK_EQ(host_line("[::1]", 0), "[::1]");
    CHECK_EQ(host_line("[::1]", 80), "[::1]:80");
    CHECK_EQ(host_line("127.0.0.1", 65535), "127.0.0.1:65535");
    CHECK_EQ(host_line("example.com", 0), "example.com");
    CHECK_EQ(host_line("example.com", 1), "example.com:1");
    CHECK_EQ(host_line("::ffff:127.0.0.1", 0), "[::ffff:127.0.0.1]");
    // A port belongs in `port`, brackets only around a whole IPv6 address.
    for (std::string_view bad : {"example.com:8080", "::1]", "[::1", "a]b[", "[]", "[example.com]", "ex ample", "a/b", "a@b"}) {
        CAPTURE(bad);
        request_options o;
        o.host = bad;
        client_handshake c(o, nonce_1_to_16);
        CHECK(c.failure() == error::invalid_http_input);
        CHECK(c.output().empty());
    }
}

TEST_CASE("handshake §4.1: invalid request options fail the client at once with nothing to send") {
    const auto fails = [](const request_options& o) {
        client_handshake c(o, nonce_1_to_16);
        CHECK(c.failure() == error::invalid_http_input);
        CHECK(c.state() == client_handshake_state::failed);
        CHECK(c.output().empty());
        CHECK_EQ(describe(c.receive(as_bytes(switching(c.key())))), expect(event_type::need_more, 0));
        CHECK(c.state() == client_handshake_state::failed);
    };
    const auto base = [] {
        request_options o;
        o.host = "example.com";
        return o;
    };
    for (std::string_view host : {"", "exa mple.com", "example.com/chat", "example.com\r\nX: 1", "a\"b", "a|b", "a@b"}) {
        CAPTURE(std::string(host));
        request_options o = base();
        o.host = host;
        fails(o);
    }
    for (std::string_view target : {"", "chat", "/a b", "/a\tb", "/a\r\nX: 1", "/a\x7f", "*"}) {
        CAPTURE(std::string(target));
        request_options o = base();
        o.target = target;
        fails(o);
    }
    for (std::string_view origin : {"http://a\r\nX: 1", " http://a", "http://a\x01"}) {
        CAPTURE(std::string(origin));
        request_options o = base();
        o.origin = origin;
        fails(o);
    }
    for (std::string_view p : {"", "a b", "chat,superchat", "a/b", "caf\xc3\xa9"}) {
        CAPTURE(std::string(p));
        request_options o = base();
        const std::string_view ps[] = {"chat", p};
        o.subprotocols = ps;
        fails(o);
    }
    for (std::string_view x : {"", "permessage-deflate; =1", "a, b", "foo; bar=\"a b\"", "foo\r\nX: 1"}) {
        CAPTURE(std::string(x));
        request_options o = base();
        const std::string_view xs[] = {x};
        o.extensions = xs;
        fails(o);
    }
    for (const http_header& h : {http_header{"Bad Name", "x"}, http_header{"", "x"}, http_header{"X-A", "a\r\nX-B: b"},
                                 http_header{"X-A", "a\n"}, http_header{"X-A", "a\x7f"}, http_header{"X-A", "a "}}) {
        CAPTURE(std::string(h.name));
        CAPTURE(std::string(h.value));
        request_options o = base();
        const http_header hs[] = {{"X-Ok", "1"}, h};
        o.headers = hs;
        fails(o);
    }
}

TEST_CASE("handshake §4.1: every sample response is read by a client that made the matching offer") {
    for (const samples::response_sample& sample : samples::responses) {
        CAPTURE(sample.name);
        offer of = offer_for(sample.key);
        client_handshake c(of.options(), of.nonce);
        CHECK(c.key() == sample.key);
        const std::size_t block = block_length(sample.bytes);
        const std::vector<field> fs = fields_of(sample.bytes);
        const std::string_view body = sample.bytes.substr(block);
        const event ev = c.receive(as_bytes(sample.bytes));
        const http_response& r = c.response();
        CHECK(r.status == sample.status);
        CHECK(r.version_major == 1);
        CHECK(r.version_minor == 1);
        const std::string first_line(sample.bytes.substr(0, sample.bytes.find("\r\n")));
        CHECK_EQ(std::string(r.reason), first_line.substr(13));
        CHECK(lines(r.headers()) == lines(fs));
        for (const field& f : fs) CHECK_EQ(text(r.header(upper(f.name))), "'" + first_value(fs, f.name) + "'");
        CHECK(r.raw == sample.bytes.substr(0, block));
        CHECK(r.raw.data() == sample.bytes.data());
        if (sample.status == 101) {
            CHECK_EQ(describe(ev), expect(event_type::open, block));
            CHECK(c.state() == client_handshake_state::open);
            CHECK(c.failure() == error::none);
            CHECK(r.upgrade_websocket);
            CHECK(r.connection_upgrade);
            CHECK_EQ(std::string(r.accept), text(compute_accept(sample.key)));
            CHECK_EQ(std::string(r.subprotocol), first_value(fs, "Sec-WebSocket-Protocol"));
            CHECK_EQ(extensions_text(r.extensions()), extensions_text(list_of(fs, "Sec-WebSocket-Extensions")));
            CHECK(r.body.empty());
        } else {
            CHECK_EQ(describe(ev), expect_failed(error::handshake_not_101, static_cast<std::uint16_t>(sample.status), block, 0));
            CHECK(c.state() == client_handshake_state::failed);
            CHECK(c.failure() == error::handshake_not_101);
            CHECK(r.content_length == std::optional<std::uint64_t>(body.size()));
            CHECK_EQ(std::string(r.body), std::string(body));
        }
        // Nothing more is read.
        CHECK_EQ(describe(c.receive(as_bytes(hello))), expect(event_type::need_more, 0));
    }
    // The values, spelled out once.
    {
        offer of = offer_for(samples::responses[1].key);
        CHECK(std::string(samples::responses[1].name) == "python_websockets_101");
        client_handshake c(of.options(), of.nonce);
        CHECK(c.receive(as_bytes(samples::responses[1].bytes)).type == event_type::open);
        CHECK_EQ(extensions_text(c.response().extensions()),
                 " permessage-deflate{server_max_window_bits=12;client_max_window_bits=12;}");
        CHECK(c.response().subprotocol.empty());
    }
    {
        offer of = offer_for(samples::responses[5].key);
        CHECK(std::string(samples::responses[5].name) == "nginx_401");
        client_handshake c(of.options(), of.nonce);
        CHECK(c.receive(as_bytes(samples::responses[5].bytes)).http_status == 401);
        CHECK(c.response().reason == "Unauthorized");
        CHECK(c.response().header("www-authenticate") == std::optional<std::string_view>("Basic realm=\"chat\""));
        CHECK(c.response().content_length == std::optional<std::uint64_t>(179));
        CHECK(c.response().body.substr(0, 8) == "<html>\r\n");
    }
}

TEST_CASE("handshake §4.1: a refusal's body is cut at Content-Length, and the 101's frames are not read") {
    offer of;
    client_handshake c(of.options(), nonce_1_to_16);
    const std::string r = "HTTP/1.1 403 Forbidden\r\nContent-Length: 4\r\n\r\n";
    // The body views the caller's input: keep it alive while reading response().body.
    const std::string long_body = r + "nopeEXTRA";
    CHECK_EQ(describe(c.receive(as_bytes(long_body))), expect_failed(error::handshake_not_101, 403, r.size(), 0));
    CHECK(c.response().body == "nope");
    client_handshake d(of.options(), nonce_1_to_16);
    const std::string short_body = r + "no";
    CHECK_EQ(describe(d.receive(as_bytes(short_body))), expect_failed(error::handshake_not_101, 403, r.size(), 0));
    CHECK(d.response().body == "no");
    client_handshake e(of.options(), nonce_1_to_16);
    const std::string open = switching(key_1_to_16);
    const std::string open_and_frame = open + hello;
    CHECK_EQ(describe(e.receive(as_bytes(open_and_frame))), expect(event_type::open, open.size()));
    CHECK(e.response().body.empty());
}

// ====================================================== §4.1 client checks

namespace {

struct bad_response {
    std::string name;
    std::string text;
    error err;
    std::uint16_t code;    ///< the status read, 0 if none
    std::size_t position;  ///< whole input; 0 when the complete response is judged
};

const std::string good_accept = "Sec-WebSocket-Accept: C/0nmHhBztSRGR1CwL6Tf4ZjwpY=\r\n";
const std::string good_101_fields = "Upgrade: websocket\r\nConnection: Upgrade\r\n" + good_accept;

std::string response(std::string_view status, std::string_view fields) {
    return std::string(status) + "\r\n" + std::string(fields) + "\r\n";
}
std::string response_with(std::string_view extra) { return response("HTTP/1.1 101 Switching Protocols", good_101_fields + std::string(extra)); }
std::string response_replacing(std::string_view from, std::string_view to) {
    std::string f = good_101_fields;
    const std::size_t at = f.find(from);
    CHECK(at != npos);
    if (at != npos) f.replace(at, from.size(), to);
    return response("HTTP/1.1 101 Switching Protocols", f);
}

/// The client these responses answer: nonce 01..10, offering chat and permessage-deflate.
offer chat_offer() {
    offer of;
    of.protocols = {"chat"};
    of.extensions = {"permessage-deflate; client_max_window_bits"};
    of.nonce = nonce_1_to_16;
    return of;
}

}  // namespace

TEST_CASE("handshake §4.1: the client's checks of the response, each with its error") {
    CHECK(text(compute_accept(key_1_to_16)) == "C/0nmHhBztSRGR1CwL6Tf4ZjwpY=");
    std::vector<bad_response> v = {
        {"200", response("HTTP/1.1 200 OK", "Content-Length: 0\r\n"), error::handshake_not_101, 200, 0},
        {"HTTP/1.0 403", response("HTTP/1.0 403 Forbidden", ""), error::handshake_not_101, 403, 0},
        {"101 without a reason", response("HTTP/1.1 101 ", good_101_fields), error::none, 101, 0},
        {"no Upgrade", response_replacing("Upgrade: websocket\r\n", ""), error::handshake_no_upgrade_websocket, 101, 0},
        {"Upgrade: h2c", response_replacing("Upgrade: websocket", "Upgrade: h2c"), error::handshake_no_upgrade_websocket, 101, 0},
        {"no Connection", response_replacing("Connection: Upgrade\r\n", ""), error::handshake_no_connection_upgrade, 101, 0},
        {"Connection: keep-alive", response_replacing("Connection: Upgrade", "Connection: keep-alive"),
         error::handshake_no_connection_upgrade, 101, 0},
        {"no Accept", response_replacing(good_accept, ""), error::handshake_bad_accept, 101, 0},
        {"the RFC's Accept for another key", response_replacing("C/0nmHhBztSRGR1CwL6Tf4ZjwpY=", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
         error::handshake_bad_accept, 101, 0},
        {"Accept in another case", response_replacing("C/0nmHhBztSRGR1CwL6Tf4ZjwpY=", "c/0nmHhBztSRGR1CwL6Tf4ZjwpY="),
         error::handshake_bad_accept, 101, 0},
        {"empty Accept", response_replacing("C/0nmHhBztSRGR1CwL6Tf4ZjwpY=", ""), error::handshake_bad_accept, 101, 0},
        {"two Accepts", response_with(good_accept), error::handshake_duplicate_header, 101, 0},
        {"a subprotocol not offered", response_with("Sec-WebSocket-Protocol: superchat\r\n"),
         error::handshake_unexpected_subprotocol, 101, 0},
        {"a list of subprotocols", response_with("Sec-WebSocket-Protocol: chat, superchat\r\n"),
         error::handshake_unexpected_subprotocol, 101, 0},
        {"two subprotocols", response_with("Sec-WebSocket-Protocol: chat\r\nSec-WebSocket-Protocol: chat\r\n"),
         error::handshake_duplicate_header, 101, 0},
        {"an extension not offered", response_with("Sec-WebSocket-Extensions: x-webkit-deflate-frame\r\n"),
         error::handshake_unexpected_extension, 101, 0},
        {"a second extension not offered", response_with("Sec-WebSocket-Extensions: permessage-deflate, x-foo\r\n"),
         error::handshake_unexpected_extension, 101, 0},
        {"a malformed extension", response_with("Sec-WebSocket-Extensions: permessage-deflate; =1\r\n"),
         error::handshake_bad_extensions, 101, 0},
        {"HTTP/1.0 101", response("HTTP/1.0 101 Switching Protocols", good_101_fields), error::handshake_http_too_old, 101, 0},
        {"HTTP/2.0 101", response("HTTP/2.0 101 Switching Protocols", good_101_fields), error::http_version_not_supported, 101, 0},
        {"two-digit status", response("HTTP/1.1 10 Switching Protocols", good_101_fields), error::http_bad_status_line, 0, 11},
        {"letters for a status", response("HTTP/1.1 abc OK", good_101_fields), error::http_bad_status_line, 0, 9},
        {"four-digit status", response("HTTP/1.1 1011 Switching Protocols", good_101_fields), error::http_bad_status_line, 0, 12},
        {"no space before the reason", response("HTTP/1.1 101Switching Protocols", good_101_fields), error::http_bad_status_line, 0, 12},
        {"101 with neither space nor reason", response("HTTP/1.1 101", good_101_fields), error::none, 101, 0},
        {"no space after the version", response("HTTP/1.1101 Switching Protocols", good_101_fields), error::http_bad_status_line, 0, 8},
        {"not HTTP", response("ICY 101 OK", good_101_fields), error::http_bad_status_line, 0, 0},
        {"HTTP/2 without a minor", response("HTTP/2 101 Switching Protocols", good_101_fields), error::http_bad_status_line, 0, 6},
        {"control byte in the reason", response(with_byte("HTTP/1.1 101 Switching", '\x01', " Protocols"), good_101_fields),
         error::http_bad_status_line, 0, 22},
        {"bare LF after the status line", "HTTP/1.1 101 Switching Protocols\n" + good_101_fields + "\r\n",
         error::http_bad_line_ending, 0, 32},
        {"obs-fold", response_with("X-A: a\r\n b\r\n"), error::http_obs_fold, 0, 0},
        {"control byte in a value", response_with(with_byte("X-A: a", '\0', "\r\n")), error::http_bad_header_value, 0, 0},
        {"space before a colon", response_with("X-A : a\r\n"), error::http_bad_header, 0, 0},
    };
    // Positions of field errors, found by search.
    for (bad_response& b : v) {
        if (b.err == error::http_obs_fold) b.position = b.text.find("\r\n b") + 2;
        if (b.err == error::http_bad_header_value) b.position = b.text.find("X-A: a") + 6;
        if (b.err == error::http_bad_header) b.position = b.text.find("X-A :") + 3;
    }
    for (const bad_response& b : v) {
        CAPTURE(b.name);
        CAPTURE(b.text);
        offer of = chat_offer();
        client_handshake c(of.options(), of.nonce);
        const event ev = c.receive(as_bytes(b.text));
        if (b.err == error::none) {
            CHECK_EQ(describe(ev), expect(event_type::open, b.text.size()));
            continue;
        }
        CHECK_EQ(describe(ev), expect_failed(b.err, b.code, b.text.size(), b.position));
        CHECK(c.state() == client_handshake_state::failed);
        CHECK(c.failure() == b.err);
        CHECK_EQ(describe(c.receive(as_bytes(hello))), expect(event_type::need_more, 0));
        // The same failure however it is split.
        for (const std::vector<std::size_t>& parts : two_way(b.text.size())) {
            CAPTURE(parts_text(parts));
            client_handshake d(of.options(), of.nonce);
            const fed f = feed(d, b.text, parts);
            CHECK_EQ(failure_of(f.ev), failure_of(ev));
            CHECK_EQ(f.problems, "");
        }
    }
}

TEST_CASE("handshake §4.1: what a client accepts in a 101") {
    const auto opens = [](const std::string& r, offer of) {
        CAPTURE(r);
        client_handshake c(of.options(), of.nonce);
        CHECK_EQ(describe(c.receive(as_bytes(r))), expect(event_type::open, r.size()));
        return std::string(c.response().subprotocol);
    };
    CHECK(opens(response_replacing("Upgrade: websocket", "Upgrade: WebSocket"), chat_offer()).empty());
    CHECK(opens(response_replacing("Connection: Upgrade", "Connection: keep-alive, upgrade"), chat_offer()).empty());
    CHECK(opens(response("HTTP/1.1 101 Switching Protocols", lower(good_101_fields.substr(0, 41)) + good_accept), chat_offer()).empty());
    CHECK(opens(response_replacing(good_accept, "Sec-WebSocket-Accept:   C/0nmHhBztSRGR1CwL6Tf4ZjwpY=\t\r\n"), chat_offer()).empty());
    CHECK(opens(response_with("Sec-WebSocket-Protocol: chat\r\n"), chat_offer()) == "chat");
    CHECK(opens(response_with("Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n"), chat_offer()).empty());
    CHECK(opens(response_with("Sec-WebSocket-Extensions: PERMESSAGE-DEFLATE\r\n"), chat_offer()).empty());
    CHECK(opens(response("HTTP/1.1 101 Web Socket Protocol Handshake", good_101_fields), chat_offer()).empty());
    CHECK(opens(response("HTTP/1.1 101 \xc3\xa9\tok", good_101_fields), chat_offer()).empty());
    // A client that offered nothing takes no subprotocol and no extension.
    offer none;
    none.nonce = nonce_1_to_16;
    client_handshake c(none.options(), none.nonce);
    CHECK_EQ(describe(c.receive(as_bytes(response_with("Sec-WebSocket-Protocol: chat\r\n")))),
             expect_failed(error::handshake_unexpected_subprotocol, 101, response_with("Sec-WebSocket-Protocol: chat\r\n").size(), 0));
    client_handshake d(none.options(), none.nonce);
    const std::string x = response_with("Sec-WebSocket-Extensions: permessage-deflate\r\n");
    CHECK_EQ(describe(d.receive(as_bytes(x))), expect_failed(error::handshake_unexpected_extension, 101, x.size(), 0));
    // Header limits apply to responses too.
    handshake_options small;
    small.max_header_bytes = 64;
    client_handshake e(none.options(), none.nonce, small);
    const std::string r = response_with("");
    CHECK_EQ(describe(e.receive(as_bytes(r))), expect_failed(error::http_headers_too_large, 0, r.size(), 64));
    small = handshake_options{};
    small.max_headers = 2;
    client_handshake f(none.options(), none.nonce, small);
    CHECK_EQ(describe(f.receive(as_bytes(r))),
             expect_failed(error::http_too_many_headers, 0, r.size(), r.find("Sec-WebSocket-Accept")));
}

// ================================================================ round trip

TEST_CASE("handshake §4.1 §4.2: random client requests are accepted by the server, and its 101 by the client") {
    static const std::string_view hosts[] = {"localhost", "example.com", "127.0.0.1", "::1", "2001:db8::7", "[fe80::1]", "a-b.c_d~e"};
    static const std::string_view targets[] = {"/", "/chat", "/chat?room=1&user=%C3%A9", "/a/b/c/", "/caf\xc3\xa9"};
    static const std::string_view origins[] = {"", "http://localhost:9001", "https://chat.example.com", "null"};
    static const std::string_view protocols[] = {"chat", "superchat", "v2.bin.example", "mqtt", "wamp.2.json", "graphql-ws"};
    static const std::string_view extensions[] = {"permessage-deflate; client_max_window_bits", "permessage-deflate",
                                                  "x-webkit-deflate-frame", "foo; a=1; b=\"x\"; c", "bar"};
    static const http_header headers[] = {{"Authorization", "Bearer x.y.z"}, {"Cookie", "a=b; c=d"},
                                          {"User-Agent", "wscodec-test/1.0 (X11)"}, {"X-Empty", ""},
                                          {"X-Tab", "a\tb"}, {"Pragma", "no-cache"}};
    std::mt19937 rng(6455);
    const auto coin = [&rng] { return (rng() & 1) != 0; };
    for (int round = 0; round < 500; ++round) {
        CAPTURE(round);
        std::vector<std::string_view> ps, xs;
        std::vector<http_header> hs;
        for (std::string_view p : protocols)
            if (coin()) ps.push_back(p);
        for (std::string_view x : extensions)
            if (coin()) xs.push_back(x);
        for (const http_header& h : headers)
            if (coin()) hs.push_back(h);
        request_options o;
        o.host = hosts[rng() % std::size(hosts)];
        o.port = coin() ? static_cast<std::uint16_t>(rng() % 65535 + 1) : 0;
        o.target = targets[rng() % std::size(targets)];
        o.origin = origins[rng() % std::size(origins)];
        o.subprotocols = ps;
        o.extensions = xs;
        o.headers = hs;
        std::array<std::uint8_t, 16> nonce{};
        for (auto& x : nonce) x = static_cast<std::uint8_t>(rng());
        client_handshake c(o, nonce);
        CHECK(c.state() == client_handshake_state::waiting);

        // The request, as the client should write it.
        std::string host = o.host.find(':') != npos && o.host.front() != '[' ? "[" + std::string(o.host) + "]" : std::string(o.host);
        if (o.port != 0) host += ":" + std::to_string(o.port);
        std::string expected = "GET " + std::string(o.target) + " HTTP/1.1\r\nHost: " + host +
                               "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + std::string(c.key()) +
                               "\r\nSec-WebSocket-Version: 13\r\n";
        if (!o.origin.empty()) expected += "Origin: " + std::string(o.origin) + "\r\n";
        const auto join = [](const std::vector<std::string_view>& items) {
            std::string s;
            for (std::string_view i : items) s += (s.empty() ? "" : ", ") + std::string(i);
            return s;
        };
        if (!ps.empty()) expected += "Sec-WebSocket-Protocol: " + join(ps) + "\r\n";
        if (!xs.empty()) expected += "Sec-WebSocket-Extensions: " + join(xs) + "\r\n";
        for (const http_header& h : hs) expected += std::string(h.name) + ": " + std::string(h.value) + "\r\n";
        expected += "\r\n";
        const std::string req = text(c.output());
        CHECK_EQ(req, expected);
        c.consume(req.size());

        // The server reads it in random pieces, with frames behind it or not.
        const std::string trailing = coin() ? masked_hello : std::string();
        const std::string input = req + trailing;
        const std::vector<std::size_t> parts = random_parts(rng, input.size());
        CAPTURE(parts_text(parts));
        server_handshake s;
        const fed f = feed(s, input, parts);
        CHECK_EQ(describe(f.ev), expect(event_type::request, req.size()));
        CHECK_EQ(f.problems, "");
        const http_request& r = s.request();
        CHECK_EQ(std::string(r.host), host);
        CHECK_EQ(std::string(r.target), std::string(o.target));
        CHECK_EQ(std::string(r.origin), std::string(o.origin));
        CHECK_EQ(std::string(r.key), std::string(c.key()));
        CHECK(r.raw == req);
        const std::vector<field> fs = fields_of(req);
        CHECK(lines(r.headers()) == lines(fs));
        CHECK(strings(r.subprotocols()) == std::vector<std::string>(ps.begin(), ps.end()));
        CHECK_EQ(extensions_text(r.extensions()), extensions_text(std::vector<std::string>(xs.begin(), xs.end())));
        for (const http_header& h : hs) CHECK_EQ(text(r.header(lower(h.name))), "'" + std::string(h.value) + "'");

        // The server picks a subprotocol and answers some extensions.
        accept_options a;
        std::string chosen;
        if (!ps.empty() && coin()) chosen = std::string(ps[rng() % ps.size()]);
        a.subprotocol = chosen;
        std::string answer;
        std::vector<std::string> answered_names;
        for (const extension& x : r.extensions()) {
            if (std::find(answered_names.begin(), answered_names.end(), std::string(x.name)) != answered_names.end() || !coin()) continue;
            answered_names.emplace_back(x.name);
            answer += (answer.empty() ? "" : ", ") + std::string(x.name) + (x.name == "permessage-deflate" ? "; server_no_context_takeover" : "");
        }
        a.extensions = answer;
        const http_header set_cookie[] = {{"Set-Cookie", "sid=42"}};
        if (coin()) a.headers = set_cookie;
        CHECK(s.accept(a) == error::none);
        std::string more;
        if (!chosen.empty()) more += "Sec-WebSocket-Protocol: " + chosen + "\r\n";
        if (!answer.empty()) more += "Sec-WebSocket-Extensions: " + answer + "\r\n";
        if (!a.headers.empty()) more += "Set-Cookie: sid=42\r\n";
        const std::string resp = text(s.output());
        CHECK_EQ(resp, switching(c.key(), more));

        // The client reads the 101 in random pieces, with a frame behind it or not.
        const std::string back = resp + (coin() ? hello : std::string());
        const std::vector<std::size_t> back_parts = random_parts(rng, back.size());
        CAPTURE(parts_text(back_parts));
        const fed g = feed(c, back, back_parts);
        CHECK_EQ(describe(g.ev), expect(event_type::open, resp.size()));
        CHECK_EQ(g.problems, "");
        CHECK(c.state() == client_handshake_state::open);
        CHECK_EQ(std::string(c.response().subprotocol), chosen);
        std::string names;
        for (const extension& x : c.response().extensions()) names += std::string(x.name) + " ";
        std::string expected_names;
        for (const std::string& n : answered_names) expected_names += n + " ";
        CHECK_EQ(names, expected_names);
    }
}
