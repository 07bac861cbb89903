// SPDX-License-Identifier: MIT
// tests/test_permessage_deflate.cpp — permessage-deflate negotiation (wscodec/permessage_deflate.hpp),
// grouped by RFC 7692 section: the server's choice among the client's offers (§5, §7), each
// of the four parameters (§7.1.1.1, §7.1.1.2, §7.1.2.1, §7.1.2.2) on both sides, the client's
// offer, and a seeded round trip offer → answer → agreement. Every offer and answer is read
// from a guard-page buffer.
#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <wscodec/extended_connect.hpp>
#include <wscodec/permessage_deflate.hpp>

#include "helpers.hpp"

namespace {

using wscodec::deflate_client_options;
using wscodec::deflate_error;
using wscodec::deflate_params;
using wscodec::deflate_server_options;

using test::guarded_text;

deflate_server_options server_on() {
    deflate_server_options o;
    o.enabled = true;
    return o;
}

deflate_client_options client_on() {
    deflate_client_options o;
    o.enabled = true;
    return o;
}

deflate_params params(bool server_nct, bool client_nct, std::uint8_t server_bits, std::uint8_t client_bits) {
    return {server_nct, client_nct, server_bits, client_bits};
}

std::string describe(const deflate_params& p) {
    return "{server_no_context_takeover=" + std::to_string(p.server_no_context_takeover) +
           " client_no_context_takeover=" + std::to_string(p.client_no_context_takeover) +
           " server_max_window_bits=" + std::to_string(p.server_max_window_bits) +
           " client_max_window_bits=" + std::to_string(p.client_max_window_bits) + "}";
}

std::string name(deflate_error e) { return wscodec::deflate_error_name(e); }

/// The server accepts the offer at `index` of `offers`, answering `response` with `agreed`.
void check_accepts(std::string_view offers, const deflate_server_options& o, std::size_t index,
                   std::string_view response, const deflate_params& agreed, std::size_t declined = 0,
                   deflate_error first_decline = deflate_error::none) {
    INFO("offers: ", std::string(offers));
    const guarded_text in(offers);
    std::array<char, wscodec::deflate_text_capacity> out{};
    const auto n = wscodec::negotiate_deflate(in.view(), o, out);
    REQUIRE(name(n.err) == "none");
    REQUIRE(n.accepted);
    CHECK(n.offer_index == index);
    CHECK(std::string(n.response) == std::string(response));
    CHECK(describe(n.params) == describe(agreed));
    CHECK(n.declined == declined);
    CHECK(name(n.first_decline) == name(first_decline));
    CHECK((n.response.empty() || n.response.data() == out.data()));
    CHECK((n.offer.data() >= in.view().data() && n.offer.data() + n.offer.size() <= in.view().data() + in.view().size()));
}

/// The server accepts nothing: `declined` permessage-deflate offers, the first for `why`.
void check_declines(std::string_view offers, const deflate_server_options& o, std::size_t declined,
                    deflate_error why) {
    INFO("offers: ", std::string(offers));
    const guarded_text in(offers);
    std::array<char, wscodec::deflate_text_capacity> out{};
    const auto n = wscodec::negotiate_deflate(in.view(), o, out);
    CHECK(name(n.err) == "none");
    CHECK(!n.accepted);
    CHECK(n.response.empty());
    CHECK(n.declined == declined);
    CHECK(name(n.first_decline) == name(why));
}

/// A single offer the server declines for `why`.
void check_declined(std::string_view offer, deflate_error why, const deflate_server_options& o = server_on()) {
    check_declines(offer, o, 1, why);
}

/// The client agrees to `agreed` on reading `response`.
void check_agrees(std::string_view response, const deflate_client_options& o, const deflate_params& agreed) {
    INFO("response: ", std::string(response));
    const guarded_text in(response);
    const auto a = wscodec::accept_deflate_response(in.view(), o);
    REQUIRE(name(a.err) == "none");
    CHECK(a.agreed);
    CHECK(describe(a.params) == describe(agreed));
}

/// The client fails the handshake on reading `response`, for `why`.
void check_refuses(std::string_view response, const deflate_client_options& o, deflate_error why) {
    INFO("response: ", std::string(response));
    const guarded_text in(response);
    const auto a = wscodec::accept_deflate_response(in.view(), o);
    CHECK(name(a.err) == name(why));
    CHECK(!a.ok());
    CHECK(!a.agreed);
}

std::string offer_text(const deflate_client_options& o) {
    std::array<char, wscodec::deflate_text_capacity> out{};
    const auto t = wscodec::write_deflate_offer(o, out);
    REQUIRE(name(t.err) == "none");
    return std::string(t.text);
}

}  // namespace

