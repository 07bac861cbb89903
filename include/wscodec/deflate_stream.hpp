// SPDX-License-Identifier: MIT
// wscodec/deflate_stream.hpp — the interface between the codec and a
// DEFLATE backend (RFC 1951) for permessage-deflate (RFC 7692): a streaming
// raw inflater and deflater with a sync flush and a reset, and the allocator
// a backend draws its state from. The core implements none of it and links
// nothing: wscodec/zlib.hpp adapts zlib (or zlib-ng's zlib-compatible API);
// any streaming backend fits. A one-shot library (libdeflate) fits only
// no-context-takeover use, where every message is a fresh stream, and only if
// it can inflate into bounded pieces.
#pragma once

#include <cstddef>
#include <cstdint>
#include <wscodec/bytes.hpp>

namespace wscodec {

/// The agreed permessage-deflate parameters of a connection (RFC 7692 §7.1), the same on
/// both sides. 4 bytes.
struct deflate_params {
    bool server_no_context_takeover = false;  ///< §7.1.1.1: the server resets its compressor after each message
    bool client_no_context_takeover = false;  ///< §7.1.1.2: the client resets its compressor after each message
    std::uint8_t server_max_window_bits = 15; ///< §7.1.2.1: the server compresses with at most 2^n bytes of window
    std::uint8_t client_max_window_bits = 15; ///< §7.1.2.2: the client compresses with at most 2^n bytes of window

    friend constexpr bool operator==(const deflate_params&, const deflate_params&) noexcept = default;
};

/// One side's view of deflate_params: what its inflater and its compressor must do.
struct deflate_windows {
    std::uint8_t inflate_bits = 15;  ///< the peer compresses with at most 2^n bytes of window: inflate with 2^n
    std::uint8_t deflate_bits = 15;  ///< we may compress with at most 2^n bytes of window
    bool reset_inflater = false;     ///< the peer's no_context_takeover: each message is a fresh stream
    bool reset_deflater = false;     ///< ours: our window is dropped after each message

    /// The server's view (`server`) or the client's.
    [[nodiscard]] static constexpr deflate_windows of(const deflate_params& p, bool server) noexcept {
        deflate_windows w;
        w.inflate_bits = server ? p.client_max_window_bits : p.server_max_window_bits;
        w.deflate_bits = server ? p.server_max_window_bits : p.client_max_window_bits;
        w.reset_inflater = server ? p.client_no_context_takeover : p.server_no_context_takeover;
        w.reset_deflater = server ? p.server_no_context_takeover : p.client_no_context_takeover;
        return w;
    }
    friend constexpr bool operator==(const deflate_windows&, const deflate_windows&) noexcept = default;
};

/// Where a backend gets its memory: `allocate(ctx, n)` returns n bytes (or
/// nullptr), `deallocate(ctx, p)` frees them. Both null: the backend's default
/// (malloc for zlib).
struct deflate_allocator {
    void* (*allocate)(void* ctx, std::size_t n) = nullptr;
    void (*deallocate)(void* ctx, void* p) = nullptr;
    void* ctx = nullptr;
};

/// How a backend call ended.
enum class flate_status : std::uint8_t {
    ok,             ///< progress (or none possible yet); see flate_result
    stream_end,     ///< inflate: the stream's final block (BFINAL) ended; deflate: the flush is complete
    data_error,     ///< inflate: the input is not valid DEFLATE data (or needs a larger window)
    out_of_memory,  ///< the allocator refused
};

/// What one call consumed and produced.
struct flate_result {
    std::size_t consumed = 0;
    std::size_t produced = 0;
    flate_status status = flate_status::ok;
};

/// A raw DEFLATE decompressor (no zlib or gzip wrapper) that keeps its
/// window from one call to the next until reset().
///
/// Contract of inflate(): consumes from `in`, writes to `out`. A call that
/// returns with room left in `out` has written everything the input it
/// consumed yields; a call that fills `out` may have more to give from input
/// already consumed (call again with more room, even with no new input).
class inflate_stream {
public:
    [[nodiscard]] virtual flate_result inflate(bytes_view in, mutable_bytes out) noexcept = 0;
    /// Forgets the window and the stream position (a new stream starts).
    virtual void reset() noexcept = 0;

protected:
    inflate_stream() = default;
    inflate_stream(const inflate_stream&) = default;
    inflate_stream& operator=(const inflate_stream&) = default;
    ~inflate_stream() = default;
};

/// A raw DEFLATE compressor that keeps its window from one message to the
/// next until reset().
///
/// Contract of deflate(): consumes from `in`, writes to `out`. With `flush`
/// false it may buffer. With `flush` true it ends the data given so far with
/// a sync flush (an empty stored block, the bytes 00 00 ff ff, byte-aligned):
/// call it, with the input not yet consumed and more room, until it returns
/// stream_end, which means all of `in` is consumed and the flush is written.
/// A flush may need room (zlib: more than 6 bytes); message_deflater gives
/// every call at least 8.
class deflate_stream {
public:
    [[nodiscard]] virtual flate_result deflate(bytes_view in, mutable_bytes out, bool flush) noexcept = 0;
    /// Forgets the window (the next message does not refer to earlier ones).
    virtual void reset() noexcept = 0;

protected:
    deflate_stream() = default;
    deflate_stream(const deflate_stream&) = default;
    deflate_stream& operator=(const deflate_stream&) = default;
    ~deflate_stream() = default;
};

/// One connection's permessage-deflate resources, from deflate_backend::acquire(): the two
/// streams and the buffers the connection works in. They stay where they are (the
/// connection may move; they do not) until deflate_backend::release().
struct deflate_setup {
    inflate_stream* inflater = nullptr;  ///< the peer's compressed messages inflate through it
    deflate_stream* deflater = nullptr;  ///< our messages compress through it
    /// Inflated pieces of a received message are written here, one buffer-full per
    /// receive() call at most (data events view it). Bounds the work per call.
    mutable_bytes inflate_buffer{};
    /// Our compressed frames are built here (each frame's payload at most this size, at
    /// least 64 bytes).
    mutable_bytes deflate_buffer{};
    void* handle = nullptr;  ///< the backend's own; null means acquire() failed
};

/// Makes each connection's streams once permessage-deflate is agreed (a factory: one
/// backend serves every connection, as session_options::deflate). wscodec/zlib.hpp has
/// zlib_backend; a backend on another library implements these two calls.
class deflate_backend {
public:
    /// Streams and buffers for one connection with the agreed windows; `handle` null if
    /// they cannot be made (no memory).
    [[nodiscard]] virtual deflate_setup acquire(const deflate_windows& w) noexcept = 0;
    /// Frees what acquire() returned (the connection is destroyed).
    virtual void release(const deflate_setup& s) noexcept = 0;
    /// True if the compressor can use a 256-byte window (window bits 8); zlib cannot.
    [[nodiscard]] virtual bool can_compress_window_8() const noexcept { return false; }

protected:
    deflate_backend() = default;
    deflate_backend(const deflate_backend&) = default;
    deflate_backend& operator=(const deflate_backend&) = default;
    ~deflate_backend() = default;
};

}  // namespace wscodec
