// SPDX-License-Identifier: MIT
// tests/test_connection_properties.cpp — properties of wscodec/connection.hpp
// over whole random sessions (test_connection.cpp has its RFC 6455 cases).
//
// Split invariance (DESIGN invariant 1, RFC 6455 §5-§7): random sessions that
// one role encodes are received by the other role whole, byte by byte and in
// random splits, and every partition must give the same events (data compared
// per message) and the same output bytes; likewise for streams with one
// corrupted byte, which must all fail the same way (§7.1.7). Then a client and
// a server wired to each other in memory (test::endpoint) exchange thousands
// of messages and close (§7.1.2) from either side or both at once.
//
// Every random loop runs from a fixed seed, CAPTUREd so a failure names it.
// Checks inside hot loops are collected into a `problems` string and checked
// once, so a byte-by-byte run does not cost a doctest assertion per byte.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <vector>
#include <wscodec/connection.hpp>

#include "helpers.hpp"

namespace {

using namespace wscodec;
using test::bytes;
using test::event_record;

constexpr std::size_t npos = static_cast<std::size_t>(-1);

// ------------------------------------------------------------ random inputs

using test::random_bytes;
using test::random_utf8;
using test::rng;

/// A message size: mostly small, with the length-encoding edges (125/126,
/// 65535/65536) and, when `big`, sometimes up to 70000 bytes.
std::size_t random_size(rng& r, bool big, unsigned big_percent = 5) {
    static constexpr std::array<std::size_t, 14> edges{0, 1, 2, 3, 4, 5, 124, 125, 126, 127, 65535, 65536, 65537, 70000};
    const std::size_t roll = r.below(100);
    if (roll < 8) {
        const std::size_t e = edges[r.below(edges.size())];
        return big || e < 1000 ? e : e % 1000;
    }
    if (roll < 40) return r.below(16);
    if (roll < 75) return r.below(300);
    if (!big || roll < 100 - big_percent) return r.below(5000);
    return r.between(5000, 70000);
}

/// A sendable close code (§7.4.1, §7.4.2) other than 1005.
std::uint16_t random_close_code(rng& r) {
    static constexpr std::array<std::uint16_t, 11> registered{1000, 1001, 1002, 1003, 1007, 1008,
                                                              1009, 1010, 1011, 1012, 1014};
    if (r.chance(60)) return registered[r.below(registered.size())];
    return static_cast<std::uint16_t>(r.between(3000, 4999));
}

std::string_view as_text(const bytes& b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

// ------------------------------------------------------------ event records

// Events are compared as test::event_record, a message's pieces joined into one
// record where it starts (test::join::messages): a message a failure cut short
// is a data record without `last`.

/// One line for an event, its payload cut at 12 bytes.
std::string line(const event_record& e) { return test::describe(e, test::verbosity::full, 12); }

/// Empty if equal, else where the two event lists first differ.
std::string diff(const std::vector<event_record>& want, const std::vector<event_record>& got) {
    const std::size_t n = std::min(want.size(), got.size());
    for (std::size_t i = 0; i < n; ++i) {
        if (want[i] == got[i]) continue;
        std::string s = "event " + std::to_string(i) + ": expected " + line(want[i]) + ", got " + line(got[i]);
        if (want[i].payload != got[i].payload && want[i].payload.size() == got[i].payload.size()) {
            std::size_t k = 0;
            while (want[i].payload[k] == got[i].payload[k]) ++k;
            s += " (payloads differ at byte " + std::to_string(k) + ")";
        }
        return s;
    }
    if (want.size() == got.size()) return {};
    return "expected " + std::to_string(want.size()) + " events, got " + std::to_string(got.size()) + "; next: " +
           line(want.size() > n ? want[n] : got[n]);
}

/// Empty if equal, else the first differing offset.
std::string diff_bytes(const bytes& want, const bytes& got) {
    if (want == got) return {};
    std::size_t k = 0;
    while (k < want.size() && k < got.size() && want[k] == got[k]) ++k;
    return "expected " + std::to_string(want.size()) + " bytes, got " + std::to_string(got.size()) +
           "; first difference at offset " + std::to_string(k);
}

// ------------------------------------------------------- reference decoder

/// A frame as written on the wire, read by this file's own decoder.
struct wire_frame {
    std::size_t offset = 0;          // first header byte
    std::size_t payload_offset = 0;  // first payload byte
    std::size_t length = 0;
    bool fin = false;
    bool masked = false;
    std::uint8_t rsv = 0;
    std::uint8_t op = 0;
    mask_key key{};
    bytes payload;  // unmasked
};

/// Frames at the start of `s` up to and including the first close frame
/// (what follows a close is never read). `rest` is set to the offset after
/// the last whole frame.
std::vector<wire_frame> parse_wire(const bytes& s, std::size_t* rest = nullptr) {
    std::vector<wire_frame> out;
    std::size_t p = 0;
    for (;;) {
        if (s.size() - p < 2) break;
        wire_frame f;
        f.offset = p;
        f.fin = (s[p] & 0x80) != 0;
        f.rsv = static_cast<std::uint8_t>((s[p] >> 4) & 7);
        f.op = static_cast<std::uint8_t>(s[p] & 0x0F);
        f.masked = (s[p + 1] & 0x80) != 0;
        std::uint64_t len = s[p + 1] & 0x7Fu;
        std::size_t q = p + 2;
        const std::size_t ext = len == 126 ? 2 : len == 127 ? 8 : 0;
        if (s.size() - q < ext + (f.masked ? 4 : 0)) break;
        if (ext != 0) {
            len = 0;
            for (std::size_t i = 0; i < ext; ++i) len = (len << 8) | s[q + i];
            q += ext;
        }
        if (f.masked) {
            for (std::size_t i = 0; i < 4; ++i) f.key[i] = s[q + i];
            q += 4;
        }
        if (s.size() - q < len) break;
        f.payload_offset = q;
        f.length = static_cast<std::size_t>(len);
        f.payload.assign(s.begin() + static_cast<std::ptrdiff_t>(q), s.begin() + static_cast<std::ptrdiff_t>(q + len));
        if (f.masked)
            for (std::size_t i = 0; i < f.length; ++i) f.payload[i] = static_cast<std::uint8_t>(f.payload[i] ^ f.key[i % 4]);
        p = q + f.length;
        const bool close = f.op == 0x8;
        out.push_back(std::move(f));
        if (close) break;
    }
    if (rest) *rest = p;
    return out;
}

tcp_action closed_action(role receiver) {
    return receiver == role::server ? tcp_action::close_now : tcp_action::wait_for_peer;
}

/// The events a receiver in role `receiver` must report for `frames`, each
/// message whole where it starts (test::join::messages); a message the frames
/// leave open is not listed.
std::vector<event_record> expected_events(const std::vector<wire_frame>& frames, role receiver) {
    std::vector<event_record> out;
    std::size_t msg = npos;  // the open message's record
    for (const wire_frame& f : frames) {
        if (f.op <= 0x2) {
            if (f.op != 0) {
                event_record m;
                m.type = event_type::data;
                m.message = static_cast<message_type>(f.op);
                m.first = true;
                msg = out.size();
                out.push_back(std::move(m));
            }
            out[msg].payload.insert(out[msg].payload.end(), f.payload.begin(), f.payload.end());
            out[msg].last = f.fin;
            if (f.fin) msg = npos;
        } else if (f.op == 0x9 || f.op == 0xA) {
            event_record c;
            c.type = f.op == 0x9 ? event_type::ping : event_type::pong;
            c.payload = f.payload;
            out.push_back(c);
        } else if (f.op == 0x8) {
            event_record c;
            c.type = event_type::close;
            c.code = f.payload.size() >= 2 ? static_cast<std::uint16_t>((f.payload[0] << 8) | f.payload[1]) : 1005;
            if (f.payload.size() > 2) c.payload.assign(f.payload.begin() + 2, f.payload.end());
            out.push_back(c);
            event_record d;
            d.type = event_type::closed;
            d.code = c.code;
            d.action = closed_action(receiver);
            out.push_back(d);
        }
    }
    if (msg != npos) out.erase(out.begin() + static_cast<std::ptrdiff_t>(msg));
    return out;
}

/// The control frames a receiver must write for `events`: a pong per ping
/// and the echo of a close (its code only; empty for an empty close).
std::vector<event_record> expected_replies(const std::vector<event_record>& events) {
    std::vector<event_record> out;
    for (const event_record& e : events) {
        if (e.type == event_type::ping) {
            event_record p;
            p.type = event_type::pong;
            p.payload = e.payload;
            out.push_back(p);
        } else if (e.type == event_type::close) {
            event_record c;
            c.type = event_type::close;
            c.code = e.code;
            c.payload = e.payload;  // the reason comes back too
            out.push_back(c);
        }
    }
    return out;
}

/// The control frames found in a receiver's output, as expected_replies lists
/// them; `masked` says whether each frame carried a mask.
std::vector<event_record> replies_in(const bytes& output, bool& all_masked, bool& none_masked) {
    std::vector<event_record> out;
    all_masked = true;
    none_masked = true;
    for (const wire_frame& f : parse_wire(output)) {
        all_masked = all_masked && f.masked;
        none_masked = none_masked && !f.masked;
        event_record c;
        if (f.op == 0x8) {
            c.type = event_type::close;
            c.code = f.payload.size() >= 2 ? static_cast<std::uint16_t>((f.payload[0] << 8) | f.payload[1]) : 1005;
            if (f.payload.size() > 2) c.payload.assign(f.payload.begin() + 2, f.payload.end());
        } else {
            c.type = f.op == 0xA ? event_type::pong : f.op == 0x9 ? event_type::ping : event_type::data;
            c.payload = f.payload;
        }
        out.push_back(c);
    }
    return out;
}

// ----------------------------------------------------------------- output

/// Writes all of `c`'s output to `out` the way a caller with partial writes
/// would (test::take::random): zero-copy spans acknowledged with consume() in
/// random amounts, or copy_output() into random-sized buffers. `between` runs
/// before each write and may queue more (a control frame in the middle of a
/// message). Contract breaches go to `problems`.
template <class Conn, class Hook>
void drain(Conn& c, bytes& out, rng& r, std::string& problems, Hook&& between) {
    const test::drain_plan plan{test::take::random, 0, 0, &r};
    test::fault f = nullptr;
    for (;;) {
        between();
        if (test::drain_step(c, test::append_to(out), plan, static_cast<std::size_t>(-1), f) == 0) break;
    }
    if (f != nullptr && problems.size() < 2000) problems += std::string(f) + "; ";
}

template <class Conn>
void drain(Conn& c, bytes& out, rng& r, std::string& problems) {
    drain(c, out, r, problems, [] {});
}

// ---------------------------------------------------------------- sessions

struct session_shape {
    std::size_t ops = 40;
    bool big = true;             // messages up to 70000 bytes
    unsigned close_percent = 70; // end with a close frame
    bool junk_after_close = true;
};

/// A stream one encoder wrote and what it was asked to send, in call order:
/// `messages` whole, `controls` the ping, pong and close frames.
struct session {
    bytes stream;
    std::vector<event_record> messages;
    std::vector<event_record> controls;
    std::uint64_t fragment_size = 0;
    std::string problems;
};

/// Drives encoder `enc` through a random session: whole messages (zero-copy,
/// or masked in place by a client), streamed messages in random parts (empty
/// ones included), pings and pongs on their own and queued while a message
/// is on its way, and optionally a close (with a code and reason, or empty).
template <class Enc>
session encode_session(Enc& enc, rng& r, const session_shape& shape) {
    session s;
    s.fragment_size = enc.options().fragment_size;
    const auto problem = [&](const std::string& what) {
        if (s.problems.size() < 2000) s.problems += what + "; ";
    };
    const auto expect_ok = [&](error e, const char* what) {
        if (e != error::none) problem(std::string(what) + " returned " + error_name(e));
    };
    const auto queue_control = [&](bool ping, bool must) {
        event_record c;
        c.type = ping ? event_type::ping : event_type::pong;
        c.payload = random_bytes(r, r.chance(20) ? max_control_payload : r.below(max_control_payload + 1));
        const error e = ping ? enc.ping(c.payload) : enc.pong(c.payload);
        if (e == error::none) s.controls.push_back(std::move(c));
        else if (must || e != error::control_queue_full) problem(std::string("ping/pong returned ") + error_name(e));
    };
    const auto mid_message = [&] {
        if (r.chance(2)) queue_control(r.chance(60), false);
    };

    for (std::size_t i = 0; i < shape.ops; ++i) {
        const std::size_t roll = r.below(100);
        if (roll < 15) {
            queue_control(roll < 9, true);
            drain(enc, s.stream, r, s.problems);
            continue;
        }
        event_record m;
        m.type = event_type::data;
        m.first = m.last = true;
        m.message = r.chance(50) ? message_type::text : message_type::binary;
        const std::size_t size = random_size(r, shape.big);
        m.payload = m.message == message_type::text ? random_utf8(r, size, static_cast<unsigned>(r.below(101)))
                                                    : random_bytes(r, size);
        bytes work = m.payload;  // what a client may mask in place
        const std::size_t mode = r.below(3);
        if (mode < 2) {
            if (!enc.can_send()) problem("can_send() false between messages");
            expect_ok(mode == 0 ? enc.send(m.message, bytes_view(work)) : enc.send_in_place(m.message, mutable_bytes(work)),
                      "send");
            drain(enc, s.stream, r, s.problems, mid_message);
        } else {
            expect_ok(enc.begin_message(m.message), "begin_message");
            const std::size_t parts = r.between(1, 6);
            std::size_t at = 0;
            for (std::size_t p = 0; p < parts; ++p) {
                const bool last = p + 1 == parts;
                const std::size_t n = last ? work.size() - at : r.below(work.size() - at + 1);
                const bool in_place = r.chance(50);
                const error e = in_place ? enc.send_part_in_place(mutable_bytes(work.data() + at, n), last)
                                         : enc.send_part(bytes_view(work.data() + at, n), last);
                expect_ok(e, "send_part");
                drain(enc, s.stream, r, s.problems, mid_message);
                at += n;
            }
        }
        if constexpr (Enc::side == role::server) {
            if (work != m.payload) problem("the server changed a payload it sent");
        }
        s.messages.push_back(std::move(m));
    }
    if (r.chance(shape.close_percent)) {
        event_record c;
        c.type = event_type::close;
        if (r.chance(15)) {
            c.code = 1005;
            expect_ok(enc.close(c.code), "close");
        } else {
            c.code = random_close_code(r);
            c.payload = r.chance(20) ? bytes{} : random_utf8(r, r.below(max_close_reason + 1));
            expect_ok(enc.close(c.code, as_text(c.payload)), "close");
        }
        s.controls.push_back(std::move(c));
        drain(enc, s.stream, r, s.problems);
        if (enc.send_binary(bytes_view()) != error::not_open) problem("send after close did not return not_open");
        if (enc.state() != connection_state::closing) problem("state after close() is not closing");
        if (shape.junk_after_close) {
            const bytes junk = random_bytes(r, r.below(300));
            s.stream.insert(s.stream.end(), junk.begin(), junk.end());
        }
    }
    return s;
}

/// Checks the wire format of a session against what its encoder was asked to
/// send: the same messages and control frames in order, masked by a client
/// and never by a server (§5.1, §5.3), no frame longer than fragment_size.
void check_wire(const session& s, role sender) {
    std::size_t rest = 0;
    const std::vector<wire_frame> frames = parse_wire(s.stream, &rest);
    const bool closed = !s.controls.empty() && s.controls.back().type == event_type::close;
    if (!closed) CHECK_MESSAGE(rest == s.stream.size(), "stream ends inside a frame");
    std::vector<event_record> messages, controls;
    for (const event_record& e : expected_events(frames, sender == role::client ? role::server : role::client)) {
        if (e.type == event_type::data) messages.push_back(e);
        else if (e.type != event_type::closed) controls.push_back(e);
    }
    const std::string dm = diff(s.messages, messages);
    CHECK_MESSAGE(dm.empty(), "messages on the wire: " << dm);
    const std::string dc = diff(s.controls, controls);
    CHECK_MESSAGE(dc.empty(), "control frames on the wire: " << dc);
    bool masking_ok = true, rsv_ok = true, size_ok = true;
    for (const wire_frame& f : frames) {
        masking_ok = masking_ok && f.masked == (sender == role::client);
        rsv_ok = rsv_ok && f.rsv == 0;
        if (f.op <= 0x2 && s.fragment_size != 0) size_ok = size_ok && f.length <= s.fragment_size;
    }
    CHECK_MESSAGE(masking_ok, "every client frame is masked, no server frame is (§5.1)");
    CHECK(rsv_ok);
    CHECK_MESSAGE(size_ok, "a data frame is longer than fragment_size " << s.fragment_size);
}

// ---------------------------------------------------------------- feeding

/// What one receiver reported for one partition of a stream.
struct transcript {
    std::vector<event_record> events;
    bytes output;              // everything it wrote, drained after every event
    std::size_t fail_at = npos;     // absolute offset a failed event named
    std::size_t fail_input = npos;  // absolute offset of the input it came with
    bool fail_position_zero = false;
    connection_state final_state = connection_state::open;
    std::string problems;      // breaches of the receive() contract
};

/// Feeds `stream` to a fresh `Conn` in pieces of the sizes in `parts`,
/// calling receive() until need_more (or ended) for each piece and draining
/// the output after every event; records the events with each message whole
/// where it starts (test::event_recorder, join::messages).
template <class Conn>
transcript feed(Conn conn, const bytes& stream, const std::vector<std::size_t>& parts, std::uint64_t drain_seed) {
    transcript t;
    bytes buf = stream;  // receive() unmasks in place
    rng dr(drain_seed);
    test::event_recorder recorder(test::join::messages);
    const auto problem = [&](const std::string& what) {
        if (t.problems.size() < 2000) t.problems += what + "; ";
    };
    const auto on_event = [&](const event& ev, mutable_bytes in, std::size_t at) {
        if (ev.type == event_type::data && !ev.payload.empty() &&
            ev.payload.data() + ev.payload.size() != in.data() + ev.consumed)
            problem("data piece does not view the input just before `consumed` at " + std::to_string(at));
        if (ev.type == event_type::request || ev.type == event_type::http_request || ev.type == event_type::open ||
            ev.type == event_type::answer_pending)
            problem(std::string(event_type_name(ev.type)) + " from a connection");
        if (ev.type == event_type::failed) {
            t.fail_at = at + ev.position;
            t.fail_input = at;
            t.fail_position_zero = ev.position == 0;
        }
        recorder.add(ev, at);
        drain(conn, t.output, dr, t.problems);
    };
    const test::fault f = test::receive_parts(conn, mutable_bytes(buf), parts, test::piece_buffer::in_place, on_event);
    if (f != nullptr) problem(f);
    if (!recorder.problems.empty()) problem(recorder.problems);
    t.events = std::move(recorder.records);
    t.final_state = conn.state();
    return t;
}

/// Partitions of a stream of `n` bytes: whole, byte by byte, and `randoms`
/// random ones mixing tiny pieces (staged headers and control frames) with
/// large ones.
std::vector<std::vector<std::size_t>> partitions(std::size_t n, rng& r, std::size_t randoms) {
    std::vector<std::vector<std::size_t>> out;
    out.push_back({n});
    out.push_back(std::vector<std::size_t>(n, 1));
    for (std::size_t k = 0; k < randoms; ++k) {
        std::vector<std::size_t> p;
        const unsigned style = static_cast<unsigned>(r.below(3));
        for (std::size_t left = n; left > 0;) {
            std::size_t max = 0;
            const std::size_t roll = r.below(100);
            if (style == 0) max = roll < 50 ? 3 : roll < 90 ? 20 : 300;
            else if (style == 1) max = roll < 20 ? 2 : roll < 70 ? 200 : 5000;
            else max = roll < 10 ? 14 : 70000;
            const std::size_t take = std::min(left, r.between(1, max));
            p.push_back(take);
            left -= take;
        }
        if (r.chance(30)) p.insert(p.begin() + static_cast<std::ptrdiff_t>(r.below(p.size() + 1)), 0);  // an empty read
        out.push_back(std::move(p));
    }
    return out;
}

/// The receiver for streams written by the other role. A client receiver
/// masks its replies with keys from a fixed seed, so runs compare byte for byte.
template <role R>
auto make_receiver() {
    if constexpr (R == role::server) return server_connection{};
    else return connection<role::client, seeded_key_source>(connection_options{}, seeded_key_source(77));
}

std::uint64_t random_fragment_size(rng& r) {
    static constexpr std::array<std::uint64_t, 10> sizes{0, 0, 0, 64, 125, 126, 1000, 4096, 65535, 65536};
    return sizes[r.below(sizes.size())];
}

template <role Sender>
auto make_encoder(rng& r, std::uint64_t seed) {
    connection_options o;
    o.fragment_size = random_fragment_size(r);
    if constexpr (Sender == role::client) return connection<role::client, seeded_key_source>(o, seeded_key_source(seed));
    else return server_connection(o);
}

/// Split invariance for valid sessions written by `Sender`: the whole feed
/// reports exactly the events and replies the wire holds, and every other
/// partition reports the same events and writes the same bytes.
/// What the sessions of one test held, so the test shows it covered the
/// cases it claims to.
struct coverage {
    std::size_t fragmented = 0;   // messages in more than one frame
    std::size_t interleaved = 0;  // control frames between the frames of a message
    std::size_t empty = 0;        // empty messages
    std::size_t big = 0;          // messages of 65536 bytes or more (64-bit length)
    std::size_t empty_close = 0;  // close frames without a status code
    std::size_t reason_close = 0; // close frames with a reason
    std::size_t junk = 0;         // sessions with bytes after the close frame

    void add(const bytes& stream) {
        std::size_t rest = 0;
        const std::vector<wire_frame> frames = parse_wire(stream, &rest);
        bool open = false;
        std::size_t frames_in_message = 0, size = 0;
        for (const wire_frame& f : frames) {
            if (f.op >= 0x8) {
                interleaved += open ? 1u : 0u;
                empty_close += f.op == 0x8 && f.length == 0 ? 1u : 0u;
                reason_close += f.op == 0x8 && f.length > 2 ? 1u : 0u;
                continue;
            }
            if (f.op != 0) frames_in_message = size = 0;
            ++frames_in_message;
            size += f.length;
            open = !f.fin;
            if (f.fin) {
                fragmented += frames_in_message > 1 ? 1u : 0u;
                empty += size == 0 ? 1u : 0u;
                big += size >= 65536 ? 1u : 0u;
            }
        }
        junk += rest < stream.size() ? 1u : 0u;
    }

    void check() const {
        CHECK(fragmented > 0);
        CHECK(interleaved > 0);
        CHECK(empty > 0);
        CHECK(big > 0);
        CHECK(empty_close > 0);
        CHECK(reason_close > 0);
        CHECK(junk > 0);
    }
};

template <role Sender>
void check_valid_sessions(std::uint64_t first_seed, std::size_t seeds, std::size_t randoms) {
    constexpr role receiver = Sender == role::client ? role::server : role::client;
    coverage cover;
    for (std::uint64_t seed = first_seed; seed < first_seed + seeds; ++seed) {
        CAPTURE(seed);
        rng r(seed);
        auto enc = make_encoder<Sender>(r, seed);
        session_shape shape;
        shape.ops = r.between(5, 60);
        const session s = encode_session(enc, r, shape);
        CAPTURE(s.fragment_size);
        CAPTURE(s.stream.size());
        CHECK_MESSAGE(s.problems.empty(), s.problems);
        check_wire(s, Sender);

        const std::vector<event_record> want = expected_events(parse_wire(s.stream), receiver);
        const auto plans = partitions(s.stream.size(), r, randoms);
        const transcript whole = feed(make_receiver<receiver>(), s.stream, plans[0], seed);
        CHECK_MESSAGE(whole.problems.empty(), whole.problems);
        const std::string d = diff(want, whole.events);
        CHECK_MESSAGE(d.empty(), "whole stream: " << d);
        bool all_masked = false, none_masked = false;
        const std::vector<event_record> replies = replies_in(whole.output, all_masked, none_masked);
        const std::string dr = diff(expected_replies(want), replies);
        CHECK_MESSAGE(dr.empty(), "replies: " << dr);
        CHECK((receiver == role::client ? all_masked : none_masked));
        const bool closes = !want.empty() && want.back().type == event_type::closed;
        CHECK(whole.final_state == (closes ? connection_state::closed : connection_state::open));

        for (std::size_t k = 1; k < plans.size(); ++k) {
            CAPTURE(k);  // 1: byte by byte; 2...: random partitions
            const transcript t = feed(make_receiver<receiver>(), s.stream, plans[k], seed + k);
            CHECK_MESSAGE(t.problems.empty(), t.problems);
            const std::string dk = diff(whole.events, t.events);
            CHECK_MESSAGE(dk.empty(), dk);
            const std::string ok = diff_bytes(whole.output, t.output);
            CHECK_MESSAGE(ok.empty(), "output: " << ok);
            CHECK(t.final_state == whole.final_state);
        }
        cover.add(s.stream);
    }
    MESSAGE("sessions: " << seeds << "; messages fragmented " << cover.fragmented << ", empty " << cover.empty
                         << ", of 64 KiB or more " << cover.big << "; control frames inside a message "
                         << cover.interleaved);
    cover.check();
}

// --------------------------------------------------------- corrupt streams

/// One byte changed in a valid stream, and the failure it must cause.
struct corruption {
    std::size_t kind = 0;
    const char* what = "";
    std::size_t offset = 0;  // the byte changed
    std::uint8_t value = 0;  // its new value on the wire
    error err = error::none;
    std::size_t fail_at = 0;     // absolute offset the failed event must name
    std::size_t fail_frame = 0;  // index of the frame it is detected in
};

/// Sets payload byte `i` of `f` to `plain` as the receiver will see it after
/// unmasking.
corruption payload_byte(const wire_frame& f, std::size_t i, std::uint8_t plain) {
    corruption c;
    c.offset = f.payload_offset + i;
    c.value = static_cast<std::uint8_t>(plain ^ (f.masked ? f.key[i % 4] : 0));
    return c;
}

/// Picks a corruption of kind `kind` (or the first kind after it that the
/// session allows) at a random place. Every kind is one of RFC 6455's reasons
/// to fail the connection (§5.2, §5.4, §5.5, §5.5.1, §8.1).
corruption pick_corruption(const bytes& stream, const std::vector<wire_frame>& frames, role receiver,
                           std::size_t kind, rng& r) {
    // Per frame: its message's type and the frame ending that message.
    std::vector<std::uint8_t> type(frames.size(), 0);
    std::vector<std::size_t> last(frames.size(), npos);
    {
        std::uint8_t cur = 0;
        std::vector<std::size_t> open;
        for (std::size_t i = 0; i < frames.size(); ++i) {
            const wire_frame& f = frames[i];
            if (f.op > 0x2) continue;
            if (f.op != 0) cur = f.op;
            type[i] = cur;
            open.push_back(i);
            if (f.fin) {
                for (std::size_t j : open) last[j] = i;
                open.clear();
            }
        }
    }
    const auto candidates = [&](auto pred) {
        std::vector<std::size_t> v;
        for (std::size_t i = 0; i < frames.size(); ++i)
            if (pred(i)) v.push_back(i);
        return v;
    };
    for (std::size_t attempt = 0; attempt < 10; ++attempt, kind = (kind + 1) % 10) {
        std::vector<std::size_t> v;
        switch (kind) {
            case 0:  // §8.1: a byte that is never UTF-8, inside a text message
                v = candidates([&](std::size_t i) { return type[i] == 0x1 && frames[i].length > 0; });
                break;
            case 1:  // §8.1: a text message ending inside a sequence
                v = candidates([&](std::size_t i) {
                    return type[i] == 0x1 && frames[i].length > 0 && last[i] != npos &&
                           std::all_of(frames.begin() + static_cast<std::ptrdiff_t>(i) + 1,
                                       frames.begin() + static_cast<std::ptrdiff_t>(last[i]) + 1,
                                       [](const wire_frame& g) { return g.op > 0x2 || g.length == 0; });
                });
                break;
            case 2:  // §5.2: reserved opcode
            case 3:  // §5.2: RSV bit without an extension
            case 4:  // §5.1: mask bit of the wrong kind
                v = candidates([](std::size_t) { return true; });
                break;
            case 5:  // §5.4: a message frame out of sequence
                v = candidates([&](std::size_t i) { return frames[i].op <= 0x2; });
                break;
            case 6:  // §5.5: control frame longer than 125 bytes
                v = candidates([&](std::size_t i) { return frames[i].op == 0x9 || frames[i].op == 0xA; });
                break;
            case 7:  // §7.4: close code that may not be sent
            case 8:  // §5.5.1: close payload of one byte
                v = candidates([&](std::size_t i) { return frames[i].op == 0x8 && frames[i].length >= 2; });
                break;
            case 9:  // §5.5.1: close reason that is not UTF-8
                v = candidates([&](std::size_t i) { return frames[i].op == 0x8 && frames[i].length > 2; });
                break;
        }
        if (v.empty()) continue;
        const std::size_t i = v[r.below(v.size())];
        const wire_frame& f = frames[i];
        corruption c;
        const std::size_t chosen = kind;
        switch (kind) {
            case 0: {
                const std::size_t k = r.below(f.length);
                c = payload_byte(f, k, r.chance(50) ? 0xFF : 0xC0);
                c.what = "invalid UTF-8 byte";
                c.err = error::invalid_utf8;
                c.fail_at = f.payload_offset + k;
                c.fail_frame = i;
                break;
            }
            case 1: {
                const std::size_t k = f.length - 1;
                const bool continuation = (f.payload[k] & 0xC0) == 0x80;
                c = payload_byte(f, k, 0xE2);
                c.what = continuation ? "lead byte where a continuation byte belongs" : "text ends inside a sequence";
                c.err = error::invalid_utf8;
                // A continuation byte replaced by a lead byte is wrong at once;
                // an ASCII byte so replaced leaves a sequence open at the end
                // of the message: the message's end is at fault, its bytes are
                // delivered first and the failure's position is 0 (events.hpp).
                c.fail_frame = continuation ? i : last[i];
                c.fail_at = f.payload_offset + k;
                break;
            }
            case 2: {
                static constexpr std::array<std::uint8_t, 10> reserved{3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF};
                c.what = "reserved opcode";
                c.offset = f.offset;
                c.value = static_cast<std::uint8_t>((stream[f.offset] & 0xF0) | reserved[r.below(reserved.size())]);
                c.err = error::reserved_opcode;
                c.fail_at = f.offset;
                c.fail_frame = i;
                break;
            }
            case 3: {
                c.what = "RSV bit set";
                c.offset = f.offset;
                c.value = static_cast<std::uint8_t>(stream[f.offset] | (0x10 << r.below(3)));
                c.err = error::reserved_bits_set;
                c.fail_at = f.offset;
                c.fail_frame = i;
                break;
            }
            case 4: {
                c.what = "mask bit flipped";
                c.offset = f.offset + 1;
                c.value = static_cast<std::uint8_t>(stream[f.offset + 1] ^ 0x80);
                c.err = receiver == role::server ? error::frame_not_masked : error::frame_masked;
                c.fail_at = f.offset + 1;
                c.fail_frame = i;
                break;
            }
            case 5: {
                c.what = "message frame out of sequence";
                c.offset = f.offset;
                const auto b0 = stream[f.offset];
                if (f.op == 0) {
                    c.value = static_cast<std::uint8_t>((b0 & 0xF0) | (r.chance(50) ? 0x1 : 0x2));
                    c.err = error::expected_continuation;
                } else {
                    c.value = static_cast<std::uint8_t>(b0 & 0xF0);
                    c.err = error::unexpected_continuation;
                }
                c.fail_at = f.offset;
                c.fail_frame = i;
                break;
            }
            case 6: {
                c.what = "control frame length 126";
                c.offset = f.offset + 1;
                c.value = static_cast<std::uint8_t>((stream[f.offset + 1] & 0x80) | 126);
                c.err = error::control_frame_too_long;
                c.fail_at = f.offset + 1;
                c.fail_frame = i;
                break;
            }
            case 7: {
                // One byte changes: the low byte within 1000-1023, else the high byte.
                static constexpr std::array<std::uint8_t, 7> low{0xE7, 0xEC, 0xED, 0xEE, 0xF7, 0xFF, 0x00};
                static constexpr std::array<std::uint8_t, 9> high{0x00, 0x01, 0x02, 0x04, 0x07, 0x0A, 0x14, 0x80, 0xFF};
                std::uint8_t hi = f.payload[0], lo = f.payload[1];
                if (hi == 0x03 && r.chance(50)) {
                    lo = low[r.below(low.size())];
                    c = payload_byte(f, 1, lo);
                } else {
                    hi = high[r.below(high.size())];
                    c = payload_byte(f, 0, hi);
                }
                CHECK_FALSE(is_sendable_close_code(static_cast<std::uint16_t>((hi << 8) | lo)));
                c.what = "close code that may not be sent";
                c.err = error::invalid_close_code;
                c.fail_at = f.payload_offset;
                c.fail_frame = i;
                break;
            }
            case 8: {
                c.what = "close payload of one byte";
                c.offset = f.offset + 1;
                c.value = static_cast<std::uint8_t>((stream[f.offset + 1] & 0x80) | 1);
                c.err = error::close_payload_too_short;
                c.fail_at = f.payload_offset;
                c.fail_frame = i;
                break;
            }
            case 9: {
                const std::size_t k = r.between(2, f.length - 1);
                c = payload_byte(f, k, 0xFF);
                c.what = "close reason not UTF-8";
                c.err = error::invalid_close_reason;
                c.fail_at = f.payload_offset;
                c.fail_frame = i;
                break;
            }
        }
        c.kind = chosen;
        return c;
    }
    return {};
}

/// True for the record of a message a failure cut short.
bool partial(const event_record& e) { return e.type == event_type::data && !e.last; }

std::vector<event_record> without_partial(std::vector<event_record> v) {
    std::erase_if(v, partial);
    return v;
}

std::vector<event_record> partial_only(std::vector<event_record> v) {
    std::erase_if(v, [](const event_record& e) { return !partial(e); });
    return v;
}

/// Split invariance for streams with one corrupted byte: every partition
/// fails with the same error and code at the same offset, writes the same
/// bytes (replies so far, then the close frame of §7.1.7) and reports
/// nothing after the failure.
template <role Sender>
void check_failing_sessions(std::uint64_t first_seed, std::size_t seeds, std::size_t randoms) {
    constexpr role receiver = Sender == role::client ? role::server : role::client;
    std::array<std::size_t, 10> kinds{};
    for (std::uint64_t seed = first_seed; seed < first_seed + seeds; ++seed) {
        CAPTURE(seed);
        rng r(seed);
        auto enc = make_encoder<Sender>(r, seed);
        session_shape shape;
        shape.ops = r.between(2, 14);
        shape.big = r.chance(10);
        shape.close_percent = 50;
        shape.junk_after_close = false;
        const session s = encode_session(enc, r, shape);
        CHECK_MESSAGE(s.problems.empty(), s.problems);
        const std::vector<wire_frame> frames = parse_wire(s.stream);
        const corruption c = pick_corruption(s.stream, frames, receiver, seed % 10, r);
        const std::string what = c.what;
        CAPTURE(what);
        CAPTURE(c.offset);
        CHECK(c.err != error::none);
        if (c.err == error::none) continue;
        ++kinds[c.kind];
        bytes stream = s.stream;
        stream[c.offset] = c.value;

        const auto plans = partitions(stream.size(), r, randoms);
        const transcript whole = feed(make_receiver<receiver>(), stream, plans[0], seed);
        CHECK_MESSAGE(whole.problems.empty(), whole.problems);
        CHECK(whole.final_state == connection_state::failed);
        // Up to the frame the failure is found in, the events of the valid stream.
        const std::vector<wire_frame> before(frames.begin(), frames.begin() + static_cast<std::ptrdiff_t>(c.fail_frame));
        std::vector<event_record> complete;
        for (const event_record& e : whole.events)
            if (!partial(e) && e.type != event_type::failed) complete.push_back(e);
        const std::string d = diff(expected_events(before, receiver), complete);
        CHECK_MESSAGE(d.empty(), "before the failure: " << d);
        if (whole.events.empty()) {
            FAIL_CHECK("no failed event");
            continue;
        }
        const event_record& failed = whole.events.back();
        CHECK(failed.type == event_type::failed);
        CHECK(error_name(failed.err) == std::string(error_name(c.err)));
        CHECK(failed.code == static_cast<std::uint16_t>(close_code_for(c.err)));
        CHECK(failed.action == tcp_action::linger);
        // position: the offending byte's offset in the input it came with,
        // or 0 when that byte came with an earlier input (an earlier call).
        const bool ends_inside = std::string(c.what) == "text ends inside a sequence";
        const auto same_place = [&](const transcript& t) {
            if (ends_inside) return t.fail_position_zero;
            return t.fail_at == c.fail_at || (t.fail_position_zero && c.fail_at < t.fail_input);
        };
        CHECK_MESSAGE(same_place(whole), "failed at " << whole.fail_at << " (input at " << whole.fail_input
                                                      << "), expected " << c.fail_at);
        // The output: a pong per ping before the failure, then our close frame
        // with the error's code (§7.1.7).
        bool all_masked = false, none_masked = false;
        std::vector<event_record> replies = replies_in(whole.output, all_masked, none_masked);
        CHECK((receiver == role::client ? all_masked : none_masked));
        CHECK((!replies.empty() && replies.back().type == event_type::close &&
               replies.back().code == static_cast<std::uint16_t>(close_code_for(c.err))));
        if (!replies.empty()) replies.pop_back();
        std::vector<event_record> pongs = expected_replies(expected_events(before, receiver));
        std::erase_if(pongs, [](const event_record& e) { return e.type != event_type::pong; });
        const std::string dp = diff(pongs, replies);
        CHECK_MESSAGE(dp.empty(), "replies before the failure: " << dp);

        // Per partition (1: byte by byte; 2...: random), reported once per seed.
        std::string partial_diffs, place_diffs;
        for (std::size_t k = 1; k < plans.size(); ++k) {
            CAPTURE(k);
            const transcript t = feed(make_receiver<receiver>(), stream, plans[k], seed + k);
            CHECK_MESSAGE(t.problems.empty(), t.problems);
            const std::string dk = diff(without_partial(whole.events), without_partial(t.events));
            CHECK_MESSAGE(dk.empty(), dk);
            const std::string ok = diff_bytes(whole.output, t.output);
            CHECK_MESSAGE(ok.empty(), "output: " << ok);
            CHECK(t.final_state == connection_state::failed);
            // Invariant 1 holds up to the failure too: the data of the message
            // the failure cuts short is the same in every partition.
            const std::string dp = diff(partial_only(whole.events), partial_only(t.events));
            if (!dp.empty()) partial_diffs += "\n  partition " + std::to_string(k) + ": " + dp;
            if (!same_place(t))
                place_diffs += "\n  partition " + std::to_string(k) + ": failed at " + std::to_string(t.fail_at) +
                               " (input at " + std::to_string(t.fail_input) + "), expected " +
                               std::to_string(c.fail_at);
        }
        CHECK_MESSAGE(partial_diffs.empty(), "data delivered before the failure (whole stream first):" << partial_diffs);
        CHECK_MESSAGE(place_diffs.empty(), "failure position:" << place_diffs);
    }
    for (std::size_t k = 0; k < kinds.size(); ++k) {
        CAPTURE(k);
        CHECK_MESSAGE(kinds[k] > 0, "no session allowed corruption kind " << k);
    }
}

}  // namespace

// ============================================================== invariant 1

TEST_CASE("split invariance §5-§7: client sessions received by a server, whole, byte by byte, random splits") {
    check_valid_sessions<role::client>(1, 100, 6);
}

TEST_CASE("split invariance §5-§7: server sessions received by a client, whole, byte by byte, random splits") {
    check_valid_sessions<role::server>(1001, 100, 6);
}

TEST_CASE("split invariance §7.1.7: a corrupted client stream fails the same way in every split") {
    check_failing_sessions<role::client>(2001, 500, 4);
}

TEST_CASE("split invariance §7.1.7: a corrupted server stream fails the same way in every split") {
    check_failing_sessions<role::server>(3001, 500, 4);
}

// ============================================================== the pair

namespace {

using test::planned;

std::vector<planned> plan_messages(rng& r, std::size_t count) {
    std::vector<planned> out(count);
    for (planned& m : out) {
        m.type = r.chance(50) ? message_type::text : message_type::binary;
        const std::size_t n = random_size(r, true, 2);
        m.payload = m.type == message_type::text ? random_utf8(r, n, static_cast<unsigned>(r.below(101)))
                                                 : random_bytes(r, n);
        m.how = static_cast<planned::way>(r.below(3));
        if (m.how == planned::way::parts) {
            std::size_t left = n;
            for (std::size_t k = r.between(1, 5); k > 1; --k) {
                const std::size_t take = r.below(left + 1);
                m.parts.push_back(take);
                left -= take;
            }
            m.parts.push_back(left);
        }
    }
    return out;
}

/// True if `sub` is `all` with some elements left out.
bool is_subsequence(const std::vector<bytes>& sub, const std::vector<bytes>& all) {
    std::size_t i = 0;
    for (const bytes& x : all)
        if (i < sub.size() && sub[i] == x) ++i;
    return i == sub.size();
}

enum class closer { client, server, both };

/// A client and a server exchange `count` random messages each way, then
/// close as `who` says, and every check of §5-§7 on the way.
void run_pair(std::uint64_t seed, std::size_t count, closer who) {
    CAPTURE(seed);
    rng r(seed);
    connection_options co, so;
    co.fragment_size = random_fragment_size(r);
    so.fragment_size = random_fragment_size(r);
    CAPTURE(co.fragment_size);
    CAPTURE(so.fragment_size);
    std::vector<planned> c_out = plan_messages(r, count);
    std::vector<planned> s_out = plan_messages(r, count);

    test::endpoint<connection<role::client, seeded_key_source>> c("client", co, seeded_key_source(seed));
    test::endpoint<server_connection> s("server", so);
    c.outgoing = &c_out;
    c.incoming = &s_out;
    s.outgoing = &s_out;
    s.incoming = &c_out;

    CHECK(test::pump(c, s, r, 100 * count + 10000, true, 3));
    CHECK_MESSAGE(c.problems.empty(), c.problems);
    CHECK_MESSAGE(s.problems.empty(), s.problems);
    CHECK(c.next_in == s_out.size());
    CHECK(s.next_in == c_out.size());
    CHECK(c.pings_sent.size() > 0);
    CHECK(s.pings_sent.size() > 0);

    // The close (§7.1.2). A closing end first sends one more message and
    // writes all of it: the message is not lost to the close that follows.
    const std::uint16_t c_code = random_close_code(r);
    const bytes c_reason = random_utf8(r, r.below(max_close_reason + 1));
    const std::uint16_t s_code = random_close_code(r);
    const bytes s_reason = random_utf8(r, r.below(max_close_reason + 1));
    if (who == closer::client) {
        c_out.push_back(plan_messages(r, 1)[0]);
        for (std::size_t i = 0; i < 100000 && !(c.all_sent() && c.idle()); ++i) {
            c.send_step(r);
            test::transfer(c, s, test::chunk_size(r), r.chance(50));
        }
        c.ping_step(r);  // a ping just before the close is answered
        CHECK(c.pings_sent.size() > 0);
    } else if (who == closer::server) {
        s_out.push_back(plan_messages(r, 1)[0]);
        for (std::size_t i = 0; i < 100000 && !(s.all_sent() && s.idle()); ++i) {
            s.send_step(r);
            test::transfer(s, c, test::chunk_size(r), r.chance(50));
        }
    }
    if (who != closer::server) {
        CHECK(c.conn.close(c_code, as_text(c_reason)) == error::none);
        CHECK(c.conn.state() == connection_state::closing);
        CHECK(c.conn.timer() == timer_hint::close_handshake);
    }
    if (who != closer::client) {
        CHECK(s.conn.close(s_code, as_text(s_reason)) == error::none);
        CHECK(s.conn.state() == connection_state::closing);
        CHECK(s.conn.timer() == timer_hint::close_handshake);
    }
    CHECK(test::pump(c, s, r, 1000000, false));
    CHECK_MESSAGE(c.problems.empty(), c.problems);
    CHECK_MESSAGE(s.problems.empty(), s.problems);

    // No data lost, every ping reported, every pong answering one of ours
    // and the last ping of each end answered.
    CHECK(c.next_in == s_out.size());
    CHECK(s.next_in == c_out.size());
    CHECK(c.pings_seen == s.pings_sent);
    CHECK(s.pings_seen == c.pings_sent);
    CHECK(is_subsequence(c.pongs_seen, c.pings_sent));
    CHECK(is_subsequence(s.pongs_seen, s.pings_sent));
    if (!c.pings_sent.empty()) CHECK((!c.pongs_seen.empty() && c.pongs_seen.back() == c.pings_sent.back()));
    if (!s.pings_sent.empty()) CHECK((!s.pongs_seen.empty() && s.pongs_seen.back() == s.pings_sent.back()));

    // Each end sees the other's close: the closer's code and reason, or the
    // echo of its own code and reason (§5.5.1), then the end of the
    // connection: the server closes TCP, the client waits for that (§7.1.1).
    event_record c_close, s_close;
    c_close.type = s_close.type = event_type::close;
    if (who == closer::client) {
        s_close.code = c_code;
        s_close.payload = c_reason;
        c_close.code = c_code;
        c_close.payload = c_reason;
    } else if (who == closer::server) {
        c_close.code = s_code;
        c_close.payload = s_reason;
        s_close.code = s_code;
        s_close.payload = s_reason;
    } else {
        c_close.code = s_code;
        c_close.payload = s_reason;
        s_close.code = c_code;
        s_close.payload = c_reason;
    }
    event_record c_closed, s_closed;
    c_closed.type = s_closed.type = event_type::closed;
    c_closed.code = c_close.code;
    c_closed.action = tcp_action::wait_for_peer;
    s_closed.code = s_close.code;
    s_closed.action = tcp_action::close_now;
    const std::string dc = diff({c_close, c_closed}, c.ends);
    CHECK_MESSAGE(dc.empty(), "client: " << dc);
    const std::string ds = diff({s_close, s_closed}, s.ends);
    CHECK_MESSAGE(ds.empty(), "server: " << ds);
    CHECK(c.conn.state() == connection_state::closed);
    CHECK(s.conn.state() == connection_state::closed);
    CHECK(c.conn.close_status() == c_close.code);
    CHECK(s.conn.close_status() == s_close.code);
    CHECK(s.conn.timer() == timer_hint::none);
    CHECK(c.conn.timer() == timer_hint::tcp_close);
    CHECK_FALSE(c.conn.can_send());
    CHECK_FALSE(s.conn.can_send());
    CHECK(c.conn.send_binary(bytes_view()) == error::not_open);
    CHECK(s.conn.ping() == error::not_open);
    CHECK(c.conn.pending_output() == 0);
    CHECK(s.conn.pending_output() == 0);

    // The server closes TCP; the client reads end-of-stream: a normal end,
    // after which there is nothing left to wait for.
    const event eof = c.conn.receive_eof();
    CHECK(eof.type == event_type::closed);
    CHECK(eof.err == error::none);
    CHECK(eof.code == c_close.code);
    CHECK_MESSAGE(eof.action == tcp_action::close_now,
                  "after receive_eof() the server has closed TCP: nothing to wait for, got "
                                                                                  << std::string(tcp_action_name(eof.action)));
    CHECK(c.conn.timer() == timer_hint::none);
    CHECK(c.conn.state() == connection_state::closed);
}

}  // namespace

TEST_CASE("pair §5-§7.1.2: thousands of messages both ways, then the client closes") {
    run_pair(41, 3000, closer::client);
}

TEST_CASE("pair §5-§7.1.2: thousands of messages both ways, then the server closes") {
    run_pair(42, 3000, closer::server);
}

TEST_CASE("pair §5-§7.1.2: thousands of messages both ways, then both close at once") {
    run_pair(43, 3000, closer::both);
}
