// SPDX-License-Identifier: MIT
// tests/test_session.cpp — wscodec/session.hpp: one object per role from
// the first byte to the close, the opening handshake (RFC 6455 §4) then the
// connection (§5-§7).
//
//  - the README echo loop: a browser's request with frames pipelined behind
//    it, whole, byte by byte, split at every position and in chunks of every
//    size (DESIGN invariant 1);
//  - a client session and a server session wired to each other in memory
//    (test::endpoint): the handshake, output order, thousands of messages,
//    the close (§7.1.2); the client's key from its key source (§4.1 item 7);
//  - plain HTTP, rejections (§4.2.1, §4.2.2) and refusals (§4.1) through the
//    session; the session before the handshake (timer, EOF);
//  - allocations (invariant 2, through the counting allocator of
//    test_alloc.cpp, which also holds the size budgets of invariant 7).
//
// No REQUIRE: the suite also builds with -fno-exceptions. Random loops run
// from fixed seeds, CAPTUREd; checks inside hot loops go into a `problems`
// string checked once.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>
#include <wscodec/session.hpp>

#include "helpers.hpp"
#include "http_samples.hpp"

// The counting allocator lives in test_alloc.cpp (operator new can be
// replaced once per program): counts this thread's allocations between
// start and stop.
namespace test {
void alloc_count_start() noexcept;
std::size_t alloc_count_stop() noexcept;
}  // namespace test

