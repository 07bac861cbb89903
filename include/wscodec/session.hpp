// wscodec/session.hpp — one object per role from the first byte to the close:
// the opening handshake (handshake.hpp), then the connection (connection.hpp),
// behind the connection's own receive/events/output shape. The two layers stay
// usable alone; the session only routes bytes and output between them.
#pragma once

#include <wscodec/connection.hpp>
#include <wscodec/handshake.hpp>

namespace wscodec {

/// Options of both layers.
struct session_options {
    handshake_options handshake{};
    connection_options connection{};
};

/// Where a session is.
enum class session_state : std::uint8_t {
    handshake,  ///< the opening handshake runs (timer(): handshake)
    open,       ///< the handshake succeeded: the connection runs (see connection().state())
    done,       ///< no WebSocket: an HTTP response or error response is queued; close TCP once output is written
};

/// A WebSocket endpoint in role `R` from the first byte: receive() reports
/// the handshake's events (server: request, http_request; client: open;
/// failed), then the connection's. Bytes after the handshake are never lost:
/// the handshake's event consumes only up to its blank line, and the next
/// receive() call hands the rest to the connection.
///
/// A server answers event_type::request with accept() (or respond() to turn it
/// down) before calling receive() again; bytes after the request that arrived
/// with it stay unconsumed until then (receive() answers answer_pending,
/// consuming nothing). After a refusal or a failed handshake, input is
/// discarded (event_type::ended).
template <role R, class KeySource = std::conditional_t<R == role::client, system_key_source, no_key_source>>
class session {
public:
    using connection_type = wscodec::connection<R, KeySource>;
    using handshake_type = std::conditional_t<R == role::server, server_handshake, client_handshake>;

    /// Server: waits for a request.
    explicit session(const session_options& o = {}) noexcept
        requires(R == role::server)
        : conn_(o.connection), hs_(o.handshake) {}

    /// Client: queues the request; the key comes from `keys`, which then masks
    /// frames. Invalid options (handshake().failure(): invalid_http_input)
    /// leave the session done with nothing to write.
    explicit session(const request_options& request, const session_options& o = {}, KeySource keys = KeySource{}) noexcept
        requires(R == role::client)
        : conn_(o.connection, std::move(keys)), hs_(request, draw_nonce(conn_.key_source()), o.handshake) {
        if (hs_.state() == client_handshake_state::failed) state_ = session_state::done;
    }

    session(const session&) = delete;
    session& operator=(const session&) = delete;
    session(session&&) noexcept = default;
    session& operator=(session&&) noexcept = default;

    /// Reads bytes: one event per call and the bytes it consumed, as
    /// connection::receive(). During the handshake the input is only read.
    [[nodiscard]] event receive(mutable_bytes in) noexcept {
        if (state_ == session_state::open) return conn_.receive(in);
        event ev;
        if (state_ == session_state::done) {  // bytes after a refusal or a failed handshake are discarded
            ev.consumed = in.size();
            if (!in.empty()) ev.type = event_type::ended;
            return ev;
        }
        if constexpr (R == role::server) {
            if (!in.empty() && (hs_.state() == server_handshake_state::upgrade_request ||
                                hs_.state() == server_handshake_state::http_request)) {
                ev.type = event_type::answer_pending;  // nothing consumed until accept() or respond()
                return ev;
            }
        }
        ev = hs_.receive(in);
        if (ev.type == event_type::failed) state_ = session_state::done;
        else if (ev.type == event_type::open) state_ = session_state::open;
        return ev;
    }

    // ------------------------------------------------------------ handshake

    /// Server: the request reported by the last event (see http_request for how long its views live).
    [[nodiscard]] const http_request& request() const noexcept
        requires(R == role::server)
    {
        return hs_.request();
    }

    /// Server: accepts the upgrade request (101 queued first in output); the connection is open.
    [[nodiscard]] error accept(const accept_options& o = {}) noexcept
        requires(R == role::server)
    {
        const error e = hs_.accept(o);
        if (e == error::none) state_ = session_state::open;
        return e;
    }

    /// Server: answers the request with an HTTP response (a page, a refusal);
    /// close TCP once it is written.
    [[nodiscard]] error respond(std::uint16_t status, std::span<const http_header> headers = {},
                                std::string_view body = {}) noexcept
        requires(R == role::server)
    {
        const error e = hs_.respond(status, headers, body);
        if (e == error::none) state_ = session_state::done;
        return e;
    }

    /// Client: the server's response (a refusal's status, headers and body included).
    [[nodiscard]] const http_response& response() const noexcept
        requires(R == role::client)
    {
        return hs_.response();
    }

    // --------------------------------------------------------------- send
    // As the connection's; error::not_open before the handshake succeeded.

