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
#include <new>
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

/// Raw inflate of a stream compressed with a window of 2^window_bits bytes
/// (8..15: what the peer agreed to compress with, or 15). zlib always gets a
/// 2^15 window: it checks a back reference against the history it holds,
/// which with a smaller window depends on how its output is cut into calls,
/// so a peer that refers further back than agreed would be refused or
/// accepted depending on how its bytes arrive. With 2^15 (the format's
/// largest distance) every stream inflates the same way however it is split:
/// a reference further back than the agreed window is accepted. The cost is
/// zlib's window, 32 KiB (allocated on the first message), whatever the
/// agreed bits. Neither copyable nor movable (zlib's state points back at
/// the stream).
class zlib_inflater final : public inflate_stream {
public:
    /// `release_on_reset`: reset() frees zlib's state (the next message sets it up again),
    /// so a connection whose peer does not take its window over holds none between messages.
    explicit zlib_inflater(int window_bits = 15, const deflate_allocator& alloc = {}, bool release_on_reset = false) noexcept
        : s_(alloc), release_(release_on_reset) {
        const bool valid = window_bits >= 8 && window_bits <= 15;
        // Released from the start: set up by the first message.
        released_ = valid && release_on_reset;
        s_.ok = valid && !release_on_reset && inflateInit2(&s_.z, -max_window_bits) == Z_OK;
    }
    /// The window zlib inflates with, whatever the agreed bits (see above).
    static constexpr int max_window_bits = 15;

    zlib_inflater(const zlib_inflater&) = delete;
    zlib_inflater& operator=(const zlib_inflater&) = delete;
    ~zlib_inflater() {
        if (s_.ok) (void)inflateEnd(&s_.z);
    }

    /// False if zlib could not be set up (bad window bits, no memory). With
    /// release_on_reset, zlib is set up by the first message.
    [[nodiscard]] bool ok() const noexcept { return s_.ok || released_; }

    [[nodiscard]] flate_result inflate(bytes_view in, mutable_bytes out) noexcept override {
        if (!s_.ok && released_) {
            released_ = false;
            s_.ok = inflateInit2(&s_.z, -max_window_bits) == Z_OK;
        }
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
        if (!s_.ok) return;
        if (!release_) {
            (void)inflateReset(&s_.z);
            return;
        }
        (void)inflateEnd(&s_.z);
        s_.ok = false;
        released_ = true;
    }

private:
    detail::zlib_state s_;
    bool release_;
    bool released_ = false;
};

/// Raw deflate with a window of 2^window_bits bytes (9..15), zlib's
/// compression `level` (0..9; 1 is fastest) and `mem_level` (1..9: the
/// compressor's hash table, memory 2^(mem_level + 9) bytes and more).
class zlib_deflater final : public deflate_stream {
public:
    /// `release_on_reset`: reset() frees zlib's state (the next message sets it up again),
    /// so a connection without context takeover holds no compressor between messages.
    explicit zlib_deflater(int window_bits = 15, int level = 6, int mem_level = 8,
                           const deflate_allocator& alloc = {}, bool release_on_reset = false) noexcept
        : s_(alloc), bits_(window_bits), level_(level), mem_level_(mem_level), release_(release_on_reset) {
        const bool valid = window_bits >= 9 && window_bits <= 15 && level >= 0 && level <= 9 && mem_level >= 1 &&
                           mem_level <= 9;
        // Released from the start: set up by the first message.
        released_ = valid && release_on_reset;
        s_.ok = valid && !release_on_reset && init();
    }
    zlib_deflater(const zlib_deflater&) = delete;
    zlib_deflater& operator=(const zlib_deflater&) = delete;
    ~zlib_deflater() {
        if (s_.ok) (void)deflateEnd(&s_.z);
    }

    /// False if zlib could not be set up (window bits 8 or out of range, bad
    /// level, no memory). With release_on_reset, zlib is set up by the first
    /// message.
    [[nodiscard]] bool ok() const noexcept { return s_.ok || released_; }

    [[nodiscard]] flate_result deflate(bytes_view in, mutable_bytes out, bool flush) noexcept override {
        if (!s_.ok && released_) {
            released_ = false;
            s_.ok = init();
        }
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
        if (!s_.ok) return;
        if (!release_) {
            (void)deflateReset(&s_.z);
            return;
        }
        (void)deflateEnd(&s_.z);
        s_.ok = false;
        released_ = true;
    }

private:
    [[nodiscard]] bool init() noexcept {
        return deflateInit2(&s_.z, level_, Z_DEFLATED, -bits_, mem_level_, Z_DEFAULT_STRATEGY) == Z_OK;
    }

    detail::zlib_state s_;
    int bits_, level_, mem_level_;
    bool release_;
    bool released_ = false;
};

