// SPDX-License-Identifier: MIT
// wscodec/limits.hpp — what a connection accepts from its peer and how it
// behaves, with the defaults and the reasons for them.
#pragma once

#include <wscodec/detail/config.hpp>

namespace wscodec {

/// Bounds on what the peer may send. Exceeding one fails the connection with
/// close code 1009 as soon as a frame header declares it, before any of the
/// payload arrives. Payload is streamed, never buffered, so these bound what
/// the application is asked to handle, not the codec's memory (which is fixed).
struct receive_limits {
    /// Largest payload of one frame. 16 MiB: far above what browsers send in
    /// one frame, small enough that a typo'd or hostile 2^63 length is refused.
    std::uint64_t max_frame_size = std::uint64_t{16} << 20;
    /// Largest message (sum of its frames). 16 MiB, as for frames; raise both
    /// for bulk transfer. The optional message_assembler has its own limit:
    /// the buffer it is given.
    std::uint64_t max_message_size = std::uint64_t{16} << 20;
    /// Most frames in one message; 0 (the default): as many as
    /// fragment_limit() derives from max_message_size.
    std::uint32_t max_fragments = 0;

    /// The default frame budget: one frame per 16 bytes of max_message_size
    /// (1,048,576 frames for 16 MiB). A fixed count small enough to stop
    /// abuse refuses legitimate messages (4 MiB sent in 64-byte fragments is
    /// 65,536 frames); tied to the message budget, it accepts every message
    /// within max_message_size whose fragments average 16 bytes or more,
    /// still stops a peer that holds a message open with empty or tiny
    /// fragments, and bounds what reading one message costs: payload at most
    /// max_message_size, headers (2 to 14 bytes a frame) less than that
    /// again, at most one data event per frame. It follows max_message_size
    /// when that is changed.
    static constexpr std::uint64_t bytes_per_fragment = 16;

    /// Largest compressed message (permessage-deflate, RFC 7692): the sum of
    /// its frames as received, before inflating. max_message_size bounds the
    /// inflated bytes (a decompression bomb fails once it crosses that), and
    /// this bounds the wire bytes; 0 (the default): compressed_limit()
    /// derives it from max_message_size.
    std::uint64_t max_compressed_message_size = 0;

    /// The most frames one message may have: max_fragments if set, else
    /// max_message_size / bytes_per_fragment (at least 1, at most 2^32 - 1).
    [[nodiscard]] constexpr std::uint32_t fragment_limit() const noexcept {
        if (max_fragments != 0) return max_fragments;
        const std::uint64_t n = max_message_size / bytes_per_fragment;
        if (n == 0) return 1;
        return n > 0xFFFFFFFFu ? 0xFFFFFFFFu : static_cast<std::uint32_t>(n);
    }

    /// The bound on a compressed message's wire bytes: max_compressed_message_size if set,
    /// else max_message_size and an eighth more, since DEFLATE may make data that does not
    /// compress a little larger (a stored block adds 5 bytes per 64 KiB, and a sender's sync
    /// flush per frame 5 more), and a message within max_message_size must not be refused.
    [[nodiscard]] constexpr std::uint64_t compressed_limit() const noexcept {
        if (max_compressed_message_size != 0) return max_compressed_message_size;
        return with_slack(max_message_size);
    }

    /// The bound on one frame of a compressed message: max_frame_size and an eighth more,
    /// for the same reason (a message within max_message_size sent compressed in one frame).
    [[nodiscard]] constexpr std::uint64_t compressed_frame_limit() const noexcept { return with_slack(max_frame_size); }

    /// `n` and an eighth more, and 1 KiB (saturating).
    [[nodiscard]] static constexpr std::uint64_t with_slack(std::uint64_t n) noexcept {
        const std::uint64_t slack = n / 8 + 1024;
        return n > ~std::uint64_t{0} - slack ? ~std::uint64_t{0} : n + slack;
    }
};

/// How long each timer of a connection runs, in milliseconds (timer() says
/// which one to run, timer_duration() for how long; the library reads no
/// clock). Keepalive and idle are checked lazily, so the caller arms a timer
/// only when timer() changes or receive_timeout() was called, never per read:
/// a ping goes out after between ping_interval_ms and twice that without a
/// byte from the peer, and an idle connection is closed after between
/// idle_ms and 1.25 times that without one.
struct timer_options {
    /// close_handshake: our close frame is out and the peer's does not come
    /// (RFC 6455 §7.1.1 leaves the wait to us). 5 s, as browsers wait.
    std::uint32_t close_ms = 5000;
    /// tcp_close: a client after the close handshake waits for the server to
    /// close TCP first (§7.1.1). 2 s.
    std::uint32_t tcp_close_ms = 2000;
    /// keepalive: ping when nothing has come from the peer for this long, to
    /// find a dead peer (and keep NAT and proxies from dropping an idle
    /// connection); 0 (the default): no keepalive. 20 s to 60 s is usual.
    std::uint32_t ping_interval_ms = 0;
    /// pong_wait: after our keepalive ping, fail the peer with 1011
    /// (error::keepalive_timeout) if nothing at all comes for this long. 10 s.
    std::uint32_t pong_timeout_ms = 10000;
    /// idle: fail with 1001 (error::idle_timeout) when nothing has come from
    /// the peer for this long (any byte counts, pongs too, as in uWebSockets'
    /// idleTimeout); 0 (the default): never.
    std::uint32_t idle_ms = 0;
};

/// Behaviour of a connection.
struct connection_options {
    receive_limits limits{};
    /// Answer every ping with a pong carrying its payload (§5.5.2). Off: pings
    /// are only reported, and the application sends pongs itself.
    bool auto_pong = true;
    /// RSV bits a negotiated extension gives meaning to (frame.hpp rsv1..3),
    /// on the first frame of a data message, as permessage-deflate's RSV1
    /// (RFC 7692 §6): event::rsv reports them on the message's data events,
    /// and a text message with any of them set is not checked as UTF-8 (its
    /// payload is in the extension's encoding; decode it, then validate).
    /// Other RSV bits, and any RSV bit on a control frame or a later
    /// fragment, fail the connection (§5.2).
    std::uint8_t allowed_rsv = 0;
    /// Accept lengths in a wider encoding than needed (see decode_rules).
    bool allow_non_minimal_length = false;
    /// Send messages longer than this as several frames of at most this many
    /// payload bytes; 0 sends every message as one frame.
    std::uint64_t fragment_size = 0;
    /// Timer durations, keepalive and idle timeout.
    timer_options timers{};
    /// With permessage-deflate on: whole messages shorter than this go uncompressed. Under
    /// 32 bytes the 1-byte block header and the flush's bits rarely pay for themselves, and
    /// the compressor's call costs more than the bytes it saves; 0 compresses every one.
    std::uint32_t compress_min_size = 32;
};

}  // namespace wscodec
