// SPDX-License-Identifier: MIT
// fuzz/connection_harness.hpp — the connection fuzz harness, written for both
// roles: fuzz/fuzz_server.cpp and fuzz/fuzz_client.cpp run it.
//
// Input layout (bytes past the end read as 0):
//   byte 0   bit 0 small limits, bit 1 auto_pong off, bit 2
//            allow_non_minimal_length, bits 3-5 allowed_rsv, bits 6-7
//            fragment_size (0, 1, 16, 1000)
//   byte 1   bits 0-4 count S of read sizes, bit 5 drain the session with
//            output()/consume() instead of copy_output()
//   byte 2   bits 0-4 count C of commands, bits 5-7 bytes drained per step in
//            the session (all, 1, 2, 5, 13, 64, 200, 4096)
//   S bytes  read sizes, used in a cycle (0: an empty receive call)
//   2C bytes send-side commands (see run_command), one after each read
//   rest     the byte stream from the peer
//
// Each input runs three ways:
//   whole    the stream in one buffer; output drained after every call
//   split    the stream in reads of the chosen sizes, each an exactly sized
//            heap copy (ASan sees any read past it); drained after every call
//   session  reads as in split (the cycle starts at the second size), a
//            command after each read, output drained in budgeted steps and
//            fed as it comes to a fresh connection of the other role
// Oracles: no crash or sanitizer report; whole and split give the same
// non-data events, the same data per message (a failing frame's bytes before
// the offending one are delivered by every run), the same
// failure position and the same output bytes, and the session the same events
// up to its own close(); after failed or closed, no event but ended (or need_more for no input);
// consumed bytes add up to each input; data and control payloads equal an
// independent decode of the stream (byte-wise unmasking); the output of every
// run decodes at the peer without failure to exactly what was sent: the
// messages (the last one cut only by our close frame), the pings, pongs that
// answer received pings or were asked for, and the close frame the model
// predicts; nothing follows our close frame.
//
// The event record and its recorder, the receive loop, the output drain and
// the exact heap copies come from tests/helpers.hpp, shared with the unit tests.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <type_traits>
#include <vector>
#include <wscodec/connection.hpp>

#include "../tests/helpers.hpp"

namespace fuzz_connection {

using namespace wscodec;
using test::bytes;
using test::exact_copy;

[[noreturn]] inline void violation(const char* what, const char* detail = nullptr) {
    if (detail != nullptr)
        std::fprintf(stderr, "fuzz_connection: %s (%s)\n", what, detail);
    else
        std::fprintf(stderr, "fuzz_connection: %s\n", what);
    std::fflush(stderr);
    __builtin_trap();
}

inline void expect(bool ok, const char* what, const char* detail = nullptr) {
    if (!ok) violation(what, detail);
}

constexpr role other_role(role r) noexcept { return r == role::server ? role::client : role::server; }

template <role R>
using endpoint = connection<R, std::conditional_t<R == role::client, seeded_key_source, no_key_source>>;

template <role R>
endpoint<R> make_endpoint(const connection_options& options, std::uint64_t seed) {
    if constexpr (R == role::client) {
        return endpoint<R>(options, seeded_key_source(seed));
    } else {
        (void)seed;
        return endpoint<R>(options);
    }
}

// ---------------------------------------------------------------- configuration

struct config {
    connection_options options;
    bool zero_copy = false;
    std::size_t budget = 0;  // 0: drain everything each step
    bytes reads;
    std::vector<std::pair<std::uint8_t, std::uint8_t>> commands;
    bytes_view stream;
};

inline config parse_config(const std::uint8_t* data, std::size_t size) {
    std::size_t at = 0;
    const auto next = [&]() -> std::uint8_t { return at < size ? data[at++] : std::uint8_t{0}; };
    config c;
    const std::uint8_t b0 = next();
    const std::uint8_t b1 = next();
    const std::uint8_t b2 = next();
    if ((b0 & 0x01) != 0) {
        c.options.limits.max_frame_size = 100;
        c.options.limits.max_message_size = 300;
        c.options.limits.max_fragments = 5;
    }
    c.options.auto_pong = (b0 & 0x02) == 0;
    c.options.allow_non_minimal_length = (b0 & 0x04) != 0;
    c.options.allowed_rsv = static_cast<std::uint8_t>((b0 >> 3) & 0x7);
    constexpr std::uint64_t fragment_sizes[4] = {0, 1, 16, 1000};
    c.options.fragment_size = fragment_sizes[b0 >> 6];
    c.zero_copy = (b1 & 0x20) != 0;
    constexpr std::size_t budgets[8] = {0, 1, 2, 5, 13, 64, 200, 4096};
    c.budget = budgets[b2 >> 5];
    for (std::size_t i = 0, n = b1 & 0x1Fu; i < n; ++i) c.reads.push_back(next());
    for (std::size_t i = 0, n = b2 & 0x1Fu; i < n; ++i) {
        const std::uint8_t op = next();
        c.commands.emplace_back(op, next());
    }
    c.stream = bytes_view(data, size).subspan(std::min(at, size));
    return c;
}

/// Cuts `total` bytes into reads: sizes from `reads` in a cycle starting at
/// `first`, 0 meaning an empty call; one read of the rest if no size is > 0.
inline std::vector<std::pair<std::size_t, std::size_t>> plan_reads(const bytes& reads, std::size_t first,
                                                                   std::size_t total) {
    std::vector<std::pair<std::size_t, std::size_t>> plan;
    const bool progress = std::any_of(reads.begin(), reads.end(), [](std::uint8_t r) { return r != 0; });
    std::size_t at = 0;
    if (!progress) {
        for (std::size_t i = 0; i < reads.size(); ++i) plan.emplace_back(0, 0);
        plan.emplace_back(0, total);
        return plan;
    }
    for (std::size_t i = first; at < total; ++i) {
        const std::size_t n = std::min<std::size_t>(reads[i % reads.size()], total - at);
        plan.emplace_back(at, n);
        at += n;
    }
    return plan;
}

// ------------------------------------------------------------------ event log

struct message {
    message_type type = message_type::binary;
    bytes data;
    bool complete = false;
    std::size_t parts = 0;  // sender side: parts queued
};

/// Collects the events of one connection and checks them: their sequence
/// (test::event_recorder: data pieces form messages, first/last; closed
/// right after close; nothing after failed or closed but ended), payloads
/// within the limits, text messages UTF-8. `records()` holds the events in a
/// form that does not depend on how the input was cut: consecutive data
/// pieces joined (test::join::runs).
class event_log {
public:
    explicit event_log(const connection_options& options) : options_(options) {}

