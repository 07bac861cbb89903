// SPDX-License-Identifier: MIT
// wscodec/accept.hpp — the opening handshake's key proof (RFC 6455 §1.3,
// §4.2.2 step 5.4): the server returns, in |Sec-WebSocket-Accept|, the base64
// of the SHA-1 of the client's |Sec-WebSocket-Key| followed by a fixed GUID;
// and the key itself must be the base64 of a 16-byte nonce (§4.1 step 7,
// §4.2.1 item 5). Pure functions, usable in constant expressions; at run time
// SHA-1 uses the x86 SHA extensions where the CPU has them.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>
#include <type_traits>
#include <wscodec/bytes.hpp>
#include <wscodec/detail/base64.hpp>
#include <wscodec/detail/config.hpp>
#include <wscodec/detail/sha1.hpp>

namespace wscodec {

namespace detail {
/// websocket_guid's characters, NUL-terminated: a named array, so that every translation unit views one object
/// (clang gives each unit its own copy of a string literal behind an inline variable).
inline constexpr char websocket_guid_chars[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
inline constexpr std::size_t websocket_guid_size = sizeof websocket_guid_chars - 1;

/// The first block of SHA-1(key + GUID) with the key's 24 bytes left zero:
/// the GUID from byte 24 and the 0x80 pad byte at byte 60 (the 60-byte
/// message leaves no room for the length, which goes in a second block).
inline constexpr std::array<std::uint8_t, 64> key_guid_first_block = [] {
    std::array<std::uint8_t, 64> b{};
    for (std::size_t i = 0; i < 36; ++i) b[24 + i] = static_cast<std::uint8_t>(websocket_guid_chars[i]);
    b[60] = 0x80;
    return b;
}();

/// The second block: zeros, then the length, 480 bits, big-endian.
inline constexpr std::array<std::uint8_t, 64> key_guid_second_block = [] {
    std::array<std::uint8_t, 64> b{};
    b[62] = 0x01;
    b[63] = 0xE0;
    return b;
}();

/// The first block's words (the key's zero) and the second block's whole
/// message schedule, in the lane order of the SHA extensions.
inline constexpr std::array<std::uint32_t, 80> key_guid_first_lanes = sha1_schedule_lanes(key_guid_first_block);
inline constexpr std::array<std::uint32_t, 80> key_guid_second_schedule = sha1_schedule_lanes(key_guid_second_block);

/// SHA-1 of a 24-byte key followed by the 36-byte WebSocket GUID (RFC 6455
/// §4.2.2), the one message the handshake hashes, as its five words, on
/// kernel `k`: the two blocks are the constants above with the key copied in,
/// so the streaming hasher's buffering is skipped.
[[nodiscard]] inline std::array<std::uint32_t, 5> sha1_key_guid_words(const char* key,
                                                                    sha1_kernel k = sha1_kernel::best) noexcept {
    static_assert(websocket_guid_size == 36);
    std::array<std::uint32_t, 5> h = sha1_initial_hash;
#if WSCODEC_X86
    if (resolve_sha1_kernel(k) == sha1_kernel::sha_ni) {
        sha_ni::digest_head24_then_fixed<key_guid_first_lanes, key_guid_second_schedule>(h.data(), key);
        return h;
    }
#else
    (void)k;
#endif
    std::array<std::uint8_t, 128> blocks{};
    std::memcpy(blocks.data(), key_guid_first_block.data(), 64);
    std::memcpy(blocks.data(), key, 24);
    std::memcpy(blocks.data() + 64, key_guid_second_block.data(), 64);
    sha1_compress_portable(h, blocks.data(), 2);
    return h;
}

/// sha1_key_guid_words as the digest's bytes.
[[nodiscard]] inline sha1_digest sha1_key_guid(const char* key, sha1_kernel k = sha1_kernel::best) noexcept {
    return sha1_digest_bytes(sha1_key_guid_words(key, k));
}
}  // namespace detail

/// The GUID appended to the key before hashing (RFC 6455 §1.3, §4.2.2).
inline constexpr std::string_view websocket_guid{detail::websocket_guid_chars, detail::websocket_guid_size};

/// The |Sec-WebSocket-Accept| value for `key`, taken as sent (not decoded, surrounding whitespace already removed):
/// base64(SHA-1(key + websocket_guid)), 28 characters, no terminator (§4.2.2 step 5.4; a client compares it, §4.1).
[[nodiscard]] constexpr std::array<char, 28> compute_accept(std::string_view key) noexcept {
    if (!std::is_constant_evaluated() && key.size() == 24) return detail::base64_digest_words(detail::sha1_key_guid_words(key.data()));
    const detail::sha1_digest digest = detail::sha1_hasher().update(key).update(websocket_guid).final();
    std::array<char, 28> out{};
    (void)detail::base64_encode(bytes_view(digest), std::span<char>(out));
    return out;
}

/// True if `key` is a valid |Sec-WebSocket-Key|: 24 characters, the padded
/// base64 of exactly 16 bytes (§4.1 item 7, §4.2.1 item 5): 22 characters of
/// the alphabet then "==". The unused low bits of the 22nd character are not
/// required to be zero: RFC 6455's own example key (§4.1, AQIDBAUGBwgJCgsMDQ4PEC==)
/// sets them, and browsers' servers (Python websockets, Node ws) accept it.
[[nodiscard]] constexpr bool is_valid_key(std::string_view key) noexcept {
    if (key.size() != 24 || key[22] != '=' || key[23] != '=') return false;
    std::uint8_t any = 0;  // a value outside the alphabet has 0x80: one branch for the 22
    for (std::size_t i = 0; i < 22; ++i) any = static_cast<std::uint8_t>(any | detail::base64_values[static_cast<unsigned char>(key[i])]);
    return any < 64;
}

}  // namespace wscodec
