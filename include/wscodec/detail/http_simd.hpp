// SPDX-License-Identifier: MIT
// wscodec/detail/http_simd.hpp — the header-block parser's bulk path on
// AVX2 and AVX-512BW: a classifier of every byte into bit masks, the lazily
// cut field value, and the line walk over the masks that hands a valid block's
// fields on or gives up for the byte-by-byte parser (http_scalar.hpp). No state.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>
#include <wscodec/detail/config.hpp>
#include <wscodec/detail/http_chars.hpp>
#include <wscodec/detail/http_scalar.hpp>

#if WSCODEC_X86
#include <immintrin.h>
#endif

namespace wscodec::detail {

/// The bulk path for the first 2048 bytes of a header block on CPUs with
/// AVX2 or AVX-512: one pass classifies every byte into three bit masks (CR;
/// not a tchar; bad: a forbidden control byte or a CR and LF not paired),
/// then each line costs a few mask reads: the CRs are popped in order, and
/// the first non-tchar after a line's start must be its colon. It only
/// recognises valid blocks: at the first sign of anything else it returns
/// nullopt, having called `on` for the lines before, and the caller starts
/// over on the byte-by-byte parser, which finds the exact error (and the
/// fuzzers compare the two: whole inputs take this path, inputs fed in pieces
/// the other).
struct field_masks {
    static constexpr std::size_t max_bytes = 2048;
    static constexpr std::size_t words = max_bytes / 64 + 1;  // and a zero word after the last classified one
    /// bad: a forbidden control byte, an LF not right after a CR, or no LF
    /// right after a CR.
    std::uint64_t cr[words], nontchar[words], bad[words];
};

/// Bits pos..pos+63 of a mask (bit 0 = byte pos); the word after pos's must exist.
[[nodiscard]] WSCODEC_ALWAYS_INLINE std::uint64_t bits_at(const std::uint64_t* m, std::size_t pos) noexcept {
    const std::size_t w = pos >> 6;
    const unsigned b = static_cast<unsigned>(pos & 63);
    return (m[w] >> b) | ((m[w + 1] << 1) << (63 - b));
}

/// A field value as the bulk path hands it on: cut out of its line (the
/// colon and CR positions) only when asked, so that a field nobody reads
/// costs nothing past its name; and with its non-tchar bits from the masks.
struct lazy_value {
    const char* p;
    const field_masks* m;
    std::size_t colon, cr;

