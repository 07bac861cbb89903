// SPDX-License-Identifier: MIT
// wscodec/detail/utf8_kernel.inl — the lookup UTF-8 validation loop, written
// once over a small vector vocabulary. utf8_simd.hpp includes it inside each
// ISA's namespace and target region (no include guard on purpose), after
// defining: vec, width, vload, vsplat, vtable, vlookup, vhigh_nibble,
// vlow_nibble, vand, vor, vxor, vsubs, veq, vsplat32, vstore, vprev<N>, vany,
// vascii, and validate_runs (whether validate() tries 3-byte runs).

inline constexpr std::size_t block = 64;
inline constexpr std::size_t per_block = block / width;

/// Per-lane maxima of a block's last vector: a lane above it starts a sequence
/// that runs past the vector (lead >= C0 last, >= E0 second to last, >= F0 before).
inline constexpr std::array<std::uint8_t, width> incomplete_max = [] {
    std::array<std::uint8_t, width> a{};
    for (auto& b : a) b = 0xFF;
    a[width - 3] = 0xEF;
    a[width - 2] = 0xDF;
    a[width - 1] = 0xBF;
    return a;
}();

struct utf8_checker {
    vec hi1, lo1, hi2, third_min, fourth_min, top_bit, tail_max;

    // Written out (not defaulted) so that it carries the ISA's target attribute.
    utf8_checker() noexcept
        : hi1(vtable(detail::utf8_table_hi1.data())),
          lo1(vtable(detail::utf8_table_lo1.data())),
          hi2(vtable(detail::utf8_table_hi2.data())),
          third_min(vsplat(0xE0 - 0x80)),
          fourth_min(vsplat(0xF0 - 0x80)),
          top_bit(vsplat(0x80)),
          tail_max(vload(incomplete_max.data())) {}

    /// Error bits of the lanes of `in`, with `prev` the vector before it.
    WSCODEC_ALWAYS_INLINE vec check(vec in, vec prev) const noexcept {
        const vec prev1 = vprev<1>(in, prev);
        const vec classes = vand(vand(vlookup(hi1, vhigh_nibble(prev1)), vlookup(lo1, vlow_nibble(prev1))),
                                 vlookup(hi2, vhigh_nibble(in)));
        const vec must23 = vor(vsubs(vprev<2>(in, prev), third_min), vsubs(vprev<3>(in, prev), fourth_min));
        return vxor(vand(must23, top_bit), classes);
    }
};

/// Rescans with the scalar reference from the sequence that crosses into the
/// block at `block_start` (every byte before it passed the vector checks).
WSCODEC_NOINLINE inline utf8_result locate(const std::uint8_t* p, std::size_t n, std::size_t block_start) noexcept {
    std::size_t start = block_start;
    const std::size_t lowest = block_start >= 3 ? block_start - 3 : 0;
    for (std::size_t j = block_start; j > lowest;) {
        --j;
        if ((p[j] & 0xC0) != 0x80) {
            start = j;
            break;
        }
    }
    utf8_result r = detail::utf8_validate_scalar(p + start, n - start);
    r.position += start;
    return r;
}

/// Blocks whose error bits are accumulated before one test: a 256-byte group.
/// An error is still reported with its exact position (locate rescans the group).
inline constexpr std::size_t blocks_per_test = 4;

/// True if the 64-byte block at `p` is ASCII.
WSCODEC_ALWAYS_INLINE bool block_is_ascii(const std::uint8_t* p) noexcept {
    vec all = vload(p);
    for (std::size_t k = 1; k < per_block; ++k) all = vor(all, vload(p + k * width));
    return vascii(all);
}

/// Bytes an ASCII run is skipped by at a time: four blocks, one test.
inline constexpr std::size_t ascii_stride = 4 * block;

