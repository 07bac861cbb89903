// SPDX-License-Identifier: MIT
// wscodec/asio.hpp — an optional Boost.Asio adapter above the sans-I/O core:
// wscodec::asio::websocket<Stream, Role> owns a stream (a tcp::socket or an
// ssl::stream<tcp::socket>) and a session of either role, and offers Asio-style
// asynchronous operations (accept or handshake, read a whole message, write,
// ping, close), its writes queued in a send_queue and batched, its timers taken
// from the session's hints; its errors as boost::system::error_code.
//
// Optional: the only header that needs Boost (Boost.Asio 1.74 or newer, header
// only; an ssl::stream also needs OpenSSL). Not in the umbrella wscodec.hpp.
// It allocates (the send queue's copies, a read buffer, one record per pending
// operation). The adapter itself throws nothing and needs no RTTI; Boost.Asio
// needs exceptions unless BOOST_NO_EXCEPTIONS is defined and the program defines
// boost::throw_exception (both overloads), as Boost documents.
#pragma once

#include <boost/asio/async_result.hpp>
#include <boost/asio/execution/context.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/socket_base.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/system/error_code.hpp>
#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>
#include <wscodec/send_queue.hpp>
#include <wscodec/session.hpp>

namespace wscodec::asio {

// ------------------------------------------------------------------ errors

/// The adapter's own outcomes, which are not wscodec::error rows (category "wscodec.asio").
enum class adapter_error {
    closed = 1,   ///< the close handshake completed: no more messages (a read's normal end)
    refused = 2,  ///< accept: the request was answered with an HTTP response instead of a 101
};

namespace detail {

/// wscodec::error as a boost::system category: the same values, error_message() as the message.
class codec_category_impl final : public boost::system::error_category {
public:
    [[nodiscard]] const char* name() const noexcept override { return "wscodec"; }
    [[nodiscard]] std::string message(int value) const override {
        return value > 0 && value < 0xFF ? std::string(error_message(static_cast<error>(value))) : "unknown error";
    }
};

class adapter_category_impl final : public boost::system::error_category {
public:
    [[nodiscard]] const char* name() const noexcept override { return "wscodec.asio"; }
    [[nodiscard]] std::string message(int value) const override {
        switch (static_cast<adapter_error>(value)) {
            case adapter_error::closed: return "the WebSocket connection was closed by the close handshake";
            case adapter_error::refused: return "the opening handshake was answered with an HTTP response";
        }
        return "unknown error";
    }
};

}  // namespace detail

/// The category of wscodec::error codes: one object in the program, named "wscodec".
[[nodiscard]] inline const boost::system::error_category& codec_category() noexcept {
    static const detail::codec_category_impl category;
    return category;
}
/// The category of adapter_error codes, named "wscodec.asio".
[[nodiscard]] inline const boost::system::error_category& adapter_category() noexcept {
    static const detail::adapter_category_impl category;
    return category;
}
/// `e` as a boost::system::error_code; error::none gives a code that is false.
[[nodiscard]] inline boost::system::error_code make_error_code(error e) noexcept {
    return {static_cast<int>(e), codec_category()};
}
[[nodiscard]] inline boost::system::error_code make_error_code(adapter_error e) noexcept {
    return {static_cast<int>(e), adapter_category()};
}
/// The wscodec::error a code carries; error::none for a code of another category.
[[nodiscard]] inline error codec_error(const boost::system::error_code& ec) noexcept {
    return ec.category() == codec_category() ? static_cast<error>(ec.value()) : error::none;
}

}  // namespace wscodec::asio

// Hidden from doxygen, whose 1.9.4 cannot place a specialization named by its qualified name.
/// @cond
template <>
struct boost::system::is_error_code_enum<wscodec::asio::adapter_error> : std::true_type {};
/// @endcond

