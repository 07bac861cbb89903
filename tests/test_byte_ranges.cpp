// SPDX-License-Identifier: MIT
// tests/test_byte_ranges.cpp — byte_ranges.hpp: receive() and the send calls
// of a connection and a session take any contiguous range of char, unsigned
// char (std::uint8_t) or std::byte, with the same bytes and events as the
// span overloads; a temporary container does not compile (checked with
// requires-expressions, so a regression fails this file's build).
#include <doctest/doctest.h>

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>
#include <wscodec/connection.hpp>
#include <wscodec/session.hpp>

#include "helpers.hpp"

namespace {

using namespace wscodec;
using seeded_client = connection<role::client, seeded_key_source>;

// ---- what compiles and what does not ---------------------------------------

template <class C>
constexpr bool refuses_temporaries() {
    return !requires(C c) { c.send_text(std::string("x")); } &&
           !requires(C c) { c.send(message_type::binary, std::vector<char>{'a'}); } &&
           !requires(C c) { c.send_binary(std::string("x")); } &&
           !requires(C c) { c.send_binary(std::vector<std::byte>(3)); } &&
           !requires(C c) { c.send_in_place(message_type::binary, std::vector<char>{'a'}); } &&
           !requires(C c) { c.send_part(std::string("x"), true); } &&
           !requires(C c) { c.send_part_in_place(std::vector<unsigned char>(3), true); } &&
           !requires(C c) { c.receive(std::vector<char>(16)); } &&
           !requires(C c) { c.receive(std::string("frame")); };
}
static_assert(refuses_temporaries<server_connection>());
static_assert(refuses_temporaries<seeded_client>());
static_assert(refuses_temporaries<server_session>());
static_assert(refuses_temporaries<client_session>());

template <class C>
constexpr bool takes_lasting_ranges() {
    return requires(C c, std::string s, std::vector<char> v, std::array<std::byte, 4> b, char (&buf)[8],
                    std::span<const std::byte> sb, const std::string cs) {
        c.send_text(s);
        c.send_text(cs);
        c.send_text(std::string_view("view"));
        c.send_text(v);
        c.send(message_type::binary, v);
        c.send_binary(b);
        c.send_binary(sb);  // a view: it is the caller's to keep alive, as a span is
        c.send_in_place(message_type::binary, v);
        c.send_part(s, false);
        c.send_part_in_place(b, true);
        c.receive(v);
        c.receive(buf);
        c.receive(b);
    };
}
static_assert(takes_lasting_ranges<server_connection>());
static_assert(takes_lasting_ranges<seeded_client>());
static_assert(takes_lasting_ranges<server_session>());
static_assert(takes_lasting_ranges<client_session>());

// A string literal is not a byte range (its NUL would go out): binary sends
// refuse it; send_text takes it as a std::string_view, without the NUL. A
// read-only buffer cannot be received into; elements wider than a byte are
// not bytes.
template <class C>
constexpr bool refuses_non_bytes() {
    return !requires(C c) { c.send_binary("abc"); } && !requires(C c) { c.send(message_type::binary, "abc"); } &&
           !requires(C c, const std::array<char, 4>& ro) { c.receive(ro); } &&
           !requires(C c, std::vector<std::uint16_t>& w) { c.send_binary(w); } &&
           requires(C c) { c.send_text("abc"); };
}
static_assert(refuses_non_bytes<server_connection>());
static_assert(refuses_non_bytes<server_session>());

std::string written(server_connection& c) {
    std::string out;
    for (output_buffers o = c.output(); !o.empty(); o = c.output()) {
        for (std::size_t i = 0; i < o.count; ++i) out.append(reinterpret_cast<const char*>(o.parts[i].data()), o.parts[i].size());
        c.consume(o.size());
    }
    return out;
}

}  // namespace

