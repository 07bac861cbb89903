// SPDX-License-Identifier: MIT
// wscodec/output_batch.hpp — one system call for many frames: gathers a
// connection's or session's small output units (a frame's header and
// payload, a control frame) into storage the caller owns, so that the echoes
// of the messages of one read, a pong and a close leave in one writev (or
// send) instead of one each; a large unit stays where it is (zero-copy) and
// follows the gathered bytes in the same writev. No allocation.
#pragma once

#include <array>
#include <cstddef>
#include <cstring>
#include <wscodec/bytes.hpp>
#include <wscodec/frame_writer.hpp>

namespace wscodec {

/// The spans to write now, in order: the gathered bytes, then the
/// endpoint's current output. Empty when nothing waits.
struct batch_spans {
    std::array<bytes_view, 3> parts{};
    std::size_t count = 0;

    [[nodiscard]] constexpr std::size_t size() const noexcept {
        std::size_t n = 0;
        for (std::size_t i = 0; i < count; ++i) n += parts[i].size();
        return n;
    }
    [[nodiscard]] constexpr bool empty() const noexcept { return count == 0; }
};

/// Gathers the output of an endpoint (a connection or a session: anything
/// with output() and consume()) for one write. Typical loop, per read:
///
///     for each event of receive(): ...send()...; if (!batch.gather(ws)) flush();
///     flush();   // batch.spans(ws) -> writev -> batch.consume(ws, written)
///
/// gather() copies each unit ws.output() hands out while it is at most
/// `max_piece` bytes and fits the storage, and consumes it from the
/// endpoint, so the endpoint takes the next message (a server's send()
/// views the read buffer: once gathered, that buffer may be read into
/// again). A unit it leaves is written from where it lives. State: 40 bytes.
class output_batch {
public:
    /// Units of at most `max_piece` bytes are gathered in `storage`.
    explicit constexpr output_batch(mutable_bytes storage, std::size_t max_piece = 2048) noexcept
        : storage_(storage), max_piece_(max_piece) {}

    /// Moves `ep`'s output into the storage unit by unit while each is at
    /// most max_piece bytes and fits; true if `ep` has no output left then.
    template <class Endpoint>
    [[nodiscard]] bool gather(Endpoint& ep) noexcept {
        for (output_buffers out = ep.output(); !out.empty(); out = ep.output()) {
            const std::size_t n = out.size();
            if (begin_ == end_) begin_ = end_ = 0;  // all written: start over at the front
            if (n > max_piece_ || n > storage_.size() - end_) return false;
            for (std::size_t i = 0; i < out.count; ++i) {
                if (!out.parts[i].empty()) std::memcpy(storage_.data() + end_, out.parts[i].data(), out.parts[i].size());
                end_ += out.parts[i].size();
            }
            ep.consume(n);
        }
        return true;
    }

    /// What to write now: the gathered bytes, then `ep.output()`'s parts.
    template <class Endpoint>
    [[nodiscard]] batch_spans spans(Endpoint& ep) const noexcept {
        batch_spans s;
        if (begin_ != end_) s.parts[s.count++] = held();
        const output_buffers out = ep.output();
        for (std::size_t i = 0; i < out.count; ++i) s.parts[s.count++] = out.parts[i];
        return s;
    }

    /// `n` bytes of spans() were written: the gathered ones first, the rest
    /// from `ep`.
    template <class Endpoint>
    void consume(Endpoint& ep, std::size_t n) noexcept {
        const std::size_t from_held = n < end_ - begin_ ? n : end_ - begin_;
        begin_ += from_held;
        if (n > from_held) ep.consume(n - from_held);
    }

    /// The gathered bytes not yet written.
    [[nodiscard]] constexpr bytes_view held() const noexcept { return {storage_.data() + begin_, end_ - begin_}; }
    /// True if no gathered byte waits.
    [[nodiscard]] constexpr bool empty() const noexcept { return begin_ == end_; }
    /// The largest unit gathered.
    [[nodiscard]] constexpr std::size_t max_piece() const noexcept { return max_piece_; }

private:
    mutable_bytes storage_;
    std::size_t max_piece_;
    std::size_t begin_ = 0, end_ = 0;
};

}  // namespace wscodec
