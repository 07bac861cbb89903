// SPDX-License-Identifier: MIT
// fuzz/fuzz_deflate_connection.cpp — libFuzzer target for permessage-deflate
// (RFC 7692) in the connection (wscodec/connection.hpp, use_deflate()) on the
// zlib backend, in either role. Three modes:
//   raw        the input after the configuration is the peer's byte stream;
//   framed     the input is a list of frames (first byte, length, payload)
//              that the target encodes, masking them for a server, so that
//              the fuzzer writes DEFLATE payloads straight into RSV1 frames;
//   round trip the input is a list of messages that a second connection of
//              the other role compresses (send() or begin_message() and
//              send_part(), compression automatic or off, fragment_size,
//              pings between parts) and that the connection under test
//              must receive byte for byte; with echo on, it sends them back
//              compressed and the sender must receive them byte for byte too.
// Every run feeds the stream in fuzzer-chosen reads, the unconsumed rest of a
// call handed again in place, compacted into a fresh exactly sized copy (the
// library unmasks in place and must not unmask twice), or with the next read
// appended; owed events (has_pending_event()) drained with empty calls or
// with the next read.
// Oracles on every call: consumed within the input; need_more consumes all
// and owes nothing; a data event's payload views the input or, inflated, at
// most zlib_options::inflate_buffer bytes; a message's data within
// max_message_size; delivered text never invalid UTF-8 and complete text
// valid; no RSV1 reported; failed: all consumed, linger, the error's close
// code (inflate_failed and invalid_utf8 1007, message_too_big and
// frame_too_big 1009, reserved_bits_set 1002), state failed, nothing owed
// and no event but ended after it; close: closed is owed and comes next;
// bounded calls (no progress traps). In raw and framed modes the split run
// and a whole run (one buffer) agree on the events (a failing compressed
// message's delivered bytes: one a prefix of the other) and on the failure.
// The connection's output decodes at a plain peer without failure.
//
// Input (bytes past the end read as 0):
//   byte 0  bit 0 connection under test is a client; bits 1-2 mode (0 raw,
//           1 framed, 2-3 round trip); bit 3 server_no_context_takeover;
//           bit 4 client_no_context_takeover; bit 5 release_between_messages;
//           bit 6 auto_pong off; bit 7 drain with output()/consume()
//   byte 1  bits 0-2 server_max_window_bits - 8, bits 3-5 client's (the
//           window a side compresses with is at least 9: zlib's; in round
//           trip both are); bits 6-7 read scale (1, 7, 64, 1024)
//   byte 2  bits 0-3 max_message_size, bits 4-7 inflate_buffer (tables below)
//   byte 3  bits 0-3 count S of read entries; raw and framed only: bit 4
//           small max_frame_size, bit 5 small max_compressed_message_size,
//           bit 6 allow_non_minimal_length, bit 7 RSV2 allowed
//   S bytes read entries: bits 0-5 size (times the scale; 0 an empty call,
//           63 the rest), bit 6 compact the rest after each event, bit 7
//           append the next read to a rest or to owed events
//   rest    raw: the stream. framed: frames, each [byte 0 as sent][length:
//           0..253, 254 + 2 bytes, 255 + 3 bytes][payload]. round trip: see
//           parse_round_trip().
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <memory>
#include <string_view>
#include <type_traits>
#include <vector>
#include <wscodec/wscodec.hpp>
#include <wscodec/zlib.hpp>

#include "violation.hpp"

