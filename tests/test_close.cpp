// SPDX-License-Identifier: MIT
// tests/test_close.cpp — close frame payloads (wscodec/close.hpp), grouped by
// RFC 6455 section. Every parse reads from a guard-page buffer.
#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <random>
#include <string>
#include <vector>
#include <wscodec/close.hpp>

#include "helpers.hpp"

namespace {

using namespace wscodec;
using test::bytes;
using test::hex;

/// parse_close_payload's result with the reason copied out of the guarded buffer.
struct parsed {
    error err;
    std::uint16_t code;
    bytes reason;
    bool reason_views_input;  // the reason points at the payload's tail
};

parsed parse(const bytes& payload) {
    test::guarded g(payload);
    const close_info info = parse_close_payload(g.view());
    const bytes_view in = g.view();
    const bool views = info.reason.empty() ||
                       (info.reason.data() == in.data() + 2 && info.reason.size() == in.size() - 2);
    return {info.err, info.code, bytes(info.reason.begin(), info.reason.end()), views};
}

bool on_sendable_list(int c) {
    return (c >= 1000 && c <= 1003) || (c >= 1007 && c <= 1014) || (c >= 3000 && c <= 4999);
}

bytes code_bytes(int c) { return test::b({c >> 8, c & 0xFF}); }

bytes concat(bytes a, const bytes& tail) {
    a.insert(a.end(), tail.begin(), tail.end());
    return a;
}

const bytes invalid_reasons[] = {
    hex("ff"),                // never a UTF-8 byte
    hex("80"),                // lone continuation
    hex("c0 80"),             // overlong NUL
    hex("e0 80 80"),          // overlong
    hex("ed a0 80"),          // UTF-16 surrogate U+D800
    hex("f4 90 80 80"),       // above U+10FFFF
    hex("62 79 65 e2 9c"),    // cut off at the end
    hex("62 c3 28 65"),       // bad continuation
};

}  // namespace

TEST_CASE("§7.4 every code 0..65535 against the sendable rule") {
    int sendable = 0;
    int mismatches = 0;
    std::array<std::uint8_t, 3> out{};
    for (int c = 0; c <= 0xFFFF; ++c) {
        const auto code = static_cast<std::uint16_t>(c);
        const bool expected = on_sendable_list(c);
        if (is_sendable_close_code(code) != expected) {
            ++mismatches;
            FAIL_CHECK("is_sendable_close_code disagrees for " << c);
        }
        sendable += expected;

        const parsed p = parse(code_bytes(c));
        const error want = expected ? error::none : error::invalid_close_code;
        if (p.err != want || p.code != code || !p.reason.empty()) {
            ++mismatches;
            FAIL_CHECK("parse_close_payload disagrees for " << c);
        }

        const close_build built = build_close_payload(code, std::string_view("x"), out);
        const error want_build = expected ? error::none : error::unsendable_close_code;
        if (built.err != want_build || built.size != (expected ? 3u : 0u) ||
            (expected && out != std::array<std::uint8_t, 3>{static_cast<std::uint8_t>(c >> 8),
                                                           static_cast<std::uint8_t>(c), 'x'})) {
            ++mismatches;
            FAIL_CHECK("build_close_payload disagrees for " << c);
        }
    }
    CHECK(mismatches == 0);
    CHECK(sendable == 4 + 8 + 2000);
}

TEST_CASE("§5.5.1 an empty close payload means no status: 1005") {
    const parsed p = parse({});
    CHECK(p.err == error::none);
    CHECK(p.code == 1005);
    CHECK(p.code == static_cast<std::uint16_t>(close_code::no_status));
    CHECK(p.reason.empty());
}

TEST_CASE("§5.5.1 a 1-byte close payload is too short to hold the code") {
    for (int v = 0; v < 256; ++v) {
        CAPTURE(v);
        const parsed p = parse(test::b({v}));
        CHECK(p.err == error::close_payload_too_short);
        CHECK(p.code == 0);
        CHECK(p.reason.empty());
    }
    CHECK(close_code_for(error::close_payload_too_short) == close_code::protocol_error);
}

