// SPDX-License-Identifier: MIT
// bench/bench_connection.cpp — the connection (wscodec/connection.hpp)
// through its public API with every event delivered: a server receiving
// back-to-back masked frames as a client sends them, binary, ASCII text and
// Chinese text (3-byte UTF-8), payloads of 0 to 1 MiB; and a client sending
// (masking while copying out, or in place and zero-copy). Items are frames,
// bytes are payload bytes; scripts/bench_report.py derives ns per frame.
//
// Receiving unmasks in place, so a buffer of masked frames can be received
// only once as it was sent. Masking is an XOR, though: a second pass over the
// same buffer unmasks the plain payloads back into the masked ones. Every
// pass therefore does exactly the work of a fresh receive (decode every
// header, XOR every payload byte, validate text, deliver one data event per
// frame), on data that stays in cache between passes as memcpy's does in
// bench_memcpy.cpp, and nothing is restored outside the timed region. Even
// passes deliver the plain payloads, odd passes the masked ones; the checks
// count both. For text, the masked bytes must be valid UTF-8 too: the text
// batches are masked with the 15 keys whose bytes are 0x00 or 0x01, which
// keep ASCII ASCII and turn the 3-byte characters used here (leads E3-E9 and
// EF) into other valid 3-byte characters. The library has no path that
// depends on key values, so these keys cost what random ones cost; binary
// batches use random (seeded) keys.
//
// Each batch holds as many frames as fit in 16 KiB (at least one), so that
// like memcpy at the same size it works in L1/L2. The checks: the number of
// data events equals the frames received; a sum sampled from every payload
// (its size and first, middle and last bytes) equals the expected one; and after
// the run the whole buffer equals the plain or the masked batch, by parity.
#include <benchmark/benchmark.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>
#include <wscodec/connection.hpp>

#include "common.hpp"

