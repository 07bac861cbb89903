// SPDX-License-Identifier: MIT
// wscodec/frame_reader.hpp — the receive side of a connection (RFC 6455 §5.1
// -§5.6, §8.1): frame headers decoded (staged when split), payload unmasked
// in place and streamed as data events, text validated as UTF-8, control
// payloads collected, limits applied as soon as a header declares a length.
#pragma once

#include <cstring>
#include <wscodec/events.hpp>
#include <wscodec/frame.hpp>
#include <wscodec/mask.hpp>
#include <wscodec/limits.hpp>
#include <wscodec/utf8.hpp>

namespace wscodec::detail {

/// What the owner's inflater made of a piece of a compressed message.
struct inflated_piece {
    std::size_t consumed = 0;  ///< bytes of the piece taken
    mutable_bytes out{};       ///< inflated bytes (the owner's buffer)
    bool done = false;         ///< the message is complete
    bool more = false;         ///< the buffer filled: more inflated bytes wait without new input
    error err = error::none;   ///< the connection fails with this
};

/// The frame reader of a connection in role `R`. What a frame means for the
/// connection is the owner's (`Owner`, which derives from this class):
///   event owner.fail(error, position, input_size)   fails the connection (§7.1.7)
///   void  owner.fail_later(error)                    fails it, the event owed to the next call
///   event owner.control_event(op, payload, staged, consumed, input_size)
///   event owner.after_end(input_size)                input once the reader stopped
///   bool  owner.accepting_data()                     false once our close is queued (§7.1)
///   bool  owner.inflates()                           permessage-deflate's inflater is set up
///   void  owner.begin_inflate(text)                  a compressed message starts
///   inflated_piece owner.inflate(piece, last)        inflates a compressed message's payload
///   const connection_options& owner.options()
/// State: about 230 bytes, most of it the stage for a split header or
/// control payload.
/// Stands in for a counter a role does not need.
struct empty_count {};

template <role R, class Owner>
class frame_reader {
protected:
    /// True at a frame boundary with nothing staged: where the hot path may start.
    [[nodiscard]] bool at_frame_start() const noexcept { return rx_ == rx_state::header && stage_len_ == 0; }

    /// Ignores all further input (the connection ended or failed).
    void stop_reading() noexcept { rx_ = rx_state::ignore; }

    /// True while a data message is open (a frame without FIN came).
    [[nodiscard]] bool in_message() const noexcept { return in_message_; }

