// SPDX-License-Identifier: MIT
// wscodec/detail/mask_simd.hpp — masking kernels (RFC 6455 §5.3): a scalar
// reference, a 64-bit word path, and SSE2/AVX2/AVX-512 paths on x86-64 and NEON on
// arm64. All XOR `n` bytes from `src` into `dst` (which may be the same
// pointer) with a 4-byte key already rotated to the starting phase.
#pragma once

#include <bit>
#include <cstring>
#include <wscodec/detail/config.hpp>

#if WSCODEC_X86
#include <immintrin.h>
#endif
#if WSCODEC_NEON
#include <arm_neon.h>
#endif

// GCC 12 warns on the 8-byte word accesses when it inlines these for a buffer
// it knows is shorter, on paths (n >= 8) such a buffer never takes.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Warray-bounds"
#pragma GCC diagnostic ignored "-Wstringop-overread"
#pragma GCC diagnostic ignored "-Wstringop-overflow"
#endif

namespace wscodec::detail {

/// Rotates a key word, held in memory order, so that its first byte in
/// memory is the one `bytes` positions later in the key.
[[nodiscard]] WSCODEC_ALWAYS_INLINE std::uint32_t advance_key(std::uint32_t key32, std::size_t bytes) noexcept {
    const int shift = static_cast<int>(bytes & 3) * 8;
    if constexpr (std::endian::native == std::endian::little) return std::rotr(key32, shift);
    else return std::rotl(key32, shift);
}

/// The key as a 32-bit word in memory order, starting at key[phase].
[[nodiscard]] WSCODEC_ALWAYS_INLINE std::uint32_t rotated_key(const std::uint8_t* key, std::size_t phase) noexcept {
    std::uint32_t w;
    std::memcpy(&w, key, 4);
    return advance_key(w, phase);
}

/// Byte-at-a-time reference; `key32` holds the rotated key in memory order.
WSCODEC_ALWAYS_INLINE void mask_scalar(std::uint8_t* dst, const std::uint8_t* src, std::size_t n,
                                       std::uint32_t key32) noexcept {
    std::uint8_t key[4];
    std::memcpy(key, &key32, 4);
    for (std::size_t i = 0; i < n; ++i) dst[i] = static_cast<std::uint8_t>(src[i] ^ key[i & 3]);
}

/// Eight bytes at a time, then four, two and one: no loop for the tail. The
/// phase is unchanged by whole words, so only the last 0-3 bytes shift it.
WSCODEC_ALWAYS_INLINE void mask_words(std::uint8_t* dst, const std::uint8_t* src, std::size_t n,
                                      std::uint32_t key32) noexcept {
    const std::uint64_t key64 = (static_cast<std::uint64_t>(key32) << 32) | key32;
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        std::uint64_t w;
        std::memcpy(&w, src + i, 8);
        w ^= key64;
        std::memcpy(dst + i, &w, 8);
    }
    if (n & 4) {
        std::uint32_t w;
        std::memcpy(&w, src + i, 4);
        w ^= key32;
        std::memcpy(dst + i, &w, 4);
        i += 4;
    }
    std::uint8_t key[4];
    std::memcpy(key, &key32, 4);
    if (n & 2) {
        dst[i] = static_cast<std::uint8_t>(src[i] ^ key[0]);
        dst[i + 1] = static_cast<std::uint8_t>(src[i + 1] ^ key[1]);
        i += 2;
    }
    if (n & 1) dst[i] = static_cast<std::uint8_t>(src[i] ^ key[(n & 2)]);
}

