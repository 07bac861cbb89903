// SPDX-License-Identifier: MIT
// wscodec/error.hpp — the error enumeration, its kinds, and one table row per error (name, message, kind, close code, HTTP status).
#pragma once

#include <cstddef>
#include <iterator>
#include <wscodec/close_code.hpp>

namespace wscodec {

/// Every peer violation, limit, local misuse and abnormal end; values are
/// appended, never renumbered.
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
    frame_too_big = 24,            ///< frame payload over receive_limits::max_frame_size
    message_too_big = 25,          ///< message over receive_limits::max_message_size
    too_many_fragments = 26,       ///< message in more frames than receive_limits::fragment_limit()
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
    // Opening handshake, RFC 6455 §4 and RFC 9112 (the peer's HTTP).
    http_bad_request_line = 34,          ///< request line is not `METHOD target HTTP/x.y`
    http_bad_header = 35,                ///< header line has no colon, or a name that is not a token, or whitespace before the colon
    http_bad_header_value = 36,          ///< header value holds NUL or another control byte
    http_obs_fold = 37,                  ///< header continued on the next line (obs-fold, RFC 9112 §5.2)
    http_bad_line_ending = 38,           ///< LF without CR, or CR without LF
    http_headers_too_large = 39,         ///< header block over handshake_options::max_header_bytes
    http_too_many_headers = 40,          ///< more header lines than handshake_options::max_headers
    http_version_not_supported = 41,     ///< HTTP major version other than 1
    handshake_http_too_old = 42,         ///< §4.1: upgrade request over HTTP/1.0
    handshake_method_not_get = 43,       ///< §4.1: upgrade request method is not GET
    handshake_no_host = 44,              ///< §4.1: Host missing
    handshake_duplicate_header = 45,     ///< a header that may appear once appears twice (Host, the key, the version, Accept, ...)
    handshake_no_connection_upgrade = 46, ///< §4.1: Connection lacks the token Upgrade
    handshake_bad_version = 47,          ///< §4.2.2: Sec-WebSocket-Version missing or not 13 (answered with 426)
    handshake_bad_key = 48,              ///< §4.2.1: Sec-WebSocket-Key missing or not the base64 of 16 bytes
    handshake_bad_subprotocols = 49,     ///< §4.1: Sec-WebSocket-Protocol is not a list of tokens
    handshake_bad_extensions = 50,       ///< §9.1: Sec-WebSocket-Extensions does not follow its grammar
    handshake_request_body = 51,         ///< upgrade request announces a body (Content-Length, Transfer-Encoding)
    // Opening handshake, client side (the server's response).
    http_bad_status_line = 52,           ///< response status line is not `HTTP/x.y NNN reason`
    handshake_not_101 = 53,              ///< §4.1: the server answered with a status other than 101 (see the response)
    handshake_no_upgrade_websocket = 54, ///< §4.1: response Upgrade header missing or not websocket
    handshake_bad_accept = 55,           ///< §4.1: Sec-WebSocket-Accept missing or not the expected value
    handshake_unexpected_subprotocol = 56, ///< §4.1: the server chose a subprotocol the client did not offer
    handshake_unexpected_extension = 57, ///< §4.1: the server answered with an extension the client did not offer
    // Opening handshake misuse (local).
    handshake_not_ready = 58,            ///< accept()/respond() with no request waiting for an answer
    invalid_http_input = 59,             ///< a header, status, host, target or token to send is not valid HTTP
    subprotocol_not_offered = 60,        ///< accept() chose a subprotocol the client did not offer
    // Resources.
    out_of_memory = 61,                  ///< the handshake could not allocate its buffer
    // WebSocket over HTTP/2 and HTTP/3 (RFC 8441, RFC 9220).
    extended_connect_bad_method = 62,    ///< RFC 8441 §4: :method is not CONNECT
    extended_connect_bad_protocol = 63,  ///< RFC 8441 §4: :protocol missing or not websocket
    extended_connect_bad_pseudo_header = 64, ///< RFC 8441 §4, RFC 9113 §8.3: :scheme, :path or :authority missing or empty, a pseudo-header repeated, unknown, or after a regular header
    extended_connect_connection_header = 65, ///< RFC 9113 §8.2.2: a connection-specific header (Connection, Upgrade, ...) or an upper-case name
    // Connection end, continued.
    handshake_timeout = 66,              ///< the caller's handshake timer expired
    // WebSocket over HTTP/2 and HTTP/3, client side (the server's response).
    extended_connect_rejected = 67,      ///< RFC 8441 §5 / RFC 9220: the server answered the extended CONNECT with a status other than 2xx (see the response)
    // Opening handshake, server side, continued.
    handshake_no_upgrade_header = 68,    ///< §4.2.1 item 3: a WebSocket request (Sec-WebSocket-Key or -Version, or Connection: upgrade without an Upgrade field) whose Upgrade does not list websocket
    // Send queue misuse (local, send_queue.hpp).
    send_queue_full = 69,                ///< the message would take a send_queue past its max_bytes or max_messages
    // Timers (connection_options::timers).
    keepalive_timeout = 70,              ///< nothing arrived for pong_timeout_ms after our keepalive ping: the peer is failed with 1011
    idle_timeout = 71,                   ///< no data message for idle_timeout_ms: we close with 1001
    // permessage-deflate (RFC 7692).
    inflate_failed = 72,                 ///< §7.2.2: a compressed message is not a valid DEFLATE stream (1007)
    deflate_failed = 73,                 ///< our compressor failed (the deflate backend broke its contract): we close with 1011
    handshake_bad_deflate = 74,          ///< RFC 7692 §7.1: the server's permessage-deflate answer is not one the client's offer allows (deflate_error says why)
};

