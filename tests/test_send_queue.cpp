// SPDX-License-Identifier: MIT
// tests/test_send_queue.cpp — wscodec/send_queue.hpp, the optional owning
// queue above the core: messages queued back to back in both roles and drained
// in odd pieces, decoded by a peer of the other role; copies that outlive the
// caller's buffer; the byte and message bounds (send_queue_full); the
// high-water and drain signals at exact byte counts; UTF-8 refusal; control
// frames between queued data frames (§5.4, §5.5); the queue after close()
// (§7.1.2), the peer's close and a failure; options; sessions; the README's
// example.
#include <doctest/doctest.h>
#ifndef _WIN32  // the README's example writes to a POSIX pipe with writev
#include <sys/uio.h>
#include <unistd.h>
#endif

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>
#include <wscodec/send_queue.hpp>
#include <wscodec/session.hpp>

#include "helpers.hpp"

using seeded_client = wscodec::connection<wscodec::role::client, wscodec::seeded_key_source>;
TYPE_TO_STRING(wscodec::server_connection);
TYPE_TO_STRING(seeded_client);

namespace {

using namespace wscodec;
using test::bytes;
using test::event_record;

using server = server_connection;
using client = seeded_client;
using seeded_client_session = session<role::client, seeded_key_source>;

/// The endpoint that reads what `E` writes: the other role.
template <class E>
using peer_of = std::conditional_t<test::role_of<E>() == role::server, client, server>;

bytes str(std::string_view s) { return test::b(s); }

/// `n` bytes of valid UTF-8 mixing 1- to 4-byte characters.
bytes utf8_text(std::size_t n) {
    bytes out;
    const std::uint32_t cps[] = {'a', 0xE9, 0x20AC, 0x1F600, 'z'};
    for (std::size_t i = 0; out.size() < n; ++i) {
        const std::uint32_t cp = cps[i % 5];
        const std::size_t w = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
        test::append_utf8(out, n - out.size() >= w ? cp : std::uint32_t{'x'});
    }
    return out;
}

/// `n` bytes 0, 1, 2, ... (mod 251).
bytes binary(std::size_t n) {
    bytes out(n);
    for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::uint8_t>(i % 251);
    return out;
}

/// Everything the queue and its endpoint write, taken through output() and
/// consume() in pieces of odd sizes (each at most what output() handed out).
template <class Q, class E>
bytes drain(Q& q, E& ep) {
    static constexpr std::size_t pieces[] = {1, 7, 3, 1000, 13, 65537, 2, 125, 4096, 5};
    bytes out;
    std::size_t i = 0;
    for (std::size_t steps = 0; steps < (std::size_t{1} << 22); ++steps) {
        const output_buffers o = q.output(ep);
        if (o.empty()) break;
        std::size_t k = std::min(pieces[i++ % std::size(pieces)], o.size());
        const std::size_t taken = k;
        for (std::size_t p = 0; p < o.count && k > 0; ++p) {
            const std::size_t t = std::min(k, o.parts[p].size());
            test::append(out, o.parts[p].first(t));
            k -= t;
        }
        q.consume(ep, taken);
    }
    CHECK(q.output(ep).empty());
    return out;
}

/// The messages (and other events) a fresh peer of the other role reads from `wire`.
template <class E>
std::vector<event_record> decode(const bytes& wire) {
    peer_of<E> peer;
    return test::joined(test::feed(peer, wire));
}

/// A whole message, as joined() records it.
event_record message(message_type type, const bytes& payload) {
    event_record r;
    r.type = event_type::data;
    r.message = type;
    r.first = true;
    r.last = true;
    r.payload = payload;
    return r;
}

struct queued_message {
    message_type type;
    bytes payload;
};

/// Messages of the sizes the frame header treats differently (§5.2: 7-, 16- and 64-bit lengths).
std::vector<queued_message> boundary_messages() {
    return {{message_type::text, {}},
            {message_type::binary, binary(1)},
            {message_type::text, utf8_text(125)},
            {message_type::binary, binary(126)},
            {message_type::text, utf8_text(70000)},
            {message_type::binary, {}},
            {message_type::binary, binary(65536)}};
}

/// The endpoint of type E, with `o`.
template <class E>
E make(const connection_options& o = {}) {
    if constexpr (test::role_of<E>() == role::client) return E(o, seeded_key_source(7));
    else return E(o);
}

}  // namespace