namespace wscodec::asio {

/// What a websocket is built with.
struct websocket_options {
    session_options session{};    ///< limits, timers (keepalive, idle), permessage-deflate backend
    send_queue_options queue{};   ///< bounds of the write queue (async_write answers send_queue_full past them)
    std::size_t read_buffer = std::size_t{64} << 10;  ///< bytes read from the stream at a time
    std::size_t write_batch = std::size_t{16} << 10;  ///< output shorter than this is gathered and written as one
    /// Once the session says to close TCP, how long its last bytes may take to be
    /// written (a peer that does not read them); then the stream is closed anyway.
    std::chrono::milliseconds last_write_timeout{5000};
};

/// Called for each control frame received (ping, pong) and the peer's close, with
/// the event type and its payload (for close, the reason; see close_code()).
using control_callback = std::function<void(event_type type, bytes_view payload)>;

namespace detail {

using boost::system::error_code;

/// One pending completion handler of signature void(error_code, Args...),
/// type-erased and move-only; complete() posts it to its associated executor.
template <class... Args>
class pending {
public:
    pending() = default;
    template <class Handler, class Executor>
    pending(Handler&& h, const Executor& fallback) : p_(new model<std::decay_t<Handler>, Executor>(std::forward<Handler>(h), fallback)) {}
    [[nodiscard]] explicit operator bool() const noexcept { return p_ != nullptr; }
    /// Posts the handler with these arguments and forgets it (nothing if empty).
    void complete(error_code ec, Args... args) {
        if (std::unique_ptr<base> p = std::move(p_)) p->post(ec, std::move(args)...);
    }

private:
    struct base {
        virtual ~base() = default;
        virtual void post(error_code ec, Args... args) = 0;
    };
    template <class Handler, class Executor>
    struct model final : base {
        model(Handler&& h, const Executor& e) : handler(std::move(h)), fallback(e) {}
        model(const Handler& h, const Executor& e) : handler(h), fallback(e) {}
        void post(error_code ec, Args... args) override {
            const auto ex = boost::asio::get_associated_executor(handler, fallback);
            boost::asio::post(ex, [h = std::move(handler), ec, args...]() mutable { std::move(h)(ec, args...); });
        }
        Handler handler;
        Executor fallback;
    };
    std::unique_ptr<base> p_;
};

/// What holds the application's handlers: the registry below drops them.
class handler_owner {
public:
    /// Destroys the pending handlers without running them and stops.
    virtual void drop_handlers() noexcept = 0;

protected:
    ~handler_owner() = default;
};

/// A service of the stream's execution context that knows every adapter on it.
/// The application's handlers wait in the adapter, not in the context's queue,
/// and often own the adapter (a shared_ptr to the connection); when the context
/// shuts down with operations pending, this breaks those cycles by dropping the
/// handlers, as the context drops the handlers it queues.
class registry final : public boost::asio::execution_context::service {
public:
    using key_type = registry;
    static inline boost::asio::execution_context::id id;

    explicit registry(boost::asio::execution_context& ctx) : boost::asio::execution_context::service(ctx) {}

    using entry = std::list<std::weak_ptr<handler_owner>>::iterator;
    entry add(std::weak_ptr<handler_owner> owner) {
        const std::lock_guard<std::mutex> lock(mutex_);
        return owners_.insert(owners_.end(), std::move(owner));
    }
    void remove(entry e) noexcept {
        const std::lock_guard<std::mutex> lock(mutex_);
        owners_.erase(e);
    }

private:
    void shutdown() override {
        std::vector<std::weak_ptr<handler_owner>> owners;
        {
            const std::lock_guard<std::mutex> lock(mutex_);
            owners.assign(owners_.begin(), owners_.end());
        }
        for (const std::weak_ptr<handler_owner>& w : owners)
            if (const std::shared_ptr<handler_owner> o = w.lock()) o->drop_handlers();
    }

    std::mutex mutex_;
    std::list<std::weak_ptr<handler_owner>> owners_;
};

/// A read waiting for its message: the caller's container (std::string,
/// std::vector<char>, std::vector<std::uint8_t> ...) and the handler.
struct read_op_base {
    virtual ~read_op_base() = default;
    virtual void clear() = 0;
    virtual void append(bytes_view piece) = 0;
    virtual void complete(error_code ec, message_type type) = 0;
};
template <class Container>
struct read_op final : read_op_base {
    template <class Handler, class Executor>
    read_op(Container& c, Handler&& h, const Executor& e) : out(c), handler(std::forward<Handler>(h), e) {}
    void clear() override { out.clear(); }
    void append(bytes_view piece) override {
        using value = typename Container::value_type;
        const value* p = reinterpret_cast<const value*>(piece.data());
        out.insert(out.end(), p, p + piece.size());
    }
    void complete(error_code ec, message_type type) override { handler.complete(ec, type); }
    Container& out;
    pending<message_type> handler;
};

/// The connection's state, shared with the adapter's own pending operations
/// so that it outlives the websocket object until they have finished.
template <class Stream, role R>
class state final : public handler_owner, public std::enable_shared_from_this<state<Stream, R>> {
public:
    using session_type = session<R>;

