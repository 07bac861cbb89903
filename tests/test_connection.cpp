// SPDX-License-Identifier: MIT
// tests/test_connection.cpp — the WebSocket session (wscodec/connection.hpp)
// in both roles, grouped by RFC 6455 section: framing rules on receive (§5),
// control frames and the close handshake (§5.5, §7), UTF-8 (§5.6), limits,
// streaming and split invariance, and the send side (§5.1, §5.4, §6.1).
// Inputs are built with the frame builders of tests/helpers.hpp (or by a peer
// connection) and fed from guard-page buffers; outputs are decoded with
// try_decode_header (frames_of) and compared byte for byte.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>
#include <wscodec/connection.hpp>

#include "helpers.hpp"

/// The client under test draws its masking keys from a seeded source, so the
/// bytes it writes are predictable.
using seeded_client = wscodec::connection<wscodec::role::client, wscodec::seeded_key_source>;
TYPE_TO_STRING(wscodec::server_connection);
TYPE_TO_STRING(seeded_client);

namespace {

using namespace wscodec;
using test::bytes;
using test::check_failed;
using test::check_one_close;
using test::close_body;
using test::describe;
using test::drain;
using test::event_record;
using test::feed;
using test::feed_parts;
using test::frame;
using test::frame_line;
using test::frames_of;
using test::header;
using test::hex;
using test::joined;
using test::lines;
using test::rfc_key;
using test::wire;
using test::written_frame;

using server = server_connection;
using client = seeded_client;

// ------------------------------------------------------------------ bytes

bytes str(std::string_view s) { return test::b(s); }

std::string hx(std::span<const std::uint8_t> s) { return test::to_hex(s); }

bytes slice(const bytes& in, std::size_t from, std::size_t n) {
    return bytes(in.begin() + static_cast<std::ptrdiff_t>(from), in.begin() + static_cast<std::ptrdiff_t>(from + n));
}

bytes cat(std::initializer_list<bytes> parts) {
    bytes out;
    for (const bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
    return out;
}

bytes filled(std::size_t n, std::uint8_t seed = 0) {
    bytes out(n);
    for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::uint8_t>(seed + i * 7);
    return out;
}

/// The n-th key (from 0) a seeded_key_source with `seed` produces.
mask_key nth_key(std::uint64_t seed, int n) {
    seeded_key_source keys(seed);
    mask_key k = keys();
    for (int i = 0; i < n; ++i) k = keys();
    return k;
}

/// Header size of a frame an endpoint in role R receives, for a payload of `n`.
template <role R>
std::size_t wire_header_size(std::uint64_t n) {
    return header_size(header(opcode::binary, n, true, R == role::server));
}

/// What a connection of role R does with TCP after a completed close handshake (§5.5.1, §7.1.1).
template <role R>
constexpr tcp_action after_handshake = R == role::server ? tcp_action::close_now : tcp_action::wait_for_peer;

}  // namespace

// ======================================================================
// §5.1 masking direction
// ======================================================================

TEST_CASE("§5.1 server fails an unmasked frame with 1002") {
    server s;
    const std::vector<event_record> evs = feed(s, hex("81 05 48 65 6c 6c 6f"));
    CHECK(evs.size() == 1u);
    check_failed(evs, error::frame_not_masked, 1002);
    if (evs.empty()) return;
    CHECK(evs[0].where() == 1u);  // the MASK bit's byte
    CHECK(evs[0].consumed == 7u);
    CHECK(s.state() == connection_state::failed);
    CHECK(s.close_status() == 1002);
    check_one_close(drain(s), role::server, 1002);

    // Judged on the second byte alone.
    server s2;
    CHECK(feed(s2, hex("81")).empty());
    const std::vector<event_record> evs2 = feed(s2, hex("05"));
    check_failed(evs2, error::frame_not_masked, 1002);
    if (!evs2.empty()) CHECK(evs2.back().where() == 0u);
}

TEST_CASE("§5.1 client fails a masked frame") {
    client c;
    // The masked "Hello" of §5.7, as a server must never send it.
    const std::vector<event_record> evs = feed(c, hex("81 85 37 fa 21 3d 7f 9f 4d 51 58"));
    CHECK(evs.size() == 1u);
    check_failed(evs, error::frame_masked, 1002);
    if (evs.empty()) return;
    CHECK(evs[0].where() == 1u);
    CHECK(c.state() == connection_state::failed);
    check_one_close(drain(c), role::client, 1002);
}

TEST_CASE("§5.3/§6.2 server unmasks in place; client reads unmasked frames in place") {
    // §5.7 examples.
    {
        server s;
        test::guarded g(hex("81 85 37 fa 21 3d 7f 9f 4d 51 58"));
        const event ev = s.receive(g.span());
        CHECK(ev.type == event_type::data);
        CHECK(ev.message == message_type::text);
        CHECK(ev.first);
        CHECK(ev.last);
        CHECK(ev.consumed == 11u);
        CHECK(ev.payload.data() == g.span().data() + 6);
        CHECK(hx(ev.payload) == hx(str("Hello")));
        CHECK(hx(g.span().subspan(6)) == hx(str("Hello")));  // unmasked in the caller's buffer
    }
    {
        client c;
        test::guarded g(hex("81 05 48 65 6c 6c 6f"));
        const event ev = c.receive(g.span());
        CHECK(ev.type == event_type::data);
        CHECK(ev.consumed == 7u);
        CHECK(ev.payload.data() == g.span().data() + 2);
        CHECK(hx(ev.payload) == hx(str("Hello")));
    }
    {
        // A masked payload split across calls is unmasked with the right key phase.
        const bytes payload = filled(37, 3);
        const bytes in = wire<role::server>(opcode::binary, payload, true, 0, {1, 2, 3, 4});
        for (std::size_t cut = 7; cut < in.size(); ++cut) {
            CAPTURE(cut);
            server t;
            const std::vector<event_record> evs = joined(feed_parts(t, in, {cut, in.size() - cut}));
            CHECK(evs.size() == 1u);
            if (evs.size() == 1) CHECK(hx(evs[0].payload) == hx(payload));
        }
    }
}

// ======================================================================
// §5.2 base framing
// ======================================================================

TEST_CASE_TEMPLATE("§5.2 RSV bits without extension: 1002", T, server, client) {
    constexpr role R = T::side;
    for (std::uint8_t rsv = 1; rsv <= 7; ++rsv) {
        CAPTURE(rsv);
        T c;
        const std::vector<event_record> evs = feed(c, wire<R>(opcode::text, str("hi"), true, rsv));
        CHECK(evs.size() == 1u);
        check_failed(evs, error::reserved_bits_set, 1002);
        if (!evs.empty()) CHECK(evs.back().where() == 0u);
        check_one_close(drain(c), R, 1002);
    }
    // A control frame with an RSV bit fails as well.
    {
        T c;
        check_failed(feed(c, wire<R>(opcode::ping, {}, true, rsv3)), error::reserved_bits_set, 1002);
    }
    // An extension that gives RSV1 a meaning lets it through, reported on the data event.
    {
        connection_options o;
        o.allowed_rsv = rsv1;
        T c(o);
        const std::vector<event_record> evs = feed(c, wire<R>(opcode::binary, str("z"), true, rsv1));
        CHECK(evs.size() == 1u);
        if (evs.size() == 1) {
            CHECK(evs[0].type == event_type::data);
            CHECK(evs[0].rsv == rsv1);
        }
        check_failed(feed(c, wire<R>(opcode::binary, str("z"), true, rsv2)), error::reserved_bits_set, 1002);
    }
}

TEST_CASE_TEMPLATE("§5.2 an extension's RSV bit: on a message's first frame only; its text is not checked as UTF-8",
                   T, server, client) {
    constexpr role R = T::side;
    connection_options o;
    o.allowed_rsv = rsv1;
    // permessage-deflate's "Hello" (RFC 7692 §7.2.3.1): F2 48 is no UTF-8.
    const bytes deflated{0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00};
    const bytes not_utf8{0xc0, 0xff, 0xed, 0xa0, 0x80};
    // A long one starting with a 3-byte lead, as the server's one-pass CJK path would take it.
    bytes long_one(300, 0xe4);
    for (std::size_t i = 0; i < long_one.size(); i += 7) long_one[i] = 0xff;
    long_one[0] = 0xe4;
    const std::string rsv_text = "data text first last rsv=" + std::to_string(rsv1) + " [";
    SUBCASE("whole, fragmented, and split anywhere: delivered as they came") {
        const bytes in = cat({wire<R>(opcode::text, deflated, true, rsv1),
                              wire<R>(opcode::text, not_utf8, false, rsv1),
                              wire<R>(opcode::continuation, long_one, false),  // taken by the fast header path
                              wire<R>(opcode::ping, str("p")),
                              wire<R>(opcode::continuation, not_utf8, true),
                              wire<R>(opcode::text, long_one, true, rsv1),
                              wire<R>(opcode::text, str("plain"))});
        // joined() puts a message's pieces into its first event, so the ping,
        // which came between them, follows the second message.
        const std::vector<std::string> expected{
            rsv_text + hx(deflated) + "]",
            rsv_text + hx(cat({not_utf8, long_one, not_utf8})) + "]",
            "ping [" + hx(str("p")) + "]",
            rsv_text + hx(long_one) + "]",
            "data text first last [" + hx(str("plain")) + "]",
        };
        auto tidy = [](const std::vector<event_record>& evs) { return describe(joined(evs)); };
        {
            T c(o);
            CHECK(lines(tidy(feed(c, in))) == lines(expected));
        }
        for (std::size_t cut = 1; cut < in.size(); cut += 3) {
            CAPTURE(cut);
            T c(o);
            CHECK(lines(tidy(feed_parts(c, in, {cut, in.size() - cut}))) == lines(expected));
        }
        {
            T c(o);
            const std::vector<event_record> evs = feed_parts(c, in, std::vector<std::size_t>(in.size(), 1));
            CHECK(lines(tidy(evs)) == lines(expected));
        }
    }
    SUBCASE("a text message without the bit is still checked, also after one with it") {
        const bytes in = cat({wire<R>(opcode::text, deflated, true, rsv1), wire<R>(opcode::text, not_utf8)});
        {
            T c(o);
            const std::vector<event_record> evs = feed(c, in);
            CHECK(evs.size() == 2u);
            check_failed(evs, error::invalid_utf8, 1007);
            if (evs.size() == 2) CHECK(evs[1].where() == in.size() - not_utf8.size());
        }
        {
            // Byte by byte: the headers go the general way (begin_frame).
            T c(o);
            std::vector<event_record> evs;
            std::size_t fail_at = 0;
            for (std::size_t i = 0; i < in.size(); ++i) {
                const std::vector<event_record> e = feed(c, slice(in, i, 1));
                for (const event_record& r : e)
                    if (r.type == event_type::failed) fail_at = i;
                evs.insert(evs.end(), e.begin(), e.end());
            }
            CHECK(lines(describe(joined(evs))) ==
                  lines({rsv_text + hx(deflated) + "]",
                               "failed err=invalid_utf8 action=linger code=1007 []"}));
            CHECK(fail_at == in.size() - not_utf8.size());
        }
    }
    SUBCASE("the bit on a later fragment fails at that frame's header") {
        for (const std::uint8_t first_rsv : {std::uint8_t{0}, rsv1}) {
            CAPTURE(first_rsv);
            const bytes first = wire<R>(opcode::text, str("ab"), false, first_rsv);
            T c(o);
            const bytes in = cat({first, wire<R>(opcode::continuation, str("cd"), true, rsv1)});
            const std::vector<event_record> evs = feed(c, in);
            CHECK(evs.size() == 2u);
            check_failed(evs, error::reserved_bits_set, 1002);
            if (evs.size() == 2) CHECK(evs[1].where() == first.size());
            check_one_close(drain(c), R, 1002);
        }
    }
    SUBCASE("the bit on a control frame fails") {
        for (const opcode op : {opcode::ping, opcode::pong, opcode::close}) {
            CAPTURE(opcode_name(op));
            T c(o);
            const std::vector<event_record> evs = feed(c, wire<R>(op, {}, true, rsv1));
            check_failed(evs, error::reserved_bits_set, 1002);
            if (!evs.empty()) CHECK(evs.back().where() == 0u);
            check_one_close(drain(c), R, 1002);
        }
    }
}

TEST_CASE_TEMPLATE("§5.2 reserved opcodes", T, server, client) {
    constexpr role R = T::side;
    for (int op : {3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF}) {
        CAPTURE(op);
        // The first byte alone is enough to fail.
        {
            T c;
            const std::vector<event_record> evs = feed(c, bytes{static_cast<std::uint8_t>(0x80 | op)});
            check_failed(evs, error::reserved_opcode, 1002);
            if (!evs.empty()) CHECK(evs.back().where() == 0u);
            check_one_close(drain(c), R, 1002);
        }
        // After a good frame in the same input, at that frame's first byte.
        {
            T c;
            const bytes good = wire<R>(opcode::binary, str("ok"));
            const bytes bad = wire<R>(static_cast<opcode>(op), {});
            const std::vector<event_record> evs = feed(c, cat({good, bad, good}));
            CHECK(evs.size() == 2u);
            if (evs.size() != 2) continue;
            CHECK(describe(evs[0]) == "data binary first last [" + hx(str("ok")) + "]");
            check_failed(evs, error::reserved_opcode, 1002);
            CHECK(evs[1].where() == good.size());
        }
    }
}

TEST_CASE_TEMPLATE("§5.2 payload lengths: 7-bit, 16-bit, 64-bit; non-minimal and top-bit lengths fail", T, server,
                   client) {
    constexpr role R = T::side;
    for (std::size_t n : {std::size_t{0}, std::size_t{125}, std::size_t{126}, std::size_t{65535}, std::size_t{65536}}) {
        CAPTURE(n);
        T c;
        const bytes payload = filled(n);
        const bytes in = wire<R>(opcode::binary, payload);
        CHECK(in.size() == wire_header_size<R>(n) + n);
        const std::vector<event_record> evs = feed(c, in);
        CHECK(evs.size() == 1u);
        if (evs.size() != 1) continue;
        CHECK(evs[0].type == event_type::data);
        CHECK(evs[0].first);
        CHECK(evs[0].last);
        CHECK(evs[0].payload == payload);
    }
    const std::uint8_t m = R == role::server ? 0x80 : 0x00;
    const bytes key = R == role::server ? bytes{0x37, 0xfa, 0x21, 0x3d} : bytes{};
    // 5 in the 16-bit form: not minimal (§5.2 "the minimal number of bytes MUST be used").
    {
        T c;
        const std::vector<event_record> evs =
            feed(c, cat({bytes{0x82, static_cast<std::uint8_t>(m | 126), 0x00, 0x05}, key, bytes(5, 0)}));
        check_failed(evs, error::non_minimal_length, 1002);
        if (!evs.empty()) CHECK(evs.back().where() == 1u);
    }
    // ... accepted when the option allows it.
    {
        connection_options o;
        o.allow_non_minimal_length = true;
        T c(o);
        bytes payload = str("abcde");
        if (R == role::server) (void)apply_mask(mutable_bytes(payload), rfc_key);
        const std::vector<event_record> evs =
            feed(c, cat({bytes{0x82, static_cast<std::uint8_t>(m | 126), 0x00, 0x05}, key, payload}));
        CHECK(evs.size() == 1u);
        if (evs.size() == 1) CHECK(hx(evs[0].payload) == hx(str("abcde")));
    }
    // 64-bit length with the most significant bit set.
    {
        T c;
        const std::vector<event_record> evs = feed(c, bytes{0x82, static_cast<std::uint8_t>(m | 127), 0x80});
        check_failed(evs, error::length_msb_set, 1002);
        if (!evs.empty()) CHECK(evs.back().where() == 2u);
    }
}

// ======================================================================
// §5.4 fragmentation
// ======================================================================

TEST_CASE_TEMPLATE("§5.4 continuation without a started message: 1002", T, server, client) {
    constexpr role R = T::side;
    // At the start of the connection, judged on the first byte.
    {
        T c;
        const std::vector<event_record> evs = feed(c, bytes{0x80});
        check_failed(evs, error::unexpected_continuation, 1002);
        if (!evs.empty()) CHECK(evs.back().where() == 0u);
        check_one_close(drain(c), R, 1002);
    }
    {
        T c;
        const std::vector<event_record> evs = feed(c, wire<R>(opcode::continuation, str("x"), false));
        check_failed(evs, error::unexpected_continuation, 1002);
        if (!evs.empty()) CHECK(evs.back().where() == 0u);
    }
    // After a complete message.
    {
        T c;
        const bytes done = wire<R>(opcode::text, str("a"));
        const std::vector<event_record> evs = feed(c, cat({done, wire<R>(opcode::continuation, str("b"))}));
        CHECK(evs.size() == 2u);
        check_failed(evs, error::unexpected_continuation, 1002);
        if (evs.size() == 2) CHECK(evs[1].where() == done.size());
    }
    // After a complete fragmented message.
    {
        T c;
        const bytes done = cat({wire<R>(opcode::binary, str("a"), false), wire<R>(opcode::continuation, str("b"))});
        const std::vector<event_record> evs = feed(c, cat({done, bytes{0x00}}));
        check_failed(evs, error::unexpected_continuation, 1002);
        if (!evs.empty()) CHECK(evs.back().where() == done.size());
    }
}

TEST_CASE_TEMPLATE("§5.4 new data frame while a message is open: 1002", T, server, client) {
    constexpr role R = T::side;
    for (opcode second : {opcode::text, opcode::binary}) {
        for (bool fin : {true, false}) {
            CAPTURE(static_cast<int>(second));
            CAPTURE(fin);
            const bytes open = wire<R>(opcode::text, str("a"), false);
            // Whole header available.
            {
                T c;
                const std::vector<event_record> evs = feed(c, cat({open, wire<R>(second, str("b"), fin)}));
                CHECK(evs.size() == 2u);
                check_failed(evs, error::expected_continuation, 1002);
                if (evs.size() == 2) CHECK(evs[1].where() == open.size());
                check_one_close(drain(c), R, 1002);
            }
            // Judged on the new frame's first byte.
            {
                T c;
                const bytes first_byte{static_cast<std::uint8_t>((fin ? 0x80 : 0) | static_cast<int>(second))};
                const std::vector<event_record> evs = feed(c, cat({open, first_byte}));
                check_failed(evs, error::expected_continuation, 1002);
                if (!evs.empty()) CHECK(evs.back().where() == open.size());
            }
        }
    }
}

TEST_CASE_TEMPLATE("§5.4 control frames between fragments", T, server, client) {
    constexpr role R = T::side;
    T c;
    const bytes in = cat({wire<R>(opcode::text, str("Hel"), false), wire<R>(opcode::ping, str("p")),
                          wire<R>(opcode::continuation, str("l"), false), wire<R>(opcode::pong, str("q")),
                          wire<R>(opcode::continuation, str("o"), true)});
    const std::vector<event_record> evs = feed(c, in);
    const std::vector<std::string> expected{
        "data text first [" + hx(str("Hel")) + "]", "ping [" + hx(str("p")) + "]",
        "data text [" + hx(str("l")) + "]",         "pong [" + hx(str("q")) + "]",
        "data text last [" + hx(str("o")) + "]",
    };
    CHECK(lines(describe(evs)) == lines(expected));
    const std::vector<written_frame> out = frames_of(drain(c), R);
    CHECK(lines(describe(out)) == lines({frame_line(opcode::pong, str("p"))}));
    CHECK(c.state() == connection_state::open);
}

TEST_CASE_TEMPLATE("§5.4/§6.2 fragmented messages: first/last, type, concatenation", T, server, client) {
    constexpr role R = T::side;
    T c;
    const bytes in = cat({wire<R>(opcode::text, str("Hel"), false), wire<R>(opcode::continuation, str("l"), false),
                          wire<R>(opcode::continuation, str("o"), true), wire<R>(opcode::binary, str("AB"), false),
                          wire<R>(opcode::continuation, str("C"), true), wire<R>(opcode::text, str("one"))});
    const std::vector<event_record> evs = feed(c, in);
    const std::vector<std::string> expected{
        "data text first [" + hx(str("Hel")) + "]", "data text [" + hx(str("l")) + "]",
        "data text last [" + hx(str("o")) + "]",    "data binary first [" + hx(str("AB")) + "]",
        "data binary last [" + hx(str("C")) + "]",  "data text first last [" + hx(str("one")) + "]",
    };
    CHECK(lines(describe(evs)) == lines(expected));
    const std::vector<event_record> messages = joined(evs);
    CHECK(messages.size() == 3u);
    if (messages.size() == 3) {
        CHECK(hx(messages[0].payload) == hx(str("Hello")));
        CHECK(hx(messages[1].payload) == hx(str("ABC")));
        CHECK(hx(messages[2].payload) == hx(str("one")));
    }
}

TEST_CASE_TEMPLATE("§5.4 empty messages", T, server, client) {
    constexpr role R = T::side;
    for (opcode op : {opcode::text, opcode::binary}) {
        T c;
        const std::vector<event_record> evs = feed(c, wire<R>(op, {}));
        CHECK(evs.size() == 1u);
        if (evs.size() != 1) continue;
        CHECK(evs[0].type == event_type::data);
        CHECK(evs[0].message == static_cast<message_type>(op));
        CHECK(evs[0].first);
        CHECK(evs[0].last);
        CHECK(evs[0].payload.empty());
    }
    // Empty fragments: the message is empty, flags stay consistent.
    {
        T c;
        const bytes in = cat({wire<R>(opcode::text, {}, false), wire<R>(opcode::continuation, {}, false),
                              wire<R>(opcode::continuation, {}, false), wire<R>(opcode::continuation, {}, true)});
        const std::vector<event_record> evs = joined(feed(c, in));
        CHECK(lines(describe(evs)) == "data text first last []\n");
    }
    // Empty fragments around data: nothing is lost or invented.
    {
        T c;
        const bytes in = cat({wire<R>(opcode::binary, {}, false), wire<R>(opcode::continuation, str("x"), false),
                              wire<R>(opcode::continuation, {}, false), wire<R>(opcode::continuation, {}, true)});
        const std::vector<event_record> evs = joined(feed(c, in));
        CHECK(lines(describe(evs)) == "data binary first last [" + hx(str("x")) + "]\n");
    }
}

// ======================================================================
// §5.5 control frames
// ======================================================================

TEST_CASE_TEMPLATE("§5.5 control frame over 125 bytes / fragmented control frame", T, server, client) {
    constexpr role R = T::side;
    const std::uint8_t m = R == role::server ? 0x80 : 0x00;
    for (opcode op : {opcode::close, opcode::ping, opcode::pong}) {
        CAPTURE(static_cast<int>(op));
        const auto b0 = static_cast<std::uint8_t>(op);
        // Length 126 (16-bit form) or 127 (64-bit form): fails on the second byte.
        for (std::uint8_t len7 : {std::uint8_t{126}, std::uint8_t{127}}) {
            T c;
            const std::vector<event_record> evs =
                feed(c, bytes{static_cast<std::uint8_t>(0x80 | b0), static_cast<std::uint8_t>(m | len7)});
            check_failed(evs, error::control_frame_too_long, 1002);
            if (!evs.empty()) CHECK(evs.back().where() == 1u);
            check_one_close(drain(c), R, 1002);
        }
        // FIN clear: fails on the first byte.
        {
            T c;
            const std::vector<event_record> evs = feed(c, bytes{b0});
            check_failed(evs, error::control_frame_fragmented, 1002);
            if (!evs.empty()) CHECK(evs.back().where() == 0u);
            check_one_close(drain(c), R, 1002);
        }
    }
    // 125 bytes is the largest control payload and is accepted.
    {
        T c;
        const bytes payload = filled(125);
        const std::vector<event_record> evs = feed(c, wire<R>(opcode::ping, payload));
        CHECK(evs.size() == 1u);
        if (evs.size() == 1) {
            CHECK(evs[0].type == event_type::ping);
            CHECK(evs[0].payload == payload);
        }
        const std::vector<written_frame> out = frames_of(drain(c), R);
        CHECK(lines(describe(out)) == lines({frame_line(opcode::pong, payload)}));
    }
}

TEST_CASE("§5.5.1 close echo with the received code and reason; empty close echoed empty") {
    // Server: the echo is unmasked and carries the code and the reason.
    {
        server s;
        const std::vector<event_record> evs = feed(s, wire<role::server>(opcode::close, close_body(1000, "bye")));
        const std::vector<std::string> expected{"close code=1000 [" + hx(str("bye")) + "]",
                                                "closed err=none action=close_now code=1000 []"};
        CHECK(lines(describe(evs)) == lines(expected));
        CHECK(hx(drain(s)) == "88 05 03 e8 62 79 65");
        CHECK(s.state() == connection_state::closed);
        CHECK(s.close_status() == 1000);
    }
    {
        server s;
        const std::vector<event_record> evs = feed(s, wire<role::server>(opcode::close, close_body(4321)));
        CHECK(!evs.empty());
        if (!evs.empty()) CHECK(describe(evs[0]) == "close code=4321 []");
        CHECK(hx(drain(s)) == "88 02 10 e1");
    }
    {
        server s;
        const std::vector<event_record> evs = feed(s, wire<role::server>(opcode::close, {}));
        const std::vector<std::string> expected{"close code=1005 []", "closed err=none action=close_now code=1005 []"};
        CHECK(lines(describe(evs)) == lines(expected));
        CHECK(hx(drain(s)) == "88 00");
        CHECK(s.close_status() == 1005);
    }
    // Client: the echo is masked with the next key of its source.
    {
        client c;
        const std::vector<event_record> evs = feed(c, wire<role::client>(opcode::close, close_body(1001, "going")));
        const std::vector<std::string> expected{"close code=1001 [" + hx(str("going")) + "]",
                                                "closed err=none action=wait_for_peer code=1001 []"};
        CHECK(lines(describe(evs)) == lines(expected));
        CHECK(hx(drain(c)) == hx(frame(header(opcode::close, 7, true, true, nth_key(1, 0)), close_body(1001, "going"))));
    }
    {
        client c;
        (void)feed(c, wire<role::client>(opcode::close, {}));
        CHECK(hx(drain(c)) == hx(frame(header(opcode::close, 0, true, true, nth_key(1, 0)), {})));
        CHECK(c.close_status() == 1005);
    }
}

TEST_CASE("§5.5.1 no data frames sent after close") {
    // After close(): sending is refused and only the close frame is written.
    {
        server s;
        CHECK(s.close(1000) == error::none);
        CHECK(s.state() == connection_state::closing);
        CHECK(!s.can_send());
        CHECK(s.send_text("late") == error::not_open);
        CHECK(s.send_binary(std::string_view("late")) == error::not_open);
        CHECK(s.begin_message(message_type::text) == error::not_open);
        CHECK(s.send_part(std::string_view("late"), true) == error::not_open);
        CHECK(s.close(1000) == error::not_open);
        CHECK(hx(drain(s)) == "88 02 03 e8");
    }
    // A message being written is cut at its current frame, which is finished.
    {
        connection_options o;
        o.fragment_size = 4;
        server s(o);
        const bytes payload = str("0123456789ab");
        CHECK(s.send_binary(payload) == error::none);
        bytes w;
        {
            const output_buffers first = s.output();
            for (std::size_t i = 0; i < first.count; ++i)
                w.insert(w.end(), first.parts[i].begin(), first.parts[i].end());
            s.consume(first.size());
        }
        {
            const output_buffers second = s.output();  // "00 04 4567": header and one payload byte go out
            CHECK(second.size() == 6u);
            bytes all;
            for (std::size_t i = 0; i < second.count; ++i)
                all.insert(all.end(), second.parts[i].begin(), second.parts[i].end());
            w.insert(w.end(), all.begin(), all.begin() + 3);
            s.consume(3);
        }
        CHECK(s.close(1000) == error::none);
        const bytes rest = drain(s);
        w.insert(w.end(), rest.begin(), rest.end());
        // close() lets the queued message finish (§5.5.1 allows it), then closes.
        CHECK(hx(w) == hx(cat({hex("02 04"), str("0123"), hex("00 04"), str("4567"), hex("80 04"), str("89ab"),
                               hex("88 02 03 e8")})));
    }
    // A queued message of which nothing was handed out yet is still sent first.
    {
        server s;
        CHECK(s.send_text("bye") == error::none);
        CHECK(s.close(1000) == error::none);
        CHECK(s.send_text("late") == error::not_open);
        CHECK(hx(drain(s)) == "81 03 62 79 65 88 02 03 e8");
    }
    // After the peer's close, likewise: the echo is the last frame.
    {
        client c;
        const bytes abc = str("abc");
        CHECK(c.begin_message(message_type::text) == error::none);
        CHECK(c.send_part(abc, false) == error::none);
        const bytes part1 = drain(c);
        (void)feed(c, wire<role::client>(opcode::close, close_body(1000)));
        CHECK(c.send_part(std::string_view("def"), true) == error::not_open);
        CHECK(c.send_text("x") == error::not_open);
        CHECK(c.ping() == error::not_open);
        CHECK(c.pong() == error::not_open);
        const std::vector<written_frame> fs = frames_of(cat({part1, drain(c)}), role::client);
        CHECK(lines(describe(fs)) ==
              lines({frame_line(opcode::text, str("abc"), false), frame_line(opcode::close, close_body(1000))}));
    }
}

TEST_CASE(
    "§5.5.1 server closes TCP first (closed event action close_now), client waits (wait_for_peer) and timer() says "
    "tcp_close") {
    // The peer starts the handshake.
    {
        server s;
        const std::vector<event_record> evs = feed(s, wire<role::server>(opcode::close, close_body(1000)));
        CHECK(evs.size() == 2u);
        if (evs.size() == 2) {
            CHECK(evs[1].type == event_type::closed);
            CHECK(evs[1].err == error::none);
            CHECK(evs[1].action == tcp_action::close_now);
            CHECK(evs[1].code == 1000);
        }
        CHECK(s.timer() == timer_hint::none);
    }
    {
        client c;
        const std::vector<event_record> evs = feed(c, wire<role::client>(opcode::close, close_body(1000)));
        CHECK(evs.size() == 2u);
        if (evs.size() == 2) {
            CHECK(evs[1].type == event_type::closed);
            CHECK(evs[1].err == error::none);
            CHECK(evs[1].action == tcp_action::wait_for_peer);
            CHECK(evs[1].code == 1000);
        }
        CHECK(c.timer() == timer_hint::tcp_close);
        // The server does not close TCP in time: the client does.
        const event t = c.receive_timeout();
        CHECK(t.type == event_type::closed);
        CHECK(t.err == error::none);
        CHECK(t.action == tcp_action::close_now);
        CHECK(t.code == 1000);
        CHECK(c.timer() == timer_hint::none);
        CHECK(c.state() == connection_state::closed);
    }
    // We start the handshake: the timer runs while we wait for the peer's close.
    {
        server s;
        CHECK(s.timer() == timer_hint::none);
        CHECK(s.close(1000) == error::none);
        CHECK(s.timer() == timer_hint::close_handshake);
        const std::vector<event_record> evs = feed(s, wire<role::server>(opcode::close, close_body(1000)));
        CHECK(evs.size() == 2u);
        if (evs.size() == 2) CHECK(evs[1].action == tcp_action::close_now);
        CHECK(s.timer() == timer_hint::none);
        CHECK(drain(s).size() == 4u);  // our close only, no second one
    }
    {
        client c;
        CHECK(c.close(1000) == error::none);
        CHECK(c.timer() == timer_hint::close_handshake);
        const std::vector<event_record> evs = feed(c, wire<role::client>(opcode::close, close_body(1000)));
        CHECK(evs.size() == 2u);
        if (evs.size() == 2) CHECK(evs[1].action == tcp_action::wait_for_peer);
        CHECK(c.timer() == timer_hint::tcp_close);
        CHECK(frames_of(drain(c), role::client).size() == 1u);
    }
}

TEST_CASE("§7.1.1 client: the server's TCP close after the handshake is the end it waited for") {
    client c;
    (void)feed(c, wire<role::client>(opcode::close, close_body(1000)));
    CHECK(c.timer() == timer_hint::tcp_close);
    const event e = c.receive_eof();
    CHECK(e.type == event_type::closed);
    CHECK(e.err == error::none);
    CHECK(e.code == 1000);
    // The server has closed TCP: there is nothing left to wait for.
    CHECK(std::string(tcp_action_name(e.action)) == "close_now");
    CHECK(c.timer() == timer_hint::none);
    CHECK(c.state() == connection_state::closed);
    // Likewise after a failure: the client was told to close TCP, and the server did.
    client d;
    check_failed(feed(d, hex("83 00")), error::reserved_opcode, 1002);
    const event f = d.receive_eof();
    CHECK(f.type == event_type::closed);
    CHECK(std::string(tcp_action_name(f.action)) == "close_now");
}

TEST_CASE_TEMPLATE("§5.5.2 ping answered by a pong with the same payload", T, server, client) {
    constexpr role R = T::side;
    for (const bytes& payload : {bytes{}, str("Hello"), filled(125)}) {
        CAPTURE(payload.size());
        T c;
        const std::vector<event_record> evs = feed(c, wire<R>(opcode::ping, payload));
        CHECK(evs.size() == 1u);
        if (evs.size() == 1) {
            CHECK(evs[0].type == event_type::ping);
            CHECK(evs[0].payload == payload);
        }
        const bytes w = drain(c);
        if (R == role::server)
            CHECK(hx(w) == hx(frame(header(opcode::pong, payload.size()), payload)));
        else
            CHECK(hx(w) == hx(frame(header(opcode::pong, payload.size(), true, true, nth_key(1, 0)), payload)));
        CHECK(c.state() == connection_state::open);
    }
    // With auto_pong off, pings are only reported; the application answers.
    {
        connection_options o;
        o.auto_pong = false;
        T c(o);
        const std::vector<event_record> evs = feed(c, wire<R>(opcode::ping, str("hb")));
        CHECK(evs.size() == 1u);
        CHECK(drain(c).empty());
        CHECK(c.pong(str("hb")) == error::none);
        CHECK(lines(describe(frames_of(drain(c), R))) == lines({frame_line(opcode::pong, str("hb"))}));
    }
}

TEST_CASE_TEMPLATE("§5.5.3 only the most recent ping's pong when several arrive before output is written", T, server,
                   client) {
    constexpr role R = T::side;
    {
        T c;
        const bytes in =
            cat({wire<R>(opcode::ping, str("a")), wire<R>(opcode::ping, str("bb")), wire<R>(opcode::ping, str("ccc"))});
        const std::vector<event_record> evs = feed(c, in);
        CHECK(evs.size() == 3u);  // every ping is reported
        CHECK(lines(describe(frames_of(drain(c), R))) == lines({frame_line(opcode::pong, str("ccc"))}));
    }
    // A pong partly written is finished; of the pings that arrive meanwhile, the most recent is answered.
    {
        T c;
        (void)feed(c, wire<R>(opcode::ping, str("a")));
        const output_buffers o = c.output();
        CHECK(o.count == 1u);
        bytes w(o.parts[0].begin(), o.parts[0].begin() + 1);
        c.consume(1);
        (void)feed(c, cat({wire<R>(opcode::ping, str("bb")), wire<R>(opcode::ping, str("ccc"))}));
        const bytes rest = drain(c);
        w.insert(w.end(), rest.begin(), rest.end());
        CHECK(lines(describe(frames_of(w, R))) ==
              lines({frame_line(opcode::pong, str("a")), frame_line(opcode::pong, str("ccc"))}));
    }
    // Written pongs are not replaced: one ping, drained, then another.
    {
        T c;
        (void)feed(c, wire<R>(opcode::ping, str("1")));
        const bytes w1 = drain(c);
        (void)feed(c, wire<R>(opcode::ping, str("2")));
        const bytes w2 = drain(c);
        CHECK(lines(describe(frames_of(cat({w1, w2}), R))) ==
              lines({frame_line(opcode::pong, str("1")), frame_line(opcode::pong, str("2"))}));
    }
}

TEST_CASE_TEMPLATE("§5.5.3 a received pong is reported and not answered", T, server, client) {
    constexpr role R = T::side;
    T c;
    const std::vector<event_record> evs = feed(c, wire<R>(opcode::pong, str("beat")));
    CHECK(lines(describe(evs)) == "pong [" + hx(str("beat")) + "]\n");
    CHECK(drain(c).empty());
}

// ======================================================================
// §5.6 text is UTF-8
// ======================================================================

namespace {

/// Feeds `in` in the given pieces; the input must fail with invalid_utf8 at
/// global offset `bad`. Checks that the failed event points at the bad byte
/// (relative to the input of the receive() call that reports it), that the data
/// events before it carry exactly `before_bad` (the message's bytes before the
/// bad one, whatever the split: DESIGN invariant 1) and that nothing follows.
template <class C>
void check_utf8_failure(const bytes& in, const std::vector<std::size_t>& parts, std::size_t bad,
                        const bytes& before_bad) {
    C c;
    std::size_t at = 0;
    std::vector<event_record> all;
    bool failed = false;
    for (const std::size_t n : parts) {
        const std::vector<event_record> evs = feed(c, slice(in, at, n));
        for (const event_record& e : evs) {
            if (e.type == event_type::failed) {
                CHECK(!failed);
                failed = true;
                CHECK(e.err == error::invalid_utf8);
                CHECK(e.code == 1007);
                CHECK(bad >= at);
                CHECK(bad < at + n);
                CHECK(e.where() == bad - at);
            }
        }
        if (!failed) CHECK(bad >= at + n);
        all.insert(all.end(), evs.begin(), evs.end());
        at += n;
    }
    CHECK(failed);
    CHECK(!all.empty());
    if (all.empty()) return;
    CHECK(all.back().type == event_type::failed);
    bytes data;
    for (const event_record& e : all)
        if (e.type == event_type::data) data.insert(data.end(), e.payload.begin(), e.payload.end());
    CHECK(hx(data) == hx(before_bad));
    const std::vector<written_frame> out = frames_of(drain(c), C::side);  // pongs may come first
    CHECK(!out.empty());
    if (out.empty()) return;
    CHECK(out.back().h.op == opcode::close);
    CHECK(out.back().payload.size() >= 2u);
    if (out.back().payload.size() >= 2) CHECK(((out.back().payload[0] << 8) | out.back().payload[1]) == 1007);
    for (std::size_t i = 0; i + 1 < out.size(); ++i) CHECK(out[i].h.op == opcode::pong);
}

}  // namespace

TEST_CASE_TEMPLATE("§5.6 text must be UTF-8: 1007 fail-fast at the bad byte, across frames and receive() calls", T,
                   server, client) {
    constexpr role R = T::side;
    // One frame: "abc" + E2 82 (a valid start of U+20AC) + '(' which cannot continue it.
    {
        const bytes payload = hex("61 62 63 e2 82 28 64 65");
        const bytes in = wire<R>(opcode::text, payload);
        const std::size_t bad = wire_header_size<R>(payload.size()) + 5;
        for (const std::vector<std::size_t>& parts : test::splits(in.size())) {
            CAPTURE(parts.size());
            check_utf8_failure<T>(in, parts, bad, slice(payload, 0, 5));
        }
    }
    // A bad byte that can never appear.
    {
        const bytes payload = hex("61 ff 62");
        const bytes in = wire<R>(opcode::text, payload);
        for (const std::vector<std::size_t>& parts : test::splits(in.size()))
            check_utf8_failure<T>(in, parts, wire_header_size<R>(3) + 1, slice(payload, 0, 1));
    }
    // Across frames, with a ping between them: F0 9F ... then 'A' instead of a continuation byte.
    {
        const bytes f1 = wire<R>(opcode::text, hex("61 f0 9f"), false);
        const bytes ping = wire<R>(opcode::ping, str("p"));
        const bytes f2 = wire<R>(opcode::continuation, hex("98 41 62"), true);
        const bytes in = cat({f1, ping, f2});
        const std::size_t bad = f1.size() + ping.size() + wire_header_size<R>(3) + 1;
        for (const std::vector<std::size_t>& parts : test::splits(in.size())) {
            CAPTURE(parts.size());
            check_utf8_failure<T>(in, parts, bad, hex("61 f0 9f 98"));
        }
    }
    // Surrogates and overlong forms fail at the byte that rules them out.
    {
        const bytes payload = hex("ed a0 80");  // U+D800
        const bytes in = wire<R>(opcode::text, payload);
        for (const std::vector<std::size_t>& parts : test::splits(in.size()))
            check_utf8_failure<T>(in, parts, wire_header_size<R>(3) + 1, hex("ed"));
    }
    {
        const bytes payload = hex("c0 af");  // overlong '/'
        const bytes in = wire<R>(opcode::text, payload);
        for (const std::vector<std::size_t>& parts : test::splits(in.size()))
            check_utf8_failure<T>(in, parts, wire_header_size<R>(2), {});
    }
    // Valid UTF-8 split inside code points, across frames and calls, passes.
    {
        const bytes text = str("h\xc3\xa9llo \xe2\x82\xac \xf0\x9d\x84\x9e!");
        const bytes in = cat({wire<R>(opcode::text, slice(text, 0, 2), false),
                              wire<R>(opcode::continuation, slice(text, 2, 7), false),
                              wire<R>(opcode::continuation, slice(text, 9, 3), false),
                              wire<R>(opcode::continuation, slice(text, 12, text.size() - 12), true)});
        for (const std::vector<std::size_t>& parts : test::splits(in.size())) {
            T c;
            const std::vector<event_record> evs = joined(feed_parts(c, in, parts));
            CHECK(evs.size() == 1u);
            if (evs.size() == 1) CHECK(hx(evs[0].payload) == hx(text));
        }
    }
    // Binary messages are not UTF-8 checked.
    {
        T c;
        const std::vector<event_record> evs = feed(c, wire<R>(opcode::binary, hex("ff fe c0")));
        CHECK(evs.size() == 1u);
        if (evs.size() == 1) CHECK(evs[0].type == event_type::data);
    }
}

TEST_CASE_TEMPLATE("§5.6 a whole text message of 3-byte characters (CJK, unmasked and validated in one pass): "
                   "every byte delivered, or 1007 at the bad byte wherever it sits",
                   T, server, client) {
    constexpr role R = T::side;
    std::mt19937 rng(31);
    static constexpr std::uint8_t leads[] = {0xE1, 0xE4, 0xE5, 0xE6, 0xE7, 0xE8, 0xE9, 0xEA, 0xEC, 0xEE, 0xEF};
    bytes text;
    while (text.size() < 3 * 300) {
        text.push_back(leads[rng() % std::size(leads)]);
        text.push_back(static_cast<std::uint8_t>(0x80 + rng() % 64));
        text.push_back(static_cast<std::uint8_t>(0x80 + rng() % 64));
    }
    const std::size_t hs = wire_header_size<R>(text.size());
    const auto delivered = [&](const bytes& payload, const std::vector<std::size_t>& parts) {
        T c;
        const bytes in = wire<R>(opcode::text, payload);
        const std::vector<event_record> evs = joined(feed_parts(c, in, parts));
        CHECK(evs.size() == 1u);
        return evs.empty() ? std::string("none") : describe(evs[0]);
    };
    const auto whole_and_split = [&](std::size_t n) {
        return std::vector<std::vector<std::size_t>>{{hs + n}, {hs, n}, {hs + 100, n - 100}, {hs + 1, n - 1}};
    };
    // Valid texts: the run alone, with an E0 or ED character (not on the
    // fast path), with ASCII or a 4-byte character inside, or after ASCII.
    std::vector<bytes> valid = {text};
    for (const char* odd : {"e0 a4 80", "ed 9f bf", "41 42 43", "f0 9f 98 80"}) {
        for (const std::size_t at : {0u, 3u, 189u, 192u, 450u, 897u}) {
            bytes t = text;
            const bytes o = hex(odd);
            t.erase(t.begin() + static_cast<std::ptrdiff_t>(at), t.begin() + static_cast<std::ptrdiff_t>(at + 3));
            t.insert(t.begin() + static_cast<std::ptrdiff_t>(at), o.begin(), o.end());
            valid.push_back(t);
        }
    }
    for (const bytes& t : valid) {
        CAPTURE(hx(slice(t, 0, 8)));
        for (const std::vector<std::size_t>& parts : whole_and_split(t.size()))
            CHECK(delivered(t, parts) == "data text first last [" + hx(t) + "]");
    }
    // One byte replaced, at every position: the failure names that byte.
    std::size_t failures = 0;
    for (std::size_t j = 0; j < text.size(); ++j) {
        for (const std::uint8_t v : {std::uint8_t{0x41}, std::uint8_t{0x80}, std::uint8_t{0xC2}, std::uint8_t{0xE0},
                                     std::uint8_t{0xED}, std::uint8_t{0xF0}, std::uint8_t{0xFF}}) {
            bytes t = text;
            if (t[j] == v) continue;
            t[j] = v;
            const utf8_result u = detail::utf8_validate_scalar(t.data(), t.size());
            if (u.err != utf8_error::invalid) continue;  // still valid (0x41 for a lead, say)
            CAPTURE(j);
            CAPTURE(v);
            const bytes in = wire<R>(opcode::text, t);
            check_utf8_failure<T>(in, {in.size()}, hs + u.position, slice(t, 0, u.position));
            if (j % 7 == 0) check_utf8_failure<T>(in, {hs, t.size()}, hs + u.position, slice(t, 0, u.position));
            ++failures;
        }
    }
    CHECK(failures > 4000u);
}

TEST_CASE_TEMPLATE("§5.6 text truncated at message end: 1007", T, server, client) {
    constexpr role R = T::side;
    // In the final frame.
    {
        T c;
        const std::vector<event_record> evs = feed(c, wire<R>(opcode::text, hex("61 e2 82")));
        check_failed(evs, error::invalid_utf8, 1007);
        CHECK(c.state() == connection_state::failed);
        check_one_close(drain(c), R, 1007);
    }
    // Completed by nothing: an empty final frame ends the text.
    {
        T c;
        const std::vector<event_record> evs =
            feed(c, cat({wire<R>(opcode::text, hex("61 f0 9f 98"), false), wire<R>(opcode::continuation, {}, true)}));
        check_failed(evs, error::invalid_utf8, 1007);
    }
    // Split across calls at every byte.
    {
        const bytes in =
            cat({wire<R>(opcode::text, hex("61 e2"), false), wire<R>(opcode::continuation, hex("82"), true)});
        for (const std::vector<std::size_t>& parts : test::splits(in.size())) {
            T c;
            check_failed(feed_parts(c, in, parts), error::invalid_utf8, 1007);
        }
    }
    // The same bytes completed in the next frame are fine.
    {
        T c;
        const std::vector<event_record> evs = joined(feed(
            c, cat({wire<R>(opcode::text, hex("61 e2 82"), false), wire<R>(opcode::continuation, hex("ac"), true)})));
        CHECK(lines(describe(evs)) == "data text first last [61 e2 82 ac]\n");
    }
}

TEST_CASE_TEMPLATE("§5.6 text truncated at message end: its bytes are delivered, then the failure at position 0", T,
                   server, client) {
    constexpr role R = T::side;
    // event.position: "0 ... if a text message ended inside a UTF-8 sequence (the
    // message's end is at fault, and its bytes were delivered first)". Whatever
    // the split, the data events carry the whole payload (none is `last`), then
    // the failure comes, at 0, and a following ping is not processed.
    const bytes ping = wire<R>(opcode::ping, str("p"));
    const struct {
        bytes in;
        bytes payload;
    } cases[] = {
        {cat({wire<R>(opcode::text, hex("61 e2 82")), ping}), hex("61 e2 82")},
        {cat({wire<R>(opcode::text, hex("61 f0 9f"), false), wire<R>(opcode::continuation, hex("98"), true), ping}),
         hex("61 f0 9f 98")},
        {cat({wire<R>(opcode::text, hex("f0 9f 98"), false), wire<R>(opcode::continuation, {}, true), ping}),
         hex("f0 9f 98")},
        {cat({wire<R>(opcode::text, hex("c3"), false), wire<R>(opcode::pong, {}),
              wire<R>(opcode::continuation, {}, true), ping}),
         hex("c3")},
    };
    for (const auto& k : cases) {
        CAPTURE(hx(k.payload));
        for (const std::vector<std::size_t>& parts : test::splits(k.in.size())) {
            CAPTURE(parts.size());
            T c;
            std::vector<event_record> evs;
            std::size_t at = 0;
            for (const std::size_t n : parts) {
                const std::vector<event_record> got = feed(c, slice(k.in, at, n));
                for (const event_record& e : got) {
                    if (e.type == event_type::failed) CHECK(e.position <= n);  // never past the input
                }
                evs.insert(evs.end(), got.begin(), got.end());
                at += n;
            }
            check_failed(evs, error::invalid_utf8, 1007);
            if (evs.empty()) continue;
            CHECK(evs.back().position == 0u);
            bytes data;
            for (const event_record& e : evs) {
                CHECK(e.type != event_type::ping);
                if (e.type != event_type::data) continue;
                CHECK(!e.last);
                data.insert(data.end(), e.payload.begin(), e.payload.end());
            }
            CHECK(hx(data) == hx(k.payload));
            check_one_close(drain(c), R, 1007);
        }
    }
}

TEST_CASE_TEMPLATE("§5.6/§7.1.4 a failure still to be reported does not outlive receive_eof()", T, server, client) {
    constexpr role R = T::side;
    // The bytes before the bad one come as a data event; the failure would come
    // with the next receive(). The TCP connection ends first: the connection is
    // closed (1006) and stays so, with no event after `closed`.
    T c;
    test::guarded g(wire<R>(opcode::text, hex("61 62 ff 63")));
    const event d = c.receive(g.span());
    CHECK(d.type == event_type::data);
    CHECK(hx(d.payload) == "61 62");
    const event e = c.receive_eof();
    CHECK(e.type == event_type::closed);
    CHECK(e.err == error::connection_lost);
    CHECK(e.code == 1006);
    const event after = c.receive(g.span().subspan(d.consumed));
    CHECK(std::string(event_type_name(after.type)) == "ended");
    CHECK(c.state() == connection_state::closed);
    CHECK(c.close_status() == 1006);
    // The connection failed when the bad byte arrived: its 1007 close frame
    // was queued then, with the data event, not with the deferred event.
    check_one_close(drain(c), R, 1007);
}

TEST_CASE_TEMPLATE("§7.1.7 a text violation fails the connection at once, before its event", T, server, client) {
    constexpr role R = T::side;
    T c;
    test::guarded g(wire<R>(opcode::text, hex("61 62 ff 63")));
    const event d = c.receive(g.span());
    CHECK(d.type == event_type::data);
    CHECK(c.state() == connection_state::failed);
    CHECK_FALSE(c.can_send());
    CHECK(c.close(1000) == error::not_open);
    CHECK(c.send_text("x") == error::not_open);
    const event f = c.receive(g.span().subspan(d.consumed));
    CHECK(f.type == event_type::failed);
    CHECK(f.err == error::invalid_utf8);
    CHECK(f.code == 1007);
    CHECK(f.position == 0u);
    check_one_close(drain(c), R, 1007);
}

// ======================================================================
// §7 closing
// ======================================================================

TEST_CASE_TEMPLATE(
    "§7.1.5/§7.4 close codes: invalid code in a received close -> 1002; 1-byte close payload -> 1002; bad UTF-8 reason "
    "-> 1007",
    T, server, client) {
    constexpr role R = T::side;
    for (int code : {0, 1, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535}) {
        CAPTURE(code);
        T c;
        const std::vector<event_record> evs =
            feed(c, wire<R>(opcode::close, close_body(static_cast<std::uint16_t>(code), "r")));
        CHECK(evs.size() == 1u);
        check_failed(evs, error::invalid_close_code, 1002);
        if (!evs.empty()) CHECK(evs.back().where() == wire_header_size<R>(3));  // the code's first byte
        check_one_close(drain(c), R, 1002);
        CHECK(c.state() == connection_state::failed);
        CHECK(c.close_status() == 1002);
    }
    for (int code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999}) {
        CAPTURE(code);
        T c;
        const auto u = static_cast<std::uint16_t>(code);
        const std::vector<event_record> evs = feed(c, wire<R>(opcode::close, close_body(u, "why")));
        CHECK(evs.size() == 2u);
        if (evs.size() != 2) continue;
        CHECK(evs[0].type == event_type::close);
        CHECK(evs[0].code == u);
        CHECK(hx(evs[0].payload) == hx(str("why")));
        CHECK(evs[1].type == event_type::closed);
        CHECK(evs[1].code == u);
        CHECK(c.close_status() == u);
        CHECK(lines(describe(frames_of(drain(c), R))) == lines({frame_line(opcode::close, close_body(u, "why"))}));
    }
    {
        T c;
        const std::vector<event_record> evs = feed(c, wire<R>(opcode::close, hex("03")));
        check_failed(evs, error::close_payload_too_short, 1002);
        check_one_close(drain(c), R, 1002);
    }
    for (const bytes& reason : {hex("ff"), hex("c3"), hex("62 79 65 e2 82"), hex("ed b0 80"), hex("80")}) {
        CAPTURE(hx(reason));
        T c;
        const std::vector<event_record> evs = feed(c, wire<R>(opcode::close, cat({close_body(1000), reason})));
        check_failed(evs, error::invalid_close_reason, 1007);
        check_one_close(drain(c), R, 1007);
    }
    // A 123-byte UTF-8 reason (the most a close frame holds) is fine.
    {
        T c;
        const std::string reason(123, 'r');
        const std::vector<event_record> evs = feed(c, wire<R>(opcode::close, close_body(1000, reason)));
        CHECK(evs.size() == 2u);
        if (!evs.empty()) CHECK(evs[0].payload.size() == 123u);
    }
}