// ---------------------------------------------------------------------------------------
// §5, §7: which offer the server accepts

TEST_CASE("RFC 7692 §7.1 example: the simplest offer is accepted as it is") {
    check_accepts("permessage-deflate", server_on(), 0, "permessage-deflate", params(false, false, 15, 15));
}

TEST_CASE("RFC 7692 §7.1 example: client_max_window_bits with no value only says the client can be told a window") {
    check_accepts("permessage-deflate; client_max_window_bits", server_on(), 0, "permessage-deflate",
                  params(false, false, 15, 15));
    auto o = server_on();
    o.client_max_window_bits = 10;
    check_accepts("permessage-deflate; client_max_window_bits", o, 0,
                  "permessage-deflate; client_max_window_bits=10", params(false, false, 15, 10));
}

TEST_CASE("RFC 7692 §7.1 example: an offer with a fallback; the first one the server can honour wins") {
    const std::string_view offers =
        "permessage-deflate; client_max_window_bits; server_max_window_bits=10, permessage-deflate; client_max_window_bits";
    check_accepts(offers, server_on(), 0, "permessage-deflate; server_max_window_bits=10",
                  params(false, false, 10, 15));
    check_accepts("permessage-deflate; server_max_window_bits=10, permessage-deflate", server_on(), 0,
                  "permessage-deflate; server_max_window_bits=10", params(false, false, 10, 15));
    // A server whose compressor cannot use 256 bytes declines the first and takes the fallback.
    check_accepts("permessage-deflate; client_max_window_bits; server_max_window_bits=8, permessage-deflate; client_max_window_bits",
                  server_on(), 1, "permessage-deflate", params(false, false, 15, 15), 1,
                  deflate_error::window_8_unsupported);
}

TEST_CASE("RFC 7692 §7 a declined offer never fails the handshake: the next offer is tried") {
    check_accepts("permessage-deflate; foo, permessage-deflate; server_no_context_takeover; server_no_context_takeover, "
                  "permessage-deflate; server_max_window_bits=16, permessage-deflate; client_max_window_bits=10",
                  server_on(), 3, "permessage-deflate; client_max_window_bits=10", params(false, false, 15, 10), 3,
                  deflate_error::unknown_parameter);
    check_accepts("permessage-deflate; ;, permessage-deflate", server_on(), 1, "permessage-deflate",
                  params(false, false, 15, 15), 1, deflate_error::malformed);
    check_declines("permessage-deflate; x, permessage-deflate; server_max_window_bits", server_on(), 2,
                   deflate_error::unknown_parameter);
}

TEST_CASE("RFC 7692 §5 other extensions are skipped, and counted in the accepted offer's index") {
    check_accepts("x-webkit-deflate-frame, foo; bar=1; baz, permessage-deflate; client_max_window_bits", server_on(), 2,
                  "permessage-deflate", params(false, false, 15, 15));
    check_accepts("permessage-deflate-x, permessage-deflate", server_on(), 1, "permessage-deflate",
                  params(false, false, 15, 15));
    check_declines("foo, bar; baz=\"q\", x-webkit-deflate-frame", server_on(), 0, deflate_error::none);
    check_declines("foo; ;;, bar", server_on(), 0, deflate_error::none);  // a malformed other extension is not ours
}

TEST_CASE("RFC 7692 §5 an empty list, or only empty elements, offers nothing") {
    check_declines("", server_on(), 0, deflate_error::none);
    check_declines(" , ,\t,", server_on(), 0, deflate_error::none);
    check_accepts(", , permessage-deflate ,", server_on(), 0, "permessage-deflate", params(false, false, 15, 15));
}

TEST_CASE("RFC 7692 §5 a server with deflate disabled accepts nothing and declines nothing") {
    deflate_server_options off;
    check_declines("permessage-deflate", off, 0, deflate_error::none);
}

TEST_CASE("RFC 7692 §5 offers across several Sec-WebSocket-Extensions fields are walked in order") {
    // The same list, as the HTTP/1.1 request exposes it...
    wscodec::http_request r;
    r.raw = "GET / HTTP/1.1\r\nSec-WebSocket-Extensions: foo, permessage-deflate; bad\r\nHost: x\r\n"
            "sec-websocket-extensions: permessage-deflate; server_no_context_takeover\r\n\r\n";
    r.extension_fields = 2;
    std::array<char, wscodec::deflate_text_capacity> out{};
    auto n = wscodec::negotiate_deflate(r.extensions(), server_on(), out);
    REQUIRE(n.accepted);
    CHECK(n.offer_index == 2);
    CHECK(n.offer == "permessage-deflate; server_no_context_takeover");
    CHECK(n.response == "permessage-deflate; server_no_context_takeover");
    CHECK(n.declined == 1);
    CHECK(name(n.first_decline) == "unknown_parameter");

    // ...and as an HTTP/2 or HTTP/3 extended CONNECT exposes it.
    const wscodec::http_header fields[] = {{"sec-websocket-extensions", "permessage-deflate; x=1"},
                                           {"origin", "https://a"},
                                           {"sec-websocket-extensions", "permessage-deflate"}};
    wscodec::extended_connect_request c;
    c.headers = fields;
    n = wscodec::negotiate_deflate(c.extensions(), server_on(), out);
    REQUIRE(n.accepted);
    CHECK(n.offer_index == 1);
    CHECK(n.response == "permessage-deflate");
}

