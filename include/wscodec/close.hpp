// SPDX-License-Identifier: MIT
// wscodec/close.hpp — the close frame payload (RFC 6455 §5.5.1, §7.4): a
// big-endian 2-byte status code followed by a UTF-8 reason, or nothing at
// all. Parses a received payload and builds one to send. Stateless.
#pragma once

#include <string_view>
#include <wscodec/close_code.hpp>
#include <wscodec/error.hpp>
#include <wscodec/utf8.hpp>

namespace wscodec {

/// Longest reason that fits a control frame: 125 payload bytes minus the code.
inline constexpr std::size_t max_close_reason = 123;

/// A parsed close payload. On success `reason` views the caller's payload. On
/// failure `reason` is empty and `code` is the code on the wire, or 0 if the
/// payload was too short to hold one.
struct close_info {
    error err = error::none;
    std::uint16_t code = 0;
    bytes_view reason{};
};

/// Parses a received close payload (§5.5.1): empty gives code 1005 (no_status)
/// and no error; otherwise, in this order, a 1-byte payload is
/// close_payload_too_short, a code that may not be sent (§7.4.1, §7.4.2) is
/// invalid_close_code and a reason that is not UTF-8 is invalid_close_reason.
/// The 125-byte limit of control frames is the frame layer's to enforce.
[[nodiscard]] inline close_info parse_close_payload(bytes_view payload) noexcept {
    if (payload.empty()) return {error::none, static_cast<std::uint16_t>(close_code::no_status), {}};
    if (payload.size() == 1) return {error::close_payload_too_short, 0, {}};
    const auto code = static_cast<std::uint16_t>((payload[0] << 8) | payload[1]);
    if (!is_sendable_close_code(code)) return {error::invalid_close_code, code, {}};
    const bytes_view reason = payload.subspan(2);
    if (!validate_utf8(reason).ok()) return {error::invalid_close_reason, code, {}};
    return {error::none, code, reason};
}

/// Outcome of build_close_payload: `size` bytes were written to `out` when
/// `err` is error::none, nothing otherwise.
struct close_build {
    error err = error::none;
    std::size_t size = 0;
};

/// Writes the close payload for `code` and `reason` to `out` (§5.5.1). Code
/// 1005 with an empty reason writes nothing (a close without status);
/// otherwise, in this order, the code must be sendable (unsendable_close_code),
/// the reason at most 123 bytes (close_reason_too_long) and valid UTF-8
/// (close_reason_not_utf8), and `out` must hold 2 + reason.size() bytes
/// (buffer_too_small).
[[nodiscard]] inline close_build build_close_payload(std::uint16_t code, bytes_view reason,
                                                     std::span<std::uint8_t> out) noexcept {
    if (code == static_cast<std::uint16_t>(close_code::no_status) && reason.empty()) return {error::none, 0};
    if (!is_sendable_close_code(code)) return {error::unsendable_close_code, 0};
    if (reason.size() > max_close_reason) return {error::close_reason_too_long, 0};
    if (!validate_utf8(reason).ok()) return {error::close_reason_not_utf8, 0};
    if (out.size() < 2 + reason.size()) return {error::buffer_too_small, 0};
    out[0] = static_cast<std::uint8_t>(code >> 8);
    out[1] = static_cast<std::uint8_t>(code);
    for (std::size_t i = 0; i < reason.size(); ++i) out[2 + i] = reason[i];
    return {error::none, 2 + reason.size()};
}

/// build_close_payload for a reason given as characters.
[[nodiscard]] inline close_build build_close_payload(std::uint16_t code, std::string_view reason,
                                                     std::span<std::uint8_t> out) noexcept {
    return build_close_payload(code, bytes_view(reinterpret_cast<const std::uint8_t*>(reason.data()), reason.size()),
                               out);
}

/// build_close_payload for a named code.
[[nodiscard]] inline close_build build_close_payload(close_code code, bytes_view reason,
                                                     std::span<std::uint8_t> out) noexcept {
    return build_close_payload(static_cast<std::uint16_t>(code), reason, out);
}

/// build_close_payload for a named code and a reason given as characters.
[[nodiscard]] inline close_build build_close_payload(close_code code, std::string_view reason,
                                                     std::span<std::uint8_t> out) noexcept {
    return build_close_payload(static_cast<std::uint16_t>(code), reason, out);
}

}  // namespace wscodec
