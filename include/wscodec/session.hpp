// SPDX-License-Identifier: MIT
// wscodec/session.hpp — one object per role from the first byte to the close:
// the opening handshake (server_handshake.hpp, client_handshake.hpp), then
// the connection (connection.hpp), in one storage, behind the connection's
// own receive/events/output shape. The layers stay usable alone; the session
// routes bytes and output between them.
#pragma once

#include <chrono>
#include <memory>
#include <new>
#include <utility>
#include <wscodec/connection.hpp>
#include <wscodec/handshake.hpp>
#include <wscodec/permessage_deflate.hpp>

namespace wscodec {

/// Options of both layers.
struct session_options {
    handshake_options handshake{};
    connection_options connection{};
    /// timer_hint::handshake: how long the opening handshake may take. 10 s.
    std::uint32_t handshake_timeout_ms = 10000;
    /// permessage-deflate (RFC 7692), on when set: a server accepts the first offer it can
    /// honour (deflate_server), a client offers it (deflate_client); each connection that
    /// agrees gets its own streams from this backend (wscodec/zlib.hpp: zlib_backend),
    /// which must outlive the sessions. The two options' `enabled` and
    /// `can_compress_window_8` are not read: this pointer and the backend decide them.
    deflate_backend* deflate = nullptr;
    deflate_server_options deflate_server{};
    deflate_client_options deflate_client{};
};

/// Where a session is.
enum class session_state : std::uint8_t {
    handshake,  ///< the opening handshake runs (timer(): handshake)
    open,       ///< the handshake succeeded: the connection runs (see connection().state())
    done,       ///< no WebSocket: an HTTP response or error response is queued; close TCP once output is written
};

namespace detail {

/// A server session's 101 response while it is written, once the handshake
/// object that built it has made room for the connection: a browser's as
/// the fixed head (static storage) and the accept key with the blank line
/// (held here); any other on the heap (the handshake's own buffer when it
/// had one, else one exact copy). State: 64 bytes.
class server_preface {
public:
    /// Takes over the 101 that `hs` has queued; false if the heap copy it
    /// needs cannot be made.
    [[nodiscard]] bool take(server_handshake& hs) noexcept {
        const std::string_view response(reinterpret_cast<const char*>(hs.output().data()), hs.output().size());
        const std::string_view head = switching_protocols_head;
        sent_ = 0;
        heap_ = hs.take_response_buffer();
        if (heap_.size() != 0) return true;
        // accept() writes the head first; only a plain 101 (no subprotocol,
        // extension or extra header line) is no longer than head + key line.
        if (response.size() <= head.size() + rest_.size()) {
            std::copy(response.begin() + static_cast<std::ptrdiff_t>(head.size()), response.end(), rest_.begin());
            rest_size_ = static_cast<std::uint8_t>(response.size() - head.size());
            return true;
        }
        return heap_.reserve(response.size()) && heap_.append(response);
    }

    /// The unsent bytes, as up to two spans.
    [[nodiscard]] output_buffers output() const noexcept {
        output_buffers out;
        const std::string_view head = heap_.size() != 0 ? heap_.view() : std::string_view(switching_protocols_head);
        const std::size_t head_size = rest_size_ != 0 || heap_.size() != 0 ? head.size() : 0;
        if (sent_ < head_size)
            out.parts[out.count++] = bytes_view(reinterpret_cast<const std::uint8_t*>(head.data()) + sent_, head_size - sent_);
        const std::size_t rest_sent = sent_ > head_size ? sent_ - head_size : 0;
        if (rest_sent < rest_size_) out.parts[out.count++] = bytes_view(rest_.data() + rest_sent, rest_size_ - rest_sent);
        return out;
    }

    /// Bytes not yet written.
    [[nodiscard]] std::size_t pending() const noexcept {
        return (heap_.size() != 0 ? heap_.size() : rest_size_ != 0 ? switching_protocols_head.size() + rest_size_ : 0) -
               sent_;
    }