namespace {

using wscodec::bytes_view;
using wscodec::event;
using wscodec::event_type;
using wscodec::message_type;
using wscodec::mutable_bytes;

constexpr std::array<std::size_t, 6> receive_sizes = {0, 16, 125, 1024, 16384, 1048576};
constexpr std::array<std::size_t, 3> send_sizes = {16, 1024, 16384};
constexpr std::size_t batch_bytes = 16384;

/// Bytes at a 64-byte boundary inside an owned vector.
class aligned_bytes {
public:
    explicit aligned_bytes(std::size_t n) : storage_(n + 64), size_(n) {
        const auto base = reinterpret_cast<std::uintptr_t>(storage_.data());
        data_ = storage_.data() + ((64 - (base & 63)) & 63);
    }
    std::uint8_t* data() noexcept { return data_; }
    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    mutable_bytes span() noexcept { return {data_, size_}; }

private:
    std::vector<std::uint8_t> storage_;
    std::uint8_t* data_;
    std::size_t size_;
};

/// A cheap fingerprint of a payload: its size and its first, middle and last
/// bytes. Reading them forces the unmasked bytes to exist; single-byte loads
/// never wait on a store-forwarding stall against the kernel's wider stores,
/// so the fingerprint costs the same whatever kernel wrote the bytes.
inline std::uint64_t sample(bytes_view p) noexcept {
    const std::size_t n = p.size();
    if (n == 0) return 0;
    return n + std::uint64_t{p[0]} * 3 + std::uint64_t{p[n / 2]} * 5 + std::uint64_t{p[n - 1]} * 7;
}


enum class content : std::uint8_t { binary, ascii, cjk };

/// `n` payload bytes: random bytes, English-like ASCII, or Chinese text of
/// 3-byte characters (U+4E00..U+9FFF with ，and 。) padded with line ends.
std::vector<std::uint8_t> make_payload(content kind, std::size_t n) {
    bench::splitmix rng(n * 7 + static_cast<std::uint64_t>(kind));
    std::vector<std::uint8_t> p;
    p.reserve(n);
    if (kind == content::binary) {
        while (p.size() < n) p.push_back(static_cast<std::uint8_t>(rng.next() >> 32));
    } else if (kind == content::ascii) {
        static constexpr const char* words[] = {"the", "frame", "message", "server", "client", "sends", "a",
                                                "masked", "payload", "of", "text", "over", "socket", "and"};
        while (p.size() < n) {
            const char* w = words[rng.next() % std::size(words)];
            for (; *w != '\0' && p.size() < n; ++w) p.push_back(static_cast<std::uint8_t>(*w));
            if (p.size() < n) p.push_back(rng.next() % 9 == 0 ? '.' : ' ');
        }
    } else {
        std::size_t clause = 0;
        while (n - p.size() >= 3) {
            char32_t cp = static_cast<char32_t>(0x4E00 + rng.next() % (0x9FFF - 0x4E00 + 1));
            if (++clause % 11 == 0) cp = clause % 33 == 0 ? 0x3002 : 0xFF0C;  // 。 or ，
            p.push_back(static_cast<std::uint8_t>(0xE0 | (cp >> 12)));
            p.push_back(static_cast<std::uint8_t>(0x80 | ((cp >> 6) & 0x3F)));
            p.push_back(static_cast<std::uint8_t>(0x80 | (cp & 0x3F)));
        }
        while (p.size() < n) p.push_back('\n');
    }
    return p;
}

/// Masking keys whose bytes are 0x00 or 0x01, never all zero (see the top).
class utf8_preserving_keys {
public:
    wscodec::mask_key operator()() noexcept {
        i_ = i_ % 15 + 1;
        return {static_cast<std::uint8_t>(i_ & 1), static_cast<std::uint8_t>((i_ >> 1) & 1),
                static_cast<std::uint8_t>((i_ >> 2) & 1), static_cast<std::uint8_t>((i_ >> 3) & 1)};
    }

private:
    unsigned i_ = 0;
};

/// Appends everything `c` has to write to `out`.
template <class Conn>
void write_all(Conn& c, std::vector<std::uint8_t>& out) {
    for (;;) {
        const std::size_t at = out.size();
        out.resize(at + 65536);
        const std::size_t k = c.copy_output(mutable_bytes(out.data() + at, 65536));
        out.resize(at + k);
        if (k == 0) return;
    }
}

/// `count` single-frame messages of `payload`, as a client with key source
/// `keys` sends them.
template <class Keys>
std::vector<std::uint8_t> client_frames(message_type type, bytes_view payload, std::size_t count, Keys keys) {
    wscodec::connection<wscodec::role::client, Keys> client({}, keys);
    std::vector<std::uint8_t> out;
    for (std::size_t i = 0; i < count; ++i) {
        if (client.send(type, payload) != wscodec::error::none) return {};
        write_all(client, out);
    }
    return out;
}

/// The server receives a batch of masked frames of `n` bytes per pass.
void bm_receive(benchmark::State& state, content kind, std::size_t n) {
    const std::vector<std::uint8_t> plain = make_payload(kind, n);
    const message_type type = kind == content::binary ? message_type::binary : message_type::text;
    const std::size_t header = n < 126 ? 6 : n < 65536 ? 8 : 14;
    const std::size_t frames = std::max<std::size_t>(1, batch_bytes / (header + n));
    const std::vector<std::uint8_t> masked =
        kind == content::binary ? client_frames(type, plain, frames, wscodec::seeded_key_source(n + 1))
                                : client_frames(type, plain, frames, utf8_preserving_keys{});
    if (masked.size() != frames * (header + n)) {
        state.SkipWithError("could not build the batch");
        return;
    }
    // The same batch with plain payloads, and the expected samples of a pass.
    std::vector<std::uint8_t> unmasked = masked;
    std::uint64_t plain_sum = 0;
    std::uint64_t masked_sum = 0;
    for (std::size_t f = 0; f < frames; ++f) {
        std::uint8_t* p = unmasked.data() + f * (header + n) + header;
        masked_sum += sample(bytes_view(p, n));
        std::memcpy(p, plain.data(), n);
        plain_sum += sample(bytes_view(p, n));
        if (type == message_type::text &&
            !wscodec::validate_utf8(bytes_view(masked.data() + f * (header + n) + header, n)).ok()) {
            state.SkipWithError("a masked text payload is not UTF-8");
            return;
        }
    }

    aligned_bytes buffer(masked.size());
    std::memcpy(buffer.data(), masked.data(), masked.size());
    wscodec::server_connection server;
    std::uint64_t sum = 0;
    std::uint64_t delivered = 0;
    bool unexpected = false;
    for (auto _ : state) {
        mutable_bytes rest = buffer.span();
        for (;;) {
            const event ev = server.receive(rest);
            if (ev.type == event_type::data) {
                delivered += ev.last;
                sum += sample(ev.payload);
            } else if (ev.type == event_type::need_more) {
                break;
            } else {
                unexpected = true;
                break;
            }
            rest = rest.subspan(ev.consumed);
        }
        if (unexpected) break;
    }
    if (unexpected) {
        state.SkipWithError("the server reported an event other than data");
        return;
    }
    const auto passes = static_cast<std::uint64_t>(state.iterations());
    const std::uint64_t even = (passes + 1) / 2;
    if (delivered != passes * frames || sum != even * plain_sum + (passes - even) * masked_sum) {
        state.SkipWithError("frames or payload samples differ from the batch");
        return;
    }
    const std::vector<std::uint8_t>& expect = passes % 2 == 1 ? unmasked : masked;
    if (std::memcmp(buffer.data(), expect.data(), expect.size()) != 0) {
        state.SkipWithError("the buffer was not unmasked");
        return;
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(passes * frames));
    state.SetBytesProcessed(static_cast<std::int64_t>(passes * frames * n));
}

/// A client sends one binary message of `n` bytes per iteration: send() and
/// copy_output() (masking while copying), or send() of a mutable payload and
/// output()/consume() (masking in place, zero-copy). Checked afterwards: a
/// server decodes one more such message to the payload it was given.
void bm_send(benchmark::State& state, std::size_t n, bool in_place) {
    std::vector<std::uint8_t> payload = make_payload(content::binary, n);
    aligned_bytes out(n + wscodec::max_header_size);
    wscodec::connection<wscodec::role::client, wscodec::seeded_key_source> client({}, wscodec::seeded_key_source(n));
    const std::size_t frame_size = (n < 126 ? 6 : n < 65536 ? 8 : 14) + n;
    std::uint64_t sum = 0;
    bool wrong = false;
    for (auto _ : state) {
        if (in_place) {
            if (client.send_in_place(message_type::binary, mutable_bytes(payload)) != wscodec::error::none) {
                wrong = true;
                break;
            }
            const wscodec::output_buffers o = client.output();
            if (o.size() != frame_size) {
                wrong = true;
                break;
            }
            sum += sample(o.parts[0]) + sample(o.parts[1]);
            client.consume(o.size());
        } else {
            if (client.send(message_type::binary, bytes_view(payload)) != wscodec::error::none) {
                wrong = true;
                break;
            }
            const std::size_t k = client.copy_output(out.span());
            if (k != frame_size) {
                wrong = true;
                break;
            }
            sum += sample(bytes_view(out.data(), k));
        }
    }
    benchmark::DoNotOptimize(sum);
    if (wrong) {
        state.SkipWithError("send or output went wrong");
        return;
    }
    // One more message, decoded by a server.
    const std::vector<std::uint8_t> expect = payload;
    std::vector<std::uint8_t> wire;
    if (in_place ? client.send_in_place(message_type::binary, mutable_bytes(payload)) != wscodec::error::none
                 : client.send(message_type::binary, bytes_view(payload)) != wscodec::error::none) {
        state.SkipWithError("the check message was refused");
        return;
    }
    write_all(client, wire);
    wscodec::server_connection server;
    const event ev = server.receive(wire);
    if (ev.type != event_type::data || !ev.last || ev.payload.size() != n ||
        (n != 0 && std::memcmp(ev.payload.data(), expect.data(), n) != 0)) {
        state.SkipWithError("a server does not decode what the client sent");
        return;
    }
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(n));
}