/// True if the four blocks at `p` are ASCII: two independent OR chains.
WSCODEC_ALWAYS_INLINE bool stride_is_ascii(const std::uint8_t* p) noexcept {
    vec a = vor(vload(p), vload(p + width));
    vec b = vor(vload(p + 2 * width), vload(p + 3 * width));
    for (std::size_t k = 4; k < ascii_stride / width; k += 2) {
        a = vor(a, vload(p + k * width));
        b = vor(b, vload(p + (k + 1) * width));
    }
    return vascii(vor(a, b));
}

/// Runs of 3-byte characters (Chinese, Japanese, most Korean text): from a
/// character boundary, blocks whose bytes are exactly lead, continuation,
/// continuation, repeating, need none of the lookups. The lead must be
/// E1..EC, EE or EF, whose continuation bytes may be any of 80..BF (E0 and
/// ED restrict theirs, so a block holding either goes the general way).
/// The pattern repeats every three blocks; in that period byte b leads a
/// character when b % 3 == 0.
inline constexpr std::size_t three_byte_period = 3 * block;
struct three_byte_pattern {
    std::uint8_t mask[three_byte_period];  // F0 on a lead byte, C0 on a continuation byte
    std::uint8_t want[three_byte_period];  // E0 on a lead byte, 80 on a continuation byte
};
inline constexpr three_byte_pattern three_byte_tables = [] {
    three_byte_pattern t{};
    for (std::size_t b = 0; b < three_byte_period; ++b) {
        t.mask[b] = b % 3 == 0 ? 0xF0 : 0xC0;
        t.want[b] = b % 3 == 0 ? 0xE0 : 0x80;
    }
    return t;
}();

/// Error bits of one vector `in` at `offset` in the 3-byte period.
WSCODEC_ALWAYS_INLINE vec three_byte_err(vec in, std::size_t offset) noexcept {
    const vec shape = vxor(vand(in, vload(three_byte_tables.mask + offset)), vload(three_byte_tables.want + offset));
    return vor(shape, vor(veq(in, vsplat(0xE0)), veq(in, vsplat(0xED))));
}

/// True if the block at `p` fits the 3-byte pattern at `offset` in its
/// period; with Unmask, XORs the block with `key` in place first.
template <bool Unmask>
WSCODEC_ALWAYS_INLINE bool three_byte_block(std::uint8_t* p, std::size_t offset, vec key) noexcept {
    vec err = vsplat(0);
    for (std::size_t k = 0; k < per_block; ++k) {
        vec in = vload(p + k * width);
        if constexpr (Unmask) {
            in = vxor(in, key);
            vstore(p + k * width, in);
        }
        err = vor(err, three_byte_err(in, offset + k * width));
    }
    return !vany(err);
}

/// Walks the 3-byte run from character boundary `i` block by block:
/// `valid` is the character boundary where it ends (`i` itself if the first
/// block does not fit), `unmasked` the end of the blocks looked at.
template <bool Unmask>
WSCODEC_ALWAYS_INLINE unmasked_run walk_three_byte_run(std::uint8_t* p, std::size_t i, std::size_t n,
                                                       vec key) noexcept {
    // Block 1 of a period starts 1 byte into a character, block 2 two bytes.
    for (;;) {
        if (i + block > n) return {i, i};
        if (!three_byte_block<Unmask>(p + i, 0, key)) return {i, i + block};
        i += block;
        if (i + block > n) return {i - 1, i};
        if (!three_byte_block<Unmask>(p + i, block, key)) return {i - 1, i + block};
        i += block;
        if (i + block > n) return {i - 2, i};
        if (!three_byte_block<Unmask>(p + i, 2 * block, key)) return {i - 2, i + block};
        i += block;
    }
}

/// Validates the 3-byte run starting at character boundary `i` and returns
/// the character boundary where it ends: `i` itself if the first block is
/// not such a run. Bytes after the returned boundary are left unjudged.
WSCODEC_NOINLINE inline std::size_t three_byte_run(const std::uint8_t* p, std::size_t i, std::size_t n) noexcept {
    // Without Unmask nothing is written through the pointer.
    return walk_three_byte_run<false>(const_cast<std::uint8_t*>(p), i, n, vsplat(0)).valid;
}