TEST_CASE_TEMPLATE("§7.1.7 failure queues a close frame with the code and then ignores input", T, server, client) {
    constexpr role R = T::side;
    const bytes bad{0x83, static_cast<std::uint8_t>(R == role::server ? 0x80 : 0x00), 0, 0, 0, 0};  // reserved opcode
    const bytes good = cat({wire<R>(opcode::text, str("after")), wire<R>(opcode::ping, str("p")),
                            wire<R>(opcode::close, close_body(1000))});
    T c;
    const std::vector<event_record> evs = feed(c, cat({wire<R>(opcode::text, str("before")), bad, good}));
    CHECK(evs.size() == 2u);
    if (evs.size() == 2) CHECK(hx(evs[0].payload) == hx(str("before")));
    check_failed(evs, error::reserved_opcode, 1002);
    CHECK(c.state() == connection_state::failed);
    CHECK(c.close_status() == 1002);
    // Sticky: later input, whole or in pieces, yields no events and no replies (no pong, no close echo).
    CHECK(feed(c, good).empty());
    for (std::size_t i = 0; i < good.size(); ++i) CHECK(feed(c, slice(good, i, 1)).empty());
    check_one_close(drain(c), R, 1002);
    CHECK(drain(c).empty());
    // Nothing can be sent any more.
    CHECK(c.send_text("x") == error::not_open);
    CHECK(c.begin_message(message_type::binary) == error::not_open);
    CHECK(c.ping() == error::not_open);
    CHECK(c.close(1000) == error::not_open);
    CHECK(!c.can_send());
    CHECK(c.timer() == timer_hint::tcp_close);  // lingering
}

