// SPDX-License-Identifier: MIT
// wscodec/libuv.hpp — optional, links libuv: a session of either role on a
// uv_tcp_t (uv::websocket: reads, writes through the send queue, timers from
// the session's hints, the TCP ending the session asks for) and a listener
// that accepts server connections (uv::listener). Whole messages in, copies
// out.
//
// Not in the umbrella wscodec.hpp and not part of the sans-I/O core: it
// allocates (the connection object, its read and write buffers, a buffer for
// messages that arrive in pieces, the send queue's copies) and calls libuv.
// One loop thread: every call on a websocket or listener is made on the
// thread that runs its loop. Works with -fno-exceptions -fno-rtti.
#pragma once

#include <uv.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <new>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <wscodec/send_queue.hpp>
#include <wscodec/session.hpp>

namespace wscodec::uv {

/// How a websocket runs: the session's options, the send queue's bounds, and
/// the adapter's buffers.
struct options {
    /// Limits, timers (keepalive, idle, close), permessage-deflate (set `deflate`).
    session_options session{};
    /// The owned copies of messages to send. Reading pauses while more than
    /// high_water bytes wait (backpressure), so an echo holds at most
    /// high_water plus one message: max_bytes is twice the default 16 MiB
    /// message limit so that such an echo always fits.
    send_queue_options queue{.max_bytes = std::size_t{32} << 20, .high_water = std::size_t{1} << 20};
    /// Bytes read per read callback; the session unmasks them in place. 64 KiB.
    std::size_t read_buffer_size = std::size_t{64} << 10;
    /// Pending frames (and parts of frames) of at most copy_limit bytes are
    /// copied into this buffer, so that one uv_write carries many; a larger
    /// payload is written where it lies, as the write's last uv_buf_t. 64 KiB.
    std::size_t write_buffer_size = std::size_t{64} << 10;
    /// The largest part copied (at most write_buffer_size). 4 KiB.
    std::size_t copy_limit = std::size_t{4} << 10;
    /// Once TCP is to be closed (tcp_action::close_now, or a respond()) with
    /// bytes still unwritten: how long they may take before TCP closes anyway. 5 s.
    std::uint32_t flush_timeout_ms = 5000;
};

/// How a websocket ended; on_close receives it once, just before the object is freed.
struct close_report {
    /// none: the close handshake completed (or a refusal was written and the
    /// peer closed TCP). Otherwise the first error of the session's failed or
    /// closed events (error.hpp: error_name(), error_message(), kind_of()):
    /// the peer's protocol violation (reserved_opcode, invalid_utf8, ...), a
    /// limit (message_too_big), a bad handshake, a timeout (handshake_timeout,
    /// close_timeout, keepalive_timeout, idle_timeout), connection_lost (TCP
    /// ended or failed without a close handshake, or abort()), out_of_memory.
    error err = error::none;
    /// The close code: the peer's (1005 if its close had none), the one we
    /// sent on a failure, or 1006 when no close frame came; 0 if the opening
    /// handshake never finished.
    std::uint16_t code = 0;
    /// The peer's close reason, if its close frame came.
    std::string reason;
    /// The libuv error that ended TCP (UV_ECONNRESET, UV_EPIPE, UV_ECONNREFUSED,
    /// ...: uv_strerror()), or 0.
    int uv_status = 0;

