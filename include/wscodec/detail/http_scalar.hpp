// SPDX-License-Identifier: MIT
// wscodec/detail/http_scalar.hpp — the byte-by-byte header-block parser
// (RFC 9112 §2-§5): its faults and outcome, the HTTP version, and the field
// lines up to the blank line, stopping at the first error in byte order.
// No state beyond the field count the caller keeps.
#pragma once

#include <cstdint>
#include <string_view>
#include <wscodec/detail/http_chars.hpp>

namespace wscodec::detail {

/// Why a header block is malformed; the public layer reports each as a
/// wscodec::error (handshake_reader.hpp).
enum class http_fault : std::uint8_t {
    none,
    bad_request_line,   ///< request line is not `METHOD target HTTP/x.y`
    bad_status_line,    ///< status line is not `HTTP/x.y NNN reason`
    bad_header,         ///< no colon, a name that is not a token, or whitespace before the colon
    bad_header_value,   ///< a forbidden control byte in a value
    obs_fold,           ///< a line continued on the next (RFC 9112 §5.2)
    bad_line_ending,    ///< LF without CR, or CR without LF
    headers_too_large,  ///< the block is longer than allowed
    too_many_headers,   ///< more field lines than allowed
    out_of_memory,      ///< the buffer for a block in pieces could not be allocated
};

/// A field value as the byte-by-byte parser hands it on: cut out already.
struct cut_value {
    std::string_view text;
    [[nodiscard]] std::string_view value() const noexcept { return text; }
    [[nodiscard]] value_bits bits(std::string_view) const noexcept { return {}; }
};

/// Outcome of parsing (a prefix of) a header block.
struct parse_outcome {
    enum class kind : std::uint8_t { done, incomplete, failed };
    kind status = kind::incomplete;
    http_fault err = http_fault::none;
    /// done: the block's length; failed: offset of the offending byte;
    /// incomplete: where to resume (the start of the line not yet complete)
    std::size_t at = 0;
};

/// A failed outcome: fault `f` at `at`, in a block that starts at `begin`.
[[nodiscard]] constexpr parse_outcome parse_failure(http_fault f, const char* begin, const char* at) noexcept {
    return {parse_outcome::kind::failed, f, static_cast<std::size_t>(at - begin)};
}

/// A done outcome that ends at `end` (after the CRLF read), measured from `begin`.
[[nodiscard]] constexpr parse_outcome parse_done(const char* begin, const char* end) noexcept {
    return {parse_outcome::kind::done, http_fault::none, static_cast<std::size_t>(end - begin)};
}

/// Moves `p` over the text of a line (a field value or a reason phrase: HTAB
/// allowed, no other control byte) to its CR: done with the LF after it
/// checked; incomplete (at 0) if the input ends first; failed at a forbidden
/// byte (`bad_byte`) or a lone LF or CR (bad_line_ending).
[[nodiscard]] WSCODEC_ALWAYS_INLINE parse_outcome read_line_text(const char* begin, const char*& p, const char* end,
                                                                http_fault bad_byte) noexcept {
    for (;;) {
        p = find_ctl_or_tab(p, end);
        if (p == end) return {};
        if (*p == '\t') {
            ++p;
            continue;
        }
        if (*p != '\r') return parse_failure(*p == '\n' ? http_fault::bad_line_ending : bad_byte, begin, p);
        if (p + 1 == end) return {};
        if (p[1] != '\n') return parse_failure(http_fault::bad_line_ending, begin, p);
        return parse_done(begin, p);
    }
}

/// Reads "HTTP/d.d" at `p`: 1 = ok, 0 = input ended first, -1 = malformed.
[[nodiscard]] inline int read_http_version(const char*& p, const char* end, std::uint8_t& major,
                                           std::uint8_t& minor) noexcept {
    constexpr std::string_view prefix = "HTTP/";
    for (std::size_t i = 0; i < 8; ++i) {
        if (p + i == end) return 0;
        const char c = p[i];
        const bool ok = i < 5 ? c == prefix[i] : i == 6 ? c == '.' : (c >= '0' && c <= '9');
        if (!ok) {
            p += i;
            return -1;
        }
    }
    major = static_cast<std::uint8_t>(p[5] - '0');
    minor = static_cast<std::uint8_t>(p[7] - '0');
    p += 8;
    return 1;
}

/// Parses header lines from `p` to the blank line that ends the block; `begin`
/// is the block's start (offsets are measured from it); `fields` counts the
/// field lines so far (kept by the caller across calls). Calls `on(name,
/// v)` once per complete field line, where v.value() is the value without
/// surrounding OWS (see cut_value).
/// Reports the first error in byte order, and `incomplete` (with the offset of
/// the unfinished line, where a later call resumes) only when the bytes so far
/// are a valid prefix, so the outcome depends on the bytes alone, never on
/// where the input was cut.
template <class OnField>
[[nodiscard]] parse_outcome parse_fields(const char* begin, const char* p, const char* end, std::size_t max_fields,
                                         std::size_t& fields, OnField&& on) noexcept {
    using k = parse_outcome::kind;
    const auto fail = [begin](http_fault e, const char* at) { return parse_failure(e, begin, at); };
    for (;;) {
        const parse_outcome more{k::incomplete, http_fault::none, static_cast<std::size_t>(p - begin)};
        if (p == end) return more;
        const char c = *p;
        if (c == '\r') {
            if (p + 1 == end) return more;
            if (p[1] != '\n') return fail(http_fault::bad_line_ending, p);
            return parse_done(begin, p + 2);
        }
        if (c == '\n') return fail(http_fault::bad_line_ending, p);
        if (c == ' ' || c == '\t') return fail(http_fault::obs_fold, p);
        if (fields + 1 > max_fields) return fail(http_fault::too_many_headers, p);
        const char* name = p;
        while (p != end && is_tchar(*p)) ++p;
        if (p == end) return more;
        if (*p != ':' || p == name) return fail(http_fault::bad_header, p);
        const std::string_view field_name(name, static_cast<std::size_t>(p - name));
        ++p;
        while (p != end && (*p == ' ' || *p == '\t')) ++p;
        const char* value = p;
        const parse_outcome text = read_line_text(begin, p, end, http_fault::bad_header_value);
        if (text.status == k::incomplete) return more;
        if (text.status == k::failed) return text;
        ++fields;
        on(field_name, cut_value{trim_ows(std::string_view(value, static_cast<std::size_t>(p - value)))});
        p += 2;
    }
}

}  // namespace wscodec::detail