TEST_CASE_TEMPLATE("§7.1.7 failure during a send: the current frame ends, then the close frame", T, server, client) {
    constexpr role R = T::side;
    connection_options o;
    o.fragment_size = 4;
    T c(o);
    bytes payload = str("0123456789");
    CHECK(c.send_in_place(message_type::binary, mutable_bytes(payload)) == error::none);
    const output_buffers first = c.output();
    const std::size_t hs = R == role::server ? 2 : 6;
    CHECK(first.size() == hs + 4);
    bytes w;
    for (std::size_t i = 0; i < first.count; ++i) w.insert(w.end(), first.parts[i].begin(), first.parts[i].end());
    w.resize(hs + 1);
    c.consume(hs + 1);
    check_failed(feed(c, bytes{0x80}), error::unexpected_continuation, 1002);
    const bytes rest = drain(c);
    w.insert(w.end(), rest.begin(), rest.end());
    const std::vector<written_frame> fs = frames_of(w, R);
    CHECK(fs.size() == 2u);
    if (fs.size() != 2) return;
    CHECK(describe(fs[0]) == frame_line(opcode::binary, str("0123"), false));
    CHECK(fs[1].h.op == opcode::close);
    CHECK(fs[1].payload.size() >= 2u);
    if (fs[1].payload.size() >= 2) CHECK(((fs[1].payload[0] << 8) | fs[1].payload[1]) == 1002);
}

