// SPDX-License-Identifier: MIT
// wscodec/detail/utf8_tables.hpp — the three 16-entry nibble tables of the
// lookup UTF-8 validation algorithm (Keiser & Lemire, 2021), derived at compile
// time from a list of error classes instead of written out by hand.
//
// A byte pair (b1, b2) is in error class k when b1's high nibble, b1's low
// nibble and b2's high nibble are in the three nibble sets of class k. Each
// class owns one bit; the tables map a nibble to the classes it belongs to, so
// hi1[b1>>4] & lo1[b1&15] & hi2[b2>>4] is the set of classes the pair is in.
// Continuation pairs (class 7) are errors unless b2 is the 3rd or 4th byte of
// a sequence, which the kernel knows from the bytes two and three back.
#pragma once

#include <array>
#include <wscodec/detail/config.hpp>

namespace wscodec::detail {

/// Set of nibbles [first, last] as a 16-bit mask.
[[nodiscard]] constexpr std::uint16_t nibbles(unsigned first, unsigned last) noexcept {
    std::uint16_t m = 0;
    for (unsigned v = first; v <= last; ++v) m = static_cast<std::uint16_t>(m | (1u << v));
    return m;
}

/// One error class: the nibble sets of b1's high nibble, b1's low nibble and b2's high nibble.
struct utf8_error_class {
    std::uint16_t hi1, lo1, hi2;
};

inline constexpr std::uint16_t any_nibble = nibbles(0, 15);
inline constexpr std::uint16_t cont_nibble = nibbles(0x8, 0xB);  // 10xx_xxxx

/// Bit k of a table entry stands for class k.
inline constexpr std::array<utf8_error_class, 8> utf8_error_classes{{
    // 0: lead byte not followed by a continuation byte
    {nibbles(0xC, 0xF), any_nibble, static_cast<std::uint16_t>(nibbles(0x0, 0x7) | nibbles(0xC, 0xF))},
    // 1: continuation byte after an ASCII byte
    {nibbles(0x0, 0x7), any_nibble, cont_nibble},
    // 2: E0 80..9F, overlong 3-byte form
    {nibbles(0xE, 0xE), nibbles(0x0, 0x0), nibbles(0x8, 0x9)},
    // 3: F4..FF 90..BF, above U+10FFFF
    {nibbles(0xF, 0xF), nibbles(0x4, 0xF), nibbles(0x9, 0xB)},
    // 4: ED A0..BF, surrogate
    {nibbles(0xE, 0xE), nibbles(0xD, 0xD), nibbles(0xA, 0xB)},
    // 5: C0..C1 80..BF, overlong 2-byte form
    {nibbles(0xC, 0xC), nibbles(0x0, 0x1), cont_nibble},
    // 6: F0 80..8F (overlong 4-byte form) and F5..FF 80..8F (too large)
    {nibbles(0xF, 0xF), static_cast<std::uint16_t>(nibbles(0x0, 0x0) | nibbles(0x5, 0xF)), nibbles(0x8, 0x8)},
    // 7: two continuation bytes in a row
    {cont_nibble, any_nibble, cont_nibble},
}};

enum class utf8_table_part { hi1, lo1, hi2 };

/// The table for `part`: for each nibble, the bits of the classes whose `part` set holds it.
[[nodiscard]] constexpr std::array<std::uint8_t, 16> make_utf8_table(utf8_table_part part) noexcept {
    std::array<std::uint8_t, 16> t{};
    for (unsigned nib = 0; nib < 16; ++nib) {
        unsigned bits = 0;
        for (unsigned k = 0; k < utf8_error_classes.size(); ++k) {
            const utf8_error_class& c = utf8_error_classes[k];
            const std::uint16_t set = part == utf8_table_part::hi1 ? c.hi1 : part == utf8_table_part::lo1 ? c.lo1 : c.hi2;
            if (set & (1u << nib)) bits |= 1u << k;
        }
        t[nib] = static_cast<std::uint8_t>(bits);
    }
    return t;
}

inline constexpr std::uint8_t utf8_two_conts_bit = 0x80;
inline constexpr std::array<std::uint8_t, 16> utf8_table_hi1 = make_utf8_table(utf8_table_part::hi1);
inline constexpr std::array<std::uint8_t, 16> utf8_table_lo1 = make_utf8_table(utf8_table_part::lo1);
inline constexpr std::array<std::uint8_t, 16> utf8_table_hi2 = make_utf8_table(utf8_table_part::hi2);

/// The table lookup of a byte pair, as every kernel computes it per lane.
[[nodiscard]] constexpr std::uint8_t utf8_pair_classes(std::uint8_t b1, std::uint8_t b2) noexcept {
    return static_cast<std::uint8_t>(utf8_table_hi1[b1 >> 4] & utf8_table_lo1[b1 & 15] & utf8_table_hi2[b2 >> 4]);
}

}  // namespace wscodec::detail
