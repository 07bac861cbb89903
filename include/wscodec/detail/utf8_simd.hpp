// SPDX-License-Identifier: MIT
// wscodec/detail/utf8_simd.hpp — SIMD UTF-8 validators: SSE4.1, AVX2 and
// AVX-512 (BW and VBMI) on x86-64 (compiled with target attributes, chosen at run time) and NEON on
// arm64. Each defines the vector vocabulary utf8_kernel.inl is written in.
#pragma once

#include <cstring>
#include <wscodec/detail/config.hpp>
#include <wscodec/detail/mask_simd.hpp>
#include <wscodec/detail/utf8_scalar.hpp>
#include <wscodec/detail/utf8_tables.hpp>

#if WSCODEC_X86
#include <immintrin.h>
#endif
#if WSCODEC_NEON
#include <arm_neon.h>
#endif

namespace wscodec::detail {
/// What a kernel's unmask_three_byte_run() did to the start of a text:
/// `valid`, the character boundary where the 3-byte run ends (the bytes
/// before it are valid UTF-8), and `unmasked`, the bytes it unmasked in
/// place (whole blocks of up to 64 bytes: `valid` rounded up, or the block
/// that broke the run too, so up to 66 bytes past `valid`). The caller goes
/// on unmasking at `unmasked`, from key phase unmasked % 4.
struct unmasked_run {
    std::size_t valid;
    std::size_t unmasked;
};
}  // namespace wscodec::detail

