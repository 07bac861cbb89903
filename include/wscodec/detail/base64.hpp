// SPDX-License-Identifier: MIT
// wscodec/detail/base64.hpp — base64 (RFC 4648 §4) for the opening handshake
// (RFC 6455 §4.1 step 7, §4.2.2 step 5.4): encoding with padding, a fixed-size
// encoder for the 20-byte SHA-1 digest of Sec-WebSocket-Accept, and a strict
// decoder that accepts exactly what the encoder produces — the standard
// alphabet, whole 4-character quanta, '=' only as the final one or two
// characters, and zero pad bits (the canonical encoding of §3.5). Caller
// buffers, no heap; encode and decode are usable in constant expressions.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <wscodec/bytes.hpp>
#include <wscodec/detail/config.hpp>

namespace wscodec::detail {

/// Characters in the base64 encoding of `n` bytes, padding included.
[[nodiscard]] constexpr std::size_t base64_encoded_size(std::size_t n) noexcept { return (n + 2) / 3 * 4; }

/// The most bytes that `n` characters of base64 can decode to.
[[nodiscard]] constexpr std::size_t base64_decoded_max(std::size_t n) noexcept { return n / 4 * 3; }

/// The base64 alphabet (RFC 4648 §4, Table 1), NUL-terminated; see base64_alphabet.
inline constexpr char base64_alphabet_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// The base64 alphabet: the character for each 6-bit value. It views a named
/// array, not a string literal, so every translation unit sees one address
/// (clang gives each unit its own copy of a literal behind an inline variable).
inline constexpr std::string_view base64_alphabet{base64_alphabet_chars, sizeof base64_alphabet_chars - 1};

/// For each byte, its 6-bit value in the alphabet, or 0x80 if it is not in it ('=' included).
inline constexpr std::array<std::uint8_t, 256> base64_values = [] {
    std::array<std::uint8_t, 256> t{};
    for (auto& v : t) v = 0x80;
    for (std::size_t i = 0; i < base64_alphabet.size(); ++i)
        t[static_cast<unsigned char>(base64_alphabet[i])] = static_cast<std::uint8_t>(i);
    return t;
}();

/// Writes the base64 encoding of `in`, padded, to the front of `out` and
/// returns its length; writes nothing and returns 0 if `out` holds fewer than
/// base64_encoded_size(in.size()) characters.
constexpr std::size_t base64_encode(bytes_view in, std::span<char> out) noexcept {
    const std::size_t n = in.size();
    if (out.size() < base64_encoded_size(n)) return 0;
    const auto put = [&](std::size_t at, std::uint32_t x) {
        out[at] = base64_alphabet[x >> 18 & 63];
        out[at + 1] = base64_alphabet[x >> 12 & 63];
        out[at + 2] = base64_alphabet[x >> 6 & 63];
        out[at + 3] = base64_alphabet[x & 63];
    };
    std::size_t i = 0, o = 0;
    for (; n - i >= 3; i += 3, o += 4) put(o, std::uint32_t{in[i]} << 16 | std::uint32_t{in[i + 1]} << 8 | in[i + 2]);
    if (n - i == 1) {
        put(o, std::uint32_t{in[i]} << 16);
        out[o + 2] = out[o + 3] = '=';
        o += 4;
    } else if (n - i == 2) {
        put(o, std::uint32_t{in[i]} << 16 | std::uint32_t{in[i + 1]} << 8);
        out[o + 3] = '=';
        o += 4;
    }
    return o;
}

/// The base64 of a SHA-1 digest given as its five big-endian words (the
/// Sec-WebSocket-Accept value, RFC 6455 §4.2.2): 27 characters and one '='.
/// The 160 bits are read 48 at a time (eight characters), then 16 (three).
[[nodiscard]] inline std::array<char, 28> base64_digest_words(const std::array<std::uint32_t, 5>& h) noexcept {
    std::array<char, 28> out{};
    const auto eight = [&out](std::size_t at, std::uint64_t bits48) {
        for (std::size_t j = 0; j < 8; ++j) out[at + j] = base64_alphabet_chars[(bits48 >> (42 - 6 * j)) & 63];
    };
    eight(0, std::uint64_t{h[0]} << 16 | h[1] >> 16);
    eight(8, std::uint64_t{h[1] & 0xFFFFu} << 32 | h[2]);
    eight(16, std::uint64_t{h[3]} << 16 | h[4] >> 16);
    const std::uint32_t last = h[4] & 0xFFFFu;  // 16 bits: two characters, then four bits and two zero bits
    out[24] = base64_alphabet_chars[last >> 10];
    out[25] = base64_alphabet_chars[(last >> 4) & 63];
    out[26] = base64_alphabet_chars[(last << 2) & 63];
    out[27] = '=';
    return out;
}

/// Why base64_decode refused its input. Stable values: append, never renumber.
enum class base64_error : std::uint8_t {
    none = 0,
    bad_length = 1,        ///< not a whole number of 4-character quanta
    bad_character = 2,     ///< a character outside the alphabet that is not '='
    bad_padding = 3,       ///< '=' anywhere but the last one or two characters
    non_canonical = 4,     ///< pad bits that are not zero (RFC 4648 §3.5)
    output_too_small = 5,  ///< the output span cannot hold the decoded bytes
};

/// Stable lower-case name of a base64_error ("bad_padding", ...).
[[nodiscard]] constexpr const char* base64_error_name(base64_error e) noexcept {
    switch (e) {
        case base64_error::none: return "none";
        case base64_error::bad_length: return "bad_length";
        case base64_error::bad_character: return "bad_character";
        case base64_error::bad_padding: return "bad_padding";
        case base64_error::non_canonical: return "non_canonical";
        case base64_error::output_too_small: return "output_too_small";
    }
    return "unknown";
}

/// What base64_decode did: on success the number of bytes written; on error
/// the index of the offending character (for bad_length the start of the
/// incomplete quantum, for output_too_small 0).
struct base64_result {
    base64_error err = base64_error::none;
    std::size_t size = 0;
    std::size_t position = 0;

