// SPDX-License-Identifier: MIT
// wscodec/detail/http_head.hpp — the shared parse core of both handshakes:
// a header block read from bytes split anywhere, on the bulk path when it is
// whole, byte by byte otherwise, resuming at the unfinished line when more
// bytes arrive, and started over when the bulk path gives up. Its state is
// the gathering buffer, the resume offset and the field count.
#pragma once

#include <algorithm>
#include <cstddef>
#include <string_view>
#include <wscodec/detail/byte_buffer.hpp>
#include <wscodec/detail/http_scalar.hpp>
#include <wscodec/detail/http_simd.hpp>

namespace wscodec::detail {

/// Parses a header block, or the prefix of one that has arrived: from the
/// start (`start_line(begin, p, end)` reads the start line and its CRLF at
/// `p`, moving `p` on, and returns done to go on), then the fields, on the bulk path where it
/// can and otherwise byte by byte; or, with `from` > 0, resumes the fields at
/// that offset. `reset_fields()` clears what `on` set and keeps the start
/// line's results; it runs before a parse from the start (when an earlier
/// parse reported fields) and before the byte-by-byte parser takes over from
/// the bulk path.
template <class StartLine, class ResetFields, class OnField>
[[nodiscard]] parse_outcome parse_head(std::string_view b, std::size_t from, std::size_t max_fields, std::size_t& fields,
                                       StartLine&& start_line, ResetFields&& reset_fields, OnField&& on) noexcept {
    const char* begin = b.data();
    const char* end = begin + b.size();
    if (from > 0) return parse_fields(begin, begin + from, end, max_fields, fields, on);
    if (fields != 0) reset_fields();  // `on` has run since the last reset only if a line was counted
    fields = 0;
    const char* p = begin;
    const parse_outcome line = start_line(begin, p, end);
    if (line.status != parse_outcome::kind::done) return line;
    if (const auto fast = parse_fields_fast(begin, p, end, max_fields, fields, on)) return *fast;
    reset_fields();
    return parse_fields(begin, p, end, max_fields, fields, on);
}

/// Gathers a header block that may arrive in pieces and parses it with
/// parse_head: on the caller's input when the block is whole in one call;
/// otherwise on a copy (a buffer of max_bytes, reserved once so views into it
/// stay valid), resuming at the unfinished line each time bytes arrive, so an
/// error is reported by the call that brings its byte and the work per call is
/// the new bytes plus at most one line. State: 40 bytes.
class head_reader {
public:
    /// What read() made of an input: the block done, incomplete (all of it
    /// consumed), or failed with `err`.
    struct result {
        parse_outcome::kind status = parse_outcome::kind::incomplete;
        http_fault err = http_fault::none;
        std::size_t consumed = 0;  ///< of this input
        std::size_t position = 0;  ///< failed: offset in this input (0 if in an earlier one)
        std::string_view block;    ///< done: the block
    };

    /// Reads `in` on into the block for `side`, which provides parse_head's
    /// start line, reset and field hooks as read_start_line(begin, p, end),
    /// reset_fields() and on_field(name, value).
    template <class Side>
    [[nodiscard]] result read(std::string_view in, std::size_t max_bytes, std::size_t max_fields, Side& side) noexcept {
        const auto parse = [this, &side, max_fields](std::string_view b, std::size_t from) {
            return parse_head(
                b, from, max_fields, fields_,
                [&side](const char* begin, const char*& p, const char* end) { return side.read_start_line(begin, p, end); },
                [&side] { side.reset_fields(); },
                [&side](std::string_view name, const auto& value) WSCODEC_INLINE_LAMBDA { side.on_field(name, value); });
        };
        using k = parse_outcome::kind;
        const std::size_t before = buf_.size();
        if (before == 0) {
            parse_outcome o = parse(in.substr(0, std::min(in.size(), max_bytes)), 0);
            if (o.status == k::done) return {o.status, o.err, o.at, 0, in.substr(0, o.at)};
            if (o.status == k::failed) return {o.status, o.err, in.size(), o.at, {}};
            if (in.size() >= max_bytes) return too_large(in.size(), max_bytes);
            if (!buf_.reserve(max_bytes) || !buf_.append(in)) return out_of_memory(in.size());
            o = parse(buf_.view(), 0);  // again, so that views point into the buffer
            resume_ = o.at;
            return {k::incomplete, http_fault::none, in.size(), 0, {}};
        }
        const std::size_t take = std::min(in.size(), max_bytes - before);
        if (!buf_.append(in.substr(0, take))) return out_of_memory(in.size());
        const parse_outcome o = parse(buf_.view(), resume_);
        if (o.status == k::done) {
            buf_.resize_down(o.at);
            return {o.status, o.err, o.at - before, 0, buf_.view()};
        }
        if (o.status == k::failed) return {o.status, o.err, in.size(), o.at >= before ? o.at - before : 0, {}};
        resume_ = o.at;
        if (buf_.size() >= max_bytes) return too_large(in.size(), max_bytes - before);
        return {k::incomplete, http_fault::none, take, 0, {}};
    }

    /// Frees the buffer (the block's views into it end).
    void release() noexcept {
        buf_.release();
        resume_ = 0;
    }

private:
    [[nodiscard]] static result too_large(std::size_t consumed, std::size_t position) noexcept {
        return {parse_outcome::kind::failed, http_fault::headers_too_large, consumed, position, {}};
    }
    [[nodiscard]] static result out_of_memory(std::size_t consumed) noexcept {
        return {parse_outcome::kind::failed, http_fault::out_of_memory, consumed, 0, {}};
    }

    byte_buffer buf_;
    std::size_t resume_ = 0;
    std::size_t fields_ = 0;  // field lines counted so far (parse_head's `fields`)
};

}  // namespace wscodec::detail