TEST_CASE_TEMPLATE("§7.4.1/§7.2.1 1005/1006 never on the wire; a lost TCP connection fails it (connection_lost)", T,
                   server, client) {
    constexpr role R = T::side;
    // receive_eof() without a close frame: 1006, reported, nothing queued.
    {
        T c;
        const event e = c.receive_eof();
        CHECK(e.type == event_type::closed);
        CHECK(e.err == error::connection_lost);
        CHECK(e.code == 1006);
        CHECK(e.action == tcp_action::close_now);
        CHECK(c.state() == connection_state::closed);
        CHECK(c.close_status() == 1006);
        CHECK(c.output().empty());
        CHECK(c.pending_output() == 0u);
        CHECK(drain(c).empty());
        CHECK(c.timer() == timer_hint::none);
        CHECK(c.send_text("x") == error::not_open);
        CHECK(feed(c, wire<R>(opcode::text, str("late"))).empty());
    }
    // In the middle of a message.
    {
        T c;
        (void)feed(c, wire<R>(opcode::text, str("par"), false));
        const event e = c.receive_eof();
        CHECK(e.err == error::connection_lost);
        CHECK(e.code == 1006);
        CHECK(drain(c).empty());
    }
    // After our close, before the peer's: still 1006; only our close frame is written.
    {
        T c;
        CHECK(c.close(1001) == error::none);
        const event e = c.receive_eof();
        CHECK(e.type == event_type::closed);
        CHECK(e.err == error::connection_lost);
        CHECK(e.code == 1006);
        CHECK(c.close_status() == 1006);
        check_one_close(drain(c), R, 1001);
    }
    // close(1005) sends an empty close frame; 1005, 1006 and 1015 are never put in one.
    {
        T c;
        CHECK(c.close(close_code::abnormal) == error::unsendable_close_code);
        CHECK(c.close(close_code::tls_handshake) == error::unsendable_close_code);
        CHECK(c.close(close_code::no_status, "why") == error::unsendable_close_code);
        CHECK(c.state() == connection_state::open);
        CHECK(drain(c).empty());
        CHECK(c.close(close_code::no_status) == error::none);
        CHECK(c.close_status() == 1005);
        CHECK(lines(describe(frames_of(drain(c), R))) == lines({frame_line(opcode::close, {})}));
    }
}

TEST_CASE_TEMPLATE("§7.1.2 close() with a reason; invalid code, long or bad reason are usage errors", T, server,
                   client) {
    constexpr role R = T::side;
    {
        T c;
        CHECK(c.close(1001, "going away") == error::none);
        CHECK(c.state() == connection_state::closing);
        CHECK(c.close_status() == 1001);
        const bytes w = drain(c);
        if (R == role::server) CHECK(hx(w) == hx(cat({hex("88 0c 03 e9"), str("going away")})));
        CHECK(lines(describe(frames_of(w, R))) ==
              lines({frame_line(opcode::close, close_body(1001, "going away"))}));
    }
    {
        T c;
        const std::string reason(123, 'x');
        CHECK(c.close(4000, reason) == error::none);
        const std::vector<written_frame> fs = frames_of(drain(c), R);
        CHECK(fs.size() == 1u);
        if (fs.size() == 1) CHECK(fs[0].payload.size() == 125u);
    }
    T c;
    CHECK(c.close(999) == error::unsendable_close_code);
    CHECK(c.close(1004) == error::unsendable_close_code);
    CHECK(c.close(2999) == error::unsendable_close_code);
    CHECK(c.close(5000) == error::unsendable_close_code);
    CHECK(c.close(1000, std::string(124, 'x')) == error::close_reason_too_long);
    CHECK(c.close(1000, "bad \xff") == error::close_reason_not_utf8);
    CHECK(c.close(1000, "cut \xe2\x82") == error::close_reason_not_utf8);
    // Rejected calls change nothing.
    CHECK(c.state() == connection_state::open);
    CHECK(c.close_status() == 0);
    CHECK(c.pending_output() == 0u);
    CHECK(drain(c).empty());
    CHECK(c.can_send());
}

TEST_CASE("§7.1.2/§7.1.4 close handshake between a server and a client, from each side and simultaneously") {
    // Server first.
    {
        server s;
        client c;
        CHECK(s.close(1000, "bye") == error::none);
        const std::vector<event_record> ce = feed(c, drain(s));
        CHECK(lines(describe(ce)) == lines({"close code=1000 [" + hx(str("bye")) + "]",
                                                        "closed err=none action=wait_for_peer code=1000 []"}));
        CHECK(c.timer() == timer_hint::tcp_close);
        const std::vector<event_record> se = feed(s, drain(c));
        CHECK(lines(describe(se)) == lines({"close code=1000 [" + hx(str("bye")) + "]",
                                            "closed err=none action=close_now code=1000 []"}));
        CHECK(s.state() == connection_state::closed);
        CHECK(c.state() == connection_state::closed);
        CHECK(s.timer() == timer_hint::none);
        CHECK(drain(s).empty());
        CHECK(drain(c).empty());
    }
    // Client first.
    {
        server s;
        client c;
        CHECK(c.close(1001, "tab closed") == error::none);
        CHECK(c.timer() == timer_hint::close_handshake);
        const std::vector<event_record> se = feed(s, drain(c));
        CHECK(lines(describe(se)) == lines({"close code=1001 [" + hx(str("tab closed")) + "]",
                                                        "closed err=none action=close_now code=1001 []"}));
        const std::vector<event_record> ce = feed(c, drain(s));
        CHECK(lines(describe(ce)) == lines({"close code=1001 [" + hx(str("tab closed")) + "]",
                                            "closed err=none action=wait_for_peer code=1001 []"}));
        CHECK(c.timer() == timer_hint::tcp_close);
    }
    // Both at once: each sees the other's code (§7.1.5 note), no second close is sent.
    {
        server s;
        client c;
        CHECK(s.close(1001, "server") == error::none);
        CHECK(c.close(1000, "client") == error::none);
        const bytes from_s = drain(s);
        const bytes from_c = drain(c);
        const std::vector<event_record> se = feed(s, from_c);
        const std::vector<event_record> ce = feed(c, from_s);
        CHECK(lines(describe(se)) == lines({"close code=1000 [" + hx(str("client")) + "]",
                                                        "closed err=none action=close_now code=1000 []"}));
        CHECK(lines(describe(ce)) == lines({"close code=1001 [" + hx(str("server")) + "]",
                                                        "closed err=none action=wait_for_peer code=1001 []"}));
        CHECK(drain(s).empty());
        CHECK(drain(c).empty());
        CHECK(s.close_status() == 1000);
        CHECK(c.close_status() == 1001);
        CHECK(s.timer() == timer_hint::none);
        CHECK(c.timer() == timer_hint::tcp_close);
    }
}

TEST_CASE_TEMPLATE("§7.1.2/§5.5.2 after our close: data dropped, pings answered, the peer's close ends it", T,
                   server, client) {
    constexpr role R = T::side;
    T c;
    CHECK(c.close(1000) == error::none);
    const bytes ours = drain(c);
    const std::vector<event_record> evs =
        feed(c, cat({wire<R>(opcode::text, str("late"), false), wire<R>(opcode::ping, str("p")),
                     wire<R>(opcode::continuation, str("r"), true), wire<R>(opcode::close, close_body(1000))}));
    CHECK(lines(describe(evs)) ==
          lines({"ping [" + hx(str("p")) + "]", "close code=1000 []",
                       std::string("closed err=none action=") + tcp_action_name(after_handshake<R>) + " code=1000 []"}));
    // The ping came before the peer's close: a pong answers it (§5.5.2), after our close frame.
    CHECK(lines(describe(frames_of(drain(c), R))) == lines({frame_line(opcode::pong, str("p"))}));
    check_one_close(ours, R, 1000);
}

TEST_CASE_TEMPLATE("§7.1.1 receive_timeout() when timer() is close_handshake", T, server, client) {
    T c;
    // No timer: nothing happens.
    CHECK(c.timer() == timer_hint::none);
    const event idle = c.receive_timeout();
    CHECK(idle.type == event_type::need_more);
    CHECK(c.state() == connection_state::open);
    CHECK(c.close(1000) == error::none);
    CHECK(c.timer() == timer_hint::close_handshake);
    const event e = c.receive_timeout();
    CHECK(e.type == event_type::closed);
    CHECK(e.err == error::close_timeout);
    CHECK(e.code == 1006);
    CHECK(e.action == tcp_action::close_now);
    CHECK(c.state() == connection_state::closed);
    CHECK(c.close_status() == 1006);
    CHECK(c.timer() == timer_hint::none);
    // A close that arrives late is not processed.
    CHECK(feed(c, wire<T::side>(opcode::close, close_body(1000))).empty());
}

// ======================================================================
// Limits (close code 1009, §7.4.1)
// ======================================================================

TEST_CASE_TEMPLATE("limits: max_frame_size exceeded fails with 1009 as soon as the header arrives", T, server, client) {
    constexpr role R = T::side;
    for (std::uint64_t limit : {std::uint64_t{100}, std::uint64_t{1000}, std::uint64_t{70000}}) {
        CAPTURE(limit);
        connection_options o;
        o.limits.max_frame_size = limit;
        // One byte over: header only, no payload fed; fails on the last byte
        // of the length field (DESIGN invariant 3), not before and not at
        // the mask key.
        {
            const encoded_header h =
                encode_header(header(opcode::binary, limit + 1, true, R == role::server, rfc_key));
            const bytes hb(h.view().begin(), h.view().end());
            const std::size_t length_end = hb.size() - (R == role::server ? 4 : 0);
            T c(o);
            for (std::size_t i = 0; i + 1 < length_end; ++i) CHECK(feed(c, slice(hb, i, 1)).empty());
            const std::vector<event_record> evs = feed(c, slice(hb, length_end - 1, 1));
            check_failed(evs, error::frame_too_big, 1009);
            check_one_close(drain(c), R, 1009);
            T whole(o);
            const bytes ping = wire<R>(opcode::ping, {});
            const std::vector<event_record> evs2 = feed(whole, cat({ping, hb}));
            CHECK(evs2.size() == 2u);  // a ping then the failure at the data frame's first byte
            check_failed(evs2, error::frame_too_big, 1009);
            if (!evs2.empty()) CHECK(evs2.back().where() == ping.size());
        }
        // At the limit: accepted.
        {
            T c(o);
            const bytes payload = filled(static_cast<std::size_t>(limit));
            const std::vector<event_record> evs = joined(feed(c, wire<R>(opcode::binary, payload)));
            CHECK(evs.size() == 1u);
            if (evs.size() == 1) CHECK(evs[0].payload == payload);
        }
    }
    // The same for a continuation frame.
    {
        connection_options o;
        o.limits.max_frame_size = 10;
        T c(o);
        const bytes f1 = wire<R>(opcode::text, str("0123456789"), false);
        const encoded_header h = encode_header(header(opcode::continuation, 11, true, R == role::server, rfc_key));
        const std::vector<event_record> evs = feed(c, cat({f1, bytes(h.view().begin(), h.view().end())}));
        check_failed(evs, error::frame_too_big, 1009);
        if (!evs.empty()) CHECK(evs.back().where() == f1.size());
    }
}

TEST_CASE_TEMPLATE("limits: max_message_size exceeded fails with 1009 at the header that exceeds it", T, server,
                   client) {
    constexpr role R = T::side;
    connection_options o;
    o.limits.max_message_size = 100;
    // Single frame over the limit.
    {
        T c(o);
        const encoded_header h = encode_header(header(opcode::text, 101, true, R == role::server, rfc_key));
        const std::vector<event_record> evs = feed(c, bytes(h.view().begin(), h.view().end()));
        CHECK(evs.size() == 1u);
        check_failed(evs, error::message_too_big, 1009);
        check_one_close(drain(c), R, 1009);
    }
    // Two frames: 60 + 41.
    {
        T c(o);
        const bytes f1 = wire<R>(opcode::binary, filled(60), false);
        const encoded_header h = encode_header(header(opcode::continuation, 41, true, R == role::server, rfc_key));
        const std::vector<event_record> evs = feed(c, cat({f1, bytes(h.view().begin(), h.view().end())}));
        CHECK(evs.size() == 2u);
        check_failed(evs, error::message_too_big, 1009);
        if (!evs.empty()) CHECK(evs.back().where() == f1.size());
    }
    // 60 + 40 fits; the next message starts from zero.
    {
        T c(o);
        const bytes in =
            cat({wire<R>(opcode::binary, filled(60), false), wire<R>(opcode::continuation, filled(40), true),
                 wire<R>(opcode::binary, filled(100), true)});
        const std::vector<event_record> evs = joined(feed(c, in));
        CHECK(evs.size() == 2u);
        if (evs.size() == 2) {
            CHECK(evs[0].payload.size() == 100u);
            CHECK(evs[1].payload.size() == 100u);
        }
    }
}

TEST_CASE_TEMPLATE("limits: max_fragments exceeded fails with 1009", T, server, client) {
    constexpr role R = T::side;
    connection_options o;
    o.limits.max_fragments = 3;
    // Three frames (a ping between them does not count) make a message.
    {
        T c(o);
        const bytes in =
            cat({wire<R>(opcode::text, str("a"), false), wire<R>(opcode::ping, {}),
                 wire<R>(opcode::continuation, str("b"), false), wire<R>(opcode::continuation, str("c"), true),
                 wire<R>(opcode::text, str("d"), false), wire<R>(opcode::continuation, str("e"), false),
                 wire<R>(opcode::continuation, str("f"), true)});
        const std::vector<event_record> evs = joined(feed(c, in));
        CHECK(lines(describe(evs)) ==
              lines({"data text first last [61 62 63]", "ping []", "data text first last [64 65 66]"}));
    }
    // A fourth frame fails at its header.
    {
        T c(o);
        const bytes three =
            cat({wire<R>(opcode::binary, str("a"), false), wire<R>(opcode::continuation, str("b"), false),
                 wire<R>(opcode::continuation, str("c"), false)});
        const std::vector<event_record> evs = feed(c, cat({three, wire<R>(opcode::continuation, str("d"), true)}));
        check_failed(evs, error::too_many_fragments, 1009);
        if (!evs.empty()) CHECK(evs.back().where() == three.size());
        check_one_close(drain(c), R, 1009);
    }
}