    template <class... StreamArgs>
    explicit state(const websocket_options& o, StreamArgs&&... args)
        requires(R == role::server)
        : stream(std::forward<StreamArgs>(args)...), ws(o.session), queue(o.queue), timer(stream.get_executor()),
          rbuf(o.read_buffer != 0 ? o.read_buffer : 4096), batch(o.write_batch), last_write_(o.last_write_timeout) {}
    template <class... StreamArgs>
    state(const websocket_options& o, const request_options& request, StreamArgs&&... args)
        requires(R == role::client)
        : stream(std::forward<StreamArgs>(args)...), ws(request, o.session), queue(o.queue), timer(stream.get_executor()),
          rbuf(o.read_buffer != 0 ? o.read_buffer : 4096), batch(o.write_batch), last_write_(o.last_write_timeout) {}

    state(const state&) = delete;
    state& operator=(const state&) = delete;
    ~state() {
        if (registry_ != nullptr) registry_->remove(entry_);
    }

    /// Joins the registry of the stream's execution context (once, after make_shared).
    void enrol() {
        registry_ = &boost::asio::use_service<registry>(
            boost::asio::query(stream.get_executor(), boost::asio::execution::context));
        entry_ = registry_->add(std::weak_ptr<handler_owner>(this->shared_from_this()));
    }

    /// The execution context shuts down: the handlers go unrun, nothing more starts.
    void drop_handlers() noexcept override {
        ended_ = true;
        pending<> o = std::move(opening);
        std::unique_ptr<read_op_base> r = std::move(read);
        std::deque<pending<>> w = std::move(writes);
        std::vector<pending<>> f = std::move(flushes);
        pending<> c = std::move(closing);
        decide_context.reset();
        on_control = nullptr;
    }

    Stream stream;
    session_type ws;
    send_queue<session_type> queue;
    boost::asio::steady_timer timer;

    // Pending operations of the application.
    pending<> opening;                          // async_accept, async_handshake
    std::unique_ptr<read_op_base> read;         // async_read
    std::deque<pending<>> writes;               // async_write: one per message the queue took, in order
    std::vector<pending<>> flushes;             // async_ping: done when everything queued is written
    pending<> closing;                          // async_close: done when TCP is closed
    std::uint16_t (*decide)(void*, const http_request&, accept_options&) = nullptr;  // async_accept's chooser
    std::shared_ptr<void> decide_context;
    control_callback on_control;

    std::string subprotocol;  // agreed in the opening handshake

    // The peer's close, once received.
    std::uint16_t peer_code = 0;
    std::string peer_reason;

    /// Runs what can run now: events the application waits for, the write,
    /// TCP's end, the next read, the timer. Re-entered calls (from a callback) are folded in.
    void pump() {
        if (in_pump_) {
            again_ = true;
            return;
        }
        in_pump_ = true;
        const auto keep = this->shared_from_this();
        do {
            again_ = false;
            step();
        } while (again_ && !ended_);
        in_pump_ = false;
    }

    /// Ends at once: the stream is closed and every pending operation completes with `ec`.
    void end(error_code ec) {
        if (ended_) return;
        ended_ = true;
        error_code ignored;
        stream.lowest_layer().close(ignored);
        timer.cancel();
        const error_code final_ec = end_reason(ec);
        opening.complete(final_ec);
        complete_read(final_ec.failed() ? final_ec : wscodec::asio::make_error_code(adapter_error::closed), message_type::binary);
        while (!writes.empty()) {
            writes.front().complete(final_ec.failed() ? final_ec : wscodec::asio::make_error_code(error::not_open));
            writes.pop_front();
        }
        for (pending<>& f : flushes) f.complete(final_ec.failed() ? final_ec : wscodec::asio::make_error_code(error::not_open));
        flushes.clear();
        closing.complete(final_ec);
        decide_context.reset();
    }