    std::vector<message> messages;  // the last one may be incomplete
    bool failed = false;
    std::size_t fail_at = 0;        // absolute offset reported for the failure
    bool fail_exact = false;        // position > 0: the byte was in that call
    std::size_t fail_input_start = 0;

    [[nodiscard]] const std::vector<test::event_record>& records() const noexcept { return recorder_.records; }

    void add(const event& ev, std::size_t input_start) {
        if (ev.type == event_type::need_more) return;
        if (ev.type == event_type::ended) {
            expect(over_, "ended before failed or closed");
            return;
        }
        switch (ev.type) {
            case event_type::data: add_data(ev); break;
            case event_type::ping:
            case event_type::pong:
                expect(ev.payload.size() <= max_control_payload, "control payload over 125 bytes");
                break;
            case event_type::close:
                expect(ev.payload.size() <= max_close_reason, "close reason over 123 bytes");
                expect(validate_utf8(ev.payload, kernel::scalar).ok(), "close reason is not UTF-8");
                expect(is_sendable_close_code(ev.code) ||
                           (ev.code == static_cast<std::uint16_t>(close_code::no_status) && ev.payload.empty()),
                       "close code may not be on the wire");
                close_code_ = ev.code;
                closing_ = true;
                break;
            case event_type::failed:
                expect(kind_of(ev.err) == error_kind::protocol || kind_of(ev.err) == error_kind::limit,
                       "failed with an error that is not the peer's", error_name(ev.err));
                expect(ev.action == tcp_action::linger, "failed without linger");
                failed = true;
                fail_at = input_start + ev.position;
                fail_exact = ev.position > 0;
                fail_input_start = input_start;
                over_ = true;
                break;
            case event_type::closed:
                expect(closing_, "closed without a close");
                expect(ev.err == error::none && ev.code == close_code_, "closed after close with another code");
                over_ = true;
                break;
            default: violation("unknown event type", event_type_name(ev.type));
        }
        recorder_.add(ev, input_start);
        expect(recorder_.problems.empty(), "event sequence", recorder_.problems.c_str());
    }

private:
    void add_data(const event& ev) {
        expect(ev.message == message_type::text || ev.message == message_type::binary, "data of no message type");
        expect((ev.rsv & ~options_.allowed_rsv) == 0, "data with RSV bits not allowed");
        if (ev.first) {
            messages.push_back({ev.message, {}, false, 0});
            rsv_ = ev.rsv;
        }
        if (messages.empty()) return;  // a piece outside a message: the recorder reports it
        message& m = messages.back();
        m.data.insert(m.data.end(), ev.payload.begin(), ev.payload.end());
        expect(m.data.size() <= options_.limits.max_message_size, "message over max_message_size");
        if (ev.last) {
            m.complete = true;
            // With an extension's RSV bit the text is in its encoding (compressed, say).
            if (m.type == message_type::text && rsv_ == 0)
                expect(validate_utf8(m.data, kernel::scalar).ok(), "complete text message is not UTF-8");
        }
    }