TEST_CASE("limits: defaults documented in limits.hpp are what a default connection uses") {
    const connection_options d;
    CHECK(d.limits.max_frame_size == std::uint64_t{16} * 1024 * 1024);
    CHECK(d.limits.max_message_size == std::uint64_t{16} * 1024 * 1024);
    CHECK(d.limits.max_fragments == 0u);  // derived: one frame per 16 bytes of max_message_size
    CHECK(d.limits.fragment_limit() == (std::uint64_t{16} << 20) / 16);
    CHECK(d.limits.fragment_limit() == 1048576u);
    CHECK(d.auto_pong);
    CHECK(d.allowed_rsv == 0u);
    CHECK(!d.allow_non_minimal_length);
    CHECK(d.fragment_size == 0u);
    CHECK(server{}.options().limits.max_frame_size == d.limits.max_frame_size);
    CHECK(client{}.options().limits.max_fragments == d.limits.max_fragments);

    const std::uint64_t mib16 = std::uint64_t{16} << 20;
    auto header_bytes = [](opcode op, std::uint64_t n, bool fin) {
        const encoded_header h = encode_header(header(op, n, fin));
        return bytes(h.view().begin(), h.view().end());
    };
    // Frame size: 16 MiB declared is accepted, one more fails at the header.
    {
        client c;
        CHECK(feed(c, header_bytes(opcode::binary, mib16, true)).empty());
        client c2;
        check_failed(feed(c2, header_bytes(opcode::binary, mib16 + 1, true)), error::frame_too_big, 1009);
    }
    // Message size: 1 byte then a 16 MiB frame (each frame within the frame limit).
    {
        client c;
        const std::vector<event_record> evs = feed(c, cat({wire<role::client>(opcode::binary, str("x"), false),
                                                  header_bytes(opcode::continuation, mib16, true)}));
        check_failed(evs, error::message_too_big, 1009);
    }
    // ... while exactly 16 MiB in two frames is a message.
    {
        client c;
        bytes in = cat(
            {wire<role::client>(opcode::binary, str("x"), false), header_bytes(opcode::continuation, mib16 - 1, true)});
        in.resize(in.size() + (mib16 - 1), 0x5a);
        const std::vector<event_record> evs = joined(feed(c, in));
        CHECK(evs.size() == 1u);
        if (evs.size() == 1) {
            CHECK(evs[0].payload.size() == mib16);
            CHECK(evs[0].last);
        }
    }
    // Fragments: fragment_limit() frames make a message, one more fails (the
    // cases below, "limits §5.4: ...", feed them).
}

namespace {

/// A message of `payload` as the peer of an endpoint in role R sends it, in
/// frames of `piece` bytes (the last may be shorter).
template <role R>
bytes fragmented(opcode op, const bytes& payload, std::size_t piece) {
    bytes out;
    for (std::size_t at = 0; at < payload.size(); at += piece) {
        const std::size_t n = std::min(piece, payload.size() - at);
        test::append(out, wire<R>(at == 0 ? op : opcode::continuation, slice(payload, at, n), at + n == payload.size()));
    }
    return out;
}

/// `in` fed whole to `c` (in place), its events counted rather than recorded,
/// for streams of up to millions of frames: data events, how many were first
/// and last, their payload joined; every other event but need_more and ended
/// recorded.
struct tally {
    std::size_t data = 0, firsts = 0, lasts = 0;
    bytes payload;
    std::vector<event_record> other;
};

template <class C>
tally feed_counted(C& c, bytes& in) {
    tally t;
    const test::fault f = test::receive_all(c, mutable_bytes(in), [&](const event& ev, mutable_bytes, std::size_t at) {
        if (ev.type == event_type::data) {
            ++t.data;
            t.firsts += ev.first ? 1 : 0;
            t.lasts += ev.last ? 1 : 0;
            t.payload.insert(t.payload.end(), ev.payload.begin(), ev.payload.end());
        } else if (ev.type != event_type::need_more && ev.type != event_type::ended) {
            t.other.push_back(test::record(ev, at));
        }
    });
    CHECK_MESSAGE(f == nullptr, (f != nullptr ? f : ""));
    return t;
}

}  // namespace

TEST_CASE_TEMPLATE("limits §5.4: with the default limits, 4 MiB in 65,536 fragments of 64 bytes and 16,384 of 256 are "
                   "messages", T, server, client) {
    constexpr role R = T::side;
    const receive_limits d;
    const bytes sent = filled(std::size_t{4} << 20, 3);
    for (const std::size_t piece : {std::size_t{64}, std::size_t{256}}) {
        CAPTURE(piece);
        const std::size_t frames = sent.size() / piece;
        CHECK(frames == (piece == 64 ? 65536u : 16384u));
        CHECK(frames <= d.fragment_limit());
        T c;
        bytes in = fragmented<R>(opcode::binary, sent, piece);
        const tally t = feed_counted(c, in);
        CHECK(t.other.empty());
        CHECK(t.data == frames);  // one data event per frame, fed whole
        CHECK(t.firsts == 1u);
        CHECK(t.lasts == 1u);
        CHECK(t.payload.size() == sent.size());
        CHECK(t.payload == sent);
        CHECK(c.state() == connection_state::open);
        CHECK(drain(c).empty());
    }
    // Text too: 4 MiB of ASCII in 64-byte fragments.
    {
        bytes ascii(std::size_t{4} << 20);
        for (std::size_t i = 0; i < ascii.size(); ++i) ascii[i] = static_cast<std::uint8_t>('a' + i % 26);
        T c;
        bytes in = fragmented<R>(opcode::text, ascii, 64);
        const tally t = feed_counted(c, in);
        CHECK(t.other.empty());
        CHECK(t.data == ascii.size() / 64);
        CHECK(t.lasts == 1u);
        CHECK(t.payload == ascii);
    }
}

TEST_CASE_TEMPLATE("limits §5.4: with the default limits, a message held open by empty or 1-byte fragments fails "
                   "with 1009 after fragment_limit() frames", T, server, client) {
    constexpr role R = T::side;
    // One frame per 16 bytes of the 16 MiB message budget.
    const std::uint32_t n = receive_limits{}.fragment_limit();
    CHECK(n == receive_limits{}.max_message_size / receive_limits::bytes_per_fragment);
    // Empty fragments: n frames are a message; frame n + 1 fails at its first byte.
    {
        const bytes first = wire<R>(opcode::binary, {}, false);
        const bytes middle = wire<R>(opcode::continuation, {}, false);
        bytes in = first;
        in.reserve(first.size() + std::size_t{n} * middle.size());
        for (std::uint32_t i = 1; i < n; ++i) test::append(in, middle);
        const std::size_t at_limit = in.size();
        CHECK(at_limit == first.size() + std::size_t{n - 1} * middle.size());  // 2 MiB (client) or 6 MiB (server) of headers
        {
            T c;
            bytes ok(in.begin(), in.end() - static_cast<std::ptrdiff_t>(middle.size()));  // n - 1 frames
            test::append(ok, wire<R>(opcode::continuation, {}, true));                  // and the last
            const tally t = feed_counted(c, ok);
            CHECK(t.other.empty());
            CHECK(t.data == 2u);  // the empty first piece and the last; empty middle pieces say nothing
            CHECK(t.lasts == 1u);
            CHECK(t.payload.empty());
        }
        T c;
        test::append(in, middle);
        test::append(in, middle);
        const tally t = feed_counted(c, in);
        CHECK(t.data == 1u);  // the empty first piece
        check_failed(t.other, error::too_many_fragments, 1009);
        CHECK(t.other.size() == 1u);
        if (!t.other.empty()) CHECK(t.other.back().where() == at_limit);
        check_one_close(drain(c), R, 1009);
    }
    // 1-byte fragments: likewise, n bytes delivered, then frame n + 1 fails.
    {
        const bytes one = str("x");
        bytes in = wire<R>(opcode::text, one, false);
        const bytes middle = wire<R>(opcode::continuation, one, false);
        for (std::uint32_t i = 1; i < n; ++i) test::append(in, middle);
        const std::size_t at_limit = in.size();
        test::append(in, middle);
        T c;
        const tally t = feed_counted(c, in);
        CHECK(t.data == n);
        CHECK(t.payload.size() == n);
        CHECK(t.lasts == 0u);
        check_failed(t.other, error::too_many_fragments, 1009);
        if (!t.other.empty()) CHECK(t.other.back().where() == at_limit);
        check_one_close(drain(c), R, 1009);
    }
}

TEST_CASE_TEMPLATE("limits §5.4: the frame budget follows max_message_size; max_fragments overrides it", T, server,
                   client) {
    constexpr role R = T::side;
    const auto frames_accepted = [](const connection_options& o) {
        // Empty frames until one fails: how many made it.
        T c(o);
        bytes in = wire<R>(opcode::binary, {}, false);
        const bytes middle = wire<R>(opcode::continuation, {}, false);
        for (int i = 0; i < 5000; ++i) test::append(in, middle);
        const tally t = feed_counted(c, in);
        if (t.other.empty()) return std::size_t{0};
        CHECK(t.other.back().err == error::too_many_fragments);
        return (t.other.back().where() - wire<R>(opcode::binary, {}, false).size()) / middle.size() + 1;
    };
    connection_options o;
    o.limits.max_message_size = 1024;
    CHECK(o.limits.fragment_limit() == 1024 / 16);
    CHECK(frames_accepted(o) == 64u);
    o.limits.max_message_size = 65536;
    CHECK(frames_accepted(o) == 4096u);
    o.limits.max_fragments = 100;  // set: exactly this many, whatever the message budget
    CHECK(o.limits.fragment_limit() == 100u);
    CHECK(frames_accepted(o) == 100u);
    // A budget under 16 bytes still allows a message its one frame, and no second.
    o.limits.max_fragments = 0;
    o.limits.max_message_size = 15;
    CHECK(o.limits.fragment_limit() == 1u);
    CHECK(frames_accepted(o) == 1u);
    {
        T c(o);
        CHECK(lines(describe(joined(feed(c, wire<R>(opcode::binary, filled(15), true))))) ==
              lines({"data binary first last [" + hx(filled(15)) + "]"}));
    }
    // A huge budget is capped at 2^32 - 1 frames (the count's width).
    o.limits.max_message_size = ~std::uint64_t{0};
    CHECK(o.limits.fragment_limit() == 0xFFFFFFFFu);
}

// ======================================================================
// Streaming, staging and split invariance
// ======================================================================

TEST_CASE_TEMPLATE("split invariance: any partition of the input gives the same messages, events and output", T, server,
                   client) {
    constexpr role R = T::side;
    const bytes text = str("h\xc3\xa9llo w\xc3\xb6rld \xe2\x82\xac\xf0\x9d\x84\x9e");
    const bytes in = cat({
        wire<R>(opcode::text, str("Hel"), false, 0, {1, 2, 3, 4}),
        wire<R>(opcode::ping, str("p1"), true, 0, {5, 6, 7, 8}),
        wire<R>(opcode::continuation, str("l"), false, 0, {9, 10, 11, 12}),
        wire<R>(opcode::continuation, str("o"), true),
        wire<R>(opcode::binary, filled(130, 9), true, 0, {0xde, 0xad, 0xbe, 0xef}),
        wire<R>(opcode::text, slice(text, 0, 2), false),
        wire<R>(opcode::continuation, slice(text, 2, 10), false, 0, {0, 0, 0, 0}),
        wire<R>(opcode::continuation, slice(text, 12, text.size() - 12), true, 0, {0xff, 0x01, 0x80, 0x7f}),
        wire<R>(opcode::text, {}),
        wire<R>(opcode::pong, str("x")),
        wire<R>(opcode::close, close_body(1000, "bye")),
        wire<R>(opcode::text, str("ignored")),
    });
    const std::vector<std::string> expected{
        "data text first last [" + hx(str("Hello")) + "]",
        "ping [" + hx(str("p1")) + "]",
        "data binary first last [" + hx(filled(130, 9)) + "]",
        "data text first last [" + hx(text) + "]",
        "data text first last []",
        "pong [" + hx(str("x")) + "]",
        "close code=1000 [" + hx(str("bye")) + "]",
        std::string("closed err=none action=") + tcp_action_name(after_handshake<R>) + " code=1000 []",
    };
    T whole;
    CHECK(lines(describe(joined(feed(whole, in)))) == lines(expected));
    const bytes whole_out = drain(whole);
    CHECK(lines(describe(frames_of(whole_out, R))) ==
          lines({frame_line(opcode::pong, str("p1")), frame_line(opcode::close, close_body(1000, "bye"))}));
    for (const std::vector<std::size_t>& parts : test::splits(in.size())) {
        CAPTURE(parts.size());
        CAPTURE(parts[0]);
        T c;
        const std::vector<event_record> evs = feed_parts(c, in, parts);
        CHECK(lines(describe(joined(evs))) == lines(expected));
        CHECK(hx(drain(c)) == hx(whole_out));
    }
}