TEST_CASE("RFC 7692 §7 the server declines an offer with a parameter permessage-deflate does not define") {
    check_declined("permessage-deflate; foo", deflate_error::unknown_parameter);
    check_declined("permessage-deflate; server_max_window_bits=10; x=1", deflate_error::unknown_parameter);
    check_declined("permessage-deflate; max_window_bits=10", deflate_error::unknown_parameter);
    check_declined("permessage-deflate; server_no_context_takeover_", deflate_error::unknown_parameter);
}

TEST_CASE("RFC 7692 §7 the server declines an offer that repeats a parameter, in any case") {
    check_declined("permessage-deflate; server_no_context_takeover; server_no_context_takeover",
                   deflate_error::duplicate_parameter);
    check_declined("permessage-deflate; client_no_context_takeover; client_no_context_takeover",
                   deflate_error::duplicate_parameter);
    check_declined("permessage-deflate; server_max_window_bits=10; server_max_window_bits=10",
                   deflate_error::duplicate_parameter);
    check_declined("permessage-deflate; client_max_window_bits; CLIENT_MAX_WINDOW_BITS=10",
                   deflate_error::duplicate_parameter);
}

TEST_CASE("RFC 7692 §7 the server declines a permessage-deflate element that is not a well-formed extension") {
    for (std::string_view bad :
         {"permessage-deflate;", "permessage-deflate; ", "permessage-deflate;;client_max_window_bits",
          "permessage-deflate; server_max_window_bits=", "permessage-deflate; server_max_window_bits = 10",
          "permessage-deflate; server_max_window_bits=\"10", "permessage-deflate; server_max_window_bits=\"1 0\"",
          "permessage-deflate; server_max_window_bits=\"\"", "permessage-deflate client_max_window_bits",
          "permessage-deflate; =10", "permessage-deflate; client_max_window_bits=1/0"}) {
        check_declined(bad, deflate_error::malformed);
    }
}

TEST_CASE("RFC 7692 §7 extension and parameter names are compared ignoring case; the answer is in lower case") {
    auto o = server_on();
    o.client_max_window_bits = 12;
    check_accepts("PerMessage-Deflate; Server_No_Context_Takeover; CLIENT_MAX_WINDOW_BITS; Server_Max_Window_Bits=11", o,
                  0, "permessage-deflate; server_no_context_takeover; server_max_window_bits=11; client_max_window_bits=12",
                  params(true, false, 11, 12));
}

TEST_CASE("RFC 7692 §7 whitespace around elements and before and after ';' is optional") {
    check_accepts(" \tpermessage-deflate ;\tclient_no_context_takeover ;server_max_window_bits=12  ,permessage-deflate",
                  server_on(), 0, "permessage-deflate; client_no_context_takeover; server_max_window_bits=12",
                  params(false, true, 12, 15));
}

TEST_CASE("RFC 7692 §7 the server's options must be usable") {
    for (int b : {0, 7, 16, 255}) {
        const auto bits = static_cast<std::uint8_t>(b);
        auto o = server_on();
        o.server_max_window_bits = bits;
        std::array<char, wscodec::deflate_text_capacity> out{};
        CHECK(name(wscodec::negotiate_deflate("permessage-deflate", o, out).err) == "invalid_options");
        o = server_on();
        o.client_max_window_bits = bits;
        CHECK(name(wscodec::negotiate_deflate("permessage-deflate", o, out).err) == "invalid_options");
    }
    auto o = server_on();
    o.server_max_window_bits = 8;  // zlib cannot compress with 8
    std::array<char, wscodec::deflate_text_capacity> out{};
    const auto n = wscodec::negotiate_deflate("permessage-deflate", o, out);
    CHECK(name(n.err) == "invalid_options");
    CHECK(!n.accepted);
    o.can_compress_window_8 = true;
    check_accepts("permessage-deflate", o, 0, "permessage-deflate; server_max_window_bits=8",
                  params(false, false, 8, 15));
}