    /// The hot path: a whole data frame (header and payload) at the start of
    /// `in`, of the kind fast_data_header() accepts. Fills `ev` and returns
    /// true; or returns false with `pos` just past what it took (nothing, or
    /// a header whose frame read() then continues).
    WSCODEC_ALWAYS_INLINE bool whole_data_frame(mutable_bytes in, std::size_t& pos, event& ev) noexcept {
        if (small_message(in, ev)) return true;
        if (!fast_data_header(in, pos)) return false;
        if (remaining_ > in.size() - pos) return false;  // the payload continues in a later read
        const auto n = static_cast<std::size_t>(remaining_);
        const mutable_bytes chunk(in.data() + pos, n);
        if constexpr (R == role::server) {
            std::uint32_t key32;
            std::memcpy(&key32, key_.data(), 4);
            if (n < 256) detail::mask_short(chunk.data(), n, key32);
            // A long whole text that starts with a 3-byte character (CJK):
            // read() unmasks it as it validates it.
            else if (message_ == message_type::text && first_ && fin_ && starts_three_byte(chunk)) return false;
            else (void)apply_mask(chunk, key_);
        }
        if (message_ == message_type::text) {
            const text_check t = check_text(chunk, fin_, first_ && fin_);
            if (t.verdict == text_verdict::fail_now) {
                ev = owner().fail(error::invalid_utf8, t.at_chunk ? pos : 0, in.size());
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

    /// The commonest frames of all, in straight-line code: a whole message
    /// in one frame of at most 125 bytes (FIN, binary or valid text, no RSV
    /// bit, the mask bit the role requires, a 7-bit length), all of it at
    /// the start of `in`, while no message is open, on an open connection,
    /// within limits. The frame starts and ends here, so the reader's
    /// per-frame state is neither set nor reset: it stays as the end of a
    /// frame leaves it. False, nothing touched, for anything else (a text
    /// that is not UTF-8 is masked again, XOR being its own inverse, and left
    /// to the general path, which reports it as for any other frame).
    WSCODEC_ALWAYS_INLINE bool small_message(mutable_bytes in, event& ev) noexcept {
        constexpr std::size_t h = R == role::server ? 6 : 2;
        if (in.size() < h) return false;
        std::uint8_t* p = in.data();
        const unsigned mask = R == role::server ? 0x80u : 0u;
        const unsigned len = p[1] - mask;        // wraps above 125 when the mask bit is not what the role needs
        const unsigned type = p[0] - 0x80u;      // FIN and no RSV bit: 1 text, 2 binary
        if (type - 1u > 1u || len > 125 || len > in.size() - h) return false;
        if (in_message_ || !owner().accepting_data()) return false;
        if (limit_error(false, len) != error::none) return false;
        [[maybe_unused]] std::uint32_t key32 = 0;
        if constexpr (R == role::server) {
            std::memcpy(&key32, p + 2, 4);
            detail::mask_short(p + h, len, key32);
        }
        if (type == 1 && !validate_utf8(bytes_view(p + h, len)).ok()) {
            if constexpr (R == role::server) detail::mask_short(p + h, len, key32);
            return false;
        }
        ev.type = event_type::data;
        ev.message = static_cast<message_type>(type);
        ev.first = true;
        ev.last = true;
        ev.consumed = h + len;
        ev.payload = mutable_bytes(p + h, len);
        return true;
    }

    /// Reads `in` from `pos` on in full generality, up to the next event.
    [[nodiscard]] event read(mutable_bytes in, std::size_t pos) noexcept {
        for (;;) {
            if (rx_ == rx_state::header) {
                if (!(stage_len_ == 0 && fast_data_header(in, pos))) {
                    event ev;
                    if (!decode_header(in, pos, ev)) return ev;
                    continue;
                }
            }
            if (WSCODEC_LIKELY(rx_ == rx_state::data)) {
                if (compressed_) {
                    event ev;
                    if (compressed_data(in, pos, ev)) return ev;
                    continue;
                }
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
                        return owner().fail(error::invalid_utf8, t.at_chunk ? pos - n : 0, in.size());
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
                return owner().control_event(ctrl_op_, payload, staged, pos, in.size());
            }
            return owner().after_end(in.size());  // rx_state::ignore
        }
    }

    [[nodiscard]] static event need_more(std::size_t consumed) noexcept {
        event ev;
        ev.consumed = consumed;
        return ev;
    }

private:
    enum class rx_state : std::uint8_t { header, data, control, discard, ignore };

    [[nodiscard]] Owner& owner() noexcept { return static_cast<Owner&>(*this); }
    [[nodiscard]] const Owner& owner() const noexcept { return static_cast<const Owner&>(*this); }

    [[nodiscard]] decode_rules rules() const noexcept {
        decode_rules r = rules_for(R);
        r.allowed_rsv = owner().options().allowed_rsv;
        r.allow_non_minimal_length = owner().options().allow_non_minimal_length;
        return r;
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
    /// validates; it passes unchecked. (The RSV test sits here, on the text
    /// path only, to keep it off the binary hot path.)
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
        if (u.err == utf8_error::invalid) {
            const auto k = static_cast<std::size_t>(u.position - before);
            if (k == 0) return {text_verdict::fail_now, 0, true};
            return {text_verdict::deliver_then_fail, k, false};
        }
        if (chunk.empty()) return {text_verdict::fail_now, 0, false};
        return {text_verdict::deliver_then_fail, chunk.size(), false};
    }

    /// The data event for the first `k` bytes of `chunk` (at `at` in the
    /// input); the next call reports the invalid_utf8 failure.
    [[nodiscard]] event deliver_then_fail(mutable_bytes chunk, std::size_t k, std::size_t at) noexcept {
        event ev;
        data_event(ev, chunk.first(k), false, at + k);
        owner().fail_later(error::invalid_utf8);  // the close frame goes out at once, the event comes next
        rx_ = rx_state::ignore;
        return ev;
    }

    /// The payload of a compressed message (RFC 7692 §6.2), from `pos`:
    /// unmasked in place (each byte once, even when the inflater takes only
    /// part of it and the caller hands the rest again) and inflated into the
    /// owner's buffer, one buffer-full per call at most. True: `ev` is the
    /// event (data, failed, need_more); false: the frame's payload is all
    /// taken and nothing came out, so read() goes on with the next header.
    /// The state stays `data` while inflated bytes wait, so an event is owed
    /// without input (the owner's has_pending_event()).
    WSCODEC_NOINLINE bool compressed_data(mutable_bytes in, std::size_t& pos, event& ev) noexcept {
        const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, in.size() - pos));
        const mutable_bytes chunk = in.subspan(pos, n);
        if constexpr (R == role::server) {
            const std::size_t done = std::min(unmasked_ahead_, n);
            if (n > done) (void)apply_mask(chunk.subspan(done), key_, static_cast<std::size_t>((phase_ + done) & 3));
            unmasked_ahead_ = std::max(unmasked_ahead_, n);
        }
        const bool last = fin_ && n == remaining_;
        const inflated_piece r = owner().inflate(chunk, last);
        pos += r.consumed;
        remaining_ -= r.consumed;
        if constexpr (R == role::server) {
            phase_ = static_cast<std::uint8_t>((phase_ + r.consumed) & 3);
            unmasked_ahead_ -= r.consumed;
        }
        if (r.err != error::none) {
            ev = owner().fail(r.err, 0, in.size());
            return true;
        }
        if (r.done) {
            compressed_ = false;
            rx_ = rx_state::header;
            data_event(ev, r.out, true, pos);
            ev.rsv = rsv_;
            return true;
        }
        if (!r.more && remaining_ == 0) rx_ = rx_state::header;  // the frame is inflated; the next one follows
        if (!r.out.empty()) {
            data_event(ev, r.out, false, pos);
            ev.rsv = rsv_;
            return true;
        }
        if (rx_ == rx_state::header) return false;
        ev = need_more(in.size());  // all of the input is taken
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
        (void)apply_mask(chunk.subspan(r.unmasked), key_, r.unmasked);  // from key phase r.unmasked % 4
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
        if (!is_plain_data_first_byte(b0)) return false;
        if (mask_bit(b1) != (R == role::server)) return false;
        std::uint64_t len = length7(b1);
        std::size_t h = 2;
        if (len >= 126) {
            if (len == 127 || avail < 4 + key_bytes) return false;
            len = read_extended_length(p + 2, 2);
            if (!is_minimal_length(len, 2)) return false;
            h = 4;
        }
        const bool continuation = opcode_bits(b0) == 0;
        if (continuation != in_message_ || !owner().accepting_data()) return false;
        if (continuation && compressed_) return false;  // a compressed message's frames inflate (read())
        if (limit_error(continuation, len) != error::none) return false;
        if (continuation) {
            ++fragments_;
            message_size_ += len;
        } else {
            message_ = static_cast<message_type>(opcode_bits(b0));
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
        fin_ = fin_bit(b0);
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
        const decode_rules r = rules();
        decode_result d;
        if (staged == 0) {
            // Byte 0 is judged alone first (the frame layer's rules, then the
            // connection's), as when it arrives alone, so every split reports
            // the same error.
            if (pos < in.size()) {
                if (const error e = first_byte_error(in[pos], r); e != error::none) {
                    ev = owner().fail(e, pos, in.size());
                    return false;
                }
            }
            d = try_decode_header(in.subspan(pos), r);
            if (d.status == decode_status::need_more) {
                if (const error le = early_limit_error(in.subspan(pos)); le != error::none) {
                    ev = owner().fail(le, pos, in.size());
                    return false;
                }
                stage(in.subspan(pos));
                ev = need_more(in.size());
                return false;
            }
            if (d.status == decode_status::failed) {
                ev = owner().fail(d.err, pos + d.size, in.size());
                return false;
            }
            pos += d.size;
        } else {
            const std::size_t take = std::min(max_header_size - staged, in.size() - pos);
            for (std::size_t i = 0; i < take; ++i) stage_[staged + i] = in[pos + i];
            d = try_decode_header(bytes_view(stage_.data(), staged + take), r);
            if (d.status == decode_status::failed) {
                ev = owner().fail(d.err, d.size >= staged ? pos + (d.size - staged) : 0, in.size());
                return false;
            }
            if (d.status == decode_status::need_more) {
                if (const error le = early_limit_error(bytes_view(stage_.data(), staged + take)); le != error::none) {
                    ev = owner().fail(le, 0, in.size());
                    return false;
                }
                stage_len_ = static_cast<std::uint8_t>(staged + take);
                ev = need_more(in.size());
                return false;
            }
            pos += d.size - staged;
            stage_len_ = 0;
        }
        const error e = begin_frame(d.header);
        if (e != error::none) {
            ev = owner().fail(e, start, in.size());
            return false;
        }
        return true;
    }

    /// The first rule byte 0 of a header breaks: the frame layer's (§5.2),
    /// then an allowed RSV bit where no extension gives it a meaning (RFC
    /// 7692 §6.1: only on the first frame of a data message), then §5.4.
    [[nodiscard]] error first_byte_error(std::uint8_t b0, const decode_rules& r) const noexcept {
        if (const error e = check_first_byte(b0, r); e != error::none) return e;
        const auto op = static_cast<opcode>(opcode_bits(b0));
        if (rsv_bits(b0) != 0 && (op == opcode::continuation || is_control(op))) return error::reserved_bits_set;
        if (op == opcode::continuation && !in_message_) return error::unexpected_continuation;
        if ((op == opcode::text || op == opcode::binary) && in_message_) return error::expected_continuation;
        return error::none;
    }

    /// Sets up the payload state for a decoded header; the error if the frame
    /// breaks a limit.
    [[nodiscard]] error begin_frame(const frame_header& h) noexcept {
        key_ = h.key;
        phase_ = 0;
        remaining_ = h.payload_length;
        if (is_control(h.op)) {
            ctrl_op_ = h.op;
            rx_ = rx_state::control;
            return error::none;
        }
        if (!owner().accepting_data()) {  // §7.1: after our close, data is dropped
            in_message_ = !h.fin;
            rx_ = rx_state::discard;
            return error::none;
        }
        const bool continuation = h.op == opcode::continuation;
        const bool compressed = continuation ? compressed_ : (h.rsv & rsv1) != 0 && owner().inflates();
        if (const error e = limit_error(continuation, h.payload_length, compressed); e != error::none) return e;
        if (!continuation) {
            message_ = static_cast<message_type>(h.op);
            compressed_ = compressed;
            // RSV1 is the codec's when it inflates: the application sees plain bytes.
            rsv_ = compressed ? static_cast<std::uint8_t>(h.rsv & ~rsv1) : h.rsv;
            if (compressed) owner().begin_inflate(message_ == message_type::text);
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
    /// this order: frame size, message size, number of fragments (counted
    /// for continuation frames only: a message's first frame is always
    /// within it, so the whole-frame path does no fragment work).
    [[nodiscard]] WSCODEC_ALWAYS_INLINE error limit_error(bool continuation, std::uint64_t length,
                                                       bool compressed = false) const noexcept {
        const receive_limits& lim = owner().options().limits;
        if (length > lim.max_frame_size && (!compressed || length > lim.compressed_frame_limit())) return error::frame_too_big;
        const std::uint64_t so_far = continuation ? message_size_ : 0;
        const std::uint64_t max = compressed ? lim.compressed_limit() : lim.max_message_size;
        if (length > max - so_far) return error::message_too_big;
        if (continuation && fragments_ >= lim.fragment_limit()) return error::too_many_fragments;
        return error::none;
    }

    /// A limit broken by a header whose length field is complete though its
    /// mask key is not: reported now, as the length shows it (invariant 3).
    [[nodiscard]] error early_limit_error(bytes_view h) const noexcept {
        if (h.size() < 2 || !owner().accepting_data()) return error::none;
        const auto op = static_cast<opcode>(opcode_bits(h[0]));
        if (!is_data(op)) return error::none;
        const std::size_t ext = extended_length_size(length7(h[1]));
        if (h.size() < 2 + ext) return error::none;
        const std::uint64_t length = ext == 0 ? length7(h[1]) : read_extended_length(h.data() + 2, ext);
        const bool continuation = op == opcode::continuation;
        const bool compressed = continuation ? compressed_ : (rsv_bits(h[0]) & rsv1) != 0 && owner().inflates();
        return limit_error(continuation, length, compressed);
    }

    void stage(bytes_view bytes) noexcept {
        for (std::size_t i = 0; i < bytes.size(); ++i) stage_[i] = bytes[i];
        stage_len_ = static_cast<std::uint8_t>(bytes.size());
    }

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
    bool fin_ = false;         // the current frame ends its message
    bool first_ = false;       // the next data event is the message's first
    bool in_message_ = false;  // a data message is open
    bool compressed_ = false;  // the open message is inflated (its first frame had RSV1)
    std::uint8_t stage_len_ = 0;
    std::array<std::uint8_t, max_control_payload> stage_{};  // split header or control payload
    // server: payload bytes from the read position on that are unmasked
    // already (a compressed frame's, handed again after a partial take)
    [[no_unique_address]] std::conditional_t<R == role::server, std::size_t, empty_count> unmasked_ahead_{};
};

}  // namespace wscodec::detail