    constexpr explicit operator bool() const noexcept { return err == base64_error::none; }
    friend constexpr bool operator==(const base64_result&, const base64_result&) noexcept = default;
};

/// Decodes the canonical base64 text `in` into the front of `out`; anything
/// the encoder would not have produced is an error, judged in this order:
/// length, output size, then the first offending character. On error the
/// contents of `out` are unspecified.
constexpr base64_result base64_decode(std::string_view in, mutable_bytes out) noexcept {
    const std::size_t n = in.size();
    if (n % 4 != 0) return {base64_error::bad_length, 0, n - n % 4};
    const std::size_t pad = n == 0 || in[n - 1] != '=' ? 0 : in[n - 2] == '=' ? 2 : 1;
    const std::size_t size = n / 4 * 3 - pad;
    if (out.size() < size) return {base64_error::output_too_small, 0, 0};

    std::size_t o = 0;
    for (std::size_t i = 0; i < n; i += 4) {
        std::uint8_t v[4] = {};
        for (std::size_t j = 0; j < 4; ++j) v[j] = base64_values[static_cast<unsigned char>(in[i + j])];
        if (WSCODEC_UNLIKELY((v[0] | v[1] | v[2] | v[3]) & 0x80)) {
            // Only the final quantum may hold padding, and only in its last `pad` characters.
            const std::size_t data_chars = i + 4 == n ? 4 - pad : 4;
            for (std::size_t j = 0; j < 4; ++j) {
                if (!(v[j] & 0x80)) continue;
                if (j >= data_chars) {
                    v[j] = 0;
                    continue;
                }
                return {in[i + j] == '=' ? base64_error::bad_padding : base64_error::bad_character, 0, i + j};
            }
        }
        const std::uint32_t x = std::uint32_t{v[0]} << 18 | std::uint32_t{v[1]} << 12 | std::uint32_t{v[2]} << 6 | v[3];
        out[o++] = static_cast<std::uint8_t>(x >> 16);
        if (o < size) out[o++] = static_cast<std::uint8_t>(x >> 8);
        if (o < size) out[o++] = static_cast<std::uint8_t>(x);
    }
    // The bits after the last byte must be zero: 4 of them before "==", 2 before "=".
    if (pad == 2 && (base64_values[static_cast<unsigned char>(in[n - 3])] & 15) != 0)
        return {base64_error::non_canonical, 0, n - 3};
    if (pad == 1 && (base64_values[static_cast<unsigned char>(in[n - 2])] & 3) != 0)
        return {base64_error::non_canonical, 0, n - 2};
    return {base64_error::none, size, 0};
}

}  // namespace wscodec::detail