/// How a zlib_backend sets up each connection's streams.
struct zlib_options {
    int level = 6;  ///< zlib's compression level, 1 (fastest) to 9; 6 is zlib's default
    /// zlib's memLevel, 1..9: the compressor's hash table and literal buffer take
    /// 2^(mem_level + 9) bytes together (zlib's manual), beside 2^(window_bits + 2).
    int mem_level = 8;
    /// The largest window we compress with, 9..15, whatever was agreed (a smaller window
    /// than agreed is always allowed, RFC 7692 §7.1.2.1): 2^(bits + 2) bytes of compressor.
    int max_deflate_window_bits = 15;
    std::size_t inflate_buffer = 16384;  ///< deflate_setup::inflate_buffer: inflated bytes per data event at most
    std::size_t deflate_buffer = 16384;  ///< deflate_setup::deflate_buffer: the largest compressed frame
    /// With no context takeover in a direction, free that direction's zlib state after
    /// each message (set up again by the next): idle connections hold no zlib memory, at
    /// the price of zlib's setup per message.
    bool release_between_messages = false;
    deflate_allocator alloc{};  ///< where the memory comes from (null: malloc)

    /// Memory presets per connection (measured in the README's table): the compressor
    /// at its largest, zlib's defaults (window 15, memLevel 8, level 6).
    [[nodiscard]] static constexpr zlib_options max_compression() noexcept { return {}; }
    /// The default: a 4 KiB window and memLevel 5 for the compressor (as Python websockets
    /// chooses), level 6; text like JSON compresses nearly as well as with 32 KiB.
    [[nodiscard]] static constexpr zlib_options balanced() noexcept {
        zlib_options o;
        o.mem_level = 5;
        o.max_deflate_window_bits = 12;
        return o;
    }
    /// For many mostly idle connections: a 1 KiB window, memLevel 2, 4 KiB buffers, and
    /// no zlib state kept between messages without context takeover (ask the peer for
    /// it with deflate_server_options::client_no_context_takeover or client_max_window_bits).
    [[nodiscard]] static constexpr zlib_options low_memory() noexcept {
        zlib_options o;
        o.mem_level = 2;
        o.max_deflate_window_bits = 10;
        o.inflate_buffer = 4096;
        o.deflate_buffer = 4096;
        o.release_between_messages = true;
        return o;
    }
};

/// deflate_backend on zlib: each connection gets one allocation holding its zlib_inflater,
/// its zlib_deflater and the two buffers (and zlib's own allocations behind them). One
/// backend serves any number of connections (session_options::deflate) and must outlive
/// them; acquire() and release() touch no shared state, so sessions on several threads
/// may share one.
class zlib_backend final : public deflate_backend {
public:
    explicit zlib_backend(const zlib_options& o = zlib_options::balanced()) noexcept : o_(o) {}

    [[nodiscard]] deflate_setup acquire(const deflate_windows& w) noexcept override {
        deflate_setup s;
        const std::size_t bytes = sizeof(block) + o_.inflate_buffer + o_.deflate_buffer;
        void* p = allocate(bytes);
        if (p == nullptr) return s;
        const int deflate_bits = w.deflate_bits < o_.max_deflate_window_bits ? w.deflate_bits : o_.max_deflate_window_bits;
        auto* b = ::new (p) block(w.inflate_bits, w.reset_inflater && o_.release_between_messages,
                                  deflate_bits < 9 ? 9 : deflate_bits, o_, w.reset_deflater && o_.release_between_messages);
        if (!b->in.ok() || !b->out.ok() || w.inflate_bits < 8 || w.inflate_bits > 15 || w.deflate_bits < 9) {
            b->~block();
            deallocate(p);
            return s;
        }
        auto* buffers = static_cast<std::uint8_t*>(p) + sizeof(block);
        s.inflater = &b->in;
        s.deflater = &b->out;
        s.inflate_buffer = mutable_bytes(buffers, o_.inflate_buffer);
        s.deflate_buffer = mutable_bytes(buffers + o_.inflate_buffer, o_.deflate_buffer);
        s.handle = p;
        return s;
    }

    void release(const deflate_setup& s) noexcept override {
        if (s.handle == nullptr) return;
        static_cast<block*>(s.handle)->~block();
        deallocate(s.handle);
    }

    [[nodiscard]] const zlib_options& options() const noexcept { return o_; }

private:
    struct block {
        zlib_inflater in;
        zlib_deflater out;
        block(int inflate_bits, bool release_in, int deflate_bits, const zlib_options& o, bool release_out) noexcept
            : in(inflate_bits, o.alloc, release_in), out(deflate_bits, o.level, o.mem_level, o.alloc, release_out) {}
    };

    [[nodiscard]] void* allocate(std::size_t n) const noexcept {
        if (o_.alloc.allocate != nullptr && o_.alloc.deallocate != nullptr) return o_.alloc.allocate(o_.alloc.ctx, n);
        return ::operator new(n, std::nothrow);
    }
    void deallocate(void* p) const noexcept {
        if (o_.alloc.allocate != nullptr && o_.alloc.deallocate != nullptr) o_.alloc.deallocate(o_.alloc.ctx, p);
        else ::operator delete(p);
    }

    zlib_options o_;
};

}  // namespace wscodec
