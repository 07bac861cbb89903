// SPDX-License-Identifier: MIT
// wscodec/deflate_message.hpp — permessage-deflate's message transforms
// (RFC 7692 §7.2) over any deflate_stream.hpp backend, with bounded memory
// and bounded work per call:
//   message_inflater  §7.2.2: a compressed message's payload, fed in the
//                     pieces it arrives in, inflated into the caller's buffer
//                     a piece at a time; the 00 00 ff ff tail appended by the
//                     inflater itself (no slack needed after the payload);
//                     max_message_size counted on the inflated bytes (a
//                     bomb fails with 1009 once the limit is crossed); text
//                     validated as UTF-8 as it comes out (1007); a corrupt
//                     stream fails with inflate_failed (1007).
//   message_deflater  §7.2.1: a message compressed into the caller's buffer
//                     in pieces, ended with a sync flush whose 00 00 ff ff
//                     tail is removed.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <new>
#include <utility>
#include <wscodec/bytes.hpp>
#include <wscodec/deflate_stream.hpp>
#include <wscodec/error.hpp>
#include <wscodec/utf8.hpp>

namespace wscodec {

/// What message_inflater::inflate() did.
struct inflate_step {
    enum class state : std::uint8_t {
        more_output,  ///< `out` is full and more inflated bytes wait: call again with room
        need_input,   ///< everything fed so far is inflated: feed() the message's next piece
        done,         ///< the message is complete (its last piece and the tail inflated)
        failed,       ///< `err` says why; the inflater stays failed until begin()
    };
    std::size_t produced = 0;  ///< bytes written at the start of `out`
    state st = state::need_input;
    error err = error::none;   ///< failed: message_too_big, invalid_utf8, inflate_failed, out_of_memory
};

/// The receive side of permessage-deflate for one direction. State: about
/// 64 bytes besides the backend's.
class message_inflater {
public:
    /// `reset_each_message`: the sender does not take its window over from
    /// one message to the next (the agreed *_no_context_takeover for the
    /// peer's direction), so the backend is reset after each message.
    message_inflater(inflate_stream& backend, std::uint64_t max_message_size, bool reset_each_message) noexcept
        : backend_(&backend), max_(max_message_size), reset_each_(reset_each_message) {}
    /// No backend: inflate() may not be called until one is assigned.
    message_inflater() noexcept = default;

    /// Starts a compressed message (its first frame had RSV1); `text`:
    /// validate the inflated bytes as UTF-8.
    void begin(bool text) noexcept {
        input_ = {};
        total_ = 0;
        text_ = text;
        last_ = false;
        tail_pos_ = 0;
        owned_ = false;
        ended_ = false;
        failed_ = error::none;
        utf8_ = utf8_validator{};
    }

    /// Gives the message's next compressed piece; `last`: the final one. The
    /// inflater keeps a view of `piece` until inflate() answers need_input
    /// or done, so the bytes must stay put until then; or feed the part
    /// unconsumed() says it has not taken again (from wherever the bytes now
    /// are) before the next inflate().
    ///
    /// A short last piece is copied with the tail into the inflater's own
    /// scratch, so that the backend inflates both in one call (a second
    /// call for 4 bytes costs more than the copy); unconsumed() is then 0
    /// and later feeds until done are ignored.
    void feed(bytes_view piece, bool last) noexcept {
        if (owned_) return;
        if (last && tail_pos_ == 0 && !ended_ && piece.size() <= scratch_.size() - tail.size()) {
            std::copy(piece.begin(), piece.end(), scratch_.begin());
            std::copy(tail.begin(), tail.end(), scratch_.begin() + static_cast<std::ptrdiff_t>(piece.size()));
            input_ = bytes_view(scratch_.data(), piece.size() + tail.size());
            tail_pos_ = static_cast<std::uint8_t>(tail.size());
            owned_ = true;
            last_ = true;
            return;
        }
        input_ = piece;
        last_ = last;
    }

    /// Bytes of the last piece fed that the backend has not taken yet (and
    /// that the caller must feed again).
    [[nodiscard]] std::size_t unconsumed() const noexcept { return owned_ ? 0 : input_.size(); }

