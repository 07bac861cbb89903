// wscodec/connection.hpp — the WebSocket session after the opening handshake
// (RFC 6455 §5-§7), for both roles: received bytes become events (message
// data streamed zero-copy, pings, pongs, the close handshake, failures), and
// messages to send become bytes, handed out as spans for write/writev.
//
// The connection starts open. It never allocates, copies payload only where a
// control frame or a header is split across receive() calls (into fixed
// storage here), and keeps control replies bounded: at most three control
// frames wait to be written (see `Control replies` below).
#pragma once

#include <algorithm>
#include <cstring>
#include <type_traits>
#include <utility>
#include <wscodec/close.hpp>
#include <wscodec/events.hpp>
#include <wscodec/frame.hpp>
#include <wscodec/limits.hpp>
#include <wscodec/random.hpp>
#include <wscodec/utf8.hpp>

namespace wscodec {

/// Where the connection is in its life (§7).
enum class connection_state : std::uint8_t {
    open,     ///< messages flow both ways
    closing,  ///< we sent (queued) a close frame and wait for the peer's
    closed,   ///< close frames went both ways, or the connection ended
    failed,   ///< we failed the connection (§7.1.7); our close frame is queued
};

/// The timer the caller should run, if any (the connection reads no clock).
enum class timer_hint : std::uint8_t {
    none,
    close_handshake,  ///< we sent close: if the peer's close does not come, call on_timeout()
    tcp_close,        ///< client after the close handshake: if the server does not close TCP, call on_timeout()
    handshake,        ///< session: the opening handshake has not finished; if it takes too long, call on_timeout()
};

/// Bytes ready to write: `count` spans, in order. A frame's header and payload
/// come as two spans (writev), the payload viewing the caller's buffer.
struct output_buffers {
    std::array<bytes_view, 2> parts{};
    std::size_t count = 0;
    /// A client's payload waits that only copy_output() can mask (it was
    /// queued with send(), not send_in_place()): call copy_output().
    bool needs_copy = false;

    [[nodiscard]] constexpr std::size_t size() const noexcept {
        std::size_t n = 0;
        for (std::size_t i = 0; i < count; ++i) n += parts[i].size();
        return n;
    }
    [[nodiscard]] constexpr bool empty() const noexcept { return count == 0; }
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
/// Control replies: a ping is answered with a pong carrying its payload; a pong
/// not yet handed out is replaced by a newer one (§5.5.3 allows answering the
/// most recent ping only). At most three control frames wait, and that bound
/// never costs a reply: one being handed out, the newest pong, and our close
/// or the application's ping or pong (ping() and pong() queue only into an
/// empty queue while open). Control frames are written in the order queued,
/// except that our close waits for the message queued before it, which a
/// pong need not. Pings that arrive after our close() are still answered
/// (§5.5.2), and with auto_pong off the application may pong() then, while
/// at most one other control frame waits. Only a received close ends the
/// pongs.
///
/// Not copyable: a copy would send the same masking keys as the original.
template <role R, class KeySource = std::conditional_t<R == role::client, system_key_source, no_key_source>>
class connection {
public:
    static constexpr role side = R;

    explicit connection(const connection_options& options = {}, KeySource keys = KeySource{}) noexcept
        : options_(options), keys_(std::move(keys)) {}
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
        if (rx_ == rx_state::header && stage_len_ == 0 && whole_data_frame(in, pos, ev)) return ev;
        receive_general(in, pos, ev);
        return ev;
    }

private:
    /// receive() for everything but a whole data frame at the start of `in`,
    /// from `pos` on (a header the hot path took may precede it).
    WSCODEC_NOINLINE void receive_general(mutable_bytes in, std::size_t pos, event& out) noexcept {
        out = receive_loop(in, pos);
    }

    [[nodiscard]] event receive_loop(mutable_bytes in, std::size_t pos) noexcept {
        for (;;) {
            if (rx_ == rx_state::header) {
                if (!(stage_len_ == 0 && fast_data_header(in, pos))) {
                    event ev;
                    if (!decode_header(in, pos, ev)) return ev;
                    continue;
                }
            }
            if (WSCODEC_LIKELY(rx_ == rx_state::data)) {
                const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, in.size() - pos));
                if (n == 0 && remaining_ > 0) return need_more(in.size());
                const mutable_bytes chunk = in.subspan(pos, n);
                // The message's one frame, all of it here: checked as a whole.
                const bool whole = first_ && fin_ && n == remaining_ && phase_ == 0;
                pos += n;
                remaining_ -= n;
                std::size_t valid = 0;
                if constexpr (R == role::server) {
                    if (whole && message_ == message_type::text) valid = unmask_whole_text(chunk);
                    else phase_ = static_cast<std::uint8_t>(apply_mask(chunk, key_, phase_));
                }
                const bool last = remaining_ == 0 && fin_;
                if (message_ == message_type::text) {
                    const text_check t = check_text(chunk, last, whole, valid);
                    if (t.verdict == text_verdict::fail_now)
                        return fail(error::invalid_utf8, t.at_chunk ? pos - n : 0, in.size());
                    if (t.verdict == text_verdict::deliver_then_fail) return deliver_then_fail(chunk, t.deliver, pos - n);
                }
                if (remaining_ == 0) rx_ = rx_state::header;
                if (n == 0 && !first_ && !last) continue;  // an empty middle fragment says nothing
                event ev;
                data_event(ev, chunk, last, pos);
                return ev;
            }
            if (rx_ == rx_state::discard) {
                const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, in.size() - pos));
                if (n == 0 && remaining_ > 0) return need_more(in.size());
                pos += n;
                remaining_ -= n;
                if (remaining_ == 0) rx_ = rx_state::header;
                continue;
            }
            if (rx_ == rx_state::control) {
                const auto len = static_cast<std::size_t>(remaining_);
                mutable_bytes payload;
                const bool staged = !(stage_len_ == 0 && in.size() - pos >= len);
                if (!staged) {
                    payload = in.subspan(pos, len);
                    pos += len;
                } else {
                    const std::size_t take = std::min(len - stage_len_, in.size() - pos);
                    for (std::size_t i = 0; i < take; ++i) stage_[stage_len_ + i] = in[pos + i];
                    stage_len_ = static_cast<std::uint8_t>(stage_len_ + take);
                    pos += take;
                    if (stage_len_ < len) return need_more(in.size());
                    payload = mutable_bytes(stage_.data(), len);
                    stage_len_ = 0;
                }
                if constexpr (R == role::server) (void)apply_mask(payload, key_, 0);
                remaining_ = 0;
                rx_ = rx_state::header;
                return control_event(payload, staged, pos, in.size());
            }
            // rx_state::ignore: after a close or a failure.
            if (deferred_fail_ != error::none) {
                const error e = deferred_fail_;
                deferred_fail_ = error::none;
                return fail(e, 0, in.size());
            }
            if (pending_closed_) {
                pending_closed_ = false;
                return closed_event(error::none, close_code_);
            }
            return need_more(in.size());
        }
    }