// ======================================================= 1. order and bytes

TEST_CASE_TEMPLATE("send_queue §5.2: messages of every length class queued back to back arrive whole and in order",
                   E, server, client) {
    for (const std::uint64_t fragment : {std::uint64_t{0}, std::uint64_t{1000}}) {
        CAPTURE(fragment);
        connection_options o;
        o.fragment_size = fragment;  // several frames a message: the next is handed over after the last
        E ep = make<E>(o);
        send_queue<E> q;
        const std::vector<queued_message> ms = boundary_messages();
        std::size_t total = 0;
        for (const queued_message& m : ms) {
            CHECK(q.send(ep, m.type, m.payload) == error::none);
            total += m.payload.size();
        }
        CHECK(q.size() == ms.size());
        CHECK(q.queued_bytes() == total);
        CHECK_FALSE(ep.can_send());  // the first message went to the endpoint at once
        const bytes wire = drain(q, ep);
        std::vector<event_record> want;
        for (const queued_message& m : ms) want.push_back(message(m.type, m.payload));
        CHECK(test::describe(decode<E>(wire)) == test::describe(want));
        CHECK(q.size() == 0);
        CHECK(q.queued_bytes() == 0);
        CHECK(q.drained(ep));
        CHECK(ep.can_send());
        // One frame per message (or per 1000 bytes of it), each masked exactly by a client (§5.1).
        const std::vector<test::written_frame> frames = test::frames_of(wire, test::role_of<E>());
        std::size_t want_frames = 0;
        for (const queued_message& m : ms)
            want_frames += fragment == 0 || m.payload.empty() ? 1 : (m.payload.size() + fragment - 1) / fragment;
        CHECK(frames.size() == want_frames);
    }
}

TEST_CASE_TEMPLATE("send_queue: the caller's buffer may be freed or overwritten as soon as send() returns", E, server,
                   client) {
    E ep = make<E>();
    send_queue<E> q;
    std::string reused = "first";
    CHECK(q.send_text(ep, reused) == error::none);  // handed to the endpoint at once: the copy is what it views
    reused.assign(reused.size(), '#');
    CHECK(q.send_text(ep, std::string(300, 'a') + "é") == error::none);  // a temporary, queued
    {
        std::vector<char> scratch(70000, 'q');
        CHECK(q.send_binary(ep, scratch) == error::none);  // any byte range (bytes.hpp)
        std::fill(scratch.begin(), scratch.end(), 'X');
    }  // freed
    CHECK(q.send(ep, message_type::binary, std::vector<std::byte>(3, std::byte{0xAB})) == error::none);
    bytes mine = binary(200);
    const bytes before = mine;
    CHECK(q.send_binary(ep, mine) == error::none);
    const bytes wire = drain(q, ep);
    CHECK(mine == before);  // a client masks its own copy, never the caller's buffer
    const std::vector<event_record> want = {
        message(message_type::text, str("first")),
        message(message_type::text, str(std::string(300, 'a') + "é")),
        message(message_type::binary, bytes(70000, 'q')),
        message(message_type::binary, bytes(3, 0xAB)),
        message(message_type::binary, before),
    };
    CHECK(test::describe(decode<E>(wire)) == test::describe(want));
}

