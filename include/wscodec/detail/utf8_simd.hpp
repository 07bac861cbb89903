// SPDX-License-Identifier: MIT
// wscodec/detail/utf8_simd.hpp — SIMD UTF-8 validators: SSE4.1 and AVX2 on
// x86-64 (compiled with target attributes, chosen at run time) and NEON on
// arm64. Each defines the vector vocabulary utf8_kernel.inl is written in.
#pragma once

#include <cstring>
#include <wscodec/detail/config.hpp>
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
/// place (a whole number of 64-byte blocks: `valid` rounded up, or the
/// block that broke the run too, so up to 66 bytes past `valid`).
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
WSCODEC_ALWAYS_INLINE vec vload(const std::uint8_t* p) noexcept { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)); }
WSCODEC_ALWAYS_INLINE vec vsplat(std::uint8_t b) noexcept { return _mm_set1_epi8(static_cast<char>(b)); }
WSCODEC_ALWAYS_INLINE vec vtable(const std::uint8_t* t) noexcept { return vload(t); }
WSCODEC_ALWAYS_INLINE vec vlookup(vec table, vec idx) noexcept { return _mm_shuffle_epi8(table, idx); }
WSCODEC_ALWAYS_INLINE vec vhigh_nibble(vec v) noexcept { return _mm_and_si128(_mm_srli_epi16(v, 4), vsplat(0x0F)); }
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
WSCODEC_ALWAYS_INLINE vec vload(const std::uint8_t* p) noexcept { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
WSCODEC_ALWAYS_INLINE vec vsplat(std::uint8_t b) noexcept { return _mm256_set1_epi8(static_cast<char>(b)); }
WSCODEC_ALWAYS_INLINE vec vtable(const std::uint8_t* t) noexcept {
    return _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(t)));
}
WSCODEC_ALWAYS_INLINE vec vlookup(vec table, vec idx) noexcept { return _mm256_shuffle_epi8(table, idx); }
WSCODEC_ALWAYS_INLINE vec vhigh_nibble(vec v) noexcept { return _mm256_and_si256(_mm256_srli_epi16(v, 4), vsplat(0x0F)); }
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

#endif  // WSCODEC_X86

#if WSCODEC_NEON
namespace wscodec::detail::neon {
using vec = uint8x16_t;
inline constexpr std::size_t width = 16;
WSCODEC_ALWAYS_INLINE vec vload(const std::uint8_t* p) noexcept { return vld1q_u8(p); }
WSCODEC_ALWAYS_INLINE vec vsplat(std::uint8_t b) noexcept { return vdupq_n_u8(b); }
WSCODEC_ALWAYS_INLINE vec vtable(const std::uint8_t* t) noexcept { return vld1q_u8(t); }
WSCODEC_ALWAYS_INLINE vec vlookup(vec table, vec idx) noexcept { return vqtbl1q_u8(table, idx); }
WSCODEC_ALWAYS_INLINE vec vhigh_nibble(vec v) noexcept { return vshrq_n_u8(v, 4); }
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