    /// True if the connection ended as the protocol says it should.
    [[nodiscard]] bool clean() const noexcept { return err == error::none && uv_status == 0; }
};

template <role R>
class websocket;

/// What a websocket tells the application; every handler is optional. Each
/// runs on the loop thread and may call the websocket it gets (send, close,
/// ping, abort, and on_request's accept or respond).
template <role R>
struct handlers {
    /// Server: an upgrade request (ws.session().request(): target, headers,
    /// offered subprotocols and extensions). Answer with ws.accept(options)
    /// (permessage-deflate is agreed there when options::session.deflate is
    /// set) or ws.respond(status, ...); unanswered, it is accepted as it is.
    std::function<void(websocket<R>&, const http_request&)> on_request;
    /// Server: a plain HTTP request (no Upgrade: websocket): respond();
    /// unanswered, it gets 426 Upgrade Required. TCP closes once the response is written.
    std::function<void(websocket<R>&, const http_request&)> on_http_request;
    /// The WebSocket is open (server: accepted; client: the 101 checked).
    std::function<void(websocket<R>&)> on_open;
    /// A whole message. It views the read buffer, the inflate buffer or the
    /// message buffer, valid only during the call: send() copies it. A message
    /// that comes in several frames (or several reads, or inflated in pieces)
    /// is collected into the message buffer first (up to the session's
    /// max_message_size; control frames between its fragments are handled
    /// as they come), and delivered once, when its last piece is in; a
    /// message cut short by a failure or a close is never delivered.
    std::function<void(websocket<R>&, message_type, bytes_view)> on_message;
    /// A ping (the pong is already queued, with auto_pong) and a pong, with their payloads.
    std::function<void(websocket<R>&, bytes_view)> on_ping;
    std::function<void(websocket<R>&, bytes_view)> on_pong;
    /// The end: both handles are closed; the websocket is freed when this returns.
    std::function<void(websocket<R>&, const close_report&)> on_close;
};

class listener;

/// A wscodec session (role R) on its own uv_tcp_t, with a uv_timer_t for the
/// session's timers, a send queue (send_queue.hpp) and the buffers. Created by
/// websocket::connect() (client), websocket::accept() or a listener (server);
/// it frees itself after on_close. Reading: the read callback's bytes go to
/// session::receive() until it answers need_more; reading pauses while the
/// send queue is above high water (the rest of the input waits in the read
/// buffer), and resumes when it drains. Writing: one uv_write at a time, of
/// the pending frames (the small ones copied, a large payload in place).
/// Timers: the session's hint (handshake, keepalive, pong wait, idle, close
/// handshake, TCP close) runs on the uv_timer_t; on expiry,
/// session::receive_timeout(). TCP: close_now closes it once the output is
/// written (or flush_timeout_ms passed); linger shuts down sending once the
/// output is written and reads on until the peer's EOF or the tcp_close timer.
template <role R>
class websocket {
public:
    using session_type = wscodec::session<R>;

    /// Server: accepts the connection waiting on `server` (call it from the
    /// uv_listen callback) and waits for its upgrade request. Null if it
    /// could not (`*status`: the libuv error, UV_ENOMEM for memory; the
    /// accepted TCP connection is then closed, on_close is not called).
    [[nodiscard]] static websocket* accept(uv_stream_t* server, const options& o, handlers<R> h, int* status = nullptr)
        requires(R == role::server)
    {
        auto* w = new (std::nothrow) websocket(server->loop, o, std::move(h));
        if (w == nullptr) return refuse(status, UV_ENOMEM);
        int rc = uv_accept(server, w->stream());
        if (rc == 0 && !w->buffers_ready()) rc = UV_ENOMEM;
        if (rc != 0) {
            w->silent_ = true;
            w->finish();
            return refuse(status, rc);
        }
        w->connected_ = true;
        (void)uv_tcp_nodelay(&w->tcp_, 1);
        w->pump();  // reads, and arms the opening handshake's timer
        return w;
    }

    /// Client: connects to `address` and runs the opening handshake with
    /// `request` (host, target, subprotocols; its views need not outlive the
    /// call). Null if it could not start (`*status`: UV_EINVAL for request
    /// options the session refused, or the libuv error); a refused or failed
    /// connection is reported later, through on_close.
    [[nodiscard]] static websocket* connect(uv_loop_t* loop, const sockaddr* address, const request_options& request,
                                            const options& o, handlers<R> h, int* status = nullptr)
        requires(R == role::client)
    {
        auto* w = new (std::nothrow) websocket(loop, o, std::move(h), request);
        if (w == nullptr) return refuse(status, UV_ENOMEM);
        int rc = w->buffers_ready() ? 0 : UV_ENOMEM;
        if (rc == 0 && w->ws_.state() == session_state::done) rc = UV_EINVAL;
        if (rc == 0) rc = uv_tcp_connect(&w->connect_req_, &w->tcp_, address, on_connect);
        if (rc != 0) {
            w->silent_ = true;
            w->finish();
            return refuse(status, rc);
        }
        w->pump();  // arms the opening handshake's timer, which covers the connect too
        return w;
    }

    websocket(const websocket&) = delete;
    websocket& operator=(const websocket&) = delete;

    // -------------------------------------------------------------- sending