namespace {

/// A random input for an endpoint in role R: messages of both types cut into
/// random fragments (text cut inside code points), control frames between
/// them, sometimes one protocol violation, sometimes a close at the end.
template <role R>
bytes random_stream(std::mt19937& rng) {
    auto pick = [&rng](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    auto key = [&]() {
        return mask_key{static_cast<std::uint8_t>(pick(0, 255)), static_cast<std::uint8_t>(pick(0, 255)),
                        static_cast<std::uint8_t>(pick(0, 255)), static_cast<std::uint8_t>(pick(0, 255))};
    };
    constexpr std::uint32_t code_points[] = {0x61,   0x7F,   0xE9,    0x7FF,   0x800,   0x20AC,
                                             0xFFFD, 0xFFFF, 0x10000, 0x1D11E, 0x10FFFF};
    bytes out;
    auto add = [&out](const bytes& f) { out.insert(out.end(), f.begin(), f.end()); };
    const int items = pick(1, 6);
    const int violation = pick(0, 9);  // 0-4: one of five violations in the last item; else none
    for (int item = 0; item < items; ++item) {
        const bool last_item = item + 1 == items;
        const int kind = pick(0, 3);
        if (kind == 3) {
            const auto op = pick(0, 1) == 0 ? opcode::ping : opcode::pong;
            const auto size = static_cast<std::size_t>(pick(0, 125));  // one draw per statement: a fixed order
            const bytes payload = filled(size, static_cast<std::uint8_t>(pick(0, 255)));
            add(wire<R>(op, payload, true, 0, key()));
            continue;
        }
        const bool text = kind != 2;
        bytes payload;
        if (text) {
            const int chars = pick(0, 40);
            for (int i = 0; i < chars; ++i) test::append_utf8(payload, code_points[pick(0, 10)]);
        } else {
            const auto size = static_cast<std::size_t>(pick(0, 300));
            payload = filled(size, static_cast<std::uint8_t>(pick(0, 255)));
        }
        if (last_item && text && violation == 0 && !payload.empty()) {
            payload.insert(payload.begin() + pick(0, static_cast<int>(payload.size()) - 1), 0xFF);
        }
        if (last_item && text && violation == 1) {  // a code point cut short at the end of the message
            test::append_utf8(payload, 0x20AC);
            payload.pop_back();
        }
        const int frames = pick(1, 4);
        std::vector<std::size_t> cuts{0, payload.size()};
        for (int i = 1; i < frames; ++i)
            cuts.push_back(static_cast<std::size_t>(pick(0, static_cast<int>(payload.size()))));
        std::sort(cuts.begin(), cuts.end());
        for (std::size_t f = 0; f + 1 < cuts.size(); ++f) {
            const opcode op = f > 0 ? opcode::continuation : text ? opcode::text : opcode::binary;
            add(wire<R>(op, slice(payload, cuts[f], cuts[f + 1] - cuts[f]), f + 2 == cuts.size(), 0, key()));
            if (pick(0, 3) == 0) {
                const bytes beat = filled(static_cast<std::size_t>(pick(0, 5)));
                add(wire<R>(opcode::ping, beat, true, 0, key()));
            }
        }
        if (last_item && violation == 2) {
            const auto reserved = static_cast<opcode>(pick(3, 7));
            add(wire<R>(reserved, {}, true, 0, key()));
        }
        if (last_item && violation == 3) add(wire<R>(opcode::continuation, str("x"), true, 0, key()));
        if (last_item && violation == 4) add(wire<R>(opcode::close, close_body(1005), true, 0, key()));
    }
    if (pick(0, 1) == 0) add(wire<R>(opcode::close, close_body(1000, "end"), true, 0, key()));
    add(wire<R>(opcode::text, str("after"), true, 0, key()));
    return out;
}

}  // namespace

TEST_CASE_TEMPLATE("split invariance: random streams, random partitions (seeded)", T, server, client) {
    constexpr role R = T::side;
    std::mt19937 rng(20260521);
    int failures = 0, closes = 0;
    for (int round = 0; round < 300; ++round) {
        CAPTURE(round);
        const bytes in = random_stream<R>(rng);
        T whole;
        const std::vector<event_record> whole_events = feed(whole, in);
        failures += whole.state() == connection_state::failed ? 1 : 0;
        closes += whole.state() == connection_state::closed ? 1 : 0;
        const std::string expected = lines(describe(joined(whole_events)));
        const bytes expected_out = drain(whole);
        for (int trial = 0; trial < 8; ++trial) {
            std::vector<std::size_t> parts;
            if (trial == 0) {
                parts.assign(in.size(), 1);
            } else {
                std::size_t left = in.size();
                while (left > 0) {
                    const auto n =
                        std::min(left, static_cast<std::size_t>(std::uniform_int_distribution<int>(1, trial * 9)(rng)));
                    parts.push_back(n);
                    left -= n;
                }
            }
            CAPTURE(trial);
            T c;
            const std::vector<event_record> evs = feed_parts(c, in, parts);
            CHECK(lines(describe(joined(evs))) == expected);
            CHECK(hx(drain(c)) == hx(expected_out));
            CHECK(c.state() == whole.state());
            CHECK(c.close_status() == whole.close_status());
        }
    }
    // The streams exercise failures and close handshakes, not only data.
    CHECK(failures > 30);
    CHECK(closes > 60);
}

TEST_CASE_TEMPLATE("header split at every byte position", T, server, client) {
    constexpr role R = T::side;
    for (std::size_t n : {std::size_t{5}, std::size_t{300}, std::size_t{70000}}) {
        CAPTURE(n);
        const bytes payload = filled(n, 1);
        const bytes in = wire<R>(opcode::binary, payload, true, 0, {0x11, 0x22, 0x33, 0x44});
        const std::size_t hs = wire_header_size<R>(n);
        for (std::size_t k = 1; k < hs; ++k) {
            CAPTURE(k);
            T c;
            CHECK(feed(c, slice(in, 0, k)).empty());
            const std::vector<event_record> evs = feed(c, slice(in, k, in.size() - k));
            CHECK(evs.size() == 1u);
            if (evs.size() != 1) continue;
            CHECK(evs[0].type == event_type::data);
            CHECK(evs[0].first);
            CHECK(evs[0].last);
            CHECK(evs[0].consumed == in.size() - k);
            CHECK(evs[0].payload == payload);
        }
        // Byte by byte through the header, then the payload in one piece.
        T c;
        for (std::size_t k = 0; k < hs; ++k) CHECK(feed(c, slice(in, k, 1)).empty());
        const std::vector<event_record> evs = feed(c, slice(in, hs, n));
        CHECK(evs.size() == 1u);
        if (evs.size() == 1) CHECK(evs[0].payload == payload);
    }
}

TEST_CASE_TEMPLATE("a control frame split across calls: the payload comes from internal storage", T, server, client) {
    constexpr role R = T::side;
    const bytes in = wire<R>(opcode::ping, str("Hello"));
    const std::size_t hs = wire_header_size<R>(5);
    for (std::size_t cut = 1; cut < in.size(); ++cut) {
        CAPTURE(cut);
        T c;
        test::guarded a(slice(in, 0, cut));
        const event e1 = c.receive(a.span());
        CHECK(e1.type == event_type::need_more);
        CHECK(e1.consumed == cut);
        test::guarded b(slice(in, cut, in.size() - cut));
        const event e2 = c.receive(b.span());
        CHECK(e2.type == event_type::ping);
        CHECK(e2.consumed == in.size() - cut);
        CHECK(hx(e2.payload) == hx(str("Hello")));
        const std::uint8_t* p = e2.payload.data();
        const bool in_b = p >= b.span().data() && p < b.span().data() + b.span().size();
        const bool in_a = p >= a.span().data() && p < a.span().data() + a.span().size();
        CHECK(!in_a);
        if (cut <= hs)
            CHECK(p == b.span().data() + (hs - cut));  // the whole payload arrived in one call: zero-copy
        else
            CHECK(!in_b);  // staged
        CHECK(c.receive(b.span().subspan(e2.consumed)).type == event_type::need_more);
        CHECK(lines(describe(frames_of(drain(c), R))) == lines({frame_line(opcode::pong, str("Hello"))}));
    }
    // A close frame with a reason, split inside the payload.
    {
        const bytes close = wire<R>(opcode::close, close_body(1000, "reason"));
        T c;
        CHECK(feed(c, slice(close, 0, hs + 3)).empty());
        const std::vector<event_record> evs = feed(c, slice(close, hs + 3, close.size() - hs - 3));
        CHECK(evs.size() == 2u);
        if (!evs.empty()) CHECK(describe(evs[0]) == "close code=1000 [" + hx(str("reason")) + "]");
    }
    // A control frame split byte by byte between fragments of a message.
    {
        const bytes msg = cat({wire<R>(opcode::text, str("ab"), false), wire<R>(opcode::ping, filled(125)),
                               wire<R>(opcode::continuation, str("cd"), true)});
        T c;
        std::vector<event_record> evs;
        for (std::size_t i = 0; i < msg.size(); ++i) {
            const std::vector<event_record> got = feed(c, slice(msg, i, 1));
            evs.insert(evs.end(), got.begin(), got.end());
        }
        CHECK(lines(describe(joined(evs))) ==
              lines({"data text first last [" + hx(str("abcd")) + "]", "ping [" + hx(filled(125)) + "]"}));
    }
}

TEST_CASE("event.consumed accounting") {
    client c;
    test::guarded g(cat({hex("81 02 68 69"), hex("82 01 78"), hex("89 00"), hex("01 01 61"), hex("80")}));
    mutable_bytes in = g.span();
    std::vector<std::size_t> consumed;
    std::vector<event_type> types;
    std::size_t sum = 0;
    const test::fault f = test::receive_all(c, in, [&](const event& e, mutable_bytes, std::size_t) {
        consumed.push_back(e.consumed);
        types.push_back(e.type);
        sum += e.consumed;
    });
    CHECK(f == nullptr);
    CHECK(sum == in.size());
    CHECK(consumed == std::vector<std::size_t>{4, 3, 2, 3, 1});
    CHECK(types == std::vector<event_type>{event_type::data, event_type::data, event_type::ping, event_type::data,
                                           event_type::need_more});
    // The final "80" was staged: the next call completes its header.
    test::guarded g2(hex("01 62"));
    const event e = c.receive(g2.span());
    CHECK(e.type == event_type::data);
    CHECK(e.last);
    CHECK(e.consumed == 2u);
    CHECK(hx(e.payload) == hx(str("b")));
    // A failure consumes the whole input.
    test::guarded g3(hex("81 01 61 83 00 81 01 62"));
    const event f0 = c.receive(g3.span());
    CHECK(f0.type == event_type::data);
    CHECK(f0.consumed == 3u);
    const event f1 = c.receive(g3.span().subspan(3));
    CHECK(f1.type == event_type::failed);
    CHECK(f1.consumed == 5u);
    CHECK(f1.position == 0u);
    CHECK(c.receive(g3.span().subspan(8)).type == event_type::need_more);
}

TEST_CASE_TEMPLATE("streaming: a large frame fed in small pieces arrives in order, every byte", T, server, client) {
    constexpr role R = T::side;
    const bytes payload = filled(5000, 77);
    const bytes in = cat({wire<R>(opcode::binary, payload, false, 0, {0x9a, 0x0b, 0x7c, 0xde}),
                          wire<R>(opcode::continuation, filled(3, 1), true, 0, {1, 1, 1, 1})});
    for (std::size_t chunk : {std::size_t{1}, std::size_t{3}, std::size_t{7}, std::size_t{64}, std::size_t{4999}}) {
        CAPTURE(chunk);
        std::vector<std::size_t> parts;
        for (std::size_t left = in.size(); left > 0; left -= std::min(chunk, left))
            parts.push_back(std::min(chunk, left));
        T c;
        const std::vector<event_record> evs = feed_parts(c, in, parts);
        bytes data;
        for (const event_record& e : evs) {
            CHECK(e.type == event_type::data);
            CHECK(e.payload.size() <= chunk);
            data.insert(data.end(), e.payload.begin(), e.payload.end());
        }
        CHECK(data == cat({payload, filled(3, 1)}));
        CHECK(!evs.empty());
        if (evs.empty()) continue;
        CHECK(evs.front().first);
        CHECK(evs.back().last);
    }
}

// ======================================================================
// Sending (§5.1, §5.4, §6.1)
// ======================================================================

TEST_CASE("§6.1 server send_text/send_binary: exact unmasked frames, payload span points into the caller's buffer") {
    {
        server s;
        const std::string_view text = "Hello";
        CHECK(s.send_text(text) == error::none);
        CHECK(!s.can_send());
        const output_buffers o = s.output();
        CHECK(o.count == 2u);
        CHECK(hx(o.parts[0]) == "81 05");
        CHECK(o.parts[1].data() == reinterpret_cast<const std::uint8_t*>(text.data()));
        CHECK(o.parts[1].size() == 5u);
        s.consume(o.size());
        CHECK(s.output().empty());
        CHECK(s.can_send());
    }
    for (std::size_t n : {std::size_t{0}, std::size_t{125}, std::size_t{126}, std::size_t{65535}, std::size_t{65536}}) {
        CAPTURE(n);
        server s;
        const bytes payload = filled(n, 5);
        CHECK(s.send_binary(payload) == error::none);
        const output_buffers o = s.output();
        CHECK(o.count == (n == 0 ? 1u : 2u));
        const std::string head =
            n < 126       ? hx(bytes{0x82, static_cast<std::uint8_t>(n)})
            : n <= 0xFFFF ? hx(bytes{0x82, 0x7e, static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n)})
                          : "82 7f 00 00 00 00 00 01 00 00";
        CHECK(hx(o.parts[0]) == head);
        if (n > 0) CHECK(o.parts[1].data() == payload.data());
        CHECK(hx(drain(s)) == hx(frame(header(opcode::binary, n), payload)));
    }
    // The mutable overload on a server never touches the buffer.
    {
        server s;
        bytes payload = str("keep me");
        CHECK(s.send_in_place(message_type::binary, mutable_bytes(payload)) == error::none);
        CHECK(hx(drain(s, {.how = test::take::spans})) == hx(cat({hex("82 07"), str("keep me")})));
        CHECK(hx(payload) == hx(str("keep me")));
    }
}

TEST_CASE("§5.1/§5.3 client send: masked with the key from seeded_key_source") {
    {
        client c(connection_options{}, seeded_key_source(42));
        CHECK(c.send_text("Hello") == error::none);
        const bytes w = drain(c);
        const mask_key k = nth_key(42, 0);
        CHECK(hx(w) == hx(frame(header(opcode::text, 5, true, true, k), str("Hello"))));
        const decode_result r = try_decode_header(w, rules_for(role::server));
        CHECK(r.status == decode_status::ok);
        CHECK(r.header.key == k);
        bytes p = slice(w, r.size, 5);
        (void)apply_mask(mutable_bytes(p), r.header.key);
        CHECK(hx(p) == hx(str("Hello")));
    }
    // Fresh keys per frame: a second message uses the next key.
    {
        client c;
        const bytes one = str("one"), two = str("two");
        CHECK(c.send_binary(one) == error::none);
        const bytes w1 = drain(c);
        CHECK(c.send_binary(two) == error::none);
        const bytes w2 = drain(c);
        CHECK(hx(w1) == hx(frame(header(opcode::binary, 3, true, true, nth_key(1, 0)), str("one"))));
        CHECK(hx(w2) == hx(frame(header(opcode::binary, 3, true, true, nth_key(1, 1)), str("two"))));
    }
    // A server decodes what the client sends.
    {
        client c;
        server s;
        const bytes big = filled(70000, 3);
        CHECK(c.send_binary(big) == error::none);
        const std::vector<event_record> evs = joined(feed(s, drain(c, {.piece = 1000})));
        CHECK(evs.size() == 1u);
        if (evs.size() == 1) CHECK(evs[0].payload == big);
    }
}

TEST_CASE("client mutable send masks in place and stays zero-copy") {
    client c;
    bytes buf = str("Hello, world!");
    const bytes orig = buf;
    CHECK(c.send_in_place(message_type::text, mutable_bytes(buf)) == error::none);
    const output_buffers o = c.output();
    CHECK(o.count == 2u);
    if (o.count != 2) return;
    const mask_key k = nth_key(1, 0);
    CHECK(hx(o.parts[0]) == hx(cat({hex("81 8d"), bytes(k.begin(), k.end())})));
    CHECK(o.parts[1].data() == buf.data());
    CHECK(o.parts[1].size() == buf.size());
    for (std::size_t i = 0; i < buf.size(); ++i) CHECK(buf[i] == (orig[i] ^ k[i % 4]));
    const bytes w = drain(c, {.how = test::take::spans});
    CHECK(hx(w) == hx(frame(header(opcode::text, orig.size(), true, true, k), orig)));
}

TEST_CASE("client const send: output() hands out the header and the payload masked from staging; copy_output() masks while copying") {
    const std::string text = "immutable payload";
    const mask_key k = nth_key(1, 0);
    const bytes expected = frame(header(opcode::text, text.size(), true, true, k), str(text));
    {
        client c;
        CHECK(c.send_text(text) == error::none);
        const output_buffers o = c.output();
        CHECK(o.count == 2u);
        CHECK(hx(o.parts[0]) == hx(cat({hex("81 91"), bytes(k.begin(), k.end())})));
        CHECK(hx(o.parts[1]) == hx(slice(expected, 6, text.size())));
        CHECK(o.parts[1].data() != reinterpret_cast<const std::uint8_t*>(text.data()));  // a masked copy
        c.consume(o.size());
        CHECK(c.output().empty());
        CHECK(c.pending_output() == 0u);
    }
    {
        client c;
        CHECK(c.send_text(text) == error::none);
        const output_buffers o = c.output();
        c.consume(o.parts[0].size());  // the header only
        CHECK(c.pending_output() == text.size());
        const bytes rest = drain(c, {.piece = 5});
        CHECK(hx(rest) == hx(slice(expected, 6, text.size())));
        CHECK(c.pending_output() == 0u);
        CHECK(c.can_send());
    }
    CHECK(text == "immutable payload");
}

TEST_CASE_TEMPLATE("§5.4 fragment_size splits messages into frames of that size", T, server, client) {
    constexpr role R = T::side;
    connection_options o;
    o.fragment_size = 4;
    {
        T c(o);
        CHECK(c.send_text("abcdefghij") == error::none);
        CHECK(lines(describe(frames_of(drain(c), R))) ==
              lines({frame_line(opcode::text, str("abcd"), false),
                           frame_line(opcode::continuation, str("efgh"), false),
                           frame_line(opcode::continuation, str("ij"), true)}));
    }
    {
        T c(o);
        const bytes payload = str("abcdefgh");
        CHECK(c.send_binary(payload) == error::none);  // a multiple: no empty last frame
        CHECK(lines(describe(frames_of(drain(c), R))) ==
              lines({frame_line(opcode::binary, str("abcd"), false),
                           frame_line(opcode::continuation, str("efgh"), true)}));
    }
    {
        T c(o);
        const bytes payload = str("abcd");
        CHECK(c.send_binary(payload) == error::none);
        CHECK(lines(describe(frames_of(drain(c), R))) == lines({frame_line(opcode::binary, str("abcd"))}));
    }
    {
        T c(o);
        CHECK(c.send_text("") == error::none);
        CHECK(lines(describe(frames_of(drain(c), R))) == lines({frame_line(opcode::text, {})}));
    }
    if constexpr (R == role::client) {
        // Each frame has its own key, in order.
        T c(o);
        const bytes payload = str("abcdefghij");
        CHECK(c.send_binary(payload) == error::none);
        const std::vector<written_frame> fs = frames_of(drain(c), R);
        CHECK(fs.size() == 3u);
        for (std::size_t i = 0; i < fs.size(); ++i) CHECK(fs[i].h.key == nth_key(1, static_cast<int>(i)));
    }
}

TEST_CASE_TEMPLATE("§5.4 begin_message/send_part streaming", T, server, client) {
    constexpr role R = T::side;
    {
        T c;
        const bytes hel = str("Hel"), l = str("l"), none = str(""), o = str("o");
        CHECK(c.send_part(std::string_view("x"), true) == error::no_message_started);
        CHECK(c.begin_message(message_type::text) == error::none);
        CHECK(!c.can_send());
        CHECK(c.begin_message(message_type::text) == error::send_in_progress);
        CHECK(c.send_text("other") == error::send_in_progress);
        CHECK(c.send_part(hel, false) == error::none);
        CHECK(c.send_part(l, false) == error::send_in_progress);  // "Hel" not written yet
        const bytes w1 = drain(c);
        CHECK(c.send_part(l, false) == error::none);
        const bytes w2 = drain(c);
        CHECK(c.send_part(none, false) == error::none);  // an empty middle part: no frame
        const bytes w3 = drain(c);
        CHECK(w3.empty());
        CHECK(c.send_part(o, true) == error::none);
        const bytes w4 = drain(c);
        CHECK(c.can_send());
        CHECK(c.send_part(std::string_view("!"), true) == error::no_message_started);
        CHECK(
            lines(describe(frames_of(cat({w1, w2, w3, w4}), R))) ==
            lines({frame_line(opcode::text, str("Hel"), false), frame_line(opcode::continuation, str("l"), false),
                         frame_line(opcode::continuation, str("o"), true)}));
        // The receiver sees one message.
        if constexpr (R == role::client) {
            server s;
            CHECK(lines(describe(joined(feed(s, cat({w1, w2, w3, w4}))))) ==
                  "data text first last [" + hx(str("Hello")) + "]\n");
        }
    }
    // Empty first and last parts still make frames.
    {
        T c;
        const bytes none = str(""), x = str("x");
        CHECK(c.begin_message(message_type::binary) == error::none);
        CHECK(c.send_part(none, false) == error::none);
        const bytes w1 = drain(c);
        CHECK(c.send_part(x, false) == error::none);
        const bytes w2 = drain(c);
        CHECK(c.send_part(none, true) == error::none);
        const bytes w3 = drain(c);
        CHECK(lines(describe(frames_of(cat({w1, w2, w3}), R))) ==
              lines({frame_line(opcode::binary, {}, false), frame_line(opcode::continuation, str("x"), false),
                           frame_line(opcode::continuation, {}, true)}));
    }
    // One part, last: a single frame.
    {
        T c;
        CHECK(c.begin_message(message_type::text) == error::none);
        const bytes whole = str("whole");
        CHECK(c.send_part(whole, true) == error::none);
        CHECK(lines(describe(frames_of(drain(c), R))) == lines({frame_line(opcode::text, str("whole"))}));
    }
    // Parts larger than fragment_size are split too.
    {
        connection_options o;
        o.fragment_size = 4;
        T c(o);
        CHECK(c.begin_message(message_type::binary) == error::none);
        const bytes p1 = str("abcdef"), p2 = str("ghijk");
        CHECK(c.send_part(p1, false) == error::none);
        const bytes w1 = drain(c);
        CHECK(c.send_part(p2, true) == error::none);
        const bytes w2 = drain(c);
        CHECK(lines(describe(frames_of(cat({w1, w2}), R))) ==
              lines({frame_line(opcode::binary, str("abcd"), false),
                           frame_line(opcode::continuation, str("ef"), false),
                           frame_line(opcode::continuation, str("ghij"), false),
                           frame_line(opcode::continuation, str("k"), true)}));
    }
    // Mutable parts (client: masked in place).
    {
        T c;
        bytes p1 = str("in"), p2 = str("place");
        CHECK(c.begin_message(message_type::text) == error::none);
        CHECK(c.send_part_in_place(mutable_bytes(p1), false) == error::none);
        const bytes w1 = drain(c, {.how = test::take::spans});
        CHECK(c.send_part_in_place(mutable_bytes(p2), true) == error::none);
        const bytes w2 = drain(c, {.how = test::take::spans});
        CHECK(lines(describe(frames_of(cat({w1, w2}), R))) ==
              lines(
                  {frame_line(opcode::text, str("in"), false), frame_line(opcode::continuation, str("place"), true)}));
    }
}

