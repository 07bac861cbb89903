// SPDX-License-Identifier: MIT
// wscodec/zlib.hpp — optional: deflate_stream.hpp's backend on zlib (Debian
// zlib1g-dev; zlib-ng's zlib-compatible build fits too). Not in the umbrella
// header: include it where permessage-deflate is used and link zlib (-lz;
// meson: dependency('zlib')).
//
// Window bits: zlib inflates raw DEFLATE with windows of 2^8 to 2^15 bytes,
// but compresses with 2^9 at least; zlib_deflater refuses 8 (ok() is false),
// so a side that must compress with an 8-bit window (server_max_window_bits=8
// asked of a server, client_max_window_bits=8 told to a client) declines it
// in the negotiation (deflate_server_options / deflate_client_options:
// can_compress_window_8 stays false with this backend).
#pragma once

#include <zlib.h>

#include <climits>
#include <cstddef>
#include <cstdint>
#include <wscodec/deflate_stream.hpp>

namespace wscodec {

namespace detail {

/// zlib's allocation callbacks over a deflate_allocator.
struct zlib_memory {
    static voidpf allocate(voidpf opaque, uInt items, uInt size) noexcept {
        const auto* a = static_cast<const deflate_allocator*>(opaque);
        return a->allocate(a->ctx, static_cast<std::size_t>(items) * size);
    }
    static void deallocate(voidpf opaque, voidpf p) noexcept {
        const auto* a = static_cast<const deflate_allocator*>(opaque);
        a->deallocate(a->ctx, p);
    }
    static void install(z_stream& z, const deflate_allocator& a) noexcept {
        if (a.allocate != nullptr && a.deallocate != nullptr) {
            z.zalloc = &allocate;
            z.zfree = &deallocate;
            z.opaque = const_cast<deflate_allocator*>(&a);
        }
    }
};

/// The most zlib takes in one call (its counters are uInt).
[[nodiscard]] inline uInt zlib_chunk(std::size_t n) noexcept {
    return static_cast<uInt>(n > UINT_MAX ? UINT_MAX : n);
}

/// What both directions keep: zlib's stream, the allocator its callbacks
/// point at, whether setup succeeded, and the counters of the current call.
struct zlib_state {
    z_stream z{};
    deflate_allocator alloc;
    bool ok = false;
    uInt in0 = 0, out0 = 0;

    explicit zlib_state(const deflate_allocator& a) noexcept : alloc(a) { zlib_memory::install(z, alloc); }

    /// Points zlib at `in` and `out` for one call.
    void point(bytes_view in, mutable_bytes out) noexcept {
        z.next_in = const_cast<Bytef*>(in.data());
        z.avail_in = in0 = zlib_chunk(in.size());
        z.next_out = out.data();
        z.avail_out = out0 = zlib_chunk(out.size());
    }
    /// What the call consumed and produced.
    [[nodiscard]] flate_result counted() const noexcept {
        flate_result r;
        r.consumed = in0 - z.avail_in;
        r.produced = out0 - z.avail_out;
        return r;
    }
};

}  // namespace detail

/// Raw inflate with a window of 2^window_bits bytes (8..15: what the peer
/// agreed to compress with, or 15). Neither copyable nor movable (zlib's
/// state points back at the stream).
class zlib_inflater final : public inflate_stream {
public:
    explicit zlib_inflater(int window_bits = 15, const deflate_allocator& alloc = {}) noexcept : s_(alloc) {
        s_.ok = window_bits >= 8 && window_bits <= 15 && inflateInit2(&s_.z, -window_bits) == Z_OK;
    }
    zlib_inflater(const zlib_inflater&) = delete;
    zlib_inflater& operator=(const zlib_inflater&) = delete;
    ~zlib_inflater() {
        if (s_.ok) (void)inflateEnd(&s_.z);
    }

    /// False if zlib could not be set up (bad window bits, no memory).
    [[nodiscard]] bool ok() const noexcept { return s_.ok; }

    [[nodiscard]] flate_result inflate(bytes_view in, mutable_bytes out) noexcept override {
        if (!s_.ok) return {0, 0, flate_status::out_of_memory};
        s_.point(in, out);
        const int rc = ::inflate(&s_.z, Z_SYNC_FLUSH);
        flate_result r = s_.counted();
        switch (rc) {
            case Z_OK:
            case Z_BUF_ERROR: break;  // progress, or none possible: not an error
            case Z_STREAM_END: r.status = flate_status::stream_end; break;
            case Z_MEM_ERROR: r.status = flate_status::out_of_memory; break;
            default: r.status = flate_status::data_error; break;  // Z_DATA_ERROR, Z_NEED_DICT, Z_STREAM_ERROR
        }
        return r;
    }

    void reset() noexcept override {
        if (s_.ok) (void)inflateReset(&s_.z);
    }

private:
    detail::zlib_state s_;
};

/// Raw deflate with a window of 2^window_bits bytes (9..15), zlib's
/// compression `level` (0..9; 1 is fastest) and `mem_level` (1..9: the
/// compressor's hash table, memory 2^(mem_level + 9) bytes and more).
class zlib_deflater final : public deflate_stream {
public:
    explicit zlib_deflater(int window_bits = 15, int level = 6, int mem_level = 8,
                           const deflate_allocator& alloc = {}) noexcept
        : s_(alloc) {
        s_.ok = window_bits >= 9 && window_bits <= 15 &&
                deflateInit2(&s_.z, level, Z_DEFLATED, -window_bits, mem_level, Z_DEFAULT_STRATEGY) == Z_OK;
    }
    zlib_deflater(const zlib_deflater&) = delete;
    zlib_deflater& operator=(const zlib_deflater&) = delete;
    ~zlib_deflater() {
        if (s_.ok) (void)deflateEnd(&s_.z);
    }

    /// False if zlib could not be set up (window bits 8 or out of range, bad
    /// level, no memory).
    [[nodiscard]] bool ok() const noexcept { return s_.ok; }

    [[nodiscard]] flate_result deflate(bytes_view in, mutable_bytes out, bool flush) noexcept override {
        if (!s_.ok) return {0, 0, flate_status::out_of_memory};
        s_.point(in, out);
        // zlib's manual: a sync flush needs more than 6 bytes of room, or
        // each call adds another flush marker. With less, only drain.
        const bool flushing = flush && s_.out0 > 6;
        const int rc = ::deflate(&s_.z, flushing ? Z_SYNC_FLUSH : Z_NO_FLUSH);
        flate_result r = s_.counted();
        if (rc == Z_MEM_ERROR) {
            r.status = flate_status::out_of_memory;
        } else if (rc == Z_STREAM_ERROR) {
            r.status = flate_status::data_error;
        } else if (flushing && r.consumed == in.size() && s_.z.avail_out != 0 && (rc == Z_OK || rc == Z_BUF_ERROR)) {
            // All input taken and room left after a sync flush: it is written.
            r.status = flate_status::stream_end;
        }
        return r;
    }

    void reset() noexcept override {
        if (s_.ok) (void)deflateReset(&s_.z);
    }

private:
    detail::zlib_state s_;
};

}  // namespace wscodec
