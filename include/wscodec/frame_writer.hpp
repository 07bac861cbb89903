// SPDX-License-Identifier: MIT
// wscodec/frame_writer.hpp — the send side of a connection (RFC 6455 §5.2,
// §5.4, §5.6): the one message being sent, cut into frames, and the output
// spans that interleave those frames with the control queue's.
#pragma once

#include <cstring>
#include <type_traits>
#include <wscodec/control_queue.hpp>
#include <wscodec/deflate_message.hpp>
#include <wscodec/events.hpp>
#include <wscodec/frame.hpp>
#include <wscodec/mask.hpp>
#include <wscodec/utf8.hpp>

namespace wscodec {

/// Bytes ready to write: `count` spans, in order. A frame's header and payload
/// come as two spans (writev), the payload viewing the caller's buffer (or,
/// for a client's payload sent with send(), a masked piece of it in the
/// connection's staging buffer). Empty only when nothing waits.
struct output_buffers {
    std::array<bytes_view, 2> parts{};
    std::size_t count = 0;

    [[nodiscard]] constexpr std::size_t size() const noexcept {
        std::size_t n = 0;
        for (std::size_t i = 0; i < count; ++i) n += parts[i].size();
        return n;
    }
    [[nodiscard]] constexpr bool empty() const noexcept { return count == 0; }
};

namespace detail {

/// Bytes of a client's payload masked at a time into its staging buffer
/// when the payload may not be masked in place (send(), not send_in_place()).
inline constexpr std::size_t client_staging_size = 1024;

/// One data message at a time, whole or in parts, framed as it is handed
/// out (at most `fragment_size` payload bytes a frame; 0: one frame per
/// part), its payload never copied except to mask a client's. Control frames
/// from the queue go between data frames. State: about 100 bytes, and a
/// client's staging buffer.
template <role R>
class frame_writer {
public:
    explicit frame_writer(std::uint64_t fragment_size = 0) noexcept : fragment_size_(fragment_size) {}

    /// True if a data frame is being handed out or more of the message waits.
    [[nodiscard]] bool busy() const noexcept { return left_ > 0 || need_frame_ || unit_ == unit::frame; }
    /// True between begin() and the part marked last.
    [[nodiscard]] bool streaming() const noexcept { return streaming_; }

    /// Starts a whole message (`last`) or the first part of one; text must
    /// be UTF-8 (§5.6, §8.1), or text_not_utf8 and nothing is queued.
    /// `compress`: through the deflater (permessage-deflate, set up by use_deflate()).
    [[nodiscard]] error start(message_type type, const std::uint8_t* data, std::size_t size, bool in_place,
                              bool compress = false) noexcept {
        if (streaming_ || busy()) return error::send_in_progress;
        if (type == message_type::text && !validate_utf8(bytes_view(data, size)).ok()) return error::text_not_utf8;
        type_ = type;
        started_ = false;
        begin_compression(compress);
        set_part(data, size, in_place, true);
        return error::none;
    }

    /// Begins a message sent in parts whose size is not known yet.
    [[nodiscard]] error begin(message_type type, bool compress = false) noexcept {
        if (streaming_ || busy()) return error::send_in_progress;
        streaming_ = true;
        type_ = type;
        started_ = false;
        begin_compression(compress);
        utf8_.reset();
        return error::none;
    }

    /// Compresses messages sent with `compress` (RFC 7692 §7.2.1), each frame
    /// built in the core's deflate buffer.
    /// `core` (on the heap: it stays put when the connection moves) holds the
    /// deflater, set up already, and the buffer.
    void use_deflate(deflate_core& core) noexcept { deflate_ = &core; }
    /// True if use_deflate() was called.
    [[nodiscard]] bool deflates() const noexcept { return deflate_ != nullptr; }

    /// What went wrong in the compressor (the message was dropped); none mostly.
    [[nodiscard]] error fault() const noexcept { return fault_; }
    void clear_fault() noexcept { fault_ = error::none; }