    connection_options options_;
    test::event_recorder recorder_{test::join::runs};
    bool closing_ = false;
    bool over_ = false;
    std::uint8_t rsv_ = 0;
    std::uint16_t close_code_ = 0;
};

/// Calls receive() on `in` until need_more or ended (test::receive_all),
/// adding each event to `log` and passing it to `on_event(event, state before
/// the call, input of the call)`. `start` is the absolute offset of `in` in
/// the stream.
template <class Conn, class OnEvent>
void receive_all(Conn& c, mutable_bytes in, std::size_t start, event_log& log, OnEvent&& on_event) {
    const auto* self = reinterpret_cast<const std::uint8_t*>(&c);
    connection_state before = c.state();  // nothing but receive() changes it between the calls
    const auto check = [&](const event& ev, mutable_bytes rest, std::size_t used) {
        if (ev.type == event_type::failed) {
            expect(ev.consumed == rest.size(), "failed left input unconsumed");
            expect(ev.position <= rest.size(), "failure position outside the input");
        }
        if (ev.type == event_type::ended) expect(!rest.empty(), "ended without input (need_more expected)");
        if (ev.type == event_type::closed) expect(ev.consumed == 0, "closed consumed input");
        if (!ev.payload.empty()) {
            const std::uint8_t* p = ev.payload.data();
            const bool in_input = p >= rest.data() && p + ev.payload.size() <= rest.data() + ev.consumed;
            const bool inside = p >= self && p + ev.payload.size() <= self + sizeof(Conn);
            expect(in_input || (ev.type != event_type::data && inside), "payload views neither input nor connection");
        }
        log.add(ev, start + used);
        if (ev.type == event_type::failed) {
            expect(c.state() == connection_state::failed, "failed but state not failed");
            // The code sent: the error's, unless a close went first (ours, or
            // the one a text violation queued with its data event).
            const std::uint16_t sent = before == connection_state::open
                                           ? static_cast<std::uint16_t>(close_code_for(ev.err))
                                           : c.close_status();
            expect(ev.code == sent, "failed with the wrong code");
        }
        if (ev.type == event_type::close) expect(c.state() == connection_state::closed, "close but state not closed");
        on_event(ev, before, rest);
        before = c.state();
    };
    const test::fault f = test::receive_all(c, in, check);
    expect(f == nullptr, "receive() loop", f);
}

// ------------------------------------------------------------ what was sent

/// What our side queued, to compare with what the peer decodes.
struct sent_model {
    std::vector<message> messages;
    std::vector<bytes> pings;
    std::vector<bytes> pongs;  // every pong queued, answered or asked for, in order
    bool close_queued = false;
    bool close_is_echo = false;  // the queued close answers the peer's: close() may replace it
    bytes close_payload;

    void queue_close(bytes payload, bool echo = false) {
        if (close_queued) return;
        close_queued = true;
        close_is_echo = echo;
        close_payload = std::move(payload);
    }

    /// Applies the effect of a received event on what we send: auto pong,
    /// close echo, close on failure (only while our state was open). A text
    /// violation fails the connection with the data event that precedes its
    /// failed event: the close is queued then (state `after` is failed).
    void on_event(const event& ev, connection_state before, connection_state after, bool auto_pong) {
        // §5.5.2: pings are answered after our own close() too (the pong may
        // then follow our close frame, where the peer does not look).
        if (before == connection_state::closing && ev.type == event_type::ping && auto_pong)
            pongs.emplace_back(ev.payload.begin(), ev.payload.end());
        if (before != connection_state::open) return;
        if (ev.type == event_type::data && after == connection_state::failed) {
            event f;
            f.type = event_type::failed;
            f.err = error::invalid_utf8;
            f.code = static_cast<std::uint16_t>(close_code_for(error::invalid_utf8));
            on_event(f, before, after, auto_pong);
            return;
        }
        if (ev.type == event_type::ping && auto_pong) pongs.emplace_back(ev.payload.begin(), ev.payload.end());
        if (ev.type == event_type::close) {
            if (ev.code == static_cast<std::uint16_t>(close_code::no_status))
                queue_close({}, true);
            else {
                // §5.5.1: the echo carries the code and the reason received.
                bytes p{static_cast<std::uint8_t>(ev.code >> 8), static_cast<std::uint8_t>(ev.code)};
                p.insert(p.end(), ev.payload.begin(), ev.payload.end());
                queue_close(std::move(p), true);
            }
        }
        if (ev.type == event_type::failed) {
            bytes p{static_cast<std::uint8_t>(ev.code >> 8), static_cast<std::uint8_t>(ev.code)};
            const char* reason = error_message(ev.err);
            const std::size_t n = std::min(std::strlen(reason), max_close_reason);
            p.insert(p.end(), reason, reason + n);
            queue_close(std::move(p));
        }
    }
};

/// Walks our output with the strict decoder: masked iff we are a client, no
/// RSV bits, data frames no longer than fragment_size.
inline void check_output_frames(bytes_view out, role sender, std::uint64_t fragment_size) {
    const decode_rules rules = rules_for(other_role(sender));
    std::size_t at = 0;
    while (at < out.size()) {
        const decode_result r = try_decode_header(out.subspan(at), rules);
        expect(r.status == decode_status::ok, "output is not a sequence of whole frames");
        expect(r.header.rsv == 0, "output frame sets RSV bits");
        if (fragment_size != 0 && is_data(r.header.op))
            expect(r.header.payload_length <= fragment_size, "output data frame longer than fragment_size");
        expect(r.header.payload_length <= out.size() - at - r.size, "output frame cut short");
        at += r.size + static_cast<std::size_t>(r.header.payload_length);
    }
}

/// A connection of the other role that decodes our output.
template <role P>
class peer {
public:
    peer() : conn_(make_endpoint<P>(options(), 0x9EE7)), log_(options()) {}

