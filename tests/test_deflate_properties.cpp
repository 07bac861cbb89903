// SPDX-License-Identifier: MIT
// tests/test_deflate_properties.cpp — properties of permessage-deflate (RFC
// 7692) in the connection over whole random sessions, on the zlib backend
// (test_deflate_connection.cpp has the section-by-section cases).
//
// Split invariance (DESIGN invariant 1 with RFC 7692 §6-§7): random sessions
// that a connection with permessage-deflate sends (messages of every size,
// text and binary, compressed or opted out, whole or streamed in random parts
// with pings between them, then a close) are received by the other role
// whole, byte by byte and in random splits, in place or compacted, and every
// partition gives the same events and the same output; the messages are the
// ones sent. Then, for every combination of the four parameters (§7.1: both
// window sizes 9..15, context takeover on or off each way), a client and a
// server exchange random messages both ways, checked byte for byte: 196
// combinations, 12,000 messages and more in all.
//
// Every random loop runs from a fixed seed, CAPTUREd so a failure names it.
// Built only where meson finds zlib.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>
#include <wscodec/wscodec.hpp>
#include <wscodec/zlib.hpp>

#include "helpers.hpp"

namespace {

using namespace wscodec;
using test::bytes;
using test::rng;

using test_client = connection<role::client, seeded_key_source>;

/// A message that compresses (JSON-like text with repeats), `n` bytes of ASCII.
bytes json_like(rng& r, std::size_t n) {
    bytes out;
    while (out.size() < n) {
        const std::string s = "{\"user\":\"u" + std::to_string(r.below(50)) + "\",\"price\":" + std::to_string(r.below(100000)) +
                              ",\"side\":\"" + (r.chance(50) ? "buy" : "sell") + "\"},";
        out.insert(out.end(), s.begin(), s.end());
    }
    out.resize(n);
    return out;
}

/// A size: mostly small, the length-encoding edges, now and then up to 70000.
std::size_t random_size(rng& r) {
    static constexpr std::size_t edges[] = {0, 1, 31, 32, 33, 125, 126, 127, 16383, 16384, 16385, 65535, 65536, 70000};
    const std::size_t roll = r.below(100);
    if (roll < 10) return edges[r.below(std::size(edges))];
    if (roll < 45) return r.below(64);
    if (roll < 80) return r.below(1000);
    if (roll < 96) return r.below(8000);
    return r.between(8000, 70000);
}

/// A random message's type and bytes: compressible text, any UTF-8, compressible or random binary.
std::pair<message_type, bytes> random_message(rng& r) {
    const std::size_t n = random_size(r);
    switch (r.below(4)) {
        case 0: return {message_type::text, json_like(r, n)};
        case 1: return {message_type::text, test::random_utf8(r, n, 50)};
        case 2: return {message_type::binary, json_like(r, n)};
        default: return {message_type::binary, test::random_bytes(r, n)};
    }
}

/// Everything `c` has to write, through copy_output() or output()/consume() at random.
template <class Conn>
void drain(Conn& c, bytes& out, rng& r) {
    for (int guard = 0; guard < 1000000; ++guard) {
        if (r.chance(50)) {
            const output_buffers o = c.output();
            if (o.empty()) return;
            std::size_t n = 0;
            for (std::size_t i = 0; i < o.count; ++i) {
                out.insert(out.end(), o.parts[i].begin(), o.parts[i].end());
                n += o.parts[i].size();
            }
            c.consume(n);
        } else {
            std::uint8_t buf[3000];
            const std::size_t n = c.copy_output(mutable_bytes(buf, 1 + r.below(sizeof buf)));
            if (n == 0 && c.output().empty()) return;
            out.insert(out.end(), buf, buf + n);
        }
    }
    FAIL("drain: output does not end");
}

/// One event as received, a message's pieces joined.
struct record {
    event_type type = event_type::need_more;
    message_type message = message_type::binary;
    bytes payload;
    std::uint16_t code = 0;
    error err = error::none;
    friend bool operator==(const record&, const record&) = default;
};

/// What a receiver made of a stream: its events and its output.
struct transcript {
    std::vector<record> events;
    bytes output;
    std::size_t max_piece = 0;
    std::string problems;
};

/// Feeds `stream` to `c` in consecutive reads of the sizes in `parts`; the
/// unconsumed rest of a call is handed again in place, or (`compact`) moved
/// to the front of a fresh buffer as a caller that compacts does; events owed
/// without input (has_pending_event()) are taken with empty calls.
template <class Conn>
transcript receive_in(Conn c, const bytes& stream, const std::vector<std::size_t>& parts, bool compact, std::uint64_t drain_seed) {
    transcript t;
    rng dr(drain_seed);
    bytes buf;
    std::size_t off = 0, at = 0, k = 0;
    bool open_message = false;
    record current;
    for (std::size_t guard = 0; guard < 50000000; ++guard) {
        if (off == buf.size() && !c.has_pending_event()) {
            if (at == stream.size()) break;
            const std::size_t n = std::min(parts[k++], stream.size() - at);
            buf.assign(stream.begin() + static_cast<std::ptrdiff_t>(at), stream.begin() + static_cast<std::ptrdiff_t>(at + n));
            off = 0;
            at += n;
        }
        const std::size_t before = buf.size() - off;
        const event ev = c.receive(mutable_bytes(buf.data() + off, before));
        if (ev.consumed > before) t.problems += "consumed more than the input; ";
        off += std::min(ev.consumed, before);
        if (ev.type == event_type::need_more && (off != buf.size() || c.has_pending_event()))
            t.problems += "need_more with input left or an event owed; ";
        if (ev.type == event_type::data) {
            if (ev.rsv != 0) t.problems += "RSV bits reported on inflated data; ";
            t.max_piece = std::max(t.max_piece, ev.payload.size());
            if (ev.first != !open_message) t.problems += "first flag out of order; ";
            if (ev.first) current = {event_type::data, ev.message, {}, 0, error::none};
            current.payload.insert(current.payload.end(), ev.payload.begin(), ev.payload.end());
            open_message = !ev.last;
            if (ev.last) t.events.push_back(std::move(current));  // a message is recorded once complete
        } else if (ev.type != event_type::need_more && ev.type != event_type::ended) {
            t.events.push_back({ev.type, message_type::binary, bytes(ev.payload.begin(), ev.payload.end()), ev.code, ev.err});
        }
        drain(c, t.output, dr);
        if (compact) {
            buf = bytes(buf.begin() + static_cast<std::ptrdiff_t>(off), buf.end());
            off = 0;
        }
        if (ev.type == event_type::failed || ev.type == event_type::closed) break;
    }
    if (open_message) t.problems += "a message left open; ";
    return t;
}

/// Random read sizes that cover `n` bytes, some of them 0 (an empty call).
std::vector<std::size_t> random_parts(rng& r, std::size_t n) {
    std::vector<std::size_t> parts;
    const std::size_t scale = r.chance(50) ? 16 : 3000;
    for (std::size_t left = n; left > 0;) {
        const std::size_t p = r.chance(5) ? 0 : std::min(left, 1 + r.below(scale));
        parts.push_back(p);
        left -= p;
    }
    parts.push_back(0);
    return parts;
}

/// Four random parameters (§7.1) that zlib can compress with: windows 9..15.
deflate_params random_params(rng& r) {
    deflate_params p;
    p.server_no_context_takeover = r.chance(50);
    p.client_no_context_takeover = r.chance(50);
    p.server_max_window_bits = static_cast<std::uint8_t>(r.between(9, 15));
    p.client_max_window_bits = static_cast<std::uint8_t>(r.between(9, 15));
    return p;
}

/// The three presets in turn, with a small inflate buffer now and then so that
/// messages come out in many pieces.
zlib_options preset(std::size_t i, rng& r) {
    zlib_options z = i % 3 == 0 ? zlib_options::balanced() : i % 3 == 1 ? zlib_options::max_compression() : zlib_options::low_memory();
    if (r.chance(30)) z.inflate_buffer = 64 + r.below(2000);
    return z;
}

/// What a random session sent.
struct sent_session {
    bytes wire;
    std::vector<record> events;  // what the receiver must report, in order (a message once complete)
};

/// A random session from `s`: messages (compressed or not, whole or streamed
/// in parts with pings between), pings, then a close (the receiver's
/// events end with close and closed).
template <class Conn>
sent_session send_session(Conn& s, rng& r, std::size_t messages) {
    sent_session out;
    for (std::size_t i = 0; i < messages; ++i) {
        if (r.chance(15)) {
            const bytes ping = test::random_bytes(r, r.below(126));
            REQUIRE(s.ping(bytes_view(ping)) == error::none);
            out.events.push_back({event_type::ping, message_type::binary, ping, 0, error::none});
            drain(s, out.wire, r);
        }
        auto [type, m] = random_message(r);
        const compression c = r.chance(20) ? compression::off : compression::automatic;
        if (r.chance(30)) {
            REQUIRE(s.begin_message(type, c) == error::none);
            std::size_t at = 0;
            do {
                const std::size_t n = std::min(m.size() - at, r.below(m.size() / 3 + 2));
                const bool last = at + n == m.size() && r.chance(80);
                REQUIRE(s.can_send_part());
                REQUIRE(s.send_part(bytes_view(m.data() + at, n), last) == error::none);
                at += n;
                drain(s, out.wire, r);
                if (!last && r.chance(20)) {  // a ping between two parts of the message
                    const bytes ping = test::random_bytes(r, r.below(20));
                    REQUIRE(s.ping(bytes_view(ping)) == error::none);
                    out.events.push_back({event_type::ping, message_type::binary, ping, 0, error::none});
                    drain(s, out.wire, r);
                }
                if (last) break;
                if (at == m.size()) {
                    REQUIRE(s.send_part(bytes_view{}, true) == error::none);  // an empty last part
                    drain(s, out.wire, r);
                    break;
                }
            } while (true);
        } else {
            REQUIRE(s.send(type, bytes_view(m), c) == error::none);
            drain(s, out.wire, r);
        }
        out.events.push_back({event_type::data, type, std::move(m), 0, error::none});
    }
    const std::string reason = "bye " + std::to_string(r.below(1000));
    REQUIRE(s.close(1000, reason) == error::none);
    drain(s, out.wire, r);
    out.events.push_back({event_type::close, message_type::binary, bytes(reason.begin(), reason.end()), 1000, error::none});
    out.events.push_back({event_type::closed, message_type::binary, {}, 1000, error::none});
    return out;
}

std::string describe(const std::vector<record>& want, const std::vector<record>& got) {
    const std::size_t n = std::min(want.size(), got.size());
    for (std::size_t i = 0; i < n; ++i) {
        if (want[i] == got[i]) continue;
        return "event " + std::to_string(i) + ": type " + std::to_string(int(want[i].type)) + "/" + std::to_string(int(got[i].type)) +
               ", sizes " + std::to_string(want[i].payload.size()) + "/" + std::to_string(got[i].payload.size()) + ", err " +
               error_message(got[i].err);
    }
    return want.size() == got.size() ? std::string{} : "expected " + std::to_string(want.size()) + " events, got " + std::to_string(got.size());
}

template <role Sender>
void check_random_sessions(std::uint64_t first_seed, std::size_t seeds) {
    using sender_t = std::conditional_t<Sender == role::client, test_client, server_connection>;
    using receiver_t = std::conditional_t<Sender == role::client, server_connection, test_client>;
    std::size_t messages = 0, compressed_bytes = 0, plain_bytes = 0;
    for (std::uint64_t seed = first_seed; seed < first_seed + seeds; ++seed) {
        CAPTURE(seed);
        rng r(seed);
        const deflate_params p = random_params(r);
        const zlib_options zo = preset(static_cast<std::size_t>(seed), r);
        connection_options o;
        o.fragment_size = r.chance(30) ? 100 + r.below(5000) : 0;
        o.compress_min_size = static_cast<std::uint32_t>(r.below(64));
        zlib_backend zs(zo), zr(zo);
        sender_t s = [&] {
            if constexpr (Sender == role::client) return sender_t(o, seeded_key_source(seed));
            else return sender_t(o);
        }();
        REQUIRE(s.use_deflate(zs, p) == error::none);
        const sent_session sent = send_session(s, r, 4 + r.below(16));
        for (const record& e : sent.events) {
            if (e.type != event_type::data) continue;
            ++messages;
            plain_bytes += e.payload.size();
        }
        compressed_bytes += sent.wire.size();
        const auto make_receiver = [&] {
            receiver_t c = [&] {
                if constexpr (Sender == role::client) return receiver_t(connection_options{});
                else return receiver_t(connection_options{}, seeded_key_source(seed + 1));
            }();
            REQUIRE(c.use_deflate(zr, p) == error::none);
            return c;
        };
        const transcript whole = receive_in(make_receiver(), sent.wire, {sent.wire.size()}, false, seed);
        CHECK_MESSAGE(whole.problems.empty(), whole.problems);
        CHECK_MESSAGE(whole.events == sent.events, describe(sent.events, whole.events));
        CHECK(whole.max_piece <= std::max(zo.inflate_buffer, sent.wire.size()));
        std::vector<std::pair<std::vector<std::size_t>, bool>> runs;
        runs.emplace_back(std::vector<std::size_t>(sent.wire.size(), 1), false);  // byte by byte
        for (int k = 0; k < 3; ++k) runs.emplace_back(random_parts(r, sent.wire.size()), k == 1);
        for (const auto& run : runs) {
            // no structured bindings here: clang 14 cannot capture them in CAPTURE's lambda
            const std::vector<std::size_t>& parts = run.first;
            const bool compact = run.second;
            CAPTURE(parts.size());
            CAPTURE(compact);
            const transcript t = receive_in(make_receiver(), sent.wire, parts, compact, seed);
            CHECK_MESSAGE(t.problems.empty(), t.problems);
            CHECK_MESSAGE(t.events == whole.events, describe(whole.events, t.events));
            CHECK(t.output == whole.output);  // the pongs and the close reply, byte for byte
        }
    }
    MESSAGE(messages << " messages, " << plain_bytes << " bytes sent as " << compressed_bytes << " on the wire");
    CHECK(compressed_bytes < plain_bytes);
}

/// Every combination of the four parameters: 7 x 7 window sizes x 4 takeover modes.
std::vector<deflate_params> every_combination() {
    std::vector<deflate_params> all;
    for (std::uint8_t sb = 9; sb <= 15; ++sb)
        for (std::uint8_t cb = 9; cb <= 15; ++cb)
            for (int takeover = 0; takeover < 4; ++takeover) {
                deflate_params p;
                p.server_max_window_bits = sb;
                p.client_max_window_bits = cb;
                p.server_no_context_takeover = (takeover & 1) != 0;
                p.client_no_context_takeover = (takeover & 2) != 0;
                all.push_back(p);
            }
    return all;
}

/// Sends `m` from `from` (whole or streamed) and feeds the wire to `to` in
/// random reads; true if `to` received exactly that message.
template <class From, class To>
bool exchange(From& from, To& to, rng& r, message_type type, const bytes& m) {
    const compression c = r.chance(15) ? compression::off : compression::automatic;
    bytes wire;
    if (r.chance(25) && !m.empty()) {
        if (from.begin_message(type, c) != error::none) return false;
        const std::size_t half = r.below(m.size() + 1);
        if (from.send_part(bytes_view(m.data(), half), false) != error::none) return false;
        drain(from, wire, r);
        if (from.send_part(bytes_view(m.data() + half, m.size() - half), true) != error::none) return false;
    } else if (from.send(type, bytes_view(m), c) != error::none) {
        return false;
    }
    drain(from, wire, r);
    bytes got;
    bool done = false;
    bytes buf;
    std::size_t at = 0, off = 0;
    for (std::size_t guard = 0; guard < 10000000 && !done; ++guard) {
        if (off == buf.size() && !to.has_pending_event()) {
            if (at == wire.size()) return false;
            const std::size_t n = std::min(wire.size() - at, 1 + r.below(r.chance(20) ? 8 : 20000));
            buf.assign(wire.begin() + static_cast<std::ptrdiff_t>(at), wire.begin() + static_cast<std::ptrdiff_t>(at + n));
            at += n;
            off = 0;
        }
        const event ev = to.receive(mutable_bytes(buf.data() + off, buf.size() - off));
        off += ev.consumed;
        if (ev.type == event_type::data) {
            if (ev.message != type) return false;
            got.insert(got.end(), ev.payload.begin(), ev.payload.end());
            done = ev.last;
        } else if (ev.type != event_type::need_more) {
            return false;
        }
    }
    return done && at == wire.size() && off == buf.size() && got == m;
}

}  // namespace