    /// Queues the next part of the begun message; `last` ends it. Text is
    /// checked across parts: a bad part is refused and the text so far kept.
    [[nodiscard]] error part(const std::uint8_t* data, std::size_t size, bool in_place, bool last) noexcept {
        if (!streaming_) return error::no_message_started;
        if (busy()) return error::send_in_progress;
        if (type_ == message_type::text) {
            utf8_validator probe = utf8_;
            utf8_result u = probe.feed(bytes_view(data, size));
            if (u.ok() && last) u = probe.finish();
            if (!u.ok()) return error::text_not_utf8;
            utf8_ = probe;
        }
        set_part(data, size, in_place, last);
        if (last) streaming_ = false;
        return error::none;
    }

    /// Our close is queued: no further part may come; `now` (an echo or a
    /// failure) also ends the message being sent with its current frame.
    void stop(bool now) noexcept {
        streaming_ = false;
        if (now) {
            left_ = 0;
            need_frame_ = false;
        }
    }

    /// The next bytes to write, without copying (see connection::output()).
    template <class Keys>
    [[nodiscard]] WSCODEC_ALWAYS_INLINE output_buffers output(control_queue<R>& controls, Keys& keys) noexcept {
        output_buffers out;
        if (unit_ == unit::none) select(controls, keys);
        if (unit_ == unit::control) {
            out.parts[0] = controls.front();
            out.count = 1;
        } else if (unit_ == unit::frame) {
            if (hdr_sent_ < hdr_.size) out.parts[out.count++] = bytes_view(hdr_.bytes.data() + hdr_sent_, hdr_.size - hdr_sent_);
            if (frame_left_ > 0) {
                if constexpr (R == role::client) {
                    if (!in_place_) {
                        out.parts[out.count++] = stage();
                        return out;
                    }
                }
                out.parts[out.count++] = bytes_view(frame_ptr_, static_cast<std::size_t>(frame_left_));
            }
        }
        return out;
    }

    /// Copies (and for a client, masks) as much output as fits in `dst`,
    /// marks it written and returns the number of bytes copied.
    template <class Keys>
    std::size_t copy_output(mutable_bytes dst, control_queue<R>& controls, Keys& keys) noexcept {
        std::size_t total = 0;
        while (total < dst.size()) {
            if (unit_ == unit::none) select(controls, keys);
            if (unit_ == unit::none) break;
            const mutable_bytes room = dst.subspan(total);
            std::size_t k = 0;
            if (unit_ == unit::control || hdr_sent_ < hdr_.size) {
                const bytes_view o = unit_ == unit::control ? controls.front()
                                                            : bytes_view(hdr_.bytes.data() + hdr_sent_, hdr_.size - hdr_sent_);
                k = std::min(room.size(), o.size());
                std::memcpy(room.data(), o.data(), k);  // k > 0: a selected unit has bytes left
            } else {
                k = static_cast<std::size_t>(std::min<std::uint64_t>(room.size(), frame_left_));
                if (R == role::client && !in_place_)
                    (void)apply_mask_copy(room.first(k), bytes_view(frame_ptr_, k), frame_key_, frame_phase_);
                else if (k != 0)
                    std::memcpy(room.data(), frame_ptr_, k);
            }
            advance(k, controls);
            total += k;
        }
        return total;
    }

    /// Moves the output position `n` bytes on.
    void advance(std::size_t n, control_queue<R>& controls) noexcept {
        while (n > 0 && unit_ != unit::none) {
            if (unit_ == unit::control) {
                n -= controls.advance(n);
                if (!controls.selected()) unit_ = unit::none;
            } else {
                if (hdr_sent_ < hdr_.size) {
                    const std::size_t k = std::min<std::size_t>(n, hdr_.size - hdr_sent_);
                    hdr_sent_ = static_cast<std::uint8_t>(hdr_sent_ + k);
                    n -= k;
                }
                const std::size_t k = static_cast<std::size_t>(std::min<std::uint64_t>(n, frame_left_));
                if constexpr (R == role::client) staging_.advance(k);
                frame_ptr_ += k;
                frame_left_ -= k;
                frame_phase_ = static_cast<std::uint8_t>((frame_phase_ + k) & 3);
                n -= k;
                if (hdr_sent_ == hdr_.size && frame_left_ == 0) unit_ = unit::none;
            }
        }
    }

