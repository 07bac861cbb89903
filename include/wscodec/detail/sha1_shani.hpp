// SPDX-License-Identifier: MIT
// wscodec/detail/sha1_shani.hpp — SHA-1 compression (FIPS 180-4 §6.1.2) on the
// x86 SHA extensions (sha1rnds4, sha1nexte, sha1msg1, sha1msg2), compiled with
// a target attribute and run only where detail::cpu_has_sha_ni() says so: the
// general block loop, and a two-block digest whose second block is known at
// compile time (the handshake's key and GUID, RFC 6455 §4.2.2). It must equal
// sha1_compress_portable. Empty off x86-64.
//
// The extensions hold a, b, c, d in one register, a in the top lane, and
// process four rounds per sha1rnds4 on four schedule words, W[t] in the top
// lane with e added to it. e is never kept: four rounds after a state, e is
// rotl(a of that state, 30), which sha1nexte adds to the next four words.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <wscodec/detail/config.hpp>
#include <wscodec/detail/sha1_portable.hpp>

#if WSCODEC_X86
#include <immintrin.h>

namespace wscodec::detail::sha_ni {

/// The 16 bytes of `v` in reverse order: four big-endian words read from
/// memory, the first in the top lane.
WSCODEC_ALWAYS_INLINE WSCODEC_TARGET_SHA_NI __m128i reverse_bytes(__m128i v) noexcept {
    return _mm_shuffle_epi8(v, _mm_set_epi64x(0x0001020304050607LL, 0x08090A0B0C0D0E0FLL));
}

/// W[t+16..t+19] from W[t..t+15] held as four groups of four.
WSCODEC_ALWAYS_INLINE WSCODEC_TARGET_SHA_NI __m128i next_words(__m128i w0, __m128i w1, __m128i w2,
                                                                __m128i w3) noexcept {
    return _mm_sha1msg2_epu32(_mm_xor_si128(_mm_sha1msg1_epu32(w0, w1), w2), w3);
}

/// Groups I..19 of four rounds; `prev` is the state before group I-1 and
/// w[I % 4] the words of group I once the schedule has been extended.
template <int I>
WSCODEC_ALWAYS_INLINE WSCODEC_TARGET_SHA_NI void rounds(__m128i& abcd, __m128i& prev, __m128i (&w)[4]) noexcept {
    if constexpr (I < 20) {
        if constexpr (I >= 4) w[I % 4] = next_words(w[I % 4], w[(I + 1) % 4], w[(I + 2) % 4], w[(I + 3) % 4]);
        const __m128i e_plus_w = _mm_sha1nexte_epu32(prev, w[I % 4]);
        prev = abcd;
        abcd = _mm_sha1rnds4_epu32(abcd, e_plus_w, I / 5);
        rounds<I + 1>(abcd, prev, w);
    }
}

/// Groups I..19 of four rounds on a schedule computed in advance: `w` holds
/// W[0..79] in the lane order of sha1_schedule_lanes.
template <int I>
WSCODEC_ALWAYS_INLINE WSCODEC_TARGET_SHA_NI void rounds_on(__m128i& abcd, __m128i& prev, const std::uint32_t* w) noexcept {
    if constexpr (I < 20) {
        const __m128i e_plus_w = _mm_sha1nexte_epu32(prev, _mm_loadu_si128(reinterpret_cast<const __m128i*>(w + 4 * I)));
        prev = abcd;
        abcd = _mm_sha1rnds4_epu32(abcd, e_plus_w, I / 5);
        rounds_on<I + 1>(abcd, prev, w);
    }
}

/// Compresses one block into the state `abcd`, `e`: its words W[0..15] are
/// `w` in four groups, which the schedule overwrites.
WSCODEC_ALWAYS_INLINE WSCODEC_TARGET_SHA_NI void block(__m128i& abcd, __m128i& e, __m128i (&w)[4]) noexcept {
    const __m128i abcd_in = abcd, e_in = e;
    __m128i prev = abcd;
    abcd = _mm_sha1rnds4_epu32(abcd, _mm_add_epi32(e, w[0]), 0);
    rounds<1>(abcd, prev, w);
    e = _mm_sha1nexte_epu32(prev, e_in);
    abcd = _mm_add_epi32(abcd, abcd_in);
}

/// Stores the state `abcd`, `e` as the hash value h[0..4].
WSCODEC_ALWAYS_INLINE WSCODEC_TARGET_SHA_NI void store(std::uint32_t* h, __m128i abcd, __m128i e) noexcept {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(h), _mm_shuffle_epi32(abcd, 0x1B));
    h[4] = static_cast<std::uint32_t>(_mm_extract_epi32(e, 3));
}

