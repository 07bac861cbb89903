// SPDX-License-Identifier: MIT
// bench/text.hpp — the Chinese prose the UTF-8, connection and deflate
// benchmarks share (3-byte UTF-8, made deterministically).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "common.hpp"

namespace bench {

inline void append_utf8(std::string& out, char32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

/// Pads `text` with ASCII line ends up to exactly `n` bytes (never cuts a character).
inline std::string finish_text(std::string text, std::size_t n) {
    text.resize(n, '\n');
    return text;
}

/// About n bytes of Chinese prose: 3-byte ideographs (a fixed set of common
/// ones drawn from U+4E00..U+9FFF with a skew toward the front, a few rarer
/// ones from Extension A), clauses of 4..12 characters ended by ，or 、,
/// sentences ended by 。, now and then a number such as "2023年" or a space,
/// and a line break between paragraphs; `n` bytes exactly (line ends pad
/// it). `variant` 0 is the text the UTF-8 benchmarks validate; others are
/// other sentences of the same characters.
inline std::string make_cjk_text(std::size_t n, std::uint64_t variant = 0) {
    splitmix rng(0x434A4B);
    std::array<char32_t, 3500> common{};
    for (char32_t& cp : common) cp = static_cast<char32_t>(0x4E00 + rng.below(0x9FFF - 0x4E00 + 1));
    if (variant != 0) rng = splitmix(0x434A4B + variant * 0x9E3779B97F4A7C15ull);  // other sentences, the same characters
    constexpr char32_t comma = 0xFF0C;          // ，
    constexpr char32_t enumeration = 0x3001;    // 、
    constexpr char32_t full_stop = 0x3002;      // 。
    constexpr char32_t year = 0x5E74;           // 年
    std::string out;
    out.reserve(n + 64);
    std::string sentence;
    std::size_t sentences_in_paragraph = 0;
    while (true) {
        sentence.clear();
        const std::size_t clauses = 1 + rng.below(4);
        for (std::size_t c = 0; c < clauses; ++c) {
            if (rng.below(10) == 0) {
                if (rng.below(3) == 0) sentence += ' ';
                sentence += std::to_string(1900 + rng.below(130));
                append_utf8(sentence, year);
            }
            const std::size_t length = 4 + rng.below(9);
            for (std::size_t k = 0; k < length; ++k) {
                if (rng.below(50) == 0) {
                    append_utf8(sentence, static_cast<char32_t>(0x3400 + rng.below(0x4DBF - 0x3400 + 1)));
                } else {
                    const double u = rng.unit();
                    append_utf8(sentence, common[static_cast<std::size_t>(u * u * static_cast<double>(common.size()))]);
                }
            }
            append_utf8(sentence, c + 1 == clauses ? full_stop : rng.below(4) == 0 ? enumeration : comma);
        }
        const bool paragraph_break = sentences_in_paragraph >= 3 && rng.below(3) == 0;
        if (out.size() + sentence.size() + (paragraph_break ? 1 : 0) > n) break;
        if (paragraph_break) {
            out += '\n';
            sentences_in_paragraph = 0;
        }
        out += sentence;
        ++sentences_in_paragraph;
    }
    return finish_text(std::move(out), n);
}

}  // namespace bench