    void feed(bytes_view chunk) {
        if (chunk.empty()) return;
        if (closed_) {
            expect_only_pongs(chunk);
            return;
        }
        exact_copy copy(chunk);
        receive_all(conn_, copy.span(), fed_, log_, [&](const event& ev, connection_state, mutable_bytes in) {
            if (ev.type == event_type::failed) violation("peer rejects our output", error_name(ev.err));
            if (ev.type == event_type::close) {
                closed_ = true;
                expect_only_pongs(in.subspan(ev.consumed));
            }
        });
        fed_ += chunk.size();
    }

    /// Only whole or partial pong frames may follow our close frame (§5.5.1:
    /// no data frames; §5.5.2: pings are still answered).
    /// Their payloads are kept for check().
    void expect_only_pongs(bytes_view rest) {
        tail_.insert(tail_.end(), rest.begin(), rest.end());
        while (tail_at_ < tail_.size()) {
            const decode_result r = try_decode_header(bytes_view(tail_).subspan(tail_at_), rules_for(P));
            if (r.status == decode_status::need_more) break;
            expect(r.status == decode_status::ok && r.header.op == opcode::pong, "a frame other than pong after our close frame");
            if (r.status != decode_status::ok) return;
            const auto n = static_cast<std::size_t>(r.header.payload_length);
            if (tail_.size() - tail_at_ - r.size < n) break;  // its payload is still to come
            const auto from = tail_.begin() + static_cast<std::ptrdiff_t>(tail_at_ + r.size);
            bytes p(from, from + static_cast<std::ptrdiff_t>(n));
            if (r.header.masked) (void)apply_mask(mutable_bytes(p), r.header.key);
            tail_pongs_.push_back(std::move(p));
            tail_at_ += r.size + n;
        }
    }

    /// Checks everything decoded against what our side queued.
    void check(const sent_model& sent) const {
        const std::vector<message>& got = log_.messages;
        expect(got.size() <= sent.messages.size(), "peer got more messages than we sent");
        for (std::size_t i = 0; i < got.size(); ++i) {
            const message& g = got[i];
            const message& s = sent.messages[i];
            expect(g.type == s.type, "peer got a message of another type");
            const bool last = i + 1 == sent.messages.size();
            if (!last || (!sent.close_queued && s.complete)) {
                expect(g.complete && s.complete && g.data == s.data, "peer got another message than we sent");
            } else if (g.complete) {
                expect(s.complete && g.data == s.data, "peer got another message than we sent");
            } else {
                expect(g.data.size() <= s.data.size() && std::equal(g.data.begin(), g.data.end(), s.data.begin()),
                       "peer got a message that is not a prefix of ours");
                if (!sent.close_queued) expect(g.data == s.data, "message not fully written");
            }
        }
        if (got.size() < sent.messages.size()) {
            expect(got.size() + 1 == sent.messages.size(), "peer is missing messages");
            expect(sent.close_queued || sent.messages.back().parts == 0, "a queued message was never written");
        }

        std::vector<bytes> pings;
        std::vector<bytes> pongs;
        const test::event_record* close = nullptr;
        for (const test::event_record& r : log_.records()) {
            if (r.type == event_type::ping) pings.push_back(r.payload);
            if (r.type == event_type::pong) pongs.push_back(r.payload);
            if (r.type == event_type::close) close = &r;
        }
        pongs.insert(pongs.end(), tail_pongs_.begin(), tail_pongs_.end());
        expect(pings == sent.pings, "peer got other pings than we sent");
        std::size_t k = 0;
        for (const bytes& p : pongs) {
            while (k < sent.pongs.size() && sent.pongs[k] != p) ++k;
            expect(k < sent.pongs.size(), "peer got a pong we never queued, or out of order");
            ++k;
        }
        // §5.5.2/§5.5.3: only an older automatic pong may give way to a newer
        // one, so the newest pong queued is never dropped: it is written, last.
        if (!sent.pongs.empty())
            expect(!pongs.empty() && pongs.back() == sent.pongs.back(), "the newest pong queued was not written last");
        expect((close != nullptr) == sent.close_queued, sent.close_queued ? "our close frame is missing"
                                                                          : "peer got a close we never queued");
        if (close != nullptr) {
            bytes wire;
            if (close->code != static_cast<std::uint16_t>(close_code::no_status) || !close->payload.empty()) {
                wire = {static_cast<std::uint8_t>(close->code >> 8), static_cast<std::uint8_t>(close->code)};
                wire.insert(wire.end(), close->payload.begin(), close->payload.end());
            }
            expect(wire == sent.close_payload, "peer got another close frame than we queued");
        }
    }

private:
    static connection_options options() {
        connection_options o;
        o.limits.max_fragments = 0xFFFFFFFFu;
        o.auto_pong = false;
        return o;
    }

