// SPDX-License-Identifier: MIT
// tests/test_frame.cpp — frame header decode/encode (wscodec/frame.hpp),
// grouped by RFC 6455 section. Every decode reads from a guard-page buffer.
#include <doctest/doctest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>
#include <wscodec/frame.hpp>
#include <wscodec/mask.hpp>

#include "helpers.hpp"

namespace doctest {
template <>
struct StringMaker<wscodec::frame_header> {
    static String convert(const wscodec::frame_header& h) {
        std::string s = "{fin=" + std::to_string(h.fin) + " rsv=" + std::to_string(h.rsv) +
                        " op=" + std::to_string(static_cast<int>(h.op)) + " masked=" + std::to_string(h.masked) +
                        " key=" + test::to_hex(h.key) + " len=" + std::to_string(h.payload_length) + "}";
        return String(s.c_str());
    }
};
}  // namespace doctest

namespace {

using namespace wscodec;
using test::bytes;
using test::hex;

constexpr decode_rules any_mask{mask_rule::any, 0, false};

/// Decodes `in` from a guarded copy, so a read past its end faults.
decode_result decode(const bytes& in, const decode_rules& rules = any_mask) {
    test::guarded g(in);
    return try_decode_header(g.view(), rules);
}

bytes prefix(const bytes& in, std::size_t k) { return bytes(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(k)); }

bytes concat(bytes a, const bytes& tail) {
    a.insert(a.end(), tail.begin(), tail.end());
    return a;
}

bytes encoded(const frame_header& h) {
    const encoded_header e = encode_header(h);
    return bytes(e.view().begin(), e.view().end());
}

/// Header size read straight off the wire, independently of the decoder.
std::size_t wire_size(const bytes& in) {
    const int len7 = in[1] & 0x7F;
    return 2 + (len7 == 126 ? 2u : len7 == 127 ? 8u : 0u) + ((in[1] & 0x80) != 0 ? 4u : 0u);
}

/// Bytes still needed after the first k bytes of `in` have arrived.
std::size_t needed_after(const bytes& in, std::size_t k) { return k < 2 ? 2 - k : wire_size(in) - k; }

/// Every prefix shorter than the header needs exactly the missing bytes; the
/// whole header (alone and with payload bytes after it) decodes to `expected`.
void check_ok_splits(const bytes& in, const decode_rules& rules, const frame_header& expected) {
    const std::size_t size = wire_size(in);
    CHECK(in.size() >= size);
    if (in.size() < size) return;
    for (std::size_t k = 0; k < size; ++k) {
        CAPTURE(k);
        const decode_result r = decode(prefix(in, k), rules);
        CHECK(r.status == decode_status::need_more);
        CHECK(r.size == needed_after(in, k));
        CHECK(r.err == error::none);
    }
    const decode_result whole = decode(prefix(in, size), rules);
    CHECK(whole.status == decode_status::ok);
    CHECK(whole.size == size);
    CHECK(whole.err == error::none);
    CHECK(whole.header == expected);
    CHECK(decode(concat(prefix(in, size), hex("ff 00 81 7f")), rules) == whole);
}

/// Prefixes shorter than `visible_at` need more; from `visible_at` bytes on,
/// up to all of `in`, the decode fails with `e` at `offset`.
void check_fail_splits(const bytes& in, const decode_rules& rules, error e, std::size_t offset,
                       std::size_t visible_at) {
    CHECK(in.size() >= visible_at);
    if (in.size() < visible_at) return;
    for (std::size_t k = 0; k < visible_at; ++k) {
        CAPTURE(k);
        const decode_result r = decode(prefix(in, k), rules);
        CHECK(r.status == decode_status::need_more);
        CHECK(r.size == needed_after(in, k));
    }
    for (std::size_t k = visible_at; k <= in.size(); ++k) {
        CAPTURE(k);
        const decode_result r = decode(prefix(in, k), rules);
        CHECK(r.status == decode_status::failed);
        CHECK(r.err == e);
        CHECK(r.size == offset);
        CHECK(r.header == frame_header{});
    }
}

frame_header make(opcode op, std::uint64_t len, bool fin = true) {
    frame_header h;
    h.fin = fin;
    h.op = op;
    h.payload_length = len;
    return h;
}

frame_header make_masked(opcode op, std::uint64_t len, mask_key key, bool fin = true) {
    frame_header h = make(op, len, fin);
    h.masked = true;
    h.key = key;
    return h;
}

constexpr mask_key rfc_key{0x37, 0xfa, 0x21, 0x3d};
constexpr opcode known_opcodes[] = {opcode::continuation, opcode::text, opcode::binary,
                                    opcode::close,        opcode::ping, opcode::pong};

// The decoder and encoder are usable in constant expressions.
constexpr std::array<std::uint8_t, 2> hello_header{0x81, 0x05};
static_assert(try_decode_header(hello_header, rules_for(role::client)).status == decode_status::ok);
static_assert(try_decode_header(hello_header, rules_for(role::client)).header.payload_length == 5);
static_assert(try_decode_header(hello_header, rules_for(role::server)).err == error::frame_not_masked);
static_assert(encode_header(frame_header{true, 0, opcode::text, false, {}, 5}).bytes[0] == 0x81);
static_assert(header_size(frame_header{true, 0, opcode::binary, true, {}, 65536}) == 14);
static_assert(sizeof(frame_header) == 16);

}  // namespace

