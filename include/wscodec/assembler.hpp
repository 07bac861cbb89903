// SPDX-License-Identifier: MIT
// wscodec/assembler.hpp — optional whole-message delivery on top of the
// streaming connection: collects a message's data events into a buffer the
// caller owns, up to that buffer's size. The connection itself never buffers.
#pragma once

#include <wscodec/events.hpp>

namespace wscodec {

/// Collects data events into a caller-owned buffer and hands out whole
/// messages. State: 32 bytes.
class message_assembler {
public:
    enum class progress : std::uint8_t {
        partial,   ///< the message continues; nothing to hand out yet
        complete,  ///< `message` holds the whole message
        too_big,   ///< the message does not fit the buffer: close with 1009
        ignored,   ///< not a data event
    };

    struct result {
        progress status = progress::ignored;
        message_type type = message_type::binary;
        bytes_view message{};  ///< complete: valid until the next add() or reset()
    };

    /// Messages are collected in `storage`; the longest message accepted is
    /// storage.size() bytes.
    explicit constexpr message_assembler(mutable_bytes storage) noexcept : storage_(storage) {}

    /// Adds one event from connection::receive(); only data events count.
    /// too_big comes once, for the piece that does not fit; the rest of that
    /// message is skipped (partial) until the next message starts.
    [[nodiscard]] result add(const event& ev) noexcept {
        if (ev.type != event_type::data) return {};
        if (ev.first) {
            size_ = 0;
            overflow_ = false;
            type_ = ev.message;
        }
        if (overflow_) return {progress::partial, type_, {}};  // skipping what is left of it
        if (ev.payload.size() > storage_.size() - size_) {
            overflow_ = true;
            return {progress::too_big, type_, {}};
        }
        for (std::size_t i = 0; i < ev.payload.size(); ++i) storage_[size_ + i] = ev.payload[i];
        size_ += ev.payload.size();
        if (!ev.last) return {progress::partial, type_, {}};
        return {progress::complete, type_, bytes_view(storage_.data(), size_)};
    }

    /// Forgets a partly collected message; its remaining pieces are skipped.
    constexpr void reset() noexcept {
        size_ = 0;
        overflow_ = true;
    }

    /// Bytes of the current message collected so far.
    [[nodiscard]] constexpr std::size_t size() const noexcept { return size_; }

private:
    mutable_bytes storage_;
    std::size_t size_ = 0;
    message_type type_ = message_type::binary;
    bool overflow_ = false;  // skip pieces until the next message's first
};

}  // namespace wscodec
