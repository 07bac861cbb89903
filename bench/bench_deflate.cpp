// SPDX-License-Identifier: MIT
// bench/bench_deflate.cpp — permessage-deflate (RFC 7692) through the
// connection, against zlib doing the same job alone (issue 14: "bench vs
// zlib alone, <= 5% overhead"). Built only when zlib is found.
//
// The data: JSON as a chat or market-data server sends it (trades and chat
// lines in a batch object), built deterministically at 64 B, 1 KiB, 16 KiB
// and 256 KiB, exactly that many bytes each. With context takeover the
// compressor's window holds the previous messages, so sending one message
// over and over would compress it to a few back references: each size has a
// pool of distinct messages, about 512 KiB in all (at least 2), sent in turn.
// And 1 MiB messages of the Chinese prose the UTF-8 benchmarks validate
// (bench/text.hpp; the pool's two messages are two variants of it), under the
// `cjk` names: 3-byte UTF-8 text, where the receiver validates every
// inflated byte.
//
// Both sides use zlib_options::balanced() (level 6, memLevel 5, the
// compressor's window 2^12, 16 KiB buffers) and deflate_params{} (context
// takeover both ways; the client inflates with a 2^15 window), or with
// no_context_takeover both ways (the `json_no_takeover` names).
//
//   deflate/send/<data>/<n>           a server connection compresses a text
//       message per iteration; output()/consume() hands the frames out, each
//       counted, with the sum of its payload bytes (what a writer reads).
//   deflate/zlib_alone/<data>/<n>     the same messages, raw zlib: deflate()
//       with Z_SYNC_FLUSH into a 16 KiB buffer (the connection's deflate
//       buffer) until done, the same sum, 00 00 ff ff checked and dropped;
//       deflateReset() after each message without context takeover. The
//       two produce the same bytes (same zlib, same parameters, same input;
//       checked on two rounds of the pool before the timed loop), so they do
//       the same compression work. The `ratio` counter is compressed / plain
//       bytes over the run (the first round, with an empty window, weighs
//       more in a short run).
//   deflate/receive/<data>/<n>        a client connection receives one
//       message's frames (made beforehand by a library server, from a stream
//       in the steady state: the window already holds the pool's previous
//       messages) per iteration and inflates them; every inflated byte summed.
//   deflate/inflate_utf8_alone/<data>/<n>  inflate_alone plus the UTF-8
//       check of the inflated text that receive must make (utf8_validator).
//   deflate/inflate_alone/<data>/<n>  raw zlib inflates the same messages'
//       payloads with 00 00 ff ff appended (§7.2.2) into a 16 KiB buffer (the
//       connection's inflate buffer), the same sum.
//   deflate/memcpy/<data>/<n>         the yardstick: memcpy of n bytes.
//
// Bytes are plain (uncompressed) message bytes; items are messages.
// Checks: before the timed loop (once per size and parameters) a library
// server and client exchange two rounds of the pool, every message inflated
// back to the original, and raw zlib compresses the same two rounds to the
// same bytes as the library. After the loop, send and zlib_alone compress one more
// message on the same stream, which raw zlib inflates back given the
// stream's history as its dictionary; every message ended with one FIN
// frame; receive and inflate_alone: the sum of the inflated bytes equals the
// sum of the messages received, and each ended once.
#include <benchmark/benchmark.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>
#include <wscodec/wscodec.hpp>
#include <wscodec/zlib.hpp>

#include "common.hpp"
#include "text.hpp"