namespace {

using namespace wscodec;
using bytes = std::vector<std::uint8_t>;

bytes_view g_input;  // the whole fuzz input, for the report

[[noreturn]] void violation(const char* what) {
    fuzz::violation("fuzz_deflate_connection", what, "input",
                    std::string_view(reinterpret_cast<const char*>(g_input.data()), g_input.size()));
}

void expect(bool ok, const char* what) {
    if (!ok) violation(what);
}

constexpr std::uint64_t max_message_sizes[16] = {1,    2,    16,   100,   125,   255,   1000,  1024,
                                                 4095, 4096, 8192, 16383, 16384, 16385, 32768, 65536};
constexpr std::size_t inflate_buffers[16] = {1, 2, 3, 7, 16, 63, 64, 100, 255, 1000, 1024, 4096, 8191, 16384, 16384, 16385};
constexpr std::size_t read_scales[4] = {1, 7, 64, 1024};

template <role R>
using endpoint = connection<R, std::conditional_t<R == role::client, seeded_key_source, no_key_source>>;

template <role R>
endpoint<R> make_endpoint(const connection_options& o, std::uint64_t seed) {
    if constexpr (R == role::client) return endpoint<R>(o, seeded_key_source(seed));
    else {
        (void)seed;
        return endpoint<R>(o);
    }
}

constexpr role other(role r) noexcept { return r == role::server ? role::client : role::server; }

struct reader {
    bytes_view in;
    std::size_t at = 0;
    std::uint8_t next() { return at < in.size() ? in[at++] : std::uint8_t{0}; }
    [[nodiscard]] bool done() const { return at >= in.size(); }
    bytes_view take(std::size_t n) {
        n = std::min(n, in.size() - std::min(at, in.size()));
        const bytes_view v = in.subspan(std::min(at, in.size()), n);
        at += n;
        return v;
    }
};

struct config {
    bool client = false;
    int mode = 0;  // 0 raw, 1 framed, 2 round trip
    deflate_params params;
    zlib_options zo = zlib_options::max_compression();
    connection_options options;
    bool spans = false;  // drain output with output()/consume()
    std::size_t scale = 1;
    bytes reads;
    bytes_view rest;
};

config parse_config(bytes_view data) {
    reader r{data};
    config c;
    const std::uint8_t b0 = r.next(), b1 = r.next(), b2 = r.next(), b3 = r.next();
    c.client = (b0 & 1) != 0;
    c.mode = std::min((b0 >> 1) & 3, 2);
    c.params.server_no_context_takeover = (b0 & 0x08) != 0;
    c.params.client_no_context_takeover = (b0 & 0x10) != 0;
    c.zo.release_between_messages = (b0 & 0x20) != 0;
    c.options.auto_pong = (b0 & 0x40) == 0;
    c.spans = (b0 & 0x80) != 0;
    auto smwb = static_cast<std::uint8_t>(8 + (b1 & 7));
    auto cmwb = static_cast<std::uint8_t>(8 + ((b1 >> 3) & 7));
    // The window the connection under test compresses with (zlib: 9 at least),
    // and in round trip the sender's too.
    const bool round_trip = c.mode == 2;
    if (c.client || round_trip) cmwb = std::max<std::uint8_t>(cmwb, 9);
    if (!c.client || round_trip) smwb = std::max<std::uint8_t>(smwb, 9);
    c.params.server_max_window_bits = smwb;
    c.params.client_max_window_bits = cmwb;
    c.scale = read_scales[b1 >> 6];
    const std::uint64_t max = max_message_sizes[b2 & 15];
    c.options.limits.max_message_size = max;
    // At most 8192 inflate calls a message: a tiny buffer gets a small limit.
    c.zo.inflate_buffer = std::max<std::size_t>(inflate_buffers[b2 >> 4], static_cast<std::size_t>(max / 8192));
    if (round_trip) {
        c.options.limits.max_fragments = 0xFFFFFFFFu;  // any fragment_size the sender picks
    } else {
        if ((b3 & 0x10) != 0) c.options.limits.max_frame_size = max / 2 + 1;
        if ((b3 & 0x20) != 0) c.options.limits.max_compressed_message_size = max / 4 + 1;
        c.options.allow_non_minimal_length = (b3 & 0x40) != 0;
        if ((b3 & 0x80) != 0) c.options.allowed_rsv = rsv2;
    }
    for (std::size_t i = 0, n = b3 & 15u; i < n; ++i) c.reads.push_back(r.next());
    c.rest = data.subspan(std::min(r.at, data.size()));
    return c;
}

// ------------------------------------------------------------------ buffers

/// An exactly sized heap buffer (ASan sees reads past it) and the offset of
/// its first byte not yet consumed.
struct buffer {
    std::unique_ptr<std::uint8_t[]> data;
    std::size_t size = 0;
    std::size_t off = 0;