TEST_CASE("send_queue: the owning path takes a temporary where the endpoint's own send does not") {
    static_assert(requires(send_queue<server>& q, server& s) { q.send_text(s, std::string("x")); });
    static_assert(requires(send_queue<server>& q, server& s) { q.send_binary(s, std::vector<char>(1)); });
    static_assert(requires(send_queue<client_session>& q, client_session& s) {
        q.send(s, message_type::text, std::string("x"));
    });
    CHECK(true);
}

TEST_CASE("send_queue: copy_output() drains a client as output()/consume() do") {
    client ep = make<client>();
    send_queue<client> q;
    const std::vector<queued_message> ms = boundary_messages();
    for (const queued_message& m : ms) CHECK(q.send(ep, m.type, m.payload) == error::none);
    bytes wire;
    std::array<std::uint8_t, 301> buf{};
    for (std::size_t n; (n = q.copy_output(ep, buf)) > 0;) test::append(wire, std::span(buf).first(n));
    std::vector<event_record> want;
    for (const queued_message& m : ms) want.push_back(message(m.type, m.payload));
    CHECK(test::describe(decode<client>(wire)) == test::describe(want));
    CHECK(q.drained(ep));
}

// ============================================================ 2. the bounds

TEST_CASE_TEMPLATE("send_queue: max_bytes refuses with send_queue_full and queues nothing", E, server, client) {
    E ep = make<E>();
    send_queue<E> q({.max_bytes = 300, .high_water = 100});
    CHECK(q.send_binary(ep, binary(200)) == error::none);
    CHECK(q.send_binary(ep, binary(101)) == error::send_queue_full);  // 301 > 300
    CHECK(q.size() == 1);
    CHECK(q.queued_bytes() == 200);
    CHECK(q.send_text(ep, std::string(100, 'b')) == error::none);  // exactly 300
    CHECK(q.send_binary(ep, {}) == error::none);                   // an empty message costs no byte
    CHECK(q.send_binary(ep, binary(1)) == error::send_queue_full);
    CHECK(q.size() == 3);
    CHECK(q.queued_bytes() == 300);
    const bytes wire = drain(q, ep);
    const std::vector<event_record> want = {message(message_type::binary, binary(200)),
                                            message(message_type::text, bytes(100, 'b')),
                                            message(message_type::binary, {})};
    CHECK(test::describe(decode<E>(wire)) == test::describe(want));
    // Once written, the bytes are free again; a message larger than max_bytes never fits.
    CHECK(q.send_binary(ep, binary(300)) == error::none);
    (void)drain(q, ep);
    CHECK(q.send_binary(ep, binary(301)) == error::send_queue_full);
    CHECK(q.empty());
    CHECK(ep.output().empty());
}

TEST_CASE("send_queue: max_messages bounds a flood of empty messages") {
    server ep;
    send_queue<server> q({.max_bytes = 1000, .high_water = 10, .max_messages = 3});
    for (int i = 0; i < 3; ++i) CHECK(q.send_text(ep, "") == error::none);
    CHECK(q.send_text(ep, "") == error::send_queue_full);
    CHECK(q.size() == 3);
    CHECK(drain(q, ep) == test::hex("81 00 81 00 81 00"));
    CHECK(q.send_text(ep, "") == error::none);
}

TEST_CASE("send_queue: its fixed state is 80 bytes") {
    // The records (a vector: 24), head_, bytes_, dropped_ (8 each), the options (24), in_flight_ (1, padded to 8).
    if constexpr (sizeof(void*) == 8) CHECK(sizeof(send_queue<server>) == 24 + 3 * 8 + 24 + 8);
}

