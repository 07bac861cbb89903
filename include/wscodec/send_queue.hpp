// SPDX-License-Identifier: MIT
// wscodec/send_queue.hpp — an optional layer above the core: a queue of owned
// message copies in front of one connection or session (the core takes one
// message at a time and never copies it), bounded in bytes and in messages,
// with a high-water mark for backpressure and a drain signal.
//
// Unlike the core, this header allocates: one heap copy per message and a
// vector of small records. A payload copy that cannot be allocated is
// refused with error::out_of_memory; the records are a std::vector, which
// like any std container ends the program (std::terminate, or abort under
// -fno-exceptions) when it cannot grow. Not in the umbrella wscodec.hpp:
// include it where it is wanted. Works with -fno-exceptions -fno-rtti.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstring>
#include <memory>
#include <new>
#include <string_view>
#include <utility>
#include <vector>
#include <wscodec/bytes.hpp>
#include <wscodec/connection.hpp>
#include <wscodec/events.hpp>
#include <wscodec/utf8.hpp>

namespace wscodec {

/// Bounds and backpressure threshold of a send_queue.
struct send_queue_options {
    /// Most payload bytes the queue owns at once: messages waiting and the
    /// one being written. 16 MiB, the default receive_limits::max_message_size
    /// (limits.hpp): one message any peer accepts by default always fits.
    std::size_t max_bytes = std::size_t{16} << 20;
    /// above_high_water() once more bytes than this are queued: stop reading
    /// the peer or producing for it. 1 MiB: a few socket buffers' worth, so a
    /// loop that honours it keeps the socket busy without holding more.
    std::size_t high_water = std::size_t{1} << 20;
    /// Most messages queued at once (the one being written included), which
    /// bounds the bookkeeping of empty and tiny messages: 65,536 records of
    /// about 24 bytes each, under 2 MiB.
    std::size_t max_messages = 65536;

    /// True if max_bytes and max_messages are at least 1 and high_water is
    /// below max_bytes (so that above_high_water() can turn true before the
    /// queue is full).
    [[nodiscard]] constexpr bool valid() const noexcept {
        return max_bytes != 0 && max_messages != 0 && high_water < max_bytes;
    }
};

/// What send_queue needs of its endpoint: connection<R, K> and session<R, K> both qualify.
template <class E>
concept send_queue_endpoint = requires(E& e, const E& c, mutable_bytes b, std::size_t n) {
    { e.send_in_place(message_type::binary, b) } -> std::same_as<error>;
    { e.can_send() } -> std::same_as<bool>;
    { e.output() } -> std::same_as<output_buffers>;
    e.consume(n);
    { e.copy_output(b) } -> std::same_as<std::size_t>;
    { c.pending_output() } -> std::convertible_to<std::uint64_t>;
    e.state();
};

/// Messages for one endpoint (a connection or a session), copied on send()
/// and handed to the endpoint one at a time as it can take them. The
/// endpoint is passed to every call that needs it; the queue keeps no
/// pointer to it. The write loop calls the queue's output() and consume()
/// instead of the endpoint's: after each consume() that finishes the message
/// being written, its copy is freed and the next message is handed over. A
/// client's copy goes through send_in_place(), masked in place with no
/// further copy; a server's is handed out as is. Control frames (pongs,
/// pings, the close frame) still come from the endpoint, between data
/// frames as it decides.
///
/// Closing: once the endpoint stops taking messages (its close(), the peer's
/// close, a failure, or a session not yet open), send() answers not_open and
/// the messages still waiting are dropped at the next call on the queue,
/// counted in dropped(); the message already with the endpoint stays until
/// the endpoint is done with it (after our close() it is written whole; a
/// failure or the peer's close ends it with its current frame, or before its
/// first). To close after everything queued, wait for drained(), then call
/// close() on the endpoint.
///
/// Sending on the endpoint directly is allowed too: the queue hands over its
/// next message when can_send() turns true. Destroy the queue only when the
/// endpoint will write no more output (both in one object, for one): the
/// endpoint views the message being written. State: 80 bytes plus the heap.
template <send_queue_endpoint Endpoint>
class send_queue {
public:
    /// A queue with options `o`; options that are not valid() are corrected:
    /// a zero max_bytes or max_messages takes its default, and a high_water
    /// not below max_bytes becomes max_bytes / 2.
    explicit send_queue(const send_queue_options& o = {}) noexcept : options_(o) {
        const send_queue_options defaults{};
        if (options_.max_bytes == 0) options_.max_bytes = defaults.max_bytes;
        if (options_.max_messages == 0) options_.max_messages = defaults.max_messages;
        if (options_.high_water >= options_.max_bytes) options_.high_water = options_.max_bytes / 2;
    }
    send_queue(const send_queue&) = delete;
    send_queue& operator=(const send_queue&) = delete;
    send_queue(send_queue&&) noexcept = default;
    send_queue& operator=(send_queue&&) noexcept = default;
    ~send_queue() = default;

