// SPDX-License-Identifier: MIT
// wscodec/bytes.hpp — the byte vocabulary every layer speaks: read-only and
// mutable byte spans, and a frame's 4-byte masking key (RFC 6455 §5.3).
// Types only; no code.
#pragma once

#include <array>
#include <cstdint>
#include <span>

namespace wscodec {

/// Read-only view of bytes handed to or produced by the codec.
using bytes_view = std::span<const std::uint8_t>;

/// Mutable view of bytes (receive buffers are unmasked in place).
using mutable_bytes = std::span<std::uint8_t>;

/// The masking key of a frame, in wire order (§5.2, §5.3).
using mask_key = std::array<std::uint8_t, 4>;

/// An element type the API reads as bytes: char, unsigned char (std::uint8_t)
/// or std::byte.
template <class T>
concept byte_like = std::same_as<std::remove_cv_t<T>, char> || std::same_as<std::remove_cv_t<T>, unsigned char> ||
                    std::same_as<std::remove_cv_t<T>, std::byte>;

/// A contiguous range of bytes: std::string, std::vector<char>,
/// std::span<std::byte>, a char array... A string literal (a const char
/// array) is not one: its terminating NUL would be sent; pass a
/// std::string_view.
template <class R>
concept byte_range = std::ranges::contiguous_range<R> && std::ranges::sized_range<R> &&
                     byte_like<std::ranges::range_value_t<R>> &&
                     !(std::is_array_v<std::remove_reference_t<R>> &&
                       std::is_const_v<std::remove_reference_t<std::ranges::range_reference_t<R>>>);

/// A byte range whose bytes the codec may write (a receive buffer, a payload
/// a client masks in place).
template <class R>
concept mutable_byte_range =
    byte_range<R> && !std::is_const_v<std::remove_reference_t<std::ranges::range_reference_t<R>>>;

/// A byte range that outlives the call: an lvalue or a view. The codec keeps
/// pointers into what it is given (payloads are sent and received without a
/// copy), so a temporary container (`send(std::string(...))`) is refused at
/// compile time; the owning path is send_queue.hpp.
template <class R>
concept lasting_byte_range = byte_range<R> && (std::is_lvalue_reference_v<R> || std::ranges::borrowed_range<R>);

/// A temporary container of bytes: refused where the codec keeps a view.
template <class R>
concept temporary_byte_range = byte_range<R> && !lasting_byte_range<R>;

/// The bytes of `r` as a read-only span.
template <byte_range R>
[[nodiscard]] bytes_view as_bytes_view(R&& r) noexcept {
    return {reinterpret_cast<const std::uint8_t*>(std::ranges::data(r)), std::ranges::size(r)};
}

/// The bytes of `r` as a mutable span.
template <mutable_byte_range R>
[[nodiscard]] mutable_bytes as_mutable_bytes(R&& r) noexcept {
    return {reinterpret_cast<std::uint8_t*>(std::ranges::data(r)), std::ranges::size(r)};
}

}  // namespace wscodec