    /// Marks up to `n` bytes written; returns how many it took. The heap
    /// buffer goes once all of it is written.
    std::size_t consume(std::size_t n) noexcept {
        const std::size_t k = std::min(n, pending());
        sent_ += static_cast<std::uint32_t>(k);
        if (pending() == 0) {
            heap_.release();
            rest_size_ = 0;
            sent_ = 0;
        }
        return k;
    }

private:
    byte_buffer heap_;
    std::uint32_t sent_ = 0;
    std::uint8_t rest_size_ = 0;          // bytes in rest_; 0 when the response is on the heap or written
    std::array<std::uint8_t, 32> rest_;  // a browser's: the 28-byte key and two CRLFs
};

/// Nothing: a client session has no preface.
struct no_preface {};

}  // namespace detail

/// A WebSocket endpoint in role `R` from the first byte: receive() reports
/// the handshake's events (server: request, http_request; client: open;
/// failed), then the connection's. Bytes after the handshake are never lost:
/// the handshake's event consumes only up to its blank line, and the next
/// receive() call hands the rest to the connection.
///
/// Byte ranges: receive() and the send calls also take any contiguous range
/// of bytes that outlives the call, as connection's do (byte_ranges.hpp).
///
/// A server answers event_type::request with accept() (or respond() to turn it
/// down) before calling receive() again; bytes after the request that arrived
/// with it stay unconsumed until then (receive() answers answer_pending,
/// consuming nothing). After a refusal or a failed handshake, input is
/// discarded (event_type::ended).
///
/// The handshake and the connection share one storage: the handshake object
/// (handshake()) lives until the upgrade, the connection (connection()) from
/// then on. A server's 101 moves into the session when accept() builds the
/// connection; a client's response() stays readable until the first call
/// after the open event that needs the connection.
template <role R, class KeySource = std::conditional_t<R == role::client, system_key_source, no_key_source>>
class session : public detail::byte_range_api<session<R, KeySource>> {
    using api = detail::byte_range_api<session>;

public:
    // receive() and the send calls for any contiguous range of bytes (byte_ranges.hpp).
    using api::receive;
    using api::send;
    using api::send_binary;
    using api::send_in_place;
    using api::send_part;
    using api::send_part_in_place;
    using api::send_text;
    using connection_type = wscodec::connection<R, KeySource>;
    using handshake_type = std::conditional_t<R == role::server, server_handshake, client_handshake>;

    /// Server: waits for a request.
    explicit session(const session_options& o = {}) noexcept
        requires(R == role::server)
    {
        std::construct_at(&opening_, o, KeySource{});
    }

    /// Client: queues the request; the key comes from `keys`, which then masks
    /// frames. Invalid options (handshake().failure(): invalid_http_input)
    /// leave the session done with nothing to write.
    /// With session_options::deflate set, the request offers permessage-deflate
    /// (deflate_client) after the request's own extensions (at most
    /// max_offered_extensions of them; with more, or with invalid
    /// deflate_client options, it is not offered and deflate_failure() says why).
    explicit session(const request_options& request, const session_options& o = {}, KeySource keys = KeySource{}) noexcept
        requires(R == role::client)
    {
        std::array<std::string_view, max_offered_extensions + 1> list{};
        std::array<char, deflate_text_capacity> text{};
        request_options r = request;
        bool offered = false;
        if (o.deflate != nullptr) {
            const deflate_text t = write_deflate_offer(client_offer(o.deflate_client, *o.deflate), text);
            if (!t.ok()) deflate_failure_ = t.err;
            else if (request.extensions.size() > max_offered_extensions) deflate_failure_ = deflate_error::buffer_too_small;
            else {
                std::copy(request.extensions.begin(), request.extensions.end(), list.begin());
                list[request.extensions.size()] = t.text;
                r.extensions = std::span<const std::string_view>(list.data(), request.extensions.size() + 1);
                offered = true;
            }
        }
        std::construct_at(&opening_, o, std::move(keys), r);
        if (!offered) opening_.deflate = nullptr;
        if (opening_.hs.state() == client_handshake_state::failed) state_ = session_state::done;
    }

    /// Client: the most extensions of request_options a session adds its permessage-deflate offer to.
    static constexpr std::size_t max_offered_extensions = 15;

