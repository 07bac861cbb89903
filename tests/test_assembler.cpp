// SPDX-License-Identifier: MIT
// tests/test_assembler.cpp — whole-message delivery on top of the streaming
// connection (wscodec/assembler.hpp): messages collected from data events cut
// anywhere, the buffer's size as the limit, non-data events passed over, reset().
#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>
#include <wscodec/assembler.hpp>
#include <wscodec/connection.hpp>

#include "helpers.hpp"

namespace {

using namespace wscodec;
using test::bytes;
using test::hex;
using test::lines;
using test::wire;

using status = message_assembler::progress;

bytes str(std::string_view s) { return test::b(s); }

std::string hx(std::span<const std::uint8_t> s) { return test::to_hex(s); }

const char* status_name(status s) {
    switch (s) {
        case status::partial: return "partial";
        case status::complete: return "complete";
        case status::too_big: return "too_big";
        case status::ignored: return "ignored";
    }
    return "?";
}

/// A data event by hand; `payload` must outlive it.
event data_event(message_type type, bytes& payload, bool first, bool last) {
    event ev;
    ev.type = event_type::data;
    ev.message = type;
    ev.first = first;
    ev.last = last;
    ev.payload = mutable_bytes(payload);
    return ev;
}

/// What the assembler makes of `in` fed to a client connection in pieces of
/// `chunk` bytes: one line per non-partial result ("complete text [..]",
/// "too_big", "ignored ping", ...). Checks that complete messages view `storage`.
std::vector<std::string> run(const bytes& in, std::size_t chunk, mutable_bytes storage) {
    client_connection c;
    message_assembler a(storage);
    std::vector<std::string> out;
    std::vector<std::size_t> parts;
    for (std::size_t at = 0; at < in.size(); at += chunk) parts.push_back(std::min(chunk, in.size() - at));
    bytes stream = in;
    const auto on_event = [&](const event& ev, mutable_bytes, std::size_t) {
        const message_assembler::result r = a.add(ev);
        if (ev.type != event_type::data) CHECK(r.status == status::ignored);
        if (r.status == status::complete) {
            CHECK(r.message.data() == storage.data());
            out.push_back(std::string("complete ") + (r.type == message_type::text ? "text" : "binary") + " [" +
                          hx(r.message) + "]");
        } else if (r.status == status::too_big) {
            out.push_back(std::string("too_big ") + (r.type == message_type::text ? "text" : "binary"));
        } else if (r.status == status::ignored && ev.type != event_type::need_more) {
            out.push_back("ignored");
        }
    };
    const test::fault f = test::receive_parts(c, mutable_bytes(stream), parts, test::piece_buffer::guarded, on_event);
    CHECK_MESSAGE(f == nullptr, (f != nullptr ? f : ""));
    return out;
}

}  // namespace

TEST_CASE("message_assembler: whole messages from fragmented data events, cut anywhere") {
    const bytes stream = [] {
        bytes s;
        auto add = [&s](const bytes& f) { s.insert(s.end(), f.begin(), f.end()); };
        add(wire<role::client>(opcode::text, str("Hel"), false));
        add(wire<role::client>(opcode::ping, str("p")));
        add(wire<role::client>(opcode::continuation, str("lo, "), false));
        add(wire<role::client>(opcode::continuation, {}, false));
        add(wire<role::client>(opcode::continuation, str("world"), true));
        add(wire<role::client>(opcode::binary, hex("00 01 02 ff"), true));
        add(wire<role::client>(opcode::text, {}, true));
        add(wire<role::client>(opcode::binary, str("ab"), false));
        add(wire<role::client>(opcode::continuation, str("c"), true));
        return s;
    }();
    const std::vector<std::string> expected{
        "ignored",  // the ping
        "complete text [" + hx(str("Hello, world")) + "]",
        "complete binary [00 01 02 ff]",
        "complete text []",
        "complete binary [" + hx(str("abc")) + "]",
    };
    for (std::size_t chunk = 1; chunk <= stream.size(); ++chunk) {
        CAPTURE(chunk);
        bytes storage(64);
        CHECK(lines(run(stream, chunk, storage)) == lines(expected));
    }
}