/// A server's send() then copy_output() into the caller's buffer (the path
/// of a TLS or buffered writer): header and payload copied, verified by a
/// checksum of the copied bytes against the frame built the same way.
void bm_send_server_copy(benchmark::State& state, std::size_t n) {
    const std::vector<std::uint8_t> payload = make_payload(content::binary, n);
    aligned_bytes out(n + wscodec::max_header_size);
    wscodec::server_connection server;
    const std::size_t header = n < 126 ? 2 : n < 65536 ? 4 : 10;
    std::uint64_t sum = 0;
    for (auto _ : state) {
        if (server.send(message_type::binary, bytes_view(payload)) != wscodec::error::none) {
            state.SkipWithError("send was refused");
            return;
        }
        const std::size_t k = server.copy_output(out.span());
        if (k != header + n) {
            state.SkipWithError("copy_output did not copy the whole frame");
            return;
        }
        sum += sample(bytes_view(out.data(), k));
    }
    benchmark::DoNotOptimize(sum);
    // The last copy holds the frame: header, then the payload unchanged.
    if (out.data()[0] != 0x82 || (n != 0 && std::memcmp(out.data() + header, payload.data(), n) != 0)) {
        state.SkipWithError("the copied frame is not the message");
        return;
    }
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(n));
}

[[maybe_unused]] const bool registered = [] {
    for (const std::size_t n : receive_sizes) {
        benchmark::RegisterBenchmark(("receive/binary/" + std::to_string(n)).c_str(),
                                     [=](benchmark::State& s) { bm_receive(s, content::binary, n); });
        benchmark::RegisterBenchmark(("receive/text/" + std::to_string(n)).c_str(),
                                     [=](benchmark::State& s) { bm_receive(s, content::ascii, n); });
    }
    benchmark::RegisterBenchmark("receive/text_cjk/16384",
                                 [](benchmark::State& s) { bm_receive(s, content::cjk, 16384); });
    for (const std::size_t n : send_sizes) {
        benchmark::RegisterBenchmark(("send/client/" + std::to_string(n)).c_str(),
                                     [=](benchmark::State& s) { bm_send(s, n, false); });
        benchmark::RegisterBenchmark(("send/client_in_place/" + std::to_string(n)).c_str(),
                                     [=](benchmark::State& s) { bm_send(s, n, true); });
        benchmark::RegisterBenchmark(("send/server_copy/" + std::to_string(n)).c_str(),
                                     [=](benchmark::State& s) { bm_send_server_copy(s, n); });
    }
    return true;
}();

}  // namespace
