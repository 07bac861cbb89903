// SPDX-License-Identifier: MIT
// wscodec/connection.hpp — the WebSocket connection after the opening
// handshake (RFC 6455 §5-§7), both roles: the front of the frame reader
// (frame_reader.hpp), the control queue (control_queue.hpp) and the frame
// writer (frame_writer.hpp), and the close handshake that ties them.
//
// The connection starts open. It never allocates, copies payload only where a
// control frame or a header is split across receive() calls (into fixed
// storage), and keeps control replies bounded (control_queue.hpp).
#pragma once

#include <chrono>
#include <type_traits>
#include <utility>
#include <wscodec/byte_ranges.hpp>
#include <wscodec/close.hpp>
#include <wscodec/control_queue.hpp>
#include <wscodec/deflate_message.hpp>
#include <wscodec/frame_reader.hpp>
#include <wscodec/frame_writer.hpp>
#include <wscodec/random.hpp>

namespace wscodec {

/// Where the connection is in its life (§7).
enum class connection_state : std::uint8_t {
    open,     ///< messages flow both ways
    closing,  ///< we sent (queued) a close frame and wait for the peer's
    closed,   ///< close frames went both ways, or the connection ended
    failed,   ///< we failed the connection (§7.1.7); our close frame is queued
};

/// A WebSocket connection in role `R`. `KeySource` makes client masking keys
/// (random.hpp); the server never masks and holds none.
///
/// Receiving: call receive() with the bytes read; it returns one event and how
/// many bytes it consumed; call it again with the rest until it returns
/// event_type::need_more (every byte consumed). Then write output().
///
/// Sending: send(), or begin_message() and send_part() for a message of
/// unknown size, queue one message at a time; its payload is not copied and
/// must stay valid (and unchanged) until output() has handed it all out and
/// consume() acknowledged it. can_send() says when the next may be queued.
///
/// Byte ranges: receive() and the send calls also take any contiguous range
/// of bytes that outlives the call (`std::string`, `std::vector<char>`, a char
/// array, `std::span<std::byte>`...); a temporary container does not compile
/// (byte_ranges.hpp).
///
/// Control replies: a ping is answered with a pong carrying its payload; a
/// pong not yet handed out is replaced by a newer one (§5.5.3). Pings that
/// arrive after our close() are still answered (§5.5.2), and with auto_pong
/// off the application may pong() then, while at most one other control
/// frame waits. Only a received close ends the pongs. (control_queue.hpp
/// says why three waiting control frames always suffice.)
///
/// Not copyable: a copy would send the same masking keys as the original.
template <role R, class KeySource = std::conditional_t<R == role::client, system_key_source, no_key_source>>
class connection : private detail::frame_reader<R, connection<R, KeySource>>,
                   public detail::byte_range_api<connection<R, KeySource>> {
    using api = detail::byte_range_api<connection>;

public:
    static constexpr role side = R;
    // receive() and the send calls for any contiguous range of bytes (byte_ranges.hpp).
    using api::receive;
    using api::send;
    using api::send_binary;
    using api::send_in_place;
    using api::send_part;
    using api::send_part_in_place;
    using api::send_text;

    explicit connection(const connection_options& options = {}, KeySource keys = KeySource{}) noexcept
        : writer_(options.fragment_size), options_(options), keys_(std::move(keys)) {}
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;
    connection(connection&&) noexcept = default;
    connection& operator=(connection&&) noexcept = default;

    // ----------------------------------------------------------------- receive

    /// Consumes bytes from the start of `in` (unmasking data in place) and
    /// returns the next event; event::consumed says how many bytes were used.
    [[nodiscard]] WSCODEC_ALWAYS_INLINE event receive(mutable_bytes in) noexcept {
        // One named result for every path, so it is built in the caller's slot.
        event ev;
        std::size_t pos = 0;
        if (!in.empty()) heard_ = true;  // the peer is alive (keepalive, idle)
        else if (!has_pending_event()) return ev;  // need_more: nothing to read and nothing owed
        if (this->at_frame_start() && this->whole_data_frame(in, pos, ev)) return ev;
        receive_general(in, pos, ev);
        return ev;
    }

    /// The caller read end-of-stream from TCP. After a finished close
    /// handshake this is the normal end; otherwise the connection was lost
    /// (reported as 1006, which is never sent, §7.1.5). Output already queued
    /// stays: close_now means close TCP once it is written (or give up on it).
    [[nodiscard]] event receive_eof() noexcept {
        // A failure already reported, or a finished handshake, ends normally;
        // a failure not yet reported is lost with the TCP.
        const bool handshake_over =
            state_ == connection_state::closed || (state_ == connection_state::failed && owed_ != owed::failure);
        end();
        // §7.1.5: without a received close frame the close code is 1006.
        if (!close_received_) close_status_ = static_cast<std::uint16_t>(close_code::abnormal);
        return closed_event(handshake_over ? error::none : error::connection_lost, close_status_, tcp_action::close_now);
    }

    /// The timer named by timer() expired; arm the one timer() names next
    /// for timer_duration() (the same one again, too). close_handshake,
    /// tcp_close: give up on the peer (closed, 1006). keepalive: ping the peer
    /// unless it sent something meanwhile (need_more; write the output).
    /// pong_wait: a peer that sent nothing since is failed (1011,
    /// keepalive_timeout). idle: a peer silent for timers.idle_ms is failed
    /// (1001, idle_timeout).
    [[nodiscard]] event receive_timeout() noexcept {
        const timer_hint t = timer();
        if (t == timer_hint::none) return this->need_more(0);
        if (t == timer_hint::keepalive || t == timer_hint::pong_wait || t == timer_hint::idle) return liveness_timeout(t);
        // After a finished handshake or a failure already reported (the end
        // of a linger), giving up is the normal end.
        const bool handshake_done =
            state_ == connection_state::closed || (state_ == connection_state::failed && owed_ != owed::failure);
        end();
        if (!close_received_) close_status_ = static_cast<std::uint16_t>(close_code::abnormal);
        return closed_event(handshake_done ? error::none : error::close_timeout, close_status_, tcp_action::close_now);
    }

    /// Which timer to run now (§7.1.1: the server closes TCP first; a client
    /// waits for that, but not forever).
    [[nodiscard]] timer_hint timer() const noexcept {
        if (state_ == connection_state::closing) return timer_hint::close_handshake;
        if (state_ == connection_state::failed) return timer_hint::tcp_close;  // linger
        if constexpr (R == role::client) {
            if (state_ == connection_state::closed && !ended_) return timer_hint::tcp_close;
        }
        if (state_ != connection_state::open) return timer_hint::none;
        if (pinged_) return timer_hint::pong_wait;
        if (options_.timers.ping_interval_ms != 0) return timer_hint::keepalive;
        if (options_.timers.idle_ms != 0) return timer_hint::idle;
        return timer_hint::none;
    }

    /// How long to run the timer timer() names (timer_options); 0 for none.
    [[nodiscard]] std::chrono::milliseconds timer_duration() const noexcept {
        return std::chrono::milliseconds(duration_ms(timer()));
    }

    /// True if an event is owed without new input (the closed event after
    /// the peer's close, or a failure after the data delivered before it):
    /// call receive() again even with no bytes.
    [[nodiscard]] bool has_pending_event() const noexcept { return owed_ != owed::nothing || inflate_owed_; }

    // ------------------------------------------------------- permessage-deflate

    /// Turns permessage-deflate (RFC 7692) on with the agreed `params`: the
    /// peer's messages with RSV1 are inflated (data events then view the
    /// inflate buffer, one buffer-full per receive() call at most; RSV1 is
    /// not reported in event::rsv), and ours are compressed (compression,
    /// compress_min_size). Streams and buffers come from `backend`, which
    /// gets them back when the connection is destroyed. Call it once, while
    /// open and before any message went either way (a session calls it when
    /// it negotiated). not_open, or out_of_memory if the backend could not
    /// make them.
    [[nodiscard]] error use_deflate(deflate_backend& backend, const deflate_params& params) noexcept {
        if (state_ != connection_state::open || deflating() || this->in_message() || writer_.busy() ||
            writer_.streaming())
            return error::not_open;
        detail::deflate_lease lease(backend, params, R == role::server);
        if (lease.empty()) return error::out_of_memory;
        adopt_deflate(std::move(lease));
        return error::none;
    }

    /// Takes over streams already acquired (a session acquires them before it answers).
    void adopt_deflate(detail::deflate_lease lease) noexcept {
        deflate_ = std::move(lease);
        detail::deflate_core& c = *deflate_.get();
        const deflate_windows w = deflate_windows::of(c.params, R == role::server);
        if (c.setup.inflater != nullptr && !c.setup.inflate_buffer.empty()) {
            c.inflater = message_inflater(*c.setup.inflater, options_.limits.max_message_size, w.reset_inflater);
            options_.allowed_rsv |= rsv1;
        }
        if (c.setup.deflater != nullptr && c.setup.deflate_buffer.size() >= min_deflate_buffer) {
            c.deflater = message_deflater(*c.setup.deflater, w.reset_deflater);
            writer_.use_deflate(c);
        }
    }

    /// True once use_deflate() (or a session's negotiation) turned permessage-deflate on.
    [[nodiscard]] bool deflating() const noexcept { return !deflate_.empty(); }
    /// The agreed parameters, if deflating() (else the defaults).
    [[nodiscard]] deflate_params deflate_parameters() const noexcept {
        return deflating() ? deflate_.get()->params : deflate_params{};
    }

    /// The smallest deflate buffer use_deflate() compresses with.
    static constexpr std::size_t min_deflate_buffer = 64;

    // -------------------------------------------------------------------- send

    /// Queues a whole message. For a client the payload is masked while it is
    /// copied out (output() stages it 1 KiB at a time; copy_output() masks it
    /// into the caller's buffer); send_in_place() keeps a client's output
    /// zero-copy.
    /// With permessage-deflate on, `c` says whether it may be compressed.
    [[nodiscard]] error send(message_type type, bytes_view payload, compression c = compression::automatic) noexcept {
        if (state_ != connection_state::open) return error::not_open;
        return writer_.start(type, payload.data(), payload.size(), false, compress(c, payload.size()));
    }

    /// Queues a whole message whose buffer a client masks in place when its
    /// frames are handed out (the buffer then holds masked bytes); a server
    /// never modifies it and treats this as send().
    /// (A compressed message is never modified: its frames are built in the deflate buffer.)
    [[nodiscard]] error send_in_place(message_type type, mutable_bytes payload,
                                      compression c = compression::automatic) noexcept {
        if (state_ != connection_state::open) return error::not_open;
        return writer_.start(type, payload.data(), payload.size(), true, compress(c, payload.size()));
    }

    [[nodiscard]] error send_text(std::string_view text) noexcept {
        return send(message_type::text, bytes_view(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
    }
    [[nodiscard]] error send_binary(bytes_view payload) noexcept { return send(message_type::binary, payload); }

    /// Starts a message sent in parts (send_part) whose size is not known yet;
    /// with permessage-deflate on it is compressed unless `c` is off.
    [[nodiscard]] error begin_message(message_type type, compression c = compression::automatic) noexcept {
        if (state_ != connection_state::open) return error::not_open;
        return writer_.begin(type, c == compression::automatic);
    }

    /// Queues the next part of the begun message; `last` ends it. Allowed
    /// when can_send_part() is true.
    [[nodiscard]] error send_part(bytes_view part, bool last) noexcept {
        if (state_ != connection_state::open) return error::not_open;
        return writer_.part(part.data(), part.size(), false, last);
    }
    /// send_part() for a buffer a client may mask in place (see send_in_place).
    [[nodiscard]] error send_part_in_place(mutable_bytes part, bool last) noexcept {
        if (state_ != connection_state::open) return error::not_open;
        return writer_.part(part.data(), part.size(), true, last);
    }

    /// Queues a ping (payload at most 125 bytes).
    [[nodiscard]] error ping(bytes_view payload = {}) noexcept { return user_control(opcode::ping, payload); }

    /// Queues an unsolicited pong (a heartbeat that expects no reply, §5.5.3).
    [[nodiscard]] error pong(bytes_view payload = {}) noexcept { return user_control(opcode::pong, payload); }

    /// Starts the closing handshake (§7.1.2) with `code` and a UTF-8 `reason`
    /// of at most 123 bytes; code 1005 with no reason sends an empty close.
    /// The message already queued is written first (§5.5.1 allows it); a
    /// streamed message is cut after the parts given so far. From now on the
    /// peer's data frames are dropped unreported (§7.1: we are closing);
    /// its control frames and its close are still reported, and its pings
    /// answered (the pongs follow our close frame).
    ///
    /// After the peer's close event, close() answers it with this code and
    /// reason instead of the default echo of the peer's, as long as output()
    /// has not begun to hand the echo out (else not_open).
    [[nodiscard]] error close(std::uint16_t code = static_cast<std::uint16_t>(close_code::normal),
                              std::string_view reason = {}) noexcept {
        const bool answer = state_ == connection_state::closed && close_received_ && !ended_;
        if (state_ != connection_state::open && !answer) return error::not_open;
        std::array<std::uint8_t, max_control_payload> body;
        const close_build b = build_close_payload(code, reason, body);
        if (b.err != error::none) return b.err;
        if (answer) return controls_.replace_echo(bytes_view(body.data(), b.size), keys_) ? error::none : error::not_open;
        queue_close(bytes_view(body.data(), b.size), true);
        state_ = connection_state::closing;
        close_status_ = b.size == 0 ? static_cast<std::uint16_t>(close_code::no_status) : code;
        return error::none;
    }
    [[nodiscard]] error close(close_code code, std::string_view reason = {}) noexcept {
        return close(static_cast<std::uint16_t>(code), reason);
    }

    /// True if a new message (send/begin_message) may be queued now.
    [[nodiscard]] bool can_send() const noexcept {
        return state_ == connection_state::open && !writer_.streaming() && !writer_.busy();
    }

    /// True if the next part of a begun message (send_part) may be queued now.
    [[nodiscard]] bool can_send_part() const noexcept {
        return state_ == connection_state::open && writer_.streaming() && !writer_.busy();
    }

    // ------------------------------------------------------------------ output

    /// The next bytes to write: a control frame, or a data frame's header and
    /// payload. Empty only when nothing waits, in both roles. A server's
    /// payload and a client's sent with send_in_place() are the caller's
    /// buffer; a client's sent with send() comes masked from a staging buffer,
    /// up to 1 KiB at a time (copy_output() masks straight into the caller's
    /// buffer instead). The spans stay valid until consume() or the next call
    /// that queues or receives.
    [[nodiscard]] output_buffers output() noexcept {
        output_buffers out = writer_.output(controls_, keys_);
        if (WSCODEC_UNLIKELY(out.count == 0) && writer_.fault() != error::none) out = compressor_fault();
        exposed_ = out.size();
        return out;
    }

    /// Acknowledges `n` bytes of what output() last handed out as written;
    /// more than that is ignored.
    void consume(std::size_t n) noexcept {
        if (n > exposed_) n = exposed_;
        exposed_ -= n;
        writer_.advance(n, controls_);
    }

    /// Copies (and for a client, masks) as much output as fits in `dst`,
    /// acknowledges it, and returns the number of bytes written to `dst`.
    std::size_t copy_output(mutable_bytes dst) noexcept {
        exposed_ = 0;
        std::size_t n = writer_.copy_output(dst, controls_, keys_);
        if (WSCODEC_UNLIKELY(writer_.fault() != error::none)) {
            (void)compressor_fault();
            n += writer_.copy_output(dst.subspan(n), controls_, keys_);
        }
        return n;
    }

    /// Bytes waiting to be written: queued control frames, the current and the
    /// next frame, and the rest of the payload of the message being sent
    /// (headers of frames after the next not counted). Stop reading a peer
    /// while this stays high (backpressure).
    [[nodiscard]] std::uint64_t pending_output() const noexcept { return controls_.pending() + writer_.pending(); }

    // ------------------------------------------------------------------ access

    [[nodiscard]] connection_state state() const noexcept { return state_; }

    /// The close status code: the peer's (1005 if its close had none) once
    /// received, else ours once queued, and 1006 once the connection ended
    /// without the peer's close (§7.1.5); 0 while open.
    [[nodiscard]] std::uint16_t close_status() const noexcept { return close_status_; }

    [[nodiscard]] const connection_options& options() const noexcept { return options_; }

    /// The source of masking keys (a client session draws its handshake nonce from it).
    [[nodiscard]] KeySource& key_source() noexcept { return keys_; }

private:
    using reader = detail::frame_reader<R, connection>;
    friend reader;

    /// Events owed to the caller without new input.
    enum class owed : std::uint8_t {
        nothing,
        failure,  ///< owed_error_ (invalid_utf8 after the data event that delivered the bytes before it; deflate_failed)
        closed,   ///< the closed event, after the peer's close
    };

    /// receive() for everything but a whole data frame at the start of `in`,
    /// from `pos` on (a header the hot path took may precede it).
    WSCODEC_NOINLINE void receive_general(mutable_bytes in, std::size_t pos, event& out) noexcept {
        out = this->read(in, pos);
    }

    // Hooks of the frame reader.

    [[nodiscard]] bool accepting_data() const noexcept { return state_ == connection_state::open; }

    /// Input after the reader stopped: the owed event, else `ended` for
    /// bytes (discarded) and need_more for none, so that a loop that runs
    /// until need_more ends too.
    [[nodiscard]] event after_end(std::size_t input_size) noexcept {
        const owed o = owed_;
        owed_ = owed::nothing;
        if (o == owed::failure) return fail(owed_error_, 0, input_size);
        if (o == owed::closed) return closed_event(error::none, close_status_);
        event ev = this->need_more(input_size);
        if (input_size != 0) ev.type = event_type::ended;
        return ev;
    }

    /// Handles a complete control frame's payload (already unmasked).
    [[nodiscard]] WSCODEC_NOINLINE event control_event(opcode op, mutable_bytes payload, bool staged,
                                                       std::size_t consumed, std::size_t input_size) noexcept {
        event ev;
        ev.consumed = consumed;
        ev.payload = payload;
        if (op == opcode::ping) {
            ev.type = event_type::ping;
            // §5.5.2: a pong unless the peer's close came first; after our own
            // close too, behind our close frame.
            if (options_.auto_pong && (state_ == connection_state::open || state_ == connection_state::closing))
                controls_.push_pong(payload, keys_);
            return ev;
        }
        if (op == opcode::pong) {
            ev.type = event_type::pong;
            return ev;
        }
        // Close (§5.5.1, §7.1.5).
        const close_info info = parse_close_payload(payload);
        if (info.err != error::none) return fail(info.err, staged ? 0 : consumed - payload.size(), input_size);
        close_status_ = info.code;
        close_received_ = true;
        // Echo the code and reason received (§5.5.1: "typically echos the
        // status code it received"); an empty close gets an empty close.
        // close() may still replace it while it waits.
        if (state_ == connection_state::open) {
            queue_close(payload, false, true);
        }
        state_ = connection_state::closed;
        this->stop_reading();
        owed_ = owed::closed;
        ev.type = event_type::close;
        ev.code = info.code;
        ev.payload = payload.size() >= 2 ? payload.subspan(2) : payload.subspan(0, 0);
        return ev;
    }

    /// Fails the connection (§7.1.7): queues a close frame with the error's
    /// code unless ours went already, and ignores all further input.
    [[nodiscard]] WSCODEC_NOINLINE event fail(error e, std::size_t position, std::size_t input_size) noexcept {
        fail_now(e);
        event ev;
        ev.type = event_type::failed;
        ev.err = e;
        ev.code = close_status_;
        ev.action = tcp_action::linger;  // the peer may still be sending: a close now could reset our close frame away
        ev.consumed = input_size;
        ev.position = position;
        return ev;
    }

    /// fail() whose event the next receive() reports.
    void fail_later(error e) noexcept {
        fail_now(e);
        owed_ = owed::failure;
        owed_error_ = e;
    }

    /// Our compressor failed while output() framed a message: the
    /// connection fails (1011), the failed event owed to the next receive().
    WSCODEC_NOINLINE output_buffers compressor_fault() noexcept {
        const error e = writer_.fault();
        writer_.clear_fault();
        if (state_ == connection_state::open) fail_later(e);
        return writer_.output(controls_, keys_);
    }

    // permessage-deflate hooks of the frame reader.

    [[nodiscard]] bool inflates() const noexcept { return deflating() && deflate_.get()->inflater.active(); }

    void begin_inflate(bool text) noexcept { deflate_.get()->inflater.begin(text); }

    /// Inflates a piece of a compressed message into the inflate buffer.
    [[nodiscard]] detail::inflated_piece inflate(bytes_view piece, bool last) noexcept {
        detail::deflate_core& c = *deflate_.get();
        c.inflater.feed(piece, last);
        const mutable_bytes buffer = c.setup.inflate_buffer;
        const inflate_step s = c.inflater.inflate(buffer);
        detail::inflated_piece p;
        p.consumed = piece.size() - c.inflater.unconsumed();
        p.out = buffer.first(s.produced);
        p.done = s.st == inflate_step::state::done;
        p.more = s.st == inflate_step::state::more_output;
        p.err = s.err;
        inflate_owed_ = p.more;
        return p;
    }

    /// Whether a whole message of `size` bytes goes through the compressor.
    [[nodiscard]] bool compress(compression c, std::size_t size) const noexcept {
        return c == compression::automatic && size >= options_.compress_min_size;
    }

    /// The state side of a failure: our close frame with the error's code
    /// unless ours went already (then close_status_ stays the code we sent).
    void fail_now(error e) noexcept {
        if (state_ == connection_state::open) {
            const close_code code = close_code_for(e);
            std::array<std::uint8_t, max_control_payload> body;
            const std::string_view reason = error_message(e);
            const close_build b = build_close_payload(code, reason.substr(0, max_close_reason), body);
            queue_close(bytes_view(body.data(), b.size));
            close_status_ = static_cast<std::uint16_t>(code);
        }
        state_ = connection_state::failed;
        inflate_owed_ = false;
        this->stop_reading();
    }

    /// The connection ended (TCP or a timer): nothing more is read or owed.
    void end() noexcept {
        this->stop_reading();
        owed_ = owed::nothing;
        inflate_owed_ = false;
        ended_ = true;
        state_ = connection_state::closed;
    }

    [[nodiscard]] static event closed_event(error e, std::uint16_t code,
                                            tcp_action action = R == role::server ? tcp_action::close_now
                                                                                  : tcp_action::wait_for_peer) noexcept {
        event ev;
        ev.type = event_type::closed;
        ev.err = e;
        ev.code = code;
        ev.action = action;
        return ev;
    }

    [[nodiscard]] std::uint32_t duration_ms(timer_hint t) const noexcept {
        const timer_options& o = options_.timers;
        switch (t) {
            case timer_hint::close_handshake: return o.close_ms;
            case timer_hint::tcp_close: return o.tcp_close_ms;
            case timer_hint::keepalive: return o.ping_interval_ms;
            case timer_hint::pong_wait: return o.pong_timeout_ms;
            case timer_hint::idle: return o.idle_ms / 4 != 0 ? o.idle_ms / 4 : 1;
            default: return 0;
        }
    }

    /// receive_timeout() for keepalive, pong_wait and idle: what came from
    /// the peer since the timer was armed decides (heard_).
    [[nodiscard]] event liveness_timeout(timer_hint t) noexcept {
        const bool heard = heard_;
        heard_ = false;
        if (heard) {
            pinged_ = false;
            silent_ms_ = 0;
            return this->need_more(0);
        }
        if (t == timer_hint::pong_wait) return fail(error::keepalive_timeout, 0, 0);
        const std::uint32_t d = duration_ms(t);
        silent_ms_ = silent_ms_ > 0xFFFFFFFFu - d ? 0xFFFFFFFFu : silent_ms_ + d;
        if (options_.timers.idle_ms != 0 && silent_ms_ >= options_.timers.idle_ms) return fail(error::idle_timeout, 0, 0);
        if (t == timer_hint::keepalive && user_control(opcode::ping, {}) == error::none) pinged_ = true;
        return this->need_more(0);
    }

    /// Queues our close frame. `after_data` (our own close()): the message
    /// already queued is written first. Otherwise (an echo, a failure) the
    /// message being sent ends with its current frame. No data frame follows
    /// our close frame (§5.5.1), and a streamed message gets no more parts.
    /// `echo`: the answer to the peer's close, which close() may replace.
    void queue_close(bytes_view body, bool after_data = false, bool echo = false) noexcept {
        controls_.push_close(body, keys_, after_data, echo);
        writer_.stop(!after_data);
    }

    [[nodiscard]] error user_control(opcode op, bytes_view payload) noexcept {
        // After our close(), a pong still answers a ping (§5.5.2), for an
        // application that turned auto_pong off.
        const bool closing_pong = state_ == connection_state::closing && op == opcode::pong;
        if (state_ != connection_state::open && !closing_pong) return error::not_open;
        if (payload.size() > max_control_payload) return error::control_payload_too_long;
        // Open: only into an empty queue, which leaves room for the newest
        // pong and our close. Closing (our close queued or written): besides
        // at most one other frame, which leaves room for the newest pong.
        if (!controls_.push_user(op, payload, keys_, closing_pong ? 1 : 0)) return error::control_queue_full;
        return error::none;
    }

    detail::control_queue<R> controls_;
    connection_state state_ = connection_state::open;  // the small fields fill the queue's tail padding
    owed owed_ = owed::nothing;
    bool close_received_ = false;
    bool ended_ = false;  // receive_eof() or receive_timeout() told the caller to close TCP
    std::uint16_t close_status_ = 0;
    bool heard_ = false;   // bytes came since the liveness timer was armed
    bool pinged_ = false;  // our keepalive ping is out: timer() is pong_wait
    bool inflate_owed_ = false;       // the inflate buffer filled: more inflated bytes wait without input
    error owed_error_ = error::none;  // owed::failure's error
    detail::frame_writer<R> writer_;
    std::size_t exposed_ = 0;  // bytes output() handed out and consume() may still take
    std::uint32_t silent_ms_ = 0;  // time the peer has been silent, in expired liveness timers
    connection_options options_;
    [[no_unique_address]] KeySource keys_;
    detail::deflate_lease deflate_;  // permessage-deflate (RFC 7692), on the heap once agreed
};

using server_connection = connection<role::server>;
using client_connection = connection<role::client>;

}  // namespace wscodec