TEST_CASE("§5.2 opcodes: names, classes and the known set") {
    CHECK(opcode_name(opcode::continuation) == std::string("continuation"));
    CHECK(opcode_name(opcode::text) == std::string("text"));
    CHECK(opcode_name(opcode::binary) == std::string("binary"));
    CHECK(opcode_name(opcode::close) == std::string("close"));
    CHECK(opcode_name(opcode::ping) == std::string("ping"));
    CHECK(opcode_name(opcode::pong) == std::string("pong"));
    CHECK(opcode_name(static_cast<opcode>(0x3)) == std::string("reserved"));
    CHECK(opcode_name(static_cast<opcode>(0xB)) == std::string("reserved"));

    for (int v = 0; v < 16; ++v) {
        CAPTURE(v);
        const auto u = static_cast<std::uint8_t>(v);
        const bool known = v == 0 || v == 1 || v == 2 || v == 8 || v == 9 || v == 10;
        CHECK(is_known_opcode(u) == known);
        CHECK(is_control(static_cast<opcode>(u)) == (v >= 8));
        CHECK(is_data(static_cast<opcode>(u)) == (v < 8));
    }
    CHECK_FALSE(is_known_opcode(0x10));
    CHECK_FALSE(is_known_opcode(0xFF));
}

TEST_CASE("§5.2 opcodes: each value on the wire") {
    for (int v = 0; v < 16; ++v) {
        CAPTURE(v);
        const bytes in = test::b({0x80 | v, 0x00});
        const bool known = is_known_opcode(static_cast<std::uint8_t>(v));
        if (known) {
            check_ok_splits(in, any_mask, make(static_cast<opcode>(v), 0));
        } else {
            check_fail_splits(in, any_mask, error::reserved_opcode, 0, 1);
        }
    }
}

TEST_CASE("§5.2 RSV bits: each bit with and without an extension allowing it") {
    for (int rsv = 0; rsv < 8; ++rsv) {
        for (int allowed = 0; allowed < 8; ++allowed) {
            CAPTURE(rsv);
            CAPTURE(allowed);
            const decode_rules rules{mask_rule::required, static_cast<std::uint8_t>(allowed), false};
            const bytes in = test::b({0x82 | (rsv << 4), 0x81, 1, 2, 3, 4});
            if ((rsv & ~allowed) == 0) {
                frame_header h = make_masked(opcode::binary, 1, {1, 2, 3, 4});
                h.rsv = static_cast<std::uint8_t>(rsv);
                check_ok_splits(in, rules, h);
                CHECK(encoded(h) == prefix(in, 6));
            } else {
                check_fail_splits(in, rules, error::reserved_bits_set, 0, 1);
            }
        }
    }
    // The named bits sit where §5.2 puts them: RSV1 is 0x40 of the first byte.
    frame_header h = make(opcode::text, 0);
    h.rsv = rsv1;
    CHECK(encoded(h) == hex("c1 00"));
    h.rsv = rsv2;
    CHECK(encoded(h) == hex("a1 00"));
    h.rsv = rsv3;
    CHECK(encoded(h) == hex("91 00"));
    CHECK(decode(hex("c1 00"), {mask_rule::any, rsv1, false}).header.rsv == rsv1);
    CHECK(decode(hex("c1 00"), {mask_rule::any, rsv2 | rsv3, false}).err == error::reserved_bits_set);
    CHECK(decode(hex("a1 00"), {mask_rule::any, rsv1 | rsv3, false}).err == error::reserved_bits_set);
    CHECK(decode(hex("91 00"), {mask_rule::any, rsv1 | rsv2, false}).err == error::reserved_bits_set);
}