TEST_CASE("§7.4.1 §7.4.2 each class of invalid code is rejected") {
    struct row {
        int code;
        const char* why;
    };
    const row rows[] = {
        {0, "below 1000, unused"},
        {999, "below 1000, unused"},
        {1004, "reserved"},
        {1005, "no_status: reported locally, never sent"},
        {1006, "abnormal: reported locally, never sent"},
        {1015, "tls_handshake: reported locally, never sent"},
        {1016, "1000-2999 reserved for the protocol, unassigned"},
        {2000, "1000-2999 reserved for the protocol, unassigned"},
        {2999, "1000-2999 reserved for the protocol, unassigned"},
        {5000, "above 4999, undefined"},
        {65535, "above 4999, undefined"},
    };
    for (const row& r : rows) {
        CAPTURE(r.code);
        CAPTURE(r.why);
        for (const bytes& reason : {bytes{}, test::b("bye")}) {
            const parsed p = parse(concat(code_bytes(r.code), reason));
            CHECK(p.err == error::invalid_close_code);
            CHECK(p.code == r.code);
            CHECK(p.reason.empty());
        }
    }
    CHECK(close_code_for(error::invalid_close_code) == close_code::protocol_error);
    for (int c : {1000, 1001, 1002, 1003, 1007, 1011, 1014, 3000, 3999, 4000, 4999}) {
        CAPTURE(c);
        CHECK(parse(code_bytes(c)).err == error::none);
    }
}

TEST_CASE("§5.5.1 the reason is UTF-8 and views the payload") {
    SUBCASE("valid reasons") {
        bytes reason = test::b("bye ");
        test::append_utf8(reason, 0xE9);     // é
        test::append_utf8(reason, 0x2713);   // ✓
        test::append_utf8(reason, 0x1F600);  // 😀
        test::append_utf8(reason, 0x10FFFF);
        const bytes payload = concat(hex("03 e8"), reason);
        const parsed p = parse(payload);
        CHECK(p.err == error::none);
        CHECK(p.code == 1000);
        CHECK(p.reason == reason);
        CHECK(p.reason_views_input);

        const parsed q = parse(hex("03 e8 62 79 65"));
        CHECK(q.err == error::none);
        CHECK(q.reason == test::b("bye"));
        CHECK(q.reason_views_input);

        // The 125-byte limit belongs to the frame layer: longer payloads parse.
        const parsed r = parse(concat(hex("0f a0"), bytes(300, 'a')));
        CHECK(r.err == error::none);
        CHECK(r.code == 4000);
        CHECK(r.reason.size() == 300);
    }
    SUBCASE("invalid reasons") {
        for (const bytes& reason : invalid_reasons) {
            CAPTURE(test::to_hex(reason));
            const parsed p = parse(concat(hex("03 e9"), reason));
            CHECK(p.err == error::invalid_close_reason);
            CHECK(p.code == 1001);
            CHECK(p.reason.empty());
        }
        CHECK(close_code_for(error::invalid_close_reason) == close_code::invalid_payload);
    }
    SUBCASE("an invalid code is reported before an invalid reason") {
        CHECK(parse(hex("03 ed ff")).err == error::invalid_close_code);
    }
}

TEST_CASE("§5.5.1 build: big-endian code, then the reason") {
    std::array<std::uint8_t, 8> out{};
    close_build r = build_close_payload(1000, std::string_view("bye"), out);
    CHECK(r.err == error::none);
    CHECK(r.size == 5);
    CHECK(bytes(out.begin(), out.begin() + 5) == hex("03 e8 62 79 65"));

    struct row {
        int code;
        const char* wire;
    };
    for (const row& w : {row{1000, "03 e8"}, row{1001, "03 e9"}, row{1014, "03 f6"}, row{3000, "0b b8"},
                         row{4095, "0f ff"}, row{4999, "13 87"}}) {
        CAPTURE(w.code);
        out.fill(0xEE);
        r = build_close_payload(static_cast<std::uint16_t>(w.code), bytes_view{}, out);
        CHECK(r.err == error::none);
        CHECK(r.size == 2);
        CHECK(bytes(out.begin(), out.begin() + 2) == hex(w.wire));
        CHECK(out[2] == 0xEE);
    }

    SUBCASE("overloads") {
        const bytes bye = test::b("bye");
        out.fill(0);
        CHECK(build_close_payload(close_code::going_away, std::string_view("bye"), out).size == 5);
        CHECK(bytes(out.begin(), out.begin() + 5) == hex("03 e9 62 79 65"));
        out.fill(0);
        CHECK(build_close_payload(close_code::policy_violation, bytes_view(bye), out).size == 5);
        CHECK(bytes(out.begin(), out.begin() + 5) == hex("03 f0 62 79 65"));
        out.fill(0);
        CHECK(build_close_payload(std::uint16_t{4000}, bytes_view(bye), out).size == 5);
        CHECK(bytes(out.begin(), out.begin() + 5) == hex("0f a0 62 79 65"));
        CHECK(build_close_payload(close_code::abnormal, std::string_view(""), out).err ==
              error::unsendable_close_code);
    }
}