    /// Data bytes waiting: the frame being handed out, the next frame's
    /// header, and the rest of the payload (later frames' headers not counted).
    [[nodiscard]] std::uint64_t pending() const noexcept {
        std::uint64_t n = 0;
        if (unit_ == unit::frame) n += static_cast<std::uint64_t>(hdr_.size - hdr_sent_) + frame_left_;
        if (left_ > 0 || need_frame_) {  // the header of the next frame, not built yet
            frame_header h;
            h.masked = R == role::client;
            h.payload_length = fragment_size_ != 0 && left_ > fragment_size_ ? fragment_size_ : left_;
            n += header_size(h);
        }
        return n + left_;
    }

private:
    enum class unit : std::uint8_t { none, control, frame };

    /// A client's masked copy of the payload's next bytes: frame_ptr_[0, end
    /// - begin) masked, at staging_.bytes[begin, end). Masking is a function
    /// of the key phase, so copy_output() may skip it and mask from the
    /// payload itself; advance() keeps the two in step.
    struct staging {
        std::array<std::uint8_t, client_staging_size> bytes;
        std::uint16_t begin = 0, end = 0;
        void advance(std::size_t k) noexcept {
            if (k >= static_cast<std::size_t>(end - begin)) begin = end = 0;
            else begin = static_cast<std::uint16_t>(begin + k);
        }
    };
    struct no_staging {};

    /// The masked span of the frame's next payload bytes, staged if need be
    /// (out of line, so that output() stays small enough to inline).
    WSCODEC_NOINLINE bytes_view stage() noexcept requires(R == role::client) {
        if (staging_.begin == staging_.end) {
            const std::size_t k = static_cast<std::size_t>(std::min<std::uint64_t>(client_staging_size, frame_left_));
            (void)apply_mask_copy(mutable_bytes(staging_.bytes.data(), k), bytes_view(frame_ptr_, k), frame_key_,
                                  frame_phase_);
            staging_.begin = 0;
            staging_.end = static_cast<std::uint16_t>(k);
        }
        return bytes_view(staging_.bytes.data() + staging_.begin, static_cast<std::size_t>(staging_.end - staging_.begin));
    }

    void set_part(const std::uint8_t* data, std::size_t size, bool in_place, bool last) noexcept {
        ptr_ = const_cast<std::uint8_t*>(data);  // written only when in_place
        left_ = size;
        in_place_ = in_place;
        last_ = last;
        // An empty part still needs a frame if it starts or ends the message;
        // a compressed one frames what the compressor gives, and its last
        // part the flush.
        need_frame_ = compress_ ? last : size == 0 && (last || !started_);
    }

    void begin_compression(bool compress) noexcept {
        compress_ = compress && deflates();
        if (compress_) deflate_->deflater.begin();
    }