/// sha1_compress_portable's contract, on the SHA extensions; the CPU must
/// have them (cpu_has_sha_ni()).
WSCODEC_TARGET_SHA_NI inline void compress(std::uint32_t* h, const std::uint8_t* p, std::size_t blocks) noexcept {
    __m128i abcd = _mm_shuffle_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(h)), 0x1B);
    __m128i e = _mm_set_epi32(static_cast<int>(h[4]), 0, 0, 0);
    for (; blocks != 0; --blocks, p += 64) {
        __m128i w[4];
        for (int i = 0; i < 4; ++i) w[i] = reverse_bytes(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * i)));
        block(abcd, e, w);
    }
    store(h, abcd, e);
}

/// The digest of a two-block message from H(0) into h[0..4]: the first block
/// given as its words W[0..15] in four groups (as compress() loads them), the
/// second by its whole schedule `fixed` (see rounds_on). For a message whose
/// second block is fixed, such as the handshake's key and GUID, whose second
/// block is only the length: no bytes are stored and loaded back in between,
/// and the second block's schedule costs nothing.
WSCODEC_TARGET_SHA_NI inline void compress_then_fixed(std::uint32_t* h, __m128i w0, __m128i w1, __m128i w2, __m128i w3,
                                                      const std::uint32_t* fixed) noexcept {
    const auto lane = [](std::size_t i) { return static_cast<int>(sha1_initial_hash[i]); };
    __m128i abcd = _mm_set_epi32(lane(0), lane(1), lane(2), lane(3));
    __m128i e = _mm_set_epi32(lane(4), 0, 0, 0);
    __m128i w[4] = {w0, w1, w2, w3};
    block(abcd, e, w);
    const __m128i abcd_1 = abcd, e_1 = e;
    __m128i prev = abcd;
    abcd = _mm_sha1rnds4_epu32(abcd, _mm_add_epi32(e, _mm_loadu_si128(reinterpret_cast<const __m128i*>(fixed))), 0);
    rounds_on<1>(abcd, prev, fixed);
    e = _mm_sha1nexte_epu32(prev, e_1);
    abcd = _mm_add_epi32(abcd, abcd_1);
    store(h, abcd, e);
}

/// The digest from H(0), into h[0..4], of a two-block message whose first
/// block is the 24 bytes at `head` then constant bytes and whose second block
/// is constant: `FirstLanes` holds the first block's W[0..15] in the lane
/// order of sha1_schedule_lanes with W[0..5] zero, and `SecondSchedule` the
/// second block's whole schedule; both are constants at known addresses. The
/// head goes from memory into registers.
template <const std::array<std::uint32_t, 80>& FirstLanes, const std::array<std::uint32_t, 80>& SecondSchedule>
WSCODEC_TARGET_SHA_NI inline void digest_head24_then_fixed(std::uint32_t* h, const char* head) noexcept {
    const auto constant = [](std::size_t group) {  // W[4g..4g+3] with the head's words zero
        return _mm_loadu_si128(reinterpret_cast<const __m128i*>(FirstLanes.data() + 4 * group));
    };
    const __m128i w0 = reverse_bytes(_mm_loadu_si128(reinterpret_cast<const __m128i*>(head)));
    // Bytes 16-23 are the head's last eight: W[4] and W[5] in the top lanes; W[6], W[7] are constant.
    const __m128i w1 = _mm_or_si128(reverse_bytes(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(head + 16))), constant(1));
    compress_then_fixed(h, w0, w1, constant(2), constant(3), SecondSchedule.data());
}

}  // namespace wscodec::detail::sha_ni

#endif  // WSCODEC_X86