    endpoint<P> conn_;
    event_log log_;
    std::size_t fed_ = 0;
    bool closed_ = false;
    bytes tail_;  // what followed our close frame
    std::size_t tail_at_ = 0;         // the first byte of tail_ not yet decoded into a pong
    std::vector<bytes> tail_pongs_;  // pongs that followed our close frame
};

/// Writes up to `budget` bytes (0: all) of `c`'s output to `out`, either
/// with copy_output() (509-byte buffers) or with output()/consume() (at most
/// 509 bytes a step, copy_output() where output() hands out nothing).
template <class Conn>
void drain(Conn& c, std::size_t budget, bool zero_copy, bytes& out) {
    const test::drain_plan plan{zero_copy ? test::take::spans_or_copy : test::take::copy, 509, budget, nullptr};
    const test::fault f = test::drain_to(c, test::append_to(out), plan);
    expect(f == nullptr, "output", f);
}

template <class Conn>
void expect_drained(Conn& c) {
    std::uint8_t b[1];
    expect(c.output().empty() && c.copy_output(mutable_bytes(b, 1)) == 0, "output left after a full drain");
    expect(c.pending_output() == 0, "pending_output() is not 0 after a full drain");
}

// ------------------------------------------------------------------- the runs

struct ref_frame {
    std::size_t start;  // payload offset in the stream
    std::size_t length;
    frame_header header;
};

/// An independent walk over the stream's frames with the same rules.
inline std::vector<ref_frame> walk_frames(bytes_view s, const decode_rules& rules) {
    std::vector<ref_frame> frames;
    std::size_t at = 0;
    while (at < s.size()) {
        const decode_result r = try_decode_header(s.subspan(at), rules);
        if (r.status != decode_status::ok) break;
        const std::size_t start = at + r.size;
        const std::size_t room = s.size() - start;
        const std::size_t length =
            r.header.payload_length > room ? room : static_cast<std::size_t>(r.header.payload_length);
        frames.push_back({start, length, r.header});
        at = start + length;
    }
    return frames;
}

/// Checks that `payload`, at offset `at` of the stream, is the unmasked
/// payload of one frame of `frames` (for a close, its reason: 2 bytes in).
inline void check_against_walk(const std::vector<ref_frame>& frames, bytes_view stream, std::size_t at,
                               bytes_view payload, const event& ev) {
    auto it = std::upper_bound(frames.begin(), frames.end(), at,
                               [](std::size_t v, const ref_frame& f) { return v < f.start; });
    expect(it != frames.begin(), "payload before the first frame");
    const ref_frame& f = *--it;
    expect(at + payload.size() <= f.start + f.length, "payload crosses a frame's end");
    switch (ev.type) {
        case event_type::data: expect(is_data(f.header.op), "data from a control frame"); break;
        case event_type::ping:
            expect(f.header.op == opcode::ping && at == f.start && payload.size() == f.length, "ping is not a ping frame");
            break;
        case event_type::pong:
            expect(f.header.op == opcode::pong && at == f.start && payload.size() == f.length, "pong is not a pong frame");
            break;
        case event_type::close:
            expect(f.header.op == opcode::close && at == f.start + 2 && at + payload.size() == f.start + f.length,
                   "close reason is not a close frame's");
            break;
        default: break;
    }
    for (std::size_t i = 0; i < payload.size(); ++i) {
        const std::size_t o = at + i;
        const std::uint8_t key = f.header.masked ? f.header.key[(o - f.start) & 3] : std::uint8_t{0};
        if (payload[i] != static_cast<std::uint8_t>(stream[o] ^ key)) violation("payload differs from the reference unmasking");
    }
}

template <role R>
struct run_result {
    event_log log;
    bytes out;
    connection_state state;
    std::uint16_t code;
    test::event_record end;  // what receive_eof() reported
};

/// Ends a receive-only run with receive_eof() and checks what it reports.
template <class Conn>
test::event_record end_with_eof(Conn& c) {
    const connection_state before = c.state();
    const event ev = c.receive_eof();
    expect(ev.type == event_type::closed && c.state() == connection_state::closed, "receive_eof() is not closed");
    if (before == connection_state::closed || before == connection_state::failed) {
        expect(ev.err == error::none && ev.code == c.close_status(), "receive_eof() after the end reports an error");
    } else {
        expect(ev.err == error::connection_lost && ev.code == 1006 && ev.action == tcp_action::close_now,
               "receive_eof() before the end is not connection_lost");
    }
    std::uint8_t b[8] = {0x81};  // an empty text frame's header, and room GCC can see
    expect(c.receive(mutable_bytes(b, 3)).type == event_type::ended, "receive() after receive_eof() is not ended");
    expect(c.receive(mutable_bytes(b, 0)).type == event_type::need_more, "receive() of nothing after the end is not need_more");
    return test::record(ev);
}

template <role R>
void check_receive_only_output(const run_result<R>& run, const sent_model& sent, const config& cfg) {
    check_output_frames(run.out, R, cfg.options.fragment_size);
    peer<other_role(R)> p;
    p.feed(run.out);
    p.check(sent);
}

/// The stream in one buffer; output drained after every receive() call.
template <role R>
run_result<R> run_whole(const config& cfg) {
    auto c = make_endpoint<R>(cfg.options, 0x5EED);
    run_result<R> res{event_log(cfg.options), {}, {}, {}, {}};
    sent_model sent;
    exact_copy buf(cfg.stream);
    const std::uint8_t* base = buf.span().data();
    decode_rules rules = rules_for(R);
    rules.allowed_rsv = cfg.options.allowed_rsv;
    rules.allow_non_minimal_length = cfg.options.allow_non_minimal_length;
    const std::vector<ref_frame> frames = walk_frames(cfg.stream, rules);
    receive_all(c, buf.span(), 0, res.log, [&](const event& ev, connection_state before, mutable_bytes) {
        sent.on_event(ev, before, c.state(), cfg.options.auto_pong);
        drain(c, 0, false, res.out);
        const std::uint8_t* p = ev.payload.data();
        if (!ev.payload.empty() && p >= base && p < base + cfg.stream.size())
            check_against_walk(frames, cfg.stream, static_cast<std::size_t>(p - base), ev.payload, ev);
    });
    expect_drained(c);
    res.state = c.state();
    res.code = c.close_status();
    res.end = end_with_eof(c);
    check_receive_only_output(res, sent, cfg);
    return res;
}

/// The stream in reads of the chosen sizes; output drained after every call.
template <role R>
run_result<R> run_split(const config& cfg) {
    auto c = make_endpoint<R>(cfg.options, 0x5EED);
    run_result<R> res{event_log(cfg.options), {}, {}, {}, {}};
    sent_model sent;
    for (const auto& [at, n] : plan_reads(cfg.reads, 0, cfg.stream.size())) {
        exact_copy buf(cfg.stream.subspan(at, n));
        receive_all(c, buf.span(), at, res.log, [&](const event& ev, connection_state before, mutable_bytes) {
            sent.on_event(ev, before, c.state(), cfg.options.auto_pong);
            drain(c, 0, false, res.out);
        });
    }
    expect_drained(c);
    res.state = c.state();
    res.code = c.close_status();
    res.end = end_with_eof(c);
    check_receive_only_output(res, sent, cfg);
    return res;
}

// Lengths of sent payloads, chosen by 5 bits of a command.
constexpr std::size_t send_lengths[32] = {0,   1,   2,    3,    4,    5,    7,    8,    15,    16,    31,
                                          32,  33,  63,   64,   100,  125,  126,  127,  128,   255,   256,
                                          1000, 1024, 4095, 4096, 4097, 65535, 65536, 65537, 100000, 3};

/// `n` bytes of valid UTF-8 (1- to 4-byte characters) or of binary.
inline bytes make_payload(bool text, std::size_t n, std::uint32_t seed) {
    bytes p;
    p.reserve(n);
    if (!text) {
        for (std::size_t i = 0; i < n; ++i) p.push_back(static_cast<std::uint8_t>(seed * 31u + i * 7u + (i >> 8)));
        return p;
    }
    static constexpr std::uint8_t chars[4][4] = {{0x61}, {0xC3, 0xA9}, {0xE4, 0xB8, 0xAD}, {0xF0, 0x9F, 0x98, 0x80}};
    for (std::uint32_t k = seed; p.size() < n; ++k) {
        const std::size_t len = (k * 7u) % 4u + 1u;
        if (n - p.size() < len) {
            p.push_back('x');
            continue;
        }
        p.insert(p.end(), chars[len - 1], chars[len - 1] + len);
    }
    return p;
}

/// Close codes a command may ask for, some of them unsendable.
constexpr std::uint16_t close_codes[8] = {1000, 1001, 1005, 1006, 999, 3000, 4999, 1011};
/// Close reasons a command may give; 5 is not UTF-8, 7 is too long.
inline bytes close_reason(std::size_t which) {
    switch (which) {
        case 0: return {};
        case 1: return {'b', 'y', 'e'};
        case 2: return make_payload(true, 40, 3);
        case 3: return bytes(123, 'r');
        case 4: return make_payload(true, 123, 9);
        case 5: return {'a', 0xC3};
        case 6: return {0xE2, 0x82, 0xAC};
        default: return bytes(124, 'r');
    }
}

/// The session: reads, commands, budgeted draining, a live peer.
template <role R>
class session {
public:
    explicit session(const config& cfg)
        : cfg_(cfg), c_(make_endpoint<R>(cfg.options, 0xC0FFEE)), log_(cfg.options) {}