public:
    /// The caller read end-of-stream from TCP. After a finished close
    /// handshake this is the normal end; otherwise the connection was lost
    /// (reported as 1006, which is never sent, §7.1.5). Output already queued
    /// stays: close_now means close TCP once it is written (or give up on it).
    [[nodiscard]] event on_eof() noexcept {
        rx_ = rx_state::ignore;
        pending_closed_ = false;
        ended_ = true;
        // §7.1.5: without a received close frame the close code is 1006.
        if (!close_received_) close_code_ = static_cast<std::uint16_t>(close_code::abnormal);
        // A failure already reported, or a finished handshake, ends normally;
        // a failure not yet reported (deferred_fail_) is lost with the TCP.
        const bool handshake_over = state_ == connection_state::closed ||
                                    (state_ == connection_state::failed && deferred_fail_ == error::none);
        deferred_fail_ = error::none;
        state_ = connection_state::closed;
        return closed_event(handshake_over ? error::none : error::connection_lost, close_code_, tcp_action::close_now);
    }

    /// The timer named by timer() expired: give up on the peer (1006).
    [[nodiscard]] event on_timeout() noexcept {
        if (timer() == timer_hint::none) return need_more(0);
        rx_ = rx_state::ignore;
        pending_closed_ = false;
        deferred_fail_ = error::none;
        ended_ = true;
        const bool handshake_done = state_ == connection_state::closed;
        state_ = connection_state::closed;
        if (!handshake_done) close_code_ = static_cast<std::uint16_t>(close_code::abnormal);
        return closed_event(handshake_done ? error::none : error::close_timeout, close_code_, tcp_action::close_now);
    }

    /// Which timer to run now (§7.1.1: the server closes TCP first; a client
    /// waits for that, but not forever).
    [[nodiscard]] timer_hint timer() const noexcept {
        if (state_ == connection_state::closing) return timer_hint::close_handshake;
        if constexpr (R == role::client) {
            if (state_ == connection_state::closed && !ended_) return timer_hint::tcp_close;
        }
        return timer_hint::none;
    }

    // -------------------------------------------------------------------- send

    /// Queues a whole message. For a client the payload is masked while it is
    /// copied out (copy_output(); output() reports needs_copy); send_in_place()
    /// keeps a client's output zero-copy.
    [[nodiscard]] error send(message_type type, bytes_view payload) noexcept {
        return start_message(type, payload.data(), payload.size(), false, true);
    }

    /// Queues a whole message whose buffer a client masks in place when its
    /// frames are handed out (the buffer then holds masked bytes); a server
    /// never modifies it and treats this as send().
    [[nodiscard]] error send_in_place(message_type type, mutable_bytes payload) noexcept {
        return start_message(type, payload.data(), payload.size(), true, true);
    }

    [[nodiscard]] error send_text(std::string_view text) noexcept {
        return send(message_type::text, bytes_view(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
    }
    [[nodiscard]] error send_binary(bytes_view payload) noexcept { return send(message_type::binary, payload); }

    /// Starts a message sent in parts (send_part) whose size is not known yet.
    [[nodiscard]] error begin_message(message_type type) noexcept {
        if (state_ != connection_state::open) return error::not_open;
        if (tx_streaming_ || tx_active()) return error::send_in_progress;
        tx_streaming_ = true;
        tx_type_ = type;
        tx_started_ = false;
        tx_utf8_.reset();
        return error::none;
    }

    /// Queues the next part of the begun message; `last` ends it. Allowed
    /// when can_send_part() is true.
    [[nodiscard]] error send_part(bytes_view part, bool last) noexcept {
        return next_part(part.data(), part.size(), false, last);
    }
    /// send_part() for a buffer a client may mask in place (see send_in_place).
    [[nodiscard]] error send_part_in_place(mutable_bytes part, bool last) noexcept {
        return next_part(part.data(), part.size(), true, last);
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
    [[nodiscard]] error close(std::uint16_t code = static_cast<std::uint16_t>(close_code::normal),
                              std::string_view reason = {}) noexcept {
        if (state_ != connection_state::open) return error::not_open;
        std::array<std::uint8_t, max_control_payload> body;
        const close_build b = build_close_payload(code, reason, body);
        if (b.err != error::none) return b.err;
        queue_close(bytes_view(body.data(), b.size), true);
        state_ = connection_state::closing;
        close_code_ = b.size == 0 ? static_cast<std::uint16_t>(close_code::no_status) : code;
        return error::none;
    }
    [[nodiscard]] error close(close_code code, std::string_view reason = {}) noexcept {
        return close(static_cast<std::uint16_t>(code), reason);
    }

    /// True if a new message (send/begin_message) may be queued now.
    [[nodiscard]] bool can_send() const noexcept {
        return state_ == connection_state::open && !tx_streaming_ && !tx_active();
    }

    /// True if the next part of a begun message (send_part) may be queued now.
    [[nodiscard]] bool can_send_part() const noexcept {
        return state_ == connection_state::open && tx_streaming_ && !tx_active();
    }

    // ------------------------------------------------------------------ output

    /// The next bytes to write, without copying: a control frame, or a data
    /// frame's header and payload. Empty when nothing waits; and for a client
    /// payload queued with send() the header comes alone and then nothing,
    /// with needs_copy set: copy_output() masks it. The spans stay valid until
    /// consume() or the next call that queues or receives.
    [[nodiscard]] output_buffers output() noexcept {
        output_buffers out;
        if (unit_ == unit::none) select_unit();
        if (unit_ == unit::control) {
            const slot& s = slots_[0];
            out.parts[0] = bytes_view(s.bytes.data() + ctrl_sent_, s.size - ctrl_sent_);
            out.count = 1;
        } else if (unit_ == unit::frame) {
            if (hdr_sent_ < hdr_.size) out.parts[out.count++] = bytes_view(hdr_.bytes.data() + hdr_sent_, hdr_.size - hdr_sent_);
            if (frame_left_ > 0) {
                if (R == role::client && !tx_in_place_) out.needs_copy = true;
                else out.parts[out.count++] = bytes_view(frame_ptr_, static_cast<std::size_t>(frame_left_));
            }
        }
        exposed_ = out.size();
        return out;
    }

    /// Acknowledges `n` bytes of what output() last handed out as written;
    /// more than that is ignored.
    void consume(std::size_t n) noexcept {
        if (n > exposed_) n = exposed_;
        exposed_ -= n;
        advance(n);
    }

    /// Copies (and for a client, masks) as much output as fits in `dst`,
    /// acknowledges it, and returns the number of bytes written to `dst`.
    std::size_t copy_output(mutable_bytes dst) noexcept {
        std::size_t total = 0;
        while (total < dst.size()) {
            if (unit_ == unit::none) select_unit();
            if (unit_ == unit::none) break;
            const mutable_bytes room = dst.subspan(total);
            std::size_t k = 0;
            if (unit_ == unit::control || hdr_sent_ < hdr_.size) {
                const output_buffers o = output();
                k = std::min(room.size(), o.parts[0].size());
                for (std::size_t i = 0; i < k; ++i) room[i] = o.parts[0][i];
            } else {
                k = static_cast<std::size_t>(std::min<std::uint64_t>(room.size(), frame_left_));
                if (R == role::client && !tx_in_place_)
                    (void)apply_mask_copy(room.first(k), bytes_view(frame_ptr_, k), frame_key_, frame_phase_);
                else
                    for (std::size_t i = 0; i < k; ++i) room[i] = frame_ptr_[i];
            }
            exposed_ = 0;
            advance(k);
            total += k;
        }
        return total;
    }

private:
    /// Moves the output position `n` bytes on.
    void advance(std::size_t n) noexcept {
        while (n > 0 && unit_ != unit::none) {
            if (unit_ == unit::control) {
                const std::size_t k = std::min<std::size_t>(n, slots_[0].size - ctrl_sent_);
                ctrl_sent_ = static_cast<std::uint8_t>(ctrl_sent_ + k);
                n -= k;
                if (ctrl_sent_ == slots_[0].size) pop_control();
            } else {
                if (hdr_sent_ < hdr_.size) {
                    const std::size_t k = std::min<std::size_t>(n, hdr_.size - hdr_sent_);
                    hdr_sent_ = static_cast<std::uint8_t>(hdr_sent_ + k);
                    n -= k;
                }
                const std::size_t k = static_cast<std::size_t>(std::min<std::uint64_t>(n, frame_left_));
                frame_ptr_ += k;
                frame_left_ -= k;
                frame_phase_ = static_cast<std::uint8_t>((frame_phase_ + k) & 3);
                n -= k;
                if (hdr_sent_ == hdr_.size && frame_left_ == 0) unit_ = unit::none;
            }
        }
    }

public:
    /// Bytes waiting to be written: queued control frames, the current and the
    /// next frame, and the rest of the payload of the message being sent
    /// (headers of frames after the next not counted). Stop reading a peer while this stays high (backpressure).
    [[nodiscard]] std::uint64_t pending_output() const noexcept {
        std::uint64_t n = 0;
        for (std::size_t i = 0; i < slot_count_; ++i) n += slots_[i].size;
        n -= ctrl_sent_;
        if (unit_ == unit::frame) n += static_cast<std::uint64_t>(hdr_.size - hdr_sent_) + frame_left_;
        if (tx_left_ > 0 || tx_need_frame_) {  // the header of the next frame, not built yet
            frame_header h;
            h.masked = R == role::client;
            h.payload_length = options_.fragment_size != 0 && tx_left_ > options_.fragment_size ? options_.fragment_size
                                                                                               : tx_left_;
            n += header_size(h);
        }
        return n + tx_left_;
    }

    [[nodiscard]] connection_state state() const noexcept { return state_; }

    /// The close code: the peer's (1005 if its close had none) once received,
    /// else ours once queued, and 1006 once the connection ended without the
    /// peer's close (§7.1.5); 0 while open.
    [[nodiscard]] std::uint16_t close_code() const noexcept { return close_code_; }

    [[nodiscard]] const connection_options& options() const noexcept { return options_; }

    /// The source of masking keys (a client session draws its handshake nonce from it).
    [[nodiscard]] KeySource& key_source() noexcept { return keys_; }

private:
    enum class rx_state : std::uint8_t { header, data, control, discard, ignore };
    enum class unit : std::uint8_t { none, control, frame };

    /// One encoded control frame: header (2 bytes, and a client's 4-byte
    /// mask key) and payload.
    struct slot {
        std::array<std::uint8_t, (R == role::client ? 6 : 2) + max_control_payload> bytes;
        std::uint8_t size;
        bool reply;       // an automatic pong, which a newer one may replace
        bool after_data;  // our close(): waits for the queued message
    };

    [[nodiscard]] decode_rules rules() const noexcept {
        decode_rules r = rules_for(R);
        r.allowed_rsv = options_.allowed_rsv;
        r.allow_non_minimal_length = options_.allow_non_minimal_length;
        return r;
    }

    [[nodiscard]] static event need_more(std::size_t consumed) noexcept {
        event ev;
        ev.consumed = consumed;
        return ev;
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

    void stage(bytes_view bytes) noexcept {
        for (std::size_t i = 0; i < bytes.size(); ++i) stage_[i] = bytes[i];
        stage_len_ = static_cast<std::uint8_t>(bytes.size());
    }

    /// Fills `ev` with a piece of the current message and moves past it.
    WSCODEC_ALWAYS_INLINE void data_event(event& ev, mutable_bytes piece, bool last, std::size_t consumed) noexcept {
        ev.type = event_type::data;
        ev.message = message_;
        ev.first = first_;
        ev.last = last;
        ev.rsv = rsv_;
        ev.consumed = consumed;
        ev.payload = piece;
        first_ = false;
        in_message_ = !last;
    }

    enum class text_verdict : std::uint8_t { ok, fail_now, deliver_then_fail };
    struct text_check {
        text_verdict verdict;
        std::size_t deliver;  // deliver_then_fail: bytes of the chunk before the failure
        bool at_chunk;        // fail_now: the offending byte is the chunk's first
    };

    /// Validates a piece of a text message (§8.1). Every split of the input
    /// must give the same data events (DESIGN invariant 1), and fed byte by
    /// byte each byte before the offending one is a valid prefix and is
    /// delivered; so those bytes are delivered here too, and the failure
    /// comes with the next call. A message that ends inside a sequence is at
    /// fault at its end: its last piece is delivered, then it fails.
    /// `valid`: bytes at the start of a whole message already known valid
    /// (they end with a whole character). A text message whose first frame
    /// had an extension's RSV bit set is in that extension's encoding
    /// (permessage-deflate: compressed), which the application decodes and
    /// validates; it passes unchecked. (That test sits here, on the text
    /// path only: in the callers' shared code it slowed 16-byte binary
    /// frames by a third.)
    [[nodiscard]] text_check check_text(bytes_view chunk, bool last, bool whole_message,
                                        std::size_t valid = 0) noexcept {
        if (rsv_ != 0) return {text_verdict::ok, chunk.size(), false};
        utf8_result u;
        std::uint64_t before = 0;
        if (whole_message) {
            u = validate_utf8(chunk.subspan(valid));
            u.position += valid;
        } else {
            before = utf8_.offset();
            u = utf8_.feed(chunk);
            if (u.ok() && last) u = utf8_.finish();
        }
        if (u.ok()) return {text_verdict::ok, chunk.size(), false};
        if (u.error == utf8_error::invalid) {
            const auto k = static_cast<std::size_t>(u.position - before);
            if (k == 0) return {text_verdict::fail_now, 0, true};
            return {text_verdict::deliver_then_fail, k, false};
        }
        if (chunk.empty()) return {text_verdict::fail_now, 0, false};
        return {text_verdict::deliver_then_fail, chunk.size(), false};
    }

    /// The data event for the first `k` bytes of `chunk` (at `at` in the
    /// input); the next receive() reports the invalid_utf8 failure.
    [[nodiscard]] event deliver_then_fail(mutable_bytes chunk, std::size_t k, std::size_t at) noexcept {
        event ev;
        data_event(ev, chunk.first(k), false, at + k);
        fail_now(error::invalid_utf8);  // the close frame goes out at once;
        deferred_fail_ = error::invalid_utf8;  // the event comes next
        rx_ = rx_state::ignore;
        return ev;
    }

    /// The hot path: a whole data frame (header and payload) at the start of
    /// `in`, of the kind fast_data_header() accepts. Fills `ev` and returns
    /// true; or returns false with `pos` just past what it took (nothing, or
    /// a header whose frame receive_general() then continues).
    WSCODEC_ALWAYS_INLINE bool whole_data_frame(mutable_bytes in, std::size_t& pos, event& ev) noexcept {
        if (!fast_data_header(in, pos)) return false;
        if (remaining_ > in.size() - pos) return false;  // the payload continues in a later read
        const auto n = static_cast<std::size_t>(remaining_);
        const mutable_bytes chunk(in.data() + pos, n);
        if constexpr (R == role::server) {
            std::uint32_t key32;
            std::memcpy(&key32, key_.data(), 4);
            if (n < 256) detail::mask_short(chunk.data(), n, key32);
            // A long whole text that starts with a 3-byte character (CJK):
            // receive_loop() unmasks it as it validates it.
            else if (message_ == message_type::text && first_ && fin_ && starts_three_byte(chunk)) return false;
            else (void)apply_mask(chunk, key_);
        }
        if (message_ == message_type::text) {
            const text_check t = check_text(chunk, fin_, first_ && fin_);
            if (t.verdict == text_verdict::fail_now) {
                ev = fail(error::invalid_utf8, t.at_chunk ? pos : 0, in.size());
                return true;
            }
            if (t.verdict == text_verdict::deliver_then_fail) {
                ev = deliver_then_fail(chunk, t.deliver, pos);
                return true;
            }
        }
        remaining_ = 0;
        rx_ = rx_state::header;
        pos += n;
        if (n == 0 && !first_ && !fin_) return false;  // an empty middle fragment: nothing to report
        data_event(ev, chunk, fin_, pos);
        return true;
    }

    /// True if masked `chunk` starts with a 3-byte character's lead byte.
    [[nodiscard]] bool starts_three_byte(bytes_view chunk) const noexcept {
        return !chunk.empty() && static_cast<unsigned>(chunk[0] ^ key_[0]) - 0xE1u <= 0xEFu - 0xE1u;
    }

    /// Unmasks a whole text message (server role). One that starts with a
    /// 3-byte character (CJK) is unmasked and validated in one pass while it
    /// keeps to them; returns the bytes so validated (0 for anything else).
    std::size_t unmask_whole_text(mutable_bytes chunk) noexcept {
        detail::unmasked_run r{0, 0};
        if (chunk.size() >= 64 && starts_three_byte(chunk))
            r = detail::unmask_three_byte_run(chunk.data(), chunk.size(), detail::rotated_key(key_.data(), 0));
        (void)apply_mask(chunk.subspan(r.unmasked), key_);  // r.unmasked % 4 == 0: key phase 0 again
        return r.valid;
    }

    /// The common case in straight-line code: a complete header of a data
    /// frame with a 7- or 16-bit length, no RSV bit, the mask bit the role
    /// requires, in sequence and within limits, on an open connection. Sets
    /// up the frame and advances `pos`; false (nothing changed) for anything
    /// else, which decode_header() then judges.
    WSCODEC_ALWAYS_INLINE bool fast_data_header(mutable_bytes in, std::size_t& pos) noexcept {
        constexpr std::size_t key_bytes = R == role::server ? 4 : 0;
        const std::size_t avail = in.size() - pos;
        if (avail < 2 + key_bytes) return false;
        const std::uint8_t* p = in.data() + pos;
        const std::uint8_t b0 = p[0];
        const std::uint8_t b1 = p[1];
        if ((b0 & 0x7C) != 0 || (b0 & 0x03) == 0x03) return false;  // RSV, control or reserved opcode
        if ((b1 & 0x80) != (R == role::server ? 0x80 : 0)) return false;
        std::uint64_t len = b1 & 0x7Fu;
        std::size_t h = 2;
        if (len >= 126) {
            if (len == 127 || avail < 4 + key_bytes) return false;
            len = (std::uint64_t{p[2]} << 8) | p[3];
            if (len < 126) return false;
            h = 4;
        }
        const bool continuation = (b0 & 0x0F) == 0;
        if (continuation != in_message_ || state_ != connection_state::open) return false;
        if (limit_error(continuation, len) != error::none) return false;
        if (continuation) {
            ++fragments_;
            message_size_ += len;
        } else {
            message_ = static_cast<message_type>(b0 & 0x0F);
            if (message_ == message_type::text) utf8_.reset();
            rsv_ = 0;
            fragments_ = 1;
            message_size_ = len;
            first_ = true;
        }
        if constexpr (R == role::server) {
            std::memcpy(key_.data(), p + h, 4);
            h += 4;
        }
        phase_ = 0;
        remaining_ = len;
        fin_ = (b0 & 0x80) != 0;
        in_message_ = true;
        rx_ = rx_state::data;
        pos += h;
        return true;
    }

    /// Decodes a header in full generality (staged across calls, control
    /// frames, errors). True: the frame is set up and `pos` advanced; false:
    /// `ev` is the event to return (need_more or failed).
    WSCODEC_NOINLINE bool decode_header(mutable_bytes in, std::size_t& pos, event& ev) noexcept {
        const std::size_t start = pos;
        const std::size_t staged = stage_len_;
        decode_result r;
        if (staged == 0) {
            // Judge byte 0 alone first (its own rules, then §5.4), as when it
            // arrives alone, so every split reports the same error.
            if (pos < in.size()) {
                const decode_result r0 = try_decode_header(in.subspan(pos, 1), rules());
                if (r0.status == decode_status::failed) {
                    ev = fail(r0.err, pos, in.size());
                    return false;
                }
                error e = rsv_error(in[pos]);
                if (e == error::none) e = sequence_error(in[pos]);
                if (e != error::none) {
                    ev = fail(e, pos, in.size());
                    return false;
                }
            }
            r = try_decode_header(in.subspan(pos), rules());
            if (r.status == decode_status::need_more) {
                if (const error le = early_limit_error(in.subspan(pos)); le != error::none) {
                    ev = fail(le, pos, in.size());
                    return false;
                }
                stage(in.subspan(pos));
                ev = need_more(in.size());
                return false;
            }
            if (r.status == decode_status::failed) {
                ev = fail(r.err, pos + r.size, in.size());
                return false;
            }
            pos += r.size;
        } else {
            const std::size_t take = std::min(max_header_size - staged, in.size() - pos);
            for (std::size_t i = 0; i < take; ++i) stage_[staged + i] = in[pos + i];
            r = try_decode_header(bytes_view(stage_.data(), staged + take), rules());
            if (r.status == decode_status::failed) {
                ev = fail(r.err, r.size >= staged ? pos + (r.size - staged) : 0, in.size());
                return false;
            }
            if (r.status == decode_status::need_more) {
                if (const error le = early_limit_error(bytes_view(stage_.data(), staged + take)); le != error::none) {
                    ev = fail(le, 0, in.size());
                    return false;
                }
                stage_len_ = static_cast<std::uint8_t>(staged + take);
                ev = need_more(in.size());
                return false;
            }
            pos += r.size - staged;
            stage_len_ = 0;
        }
        const error e = begin_frame(r.header);
        if (e != error::none) {
            ev = fail(e, start, in.size());
            return false;
        }
        return true;
    }

    /// RSV bits allowed by options().allowed_rsv mean something only on the
    /// first frame of a data message, as permessage-deflate's RSV1 does (RFC
    /// 7692 §6.1: never on control frames or later fragments); elsewhere no
    /// negotiated extension gives them a meaning, and §5.2 fails them.
    [[nodiscard]] static error rsv_error(std::uint8_t b0) noexcept {
        const auto op = static_cast<opcode>(b0 & 0x0F);
        if ((b0 & 0x70) != 0 && (op == opcode::continuation || is_control(op))) return error::reserved_bits_set;
        return error::none;
    }

    /// §5.4 rules a header's first byte alone can break.
    [[nodiscard]] error sequence_error(std::uint8_t b0) const noexcept {
        const auto op = static_cast<opcode>(b0 & 0x0F);
        if (op == opcode::continuation && !in_message_) return error::unexpected_continuation;
        if ((op == opcode::text || op == opcode::binary) && in_message_) return error::expected_continuation;
        return error::none;
    }

    /// Sets up the payload state for a decoded header; the error if the frame
    /// breaks §5.4 or a limit.
    [[nodiscard]] error begin_frame(const frame_header& h) noexcept {
        key_ = h.key;
        phase_ = 0;
        remaining_ = h.payload_length;
        if (is_control(h.op)) {
            ctrl_op_ = h.op;
            rx_ = rx_state::control;
            return error::none;
        }
        // §5.4 sequencing was judged on byte 0 (decode_header).
        if (state_ != connection_state::open) {  // §7.1: after our close, data is dropped
            in_message_ = !h.fin;
            rx_ = rx_state::discard;
            return error::none;
        }
        const bool continuation = h.op == opcode::continuation;
        if (const error e = limit_error(continuation, h.payload_length); e != error::none) return e;
        if (!continuation) {
            message_ = static_cast<message_type>(h.op);
            rsv_ = h.rsv;
            message_size_ = 0;
            fragments_ = 0;
            first_ = true;
            utf8_.reset();
        }
        ++fragments_;
        message_size_ += h.payload_length;
        in_message_ = true;
        fin_ = h.fin;
        rx_ = rx_state::data;
        return error::none;
    }

    /// The limit (§7.4.1 code 1009) a data frame of `length` bytes breaks, in
    /// this order: frame size, message size, number of fragments.
    [[nodiscard]] error limit_error(bool continuation, std::uint64_t length) const noexcept {
        const limits& lim = options_.limits;
        if (length > lim.max_frame_size) return error::frame_too_big;
        const std::uint64_t so_far = continuation ? message_size_ : 0;
        if (length > lim.max_message_size - so_far) return error::message_too_big;
        if ((continuation ? fragments_ : 0) >= lim.max_fragments) return error::too_many_fragments;
        return error::none;
    }

    /// A limit broken by a header whose length field is complete though its
    /// mask key is not: reported now, as the length shows it (invariant 3).
    [[nodiscard]] error early_limit_error(bytes_view h) const noexcept {
        if (h.size() < 2 || state_ != connection_state::open) return error::none;
        const auto op = static_cast<opcode>(h[0] & 0x0F);
        if (!is_data(op)) return error::none;
        const unsigned len7 = h[1] & 0x7Fu;
        const std::size_t ext = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
        if (h.size() < 2 + ext) return error::none;
        std::uint64_t length = len7;
        if (ext != 0) {
            length = 0;
            for (std::size_t i = 2; i < 2 + ext; ++i) length = (length << 8) | h[i];
        }
        return limit_error(op == opcode::continuation, length);
    }

    /// Handles a complete control frame's payload (already unmasked).
    [[nodiscard]] WSCODEC_NOINLINE event control_event(mutable_bytes payload, bool staged, std::size_t consumed,
                                      std::size_t input_size) noexcept {
        event ev;
        ev.consumed = consumed;
        ev.payload = payload;
        if (ctrl_op_ == opcode::ping) {
            ev.type = event_type::ping;
            // §5.5.2: a pong unless the peer's close came first; after our own
            // close too, behind our close frame.
            if (options_.auto_pong && (state_ == connection_state::open || state_ == connection_state::closing))
                queue_pong(payload);
            return ev;
        }
        if (ctrl_op_ == opcode::pong) {
            ev.type = event_type::pong;
            return ev;
        }
        // Close (§5.5.1, §7.1.5).
        const close_info info = parse_close_payload(payload);
        if (info.err != error::none) {
            return fail(info.err, staged ? 0 : consumed - payload.size(), input_size);
        }
        close_code_ = info.code;
        close_received_ = true;
        if (state_ == connection_state::open) {
            // Echo the code received (§5.5.1); an empty close gets an empty close.
            std::array<std::uint8_t, 2> body{static_cast<std::uint8_t>(info.code >> 8),
                                             static_cast<std::uint8_t>(info.code)};
            queue_close(bytes_view(body.data(), info.code == static_cast<std::uint16_t>(close_code::no_status) ? 0 : 2));
        }
        state_ = connection_state::closed;
        rx_ = rx_state::ignore;
        pending_closed_ = true;
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
        ev.code = close_code_;
        ev.action = tcp_action::close_now;
        ev.consumed = input_size;
        ev.position = position;
        return ev;
    }

    /// The state side of a failure: our close frame with the error's code
    /// unless ours went already (then close_code_ stays the code we sent).
    void fail_now(error e) noexcept {
        if (state_ == connection_state::open) {
            const wscodec::close_code code = close_code_for(e);
            std::array<std::uint8_t, max_control_payload> body;
            const std::string_view reason = error_message(e);
            const close_build b = build_close_payload(code, reason.substr(0, max_close_reason), body);
            queue_close(bytes_view(body.data(), b.size));
            close_code_ = static_cast<std::uint16_t>(code);
        }
        state_ = connection_state::failed;
        rx_ = rx_state::ignore;
    }

    // ------------------------------------------------------- control frames

    /// Encodes a control frame into slot `i` (masked for a client).
    void fill_slot(std::size_t i, opcode op, bytes_view payload, bool reply = false, bool after_data = false) noexcept {
        slot& s = slots_[i];
        frame_header h;
        h.op = op;
        h.payload_length = payload.size();
        h.masked = R == role::client;
        if constexpr (R == role::client) h.key = keys_();
        const std::size_t hs = encode_header(h, std::span<std::uint8_t, max_header_size>(s.bytes.data(), max_header_size));
        const mutable_bytes body(s.bytes.data() + hs, payload.size());
        if constexpr (R == role::client)
            (void)apply_mask_copy(body, payload, h.key);
        else
            for (std::size_t k = 0; k < payload.size(); ++k) body[k] = payload[k];
        s.size = static_cast<std::uint8_t>(hs + payload.size());
        s.reply = reply;
        s.after_data = after_data;
    }

    /// True if slot `i` may still be rewritten: nothing of it handed out.
    [[nodiscard]] bool slot_free_to_change(std::size_t i) const noexcept {
        return i > 0 || (unit_ != unit::control && ctrl_sent_ == 0);
    }

    /// Queues the pong for a ping just received: it replaces a pong not yet
    /// handed out (§5.5.3), and like any newly queued frame goes last.
    void queue_pong(bytes_view payload) noexcept {
        for (std::size_t i = slot_count_; i-- > 0;) {
            if (slots_[i].reply && slot_free_to_change(i)) {
                erase_slot(i);
                break;
            }
        }
        if (slot_count_ < slots_.size()) fill_slot(slot_count_++, opcode::pong, payload, true);
    }

    /// Removes slot `i`; the slots after it move up one.
    void erase_slot(std::size_t i) noexcept {
        for (std::size_t j = i + 1; j < slot_count_; ++j) slots_[j - 1] = slots_[j];
        --slot_count_;
    }

    /// Queues our close frame. `after_data` (our own close()): the message
    /// already queued is written first. Otherwise (an echo, a failure) the
    /// message being sent ends with its current frame. No data frame follows
    /// our close frame (§5.5.1), and a streamed message gets no more parts.
    void queue_close(bytes_view body, bool after_data = false) noexcept {
        // There is always room (see the class comment): at most one close is
        // ever queued, and besides it at most a frame being handed out and
        // either the newest pong or the application's ping or pong wait.
        const std::size_t i = slot_count_ < slots_.size() ? slot_count_++ : slots_.size() - 1;
        fill_slot(i, opcode::close, body, false, after_data);
        tx_streaming_ = false;
        if (!after_data) {
            tx_left_ = 0;
            tx_need_frame_ = false;
        }
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
        if (slot_count_ > (closing_pong ? 1 : 0)) return error::control_queue_full;
        fill_slot(slot_count_++, op, payload);
        return error::none;
    }

    void pop_control() noexcept {
        erase_slot(0);
        ctrl_sent_ = 0;
        unit_ = unit::none;
    }

    // ---------------------------------------------------------- data frames

    [[nodiscard]] bool tx_active() const noexcept { return tx_left_ > 0 || tx_need_frame_ || unit_ == unit::frame; }

    [[nodiscard]] error start_message(message_type type, const std::uint8_t* data, std::size_t size, bool in_place,
                                      bool last) noexcept {
        if (state_ != connection_state::open) return error::not_open;
        if (tx_streaming_ || tx_active()) return error::send_in_progress;
        // §5.6/§8.1: a text message must be UTF-8, or the peer fails us with 1007.
        if (type == message_type::text && !validate_utf8(bytes_view(data, size)).ok()) return error::text_not_utf8;
        tx_type_ = type;
        tx_started_ = false;
        set_part(data, size, in_place, last);
        return error::none;
    }

    [[nodiscard]] error next_part(const std::uint8_t* data, std::size_t size, bool in_place, bool last) noexcept {
        if (state_ != connection_state::open) return error::not_open;
        if (!tx_streaming_) return error::no_message_started;
        if (tx_active()) return error::send_in_progress;
        if (tx_type_ == message_type::text) {  // checked across parts; a bad part is refused, the text stays as it was
            utf8_validator probe = tx_utf8_;
            utf8_result u = probe.feed(bytes_view(data, size));
            if (u.ok() && last) u = probe.finish();
            if (!u.ok()) return error::text_not_utf8;
            tx_utf8_ = probe;
        }
        set_part(data, size, in_place, last);
        if (last) tx_streaming_ = false;
        return error::none;
    }

    void set_part(const std::uint8_t* data, std::size_t size, bool in_place, bool last) noexcept {
        tx_ptr_ = const_cast<std::uint8_t*>(data);  // written only when in_place
        tx_left_ = size;
        tx_in_place_ = in_place;
        tx_last_ = last;
        // An empty part still needs a frame if it starts or ends the message.
        tx_need_frame_ = size == 0 && (last || !tx_started_);
    }

    /// Picks what output() hands out next: a control frame between data
    /// frames, else the next frame of the message being sent. Control frames
    /// go in the order queued, except that our close() waits for the message
    /// queued before it while a pong behind it may go first (§5.5.2: as soon
    /// as is practical). The frame chosen moves to slot 0.
    void select_unit() noexcept {
        const bool data_waits = tx_left_ > 0 || tx_need_frame_;
        for (std::size_t i = 0; i < slot_count_; ++i) {
            if (slots_[i].after_data && data_waits) continue;
            if (i > 0) std::rotate(slots_.begin(), slots_.begin() + static_cast<std::ptrdiff_t>(i),
                                   slots_.begin() + static_cast<std::ptrdiff_t>(i) + 1);
            unit_ = unit::control;
            return;
        }
        if (tx_left_ == 0 && !tx_need_frame_) return;
        std::uint64_t n = tx_left_;
        if (options_.fragment_size != 0 && n > options_.fragment_size) n = options_.fragment_size;
        frame_header h;
        h.fin = tx_last_ && n == tx_left_;
        h.op = tx_started_ ? opcode::continuation : static_cast<opcode>(tx_type_);
        h.payload_length = n;
        h.masked = R == role::client;
        if constexpr (R == role::client) {
            h.key = keys_();
            if (tx_in_place_) (void)apply_mask(mutable_bytes(tx_ptr_, static_cast<std::size_t>(n)), h.key);
        }
        frame_key_ = h.key;
        frame_phase_ = 0;
        hdr_ = encode_header(h);
        hdr_sent_ = 0;
        frame_ptr_ = tx_ptr_;
        frame_left_ = n;
        tx_ptr_ += n;
        tx_left_ -= n;
        tx_need_frame_ = false;
        tx_started_ = true;
        unit_ = unit::frame;
    }


    // Receive state.
    std::uint64_t remaining_ = 0;     // payload bytes left in the current frame
    std::uint64_t message_size_ = 0;  // payload bytes of the current message so far
    utf8_validator utf8_;
    std::uint32_t fragments_ = 0;
    mask_key key_{};
    std::uint8_t phase_ = 0;
    rx_state rx_ = rx_state::header;
    opcode ctrl_op_ = opcode::ping;
    message_type message_ = message_type::binary;
    std::uint8_t rsv_ = 0;
    bool fin_ = false;
    bool first_ = false;
    bool in_message_ = false;
    bool pending_closed_ = false;
    error deferred_fail_ = error::none;  // reported by the next receive()
    bool ended_ = false;
    bool close_received_ = false;  // on_eof() or on_timeout() told the caller to close TCP
    connection_state state_ = connection_state::open;
    std::uint16_t close_code_ = 0;
    std::uint8_t stage_len_ = 0;
    std::array<std::uint8_t, max_control_payload> stage_{};  // split header or control payload

    // Send state.
    std::array<slot, 3> slots_{};
    std::uint8_t slot_count_ = 0;
    std::uint8_t ctrl_sent_ = 0;
    unit unit_ = unit::none;
    std::size_t exposed_ = 0;  // bytes output() handed out and consume() may still take
    message_type tx_type_ = message_type::binary;
    bool tx_started_ = false;
    bool tx_last_ = false;
    bool tx_in_place_ = false;
    bool tx_need_frame_ = false;
    bool tx_streaming_ = false;
    std::uint8_t hdr_sent_ = 0;
    std::uint8_t frame_phase_ = 0;
    mask_key frame_key_{};
    encoded_header hdr_{};
    utf8_validator tx_utf8_;  // the text of a streamed message so far
    std::uint8_t* tx_ptr_ = nullptr;
    std::uint64_t tx_left_ = 0;
    const std::uint8_t* frame_ptr_ = nullptr;
    std::uint64_t frame_left_ = 0;

    connection_options options_;
    [[no_unique_address]] KeySource keys_;
};

using server_connection = connection<role::server>;
using client_connection = connection<role::client>;

}  // namespace wscodec