namespace {

using wscodec::bytes_view;
using wscodec::event;
using wscodec::event_type;
using wscodec::message_type;
using wscodec::mutable_bytes;

constexpr std::array<std::size_t, 4> sizes = {64, 1024, 16384, 262144};  // JSON
constexpr std::size_t cjk_size = std::size_t{1} << 20;                    // Chinese text

/// What the messages hold.
enum class corpus : std::uint8_t { json, cjk };
constexpr std::size_t pool_bytes = std::size_t{512} << 10;
constexpr std::size_t chunk = 16384;  // zlib_options::balanced()'s inflate_buffer and deflate_buffer

using client = wscodec::connection<wscodec::role::client, wscodec::seeded_key_source>;

/// The sum of every byte: the same work per byte whoever wrote them.
inline std::uint64_t byte_sum(bytes_view p) noexcept {
    std::uint64_t s = 0;
    for (const std::uint8_t b : p) s += b;
    return s;
}

// ------------------------------------------------------------------ the data

/// Appends one JSON event: a trade (60%) or a chat line.
void append_record(std::string& out, bench::splitmix& rng, std::uint64_t seq, double& price) {
    static constexpr const char* symbols[] = {"BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT",
                                              "DOGEUSDT", "ADAUSDT", "BNBUSDT", "LTCUSDT"};
    static constexpr const char* users[] = {"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi",
                                            "ivan", "judy", "mallory", "niaj", "olivia", "peggy", "rupert", "sybil"};
    static constexpr const char* rooms[] = {"general", "random", "support", "trading"};
    static constexpr const char* words[] = {"the", "order", "book", "is", "thin", "today", "see", "you", "at",
                                            "standup", "price", "moved", "again", "anyone", "seen", "this", "bug",
                                            "deploy", "done", "thanks", "for", "the", "fix", "lunch", "soon"};
    char buf[256];
    const std::uint64_t ts = 1700000000000ull + seq * 37 + rng.below(30);
    if (rng.below(10) < 6) {
        price *= 1.0 + (rng.unit() - 0.5) * 0.002;
        const int k = std::snprintf(buf, sizeof buf,
                                    "{\"e\":\"trade\",\"s\":\"%s\",\"t\":%llu,\"p\":\"%.2f\",\"q\":\"%.5f\",\"T\":%llu,\"m\":%s}",
                                    symbols[rng.below(std::size(symbols))], static_cast<unsigned long long>(seq),
                                    price, rng.unit() * 3.0, static_cast<unsigned long long>(ts),
                                    rng.below(2) != 0 ? "true" : "false");
        out.append(buf, static_cast<std::size_t>(k));
        return;
    }
    std::string text;
    const std::size_t n_words = 3 + rng.below(12);
    for (std::size_t i = 0; i < n_words; ++i) {
        if (i != 0) text += ' ';
        text += words[rng.below(std::size(words))];
    }
    const int k = std::snprintf(buf, sizeof buf,
                                "{\"type\":\"message\",\"room\":\"%s\",\"user\":\"%s\",\"id\":%llu,\"ts\":%llu,\"text\":\"%s\"}",
                                rooms[rng.below(std::size(rooms))], users[rng.below(std::size(users))],
                                static_cast<unsigned long long>(seq), static_cast<unsigned long long>(ts / 1000),
                                text.c_str());
    out.append(buf, static_cast<std::size_t>(k));
}

/// A JSON message of exactly `n` bytes (n >= 64): below 256 bytes one small
/// ticker update, else {"type":"batch","seq":..,"events":[...]} with as many
/// events as fit; spaces before the closing bracket make up the size.
std::vector<std::uint8_t> json_message(std::size_t n, std::uint64_t index) {
    bench::splitmix rng(n * 1000003 + index);
    std::string s;
    if (n < 256) {
        char buf[128];
        const int k = std::snprintf(buf, sizeof buf, "{\"s\":\"ETHUSDT\",\"p\":%.2f,\"q\":%.3f,\"T\":%llu",
                                    2000.0 + rng.unit() * 500.0, rng.unit() * 9.0,
                                    static_cast<unsigned long long>(1700000000000ull + index * 41));
        s.assign(buf, static_cast<std::size_t>(k));
        if (s.size() + 1 > n) return {};
        s.append(n - 1 - s.size(), ' ');
        s += '}';
    } else {
        double price = 43000.0 + rng.unit() * 1000.0;
        std::uint64_t seq = index * 100000;
        s = "{\"type\":\"batch\",\"seq\":" + std::to_string(index) + ",\"events\":[";
        for (;;) {
            std::string rec;
            append_record(rec, rng, seq++, price);
            const std::size_t comma = s.back() == '[' ? 0 : 1;
            if (s.size() + comma + rec.size() + 2 > n) break;
            if (comma != 0) s += ',';
            s += rec;
        }
        s.append(n - 2 - s.size(), ' ');
        s += "]}";
    }
    return {s.begin(), s.end()};
}

/// Distinct messages of `n` bytes, about pool_bytes in all, sent in turn.
struct pool {
    std::vector<std::vector<std::uint8_t>> messages;
    std::vector<std::uint64_t> prefix;  // prefix[i]: byte_sum of messages [0, i)