    [[nodiscard]] bool ended() const noexcept { return ended_; }
    /// Why the connection ended, for operations started afterwards: closed after a clean end.
    [[nodiscard]] error_code late_reason() const {
        const error_code ec = end_reason({});
        return ec.failed() ? ec : wscodec::asio::make_error_code(adapter_error::closed);
    }
    void complete_read(error_code ec, message_type type) {
        if (!read) return;
        std::unique_ptr<read_op_base> r = std::move(read);
        r->complete(ec, type);
    }

    /// The websocket object is gone: an open connection is closed with 1001
    /// and runs to its end here; one still in its opening handshake is dropped.
    void release() {
        if (ended_) return;
        if (ws.state() == session_state::handshake && !opening) {
            end(boost::asio::error::operation_aborted);
            return;
        }
        if (ws.state() == session_state::open && ws.connection().state() == connection_state::open)
            (void)ws.close(close_code::going_away);
        pump();
    }

private:
    void step() {
        if (ended_) return;
        // Events, while someone waits for them (the stream is read likewise).
        while (!ended_ && !close_tcp_ && wants_events() && (begin_ != end_ || ws.has_pending_event())) {
            const event ev = ws.receive(mutable_bytes(rbuf.data() + begin_, end_ - begin_));
            begin_ += ev.consumed;
            if (begin_ == end_) begin_ = end_ = 0;
            handle(ev);
            if (ev.type == event_type::need_more || ev.type == event_type::answer_pending) break;
        }
        if (ended_) return;
        const bool drained = start_write();
        if (drained && !writing_) {
            for (pending<>& f : flushes) f.complete({});
            flushes.clear();
            if (close_tcp_) {
                end({});
                return;
            }
            if (linger_ && !shut_) {  // failed: our last bytes are out; read on to EOF so that no reset destroys them
                error_code ignored;
                stream.lowest_layer().shutdown(boost::asio::socket_base::shutdown_send, ignored);
                shut_ = true;
            }
        }
        start_read();
        follow_timer();
    }

    /// True if receive() may run: someone waits for what it reports, or the
    /// connection is ending (its close, a linger), where nothing is reported.
    [[nodiscard]] bool wants_events() noexcept {
        if (ws.state() == session_state::handshake) return static_cast<bool>(opening);
        if (ws.state() == session_state::done) return true;
        return read != nullptr || ws.connection().state() != connection_state::open;
    }

    void handle(const event& ev) {
        switch (ev.type) {
            case event_type::request:
                if constexpr (R == role::server) answer_request();
                break;
            case event_type::http_request:
                if constexpr (R == role::server) refuse_page();
                break;
            case event_type::open:  // the response is readable until the connection is built
                if constexpr (R == role::client) subprotocol.assign(ws.response().subprotocol);
                opening.complete({});
                break;
            case event_type::data:
                if (!read) break;  // not reached: receive() runs with the connection open only for a read
                if (ev.first) read->clear();
                read->append(ev.payload);
                if (ev.last) complete_read({}, ev.message);
                break;
            case event_type::ping:
            case event_type::pong:
                if (on_control) on_control(ev.type, ev.payload);
                break;
            case event_type::close:
                peer_code = ev.code;
                peer_reason.assign(reinterpret_cast<const char*>(ev.payload.data()), ev.payload.size());
                if (on_control) on_control(ev.type, ev.payload);
                break;
            case event_type::failed:
            case event_type::closed:
                if (ev.err != error::none && codec_ == error::none) codec_ = ev.err;
                if (ev.type == event_type::failed) opening.complete(wscodec::asio::make_error_code(ev.err));
                complete_read(codec_ != error::none ? wscodec::asio::make_error_code(codec_) : wscodec::asio::make_error_code(adapter_error::closed),
                              message_type::binary);
                break;
            default: break;  // need_more, ended, answer_pending
        }
        if (ev.action == tcp_action::close_now) close_tcp_ = true;
        if (ev.action == tcp_action::linger) linger_ = true;
    }

    /// Server: the request waits; the chooser (if any) says accept or refuse.
    void answer_request()
        requires(R == role::server)
    {
        accept_options answer;
        const std::uint16_t status = decide != nullptr ? decide(decide_context.get(), ws.request(), answer) : 0;
        const error e = status == 0 ? ws.accept(answer) : ws.respond(status);
        if (status != 0 && e == error::none) {
            codec_refused_ = true;
            close_tcp_ = true;
        } else if (e != error::none) {
            codec_ = e;
            close_tcp_ = true;
        } else {
            subprotocol.assign(answer.subprotocol);
            opening.complete({});
        }
        decide_context.reset();
    }