    [[nodiscard]] error send(message_type type, bytes_view payload) noexcept {
        return state_ == session_state::open ? conn_.send(type, payload) : error::not_open;
    }
    [[nodiscard]] error send_in_place(message_type type, mutable_bytes payload) noexcept {
        return state_ == session_state::open ? conn_.send_in_place(type, payload) : error::not_open;
    }
    [[nodiscard]] error send_text(std::string_view text) noexcept { return state_ == session_state::open ? conn_.send_text(text) : error::not_open; }
    [[nodiscard]] error send_binary(bytes_view payload) noexcept { return state_ == session_state::open ? conn_.send_binary(payload) : error::not_open; }
    [[nodiscard]] error begin_message(message_type type) noexcept { return state_ == session_state::open ? conn_.begin_message(type) : error::not_open; }
    [[nodiscard]] error send_part(bytes_view part, bool last) noexcept { return state_ == session_state::open ? conn_.send_part(part, last) : error::not_open; }
    [[nodiscard]] error send_part_in_place(mutable_bytes part, bool last) noexcept {
        return state_ == session_state::open ? conn_.send_part_in_place(part, last) : error::not_open;
    }
    [[nodiscard]] error ping(bytes_view payload = {}) noexcept { return state_ == session_state::open ? conn_.ping(payload) : error::not_open; }
    [[nodiscard]] error pong(bytes_view payload = {}) noexcept { return state_ == session_state::open ? conn_.pong(payload) : error::not_open; }
    [[nodiscard]] error close(std::uint16_t code = static_cast<std::uint16_t>(close_code::normal),
                              std::string_view reason = {}) noexcept {
        return state_ == session_state::open ? conn_.close(code, reason) : error::not_open;
    }
    [[nodiscard]] error close(close_code code, std::string_view reason = {}) noexcept {
        return state_ == session_state::open ? conn_.close(code, reason) : error::not_open;
    }
    [[nodiscard]] bool can_send() const noexcept { return state_ == session_state::open && conn_.can_send(); }
    [[nodiscard]] bool can_send_part() const noexcept { return state_ == session_state::open && conn_.can_send_part(); }

    // -------------------------------------------------------------- output

    /// The next bytes to write: the handshake's request or response first, then the connection's.
    [[nodiscard]] output_buffers output() noexcept {
        const bytes_view h = hs_.output();
        if (!h.empty()) {
            output_buffers out;
            out.parts[0] = h;
            out.count = 1;
            return out;
        }
        return state_ == session_state::open ? conn_.output() : output_buffers{};
    }

    /// Acknowledges `n` bytes of what output() last handed out as written.
    void consume(std::size_t n) noexcept {
        if (!hs_.output().empty()) hs_.consume(n);
        else if (state_ == session_state::open) conn_.consume(n);
    }

    /// Copies as much output as fits in `dst` (masking a client's payloads),
    /// acknowledges it, and returns the number of bytes written.
    std::size_t copy_output(mutable_bytes dst) noexcept {
        const bytes_view h = hs_.output();
        const std::size_t k = std::min(h.size(), dst.size());
        for (std::size_t i = 0; i < k; ++i) dst[i] = h[i];
        hs_.consume(k);
        if (state_ != session_state::open || k < h.size()) return k;
        return k + conn_.copy_output(dst.subspan(k));
    }

    /// Bytes waiting to be written (backpressure: stop reading while this stays high).
    [[nodiscard]] std::uint64_t pending_output() const noexcept {
        const std::uint64_t h = hs_.output().size();
        return state_ == session_state::open ? h + conn_.pending_output() : h;
    }

    /// True if an event is owed without new input (connection::has_pending_event()).
    [[nodiscard]] bool has_pending_event() const noexcept {
        return state_ == session_state::open && conn_.has_pending_event();
    }

    // ---------------------------------------------------------------- time

    /// Which timer to run: handshake while the opening handshake runs, then the connection's.
    [[nodiscard]] timer_hint timer() const noexcept {
        if (state_ == session_state::handshake) return timer_hint::handshake;
        return state_ == session_state::open ? conn_.timer() : timer_hint::none;
    }

    /// The timer from timer() expired. During the handshake: a closed event
    /// (handshake_timeout, code 1006, close_now); then as the connection's.
    [[nodiscard]] event receive_timeout() noexcept {
        if (state_ == session_state::open) return conn_.receive_timeout();
        if (state_ == session_state::done) return event{};
        state_ = session_state::done;
        return ended(error::handshake_timeout);
    }

    /// The peer closed TCP. Before the handshake finished: a closed event
    /// (connection_lost, 1006); after a refusal: closed without error, code 0.
    [[nodiscard]] event receive_eof() noexcept {
        if (state_ == session_state::open) return conn_.receive_eof();
        const bool lost = state_ == session_state::handshake;
        state_ = session_state::done;
        return ended(lost ? error::connection_lost : error::none);
    }

    // ------------------------------------------------------------- access

    [[nodiscard]] session_state state() const noexcept { return state_; }
    [[nodiscard]] connection_type& connection() noexcept { return conn_; }
    [[nodiscard]] const connection_type& connection() const noexcept { return conn_; }
    [[nodiscard]] handshake_type& handshake() noexcept { return hs_; }
    [[nodiscard]] const handshake_type& handshake() const noexcept { return hs_; }

private:
    [[nodiscard]] static std::array<std::uint8_t, 16> draw_nonce(KeySource& keys) noexcept {
        std::array<std::uint8_t, 16> nonce{};
        for (std::size_t i = 0; i < 16; i += 4) {
            const mask_key k = keys();
            for (std::size_t j = 0; j < 4; ++j) nonce[i + j] = k[j];
        }
        return nonce;
    }

    [[nodiscard]] static event ended(error e) noexcept {
        event ev;
        ev.type = event_type::closed;
        ev.err = e;
        ev.code = e == error::none ? 0 : static_cast<std::uint16_t>(close_code::abnormal);
        ev.action = tcp_action::close_now;
        return ev;
    }

    connection_type conn_;  // first: a client's handshake draws its nonce from the connection's key source
    handshake_type hs_;
    session_state state_ = session_state::handshake;
};

using server_session = session<role::server>;
using client_session = session<role::client>;

}  // namespace wscodec