TEST_CASE("send_queue: options are checked; invalid ones are corrected") {
    CHECK(send_queue_options{}.valid());
    CHECK(send_queue_options{}.max_bytes == std::size_t{16} << 20);
    CHECK(send_queue_options{}.high_water == std::size_t{1} << 20);
    CHECK(send_queue_options{}.max_messages == 65536u);
    CHECK_FALSE(send_queue_options{.max_bytes = 0}.valid());
    CHECK_FALSE(send_queue_options{.max_bytes = 100, .high_water = 100}.valid());
    CHECK_FALSE(send_queue_options{.max_messages = 0}.valid());
    CHECK(send_queue_options{.max_bytes = 100, .high_water = 99, .max_messages = 1}.valid());

    const send_queue<server> a({.max_bytes = 64 << 10});  // the default high_water (1 MiB) is above it
    CHECK(a.options().max_bytes == 64u << 10);
    CHECK(a.options().high_water == 32u << 10);
    const send_queue<server> b({.max_bytes = 0, .high_water = 5, .max_messages = 0});
    CHECK(b.options().max_bytes == std::size_t{16} << 20);
    CHECK(b.options().high_water == 5u);
    CHECK(b.options().max_messages == 65536u);
    CHECK(b.options().valid());
}

// ========================================================== 3. the signals

TEST_CASE("send_queue: above_high_water() and drained() turn at exact byte counts") {
    server ep;
    send_queue<server> q({.max_bytes = 1000, .high_water = 250});
    CHECK(q.drained(ep));
    CHECK_FALSE(q.above_high_water());
    CHECK(q.send_binary(ep, binary(100)) == error::none);
    CHECK_FALSE(q.drained(ep));
    CHECK(q.send_binary(ep, binary(100)) == error::none);
    CHECK(q.send_binary(ep, binary(50)) == error::none);
    CHECK(q.queued_bytes() == 250);
    CHECK_FALSE(q.above_high_water());  // more than high_water: 250 is not
    CHECK(q.send_binary(ep, binary(1)) == error::none);
    CHECK(q.queued_bytes() == 251);
    CHECK(q.above_high_water());

    // Wire bytes: 2-byte headers, so the messages end after 102, 204, 256 and 259 bytes.
    std::vector<std::size_t> below_at, freed_at;
    std::size_t written = 0;
    bool was_above = true;
    std::size_t last_queued = q.queued_bytes();
    for (output_buffers o = q.output(ep); !o.empty(); o = q.output(ep)) {
        q.consume(ep, 1);
        ++written;
        if (was_above && !q.above_high_water()) below_at.push_back(written);
        was_above = q.above_high_water();
        if (q.queued_bytes() != last_queued) freed_at.push_back(written);
        last_queued = q.queued_bytes();
        CHECK(q.drained(ep) == (written == 259));
    }
    CHECK(written == 259);
    CHECK(below_at == std::vector<std::size_t>{102});
    CHECK(freed_at == std::vector<std::size_t>{102, 204, 256, 259});
    CHECK(q.queued_bytes() == 0);
    CHECK(q.drained(ep));
}

TEST_CASE("send_queue §5.5.2: drained() waits for the endpoint's own control frames too") {
    server ep;
    send_queue<server> q;
    CHECK(q.drained(ep));
    const bytes ping = test::wire<role::server>(opcode::ping, str("hb"));
    (void)test::feed(ep, ping);  // the pong is queued
    CHECK(q.empty());
    CHECK_FALSE(q.drained(ep));
    CHECK(drain(q, ep) == test::hex("8a 02 68 62"));
    CHECK(q.drained(ep));
}

// ================================================================ 4. UTF-8

TEST_CASE_TEMPLATE("send_queue §8.1: invalid UTF-8 text is refused at once, queue idle or busy", E, server, client) {
    E ep = make<E>();
    send_queue<E> q;
    const bytes bad = test::hex("c3 28");
    CHECK(q.send(ep, message_type::text, bad) == error::text_not_utf8);  // handed over at once: the endpoint's check
    CHECK(q.empty());
    CHECK(q.queued_bytes() == 0);
    CHECK(ep.can_send());
    CHECK(q.send_text(ep, "ok") == error::none);
    CHECK(q.send(ep, message_type::text, bad) == error::text_not_utf8);  // queued: the queue's check
    CHECK(q.send_text(ep, "\xF0\x9F\x98") == error::text_not_utf8);     // cut in the middle of a character
    CHECK(q.size() == 1);
    CHECK(q.send(ep, message_type::binary, bad) == error::none);  // binary is not text
    const std::vector<event_record> want = {message(message_type::text, str("ok")), message(message_type::binary, bad)};
    CHECK(test::describe(decode<E>(drain(q, ep))) == test::describe(want));
}