#if WSCODEC_X86

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("sse4.1"))), apply_to = function)
#elif defined(__GNUC__)
#pragma GCC push_options
#pragma GCC target("sse4.1")
#endif
namespace wscodec::detail::sse41 {
using vec = __m128i;
inline constexpr std::size_t width = 16;
inline constexpr bool validate_runs = true;
WSCODEC_ALWAYS_INLINE vec vload(const std::uint8_t* p) noexcept { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)); }
WSCODEC_ALWAYS_INLINE vec vsplat(std::uint8_t b) noexcept { return _mm_set1_epi8(static_cast<char>(b)); }
WSCODEC_ALWAYS_INLINE vec vtable(const std::uint8_t* t) noexcept { return vload(t); }
WSCODEC_ALWAYS_INLINE vec vlookup(vec table, vec idx) noexcept { return _mm_shuffle_epi8(table, idx); }
WSCODEC_ALWAYS_INLINE vec vhigh_nibble(vec v) noexcept { return _mm_and_si128(_mm_srli_epi16(v, 4), vsplat(0x0F)); }
WSCODEC_ALWAYS_INLINE vec vlow_nibble(vec v) noexcept { return _mm_and_si128(v, vsplat(0x0F)); }
WSCODEC_ALWAYS_INLINE vec vand(vec a, vec b) noexcept { return _mm_and_si128(a, b); }
WSCODEC_ALWAYS_INLINE vec vor(vec a, vec b) noexcept { return _mm_or_si128(a, b); }
WSCODEC_ALWAYS_INLINE vec vxor(vec a, vec b) noexcept { return _mm_xor_si128(a, b); }
WSCODEC_ALWAYS_INLINE vec vsubs(vec a, vec b) noexcept { return _mm_subs_epu8(a, b); }
WSCODEC_ALWAYS_INLINE vec veq(vec a, vec b) noexcept { return _mm_cmpeq_epi8(a, b); }
WSCODEC_ALWAYS_INLINE vec vsplat32(std::uint32_t w) noexcept { return _mm_set1_epi32(static_cast<int>(w)); }
WSCODEC_ALWAYS_INLINE void vstore(std::uint8_t* p, vec v) noexcept { _mm_storeu_si128(reinterpret_cast<__m128i*>(p), v); }
template <int N>
WSCODEC_ALWAYS_INLINE vec vprev(vec cur, vec prev) noexcept { return _mm_alignr_epi8(cur, prev, 16 - N); }
WSCODEC_ALWAYS_INLINE bool vany(vec v) noexcept { return !_mm_testz_si128(v, v); }
WSCODEC_ALWAYS_INLINE bool vascii(vec v) noexcept { return _mm_movemask_epi8(v) == 0; }
#include <wscodec/detail/utf8_kernel.inl>
}  // namespace wscodec::detail::sse41
#if defined(__clang__)
#pragma clang attribute pop
#elif defined(__GNUC__)
#pragma GCC pop_options
#endif

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2"))), apply_to = function)
#elif defined(__GNUC__)
#pragma GCC push_options
#pragma GCC target("avx2")
#endif
namespace wscodec::detail::avx2 {
using vec = __m256i;
inline constexpr std::size_t width = 32;
inline constexpr bool validate_runs = true;
WSCODEC_ALWAYS_INLINE vec vload(const std::uint8_t* p) noexcept { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
WSCODEC_ALWAYS_INLINE vec vsplat(std::uint8_t b) noexcept { return _mm256_set1_epi8(static_cast<char>(b)); }
WSCODEC_ALWAYS_INLINE vec vtable(const std::uint8_t* t) noexcept {
    return _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(t)));
}
WSCODEC_ALWAYS_INLINE vec vlookup(vec table, vec idx) noexcept { return _mm256_shuffle_epi8(table, idx); }
WSCODEC_ALWAYS_INLINE vec vhigh_nibble(vec v) noexcept { return _mm256_and_si256(_mm256_srli_epi16(v, 4), vsplat(0x0F)); }
WSCODEC_ALWAYS_INLINE vec vlow_nibble(vec v) noexcept { return _mm256_and_si256(v, vsplat(0x0F)); }
WSCODEC_ALWAYS_INLINE vec vand(vec a, vec b) noexcept { return _mm256_and_si256(a, b); }
WSCODEC_ALWAYS_INLINE vec vor(vec a, vec b) noexcept { return _mm256_or_si256(a, b); }
WSCODEC_ALWAYS_INLINE vec vxor(vec a, vec b) noexcept { return _mm256_xor_si256(a, b); }
WSCODEC_ALWAYS_INLINE vec vsubs(vec a, vec b) noexcept { return _mm256_subs_epu8(a, b); }
WSCODEC_ALWAYS_INLINE vec veq(vec a, vec b) noexcept { return _mm256_cmpeq_epi8(a, b); }
WSCODEC_ALWAYS_INLINE vec vsplat32(std::uint32_t w) noexcept { return _mm256_set1_epi32(static_cast<int>(w)); }
WSCODEC_ALWAYS_INLINE void vstore(std::uint8_t* p, vec v) noexcept { _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), v); }
template <int N>
WSCODEC_ALWAYS_INLINE vec vprev(vec cur, vec prev) noexcept {
    return _mm256_alignr_epi8(cur, _mm256_permute2x128_si256(prev, cur, 0x21), 16 - N);
}
WSCODEC_ALWAYS_INLINE bool vany(vec v) noexcept { return !_mm256_testz_si256(v, v); }
WSCODEC_ALWAYS_INLINE bool vascii(vec v) noexcept { return _mm256_movemask_epi8(v) == 0; }
#include <wscodec/detail/utf8_kernel.inl>
}  // namespace wscodec::detail::avx2
#if defined(__clang__)
#pragma clang attribute pop
#elif defined(__GNUC__)
#pragma GCC pop_options
#endif

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512vbmi,avx2"))), apply_to = function)
#elif defined(__GNUC__)
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vbmi,avx2")
#endif
namespace wscodec::detail::avx512 {
// One 64-byte vector is a whole block. VBMI's byte permutes do the table
// lookups and the shifts across the vector: vpermb reads only an index's low
// six bits, so with each 16-entry table repeated four times a nibble lookup
// needs no masking (the bits above the nibble pick one of the equal copies),
// and one vpermt2b gives the bytes N back. Comparisons give mask registers;
// veq turns one back into bytes (FF where equal) for the shared loop.
using vec = __m512i;
inline constexpr std::size_t width = 64;
// The general check is fast enough here that breaking off into a 3-byte run
// and back costs more than it saves on prose (measured on Chinese text with
// numbers and line breaks: 40 GB/s without runs, 35 with); the run stays for
// unmask_three_byte_run, which saves a pass.
inline constexpr bool validate_runs = false;
WSCODEC_ALWAYS_INLINE vec vload(const std::uint8_t* p) noexcept { return _mm512_loadu_si512(p); }
WSCODEC_ALWAYS_INLINE vec vsplat(std::uint8_t b) noexcept { return _mm512_set1_epi8(static_cast<char>(b)); }
WSCODEC_ALWAYS_INLINE vec vtable(const std::uint8_t* t) noexcept {
    // The zero-masking form: GCC 12 warns on the plain one's undefined source.
    return _mm512_maskz_broadcast_i32x4(0xFFFF, _mm_loadu_si128(reinterpret_cast<const __m128i*>(t)));
}
WSCODEC_ALWAYS_INLINE vec vlookup(vec table, vec idx) noexcept {
    // The zero-masking form with every lane on: GCC 12 warns on the plain one's undefined source.
    return _mm512_maskz_permutexvar_epi8(~__mmask64{0}, idx, table);
}
/// The high nibble in each byte's low four bits; bits 4..7 hold whatever
/// the 16-bit shift brought in, which vlookup ignores.
WSCODEC_ALWAYS_INLINE vec vhigh_nibble(vec v) noexcept { return _mm512_srli_epi16(v, 4); }
/// The byte itself: vlookup reads only its low nibble's copy of the table.
WSCODEC_ALWAYS_INLINE vec vlow_nibble(vec v) noexcept { return v; }
WSCODEC_ALWAYS_INLINE vec vand(vec a, vec b) noexcept { return _mm512_and_si512(a, b); }
WSCODEC_ALWAYS_INLINE vec vor(vec a, vec b) noexcept { return _mm512_or_si512(a, b); }
WSCODEC_ALWAYS_INLINE vec vxor(vec a, vec b) noexcept { return _mm512_xor_si512(a, b); }
WSCODEC_ALWAYS_INLINE vec vsubs(vec a, vec b) noexcept { return _mm512_subs_epu8(a, b); }
WSCODEC_ALWAYS_INLINE vec veq(vec a, vec b) noexcept { return _mm512_movm_epi8(_mm512_cmpeq_epi8_mask(a, b)); }
WSCODEC_ALWAYS_INLINE vec vsplat32(std::uint32_t w) noexcept { return _mm512_set1_epi32(static_cast<int>(w)); }
WSCODEC_ALWAYS_INLINE void vstore(std::uint8_t* p, vec v) noexcept { _mm512_storeu_si512(p, v); }
/// Index i + 64 - N for every byte i: with prev as bytes 0..63 and cur as 64..127,
/// the 64 bytes that end N bytes before the end of cur.
template <int N>
inline constexpr std::array<std::uint8_t, 64> back_index = [] {
    std::array<std::uint8_t, 64> a{};
    for (std::size_t i = 0; i < 64; ++i) a[i] = static_cast<std::uint8_t>(i + 64 - N);
    return a;
}();
template <int N>
WSCODEC_ALWAYS_INLINE vec vprev(vec cur, vec prev) noexcept {
    return _mm512_permutex2var_epi8(prev, vload(back_index<N>.data()), cur);
}
WSCODEC_ALWAYS_INLINE bool vany(vec v) noexcept { return _mm512_test_epi8_mask(v, v) != 0; }
WSCODEC_ALWAYS_INLINE bool vascii(vec v) noexcept { return _mm512_movepi8_mask(v) == 0; }
#include <wscodec/detail/utf8_kernel.inl>

/// Lane bits of a block at text offset o, o % 3 == r, that hold a 3-byte
/// character's lead: (r + lane) % 3 == 0.
inline constexpr std::array<std::uint64_t, 3> three_byte_leads = [] {
    std::array<std::uint64_t, 3> a{};
    for (unsigned r = 0; r < 3; ++r)
        for (unsigned lane = 0; lane < 64; ++lane)
            if ((r + lane) % 3 == 0) a[r] |= std::uint64_t{1} << lane;
    return a;
}();

/// unmask_three_byte_run with its stores aligned: a 64-byte store that
/// straddles two cache lines costs two, and a payload sits a frame header
/// (2 to 14 bytes) past wherever the read buffer starts. The bytes up to the
/// first 64-byte boundary go under a byte mask, then whole aligned blocks
/// (a text too short for one aligned block takes the unaligned walk).
/// A block starting at text offset o holds character leads where
/// (o + lane) % 3 == 0, so three pattern vectors serve every block (64 % 3
/// == 1: each block takes the next). `unmasked` is where the blocks looked
/// at end, any number (the caller picks up the key phase from it); `valid`
/// the character boundary at or before the first block that broke the run.
WSCODEC_NOINLINE inline unmasked_run unmask_three_byte_run_aligned(std::uint8_t* p, std::size_t n,
                                                                  std::uint32_t key32) noexcept {
    const std::size_t head = (64 - (reinterpret_cast<std::uintptr_t>(p) & 63)) & 63;
    if (n < head + 64) return unmask_three_byte_run(p, n, key32);  // no aligned block: blocks from the start
    const vec lead_mask = vsplat(0xF0), tail_mask = vsplat(0xC0), lead_want = vsplat(0xE0), tail_want = vsplat(0x80);
    vec masks[3], wants[3];
    for (unsigned r = 0; r < 3; ++r) {
        masks[r] = _mm512_mask_blend_epi8(three_byte_leads[r], tail_mask, lead_mask);
        wants[r] = _mm512_mask_blend_epi8(three_byte_leads[r], tail_want, lead_want);
    }
    const vec e0 = vsplat(0xE0), ed = vsplat(0xED);
    // Bits of the lanes of `in` (text offset o, o % 3 == r) that break the pattern.
    const auto broken = [&](vec in, unsigned r) WSCODEC_INLINE_LAMBDA {
        return _mm512_cmpneq_epi8_mask(_mm512_and_si512(in, masks[r]), wants[r]) |
               _mm512_cmpeq_epi8_mask(in, e0) | _mm512_cmpeq_epi8_mask(in, ed);
    };
    const auto boundary = [](std::size_t o) { return o - o % 3; };
    unsigned r = 0;  // o % 3 for the block at offset o
    if (head != 0) {
        const __mmask64 m = (__mmask64{1} << head) - 1;
        const vec in = _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, p), vsplat32(key32));
        _mm512_mask_storeu_epi8(p, m, in);
        if ((broken(in, 0) & m) != 0) return {0, head};
        r = static_cast<unsigned>(head % 3);
    }
    const vec key = vsplat32(advance_key(key32, head));
    std::size_t o = head;
    for (; o + 64 <= n; o += 64) {
        const vec in = _mm512_xor_si512(_mm512_load_si512(p + o), key);
        _mm512_store_si512(p + o, in);
        if (broken(in, r) != 0) return {boundary(o), o + 64};
        r = r == 2 ? 0 : r + 1;
    }
    return {boundary(o), o};
}
}  // namespace wscodec::detail::avx512
#if defined(__clang__)
#pragma clang attribute pop
#elif defined(__GNUC__)
#pragma GCC pop_options
#endif