    /// The sum of the messages of the first `count` iterations (0, 1, ... cycling).
    [[nodiscard]] std::uint64_t expected_sum(std::uint64_t count) const {
        const std::uint64_t n = messages.size();
        return count / n * prefix[n] + prefix[count % n];
    }
    /// The stream before message `i` in cycle order, its last 32 KiB (or all
    /// the pool has): the dictionary a raw inflater needs to go on there.
    [[nodiscard]] std::vector<std::uint8_t> history_before(std::size_t i) const {
        std::vector<std::uint8_t> h;
        std::size_t j = i;
        std::size_t taken = 0;
        std::vector<std::size_t> order;
        while (taken < 32768 && order.size() < messages.size()) {
            j = (j + messages.size() - 1) % messages.size();
            order.push_back(j);
            taken += messages[j].size();
        }
        for (auto it = order.rbegin(); it != order.rend(); ++it) h.insert(h.end(), messages[*it].begin(), messages[*it].end());
        if (h.size() > 32768) h.erase(h.begin(), h.end() - 32768);
        return h;
    }
};

const pool& pool_of(corpus kind, std::size_t n) {
    static std::map<std::pair<corpus, std::size_t>, pool> cache;
    auto it = cache.find({kind, n});
    if (it != cache.end()) return it->second;
    pool p;
    const std::size_t count = std::max<std::size_t>(2, pool_bytes / n);
    p.prefix.push_back(0);
    for (std::size_t i = 0; i < count; ++i) {
        if (kind == corpus::json) p.messages.push_back(json_message(n, i));
        else {
            const std::string t = bench::make_cjk_text(n, i);
            p.messages.emplace_back(t.begin(), t.end());
        }
        if (p.messages.back().size() != n) {
            p.messages.clear();
            break;
        }
        p.prefix.push_back(p.prefix.back() + byte_sum(p.messages.back()));
    }
    return cache.emplace(std::make_pair(kind, n), std::move(p)).first->second;
}

wscodec::deflate_params params_of(bool no_takeover) {
    wscodec::deflate_params p;
    p.server_no_context_takeover = no_takeover;
    p.client_no_context_takeover = no_takeover;
    return p;
}

// ------------------------------------------------------------ zlib directly

constexpr std::array<std::uint8_t, 4> sync_tail = {0x00, 0x00, 0xff, 0xff};

/// Raw zlib's compressor with the settings of zlib_backend(`o`) for a peer
/// that lets us use a 2^15 window: deflateInit2 with the same level, window
/// and memLevel.
struct raw_deflater {
    z_stream z{};
    bool ok = false;
    explicit raw_deflater(const wscodec::zlib_options& o) {
        ok = deflateInit2(&z, o.level, Z_DEFLATED, -std::min(15, o.max_deflate_window_bits), o.mem_level,
                          Z_DEFAULT_STRATEGY) == Z_OK;
    }
    raw_deflater(const raw_deflater&) = delete;
    raw_deflater& operator=(const raw_deflater&) = delete;
    ~raw_deflater() {
        if (ok) (void)deflateEnd(&z);
    }

    /// Compresses `m` with a sync flush into `out` a buffer-full at a time;
    /// `sink(bytes)` sees each piece. Returns the compressed size without the
    /// tail, or SIZE_MAX if the flush did not end in 00 00 ff ff.
    template <class Sink>
    std::size_t message(bytes_view m, mutable_bytes out, Sink&& sink) {
        z.next_in = const_cast<Bytef*>(m.data());
        z.avail_in = static_cast<uInt>(m.size());
        std::size_t total = 0;
        std::uint32_t last4 = 0;  // the last 4 bytes produced, oldest in the high byte
        do {
            z.next_out = out.data();
            z.avail_out = static_cast<uInt>(out.size());
            if (deflate(&z, Z_SYNC_FLUSH) == Z_STREAM_ERROR) return SIZE_MAX;
            const std::size_t k = out.size() - z.avail_out;
            for (std::size_t i = k > 4 ? k - 4 : 0; i < k; ++i) last4 = (last4 << 8) | out[i];
            sink(bytes_view(out.data(), k));
            total += k;
        } while (z.avail_out == 0);
        if (total < 4 || last4 != 0x0000ffffu) return SIZE_MAX;
        return total - 4;
    }
};

/// Raw zlib's inflater with a 2^15 window (what a peer allowed to compress
/// with 15 bits needs).
struct raw_inflater {
    z_stream z{};
    bool ok = false;
    raw_inflater() { ok = inflateInit2(&z, -15) == Z_OK; }
    raw_inflater(const raw_inflater&) = delete;
    raw_inflater& operator=(const raw_inflater&) = delete;
    ~raw_inflater() {
        if (ok) (void)inflateEnd(&z);
    }

