// SPDX-License-Identifier: MIT
// fuzz/fuzz_inflate.cpp — libFuzzer target for wscodec/deflate_message.hpp on
// the zlib backend (RFC 7692 §7.2). Oracles, for arbitrary bytes taken as a
// compressed message's payload:
//   - split invariance: fed whole into a big buffer, and in fuzzer-chosen
//     pieces into a fuzzer-chosen small buffer, the message ends the same
//     way (done with the same bytes, or failed with the same error) and the
//     bytes produced before a failure agree;
//   - bounds: inflated bytes never pass max_message_size by more than one
//     output buffer, and the calls made are bounded by the input and the
//     limit (a bomb costs work in proportion to the limit);
//   - round trip: the same bytes taken as a message, compressed by
//     message_deflater and inflated again, come back intact.
//
// Input: data[0]: bits 0-2 window bits - 8 (8..15), bit 3 context takeover,
// bits 4-7 the number of piece-size bytes that follow (0..15); data[1]: the
// small buffer's size - 1 (1..256); then the piece sizes (0: an empty piece);
// the rest is the payload.
#include <algorithm>
#include <cstdint>
#include <string_view>
#include <vector>
#include <wscodec/deflate_message.hpp>
#include <wscodec/zlib.hpp>

#include "violation.hpp"

namespace {

using namespace wscodec;

constexpr std::uint64_t limit = 1 << 16;

[[noreturn]] void violation(const char* what, const std::vector<std::uint8_t>& payload) {
    fuzz::violation("fuzz_inflate", what, "payload",
                    std::string_view(reinterpret_cast<const char*>(payload.data()), payload.size()));
}

struct outcome {
    std::vector<std::uint8_t> data;
    inflate_step::state end = inflate_step::state::need_input;
    error err = error::none;
    std::size_t calls = 0;
    std::size_t pieces = 0;
};

/// Inflates `payload` given in `pieces` (sizes cycling), into `room` bytes at a time.
outcome run(message_inflater& in, const std::vector<std::uint8_t>& payload, const std::uint8_t* sizes,
            std::size_t n_sizes, std::size_t room) {
    outcome o;
    std::vector<std::uint8_t> out(room);
    in.begin(false);
    std::size_t at = 0, k = 0;
    for (;;) {
        std::size_t n = payload.size() - at;
        if (n_sizes != 0) n = std::min<std::size_t>(n, sizes[k++ % n_sizes]);
        const bool last = at + n == payload.size();
        // Each piece in its own allocation: ASan sees reads past it.
        const std::vector<std::uint8_t> piece(payload.begin() + static_cast<std::ptrdiff_t>(at),
                                              payload.begin() + static_cast<std::ptrdiff_t>(at + n));
        at += n;
        ++o.pieces;
        in.feed(bytes_view(piece), last);
        for (;;) {
            const inflate_step s = in.inflate(mutable_bytes(out));
            ++o.calls;
            o.data.insert(o.data.end(), out.begin(), out.begin() + static_cast<std::ptrdiff_t>(s.produced));
            o.end = s.st;
            o.err = s.err;
            if (s.st == inflate_step::state::more_output) continue;
            if (s.st != inflate_step::state::need_input) return o;
            break;
        }
        if (last) return o;  // need_input after the last piece: not possible
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    const int window = 8 + (data[0] & 7);
    const bool takeover = (data[0] & 8) != 0;
    const std::size_t n_sizes = std::min<std::size_t>(data[0] >> 4, size - 2);
    const std::size_t room = std::size_t{data[1]} + 1;
    const std::uint8_t* sizes = data + 2;
    const bool chunked = std::any_of(sizes, sizes + n_sizes, [](std::uint8_t s) { return s != 0; });
    const std::vector<std::uint8_t> payload(data + 2 + n_sizes, data + size);

    zlib_inflater whole_z(window), split_z(window);
    if (!whole_z.ok() || !split_z.ok()) violation("zlib_inflater failed to start", payload);
    message_inflater whole_in(whole_z, limit, !takeover), split_in(split_z, limit, !takeover);
    const outcome whole = run(whole_in, payload, sizes, 0, 1 << 17);
    const outcome split = run(split_in, payload, sizes, chunked ? n_sizes : 0, room);

    using st = inflate_step::state;
    if (whole.end != st::done && whole.end != st::failed) violation("whole: neither done nor failed", payload);
    if (split.end != whole.end || split.err != whole.err) violation("split and whole end differently", payload);
    if (whole.end == st::done && split.data != whole.data) violation("split and whole differ", payload);
    const std::size_t common = std::min(split.data.size(), whole.data.size());
    if (!std::equal(split.data.begin(), split.data.begin() + static_cast<std::ptrdiff_t>(common), whole.data.begin()))
        violation("the bytes before the failure differ", payload);
    if (whole.end == st::done && whole.data.size() > limit) violation("a message past the limit was completed", payload);
    if (split_in.inflated() > limit + room) violation("inflated more than the limit and one buffer", payload);
    if (whole.err == error::message_too_big && split_in.inflated() <= limit) violation("too big below the limit", payload);
    // Work: each call asks for the next piece, fills the buffer (at most
    // limit + room bytes in all), or ends the message.
    if (split.calls > split.pieces + (limit + room) / room + 1)
        violation("more inflate calls than pieces and limit account for", payload);
    // A second message on the same inflater after a failure stays failed.
    std::uint8_t byte = 0;
    if (whole.end == st::failed && whole_in.inflate(mutable_bytes(&byte, 1)).err != whole.err)
        violation("a failed inflater did not stay failed", payload);

    // Round trip: the payload as a message through deflate and inflate.
    if (payload.size() > limit) return 0;
    const int w = std::max(window, 9);
    zlib_deflater dz(w, 1 + (data[1] % 9));
    zlib_inflater iz(w);
    if (!dz.ok() || !iz.ok()) violation("zlib failed to start", payload);
    message_deflater d(dz, !takeover);
    message_inflater in(iz, limit, !takeover);
    std::vector<std::uint8_t> packed, out(std::max<std::size_t>(room, message_deflater::min_room));
    for (int m = 0; m < 2; ++m) {  // twice: the second may refer to the first
        packed.clear();
        d.begin();
        std::size_t at = 0;
        for (std::size_t calls = 0;; ++calls) {
            // One call a piece (empty pieces included), and one per buffer of output.
            if (calls > (n_sizes + 1) * (payload.size() + 1) + 4 * payload.size() + 1000)
                violation("deflate made no progress", payload);
            const std::size_t n = std::min<std::size_t>(payload.size() - at, chunked ? sizes[calls % n_sizes] : payload.size());
            const bool last = at + n == payload.size();
            const deflate_step s = d.deflate(bytes_view(payload.data() + at, n), last, mutable_bytes(out));
            if (s.err != error::none) violation("deflate failed", payload);
            packed.insert(packed.end(), out.begin(), out.begin() + static_cast<std::ptrdiff_t>(s.produced));
            at += s.consumed;
            if (s.done) break;
        }
        const outcome back = run(in, packed, sizes, chunked ? n_sizes : 0, room);
        if (back.end != st::done || back.data != payload) violation("round trip changed the message", payload);
    }
    return 0;
}
