// SPDX-License-Identifier: MIT
// wscodec/detail/utf8_scalar.hpp — the scalar reference UTF-8 validator
// (RFC 3629 §4, Unicode Table 3-7). Every SIMD kernel must agree with it byte
// for byte, error position included.
#pragma once

#include <cstring>
#include <wscodec/detail/config.hpp>
#include <wscodec/utf8_result.hpp>

namespace wscodec::detail {

/// What a lead byte asks of the sequence it starts: `need` continuation bytes,
/// the first of them in [lo, hi] (the others in 80..BF). need == 0xFF: the byte
/// can never start a sequence (80..C1, F5..FF). ASCII has need == 0.
struct utf8_lead {
    std::uint8_t need;
    std::uint8_t lo;
    std::uint8_t hi;
};

/// What lead byte `b` asks of the sequence it starts (Unicode Table 3-7).
[[nodiscard]] constexpr utf8_lead utf8_classify_lead(std::uint8_t b) noexcept {
    if (b < 0x80) return {0, 0x80, 0xBF};
    if (b < 0xC2) return {0xFF, 0, 0};           // stray continuation, C0, C1 (overlong)
    if (b < 0xE0) return {1, 0x80, 0xBF};
    if (b == 0xE0) return {2, 0xA0, 0xBF};       // no overlong 3-byte forms
    if (b == 0xED) return {2, 0x80, 0x9F};       // no surrogates U+D800..DFFF
    if (b < 0xF0) return {2, 0x80, 0xBF};
    if (b == 0xF0) return {3, 0x90, 0xBF};       // no overlong 4-byte forms
    if (b < 0xF4) return {3, 0x80, 0xBF};
    if (b == 0xF4) return {3, 0x80, 0x8F};       // nothing above U+10FFFF
    return {0xFF, 0, 0};                         // F5..FF
}

/// True if [p, p+n) is ASCII, read eight bytes at a time.
// GCC 12 warns on the word reads when it inlines this for a buffer it knows is
// shorter than 8 bytes, on the path n >= 8 that such a buffer never takes.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Warray-bounds"
#pragma GCC diagnostic ignored "-Wstringop-overread"
#endif
[[nodiscard]] WSCODEC_ALWAYS_INLINE bool is_ascii_words(const std::uint8_t* p, std::size_t n) noexcept {
    if (n < 8) {
        unsigned acc = 0;
        for (std::size_t i = 0; i < n; ++i) acc |= p[i];
        return (acc & 0x80) == 0;
    }
    // Whole words, then the last eight bytes, overlapping what was read.
    std::uint64_t acc = 0;
    std::uint64_t w;
    for (std::size_t i = 0; i + 8 < n; i += 8) {
        std::memcpy(&w, p + i, 8);
        acc |= w;
    }
    std::memcpy(&w, p + n - 8, 8);
    acc |= w;
    return (acc & 0x8080808080808080ull) == 0;
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

/// Scalar reference: validates [p, p+n) in one shot.
[[nodiscard]] inline utf8_result utf8_validate_scalar(const std::uint8_t* p, std::size_t n) noexcept {
    std::size_t i = 0;
    while (i < n) {
        const std::uint8_t b = p[i];
        if (b < 0x80) {
            ++i;
            continue;
        }
        const utf8_lead lead = utf8_classify_lead(b);
        if (lead.need == 0xFF) return {utf8_error::invalid, i};
        const std::size_t start = i++;
        if (i == n) return {utf8_error::truncated, start};
        if (p[i] < lead.lo || p[i] > lead.hi) return {utf8_error::invalid, i};
        ++i;
        for (std::uint8_t k = 1; k < lead.need; ++k, ++i) {
            if (i == n) return {utf8_error::truncated, start};
            if ((p[i] & 0xC0) != 0x80) return {utf8_error::invalid, i};
        }
    }
    return {utf8_error::none, n};
}

}  // namespace wscodec::detail