TEST_CASE("message_assembler: partial results and size() while a message arrives") {
    bytes storage(16);
    message_assembler a(storage);
    CHECK(a.size() == 0u);
    bytes p1 = str("abc"), p2 = str("de"), p3 = str("f");
    message_assembler::result r = a.add(data_event(message_type::text, p1, true, false));
    CHECK(status_name(r.status) == std::string("partial"));
    CHECK(r.type == message_type::text);
    CHECK(r.message.empty());
    CHECK(a.size() == 3u);
    r = a.add(data_event(message_type::text, p2, false, false));
    CHECK(r.status == status::partial);
    CHECK(a.size() == 5u);
    r = a.add(data_event(message_type::text, p3, false, true));
    CHECK(status_name(r.status) == std::string("complete"));
    CHECK(r.type == message_type::text);
    CHECK(hx(r.message) == hx(str("abcdef")));
    CHECK(r.message.data() == storage.data());
    // The next message starts over.
    bytes q = str("xy");
    r = a.add(data_event(message_type::binary, q, true, true));
    CHECK(r.status == status::complete);
    CHECK(r.type == message_type::binary);
    CHECK(hx(r.message) == hx(str("xy")));
}

TEST_CASE("message_assembler: too_big when the buffer is too small, and the rest of that message is skipped") {
    // Exactly the buffer's size fits.
    {
        bytes storage(6);
        message_assembler a(storage);
        bytes p1 = str("abc"), p2 = str("def");
        CHECK(a.add(data_event(message_type::binary, p1, true, false)).status == status::partial);
        const message_assembler::result r = a.add(data_event(message_type::binary, p2, false, true));
        CHECK(r.status == status::complete);
        CHECK(hx(r.message) == hx(str("abcdef")));
    }
    // One byte more does not; the rest of the message is skipped without touching the buffer.
    {
        bytes storage(6, 0xEE);
        message_assembler a(storage);
        bytes p1 = str("abcd"), p2 = str("efg"), p3 = str("hij"), p4 = str("k");
        CHECK(a.add(data_event(message_type::text, p1, true, false)).status == status::partial);
        const message_assembler::result over = a.add(data_event(message_type::text, p2, false, false));
        CHECK(status_name(over.status) == std::string("too_big"));
        CHECK(over.type == message_type::text);
        CHECK(over.message.empty());
        const bytes snapshot = storage;
        const message_assembler::result mid = a.add(data_event(message_type::text, p3, false, false));
        CHECK(mid.status != status::complete);
        CHECK(mid.message.empty());
        const message_assembler::result end = a.add(data_event(message_type::text, p4, false, true));
        CHECK(end.status != status::complete);
        CHECK(end.message.empty());
        CHECK(hx(storage) == hx(snapshot));
        // The next message is collected normally.
        bytes ok = str("ok");
        const message_assembler::result next = a.add(data_event(message_type::binary, ok, true, true));
        CHECK(next.status == status::complete);
        CHECK(next.type == message_type::binary);
        CHECK(hx(next.message) == hx(str("ok")));
    }
    // Too big in its first (and only) piece.
    {
        bytes storage(2);
        message_assembler a(storage);
        bytes p = str("abc");
        CHECK(a.add(data_event(message_type::binary, p, true, true)).status == status::too_big);
        bytes q = str("ab");
        CHECK(a.add(data_event(message_type::binary, q, true, true)).status == status::complete);
    }
    // Through a connection: a message over the buffer between two that fit.
    {
        bytes stream;
        for (const bytes& f :
             {wire<role::client>(opcode::text, str("fits")), wire<role::client>(opcode::binary, bytes(5, 1), false),
              wire<role::client>(opcode::continuation, bytes(5, 2), false), wire<role::client>(opcode::ping, {}),
              wire<role::client>(opcode::continuation, bytes(5, 3), true),
              wire<role::client>(opcode::text, str("again"))})
            stream.insert(stream.end(), f.begin(), f.end());
        for (std::size_t chunk : {std::size_t{1}, std::size_t{3}, stream.size()}) {
            CAPTURE(chunk);
            bytes storage(8);
            const std::vector<std::string> got = run(stream, chunk, storage);
            CHECK(!got.empty());
            if (got.empty()) continue;
            CHECK(got.front() == "complete text [" + hx(str("fits")) + "]");
            CHECK(got.back() == "complete text [" + hx(str("again")) + "]");
            std::size_t too_big = 0, complete = 0;
            for (const std::string& l : got) {
                too_big += l.rfind("too_big", 0) == 0 ? 1u : 0u;
                complete += l.rfind("complete", 0) == 0 ? 1u : 0u;
            }
            CHECK(too_big >= 1u);
            CHECK(complete == 2u);
        }
    }
}