    /// Server: a plain HTTP request (no Upgrade: websocket) is answered 426 (RFC 9110 §15.5.22).
    void refuse_page()
        requires(R == role::server)
    {
        static constexpr http_header upgrade[] = {{"Upgrade", "websocket"}};
        if (ws.respond(426, upgrade, "This is a WebSocket endpoint.\n") == error::none) codec_refused_ = true;
        close_tcp_ = true;
    }

    /// Starts writing the output if none is being written; true if nothing waits.
    bool start_write() {
        settle_writes();
        if (writing_) return false;
        const output_buffers out = queue.output(ws);
        if (out.empty()) return true;
        writing_ = true;
        auto self = this->shared_from_this();
        if (out.size() >= batch.size()) {  // large: the spans as they are (a server's payload is the queue's copy)
            std::array<boost::asio::const_buffer, 2> b{};  // a buffer sequence (copied by async_write); an unused part is empty
            for (std::size_t i = 0; i < out.count; ++i) b[i] = boost::asio::buffer(out.parts[i].data(), out.parts[i].size());
            boost::asio::async_write(stream, b,
                                     [self](const error_code& ec, std::size_t n) { self->written(ec, n, true); });
            return false;
        }
        std::size_t n = 0;  // small: gathered, several frames and messages in one write
        for (std::size_t k; n < batch.size() && (k = queue.copy_output(ws, mutable_bytes(batch.data() + n, batch.size() - n))) != 0;) n += k;
        boost::asio::async_write(stream, boost::asio::buffer(batch.data(), n),
                                 [self](const error_code& ec, std::size_t k) { self->written(ec, k, false); });
        return false;
    }

    void written(const error_code& ec, std::size_t n, bool spans) {
        writing_ = false;
        if (ended_) return;
        if (ec) {
            end(ec);
            return;
        }
        if (spans) queue.consume(ws, n);
        pump();
    }

    /// Completes the writes whose messages the queue has finished with: the
    /// oldest ones once written, the newest ones if it dropped them.
    void settle_writes() {
        const std::size_t dropped = queue.dropped();
        for (; dropped_seen_ < dropped && !writes.empty(); ++dropped_seen_) {
            writes.back().complete(wscodec::asio::make_error_code(error::not_open));
            writes.pop_back();
        }
        dropped_seen_ = dropped;
        if (writing_) return;  // a batch copied out is written only once its write completes
        while (writes.size() > queue.size()) {
            writes.front().complete({});
            writes.pop_front();
        }
    }

    void start_read() {
        if (reading_ || close_tcp_ || begin_ != end_ || ws.has_pending_event() || !wants_events()) return;
        if (queue.above_high_water()) return;  // backpressure: the peer is not reading what we send
        reading_ = true;
        auto self = this->shared_from_this();
        stream.async_read_some(boost::asio::buffer(rbuf.data(), rbuf.size()),
                               [self](const error_code& ec, std::size_t n) { self->got(ec, n); });
    }

    void got(const error_code& ec, std::size_t n) {
        reading_ = false;
        if (ended_) return;
        if (!ec) {
            begin_ = 0;
            end_ = n;
        } else if (ec == boost::asio::error::eof || ec.category() != boost::asio::error::get_system_category() ||
                   ec == boost::asio::error::connection_reset) {
            // The end of the stream, a reset, or a TLS stream closed without
            // close_notify (as this adapter closes it too): the session says
            // whether that ends the WebSocket normally (after the close
            // handshake) or loses it (connection_lost).
            handle(ws.receive_eof());
            close_tcp_ = true;
        } else {
            end(ec);
            return;
        }
        pump();
    }

