// SPDX-License-Identifier: MIT
// tests/test_regression.cpp — each fuzz find, pinned under its name: the
// target that found it and the commit that fixed it, the smallest input that
// showed it, and the exact events and bytes expected now. Checked-in seeds
// named for a find are used byte for byte (their configuration bytes left
// out: the stream that follows them is the input).
#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>
#include <wscodec/connection.hpp>
#include <wscodec/handshake.hpp>

#include "helpers.hpp"

/// As in test_connection.cpp (the same names for the same types).
using seeded_client = wscodec::connection<wscodec::role::client, wscodec::seeded_key_source>;
TYPE_TO_STRING(wscodec::server_connection);
TYPE_TO_STRING(seeded_client);

namespace {

using namespace wscodec;
using test::bytes;
using test::close_body;
using test::describe;
using test::drain;
using test::event_record;
using test::feed;
using test::feed_parts;
using test::frame_line;
using test::frames_of;
using test::lines;
using test::wire;

using server = server_connection;
using client = seeded_client;

bytes text(std::string_view s) { return test::b(s); }

}  // namespace

// ================================================================ fuzz_request

TEST_CASE(
    "regression: fuzz_request (b97f6f6) — a bad byte in a later piece is reported by the call that brings it") {
    // The block reader gathered the pieces of a header block and judged it only
    // once its blank line came: a bad byte in a later piece was reported by the
    // later call that brought the blank line (at position 0), or as
    // http_headers_too_large once max_header_bytes filled. Now every call
    // resumes the line parser at the unfinished line.
    const std::string first = "GET / HTTP/1.1\r\nHost: a\r\n";
    const std::string later = "X-A: a\x01";  // a control byte in a field value (RFC 9110 §5.5)
    const std::string failed = "failed err=http_bad_header_value action=linger code=0 http_status=400 []";
    SUBCASE("in pieces: the second call fails, at the byte's offset in its own input") {
        server_handshake s;
        bytes b1 = text(first), b2 = text(later);
        const event e1 = s.receive(b1);
        CHECK(describe(e1) == "need_more []");
        CHECK(e1.consumed == first.size());
        const event e2 = s.receive(b2);
        CHECK(describe(e2) == failed);
        CHECK(e2.consumed == later.size());
        CHECK(e2.position == later.find('\x01'));
        CHECK(std::string_view(reinterpret_cast<const char*>(s.output().data()), s.output().size())
                  .starts_with("HTTP/1.1 400 Bad Request\r\n"));
    }
    SUBCASE("whole: the same failure, at the same byte") {
        server_handshake s;
        bytes whole = text(first + later);
        const event ev = s.receive(whole);
        CHECK(describe(ev) == failed);
        CHECK(ev.consumed == whole.size());
        CHECK(ev.position == first.size() + later.find('\x01'));
    }
    SUBCASE("the client's response reader is the same reader") {
        request_options o;
        o.host = "a";
        client_handshake c(o, std::array<std::uint8_t, 16>{});
        bytes b1 = text("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"), b2 = text(later);
        CHECK(describe(c.receive(b1)) == "need_more []");
        const event e2 = c.receive(b2);
        CHECK(describe(e2) == "failed err=http_bad_header_value action=linger code=0 []");
        CHECK(e2.consumed == later.size());
        CHECK(e2.position == later.find('\x01'));
    }
}

// ================================================== fuzz_server, fuzz_client

