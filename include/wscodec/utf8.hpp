// SPDX-License-Identifier: MIT
// wscodec/utf8.hpp — strict UTF-8 validation (RFC 3629): one-shot over a span
// and incremental over chunks split anywhere, fail-fast, with the offset of
// the first offending byte. Dispatches to the fastest kernel at run time.
#pragma once

#include <string_view>
#include <wscodec/bytes.hpp>
#include <wscodec/detail/utf8_scalar.hpp>
#include <wscodec/detail/utf8_simd.hpp>
#include <wscodec/kernel.hpp>
#include <wscodec/utf8_result.hpp>

namespace wscodec {

/// Validates `text` in one shot with kernel `k` (kernel::best by default).
/// A sequence cut off by the end of `text` is utf8_error::truncated.
[[nodiscard]] inline utf8_result validate_utf8(bytes_view text, kernel k = kernel::best) noexcept {
    const std::uint8_t* p = text.data();
    const std::size_t n = text.size();
    // Most WebSocket messages are short: settle short ASCII before dispatch.
    if (n <= 64 && k != kernel::scalar && detail::is_ascii_words(p, n)) return {utf8_error::none, n};
    switch (resolve_kernel(k)) {
#if WSCODEC_X86
        case kernel::avx512: return detail::avx512::validate(p, n);
        case kernel::avx2: return detail::avx2::validate(p, n);
        case kernel::sse41: return detail::sse41::validate(p, n);
#endif
#if WSCODEC_NEON
        case kernel::neon: return detail::neon::validate(p, n);
#endif
        default: return detail::utf8_validate_scalar(p, n);
    }
}

namespace detail {
/// Unmasks (key word `key32`: key byte j % 4 on byte j) and validates, in
/// one pass, the run of 3-byte characters at the start of a text, with
/// kernel `k`. The caller unmasks from `unmasked` on and validates from
/// `valid` on. The scalar kernel does nothing ({0, 0}).
[[nodiscard]] inline unmasked_run unmask_three_byte_run(std::uint8_t* p, std::size_t n, std::uint32_t key32,
                                                       kernel k = kernel::best) noexcept {
    switch (resolve_kernel(k)) {
#if WSCODEC_X86
        case kernel::avx512: return avx512::unmask_three_byte_run_aligned(p, n, key32);
        case kernel::avx2: return avx2::unmask_three_byte_run(p, n, key32);
        case kernel::sse41: return sse41::unmask_three_byte_run(p, n, key32);
#endif
#if WSCODEC_NEON
        case kernel::neon: return neon::unmask_three_byte_run(p, n, key32);
#endif
        default: return {0, 0};
    }
}
}  // namespace detail

/// Convenience overload for character data.
[[nodiscard]] inline utf8_result validate_utf8(std::string_view text, kernel k = kernel::best) noexcept {
    return validate_utf8(bytes_view(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()), k);
}

/// Incremental validator: feed() chunks split anywhere (inside a code point
/// too), then finish() at the end of the message. A byte that makes the text
/// invalid is reported by the feed() that delivers it; a prefix that can still
/// become valid is only an error at finish(). Positions are offsets from the
/// first byte fed since construction or reset(). Errors are sticky.
/// State: 16 bytes.
class utf8_validator {
public:
    constexpr utf8_validator() noexcept = default;

    /// Validates the next chunk with kernel `k`.
    [[nodiscard]] utf8_result feed(bytes_view chunk, kernel k = kernel::best) noexcept {
        if (err_ != utf8_error::none) return {err_, static_cast<std::size_t>(offset_)};
        const std::uint8_t* p = chunk.data();
        const std::size_t n = chunk.size();
        std::size_t i = 0;
        // Finish the sequence the previous chunk left open.
        for (; need_ > 0 && i < n; ++i) {
            if (!step(p[i])) return fail(i);
        }
        if (need_ > 0 || i == n) {
            offset_ += n;
            return {utf8_error::none, static_cast<std::size_t>(offset_)};
        }
        // Hold back a sequence the chunk's end cuts off; the kernel sees only
        // whole sequences.
        std::size_t end = n;
        const std::size_t lowest = n - i >= 3 ? n - 3 : i;
        for (std::size_t j = n; j > lowest;) {
            --j;
            const std::uint8_t b = p[j];
            if ((b & 0xC0) == 0x80) continue;
            if (b >= 0xC0) {
                const std::size_t len = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2;
                if (j + len > n) end = j;
            }
            break;
        }
        const utf8_result body = validate_utf8(chunk.subspan(i, end - i), k);
        // A sequence cut short inside the body is cut by the lead byte at `end`.
        if (body.err == utf8_error::truncated) return fail(end);
        if (!body.ok()) return fail(i + body.position);
        for (std::size_t j = end; j < n; ++j) {
            if (!step(p[j])) return fail(j);
        }
        offset_ += n;
        return {utf8_error::none, static_cast<std::size_t>(offset_)};
    }

    [[nodiscard]] utf8_result feed(std::string_view chunk, kernel k = kernel::best) noexcept {
        return feed(bytes_view(reinterpret_cast<const std::uint8_t*>(chunk.data()), chunk.size()), k);
    }

    /// Ends the text: an unfinished sequence is utf8_error::truncated at the
    /// offset of its lead byte.
    [[nodiscard]] constexpr utf8_result finish() const noexcept {
        if (err_ != utf8_error::none) return {err_, static_cast<std::size_t>(offset_)};
        if (need_ > 0) return {utf8_error::truncated, static_cast<std::size_t>(offset_ - pending_)};
        return {utf8_error::none, static_cast<std::size_t>(offset_)};
    }

    /// True while a multi-byte sequence is open.
    [[nodiscard]] constexpr bool in_sequence() const noexcept { return need_ > 0; }

    /// Bytes accepted so far (the error offset once failed).
    [[nodiscard]] constexpr std::uint64_t offset() const noexcept { return offset_; }

    /// Forgets everything: ready for a new text.
    constexpr void reset() noexcept { *this = utf8_validator{}; }

private:
    /// Advances the byte-at-a-time state by one byte; false if it is invalid.
    constexpr bool step(std::uint8_t b) noexcept {
        if (need_ > 0) {
            if (b < lo_ || b > hi_) return false;
            lo_ = 0x80;
            hi_ = 0xBF;
            --need_;
            pending_ = need_ > 0 ? static_cast<std::uint8_t>(pending_ + 1) : 0;
            return true;
        }
        if (b < 0x80) return true;
        const detail::utf8_lead lead = detail::utf8_classify_lead(b);
        if (lead.need == 0xFF) return false;
        need_ = lead.need;
        lo_ = lead.lo;
        hi_ = lead.hi;
        pending_ = 1;
        return true;
    }

    /// Fails at byte `i` of the current chunk, for good, and reports it.
    utf8_result fail(std::size_t i) noexcept {
        err_ = utf8_error::invalid;
        need_ = 0;
        pending_ = 0;
        offset_ += i;
        return {err_, static_cast<std::size_t>(offset_)};
    }

    std::uint64_t offset_ = 0;
    std::uint8_t need_ = 0;     // continuation bytes still expected
    std::uint8_t lo_ = 0x80;    // range of the next continuation byte
    std::uint8_t hi_ = 0xBF;
    std::uint8_t pending_ = 0;  // bytes of the open sequence seen so far
    utf8_error err_ = utf8_error::none;
};

}  // namespace wscodec
