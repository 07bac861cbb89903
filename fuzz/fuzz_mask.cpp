// SPDX-License-Identifier: MIT
// fuzz/fuzz_mask.cpp — libFuzzer target for wscodec/mask.hpp (RFC 6455 §5.3).
// Oracles: every kernel equals apply_mask_reference, in place and by copy,
// bytes and returned phase; unmasking in two pieces split at a fuzzer-chosen
// point, the phase carried (the second piece on another kernel), equals
// unmasking at once; masking twice restores the payload.
//
// Input: bytes 0..3 the key, byte 4 the starting phase (any value; taken
// mod 4), byte 5 the start offset into the buffer (0..63), bytes 6..7 the
// split point (little-endian, mod payload size + 1); the payload is the rest.
#include <algorithm>
#include <cstdio>
#include <vector>
#include <wscodec/mask.hpp>

namespace {

using namespace wscodec;

[[noreturn]] void violation(const char* what, kernel k, std::size_t n, std::size_t phase, std::size_t offset) {
    std::fprintf(stderr, "fuzz_mask: %s (kernel %s, %zu bytes, phase %zu, offset %zu)\n", what, kernel_name(k), n,
                 phase, offset);
    __builtin_trap();
}

/// A buffer of exactly offset + n bytes, zero before `offset`, so that ASan
/// sees any access past the payload's end.
std::vector<std::uint8_t> placed(const std::uint8_t* p, std::size_t n, std::size_t offset) {
    std::vector<std::uint8_t> buf(offset + n);
    std::copy(p, p + n, buf.begin() + static_cast<std::ptrdiff_t>(offset));
    return buf;
}

bool zeros(const std::vector<std::uint8_t>& buf, std::size_t n) {
    return std::all_of(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n),
                       [](std::uint8_t b) { return b == 0; });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 8) return 0;
    const mask_key key{data[0], data[1], data[2], data[3]};
    const std::size_t phase = data[4];
    const std::size_t off = data[5] & 63u;
    const std::uint8_t* payload = data + 8;
    const std::size_t n = size - 8;
    const std::size_t cut = (static_cast<std::size_t>(data[6]) | static_cast<std::size_t>(data[7]) << 8) % (n + 1);

    std::vector<std::uint8_t> want(payload, payload + n);
    const std::size_t next = apply_mask_reference(want, key, phase);
    if (next != (phase % 4 + n) % 4) violation("reference phase", kernel::scalar, n, phase, off);

    kernel ks[4];
    std::size_t nk = 0;
    for (const kernel k : {kernel::scalar, kernel::sse41, kernel::avx2, kernel::avx512, kernel::neon})
        if (kernel_supported(k)) ks[nk++] = k;

    const auto equals_want = [&](const std::vector<std::uint8_t>& buf, std::size_t at) {
        return std::equal(want.begin(), want.end(), buf.begin() + static_cast<std::ptrdiff_t>(at));
    };
    for (std::size_t j = 0; j < nk; ++j) {
        const kernel k = ks[j];
        // In place.
        std::vector<std::uint8_t> work = placed(payload, n, off);
        if (apply_mask(mutable_bytes(work).subspan(off), key, phase, k) != next)
            violation("apply_mask phase", k, n, phase, off);
        if (!equals_want(work, off) || !zeros(work, off)) violation("apply_mask bytes", k, n, phase, off);
        // Masking again restores the payload.
        (void)apply_mask(mutable_bytes(work).subspan(off), key, phase, k);
        if (!std::equal(payload, payload + n, work.begin() + static_cast<std::ptrdiff_t>(off)))
            violation("masking twice", k, n, phase, off);

        // By copy, to another alignment.
        const std::vector<std::uint8_t> src = placed(payload, n, off);
        const std::size_t doff = (off * 5 + 3) & 63u;
        std::vector<std::uint8_t> dst(doff + n);
        if (apply_mask_copy(mutable_bytes(dst).subspan(doff), bytes_view(src).subspan(off), key, phase, k) != next)
            violation("apply_mask_copy phase", k, n, phase, off);
        if (!equals_want(dst, doff) || !zeros(dst, doff)) violation("apply_mask_copy bytes", k, n, phase, off);
        if (!std::equal(payload, payload + n, src.begin() + static_cast<std::ptrdiff_t>(off)))
            violation("apply_mask_copy changed its source", k, n, phase, off);

        // By copy onto itself.
        std::vector<std::uint8_t> same = placed(payload, n, off);
        const mutable_bytes s = mutable_bytes(same).subspan(off);
        if (apply_mask_copy(s, s, key, phase, k) != next || !equals_want(same, off))
            violation("apply_mask_copy in place", k, n, phase, off);

        // In two pieces, the phase carried, the second piece on the next kernel.
        const kernel k2 = ks[(j + 1) % nk];
        std::vector<std::uint8_t> split = placed(payload, n, off);
        const mutable_bytes whole = mutable_bytes(split).subspan(off);
        const std::size_t mid = apply_mask(whole.first(cut), key, phase, k);
        if (apply_mask(whole.subspan(cut), key, mid, k2) != next || !equals_want(split, off))
            violation("split in place", k, n, phase, off);
        std::vector<std::uint8_t> split_out(n);
        const std::size_t mid_copy =
            apply_mask_copy(mutable_bytes(split_out).first(cut), bytes_view(src).subspan(off, cut), key, phase, k);
        if (apply_mask_copy(mutable_bytes(split_out).subspan(cut), bytes_view(src).subspan(off + cut), key, mid_copy,
                            k2) != next ||
            !equals_want(split_out, 0))
            violation("split copy", k, n, phase, off);
    }
    return 0;
}
