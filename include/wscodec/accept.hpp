// wscodec/accept.hpp — the opening handshake's key proof (RFC 6455 §1.3,
// §4.2.2 step 5.4): the server returns, in |Sec-WebSocket-Accept|, the base64
// of the SHA-1 of the client's |Sec-WebSocket-Key| followed by a fixed GUID;
// and the key itself must be the base64 of a 16-byte nonce (§4.1 step 7,
// §4.2.1 item 5). Pure functions, usable in constant expressions; at run time
// SHA-1 uses the x86 SHA extensions where the CPU has them.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>
#include <wscodec/detail/base64.hpp>
#include <wscodec/detail/sha1.hpp>

namespace wscodec {

namespace detail {
/// websocket_guid's characters, NUL-terminated: a named array, so that every translation unit views one object
/// (clang gives each unit its own copy of a string literal behind an inline variable).
inline constexpr char websocket_guid_chars[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
inline constexpr std::size_t websocket_guid_size = sizeof websocket_guid_chars - 1;

/// SHA-1 of a 24-byte key followed by the 36-byte WebSocket GUID (RFC 6455
/// §4.2.2), the one message the handshake hashes: 60 bytes, so the first block
/// is key, GUID and the 0x80 pad byte, and the second is the constant length
/// block. Skips the streaming hasher's buffering.
[[nodiscard]] inline sha1_digest sha1_key_guid(const char* key, sha1_kernel k = sha1_kernel::best) noexcept {
    static_assert(websocket_guid_size == 36);
    std::array<std::uint8_t, 128> blocks{};
    std::memcpy(blocks.data(), key, 24);
    std::memcpy(blocks.data() + 24, websocket_guid_chars, 36);
    blocks[60] = 0x80;
    blocks[126] = 0x01;  // 480 bits, big-endian
    blocks[127] = 0xE0;
    std::array<std::uint32_t, 5> h = sha1_initial_hash;
#if WSCODEC_X86
    if (resolve_sha1_kernel(k) == sha1_kernel::sha_ni) sha_ni::compress(h.data(), blocks.data(), 2);
    else sha1_compress_portable(h, blocks.data(), 2);
#else
    (void)k;
    sha1_compress_portable(h, blocks.data(), 2);
#endif
    sha1_digest out{};
    for (std::size_t i = 0; i < 5; ++i) {
        out[4 * i] = static_cast<std::uint8_t>(h[i] >> 24);
        out[4 * i + 1] = static_cast<std::uint8_t>(h[i] >> 16);
        out[4 * i + 2] = static_cast<std::uint8_t>(h[i] >> 8);
        out[4 * i + 3] = static_cast<std::uint8_t>(h[i]);
    }
    return out;
}
}  // namespace detail

/// The GUID appended to the key before hashing (RFC 6455 §1.3, §4.2.2).
inline constexpr std::string_view websocket_guid{detail::websocket_guid_chars, detail::websocket_guid_size};

/// The |Sec-WebSocket-Accept| value for `key`, taken as sent (not decoded, surrounding whitespace already removed):
/// base64(SHA-1(key + websocket_guid)), 28 characters, no terminator (§4.2.2 step 5.4; a client compares it, §4.1).
[[nodiscard]] constexpr std::array<char, 28> compute_accept(std::string_view key) noexcept {
    const detail::sha1_digest digest = std::is_constant_evaluated() || key.size() != 24
                                           ? detail::sha1_hasher().update(key).update(websocket_guid).final()
                                           : detail::sha1_key_guid(key.data());
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
    for (std::size_t i = 0; i < 22; ++i)
        if (detail::base64_values[static_cast<unsigned char>(key[i])] >= 64) return false;
    return true;
}

}  // namespace wscodec
