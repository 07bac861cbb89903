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
};

/// Who is at fault for an error.
enum class error_kind : std::uint8_t {
    none,
    protocol,  ///< the peer broke RFC 6455
    limit,     ///< the peer exceeded a configured limit
    usage,     ///< the local caller misused the API
    closed,    ///< the connection ended abnormally (1006, never sent)
    http,      ///< the peer's opening handshake was malformed or broke RFC 6455 §4
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
        case error::http_bad_request_line: return "http_bad_request_line";
        case error::http_bad_header: return "http_bad_header";
        case error::http_bad_header_value: return "http_bad_header_value";
        case error::http_obs_fold: return "http_obs_fold";
        case error::http_bad_line_ending: return "http_bad_line_ending";
        case error::http_headers_too_large: return "http_headers_too_large";
        case error::http_too_many_headers: return "http_too_many_headers";
        case error::http_version_not_supported: return "http_version_not_supported";
        case error::handshake_http_too_old: return "handshake_http_too_old";
        case error::handshake_method_not_get: return "handshake_method_not_get";
        case error::handshake_no_host: return "handshake_no_host";
        case error::handshake_duplicate_header: return "handshake_duplicate_header";
        case error::handshake_no_connection_upgrade: return "handshake_no_connection_upgrade";
        case error::handshake_bad_version: return "handshake_bad_version";
        case error::handshake_bad_key: return "handshake_bad_key";
        case error::handshake_bad_subprotocols: return "handshake_bad_subprotocols";
        case error::handshake_bad_extensions: return "handshake_bad_extensions";
        case error::handshake_request_body: return "handshake_request_body";
        case error::http_bad_status_line: return "http_bad_status_line";
        case error::handshake_not_101: return "handshake_not_101";
        case error::handshake_no_upgrade_websocket: return "handshake_no_upgrade_websocket";
        case error::handshake_bad_accept: return "handshake_bad_accept";
        case error::handshake_unexpected_subprotocol: return "handshake_unexpected_subprotocol";
        case error::handshake_unexpected_extension: return "handshake_unexpected_extension";
        case error::handshake_not_ready: return "handshake_not_ready";
        case error::invalid_http_input: return "invalid_http_input";
        case error::subprotocol_not_offered: return "subprotocol_not_offered";
        case error::out_of_memory: return "out_of_memory";
        case error::extended_connect_bad_method: return "extended_connect_bad_method";
        case error::extended_connect_bad_protocol: return "extended_connect_bad_protocol";
        case error::extended_connect_bad_pseudo_header: return "extended_connect_bad_pseudo_header";
        case error::extended_connect_connection_header: return "extended_connect_connection_header";
        case error::handshake_timeout: return "handshake_timeout";
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
        case error::http_bad_request_line: return "HTTP request line is malformed";
        case error::http_bad_header: return "HTTP header line is malformed";
        case error::http_bad_header_value: return "HTTP header value contains a control character";
        case error::http_obs_fold: return "HTTP header uses obsolete line folding";
        case error::http_bad_line_ending: return "HTTP line does not end in CRLF";
        case error::http_headers_too_large: return "HTTP header block exceeds the configured size limit";
        case error::http_too_many_headers: return "HTTP message has more header fields than the configured limit";
        case error::http_version_not_supported: return "HTTP version is not supported";
        case error::handshake_http_too_old: return "WebSocket upgrade requires HTTP/1.1 or later";
        case error::handshake_method_not_get: return "WebSocket upgrade request method must be GET";
        case error::handshake_no_host: return "request has no Host header";
        case error::handshake_duplicate_header: return "a header that may appear only once appears more than once";
        case error::handshake_no_connection_upgrade: return "Connection header does not contain the token Upgrade";
        case error::handshake_bad_version: return "Sec-WebSocket-Version must be 13";
        case error::handshake_bad_key: return "Sec-WebSocket-Key must be the base64 encoding of 16 bytes";
        case error::handshake_bad_subprotocols: return "Sec-WebSocket-Protocol is not a comma-separated list of tokens";
        case error::handshake_bad_extensions: return "Sec-WebSocket-Extensions is malformed";
        case error::handshake_request_body: return "WebSocket upgrade request must not have a body";
        case error::http_bad_status_line: return "HTTP status line is malformed";
        case error::handshake_not_101: return "server did not switch protocols";
        case error::handshake_no_upgrade_websocket: return "response Upgrade header is not websocket";
        case error::handshake_bad_accept: return "Sec-WebSocket-Accept does not match the key";
        case error::handshake_unexpected_subprotocol: return "server selected a subprotocol that was not offered";
        case error::handshake_unexpected_extension: return "server selected an extension that was not offered";
        case error::handshake_not_ready: return "no request is waiting for an answer";
        case error::invalid_http_input: return "header, status, host, target or token to send is not valid HTTP";
        case error::subprotocol_not_offered: return "chosen subprotocol was not offered by the client";
        case error::out_of_memory: return "out of memory";
        case error::extended_connect_bad_method: return "extended CONNECT :method must be CONNECT";
        case error::extended_connect_bad_protocol: return "extended CONNECT :protocol must be websocket";
        case error::extended_connect_bad_pseudo_header: return "extended CONNECT pseudo-headers are missing, repeated, unknown or misplaced";
        case error::extended_connect_connection_header: return "extended CONNECT carries a connection-specific or upper-case header field";
        case error::handshake_timeout: return "opening handshake timed out";
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
        case error::text_not_utf8:
        case error::handshake_not_ready:
        case error::invalid_http_input:
        case error::subprotocol_not_offered: return error_kind::usage;
        case error::out_of_memory: return error_kind::limit;
        case error::frame_too_big:
        case error::message_too_big:
        case error::too_many_fragments: return error_kind::limit;
        case error::connection_lost:
        case error::close_timeout:
        case error::handshake_timeout: return error_kind::closed;
        default: break;
    }
    if (e >= error::http_bad_request_line && e <= error::handshake_unexpected_extension) return error_kind::http;
    if (e >= error::extended_connect_bad_method && e <= error::extended_connect_connection_header) return error_kind::http;
    return error_kind::protocol;
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
        case error_kind::protocol:
        case error_kind::http: break;
    }
    return close_code::protocol_error;
}

/// The HTTP status a server answers `e` with (RFC 9110 §15): 431 for header
/// limits, 505 for a major version other than 1, 405 for a method other than
/// GET, 426 for a WebSocket version other than 13 (§4.2.2), 503 when memory
/// ran out, 400 for every other malformed or invalid request; 0 for errors that
/// a server does not answer (client-side, local misuse, connection errors).
[[nodiscard]] constexpr std::uint16_t http_status_for(error e) noexcept {
    switch (e) {
        case error::http_headers_too_large:
        case error::http_too_many_headers: return 431;
        case error::http_version_not_supported: return 505;
        case error::handshake_method_not_get: return 405;
        case error::handshake_bad_version: return 426;
        case error::out_of_memory: return 503;
        default: break;
    }
    if (e >= error::http_bad_request_line && e <= error::handshake_request_body) return 400;
    if (e >= error::extended_connect_bad_method && e <= error::extended_connect_connection_header) return 400;
    return 0;
}

}  // namespace wscodec