TEST_CASE("RFC 7692 §7 the answer must fit the caller's buffer; deflate_text_capacity always does") {
    auto o = server_on();
    o.server_no_context_takeover = o.client_no_context_takeover = true;
    o.server_max_window_bits = o.client_max_window_bits = 10;
    const std::string_view longest =
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; "
        "client_max_window_bits=10";
    const std::string_view offer = "permessage-deflate; client_max_window_bits";
    std::array<char, 200> big{};
    const auto n = wscodec::negotiate_deflate(offer, o, big);
    REQUIRE(n.accepted);
    CHECK(n.response == longest);
    CHECK(longest.size() == wscodec::deflate_text_capacity);
    const auto exact = wscodec::negotiate_deflate(offer, o, std::span<char>(big.data(), longest.size()));
    CHECK(exact.response == longest);
    const auto short_by_one = wscodec::negotiate_deflate(offer, o, std::span<char>(big.data(), longest.size() - 1));
    CHECK(name(short_by_one.err) == "buffer_too_small");
    CHECK(!short_by_one.accepted);
    CHECK(short_by_one.response.empty());
}

// ---------------------------------------------------------------------------------------
// §7.1.1.1 server_no_context_takeover

TEST_CASE("RFC 7692 §7.1.1.1 the server accepts server_no_context_takeover by answering with it") {
    check_accepts("permessage-deflate; server_no_context_takeover", server_on(), 0,
                  "permessage-deflate; server_no_context_takeover", params(true, false, 15, 15));
}

TEST_CASE("RFC 7692 §7.1.1.1 the server may answer server_no_context_takeover when not offered") {
    auto o = server_on();
    o.server_no_context_takeover = true;
    check_accepts("permessage-deflate", o, 0, "permessage-deflate; server_no_context_takeover",
                  params(true, false, 15, 15));
    check_agrees("permessage-deflate; server_no_context_takeover", client_on(), params(true, false, 15, 15));
}

TEST_CASE("RFC 7692 §7.1.1.1 server_no_context_takeover has no value") {
    check_declined("permessage-deflate; server_no_context_takeover=1", deflate_error::bad_value);
    check_declined("permessage-deflate; server_no_context_takeover=\"true\"", deflate_error::bad_value);
    check_refuses("permessage-deflate; server_no_context_takeover=1", client_on(), deflate_error::bad_value);
}

TEST_CASE("RFC 7692 §7.1.1.1 a client that asked for server_no_context_takeover fails on an answer without it") {
    auto c = client_on();
    c.server_no_context_takeover = true;
    check_refuses("permessage-deflate", c, deflate_error::missing_server_no_context_takeover);
    check_refuses("permessage-deflate; client_no_context_takeover", c, deflate_error::missing_server_no_context_takeover);
    check_agrees("permessage-deflate; server_no_context_takeover", c, params(true, false, 15, 15));
}

// ---------------------------------------------------------------------------------------
// §7.1.1.2 client_no_context_takeover

TEST_CASE("RFC 7692 §7.1.1.2 an offered client_no_context_takeover is agreed and echoed") {
    check_accepts("permessage-deflate; client_no_context_takeover", server_on(), 0,
                  "permessage-deflate; client_no_context_takeover", params(false, true, 15, 15));
}

TEST_CASE("RFC 7692 §7.1.1.2 the server may answer client_no_context_takeover when not offered") {
    auto o = server_on();
    o.client_no_context_takeover = true;
    check_accepts("permessage-deflate", o, 0, "permessage-deflate; client_no_context_takeover",
                  params(false, true, 15, 15));
    check_agrees("permessage-deflate; client_no_context_takeover", client_on(), params(false, true, 15, 15));
}

TEST_CASE("RFC 7692 §7.1.1.2 a client that offered client_no_context_takeover keeps to it whatever the answer") {
    auto c = client_on();
    c.client_no_context_takeover = true;
    check_agrees("permessage-deflate", c, params(false, true, 15, 15));
}

TEST_CASE("RFC 7692 §7.1.1.2 client_no_context_takeover has no value") {
    check_declined("permessage-deflate; client_no_context_takeover=\"x\"", deflate_error::bad_value);
    check_refuses("permessage-deflate; client_no_context_takeover=15", client_on(), deflate_error::bad_value);
}

// ---------------------------------------------------------------------------------------
// §7.1.2.1 server_max_window_bits