    /// Runs the timer the session names, re-armed when the name changes or after
    /// an expiry; once TCP is to be closed, the last write's time limit instead.
    void follow_timer() {
        if (close_tcp_) {
            if (giving_up_) return;
            giving_up_ = true;
            ++generation_;
            timer.expires_after(last_write_);
            timer.async_wait([self = this->shared_from_this(), g = generation_](const error_code& ec) {
                if (!ec && !self->ended_ && g == self->generation_) self->end(boost::asio::error::timed_out);
            });
            return;
        }
        const timer_hint hint = ws.timer();
        if (hint == armed_ && !expired_) return;
        armed_ = hint;
        expired_ = false;
        ++generation_;
        if (hint == timer_hint::none) {
            timer.cancel();
            return;
        }
        timer.expires_after(ws.timer_duration());
        auto self = this->shared_from_this();
        timer.async_wait([self, g = generation_](const error_code& ec) {
            if (ec || self->ended_ || g != self->generation_) return;
            self->expired_ = true;
            self->handle(self->ws.receive_timeout());
            self->pump();
        });
    }

    [[nodiscard]] error_code end_reason(error_code ec) const {
        if (codec_ != error::none) return wscodec::asio::make_error_code(codec_);
        if (codec_refused_) return wscodec::asio::make_error_code(adapter_error::refused);
        return ec;
    }

    registry* registry_ = nullptr;
    registry::entry entry_{};
    std::vector<std::uint8_t> rbuf;
    std::vector<std::uint8_t> batch;
    std::chrono::milliseconds last_write_;
    std::size_t begin_ = 0;  // input not yet consumed: [begin_, end_)
    std::size_t end_ = 0;
    std::size_t dropped_seen_ = 0;
    std::uint64_t generation_ = 0;
    error codec_ = error::none;  // the first error the session reported
    timer_hint armed_ = timer_hint::none;
    bool expired_ = false;
    bool giving_up_ = false;  // close_tcp_: the last write's timer runs
    bool reading_ = false;
    bool writing_ = false;
    bool close_tcp_ = false;  // close the stream once the output is written
    bool linger_ = false;     // failed: shut down sending once the output is written, read on
    bool shut_ = false;
    bool codec_refused_ = false;
    bool ended_ = false;
    bool in_pump_ = false;
    bool again_ = false;
};

}  // namespace detail

/// A WebSocket over an Asio stream (`boost::asio::ip::tcp::socket`, or
/// `boost::asio::ssl::stream<tcp::socket>` after its TLS handshake, which the
/// caller runs first), in role `R`. A TLS stream is closed without a
/// close_notify (the WebSocket close handshake already marks the end), and a
/// peer's missing close_notify is no error either. Every operation takes a completion token (a handler, use_future,
/// use_awaitable ...) and completes through the handler's associated
/// executor, never inside the call that starts it.
///
/// Not thread-safe: start operations and run handlers on one strand (an
/// io_context run by one thread is one; else build the stream on a strand).
/// Any number of writes and pings may be pending at once; one read, one
/// accept or handshake, one close.
///
/// Reading drives the connection: pings are answered and the peer's close is
/// seen only while a read (or an accept, handshake or close) is pending, and
/// keepalive counts only what was read, so keep one pending (the echo example
/// reads again as soon as its write completes). The timers run regardless.
/// Messages come whole: fragments (and a compressed message's inflated
/// pieces) are appended to the read's container, whose
/// size is bounded by receive_limits::max_message_size (a larger message
/// fails the connection with 1009 before it is stored).
///
/// The object may be destroyed while operations are pending: their handlers
/// still run; an open connection is closed with 1001 and finishes its close
/// handshake on its own (the stream lives until then). When the execution
/// context shuts down with operations pending, their handlers are destroyed
/// unrun, as the context does with its own (detail::registry).
template <class Stream, role R = role::server>
class websocket {
public:
    using stream_type = Stream;
    using executor_type = typename Stream::executor_type;
    using session_type = ::wscodec::session<R>;

    /// Server: the stream is built from `args` (a connected socket, moved in; or an io_context).
    template <class... StreamArgs>
    explicit websocket(const websocket_options& o, StreamArgs&&... args)
        requires(R == role::server)
        : s_(std::make_shared<state>(o, std::forward<StreamArgs>(args)...)) {
        s_->enrol();
    }
    /// Client: the request to send (copied at once), then the stream's constructor arguments.
    template <class... StreamArgs>
    websocket(const websocket_options& o, const request_options& request, StreamArgs&&... args)
        requires(R == role::client)
        : s_(std::make_shared<state>(o, request, std::forward<StreamArgs>(args)...)) {
        s_->enrol();
    }