// ===================================================== 5. control frames

TEST_CASE("send_queue §5.4, §5.5: a pong and a ping go out between the fragments of queued messages") {
    connection_options o;
    o.fragment_size = 4096;
    server ep(o);
    send_queue<server> q;
    CHECK(q.send_binary(ep, binary(20000)) == error::none);
    CHECK(q.send_text(ep, utf8_text(9000)) == error::none);
    bytes wire;
    std::size_t taken = 0;
    while (taken < 5000) {  // into the second fragment of the first message
        const output_buffers out = q.output(ep);
        const std::size_t k = std::min<std::size_t>(out.parts[0].size(), 5000 - taken);
        test::append(wire, out.parts[0].first(k));
        q.consume(ep, k);
        taken += k;
    }
    (void)test::feed(ep, test::wire<role::server>(opcode::ping, str("p1")));  // the peer pings: a pong is owed
    const bytes rest = drain(q, ep);
    test::append(wire, rest);
    CHECK(ep.ping(str("me")) == error::none);  // our own ping after the queue is written
    test::append(wire, drain(q, ep));

    client reader;
    const std::vector<event_record> evs = test::feed(reader, wire);
    std::vector<std::string> kinds;
    for (const event_record& e : evs) kinds.push_back(test::describe(e, test::verbosity::brief));
    // The pong follows the fragment being written when the ping arrived: the
    // first message's second fragment, 4096 bytes after its first.
    const std::vector<std::string> want_kinds = {
        "data binary first", "data binary", "pong", "data binary", "data binary", "data binary last",
        "data text first",   "data text",   "data text last", "ping"};
    CHECK(kinds == want_kinds);
    const std::vector<event_record> messages = test::joined(evs);  // a control frame after the message it interrupted
    REQUIRE(messages.size() == 4);
    CHECK(test::describe(messages[0]) == test::describe(message(message_type::binary, binary(20000))));
    CHECK(messages[1].type == event_type::pong);
    CHECK(messages[1].payload == str("p1"));
    CHECK(test::describe(messages[2]) == test::describe(message(message_type::text, utf8_text(9000))));
    CHECK(messages[3].type == event_type::ping);
    CHECK(messages[3].payload == str("me"));
    CHECK(q.drained(ep));
}

// ============================================================ 6. closing

TEST_CASE_TEMPLATE("send_queue §7.1.2: after close() the message being written finishes, the waiting ones are dropped",
                   E, server, client) {
    E ep = make<E>();
    send_queue<E> q;
    CHECK(q.send_binary(ep, binary(300)) == error::none);
    CHECK(q.send_text(ep, "second") == error::none);
    CHECK(q.send_text(ep, "third") == error::none);
    bytes wire;
    {
        const output_buffers out = q.output(ep);
        test::append(wire, out.parts[0].first(3));
        q.consume(ep, 3);
    }
    CHECK(ep.close(close_code::going_away, "bye") == error::none);
    CHECK(q.size() == 3);  // dropped at the next call on the queue that looks at the endpoint
    CHECK(q.send_text(ep, "late") == error::not_open);
    CHECK(q.size() == 1);  // the message being written stays: the endpoint views it
    CHECK(q.dropped() == 2);
    CHECK(q.queued_bytes() == 300);
    test::append(wire, drain(q, ep));
    CHECK(q.empty());
    CHECK(q.queued_bytes() == 0);
    CHECK(q.drained(ep));
    const std::vector<event_record> evs = decode<E>(wire);
    REQUIRE(evs.size() >= 2);
    CHECK(test::describe(evs[0]) == test::describe(message(message_type::binary, binary(300))));
    CHECK(evs[1].type == event_type::close);
    CHECK(evs[1].code == 1001);
}