    /// Copies `payload` into the send queue as one message (written as soon as
    /// the frames before it are). not_open (not open, closing or ended),
    /// send_queue_full, text_not_utf8, out_of_memory; nothing is queued then.
    [[nodiscard]] error send(message_type type, bytes_view payload) noexcept {
        if (finishing_ || close_pending_) return error::not_open;
        const error e = queue_.send(ws_, type, payload);
        kick();
        return e;
    }
    [[nodiscard]] error send_text(std::string_view text) noexcept {
        return send(message_type::text, bytes_view(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
    }
    [[nodiscard]] error send_binary(bytes_view payload) noexcept { return send(message_type::binary, payload); }

    /// Queues a ping (at most 125 bytes); its pong comes to on_pong.
    [[nodiscard]] error ping(bytes_view payload = {}) noexcept {
        if (finishing_) return error::not_open;
        const error e = ws_.ping(payload);
        kick();
        return e;
    }

    /// Starts the close handshake with `code` and a UTF-8 `reason` (at most
    /// 123 bytes) once every message queued before it is written (but after
    /// at most the session's timers.close_ms: the messages still waiting then
    /// are dropped); TCP closes when the handshake is done, or after the
    /// session's close timeout. After the peer's close (before its echo is
    /// written) it answers with this code and reason. not_open before the
    /// WebSocket is open (abort() then) or once closing; unsendable_close_code,
    /// close_reason_too_long, close_reason_not_utf8.
    [[nodiscard]] error close(std::uint16_t code = static_cast<std::uint16_t>(close_code::normal),
                              std::string_view reason = {}) noexcept {
        if (finishing_ || close_pending_) return error::not_open;
        if (queue_.empty()) {
            const error e = ws_.close(code, reason);
            kick();
            return e;
        }
        if (ws_.state() != session_state::open || ws_.connection().state() != connection_state::open)
            return error::not_open;
        const close_build b = build_close_payload(code, reason, close_body_);
        if (b.err != error::none) return b.err;
        close_pending_ = true;
        close_code_ = code;
        close_size_ = b.size;
        kick();
        return error::none;
    }
    [[nodiscard]] error close(close_code code, std::string_view reason = {}) noexcept {
        return close(static_cast<std::uint16_t>(code), reason);
    }

    /// Ends TCP at once, without a close frame (on_close: connection_lost
    /// and 1006 unless the connection had ended already).
    void abort() noexcept {
        if (finishing_) return;
        if (!ended_) {
            note_end(error::connection_lost, static_cast<std::uint16_t>(close_code::abnormal));
        }
        finish();
    }

    // ------------------------------------------------- server: the answer

    /// Server, in on_request: accepts the upgrade (session::accept).
    [[nodiscard]] error accept(const accept_options& o = {}) noexcept
        requires(R == role::server)
    {
        const error e = ws_.accept(o);
        if (e == error::none) answered_ = true;
        kick();
        return e;
    }

    /// Server, in on_request or on_http_request: answers with an HTTP
    /// response (a page, a refusal); TCP closes once it is written.
    [[nodiscard]] error respond(std::uint16_t status, std::span<const http_header> headers = {},
                                std::string_view body = {}) noexcept
        requires(R == role::server)
    {
        const error e = ws_.respond(status, headers, body);
        if (e == error::none) {
            answered_ = true;
            ending_ = true;
        }
        kick();
        return e;
    }

    // -------------------------------------------------------------- access

    /// The session: request() in on_request, deflate_agreed(), state(), ...
    /// Send through this websocket, not the session, so that writes happen.
    [[nodiscard]] session_type& session() noexcept { return ws_; }
    [[nodiscard]] const session_type& session() const noexcept { return ws_; }
    /// The send queue: queued_bytes(), above_high_water().
    [[nodiscard]] const send_queue<session_type>& queue() const noexcept { return queue_; }
    /// True while the TCP socket is being read (false: paused by
    /// backpressure, ended, or not connected yet).
    [[nodiscard]] bool reading() const noexcept { return reading_; }
    /// uv_write calls made so far (each carries every pending frame that fits).
    [[nodiscard]] std::uint64_t writes() const noexcept { return writes_; }
    /// The TCP handle (uv_tcp_getpeername, ...): do not read, write or close it.
    [[nodiscard]] uv_tcp_t* tcp() noexcept { return &tcp_; }
    /// A pointer for the application; the websocket never uses it.
    void set_user_data(void* p) noexcept { user_data_ = p; }
    [[nodiscard]] void* user_data() const noexcept { return user_data_; }

private:
    friend class listener;

    /// The most bytes in one uv_buf_t (it holds an unsigned int length).
    static constexpr std::size_t max_buf = std::size_t{1} << 30;
    /// A message buffer above this is freed once its message is delivered.
    static constexpr std::size_t kept_message_buffer = std::size_t{1} << 20;

    websocket(uv_loop_t* loop, const options& o, handlers<R> h)
        requires(R == role::server)
        : ws_(o.session), queue_(o.queue), handlers_(std::move(h)), options_(o) {
        init(loop);
    }
    websocket(uv_loop_t* loop, const options& o, handlers<R> h, const request_options& request)
        requires(R == role::client)
        : ws_(request, o.session), queue_(o.queue), handlers_(std::move(h)), options_(o) {
        init(loop);
    }
    ~websocket() = default;

    void init(uv_loop_t* loop) noexcept {
        options_.copy_limit = std::min(options_.copy_limit, options_.write_buffer_size);
        read_.reset(new (std::nothrow) std::uint8_t[options_.read_buffer_size]);
        if (options_.write_buffer_size != 0) write_.reset(new (std::nothrow) std::uint8_t[options_.write_buffer_size]);
        (void)uv_tcp_init(loop, &tcp_);  // cannot fail for AF_UNSPEC: no socket is made yet
        (void)uv_timer_init(loop, &timer_);
        tcp_.data = this;
        timer_.data = this;
    }

    [[nodiscard]] bool buffers_ready() const noexcept {
        return read_ != nullptr && options_.read_buffer_size != 0 && (write_ != nullptr || options_.write_buffer_size == 0);
    }

    [[nodiscard]] static websocket* refuse(int* status, int rc) noexcept {
        if (status != nullptr) *status = rc;
        return nullptr;
    }

    [[nodiscard]] uv_stream_t* stream() noexcept { return reinterpret_cast<uv_stream_t*>(&tcp_); }
    [[nodiscard]] static websocket& of(uv_handle_t* h) noexcept { return *static_cast<websocket*>(h->data); }
    [[nodiscard]] static websocket& of(uv_stream_t* s) noexcept { return *static_cast<websocket*>(s->data); }

    // ------------------------------------------------------------- the loop

    /// After a public call: the work it made (unless a pump is running: it does it).
    void kick() noexcept {
        if (!in_pump_) pump();
    }

    /// Receives what the input holds, writes, then settles TCP, reading and the timer.
    void pump() noexcept {
        if (finishing_ || in_pump_) return;
        in_pump_ = true;
        receive_input();
        if (close_pending_ && queue_.empty()) send_pending_close();
        flush();
        in_pump_ = false;
        if (finishing_) return;
        if (!writing_) {
            if (ending_) {
                finish();
                return;
            }
            // Failed: our last bytes are written; FIN, and read on so that
            // unread input does not turn the close into a reset.
            if (lingering_ && connected_ && !shut_) shut_down();
        }
        sync_reading();
        sync_timer();
    }

    /// session::receive() until need_more, one event at a time, unless the
    /// send queue is above high water (the input then waits).
    void receive_input() noexcept {
        while (!finishing_ && !queue_.above_high_water() && (begin_ != end_ || ws_.has_pending_event())) {
            const event ev = ws_.receive(mutable_bytes(read_.get() + begin_, end_ - begin_));
            begin_ += ev.consumed;
            if (begin_ == end_) begin_ = end_ = 0;
            if (ev.type == event_type::need_more) break;
            if (ev.type == event_type::answer_pending) {  // every request is answered in on_event: not expected
                abort();
                break;
            }
            on_event(ev);
        }
    }

    /// Reacts to one event of the session.
    void on_event(const event& ev) noexcept {
        switch (ev.type) {
            case event_type::request:
            case event_type::http_request:
                if constexpr (R == role::server) answer(ev.type);
                break;
            case event_type::open:
                if (handlers_.on_open) handlers_.on_open(*this);
                break;
            case event_type::data:
                on_data(ev);
                break;
            case event_type::ping:
                if (handlers_.on_ping) handlers_.on_ping(*this, ev.payload);
                break;
            case event_type::pong:
                if (handlers_.on_pong) handlers_.on_pong(*this, ev.payload);
                break;
            case event_type::close:
                if (report_.code == 0) report_.code = ev.code;
                report_.reason.assign(reinterpret_cast<const char*>(ev.payload.data()), ev.payload.size());
                break;
            case event_type::failed:
                message_size_ = 0;
                note_end(ev.err, ev.code);
                break;
            case event_type::closed:
                note_end(ev.err, ev.code);
                ended_ = true;
                break;
            default:  // need_more, ended (bytes after the end, discarded)
                break;
        }
        if (ev.action == tcp_action::close_now) ending_ = true;
        else if (ev.action == tcp_action::linger) lingering_ = true;
    }

    /// Keeps the first error and the first close code.
    void note_end(error e, std::uint16_t code) noexcept {
        if (report_.err == error::none) report_.err = e;
        if (report_.code == 0) report_.code = code;
    }

    /// Server: on_request or on_http_request, then the default answer if none was given.
    void answer(event_type type) noexcept
        requires(R == role::server)
    {
        answered_ = false;
        const auto& handler = type == event_type::request ? handlers_.on_request : handlers_.on_http_request;
        if (handler) handler(*this, ws_.request());
        if (finishing_) return;
        if (!answered_) {
            error e = error::none;
            if (type == event_type::request) {
                e = accept();
            } else {
                static constexpr http_header upgrade[] = {{"Upgrade", "websocket"}};
                e = respond(426, upgrade, "This is a WebSocket endpoint.\n");
            }
            if (e != error::none) {
                note_end(e, 0);
                abort();
                return;
            }
        }
        if (ws_.state() == session_state::open && handlers_.on_open) handlers_.on_open(*this);
    }

    /// A data event: delivered at once when it is a whole message, else collected.
    void on_data(const event& ev) noexcept {
        if (ev.first && ev.last) {
            deliver(ev.message, ev.payload);
            return;
        }
        if (ev.first) {
            message_size_ = 0;
            message_type_ = ev.message;
            message_dropped_ = false;
        }
        if (message_dropped_) return;
        if (!append(ev.payload)) {
            message_dropped_ = true;
            note_end(error::out_of_memory, static_cast<std::uint16_t>(close_code::internal_error));
            (void)ws_.close(close_code::internal_error);
            return;
        }
        if (!ev.last) return;
        deliver(message_type_, bytes_view(message_.get(), message_size_));
        message_size_ = 0;
        if (message_capacity_ > kept_message_buffer) {
            message_.reset();
            message_capacity_ = 0;
        }
    }

    void deliver(message_type type, bytes_view payload) noexcept {
        if (handlers_.on_message) handlers_.on_message(*this, type, payload);
    }

    /// Adds a piece to the message buffer, growing it (up to max_message_size
    /// when that is enough); false if the memory cannot be had.
    [[nodiscard]] bool append(bytes_view piece) noexcept {
        if (piece.empty()) return true;
        const std::size_t needed = message_size_ + piece.size();
        if (needed > message_capacity_) {
            const auto limit = options_.session.connection.limits.max_message_size;
            std::size_t cap = std::max({needed, message_capacity_ * 2, std::size_t{4096}});
            if (limit >= needed && cap > limit) cap = static_cast<std::size_t>(limit);
            std::unique_ptr<std::uint8_t[]> grown(new (std::nothrow) std::uint8_t[cap]);
            if (grown == nullptr) return false;
            if (message_size_ != 0) std::memcpy(grown.get(), message_.get(), message_size_);
            message_ = std::move(grown);
            message_capacity_ = cap;
        }
        std::memcpy(message_.get() + message_size_, piece.data(), piece.size());
        message_size_ = needed;
        return true;
    }

    /// Starts one uv_write of the pending output, unless one runs: every
    /// part of at most copy_limit bytes that fits is copied into the write
    /// buffer and acknowledged at once (headers, control frames, small
    /// payloads: many frames per write); the first larger part ends the
    /// write as its last uv_buf_t, written where it lies and acknowledged
    /// when the write completes.
    void flush() noexcept {
        if (writing_ || shut_ || finishing_ || !connected_) return;
        std::size_t staged = 0;
        held_ = 0;
        const std::uint8_t* held = nullptr;
        for (;;) {
            const output_buffers out = queue_.output(ws_);
            if (out.empty()) break;
            const bytes_view part = out.parts[0];
            if (part.size() > options_.copy_limit) {
                held = part.data();
                held_ = std::min(part.size(), max_buf);
                break;
            }
            if (part.size() > options_.write_buffer_size - staged) break;  // full: the rest goes next
            std::memcpy(write_.get() + staged, part.data(), part.size());
            staged += part.size();
            queue_.consume(ws_, part.size());
        }
        unsigned count = 0;
        if (staged != 0) bufs_[count++] = uv_buf_init(reinterpret_cast<char*>(write_.get()), static_cast<unsigned>(staged));
        if (held_ != 0)
            bufs_[count++] = uv_buf_init(const_cast<char*>(reinterpret_cast<const char*>(held)), static_cast<unsigned>(held_));
        if (count == 0) return;
        const int rc = uv_write(&write_req_, stream(), bufs_, count, on_written);
        if (rc != 0) {
            held_ = 0;
            lost(rc);
            return;
        }
        writing_ = true;
        ++writes_;
    }

    /// Reads while the input is used up, nothing is owed, and the send queue
    /// is below high water; else stops reading.
    void sync_reading() noexcept {
        const bool want = connected_ && !finishing_ && !eof_ && !ending_ && begin_ == end_ && !ws_.has_pending_event() &&
                          !queue_.above_high_water();
        if (want == reading_) return;
        if (want) {
            const int rc = uv_read_start(stream(), on_alloc, on_read);
            if (rc != 0) {
                lost(rc);
                return;
            }
        } else {
            (void)uv_read_stop(stream());
        }
        reading_ = want;
    }

    /// Runs the timer the session names, re-armed only when the name
    /// changes (the session reads no clock: it checks silence on expiry);
    /// once TCP is to close, the flush deadline instead.
    void sync_timer() noexcept {
        if (finishing_) return;
        if (ending_) {
            if (!flush_deadline_) {
                flush_deadline_ = true;
                (void)uv_timer_start(&timer_, on_timer, options_.flush_timeout_ms, 0);
            }
            return;
        }
        if (close_pending_) {
            if (!close_wait_) {
                close_wait_ = true;
                armed_ = timer_hint::none;
                (void)uv_timer_start(&timer_, on_timer, options_.session.connection.timers.close_ms, 0);
            }
            return;
        }
        const timer_hint h = ws_.timer();
        if (h == armed_) return;
        armed_ = h;
        if (h == timer_hint::none) (void)uv_timer_stop(&timer_);
        else (void)uv_timer_start(&timer_, on_timer, static_cast<std::uint64_t>(ws_.timer_duration().count()), 0);
    }

    /// close() once the queue is empty, or when its wait ran out (the session drops what still waits).
    void send_pending_close() noexcept {
        close_pending_ = false;
        if (std::exchange(close_wait_, false)) (void)uv_timer_stop(&timer_);  // sync_timer() arms the session's next
        const auto reason = std::string_view(reinterpret_cast<const char*>(close_body_.data()), close_size_).substr(
            std::min<std::size_t>(close_size_, 2));
        (void)ws_.close(close_code_, reason);  // not_open: the peer's close came first, and was echoed
    }

    void shut_down() noexcept {
        shut_ = true;
        // An error (the peer reset TCP) shows up as a read error next.
        (void)uv_shutdown(&shutdown_req_, stream(), on_shutdown);
    }

    /// TCP failed (or could not start): the session hears of the end, and the handles close.
    void lost(int status) noexcept {
        if (report_.uv_status == 0) report_.uv_status = status;
        if (!ended_) on_event(ws_.receive_eof());
        if (report_.err == error::none && !ended_) report_.err = error::connection_lost;
        finish();
    }

    /// Closes both handles; on_close and the free come in the last close callback.
    void finish() noexcept {
        if (finishing_) return;
        finishing_ = true;
        if (reading_) (void)uv_read_stop(stream());
        reading_ = false;
        (void)uv_timer_stop(&timer_);
        uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), on_handle_closed);
        uv_close(reinterpret_cast<uv_handle_t*>(&timer_), on_handle_closed);
    }