namespace {

using namespace wscodec;
using namespace std::string_view_literals;
using test::bytes;

using seeded_client_session = session<role::client, seeded_key_source>;

constexpr std::size_t npos = static_cast<std::size_t>(-1);

// ------------------------------------------------------------- small helpers

using test::rng;

std::string str(bytes_view b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }
std::string str(const bytes& b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }
bytes_view view(std::string_view s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }

/// Everything `s` has to write, as text: zero-copy (output()/consume()) where
/// it can and through copy_output() (301-byte buffers) where a client's payload
/// needs masking.
template <class S>
std::string drain_text(S& s) {
    return str(test::drain(s, {.how = test::take::spans_or_copy, .piece = 301}));
}

/// The 101 response a server_session writes for `key` with no subprotocol or
/// extension (§4.2.2 step 5).
std::string response_101(std::string_view key, std::string_view extra = {}) {
    const std::array<char, 28> a = compute_accept(key);
    return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
           std::string(a.data(), a.size()) + "\r\n" + std::string(extra) + "\r\n";
}

/// Base64 of `in` (RFC 4648, padded): this file's own reference.
std::string base64(bytes_view in) {
    static constexpr char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    for (std::size_t i = 0; i < in.size(); i += 3) {
        const std::uint32_t v = static_cast<std::uint32_t>(in[i]) << 16 |
                                (i + 1 < in.size() ? static_cast<std::uint32_t>(in[i + 1]) << 8 : 0u) |
                                (i + 2 < in.size() ? static_cast<std::uint32_t>(in[i + 2]) : 0u);
        out += digits[(v >> 18) & 63];
        out += digits[(v >> 12) & 63];
        out += i + 1 < in.size() ? digits[(v >> 6) & 63] : '=';
        out += i + 2 < in.size() ? digits[v & 63] : '=';
    }
    return out;
}

constexpr test::verbosity brief = test::verbosity::brief;

/// One line for an event as these tests list them: a close with its code and
/// reason as text ("close 1000 bye"), anything else test::describe()'s brief line.
std::string line(const test::event_record& e) {
    if (e.type == event_type::close) return "close " + std::to_string(e.code) + " " + str(e.payload);
    return test::describe(e, brief);
}

std::string describe_parts(const std::vector<std::size_t>& parts) {
    if (parts.size() == 2) return "split at " + std::to_string(parts[0]);
    if (parts.size() == 1) return "whole";
    return std::to_string(parts.size()) + " pieces";
}

// ================================================== 1. the README echo loop

/// What the echo server saw: one line per event (data as whole messages),
/// all it wrote, and where the request ended in the stream.
struct echo_result {
    std::vector<std::string> events;
    std::string output;
    std::size_t request_end = npos;
    std::string problems;
};

/// The README's loop on a server_session: each piece is read into a fresh
/// buffer, receive() runs until need_more, a request is accepted on the
/// spot, each whole text message is echoed; output is written after every
/// event; then the buffer is scribbled over (the caller reuses it:
/// test::piece_buffer::copied).
echo_result echo_server(std::string_view wire, const std::vector<std::size_t>& parts) {
    echo_result r;
    server_session s;
    std::string message;
    bool in_message = false;
    const auto problem = [&](const std::string& what) {
        if (r.problems.size() < 2000) r.problems += what + "; ";
    };
    bytes stream(wire.begin(), wire.end());
    const auto on_event = [&](const event& ev, mutable_bytes, std::size_t at) {
        switch (ev.type) {
            case event_type::need_more:
            case event_type::ended: break;
            case event_type::request: {
                r.request_end = at + ev.consumed;
                r.events.push_back("request " + std::string(s.request().target) + " origin=" +
                                   std::string(s.request().origin));
                const error e = s.accept();
                if (e != error::none) problem(std::string("accept: ") + error_name(e));
                if (s.state() != session_state::open) problem("state after accept() is not open");
                break;
            }
            case event_type::data:
                if (ev.first == in_message) problem("first flag wrong at " + std::to_string(at));
                in_message = !ev.last;
                message += str(ev.payload);
                if (ev.last) {
                    r.events.push_back(std::string(ev.message == message_type::text ? "text " : "binary ") + message);
                    const error e = s.send_text(message);  // zero-copy: `message` lives until drained below
                    if (e != error::none) problem(std::string("send_text: ") + error_name(e));
                    r.output += drain_text(s);
                    message.clear();
                }
                break;
            default: r.events.push_back(line(test::record(ev))); break;
        }
        r.output += drain_text(s);
    };
    const test::fault f =
        test::receive_parts(s, mutable_bytes(stream), parts, test::piece_buffer::copied, on_event);
    if (f != nullptr) problem(f);
    return r;
}

// RFC 6455 §5.7: a single-frame masked text message "Hello".
const bytes masked_hello = test::hex("81 85 37 fa 21 3d 7f 9f 4d 51 58");

TEST_CASE("session §4.2 + §5.7: README echo loop, a Chromium request with frames pipelined behind it") {
    const samples::sample& chromium = samples::requests[0];
    CHECK_MESSAGE(std::string_view(chromium.name) == "chromium", "http_samples order changed");
    // The request, the §5.7 "Hello" and a close 1000 "bye", all in one buffer.
    std::string wire(chromium.bytes);
    wire += str(masked_hello);
    wire += str(test::wire<role::server>(opcode::close, view("\x03\xe8" "bye"), true, 0, {0x11, 0x22, 0x33, 0x44}));

    const std::vector<std::string> want_events{
        "request /chat origin=http://localhost:9001",
        "text Hello",
        "close 1000 bye",
        "closed code=1000 action=close_now",
    };
    const std::string want_output = response_101(chromium.key) + "\x81\x05Hello" + std::string("\x88\x05\x03\xe8" "bye");
    CHECK(response_101(chromium.key).find("Sec-WebSocket-Accept: vKO3hxRe4HwLy/a56bObPwwgkm0=\r\n") != std::string::npos);

    SUBCASE("whole: the request event consumes exactly the request, the frames stay for the connection") {
        server_session s;
        bytes buf(wire.begin(), wire.end());
        mutable_bytes in(buf);
        event ev = s.receive(in);
        CHECK(ev.type == event_type::request);
        CHECK(ev.consumed == chromium.bytes.size());
        CHECK(s.state() == session_state::handshake);
        CHECK(s.request().key == chromium.key);
        CHECK(s.request().host == "localhost:9001");
        CHECK(s.output().empty());
        // §4.2.2: until accept() (or respond()) the bytes behind the request wait.
        const event early = s.receive(in.subspan(ev.consumed));
        CHECK(early.type == event_type::answer_pending);
        CHECK(early.consumed == 0);
        CHECK(s.accept() == error::none);
        CHECK(s.state() == session_state::open);
        CHECK(s.timer() == timer_hint::none);
        CHECK(s.connection().state() == connection_state::open);
        // The 101 first, alone: a static head and the line with the key's answer.
        const output_buffers o = s.output();
        CHECK(o.count == 2);
        CHECK(str(o.parts[0]) + str(o.parts[1]) == response_101(chromium.key));
        in = in.subspan(ev.consumed);
        ev = s.receive(in);
        CHECK(ev.type == event_type::data);
        CHECK(ev.message == message_type::text);
        CHECK(ev.first);
        CHECK(ev.last);
        CHECK(str(ev.payload) == "Hello");
        CHECK(ev.consumed == masked_hello.size());
        // Zero-copy: the payload was unmasked where it lay in the caller's buffer.
        CHECK(ev.payload.data() == buf.data() + chromium.bytes.size() + 6);
    }

    SUBCASE("whole, byte by byte and split at every position: the same events and bytes") {
        for (const std::vector<std::size_t>& parts : test::splits(wire.size())) {
            CAPTURE(describe_parts(parts));
            const echo_result r = echo_server(wire, parts);
            CHECK_MESSAGE(r.problems.empty(), r.problems);
            CHECK(r.events == want_events);
            CHECK(r.request_end == chromium.bytes.size());
            CHECK(r.output == want_output);
            if (!(r.problems.empty() && r.events == want_events && r.output == want_output)) break;
        }
    }

    SUBCASE("every request sample, with a frame behind it, whole and byte by byte") {
        for (const samples::sample& sample : samples::requests) {
            CAPTURE(sample.name);
            std::string w(sample.bytes);
            w += str(masked_hello);
            for (const std::vector<std::size_t>& parts :
                 {std::vector<std::size_t>{w.size()}, std::vector<std::size_t>(w.size(), 1)}) {
                CAPTURE(describe_parts(parts));
                const echo_result r = echo_server(w, parts);
                CHECK_MESSAGE(r.problems.empty(), r.problems);
                CHECK(r.events.size() == 2);
                if (r.events.size() == 2) CHECK(r.events[1] == "text Hello");
                CHECK(r.request_end == sample.bytes.size());
                CHECK(r.output == response_101(sample.key) + "\x81\x05Hello");
            }
        }
    }
}

// ========================================= 2. client session ↔ server session

using test::planned;

bytes random_payload(rng& r, message_type type) {
    const std::size_t roll = r.below(100);
    const std::size_t n = roll < 40 ? r.below(16) : roll < 85 ? r.below(400) : roll < 98 ? r.below(5000) : r.between(60000, 70000);
    bytes out;
    out.reserve(n);
    if (type == message_type::binary) {
        for (std::size_t i = 0; i < n; ++i) out.push_back(r.byte());
        return out;
    }
    while (out.size() < n) {  // valid UTF-8: ASCII and U+00E9 / U+20AC / U+1F600
        const std::size_t room = n - out.size();
        const std::size_t w = std::min(room, r.between(1, 4));
        if (w == 1) test::append_utf8(out, static_cast<std::uint32_t>(0x20 + r.below(0x5F)));
        else if (w == 2) test::append_utf8(out, 0xE9);
        else if (w == 3) test::append_utf8(out, 0x20AC);
        else test::append_utf8(out, 0x1F600);
    }
    return out;
}

/// `count` messages; a fifth of them streamed in two halves (begin_message, send_part), the rest sent whole.
std::vector<planned> plan(rng& r, std::size_t count) {
    std::vector<planned> out(count);
    for (planned& m : out) {
        m.type = r.chance(50) ? message_type::text : message_type::binary;
        m.payload = random_payload(r, m.type);
        if (r.chance(20)) {
            m.how = planned::way::parts;
            m.parts = {m.payload.size() / 2, m.payload.size() - m.payload.size() / 2};
        }
    }
    return out;
}

/// The lines of an endpoint's `ends` (request, close, closed, failed, ...).
std::vector<std::string> lines_of(const std::vector<test::event_record>& ends) {
    std::vector<std::string> out;
    for (const test::event_record& e : ends) out.push_back(line(e));
    return out;
}

constexpr std::array<std::string_view, 2> chat_protocols{"chat", "superchat"};

request_options chat_request() {
    request_options o;
    o.host = "localhost";
    o.port = 9001;
    o.target = "/chat";
    o.origin = "http://localhost:9001";
    o.subprotocols = chat_protocols;
    return o;
}

/// The first `n` keys of seeded_key_source(seed), as bytes.
bytes seeded_bytes(std::uint64_t seed, std::size_t keys) {
    seeded_key_source k(seed);
    bytes out;
    for (std::size_t i = 0; i < keys; ++i) {
        const mask_key m = k();
        out.insert(out.end(), m.begin(), m.end());
    }
    return out;
}

enum class closer { client, server };

void run_pair(std::uint64_t seed, std::size_t count, closer who) {
    CAPTURE(seed);
    rng r(seed);
    const std::vector<planned> c_out = plan(r, count), s_out = plan(r, count);
    test::endpoint<seeded_client_session> c("client", chat_request(), session_options{}, seeded_key_source(seed));
    test::endpoint<server_session> s("server");
    c.outgoing = &c_out;
    c.incoming = &s_out;
    s.outgoing = &s_out;
    s.incoming = &c_out;
    const std::string welcome = "welcome";

    // §4.1: the request, built with the key drawn from the key source.
    CHECK(c.conn.state() == session_state::handshake);
    CHECK(c.conn.timer() == timer_hint::handshake);
    CHECK(c.conn.handshake().key() == base64(seeded_bytes(seed, 4)));
    CHECK(c.conn.send_text("too early") == error::not_open);
    CHECK_FALSE(c.conn.can_send());

    // The server accepts "chat" and queues a message at once: the 101 goes
    // out first, alone, then the frame (§4.2.2: frames only after the 101).
    bool answered = false;
    s.on_request = [&] {
        test::endpoint<server_session>& p = s;
        answered = true;
        CHECK(p.conn.request().target == "/chat");
        CHECK(p.conn.request().host == "localhost:9001");
        CHECK(p.conn.request().origin == "http://localhost:9001");
        CHECK(p.conn.request().key == c.conn.handshake().key());
        std::vector<std::string> offered;
        for (std::string_view x : p.conn.request().subprotocols()) offered.emplace_back(x);
        CHECK(offered == std::vector<std::string>{"chat", "superchat"});
        accept_options a;
        a.subprotocol = "chat";
        CHECK(p.conn.accept(a) == error::none);
        CHECK(p.conn.send_text(welcome) == error::none);
        const output_buffers o = p.conn.output();
        CHECK(o.count == 1);
        CHECK(str(o.parts[0]) == response_101(c.conn.handshake().key(), "Sec-WebSocket-Protocol: chat\r\n"));
        CHECK(p.conn.pending_output() == o.parts[0].size() + 2 + welcome.size());
    };
    // Client request → server, whole, and the server's answer → client, whole.
    s.inbox = [&] {
        const std::string req = drain_text(c.conn);
        CHECK(req.starts_with("GET /chat HTTP/1.1\r\nHost: localhost:9001\r\n"));
        return bytes(req.begin(), req.end());
    }();
    s.deliver(s.inbox.size());
    CHECK(answered);
    CHECK(s.conn.state() == session_state::open);
    const std::string answer = drain_text(s.conn);
    const std::string want_101 = response_101(c.conn.handshake().key(), "Sec-WebSocket-Protocol: chat\r\n");
    CHECK(answer == want_101 + "\x81\x07" + welcome);
    // The client reads the 101 and the frame behind it in one read.
    {
        bytes buf(answer.begin(), answer.end());
        mutable_bytes in(buf);
        event ev = c.conn.receive(in);
        CHECK(test::describe(ev, brief) == "open");
        CHECK(ev.consumed == want_101.size());
        CHECK(c.conn.state() == session_state::open);
        CHECK(c.conn.timer() == timer_hint::none);
        CHECK(c.conn.response().status == 101);
        CHECK(c.conn.response().subprotocol == "chat");
        ev = c.conn.receive(in.subspan(ev.consumed));
        CHECK(ev.type == event_type::data);
        CHECK(str(ev.payload) == welcome);
        CHECK(ev.consumed == 2 + welcome.size());
        CHECK(ev.last);
    }
    // The client's first frame is masked with the fifth key of its source
    // (the first four made the nonce, §4.1 item 7; §5.3).
    CHECK(c.conn.send_binary(view("ab")) == error::none);
    const std::string first = drain_text(c.conn);
    CHECK(first.size() == 8);
    if (first.size() == 8) {
        const bytes keys = seeded_bytes(seed, 5);
        CHECK(test::to_hex(view(first).first(6)) == test::to_hex(bytes{0x82, 0x82, keys[16], keys[17], keys[18], keys[19]}));
        CHECK(static_cast<std::uint8_t>(first[6] ^ keys[16]) == 'a');
        CHECK(static_cast<std::uint8_t>(first[7] ^ keys[17]) == 'b');
    }
    // The server reads it (no checking against the plan: it is not in it).
    {
        bytes buf(first.begin(), first.end());
        const event ev = s.conn.receive(buf);
        CHECK(ev.type == event_type::data);
        CHECK(str(ev.payload) == "ab");
    }

    // Thousands of messages both ways, in random reads and writes.
    CHECK(test::pump(c, s, r, 200 * count + 10000));
    CHECK_MESSAGE(c.problems.empty(), c.problems);
    CHECK_MESSAGE(s.problems.empty(), s.problems);
    CHECK(c.next_in == s_out.size());
    CHECK(s.next_in == c_out.size());
    CHECK(lines_of(s.ends) == std::vector<std::string>{"request"});
    CHECK(c.ends.empty());

    // The close (§7.1.2) from either side: each end sees the other's close
    // frame (or its echo, §5.5.1), then closed; the server closes TCP, the
    // client waits for that (§7.1.1).
    if (who == closer::client) {
        CHECK(c.conn.close(close_code::going_away, "tab closed") == error::none);
        CHECK(c.conn.timer() == timer_hint::close_handshake);
    } else {
        CHECK(s.conn.close(4001, "shutting down") == error::none);
        CHECK(s.conn.timer() == timer_hint::close_handshake);
    }
    CHECK(test::pump(c, s, r, 100000));
    CHECK_MESSAGE(c.problems.empty(), c.problems);
    CHECK_MESSAGE(s.problems.empty(), s.problems);
    if (who == closer::client) {
        CHECK(lines_of(s.ends) ==
              std::vector<std::string>{"request", "close 1001 tab closed", "closed code=1001 action=close_now"});
        CHECK(lines_of(c.ends) ==
              std::vector<std::string>{"close 1001 tab closed", "closed code=1001 action=wait_for_peer"});
    } else {
        CHECK(lines_of(s.ends) ==
              std::vector<std::string>{"request", "close 4001 shutting down", "closed code=4001 action=close_now"});
        CHECK(lines_of(c.ends) ==
              std::vector<std::string>{"close 4001 shutting down", "closed code=4001 action=wait_for_peer"});
    }
    CHECK(s.conn.state() == session_state::open);  // the session stays open; its connection is closed
    CHECK(s.conn.connection().state() == connection_state::closed);
    CHECK(c.conn.connection().state() == connection_state::closed);
    CHECK(s.conn.send_text("late") == error::not_open);
    CHECK(c.conn.ping() == error::not_open);
    CHECK(s.conn.timer() == timer_hint::none);
    CHECK(c.conn.timer() == timer_hint::tcp_close);
    // The server closes TCP; the client reads EOF: a normal end.
    const event eof = c.conn.receive_eof();
    CHECK(test::describe(eof, brief) ==
          "closed code=" + std::to_string(who == closer::client ? 1001 : 4001) + " action=close_now");
    CHECK(c.conn.timer() == timer_hint::none);
}

TEST_CASE("session §4-§7: client_session ↔ server_session, thousands of messages, then the client closes") {
    run_pair(71, 3000, closer::client);
}

TEST_CASE("session §4-§7: client_session ↔ server_session, thousands of messages, then the server closes") {
    run_pair(72, 3000, closer::server);
}

TEST_CASE("session §4.1 item 7: the client's Sec-WebSocket-Key comes from the key source") {
    const auto request_bytes = [](std::uint64_t seed) {
        seeded_client_session c(chat_request(), {}, seeded_key_source(seed));
        return drain_text(c);
    };
    const std::string a = request_bytes(5), b = request_bytes(5), other = request_bytes(6);
    CHECK(a == b);
    CHECK(a != other);
    const std::string key5 = base64(seeded_bytes(5, 4)), key6 = base64(seeded_bytes(6, 4));
    CHECK(key5.size() == 24);
    CHECK(key5 != key6);
    CHECK(a.find("\r\nSec-WebSocket-Key: " + key5 + "\r\n") != std::string::npos);
    CHECK(other.find("\r\nSec-WebSocket-Key: " + key6 + "\r\n") != std::string::npos);
    // The whole request, golden (§4.1 items 1-10, in the order the client writes them).
    CHECK(a == "GET /chat HTTP/1.1\r\n"
               "Host: localhost:9001\r\n"
               "Upgrade: websocket\r\n"
               "Connection: Upgrade\r\n"
               "Sec-WebSocket-Key: " +
                   key5 +
                   "\r\n"
                   "Sec-WebSocket-Version: 13\r\n"
                   "Origin: http://localhost:9001\r\n"
                   "Sec-WebSocket-Protocol: chat, superchat\r\n"
                   "\r\n");
    // The default client draws from the system: two sessions differ.
    client_session x(chat_request()), y(chat_request());
    CHECK(x.handshake().key() != y.handshake().key());
    CHECK(x.handshake().key().size() == 24);
}

TEST_CASE("session §4.1: the client reads the 101 and the frames behind it, split at every position") {
    // The server's answer and two frames pipelined behind it: "welcome" and a ping.
    seeded_client_session probe(chat_request(), {}, seeded_key_source(21));
    const std::string key(probe.handshake().key());
    const std::string answer = response_101(key, "Sec-WebSocket-Protocol: chat\r\n") + "\x81\x07welcome" + "\x89\x01!";
    const std::vector<std::string> want{"open", "text welcome", "ping !"};
    for (const std::vector<std::size_t>& parts : test::splits(answer.size())) {
        CAPTURE(describe_parts(parts));
        seeded_client_session c(chat_request(), {}, seeded_key_source(21));
        (void)drain_text(c);
        std::vector<std::string> events;
        std::string message, problems;
        std::size_t open_at = npos;
        bytes stream(answer.begin(), answer.end());
        const auto on_event = [&](const event& ev, mutable_bytes, std::size_t at) {
            if (ev.type == event_type::need_more || ev.type == event_type::ended) return;
            if (ev.type == event_type::open) {
                open_at = at + ev.consumed;
                if (c.response().subprotocol != "chat") problems += "subprotocol; ";
            }
            if (ev.type == event_type::data) {
                message += str(ev.payload);
                if (ev.last) events.push_back("text " + message);
            } else if (ev.type == event_type::ping) {
                events.push_back("ping " + str(ev.payload));
            } else {
                events.push_back(test::describe(ev, brief));
            }
        };
        const test::fault f =
            test::receive_parts(c, mutable_bytes(stream), parts, test::piece_buffer::copied, on_event);
        if (f != nullptr) problems += f;
        CHECK_MESSAGE(problems.empty(), problems);
        CHECK(events == want);
        CHECK(open_at == answer.find("\r\n\r\n") + 4);
        CHECK(c.state() == session_state::open);
        // The pong (masked, §5.3) is queued behind nothing else.
        const std::string pong = drain_text(c);
        CHECK(pong.size() == 2 + 4 + 1);
        if (pong.size() == 7) CHECK(test::to_hex(view(pong).first(2)) == "8a 81");
        if (events != want) break;
    }
}

// ====================================================== 3. plain HTTP

TEST_CASE("session: a plain HTTP request through the server session is answered and the session is done") {
    const std::string req = "GET /index.html HTTP/1.1\r\nHost: localhost:9001\r\nAccept: text/html\r\n\r\n";
    const std::string want = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 11\r\nConnection: close\r\n\r\n<h1>hi</h1>";
    for (const std::vector<std::size_t>& parts : test::splits(req.size())) {
        CAPTURE(describe_parts(parts));
        server_session s;
        std::vector<std::string> events;
        bytes stream(req.begin(), req.end());
        const auto on_event = [&](const event& ev, mutable_bytes, std::size_t at) {
            if (ev.type == event_type::need_more || ev.type == event_type::ended) return;
            events.push_back(test::describe(ev, brief));
            CHECK(at + ev.consumed == req.size());
            CHECK(s.request().target == "/index.html");
            CHECK(s.request().method == "GET");
            CHECK_FALSE(s.request().upgrade_websocket);
            CHECK(s.request().header("accept") == "text/html");
        };
        const test::fault f =
            test::receive_parts(s, mutable_bytes(stream), parts, test::piece_buffer::copied, on_event);
        CHECK_MESSAGE(f == nullptr, (f != nullptr ? f : ""));
        CHECK(events == std::vector<std::string>{"http_request"});
        CHECK(s.state() == session_state::handshake);
        CHECK(s.accept() == error::handshake_not_ready);  // not an upgrade request
        const http_header type{"Content-Type", "text/html"};
        CHECK(s.respond(200, std::span(&type, 1), "<h1>hi</h1>") == error::none);
        CHECK(s.state() == session_state::done);
        CHECK(s.timer() == timer_hint::none);
        CHECK(s.pending_output() == want.size());
        CHECK(drain_text(s) == want);
        CHECK(s.output().empty());
        // Whatever comes next is read and dropped.
        bytes more = test::b("GET /again HTTP/1.1\r\n\r\n");
        const event ev = s.receive(more);
        CHECK(ev.type == event_type::ended);
        CHECK(ev.consumed == more.size());
        CHECK(s.send_text("x") == error::not_open);
        CHECK(s.send_binary(view("x")) == error::not_open);
        CHECK(s.ping() == error::not_open);
        CHECK(s.close() == error::not_open);
        CHECK(s.begin_message(message_type::text) == error::not_open);
        CHECK_FALSE(s.can_send());
        CHECK(s.respond(200) == error::handshake_not_ready);
        CHECK(s.output().empty());
        CHECK(s.receive_timeout().type == event_type::need_more);
        const event eof = s.receive_eof();
        CHECK(eof.type == event_type::closed);
        CHECK(eof.err == error::none);
        CHECK(eof.action == tcp_action::close_now);
    }
}

TEST_CASE("session: a HEAD request is answered without the body, with its length") {
    server_session s;
    bytes req = test::b("HEAD / HTTP/1.1\r\nHost: a\r\n\r\n");
    CHECK(test::describe(s.receive(req), brief) == "http_request");
    CHECK(s.respond(404, {}, "not here") == error::none);
    CHECK(drain_text(s) == "HTTP/1.1 404 Not Found\r\nContent-Length: 8\r\nConnection: close\r\n\r\n");
}

TEST_CASE("session §4.2.2: an upgrade request turned down with respond() is not opened") {
    server_session s;
    std::string wire(samples::requests[0].bytes);
    wire += str(masked_hello);
    bytes buf(wire.begin(), wire.end());
    const event ev = s.receive(buf);
    CHECK(ev.type == event_type::request);
    const http_header h{"WWW-Authenticate", "Basic realm=\"chat\""};
    CHECK(s.respond(401, std::span(&h, 1)) == error::none);
    CHECK(s.state() == session_state::done);
    CHECK(drain_text(s) ==
          "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"chat\"\r\nContent-Length: 0\r\n"
          "Connection: close\r\n\r\n");
    // The frame behind the request is dropped, never delivered.
    const event rest = s.receive(mutable_bytes(buf).subspan(ev.consumed));
    CHECK(rest.type == event_type::ended);
    CHECK(rest.consumed == masked_hello.size());
    CHECK(s.accept() == error::handshake_not_ready);
}

// ====================================================== 4. rejections

struct rejection {
    const char* name;
    std::string request;
    error err;
    std::uint16_t status;
    std::string extra;  // header lines before Content-Type
};

/// The error response a server_session queues for `r`: status line, extra
/// headers, a plain-text body holding the error's message.
std::string error_response(const rejection& r, std::string_view reason) {
    const std::string body = std::string(error_message(r.err)) + "\n";
    return "HTTP/1.1 " + std::to_string(r.status) + " " + std::string(reason) + "\r\n" + r.extra +
           "Content-Type: text/plain; charset=utf-8\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\nConnection: " + (r.status == 426 ? "upgrade, " : "") + "close\r\n\r\n" + body;
}

TEST_CASE("session §4.2.1: a bad request fails with the status to answer, the error response queued") {
    const std::string ok_tail = "Host: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
    const std::vector<rejection> cases{
        {"version 8 (§4.2.2: 426 and the version we speak)", "GET / HTTP/1.1\r\n" + ok_tail + "Sec-WebSocket-Version: 8\r\n\r\n",
         error::handshake_bad_version, 426, "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"},
        {"no version", "GET / HTTP/1.1\r\n" + ok_tail + "\r\n", error::handshake_bad_version, 426,
         "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"},
        {"POST", "POST / HTTP/1.1\r\n" + ok_tail + "Sec-WebSocket-Version: 13\r\n\r\n", error::handshake_method_not_get,
         405, "Allow: GET\r\n"},
        {"bad key", "GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: abc\r\nSec-WebSocket-Version: 13\r\n\r\n",
         error::handshake_bad_key, 400, ""},
        {"no Host", "GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
         error::handshake_no_host, 400, ""},
        {"HTTP/1.0 upgrade", "GET / HTTP/1.0\r\n" + ok_tail + "Sec-WebSocket-Version: 13\r\n\r\n",
         error::handshake_http_too_old, 400, ""},
        // §4.2.1 item 3: a WebSocket request without Upgrade: websocket is not served as a page.
        {"key but no Upgrade", "GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
         error::handshake_no_upgrade_header, 400, ""},
        {"version with Upgrade: h2c", "GET / HTTP/1.1\r\nHost: a\r\nUpgrade: h2c\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n",
         error::handshake_no_upgrade_header, 400, ""},
        {"Connection: Upgrade, no Upgrade field", "GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\n\r\n",
         error::handshake_no_upgrade_header, 400, ""},
        {"HTTP/2.0 request line", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", error::http_version_not_supported, 505, ""},
        {"garbage request line", "\x16\x03\x01\x02\x01\x01\x03\x03\r\n\r\n", error::http_bad_request_line, 400, ""},
        {"LF only", "GET / HTTP/1.1\nHost: a\n\n", error::http_bad_line_ending, 400, ""},
        {"header over the limit (431)", "GET / HTTP/1.1\r\nHost: a\r\nCookie: " + std::string(9000, 'c') + "\r\n\r\n",
         error::http_headers_too_large, 431, ""},
    };
    const auto reason = [](std::uint16_t status) -> std::string_view {
        switch (status) {
            case 400: return "Bad Request";
            case 405: return "Method Not Allowed";
            case 426: return "Upgrade Required";
            case 431: return "Request Header Fields Too Large";
            case 505: return "HTTP Version Not Supported";
            default: return "?";
        }
    };
    for (const rejection& r : cases) {
        CAPTURE(r.name);
        const std::string want = error_response(r, reason(r.status));
        for (const bool byte_by_byte : {false, true}) {
            CAPTURE(byte_by_byte);
            server_session s;
            std::vector<std::string> events;
            bytes buf(r.request.begin(), r.request.end());
            const std::vector<std::size_t> parts =
                byte_by_byte ? std::vector<std::size_t>(buf.size(), 1) : std::vector<std::size_t>{buf.size()};
            const auto on_event = [&](const event& ev, mutable_bytes in, std::size_t) {
                if (ev.type != event_type::need_more && ev.type != event_type::ended)
                    events.push_back(test::describe(ev, brief));
                if (ev.type == event_type::failed) CHECK(ev.consumed <= in.size());
            };
            const test::fault f =
                test::receive_parts(s, mutable_bytes(buf), parts, test::piece_buffer::in_place, on_event);
            const bool dropped_ok = f == nullptr;  // need_more and ended consume what they are given
            const std::string line = std::string("failed err=") + error_name(r.err) + " code=" + std::to_string(r.status) +
                                     " action=linger";
            CHECK(events == std::vector<std::string>{line});
            CHECK(dropped_ok);
            CHECK(s.state() == session_state::done);
            CHECK(s.handshake().failure() == r.err);
            CHECK(drain_text(s) == want);
            // Lingering: the rest of the input is discarded until EOF or the
            // tcp_close timer, which then says close_now.
            CHECK(s.timer() == timer_hint::tcp_close);
            CHECK(s.timer_duration() == std::chrono::milliseconds(2000));  // timer_options::tcp_close_ms default
            bytes more = test::b("more bytes from the peer");
            const event rest = s.receive(more);
            CHECK(rest.type == event_type::ended);
            CHECK(rest.consumed == more.size());
            CHECK(test::describe(s.receive_timeout(), brief) == "closed action=close_now");
            CHECK(s.timer() == timer_hint::none);
            CHECK(s.receive_timeout().type == event_type::need_more);  // reported once
            CHECK(s.send_text("x") == error::not_open);
            CHECK(s.accept() == error::handshake_not_ready);
        }
    }
    // One of them in full, golden (§4.2.2: "|Sec-WebSocket-Version| header field ... indicating the version(s)").
    CHECK(error_response(cases[0], "Upgrade Required") ==
          "HTTP/1.1 426 Upgrade Required\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
          "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 33\r\nConnection: upgrade, close\r\n\r\n"
          "Sec-WebSocket-Version must be 13\n");
}

// ====================================================== 5. client refused

TEST_CASE("session §4.1: a client refused with 403 fails with handshake_not_101, the response readable") {
    seeded_client_session c(chat_request(), {}, seeded_key_source(11));
    server_session s;
    const std::string req = drain_text(c);
    bytes rbuf(req.begin(), req.end());
    CHECK(s.receive(rbuf).type == event_type::request);
    const std::array<http_header, 2> headers{{{"Content-Type", "text/plain"}, {"X-Reason", "origin"}}};
    CHECK(s.respond(403, headers, "forbidden origin\n") == error::none);
    CHECK(s.state() == session_state::done);
    const std::string answer = drain_text(s);
    CHECK(answer == "HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nX-Reason: origin\r\nContent-Length: 17\r\n"
                    "Connection: close\r\n\r\nforbidden origin\n");
    for (const bool byte_by_byte : {false, true}) {
        CAPTURE(byte_by_byte);
        seeded_client_session cc(chat_request(), {}, seeded_key_source(11));
        (void)drain_text(cc);
        bytes buf(answer.begin(), answer.end());  // response() views it
        std::vector<std::string> events;
        std::size_t header_end = npos;
        const std::vector<std::size_t> parts =
            byte_by_byte ? std::vector<std::size_t>(buf.size(), 1) : std::vector<std::size_t>{buf.size()};
        const auto on_event = [&](const event& ev, mutable_bytes, std::size_t at) {
            if (ev.type == event_type::need_more || ev.type == event_type::ended) return;
            events.push_back(test::describe(ev, brief));
            header_end = at + ev.consumed;
        };
        const test::fault f =
            test::receive_parts(cc, mutable_bytes(buf), parts, test::piece_buffer::in_place, on_event);
        CHECK_MESSAGE(f == nullptr, (f != nullptr ? f : ""));
        CHECK(events == std::vector<std::string>{"failed err=handshake_not_101 code=403 action=linger"});
        CHECK(header_end == answer.find("\r\n\r\n") + 4);
        CHECK(cc.state() == session_state::done);
        CHECK(cc.handshake().failure() == error::handshake_not_101);
        CHECK(cc.response().status == 403);
        CHECK(cc.response().reason == "Forbidden");
        CHECK(cc.response().header("x-reason") == "origin");
        CHECK(cc.response().content_length == 17u);
        // The body as far as it came with the headers: whole in one read, none byte by byte.
        CHECK(cc.response().body == (byte_by_byte ? "" : "forbidden origin\n"));
        CHECK(cc.send_text("x") == error::not_open);
        CHECK(cc.timer() == timer_hint::tcp_close);  // lingering until the server closes TCP
        CHECK(cc.output().empty());
    }
}

// ====================================================== 6. before the handshake

TEST_CASE("session: before the handshake nothing can be sent; the handshake timer; EOF") {
    SUBCASE("server: timeout") {
        server_session s;
        CHECK(s.state() == session_state::handshake);
        CHECK(s.send_text("x") == error::not_open);
        CHECK(s.send_binary(view("x")) == error::not_open);
        CHECK(s.ping() == error::not_open);
        CHECK(s.close(close_code::normal) == error::not_open);
        CHECK_FALSE(s.can_send());
        CHECK_FALSE(s.can_send_part());
        CHECK(s.output().empty());
        CHECK(s.pending_output() == 0);
        CHECK(s.timer() == timer_hint::handshake);
        bytes part = test::b("GET /chat HTTP/1.1\r\nHost: a\r\n");
        const event ev = s.receive(part);
        CHECK(ev.type == event_type::need_more);
        CHECK(ev.consumed == part.size());
        CHECK(s.timer() == timer_hint::handshake);
        const event t = s.receive_timeout();
        CHECK(test::describe(t, brief) == "closed err=handshake_timeout code=1006 action=close_now");
        CHECK(s.state() == session_state::done);
        CHECK(s.timer() == timer_hint::none);
        CHECK(s.output().empty());
        CHECK(s.receive_timeout().type == event_type::need_more);  // reported once
    }
    SUBCASE("server: EOF in the middle of the request") {
        server_session s;
        bytes part = test::b("GET /chat HTTP/1.1\r\nHo");
        CHECK(s.receive(part).type == event_type::need_more);
        CHECK(test::describe(s.receive_eof(), brief) == "closed err=connection_lost code=1006 action=close_now");
        CHECK(s.state() == session_state::done);
        CHECK(s.timer() == timer_hint::none);
    }
    SUBCASE("server: EOF before any byte") {
        server_session s;
        CHECK(test::describe(s.receive_eof(), brief) == "closed err=connection_lost code=1006 action=close_now");
    }
    SUBCASE("client: timeout, with the request still queued") {
        seeded_client_session c(chat_request(), {}, seeded_key_source(1));
        CHECK(c.send_text("x") == error::not_open);
        CHECK(c.timer() == timer_hint::handshake);
        CHECK(c.pending_output() > 0);
        CHECK(test::describe(c.receive_timeout(), brief) == "closed err=handshake_timeout code=1006 action=close_now");
        CHECK(c.state() == session_state::done);
    }
    SUBCASE("client: EOF before the response") {
        seeded_client_session c(chat_request(), {}, seeded_key_source(1));
        (void)drain_text(c);
        bytes part = test::b("HTTP/1.1 101 Switching");
        CHECK(c.receive(part).type == event_type::need_more);
        CHECK(test::describe(c.receive_eof(), brief) == "closed err=connection_lost code=1006 action=close_now");
        CHECK(c.state() == session_state::done);
    }
    SUBCASE("client: invalid request options start done, with nothing to write") {
        request_options o = chat_request();
        o.host = "bad host";
        seeded_client_session c(o, {}, seeded_key_source(1));
        CHECK(c.state() == session_state::done);
        CHECK(c.handshake().failure() == error::invalid_http_input);
        CHECK(c.output().empty());
        CHECK(c.timer() == timer_hint::none);
    }
}

// ====================================================== 7. allocations

/// Receives `stream` in pieces of `piece`, writing the output into `sink`
/// after every event; counts messages and the other events (need_more and
/// ended aside). Allocates nothing of its own.
template <class S>
test::fault receive_into(S& s, mutable_bytes stream, std::size_t piece, test::fixed_sink& sink, std::size_t& messages,
                         std::size_t& other) {
    test::fault drained = nullptr;
    for (std::size_t at = 0; at < stream.size(); at += piece) {
        const auto on_event = [&](const event& ev, mutable_bytes, std::size_t) {
            if (ev.type == event_type::data && ev.last) ++messages;
            else if (ev.type != event_type::data && ev.type != event_type::need_more && ev.type != event_type::ended)
                ++other;
            if (const test::fault d = test::drain_to(s, sink); d != nullptr) drained = d;
        };
        const test::fault f = test::receive_all(s, stream.subspan(at, std::min(piece, stream.size() - at)), on_event);
        if (f != nullptr) return f;
    }
    return drained;
}

TEST_CASE("session alloc (invariant 2): after the handshake, receive and send allocate nothing") {
    const samples::sample& chromium = samples::requests[0];
    // A client stream: 300 messages of every size class, pings, a close.
    bytes stream;
    {
        connection<role::client, seeded_key_source> enc(connection_options{}, seeded_key_source(3));
        rng r(3);
        std::vector<bytes> payloads;  // alive until written
        for (std::size_t i = 0; i < 300; ++i) {
            payloads.push_back(random_payload(r, i % 2 ? message_type::text : message_type::binary));
            CHECK(enc.send(i % 2 ? message_type::text : message_type::binary, bytes_view(payloads.back())) == error::none);
            if (i % 50 == 0) CHECK(enc.ping(view("are you there")) == error::none);
            test::append(stream, test::drain(enc));
        }
        CHECK(enc.close(close_code::normal) == error::none);
        test::append(stream, test::drain(enc));
    }
    bytes request(chromium.bytes.begin(), chromium.bytes.end());
    bytes work(stream.size());
    bytes sink(stream.size() + 4096);
    const bytes payload(70000, 0x5A);
    constexpr std::array<std::size_t, 4> pieces{0, 1, 7, 1000};

    SUBCASE("server: a whole request costs no allocation (the 101 fits in the handshake); then none") {
        std::array<std::size_t, pieces.size()> handshake_allocs{}, after{}, messages{}, other{}, written{};
        std::array<error, pieces.size()> accepted{};
        std::array<test::fault, pieces.size()> faults{};
        for (std::size_t i = 0; i < pieces.size(); ++i) {
            server_session s;
            bytes req = request;
            test::alloc_count_start();
            const event ev = s.receive(req);
            accepted[i] = ev.type == event_type::request ? s.accept() : error::handshake_not_ready;
            handshake_allocs[i] = test::alloc_count_stop();
            test::fixed_sink out{mutable_bytes(sink)};
            faults[i] = test::drain_to(s, out);  // the 101
            std::memcpy(work.data(), stream.data(), stream.size());
            test::alloc_count_start();
            if (faults[i] == nullptr)
                faults[i] = receive_into(s, mutable_bytes(work), pieces[i] == 0 ? work.size() : pieces[i], out,
                                         messages[i], other[i]);
            after[i] = test::alloc_count_stop();
            written[i] = out.used;
        }
        for (std::size_t i = 0; i < pieces.size(); ++i) {
            CAPTURE(pieces[i]);
            CHECK(accepted[i] == error::none);
            CHECK(faults[i] == nullptr);
            CHECK(handshake_allocs[i] == 0);
            CHECK(after[i] == 0);
            CHECK(messages[i] == 300);
            CHECK(other[i] == 8);  // 6 pings, close, closed
            CHECK(written[i] == written[0]);
        }
        MESSAGE("allocations of a server handshake (whole request, accept): " << handshake_allocs[0]);

        // The server's send path: messages, parts, control frames, output()/consume() and copy_output().
        server_session s;
        bytes req = request;
        (void)s.receive(req);
        CHECK(s.accept() == error::none);
        (void)drain_text(s);
        std::size_t w = 0;
        error first = error::none;
        test::fault fault = nullptr;
        const auto note = [&](error e) {
            if (first == error::none) first = e;
        };
        const auto write = [&](const test::drain_plan& plan) {
            const test::fault f = test::drain_to(s, [&](bytes_view b) { w += b.size(); }, plan);
            if (f != nullptr) fault = f;
        };
        test::alloc_count_start();
        for (std::size_t round = 0; round < 20; ++round) {
            note(s.send_binary(bytes_view(payload).first(round * 3000)));
            write({.how = test::take::spans, .piece = 777});  // partial writes
            note(s.ping(bytes_view(payload).first(round)));
            note(s.begin_message(message_type::text));
            note(s.send_part(bytes_view(payload).first(100), false));
            write({.piece = 333});
            note(s.send_part(bytes_view(payload).first(10), true));
            write({.piece = 333});
        }
        note(s.close(close_code::going_away, "bye"));
        write({.piece = 333});
        const std::size_t sends = test::alloc_count_stop();
        CHECK(first == error::none);
        CHECK(fault == nullptr);
        CHECK(sends == 0);
        CHECK(w > 20 * 3000);

        // For the record: a request that arrives in pieces is gathered in a buffer.
        server_session pieces_s;
        bytes req2 = request;
        test::alloc_count_start();
        test::fault piece_fault = nullptr;
        for (std::size_t at = 0; at < req2.size() && piece_fault == nullptr; ++at)
            piece_fault = test::receive_all(pieces_s, mutable_bytes(req2).subspan(at, 1), [](const auto&...) {});
        const error e = pieces_s.accept();
        const std::size_t byte_allocs = test::alloc_count_stop();
        CHECK(e == error::none);
        CHECK(piece_fault == nullptr);
        CHECK(byte_allocs == 1);  // the gathering buffer; the 101 still fits in the object
        MESSAGE("allocations of a server handshake (request byte by byte, accept): " << byte_allocs);

        // A 101 too long for the object (extra headers) takes one allocation, and says what it should.
        server_session big;
        bytes req3 = request;
        const std::string cookie(300, 'c');
        const http_header extra[] = {{"Set-Cookie", cookie}};
        accept_options ao;
        ao.headers = extra;
        REQUIRE(big.receive(req3).type == event_type::request);
        const std::string key(big.request().key);
        test::alloc_count_start();
        const error be = big.accept(ao);
        const std::size_t big_allocs = test::alloc_count_stop();
        CHECK(be == error::none);
        CHECK(big_allocs == 1);
        CHECK(big.request().key.empty());  // answered: the request is no longer there to read
        const std::array<char, 28> a = compute_accept(key);
        CHECK(drain_text(big) == "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
                                std::string(a.data(), a.size()) + "\r\nSet-Cookie: " + cookie + "\r\n\r\n");
    }

    SUBCASE("client: the request is built once; after the 101, receive and send allocate nothing") {
        test::alloc_count_start();
        seeded_client_session c(chat_request(), {}, seeded_key_source(8));
        const std::size_t build = test::alloc_count_stop();
        CHECK(build <= 1);
        MESSAGE("allocations of a client handshake (request built): " << build);
        const std::string req = drain_text(c);
        server_session s;
        bytes rb(req.begin(), req.end());
        (void)s.receive(rb);
        CHECK(s.accept() == error::none);
        const std::string answer = drain_text(s);
        bytes ab(answer.begin(), answer.end());
        // A server stream for the client to read.
        bytes sstream;
        {
            server_connection enc;
            for (std::size_t i = 0; i < 200; ++i) {
                CHECK(enc.send_binary(bytes_view(payload).first(i * 37)) == error::none);
                test::append(sstream, test::drain(enc));
            }
        }
        test::alloc_count_start();
        const event open = c.receive(ab);
        const std::size_t on_101 = test::alloc_count_stop();
        CHECK(open.type == event_type::open);
        CHECK(on_101 == 0);
        std::size_t messages = 0, other = 0;
        test::fixed_sink out{mutable_bytes(sink)};
        bytes work2 = sstream;
        bytes scratch = payload;
        test::alloc_count_start();
        test::fault fault = receive_into(c, mutable_bytes(work2), 5, out, messages, other);
        error first = error::none;
        for (std::size_t i = 0; i < 50; ++i) {
            const error e = i % 2 ? c.send_in_place(message_type::binary, mutable_bytes(scratch).first(i * 100))
                                  : c.send_binary(bytes_view(payload).first(i * 100));
            if (first == error::none) first = e;
            out.used = 0;
            if (const test::fault f = test::drain_to(c, out, {.piece = 500}); f != nullptr) fault = f;
        }
        const std::size_t counted = test::alloc_count_stop();
        CHECK(counted == 0);
        CHECK(fault == nullptr);
        CHECK(first == error::none);
        CHECK(messages == 200);
        CHECK(other == 0);
    }
}

}  // namespace