    websocket(const websocket&) = delete;
    websocket& operator=(const websocket&) = delete;
    websocket(websocket&&) noexcept = default;
    websocket& operator=(websocket&&) = delete;
    ~websocket() {
        if (s_) s_->release();
    }

    [[nodiscard]] executor_type get_executor() noexcept { return s_->stream.get_executor(); }
    /// The stream (connect it, or run its TLS handshake, before the opening handshake).
    [[nodiscard]] Stream& next_layer() noexcept { return s_->stream; }
    /// The session: its state, the request (in accept's chooser), deflate_agreed() ...
    [[nodiscard]] session_type& session() noexcept { return s_->ws; }
    /// The peer's close code (1005: none given; 0: no close received) and reason.
    [[nodiscard]] std::uint16_t close_code() const noexcept { return s_->peer_code; }
    [[nodiscard]] std::string_view close_reason() const noexcept { return s_->peer_reason; }
    /// The subprotocol agreed in the opening handshake; empty for none.
    [[nodiscard]] std::string_view subprotocol() const noexcept { return s_->subprotocol; }

    /// Calls `cb(type, payload)` for each ping, pong and close received (pings are
    /// answered by the session; the payload is valid during the call). It runs
    /// inside the adapter, like a handler on its strand.
    void set_control_callback(control_callback cb) { s_->on_control = std::move(cb); }

    /// Server: reads the request and accepts it (101). A request that is not a
    /// WebSocket upgrade is answered 426 and completes with adapter_error::refused;
    /// a bad one with its wscodec::error (its error response is written). With
    /// session_options::deflate set, permessage-deflate is negotiated.
    template <class Token>
    auto async_accept(Token&& token)
        requires(R == role::server)
    {
        return start_opening(std::forward<Token>(token), nullptr, nullptr);
    }
    /// Server: as above, but `choose(const http_request&, accept_options&)` looks at
    /// the request first and returns 0 to accept with the options it filled in (a
    /// subprotocol, headers; leave extensions empty to have permessage-deflate
    /// negotiated), or an HTTP status (403 ...) to refuse: adapter_error::refused.
    /// It runs inside the adapter, before the handler; the views it returns must
    /// live as long as it does.
    template <class Choose, class Token>
    auto async_accept(Choose choose, Token&& token)
        requires(R == role::server)
    {
        auto held = std::make_shared<Choose>(std::move(choose));
        return start_opening(std::forward<Token>(token), held, [](void* c, const http_request& r, accept_options& a) -> std::uint16_t {
            return (*static_cast<Choose*>(c))(r, a);
        });
    }

    /// Client: writes the request and reads the response (the stream connected first).
    template <class Token>
    auto async_handshake(Token&& token)
        requires(R == role::client)
    {
        return start_opening(std::forward<Token>(token), nullptr, nullptr);
    }

    /// Reads the next whole message into `out` (cleared first; a std::string or a
    /// vector of a byte type, which must outlive the operation). Completes with
    /// (error_code, message_type): adapter_error::closed after the close
    /// handshake (close_code() says how), a wscodec::error for a broken protocol
    /// or limit (the connection then ends on its own), operation_aborted.
    template <class Container, class Token>
    auto async_read(Container& out, Token&& token) {
        return boost::asio::async_initiate<Token, void(boost::system::error_code, message_type)>(
            [this, &out](auto handler) {
                state& s = *s_;
                if (s.read || s.ended()) {
                    const auto ec = s.read ? wscodec::asio::make_error_code(error::send_in_progress) : s.late_reason();
                    detail::pending<message_type>(std::move(handler), s.stream.get_executor()).complete(ec, message_type::binary);
                    return;
                }
                s.read = std::make_unique<detail::read_op<Container>>(out, std::move(handler), s.stream.get_executor());
                s.pump();
            },
            token);
    }