    void run(const run_result<R>& whole) {
        std::size_t step = 0;
        for (const auto& [at, n] : plan_reads(cfg_.reads, 1, cfg_.stream.size())) {
            exact_copy buf(cfg_.stream.subspan(at, n));
            receive_all(c_, buf.span(), at, log_, [&](const event& ev, connection_state before, mutable_bytes) {
                sent_.on_event(ev, before, c_.state(), cfg_.options.auto_pong);
            });
            if (step < cfg_.commands.size()) run_command(cfg_.commands[step]);
            ++step;
            write(cfg_.budget);
        }
        for (; step < cfg_.commands.size(); ++step) {
            run_command(cfg_.commands[step]);
            write(cfg_.budget);
        }
        write(0);
        expect_drained(c_);
        check_output_frames(out_, R, cfg_.options.fragment_size);
        peer_.check(sent_);
        // A server never writes to a payload, a client only when asked to mask in place.
        for (const auto& [original, buffer] : untouched_) expect(original == *buffer, "send modified a payload");
        compare_events(whole);
        end();
    }

private:
    void write(std::size_t budget) {
        const std::size_t before = out_.size();
        drain(c_, budget, cfg_.zero_copy, out_);
        peer_.feed(bytes_view(out_).subspan(before));
    }

    /// Keeps a payload alive (and a copy of it) until the end of the run.
    bytes& keep(bytes p) {
        buffers_.push_back(std::move(p));
        return buffers_.back();
    }