    session(const session&) = delete;
    session& operator=(const session&) = delete;
    session(session&& other) noexcept
        : preface_(std::move(other.preface_)),
          state_(other.state_),
          live_(other.live_),
          lingering_(other.lingering_),
          deflate_failure_(other.deflate_failure_) {
        if (live_ == part::connection) std::construct_at(&conn_, std::move(other.conn_));
        else std::construct_at(&opening_, std::move(other.opening_));
    }
    session& operator=(session&& other) noexcept {
        if (this != &other) {
            std::destroy_at(this);
            std::construct_at(this, std::move(other));
        }
        return *this;
    }
    ~session() {
        if (live_ == part::connection) std::destroy_at(&conn_);
        else std::destroy_at(&opening_);
    }

    /// Reads bytes: one event per call and the bytes it consumed, as
    /// connection::receive(). During the handshake the input is only read.
    [[nodiscard]] event receive(mutable_bytes in) noexcept {
        if (state_ == session_state::open) return connection().receive(in);
        event ev;
        if (state_ == session_state::done) {  // bytes after a refusal or a failed handshake are discarded
            ev.consumed = in.size();
            if (!in.empty()) ev.type = event_type::ended;
            return ev;
        }
        if constexpr (R == role::server) {
            if (!in.empty() && (opening_.hs.state() == server_handshake_state::upgrade_request ||
                                opening_.hs.state() == server_handshake_state::http_request)) {
                ev.type = event_type::answer_pending;  // nothing consumed until accept() or respond()
                return ev;
            }
        }
        ev = opening_.hs.receive(in);
        if (ev.type == event_type::failed) {
            state_ = session_state::done;
            lingering_ = true;  // tcp_action::linger: timer() says tcp_close until the peer's EOF
        }
        else if (ev.type == event_type::open) {
            state_ = session_state::open;  // the connection is built on first use
            if constexpr (R == role::client) {
                if (opening_.deflate != nullptr) return agree_deflate(ev);
            }
        }
        return ev;
    }

    // ------------------------------------------------------------ handshake

    /// Server: the request reported by the last event (see http_request for how long its views live).
    [[nodiscard]] const http_request& request() const noexcept
        requires(R == role::server)
    {
        return live_ == part::handshake ? opening_.hs.request() : detail::blank_request;
    }

    /// Server: accepts the upgrade request (101 queued first in output); the connection is open.
    ///
    /// With session_options::deflate set and no extensions in `o`, the
    /// client's permessage-deflate offers are negotiated (negotiate_deflate:
    /// the first one deflate_server can honour) and the answer added to the
    /// 101; an offer whose streams the backend cannot make (no memory) is
    /// declined. deflate_agreed() says whether it was agreed. An application
    /// that writes `o.extensions` itself negotiates (and calls
    /// connection().use_deflate()) itself.
    [[nodiscard]] error accept(const accept_options& o = {}) noexcept
        requires(R == role::server)
    {
        if (live_ != part::handshake) return error::handshake_not_ready;
        accept_options answer = o;
        std::array<char, deflate_text_capacity> text{};
        detail::deflate_lease lease;
        if (opening_.deflate != nullptr && o.extensions.empty()) {
            deflate_server_options so = opening_.deflate_options;
            so.enabled = true;
            so.can_compress_window_8 = opening_.deflate->can_compress_window_8();
            const deflate_negotiation n = negotiate_deflate(opening_.hs.request().extensions(), so, text);
            if (n.err != deflate_error::none) return error::invalid_http_input;  // deflate_server is invalid
            if (n.accepted) {
                lease = detail::deflate_lease(*opening_.deflate, n.params, true);
                if (!lease.empty()) answer.extensions = n.response;
            }
        }
        const error e = opening_.hs.accept(answer);
        if (e != error::none) return e;
        if (!preface_.take(opening_.hs)) {
            state_ = session_state::done;
            opening_.hs.consume(opening_.hs.output().size());  // nothing is written: close TCP
            return error::out_of_memory;
        }
        state_ = session_state::open;
        build_connection();
        if (!lease.empty()) {
            conn_.adopt_deflate(std::move(lease));
        }
        return error::none;
    }

    /// Server: answers the request with an HTTP response (a page, a refusal);
    /// close TCP once it is written.
    [[nodiscard]] error respond(std::uint16_t status, std::span<const http_header> headers = {},
                                std::string_view body = {}) noexcept
        requires(R == role::server)
    {
        if (live_ != part::handshake) return error::handshake_not_ready;
        const error e = opening_.hs.respond(status, headers, body);
        if (e == error::none) state_ = session_state::done;
        return e;
    }