TEST_CASE("RFC 7692 §7.1.2.1 window sizes are 8 to 15 in decimal without leading zeros, quoted or not") {
    auto o = server_on();
    o.can_compress_window_8 = true;
    for (int bits = 8; bits <= 15; ++bits) {
        const std::string b = std::to_string(bits);
        const auto p = params(false, false, static_cast<std::uint8_t>(bits), 15);
        const std::string response = "permessage-deflate; server_max_window_bits=" + b;
        check_accepts("permessage-deflate; server_max_window_bits=" + b, o, 0, response, p);
        check_accepts("permessage-deflate; server_max_window_bits=\"" + b + "\"", o, 0, response, p);
    }
    // RFC 6455 §9.1: the value after quoted-string unescaping must be a token; here, the number.
    check_accepts("permessage-deflate; server_max_window_bits=\"1\\2\"", o, 0,
                  "permessage-deflate; server_max_window_bits=12", params(false, false, 12, 15));
    check_accepts("permessage-deflate; server_max_window_bits=\"\\9\"", o, 0,
                  "permessage-deflate; server_max_window_bits=9", params(false, false, 9, 15));
    for (std::string_view bad : {"0", "1", "7", "16", "99", "08", "010", "015", "+9", "9.0", "15a", "abc", "\"08\"",
                                 "\"16\"", "\"1\\5x\"", "150", "-9", "0x9"}) {
        check_declined("permessage-deflate; server_max_window_bits=" + std::string(bad), deflate_error::bad_value, o);
        check_declined("permessage-deflate; client_max_window_bits=" + std::string(bad), deflate_error::bad_value, o);
    }
}

TEST_CASE("RFC 7692 §7.1.2.1 server_max_window_bits must have a value in an offer") {
    check_declined("permessage-deflate; server_max_window_bits", deflate_error::bad_value);
}

TEST_CASE("RFC 7692 §7.1.2.1 the server answers with the same or a smaller window than offered") {
    auto o = server_on();
    o.server_max_window_bits = 10;
    check_accepts("permessage-deflate; server_max_window_bits=12", o, 0,
                  "permessage-deflate; server_max_window_bits=10", params(false, false, 10, 15));
    check_accepts("permessage-deflate; server_max_window_bits=9", o, 0, "permessage-deflate; server_max_window_bits=9",
                  params(false, false, 9, 15));
    // Offered, so answered even at 15 (accepting is answering with it).
    check_accepts("permessage-deflate; server_max_window_bits=15", server_on(), 0,
                  "permessage-deflate; server_max_window_bits=15", params(false, false, 15, 15));
}

TEST_CASE("RFC 7692 §7.1.2.1 the server may name a smaller window than 15 when none was offered") {
    auto o = server_on();
    o.server_max_window_bits = 11;
    check_accepts("permessage-deflate", o, 0, "permessage-deflate; server_max_window_bits=11",
                  params(false, false, 11, 15));
    check_agrees("permessage-deflate; server_max_window_bits=11", client_on(), params(false, false, 11, 15));
    check_agrees("permessage-deflate; server_max_window_bits=8", client_on(), params(false, false, 8, 15));  // inflating with 8 works
}

TEST_CASE("RFC 7692 §7.1.2.1 an offer of server_max_window_bits=8 is declined by a compressor that cannot use it") {
    check_declined("permessage-deflate; server_max_window_bits=8", deflate_error::window_8_unsupported);
    auto o = server_on();
    o.server_max_window_bits = 9;  // even one that would use 9 anyway: 9 is larger than 8
    check_declined("permessage-deflate; server_max_window_bits=8", deflate_error::window_8_unsupported, o);
    o.can_compress_window_8 = true;
    check_accepts("permessage-deflate; server_max_window_bits=8", o, 0, "permessage-deflate; server_max_window_bits=8",
                  params(false, false, 8, 15));
}

TEST_CASE("RFC 7692 §7.1.2.1 the client checks the server's window against its offer") {
    auto c = client_on();
    c.server_max_window_bits = 10;
    check_agrees("permessage-deflate; server_max_window_bits=10", c, params(false, false, 10, 15));
    check_agrees("permessage-deflate; server_max_window_bits=9", c, params(false, false, 9, 15));
    check_refuses("permessage-deflate; server_max_window_bits=11", c, deflate_error::window_too_large);
    check_refuses("permessage-deflate", c, deflate_error::missing_server_max_window_bits);
    check_refuses("permessage-deflate; server_max_window_bits", c, deflate_error::bad_value);
    check_refuses("permessage-deflate; server_max_window_bits=7", c, deflate_error::bad_value);
    check_refuses("permessage-deflate; server_max_window_bits=010", c, deflate_error::bad_value);
    check_agrees("permessage-deflate; server_max_window_bits=\"10\"", c, params(false, false, 10, 15));
}

// ---------------------------------------------------------------------------------------
// §7.1.2.2 client_max_window_bits