    /// The next frame of a compressed message into the deflate buffer (the
    /// first with RSV1, §6.1; the flush's with FIN); false if the part gave
    /// the compressor nothing to hand out yet (or it failed: fault()).
    template <class Keys>
    WSCODEC_NOINLINE bool compressed_frame(Keys& keys) noexcept {
        mutable_bytes room = deflate_->setup.deflate_buffer;
        if (fragment_size_ != 0 && fragment_size_ < room.size())
            room = room.first(static_cast<std::size_t>(std::max<std::uint64_t>(fragment_size_, message_deflater::min_room)));
        deflate_step step;
        for (int idle = 0;;) {
            step = deflate_->deflater.deflate(bytes_view(ptr_, static_cast<std::size_t>(left_)), last_, room);
            // A backend that neither takes nor gives breaks its contract.
            if (step.err == error::none && step.consumed == 0 && step.produced == 0 && !step.done && ++idle == 3)
                step.err = error::deflate_failed;
            if (step.err != error::none) {
                fault_ = step.err;
                left_ = 0;
                need_frame_ = false;
                return false;
            }
            ptr_ += step.consumed;
            left_ -= step.consumed;
            if (step.produced != 0 || step.done) break;
            if (left_ == 0 && !last_) return false;  // the compressor holds the part until more comes
        }
        if (step.done) need_frame_ = false;
        frame_header h;
        h.fin = last_ && step.done;
        h.op = started_ ? opcode::continuation : static_cast<opcode>(type_);
        h.rsv = started_ ? 0 : rsv1;
        h.payload_length = step.produced;
        h.masked = R == role::client;
        if constexpr (R == role::client) {
            h.key = keys();
            (void)apply_mask(room.first(step.produced), h.key);  // our own buffer: masked in place
        }
        frame_key_ = h.key;
        frame_phase_ = 0;
        hdr_ = encode_header(h);
        hdr_sent_ = 0;
        frame_ptr_ = room.data();
        frame_left_ = step.produced;
        in_place_ = true;  // the payload is ours, masked already
        started_ = true;
        unit_ = unit::frame;
        return true;
    }

    /// Picks what to hand out next: a control frame between data frames
    /// (controls.select() knows which), else the next frame of the message.
    template <class Keys>
    void select(control_queue<R>& controls, Keys& keys) noexcept {
        if (controls.select(left_ > 0 || need_frame_)) {
            unit_ = unit::control;
            return;
        }
        if (left_ == 0 && !need_frame_) return;
        if (compress_) {
            (void)compressed_frame(keys);
            return;
        }
        std::uint64_t n = left_;
        if (fragment_size_ != 0 && n > fragment_size_) n = fragment_size_;
        frame_header h;
        h.fin = last_ && n == left_;
        h.op = started_ ? opcode::continuation : static_cast<opcode>(type_);
        h.payload_length = n;
        h.masked = R == role::client;
        if constexpr (R == role::client) {
            h.key = keys();
            if (in_place_) (void)apply_mask(mutable_bytes(ptr_, static_cast<std::size_t>(n)), h.key);
        }
        frame_key_ = h.key;
        frame_phase_ = 0;
        hdr_ = encode_header(h);
        hdr_sent_ = 0;
        frame_ptr_ = ptr_;
        frame_left_ = n;
        ptr_ += n;
        left_ -= n;
        need_frame_ = false;
        started_ = true;
        unit_ = unit::frame;
    }

    // The message: what is left to frame.
    std::uint8_t* ptr_ = nullptr;
    std::uint64_t left_ = 0;
    utf8_validator utf8_;  // the text of a streamed message so far
    message_type type_ = message_type::binary;
    bool started_ = false;
    bool last_ = false;
    bool in_place_ = false;
    bool need_frame_ = false;
    bool streaming_ = false;
    bool compress_ = false;  // the message goes through deflater_
    error fault_ = error::none;
    // The unit being handed out; for a data frame, its header and payload.
    unit unit_ = unit::none;
    std::uint8_t hdr_sent_ = 0;
    std::uint8_t frame_phase_ = 0;
    mask_key frame_key_{};
    encoded_header hdr_{};
    const std::uint8_t* frame_ptr_ = nullptr;
    std::uint64_t frame_left_ = 0;
    std::uint64_t fragment_size_;  // largest payload of one frame; 0: one frame per part
    deflate_core* deflate_ = nullptr;  // permessage-deflate (RFC 7692): the compressor and its buffer
    [[no_unique_address]] std::conditional_t<R == role::client, staging, no_staging> staging_{};
};

}  // namespace detail
}  // namespace wscodec
