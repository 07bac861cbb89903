// SPDX-License-Identifier: MIT
// wscodec/mask.hpp — WebSocket masking (RFC 6455 §5.3): XOR with a 4-byte key
// from any key phase, in place or while copying, so a payload can be unmasked
// chunk by chunk as it arrives. Stateless; dispatches to SIMD at run time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <wscodec/bytes.hpp>
#include <wscodec/detail/mask_simd.hpp>
#include <wscodec/kernel.hpp>

namespace wscodec {

namespace detail {
/// XORs `n` bytes of `src` into `dst` with the rotated key word `key32` on kernel `k`.
inline void mask_dispatch(std::uint8_t* dst, const std::uint8_t* src, std::size_t n, std::uint32_t key32,
                          kernel k) noexcept {
    if (n < 32) k = kernel::scalar;  // below one AVX2 vector the word loop wins
    switch (resolve_kernel(k)) {
#if WSCODEC_X86
        case kernel::avx512: return mask_avx512(dst, src, n, key32);
        case kernel::avx2: return mask_avx2(dst, src, n, key32);
        case kernel::sse41: return mask_sse2(dst, src, n, key32);
#endif
#if WSCODEC_NEON
        case kernel::neon: return mask_neon(dst, src, n, key32);
#endif
        default: return mask_words(dst, src, n, key32);
    }
}
}  // namespace detail

/// XORs `data` in place with `key`, its first byte with key[phase % 4].
/// Returns the phase for the byte after `data`: (phase + data.size()) % 4.
inline std::size_t apply_mask(mutable_bytes data, const mask_key& key, std::size_t phase = 0,
                              kernel k = kernel::best) noexcept {
    phase &= 3;
    detail::mask_dispatch(data.data(), data.data(), data.size(), detail::rotated_key(key.data(), phase), k);
    return (phase + data.size()) & 3;
}

/// Writes `src` XOR `key` (from key[phase % 4]) to the first src.size() bytes
/// of `dst`, which must be at least that long and may alias `src` exactly.
/// Returns the phase for the byte after `src`.
inline std::size_t apply_mask_copy(mutable_bytes dst, bytes_view src, const mask_key& key, std::size_t phase = 0,
                                   kernel k = kernel::best) noexcept {
    phase &= 3;
    const std::size_t n = src.size() <= dst.size() ? src.size() : dst.size();
    detail::mask_dispatch(dst.data(), src.data(), n, detail::rotated_key(key.data(), phase), k);
    return (phase + n) & 3;
}

/// Byte-at-a-time reference of apply_mask, for tests and fuzzers.
inline std::size_t apply_mask_reference(mutable_bytes data, const mask_key& key, std::size_t phase = 0) noexcept {
    for (std::uint8_t& b : data) b = static_cast<std::uint8_t>(b ^ key[phase++ & 3]);
    return phase & 3;
}

}  // namespace wscodec