    void run_command(std::pair<std::uint8_t, std::uint8_t> command) {
        const std::uint8_t op = command.first & 7;
        const std::uint8_t arg = command.second;
        const bool open = c_.state() == connection_state::open;
        const auto seed = static_cast<std::uint32_t>(command.first ^ (commands_run_++ << 8));
        switch (op) {
            case 0:
            case 1:
            case 2: {  // send: text const, binary mutable, text mutable or binary const
                const bool text = op == 0 || (op == 2 && (arg & 0x20) != 0);
                const bool in_place = op == 1 || (op == 2 && (arg & 0x40) != 0);
                const bool can = c_.can_send();
                bytes& p = keep(make_payload(text, send_lengths[arg & 31], seed));
                const bytes original = p;
                const message_type type = text ? message_type::text : message_type::binary;
                const error e = in_place ? c_.send_in_place(type, mutable_bytes(p)) : c_.send(type, bytes_view(p));
                expect((e == error::none) == can, "send() result disagrees with can_send()");
                if (!can) expect(e == (open ? error::send_in_progress : error::not_open), "send() fails wrongly");
                if (e == error::none) {
                    sent_.messages.push_back({type, original, true, 1});
                    if (!in_place || R == role::server) untouched_.emplace_back(original, &p);
                    streaming_ = false;
                }
                break;
            }
            case 3: {  // begin_message
                const bool can = c_.can_send();
                const message_type type = (arg & 1) != 0 ? message_type::text : message_type::binary;
                const error e = c_.begin_message(type);
                expect((e == error::none) == can, "begin_message() result disagrees with can_send()");
                if (e == error::none) {
                    sent_.messages.push_back({type, {}, false, 0});
                    streaming_ = true;
                }
                break;
            }
            case 4: {  // send_part
                const bool last = (arg & 1) != 0;
                const bool in_place = (arg & 2) != 0;
                const bool text = !sent_.messages.empty() && sent_.messages.back().type == message_type::text;
                bytes& p = keep(make_payload(text, send_lengths[(arg >> 2) & 31], seed));
                const bytes original = p;
                const error e = in_place ? c_.send_part_in_place(mutable_bytes(p), last) : c_.send_part(bytes_view(p), last);
                if (!open)
                    expect(e == error::not_open, "send_part() while not open is not not_open");
                else if (!streaming_)
                    expect(e == error::no_message_started, "send_part() without a message is not no_message_started");
                else
                    expect(e == error::none || e == error::send_in_progress, "send_part() fails wrongly");
                if (e == error::none) {
                    message& m = sent_.messages.back();
                    m.data.insert(m.data.end(), original.begin(), original.end());
                    ++m.parts;
                    if (!in_place || R == role::server) untouched_.emplace_back(original, &p);
                    if (last) {
                        m.complete = true;
                        streaming_ = false;
                    }
                }
                break;
            }
            case 5:
            case 6: {  // ping, pong
                const bytes p = make_payload(false, arg % 128u, seed);
                // After our close(), a pong may still answer a ping (§5.5.2).
                const bool closing_pong = op == 6 && c_.state() == connection_state::closing;
                const error e = op == 5 ? c_.ping(p) : c_.pong(p);
                if (!open && !closing_pong)
                    expect(e == error::not_open, "ping/pong while not open is not not_open");
                else if (p.size() > max_control_payload)
                    expect(e == error::control_payload_too_long, "long ping/pong accepted");
                else
                    expect(e == error::none || e == error::control_queue_full, "ping/pong fails wrongly");
                if (e == error::none) (op == 5 ? sent_.pings : sent_.pongs).push_back(p);
                break;
            }
            default: {  // close
                const std::uint16_t code = close_codes[arg & 7];
                const bytes reason = close_reason((arg >> 3) & 7);
                const std::string_view text(reinterpret_cast<const char*>(reason.data()), reason.size());
                // After the peer's close, close() answers it instead of the
                // echo while the echo is not yet handed out (else not_open).
                const bool answering = !open && c_.state() == connection_state::closed && sent_.close_is_echo;
                const error e = c_.close(code, text);
                error want = error::none;
                if (!open && !answering)
                    want = error::not_open;
                else if (code == static_cast<std::uint16_t>(close_code::no_status) && reason.empty())
                    want = error::none;
                else if (!is_sendable_close_code(code))
                    want = error::unsendable_close_code;
                else if (reason.size() > max_close_reason)
                    want = error::close_reason_too_long;
                else if (!validate_utf8(reason, kernel::scalar).ok())
                    want = error::close_reason_not_utf8;
                expect(e == want || (answering && want == error::none && e == error::not_open), "close() result is wrong",
                       error_name(e));
                if (e == error::none) {
                    bytes payload;
                    if (!(code == static_cast<std::uint16_t>(close_code::no_status) && reason.empty())) {
                        payload = {static_cast<std::uint8_t>(code >> 8), static_cast<std::uint8_t>(code)};
                        payload.insert(payload.end(), reason.begin(), reason.end());
                    }
                    if (answering) {
                        expect(c_.state() == connection_state::closed, "answering the peer's close changed the state");
                        sent_.close_payload = std::move(payload);
                        break;
                    }
                    expect(c_.state() == connection_state::closing, "close() did not start closing");
                    sent_.queue_close(std::move(payload));
                    streaming_ = false;
                    if (closed_at_ == SIZE_MAX) closed_at_ = log_.records().size();
                }
                break;
            }
        }
    }