    /// Inflates `in` (a message's payload with the tail appended) into `out`
    /// a buffer-full at a time; `sink(bytes)` sees each piece. False on a
    /// zlib error.
    template <class Sink>
    bool message(bytes_view in, mutable_bytes out, Sink&& sink) {
        z.next_in = const_cast<Bytef*>(in.data());
        z.avail_in = static_cast<uInt>(in.size());
        for (;;) {
            z.next_out = out.data();
            z.avail_out = static_cast<uInt>(out.size());
            const int rc = inflate(&z, Z_SYNC_FLUSH);
            if (rc != Z_OK && rc != Z_BUF_ERROR) return false;
            sink(bytes_view(out.data(), out.size() - z.avail_out));
            if (z.avail_in == 0 && z.avail_out != 0) return true;
        }
    }
};

/// True if `payload` (a message's compressed payload, without the tail),
/// inflated by raw zlib after `dictionary` (the stream's earlier bytes), is `expect`.
bool inflates_to(bytes_view payload, bytes_view dictionary, bytes_view expect) {
    raw_inflater in;
    if (!in.ok) return false;
    if (!dictionary.empty() &&
        inflateSetDictionary(&in.z, dictionary.data(), static_cast<uInt>(dictionary.size())) != Z_OK)
        return false;
    std::vector<std::uint8_t> data(payload.begin(), payload.end());
    data.insert(data.end(), sync_tail.begin(), sync_tail.end());
    std::vector<std::uint8_t> got;
    std::vector<std::uint8_t> out(chunk);
    if (!in.message(data, out, [&](bytes_view p) { got.insert(got.end(), p.begin(), p.end()); })) return false;
    return got.size() == expect.size() && std::equal(got.begin(), got.end(), expect.begin());
}

// ------------------------------------------------------- the library's frames

/// What a server's output() hands out for one message, frame by frame.
struct sent_message {
    std::vector<std::uint8_t> wire;     // the frames as written
    std::vector<std::uint8_t> payload;  // their payloads, concatenated (the compressed message)
    std::size_t frames = 0;
    bool well_formed = true;  // text, RSV1 on the first frame only, FIN on the last only
};

sent_message drain(wscodec::server_connection& s) {
    sent_message m;
    for (;;) {
        const wscodec::output_buffers o = s.output();
        if (o.empty()) break;
        const bytes_view h = o.parts[0];
        const bytes_view p = o.count == 2 ? o.parts[1] : bytes_view{};
        const std::uint8_t b0 = h[0];
        const bool first = m.frames == 0;
        if ((b0 & 0x0F) != (first ? 0x1 : 0x0) || ((b0 & 0x40) != 0) != first || (b0 & 0x30) != 0)
            m.well_formed = false;
        m.wire.insert(m.wire.end(), h.begin(), h.end());
        m.wire.insert(m.wire.end(), p.begin(), p.end());
        m.payload.insert(m.payload.end(), p.begin(), p.end());
        ++m.frames;
        const bool fin = (b0 & 0x80) != 0;
        s.consume(o.size());
        if (fin != s.output().empty()) m.well_formed = false;  // FIN exactly on the last frame
    }
    return m;
}

/// Receives one message's frames in `in` with `c`; each data piece goes to
/// `sink`. Counts the message's ends in `lasts`. False on any other event.
template <class Sink>
bool receive_message(client& c, mutable_bytes in, Sink&& sink, std::uint64_t& lasts) {
    for (;;) {
        const event ev = c.receive(in);
        if (ev.type == event_type::data) {
            sink(bytes_view(ev.payload));
            lasts += ev.last;
        } else if (ev.type == event_type::need_more) {
            if (!c.has_pending_event()) return true;
        } else {
            return false;
        }
        in = in.subspan(ev.consumed);
    }
}

/// The receive benchmarks' input for a size and parameters: two rounds of the
/// pool as a library server sends them; the first round primes a receiver's
/// window, the second is received in the timed loop (message i of it was
/// compressed with the messages before it in cycle order in the window,
/// which is what the receiver's window holds when it comes round again).
/// Made once, after a library client has inflated both rounds back to the
/// pool.
struct wire_rounds {
    std::string error;
    std::vector<std::uint8_t> frames[2];           // each round's frames
    std::vector<std::size_t> frame_at[2];          // message i: frames[r][frame_at[r][i], frame_at[r][i + 1])
    std::vector<std::uint8_t> payloads[2];         // each message's compressed payload and 00 00 ff ff
    std::vector<std::size_t> payload_at[2];
    std::uint64_t compressed = 0;                  // round 2's payload bytes (without tails)
    std::uint64_t frame_count = 0;                 // round 2's frames
};

const wire_rounds& rounds_of(corpus kind, std::size_t n, bool no_takeover) {
    static std::map<std::tuple<corpus, std::size_t, bool>, wire_rounds> cache;
    auto it = cache.find({kind, n, no_takeover});
    if (it != cache.end()) return it->second;
    wire_rounds w;
    const pool& p = pool_of(kind, n);
    wscodec::zlib_backend zb(wscodec::zlib_options::balanced());
    wscodec::server_connection s;
    client c({}, wscodec::seeded_key_source(1));
    if (p.messages.empty()) w.error = "could not build the JSON messages";
    else if (s.use_deflate(zb, params_of(no_takeover)) != wscodec::error::none ||
             c.use_deflate(zb, params_of(no_takeover)) != wscodec::error::none)
        w.error = "use_deflate failed";
    for (int r = 0; r < 2 && w.error.empty(); ++r) {
        w.frame_at[r].push_back(0);
        w.payload_at[r].push_back(0);
        for (const std::vector<std::uint8_t>& m : p.messages) {
            if (s.send(message_type::text, bytes_view(m)) != wscodec::error::none) {
                w.error = "send was refused";
                break;
            }
            sent_message sm = drain(s);
            if (!sm.well_formed || sm.frames == 0) {
                w.error = "the server's frames are not one compressed text message";
                break;
            }
            std::vector<std::uint8_t> got;
            std::uint64_t lasts = 0;
            std::vector<std::uint8_t> wire = sm.wire;
            if (!receive_message(c, wire, [&](bytes_view d) { got.insert(got.end(), d.begin(), d.end()); }, lasts) ||
                lasts != 1 || got != m) {
                w.error = "a library client does not inflate what the server sent back to the message";
                break;
            }
            w.frames[r].insert(w.frames[r].end(), sm.wire.begin(), sm.wire.end());
            w.frame_at[r].push_back(w.frames[r].size());
            w.payloads[r].insert(w.payloads[r].end(), sm.payload.begin(), sm.payload.end());
            w.payloads[r].insert(w.payloads[r].end(), sync_tail.begin(), sync_tail.end());
            w.payload_at[r].push_back(w.payloads[r].size());
            if (r == 1) {
                w.compressed += sm.payload.size();
                w.frame_count += sm.frames;
            }
        }
    }
    // Raw zlib with the same settings makes the same bytes: the two sides of
    // each comparison do the same compression work.
    raw_deflater d(wscodec::zlib_options::balanced());
    std::vector<std::uint8_t> out(chunk);
    for (int r = 0; r < 2 && w.error.empty(); ++r) {
        std::vector<std::uint8_t> stream;
        for (const std::vector<std::uint8_t>& m : p.messages) {
            const std::size_t k = d.message(m, out, [&](bytes_view piece) { stream.insert(stream.end(), piece.begin(), piece.end()); });
            if (k == SIZE_MAX) {
                w.error = "raw zlib's flush did not end with 00 00 ff ff";
                break;
            }
            if (no_takeover) (void)deflateReset(&d.z);
        }
        if (w.error.empty() && stream != w.payloads[r]) w.error = "raw zlib and the library compress the pool differently";
    }
    return cache.emplace(std::make_tuple(kind, n, no_takeover), std::move(w)).first->second;
}

// ---------------------------------------------------------------- benchmarks

void set_counters(benchmark::State& state, std::size_t n, std::uint64_t compressed, std::uint64_t frames) {
    const auto iters = static_cast<std::uint64_t>(state.iterations());
    state.SetItemsProcessed(static_cast<std::int64_t>(iters));
    state.SetBytesProcessed(static_cast<std::int64_t>(iters * n));
    state.counters["ratio"] = static_cast<double>(compressed) / static_cast<double>(iters * n);
    state.counters["frames/msg"] = static_cast<double>(frames) / static_cast<double>(iters);
}

/// A server connection compresses one message per iteration.
void bm_send(benchmark::State& state, corpus kind, std::size_t n, bool no_takeover) {
    const pool& p = pool_of(kind, n);
    if (const std::string& e = rounds_of(kind, n, no_takeover).error; !e.empty()) {
        state.SkipWithError(e.c_str());
        return;
    }
    wscodec::zlib_backend zb(wscodec::zlib_options::balanced());
    wscodec::server_connection s;
    if (s.use_deflate(zb, params_of(no_takeover)) != wscodec::error::none) {
        state.SkipWithError("use_deflate failed");
        return;
    }
    const std::size_t count = p.messages.size();
    std::size_t i = 0;
    std::uint64_t frames = 0, fins = 0, compressed = 0, sum = 0;
    bool wrong = false;
    for (auto _ : state) {
        if (s.send(message_type::text, bytes_view(p.messages[i])) != wscodec::error::none) {
            wrong = true;
            break;
        }
        if (++i == count) i = 0;
        for (;;) {
            const wscodec::output_buffers o = s.output();
            if (o.empty()) break;
            ++frames;
            fins += static_cast<std::uint64_t>(o.parts[0][0] >> 7);
            if (o.count == 2) {
                compressed += o.parts[1].size();
                sum += byte_sum(o.parts[1]);
            }
            s.consume(o.size());
        }
    }
    benchmark::DoNotOptimize(sum);
    const auto iters = static_cast<std::uint64_t>(state.iterations());
    if (wrong || fins != iters || frames < iters) {
        state.SkipWithError("send refused, or not one FIN frame per message");
        return;
    }
    // One more message on the same stream inflates back given its history.
    if (s.send(message_type::text, bytes_view(p.messages[i])) != wscodec::error::none) {
        state.SkipWithError("the check message was refused");
        return;
    }
    const sent_message sm = drain(s);
    const std::vector<std::uint8_t> dict = no_takeover || iters == 0 ? std::vector<std::uint8_t>{} : p.history_before(i);
    if (!sm.well_formed || !inflates_to(sm.payload, dict, p.messages[i])) {
        state.SkipWithError("the stream does not inflate back to the messages");
        return;
    }
    set_counters(state, n, compressed, frames);
}

/// Raw zlib compresses the same messages.
void bm_zlib_alone(benchmark::State& state, corpus kind, std::size_t n, bool no_takeover) {
    const pool& p = pool_of(kind, n);
    if (const std::string& e = rounds_of(kind, n, no_takeover).error; !e.empty()) {
        state.SkipWithError(e.c_str());
        return;
    }
    raw_deflater d(wscodec::zlib_options::balanced());
    if (!d.ok) {
        state.SkipWithError("deflateInit2 failed");
        return;
    }
    std::vector<std::uint8_t> out(chunk);
    const std::size_t count = p.messages.size();
    std::size_t i = 0;
    std::uint64_t frames = 0, compressed = 0, sum = 0;
    bool wrong = false;
    for (auto _ : state) {
        const std::size_t k = d.message(p.messages[i], out, [&](bytes_view piece) {
            ++frames;
            sum += byte_sum(piece);
        });
        if (k == SIZE_MAX) {
            wrong = true;
            break;
        }
        sum -= 0x1fe;  // the tail's bytes, which a sender drops (§7.2.1)
        compressed += k;
        if (no_takeover) (void)deflateReset(&d.z);
        if (++i == count) i = 0;
    }
    benchmark::DoNotOptimize(sum);
    if (wrong) {
        state.SkipWithError("deflate failed or did not end with 00 00 ff ff");
        return;
    }
    std::vector<std::uint8_t> last;
    const std::size_t k = d.message(p.messages[i], out, [&](bytes_view piece) { last.insert(last.end(), piece.begin(), piece.end()); });
    const std::vector<std::uint8_t> dict =
        no_takeover || state.iterations() == 0 ? std::vector<std::uint8_t>{} : p.history_before(i);
    if (k == SIZE_MAX || !inflates_to(bytes_view(last.data(), k), dict, p.messages[i])) {
        state.SkipWithError("the stream does not inflate back to the messages");
        return;
    }
    set_counters(state, n, compressed, frames);
}

/// A client connection receives and inflates one message per iteration.
void bm_receive(benchmark::State& state, corpus kind, std::size_t n, bool no_takeover) {
    const pool& p = pool_of(kind, n);
    const wire_rounds& w = rounds_of(kind, n, no_takeover);
    if (!w.error.empty()) {
        state.SkipWithError(w.error.c_str());
        return;
    }
    wscodec::zlib_backend zb(wscodec::zlib_options::balanced());
    client c({}, wscodec::seeded_key_source(1));
    if (c.use_deflate(zb, params_of(no_takeover)) != wscodec::error::none) {
        state.SkipWithError("use_deflate failed");
        return;
    }
    // The first round, to fill the window as the sender's was.
    std::vector<std::uint8_t> prime = w.frames[0];
    std::uint64_t lasts = 0, sum = 0;
    if (!receive_message(c, prime, [&](bytes_view d) { sum += byte_sum(d); }, lasts) ||
        lasts != p.messages.size() || sum != p.prefix.back()) {
        state.SkipWithError("the first round does not inflate back");
        return;
    }
    std::vector<std::uint8_t> frames = w.frames[1];  // receive() takes mutable bytes; a client's are not changed
    const std::vector<std::size_t>& at = w.frame_at[1];
    const std::size_t count = p.messages.size();
    std::size_t i = 0;
    lasts = 0;
    sum = 0;
    bool wrong = false;
    for (auto _ : state) {
        const mutable_bytes in(frames.data() + at[i], at[i + 1] - at[i]);
        if (!receive_message(c, in, [&](bytes_view d) { sum += byte_sum(d); }, lasts)) {
            wrong = true;
            break;
        }
        if (++i == count) i = 0;
    }
    const auto iters = static_cast<std::uint64_t>(state.iterations());
    if (wrong || lasts != iters || sum != p.expected_sum(iters)) {
        state.SkipWithError("an event other than data, or the inflated bytes differ from the messages");
        return;
    }
    set_counters(state, n, iters / count * w.compressed + (w.payload_at[1][iters % count] - 4 * (iters % count)), 0);
    state.counters["frames/msg"] = static_cast<double>(w.frame_count) / static_cast<double>(count);
}

/// Raw zlib inflates the same messages.
/// `utf8`: each inflated piece also goes through a utf8_validator, as the
/// connection must check inflated text (RFC 6455 §8.1): the yardstick for
/// `receive` on text is raw zlib plus that check.
void bm_inflate_alone(benchmark::State& state, corpus kind, std::size_t n, bool no_takeover, bool utf8 = false) {
    const pool& p = pool_of(kind, n);
    const wire_rounds& w = rounds_of(kind, n, no_takeover);
    if (!w.error.empty()) {
        state.SkipWithError(w.error.c_str());
        return;
    }
    raw_inflater in;
    std::vector<std::uint8_t> out(chunk);
    const std::size_t count = p.messages.size();
    std::uint64_t sum = 0;
    bool wrong = !in.ok;
    for (std::size_t j = 0; j < count && !wrong; ++j) {
        const bytes_view m(w.payloads[0].data() + w.payload_at[0][j], w.payload_at[0][j + 1] - w.payload_at[0][j]);
        wrong = !in.message(m, out, [&](bytes_view d) { sum += byte_sum(d); });
        if (no_takeover) (void)inflateReset(&in.z);
    }
    if (wrong || sum != p.prefix.back()) {
        state.SkipWithError("the first round does not inflate back");
        return;
    }
    const std::vector<std::size_t>& at = w.payload_at[1];
    const std::uint8_t* data = w.payloads[1].data();
    std::size_t i = 0;
    sum = 0;
    wscodec::utf8_validator v;
    std::uint64_t invalid = 0;
    for (auto _ : state) {
        if (!in.message(bytes_view(data + at[i], at[i + 1] - at[i]), out, [&](bytes_view d) {
                sum += byte_sum(d);
                if (utf8) invalid += !v.feed(d).ok();
            })) {
            wrong = true;
            break;
        }
        if (utf8) {
            invalid += !v.finish().ok();
            v = wscodec::utf8_validator{};
        }
        if (no_takeover) (void)inflateReset(&in.z);
        if (++i == count) i = 0;
    }
    const auto iters = static_cast<std::uint64_t>(state.iterations());
    if (wrong || sum != p.expected_sum(iters) || invalid != 0) {
        state.SkipWithError("inflate failed, the inflated bytes differ from the messages, or they are not UTF-8");
        return;
    }
    set_counters(state, n, iters / count * w.compressed + (at[iters % count] - 4 * (iters % count)), 0);
    state.counters["frames/msg"] = static_cast<double>(w.frame_count) / static_cast<double>(count);
}

/// `n` bytes at a 64-byte boundary inside an owned vector.
class aligned_block {
public:
    explicit aligned_block(std::size_t n) : storage_(n + 64) {
        const auto base = reinterpret_cast<std::uintptr_t>(storage_.data());
        data_ = storage_.data() + ((64 - (base & 63)) & 63);
    }
    std::uint8_t* data() noexcept { return data_; }

private:
    std::vector<std::uint8_t> storage_;
    std::uint8_t* data_;
};

/// The yardstick: memcpy of one message's size (as bench_memcpy.cpp).
void bm_memcpy(benchmark::State& state, corpus kind, std::size_t n) {
    aligned_block source(n);
    aligned_block target(n);
    const pool& p = pool_of(kind, n);
    if (!p.messages.empty()) std::memcpy(source.data(), p.messages[0].data(), n);
    std::memset(target.data(), 0, n);
    std::size_t len = n;
    benchmark::DoNotOptimize(len);
    for (auto _ : state) {
        std::memcpy(target.data(), source.data(), len);
        benchmark::ClobberMemory();
    }
    if (state.iterations() > 0 && std::memcmp(target.data(), source.data(), n) != 0)
        state.SkipWithError("memcpy destination differs");
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(n));
}