TEST_CASE("§5.5.1 build: 1005 without a reason is a close without status") {
    std::array<std::uint8_t, 4> out;
    out.fill(0xEE);
    close_build r = build_close_payload(close_code::no_status, bytes_view{}, out);
    CHECK(r.err == error::none);
    CHECK(r.size == 0);
    CHECK(out == std::array<std::uint8_t, 4>{0xEE, 0xEE, 0xEE, 0xEE});
    // No buffer is needed for nothing.
    r = build_close_payload(std::uint16_t{1005}, std::string_view(), std::span<std::uint8_t>{});
    CHECK(r.err == error::none);
    CHECK(r.size == 0);
    // 1005 cannot carry a reason: it would have to be sent.
    CHECK(build_close_payload(close_code::no_status, std::string_view("x"), out).err ==
          error::unsendable_close_code);
    // And parsing the empty payload gives 1005 back.
    CHECK(parse({}).code == 1005);
}

TEST_CASE("§7.4 build: unsendable codes are a local error") {
    std::array<std::uint8_t, 8> out;
    for (int c : {0, 999, 1004, 1006, 1015, 1016, 2999, 5000, 65535}) {
        CAPTURE(c);
        out.fill(0xEE);
        const close_build r = build_close_payload(static_cast<std::uint16_t>(c), std::string_view("x"), out);
        CHECK(r.err == error::unsendable_close_code);
        CHECK(r.size == 0);
        CHECK(out[0] == 0xEE);
        CHECK(build_close_payload(static_cast<std::uint16_t>(c), bytes_view{}, out).err ==
              error::unsendable_close_code);
    }
    CHECK(kind_of(error::unsendable_close_code) == error_kind::usage);
}

TEST_CASE("§5.5 build: the reason fits a control frame, 123 bytes") {
    CHECK(max_close_reason == 123);
    std::array<std::uint8_t, 200> out;
    out.fill(0xEE);
    const std::string r123(123, 'a');
    const std::string r124(124, 'a');
    close_build r = build_close_payload(close_code::normal, r123, out);
    CHECK(r.err == error::none);
    CHECK(r.size == 125);
    CHECK(out[124] == 'a');
    CHECK(out[125] == 0xEE);
    r = build_close_payload(close_code::normal, r124, out);
    CHECK(r.err == error::close_reason_too_long);
    CHECK(r.size == 0);

    // Multi-byte characters count in bytes: 41 three-byte characters fit, 42 do not.
    bytes wide;
    for (int i = 0; i < 41; ++i) test::append_utf8(wide, 0x2713);
    CHECK(build_close_payload(close_code::normal, bytes_view(wide), out).size == 125);
    test::append_utf8(wide, 0x2713);
    CHECK(build_close_payload(close_code::normal, bytes_view(wide), out).err == error::close_reason_too_long);
}