    void assign(bytes_view a, bytes_view b = {}) {
        std::unique_ptr<std::uint8_t[]> fresh(new std::uint8_t[a.size() + b.size()]);
        if (!a.empty()) std::memcpy(fresh.get(), a.data(), a.size());
        if (!b.empty()) std::memcpy(fresh.get() + a.size(), b.data(), b.size());
        data = std::move(fresh);
        size = a.size() + b.size();
        off = 0;
    }
    [[nodiscard]] mutable_bytes rest() { return {data.get() + off, size - off}; }
    [[nodiscard]] bool has_rest() const { return off < size; }
};

// ------------------------------------------------------------------ observer

/// What one connection's receive calls gave, checked event by event.
struct observer {
    std::uint64_t max = 0;
    std::size_t inflate_buffer = 0;
    std::vector<bytes> messages;      // complete messages
    std::vector<message_type> types;  // their types
    bytes current;                    // the open message's data so far
    bool in_message = false;
    message_type type = message_type::binary;
    utf8_validator utf8;
    std::vector<bytes> pings, pongs;
    bool failed = false, close_seen = false, closed = false;
    error fail_err = error::none;
    std::uint16_t fail_code = 0;
    std::size_t stalls = 0, calls = 0;
    // Events in a form that does not depend on the reads: data of a message
    // between other events joined, others as they came.
    struct rec {
        event_type type;
        bytes payload;
        bool first = false, last = false;
        message_type message = message_type::binary;
        error err = error::none;
        std::uint16_t code = 0;
    };
    std::vector<rec> records;
    bytes out;  // the connection's output

