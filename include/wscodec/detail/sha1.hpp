// wscodec/detail/sha1.hpp — SHA-1 (FIPS 180-4 §6.1), which wscodec needs only
// for the opening handshake's Sec-WebSocket-Accept (RFC 6455 §4.2.2). Two
// compression functions: a portable one, usable in constant expressions, and
// on x86-64 one built on the SHA extensions (sha1rnds4, sha1nexte, sha1msg1,
// sha1msg2), compiled with a target attribute and chosen at run time. Over
// them, a streaming hasher (96 bytes) and a one-shot function. No heap.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>
#include <utility>
#include <wscodec/detail/config.hpp>
#include <wscodec/detail/cpu.hpp>

#if WSCODEC_X86
#include <immintrin.h>
#endif

namespace wscodec::detail {

/// A SHA-1 compression function: `best` picks `sha_ni` where the CPU has the
/// SHA extensions, `portable` runs everywhere (and in constant expressions).
enum class sha1_kernel : std::uint8_t { best = 0, portable = 1, sha_ni = 2 };

/// Stable lower-case name of a SHA-1 kernel ("portable", "sha_ni", ...).
[[nodiscard]] constexpr const char* sha1_kernel_name(sha1_kernel k) noexcept {
    switch (k) {
        case sha1_kernel::best: return "best";
        case sha1_kernel::portable: return "portable";
        case sha1_kernel::sha_ni: return "sha_ni";
    }
    return "unknown";
}

/// True if SHA-1 kernel `k` can run on this CPU in this build.
[[nodiscard]] inline bool sha1_kernel_supported(sha1_kernel k) noexcept {
    switch (k) {
        case sha1_kernel::best:
        case sha1_kernel::portable: return true;
        case sha1_kernel::sha_ni: return cpu_has_sha_ni();
    }
    return false;
}

/// Resolves `best` and unsupported requests to the kernel that will run.
[[nodiscard]] inline sha1_kernel resolve_sha1_kernel(sha1_kernel k) noexcept {
    if (k != sha1_kernel::portable && sha1_kernel_supported(sha1_kernel::sha_ni)) return sha1_kernel::sha_ni;
    return sha1_kernel::portable;
}

/// A SHA-1 message digest: 160 bits, big-endian words H0..H4.
using sha1_digest = std::array<std::uint8_t, 20>;

/// H(0), the initial hash value (FIPS 180-4 §5.3.1).
inline constexpr std::array<std::uint32_t, 5> sha1_initial_hash = {0x67452301u, 0xEFCDAB89u, 0x98BADCFEu, 0x10325476u,
                                                                   0xC3D2E1F0u};

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
        for (int t = 0; t < 16; ++t) {
            const std::uint8_t* q = p + 4 * t;
            w[t] = std::uint32_t{q[0]} << 24 | std::uint32_t{q[1]} << 16 | std::uint32_t{q[2]} << 8 | q[3];
        }
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
    for (std::size_t t = 0; t < 16; ++t)
        w[t] = std::uint32_t{block[4 * t]} << 24 | std::uint32_t{block[4 * t + 1]} << 16 |
               std::uint32_t{block[4 * t + 2]} << 8 | block[4 * t + 3];
    for (std::size_t t = 16; t < 80; ++t) w[t] = std::rotl(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);
    std::array<std::uint32_t, 80> lanes{};
    for (std::size_t t = 0; t < 80; ++t) lanes[t / 4 * 4 + 3 - t % 4] = w[t];
    return lanes;
}

}  // namespace wscodec::detail

#if WSCODEC_X86

#define WSCODEC_TARGET_SHA_NI __attribute__((target("sha,sse4.1")))

