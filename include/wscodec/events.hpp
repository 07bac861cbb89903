// SPDX-License-Identifier: MIT
// wscodec/events.hpp — the vocabulary of what the handshake and the
// connection report from received bytes (one event type, so one loop serves
// the session), what the caller does with TCP, and which timer to run.
#pragma once

#include <wscodec/bytes.hpp>
#include <wscodec/error.hpp>

namespace wscodec {

/// The type of a data message; the values are the RFC 6455 opcodes.
enum class message_type : std::uint8_t { text = 0x1, binary = 0x2 };

/// Whether a message to send may be compressed, when permessage-deflate (RFC 7692) is on.
enum class compression : std::uint8_t {
    automatic,  ///< compressed when permessage-deflate is on and a whole message has at least
                ///< connection_options::compress_min_size bytes (a streamed one always)
    off,        ///< sent as it is (RSV1 clear): data that does not compress (images, archives)
};

enum class event_type : std::uint8_t {
    need_more,  ///< all input consumed; call again with more bytes
    data,       ///< a piece of a text or binary message
    ping,       ///< a ping (a pong is queued when auto_pong is on)
    pong,       ///< a pong
    close,      ///< the peer's close frame; our close frame is queued if it was not sent
    failed,     ///< the peer broke the protocol or a limit; a close frame is queued
    closed,     ///< the connection is over: see `action`
    // The opening handshake (server_handshake, client_handshake, session).
    request,       ///< server: a WebSocket upgrade request waits: accept() or respond()
    http_request,  ///< server: a plain HTTP request (no Upgrade: websocket) waits: respond()
    open,          ///< client: the server accepted; messages flow
    // Answers that are not news (appended: values are stable).
    answer_pending,  ///< server session: the request reported earlier waits for accept() or respond(); nothing consumed
    ended,           ///< bytes after the closed or failed event (or a refusal) are discarded (all consumed): stop reading
};

/// The timer the caller should run, if any (the library reads no clock).
enum class timer_hint : std::uint8_t {
    none,
    close_handshake,  ///< connection: we sent close; if the peer's close does not come, call receive_timeout()
    tcp_close,        ///< after the close handshake (client) or a failure (linger, both roles): if the peer does not close TCP, call receive_timeout()
    handshake,        ///< session: the opening handshake has not finished; if it takes too long, call receive_timeout()
    keepalive,        ///< connection: keepalive on; on expiry receive_timeout() pings the peer if nothing came meanwhile
    pong_wait,        ///< connection: our keepalive ping is out; on expiry with nothing received, the peer is failed (1011)
    idle,             ///< connection: idle timeout on; on expiry receive_timeout() counts the time without a data message
};

/// What the caller does with the TCP connection once output is written.
enum class tcp_action : std::uint8_t {
    none,
    close_now,      ///< close TCP after writing the remaining output
    wait_for_peer,  ///< client: wait for the server to close TCP; arm a timer (§7.1.1)
    linger,         ///< after a failure: write the remaining output, shut down sending (shutdown(fd, SHUT_WR)),
                    ///< then keep reading and pass what comes to receive(), which discards it, until
                    ///< receive_eof() or receive_timeout() (timer() says tcp_close) says close_now. Closing
                    ///< with unread input would make the kernel send a reset, and the peer could lose our close.
};

/// Stable lower-case name of an event type, for logs ("data", "closed", ...).
[[nodiscard]] constexpr const char* event_type_name(event_type t) noexcept {
    switch (t) {
        case event_type::need_more: return "need_more";
        case event_type::data: return "data";
        case event_type::ping: return "ping";
        case event_type::pong: return "pong";
        case event_type::close: return "close";
        case event_type::failed: return "failed";
        case event_type::closed: return "closed";
        case event_type::request: return "request";
        case event_type::http_request: return "http_request";
        case event_type::open: return "open";
        case event_type::answer_pending: return "answer_pending";
        case event_type::ended: return "ended";
    }
    return "unknown";
}

/// Stable lower-case name of a TCP action ("none", "close_now", "wait_for_peer", "linger").
[[nodiscard]] constexpr const char* tcp_action_name(tcp_action a) noexcept {
    switch (a) {
        case tcp_action::none: return "none";
        case tcp_action::close_now: return "close_now";
        case tcp_action::wait_for_peer: return "wait_for_peer";
        case tcp_action::linger: return "linger";
    }
    return "unknown";
}

/// One event from connection::receive(). `payload` views the caller's input
/// buffer (unmasked in place) or, for a control frame that arrived in pieces,
/// storage inside the connection; either way it is valid until the next call
/// to receive() or until the caller reuses the input buffer. Size: 48 bytes.
struct event {
    event_type type = event_type::need_more;
    message_type message = message_type::binary;  ///< data: the message's type
    bool first = false;                           ///< data: first piece of the message
    bool last = false;                            ///< data: last piece of the message
    std::uint8_t rsv = 0;                         ///< data: RSV bits of the message's first frame, but RSV1 when
                                                  ///< the connection inflated the message (permessage-deflate)
    tcp_action action = tcp_action::none;         ///< failed, closed: what to do with TCP
    error err = error::none;                      ///< failed, closed: why
    std::uint16_t code = 0;         ///< close: the peer's close code (1005 if none); failed: the close code sent; closed: the close code
    std::uint16_t http_status = 0;  ///< handshake failed: the HTTP status answered (server) or received (client)
    std::size_t consumed = 0;  ///< bytes of the input this call used
    /// failed: offset in this input of the offending byte; 0 if it came with an
    /// earlier input, or if a text message ended inside a UTF-8 sequence (the
    /// message's end is at fault, and its bytes were delivered first).
    std::size_t position = 0;
    mutable_bytes payload{};   ///< data piece; ping/pong payload; close reason
};

}  // namespace wscodec
