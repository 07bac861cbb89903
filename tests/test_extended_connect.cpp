// SPDX-License-Identifier: MIT
// tests/test_extended_connect.cpp — wscodec/extended_connect.hpp: WebSocket
// over HTTP/2 (RFC 8441) and HTTP/3 (RFC 9220). The caller's HTTP/2 or
// HTTP/3 stack decodes the header list; these helpers validate a request's
// list, build the 200 response's list and the client's request list, and
// validate the response. The stream then carries RFC 6455 frames, read by a
// connection that starts open.
//
// No REQUIRE: the suite also builds with -fno-exceptions.
#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>
#include <wscodec/connection.hpp>
#include <wscodec/extended_connect.hpp>

#include "helpers.hpp"

namespace {

using namespace wscodec;
using test::bytes;

using list = std::vector<http_header>;

/// `name: value` lines, for comparing lists in one CHECK with a readable diff.
std::string show(std::span<const http_header> headers) {
    std::string s;
    for (const http_header& h : headers) s += std::string(h.name) + ": " + std::string(h.value) + "\n";
    return s;
}

/// What Chrome sends over HTTP/2 for `new WebSocket("wss://chat.example.com/chat?room=1", ["chat", "superchat"])`
/// once the server's SETTINGS_ENABLE_CONNECT_PROTOCOL is 1 (RFC 8441 §3):
/// pseudo-headers in Chrome's order (:method, :authority, :scheme, :path,
/// :protocol), lower-case names (RFC 9113 §8.2.1), no Connection, Upgrade or
/// Sec-WebSocket-Key (RFC 8441 §5).
const list chrome = {
    {":method", "CONNECT"},
    {":authority", "chat.example.com"},
    {":scheme", "https"},
    {":path", "/chat?room=1"},
    {":protocol", "websocket"},
    {"pragma", "no-cache"},
    {"cache-control", "no-cache"},
    {"user-agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"},
    {"origin", "https://chat.example.com"},
    {"sec-websocket-version", "13"},
    {"accept-encoding", "gzip, deflate, br, zstd"},
    {"accept-language", "en-US,en;q=0.9"},
    {"sec-websocket-extensions", "permessage-deflate; client_max_window_bits"},
    {"sec-websocket-protocol", "chat, superchat"},
};

/// Firefox 125 (network.http.http2.websockets): :method, :path, :authority,
/// :scheme, :protocol, and the subprotocols in two fields.
const list firefox = {
    {":method", "CONNECT"},
    {":path", "/chat"},
    {":authority", "chat.example.com:8443"},
    {":scheme", "https"},
    {":protocol", "websocket"},
    {"user-agent", "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0"},
    {"accept", "*/*"},
    {"accept-language", "en-US,en;q=0.5"},
    {"accept-encoding", "gzip, deflate, br"},
    {"sec-websocket-version", "13"},
    {"origin", "https://chat.example.com:8443"},
    {"sec-websocket-protocol", "chat"},
    {"sec-websocket-protocol", "superchat"},
    {"sec-websocket-extensions", "permessage-deflate"},
    {"sec-fetch-dest", "empty"},
    {"sec-fetch-mode", "websocket"},
    {"sec-fetch-site", "same-origin"},
    {"pragma", "no-cache"},
    {"cache-control", "no-cache"},
};

std::vector<std::string> strings(span_value_range r) {
    std::vector<std::string> out;
    for (std::string_view x : r) out.emplace_back(x);
    return out;
}

/// `base` with the field at `i` replaced (or removed if `name` is empty).
list with(list base, std::size_t i, std::string_view name, std::string_view value = {}) {
    if (name.empty()) base.erase(base.begin() + static_cast<std::ptrdiff_t>(i));
    else base[i] = {name, value};
    return base;
}

list with_added(list base, std::size_t at, http_header h) {
    base.insert(base.begin() + static_cast<std::ptrdiff_t>(at), h);
    return base;
}

error parse(const list& headers) {
    extended_connect_request r;
    return parse_extended_connect(headers, r);
}

// ============================================================ the request

TEST_CASE("extended CONNECT RFC 8441 §4-§5: Chrome's and Firefox's header lists validate") {
    SUBCASE("chrome") {
        extended_connect_request r;
        CHECK(parse_extended_connect(chrome, r) == error::none);
        CHECK(r.scheme == "https");
        CHECK(r.path == "/chat?room=1");
        CHECK(r.authority == "chat.example.com");
        CHECK(r.origin == "https://chat.example.com");
        CHECK(r.headers.data() == chrome.data());
        CHECK(r.headers.size() == chrome.size());
        CHECK(strings(r.subprotocols()) == std::vector<std::string>{"chat", "superchat"});
        std::vector<std::string> names, texts, params;
        for (const extension& x : r.extensions()) {
            names.emplace_back(x.name);
            texts.emplace_back(x.text);
            for (const extension_param& p : x.params()) params.push_back(std::string(p.name) + (p.has_value ? "=" : ""));
        }
        CHECK(names == std::vector<std::string>{"permessage-deflate"});
        CHECK(texts == std::vector<std::string>{"permessage-deflate; client_max_window_bits"});
        CHECK(params == std::vector<std::string>{"client_max_window_bits"});
    }
    SUBCASE("firefox: subprotocols over two fields, in order") {
        extended_connect_request r;
        CHECK(parse_extended_connect(firefox, r) == error::none);
        CHECK(r.path == "/chat");
        CHECK(r.authority == "chat.example.com:8443");
        CHECK(r.origin == "https://chat.example.com:8443");
        CHECK(strings(r.subprotocols()) == std::vector<std::string>{"chat", "superchat"});
        CHECK(r.subprotocols().size() == 2);
        CHECK(r.extensions().size() == 1);
    }
    SUBCASE("the minimum: five pseudo-headers and the version; no origin, nothing offered") {
        const list minimal = {{":method", "CONNECT"}, {":protocol", "websocket"}, {":scheme", "http"},
                              {":path", "/"},         {":authority", "a:80"},      {"sec-websocket-version", "13"}};
        extended_connect_request r;
        CHECK(parse_extended_connect(minimal, r) == error::none);
        CHECK(r.origin.empty());
        CHECK(r.subprotocols().empty());
        CHECK(r.extensions().empty());
        CHECK(r.scheme == "http");
    }
    SUBCASE("te: trailers is the one TE allowed (RFC 9113 §8.2.2)") {
        CHECK(parse(with_added(chrome, 5, {"te", "trailers"})) == error::none);
    }
}

TEST_CASE("extended CONNECT RFC 8441 §4: each malformed request fails with its error") {
    struct bad {
        const char* name;
        list headers;
        error err;
    };
    // chrome: 0 :method, 1 :authority, 2 :scheme, 3 :path, 4 :protocol, 5.. regular, 9 sec-websocket-version.
    const std::vector<bad> cases{
        {":method GET", with(chrome, 0, ":method", "GET"), error::extended_connect_bad_method},
        {":method connect (methods are case-sensitive)", with(chrome, 0, ":method", "connect"),
         error::extended_connect_bad_method},
        {":method missing", with(chrome, 0, ""), error::extended_connect_bad_method},
        {":protocol missing", with(chrome, 4, ""), error::extended_connect_bad_protocol},
        {":protocol h2c", with(chrome, 4, ":protocol", "h2c"), error::extended_connect_bad_protocol},
        {":protocol empty", with(chrome, 4, ":protocol", ""), error::extended_connect_bad_protocol},
        {":path missing", with(chrome, 3, ""), error::extended_connect_bad_pseudo_header},
        {":path empty", with(chrome, 3, ":path", ""), error::extended_connect_bad_pseudo_header},
        {":scheme missing", with(chrome, 2, ""), error::extended_connect_bad_pseudo_header},
        {":authority missing", with(chrome, 1, ""), error::extended_connect_bad_pseudo_header},
        {":authority empty", with(chrome, 1, ":authority", ""), error::extended_connect_bad_pseudo_header},
        {"duplicate :path", with_added(chrome, 4, {":path", "/other"}), error::extended_connect_bad_pseudo_header},
        {"duplicate :method", with_added(chrome, 1, {":method", "CONNECT"}), error::extended_connect_bad_pseudo_header},
        {"unknown pseudo-header :status", with_added(chrome, 5, {":status", "200"}),
         error::extended_connect_bad_pseudo_header},
        {"unknown pseudo-header :foo", with_added(chrome, 0, {":foo", "bar"}), error::extended_connect_bad_pseudo_header},
        {"pseudo-header after a regular one (RFC 9113 §8.3)", with_added(with(chrome, 4, ""), 6, {":protocol", "websocket"}),
         error::extended_connect_bad_pseudo_header},
        {"empty name", with_added(chrome, 6, {"", "x"}), error::extended_connect_bad_pseudo_header},
        {"connection (RFC 9113 §8.2.2)", with_added(chrome, 6, {"connection", "Upgrade"}),
         error::extended_connect_connection_header},
        {"upgrade", with_added(chrome, 6, {"upgrade", "websocket"}), error::extended_connect_connection_header},
        {"keep-alive", with_added(chrome, 6, {"keep-alive", "timeout=5"}), error::extended_connect_connection_header},
        {"proxy-connection", with_added(chrome, 6, {"proxy-connection", "keep-alive"}),
         error::extended_connect_connection_header},
        {"transfer-encoding", with_added(chrome, 6, {"transfer-encoding", "chunked"}),
         error::extended_connect_connection_header},
        {"upper-case name (RFC 9113 §8.2.1)", with(chrome, 9, "Sec-WebSocket-Version", "13"),
         error::extended_connect_connection_header},
        {"upper-case pseudo-header", with(chrome, 0, ":Method", "CONNECT"), error::extended_connect_connection_header},
        {"version 8", with(chrome, 9, "sec-websocket-version", "8"), error::handshake_bad_version},
        {"version missing", with(chrome, 9, ""), error::handshake_bad_version},
        {"version twice", with_added(chrome, 9, {"sec-websocket-version", "13"}), error::handshake_duplicate_header},
        {"subprotocols not tokens", with(chrome, 13, "sec-websocket-protocol", "chat, s p"),
         error::handshake_bad_subprotocols},
        {"extensions malformed", with(chrome, 12, "sec-websocket-extensions", "permessage-deflate; =1"),
         error::handshake_bad_extensions},
    };
    for (const bad& c : cases) {
        CAPTURE(c.name);
        extended_connect_request r;
        r.path = "untouched";
        const error e = parse_extended_connect(c.headers, r);
        CHECK(std::string(error_name(e)) == std::string(error_name(c.err)));
        CHECK(r.path == "untouched");  // `out` is filled only on success
    }
}

TEST_CASE("extended CONNECT RFC 9113 §8.2.2: no connection-specific field is accepted or built") {
    // "The only exception to this is the TE header field, which MAY be present
    // in an HTTP/2 request; when it is, it MUST NOT contain any value other
    // than 'trailers'."
    CHECK(std::string(error_name(parse(with_added(chrome, 5, {"te", "gzip"})))) == "extended_connect_connection_header");
    // "An endpoint MUST NOT generate an HTTP/2 message containing
    // connection-specific header fields": the builders refuse them in `headers`.
    extended_connect_request req;
    CHECK(parse_extended_connect(chrome, req) == error::none);
    const std::array<http_header, 1> conn{{{"connection", "close"}}};
    std::array<http_header, 8> out{};
    header_list_result res;
    accept_options a;
    a.headers = conn;
    res = build_extended_connect_response(req, a, out);
    CHECK(res.count == 0);
    CHECK(std::string(error_name(res.err)) == "invalid_http_input");
    const std::array<http_header, 1> upgrade{{{"upgrade", "websocket"}}};
    extended_connect_options o;
    o.authority = "a";
    o.headers = upgrade;
    res = build_extended_connect_request(o, out);
    CHECK(res.count == 0);
    CHECK(std::string(error_name(res.err)) == "invalid_http_input");
}

TEST_CASE("extended CONNECT RFC 6455 §4.2.2: the rejection header list") {
    std::array<http_header, 4> out{};
    SUBCASE("version 8: 426 with sec-websocket-version 13") {
        const error e = parse(with(chrome, 9, "sec-websocket-version", "8"));
        CHECK(e == error::handshake_bad_version);
        CHECK(http_status_for(e) == 426);
        const std::size_t n = build_extended_connect_rejection(e, out).count;
        CHECK(n == 2);
        CHECK(show(std::span(out).first(n)) == ":status: 426\nsec-websocket-version: 13\n");
        std::array<http_header, 1> one{};
        CHECK(build_extended_connect_rejection(e, one).count == 0);  // too small
    }
    SUBCASE("every request error: 400, alone") {
        for (const error e : {error::extended_connect_bad_method, error::extended_connect_bad_protocol,
                              error::extended_connect_bad_pseudo_header, error::extended_connect_connection_header,
                              error::handshake_bad_subprotocols, error::handshake_duplicate_header}) {
            CAPTURE(error_name(e));
            CHECK(http_status_for(e) == 400);
            const std::size_t n = build_extended_connect_rejection(e, out).count;
            CHECK(show(std::span(out).first(n)) == ":status: 400\n");
        }
    }
    SUBCASE("an error with no status (not the request's fault) still answers 400") {
        const std::size_t n = build_extended_connect_rejection(error::buffer_too_small, out).count;
        CHECK(show(std::span(out).first(n)) == ":status: 400\n");
    }
    SUBCASE("out of memory: 503") {
        const std::size_t n = build_extended_connect_rejection(error::out_of_memory, out).count;
        CHECK(show(std::span(out).first(n)) == ":status: 503\n");
    }
}

// =========================================================== the response

TEST_CASE("extended CONNECT RFC 8441 §5: the 200 response header list") {
    extended_connect_request req;
    CHECK(parse_extended_connect(chrome, req) == error::none);
    std::array<http_header, 6> out{};
    header_list_result res;

    SUBCASE("nothing chosen: :status 200 alone") {
        res = build_extended_connect_response(req, {}, out);
        const std::size_t n = res.count;
        CHECK(res.err == error::none);
        CHECK(show(std::span(out).first(n)) == ":status: 200\n");
    }
    SUBCASE("subprotocol, extension and more fields, in that order") {
        const std::array<http_header, 2> more{{{"set-cookie", "sid=1"}, {"server", "wscodec-test"}}};
        accept_options o;
        o.subprotocol = "superchat";
        o.extensions = "permessage-deflate; server_no_context_takeover";
        o.headers = more;
        res = build_extended_connect_response(req, o, out);
        const std::size_t n = res.count;
        CHECK(res.err == error::none);
        CHECK(n == 5);
        CHECK(show(std::span(out).first(n)) ==
              ":status: 200\nsec-websocket-protocol: superchat\n"
              "sec-websocket-extensions: permessage-deflate; server_no_context_takeover\n"
              "set-cookie: sid=1\nserver: wscodec-test\n");
        // Exactly fits.
        std::array<http_header, 5> exact{};
        res = build_extended_connect_response(req, o, exact);
        CHECK(res.count == 5);
        CHECK(res.err == error::none);
        // One short: buffer_too_small, nothing written.
        std::array<http_header, 4> small{};
        res = build_extended_connect_response(req, o, small);
        CHECK(res.count == 0);
        CHECK(res.err == error::buffer_too_small);
        CHECK(small[0].name.empty());
    }
    SUBCASE("a subprotocol the client did not offer") {
        accept_options o;
        o.subprotocol = "graphql-ws";
        res = build_extended_connect_response(req, o, out);
        CHECK(res.count == 0);
        CHECK(res.err == error::subprotocol_not_offered);
        o.subprotocol = "Chat";  // exactly as offered (§4.2.2 step 5.4)
        res = build_extended_connect_response(req, o, out);
        CHECK(res.count == 0);
        CHECK(res.err == error::subprotocol_not_offered);
    }
    SUBCASE("invalid input: an upper-case field name, a bad extension text") {
        const http_header upper{"Set-Cookie", "a=b"};
        accept_options o;
        o.headers = std::span(&upper, 1);
        res = build_extended_connect_response(req, o, out);
        CHECK(res.count == 0);
        CHECK(res.err == error::invalid_http_input);
        accept_options x;
        x.extensions = "permessage-deflate;;";
        res = build_extended_connect_response(req, x, out);
        CHECK(res.count == 0);
        CHECK(res.err == error::invalid_http_input);
        const http_header crlf{"x-a", "b\r\nx-b: c"};
        accept_options y;
        y.headers = std::span(&crlf, 1);
        res = build_extended_connect_response(req, y, out);
        CHECK(res.count == 0);
        CHECK(res.err == error::invalid_http_input);
    }
}

TEST_CASE("extended CONNECT RFC 6455 §9.1: the response names only extensions the client offered") {
    // accept() refuses an extension that was not offered (invalid_http_input);
    // the HTTP/2 response must do the same (accept_options::extensions: "each
    // extension must have been offered").
    extended_connect_request req;
    CHECK(parse_extended_connect(chrome, req) == error::none);  // offers permessage-deflate only
    std::array<http_header, 4> out{};
    header_list_result res;
    accept_options o;
    o.extensions = "x-webkit-deflate-frame";
    res = build_extended_connect_response(req, o, out);
    const std::size_t n = res.count;
    CHECK(n == 0);
    CHECK(std::string(error_name(res.err)) == "invalid_http_input");
}

// ====================================================== the client's side

TEST_CASE("extended CONNECT RFC 8441 §4-§5: the client's request header list, and the round trip") {
    const std::array<http_header, 1> more{{{"user-agent", "wscodec-test/0.1"}}};
    extended_connect_options o;
    o.authority = "chat.example.com";
    o.path = "/chat?room=1";
    o.origin = "https://chat.example.com";
    o.subprotocols = "chat, superchat";
    o.extensions = "permessage-deflate; client_max_window_bits";
    o.headers = more;
    std::array<http_header, 12> out{};
    header_list_result res = build_extended_connect_request(o, out);
    const std::size_t n = res.count;
    CHECK(res.err == error::none);
    CHECK(n == 10);
    const std::span<const http_header> request = std::span(out).first(n);
    CHECK(show(request) ==
          ":method: CONNECT\n:protocol: websocket\n:scheme: https\n:path: /chat?room=1\n:authority: chat.example.com\n"
          "sec-websocket-version: 13\norigin: https://chat.example.com\nsec-websocket-protocol: chat, superchat\n"
          "sec-websocket-extensions: permessage-deflate; client_max_window_bits\nuser-agent: wscodec-test/0.1\n");

    SUBCASE("buffer sizes") {
        std::array<http_header, 10> exact{};
        res = build_extended_connect_request(o, exact);
        CHECK(res.count == 10);
        CHECK(res.err == error::none);
        std::array<http_header, 9> small{};
        res = build_extended_connect_request(o, small);
        CHECK(res.count == 0);
        CHECK(res.err == error::buffer_too_small);
        extended_connect_options bare;
        bare.authority = "a";
        res = build_extended_connect_request(bare, out);
        CHECK(res.count == 6);
        CHECK(show(std::span(out).first(6)) == ":method: CONNECT\n:protocol: websocket\n:scheme: https\n:path: /\n"
                                               ":authority: a\nsec-websocket-version: 13\n");
    }
    SUBCASE("invalid options") {
        const auto fails = [&](const extended_connect_options& x) {
            std::array<http_header, 12> tmp{};
            const header_list_result r = build_extended_connect_request(x, tmp);
            return r.count == 0 && r.err == error::invalid_http_input;
        };
        extended_connect_options x = o;
        x.authority = "";
        CHECK(fails(x));
        x = o;
        x.path = "";
        CHECK(fails(x));
        x = o;
        x.scheme = "ht tps";
        CHECK(fails(x));
        x = o;
        x.subprotocols = "chat, s p";
        CHECK(fails(x));
        x = o;
        x.extensions = "permessage-deflate;;";
        CHECK(fails(x));
        x = o;
        const std::array<http_header, 1> upper{{{"User-Agent", "x"}}};
        x.headers = upper;
        CHECK(fails(x));
        x = o;
        x.origin = "https://a\r\nx: y";
        CHECK(fails(x));
    }
    SUBCASE("round trip: the server validates it, answers, the client validates the answer") {
        extended_connect_request req;
        CHECK(parse_extended_connect(request, req) == error::none);
        CHECK(req.scheme == "https");
        CHECK(req.path == "/chat?room=1");
        CHECK(req.authority == "chat.example.com");
        CHECK(req.origin == "https://chat.example.com");
        CHECK(strings(req.subprotocols()) == std::vector<std::string>{"chat", "superchat"});
        std::array<http_header, 4> resp{};
        accept_options a;
        a.subprotocol = "chat";
        a.extensions = "permessage-deflate; client_max_window_bits=15";
        res = build_extended_connect_response(req, a, resp);
        const std::size_t m = res.count;
        CHECK(res.err == error::none);
        CHECK(m == 3);
        CHECK(validate_extended_connect_response(std::span(resp).first(m), o) == error::none);
        // Nothing chosen is fine too; so is any 2xx (RFC 8441 §5: "a 2xx series status code").
        CHECK(validate_extended_connect_response(list{{":status", "200"}}, o) == error::none);
        CHECK(validate_extended_connect_response(list{{":status", "204"}}, o) == error::none);
    }
    SUBCASE("the server refused: extended_connect_rejected") {
        CHECK(validate_extended_connect_response(list{{":status", "403"}, {"content-type", "text/plain"}}, o) ==
              error::extended_connect_rejected);
        CHECK(validate_extended_connect_response(list{{":status", "426"}, {"sec-websocket-version", "13"}}, o) ==
              error::extended_connect_rejected);
        CHECK(validate_extended_connect_response(list{{":status", "101"}}, o) == error::extended_connect_rejected);
        CHECK(validate_extended_connect_response(list{{":status", "2000"}}, o) == error::extended_connect_rejected);
        CHECK(validate_extended_connect_response(list{{":status", "2x0"}}, o) == error::extended_connect_rejected);
        CHECK(validate_extended_connect_response(list{{"content-type", "text/plain"}}, o) == error::extended_connect_rejected);
    }
    SUBCASE("a subprotocol or extension the client did not offer") {
        CHECK(validate_extended_connect_response(list{{":status", "200"}, {"sec-websocket-protocol", "mqtt"}}, o) ==
              error::handshake_unexpected_subprotocol);
        CHECK(validate_extended_connect_response(list{{":status", "200"}, {"sec-websocket-protocol", "chat, superchat"}},
                                                 o) == error::handshake_unexpected_subprotocol);
        CHECK(validate_extended_connect_response(
                  list{{":status", "200"}, {"sec-websocket-protocol", "chat"}, {"sec-websocket-protocol", "chat"}}, o) ==
              error::handshake_duplicate_header);
        CHECK(validate_extended_connect_response(
                  list{{":status", "200"}, {"sec-websocket-extensions", "x-webkit-deflate-frame"}}, o) ==
              error::handshake_unexpected_extension);
        CHECK(validate_extended_connect_response(
                  list{{":status", "200"}, {"sec-websocket-extensions", "permessage-deflate;;"}}, o) ==
              error::handshake_bad_extensions);
        extended_connect_options none = o;
        none.subprotocols = {};
        none.extensions = {};
        CHECK(validate_extended_connect_response(list{{":status", "200"}, {"sec-websocket-protocol", "chat"}}, none) ==
              error::handshake_unexpected_subprotocol);
        CHECK(validate_extended_connect_response(list{{":status", "200"}, {"sec-websocket-extensions", "permessage-deflate"}},
                                                 none) == error::handshake_unexpected_extension);
    }
}

// ======================================= a connection that starts open

TEST_CASE("extended CONNECT RFC 8441 §5: the stream's DATA bytes go to a connection that starts open") {
    // The client side of the stream: a client connection (masking, §5.3 still
    // applies over HTTP/2, RFC 8441 §5) writes frames; the server's HTTP/2
    // stack hands the stream's DATA payloads to a server_connection as they
    // come, cut wherever the DATA frames end.
    connection<role::client, seeded_key_source> client(connection_options{}, seeded_key_source(8441));
    bytes stream;
    const auto drain_client = [&] {
        std::array<std::uint8_t, 1000> tmp;
        for (std::size_t n; (n = client.copy_output(tmp)) > 0;)
            stream.insert(stream.end(), tmp.begin(), tmp.begin() + static_cast<std::ptrdiff_t>(n));
    };
    const std::string hello = "hello over h2";
    bytes big(20000);
    for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<std::uint8_t>(i * 31 + 7);
    CHECK(client.state() == connection_state::open);  // no handshake on the connection itself
    CHECK(client.send_text(hello) == error::none);
    drain_client();
    CHECK(client.ping(test::b("p1")) == error::none);
    drain_client();
    CHECK(client.send_binary(big) == error::none);
    drain_client();
    CHECK(client.close(close_code::normal, "done") == error::none);
    drain_client();

    for (const std::size_t data_frame : {stream.size(), std::size_t{1}, std::size_t{16}, std::size_t{16384}}) {
        CAPTURE(data_frame);
        server_connection server;
        CHECK(server.state() == connection_state::open);
        CHECK(server.timer() == timer_hint::none);
        bytes work = stream;
        std::vector<std::string> events;
        std::string message;
        bytes out;
        for (std::size_t at = 0; at < work.size(); at += data_frame) {
            mutable_bytes in(work.data() + at, std::min(data_frame, work.size() - at));
            for (;;) {
                const event ev = server.receive(in);
                in = in.subspan(ev.consumed);
                if (ev.type == event_type::need_more) break;
                if (ev.type == event_type::data) {
                    message.append(reinterpret_cast<const char*>(ev.payload.data()), ev.payload.size());
                    if (ev.last) {
                        events.push_back((ev.message == message_type::text ? "text " : "binary ") +
                                         std::to_string(message.size()));
                        if (ev.message == message_type::text) CHECK(message == hello);
                        else CHECK(message == std::string(big.begin(), big.end()));
                        message.clear();
                    }
                } else {
                    events.push_back(std::string(event_type_name(ev.type)) + " " + std::to_string(ev.code));
                }
            }
            std::array<std::uint8_t, 256> tmp;
            for (std::size_t n; (n = server.copy_output(tmp)) > 0;)
                out.insert(out.end(), tmp.begin(), tmp.begin() + static_cast<std::ptrdiff_t>(n));
        }
        CHECK(events == std::vector<std::string>{"text 13", "ping 0", "binary 20000", "close 1000", "closed 1000"});
        // The server's DATA: the pong, then the echo of the close (code and reason), unmasked (§5.1).
        CHECK(test::to_hex(out) == "8a 02 70 31 88 06 03 e8 64 6f 6e 65");
        CHECK(server.state() == connection_state::closed);
    }
}

}  // namespace