/// Short payloads (control frames, small messages) inline, in place, with
/// no loop for the tail: every piece is loaded before any is stored, so the
/// last piece may overlap the one before it (both store the same masked
/// bytes there). 16 bytes at a time where the baseline ISA has vectors
/// (SSE2 on x86-64, NEON on arm64), then 8-, 4- or 1-byte pieces; no
/// dispatch and no call.
WSCODEC_ALWAYS_INLINE void mask_short(std::uint8_t* p, std::size_t n, std::uint32_t key32) noexcept {
    // The key from byte `at` on, as a word in memory order (`at` any offset into the payload).
    const auto key_at = [key32](std::size_t at) WSCODEC_INLINE_LAMBDA { return advance_key(key32, at); };
#if (WSCODEC_X86 && defined(__SSE2__)) || WSCODEC_NEON
    if (n >= 16) {
#if WSCODEC_X86
        const __m128i k = _mm_set1_epi32(static_cast<int>(key32));
        std::size_t i = 0;
        for (; i + 32 <= n; i += 16) {
            const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
            _mm_storeu_si128(reinterpret_cast<__m128i*>(p + i), _mm_xor_si128(a, k));
        }
        // 16..31 bytes left: the piece at i and the last 16 bytes.
        const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
        const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + n - 16));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(p + i), _mm_xor_si128(a, k));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(p + n - 16),
                         _mm_xor_si128(b, _mm_set1_epi32(static_cast<int>(key_at(n - 16)))));
#else
        const uint8x16_t k = vreinterpretq_u8_u32(vdupq_n_u32(key32));
        std::size_t i = 0;
        for (; i + 32 <= n; i += 16) vst1q_u8(p + i, veorq_u8(vld1q_u8(p + i), k));
        const uint8x16_t a = vld1q_u8(p + i);
        const uint8x16_t b = vld1q_u8(p + n - 16);
        vst1q_u8(p + i, veorq_u8(a, k));
        vst1q_u8(p + n - 16, veorq_u8(b, vreinterpretq_u8_u32(vdupq_n_u32(key_at(n - 16)))));
#endif
        return;
    }
#else
    if (n >= 16) {
        mask_words(p, p, n, key32);
        return;
    }
#endif
    if (n >= 8) {  // 8..15: the first 8 bytes and the last 8
        const auto key64 = [](std::uint32_t k) { return (static_cast<std::uint64_t>(k) << 32) | k; };
        std::uint64_t a, b;
        std::memcpy(&a, p, 8);
        std::memcpy(&b, p + n - 8, 8);
        a ^= key64(key32);
        b ^= key64(key_at(n - 8));
        std::memcpy(p, &a, 8);
        std::memcpy(p + n - 8, &b, 8);
    } else if (n >= 4) {  // 4..7: the first 4 bytes and the last 4
        std::uint32_t a, b;
        std::memcpy(&a, p, 4);
        std::memcpy(&b, p + n - 4, 4);
        a ^= key32;
        b ^= key_at(n - 4);
        std::memcpy(p, &a, 4);
        std::memcpy(p + n - 4, &b, 4);
    } else if (n > 0) {  // 1..3: the first, middle and last byte
        std::uint8_t key[4];
        std::memcpy(key, &key32, 4);
        const std::size_t mid = n / 2, last = n - 1;
        const std::uint8_t a = p[0], b = p[mid], c = p[last];
        p[0] = static_cast<std::uint8_t>(a ^ key[0]);
        p[mid] = static_cast<std::uint8_t>(b ^ key[mid]);
        p[last] = static_cast<std::uint8_t>(c ^ key[last]);
    }
}

#if WSCODEC_X86
/// mask_words' contract on AVX2, 128 bytes a step.
WSCODEC_TARGET_AVX2 inline void mask_avx2(std::uint8_t* dst, const std::uint8_t* src, std::size_t n,
                                          std::uint32_t key32) noexcept {
    if (n >= 128) {
        // Align the stores: a store split across cache lines costs a second one.
        const std::size_t head = (32 - (reinterpret_cast<std::uintptr_t>(dst) & 31)) & 31;
        mask_scalar(dst, src, head, key32);
        dst += head;
        src += head;
        n -= head;
        key32 = advance_key(key32, head);
    }
    const __m256i k = _mm256_set1_epi32(static_cast<int>(key32));
    std::size_t i = 0;
    for (; i + 128 <= n; i += 128) {
        const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + i));
        const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + i + 32));
        const __m256i c = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + i + 64));
        const __m256i d = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + i + 96));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i), _mm256_xor_si256(a, k));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i + 32), _mm256_xor_si256(b, k));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i + 64), _mm256_xor_si256(c, k));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i + 96), _mm256_xor_si256(d, k));
    }
    for (; i + 32 <= n; i += 32) {
        const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + i));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i), _mm256_xor_si256(a, k));
    }
    if (i + 16 <= n) {
        const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i), _mm_xor_si128(a, _mm256_castsi256_si128(k)));
        i += 16;
    }
    mask_words(dst + i, src + i, n - i, key32);
}