TEST_CASE("§5.5 control frames must not be fragmented") {
    for (opcode op : known_opcodes) {
        CAPTURE(opcode_name(op));
        const bytes in = test::b({static_cast<int>(op), 0x00});
        if (is_control(op)) {
            check_fail_splits(in, any_mask, error::control_frame_fragmented, 0, 1);
        } else {
            check_ok_splits(in, any_mask, make(op, 0, false));
        }
        check_ok_splits(test::b({0x80 | static_cast<int>(op), 0x00}), any_mask, make(op, 0));
    }
}

TEST_CASE("§5.5 control frames carry at most 125 bytes") {
    for (opcode op : {opcode::close, opcode::ping, opcode::pong}) {
        CAPTURE(opcode_name(op));
        const int b0 = 0x80 | static_cast<int>(op);
        check_ok_splits(test::b({b0, 125}), any_mask, make(op, 125));
        check_ok_splits(test::b({b0, 0xFD, 1, 2, 3, 4}), any_mask, make_masked(op, 125, {1, 2, 3, 4}));
        // The 16- and 64-bit forms are refused as soon as the length byte arrives.
        check_fail_splits(test::b({b0, 126, 0x00, 0x7E}), any_mask, error::control_frame_too_long, 1, 2);
        check_fail_splits(test::b({b0, 127, 0, 0, 0, 0, 0, 0, 0x01, 0x00}), any_mask, error::control_frame_too_long,
                          1, 2);
        check_fail_splits(test::b({b0, 0xFE, 0xFF, 0xFF, 1, 2, 3, 4}), any_mask, error::control_frame_too_long, 1,
                          2);
        // Even a non-minimal small length, with the leniency switched on.
        const decode_rules lenient{mask_rule::any, 0, true};
        check_fail_splits(test::b({b0, 126, 0x00, 0x05}), lenient, error::control_frame_too_long, 1, 2);
    }
    // Data frames are not limited.
    check_ok_splits(hex("82 7e 00 7e"), any_mask, make(opcode::binary, 126));
    check_ok_splits(hex("00 7e 00 7e"), any_mask, make(opcode::continuation, 126, false));
}

TEST_CASE("§5.1 masking: each rule in both roles") {
    CHECK(mask_rule_for(role::server) == mask_rule::required);
    CHECK(mask_rule_for(role::client) == mask_rule::forbidden);
    CHECK(rules_for(role::server).mask == mask_rule::required);
    CHECK(rules_for(role::client).mask == mask_rule::forbidden);
    for (role r : {role::server, role::client}) {
        CHECK(rules_for(r).allowed_rsv == 0);
        CHECK_FALSE(rules_for(r).allow_non_minimal_length);
    }
    const decode_rules defaults{};
    CHECK(defaults.mask == mask_rule::required);
    CHECK(defaults.allowed_rsv == 0);
    CHECK_FALSE(defaults.allow_non_minimal_length);

    const bytes masked = hex("82 83 01 02 03 04");
    const bytes unmasked = hex("82 03");
    const frame_header masked_h = make_masked(opcode::binary, 3, {1, 2, 3, 4});
    const frame_header unmasked_h = make(opcode::binary, 3);

    SUBCASE("a server receives from clients: mask required") {
        check_ok_splits(masked, rules_for(role::server), masked_h);
        check_fail_splits(unmasked, rules_for(role::server), error::frame_not_masked, 1, 2);
        check_fail_splits(hex("89 00"), rules_for(role::server), error::frame_not_masked, 1, 2);
        CHECK(decode(unmasked, {}).err == error::frame_not_masked);
    }
    SUBCASE("a client receives from servers: mask forbidden") {
        check_ok_splits(unmasked, rules_for(role::client), unmasked_h);
        check_fail_splits(masked, rules_for(role::client), error::frame_masked, 1, 2);
        check_fail_splits(hex("8a 80 00 00 00 00"), rules_for(role::client), error::frame_masked, 1, 2);
    }
    SUBCASE("any") {
        check_ok_splits(masked, any_mask, masked_h);
        check_ok_splits(unmasked, any_mask, unmasked_h);
    }
    SUBCASE("each role sends what the other receives") {
        CHECK(encoded(masked_h) == masked);
        CHECK(encoded(unmasked_h) == unmasked);
    }
}

