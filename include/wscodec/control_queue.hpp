// SPDX-License-Identifier: MIT
// wscodec/control_queue.hpp — the control frames a connection waits to write
// (RFC 6455 §5.5): pongs, our close, the application's ping or pong, encoded
// into three fixed slots, and the rule that three always suffice.
#pragma once

#include <algorithm>
#include <array>
#include <wscodec/frame.hpp>
#include <wscodec/mask.hpp>

namespace wscodec::detail {

/// Encoded control frames waiting to be written, in order. At most three
/// wait, and that bound never costs a reply: one being handed out, the
/// newest pong (a newer one replaces a pong not yet handed out, §5.5.3), and
/// our close or the application's ping or pong (which queue only into an
/// empty queue while open). A pong may pass our close while the close waits
/// for the message queued before it (§5.5.2: as soon as is practical).
/// State: 3 slots of 130 (server) or 134 (client) bytes, and 3 bytes.
template <role R>
class control_queue {
public:
    /// Frames waiting (the one being handed out included).
    [[nodiscard]] std::size_t size() const noexcept { return count_; }

    /// Queues the pong for a ping just received: it replaces a pong not yet
    /// handed out, and like any newly queued frame goes last. A client's
    /// frame is masked with a key drawn from `keys` (never drawn on a server).
    template <class Keys>
    void push_pong(bytes_view payload, Keys& keys) noexcept {
        for (std::size_t i = count_; i-- > 0;) {
            if (slots_[i].kind == slot_kind::reply && free_to_change(i)) {
                erase(i);
                break;
            }
        }
        if (count_ < slots_.size()) fill(count_++, opcode::pong, payload, keys, slot_kind::reply, false);
    }

    /// Queues our close frame with payload `body`. `after_data` (our own
    /// close()): it waits for the data message queued before it. `echo`:
    /// the answer to the peer's close, which replace_echo() may rewrite.
    /// There is always room: at most one close is ever queued, and besides
    /// it at most a frame being handed out and the newest pong or the
    /// application's ping or pong wait.
    template <class Keys>
    void push_close(bytes_view body, Keys& keys, bool after_data, bool echo = false) noexcept {
        const std::size_t i = count_ < slots_.size() ? count_++ : slots_.size() - 1;
        fill(i, opcode::close, body, keys, echo ? slot_kind::echo : slot_kind::other, after_data);
    }

    /// Rewrites the queued answer to the peer's close with payload `body`;
    /// false if there is none or it is already being handed out.
    template <class Keys>
    [[nodiscard]] bool replace_echo(bytes_view body, Keys& keys) noexcept {
        for (std::size_t i = 0; i < count_; ++i) {
            if (slots_[i].kind != slot_kind::echo || !free_to_change(i)) continue;
            fill(i, opcode::close, body, keys, slot_kind::echo, false);
            return true;
        }
        return false;
    }

    /// Queues the application's ping or pong if at most `others` frames wait.
    template <class Keys>
    [[nodiscard]] bool push_user(opcode op, bytes_view payload, Keys& keys, std::size_t others) noexcept {
        if (count_ > others) return false;
        fill(count_++, op, payload, keys, slot_kind::other, false);
        return true;
    }

    /// Chooses the frame to hand out next: the first that may go now moves
    /// to the front and is selected (never rewritten from then on) until all
    /// of it is written. A close that waits for data passes its turn while
    /// `data_waits`. False if none may go.
    [[nodiscard]] bool select(bool data_waits) noexcept {
        for (std::size_t i = 0; i < count_; ++i) {
            if (slots_[i].after_data && data_waits) continue;
            if (i > 0) std::rotate(slots_.begin(), slots_.begin() + static_cast<std::ptrdiff_t>(i),
                                   slots_.begin() + static_cast<std::ptrdiff_t>(i) + 1);
            selected_ = true;
            return true;
        }
        return false;
    }

    /// True from select() until the selected frame is all written.
    [[nodiscard]] bool selected() const noexcept { return selected_; }

    /// The unsent bytes of the front frame (after select()).
    [[nodiscard]] bytes_view front() const noexcept {
        return bytes_view(slots_[0].bytes.data() + sent_, slots_[0].size - sent_);
    }

    /// Marks up to `n` bytes of the front frame written; returns how many it
    /// took, and drops the frame once all of it is written.
    std::size_t advance(std::size_t n) noexcept {
        const std::size_t k = std::min<std::size_t>(n, slots_[0].size - sent_);
        sent_ = static_cast<std::uint8_t>(sent_ + k);
        if (sent_ == slots_[0].size) {
            erase(0);
            sent_ = 0;
            selected_ = false;
        }
        return k;
    }

    /// Bytes of every waiting frame not yet written.
    [[nodiscard]] std::size_t pending() const noexcept {
        std::size_t n = 0;
        for (std::size_t i = 0; i < count_; ++i) n += slots_[i].size;
        return n - sent_;
    }

private:
    enum class slot_kind : std::uint8_t {
        other,
        reply,  // an automatic pong, which a newer one may replace
        echo,   // the answer to the peer's close, which the application may rewrite
    };

    /// One encoded control frame: header (2 bytes, and a client's 4-byte
    /// mask key) and payload.
    struct slot {
        std::array<std::uint8_t, (R == role::client ? 6 : 2) + max_control_payload> bytes;
        std::uint8_t size;
        slot_kind kind;
        bool after_data;  // our close(): waits for the queued message
    };

    /// True if slot `i` may still be rewritten: not selected to be handed out.
    [[nodiscard]] bool free_to_change(std::size_t i) const noexcept { return i > 0 || !selected_; }

    template <class Keys>
    void fill(std::size_t i, opcode op, bytes_view payload, Keys& keys, slot_kind k, bool after_data) noexcept {
        slot& s = slots_[i];
        frame_header h;
        h.op = op;
        h.payload_length = payload.size();
        h.masked = R == role::client;
        if constexpr (R == role::client) h.key = keys();
        const std::size_t hs = encode_header(h, std::span<std::uint8_t, max_header_size>(s.bytes.data(), max_header_size));
        const mutable_bytes body(s.bytes.data() + hs, payload.size());
        if constexpr (R == role::client)
            (void)apply_mask_copy(body, payload, h.key);
        else
            for (std::size_t k = 0; k < payload.size(); ++k) body[k] = payload[k];
        s.size = static_cast<std::uint8_t>(hs + payload.size());
        s.kind = k;
        s.after_data = after_data;
    }

    /// Removes slot `i`; the slots after it move up one.
    void erase(std::size_t i) noexcept {
        for (std::size_t j = i + 1; j < count_; ++j) slots_[j - 1] = slots_[j];
        --count_;
    }

    std::array<slot, 3> slots_{};
    std::uint8_t count_ = 0;
    std::uint8_t sent_ = 0;  // bytes of the front frame written
    bool selected_ = false;
};

}  // namespace wscodec::detail