/// Unmasks and validates in one pass a text that starts with a 3-byte run:
/// XORs whole blocks with `key32` (the key word, key byte j % 4 on byte j)
/// while they fit the pattern, and the first block that does not fit too.
/// (detail::unmasked_run says how far each went.)
WSCODEC_NOINLINE inline unmasked_run unmask_three_byte_run(std::uint8_t* p, std::size_t n, std::uint32_t key32) noexcept {
    return walk_three_byte_run<true>(p, 0, n, vsplat32(key32));
}

/// Bytes the general kernel takes after a 3-byte run that broke in its first block.
inline constexpr std::size_t three_byte_backoff = 4096;

/// Validates [p, p+n) in one shot, with the result utf8_validate_scalar gives.
inline utf8_result validate(const std::uint8_t* p, std::size_t n) noexcept {
    const utf8_checker c;
    std::size_t retry_at = 0;  // no 3-byte run is tried before this offset
    vec prev = vsplat(0);
    vec prev_incomplete = vsplat(0);
    std::size_t i = 0;
    while (i + block <= n) {
        if (block_is_ascii(p + i)) {
            // An ASCII run: the sequence the last block left open (if any)
            // is cut here; then only look for the next non-ASCII block.
            if (WSCODEC_UNLIKELY(vany(prev_incomplete))) return locate(p, n, i);
            prev_incomplete = vsplat(0);
            prev = vsplat(0);  // any ASCII byte stands for the run in prev1..3
            i += block;
            while (i + ascii_stride <= n && stride_is_ascii(p + i)) i += ascii_stride;
            while (i + block <= n && block_is_ascii(p + i)) i += block;
            continue;
        }
        // A 3-byte lead at a character boundary may start a 3-byte run. A
        // run that breaks at once (Korean text with ED leads, say) is not
        // tried again for a while; one that ran is not retried at its end.
        if (validate_runs && i >= retry_at && p[i] - 0xE1u <= 0xEF - 0xE1u && !vany(prev_incomplete)) {
            const std::size_t j = three_byte_run(p, i, n);
            retry_at = j != i ? j + 1 : i + three_byte_backoff;
            if (j != i) {
                i = j;
                prev = vsplat(0);  // as after ASCII: the run ended with a whole character
                continue;
            }
        }
        const std::size_t group = i;
        vec err = vsplat(0);
        for (std::size_t b = 0; b < blocks_per_test && i + block <= n; ++b, i += block) {
            vec in[per_block];
            for (std::size_t k = 0; k < per_block; ++k) in[k] = vload(p + i + k * width);
            err = vor(err, c.check(in[0], prev));
            for (std::size_t k = 1; k < per_block; ++k) err = vor(err, c.check(in[k], in[k - 1]));
            prev = in[per_block - 1];
        }
        prev_incomplete = vsubs(prev, c.tail_max);
        if (WSCODEC_UNLIKELY(vany(err))) return locate(p, n, group);
    }
    const std::size_t rest = n - i;
    if (detail::is_ascii_words(p + i, rest)) {
        if (WSCODEC_UNLIKELY(vany(prev_incomplete))) return locate(p, n, i);
        return {utf8_error::none, n};
    }
    // The zero padding after the last byte ends any unfinished sequence with
    // an error, so truncation needs no separate check.
    alignas(32) std::uint8_t tail[block] = {};
    std::memcpy(tail, p + i, rest);
    vec err = vsplat(0);
    for (std::size_t k = 0; k < per_block; ++k) {
        const vec in = vload(tail + k * width);
        err = vor(err, c.check(in, prev));
        prev = in;
    }
    if (WSCODEC_UNLIKELY(vany(err))) return locate(p, n, i);
    return {utf8_error::none, n};
}