    /// The receive side is the whole run's, up to our own close() (after it,
    /// data frames are dropped, §7.1).
    void compare_events(const run_result<R>& whole) {
        if (closed_at_ == SIZE_MAX) {
            expect(whole.log.records() == log_.records(), "session events differ from the whole run's");
            return;
        }
        expect(log_.records().size() >= closed_at_ && whole.log.records().size() >= closed_at_,
               "events vanished after close()");
        const std::size_t same = closed_at_ == 0 ? 0 : closed_at_ - 1;  // the last may be a message still arriving
        for (std::size_t i = 0; i < same; ++i)
            expect(log_.records()[i] == whole.log.records()[i], "session events before close() differ");
    }

    /// Ends with the timer the connection asks for, else with end of stream.
    void end() {
        const timer_hint t = c_.timer();
        const connection_state before = c_.state();
        if (t == timer_hint::close_handshake) {
            expect(before == connection_state::closing, "close_handshake timer while not closing");
            const event ev = c_.receive_timeout();
            expect(ev.type == event_type::closed && ev.err == error::close_timeout && ev.code == 1006,
                   "close handshake timeout is not close_timeout");
        } else if (t == timer_hint::tcp_close) {
            // A client after the close handshake, or either role lingering after a failure.
            expect((R == role::client && before == connection_state::closed) || before == connection_state::failed,
                   "tcp_close timer out of place");
            const event ev = c_.receive_timeout();
            expect(ev.type == event_type::closed && ev.err == error::none && ev.action == tcp_action::close_now,
                   "tcp_close timeout reports an error");
            expect(c_.timer() == timer_hint::none, "timer after receive_timeout()");
        } else {
            (void)end_with_eof(c_);
        }
    }

    const config& cfg_;
    endpoint<R> c_;
    event_log log_;
    sent_model sent_;
    peer<other_role(R)> peer_;
    bytes out_;
    std::deque<bytes> buffers_;
    std::vector<std::pair<bytes, const bytes*>> untouched_;
    bool streaming_ = false;
    std::size_t closed_at_ = SIZE_MAX;
    std::uint32_t commands_run_ = 0;
};

/// Compares the whole and split runs.
template <role R>
void compare(const run_result<R>& whole, const run_result<R>& split) {
    // DESIGN invariant 1: the same events (data pieces joined) and messages,
    // failures included: the bytes before an offending one are delivered by
    // every split.
    expect(whole.log.records() == split.log.records(), "split events differ from whole");
    expect(whole.log.messages.size() == split.log.messages.size() &&
               std::equal(whole.log.messages.begin(), whole.log.messages.end(), split.log.messages.begin(),
                          [](const message& x, const message& y) {
                              return x.type == y.type && x.data == y.data && x.complete == y.complete;
                          }),
           "split messages differ from whole");
    expect(whole.out == split.out, "split output bytes differ from whole");
    expect(whole.state == split.state && whole.code == split.code, "split ends in another state");
    expect(whole.end == split.end, "split receive_eof() differs from whole");
    expect(whole.log.failed == split.log.failed, "split fails and whole does not, or the reverse");
    if (whole.log.failed) {
        if (split.log.fail_exact)
            expect(split.log.fail_at == whole.log.fail_at, "split failure position differs from whole");
        else
            expect(whole.log.fail_at <= split.log.fail_input_start, "split says the failure came earlier, it did not");
    }
}

template <role R>
int run(const std::uint8_t* data, std::size_t size) {
    const config cfg = parse_config(data, size);
    const run_result<R> whole = run_whole<R>(cfg);
    const run_result<R> split = run_split<R>(cfg);
    compare(whole, split);
    session<R> s(cfg);
    s.run(whole);
    return 0;
}

}  // namespace fuzz_connection