TEST_CASE_TEMPLATE("send usage errors: send_in_progress, not_open, no_message_started", T, server, client) {
    T c;
    CHECK(c.can_send());
    CHECK(c.send_text("a") == error::none);
    CHECK(!c.can_send());
    CHECK(c.send_text("b") == error::send_in_progress);
    CHECK(c.send_binary(std::string_view("b")) == error::send_in_progress);
    CHECK(c.begin_message(message_type::binary) == error::send_in_progress);
    CHECK(c.send_part(std::string_view("b"), true) == error::no_message_started);
    // Partly written is still pending.
    const output_buffers o = c.output();
    c.consume(o.parts[0].size());
    CHECK(c.send_text("b") == error::send_in_progress);
    (void)drain(c);
    CHECK(c.can_send());
    CHECK(c.send_text("b") == error::none);
    (void)drain(c);
    CHECK(c.close() == error::none);
    CHECK(c.send_text("c") == error::not_open);
    CHECK(c.begin_message(message_type::text) == error::not_open);
    CHECK(c.ping() == error::not_open);
    CHECK(c.pong() == error::none);  // closing: a pong may still answer a ping (§5.5.2)
}

TEST_CASE_TEMPLATE("ping/pong sending: payload limit and one user control frame at a time", T, server, client) {
    constexpr role R = T::side;
    T c;
    CHECK(c.ping(filled(126)) == error::control_payload_too_long);
    CHECK(c.pong(filled(126)) == error::control_payload_too_long);
    CHECK(c.ping(filled(125)) == error::none);
    CHECK(c.ping(str("again")) == error::control_queue_full);
    CHECK(c.pong(str("again")) == error::control_queue_full);
    const bytes w1 = drain(c);
    CHECK(c.ping(str("again")) == error::none);
    const bytes w2 = drain(c);
    CHECK(c.pong() == error::none);
    const bytes w3 = drain(c);
    CHECK(lines(describe(frames_of(cat({w1, w2, w3}), R))) ==
          lines({frame_line(opcode::ping, filled(125)), frame_line(opcode::ping, str("again")),
                       frame_line(opcode::pong, {})}));
    if constexpr (R == role::server) CHECK(hx(w3) == "8a 00");
    // A user ping and a pong reply both fit; the reply slot is the second one.
    T d;
    CHECK(d.ping(str("mine")) == error::none);
    (void)feed(d, wire<R>(opcode::ping, str("theirs")));
    CHECK(lines(describe(frames_of(drain(d), R))) ==
          lines({frame_line(opcode::ping, str("mine")), frame_line(opcode::pong, str("theirs"))}));
}

TEST_CASE_TEMPLATE("§5.5.2 every ping before the peer's close gets a pong, whatever else waits to be written", T,
                   server, client) {
    constexpr role R = T::side;
    const std::string ping_x = frame_line(opcode::ping, str("x"));
    const std::string close_1000 = frame_line(opcode::close, close_body(1000));
    SUBCASE("our ping, our close, then the peer's ping") {
        T c;
        CHECK(c.ping(str("x")) == error::none);
        CHECK(c.close(1000) == error::none);
        (void)feed(c, wire<R>(opcode::ping, str("p")));
        CHECK(lines(describe(frames_of(drain(c), R))) ==
              lines({ping_x, close_1000, frame_line(opcode::pong, str("p"))}));
    }
    SUBCASE("our ping, the peer's ping, then the peer's close: the pong goes before the echo") {
        T c;
        CHECK(c.ping(str("x")) == error::none);
        (void)feed(c, cat({wire<R>(opcode::ping, str("p")), wire<R>(opcode::close, close_body(1000))}));
        CHECK(lines(describe(frames_of(drain(c), R))) ==
              lines({ping_x, frame_line(opcode::pong, str("p")), close_1000}));
    }
    SUBCASE("while our close waits behind a message, a pong goes first (as soon as is practical)") {
        connection_options o;
        o.fragment_size = 4;
        T c(o);
        bytes payload = str("0123456789");
        CHECK(c.send_in_place(message_type::binary, mutable_bytes(payload)) == error::none);
        CHECK(c.close(1000) == error::none);
        (void)feed(c, wire<R>(opcode::ping, str("p")));
        CHECK(lines(describe(frames_of(drain(c), R))) ==
              lines({frame_line(opcode::pong, str("p")), frame_line(opcode::binary, str("0123"), false),
                           frame_line(opcode::continuation, str("4567"), false),
                           frame_line(opcode::continuation, str("89"), true), close_1000}));
    }
    SUBCASE("with auto_pong off, the application answers a ping that comes after its close()") {
        connection_options o;
        o.auto_pong = false;
        T c(o);
        CHECK(c.close(1000) == error::none);
        const std::vector<event_record> evs = feed(c, wire<R>(opcode::ping, str("hb")));
        CHECK(lines(describe(evs)) == lines({"ping [" + hx(str("hb")) + "]"}));
        CHECK(c.ping(str("no")) == error::not_open);  // closing: pongs only
        CHECK(c.pong(str("hb")) == error::none);
        CHECK(c.pong(str("hb")) == error::control_queue_full);  // one besides our close
        CHECK(c.pong(filled(126)) == error::control_payload_too_long);
        CHECK(lines(describe(frames_of(drain(c), R))) ==
              lines({close_1000, frame_line(opcode::pong, str("hb"))}));
        CHECK(c.pong(str("again")) == error::none);
        CHECK(lines(describe(frames_of(drain(c), R))) == lines({frame_line(opcode::pong, str("again"))}));
        // Once the peer's close arrived (or the connection failed), nothing more.
        (void)feed(c, wire<R>(opcode::close, close_body(1000)));
        CHECK(c.pong(str("late")) == error::not_open);
        CHECK(drain(c).empty());
    }
    SUBCASE("a ping after the peer's close is not answered, nor reported") {
        T c;
        const std::vector<event_record> evs =
            feed(c, cat({wire<R>(opcode::close, close_body(1000)), wire<R>(opcode::ping, str("p"))}));
        CHECK(lines(describe(evs)) ==
              lines({"close code=1000 []",
                           std::string("closed err=none action=") + tcp_action_name(after_handshake<R>) + " code=1000 []"}));
        CHECK(lines(describe(frames_of(drain(c), R))) == lines({close_1000}));
        CHECK(c.pong() == error::not_open);
    }
}

TEST_CASE_TEMPLATE("§5.5/§5.4 control frames are never fragmented, whatever fragment_size says", T, server, client) {
    constexpr role R = T::side;
    connection_options o;
    o.fragment_size = 4;
    T c(o);
    CHECK(c.ping(filled(125)) == error::none);
    const bytes w1 = drain(c);
    CHECK(c.pong(str("0123456789")) == error::none);
    const bytes w2 = drain(c);
    (void)feed(c, wire<R>(opcode::ping, str("abcdefgh")));
    const bytes w3 = drain(c);
    CHECK(c.close(1001, "a reason longer than four bytes") == error::none);
    const bytes w4 = drain(c);
    CHECK(lines(describe(frames_of(cat({w1, w2, w3, w4}), R))) ==
          lines({frame_line(opcode::ping, filled(125)), frame_line(opcode::pong, str("0123456789")),
                       frame_line(opcode::pong, str("abcdefgh")),
                       frame_line(opcode::close, close_body(1001, "a reason longer than four bytes"))}));
}

TEST_CASE_TEMPLATE("§7.1.7 a failure while closing: reported with our code, no second close frame", T, server, client) {
    constexpr role R = T::side;
    T c;
    CHECK(c.close(4000, "bye") == error::none);
    const bytes ours = drain(c);
    const bytes bad{0x83, static_cast<std::uint8_t>(R == role::server ? 0x80 : 0x00), 0, 0, 0, 0};  // reserved opcode
    const std::vector<event_record> evs =
        feed(c, cat({wire<R>(opcode::ping, str("p")), bad, wire<R>(opcode::ping, str("q"))}));
    CHECK(evs.size() == 2u);
    if (!evs.empty()) CHECK(describe(evs[0]) == "ping [" + hx(str("p")) + "]");
    check_failed(evs, error::reserved_opcode, 4000);
    CHECK(c.state() == connection_state::failed);
    CHECK(c.close_status() == 4000);
    // Only the pong for the ping before the failure; our close went already.
    CHECK(lines(describe(frames_of(drain(c), R))) == lines({frame_line(opcode::pong, str("p"))}));
    CHECK(lines(describe(frames_of(ours, R))) ==
          lines({frame_line(opcode::close, close_body(4000, "bye"))}));
    CHECK(c.pong() == error::not_open);
}

namespace {

/// Queues the same work on a connection: a message in frames of 3, a user
/// ping, and a received ping (auto pong); `buf` is the message payload.
template <class C>
void script(C& c, bytes& buf, bool in_place) {
    if (in_place)
        CHECK(c.send_in_place(message_type::binary, mutable_bytes(buf)) == error::none);
    else
        CHECK(c.send(message_type::binary, bytes_view(buf)) == error::none);
    CHECK(c.ping(str("pi")) == error::none);
    (void)feed(c, wire<C::side>(opcode::ping, str("po")));
}

}  // namespace

TEST_CASE_TEMPLATE("consume() of partial writes gives the same byte stream as copy_output()", T, server, client) {
    constexpr role R = T::side;
    connection_options o;
    o.fragment_size = 3;
    const bytes payload = filled(11, 40);
    const std::vector<std::string> expected{
        frame_line(opcode::ping, str("pi")),
        frame_line(opcode::pong, str("po")),
        frame_line(opcode::binary, slice(payload, 0, 3), false),
        frame_line(opcode::continuation, slice(payload, 3, 3), false),
        frame_line(opcode::continuation, slice(payload, 6, 3), false),
        frame_line(opcode::continuation, slice(payload, 9, 2), true),
    };
    bytes reference;
    {
        T c(o);
        bytes buf = payload;
        script(c, buf, false);
        reference = drain(c);
        CHECK(lines(describe(frames_of(reference, R))) == lines(expected));
    }
    for (std::size_t chunk : {std::size_t{1}, std::size_t{2}, std::size_t{5}}) {
        CAPTURE(chunk);
        T c(o);
        bytes buf = payload;
        script(c, buf, false);
        CHECK(hx(drain(c, {.piece = chunk})) == hx(reference));
    }
    // output()/consume() needs the in-place overload for a client; the server's is the same either way.
    for (std::size_t step : {std::size_t{0}, std::size_t{1}, std::size_t{2}, std::size_t{7}}) {
        CAPTURE(step);
        T c(o);
        bytes buf = payload;
        script(c, buf, true);
        CHECK(hx(drain(c, {.how = test::take::spans, .piece = step})) == hx(reference));
    }
    for (std::size_t chunk : {std::size_t{1}, std::size_t{4096}}) {
        T c(o);
        bytes buf = payload;
        script(c, buf, true);
        CHECK(hx(drain(c, {.piece = chunk})) == hx(reference));
    }
}

TEST_CASE_TEMPLATE("control frames are only inserted between data frames, never inside one", T, server, client) {
    constexpr role R = T::side;
    connection_options o;
    o.fragment_size = 4;
    T c(o);
    bytes payload = str("0123456789");
    CHECK(c.send_in_place(message_type::binary, mutable_bytes(payload)) == error::none);
    const std::size_t hs = R == role::server ? 2 : 6;
    bytes w;
    // Writes up to n bytes of what one output() offers.
    auto take = [&](std::size_t n) {
        test::fault f = nullptr;
        (void)test::drain_step(c, test::append_to(w), {.how = test::take::spans}, n, f);
        CHECK(f == nullptr);
    };
    take(hs + 1);  // first frame: header and one payload byte
    (void)feed(c, wire<R>(opcode::ping, str("A")));
    {
        // The rest of the frame comes first, still from the caller's buffer.
        const output_buffers out = c.output();
        CHECK(out.count == 1u);
        CHECK(out.parts[0].data() == payload.data() + 1);
        CHECK(out.parts[0].size() == 3u);
    }
    take(1);
    CHECK(c.ping(str("B")) == error::control_queue_full);  // the pong waits in the first slot
    take(2);                                               // frame 1 done
    take(1);                                               // one byte of the pong
    take(1000);                                            // the rest of the pong
    take(hs);                                              // header of frame 2
    CHECK(c.ping(str("B")) == error::none);
    (void)feed(c, wire<R>(opcode::ping, str("C")));
    const bytes rest = drain(c, {.how = test::take::spans, .piece = 1});
    w.insert(w.end(), rest.begin(), rest.end());
    CHECK(lines(describe(frames_of(w, R))) ==
          lines({frame_line(opcode::binary, str("0123"), false), frame_line(opcode::pong, str("A")),
                       frame_line(opcode::continuation, str("4567"), false), frame_line(opcode::ping, str("B")),
                       frame_line(opcode::pong, str("C")), frame_line(opcode::continuation, str("89"), true)}));
}

TEST_CASE("pending_output() figures") {
    {
        server s;
        CHECK(s.pending_output() == 0u);
        const bytes ten = filled(10);
        CHECK(s.send_binary(ten) == error::none);
        CHECK(s.pending_output() == 12u);
        const output_buffers o = s.output();
        CHECK(o.size() == 12u);
        CHECK(s.pending_output() == 12u);
        s.consume(5);
        CHECK(s.pending_output() == 7u);
        (void)feed(s, wire<role::server>(opcode::ping, str("abc")));
        CHECK(s.pending_output() == 12u);  // + the 5-byte pong
        s.consume(7);
        CHECK(s.pending_output() == 5u);
        CHECK(s.output().size() == 5u);
        s.consume(2);
        CHECK(s.pending_output() == 3u);
        (void)drain(s);
        CHECK(s.pending_output() == 0u);
    }
    {
        connection_options o;
        o.fragment_size = 4;
        server s(o);
        const bytes ten = filled(10);
        CHECK(s.send_binary(ten) == error::none);
        CHECK(s.pending_output() == 2u + 10u);  // the first frame's header, not built yet, and the payload
        (void)s.output();
        CHECK(s.pending_output() == 6u + 2u + 6u);  // current frame, the next frame's header, the rest
        s.consume(6);
        CHECK(s.pending_output() == 2u + 6u);
        (void)s.output();
        CHECK(s.pending_output() == 6u + 2u + 2u);
        s.consume(6);
        CHECK(s.pending_output() == 2u + 2u);
        (void)drain(s);
        CHECK(s.pending_output() == 0u);
    }
    {
        client c;
        CHECK(c.ping(str("xy")) == error::none);
        CHECK(c.pending_output() == 8u);
        CHECK(c.close(1000, "r") == error::none);
        CHECK(c.pending_output() == 8u + 9u);
        (void)drain(c, {.piece = 3});
        CHECK(c.pending_output() == 0u);
    }
    // An empty message still waits as a header; a streamed message counts its next part's frame.
    {
        server s;
        CHECK(s.send_text("") == error::none);
        CHECK(s.pending_output() == 2u);
        (void)drain(s);
        CHECK(s.pending_output() == 0u);
        client c;
        const bytes part = filled(200);
        CHECK(c.begin_message(message_type::binary) == error::none);
        CHECK(c.pending_output() == 0u);
        CHECK(c.send_part(part, false) == error::none);
        CHECK(c.pending_output() == 8u + 200u);
        (void)drain(c);
        CHECK(c.pending_output() == 0u);
    }
}

TEST_CASE("§6 server and client exchange messages of every shape") {
    server s;
    connection_options co;
    co.fragment_size = 7;
    client c(co, seeded_key_source(99));
    const std::vector<bytes> messages{str(""), str("a"), filled(6), filled(7), filled(8), filled(200), filled(20000)};
    for (const bytes& m : messages) {
        CAPTURE(m.size());
        CHECK(c.send_binary(m) == error::none);
        const std::vector<event_record> at_server = joined(feed(s, drain(c, {.piece = 13})));
        CHECK(at_server.size() == 1u);
        if (at_server.size() == 1) CHECK(at_server[0].payload == m);
        CHECK(s.send_binary(m) == error::none);
        const std::vector<event_record> at_client =
            joined(feed(c, drain(s, {.how = test::take::spans, .piece = 11})));
        CHECK(at_client.size() == 1u);
        if (at_client.size() == 1) CHECK(at_client[0].payload == m);
    }
}