    /// Client: the server's response (a refusal's status, headers and body
    /// included), until the first call after the open event that needs the
    /// connection; an empty response after that.
    [[nodiscard]] const http_response& response() const noexcept
        requires(R == role::client)
    {
        static const http_response none{};
        return live_ == part::handshake ? opening_.hs.response() : none;
    }

    // --------------------------------------------------------------- send
    // As the connection's; error::not_open before the handshake succeeded.

    [[nodiscard]] error send(message_type type, bytes_view payload, compression c = compression::automatic) noexcept {
        return open() ? connection().send(type, payload, c) : error::not_open;
    }
    [[nodiscard]] error send_in_place(message_type type, mutable_bytes payload,
                                      compression c = compression::automatic) noexcept {
        return open() ? connection().send_in_place(type, payload, c) : error::not_open;
    }
    [[nodiscard]] error send_text(std::string_view text) noexcept {
        return open() ? connection().send_text(text) : error::not_open;
    }
    [[nodiscard]] error send_binary(bytes_view payload) noexcept {
        return open() ? connection().send_binary(payload) : error::not_open;
    }
    [[nodiscard]] error begin_message(message_type type, compression c = compression::automatic) noexcept {
        return open() ? connection().begin_message(type, c) : error::not_open;
    }
    [[nodiscard]] error send_part(bytes_view part, bool last) noexcept {
        return open() ? connection().send_part(part, last) : error::not_open;
    }
    [[nodiscard]] error send_part_in_place(mutable_bytes part, bool last) noexcept {
        return open() ? connection().send_part_in_place(part, last) : error::not_open;
    }
    [[nodiscard]] error ping(bytes_view payload = {}) noexcept {
        return open() ? connection().ping(payload) : error::not_open;
    }
    [[nodiscard]] error pong(bytes_view payload = {}) noexcept {
        return open() ? connection().pong(payload) : error::not_open;
    }
    [[nodiscard]] error close(std::uint16_t code = static_cast<std::uint16_t>(close_code::normal),
                              std::string_view reason = {}) noexcept {
        return open() ? connection().close(code, reason) : error::not_open;
    }
    [[nodiscard]] error close(close_code code, std::string_view reason = {}) noexcept {
        return open() ? connection().close(code, reason) : error::not_open;
    }
    // (Queries answer for a connection not built yet as a new one would.)
    [[nodiscard]] bool can_send() const noexcept { return open() && (!built() || conn_.can_send()); }
    [[nodiscard]] bool can_send_part() const noexcept { return open() && built() && conn_.can_send_part(); }

    // -------------------------------------------------------------- output

    /// The next bytes to write: the handshake's request or response first, then the connection's.
    [[nodiscard]] output_buffers output() noexcept {
        if (live_ == part::handshake) {
            output_buffers out;
            out.parts[0] = opening_.hs.output();
            out.count = out.parts[0].empty() ? 0 : 1;
            if (out.count != 0 || state_ != session_state::open) return out;
        }
        if constexpr (R == role::server) {
            if (preface_.pending() != 0) return preface_.output();
        }
        return state_ == session_state::open ? connection().output() : output_buffers{};
    }

    /// Acknowledges `n` bytes of what output() last handed out as written.
    void consume(std::size_t n) noexcept {
        if (live_ == part::handshake && !opening_.hs.output().empty()) {
            opening_.hs.consume(n);
            return;
        }
        if constexpr (R == role::server) {
            if (preface_.pending() != 0) {
                preface_.consume(n);
                return;
            }
        }
        if (state_ == session_state::open) connection().consume(n);
    }

    /// Copies as much output as fits in `dst` (masking a client's payloads),
    /// acknowledges it, and returns the number of bytes written.
    std::size_t copy_output(mutable_bytes dst) noexcept {
        std::size_t k = 0;
        for (output_buffers o = ahead_output(); !o.empty() && k < dst.size(); o = ahead_output()) {
            const std::size_t n = std::min(o.parts[0].size(), dst.size() - k);
            std::copy_n(o.parts[0].begin(), n, dst.begin() + static_cast<std::ptrdiff_t>(k));
            consume(n);
            k += n;
        }
        if (state_ != session_state::open || !ahead_output().empty()) return k;
        return k + connection().copy_output(dst.subspan(k));
    }