    // -------------------------------------------------------------- send

    /// Copies `payload` and queues it as one message of `type` for `ep`
    /// (handed over at once when `ep` can take it); the caller's buffer may
    /// be reused or freed as soon as this returns. Refused, with nothing
    /// queued: not_open (the endpoint takes no messages), send_queue_full
    /// (the message would take the queue past max_bytes or max_messages; one
    /// larger than max_bytes never fits), text_not_utf8, out_of_memory (the
    /// copy could not be allocated).
    [[nodiscard]] error send(Endpoint& ep, message_type type, bytes_view payload) noexcept {
        settle(ep);
        if (!taking_messages(ep)) return error::not_open;
        if (size() >= options_.max_messages || payload.size() > options_.max_bytes - bytes_)
            return error::send_queue_full;
        // Handed over at once, the endpoint checks the text; otherwise the check is made here.
        const bool at_once = !in_flight_ && size() == 0 && ep.can_send();
        if (!at_once && type == message_type::text && !validate_utf8(payload).ok()) return error::text_not_utf8;
        entry e;
        e.type = type;
        e.size = payload.size();
        if (e.size != 0) {
            e.data.reset(new (std::nothrow) std::uint8_t[e.size]);
            if (e.data == nullptr) return error::out_of_memory;
            std::memcpy(e.data.get(), payload.data(), e.size);
        }
        entries_.push_back(std::move(e));
        bytes_ += payload.size();
        if (!at_once) return error::none;
        const error r = hand_over(ep);
        if (r != error::none) {
            entries_.pop_back();
            bytes_ -= payload.size();
        }
        return r;
    }
    /// send() of any contiguous range of bytes (bytes.hpp), a temporary included.
    template <byte_range B>
        requires(!std::convertible_to<B, bytes_view>)
    [[nodiscard]] error send(Endpoint& ep, message_type type, B&& payload) noexcept {
        return send(ep, type, as_bytes_view(payload));
    }