// The SHA extensions hold a, b, c, d in one register, a in the top lane, and
// process four rounds per sha1rnds4 on four schedule words, W[t] in the top
// lane with e added to it. e is never kept: four rounds after a state, e is
// rotl(a of that state, 30), which sha1nexte adds to the next four words.
namespace wscodec::detail::sha_ni {

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

/// sha1_compress_portable's contract, on the SHA extensions; the CPU must
/// have them (cpu_has_sha_ni()).
WSCODEC_TARGET_SHA_NI inline void compress(std::uint32_t* h, const std::uint8_t* p, std::size_t blocks) noexcept {
    const __m128i big_endian = _mm_set_epi64x(0x0001020304050607LL, 0x08090A0B0C0D0E0FLL);
    __m128i abcd = _mm_shuffle_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(h)), 0x1B);
    __m128i e = _mm_set_epi32(static_cast<int>(h[4]), 0, 0, 0);
    for (; blocks != 0; --blocks, p += 64) {
        const __m128i abcd_in = abcd, e_in = e;
        __m128i w[4];
        for (int i = 0; i < 4; ++i)
            w[i] = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * i)), big_endian);
        __m128i prev = abcd;
        abcd = _mm_sha1rnds4_epu32(abcd, _mm_add_epi32(e, w[0]), 0);
        rounds<1>(abcd, prev, w);
        e = _mm_sha1nexte_epu32(prev, e_in);
        abcd = _mm_add_epi32(abcd, abcd_in);
    }
    _mm_storeu_si128(reinterpret_cast<__m128i*>(h), _mm_shuffle_epi32(abcd, 0x1B));
    h[4] = static_cast<std::uint32_t>(_mm_extract_epi32(e, 3));
}

/// Groups I..19 of four rounds on a schedule computed in advance: `w` holds
/// W[0..79], four words a group in the order compress() loads them (W[4g] in
/// the top lane, see schedule_lanes).
template <int I>
WSCODEC_ALWAYS_INLINE WSCODEC_TARGET_SHA_NI void rounds_on(__m128i& abcd, __m128i& prev, const std::uint32_t* w) noexcept {
    if constexpr (I < 20) {
        const __m128i e_plus_w = _mm_sha1nexte_epu32(prev, _mm_loadu_si128(reinterpret_cast<const __m128i*>(w + 4 * I)));
        prev = abcd;
        abcd = _mm_sha1rnds4_epu32(abcd, e_plus_w, I / 5);
        rounds_on<I + 1>(abcd, prev, w);
    }
}

/// The digest of a two-block message from H(0): the first block given as its
/// words W[0..15] in four groups (as compress() loads them), the second by
/// its whole schedule (see rounds_on). For a message whose second block is
/// fixed, such as the handshake's key and GUID, whose second block is only
/// the length: no bytes are stored and loaded back in between, and the
/// second block's schedule costs nothing.
WSCODEC_TARGET_SHA_NI inline void compress_then_fixed(std::uint32_t* h, __m128i w0, __m128i w1, __m128i w2, __m128i w3,
                                                      const std::uint32_t* fixed) noexcept {
    const __m128i abcd_0 = _mm_set_epi32(0x67452301, static_cast<int>(0xEFCDAB89u), static_cast<int>(0x98BADCFEu), 0x10325476);
    const __m128i e_0 = _mm_set_epi32(static_cast<int>(0xC3D2E1F0u), 0, 0, 0);
    __m128i w[4] = {w0, w1, w2, w3};
    __m128i prev = abcd_0;
    __m128i abcd = _mm_sha1rnds4_epu32(abcd_0, _mm_add_epi32(e_0, w[0]), 0);
    rounds<1>(abcd, prev, w);
    __m128i e = _mm_sha1nexte_epu32(prev, e_0);
    abcd = _mm_add_epi32(abcd, abcd_0);
    const __m128i abcd_1 = abcd, e_1 = e;
    prev = abcd;
    abcd = _mm_sha1rnds4_epu32(abcd, _mm_add_epi32(e, _mm_loadu_si128(reinterpret_cast<const __m128i*>(fixed))), 0);
    rounds_on<1>(abcd, prev, fixed);
    e = _mm_sha1nexte_epu32(prev, e_1);
    abcd = _mm_add_epi32(abcd, abcd_1);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(h), _mm_shuffle_epi32(abcd, 0x1B));
    h[4] = static_cast<std::uint32_t>(_mm_extract_epi32(e, 3));
}

}  // namespace wscodec::detail::sha_ni

#endif  // WSCODEC_X86

namespace wscodec::detail {

/// Streaming SHA-1: update() any number of times, then final(). 96 bytes of
/// state; trivially copyable, so a hasher fed a common prefix can be copied.
class sha1_hasher {
public:
    /// A hasher for the empty message on kernel `k` (the portable one when
    /// constructed in a constant expression).
    constexpr explicit sha1_hasher(sha1_kernel k = sha1_kernel::best) noexcept
        : kernel_(std::is_constant_evaluated() ? sha1_kernel::portable : resolve_sha1_kernel(k)) {}