    // ------------------------------------------------------- libuv callbacks

    static void on_alloc(uv_handle_t* h, std::size_t, uv_buf_t* buf) noexcept {
        websocket& self = of(h);
        if (self.begin_ == self.end_) self.begin_ = self.end_ = 0;
        const std::size_t room = std::min(self.options_.read_buffer_size - self.end_, max_buf);
        *buf = uv_buf_init(reinterpret_cast<char*>(self.read_.get() + self.end_), static_cast<unsigned>(room));
    }

    static void on_read(uv_stream_t* s, ssize_t n, const uv_buf_t*) noexcept {
        websocket& self = of(s);
        if (self.finishing_) return;
        if (n > 0) {
            self.end_ += static_cast<std::size_t>(n);
            self.pump();
        } else if (n == UV_EOF) {
            self.eof_ = true;
            if (!self.ended_) self.on_event(self.ws_.receive_eof());
            else self.ending_ = true;
            self.pump();
        } else if (n == UV_ENOBUFS) {
            self.pump();  // the input is not used up yet: sync_reading() stops reading
        } else if (n < 0) {
            self.lost(static_cast<int>(n));
        }
    }

    static void on_written(uv_write_t* req, int status) noexcept {
        websocket& self = of(req->handle);
        self.writing_ = false;
        if (self.finishing_) return;  // cancelled by finish()
        if (status < 0) {
            self.lost(status);
            return;
        }
        if (self.held_ != 0) {
            self.queue_.consume(self.ws_, self.held_);
            self.held_ = 0;
        }
        self.pump();
    }