    /// send() of a text message (a temporary std::string included).
    [[nodiscard]] error send_text(Endpoint& ep, std::string_view text) noexcept {
        return send(ep, message_type::text, bytes_view(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
    }
    template <byte_range B>
        requires(!std::convertible_to<B, std::string_view>)
    [[nodiscard]] error send_text(Endpoint& ep, B&& text) noexcept {
        return send(ep, message_type::text, as_bytes_view(text));
    }

    /// send() of a binary message.
    [[nodiscard]] error send_binary(Endpoint& ep, bytes_view payload) noexcept {
        return send(ep, message_type::binary, payload);
    }
    template <byte_range B>
        requires(!std::convertible_to<B, bytes_view>)
    [[nodiscard]] error send_binary(Endpoint& ep, B&& payload) noexcept {
        return send(ep, message_type::binary, as_bytes_view(payload));
    }

    /// Drops the messages waiting (not the one being written, which the
    /// endpoint views) and returns how many.
    std::size_t clear() noexcept {
        const std::size_t first = head_ + (in_flight_ ? 1 : 0);
        const std::size_t n = entries_.size() - first;
        for (std::size_t i = first; i < entries_.size(); ++i) bytes_ -= entries_[i].size;
        entries_.resize(first);
        if (!in_flight_) reset_storage();
        return n;
    }

    // ------------------------------------------------------------ output

    /// `ep.output()`, after handing over the next message if `ep` can take it.
    [[nodiscard]] output_buffers output(Endpoint& ep) noexcept {
        settle(ep);
        return ep.output();
    }

    /// `ep.consume(n)`; frees the message being written once `ep` has
    /// written it, and hands over the next.
    void consume(Endpoint& ep, std::size_t n) noexcept {
        ep.consume(n);
        settle(ep);
    }

    /// `ep.copy_output(dst)` with the bookkeeping of consume(); returns the bytes written to `dst`.
    std::size_t copy_output(Endpoint& ep, mutable_bytes dst) noexcept {
        settle(ep);
        const std::size_t n = ep.copy_output(dst);
        settle(ep);
        return n;
    }

    // ----------------------------------------------------------- signals

    /// Payload bytes the queue owns: messages waiting and the one being written.
    [[nodiscard]] std::size_t queued_bytes() const noexcept { return bytes_; }
    /// Messages the queue owns, the one being written included.
    [[nodiscard]] std::size_t size() const noexcept { return entries_.size() - head_; }
    [[nodiscard]] bool empty() const noexcept { return size() == 0; }
    /// True while more than high_water bytes are queued: stop producing for
    /// (or reading from) this peer until it turns false again.
    [[nodiscard]] bool above_high_water() const noexcept { return bytes_ > options_.high_water; }
    /// True when nothing is queued and `ep` has nothing left to write: every
    /// message is written (resume producing, or close now).
    [[nodiscard]] bool drained(const Endpoint& ep) const noexcept { return empty() && ep.pending_output() == 0; }
    /// Messages dropped because the endpoint stopped taking messages.
    [[nodiscard]] std::size_t dropped() const noexcept { return dropped_; }
    /// The options in use (corrected as the constructor says).
    [[nodiscard]] const send_queue_options& options() const noexcept { return options_; }

private:
    struct entry {
        std::unique_ptr<std::uint8_t[]> data;  // null for an empty message
        std::size_t size = 0;
        message_type type = message_type::binary;
    };

    /// True if `ep` takes new messages: a connection open, or a session open
    /// whose connection is.
    [[nodiscard]] static bool taking_messages(Endpoint& ep) noexcept {
        if (ep.state() != decltype(ep.state())::open) return false;
        if constexpr (requires { ep.connection(); }) return ep.connection().state() == connection_state::open;
        else return true;
    }

    /// Frees the message being written once `ep` is done with it; then drops
    /// what waits if `ep` takes no more messages, or hands the next over if
    /// it can take it.
    void settle(Endpoint& ep) noexcept {
        // can_send(): the writer is idle, so every byte of the message was
        // written; after a close, pending_output() == 0 says the same.
        if (in_flight_ && (ep.can_send() || ep.pending_output() == 0)) {
            bytes_ -= entries_[head_].size;
            entries_[head_] = entry{};
            ++head_;
            in_flight_ = false;
            if (head_ == entries_.size()) reset_storage();
            else if (head_ >= 64 && head_ * 2 >= entries_.size()) compact();
        }
        if (size() == (in_flight_ ? 1u : 0u)) return;  // nothing waits
        if (!taking_messages(ep)) {
            dropped_ += clear();
            return;
        }
        if (!in_flight_ && ep.can_send() && hand_over(ep) != error::none) {
            // Not expected (the text was checked, can_send() was true): drop it rather than stall.
            bytes_ -= entries_[head_].size;
            entries_[head_] = entry{};
            ++head_;
            ++dropped_;
            if (head_ == entries_.size()) reset_storage();
        }
    }

    /// Gives the first message to `ep`.
    [[nodiscard]] error hand_over(Endpoint& ep) noexcept {
        entry& e = entries_[head_];
        const error r = ep.send_in_place(e.type, mutable_bytes(e.data.get(), e.size));
        in_flight_ = r == error::none;
        return r;
    }

    /// Empties the storage, keeping its capacity.
    void reset_storage() noexcept {
        entries_.clear();
        head_ = 0;
    }

    /// Moves the live records to the front (amortised: the dead ones are at least half).
    void compact() noexcept {
        entries_.erase(entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(head_));
        head_ = 0;
    }

    std::vector<entry> entries_;  // [head_, end): queued in order; entries_[head_] in flight when in_flight_
    std::size_t head_ = 0;
    std::size_t bytes_ = 0;
    std::size_t dropped_ = 0;
    send_queue_options options_;
    bool in_flight_ = false;
};

}  // namespace wscodec