    /// The kernel that runs: never `best`.
    [[nodiscard]] constexpr sha1_kernel kernel() const noexcept { return kernel_; }

    /// Appends `data` to the message.
    constexpr sha1_hasher& update(bytes_view data) noexcept {
        const std::uint8_t* p = data.data();
        std::size_t n = data.size();
        std::size_t fill = static_cast<std::size_t>(length_ % 64);
        length_ += n;
        if (fill != 0) {
            const std::size_t take = std::min(64 - fill, n);
            std::copy(p, p + take, buffer_.data() + fill);
            if (fill + take < 64) return *this;
            compress(buffer_.data(), 1);
            p += take;
            n -= take;
        }
        if (n >= 64) {
            compress(p, n / 64);
            p += n / 64 * 64;
            n %= 64;
        }
        std::copy(p, p + n, buffer_.data());
        return *this;
    }

    /// Appends the bytes of `text` to the message.
    constexpr sha1_hasher& update(std::string_view text) noexcept {
        if (!std::is_constant_evaluated())
            return update(bytes_view(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
        std::uint8_t chunk[64] = {};
        for (std::size_t at = 0; at < text.size(); at += 64) {
            const std::size_t n = std::min<std::size_t>(64, text.size() - at);
            for (std::size_t i = 0; i < n; ++i) chunk[i] = static_cast<std::uint8_t>(text[at + i]);
            update(bytes_view(chunk, n));
        }
        return *this;
    }

    /// Pads the message (FIPS 180-4 §5.1.1) and returns its digest; the hasher
    /// is then back at the empty message, on the same kernel.
    [[nodiscard]] constexpr sha1_digest final() noexcept {
        const std::uint64_t bits = length_ * 8;
        std::size_t fill = static_cast<std::size_t>(length_ % 64);
        buffer_[fill++] = 0x80;
        if (fill > 56) {
            std::fill(buffer_.begin() + static_cast<std::ptrdiff_t>(fill), buffer_.end(), std::uint8_t{0});
            compress(buffer_.data(), 1);
            fill = 0;
        }
        std::fill(buffer_.begin() + static_cast<std::ptrdiff_t>(fill), buffer_.begin() + 56, std::uint8_t{0});
        store_be32(buffer_.data() + 56, static_cast<std::uint32_t>(bits >> 32));
        store_be32(buffer_.data() + 60, static_cast<std::uint32_t>(bits));
        compress(buffer_.data(), 1);
        sha1_digest out{};
        for (std::size_t i = 0; i < 5; ++i) store_be32(out.data() + 4 * i, h_[i]);
        h_ = sha1_initial_hash;
        length_ = 0;
        return out;
    }

private:
    static constexpr void store_be32(std::uint8_t* p, std::uint32_t x) noexcept {
        p[0] = static_cast<std::uint8_t>(x >> 24);
        p[1] = static_cast<std::uint8_t>(x >> 16);
        p[2] = static_cast<std::uint8_t>(x >> 8);
        p[3] = static_cast<std::uint8_t>(x);
    }

    constexpr void compress(const std::uint8_t* p, std::size_t blocks) noexcept {
#if WSCODEC_X86
        if (!std::is_constant_evaluated() && kernel_ == sha1_kernel::sha_ni) {
            sha_ni::compress(h_.data(), p, blocks);
            return;
        }
#endif
        sha1_compress_portable(h_, p, blocks);
    }

    std::uint64_t length_ = 0;  // bytes so far; the first length_ % 64 of buffer_ are pending
    std::array<std::uint32_t, 5> h_ = sha1_initial_hash;
    std::array<std::uint8_t, 64> buffer_{};
    sha1_kernel kernel_;
};

/// The SHA-1 digest of `data`, computed on kernel `k`.
[[nodiscard]] constexpr sha1_digest sha1(bytes_view data, sha1_kernel k = sha1_kernel::best) noexcept {
    return sha1_hasher(k).update(data).final();
}

/// The SHA-1 digest of the bytes of `text`, computed on kernel `k`.
[[nodiscard]] constexpr sha1_digest sha1(std::string_view text, sha1_kernel k = sha1_kernel::best) noexcept {
    return sha1_hasher(k).update(text).final();
}

}  // namespace wscodec::detail