/// Who or what caused an error.
enum class error_kind : std::uint8_t {
    none,
    protocol,  ///< the peer broke RFC 6455
    limit,     ///< the peer exceeded a configured limit
    usage,     ///< the local caller misused the API
    closed,    ///< the connection ended abnormally (1006, never sent)
    http,      ///< the peer's opening handshake was malformed or broke RFC 6455 §4
    resource,  ///< the local endpoint ran out of a resource (memory)
    timeout,   ///< a liveness timer ran out (keepalive, idle): we close with the row's code
};

namespace detail {

/// One error described once; every accessor below reads its row.
struct error_row {
    error value;
    const char* name;             ///< the enumerator's name
    const char* message;          ///< one sentence for logs, close reasons and HTTP bodies
    error_kind kind;
    close_code code;              ///< to send (§7.4.1), or to report (1006) when the connection ended
    std::uint16_t http_status;    ///< a server's answer (RFC 9110 §15); 0: a server never answers it
};

/// Row i describes the error whose value is i (checked below).
inline constexpr error_row error_rows[] = {
    {error::none, "none", "no error",
     error_kind::none, close_code::normal, 0},
    {error::reserved_opcode, "reserved_opcode", "frame uses a reserved opcode",
     error_kind::protocol, close_code::protocol_error, 0},
    {error::reserved_bits_set, "reserved_bits_set", "frame sets a reserved bit that no extension allows",
     error_kind::protocol, close_code::protocol_error, 0},
    {error::control_frame_too_long, "control_frame_too_long", "control frame payload is longer than 125 bytes",
     error_kind::protocol, close_code::protocol_error, 0},
    {error::control_frame_fragmented, "control_frame_fragmented", "control frame is fragmented",
     error_kind::protocol, close_code::protocol_error, 0},
    {error::length_msb_set, "length_msb_set", "64-bit payload length has its most significant bit set",
     error_kind::protocol, close_code::protocol_error, 0},
    {error::non_minimal_length, "non_minimal_length", "payload length is not encoded in the minimal number of bytes",
     error_kind::protocol, close_code::protocol_error, 0},
    {error::frame_not_masked, "frame_not_masked", "frame from a client is not masked",
     error_kind::protocol, close_code::protocol_error, 0},
    {error::frame_masked, "frame_masked", "frame from a server is masked",
     error_kind::protocol, close_code::protocol_error, 0},
    {error::invalid_utf8, "invalid_utf8", "text is not valid UTF-8",
     error_kind::protocol, close_code::invalid_payload, 0},
    {error::close_payload_too_short, "close_payload_too_short", "close frame payload is one byte long",
     error_kind::protocol, close_code::protocol_error, 0},
    {error::invalid_close_code, "invalid_close_code", "close frame carries a status code that may not be sent",
     error_kind::protocol, close_code::protocol_error, 0},
    {error::invalid_close_reason, "invalid_close_reason", "close frame reason is not valid UTF-8",
     error_kind::protocol, close_code::invalid_payload, 0},
    {error::close_reason_too_long, "close_reason_too_long", "close reason is longer than 123 bytes",
     error_kind::usage, close_code::internal_error, 0},
    {error::unsendable_close_code, "unsendable_close_code", "this close code may not be sent in a close frame",
     error_kind::usage, close_code::internal_error, 0},
    {error::close_reason_not_utf8, "close_reason_not_utf8", "close reason is not valid UTF-8",
     error_kind::usage, close_code::internal_error, 0},
    {error::buffer_too_small, "buffer_too_small", "output buffer is too small",
     error_kind::usage, close_code::internal_error, 0},
    {error::unknown_opcode, "unknown_opcode", "frame to send has an opcode that RFC 6455 does not define",
     error_kind::usage, close_code::internal_error, 0},
    {error::control_frame_not_final, "control_frame_not_final", "control frame to send is not final",
     error_kind::usage, close_code::internal_error, 0},
    {error::control_payload_too_long, "control_payload_too_long", "control frame to send has a payload longer than 125 bytes",
     error_kind::usage, close_code::internal_error, 0},
    {error::payload_too_long, "payload_too_long", "frame to send has a payload length of 2^63 bytes or more",
     error_kind::usage, close_code::internal_error, 0},
    {error::invalid_rsv, "invalid_rsv", "frame to send sets bits outside RSV1-3",
     error_kind::usage, close_code::internal_error, 0},
    {error::unexpected_continuation, "unexpected_continuation", "continuation frame without a message to continue",
     error_kind::protocol, close_code::protocol_error, 0},
    {error::expected_continuation, "expected_continuation", "new message started before the previous one ended",
     error_kind::protocol, close_code::protocol_error, 0},
    {error::frame_too_big, "frame_too_big", "frame payload exceeds the configured limit",
     error_kind::limit, close_code::message_too_big, 0},
    {error::message_too_big, "message_too_big", "message exceeds the configured size limit",
     error_kind::limit, close_code::message_too_big, 0},
    {error::too_many_fragments, "too_many_fragments", "message exceeds the configured number of fragments",
     error_kind::limit, close_code::message_too_big, 0},
    {error::not_open, "not_open", "connection is not open for sending",
     error_kind::usage, close_code::internal_error, 0},
    {error::send_in_progress, "send_in_progress", "previous message is still being sent",
     error_kind::usage, close_code::internal_error, 0},
    {error::no_message_started, "no_message_started", "no streamed message was begun",
     error_kind::usage, close_code::internal_error, 0},
    {error::control_queue_full, "control_queue_full", "a control frame already waits to be written",
     error_kind::usage, close_code::internal_error, 0},
    {error::connection_lost, "connection_lost", "connection ended without a close handshake",
     error_kind::closed, close_code::abnormal, 0},
    {error::close_timeout, "close_timeout", "close handshake timed out",
     error_kind::closed, close_code::abnormal, 0},
    {error::text_not_utf8, "text_not_utf8", "text to send is not valid UTF-8",
     error_kind::usage, close_code::internal_error, 0},
    {error::http_bad_request_line, "http_bad_request_line", "HTTP request line is malformed",
     error_kind::http, close_code::protocol_error, 400},
    {error::http_bad_header, "http_bad_header", "HTTP header line is malformed",
     error_kind::http, close_code::protocol_error, 400},
    {error::http_bad_header_value, "http_bad_header_value", "HTTP header value contains a control character",
     error_kind::http, close_code::protocol_error, 400},
    {error::http_obs_fold, "http_obs_fold", "HTTP header uses obsolete line folding",
     error_kind::http, close_code::protocol_error, 400},
    {error::http_bad_line_ending, "http_bad_line_ending", "HTTP line does not end in CRLF",
     error_kind::http, close_code::protocol_error, 400},
    {error::http_headers_too_large, "http_headers_too_large", "HTTP header block exceeds the configured size limit",
     error_kind::http, close_code::protocol_error, 431},
    {error::http_too_many_headers, "http_too_many_headers", "HTTP message has more header fields than the configured limit",
     error_kind::http, close_code::protocol_error, 431},
    {error::http_version_not_supported, "http_version_not_supported", "HTTP version is not supported",
     error_kind::http, close_code::protocol_error, 505},
    {error::handshake_http_too_old, "handshake_http_too_old", "WebSocket upgrade requires HTTP/1.1 or later",
     error_kind::http, close_code::protocol_error, 400},
    {error::handshake_method_not_get, "handshake_method_not_get", "WebSocket upgrade request method must be GET",
     error_kind::http, close_code::protocol_error, 405},
    {error::handshake_no_host, "handshake_no_host", "request has no Host header",
     error_kind::http, close_code::protocol_error, 400},
    {error::handshake_duplicate_header, "handshake_duplicate_header", "a header that may appear only once appears more than once",
     error_kind::http, close_code::protocol_error, 400},
    {error::handshake_no_connection_upgrade, "handshake_no_connection_upgrade", "Connection header does not contain the token Upgrade",
     error_kind::http, close_code::protocol_error, 400},
    {error::handshake_bad_version, "handshake_bad_version", "Sec-WebSocket-Version must be 13",
     error_kind::http, close_code::protocol_error, 426},
    {error::handshake_bad_key, "handshake_bad_key", "Sec-WebSocket-Key must be the base64 encoding of 16 bytes",
     error_kind::http, close_code::protocol_error, 400},
    {error::handshake_bad_subprotocols, "handshake_bad_subprotocols", "Sec-WebSocket-Protocol is not a comma-separated list of tokens",
     error_kind::http, close_code::protocol_error, 400},
    {error::handshake_bad_extensions, "handshake_bad_extensions", "Sec-WebSocket-Extensions is malformed",
     error_kind::http, close_code::protocol_error, 400},
    {error::handshake_request_body, "handshake_request_body", "WebSocket upgrade request must not have a body",
     error_kind::http, close_code::protocol_error, 400},
    {error::http_bad_status_line, "http_bad_status_line", "HTTP status line is malformed",
     error_kind::http, close_code::protocol_error, 0},
    {error::handshake_not_101, "handshake_not_101", "server did not switch protocols",
     error_kind::http, close_code::protocol_error, 0},
    {error::handshake_no_upgrade_websocket, "handshake_no_upgrade_websocket", "response Upgrade header is not websocket",
     error_kind::http, close_code::protocol_error, 0},
    {error::handshake_bad_accept, "handshake_bad_accept", "Sec-WebSocket-Accept does not match the key",
     error_kind::http, close_code::protocol_error, 0},
    {error::handshake_unexpected_subprotocol, "handshake_unexpected_subprotocol", "server selected a subprotocol that was not offered",
     error_kind::http, close_code::protocol_error, 0},
    {error::handshake_unexpected_extension, "handshake_unexpected_extension", "server selected an extension that was not offered",
     error_kind::http, close_code::protocol_error, 0},
    {error::handshake_not_ready, "handshake_not_ready", "no request is waiting for an answer",
     error_kind::usage, close_code::internal_error, 0},
    {error::invalid_http_input, "invalid_http_input", "header, status, host, target or token to send is not valid HTTP",
     error_kind::usage, close_code::internal_error, 0},
    {error::subprotocol_not_offered, "subprotocol_not_offered", "chosen subprotocol was not offered by the client",
     error_kind::usage, close_code::internal_error, 0},
    // Not the peer's doing: 1009 (message too big) would blame its message, so the
    // peer sees 1011 (this endpoint hit an unexpected condition, §7.4.1); a server
    // answers the handshake with 503 (RFC 9110 §15.6.4: a temporary condition).
    {error::out_of_memory, "out_of_memory", "out of memory",
     error_kind::resource, close_code::internal_error, 503},
    {error::extended_connect_bad_method, "extended_connect_bad_method", "extended CONNECT :method must be CONNECT",
     error_kind::http, close_code::protocol_error, 400},
    {error::extended_connect_bad_protocol, "extended_connect_bad_protocol", "extended CONNECT :protocol must be websocket",
     error_kind::http, close_code::protocol_error, 400},
    {error::extended_connect_bad_pseudo_header, "extended_connect_bad_pseudo_header", "extended CONNECT pseudo-headers are missing, repeated, unknown or misplaced",
     error_kind::http, close_code::protocol_error, 400},
    {error::extended_connect_connection_header, "extended_connect_connection_header", "extended CONNECT carries a connection-specific or upper-case header field",
     error_kind::http, close_code::protocol_error, 400},
    {error::handshake_timeout, "handshake_timeout", "opening handshake timed out",
     error_kind::closed, close_code::abnormal, 0},
    {error::extended_connect_rejected, "extended_connect_rejected", "server answered the extended CONNECT with a status other than 2xx",
     error_kind::http, close_code::protocol_error, 0},
    {error::handshake_no_upgrade_header, "handshake_no_upgrade_header",
     "WebSocket request (Sec-WebSocket-Key, Sec-WebSocket-Version or Connection: upgrade) lacks Upgrade: websocket",
     error_kind::http, close_code::protocol_error, 400},
    {error::send_queue_full, "send_queue_full", "message would take the send queue past its byte or message limit",
     error_kind::usage, close_code::internal_error, 0},
    {error::keepalive_timeout, "keepalive_timeout", "peer did not answer the keepalive ping in time",
     error_kind::timeout, close_code::internal_error, 0},
    {error::idle_timeout, "idle_timeout", "nothing came from the peer for the idle timeout",
     error_kind::timeout, close_code::going_away, 0},
    {error::inflate_failed, "inflate_failed", "compressed message is not a valid DEFLATE stream",
     error_kind::protocol, close_code::invalid_payload, 0},
    {error::deflate_failed, "deflate_failed", "the compressor failed",
     error_kind::resource, close_code::internal_error, 0},
    {error::handshake_bad_deflate, "handshake_bad_deflate", "server's permessage-deflate answer does not fit the client's offer",
     error_kind::http, close_code::protocol_error, 0},
};

/// What the accessors give for a value with no row (a cast, or a value from a newer version).
inline constexpr error_row unknown_error_row{static_cast<error>(0xFF), "unknown", "unknown error",
                                             error_kind::none, close_code::internal_error, 0};

/// True if every row's value equals its index.
[[nodiscard]] constexpr bool error_rows_in_order() noexcept {
    for (std::size_t i = 0; i < std::size(error_rows); ++i)
        if (static_cast<std::size_t>(error_rows[i].value) != i) return false;
    return true;
}

static_assert(error_rows_in_order(), "error_rows: row i must describe the error whose value is i");
static_assert(std::size(error_rows) == static_cast<std::size_t>(error::handshake_bad_deflate) + 1,
              "error_rows: one row per error, the last enumerator last");

/// The row of `e`, or unknown_error_row when `e` has none.
[[nodiscard]] constexpr const error_row& error_row_of(error e) noexcept {
    const auto i = static_cast<std::size_t>(e);
    return i < std::size(error_rows) ? error_rows[i] : unknown_error_row;
}

}  // namespace detail