void register_set(corpus kind, std::size_t n) {
    const std::string size = std::to_string(n);
    const std::string name = kind == corpus::json ? "json" : "cjk";
    for (const bool nct : {false, true}) {
        const std::string data = name + (nct ? "_no_takeover/" : "/");
        benchmark::RegisterBenchmark(("deflate/send/" + data + size).c_str(),
                                     [=](benchmark::State& s) { bm_send(s, kind, n, nct); });
        benchmark::RegisterBenchmark(("deflate/zlib_alone/" + data + size).c_str(),
                                     [=](benchmark::State& s) { bm_zlib_alone(s, kind, n, nct); });
        benchmark::RegisterBenchmark(("deflate/receive/" + data + size).c_str(),
                                     [=](benchmark::State& s) { bm_receive(s, kind, n, nct); });
        benchmark::RegisterBenchmark(("deflate/inflate_alone/" + data + size).c_str(),
                                     [=](benchmark::State& s) { bm_inflate_alone(s, kind, n, nct); });
        benchmark::RegisterBenchmark(("deflate/inflate_utf8_alone/" + data + size).c_str(),
                                     [=](benchmark::State& s) { bm_inflate_alone(s, kind, n, nct, true); });
    }
    benchmark::RegisterBenchmark(("deflate/memcpy/" + name + "/" + size).c_str(),
                                 [=](benchmark::State& s) { bm_memcpy(s, kind, n); });
}

[[maybe_unused]] const bool registered = [] {
    for (const std::size_t n : sizes) register_set(corpus::json, n);
    register_set(corpus::cjk, cjk_size);
    return true;
}();

}  // namespace