TEST_CASE("§5.2 payload length: 7-, 16- and 64-bit forms at their boundaries") {
    struct row {
        std::uint64_t len;
        const char* wire;  // unmasked binary header
    };
    const row rows[] = {
        {0, "82 00"},
        {1, "82 01"},
        {125, "82 7d"},
        {126, "82 7e 00 7e"},
        {127, "82 7e 00 7f"},
        {256, "82 7e 01 00"},
        {65535, "82 7e ff ff"},
        {65536, "82 7f 00 00 00 00 00 01 00 00"},
        {0x1'0000'0000, "82 7f 00 00 00 01 00 00 00 00"},
        {0x0123'4567'89AB'CDEF, "82 7f 01 23 45 67 89 ab cd ef"},
        {max_payload_length, "82 7f 7f ff ff ff ff ff ff ff"},
    };
    for (const row& r : rows) {
        CAPTURE(r.len);
        const frame_header h = make(opcode::binary, r.len);
        const bytes wire = hex(r.wire);
        CHECK(check_header(h) == error::none);
        CHECK(header_size(h) == wire.size());
        CHECK(encoded(h) == wire);
        check_ok_splits(wire, rules_for(role::client), h);

        const frame_header hm = make_masked(opcode::binary, r.len, {0xde, 0xad, 0xbe, 0xef});
        bytes wire_m = wire;
        wire_m[1] = static_cast<std::uint8_t>(wire_m[1] | 0x80);
        wire_m = concat(wire_m, hex("de ad be ef"));
        CHECK(header_size(hm) == wire_m.size());
        CHECK(encoded(hm) == wire_m);
        check_ok_splits(wire_m, rules_for(role::server), hm);
    }
    CHECK(max_payload_length == (std::uint64_t{1} << 63) - 1);
    CHECK(max_header_size == 14);
    CHECK(max_control_payload == 125);
}

TEST_CASE("§5.2 payload length: the most significant bit of the 64-bit form must be 0") {
    check_fail_splits(hex("82 7f 80 00 00 00 00 00 00 00"), any_mask, error::length_msb_set, 2, 3);
    check_fail_splits(hex("82 ff ff ff ff ff ff ff ff ff 01 02 03 04"), any_mask, error::length_msb_set, 2, 3);
    check_fail_splits(hex("02 7f 80"), any_mask, error::length_msb_set, 2, 3);
    // A top byte of 0x7f is fine.
    check_ok_splits(hex("82 7f 7f 00 00 00 00 00 00 00"), any_mask, make(opcode::binary, 0x7F00'0000'0000'0000));
    CHECK(check_header(make(opcode::binary, std::uint64_t{1} << 63)) == error::payload_too_long);
}

TEST_CASE("§5.2 payload length: the minimal number of bytes MUST be used") {
    const decode_rules strict = any_mask;
    const decode_rules lenient{mask_rule::any, 0, true};
    struct row {
        const char* wire;
        std::uint64_t len;
        const char* minimal;  // the re-encoding
    };
    const row rows[] = {
        {"82 7e 00 00", 0, "82 00"},
        {"82 7e 00 05", 5, "82 05"},
        {"82 7e 00 7d", 125, "82 7d"},
        {"82 7f 00 00 00 00 00 00 00 00", 0, "82 00"},
        {"82 7f 00 00 00 00 00 00 00 7d", 125, "82 7d"},
        {"82 7f 00 00 00 00 00 00 00 7e", 126, "82 7e 00 7e"},
        {"82 7f 00 00 00 00 00 00 ff ff", 65535, "82 7e ff ff"},
        {"01 fe 00 10 0a 0b 0c 0d", 16, "01 90 0a 0b 0c 0d"},
        {"01 ff 00 00 00 00 00 00 01 00 0a 0b 0c 0d", 256, "01 fe 01 00 0a 0b 0c 0d"},
    };
    for (const row& r : rows) {
        CAPTURE(r.wire);
        const bytes wire = hex(r.wire);
        const std::size_t length_end = (wire[1] & 0x7F) == 126 ? 4 : 10;
        check_fail_splits(wire, strict, error::non_minimal_length, 1, length_end);

        const decode_result ok = decode(wire, lenient);
        CHECK(ok.status == decode_status::ok);
        CHECK(ok.size == wire.size());
        CHECK(ok.header.payload_length == r.len);
        check_ok_splits(wire, lenient, ok.header);
        CHECK(encoded(ok.header) == hex(r.minimal));
        CHECK(header_size(ok.header) < ok.size);
    }
    // The smallest lengths of each wider form are minimal.
    CHECK(decode(hex("82 7e 00 7e"), strict).status == decode_status::ok);
    CHECK(decode(hex("82 7f 00 00 00 00 00 01 00 00"), strict).status == decode_status::ok);
}

TEST_CASE("§5.7 examples: golden bytes in both directions") {
    const bytes hello = test::b("Hello");

    SUBCASE("a single-frame unmasked text message") {
        const bytes frame = hex("81 05 48 65 6c 6c 6f");
        const frame_header h = make(opcode::text, 5);
        const decode_result r = decode(frame, rules_for(role::client));
        CHECK(r.status == decode_status::ok);
        CHECK(r.size == 2);
        CHECK(r.header == h);
        CHECK(bytes(frame.begin() + 2, frame.end()) == hello);
        CHECK(encoded(h) == hex("81 05"));
        check_ok_splits(frame, rules_for(role::client), h);
    }
    SUBCASE("a single-frame masked text message") {
        const bytes frame = hex("81 85 37 fa 21 3d 7f 9f 4d 51 58");
        const frame_header h = make_masked(opcode::text, 5, rfc_key);
        const decode_result r = decode(frame, rules_for(role::server));
        CHECK(r.status == decode_status::ok);
        CHECK(r.size == 6);
        CHECK(r.header == h);
        CHECK(r.header.key == mask_key{0x37, 0xfa, 0x21, 0x3d});
        bytes payload(frame.begin() + 6, frame.end());
        CHECK(payload.size() == r.header.payload_length);
        apply_mask(payload, r.header.key);
        CHECK(payload == hello);
        // The other way: mask "Hello" under the header's key.
        bytes sent = hello;
        apply_mask(sent, h.key);
        CHECK(concat(encoded(h), sent) == frame);
        check_ok_splits(frame, rules_for(role::server), h);
    }
    SUBCASE("a fragmented unmasked text message") {
        const bytes first = hex("01 03 48 65 6c");
        const bytes last = hex("80 02 6c 6f");
        const frame_header h1 = make(opcode::text, 3, false);
        const frame_header h2 = make(opcode::continuation, 2);
        CHECK(decode(first, rules_for(role::client)) == decode_result{decode_status::ok, 2, error::none, h1});
        CHECK(decode(last, rules_for(role::client)) == decode_result{decode_status::ok, 2, error::none, h2});
        CHECK(concat(bytes(first.begin() + 2, first.end()), bytes(last.begin() + 2, last.end())) == hello);
        CHECK(encoded(h1) == hex("01 03"));
        CHECK(encoded(h2) == hex("80 02"));
        check_ok_splits(first, rules_for(role::client), h1);
        check_ok_splits(last, rules_for(role::client), h2);
    }
    SUBCASE("unmasked ping request and masked pong response") {
        const bytes ping = hex("89 05 48 65 6c 6c 6f");
        const bytes pong = hex("8a 85 37 fa 21 3d 7f 9f 4d 51 58");
        const frame_header hp = make(opcode::ping, 5);
        const frame_header hq = make_masked(opcode::pong, 5, rfc_key);
        CHECK(decode(ping, rules_for(role::client)) == decode_result{decode_status::ok, 2, error::none, hp});
        CHECK(decode(pong, rules_for(role::server)) == decode_result{decode_status::ok, 6, error::none, hq});
        bytes body(pong.begin() + 6, pong.end());
        apply_mask(body, hq.key);
        CHECK(body == bytes(ping.begin() + 2, ping.end()));
        CHECK(encoded(hp) == hex("89 05"));
        CHECK(encoded(hq) == hex("8a 85 37 fa 21 3d"));
        check_ok_splits(ping, rules_for(role::client), hp);
        check_ok_splits(pong, rules_for(role::server), hq);
    }
    SUBCASE("256 bytes binary message in a single unmasked frame") {
        const bytes frame = concat(hex("82 7e 01 00"), bytes(256, 0x5a));
        const frame_header h = make(opcode::binary, 256);
        CHECK(decode(frame, rules_for(role::client)) == decode_result{decode_status::ok, 4, error::none, h});
        CHECK(encoded(h) == hex("82 7e 01 00"));
        check_ok_splits(frame, rules_for(role::client), h);
    }
    SUBCASE("64KiB binary message in a single unmasked frame") {
        const bytes frame = concat(hex("82 7f 00 00 00 00 00 01 00 00"), bytes(65536, 0xa5));
        const frame_header h = make(opcode::binary, 65536);
        CHECK(decode(frame, rules_for(role::client)) == decode_result{decode_status::ok, 10, error::none, h});
        CHECK(encoded(h) == hex("82 7f 00 00 00 00 00 01 00 00"));
        check_ok_splits(frame, rules_for(role::client), h);
    }
}

TEST_CASE("§5.2 every split of every header") {
    std::vector<frame_header> headers;
    const std::uint64_t lengths[] = {0, 1, 5, 125, 126, 127, 255, 256, 65535, 65536, 65537, 0xFFFF'FFFF,
                                     max_payload_length};
    for (opcode op : known_opcodes) {
        for (std::uint64_t len : lengths) {
            if (is_control(op) && len > max_control_payload) continue;
            for (bool fin : {true, false}) {
                if (is_control(op) && !fin) continue;
                for (std::uint8_t rsv : {std::uint8_t{0}, rsv1, std::uint8_t{rsv1 | rsv2 | rsv3}}) {
                    frame_header h = make(op, len, fin);
                    h.rsv = rsv;
                    headers.push_back(h);
                    h.masked = true;
                    h.key = {0x00, 0xff, 0x80, static_cast<std::uint8_t>(len)};
                    headers.push_back(h);
                }
            }
        }
    }
    for (const frame_header& h : headers) {
        CAPTURE(h);
        const bytes wire = encoded(h);
        CHECK(wire.size() == header_size(h));
        check_ok_splits(wire, {mask_rule::any, 7, false}, h);
        check_ok_splits(wire, {h.masked ? mask_rule::required : mask_rule::forbidden, h.rsv, false}, h);
    }
    CHECK(headers.size() == 540);
}

TEST_CASE("§5.2 fail fast: each error is reported by the byte that shows it") {
    // Errors of byte 0 need only byte 0.
    CHECK(decode(hex("83"), any_mask) == decode_result{decode_status::failed, 0, error::reserved_opcode, {}});
    CHECK(decode(hex("c2"), any_mask) == decode_result{decode_status::failed, 0, error::reserved_bits_set, {}});
    CHECK(decode(hex("09"), any_mask) ==
          decode_result{decode_status::failed, 0, error::control_frame_fragmented, {}});
    // Errors of byte 1 need only bytes 0-1.
    CHECK(decode(hex("82 00"), rules_for(role::server)) ==
          decode_result{decode_status::failed, 1, error::frame_not_masked, {}});
    CHECK(decode(hex("82 80"), rules_for(role::client)) ==
          decode_result{decode_status::failed, 1, error::frame_masked, {}});
    CHECK(decode(hex("88 7e"), any_mask) == decode_result{decode_status::failed, 1, error::control_frame_too_long, {}});
    // The top length byte shows length_msb_set.
    CHECK(decode(hex("82 7f 80"), any_mask) == decode_result{decode_status::failed, 2, error::length_msb_set, {}});
    // non_minimal_length needs the whole length, not the mask key.
    CHECK(decode(hex("82 fe 00 05"), any_mask) ==
          decode_result{decode_status::failed, 1, error::non_minimal_length, {}});
    CHECK(decode(hex("82 fe 00"), any_mask) == decode_result{decode_status::need_more, 5, error::none, {}});
    // need_more counts.
    CHECK(decode(hex(""), any_mask) == decode_result{decode_status::need_more, 2, error::none, {}});
    CHECK(decode(hex("82"), any_mask) == decode_result{decode_status::need_more, 1, error::none, {}});
    CHECK(decode(hex("82 ff"), any_mask) == decode_result{decode_status::need_more, 12, error::none, {}});
    CHECK(decode(hex("82 ff 00 00 00 00 00 01 00 00 01"), any_mask) ==
          decode_result{decode_status::need_more, 3, error::none, {}});
}

TEST_CASE("§5.2 error precedence: wire order, then bit order within a byte") {
    const decode_rules server = rules_for(role::server);
    const decode_rules client = rules_for(role::client);
    // byte 0: RSV before opcode before FIN-of-control.
    CHECK(decode(hex("f3 00"), server).err == error::reserved_bits_set);
    CHECK(decode(hex("f3 00"), {mask_rule::required, 7, false}).err == error::reserved_opcode);
    CHECK(decode(hex("49 00"), server).err == error::reserved_bits_set);
    CHECK(decode(hex("0b 00"), server).err == error::reserved_opcode);
    CHECK(decode(hex("0b 00"), server).size == 0);
    // byte 0 before byte 1.
    CHECK(decode(hex("09 7e"), server).err == error::control_frame_fragmented);
    CHECK(decode(hex("c2 00"), server).err == error::reserved_bits_set);
    CHECK(decode(hex("83 80"), client).err == error::reserved_opcode);
    // byte 1: mask before control length.
    CHECK(decode(hex("89 7e 00 7e"), server).err == error::frame_not_masked);
    CHECK(decode(hex("89 fe 00 7e 00 00 00 00"), client).err == error::frame_masked);
    CHECK(decode(hex("89 fe 00 7e 00 00 00 00"), server).err == error::control_frame_too_long);
    // byte 1 before byte 2.
    CHECK(decode(hex("82 7f 80 00 00 00 00 00 00 00"), server).err == error::frame_not_masked);
    CHECK(decode(hex("89 ff 80 00 00 00 00 00 00 00 00 00 00 00"), server).err == error::control_frame_too_long);
    CHECK(decode(hex("82 ff 80 00 00 00 00 00 00 00 00 00 00 00"), server).err == error::length_msb_set);
    // Non-minimal lengths are judged after everything else visible earlier.
    CHECK(decode(hex("82 7e 00 05"), server).err == error::frame_not_masked);
    CHECK(decode(hex("a2 fe 00 05"), server).err == error::reserved_bits_set);
    CHECK(decode(hex("82 fe 00 05"), server).err == error::non_minimal_length);
}

TEST_CASE("§5.2 random headers round-trip: decode(encode(h)) == h") {
    std::mt19937 rng(0x5eed'f4a3);
    auto pick = [&](std::uint32_t n) { return static_cast<std::uint32_t>(rng() % n); };
    auto pick64 = [&] { return (std::uint64_t{rng()} << 32) | rng(); };
    int checked = 0;
    for (int i = 0; i < 20000; ++i) {
        frame_header h;
        h.op = known_opcodes[pick(6)];
        h.fin = is_control(h.op) || pick(2) == 0;
        h.rsv = static_cast<std::uint8_t>(pick(8));
        h.masked = pick(2) == 0;
        if (h.masked) h.key = {static_cast<std::uint8_t>(rng()), static_cast<std::uint8_t>(rng()),
                               static_cast<std::uint8_t>(rng()), static_cast<std::uint8_t>(rng())};
        switch (is_control(h.op) ? 0 : pick(4)) {
            case 0: h.payload_length = pick(126); break;
            case 1: h.payload_length = 126 + pick(65536 - 126); break;
            case 2: h.payload_length = 65536 + (pick64() % (max_payload_length - 65536 + 1)); break;
            default: h.payload_length = pick64() >> (1 + pick(63)); break;
        }
        CAPTURE(h);
        std::array<std::uint8_t, max_header_size> out{};
        const std::size_t n = encode_header(h, out);
        const encoded_header e = encode_header(h);
        const bytes wire = encoded(h);
        const decode_result want{decode_status::ok, n, error::none, h};
        const decode_rules exact{h.masked ? mask_rule::required : mask_rule::forbidden, h.rsv, false};
        const bytes trailing = concat(wire, {static_cast<std::uint8_t>(rng()), static_cast<std::uint8_t>(rng())});
        const bool round_trips = check_header(h) == error::none && n == header_size(h) && e.size == n &&
                                 e.bytes == out && decode(wire, exact) == want &&
                                 decode(trailing, {mask_rule::any, 7, false}) == want;
        CHECK(round_trips);
        if (!round_trips) break;
        if (i % 20 == 0) check_ok_splits(wire, exact, h);
        ++checked;
    }
    CHECK(checked == 20000);
}

TEST_CASE("encode_header writes exactly header_size bytes") {
    for (std::uint64_t len : {std::uint64_t{0}, std::uint64_t{125}, std::uint64_t{126}, std::uint64_t{65535},
                              std::uint64_t{65536}, max_payload_length}) {
        for (bool masked : {false, true}) {
            CAPTURE(len);
            CAPTURE(masked);
            frame_header h = make(opcode::binary, len);
            h.masked = masked;
            h.key = {9, 8, 7, 6};
            std::array<std::uint8_t, 20> buf;
            buf.fill(0xEE);
            const std::size_t n = encode_header(h, std::span<std::uint8_t, 20>(buf).first<max_header_size>());
            CHECK(n == header_size(h));
            for (std::size_t i = n; i < buf.size(); ++i) CHECK(buf[i] == 0xEE);
            const encoded_header e = encode_header(h);
            CHECK(e.view().size() == n);
            CHECK(e.view().data() == e.bytes.data());
        }
    }
    // An unmasked header never writes its key.
    frame_header h = make(opcode::text, 3);
    h.key = {1, 2, 3, 4};
    CHECK(encoded(h) == hex("81 03"));
}

TEST_CASE("§5.2 §5.5 check_header: local validation before sending") {
    CHECK(check_header(frame_header{}) == error::none);
    CHECK(check_header(make(opcode::ping, 125)) == error::none);
    CHECK(check_header(make(opcode::binary, max_payload_length)) == error::none);
    CHECK(check_header(make(opcode::continuation, 0, false)) == error::none);

    for (int v : {3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF, 0x10, 0xFF}) {
        CAPTURE(v);
        CHECK(check_header(make(static_cast<opcode>(v), 0)) == error::unknown_opcode);
    }
    frame_header h = make(opcode::text, 0);
    h.rsv = 7;
    CHECK(check_header(h) == error::none);
    h.rsv = 8;
    CHECK(check_header(h) == error::invalid_rsv);
    h.rsv = 0x80;
    CHECK(check_header(h) == error::invalid_rsv);
    CHECK(check_header(make(opcode::close, 0, false)) == error::control_frame_not_final);
    CHECK(check_header(make(opcode::ping, 126)) == error::control_payload_too_long);
    CHECK(check_header(make(opcode::pong, max_payload_length + 1)) == error::control_payload_too_long);
    CHECK(check_header(make(opcode::text, max_payload_length + 1)) == error::payload_too_long);
    CHECK(check_header(make(opcode::text, ~std::uint64_t{0})) == error::payload_too_long);

    // Precedence: opcode, rsv, FIN of control, control length, length.
    h = make(static_cast<opcode>(0xB), 1000, false);
    h.rsv = 0x10;
    CHECK(check_header(h) == error::unknown_opcode);
    h.op = opcode::close;
    CHECK(check_header(h) == error::invalid_rsv);
    h.rsv = 0;
    CHECK(check_header(h) == error::control_frame_not_final);
    h.fin = true;
    CHECK(check_header(h) == error::control_payload_too_long);

    for (error e : {error::unknown_opcode, error::invalid_rsv, error::control_frame_not_final,
                    error::control_payload_too_long, error::payload_too_long}) {
        CAPTURE(error_name(e));
        CHECK(kind_of(e) == error_kind::usage);
        CHECK(close_code_for(e) == close_code::internal_error);
    }
    CHECK(error_name(error::unknown_opcode) == std::string("unknown_opcode"));
    CHECK(error_name(error::invalid_rsv) == std::string("invalid_rsv"));
    CHECK(error_name(error::control_frame_not_final) == std::string("control_frame_not_final"));
    CHECK(error_name(error::control_payload_too_long) == std::string("control_payload_too_long"));
    CHECK(error_name(error::payload_too_long) == std::string("payload_too_long"));
    CHECK(static_cast<int>(error::invalid_rsv) == 21);
}

TEST_CASE("§5.2 every decoded header passes check_header") {
    // Exhaustive over the first two bytes with a zero extended length tail.
    int ok = 0;
    int wrong = 0;
    for (int b0 = 0; b0 < 256; ++b0) {
        for (int b1 = 0; b1 < 256; ++b1) {
            const bytes in = test::b({b0, b1, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 1, 2, 3, 4});
            const decode_result r = try_decode_header(in, {mask_rule::any, 7, true});
            if (r.status != decode_status::ok) {
                if (r.status != decode_status::failed || r.size >= in.size()) ++wrong;
                continue;
            }
            ++ok;
            if (check_header(r.header) != error::none || r.size != wire_size(in)) ++wrong;
        }
    }
    CHECK(wrong == 0);
    // 6 opcodes * fin/rsv combinations (16 for data, 8 for control) * 256 second bytes,
    // less the extended forms of control frames.
    CHECK(ok == 3 * 16 * 256 + 3 * 8 * 252);
}