/// Stable snake_case name, equal to the enumerator's name ("unknown" for a value with no enumerator).
[[nodiscard]] constexpr const char* error_name(error e) noexcept { return detail::error_row_of(e).name; }

/// One-sentence description for logs and close reasons ("unknown error" for a value with no enumerator).
[[nodiscard]] constexpr const char* error_message(error e) noexcept { return detail::error_row_of(e).message; }

/// Who or what caused `e` (error_kind::none for error::none and for a value with no enumerator).
[[nodiscard]] constexpr error_kind kind_of(error e) noexcept { return detail::error_row_of(e).kind; }

/// The close code to send when `e` ends the connection (§7.4.1): 1000 for error::none, 1002 or
/// 1007 for a peer violation, 1009 for a limit, 1011 for local misuse or a lack of resources,
/// and 1006 (reported, never sent) when the connection was lost.
[[nodiscard]] constexpr close_code close_code_for(error e) noexcept { return detail::error_row_of(e).code; }

/// The HTTP status a server answers `e` with (RFC 9110 §15, RFC 6455 §4.2.2), or 0 for an
/// error a server does not answer (client-side, local misuse, connection errors).
[[nodiscard]] constexpr std::uint16_t http_status_for(error e) noexcept { return detail::error_row_of(e).http_status; }

}  // namespace wscodec