// ======================================================================
// Output API details
// ======================================================================

TEST_CASE("output: one write loop for both roles: a client's send() payload comes masked, 1 KiB at a time") {
    const auto text_of = [](bytes_view b) { return std::string(b.begin(), b.end()); };
    using seeded = connection<role::client, seeded_key_source>;
    // The reference wire: the same client (same keys) drained by copy_output().
    const auto reference = [](std::string_view text) {
        seeded c({}, seeded_key_source(9));
        REQUIRE(c.send_text(text) == error::none);
        bytes wire(text.size() + 16);
        wire.resize(c.copy_output(wire));
        return wire;
    };
    SUBCASE("a short message: header and masked payload as two spans; consume() takes no more than was handed out") {
        seeded c({}, seeded_key_source(9));
        CHECK(c.send_text("hello") == error::none);
        const output_buffers o = c.output();
        CHECK(o.count == 2u);
        CHECK(o.parts[0].size() == 6u);  // the masked header
        CHECK(o.parts[1].size() == 5u);
        CHECK(text_of(o.parts[0]) + text_of(o.parts[1]) == text_of(reference("hello")));
        c.consume(100);  // more than was handed out: only those 11 bytes are taken
        CHECK(c.pending_output() == 0u);
        CHECK(c.output().empty());
        CHECK(c.can_send());
        // The frame decodes at a server to "hello".
        bytes wire = reference("hello");
        server_connection s;
        const event ev = s.receive(mutable_bytes(wire));
        CHECK(ev.type == event_type::data);
        CHECK(text_of(ev.payload) == "hello");
    }
    SUBCASE("a long message written in odd pieces: the same bytes as copy_output(), spans of at most 1 KiB, the caller's text untouched") {
        std::string text(3000, 'x');
        for (std::size_t i = 0; i < text.size(); ++i) text[i] = static_cast<char>('a' + i % 26);
        const std::string original = text;
        const bytes expected = reference(text);
        for (const std::size_t piece : {std::size_t(1), std::size_t(7), std::size_t(1000), std::size_t(4096)}) {
            CAPTURE(piece);
            seeded c({}, seeded_key_source(9));
            REQUIRE(c.send_text(text) == error::none);
            std::string written;
            std::size_t calls = 0;
            for (output_buffers o = c.output(); !o.empty(); o = c.output()) {
                std::string all;
                for (std::size_t i = 0; i < o.count; ++i) {
                    CHECK(o.parts[i].size() <= 1024u);
                    all += text_of(o.parts[i]);
                }
                const std::size_t k = std::min(piece, all.size());
                written += all.substr(0, k);
                c.consume(k);
                REQUIRE(++calls < 10000);
            }
            CHECK(written == text_of(expected));
            CHECK(c.pending_output() == 0u);
        }
        CHECK(text == original);
    }
    SUBCASE("output() then copy_output() mid-frame: the same bytes") {
        std::string text(2500, 'q');
        const bytes expected = reference(text);
        seeded c({}, seeded_key_source(9));
        REQUIRE(c.send_text(text) == error::none);
        std::string written;
        output_buffers o = c.output();  // the header and the first 1 KiB, staged
        written += text_of(o.parts[0]) + text_of(o.parts[1]).substr(0, 100);
        c.consume(o.parts[0].size() + 100);
        o = c.output();  // the rest of the staged piece
        CHECK(o.count == 1u);
        CHECK(o.parts[0].size() == 1024u - 100u);
        written += text_of(o.parts[0]).substr(0, 10);
        c.consume(10);
        bytes rest(4096);
        rest.resize(c.copy_output(rest));  // masks from the payload at the same key phase
        written += text_of(rest);
        CHECK(written == text_of(expected));
    }
}

TEST_CASE("output: send_in_place() keeps a client zero-copy; a server never needs a copy") {
    connection<role::client, seeded_key_source> c({}, seeded_key_source(3));
    bytes payload = str("abc");
    CHECK(c.send_in_place(message_type::binary, mutable_bytes(payload)) == error::none);
    const output_buffers o = c.output();
    CHECK(o.count == 2u);
    CHECK(o.parts[1].data() == payload.data());
    server_connection s;
    const std::string_view abc = "abc";
    CHECK(s.send_text(abc) == error::none);
    const output_buffers so = s.output();
    CHECK(so.count == 2u);
    CHECK(reinterpret_cast<const char*>(so.parts[1].data()) == abc.data());
}

TEST_CASE("streaming: can_send_part() says when the next part may be queued") {
    server_connection s;
    CHECK_FALSE(s.can_send_part());
    CHECK(s.begin_message(message_type::binary) == error::none);
    CHECK(s.can_send_part());
    CHECK_FALSE(s.can_send());
    const bytes p1 = str("ab");
    CHECK(s.send_part(p1, false) == error::none);
    CHECK_FALSE(s.can_send_part());
    CHECK(s.send_part(p1, false) == error::send_in_progress);
    (void)drain(s);
    CHECK(s.can_send_part());
    CHECK(s.send_part(p1, true) == error::none);
    (void)drain(s);
    CHECK_FALSE(s.can_send_part());
    CHECK(s.can_send());
}

TEST_CASE("connections are not copyable (a copy would repeat the masking keys)") {
    CHECK_FALSE(std::is_copy_constructible_v<client_connection>);
    CHECK_FALSE(std::is_copy_constructible_v<server_connection>);
    CHECK(std::is_nothrow_move_constructible_v<client_connection>);
    CHECK_FALSE(std::is_copy_constructible_v<system_key_source>);
    system_key_source a;
    const mask_key k1 = a();
    system_key_source b(std::move(a));
    const mask_key k2 = b();
    const mask_key k3 = a();  // refilled from the OS, not a replay of b's pool
    CHECK(k1 != k2);
    CHECK(k2 != k3);
}

TEST_CASE_TEMPLATE("§5.6/§8.1 text to send must be UTF-8: refused as a usage error, nothing queued", T, server, client) {
    T c;
    CHECK(c.send_text("ok \xCE\xBA") == error::none);
    (void)drain(c);
    CHECK(c.send_text("bad \xFF") == error::text_not_utf8);
    CHECK(c.send_text("cut \xE2\x82") == error::text_not_utf8);
    CHECK(c.pending_output() == 0u);
    CHECK(c.can_send());
    const bytes ff = str("\xFF");  // must outlive the output
    CHECK(c.send(message_type::binary, ff) == error::none);  // binary is not checked
    (void)drain(c);
    // Streamed text: parts may split a code point; a bad part is refused and
    // the message goes on with a good one; the last part must end the text.
    const bytes p1 = str("\xE2\x82"), bad = str("\x41"), p2 = str("\xAC"), cut = str("\xE2"), p3 = str("!");
    CHECK(c.begin_message(message_type::text) == error::none);
    CHECK(c.send_part(p1, false) == error::none);
    (void)drain(c);
    CHECK(c.send_part(bad, false) == error::text_not_utf8);
    CHECK(c.send_part(p2, false) == error::none);
    (void)drain(c);
    CHECK(c.send_part(cut, true) == error::text_not_utf8);
    CHECK(c.send_part(p3, true) == error::none);
    (void)drain(c);
    CHECK(c.can_send());
    CHECK(kind_of(error::text_not_utf8) == error_kind::usage);
}

// ======================================================================
// Timers: durations, keepalive, idle (connection_options::timers)
// ======================================================================

TEST_CASE("timers: each timer_hint comes with its duration; none by default while open") {
    server s;
    CHECK(s.timer() == timer_hint::none);
    CHECK(s.timer_duration() == std::chrono::milliseconds(0));
    CHECK(s.close(close_code::normal) == error::none);
    CHECK(s.timer() == timer_hint::close_handshake);
    CHECK(s.timer_duration() == std::chrono::milliseconds(5000));  // timer_options::close_ms default
    connection_options o;
    o.timers.close_ms = 1234;
    o.timers.tcp_close_ms = 77;
    client c(o, seeded_key_source(1));
    CHECK(c.close(close_code::normal) == error::none);
    CHECK(c.timer_duration() == std::chrono::milliseconds(1234));
    (void)drain(c);
    bytes reply = wire<role::client>(opcode::close, close_body(1000));
    const event ev = c.receive(mutable_bytes(reply));
    CHECK(ev.type == event_type::close);
    CHECK(c.receive(mutable_bytes()).type == event_type::closed);
    CHECK(c.timer() == timer_hint::tcp_close);  // §7.1.1: the server closes TCP first
    CHECK(c.timer_duration() == std::chrono::milliseconds(77));
}

TEST_CASE("timers: keepalive pings a silent peer, and fails it (1011) when nothing comes back") {
    connection_options o;
    o.timers.ping_interval_ms = 1000;
    o.timers.pong_timeout_ms = 300;
    server s(o);
    CHECK(s.timer() == timer_hint::keepalive);
    CHECK(s.timer_duration() == std::chrono::milliseconds(1000));
    // Expiry with nothing heard: a ping (empty payload) is queued.
    event ev = s.receive_timeout();
    CHECK(ev.type == event_type::need_more);
    CHECK(hx(drain(s)) == hx(hex("89 00")));
    CHECK(s.timer() == timer_hint::pong_wait);
    CHECK(s.timer_duration() == std::chrono::milliseconds(300));
    // Nothing again: failed, keepalive_timeout, our close 1011 with the error's message.
    ev = s.receive_timeout();
    CHECK(ev.type == event_type::failed);
    CHECK(ev.err == error::keepalive_timeout);
    CHECK(ev.code == 1011);
    CHECK(ev.action == tcp_action::linger);
    const std::string_view why = error_message(error::keepalive_timeout);
    CHECK(hx(drain(s)) == hx(frame(header(opcode::close, 2 + why.size(), true, false), close_body(1011, why))));
    CHECK(s.state() == connection_state::failed);
    CHECK(s.timer() == timer_hint::tcp_close);  // lingering: until the peer's EOF, at most tcp_close_ms
}

TEST_CASE("timers: any bytes from the peer keep it alive: no ping, and a pong (or anything) ends the wait") {
    connection_options o;
    o.timers.ping_interval_ms = 1000;
    server s(o);
    bytes in = wire<role::server>(opcode::binary, bytes{0x01});
    CHECK(s.receive(mutable_bytes(in)).type == event_type::data);
    CHECK(s.receive_timeout().type == event_type::need_more);
    CHECK(drain(s).empty());  // the peer spoke during the period: no ping
    CHECK(s.timer() == timer_hint::keepalive);
    CHECK(s.receive_timeout().type == event_type::need_more);  // silent now: ping
    CHECK(hx(drain(s)) == hx(hex("89 00")));
    CHECK(s.timer() == timer_hint::pong_wait);
    bytes pong = wire<role::server>(opcode::pong, bytes{});
    CHECK(s.receive(mutable_bytes(pong)).type == event_type::pong);
    CHECK(s.receive_timeout().type == event_type::need_more);  // heard: back to keepalive
    CHECK(s.timer() == timer_hint::keepalive);
    CHECK(drain(s).empty());
    // A call with no bytes is not the peer speaking.
    CHECK(s.receive(mutable_bytes()).type == event_type::need_more);
    CHECK(s.receive_timeout().type == event_type::need_more);
    CHECK(hx(drain(s)) == hx(hex("89 00")));
}

TEST_CASE("timers: a client's keepalive ping is masked") {
    connection_options o;
    o.timers.ping_interval_ms = 50;
    client c(o, seeded_key_source(4));
    CHECK(c.receive_timeout().type == event_type::need_more);
    const bytes w = drain(c);
    REQUIRE(w.size() == 6u);
    CHECK(w[0] == 0x89);
    CHECK(w[1] == 0x80);  // masked, empty
}

TEST_CASE("timers: idle fails a peer silent for idle_ms (1001), checked in quarters; any byte starts it over") {
    connection_options o;
    o.timers.idle_ms = 1000;
    server s(o);
    CHECK(s.timer() == timer_hint::idle);
    CHECK(s.timer_duration() == std::chrono::milliseconds(250));
    for (int i = 0; i < 3; ++i) CHECK(s.receive_timeout().type == event_type::need_more);  // 750 ms silent
    bytes ping = wire<role::server>(opcode::ping, bytes{});
    CHECK(s.receive(mutable_bytes(ping)).type == event_type::ping);
    (void)drain(s);
    CHECK(s.receive_timeout().type == event_type::need_more);  // heard: 0 ms silent again
    for (int i = 0; i < 3; ++i) CHECK(s.receive_timeout().type == event_type::need_more);
    CHECK(drain(s).empty());  // idle alone never pings
    const event ev = s.receive_timeout();  // 4 quarters silent: 1000 ms
    CHECK(ev.type == event_type::failed);
    CHECK(ev.err == error::idle_timeout);
    CHECK(ev.code == 1001);
    const std::string_view why = error_message(error::idle_timeout);
    CHECK(hx(drain(s)) == hx(frame(header(opcode::close, 2 + why.size(), true, false), close_body(1001, why))));
}

TEST_CASE("timers: with keepalive and idle, each silent keepalive period counts towards idle") {
    connection_options o;
    o.timers.ping_interval_ms = 400;
    o.timers.pong_timeout_ms = 10000;
    o.timers.idle_ms = 1000;
    server s(o);
    CHECK(s.receive_timeout().type == event_type::need_more);  // 400 ms silent: ping
    CHECK(hx(drain(s)) == hx(hex("89 00")));
    bytes pong = wire<role::server>(opcode::pong, bytes{});
    CHECK(s.receive(mutable_bytes(pong)).type == event_type::pong);
    CHECK(s.receive_timeout().type == event_type::need_more);  // heard
    CHECK(s.receive_timeout().type == event_type::need_more);  // 400: ping
    CHECK(hx(drain(s)) == hx(hex("89 00")));
    const event ev = s.receive_timeout();  // pong_wait (10 s) with nothing: keepalive fails first
    CHECK(ev.err == error::keepalive_timeout);
}

TEST_CASE("closing: after the peer's close event, close() answers with our own code and reason instead of the echo") {
    {
        server s;
        const std::vector<event_record> evs = feed(s, wire<role::server>(opcode::close, close_body(1001, "tab closed")));
        CHECK(evs.size() == 2u);
        CHECK(s.close(4000, "mine") == error::none);
        CHECK(s.close(4001, "twice") == error::none);  // still waiting: replaced again
        CHECK(s.close(999) == error::unsendable_close_code);
        CHECK(hx(drain(s)) == hx(frame(header(opcode::close, 7, true, false), close_body(4001, "twice"))));
        CHECK(s.close_status() == 1001);  // the peer's code, as the events said
        CHECK(s.close(4000, "late") == error::not_open);  // the answer went out
        CHECK(s.pending_output() == 0u);
    }
    {
        // A client's answer is masked with a key of its own (the next one drawn after the echo's).
        client c;
        (void)feed(c, wire<role::client>(opcode::close, close_body(1000, "bye")));
        CHECK(c.close(close_code::going_away) == error::none);
        CHECK(hx(drain(c)) == hx(frame(header(opcode::close, 2, true, true, nth_key(1, 1)), close_body(1001))));
    }
    {
        // Once output() began to hand the echo out, it stays.
        server s;
        (void)feed(s, wire<role::server>(opcode::close, close_body(1000, "bye")));
        const output_buffers out = s.output();
        CHECK(out.count == 1u);
        s.consume(1);
        CHECK(s.close(4000) == error::not_open);
        CHECK(hx(drain(s)) == "05 03 e8 62 79 65");
    }
    {
        // We closed first: the peer's close is the answer, and there is nothing to replace.
        server s;
        CHECK(s.close(close_code::normal, "done") == error::none);
        (void)drain(s);
        (void)feed(s, wire<role::server>(opcode::close, close_body(1000)));
        CHECK(s.close(4000) == error::not_open);
        CHECK(drain(s).empty());
    }
}

TEST_CASE("closing: a failure asks for a lingering close; the input that follows is discarded until EOF or tcp_close") {
    connection_options o;
    o.timers.tcp_close_ms = 321;
    o.limits.max_frame_size = 16;
    server s(o);
    bytes in = wire<role::server>(opcode::binary, bytes(17, 0x61));
    std::vector<event_record> evs = feed(s, in);
    check_failed(evs, error::frame_too_big, 1009);
    CHECK(std::string(tcp_action_name(evs.back().action)) == "linger");
    CHECK(s.timer() == timer_hint::tcp_close);
    CHECK(s.timer_duration() == std::chrono::milliseconds(321));
    const std::string_view why = error_message(error::frame_too_big);
    CHECK(hx(drain(s)) == hx(frame(header(opcode::close, 2 + why.size(), true, false), close_body(1009, why))));
    // The peer goes on sending: all of it is consumed, nothing reported but `ended`.
    bytes more = wire<role::server>(opcode::text, str("still here"));
    const event ev = s.receive(mutable_bytes(more));
    CHECK(ev.type == event_type::ended);
    CHECK(ev.consumed == more.size());
    CHECK(drain(s).empty());
    // EOF ends the linger: closed, no error, close TCP now.
    const event eof = s.receive_eof();
    CHECK(eof.type == event_type::closed);
    CHECK(eof.err == error::none);
    CHECK(eof.action == tcp_action::close_now);
    CHECK(s.timer() == timer_hint::none);
    // Or the timer ends it, the same way.
    server t(o);
    evs = feed(t, in);
    CHECK(evs.back().action == tcp_action::linger);
    const event late = t.receive_timeout();
    CHECK(late.type == event_type::closed);
    CHECK(late.err == error::none);
    CHECK(late.code == 1006);  // no close frame came from the peer (§7.1.5)
    CHECK(late.action == tcp_action::close_now);
    CHECK(t.timer() == timer_hint::none);
}
