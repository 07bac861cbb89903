// wscodec/error.hpp — the one error enumeration of the codec: every peer
// violation, limit and local misuse has a stable value, a stable name, a human
// message and the close code to send. Values are appended, never renumbered.
#pragma once

#include <wscodec/close_code.hpp>

namespace wscodec {

enum class error : std::uint8_t {
    none = 0,
    // Frame header, RFC 6455 §5.2 (peer violations).
    reserved_opcode = 1,           ///< opcode 3-7 or 0xB-0xF
    reserved_bits_set = 2,         ///< RSV1-3 set without an extension allowing it
    control_frame_too_long = 3,    ///< §5.5: control payload over 125 bytes
    control_frame_fragmented = 4,  ///< §5.5: control frame without FIN
    length_msb_set = 5,            ///< §5.2: 64-bit length with the top bit set
    non_minimal_length = 6,        ///< §5.2: length not in the minimal number of bytes
    frame_not_masked = 7,          ///< §5.1: client-to-server frame without a mask
    frame_masked = 8,              ///< §5.1: server-to-client frame with a mask
    // Payload content.
    invalid_utf8 = 9,              ///< §8.1: text payload is not UTF-8
    // Close frame payload, §5.5.1 and §7.4.
    close_payload_too_short = 10,  ///< 1-byte close payload
    invalid_close_code = 11,       ///< code that may not appear on the wire
    invalid_close_reason = 12,     ///< reason is not UTF-8
    // Local misuse (the caller's mistake, never the peer's).
    close_reason_too_long = 13,    ///< reason over 123 bytes
    unsendable_close_code = 14,    ///< the caller asked to send 1005, 1006, ...
    close_reason_not_utf8 = 15,    ///< reason to send is not UTF-8
    buffer_too_small = 16,         ///< output span cannot hold the bytes to write
    unknown_opcode = 17,           ///< frame to send has an opcode RFC 6455 does not define
    control_frame_not_final = 18,  ///< control frame to send has FIN clear
    control_payload_too_long = 19, ///< control frame to send has a payload over 125 bytes
    payload_too_long = 20,         ///< frame to send has a payload length of 2^63 or more
    invalid_rsv = 21,              ///< frame to send sets bits outside RSV1-3
    // Message sequence, §5.4 (peer violations).
    unexpected_continuation = 22,  ///< continuation frame with no message started
    expected_continuation = 23,    ///< new text/binary frame while a message is open
    // Limits (the peer exceeded what this endpoint accepts, §7.4.1 code 1009).
    frame_too_big = 24,            ///< frame payload over limits::max_frame_size
    message_too_big = 25,          ///< message over limits::max_message_size
    too_many_fragments = 26,       ///< message in more frames than limits::max_fragments
    // Connection misuse (local).
    not_open = 27,                 ///< sending after the close handshake started or the connection failed
    send_in_progress = 28,         ///< a message is still being sent (streaming or not yet written)
    no_message_started = 29,       ///< send_part() without begin_message()
    control_queue_full = 30,       ///< ping/pong while a control frame already waits to be written
    // Connection end (reported to the application, never sent).
    connection_lost = 31,          ///< TCP ended without a completed close handshake (1006)
    close_timeout = 32,            ///< the caller's close timer expired (1006)
    // Connection misuse (local), continued.
    text_not_utf8 = 33,            ///< a text message (or part) to send is not UTF-8
};

/// Who is at fault for an error.
enum class error_kind : std::uint8_t {
    none,
    protocol,  ///< the peer broke RFC 6455
    limit,     ///< the peer exceeded a configured limit
    usage,     ///< the local caller misused the API
    closed,    ///< the connection ended abnormally (1006, never sent)
};

/// Stable snake_case name, equal to the enumerator's name.
[[nodiscard]] constexpr const char* error_name(error e) noexcept {
    switch (e) {
        case error::none: return "none";
        case error::reserved_opcode: return "reserved_opcode";
        case error::reserved_bits_set: return "reserved_bits_set";
        case error::control_frame_too_long: return "control_frame_too_long";
        case error::control_frame_fragmented: return "control_frame_fragmented";
        case error::length_msb_set: return "length_msb_set";
        case error::non_minimal_length: return "non_minimal_length";
        case error::frame_not_masked: return "frame_not_masked";
        case error::frame_masked: return "frame_masked";
        case error::invalid_utf8: return "invalid_utf8";
        case error::close_payload_too_short: return "close_payload_too_short";
        case error::invalid_close_code: return "invalid_close_code";
        case error::invalid_close_reason: return "invalid_close_reason";
        case error::close_reason_too_long: return "close_reason_too_long";
        case error::unsendable_close_code: return "unsendable_close_code";
        case error::close_reason_not_utf8: return "close_reason_not_utf8";
        case error::buffer_too_small: return "buffer_too_small";
        case error::unknown_opcode: return "unknown_opcode";
        case error::control_frame_not_final: return "control_frame_not_final";
        case error::control_payload_too_long: return "control_payload_too_long";
        case error::payload_too_long: return "payload_too_long";
        case error::invalid_rsv: return "invalid_rsv";
        case error::unexpected_continuation: return "unexpected_continuation";
        case error::expected_continuation: return "expected_continuation";
        case error::frame_too_big: return "frame_too_big";
        case error::message_too_big: return "message_too_big";
        case error::too_many_fragments: return "too_many_fragments";
        case error::not_open: return "not_open";
        case error::send_in_progress: return "send_in_progress";
        case error::no_message_started: return "no_message_started";
        case error::control_queue_full: return "control_queue_full";
        case error::connection_lost: return "connection_lost";
        case error::close_timeout: return "close_timeout";
        case error::text_not_utf8: return "text_not_utf8";
    }
    return "unknown";
}

/// One-sentence description for logs and close reasons.
[[nodiscard]] constexpr const char* error_message(error e) noexcept {
    switch (e) {
        case error::none: return "no error";
        case error::reserved_opcode: return "frame uses a reserved opcode";
        case error::reserved_bits_set: return "frame sets a reserved bit that no extension allows";
        case error::control_frame_too_long: return "control frame payload is longer than 125 bytes";
        case error::control_frame_fragmented: return "control frame is fragmented";
        case error::length_msb_set: return "64-bit payload length has its most significant bit set";
        case error::non_minimal_length: return "payload length is not encoded in the minimal number of bytes";
        case error::frame_not_masked: return "frame from a client is not masked";
        case error::frame_masked: return "frame from a server is masked";
        case error::invalid_utf8: return "text is not valid UTF-8";
        case error::close_payload_too_short: return "close frame payload is one byte long";
        case error::invalid_close_code: return "close frame carries a status code that may not be sent";
        case error::invalid_close_reason: return "close frame reason is not valid UTF-8";
        case error::close_reason_too_long: return "close reason is longer than 123 bytes";
        case error::unsendable_close_code: return "this close code may not be sent in a close frame";
        case error::close_reason_not_utf8: return "close reason is not valid UTF-8";
        case error::buffer_too_small: return "output buffer is too small";
        case error::unknown_opcode: return "frame to send has an opcode that RFC 6455 does not define";
        case error::control_frame_not_final: return "control frame to send is not final";
        case error::control_payload_too_long: return "control frame to send has a payload longer than 125 bytes";
        case error::payload_too_long: return "frame to send has a payload length of 2^63 bytes or more";
        case error::invalid_rsv: return "frame to send sets bits outside RSV1-3";
        case error::unexpected_continuation: return "continuation frame without a message to continue";
        case error::expected_continuation: return "new message started before the previous one ended";
        case error::frame_too_big: return "frame payload exceeds the configured limit";
        case error::message_too_big: return "message exceeds the configured size limit";
        case error::too_many_fragments: return "message exceeds the configured number of fragments";
        case error::not_open: return "connection is not open for sending";
        case error::send_in_progress: return "previous message is still being sent";
        case error::no_message_started: return "no streamed message was begun";
        case error::control_queue_full: return "a control frame already waits to be written";
        case error::connection_lost: return "connection ended without a close handshake";
        case error::close_timeout: return "close handshake timed out";
        case error::text_not_utf8: return "text to send is not valid UTF-8";
    }
    return "unknown error";
}

/// Whether the peer or the local caller caused `e`.
[[nodiscard]] constexpr error_kind kind_of(error e) noexcept {
    switch (e) {
        case error::none: return error_kind::none;
        case error::close_reason_too_long:
        case error::unsendable_close_code:
        case error::close_reason_not_utf8:
        case error::buffer_too_small:
        case error::unknown_opcode:
        case error::control_frame_not_final:
        case error::control_payload_too_long:
        case error::payload_too_long:
        case error::invalid_rsv:
        case error::not_open:
        case error::send_in_progress:
        case error::no_message_started:
        case error::control_queue_full:
        case error::text_not_utf8: return error_kind::usage;
        case error::frame_too_big:
        case error::message_too_big:
        case error::too_many_fragments: return error_kind::limit;
        case error::connection_lost:
        case error::close_timeout: return error_kind::closed;
        default: return error_kind::protocol;
    }
}

/// The close code to send when the peer causes `e` (§7.4.1); close_code::normal
/// for error::none, close_code::internal_error for local misuse, and
/// close_code::abnormal (reported, never sent) when the connection was lost.
[[nodiscard]] constexpr close_code close_code_for(error e) noexcept {
    if (e == error::invalid_utf8 || e == error::invalid_close_reason) return close_code::invalid_payload;
    switch (kind_of(e)) {
        case error_kind::none: return close_code::normal;
        case error_kind::usage: return close_code::internal_error;
        case error_kind::limit: return close_code::message_too_big;
        case error_kind::closed: return close_code::abnormal;
        case error_kind::protocol: break;
    }
    return close_code::protocol_error;
}

}  // namespace wscodec
