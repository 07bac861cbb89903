// SPDX-License-Identifier: MIT
// wscodec/detail/sha1_portable.hpp — the portable SHA-1 compression function
// (FIPS 180-4 §6.1.2), the reference the SHA-extensions kernel beside it must
// equal, usable in constant expressions; and the constants and conversions
// both share: H(0), the message schedule in the extensions' lane order, the
// digest's bytes.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <wscodec/detail/config.hpp>

namespace wscodec::detail {

/// A SHA-1 message digest: 160 bits, big-endian words H0..H4.
using sha1_digest = std::array<std::uint8_t, 20>;

/// H(0), the initial hash value (FIPS 180-4 §5.3.1).
inline constexpr std::array<std::uint32_t, 5> sha1_initial_hash = {0x67452301u, 0xEFCDAB89u, 0x98BADCFEu, 0x10325476u,
                                                                   0xC3D2E1F0u};

/// The big-endian word at p[0..3].
[[nodiscard]] constexpr std::uint32_t sha1_load_be32(const std::uint8_t* p) noexcept {
    return std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 | p[3];
}

/// Writes `x` big-endian to p[0..3].
constexpr void sha1_store_be32(std::uint8_t* p, std::uint32_t x) noexcept {
    p[0] = static_cast<std::uint8_t>(x >> 24);
    p[1] = static_cast<std::uint8_t>(x >> 16);
    p[2] = static_cast<std::uint8_t>(x >> 8);
    p[3] = static_cast<std::uint8_t>(x);
}

/// Round t of the compression function (FIPS 180-4 §6.1.2 step 3): f_t and K_t
/// of §4.1.1 and §4.2.1, W_t from the message schedule kept in a 16-word ring,
/// the working variables a..e in `v`.
template <int T>
WSCODEC_ALWAYS_INLINE constexpr void sha1_round(std::uint32_t (&w)[16], std::uint32_t (&v)[5]) noexcept {
    std::uint32_t wt = w[T & 15];
    if constexpr (T >= 16) {
        wt = std::rotl(w[(T + 13) & 15] ^ w[(T + 8) & 15] ^ w[(T + 2) & 15] ^ wt, 1);
        w[T & 15] = wt;
    }
    constexpr std::uint32_t k = T < 20 ? 0x5A827999u : T < 40 ? 0x6ED9EBA1u : T < 60 ? 0x8F1BBCDCu : 0xCA62C1D6u;
    const std::uint32_t b = v[1], c = v[2], d = v[3];
    std::uint32_t f;
    if constexpr (T < 20) f = d ^ (b & (c ^ d));                        // Ch
    else if constexpr (T >= 40 && T < 60) f = (b & c) | (d & (b | c));  // Maj
    else f = b ^ c ^ d;                                                 // Parity
    const std::uint32_t temp = std::rotl(v[0], 5) + f + v[4] + k + wt;
    v[4] = d;
    v[3] = c;
    v[2] = std::rotl(b, 30);
    v[1] = v[0];
    v[0] = temp;
}

/// Rounds 0..79, unrolled.
template <int... T>
WSCODEC_ALWAYS_INLINE constexpr void sha1_rounds(std::uint32_t (&w)[16], std::uint32_t (&v)[5],
                                                 std::integer_sequence<int, T...>) noexcept {
    (sha1_round<T>(w, v), ...);
}

/// Runs the SHA-1 compression function (FIPS 180-4 §6.1.2) over `blocks`
/// 64-byte blocks at `p`, updating the hash value `h`.
constexpr void sha1_compress_portable(std::array<std::uint32_t, 5>& h, const std::uint8_t* p,
                                      std::size_t blocks) noexcept {
    for (; blocks != 0; --blocks, p += 64) {
        std::uint32_t w[16] = {};
        for (int t = 0; t < 16; ++t) w[t] = sha1_load_be32(p + 4 * t);
        std::uint32_t v[5] = {h[0], h[1], h[2], h[3], h[4]};
        sha1_rounds(w, v, std::make_integer_sequence<int, 80>());
        for (int i = 0; i < 5; ++i) h[static_cast<std::size_t>(i)] += v[i];
    }
}

/// The message schedule W[0..79] of `block` (FIPS 180-4 §6.1.2 step 1), four
/// words a group in the lane order of the SHA extensions' registers: W[4g+3],
/// W[4g+2], W[4g+1], W[4g]. For blocks known at compile time.
[[nodiscard]] constexpr std::array<std::uint32_t, 80> sha1_schedule_lanes(const std::array<std::uint8_t, 64>& block) noexcept {
    std::array<std::uint32_t, 80> w{};
    for (std::size_t t = 0; t < 16; ++t) w[t] = sha1_load_be32(block.data() + 4 * t);
    for (std::size_t t = 16; t < 80; ++t) w[t] = std::rotl(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);
    std::array<std::uint32_t, 80> lanes{};
    for (std::size_t t = 0; t < 80; ++t) lanes[t / 4 * 4 + 3 - t % 4] = w[t];
    return lanes;
}

/// The digest's bytes of the hash value `h` (FIPS 180-4 §6.1.2: H0 || H1 || H2 || H3 || H4).
[[nodiscard]] constexpr sha1_digest sha1_digest_bytes(const std::array<std::uint32_t, 5>& h) noexcept {
    sha1_digest out{};
    for (std::size_t i = 0; i < 5; ++i) sha1_store_be32(out.data() + 4 * i, h[i]);
    return out;
}

}  // namespace wscodec::detail