TEST_CASE("split invariance, RFC 7692 §6-§7: compressed client sessions received by a server, whole, byte by byte, random splits") {
    check_random_sessions<role::client>(1, 24);
}

TEST_CASE("split invariance, RFC 7692 §6-§7: compressed server sessions received by a client, whole, byte by byte, random splits") {
    check_random_sessions<role::server>(1001, 24);
}

TEST_CASE("pair, RFC 7692 §7.1: every combination of the four parameters, thousands of random messages both ways") {
    const std::vector<deflate_params> all = every_combination();
    REQUIRE(all.size() == 196);
    std::size_t messages = 0, failures = 0;
    for (std::size_t i = 0; i < all.size(); ++i) {
        CAPTURE(i);
        const deflate_params& p = all[i];
        rng r(7000 + i);
        const zlib_options zo = preset(i, r);
        zlib_backend zs(zo), zc(zo);
        server_connection server;
        test_client client(connection_options{}, seeded_key_source(i));
        REQUIRE(server.use_deflate(zs, p) == error::none);
        REQUIRE(client.use_deflate(zc, p) == error::none);
        for (int k = 0; k < 64; ++k) {
            auto picked = random_message(r);
            const message_type type = picked.first;
            bytes& m = picked.second;  // a reference, not a binding: CHECK_MESSAGE's lambda captures it under clang 14
            if (m.size() > 20000) m.resize(20000 + r.below(100));  // keep the matrix quick; the sessions above go to 70000
            if (type == message_type::text && !validate_utf8(bytes_view(m)).ok()) m = json_like(r, m.size());
            const bool ok = r.chance(50) ? exchange(client, server, r, type, m) : exchange(server, client, r, type, m);
            ++messages;
            if (!ok) ++failures;
            CHECK_MESSAGE(ok, "message " << k << " (" << m.size() << " bytes) did not arrive intact");
        }
        CHECK(server.state() == connection_state::open);
        CHECK(client.state() == connection_state::open);
    }
    MESSAGE(messages << " messages over " << all.size() << " parameter combinations");
    CHECK(messages == 196 * 64);
    CHECK(failures == 0);
}
