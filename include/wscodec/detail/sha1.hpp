// SPDX-License-Identifier: MIT
// wscodec/detail/sha1.hpp — SHA-1 (FIPS 180-4 §6.1), which wscodec needs only
// for the opening handshake's Sec-WebSocket-Accept (RFC 6455 §4.2.2): the
// choice between the portable compression function and the one on the x86
// SHA extensions, and over them a streaming hasher (96 bytes) and a one-shot
// function. No heap.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>
#include <wscodec/bytes.hpp>
#include <wscodec/detail/config.hpp>
#include <wscodec/detail/cpu.hpp>
#include <wscodec/detail/sha1_portable.hpp>
#include <wscodec/detail/sha1_shani.hpp>

namespace wscodec::detail {

/// A SHA-1 compression function: `best` picks `sha_ni` where the CPU has the
/// SHA extensions, `portable` runs everywhere (and in constant expressions).
enum class sha1_kernel : std::uint8_t { best = 0, portable = 1, sha_ni = 2 };

/// Stable lower-case name of a SHA-1 kernel ("portable", "sha_ni", ...).
[[nodiscard]] constexpr const char* sha1_kernel_name(sha1_kernel k) noexcept {
    switch (k) {
        case sha1_kernel::best: return "best";
        case sha1_kernel::portable: return "portable";
        case sha1_kernel::sha_ni: return "sha_ni";
    }
    return "unknown";
}

/// True if SHA-1 kernel `k` can run on this CPU in this build.
[[nodiscard]] inline bool sha1_kernel_supported(sha1_kernel k) noexcept {
    switch (k) {
        case sha1_kernel::best:
        case sha1_kernel::portable: return true;
        case sha1_kernel::sha_ni: return cpu_has_sha_ni();
    }
    return false;
}

/// Resolves `best` and unsupported requests to the kernel that will run.
[[nodiscard]] inline sha1_kernel resolve_sha1_kernel(sha1_kernel k) noexcept {
    if (k != sha1_kernel::portable && sha1_kernel_supported(sha1_kernel::sha_ni)) return sha1_kernel::sha_ni;
    return sha1_kernel::portable;
}

/// Streaming SHA-1: update() any number of times, then final(). 96 bytes of
/// state; trivially copyable, so a hasher fed a common prefix can be copied.
class sha1_hasher {
public:
    /// A hasher for the empty message on kernel `k` (the portable one when
    /// constructed in a constant expression).
    constexpr explicit sha1_hasher(sha1_kernel k = sha1_kernel::best) noexcept
        : kernel_(std::is_constant_evaluated() ? sha1_kernel::portable : resolve_sha1_kernel(k)) {}

    /// The kernel that runs: never `best`.
    [[nodiscard]] constexpr sha1_kernel kernel() const noexcept { return kernel_; }

    /// Appends `data` to the message.
    constexpr sha1_hasher& update(bytes_view data) noexcept {
        const std::uint8_t* p = data.data();
        std::size_t n = data.size();
        std::size_t fill = static_cast<std::size_t>(length_ % 64);
        length_ += n;
        if (fill != 0) {
            const std::size_t take = std::min(64 - fill, n);
            std::copy(p, p + take, buffer_.data() + fill);
            if (fill + take < 64) return *this;
            compress(buffer_.data(), 1);
            p += take;
            n -= take;
        }
        if (n >= 64) {
            compress(p, n / 64);
            p += n / 64 * 64;
            n %= 64;
        }
        std::copy(p, p + n, buffer_.data());
        return *this;
    }

    /// Appends the bytes of `text` to the message.
    constexpr sha1_hasher& update(std::string_view text) noexcept {
        if (!std::is_constant_evaluated())
            return update(bytes_view(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
        std::uint8_t chunk[64] = {};
        for (std::size_t at = 0; at < text.size(); at += 64) {
            const std::size_t n = std::min<std::size_t>(64, text.size() - at);
            for (std::size_t i = 0; i < n; ++i) chunk[i] = static_cast<std::uint8_t>(text[at + i]);
            update(bytes_view(chunk, n));
        }
        return *this;
    }

    /// Pads the message (FIPS 180-4 §5.1.1) and returns its digest; the hasher
    /// is then back at the empty message, on the same kernel.
    [[nodiscard]] constexpr sha1_digest final() noexcept {
        const std::uint64_t bits = length_ * 8;
        std::size_t fill = static_cast<std::size_t>(length_ % 64);
        buffer_[fill++] = 0x80;
        if (fill > 56) {
            std::fill(buffer_.begin() + static_cast<std::ptrdiff_t>(fill), buffer_.end(), std::uint8_t{0});
            compress(buffer_.data(), 1);
            fill = 0;
        }
        std::fill(buffer_.begin() + static_cast<std::ptrdiff_t>(fill), buffer_.begin() + 56, std::uint8_t{0});
        sha1_store_be32(buffer_.data() + 56, static_cast<std::uint32_t>(bits >> 32));
        sha1_store_be32(buffer_.data() + 60, static_cast<std::uint32_t>(bits));
        compress(buffer_.data(), 1);
        const sha1_digest out = sha1_digest_bytes(h_);
        h_ = sha1_initial_hash;
        length_ = 0;
        return out;
    }

private:
    /// Compresses `blocks` 64-byte blocks at `p` into the hash value on this hasher's kernel.
    constexpr void compress(const std::uint8_t* p, std::size_t blocks) noexcept {
#if WSCODEC_X86
        if (!std::is_constant_evaluated() && kernel_ == sha1_kernel::sha_ni) {
            sha_ni::compress(h_.data(), p, blocks);
            return;
        }
#endif
        sha1_compress_portable(h_, p, blocks);
    }

    std::uint64_t length_ = 0;  // bytes so far; the first length_ % 64 of buffer_ are pending
    std::array<std::uint32_t, 5> h_ = sha1_initial_hash;
    std::array<std::uint8_t, 64> buffer_{};
    sha1_kernel kernel_;
};

/// The SHA-1 digest of `data`, computed on kernel `k`.
[[nodiscard]] constexpr sha1_digest sha1(bytes_view data, sha1_kernel k = sha1_kernel::best) noexcept {
    return sha1_hasher(k).update(data).final();
}

/// The SHA-1 digest of the bytes of `text`, computed on kernel `k`.
[[nodiscard]] constexpr sha1_digest sha1(std::string_view text, sha1_kernel k = sha1_kernel::best) noexcept {
    return sha1_hasher(k).update(text).final();
}

}  // namespace wscodec::detail
