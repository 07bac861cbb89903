// SPDX-License-Identifier: MIT
// wscodec/detail/http_chars.hpp — HTTP's character classes (RFC 9110 §5.6):
// tokens, field values, OWS, case-insensitive compares, the search for a
// control byte, a value's non-tchar bits, and Content-Length digits. No state.
#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <wscodec/detail/config.hpp>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace wscodec::detail {

/// tchar (RFC 9110 §5.6.2): the characters of a token.
inline constexpr std::array<bool, 256> tchar_table = [] {
    std::array<bool, 256> t{};
    for (int c = '0'; c <= '9'; ++c) t[static_cast<std::size_t>(c)] = true;
    for (int c = 'a'; c <= 'z'; ++c) t[static_cast<std::size_t>(c)] = true;
    for (int c = 'A'; c <= 'Z'; ++c) t[static_cast<std::size_t>(c)] = true;
    for (char c : std::string_view("!#$%&'*+-.^_`|~")) t[static_cast<unsigned char>(c)] = true;
    return t;
}();

/// True if `c` may appear in a token.
[[nodiscard]] constexpr bool is_tchar(char c) noexcept { return tchar_table[static_cast<unsigned char>(c)]; }

/// A control byte that may not appear in a field value: 0x00-0x1F except HTAB, and DEL.
[[nodiscard]] constexpr bool is_ctl(char c) noexcept {
    const auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && u != '\t') || u == 0x7F;
}

/// `c` in lower case if it is an ASCII letter.
[[nodiscard]] constexpr char ascii_lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

/// ASCII case-insensitive equality.
[[nodiscard]] constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
    return true;
}

/// True if the token `name` equals `lower` ignoring case, where `lower` holds
/// only lower-case letters and '-'. For a token, `c | 0x20` equals such a
/// character exactly when c matches it ignoring case, so eight bytes compare
/// at once.
[[nodiscard]] WSCODEC_ALWAYS_INLINE bool name_is(std::string_view name, std::string_view lower) noexcept {
    if (name.size() != lower.size()) return false;
    std::size_t i = 0;
    for (; i + 8 <= name.size(); i += 8) {
        std::uint64_t a, b;
        std::memcpy(&a, name.data() + i, 8);
        std::memcpy(&b, lower.data() + i, 8);
        if ((a | 0x2020202020202020u) != b) return false;
    }
    for (; i < name.size(); ++i)
        if (static_cast<char>(name[i] | 0x20) != lower[i]) return false;
    return true;
}

/// `s` == `literal` for a literal of at most 8 bytes, as one or two loads.
template <std::size_t N>
[[nodiscard]] WSCODEC_ALWAYS_INLINE bool equals(std::string_view s, const char (&literal)[N]) noexcept {
    static_assert(N >= 2 && N <= 9);
    if (s.size() != N - 1) return false;
    std::uint64_t a = 0, b = 0;
    std::memcpy(&a, s.data(), N - 1);
    std::memcpy(&b, literal, N - 1);
    return a == b;
}

/// True if `s` is a token: one or more tchars.
[[nodiscard]] constexpr bool is_token(std::string_view s) noexcept {
    if (s.empty()) return false;
    for (char c : s)
        if (!is_tchar(c)) return false;
    return true;
}

/// A field value to send: no control bytes (so no CR or LF), no surrounding whitespace.
[[nodiscard]] constexpr bool is_field_value(std::string_view s) noexcept {
    for (char c : s)
        if (is_ctl(c)) return false;
    return s.empty() || (s.front() != ' ' && s.front() != '\t' && s.back() != ' ' && s.back() != '\t');
}

/// `s` without leading and trailing spaces and tabs (OWS, RFC 9110 §5.6.3).
[[nodiscard]] constexpr std::string_view trim_ows(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

/// First byte in [p, end) that is a control byte other than HTAB, or DEL;
/// `end` if none. Eight bytes at a time: the lowest flagged byte of the
/// "has less than" bit trick is always a true match.
[[nodiscard]] inline const char* find_ctl_or_tab(const char* p, const char* end) noexcept {
#if defined(__SSE2__)
    {
        const __m128i limit = _mm_set1_epi8(0x1F), del = _mm_set1_epi8(0x7F);
        while (end - p >= 16) {
            const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
            const __m128i low = _mm_cmpeq_epi8(_mm_min_epu8(x, limit), x);  // x <= 0x1F
            const int m = _mm_movemask_epi8(_mm_or_si128(low, _mm_cmpeq_epi8(x, del)));
            if (m != 0) return p + std::countr_zero(static_cast<unsigned>(m));
            p += 16;
        }
    }
#endif
    if constexpr (std::endian::native == std::endian::little) {
        constexpr std::uint64_t ones = 0x0101010101010101u, high = 0x8080808080808080u;
        while (end - p >= 8) {
            std::uint64_t x;
            std::memcpy(&x, p, 8);
            const std::uint64_t below = (x - ones * 0x20) & ~x & high;
            const std::uint64_t d = x ^ (ones * 0x7F);
            const std::uint64_t del = (d - ones) & ~d & high;
            const std::uint64_t m = below | del;
            if (m != 0) return p + (std::countr_zero(m) >> 3);
            p += 8;
        }
    }
    while (p < end) {
        const auto u = static_cast<unsigned char>(*p);
        if (u < 0x20 || u == 0x7F) return p;
        ++p;
    }
    return end;
}

/// What the bulk path knows of a field value it hands on: a bit for each of
/// its bytes that is not a tchar, when the value is at most 64 bytes long
/// (`known`); the byte-by-byte parser knows nothing.
struct value_bits {
    std::uint64_t nontchar = 0;
    bool known = false;
};

/// Parses a decimal Content-Length (1*DIGIT, at most 19 digits). False if malformed.
[[nodiscard]] constexpr bool parse_length(std::string_view s, std::uint64_t& out) noexcept {
    if (s.empty() || s.size() > 19) return false;
    std::uint64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return false;
        v = v * 10 + static_cast<std::uint64_t>(c - '0');
    }
    out = v;
    return true;
}

}  // namespace wscodec::detail