TEST_CASE("RFC 7692 §7.1.2.2 the server names the client's window only if the client offered the parameter") {
    auto o = server_on();
    o.client_max_window_bits = 10;
    check_accepts("permessage-deflate", o, 0, "permessage-deflate", params(false, false, 15, 15));
    check_accepts("permessage-deflate; client_max_window_bits", o, 0, "permessage-deflate; client_max_window_bits=10",
                  params(false, false, 15, 10));
    check_accepts("permessage-deflate; client_max_window_bits=12", o, 0,
                  "permessage-deflate; client_max_window_bits=10", params(false, false, 15, 10));
    check_accepts("permessage-deflate; client_max_window_bits=9", o, 0, "permessage-deflate; client_max_window_bits=9",
                  params(false, false, 15, 9));
    o.client_max_window_bits = 8;  // the server only inflates the client's messages: 8 is fine
    check_accepts("permessage-deflate; client_max_window_bits", o, 0, "permessage-deflate; client_max_window_bits=8",
                  params(false, false, 15, 8));
}

TEST_CASE("RFC 7692 §7.1.2.2 a value in the offer limits the client's window even if the server says nothing") {
    check_accepts("permessage-deflate; client_max_window_bits=12", server_on(), 0,
                  "permessage-deflate; client_max_window_bits=12", params(false, false, 15, 12));
    check_accepts("permessage-deflate; client_max_window_bits=15", server_on(), 0, "permessage-deflate",
                  params(false, false, 15, 15));
    auto c = client_on();
    c.client_max_window_bits = 11;
    check_agrees("permessage-deflate", c, params(false, false, 15, 11));
    check_agrees("permessage-deflate; client_max_window_bits=9", c, params(false, false, 15, 9));
}

TEST_CASE("RFC 7692 §7.1.2.2 an answer with client_max_window_bits the client did not offer fails") {
    auto c = client_on();
    c.offer_client_max_window_bits = false;
    check_refuses("permessage-deflate; client_max_window_bits=10", c, deflate_error::not_offered);
    check_agrees("permessage-deflate; client_max_window_bits=10", client_on(), params(false, false, 15, 10));
}

TEST_CASE("RFC 7692 §7.1.2.2 client_max_window_bits in an answer must have a value no larger than offered") {
    check_refuses("permessage-deflate; client_max_window_bits", client_on(), deflate_error::bad_value);
    check_refuses("permessage-deflate; client_max_window_bits=16", client_on(), deflate_error::bad_value);
    auto c = client_on();
    c.client_max_window_bits = 10;
    check_refuses("permessage-deflate; client_max_window_bits=11", c, deflate_error::window_too_large);
    check_agrees("permessage-deflate; client_max_window_bits=10", c, params(false, false, 15, 10));
}

TEST_CASE("RFC 7692 §7.1.2.2 a client told to compress with 8 bits fails unless its compressor can") {
    INFO("zlib cannot compress with a 256-byte window");
    check_refuses("permessage-deflate; client_max_window_bits=8", client_on(), deflate_error::window_8_unsupported);
    CHECK(std::string_view(wscodec::deflate_error_message(deflate_error::window_8_unsupported)).find("cannot compress") !=
          std::string_view::npos);
    auto c = client_on();
    c.can_compress_window_8 = true;
    check_agrees("permessage-deflate; client_max_window_bits=8", c, params(false, false, 15, 8));
}

// ---------------------------------------------------------------------------------------
// The client's side: its offer and the rest of its checks

TEST_CASE("RFC 7692 §7.1 the client's offer: no window value unless configured") {
    CHECK(offer_text(client_on()) == "permessage-deflate; client_max_window_bits");
    auto c = client_on();
    c.offer_client_max_window_bits = false;
    CHECK(offer_text(c) == "permessage-deflate");
    c.server_no_context_takeover = true;
    CHECK(offer_text(c) == "permessage-deflate; server_no_context_takeover");
    c.client_no_context_takeover = true;
    c.server_max_window_bits = 10;
    c.client_max_window_bits = 9;
    CHECK(offer_text(c) == "permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
                           "server_max_window_bits=10; client_max_window_bits=9");
    c.server_max_window_bits = 8;
    c.client_max_window_bits = 15;
    CHECK(offer_text(c) == "permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
                           "server_max_window_bits=8; client_max_window_bits=15");
    std::array<char, 8> small{};
    CHECK(wscodec::write_deflate_offer(deflate_client_options{}, small).text.empty());  // disabled
    CHECK(wscodec::write_deflate_offer(deflate_client_options{}, small).ok());
}