TEST_CASE("message_assembler: non-data events are ignored and do not disturb a message") {
    bytes storage(16);
    message_assembler a(storage);
    bytes p1 = str("ab"), p2 = str("cd");
    CHECK(a.add(data_event(message_type::text, p1, true, false)).status == status::partial);
    for (event_type t : {event_type::need_more, event_type::ping, event_type::pong, event_type::close,
                         event_type::failed, event_type::closed}) {
        CAPTURE(static_cast<int>(t));
        event ev;
        ev.type = t;
        ev.payload = mutable_bytes(p2);
        const message_assembler::result r = a.add(ev);
        CHECK(status_name(r.status) == std::string("ignored"));
        CHECK(r.message.empty());
        CHECK(a.size() == 2u);
    }
    const message_assembler::result r = a.add(data_event(message_type::text, p2, false, true));
    CHECK(r.status == status::complete);
    CHECK(hx(r.message) == hx(str("abcd")));
}

TEST_CASE("message_assembler: empty messages") {
    // Nothing to store: a zero-sized buffer still takes empty messages.
    message_assembler a{mutable_bytes{}};
    bytes none;
    const message_assembler::result r = a.add(data_event(message_type::text, none, true, true));
    CHECK(r.status == status::complete);
    CHECK(r.type == message_type::text);
    CHECK(r.message.empty());
    // ... but not one byte.
    bytes one = str("x");
    CHECK(a.add(data_event(message_type::binary, one, true, true)).status == status::too_big);
    // Empty pieces of a message.
    CHECK(a.add(data_event(message_type::binary, none, true, false)).status == status::partial);
    CHECK(a.add(data_event(message_type::binary, none, false, true)).status == status::complete);
}

TEST_CASE("message_assembler: reset() forgets a partly collected message") {
    bytes storage(8);
    message_assembler a(storage);
    bytes p = str("abcd");
    CHECK(a.add(data_event(message_type::text, p, true, false)).status == status::partial);
    CHECK(a.size() == 4u);
    a.reset();
    CHECK(a.size() == 0u);
    bytes q = str("12345678");
    const message_assembler::result r = a.add(data_event(message_type::binary, q, true, true));
    CHECK(r.status == status::complete);  // the whole buffer is free again
    CHECK(r.type == message_type::binary);
    CHECK(hx(r.message) == hx(str("12345678")));
    // reset() after too_big: the next message is collected.
    bytes big = str("123456789");
    CHECK(a.add(data_event(message_type::text, big, true, false)).status == status::too_big);
    a.reset();
    CHECK(a.size() == 0u);
    bytes s = str("s");
    const message_assembler::result r2 = a.add(data_event(message_type::text, s, true, true));
    CHECK(r2.status == status::complete);
    CHECK(hx(r2.message) == hx(str("s")));
}