    template <class Conn>
    void on(Conn& c, const event& ev, mutable_bytes in, connection_state before) {
        ++calls;
        expect(calls < 4'000'000, "too many receive calls");
        expect(ev.consumed <= in.size(), "consumed more than the input");
        const bool progress = ev.consumed != 0 || !ev.payload.empty() || ev.type == event_type::failed ||
                              ev.type == event_type::close || ev.type == event_type::closed ||
                              (ev.type == event_type::data && ev.last);
        stalls = progress ? 0 : stalls + 1;
        if (ev.type == event_type::need_more && !c.has_pending_event()) stalls = 0;  // the caller reads next
        expect(stalls <= 3, "receive() makes no progress");
        const bool over = failed || closed;
        switch (ev.type) {
            case event_type::need_more:
                expect(ev.consumed == in.size(), "need_more left input unconsumed");
                expect(!c.has_pending_event(), "need_more while an event is owed");
                return;
            case event_type::ended:
                expect(over, "ended before failed or closed");
                expect(!in.empty() && ev.consumed == in.size(), "ended did not consume its input");
                return;
            default: break;
        }
        expect(!over, "an event after failed or closed");
        expect(!close_seen || ev.type == event_type::closed, "an event between close and closed");
        rec r{ev.type, bytes(ev.payload.begin(), ev.payload.end())};
        switch (ev.type) {
            case event_type::data: {
                expect((ev.rsv & rsv1) == 0, "RSV1 reported on a data event");
                const std::uint8_t* p = ev.payload.data();
                const bool in_input = !ev.payload.empty() && p >= in.data() && p + ev.payload.size() <= in.data() + ev.consumed;
                if (!ev.payload.empty() && !in_input)
                    expect(ev.payload.size() <= inflate_buffer, "inflated piece larger than the inflate buffer");
                expect(ev.first != in_message, ev.first ? "first piece inside a message" : "piece outside a message");
                expect(ev.message == message_type::text || ev.message == message_type::binary, "data of no type");
                if (ev.first) {
                    current.clear();
                    type = ev.message;
                    utf8 = utf8_validator{};
                } else {
                    expect(ev.message == type, "a piece changes its message's type");
                }
                current.insert(current.end(), ev.payload.begin(), ev.payload.end());
                expect(current.size() <= max, "message over max_message_size");
                if (type == message_type::text && ev.rsv == 0) {
                    utf8_result u = utf8.feed(ev.payload, kernel::scalar);
                    expect(u.err != utf8_error::invalid, "delivered text is not UTF-8");
                    if (ev.last) {
                        u = utf8.finish();
                        expect(u.ok(), "complete text message is not UTF-8");
                    }
                }
                in_message = !ev.last;
                if (ev.last) {
                    messages.push_back(current);
                    types.push_back(type);
                }
                if (!records.empty() && records.back().type == event_type::data && !ev.first && !records.back().last) {
                    records.back().payload.insert(records.back().payload.end(), ev.payload.begin(), ev.payload.end());
                    records.back().last = ev.last;
                } else {
                    r.first = ev.first;
                    r.last = ev.last;
                    r.message = ev.message;
                    records.push_back(std::move(r));
                }
                return;
            }
            case event_type::ping:
                expect(ev.payload.size() <= max_control_payload, "ping over 125 bytes");
                pings.emplace_back(ev.payload.begin(), ev.payload.end());
                break;
            case event_type::pong:
                expect(ev.payload.size() <= max_control_payload, "pong over 125 bytes");
                pongs.emplace_back(ev.payload.begin(), ev.payload.end());
                break;
            case event_type::close:
                expect(c.state() == connection_state::closed, "close but state not closed");
                expect(c.has_pending_event(), "close without the closed event owed");
                close_seen = true;
                r.code = ev.code;
                break;
            case event_type::closed:
                expect(close_seen, "closed without close");
                expect(ev.consumed == 0, "closed consumed input");
                expect(!c.has_pending_event(), "closed with an event still owed");
                closed = true;
                r.code = ev.code;
                break;
            case event_type::failed: {
                const error_kind k = kind_of(ev.err);
                expect(k == error_kind::protocol || k == error_kind::limit || ev.err == error::out_of_memory,
                       "failed with an error that is not the peer's");
                expect(ev.consumed == in.size(), "failed left input unconsumed");
                expect(ev.position <= in.size(), "failure position outside the input");
                expect(ev.action == tcp_action::linger, "failed without linger");
                expect(c.state() == connection_state::failed, "failed but state not failed");
                expect(!c.has_pending_event(), "failed with an event still owed");
                if (before == connection_state::open) {
                    expect(ev.code == static_cast<std::uint16_t>(close_code_for(ev.err)), "failed with the wrong code");
                    std::uint16_t want = 0;
                    if (ev.err == error::inflate_failed || ev.err == error::invalid_utf8) want = 1007;
                    if (ev.err == error::message_too_big || ev.err == error::frame_too_big) want = 1009;
                    if (ev.err == error::reserved_bits_set) want = 1002;
                    expect(want == 0 || ev.code == want, "failed with a code other than RFC 6455 §7.4.1's");
                } else {
                    expect(ev.code == c.close_status(), "failed with another code than the one sent");
                }
                failed = true;
                fail_err = ev.err;
                fail_code = ev.code;
                r.err = ev.err;
                r.code = ev.code;
                break;
            }
            default: violation("unexpected event type");
        }
        records.push_back(std::move(r));
    }
};

/// Takes all of `c`'s output into `o.out`.
template <class Conn>
void drain(Conn& c, bytes& out, bool spans) {
    for (int guard = 0;; ++guard) {
        expect(guard < 1'000'000, "output does not end");
        if (spans) {
            const output_buffers b = c.output();
            if (!b.empty()) {
                std::size_t n = 0;
                for (std::size_t i = 0; i < b.count; ++i) {
                    out.insert(out.end(), b.parts[i].begin(), b.parts[i].end());
                    n += b.parts[i].size();
                }
                c.consume(n);
                continue;
            }
        }
        std::uint8_t chunk[4096];
        const std::size_t n = c.copy_output(mutable_bytes(chunk, sizeof chunk));
        if (n == 0) {
            expect(c.output().empty(), "copy_output gave nothing while output() has bytes");
            return;
        }
        out.insert(out.end(), chunk, chunk + n);
    }
}

/// Feeds `stream` to `c` in the reads `cfg` gives (none: one read), checking
/// each event with `o`; drains the output after each call.
template <class Conn>
void drive(Conn& c, bytes_view stream, const bytes& reads, std::size_t scale, observer& o, bool spans) {
    const bool progress = std::any_of(reads.begin(), reads.end(), [](std::uint8_t e) { return (e & 63) != 0; });
    std::size_t at = 0, k = 0;
    std::uint8_t entry = 0;
    const auto take_read = [&]() -> bytes_view {
        std::size_t n = stream.size() - at;
        if (progress) {
            entry = reads[k++ % reads.size()];
            const std::size_t v = entry & 63u;
            if (v != 63) n = std::min(n, v * scale);
        } else {
            entry = reads.empty() ? 0 : reads[0] & 0xC0;
        }
        const bytes_view r = stream.subspan(at, n);
        at += n;
        return r;
    };
    buffer buf;
    buf.assign({});
    // Bytes copied to compact or to append, at most a few times the stream.
    std::size_t copies = 4 * stream.size() + (std::size_t{64} << 10);
    for (;;) {
        const bool rest = buf.has_rest();
        const bool owed = c.has_pending_event();
        const bool copy = buf.size - buf.off <= copies;
        if (!rest && !owed) {
            if (at == stream.size()) break;
            buf.assign(take_read());
        } else if (copy && (entry & 0x80) != 0 && at < stream.size()) {
            // A caller that reads more before handing the rest (or the owed event) again.
            const mutable_bytes r = buf.rest();
            copies -= r.size();
            bytes keep(r.begin(), r.end());
            buf.assign(bytes_view(keep), take_read());
        } else if (copy && rest && (entry & 0x40) != 0) {
            // A caller that compacts: the rest, as the library left it, in a fresh buffer.
            const mutable_bytes r = buf.rest();
            copies -= r.size();
            bytes keep(r.begin(), r.end());
            buf.assign(bytes_view(keep));
        }
        const connection_state before = c.state();
        const mutable_bytes in = buf.rest();
        const event ev = c.receive(in);
        o.on(c, ev, in, before);
        buf.off += std::min(ev.consumed, in.size());
        drain(c, o.out, spans);
        if (ev.type == event_type::close) {
            // The closed event is owed: it comes next, whatever the input.
            const event next = c.receive(buf.rest());
            expect(next.type == event_type::closed, "close not followed by closed");
            o.on(c, next, buf.rest(), connection_state::closed);
        }
    }
    // Nothing owed, everything consumed: an empty call says need_more.
    const event ev = c.receive(mutable_bytes{});
    expect(ev.type == event_type::need_more && ev.consumed == 0, "an empty call after the end gave an event");
    expect(!c.has_pending_event(), "an event owed after the end");
}

/// The output of the connection under test decodes at a plain peer of the other role without failure.
template <role R>
void check_output(const bytes& out, const observer& o) {
    auto peer = make_endpoint<other(R)>(connection_options{}, 5);
    bytes copy = out;
    mutable_bytes in(copy);
    std::size_t used = 0;
    bool close_seen = false;
    std::uint16_t code = 0;
    for (int guard = 0; guard < 1'000'000; ++guard) {
        const event ev = peer.receive(in.subspan(used));
        used += ev.consumed;
        expect(ev.type != event_type::failed, "the output fails at the peer");
        if (ev.type == event_type::close) {
            close_seen = true;
            code = ev.code;
        }
        if (ev.type == event_type::need_more || ev.type == event_type::ended) {
            if (o.failed) {
                expect(close_seen, "failed but no close frame went out");
                expect(code == o.fail_code, "the close frame sent has another code than the failed event");
            }
            return;
        }
    }
    violation("the peer loops on the output");
}

// ------------------------------------------------------------------ raw and framed

/// The framed mode's frames, encoded (masked for a server under test).
bytes encode_frames(bytes_view spec, bool mask) {
    reader r{spec};
    bytes out;
    std::uint32_t seed = 0x12345678;
    while (!r.done()) {
        const std::uint8_t b0 = r.next();
        std::size_t len = r.next();
        if (len == 254) len = r.next() | std::size_t{r.next()} << 8;
        else if (len == 255) len = r.next() | std::size_t{r.next()} << 8 | std::size_t{r.next()} << 16;
        const bytes_view payload = r.take(len);
        len = payload.size();
        out.push_back(b0);
        const std::uint8_t m = mask ? 0x80 : 0;
        if (len < 126) {
            out.push_back(static_cast<std::uint8_t>(m | len));
        } else if (len < 65536) {
            out.push_back(m | 126);
            out.push_back(static_cast<std::uint8_t>(len >> 8));
            out.push_back(static_cast<std::uint8_t>(len));
        } else {
            out.push_back(m | 127);
            for (int i = 7; i >= 0; --i) out.push_back(static_cast<std::uint8_t>(static_cast<std::uint64_t>(len) >> (8 * i)));
        }
        std::uint8_t key[4] = {0, 0, 0, 0};
        if (mask) {
            seed = seed * 1664525u + 1013904223u;
            for (int i = 0; i < 4; ++i) key[i] = static_cast<std::uint8_t>(seed >> (8 * i));
            out.insert(out.end(), key, key + 4);
        }
        for (std::size_t i = 0; i < len; ++i) out.push_back(static_cast<std::uint8_t>(payload[i] ^ key[i & 3]));
    }
    return out;
}

template <role R>
void run_wire(const config& cfg) {
    const bytes stream = cfg.mode == 1 ? encode_frames(cfg.rest, R == role::server) : bytes(cfg.rest.begin(), cfg.rest.end());
    zlib_backend z_split(cfg.zo), z_whole(cfg.zo);
    auto split = make_endpoint<R>(cfg.options, 7);
    auto whole = make_endpoint<R>(cfg.options, 7);
    expect(split.use_deflate(z_split, cfg.params) == error::none, "use_deflate failed");
    expect(whole.use_deflate(z_whole, cfg.params) == error::none, "use_deflate failed");
    expect(split.deflating(), "not deflating after use_deflate");
    observer os, ow;
    os.max = ow.max = cfg.options.limits.max_message_size;
    os.inflate_buffer = ow.inflate_buffer = cfg.zo.inflate_buffer;
    drive(split, bytes_view(stream), cfg.reads, cfg.scale, os, cfg.spans);
    drive(whole, bytes_view(stream), bytes{}, 1, ow, cfg.spans);
    check_output<R>(os.out, os);
    check_output<R>(ow.out, ow);

    // Split invariance. A failure drops the bytes inflated by the failing
    // call, which depend on the reads: the failing message's last run of
    // data may differ, one a prefix of the other.
    expect(os.failed == ow.failed, "split and whole: one failed, the other not");
    expect(os.closed == ow.closed && os.close_seen == ow.close_seen, "split and whole: close differs");
    std::vector<observer::rec> a = os.records, b = ow.records;
    if (os.failed) {
        expect(os.fail_err == ow.fail_err, "split and whole fail with different errors");
        expect(os.fail_code == ow.fail_code, "split and whole fail with different codes");
        a.pop_back();
        b.pop_back();
        // The run of data the failure cut (if any): one a prefix of the other.
        const auto open_run = [](std::vector<observer::rec>& v) {
            bytes tail;
            if (!v.empty() && v.back().type == event_type::data && !v.back().last) {
                tail = std::move(v.back().payload);
                v.pop_back();
            }
            return tail;
        };
        const bytes ta = open_run(a), tb = open_run(b);
        const std::size_t common = std::min(ta.size(), tb.size());
        expect(std::equal(ta.begin(), ta.begin() + static_cast<std::ptrdiff_t>(common), tb.begin()),
               "split and whole: the failing message's bytes differ");
    }
    expect(a.size() == b.size(), "split and whole: different numbers of events");
    for (std::size_t i = 0; i < a.size(); ++i) {
        const observer::rec &x = a[i], &y = b[i];
        expect(x.type == y.type && x.err == y.err && x.code == y.code, "split and whole: events differ");
        expect(x.message == y.message && x.first == y.first && x.last == y.last, "split and whole: data events differ");
        expect(x.payload == y.payload, "split and whole: payloads differ");
    }
    expect(os.messages == ow.messages, "split and whole: messages differ");
}

// ------------------------------------------------------------------ round trip

struct sent_message {
    message_type type = message_type::binary;
    bytes payload;
    compression comp = compression::automatic;
    bool streamed = false;
    bool ping = false;
    std::size_t part = 0;  // streamed: part size
};

struct round_trip {
    zlib_options sender_zo;
    connection_options sender_options;
    bool echo = false;
    std::vector<sent_message> messages;
};

/// Round trip input: [level % 10][bits 0-3 mem_level % 9 + 1, bits 4-6
/// max_deflate_window_bits 9..15, bit 7 echo][bits 0-2 fragment_size, bits
/// 3-4 compress_min_size, bits 5-7 deflate_buffer], then messages:
/// [flags: bit 0 text, bit 1 compression off, bit 2 streamed, bit 3 ping
/// before (between parts when streamed), bits 4-6 part size, bit 7 may
/// exceed max_message_size][length: 2 bytes, little-endian; 0: the source
/// itself][source count: bits 0-6, bit 7 noise][source bytes]. The payload
/// repeats the source to the length (zeros without a source), XORed with
/// pseudo-random noise if asked; text that is not UTF-8 is made ASCII.
round_trip parse_round_trip(bytes_view in, std::uint64_t max) {
    reader r{in};
    round_trip t;
    const std::uint8_t a = r.next(), b = r.next(), c = r.next();
    t.sender_zo.level = a % 10;
    t.sender_zo.mem_level = (b & 15) % 9 + 1;
    t.sender_zo.max_deflate_window_bits = 9 + std::min((b >> 4) & 7, 6);
    t.echo = (b & 0x80) != 0;
    constexpr std::uint64_t fragment_sizes[8] = {0, 1, 2, 13, 100, 1000, 4096, 65536};
    constexpr std::uint32_t min_sizes[4] = {0, 1, 32, 500};
    constexpr std::size_t deflate_buffers[8] = {64, 65, 100, 777, 1000, 4096, 16384, 16384};
    t.sender_options.fragment_size = fragment_sizes[c & 7];
    t.sender_options.compress_min_size = min_sizes[(c >> 3) & 3];
    t.sender_zo.deflate_buffer = deflate_buffers[c >> 5];
    constexpr std::size_t parts[8] = {1, 3, 17, 100, 1000, 4096, 16384, 1 << 20};
    // Payload bytes in all (work per input): less with tiny frames, one frame
    // a byte or a dozen.
    const std::size_t budget = t.sender_options.fragment_size != 0 && t.sender_options.fragment_size < 100
                                   ? std::size_t{8} << 10
                                   : std::size_t{64} << 10;
    std::size_t total = 0;
    std::uint32_t noise = 0x9E3779B9u;
    while (!r.done() && t.messages.size() < 64 && total < budget) {
        sent_message m;
        const std::uint8_t f = r.next();
        std::size_t len = r.next() | std::size_t{r.next()} << 8;
        const std::uint8_t s = r.next();
        const bytes_view src = r.take(s & 0x7F);
        m.type = (f & 1) != 0 ? message_type::text : message_type::binary;
        m.comp = (f & 2) != 0 ? compression::off : compression::automatic;
        m.streamed = (f & 4) != 0;
        m.ping = (f & 8) != 0;
        m.part = parts[(f >> 4) & 7];
        const bool oversize = (f & 0x80) != 0;
        if (len == 0) {
            m.payload.assign(src.begin(), src.end());
        } else {
            m.payload.resize(len);
            for (std::size_t i = 0; i < len; ++i) m.payload[i] = src.empty() ? 0 : src[i % src.size()];
        }
        if ((s & 0x80) != 0) {
            for (auto& x : m.payload) {
                noise = noise * 1664525u + 1013904223u;
                x ^= static_cast<std::uint8_t>(noise >> 24);
            }
        }
        if (!oversize && m.payload.size() > max) m.payload.resize(static_cast<std::size_t>(max));
        if (m.payload.size() > budget - total) m.payload.resize(budget - total);
        if (m.type == message_type::text && !validate_utf8(bytes_view(m.payload)).ok())
            for (auto& x : m.payload) x &= 0x7F;
        total += m.payload.size();
        t.messages.push_back(std::move(m));
        if (oversize && t.messages.back().payload.size() > max) break;  // the receiver fails there
    }
    return t;
}

/// Sends `msgs` through `s`, all output into `wire`; the pings sent into `pings`.
template <class Conn>
void send_all(Conn& s, const std::vector<sent_message>& msgs, bytes& wire, std::vector<bytes>& pings, bool spans) {
    for (std::size_t i = 0; i < msgs.size(); ++i) {
        const sent_message& m = msgs[i];
        const bytes ping_payload(i % 4, static_cast<std::uint8_t>(i));
        expect(s.can_send(), "sender cannot send after draining");
        if (m.ping && !m.streamed) {
            expect(s.ping(bytes_view(ping_payload)) == error::none, "ping refused");
            pings.push_back(ping_payload);
        }
        if (!m.streamed) {
            expect(s.send(m.type, bytes_view(m.payload), m.comp) == error::none, "send refused");
            drain(s, wire, spans);
            continue;
        }
        expect(s.begin_message(m.type, m.comp) == error::none, "begin_message refused");
        std::size_t at = 0;
        for (std::size_t k = 0;; ++k) {
            // Text in parts: a cut inside a character is fine (checked across parts).
            const std::size_t n = std::min(m.part, m.payload.size() - at);
            const bool last = at + n == m.payload.size();
            expect(s.can_send_part(), "sender cannot send a part after draining");
            expect(s.send_part(bytes_view(m.payload.data() + at, n), last) == error::none, "send_part refused");
            at += n;
            drain(s, wire, spans);
            if (last) break;
            if (m.ping && k == 0) {
                expect(s.ping(bytes_view(ping_payload)) == error::none, "ping between parts refused");
                pings.push_back(ping_payload);
                drain(s, wire, spans);
            }
        }
    }
}

template <role R>
void run_round_trip(const config& cfg) {
    const std::uint64_t max = cfg.options.limits.max_message_size;
    const round_trip t = parse_round_trip(cfg.rest, max);
    zlib_backend zs(t.sender_zo), zr(cfg.zo);
    auto sender = make_endpoint<other(R)>(t.sender_options, 3);
    auto receiver = make_endpoint<R>(cfg.options, 9);
    expect(sender.use_deflate(zs, cfg.params) == error::none, "sender use_deflate failed");
    expect(receiver.use_deflate(zr, cfg.params) == error::none, "receiver use_deflate failed");
    bytes wire;
    std::vector<bytes> pings;
    send_all(sender, t.messages, wire, pings, cfg.spans);

    observer o;
    o.max = max;
    o.inflate_buffer = cfg.zo.inflate_buffer;
    drive(receiver, bytes_view(wire), cfg.reads, cfg.scale, o, cfg.spans);
    check_output<R>(o.out, o);

    const bool too_big = !t.messages.empty() && t.messages.back().payload.size() > max;
    const std::size_t whole = t.messages.size() - (too_big ? 1 : 0);
    expect(o.messages.size() == whole, "round trip: a different number of messages");
    for (std::size_t i = 0; i < whole; ++i) {
        expect(o.types[i] == t.messages[i].type, "round trip: a message changed its type");
        expect(o.messages[i] == t.messages[i].payload, "round trip: a message changed");
    }
    if (too_big) {
        expect(o.failed && o.fail_err == error::message_too_big && o.fail_code == 1009,
               "round trip: a message over max_message_size did not fail with 1009");
        const bytes& big = t.messages.back().payload;
        if (o.in_message)
            expect(o.current.size() <= big.size() && std::equal(o.current.begin(), o.current.end(), big.begin()),
                   "round trip: the refused message's delivered bytes are not its start");
        expect(o.pings.size() <= pings.size(), "round trip: more pings than sent");
    } else {
        expect(!o.failed, "round trip: the receiver failed");
        expect(receiver.state() == connection_state::open, "round trip: the receiver is not open");
        expect(o.pings == pings, "round trip: pings differ");
    }
    if (!t.echo || o.failed) return;

    // Echo: the receiver sends every message back (compressed as the sender
    // sent it), behind the pongs it queued; the sender must get them all.
    bytes back = o.out;
    for (std::size_t i = 0; i < o.messages.size(); ++i) {
        expect(receiver.send(o.types[i], bytes_view(o.messages[i]), t.messages[i].comp) == error::none, "echo refused");
        drain(receiver, back, cfg.spans);
    }
    observer e;
    e.max = sender.options().limits.max_message_size;
    e.inflate_buffer = zs.options().inflate_buffer;
    drive(sender, bytes_view(back), cfg.reads, cfg.scale, e, cfg.spans);
    expect(!e.failed, "echo: the sender failed");
    expect(e.messages == o.messages, "echo: the messages differ");
    if (cfg.options.auto_pong) expect(e.pongs == pings, "echo: pongs differ from the pings");
    else expect(e.pongs.empty(), "echo: pongs with auto_pong off");
}

template <role R>
void run(const config& cfg) {
    if (cfg.mode == 2) run_round_trip<R>(cfg);
    else run_wire<R>(cfg);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    g_input = bytes_view(data, size);
    const config cfg = parse_config(g_input);
    if (cfg.client) run<role::client>(cfg);
    else run<role::server>(cfg);
    return 0;
}