TEST_CASE("RFC 7692 §7.1 the client's offer must fit; deflate_text_capacity always does") {
    auto c = client_on();
    c.server_no_context_takeover = c.client_no_context_takeover = true;
    c.server_max_window_bits = c.client_max_window_bits = 15;
    std::array<char, wscodec::deflate_text_capacity> out{};
    const auto t = wscodec::write_deflate_offer(c, out);
    REQUIRE(t.ok());
    CHECK(t.text.size() == wscodec::deflate_text_capacity);
    const auto short_by_one = wscodec::write_deflate_offer(c, std::span<char>(out.data(), out.size() - 1));
    CHECK(name(short_by_one.err) == "buffer_too_small");
    CHECK(short_by_one.text.empty());
}

TEST_CASE("RFC 7692 §7.1 the client's options must be usable") {
    std::array<char, wscodec::deflate_text_capacity> out{};
    for (int b : {1, 7, 16, 200}) {
        const auto bits = static_cast<std::uint8_t>(b);
        auto c = client_on();
        c.server_max_window_bits = bits;
        CHECK(name(wscodec::write_deflate_offer(c, out).err) == "invalid_options");
        CHECK(name(wscodec::accept_deflate_response("permessage-deflate", c).err) == "invalid_options");
        c = client_on();
        c.client_max_window_bits = bits;
        CHECK(name(wscodec::write_deflate_offer(c, out).err) == "invalid_options");
    }
    auto c = client_on();
    c.client_max_window_bits = 8;  // the client's own compressor would need 8
    CHECK(name(wscodec::write_deflate_offer(c, out).err) == "invalid_options");
    c.can_compress_window_8 = true;
    CHECK(wscodec::write_deflate_offer(c, out).text == "permessage-deflate; client_max_window_bits=8");
    c = client_on();
    c.server_max_window_bits = 8;  // the server compresses, the client inflates: fine
    CHECK(wscodec::write_deflate_offer(c, out).text == "permessage-deflate; server_max_window_bits=8; client_max_window_bits");
}

TEST_CASE("RFC 7692 §5 no permessage-deflate in the answer means none agreed; other extensions are skipped") {
    for (std::string_view none : {"", " , ", "foo", "foo; bar=1, x-webkit-deflate-frame"}) {
        INFO("response: ", std::string(none));
        const auto a = wscodec::accept_deflate_response(none, client_on());
        CHECK(a.ok());
        CHECK(!a.agreed);
        CHECK(describe(a.params) == describe(deflate_params{}));
    }
    check_agrees("foo, permessage-deflate; server_no_context_takeover, bar", client_on(), params(true, false, 15, 15));
}

TEST_CASE("RFC 7692 §5 an answer accepting permessage-deflate twice fails: both would use RSV1") {
    check_refuses("permessage-deflate, permessage-deflate", client_on(), deflate_error::duplicate_extension);
    check_refuses("permessage-deflate; server_no_context_takeover, foo, PERMESSAGE-DEFLATE", client_on(),
                  deflate_error::duplicate_extension);
}

TEST_CASE("RFC 7692 §5 an answer with permessage-deflate to a client that did not offer it fails") {
    check_refuses("permessage-deflate", deflate_client_options{}, deflate_error::not_offered);
    const auto a = wscodec::accept_deflate_response("foo", deflate_client_options{});
    CHECK(a.ok());
    CHECK(!a.agreed);
}

TEST_CASE("RFC 7692 §7 the client fails on an unknown, repeated or malformed parameter in the answer") {
    check_refuses("permessage-deflate; foo", client_on(), deflate_error::unknown_parameter);
    check_refuses("permessage-deflate; server_no_context_takeover; Server_No_Context_Takeover", client_on(),
                  deflate_error::duplicate_parameter);
    check_refuses("permessage-deflate; server_max_window_bits=10; server_max_window_bits=10", client_on(),
                  deflate_error::duplicate_parameter);
    check_refuses("permessage-deflate;", client_on(), deflate_error::malformed);
    check_refuses("permessage-deflate; server_max_window_bits=\"10", client_on(), deflate_error::malformed);
}

TEST_CASE("RFC 7692 §7 the client reads names in any case and optional whitespace in the answer") {
    auto c = client_on();
    c.server_max_window_bits = 12;
    check_agrees("  PERMESSAGE-DEFLATE ;\tServer_Max_Window_Bits=\"11\" ; client_max_window_bits=9  ", c,
                  params(false, false, 11, 9));
}