    /// Bytes waiting to be written (backpressure: stop reading while this stays high).
    [[nodiscard]] std::uint64_t pending_output() const noexcept {
        std::uint64_t n = live_ == part::handshake ? opening_.hs.output().size() : 0;
        if constexpr (R == role::server) n += preface_.pending();
        return built() ? n + conn_.pending_output() : n;
    }

    /// True if an event is owed without new input (connection::has_pending_event()).
    [[nodiscard]] bool has_pending_event() const noexcept { return built() && conn_.has_pending_event(); }

    // ---------------------------------------------------------------- time

    /// Which timer to run: handshake while the opening handshake runs, then the connection's.
    [[nodiscard]] timer_hint timer() const noexcept {
        if (state_ == session_state::handshake) return timer_hint::handshake;
        if (lingering_) return timer_hint::tcp_close;
        return built() ? conn_.timer() : timer_hint::none;
    }
    /// How long to run it (session_options::handshake_timeout_ms, then the
    /// connection's timer_options); 0 for none.
    [[nodiscard]] std::chrono::milliseconds timer_duration() const noexcept {
        if (state_ == session_state::handshake) return std::chrono::milliseconds(opening_.handshake_timeout_ms);
        if (lingering_) return std::chrono::milliseconds(opening_.options.timers.tcp_close_ms);
        return built() ? conn_.timer_duration() : std::chrono::milliseconds(0);
    }

    /// The timer from timer() expired. During the handshake: a closed event
    /// (handshake_timeout, code 1006, close_now); lingering after a failed
    /// handshake: closed without error, code 0; then as the connection's.
    [[nodiscard]] event receive_timeout() noexcept {
        if (state_ == session_state::open) return connection().receive_timeout();
        if (state_ == session_state::done) {
            if (!std::exchange(lingering_, false)) return event{};
            return ended(error::none);
        }
        state_ = session_state::done;
        return ended(error::handshake_timeout);
    }

    /// The peer closed TCP. Before the handshake finished: a closed event
    /// (connection_lost, 1006); after a refusal: closed without error, code 0.
    [[nodiscard]] event receive_eof() noexcept {
        if (state_ == session_state::open) return connection().receive_eof();
        const bool lost = state_ == session_state::handshake;
        state_ = session_state::done;
        lingering_ = false;
        return ended(lost ? error::connection_lost : error::none);
    }

    // ------------------------------------------------------------- access

    [[nodiscard]] session_state state() const noexcept { return state_; }
    /// The connection, once state() is open.
    [[nodiscard]] connection_type& connection() noexcept {
        if (live_ != part::connection) build_connection();
        return conn_;
    }
    [[nodiscard]] const connection_type& connection() const noexcept {
        // A session defined const never reaches the open state, so this
        // object is not const where the connection is still to be built.
        return const_cast<session*>(this)->connection();
    }
    /// True if permessage-deflate was agreed: by accept() (server) or at the
    /// open event (client). Messages are then inflated and compressed by the
    /// connection; the application sees and sends plain bytes.
    [[nodiscard]] bool deflate_agreed() const noexcept {
        return built() ? conn_.deflating() : live_ == part::handshake && !opening_.lease.empty();
    }
    /// The agreed parameters, if deflate_agreed() (else the defaults).
    [[nodiscard]] deflate_params deflate_parameters() const noexcept {
        if (built()) return conn_.deflate_parameters();
        return opening_.lease.empty() ? deflate_params{} : opening_.lease.get()->params;
    }
    /// Client: why permessage-deflate was not offered (invalid_options,
    /// buffer_too_small: too many extensions) or why the server's answer was
    /// refused (the failed event's handshake_bad_deflate); none otherwise.
    [[nodiscard]] deflate_error deflate_failure() const noexcept { return deflate_failure_; }

    /// The handshake, until state() is open.
    [[nodiscard]] handshake_type& handshake() noexcept { return opening_.hs; }
    [[nodiscard]] const handshake_type& handshake() const noexcept { return opening_.hs; }

private:
    enum class part : std::uint8_t { handshake, connection };