    /// Queues a message (copied at once: `payload` may be reused when this
    /// returns) and completes once it is written to the stream. Refused at once:
    /// send_queue_full (past websocket_options::queue), not_open (closing or
    /// closed), text_not_utf8, out_of_memory.
    template <class Token>
    auto async_write(message_type type, bytes_view payload, Token&& token) {
        return boost::asio::async_initiate<Token, void(boost::system::error_code)>(
            [this, type, payload](auto handler) {
                state& s = *s_;
                detail::pending<> p(std::move(handler), s.stream.get_executor());
                const error e = s.ended() ? error::not_open : s.queue.send(s.ws, type, payload);
                if (e != error::none) {
                    p.complete(s.ended() ? s.late_reason() : wscodec::asio::make_error_code(e));
                    return;
                }
                s.writes.push_back(std::move(p));
                s.pump();
            },
            token);
    }
    /// async_write of any contiguous range of bytes (std::string, std::vector<char> ...).
    template <byte_range B, class Token>
        requires(!std::convertible_to<const B&, bytes_view>)
    auto async_write(message_type type, const B& payload, Token&& token) {
        return async_write(type, as_bytes_view(payload), std::forward<Token>(token));
    }
    /// async_write of a text message.
    template <class Token>
    auto async_write(std::string_view text, Token&& token) {
        return async_write(message_type::text, bytes_view(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()),
                           std::forward<Token>(token));
    }

    /// Queues a ping (at most 125 bytes) and completes once it is written;
    /// control_queue_full while another control frame waits.
    template <class Token>
    auto async_ping(bytes_view payload, Token&& token) {
        return boost::asio::async_initiate<Token, void(boost::system::error_code)>(
            [this, payload](auto handler) {
                state& s = *s_;
                detail::pending<> p(std::move(handler), s.stream.get_executor());
                const error e = s.ended() ? error::not_open : s.ws.ping(payload);
                if (e != error::none) return p.complete(s.ended() ? s.late_reason() : wscodec::asio::make_error_code(e));
                s.flushes.push_back(std::move(p));
                s.pump();
            },
            token);
    }

    /// Starts the close handshake with `code` and a UTF-8 `reason` (at most 123
    /// bytes) after the messages already queued, and completes once the stream
    /// is closed: no error when the peer answered, else why not (close_timeout,
    /// connection_lost ...). After the peer's close it completes when that ends.
    template <class Token>
    auto async_close(std::uint16_t code, std::string_view reason, Token&& token) {
        return boost::asio::async_initiate<Token, void(boost::system::error_code)>(
            [this, code, reason](auto handler) {
                state& s = *s_;
                detail::pending<> p(std::move(handler), s.stream.get_executor());
                error e = error::none;
                if (s.ended()) {
                    const auto ec = s.late_reason();
                    return p.complete(ec == adapter_error::closed ? boost::system::error_code{} : ec);
                }
                if (s.closing || s.ws.state() == session_state::handshake) e = error::not_open;
                else if (s.ws.state() == session_state::open && s.ws.connection().state() == connection_state::open)
                    e = s.ws.close(code, reason);
                if (e != error::none) return p.complete(wscodec::asio::make_error_code(e));
                s.closing = std::move(p);
                s.pump();
            },
            token);
    }
    template <class Token>
    auto async_close(wscodec::close_code code, std::string_view reason, Token&& token) {
        return async_close(static_cast<std::uint16_t>(code), reason, std::forward<Token>(token));
    }

    /// Closes the stream now, without a close handshake: every pending operation
    /// completes with operation_aborted (or the error the session reported).
    void cancel() { s_->end(boost::asio::error::operation_aborted); }

private:
    using state = detail::state<Stream, R>;

    template <class Token>
    auto start_opening(Token&& token, std::shared_ptr<void> context,
                       std::uint16_t (*decide)(void*, const http_request&, accept_options&)) {
        return boost::asio::async_initiate<Token, void(boost::system::error_code)>(
            [this, context = std::move(context), decide](auto handler) mutable {
                state& s = *s_;
                detail::pending<> p(std::move(handler), s.stream.get_executor());
                if (s.ended() || s.opening || s.ws.state() != session_state::handshake) {
                    error e = error::handshake_not_ready;
                    if constexpr (R == role::client) {
                        if (s.ws.state() == session_state::done) e = s.ws.handshake().failure();  // invalid request_options
                    }
                    p.complete(s.ended() ? s.late_reason() : wscodec::asio::make_error_code(e));
                    return;
                }
                s.opening = std::move(p);
                s.decide = decide;
                s.decide_context = std::move(context);
                s.pump();
            },
            token);
    }

    std::shared_ptr<state> s_;
};

/// A server or client websocket over a plain TCP socket.
template <role R = role::server>
using tcp_websocket = websocket<boost::asio::ip::tcp::socket, R>;

}  // namespace wscodec::asio