TEST_CASE_TEMPLATE("regression: fuzz_server/fuzz_client (db1f0cc) — byte 0 is judged before byte 1, in every split",
                   T, server, client) {
    // A header whose byte 0 breaks a rule and whose byte 1 breaks another
    // failed on byte 1 when both came in one call, and on byte 0 when byte 0
    // came alone. Now byte 0 is judged alone first (its own rules, then
    // §5.4): every split reports byte 0's error at offset 0.
    constexpr role R = T::side;
    // fuzz/corpus/{server,client}/err_continuation_wrong_mask: a continuation
    // with no message started (byte 0, §5.4) and the wrong MASK bit (byte 1, §5.1).
    const bytes continuation_wrong_mask = R == role::server ? test::hex("80 00") : test::hex("80 80 12 34 56 78");
    // The same with byte 0 breaking its own rules: a reserved opcode, an RSV bit (§5.2).
    const bytes reserved_wrong_mask = R == role::server ? test::hex("83 00") : test::hex("83 80 12 34 56 78");
    const bytes rsv_wrong_mask = R == role::server ? test::hex("c1 00") : test::hex("c1 80 12 34 56 78");
    struct find {
        const bytes& in;
        const char* failed;
    };
    const find finds[] = {
        {continuation_wrong_mask, "failed err=unexpected_continuation action=linger code=1002 []"},
        {reserved_wrong_mask, "failed err=reserved_opcode action=linger code=1002 []"},
        {rsv_wrong_mask, "failed err=reserved_bits_set action=linger code=1002 []"},
    };
    for (const find& f : finds) {
        CAPTURE(test::to_hex(f.in));
        for (const std::vector<std::size_t>& parts : test::splits(f.in.size())) {
            CAPTURE(parts.size());
            CAPTURE(parts[0]);
            T c;
            const std::vector<event_record> evs = feed_parts(c, f.in, parts);
            CHECK(lines(describe(evs)) == lines({f.failed}));
            if (!evs.empty()) CHECK(evs.back().where() == 0u);
            test::check_one_close(drain(c), R, 1002);
        }
    }
}

TEST_CASE_TEMPLATE("regression: fuzz_server/fuzz_client (d11d5ad, 7e4d14d) — the newest pong queued is written, last",
                   T, server, client) {
    // With two control slots, a close queued while both held frames replaced
    // the unsent one, so a pong could go unanswered (d11d5ad: three slots;
    // control_queue.hpp says why they suffice). A pong that replaced an older
    // one not yet handed out (§5.5.3) kept that one's place in the queue
    // instead of going last (7e4d14d: control frames leave in the order
    // queued). The fuzz peer checks that the newest pong queued is written
    // last; on the two-slot queue that check fails within seconds (7e4d14d).
    constexpr role R = T::side;
    const std::string ping_x = frame_line(opcode::ping, text("x"));
    const std::string close_1000 = frame_line(opcode::close, close_body(1000));
    SUBCASE("a pong half written, a newer ping, our close, and a newer ping still") {
        T c;
        (void)feed(c, wire<R>(opcode::ping, text("p")));
        const output_buffers o = c.output();
        REQUIRE(o.count == 1u);
        bytes w(o.parts[0].begin(), o.parts[0].begin() + 1);
        c.consume(1);
        (void)feed(c, wire<R>(opcode::ping, text("q")));
        CHECK(c.close(1000) == error::none);
        // r's pong replaces q's, not yet handed out (§5.5.3), and goes last, as queued now.
        (void)feed(c, wire<R>(opcode::ping, text("r")));
        const bytes rest = drain(c);
        w.insert(w.end(), rest.begin(), rest.end());
        CHECK(lines(describe(frames_of(w, R))) ==
              lines({frame_line(opcode::pong, text("p")), close_1000, frame_line(opcode::pong, text("r"))}));
    }
    SUBCASE("our ping, a pong and our close all wait; a newer ping replaces the unsent pong") {
        T c;
        CHECK(c.ping(text("x")) == error::none);
        (void)feed(c, wire<R>(opcode::ping, text("p")));
        CHECK(c.close(1000) == error::none);
        // All three wait; a fourth ping replaces the unsent pong.
        (void)feed(c, wire<R>(opcode::ping, text("q")));
        CHECK(c.pending_output() == 3u * (R == role::server ? 2u : 6u) + 1u + 1u + 2u);
        CHECK(lines(describe(frames_of(drain(c), R))) ==
              lines({ping_x, close_1000, frame_line(opcode::pong, text("q"))}));
    }
}