    static void on_shutdown(uv_shutdown_t*, int) noexcept {}

    static void on_connect(uv_connect_t* req, int status) noexcept {
        websocket& self = of(req->handle);
        if (self.finishing_) return;
        if (status < 0) {
            self.lost(status);
            return;
        }
        self.connected_ = true;
        (void)uv_tcp_nodelay(&self.tcp_, 1);
        self.pump();  // writes the request
    }

    static void on_timer(uv_timer_t* t) noexcept {
        websocket& self = of(reinterpret_cast<uv_handle_t*>(t));
        if (self.finishing_) return;
        if (self.flush_deadline_) {  // the peer did not take our last bytes in time
            self.finish();
            return;
        }
        if (std::exchange(self.close_wait_, false)) {  // the queue did not drain in time: close now
            if (self.close_pending_) self.send_pending_close();
            self.pump();
            return;
        }
        self.armed_ = timer_hint::none;  // re-armed by pump() from what the session names next
        self.on_event(self.ws_.receive_timeout());
        self.pump();
    }

    static void on_handle_closed(uv_handle_t* h) noexcept {
        websocket& self = of(h);
        if (++self.closed_handles_ < 2) return;
        if (self.detach_ != nullptr) self.detach_(self.owner_, self);
        if (!self.silent_ && self.handlers_.on_close) self.handlers_.on_close(self, self.report_);
        delete &self;
    }