TEST_CASE("send_queue §5.5.1: the peer's close drops the waiting messages; the close echo still goes out") {
    server ep;
    send_queue<server> q;
    CHECK(q.send_text(ep, "one") == error::none);
    CHECK(q.send_text(ep, "two") == error::none);
    (void)test::feed(ep, test::wire<role::server>(opcode::close, test::close_body(1000)));
    CHECK(ep.state() == connection_state::closed);
    const bytes wire = drain(q, ep);
    CHECK(q.dropped() == 1);
    CHECK(q.empty());
    CHECK(q.queued_bytes() == 0);
    // "one" was with the endpoint, not yet begun: the echo ends it before its
    // first frame (connection.hpp: the message being sent ends with its current frame).
    CHECK(test::to_hex(wire) == "88 02 03 e8");
    CHECK(q.send_text(ep, "three") == error::not_open);
}

TEST_CASE("send_queue §7.1.7: a failure ends the message being written with its frame and drops the rest") {
    connection_options o;
    o.fragment_size = 100;
    server ep(o);
    send_queue<server> q;
    CHECK(q.send_binary(ep, binary(1000)) == error::none);
    CHECK(q.send_binary(ep, binary(10)) == error::none);
    CHECK(q.output(ep).size() == 102);  // the first frame is being written
    q.consume(ep, 50);
    const std::vector<event_record> evs = test::feed(ep, test::hex("83 80 00 00 00 00"));  // reserved opcode: 1002
    test::check_failed(evs, error::reserved_opcode, 1002);
    (void)drain(q, ep);
    CHECK(q.empty());
    CHECK(q.dropped() == 1);
    CHECK(q.drained(ep));
}

TEST_CASE("send_queue: clear() drops what waits and keeps the message being written") {
    server ep;
    send_queue<server> q;
    CHECK(q.clear() == 0);
    CHECK(q.send_text(ep, "a") == error::none);
    CHECK(q.send_text(ep, "b") == error::none);
    CHECK(q.send_text(ep, "c") == error::none);
    CHECK(q.clear() == 2);
    CHECK(q.size() == 1);
    CHECK(q.queued_bytes() == 1);
    CHECK(q.dropped() == 0);  // cleared, not dropped
    CHECK(q.send_text(ep, "d") == error::none);
    CHECK(drain(q, ep) == test::hex("81 01 61 81 01 64"));
    CHECK(q.drained(ep));
}

TEST_CASE("send_queue: messages sent on the endpoint directly take their turn") {
    server ep;
    send_queue<server> q;
    const std::string mine = "direct";
    CHECK(ep.send_text(mine) == error::none);
    CHECK(q.send_text(ep, "queued") == error::none);  // waits for the endpoint
    CHECK(q.size() == 1);
    CHECK(drain(q, ep) == test::b("\x81\x06" "direct" "\x81\x06" "queued"));
    CHECK(q.drained(ep));
}

// =========================================================== 7. sessions