    /// Inflates what was fed into `out` (at most out.size() bytes, so the
    /// work per call is bounded by the caller's buffer).
    [[nodiscard]] inflate_step inflate(mutable_bytes out) noexcept {
        inflate_step step;
        if (failed_ != error::none) return fail(step, failed_);
        for (;;) {
            // §7.2.2: after the message's last piece, the 00 00 ff ff tail.
            const bool from_tail = input_.empty() && last_ && tail_pos_ < tail.size() && !ended_;
            const bytes_view src = from_tail ? bytes_view(tail.data() + tail_pos_, tail.size() - tail_pos_) : input_;
            // After a final block the rest of the message is not inflated:
            // §7.2.1 step 2 has the sender append an empty stored block after
            // it, whose first byte stays in the payload.
            const flate_result r = ended_ ? flate_result{src.size(), 0, flate_status::stream_end}
                                          : backend_->inflate(src, out.subspan(step.produced));
            if (from_tail) tail_pos_ = static_cast<std::uint8_t>(tail_pos_ + r.consumed);
            else input_ = input_.subspan(r.consumed);
            const bytes_view fresh(out.data() + step.produced, r.produced);
            step.produced += r.produced;
            total_ += r.produced;
            if (total_ > max_) {
                // The first fault in byte order wins, however the input was
                // split: text that goes bad within the limit is invalid_utf8.
                const auto within = static_cast<std::size_t>(r.produced - (total_ - max_));
                if (text_ && !utf8_.feed(fresh.first(within)).ok()) return fail(step, error::invalid_utf8);
                return fail(step, error::message_too_big);
            }
            if (text_ && !utf8_.feed(fresh).ok()) return fail(step, error::invalid_utf8);
            if (r.status == flate_status::data_error) return fail(step, error::inflate_failed);
            if (r.status == flate_status::out_of_memory) return fail(step, error::out_of_memory);
            if (r.status == flate_status::stream_end && !ended_) {
                // A final block (BFINAL) ended the stream (§7.2.3.4): what
                // follows in this message is skipped, and the next message
                // starts a new stream (the window is gone).
                ended_ = true;
                input_ = {};
            }
            if (step.produced == out.size() && !(ended_ && input_.empty())) {
                step.st = inflate_step::state::more_output;
                return step;
            }
            if (!input_.empty()) continue;  // room left and input left: the backend goes on
            if (!last_) {
                step.st = inflate_step::state::need_input;
                return step;
            }
            if (tail_pos_ < tail.size() && !ended_) continue;  // the tail next
            if (text_ && !utf8_.finish().ok()) return fail(step, error::invalid_utf8);
            if (reset_each_ || ended_) backend_->reset();
            owned_ = false;
            step.st = inflate_step::state::done;
            return step;
        }
    }

    /// True if it has a backend.
    [[nodiscard]] bool active() const noexcept { return backend_ != nullptr; }

    /// Inflated bytes of the current message so far.
    [[nodiscard]] std::uint64_t inflated() const noexcept { return total_; }

    /// The tail §7.2.2 appends to every message's payload.
    static constexpr std::array<std::uint8_t, 4> tail{0x00, 0x00, 0xff, 0xff};

private:
    [[nodiscard]] inflate_step fail(inflate_step step, error e) noexcept {
        failed_ = e;
        owned_ = false;
        // The stream cannot go on in step with the peer's: a later message
        // would start from a wrong window.
        backend_->reset();
        step.st = inflate_step::state::failed;
        step.err = e;
        return step;
    }

    inflate_stream* backend_ = nullptr;
    bytes_view input_{};
    std::uint64_t max_ = 0;
    std::uint64_t total_ = 0;
    utf8_validator utf8_{};
    error failed_ = error::none;
    bool reset_each_ = false;
    bool text_ = false;
    bool last_ = false;
    std::uint8_t tail_pos_ = 0;  // bytes of the tail inflated (or, owned_, copied into scratch_)
    bool owned_ = false;         // input_ views scratch_: a short last piece and the tail
    bool ended_ = false;
    std::array<std::uint8_t, 128> scratch_{};
};

/// What message_deflater::deflate() did.
struct deflate_step {
    std::size_t consumed = 0;  ///< bytes of the piece taken
    std::size_t produced = 0;  ///< compressed bytes written at the start of `out`
    bool done = false;         ///< the last piece is compressed and flushed: the message's payload is complete
    error err = error::none;   ///< buffer_too_small, out_of_memory, or deflate_failed for a backend that broke its contract
};

/// The send side of permessage-deflate for one direction: the message's
/// pieces go in, its compressed payload comes out in pieces of at most the
/// caller's buffer, without the 00 00 ff ff of the final sync flush (§7.2.1).
class message_deflater {
public:
    /// `reset_each_message`: our own *_no_context_takeover was agreed, so the
    /// window is dropped after each message.
    message_deflater(deflate_stream& backend, bool reset_each_message) noexcept
        : backend_(&backend), reset_each_(reset_each_message) {}
    /// No backend: deflate() may not be called until one is assigned.
    message_deflater() noexcept = default;

    /// Starts a message.
    void begin() noexcept {
        held_ = 0;
        fed_any_ = false;
    }