TEST_CASE("§5.5.1 build: the reason must be UTF-8") {
    std::array<std::uint8_t, 16> out;
    for (const bytes& reason : invalid_reasons) {
        CAPTURE(test::to_hex(reason));
        out.fill(0xEE);
        const close_build r = build_close_payload(close_code::normal, bytes_view(reason), out);
        CHECK(r.err == error::close_reason_not_utf8);
        CHECK(r.size == 0);
        CHECK(out[0] == 0xEE);
    }
    CHECK(error_name(error::close_reason_not_utf8) == std::string("close_reason_not_utf8"));
    CHECK(error_message(error::close_reason_not_utf8) == std::string("close reason is not valid UTF-8"));
    CHECK(kind_of(error::close_reason_not_utf8) == error_kind::usage);
    CHECK(close_code_for(error::close_reason_not_utf8) == close_code::internal_error);
    CHECK(static_cast<int>(error::close_reason_not_utf8) == 15);
}

TEST_CASE("§5.5.1 build: the output must hold code and reason") {
    bytes out(5, 0xEE);
    CHECK(build_close_payload(close_code::normal, std::string_view("bye"), out).size == 5);
    out.assign(4, 0xEE);
    const close_build r = build_close_payload(close_code::normal, std::string_view("bye"), out);
    CHECK(r.err == error::buffer_too_small);
    CHECK(r.size == 0);
    CHECK(out == bytes(4, 0xEE));
    CHECK(build_close_payload(close_code::normal, std::string_view(), std::span<std::uint8_t>{}).err ==
          error::buffer_too_small);
    out.assign(1, 0xEE);
    CHECK(build_close_payload(close_code::normal, std::string_view(), out).err == error::buffer_too_small);

    CHECK(error_name(error::buffer_too_small) == std::string("buffer_too_small"));
    CHECK(kind_of(error::buffer_too_small) == error_kind::usage);
    CHECK(close_code_for(error::buffer_too_small) == close_code::internal_error);
    CHECK(static_cast<int>(error::buffer_too_small) == 16);
}

TEST_CASE("§5.5.1 build: error precedence is code, length, UTF-8, buffer") {
    std::array<std::uint8_t, 4> small{};
    const bytes long_invalid(124, 0xFF);
    const bytes short_invalid(3, 0xFF);
    CHECK(build_close_payload(std::uint16_t{1006}, bytes_view(long_invalid), small).err ==
          error::unsendable_close_code);
    CHECK(build_close_payload(close_code::normal, bytes_view(long_invalid), small).err ==
          error::close_reason_too_long);
    CHECK(build_close_payload(close_code::normal, bytes_view(short_invalid), small).err ==
          error::close_reason_not_utf8);
    CHECK(build_close_payload(close_code::normal, std::string_view("abc"), small).err == error::buffer_too_small);
}

TEST_CASE("§5.5.1 round trip: build then parse") {
    std::vector<int> codes;
    for (int c = 0; c <= 0xFFFF; ++c)
        if (on_sendable_list(c)) codes.push_back(c);
    std::mt19937 rng(0xc105e);
    auto pick = [&](std::uint32_t n) { return static_cast<std::uint32_t>(rng() % n); };
    std::array<std::uint8_t, 125> out{};
    int checked = 0;
    for (int i = 0; i < 5000; ++i) {
        const auto code = static_cast<std::uint16_t>(codes[pick(static_cast<std::uint32_t>(codes.size()))]);
        bytes reason;
        const std::size_t target = pick(124);
        while (true) {
            bytes next = reason;
            switch (pick(4)) {
                case 0: test::append_utf8(next, pick(0x80)); break;
                case 1: test::append_utf8(next, 0x80 + pick(0x800 - 0x80)); break;
                case 2: {
                    std::uint32_t cp = 0x800 + pick(0x10000 - 0x800);
                    if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;
                    test::append_utf8(next, cp);
                    break;
                }
                default: test::append_utf8(next, 0x10000 + pick(0x110000 - 0x10000)); break;
            }
            if (next.size() > target) break;
            reason = next;
        }
        CAPTURE(code);
        CAPTURE(test::to_hex(reason));
        const close_build built = build_close_payload(code, bytes_view(reason), out);
        const bool built_ok = built.err == error::none && built.size == 2 + reason.size();
        CHECK(built_ok);
        if (!built_ok) break;
        const parsed p = parse(bytes(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(built.size)));
        const bool parsed_back = p.err == error::none && p.code == code && p.reason == reason && p.reason_views_input;
        CHECK(parsed_back);
        if (!parsed_back) break;
        ++checked;
    }
    CHECK(checked == 5000);
}