TEST_CASE("send_queue §4, §5: through a server session and a client session, before and after the handshake") {
    request_options request;
    request.host = "localhost";
    request.target = "/chat";
    seeded_client_session c(request, {}, seeded_key_source(11));
    server_session s;
    send_queue<seeded_client_session> cq;
    send_queue<server_session> sq;
    CHECK(cq.send_text(c, "early") == error::not_open);  // before the handshake: as the session's send
    CHECK(sq.send_text(s, "early") == error::not_open);

    const std::vector<event_record> at_server = test::feed(s, drain(cq, c));  // the request
    REQUIRE(at_server.size() == 1);
    CHECK(at_server[0].type == event_type::request);
    CHECK(s.accept() == error::none);
    // The server queues at once: its 101 goes first.
    const std::vector<queued_message> ms = boundary_messages();
    for (const queued_message& m : ms) CHECK(sq.send(s, m.type, m.payload) == error::none);
    const std::vector<event_record> at_client = test::joined(test::feed(c, drain(sq, s)));
    REQUIRE(!at_client.empty());
    CHECK(at_client[0].type == event_type::open);
    std::vector<event_record> want;
    for (const queued_message& m : ms) want.push_back(message(m.type, m.payload));
    CHECK(test::describe(std::vector(at_client.begin() + 1, at_client.end())) == test::describe(want));
    CHECK(sq.drained(s));

    // And back: the client masks its copies in place.
    for (const queued_message& m : ms) CHECK(cq.send(c, m.type, m.payload) == error::none);
    const std::vector<event_record> back = test::joined(test::feed(s, drain(cq, c)));
    CHECK(test::describe(back) == test::describe(want));
    CHECK(cq.drained(c));

    CHECK(s.close() == error::none);
    CHECK(sq.send_text(s, "late") == error::not_open);
}

// ============================================================== 8. README
#ifndef _WIN32  // writev and pipe are POSIX

namespace {

// README begin (send queue)
struct peer {
    wscodec::server_session ws;
    wscodec::send_queue<wscodec::server_session> queue{{.max_bytes = 4 << 20, .high_water = 256 << 10}};
};

// Producing: as many messages as you like, each copied (a temporary is fine).
bool say(peer& p, const std::string& name, std::string_view text) {
    const wscodec::error e = p.queue.send_text(p.ws, name + ": " + std::string(text));
    return e == wscodec::error::none;  // send_queue_full: a peer too slow to keep up; not_open: closing
}

// Writing: the queue's output() and consume() instead of the session's.
bool flush(int fd, peer& p) {  // false: the socket is full (or failed) with bytes left
    for (auto out = p.queue.output(p.ws); !out.empty(); out = p.queue.output(p.ws)) {
        iovec iov[2];
        for (std::size_t i = 0; i < out.count; ++i)
            iov[i] = {const_cast<std::uint8_t*>(out.parts[i].data()), out.parts[i].size()};
        const ssize_t w = writev(fd, iov, static_cast<int>(out.count));
        if (w <= 0) return false;
        p.queue.consume(p.ws, static_cast<std::size_t>(w));  // frees what is written, hands over the next
    }
    return true;
}
// README end (send queue)

}  // namespace

TEST_CASE("send_queue: the README's example writes through a pipe") {
    peer p;
    request_options request;
    request.host = "localhost";
    seeded_client_session c(request, {}, seeded_key_source(3));
    send_queue<seeded_client_session> cq;
    REQUIRE(test::feed(p.ws, drain(cq, c)).size() == 1);
    REQUIRE(p.ws.accept() == error::none);
    CHECK(p.queue.options().max_bytes == 4u << 20);
    CHECK(say(p, "ann", "hi"));
    CHECK(say(p, "bob", "hello"));
    CHECK(p.queue.size() == 2);
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    CHECK(flush(fds[1], p));
    CHECK(p.queue.drained(p.ws));
    ::close(fds[1]);
    bytes got(4096);
    std::size_t n = 0;
    for (ssize_t r; (r = read(fds[0], got.data() + n, got.size() - n)) > 0;) n += static_cast<std::size_t>(r);
    ::close(fds[0]);
    got.resize(n);
    const std::vector<event_record> evs = test::joined(test::feed(c, got));
    REQUIRE(evs.size() == 3);
    CHECK(evs[0].type == event_type::open);
    CHECK(evs[1].payload == str("ann: hi"));
    CHECK(evs[2].payload == str("bob: hello"));
}
#endif  // _WIN32