    [[nodiscard]] WSCODEC_ALWAYS_INLINE std::string_view value() const noexcept {
        // One space after the colon is the rule, so it costs no branch.
        std::size_t v = colon + 1 + static_cast<std::size_t>(p[colon + 1] == ' ' && colon + 1 < cr), e = cr;
        if (WSCODEC_UNLIKELY(p[v] == ' ' || p[v] == '\t' || p[e - 1] == ' ' || p[e - 1] == '\t')) {
            while (v < e && (p[v] == ' ' || p[v] == '\t')) ++v;
            while (e > v && (p[e - 1] == ' ' || p[e - 1] == '\t')) --e;
        }
        return {p + v, e - v};
    }
    /// The non-tchar bits of `value`, which value() returned.
    [[nodiscard]] WSCODEC_ALWAYS_INLINE value_bits bits(std::string_view value) const noexcept {
        const std::size_t len = value.size();
        if (len > 64) return {};
        const std::uint64_t b = bits_at(m->nontchar, static_cast<std::size_t>(value.data() - p));
        return {len < 64 ? b & ((std::uint64_t{1} << len) - 1) : b, true};
    }
};

#if WSCODEC_X86
/// Nibble tables that classify a byte c by lo[c & 15] & hi[c >> 4]: bits 0-5
/// (one per high nibble 2-7) are set for a tchar; bit 6 for a control byte
/// 0x00-0x0F other than HTAB, LF and CR; bit 7 for 0x10-0x1F. Non-ASCII has
/// no bit; DEL is found apart. Four copies, one per 128-bit lane.
inline constexpr std::array<std::uint8_t, 64> http_nibbles_lo = [] {
    std::array<std::uint8_t, 64> t{};
    for (std::size_t l = 0; l < 16; ++l) {
        std::uint8_t bits = 0x80;
        if (l != '\t' && l != '\n' && l != '\r') bits = static_cast<std::uint8_t>(bits | 0x40);
        for (int h = 2; h < 8; ++h)
            if (tchar_table[static_cast<std::size_t>(h) * 16 + l]) bits = static_cast<std::uint8_t>(bits | (1 << (h - 2)));
        for (std::size_t copy = 0; copy < 64; copy += 16) t[copy + l] = bits;
    }
    return t;
}();
inline constexpr std::array<std::uint8_t, 64> http_nibbles_hi = [] {
    std::array<std::uint8_t, 64> t{};
    for (std::size_t copy = 0; copy < 64; copy += 16) {
        t[copy] = 0x40;
        t[copy + 1] = 0x80;
        for (std::size_t h = 2; h < 8; ++h) t[copy + h] = static_cast<std::uint8_t>(1 << (h - 2));
    }
    return t;
}();

/// Fills the masks for p[0..n), n <= max_bytes, 32 bytes a step. Bytes past n
/// count as NUL (a control byte, not a tchar).
WSCODEC_TARGET_AVX2 inline void classify_fields_avx2(const char* p, std::size_t n, field_masks& m) noexcept {
    const __m256i lo_tab = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(http_nibbles_lo.data()));
    const __m256i hi_tab = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(http_nibbles_hi.data()));
    const __m256i nibble = _mm256_set1_epi8(0x0F), zero = _mm256_setzero_si256();
    const __m256i tchar_bits = _mm256_set1_epi8(0x3F), control_bits = _mm256_set1_epi8(static_cast<char>(0xC0));
    const __m256i cr_v = _mm256_set1_epi8('\r'), lf_v = _mm256_set1_epi8('\n'), del = _mm256_set1_epi8(0x7F);
    std::uint64_t carry = 0;  // a CR in the last byte of the step before: an LF must open this one
    std::size_t w = 0;
    for (; w * 64 < n; ++w) {
        const char* q = p + w * 64;
        alignas(32) char tail[64];
        if (n - w * 64 < 64) {
            std::memset(tail, 0, sizeof tail);
            std::memcpy(tail, q, n - w * 64);
            q = tail;
        }
        std::uint64_t cr = 0, lf = 0, nontchar = 0, bad = 0;
        for (int half = 0; half < 2; ++half) {
            const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q + 32 * half));
            const __m256i t = _mm256_and_si256(_mm256_shuffle_epi8(lo_tab, _mm256_and_si256(x, nibble)),
                                               _mm256_shuffle_epi8(hi_tab, _mm256_and_si256(_mm256_srli_epi16(x, 4), nibble)));
            const __m256i b = _mm256_or_si256(_mm256_andnot_si256(_mm256_cmpeq_epi8(_mm256_and_si256(t, control_bits), zero),
                                                                  _mm256_set1_epi8(-1)),
                                              _mm256_cmpeq_epi8(x, del));
            const unsigned shift = 32u * static_cast<unsigned>(half);
            cr |= std::uint64_t{static_cast<std::uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(x, cr_v)))} << shift;
            lf |= std::uint64_t{static_cast<std::uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(x, lf_v)))} << shift;
            nontchar |= std::uint64_t{static_cast<std::uint32_t>(
                            _mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_and_si256(t, tchar_bits), zero)))}
                        << shift;
            bad |= std::uint64_t{static_cast<std::uint32_t>(_mm256_movemask_epi8(b))} << shift;
        }
        m.cr[w] = cr;
        m.nontchar[w] = nontchar;
        m.bad[w] = bad | (lf ^ ((cr << 1) | carry));
        carry = cr >> 63;
    }
    m.cr[w] = m.bad[w] = 0;
    m.nontchar[w] = ~std::uint64_t{0};
}