TEST_CASE("byte ranges: every send call gives the bytes of its span overload") {
    const std::string text = "hello, ranges";
    const bytes_view span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
    server_connection ref;
    REQUIRE(ref.send(message_type::binary, span) == error::none);
    const std::string want_binary = written(ref);
    REQUIRE(ref.send(message_type::text, span) == error::none);
    const std::string want_text = written(ref);
    CHECK(want_binary.size() == 2 + text.size());
    CHECK(want_binary.substr(2) == text);
    CHECK(static_cast<unsigned char>(want_binary[0]) == 0x82);
    CHECK(static_cast<unsigned char>(want_text[0]) == 0x81);

    std::vector<char> v(text.begin(), text.end());
    std::vector<std::byte> b;
    for (const char ch : text) b.push_back(static_cast<std::byte>(ch));
    std::array<unsigned char, 13> a{};
    for (std::size_t i = 0; i < a.size(); ++i) a[i] = static_cast<unsigned char>(text[i]);
    server_connection c;
    CHECK(c.send_binary(text) == error::none);
    CHECK(written(c) == want_binary);
    CHECK(c.send(message_type::binary, v) == error::none);
    CHECK(written(c) == want_binary);
    CHECK(c.send_binary(b) == error::none);
    CHECK(written(c) == want_binary);
    CHECK(c.send_binary(a) == error::none);
    CHECK(written(c) == want_binary);
    CHECK(c.send_binary(std::span<const std::byte>(b)) == error::none);
    CHECK(written(c) == want_binary);
    CHECK(c.send_text(v) == error::none);
    CHECK(written(c) == want_text);
    CHECK(c.send_text("hello, ranges") == error::none);  // a literal: 13 bytes, no NUL
    CHECK(written(c) == want_text);
    CHECK(c.send_in_place(message_type::binary, v) == error::none);  // a server never writes it
    CHECK(written(c) == want_binary);
    CHECK(std::string(v.begin(), v.end()) == text);
    CHECK(c.begin_message(message_type::binary) == error::none);
    CHECK(c.send_part(text, true) == error::none);
    CHECK(written(c) == want_binary);
    // Invalid text through a range is refused as through a span.
    const std::vector<char> bad = {'a', static_cast<char>(0xC0), 'b'};
    CHECK(c.send_text(bad) == error::text_not_utf8);
}

TEST_CASE("byte ranges: a client masks a std::vector<char> in place; receive() into char and std::byte buffers") {
    seeded_client cl({}, seeded_key_source(5));
    std::vector<char> payload = {'p', 'i', 'n', 'g', '!'};
    REQUIRE(cl.send_in_place(message_type::binary, payload) == error::none);
    std::vector<char> wire;
    for (output_buffers o = cl.output(); !o.empty(); o = cl.output()) {
        for (std::size_t i = 0; i < o.count; ++i) wire.insert(wire.end(), o.parts[i].begin(), o.parts[i].end());
        cl.consume(o.size());
    }
    CHECK(wire.size() == 6 + 5);
    CHECK(std::string(payload.begin(), payload.end()) != "ping!");  // masked where it lay

    server_connection s1;
    const event ev = s1.receive(wire);  // std::vector<char>
    CHECK(ev.type == event_type::data);
    CHECK(ev.consumed == wire.size());
    CHECK(std::string(ev.payload.begin(), ev.payload.end()) == "ping!");
    CHECK(reinterpret_cast<const char*>(ev.payload.data()) == wire.data() + 6);  // unmasked in the caller's buffer

    // The same bytes again, masked, from a std::byte array and a char array.
    seeded_client again({}, seeded_key_source(5));
    std::array<std::byte, 5> p2{};
    for (std::size_t i = 0; i < p2.size(); ++i) p2[i] = static_cast<std::byte>("ping!"[i]);
    REQUIRE(again.send_in_place(message_type::binary, p2) == error::none);
    std::array<std::byte, 11> wire2{};
    char wire3[11];
    std::size_t n = 0;
    for (output_buffers o = again.output(); !o.empty(); o = again.output()) {
        for (std::size_t i = 0; i < o.count; ++i)
            for (const std::uint8_t x : o.parts[i]) {
                wire2[n] = static_cast<std::byte>(x);
                wire3[n] = static_cast<char>(x);
                ++n;
            }
        again.consume(o.size());
    }
    REQUIRE(n == 11);
    server_connection s2, s3;
    const event e2 = s2.receive(wire2);
    const event e3 = s3.receive(wire3);
    CHECK(std::string(e2.payload.begin(), e2.payload.end()) == "ping!");
    CHECK(std::string(e3.payload.begin(), e3.payload.end()) == "ping!");
}

TEST_CASE("byte ranges: a session takes a std::string request buffer and std::string sends") {
    server_session s;
    std::string request =
        "GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    const event ev = s.receive(request);
    CHECK(ev.type == event_type::request);
    CHECK(ev.consumed == request.size());
    CHECK(s.accept() == error::none);
    const std::string hello = "hi";
    CHECK(s.send_text(hello) == error::none);
    std::string out;
    for (output_buffers o = s.output(); !o.empty(); o = s.output()) {
        for (std::size_t i = 0; i < o.count; ++i) out.append(reinterpret_cast<const char*>(o.parts[i].data()), o.parts[i].size());
        s.consume(o.size());
    }
    CHECK(out.ends_with("\r\n\r\n\x81\x02hi"));
    CHECK(out.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n") != std::string::npos);  // §1.3's example
}