    // ----------------------------------------------------------------- state

    uv_tcp_t tcp_{};
    uv_timer_t timer_{};
    uv_write_t write_req_{};
    uv_shutdown_t shutdown_req_{};
    uv_connect_t connect_req_{};
    uv_buf_t bufs_[2]{};
    session_type ws_;
    send_queue<session_type> queue_;
    handlers<R> handlers_;
    options options_;
    close_report report_;
    std::unique_ptr<std::uint8_t[]> read_;   // [begin_, end_): input not yet received
    std::unique_ptr<std::uint8_t[]> write_;  // the copied part of the write in flight
    std::unique_ptr<std::uint8_t[]> message_;  // a message that arrives in pieces
    std::array<std::uint8_t, max_control_payload> close_body_{};  // a close() waiting for the queue
    std::size_t close_size_ = 0;
    std::size_t begin_ = 0;
    std::size_t end_ = 0;
    std::size_t held_ = 0;  // bytes of the write in flight written in place, acknowledged on completion
    std::size_t message_size_ = 0;
    std::size_t message_capacity_ = 0;
    std::uint64_t writes_ = 0;
    void* user_data_ = nullptr;
    void* owner_ = nullptr;                           // the listener that accepted it
    void (*detach_)(void*, websocket&) = nullptr;     // tells the listener it is gone
    websocket* prev_ = nullptr;                       // the listener's list
    websocket* next_ = nullptr;
    int closed_handles_ = 0;
    std::uint16_t close_code_ = 0;
    timer_hint armed_ = timer_hint::none;
    message_type message_type_ = message_type::binary;
    bool connected_ = false;  // TCP is up (accepted, or the connect completed)
    bool reading_ = false;
    bool writing_ = false;
    bool eof_ = false;
    bool ending_ = false;     // close TCP once the output is written
    bool lingering_ = false;  // failed: shut down sending once written, read to EOF
    bool shut_ = false;
    bool flush_deadline_ = false;
    bool finishing_ = false;  // the handles are closing
    bool ended_ = false;      // the session reported closed
    bool in_pump_ = false;
    bool answered_ = false;
    bool close_pending_ = false;  // close() waits for the queue to drain
    bool close_wait_ = false;     // the timer runs for that wait
    bool message_dropped_ = false;
    bool silent_ = false;  // never handed to the application: no on_close
};

using server = websocket<role::server>;
using client = websocket<role::client>;

/// A listening TCP socket whose connections become server websockets, all
/// with the same options and handlers. Keep it in place (it is not movable)
/// until stop() was called and the loop has run on (uv_run returns once
/// every handle is closed); a websocket that outlives it is forgotten by it.
class listener {
public:
    /// Connections accepted later run with `o` and `h`; the deflate backend
    /// in `o.session` must outlive them.
    explicit listener(uv_loop_t* loop, const options& o = {}, handlers<role::server> h = {})
        : loop_(loop), options_(o), handlers_(std::move(h)) {}
    listener(const listener&) = delete;
    listener& operator=(const listener&) = delete;
    ~listener() {
        for (server* w = head_; w != nullptr; w = w->next_) {
            w->owner_ = nullptr;
            w->detach_ = nullptr;
        }
    }

