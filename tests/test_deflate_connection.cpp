// SPDX-License-Identifier: MIT
// tests/test_deflate_connection.cpp — permessage-deflate (RFC 7692) in the
// connection and the session, on the zlib backend: negotiation through the
// session (§5, §7.1), the RFC's "Hello" frames received and sent byte for
// byte (§7.2.3), RSV1 rules (§6), bombs and limits (§8), UTF-8 of inflated
// text, corrupt streams (1007), bounded pieces, split invariance of the
// compressed receive path, and round trips in both roles with every window
// and takeover mode. Built only where meson finds zlib.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>
#include <wscodec/wscodec.hpp>
#include <wscodec/zlib.hpp>

#include "helpers.hpp"

namespace {

using namespace wscodec;
using test::bytes;
using test::hex;
using test::to_hex;

bytes b(std::string_view s) { return bytes(s.begin(), s.end()); }

/// zlib_options with 16 KiB buffers and zlib's defaults for the compressor.
zlib_options plain_zlib() { return zlib_options::max_compression(); }

/// What a connection received: each whole message, and the data events' sizes.
struct received {
    std::vector<bytes> messages;
    std::vector<message_type> types;
    std::vector<std::size_t> piece_sizes;
    std::size_t max_piece = 0;
    event last{};  // the last event that was not data or need_more
    bytes current;
};

/// Feeds `in` to `c` in pieces of the sizes `cuts` gives (cycled); unconsumed
/// bytes are moved to the front of a fresh buffer before the next call when
/// `compact` (a caller that compacts its read buffer), else handed again in
/// place. Stops at a failed or closed event.
template <class Conn>
received feed(Conn& c, const bytes& in, const std::vector<std::size_t>& cuts, bool compact = false) {
    received r;
    bytes buf;
    std::size_t off = 0, at = 0, k = 0;
    for (int guard = 0; guard < 10000000; ++guard) {
        if (off == buf.size() && !c.has_pending_event()) {
            if (at == in.size()) return r;
            const std::size_t n = std::min(cuts[k++ % cuts.size()], in.size() - at);
            buf.assign(in.begin() + static_cast<std::ptrdiff_t>(at), in.begin() + static_cast<std::ptrdiff_t>(at + n));
            off = 0;
            at += n;
        }
        const event ev = c.receive(mutable_bytes(buf.data() + off, buf.size() - off));
        off += ev.consumed;
        if (ev.type == event_type::data) {
            if (ev.first) r.current.clear();
            r.current.insert(r.current.end(), ev.payload.begin(), ev.payload.end());
            r.piece_sizes.push_back(ev.payload.size());
            r.max_piece = std::max(r.max_piece, ev.payload.size());
            if (ev.last) {
                r.messages.push_back(r.current);
                r.types.push_back(ev.message);
            }
        } else if (ev.type != event_type::need_more) {
            r.last = ev;
            if (ev.type == event_type::failed || ev.type == event_type::closed) return r;
        }
        // A caller that compacts moves the unconsumed bytes (as the library
        // left them: unmasked in place where it did so) to a fresh buffer.
        if (compact) {
            buf = bytes(buf.begin() + static_cast<std::ptrdiff_t>(off), buf.end());
            off = 0;
        }
    }
    FAIL("feed: no progress");
    return r;
}

/// Everything `c` has to write.
template <class Conn>
bytes drain(Conn& c) {
    bytes out;
    for (;;) {
        std::vector<std::uint8_t> buf(4096);
        const std::size_t n = c.copy_output(mutable_bytes(buf));
        if (n == 0) return out;
        out.insert(out.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
    }
}

/// Everything `c` has to write, through output()/consume() in spans.
template <class Conn>
bytes drain_spans(Conn& c) {
    bytes out;
    for (output_buffers o = c.output(); !o.empty(); o = c.output()) {
        std::size_t n = 0;
        for (std::size_t i = 0; i < o.count; ++i) {
            out.insert(out.end(), o.parts[i].begin(), o.parts[i].end());
            n += o.parts[i].size();
        }
        c.consume(n);
    }
    return out;
}

using test_client = connection<role::client, seeded_key_source>;

/// A server and a client connection with permessage-deflate on as `p` says.
struct pair {
    zlib_backend zs, zc;
    server_connection server;
    test_client client;
    pair(const deflate_params& p, connection_options o = {}, zlib_options z = plain_zlib())
        : zs(z), zc(z), server(o), client(o, seeded_key_source(11)) {
        REQUIRE(server.use_deflate(zs, p) == error::none);
        REQUIRE(client.use_deflate(zc, p) == error::none);
    }
};

/// A message with repeats (JSON-like) of `n` bytes.
bytes json_like(std::size_t n, std::uint32_t seed) {
    test::rng r(seed);
    bytes out;
    while (out.size() < n) {
        const std::string s = "{\"user\":\"u" + std::to_string(r.next() % 50) + "\",\"price\":" +
                              std::to_string(r.next() % 100000) + ",\"side\":\"" + (r.next() % 2 ? "buy" : "sell") + "\"},";
        out.insert(out.end(), s.begin(), s.end());
    }
    out.resize(n);
    return out;
}

}  // namespace

TEST_CASE("RFC 7692 §7.2.3.1, §7.2.3.2: a client connection inflates the RFC's Hello frames, one frame or two, and with context takeover") {
    zlib_backend z(plain_zlib());
    test_client c(connection_options{}, seeded_key_source(1));
    REQUIRE(c.use_deflate(z, deflate_params{}) == error::none);
    CHECK(c.deflating());
    // §7.2.3.1: one frame; §7.2.3.1: the same message in two frames (RSV1 on the first only).
    const received one = feed(c, hex("c1 07 f2 48 cd c9 c9 07 00"), {64});
    REQUIRE(one.messages.size() == 1);
    CHECK(one.messages[0] == b("Hello"));
    CHECK(one.types[0] == message_type::text);
    const received two = feed(c, hex("41 03 f2 48 cd 80 04 c9 c9 07 00"), {64});
    REQUIRE(two.messages.size() == 1);
    CHECK(two.messages[0] == b("Hello"));
    // §7.2.3.2: the first "Hello" was inflated by this stream: the second refers to it.
    zlib_backend z2(plain_zlib());
    test_client t(connection_options{}, seeded_key_source(1));
    REQUIRE(t.use_deflate(z2, deflate_params{}) == error::none);
    const received both = feed(t, hex("c1 07 f2 48 cd c9 c9 07 00 c1 05 f2 00 11 00 00"), {3});
    REQUIRE(both.messages.size() == 2);
    CHECK(both.messages[0] == b("Hello"));
    CHECK(both.messages[1] == b("Hello"));
}

TEST_CASE("RFC 7692 §7.2.3.1, §7.2.3.2: a server connection sends Hello as the RFC's bytes, and the second with takeover as the RFC's") {
    connection_options o;
    o.compress_min_size = 0;
    zlib_backend z(plain_zlib());
    server_connection s(o);
    REQUIRE(s.use_deflate(z, deflate_params{}) == error::none);
    REQUIRE(s.send_text(std::string_view("Hello")) == error::none);
    CHECK(to_hex(drain_spans(s)) == to_hex(hex("c1 07 f2 48 cd c9 c9 07 00")));
    REQUIRE(s.send_text(std::string_view("Hello")) == error::none);
    CHECK(to_hex(drain(s)) == to_hex(hex("c1 05 f2 00 11 00 00")));
    // server_no_context_takeover (§7.1.1.1): every Hello is the first.
    zlib_backend z2(plain_zlib());
    server_connection n(o);
    deflate_params p;
    p.server_no_context_takeover = true;
    REQUIRE(n.use_deflate(z2, p) == error::none);
    for (int i = 0; i < 3; ++i) {
        REQUIRE(n.send_text(std::string_view("Hello")) == error::none);
        CHECK(to_hex(drain(n)) == to_hex(hex("c1 07 f2 48 cd c9 c9 07 00")));
    }
}

TEST_CASE("RFC 7692 §6: compression::off, compress_min_size, and an empty message (one 00 byte, §7.2.3.6)") {
    zlib_backend z(plain_zlib());
    server_connection s;  // compress_min_size 32
    REQUIRE(s.use_deflate(z, deflate_params{}) == error::none);
    REQUIRE(s.send_text(std::string_view("Hello")) == error::none);  // under 32 bytes: plain
    CHECK(to_hex(drain(s)) == to_hex(hex("81 05 48 65 6c 6c 6f")));
    const bytes big = json_like(200, 1);
    REQUIRE(s.send(message_type::binary, bytes_view(big), compression::off) == error::none);
    const bytes plain = drain(s);
    REQUIRE(plain.size() == 2 + 2 + big.size());
    CHECK(plain[0] == 0x82);  // FIN, no RSV1, binary
    CHECK(bytes(plain.begin() + 4, plain.end()) == big);
    REQUIRE(s.send(message_type::binary, bytes_view(big)) == error::none);
    const bytes packed = drain(s);
    CHECK(packed[0] == 0xc2);  // FIN, RSV1, binary
    CHECK(packed.size() < big.size() / 2);
    connection_options every;
    every.compress_min_size = 0;
    zlib_backend z2(plain_zlib());
    server_connection e(every);
    REQUIRE(e.use_deflate(z2, deflate_params{}) == error::none);
    REQUIRE(e.send_binary(bytes_view{}) == error::none);
    CHECK(to_hex(drain(e)) == to_hex(hex("c2 01 00")));
}

TEST_CASE("RFC 7692 §6.1: RSV1 on a continuation frame or a control frame fails with 1002, with deflate on") {
    for (const char* wire : {"41 03 f2 48 cd c0 04 c9 c9 07 00", "c9 00"}) {
        CAPTURE(wire);
        zlib_backend z(plain_zlib());
        test_client c(connection_options{}, seeded_key_source(1));
        REQUIRE(c.use_deflate(z, deflate_params{}) == error::none);
        const received r = feed(c, hex(wire), {64});
        CHECK(r.last.type == event_type::failed);
        CHECK(r.last.err == error::reserved_bits_set);
        CHECK(r.last.code == 1002);
    }
}

TEST_CASE("RFC 7692 §7.2.2: a corrupt DEFLATE stream fails the connection with 1007 (inflate_failed), and the close says so") {
    zlib_backend z(plain_zlib());
    test_client c(connection_options{}, seeded_key_source(1));
    REQUIRE(c.use_deflate(z, deflate_params{}) == error::none);
    const received r = feed(c, hex("c1 03 ff ff ff"), {64});  // BTYPE 11: reserved
    CHECK(r.last.type == event_type::failed);
    CHECK(r.last.err == error::inflate_failed);
    CHECK(r.last.code == 1007);
    CHECK(r.last.action == tcp_action::linger);
    const std::vector<test::written_frame> fs = test::frames_of(drain(c), role::client);
    REQUIRE(fs.size() == 1);
    CHECK(fs[0].h.op == opcode::close);
    CHECK(fs[0].payload[0] == 0x03);
    CHECK(fs[0].payload[1] == 0xef);  // 1007
}

TEST_CASE("RFC 6455 §8.1 with RFC 7692: inflated text that is not UTF-8 fails with 1007; binary is not checked") {
    deflate_params p;
    pair t(p);
    const bytes bad = b("caf\xc3\x28 and more text to make it long enough to compress at all");
    // A peer that compresses bad text: our writer refuses it, so compress as binary and relabel.
    REQUIRE(t.client.send(message_type::binary, bytes_view(bad)) == error::none);
    bytes w = drain(t.client);
    w[0] = static_cast<std::uint8_t>((w[0] & 0xf0) | 0x01);  // text
    const received r = feed(t.server, w, {64});
    CHECK(r.messages.empty());
    CHECK(r.last.type == event_type::failed);
    CHECK(r.last.err == error::invalid_utf8);
    CHECK(r.last.code == 1007);
}

TEST_CASE("RFC 7692 §8 decompression bomb: 64 MiB of zeros is refused after max_message_size inflated bytes (1009), reading a fraction of it") {
    connection_options o;
    o.limits.max_message_size = 1 << 20;
    // The compressed bomb: 64 MiB of zeros, about 64 KiB on the wire, in one frame.
    zlib_deflater d(15, 9, 9);
    REQUIRE(d.ok());
    message_deflater md(d, false);
    md.begin();
    const bytes zeros(std::size_t{1} << 20, 0);
    bytes payload;
    std::vector<std::uint8_t> buf(1 << 16);
    for (int i = 0; i < 64; ++i) {
        std::size_t at = 0;
        for (;;) {
            const bool last = i == 63;
            const deflate_step s = md.deflate(bytes_view(zeros.data() + at, zeros.size() - at), last, mutable_bytes(buf));
            REQUIRE(s.err == error::none);
            payload.insert(payload.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(s.produced));
            at += s.consumed;
            if (last ? s.done : at == zeros.size()) break;
        }
    }
    CAPTURE(payload.size());
    REQUIRE(payload.size() < (std::size_t{1} << 20));  // within the compressed limit: only the inflated size stops it
    zlib_backend z(plain_zlib());
    test_client c(o, seeded_key_source(1));
    REQUIRE(c.use_deflate(z, deflate_params{}) == error::none);
    const bytes w = test::frame(test::header(opcode::binary, payload.size(), true, false, {}, rsv1), bytes_view(payload));
    std::size_t delivered = 0, consumed = 0, events = 0;
    bytes in = w;
    event ev;
    for (;;) {
        ev = c.receive(mutable_bytes(in.data() + consumed, in.size() - consumed));
        consumed += ev.consumed;
        ++events;
        if (ev.type == event_type::data) {
            delivered += ev.payload.size();
            CHECK(ev.payload.size() <= 16384);
        }
        if (ev.type == event_type::failed || (ev.type == event_type::need_more && !c.has_pending_event())) break;
    }
    CHECK(ev.type == event_type::failed);
    CHECK(ev.err == error::message_too_big);
    CHECK(ev.code == 1009);
    CHECK(delivered <= o.limits.max_message_size);
    CHECK(delivered >= o.limits.max_message_size - 16384);
    // CPU in proportion to the limit: the inflater stopped within the first
    // 1/16 of the compressed bytes it was given (64 MiB -> ~64 KiB, 1 MiB -> ~1 KiB).
    CHECK(c.state() == connection_state::failed);
    CHECK(events <= 70);
}

TEST_CASE("RFC 7692 §8: max_compressed_message_size bounds the wire bytes; a message within max_message_size that grew when compressed still passes in one frame") {
    connection_options o;
    o.limits.max_message_size = 1 << 16;
    o.limits.max_frame_size = 1 << 16;
    test::rng r(5);
    const bytes noise = test::random_bytes(r, 1 << 16);  // does not compress: the stream is a little longer
    zlib_deflater d(15, 6, 8);
    message_deflater md(d, false);
    md.begin();
    std::vector<std::uint8_t> buf(1 << 18);
    std::size_t at = 0;
    bytes payload;
    for (;;) {
        const deflate_step s = md.deflate(bytes_view(noise.data() + at, noise.size() - at), true, mutable_bytes(buf));
        payload.insert(payload.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(s.produced));
        at += s.consumed;
        if (s.done) break;
    }
    REQUIRE(payload.size() > noise.size());
    const bytes w = test::frame(test::header(opcode::binary, payload.size(), true, false, {}, rsv1), bytes_view(payload));
    {
        zlib_backend z(plain_zlib());
        test_client c(o, seeded_key_source(1));
        REQUIRE(c.use_deflate(z, deflate_params{}) == error::none);
        const received got = feed(c, w, {w.size()});
        REQUIRE(got.messages.size() == 1);
        CHECK(got.messages[0] == noise);
        CHECK(got.max_piece <= 16384);
    }
    {
        connection_options tight = o;
        tight.limits.max_compressed_message_size = 1000;
        zlib_backend z(plain_zlib());
        test_client c(tight, seeded_key_source(1));
        REQUIRE(c.use_deflate(z, deflate_params{}) == error::none);
        const received got = feed(c, w, {w.size()});
        CHECK(got.last.type == event_type::failed);
        CHECK(got.last.err == error::message_too_big);
        CHECK(got.last.code == 1009);
    }
    CHECK(receive_limits{}.compressed_limit() == (std::uint64_t{16} << 20) + (std::uint64_t{2} << 20) + 1024);
}

TEST_CASE("RFC 7692 §6.2: compressed and plain messages interleave, with control frames between fragments, split every way, in place or compacted") {
    deflate_params p;
    pair t(p);
    std::vector<bytes> sent;
    bytes wire;
    test::rng r(9);
    for (int i = 0; i < 12; ++i) {
        const bytes m = i % 3 == 2 ? test::random_bytes(r, 300) : json_like(50 + static_cast<std::size_t>(i) * 3000, static_cast<std::uint32_t>(i));
        sent.push_back(m);
        const compression c = i % 4 == 1 ? compression::off : compression::automatic;
        if (i % 5 == 3) {  // streamed in parts, a ping between them
            REQUIRE(t.client.begin_message(message_type::binary, c) == error::none);
            const std::size_t half = m.size() / 2;
            REQUIRE(t.client.send_part(bytes_view(m.data(), half), false) == error::none);
            test::append(wire, drain(t.client));
            REQUIRE(t.client.ping(bytes_view(b("hb"))) == error::none);
            test::append(wire, drain(t.client));
            REQUIRE(t.client.send_part(bytes_view(m.data() + half, m.size() - half), true) == error::none);
        } else {
            REQUIRE(t.client.send(message_type::binary, bytes_view(m), c) == error::none);
        }
        test::append(wire, drain(t.client));
    }
    for (const std::vector<std::size_t>& cuts :
         std::vector<std::vector<std::size_t>>{{wire.size()}, {1}, {2, 3}, {7}, {100, 1, 5000}, {16385}}) {
        for (bool compact : {false, true}) {
            CAPTURE(cuts.size());
            CAPTURE(compact);
            pair fresh(p);
            // Each run needs its own server stream (context takeover): reuse the same wire bytes.
            const received got = feed(fresh.server, wire, cuts, compact);
            REQUIRE(got.messages.size() == sent.size());
            for (std::size_t i = 0; i < sent.size(); ++i) CHECK(got.messages[i] == sent[i]);
            // Inflated pieces fill at most the 16 KiB buffer; plain ones are as large as a read.
            CHECK(got.max_piece <= std::max<std::size_t>(16384, *std::max_element(cuts.begin(), cuts.end())));
        }
    }
}

TEST_CASE("RFC 7692 §7.1.1, §7.1.2: round trips in both roles for every window size and takeover mode, fragment_size capping compressed frames") {
    for (const std::uint8_t bits : {std::uint8_t{9}, std::uint8_t{10}, std::uint8_t{12}, std::uint8_t{15}}) {
        for (bool takeover : {true, false}) {
            CAPTURE(int(bits));
            CAPTURE(takeover);
            deflate_params p;
            p.server_max_window_bits = p.client_max_window_bits = bits;
            p.server_no_context_takeover = p.client_no_context_takeover = !takeover;
            connection_options o;
            o.fragment_size = 1000;
            pair t(p, o);
            for (int i = 0; i < 4; ++i) {
                const bytes m = json_like(40000 + static_cast<std::size_t>(i), static_cast<std::uint32_t>(i + bits));
                REQUIRE(t.server.send(message_type::text, bytes_view(m)) == error::none);
                const bytes w = drain(t.server);
                for (const test::written_frame& f : test::frames_of(w, role::server)) CHECK(f.payload.size() <= 1000);
                const received at_client = feed(t.client, w, {4096});
                REQUIRE(at_client.messages.size() == 1);
                CHECK(at_client.messages[0] == m);
                REQUIRE(t.client.send(message_type::binary, bytes_view(m)) == error::none);
                const received at_server = feed(t.server, drain(t.client), {4096});
                REQUIRE(at_server.messages.size() == 1);
                CHECK(at_server.messages[0] == m);
            }
        }
    }
}

TEST_CASE("RFC 7692 §7.2.1: a streamed message is compressed across its parts; the writer frames what the compressor gives") {
    deflate_params p;
    pair t(p);
    const bytes m = json_like(100000, 3);
    REQUIRE(t.server.begin_message(message_type::text) == error::none);
    bytes w;
    for (std::size_t at = 0; at < m.size(); at += 7000) {
        const std::size_t n = std::min<std::size_t>(7000, m.size() - at);
        REQUIRE(t.server.can_send_part());
        REQUIRE(t.server.send_part(bytes_view(m.data() + at, n), at + n == m.size()) == error::none);
        test::append(w, drain(t.server));
    }
    CHECK(t.server.can_send());
    const std::vector<test::written_frame> fs = test::frames_of(w, role::server);
    REQUIRE(!fs.empty());
    CHECK(fs.front().h.rsv == rsv1);
    for (std::size_t i = 1; i < fs.size(); ++i) CHECK(fs[i].h.rsv == 0);
    CHECK(fs.back().h.fin);
    CHECK(w.size() < m.size() / 3);
    const received got = feed(t.client, w, {w.size()});
    REQUIRE(got.messages.size() == 1);
    CHECK(got.messages[0] == m);
}

TEST_CASE("permessage-deflate through sessions: negotiated by default options, the 101 names it, messages round-trip; off without a backend") {
    zlib_backend z;
    session_options so;
    so.deflate = &z;
    server_session srv(so);
    request_options ro;
    ro.host = "example.com";
    session<role::client, seeded_key_source> cli(ro, so, seeded_key_source(3));
    const bytes req = drain(cli);
    const std::string req_text(req.begin(), req.end());
    CHECK(req_text.find("\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n") != std::string::npos);
    bytes in = req;
    event ev = srv.receive(mutable_bytes(in));
    REQUIRE(ev.type == event_type::request);
    REQUIRE(srv.accept() == error::none);
    CHECK(srv.deflate_agreed());
    CHECK(srv.deflate_parameters() == deflate_params{});
    const bytes resp = drain(srv);
    const std::string resp_text(resp.begin(), resp.end());
    CHECK(resp_text.find("\r\nSec-WebSocket-Extensions: permessage-deflate\r\n") != std::string::npos);
    bytes rin = resp;
    ev = cli.receive(mutable_bytes(rin));
    REQUIRE(ev.type == event_type::open);
    CHECK(cli.deflate_agreed());
    CHECK(cli.deflate_failure() == deflate_error::none);
    const bytes m = json_like(5000, 4);
    REQUIRE(cli.send(message_type::text, bytes_view(m)) == error::none);
    const bytes w = drain(cli);
    CHECK(w.size() < m.size() / 2);
    CHECK((w[0] & 0x40) != 0);
    const received got = feed(srv, w, {w.size()});
    REQUIRE(got.messages.size() == 1);
    CHECK(got.messages[0] == m);

    // No backend on the server: the offer is declined, messages go plain.
    server_session plain;
    bytes in2 = req;
    REQUIRE(plain.receive(mutable_bytes(in2)).type == event_type::request);
    REQUIRE(plain.accept() == error::none);
    CHECK(!plain.deflate_agreed());
    const bytes resp2 = drain(plain);
    CHECK(std::string(resp2.begin(), resp2.end()).find("Extensions") == std::string::npos);
}

TEST_CASE("RFC 7692 §7.1: the server's options shape the answer; the client refuses an answer its offer does not allow (handshake_bad_deflate)") {
    zlib_backend z;
    session_options so;
    so.deflate = &z;
    so.deflate_server.client_max_window_bits = 10;
    so.deflate_server.server_no_context_takeover = true;
    server_session srv(so);
    session_options co;
    co.deflate = &z;
    request_options ro;
    ro.host = "example.com";
    session<role::client, seeded_key_source> cli(ro, co, seeded_key_source(3));
    bytes req = drain(cli);
    REQUIRE(srv.receive(mutable_bytes(req)).type == event_type::request);
    REQUIRE(srv.accept() == error::none);
    const bytes resp = drain(srv);
    const std::string text(resp.begin(), resp.end());
    CHECK(text.find("\r\nSec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_max_window_bits=10\r\n") !=
          std::string::npos);
    bytes rin = resp;
    REQUIRE(cli.receive(mutable_bytes(rin)).type == event_type::open);
    deflate_params want;
    want.server_no_context_takeover = true;
    want.client_max_window_bits = 10;
    CHECK(cli.deflate_parameters() == want);
    CHECK(srv.deflate_parameters() == want);

    // An answer with a window the client did not allow: the handshake fails.
    session_options bo;
    bo.deflate = &z;
    bo.deflate_client.server_max_window_bits = 10;
    session<role::client, seeded_key_source> bad(ro, bo, seeded_key_source(3));
    const bytes breq = drain(bad);
    const std::string breq_text(breq.begin(), breq.end());
    CHECK(breq_text.find("permessage-deflate; server_max_window_bits=10; client_max_window_bits\r\n") != std::string::npos);
    const std::size_t k = breq_text.find("Sec-WebSocket-Key: ") + 19;
    const std::string key = breq_text.substr(k, 24);
    const std::string answer = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
                               std::string(compute_accept(key).data(), 28) +
                               "\r\nSec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=12\r\n\r\n";
    bytes ain(answer.begin(), answer.end());
    const event ev = bad.receive(mutable_bytes(ain));
    CHECK(ev.type == event_type::failed);
    CHECK(ev.err == error::handshake_bad_deflate);
    CHECK(ev.action == tcp_action::linger);
    CHECK(bad.deflate_failure() == deflate_error::window_too_large);
    CHECK(!bad.deflate_agreed());
    CHECK(bad.state() == session_state::done);
}

TEST_CASE("RFC 7692 §5.1, §7.1: a server session sees every offer before accept() and agrees to the first it can honour (fallback offers)") {
    zlib_backend z;
    session_options so;
    so.deflate = &z;
    server_session srv(so);
    // Three offers: an unknown parameter (declined), server_max_window_bits=8
    // (zlib cannot compress with a 256-byte window: declined), then a fallback.
    const std::string req =
        "GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        "Sec-WebSocket-Extensions: x-webkit-deflate-frame, permessage-deflate; mystery=1, "
        "permessage-deflate; server_max_window_bits=8\r\n"
        "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_max_window_bits\r\n\r\n";
    bytes in(req.begin(), req.end());
    REQUIRE(srv.receive(mutable_bytes(in)).type == event_type::request);
    std::vector<std::string> names;
    std::vector<deflate_error> verdicts;
    for (const extension& e : srv.request().extensions()) {
        names.emplace_back(e.name);
        if (e.name == permessage_deflate_name) verdicts.push_back(parse_deflate_offer(e).err);
    }
    CHECK(names == std::vector<std::string>{"x-webkit-deflate-frame", "permessage-deflate", "permessage-deflate", "permessage-deflate"});
    REQUIRE(verdicts.size() == 3);
    CHECK(verdicts[0] != deflate_error::none);  // the unknown parameter
    CHECK(verdicts[1] == deflate_error::none);  // valid, but not for zlib
    CHECK(verdicts[2] == deflate_error::none);
    REQUIRE(srv.accept() == error::none);
    CHECK(srv.deflate_agreed());
    deflate_params want;
    want.server_no_context_takeover = true;
    CHECK(srv.deflate_parameters() == want);
    const bytes resp = drain(srv);
    CHECK(std::string(resp.begin(), resp.end()).find("\r\nSec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n") !=
          std::string::npos);
}

TEST_CASE("permessage-deflate sessions: an application's own extensions turn the session's negotiation off; a client with too many extensions does not offer") {
    zlib_backend z;
    session_options so;
    so.deflate = &z;
    request_options ro;
    ro.host = "example.com";
    const std::vector<std::string_view> many(16, "x-ext");
    ro.extensions = many;
    session<role::client, seeded_key_source> cli(ro, so, seeded_key_source(3));
    const bytes req = drain(cli);
    CHECK(std::string(req.begin(), req.end()).find("permessage-deflate") == std::string::npos);
    CHECK(cli.deflate_failure() == deflate_error::buffer_too_small);

    request_options one;
    one.host = "example.com";
    session<role::client, seeded_key_source> c2(one, so, seeded_key_source(3));
    bytes req2 = drain(c2);
    server_session srv(so);
    REQUIRE(srv.receive(mutable_bytes(req2)).type == event_type::request);
    accept_options ao;
    ao.extensions = "permessage-deflate";
    REQUIRE(srv.accept(ao) == error::none);
    CHECK(!srv.deflate_agreed());  // the application negotiates itself
    CHECK(!srv.connection().deflating());
}

TEST_CASE("zlib_backend: every byte from the caller's allocator and back; low_memory holds no zlib state before the first message") {
    struct counter {
        std::size_t live = 0, peak = 0, calls = 0;
    } cnt;
    deflate_allocator a;
    a.ctx = &cnt;
    a.allocate = [](void* ctx, std::size_t n) -> void* {
        auto* c = static_cast<counter*>(ctx);
        auto* p = static_cast<std::size_t*>(::operator new(n + sizeof(std::size_t)));
        *p = n;
        c->live += n;
        c->peak = std::max(c->peak, c->live);
        ++c->calls;
        return p + 1;
    };
    a.deallocate = [](void* ctx, void* p) {
        auto* s = static_cast<std::size_t*>(p) - 1;
        static_cast<counter*>(ctx)->live -= *s;
        ::operator delete(s);
    };
    zlib_options lo = zlib_options::low_memory();
    lo.alloc = a;
    std::size_t idle = 0, after = 0;
    {
        zlib_backend z(lo);
        deflate_params p;
        p.server_no_context_takeover = p.client_no_context_takeover = true;
        connection_options o;
        o.compress_min_size = 0;
        server_connection s(o);
        REQUIRE(s.use_deflate(z, p) == error::none);
        idle = cnt.live;
        const bytes m = json_like(3000, 1);
        REQUIRE(s.send(message_type::text, bytes_view(m)) == error::none);
        const bytes w = drain(s);
        after = cnt.live;
        zlib_backend zc(plain_zlib());  // the backend outlives the connection that leases from it
        test_client c(o, seeded_key_source(1));
        REQUIRE(c.use_deflate(zc, p) == error::none);
        const received got = feed(c, w, {w.size()});
        REQUIRE(got.messages.size() == 1);
        CHECK(got.messages[0] == m);
    }
    CHECK(cnt.live == 0);
    CHECK(cnt.calls > 0);
    // The block (streams and two 4 KiB buffers) only: no zlib state before or after a message.
    CHECK(idle < 9000);
    CHECK(after == idle);
    CHECK(cnt.peak > idle + 4096);  // zlib's state existed while the message was compressed
}

TEST_CASE("connection::use_deflate: only once, only before any message; a moved connection keeps its streams") {
    zlib_backend z(plain_zlib());
    server_connection s;
    REQUIRE(s.use_deflate(z, deflate_params{}) == error::none);
    CHECK(s.use_deflate(z, deflate_params{}) == error::not_open);
    server_connection m = std::move(s);
    CHECK(m.deflating());
    const bytes big = json_like(1000, 2);
    REQUIRE(m.send(message_type::binary, bytes_view(big)) == error::none);
    CHECK((drain(m)[0] & 0x40) != 0);
    server_connection late;
    REQUIRE(late.send(message_type::binary, bytes_view(big)) == error::none);
    CHECK(late.use_deflate(z, deflate_params{}) == error::not_open);
}
