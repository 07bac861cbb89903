// SPDX-License-Identifier: MIT
// wscodec/close_code.hpp — WebSocket close status codes (RFC 6455 §7.4 and the
// IANA "WebSocket Close Code Number Registry") and which of them may be sent.
#pragma once

#include <wscodec/detail/config.hpp>

namespace wscodec {

/// Named close status codes. Any other uint16_t value may still be carried
/// (3000-4999 are for libraries and applications): cast it.
enum class close_code : std::uint16_t {
    normal = 1000,               ///< §7.4.1 normal closure
    going_away = 1001,           ///< §7.4.1 endpoint going away
    protocol_error = 1002,       ///< §7.4.1 protocol error
    unsupported_data = 1003,     ///< §7.4.1 data type it cannot accept
    reserved = 1004,             ///< §7.4.1 reserved, never sent
    no_status = 1005,            ///< §7.4.1 reported when a close had no code; never sent
    abnormal = 1006,             ///< §7.4.1 reported when TCP ended without close; never sent
    invalid_payload = 1007,      ///< §7.4.1 data inconsistent with its type (bad UTF-8)
    policy_violation = 1008,     ///< §7.4.1 policy violation
    message_too_big = 1009,      ///< §7.4.1 message too big to process
    mandatory_extension = 1010,  ///< §7.4.1 client expected an extension
    internal_error = 1011,       ///< §7.4.1 unexpected server condition
    service_restart = 1012,      ///< IANA: service is restarting
    try_again_later = 1013,      ///< IANA: try again later
    bad_gateway = 1014,          ///< IANA: bad gateway
    tls_handshake = 1015,        ///< §7.4.1 reported when TLS failed; never sent
};

/// True if `code` may appear in a close frame on the wire (§7.4, §7.4.2):
/// 1000-1003, 1007-1014 and 3000-4999. 1004-1006, 1015, codes below 1000,
/// 1016-2999 and above 4999 are rejected.
[[nodiscard]] constexpr bool is_sendable_close_code(std::uint16_t code) noexcept {
    if (code >= 1000 && code <= 1003) return true;
    if (code >= 1007 && code <= 1014) return true;
    return code >= 3000 && code <= 4999;
}

[[nodiscard]] constexpr bool is_sendable_close_code(close_code code) noexcept {
    return is_sendable_close_code(static_cast<std::uint16_t>(code));
}

/// Registry name of a close code ("normal", "protocol_error", ...); "private"
/// for 4000-4999, "registered" for 3000-3999, "invalid" otherwise.
[[nodiscard]] constexpr const char* close_code_name(std::uint16_t code) noexcept {
    switch (code) {
        case 1000: return "normal";
        case 1001: return "going_away";
        case 1002: return "protocol_error";
        case 1003: return "unsupported_data";
        case 1004: return "reserved";
        case 1005: return "no_status";
        case 1006: return "abnormal";
        case 1007: return "invalid_payload";
        case 1008: return "policy_violation";
        case 1009: return "message_too_big";
        case 1010: return "mandatory_extension";
        case 1011: return "internal_error";
        case 1012: return "service_restart";
        case 1013: return "try_again_later";
        case 1014: return "bad_gateway";
        case 1015: return "tls_handshake";
        default: break;
    }
    if (code >= 3000 && code <= 3999) return "registered";
    if (code >= 4000 && code <= 4999) return "private";
    return "invalid";
}

}  // namespace wscodec