/// mask_words' contract on AVX-512, 256 bytes a step (whole key words: the
/// phase is unchanged for the tail).
WSCODEC_TARGET_AVX512BW inline void mask_avx512(std::uint8_t* dst, const std::uint8_t* src, std::size_t n,
                                                std::uint32_t key32) noexcept {
    if (n < 256) return mask_avx2(dst, src, n, key32);  // fewer, narrower steps win on a short payload
    if (n >= 512) {
        // Align the stores: a store split across cache lines costs a second one.
        const std::size_t head = (64 - (reinterpret_cast<std::uintptr_t>(dst) & 63)) & 63;
        mask_words(dst, src, head, key32);
        dst += head;
        src += head;
        n -= head;
        key32 = advance_key(key32, head);
    }
    const __m512i k = _mm512_set1_epi32(static_cast<int>(key32));
    std::size_t i = 0;
    for (; i + 256 <= n; i += 256) {
        const __m512i a = _mm512_loadu_si512(src + i);
        const __m512i b = _mm512_loadu_si512(src + i + 64);
        const __m512i c = _mm512_loadu_si512(src + i + 128);
        const __m512i d = _mm512_loadu_si512(src + i + 192);
        _mm512_storeu_si512(dst + i, _mm512_xor_si512(a, k));
        _mm512_storeu_si512(dst + i + 64, _mm512_xor_si512(b, k));
        _mm512_storeu_si512(dst + i + 128, _mm512_xor_si512(c, k));
        _mm512_storeu_si512(dst + i + 192, _mm512_xor_si512(d, k));
    }
    for (; i + 64 <= n; i += 64) _mm512_storeu_si512(dst + i, _mm512_xor_si512(_mm512_loadu_si512(src + i), k));
    mask_avx2(dst + i, src + i, n - i, key32);  // under 64 bytes: its 32- and 16-byte steps, then words
}
/// mask_words' contract on SSE2 (part of x86-64), 64 bytes a step: the kernel::sse41 choice.
inline void mask_sse2(std::uint8_t* dst, const std::uint8_t* src, std::size_t n, std::uint32_t key32) noexcept {
    const __m128i k = _mm_set1_epi32(static_cast<int>(key32));
    std::size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i));
        const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i + 16));
        const __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i + 32));
        const __m128i d = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i + 48));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i), _mm_xor_si128(a, k));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i + 16), _mm_xor_si128(b, k));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i + 32), _mm_xor_si128(c, k));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i + 48), _mm_xor_si128(d, k));
    }
    for (; i + 16 <= n; i += 16) {
        const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i), _mm_xor_si128(a, k));
    }
    mask_words(dst + i, src + i, n - i, key32);
}
#endif  // WSCODEC_X86

#if WSCODEC_NEON
/// mask_words' contract on NEON, 64 bytes a step.
inline void mask_neon(std::uint8_t* dst, const std::uint8_t* src, std::size_t n, std::uint32_t key32) noexcept {
    const uint8x16_t k = vreinterpretq_u8_u32(vdupq_n_u32(key32));
    std::size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        vst1q_u8(dst + i, veorq_u8(vld1q_u8(src + i), k));
        vst1q_u8(dst + i + 16, veorq_u8(vld1q_u8(src + i + 16), k));
        vst1q_u8(dst + i + 32, veorq_u8(vld1q_u8(src + i + 32), k));
        vst1q_u8(dst + i + 48, veorq_u8(vld1q_u8(src + i + 48), k));
    }
    for (; i + 16 <= n; i += 16) vst1q_u8(dst + i, veorq_u8(vld1q_u8(src + i), k));
    mask_words(dst + i, src + i, n - i, key32);
}
#endif  // WSCODEC_NEON

}  // namespace wscodec::detail

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