TEST_CASE("RFC 7692 §7 parse_deflate_offer reads an offer back into the client options that write it") {
    std::array<char, wscodec::deflate_text_capacity> out{};
    const std::string_view list =
        "permessage-deflate; client_no_context_takeover; server_max_window_bits=\"9\"; client_max_window_bits=12";
    for (const wscodec::extension& e : wscodec::detail::extensions_of(list)) {
        const auto o = wscodec::parse_deflate_offer(e);
        REQUIRE(o.ok());
        CHECK(o.params.enabled);
        CHECK(!o.params.server_no_context_takeover);
        CHECK(o.params.client_no_context_takeover);
        CHECK(o.params.server_max_window_bits == 9);
        CHECK(o.params.offer_client_max_window_bits);
        CHECK(o.params.client_max_window_bits == 12);
        CHECK(!o.params.can_compress_window_8);
        CHECK(wscodec::write_deflate_offer(o.params, out).text ==
              "permessage-deflate; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=12");
    }
}

TEST_CASE("RFC 7692 §7 every deflate_error has a name and a message") {
    for (unsigned v = 0; v <= static_cast<unsigned>(deflate_error::buffer_too_small); ++v) {
        const auto e = static_cast<deflate_error>(v);
        CHECK(std::string_view(wscodec::deflate_error_name(e)) != "unknown");
        CHECK(!std::string_view(wscodec::deflate_error_message(e)).empty());
    }
    CHECK(name(deflate_error::window_too_large) == "window_too_large");
    CHECK(std::string_view(wscodec::deflate_error_name(static_cast<deflate_error>(200))) == "unknown");
    CHECK(std::string_view(wscodec::deflate_error_message(static_cast<deflate_error>(200))) == "unknown error");
}

// ---------------------------------------------------------------------------------------
// Round trip

TEST_CASE("RFC 7692 §7.1 round trip: the server accepts any offer the client writes, and both agree") {
    test::rng r(7692);
    const auto bits_or_zero = [&r] {
        return r.chance(50) ? std::uint8_t{0} : static_cast<std::uint8_t>(r.between(8, 15));
    };
    std::size_t agreed = 0, declined = 0, refused = 0;
    for (int round = 0; round < 5000; ++round) {
        deflate_client_options c = client_on();
        c.server_no_context_takeover = r.chance(30);
        c.client_no_context_takeover = r.chance(30);
        c.server_max_window_bits = bits_or_zero();
        c.offer_client_max_window_bits = r.chance(50);
        c.client_max_window_bits = bits_or_zero();
        c.can_compress_window_8 = r.chance(50);
        if (c.client_max_window_bits == 8) c.can_compress_window_8 = true;
        deflate_server_options s = server_on();
        s.server_no_context_takeover = r.chance(30);
        s.client_no_context_takeover = r.chance(30);
        s.can_compress_window_8 = r.chance(50);
        s.server_max_window_bits = static_cast<std::uint8_t>(r.between(s.can_compress_window_8 ? 8 : 9, 15));
        s.client_max_window_bits = static_cast<std::uint8_t>(r.between(8, 15));

        const std::string offer = offer_text(c);
        INFO("offer: ", offer);
        std::array<char, wscodec::deflate_text_capacity> out{};
        const guarded_text offer_in(offer);
        const auto n = wscodec::negotiate_deflate(offer_in.view(), s, out);
        REQUIRE(n.ok());
        if (!n.accepted) {
            // The only offer a server declines from a well-behaved client: 8 bits it cannot compress with.
            CHECK(c.server_max_window_bits == 8);
            CHECK(!s.can_compress_window_8);
            CHECK(name(n.first_decline) == "window_8_unsupported");
            ++declined;
            continue;
        }
        CHECK(n.offer == offer);
        const std::string response(n.response);
        INFO("response: ", response);
        const guarded_text response_in(response);
        const auto a = wscodec::accept_deflate_response(response_in.view(), c);
        if (n.params.client_max_window_bits == 8 && !c.can_compress_window_8) {
            CHECK(name(a.err) == "window_8_unsupported");
            ++refused;
            continue;
        }
        REQUIRE(name(a.err) == "none");
        CHECK(a.agreed);
        CHECK(describe(a.params) == describe(n.params));
        // What both agreed keeps every promise made.
        CHECK(n.params.server_max_window_bits <= s.server_max_window_bits);
        if (c.server_max_window_bits != 0) CHECK(n.params.server_max_window_bits <= c.server_max_window_bits);
        if (c.client_max_window_bits != 0) CHECK(n.params.client_max_window_bits <= c.client_max_window_bits);
        if (!c.offers_client_max_window_bits()) CHECK(n.params.client_max_window_bits == 15);
        CHECK(n.params.server_no_context_takeover == (c.server_no_context_takeover || s.server_no_context_takeover));
        CHECK(n.params.client_no_context_takeover == (c.client_no_context_takeover || s.client_no_context_takeover));
        ++agreed;
    }
    CHECK(agreed > 4000);
    CHECK(declined > 0);
    CHECK(refused > 0);
}
