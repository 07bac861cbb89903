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

}  // namespace wscodec