    /// The handshake and what the connection is built from. A client's key
    /// source comes first: the handshake draws its nonce from it.
    struct opening_part {
        [[no_unique_address]] KeySource keys;
        connection_options options;
        std::uint32_t handshake_timeout_ms;
        deflate_backend* deflate;  // null: permessage-deflate not offered (client) or not accepted (server)
        std::conditional_t<R == role::server, deflate_server_options, deflate_client_options> deflate_options;
        detail::deflate_lease lease;  // client: the streams for the agreed permessage-deflate
        handshake_type hs;

        opening_part(const session_options& o, KeySource k) noexcept
            requires(R == role::server)
            : keys(std::move(k)),
              options(o.connection),
              handshake_timeout_ms(o.handshake_timeout_ms),
              deflate(o.deflate),
              deflate_options(o.deflate_server),
              hs(o.handshake) {}
        opening_part(const session_options& o, KeySource k, const request_options& request) noexcept
            requires(R == role::client)
            : keys(std::move(k)),
              options(o.connection),
              handshake_timeout_ms(o.handshake_timeout_ms),
              deflate(o.deflate),
              deflate_options(o.deflate_client),
              hs(request, draw_nonce(keys), o.handshake) {}
        opening_part(opening_part&&) noexcept = default;
    };

    /// The client's offer as deflate_client asks, for what `backend` can do.
    [[nodiscard]] static deflate_client_options client_offer(deflate_client_options c, const deflate_backend& backend) noexcept {
        c.enabled = true;
        c.can_compress_window_8 = backend.can_compress_window_8();
        return c;
    }

    /// Client, at the open event: checks the server's permessage-deflate
    /// answer (§7.1) and acquires the streams for what was agreed; a bad
    /// answer or no memory turns the event into the handshake's failure.
    [[nodiscard]] event agree_deflate(event ev) noexcept
        requires(R == role::client)
    {
        const deflate_agreement a =
            accept_deflate_response(opening_.hs.response().extensions(), client_offer(opening_.deflate_options, *opening_.deflate));
        error e = error::none;
        if (!a.ok()) {
            deflate_failure_ = a.err;
            e = error::handshake_bad_deflate;
        } else if (a.agreed) {
            opening_.lease = detail::deflate_lease(*opening_.deflate, a.params, false);
            if (opening_.lease.empty()) e = error::out_of_memory;
        }
        if (e == error::none) return ev;
        state_ = session_state::done;
        lingering_ = true;
        return detail::handshake_failure(e, opening_.hs.response().status, ev.consumed, 0);
    }

    [[nodiscard]] bool open() const noexcept { return state_ == session_state::open; }
    [[nodiscard]] bool built() const noexcept { return live_ == part::connection; }

    /// Output that goes before the connection's: the handshake's, the 101.
    [[nodiscard]] output_buffers ahead_output() noexcept {
        output_buffers out;
        if (live_ == part::handshake && !opening_.hs.output().empty()) {
            out.parts[0] = opening_.hs.output();
            out.count = 1;
            return out;
        }
        if constexpr (R == role::server) return preface_.output();
        return out;
    }

    /// Replaces the handshake with the connection in the shared storage.
    void build_connection() noexcept {
        const connection_options o = opening_.options;
        KeySource keys = std::move(opening_.keys);
        detail::deflate_lease lease = std::move(opening_.lease);
        std::destroy_at(&opening_);
        std::construct_at(&conn_, o, std::move(keys));
        live_ = part::connection;
        if (!lease.empty()) conn_.adopt_deflate(std::move(lease));
    }

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

    union {
        opening_part opening_;
        connection_type conn_;
    };
    [[no_unique_address]] std::conditional_t<R == role::server, detail::server_preface, detail::no_preface> preface_;
    session_state state_ = session_state::handshake;
    part live_ = part::handshake;
    bool lingering_ = false;  // a failed handshake: timer() says tcp_close until EOF or its expiry
    deflate_error deflate_failure_ = deflate_error::none;
};

using server_session = session<role::server>;
using client_session = session<role::client>;

}  // namespace wscodec
