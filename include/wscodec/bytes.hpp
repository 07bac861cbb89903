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

}  // namespace wscodec