/// classify_fields_avx2's contract, 64 bytes a step into mask registers; the
/// last step loads only the bytes that exist.
WSCODEC_TARGET_AVX512BW inline void classify_fields_avx512(const char* p, std::size_t n, field_masks& m) noexcept {
    const __m512i lo_tab = _mm512_loadu_si512(http_nibbles_lo.data());
    const __m512i hi_tab = _mm512_loadu_si512(http_nibbles_hi.data());
    const __m512i nibble = _mm512_set1_epi8(0x0F);
    const __m512i tchar_bits = _mm512_set1_epi8(0x3F), control_bits = _mm512_set1_epi8(static_cast<char>(0xC0));
    const __m512i cr_v = _mm512_set1_epi8('\r'), lf_v = _mm512_set1_epi8('\n'), del = _mm512_set1_epi8(0x7F);
    std::uint64_t carry = 0;  // a CR in the last byte of the step before: an LF must open this one
    std::size_t w = 0;
    for (; w * 64 < n; ++w) {
        const std::size_t left = n - w * 64;
        const __m512i x = left >= 64 ? _mm512_loadu_si512(p + w * 64)
                                     : _mm512_maskz_loadu_epi8((__mmask64{1} << left) - 1, p + w * 64);
        const __m512i t = _mm512_and_si512(_mm512_shuffle_epi8(lo_tab, _mm512_and_si512(x, nibble)),
                                           _mm512_shuffle_epi8(hi_tab, _mm512_and_si512(_mm512_srli_epi16(x, 4), nibble)));
        const std::uint64_t cr = _mm512_cmpeq_epi8_mask(x, cr_v);
        m.cr[w] = cr;
        m.nontchar[w] = _mm512_testn_epi8_mask(t, tchar_bits);
        m.bad[w] = _mm512_test_epi8_mask(t, control_bits) | _mm512_cmpeq_epi8_mask(x, del) |
                   (_mm512_cmpeq_epi8_mask(x, lf_v) ^ ((cr << 1) | carry));
        carry = cr >> 63;
    }
    m.cr[w] = m.bad[w] = 0;
    m.nontchar[w] = ~std::uint64_t{0};
}

/// Which classifier parse_fields_fast uses: 2 = AVX-512BW, 1 = AVX2, 0 = none (byte by byte).
[[nodiscard]] inline int field_classifier() noexcept {
    if (__builtin_cpu_supports("avx512bw")) return 2;
    if (__builtin_cpu_supports("avx2")) return 1;
    return 0;
}
#else
[[nodiscard]] inline int field_classifier() noexcept { return 0; }
#endif

/// parse_fields' bulk path (see field_masks) with classifier `which` (see
/// field_classifier()): the outcome for a valid block, nullopt when the
/// byte-by-byte parser must decide (after `on` ran for some lines: the caller
/// resets what they set). `fields` is left as it was on nullopt.
template <class OnField>
[[nodiscard]] std::optional<parse_outcome> parse_fields_fast(const char* begin, const char* p, const char* end,
                                                             std::size_t max_fields, std::size_t& fields, OnField&& on,
                                                             int which = field_classifier()) noexcept {
#if WSCODEC_X86
    const std::size_t n = std::min(static_cast<std::size_t>(end - p), field_masks::max_bytes);
    field_masks m;
    if (which == 2) classify_fields_avx512(p, n, m);
    else if (which == 1) classify_fields_avx2(p, n, m);
    else return std::nullopt;
    // The count of lines stays in a register (`fields` may alias what `on` writes).
    std::size_t count = fields;
    if (count > max_fields) return std::nullopt;
    const auto give_up = [] { return std::optional<parse_outcome>{}; };
    // The CRs are popped in order from their mask, a chain of one instruction
    // a line, so that the work on each line's name and value does not wait
    // for the line before.
    const std::size_t words = (n + 63) / 64;
    std::size_t cw = 0;
    std::uint64_t cbits = m.cr[0];
    std::size_t s = 0;
    for (;;) {
        while (cbits == 0) {
            if (++cw >= words) return give_up();
            cbits = m.cr[cw];
        }
        const std::size_t cr = (cw << 6) + static_cast<std::size_t>(std::countr_zero(cbits));
        cbits &= cbits - 1;
        if (cr + 1 >= n) return give_up();
        if (cr == s) break;  // the blank line (its LF is checked with the block's)
        // The name: tchars up to the first non-tchar, which must be ':' (so no
        // obs-fold, no whitespace before ':').
        const std::size_t colon = s + static_cast<std::size_t>(std::countr_zero(bits_at(m.nontchar, s)));
        if (colon == s || colon >= cr || p[colon] != ':' || count == max_fields) return give_up();
        ++count;
        on(std::string_view(p + s, colon - s), lazy_value{p, &m, colon, cr});
        s = cr + 2;
    }
    // The whole block at once: no forbidden control byte, and LF exactly after each CR.
    const std::size_t block = s + 2;
    for (std::size_t w = 0; w * 64 < block; ++w) {
        const std::uint64_t in = block - w * 64 >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << (block - w * 64)) - 1;
        if ((m.bad[w] & in) != 0) return give_up();
    }
    fields = count;
    return parse_outcome{parse_outcome::kind::done, http_fault::none, static_cast<std::size_t>(p - begin) + block};
#else
    (void)begin, (void)p, (void)end, (void)max_fields, (void)fields, (void)on, (void)which;
    return std::nullopt;
#endif
}

}  // namespace wscodec::detail