#endif  // WSCODEC_X86

#if WSCODEC_NEON
namespace wscodec::detail::neon {
using vec = uint8x16_t;
inline constexpr std::size_t width = 16;
inline constexpr bool validate_runs = true;
WSCODEC_ALWAYS_INLINE vec vload(const std::uint8_t* p) noexcept { return vld1q_u8(p); }
WSCODEC_ALWAYS_INLINE vec vsplat(std::uint8_t b) noexcept { return vdupq_n_u8(b); }
WSCODEC_ALWAYS_INLINE vec vtable(const std::uint8_t* t) noexcept { return vld1q_u8(t); }
WSCODEC_ALWAYS_INLINE vec vlookup(vec table, vec idx) noexcept { return vqtbl1q_u8(table, idx); }
WSCODEC_ALWAYS_INLINE vec vhigh_nibble(vec v) noexcept { return vshrq_n_u8(v, 4); }
WSCODEC_ALWAYS_INLINE vec vlow_nibble(vec v) noexcept { return vandq_u8(v, vdupq_n_u8(0x0F)); }
WSCODEC_ALWAYS_INLINE vec vand(vec a, vec b) noexcept { return vandq_u8(a, b); }
WSCODEC_ALWAYS_INLINE vec vor(vec a, vec b) noexcept { return vorrq_u8(a, b); }
WSCODEC_ALWAYS_INLINE vec vxor(vec a, vec b) noexcept { return veorq_u8(a, b); }
WSCODEC_ALWAYS_INLINE vec vsubs(vec a, vec b) noexcept { return vqsubq_u8(a, b); }
WSCODEC_ALWAYS_INLINE vec veq(vec a, vec b) noexcept { return vceqq_u8(a, b); }
WSCODEC_ALWAYS_INLINE vec vsplat32(std::uint32_t w) noexcept { return vreinterpretq_u8_u32(vdupq_n_u32(w)); }
WSCODEC_ALWAYS_INLINE void vstore(std::uint8_t* p, vec v) noexcept { vst1q_u8(p, v); }
template <int N>
WSCODEC_ALWAYS_INLINE vec vprev(vec cur, vec prev) noexcept { return vextq_u8(prev, cur, 16 - N); }
WSCODEC_ALWAYS_INLINE bool vany(vec v) noexcept { return vmaxvq_u8(v) != 0; }
WSCODEC_ALWAYS_INLINE bool vascii(vec v) noexcept { return vmaxvq_u8(v) < 0x80; }
#include <wscodec/detail/utf8_kernel.inl>
}  // namespace wscodec::detail::neon
#endif  // WSCODEC_NEON