    /// Compresses from `piece` into `out` (at least min_room bytes, else
    /// buffer_too_small); `last`: the message's final piece. Call with the
    /// rest of the piece until all of it is consumed, and for the last piece
    /// until done.
    [[nodiscard]] deflate_step deflate(bytes_view piece, bool last, mutable_bytes out) noexcept {
        deflate_step step;
        if (out.size() < min_room) {
            step.err = error::buffer_too_small;
            return step;
        }
        if (last && piece.empty() && !fed_any_ && held_ == 0) {
            // An empty message: the 00 that starts an empty stored block,
            // which the receiver's appended tail completes. The stream is
            // byte-aligned after the last message's flush, and the backend
            // is not asked (zlib skips a flush with nothing new since the last).
            out[0] = 0x00;
            if (reset_each_) backend_->reset();
            step.produced = 1;
            step.done = true;
            return step;
        }
        // The bytes held back from the previous call go first.
        std::size_t n = std::min(held_, out.size());
        std::copy_n(hold_.begin(), n, out.begin());
        std::copy(hold_.begin() + static_cast<std::ptrdiff_t>(n), hold_.begin() + static_cast<std::ptrdiff_t>(held_),
                  hold_.begin());
        held_ -= n;
        if (held_ != 0) {  // no room for more
            step.produced = n;
            return step;
        }
        const flate_result r = backend_->deflate(piece, out.subspan(n), last);
        if (r.status == flate_status::out_of_memory || r.status == flate_status::data_error) {
            step.err = r.status == flate_status::out_of_memory ? error::out_of_memory : error::deflate_failed;
            return step;
        }
        step.consumed = r.consumed;
        fed_any_ = fed_any_ || r.consumed != 0;
        n += r.produced;
        // Hold the last 4 bytes back: they may be the flush's tail.
        const std::size_t keep = std::min<std::size_t>(n, 4);
        std::copy_n(out.begin() + static_cast<std::ptrdiff_t>(n - keep), keep, hold_.begin());
        held_ = keep;
        n -= keep;
        if (last && r.status == flate_status::stream_end && r.consumed == piece.size()) {
            // The flush is written: its 00 00 ff ff ends what is held (§7.2.1).
            const bool tail = held_ == 4 && hold_[0] == 0x00 && hold_[1] == 0x00 && hold_[2] == 0xff && hold_[3] == 0xff;
            if (!tail) {
                step.err = error::deflate_failed;  // a backend that did not end with a sync flush
                return step;
            }
            // What stays is not empty: the flush's empty stored block starts
            // with header bits before its 00 00 ff ff.
            held_ = 0;
            if (reset_each_) backend_->reset();
            step.done = true;
        }
        step.produced = n;
        return step;
    }

    /// The least room deflate() takes: the 4 bytes held back from the last
    /// call and 8 for the backend (a sync flush needs room).
    static constexpr std::size_t min_room = 12;

private:
    deflate_stream* backend_ = nullptr;
    std::array<std::uint8_t, 4> hold_{};
    std::size_t held_ = 0;
    bool reset_each_ = false;
    bool fed_any_ = false;
};

namespace detail {

/// A connection's permessage-deflate state: the backend's streams and buffers and the two
/// message transforms. It lives on the heap, made when permessage-deflate is agreed (during
/// the opening handshake), so a connection without it pays one pointer.
struct deflate_core {
    deflate_backend* backend;
    deflate_setup setup;
    deflate_params params;
    message_inflater inflater{};
    message_deflater deflater{};
};

/// Owns a connection's deflate_core: the streams acquired from the backend, given back
/// once when the owner is destroyed (a move hands them over).
class deflate_lease {
public:
    deflate_lease() noexcept = default;
    /// Acquires streams for `params` as seen by the server (`server`) or the client;
    /// empty() if the backend or the heap could not provide them.
    deflate_lease(deflate_backend& backend, const deflate_params& params, bool server) noexcept {
        const deflate_setup s = backend.acquire(deflate_windows::of(params, server));
        if (s.handle == nullptr) return;
        core_ = new (std::nothrow) deflate_core{&backend, s, params};
        if (core_ == nullptr) backend.release(s);
    }
    deflate_lease(deflate_lease&& o) noexcept : core_(std::exchange(o.core_, nullptr)) {}
    deflate_lease& operator=(deflate_lease&& o) noexcept {
        if (this != &o) {
            release();
            core_ = std::exchange(o.core_, nullptr);
        }
        return *this;
    }
    deflate_lease(const deflate_lease&) = delete;
    deflate_lease& operator=(const deflate_lease&) = delete;
    ~deflate_lease() { release(); }

    [[nodiscard]] bool empty() const noexcept { return core_ == nullptr; }
    [[nodiscard]] deflate_core* get() const noexcept { return core_; }

private:
    void release() noexcept {
        if (core_ == nullptr) return;
        core_->backend->release(core_->setup);
        delete core_;
        core_ = nullptr;
    }
    deflate_core* core_ = nullptr;
};

}  // namespace detail

}  // namespace wscodec