    /// Binds `host` (a numeric IPv4 or IPv6 address) and `port` (0: the
    /// system picks one, see port()) and listens; 0 or the libuv error.
    [[nodiscard]] int listen(const char* host, std::uint16_t port, int backlog = 511) noexcept {
        if (open_) return UV_EALREADY;
        sockaddr_storage address{};
        int rc = uv_ip4_addr(host, port, reinterpret_cast<sockaddr_in*>(&address));
        if (rc != 0) rc = uv_ip6_addr(host, port, reinterpret_cast<sockaddr_in6*>(&address));
        if (rc != 0) return rc;
        rc = uv_tcp_init(loop_, &handle_);
        if (rc != 0) return rc;
        open_ = true;
        handle_.data = this;
        rc = uv_tcp_bind(&handle_, reinterpret_cast<const sockaddr*>(&address), 0);
        if (rc == 0) rc = uv_listen(reinterpret_cast<uv_stream_t*>(&handle_), backlog, on_connection);
        if (rc != 0) close_handle();
        return rc;
    }

    /// The port listened on; 0 if none.
    [[nodiscard]] std::uint16_t port() const noexcept {
        if (!open_) return 0;
        sockaddr_storage ss{};
        int len = sizeof ss;
        if (uv_tcp_getsockname(&handle_, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return 0;
        if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_port);
        return ntohs(reinterpret_cast<const sockaddr_in*>(&ss)->sin_port);
    }

    /// Stops accepting and ends every connection: close(`code`, `reason`)
    /// where the WebSocket is open, abort() where the opening handshake
    /// runs; connections already closing finish as they are.
    void stop(std::uint16_t code = static_cast<std::uint16_t>(close_code::going_away),
              std::string_view reason = {}) noexcept {
        close_handle();
        for (server* w = head_; w != nullptr;) {
            server* next = w->next_;
            const server::session_type& s = w->session();
            if (s.state() == session_state::handshake) w->abort();
            else if (s.state() == session_state::open && s.connection().state() == connection_state::open)
                (void)w->close(code, reason);
            w = next;
        }
    }

    /// The connections alive (accepted, not yet freed).
    [[nodiscard]] std::size_t size() const noexcept { return size_; }

    /// Calls f(server&) for each connection alive (f may close or abort it).
    template <class F>
    void for_each(F&& f) {
        for (server* w = head_; w != nullptr;) {
            server* next = w->next_;
            f(*w);
            w = next;
        }
    }

private:
    static void on_connection(uv_stream_t* s, int status) noexcept {
        auto& self = *static_cast<listener*>(s->data);
        if (status < 0 || self.closing_) return;
        server* w = server::accept(s, self.options_, self.handlers_);
        if (w == nullptr) return;
        w->owner_ = &self;
        w->detach_ = forget;
        w->next_ = self.head_;
        if (self.head_ != nullptr) self.head_->prev_ = w;
        self.head_ = w;
        ++self.size_;
    }

    static void forget(void* owner, server& w) noexcept {
        auto& self = *static_cast<listener*>(owner);
        if (w.prev_ != nullptr) w.prev_->next_ = w.next_;
        else self.head_ = w.next_;
        if (w.next_ != nullptr) w.next_->prev_ = w.prev_;
        --self.size_;
    }

    void close_handle() noexcept {
        if (!open_ || closing_) return;
        closing_ = true;
        uv_close(reinterpret_cast<uv_handle_t*>(&handle_), nullptr);
    }

    uv_loop_t* loop_;
    uv_tcp_t handle_{};
    options options_;
    handlers<role::server> handlers_;
    server* head_ = nullptr;
    std::size_t size_ = 0;
    bool open_ = false;
    bool closing_ = false;
};

}  // namespace wscodec::uv
