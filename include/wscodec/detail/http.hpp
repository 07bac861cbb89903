// wscodec/detail/http.hpp — the HTTP/1.1 pieces under the opening handshake
// (RFC 9110, RFC 9112): character classes, a one-pass header-block parser that
// stops at the first error, an incremental end-of-block scanner for input that
// arrives in pieces, comma-list and extension-list grammar, reason phrases and
// a small heap buffer. No state beyond the objects the caller holds.
#pragma once

#include <array>
#include <bit>
#include <cstring>
#include <new>
#include <optional>
#include <string_view>
#include <utility>
#include <wscodec/detail/config.hpp>
#include <wscodec/error.hpp>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if WSCODEC_X86
#include <immintrin.h>
#endif

namespace wscodec::detail {

// ----------------------------------------------------------------- characters

/// tchar (RFC 9110 §5.6.2): the characters of a token.
inline constexpr std::array<bool, 256> tchar_table = [] {
    std::array<bool, 256> t{};
    for (int c = '0'; c <= '9'; ++c) t[static_cast<std::size_t>(c)] = true;
    for (int c = 'a'; c <= 'z'; ++c) t[static_cast<std::size_t>(c)] = true;
    for (int c = 'A'; c <= 'Z'; ++c) t[static_cast<std::size_t>(c)] = true;
    for (char c : std::string_view("!#$%&'*+-.^_`|~")) t[static_cast<unsigned char>(c)] = true;
    return t;
}();

[[nodiscard]] constexpr bool is_tchar(char c) noexcept { return tchar_table[static_cast<unsigned char>(c)]; }

/// A control byte that may not appear in a field value: 0x00-0x1F except HTAB, and DEL.
[[nodiscard]] constexpr bool is_ctl(char c) noexcept {
    const auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && u != '\t') || u == 0x7F;
}

[[nodiscard]] constexpr char ascii_lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

/// ASCII case-insensitive equality.
[[nodiscard]] constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
    return true;
}

/// True if the token `name` equals `lower` ignoring case, where `lower` holds
/// only lower-case letters and '-'. For a token, `c | 0x20` equals such a
/// character exactly when c matches it ignoring case, so eight bytes compare
/// at once.
[[nodiscard]] WSCODEC_ALWAYS_INLINE bool name_is(std::string_view name, std::string_view lower) noexcept {
    if (name.size() != lower.size()) return false;
    std::size_t i = 0;
    for (; i + 8 <= name.size(); i += 8) {
        std::uint64_t a, b;
        std::memcpy(&a, name.data() + i, 8);
        std::memcpy(&b, lower.data() + i, 8);
        if ((a | 0x2020202020202020u) != b) return false;
    }
    for (; i < name.size(); ++i)
        if (static_cast<char>(name[i] | 0x20) != lower[i]) return false;
    return true;
}

/// `s` == `literal` for a literal of at most 8 bytes, as one or two loads
/// (std::string_view's == calls memcmp for a length known only at run time).
template <std::size_t N>
[[nodiscard]] WSCODEC_ALWAYS_INLINE bool equals(std::string_view s, const char (&literal)[N]) noexcept {
    static_assert(N >= 2 && N <= 9);
    if (s.size() != N - 1) return false;
    std::uint64_t a = 0, b = 0;
    std::memcpy(&a, s.data(), N - 1);
    std::memcpy(&b, literal, N - 1);
    return a == b;
}

[[nodiscard]] constexpr bool is_token(std::string_view s) noexcept {
    if (s.empty()) return false;
    for (char c : s)
        if (!is_tchar(c)) return false;
    return true;
}

/// A field value to send: no control bytes (so no CR or LF), no surrounding whitespace.
[[nodiscard]] constexpr bool is_field_value(std::string_view s) noexcept {
    for (char c : s)
        if (is_ctl(c)) return false;
    return s.empty() || (s.front() != ' ' && s.front() != '\t' && s.back() != ' ' && s.back() != '\t');
}

/// `s` without leading and trailing spaces and tabs (OWS, RFC 9110 §5.6.3).
[[nodiscard]] constexpr std::string_view trim_ows(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

/// First byte in [p, end) that is a control byte other than HTAB, or DEL;
/// `end` if none. Eight bytes at a time: the lowest flagged byte of the
/// "has less than" bit trick is always a true match.
[[nodiscard]] inline const char* find_ctl_or_tab(const char* p, const char* end) noexcept {
#if defined(__SSE2__)
    {
        const __m128i limit = _mm_set1_epi8(0x1F), del = _mm_set1_epi8(0x7F);
        while (end - p >= 16) {
            const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
            const __m128i low = _mm_cmpeq_epi8(_mm_min_epu8(x, limit), x);  // x <= 0x1F
            const int m = _mm_movemask_epi8(_mm_or_si128(low, _mm_cmpeq_epi8(x, del)));
            if (m != 0) return p + std::countr_zero(static_cast<unsigned>(m));
            p += 16;
        }
    }
#endif
    if constexpr (std::endian::native == std::endian::little) {
        constexpr std::uint64_t ones = 0x0101010101010101u, high = 0x8080808080808080u;
        while (end - p >= 8) {
            std::uint64_t x;
            std::memcpy(&x, p, 8);
            const std::uint64_t below = (x - ones * 0x20) & ~x & high;
            const std::uint64_t d = x ^ (ones * 0x7F);
            const std::uint64_t del = (d - ones) & ~d & high;
            const std::uint64_t m = below | del;
            if (m != 0) return p + (std::countr_zero(m) >> 3);
            p += 8;
        }
    }
    while (p < end) {
        const auto u = static_cast<unsigned char>(*p);
        if (u < 0x20 || u == 0x7F) return p;
        ++p;
    }
    return end;
}

// ------------------------------------------------------------ header blocks

/// What the bulk path knows of a field value it hands on: a bit for each of
/// its bytes that is not a tchar, when the value is at most 64 bytes long
/// (`known`); the byte-by-byte parser knows nothing.
struct value_bits {
    std::uint64_t nontchar = 0;
    bool known = false;
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
    kind what = kind::incomplete;
    error err = error::none;
    /// done: the block's length; failed: offset of the offending byte;
    /// incomplete: where to resume (the start of the line not yet complete)
    std::size_t at = 0;
};

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
    const auto fail = [begin](error e, const char* at) { return parse_outcome{k::failed, e, static_cast<std::size_t>(at - begin)}; };
    for (;;) {
        const parse_outcome more{k::incomplete, error::none, static_cast<std::size_t>(p - begin)};
        if (p == end) return more;
        const char c = *p;
        if (c == '\r') {
            if (p + 1 == end) return more;
            if (p[1] != '\n') return fail(error::http_bad_line_ending, p);
            return parse_outcome{k::done, error::none, static_cast<std::size_t>(p + 2 - begin)};
        }
        if (c == '\n') return fail(error::http_bad_line_ending, p);
        if (c == ' ' || c == '\t') return fail(error::http_obs_fold, p);
        if (fields + 1 > max_fields) return fail(error::http_too_many_headers, p);
        const char* name = p;
        while (p != end && is_tchar(*p)) ++p;
        if (p == end) return more;
        if (*p != ':' || p == name) return fail(error::http_bad_header, p);
        const std::string_view field_name(name, static_cast<std::size_t>(p - name));
        ++p;
        while (p != end && (*p == ' ' || *p == '\t')) ++p;
        const char* value = p;
        for (;;) {
            p = find_ctl_or_tab(p, end);
            if (p == end) return more;
            if (*p == '\t') {
                ++p;
                continue;
            }
            if (*p != '\r') return fail(*p == '\n' ? error::http_bad_line_ending : error::http_bad_header_value, p);
            if (p + 1 == end) return more;
            if (p[1] != '\n') return fail(error::http_bad_line_ending, p);
            break;
        }
        ++fields;
        on(field_name, cut_value{trim_ows(std::string_view(value, static_cast<std::size_t>(p - value)))});
        p += 2;
    }
}

/// The bulk path for the first 2048 bytes of a header block on CPUs with
/// AVX2 or AVX-512: one pass classifies every byte into three bit masks (CR;
/// not a tchar; bad: a forbidden control byte or a CR and LF not paired),
/// then each line costs a few mask reads: the CRs are popped in order, and
/// the first non-tchar after a line's start must be its colon. It only recognises valid blocks: at the
/// first sign of anything else it returns nullopt, having called `on` for the
/// lines before, and the caller starts over on the byte-by-byte parser, which
/// finds the exact error (and the fuzzers compare the two: whole inputs take
/// this path, inputs fed in pieces the other).
struct field_masks {
    static constexpr std::size_t max_bytes = 2048;
    static constexpr std::size_t words = max_bytes / 64 + 1;  // and a zero word after the last classified one
    /// bad: a forbidden control byte, an LF not right after a CR, or no LF
    /// right after a CR.
    std::uint64_t cr[words], nontchar[words], bad[words];
};

/// Bits pos..pos+63 of a mask (bit 0 = byte pos); the word after pos's must exist.
[[nodiscard]] WSCODEC_ALWAYS_INLINE std::uint64_t bits_at(const std::uint64_t* m, std::size_t pos) noexcept {
    const std::size_t w = pos >> 6;
    const unsigned b = static_cast<unsigned>(pos & 63);
    return (m[w] >> b) | ((m[w + 1] << 1) << (63 - b));
}

/// A field value as the bulk path hands it on: cut out of its line (the
/// colon and CR positions) only when asked, so that a field nobody reads
/// costs nothing past its name; and with its non-tchar bits from the masks.
struct lazy_value {
    const char* p;
    const field_masks* m;
    std::size_t colon, cr;

    [[nodiscard]] WSCODEC_ALWAYS_INLINE std::string_view value() const noexcept {
        // One space after the colon is the rule, so it costs no branch.
        std::size_t v = colon + 1 + static_cast<std::size_t>(p[colon + 1] == ' ' && colon + 1 < cr), e = cr;
        if (WSCODEC_UNLIKELY(p[v] == ' ' || p[v] == '\t' || p[e - 1] == ' ' || p[e - 1] == '\t')) {
            while (v < e && (p[v] == ' ' || p[v] == '\t')) ++v;
            while (e > v && (p[e - 1] == ' ' || p[e - 1] == '\t')) --e;
        }
        return {p + v, e - v};
    }
    /// The non-tchar bits of `value`, which value() returned.
    [[nodiscard]] WSCODEC_ALWAYS_INLINE value_bits bits(std::string_view value) const noexcept {
        const std::size_t len = value.size();
        if (len > 64) return {};
        const std::uint64_t b = bits_at(m->nontchar, static_cast<std::size_t>(value.data() - p));
        return {len < 64 ? b & ((std::uint64_t{1} << len) - 1) : b, true};
    }
};

#if WSCODEC_X86
/// Nibble tables that classify a byte c by lo[c & 15] & hi[c >> 4]: bits 0-5
/// (one per high nibble 2-7) are set for a tchar; bit 6 for a control byte
/// 0x00-0x0F other than HTAB, LF and CR; bit 7 for 0x10-0x1F. Non-ASCII has
/// no bit; DEL is found apart. Four copies, one per 128-bit lane.
inline constexpr std::array<std::uint8_t, 64> http_nibbles_lo = [] {
    std::array<std::uint8_t, 64> t{};
    for (std::size_t l = 0; l < 16; ++l) {
        std::uint8_t bits = 0x80;
        if (l != '\t' && l != '\n' && l != '\r') bits = static_cast<std::uint8_t>(bits | 0x40);
        for (int h = 2; h < 8; ++h)
            if (tchar_table[static_cast<std::size_t>(h) * 16 + l]) bits = static_cast<std::uint8_t>(bits | (1 << (h - 2)));
        for (std::size_t copy = 0; copy < 64; copy += 16) t[copy + l] = bits;
    }
    return t;
}();
inline constexpr std::array<std::uint8_t, 64> http_nibbles_hi = [] {
    std::array<std::uint8_t, 64> t{};
    for (std::size_t copy = 0; copy < 64; copy += 16) {
        t[copy] = 0x40;
        t[copy + 1] = 0x80;
        for (std::size_t h = 2; h < 8; ++h) t[copy + h] = static_cast<std::uint8_t>(1 << (h - 2));
    }
    return t;
}();

/// Fills the masks for p[0..n), n <= max_bytes, 32 bytes a step. Bytes past n
/// count as NUL (a control byte, not a tchar).
WSCODEC_TARGET_AVX2 inline void classify_fields_avx2(const char* p, std::size_t n, field_masks& m) noexcept {
    const __m256i lo_tab = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(http_nibbles_lo.data()));
    const __m256i hi_tab = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(http_nibbles_hi.data()));
    const __m256i nibble = _mm256_set1_epi8(0x0F), zero = _mm256_setzero_si256();
    const __m256i tchar_bits = _mm256_set1_epi8(0x3F), control_bits = _mm256_set1_epi8(static_cast<char>(0xC0));
    const __m256i cr_v = _mm256_set1_epi8('\r'), lf_v = _mm256_set1_epi8('\n'), del = _mm256_set1_epi8(0x7F);
    std::uint64_t carry = 0;  // a CR in the last byte of the step before: an LF must open this one
    std::size_t w = 0;
    for (; w * 64 < n; ++w) {
        const char* q = p + w * 64;
        alignas(32) char tail[64];
        if (n - w * 64 < 64) {
            std::memset(tail, 0, sizeof tail);
            std::memcpy(tail, q, n - w * 64);
            q = tail;
        }
        std::uint64_t cr = 0, lf = 0, nontchar = 0, bad = 0;
        for (int half = 0; half < 2; ++half) {
            const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q + 32 * half));
            const __m256i t = _mm256_and_si256(_mm256_shuffle_epi8(lo_tab, _mm256_and_si256(x, nibble)),
                                               _mm256_shuffle_epi8(hi_tab, _mm256_and_si256(_mm256_srli_epi16(x, 4), nibble)));
            const __m256i b = _mm256_or_si256(_mm256_andnot_si256(_mm256_cmpeq_epi8(_mm256_and_si256(t, control_bits), zero),
                                                                  _mm256_set1_epi8(-1)),
                                              _mm256_cmpeq_epi8(x, del));
            const unsigned shift = 32u * static_cast<unsigned>(half);
            cr |= std::uint64_t{static_cast<std::uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(x, cr_v)))} << shift;
            lf |= std::uint64_t{static_cast<std::uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(x, lf_v)))} << shift;
            nontchar |= std::uint64_t{static_cast<std::uint32_t>(
                            _mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_and_si256(t, tchar_bits), zero)))}
                        << shift;
            bad |= std::uint64_t{static_cast<std::uint32_t>(_mm256_movemask_epi8(b))} << shift;
        }
        m.cr[w] = cr;
        m.nontchar[w] = nontchar;
        m.bad[w] = bad | (lf ^ ((cr << 1) | carry));
        carry = cr >> 63;
    }
    m.cr[w] = m.bad[w] = 0;
    m.nontchar[w] = ~std::uint64_t{0};
}

/// classify_fields_avx2's contract, 64 bytes a step into mask registers; the
/// last step loads only the bytes that exist.
WSCODEC_TARGET_AVX512BW inline void classify_fields_avx512(const char* p, std::size_t n, field_masks& m) noexcept {
    const __m512i lo_tab = _mm512_loadu_si512(http_nibbles_lo.data());
    const __m512i hi_tab = _mm512_loadu_si512(http_nibbles_hi.data());
    const __m512i nibble = _mm512_set1_epi8(0x0F);
    const __m512i tchar_bits = _mm512_set1_epi8(0x3F), control_bits = _mm512_set1_epi8(static_cast<char>(0xC0));
    const __m512i cr_v = _mm512_set1_epi8('\r'), lf_v = _mm512_set1_epi8('\n'), del = _mm512_set1_epi8(0x7F);
    std::uint64_t carry = 0;  // a CR in the last byte of the step before: an LF must open this one
    std::size_t w = 0;
    for (; w * 64 < n; ++w) {
        const std::size_t left = n - w * 64;
        const __m512i x = left >= 64 ? _mm512_loadu_si512(p + w * 64)
                                     : _mm512_maskz_loadu_epi8((__mmask64{1} << left) - 1, p + w * 64);
        const __m512i t = _mm512_and_si512(_mm512_shuffle_epi8(lo_tab, _mm512_and_si512(x, nibble)),
                                           _mm512_shuffle_epi8(hi_tab, _mm512_and_si512(_mm512_srli_epi16(x, 4), nibble)));
        const std::uint64_t cr = _mm512_cmpeq_epi8_mask(x, cr_v);
        m.cr[w] = cr;
        m.nontchar[w] = _mm512_testn_epi8_mask(t, tchar_bits);
        m.bad[w] = _mm512_test_epi8_mask(t, control_bits) | _mm512_cmpeq_epi8_mask(x, del) |
                   (_mm512_cmpeq_epi8_mask(x, lf_v) ^ ((cr << 1) | carry));
        carry = cr >> 63;
    }
    m.cr[w] = m.bad[w] = 0;
    m.nontchar[w] = ~std::uint64_t{0};
}

/// Which classifier parse_fields_fast uses: 2 = AVX-512BW, 1 = AVX2, 0 = none (byte by byte).
[[nodiscard]] inline int field_classifier() noexcept {
    if (__builtin_cpu_supports("avx512bw")) return 2;
    if (__builtin_cpu_supports("avx2")) return 1;
    return 0;
}
#else
[[nodiscard]] inline int field_classifier() noexcept { return 0; }
#endif

/// parse_fields' bulk path (see field_masks) with classifier `which` (see
/// field_classifier()): the outcome for a valid block, nullopt when the
/// byte-by-byte parser must decide (after `on` ran for some lines: the caller
/// resets what they set). `fields` is left as it was on nullopt.
template <class OnField>
[[nodiscard]] std::optional<parse_outcome> parse_fields_fast(const char* begin, const char* p, const char* end,
                                                             std::size_t max_fields, std::size_t& fields, OnField&& on,
                                                             int which = field_classifier()) noexcept {
#if WSCODEC_X86
    const std::size_t n = std::min(static_cast<std::size_t>(end - p), field_masks::max_bytes);
    field_masks m;
    if (which == 2) classify_fields_avx512(p, n, m);
    else if (which == 1) classify_fields_avx2(p, n, m);
    else return std::nullopt;
    // The count of lines stays in a register (`fields` may alias what `on` writes).
    std::size_t count = fields;
    if (count > max_fields) return std::nullopt;
    const auto give_up = [] { return std::optional<parse_outcome>{}; };
    // The CRs are popped in order from their mask, a chain of one instruction
    // a line, so that the work on each line's name and value does not wait
    // for the line before.
    const std::size_t words = (n + 63) / 64;
    std::size_t cw = 0;
    std::uint64_t cbits = m.cr[0];
    std::size_t s = 0;
    for (;;) {
        while (cbits == 0) {
            if (++cw >= words) return give_up();
            cbits = m.cr[cw];
        }
        const std::size_t cr = (cw << 6) + static_cast<std::size_t>(std::countr_zero(cbits));
        cbits &= cbits - 1;
        if (cr + 1 >= n) return give_up();
        if (cr == s) break;  // the blank line (its LF is checked with the block's)
        // The name: tchars up to the first non-tchar, which must be ':' (so no
        // obs-fold, no whitespace before ':').
        const std::size_t colon = s + static_cast<std::size_t>(std::countr_zero(bits_at(m.nontchar, s)));
        if (colon == s || colon >= cr || p[colon] != ':' || count == max_fields) return give_up();
        ++count;
        on(std::string_view(p + s, colon - s), lazy_value{p, &m, colon, cr});
        s = cr + 2;
    }
    // The whole block at once: no forbidden control byte, and LF exactly after each CR.
    const std::size_t block = s + 2;
    for (std::size_t w = 0; w * 64 < block; ++w) {
        const std::uint64_t in = block - w * 64 >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << (block - w * 64)) - 1;
        if ((m.bad[w] & in) != 0) return give_up();
    }
    fields = count;
    return parse_outcome{parse_outcome::kind::done, error::none, static_cast<std::size_t>(p - begin) + block};
#else
    (void)begin, (void)p, (void)end, (void)max_fields, (void)fields, (void)on, (void)which;
    return std::nullopt;
#endif
}

/// Parses a header block, or the prefix of one that has arrived: from the
/// start (`start_line(p)` reads the start line and its CRLF, moving `p` on,
/// and returns done to go on), then the fields, on the bulk path where it
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
    const parse_outcome line = start_line(p);
    if (line.what != parse_outcome::kind::done) return line;
    if (const auto fast = parse_fields_fast(begin, p, end, max_fields, fields, on)) return *fast;
    reset_fields();
    return parse_fields(begin, p, end, max_fields, fields, on);
}

// -------------------------------------------------------------------- lists

/// Splits a comma-separated field value (RFC 9110 §5.6.1) into trimmed
/// elements, skipping empty ones; separators inside quoted strings do not
/// split. `sep` is ';' for extension parameters.
class list_cursor {
public:
    constexpr list_cursor() noexcept = default;
    constexpr explicit list_cursor(std::string_view list, char sep = ',') noexcept : rest_(list), sep_(sep) {}
    /// The next element, or false when the list is exhausted.
    constexpr bool next(std::string_view& out) noexcept {
        while (!rest_.empty()) {
            std::size_t i = 0;
            for (; i < rest_.size() && rest_[i] != sep_ && rest_[i] != '"'; ++i) {
            }
            if (i < rest_.size() && rest_[i] == '"') {  // a quoted string: separators inside do not count
                bool quoted = false;
                for (i = 0; i < rest_.size(); ++i) {
                    const char c = rest_[i];
                    if (quoted) {
                        if (c == '\\') ++i;
                        else if (c == '"') quoted = false;
                    } else if (c == '"') {
                        quoted = true;
                    } else if (c == sep_) {
                        break;
                    }
                }
                if (i > rest_.size()) i = rest_.size();
            }
            const std::string_view element = trim_ows(rest_.substr(0, i));
            rest_.remove_prefix(i < rest_.size() ? i + 1 : i);
            if (!element.empty()) {
                out = element;
                return true;
            }
        }
        return false;
    }

private:
    std::string_view rest_;
    char sep_ = ',';
};

/// True if the comma list `list` (a field value: no CR) has an element equal
/// to `token`, which is in lower case, ignoring case.
[[nodiscard]] inline bool list_has_token(std::string_view list, std::string_view token) noexcept {
    if (list.size() == token.size()) return name_is(list, token);
    list_cursor c(list);
    std::string_view e;
    while (c.next(e))
        if (iequals(e, token)) return true;
    return false;
}

/// True if every element of `list` is a token (RFC 6455 §4.1
/// Sec-WebSocket-Protocol): tokens separated by commas with optional
/// whitespace; empty elements are allowed (RFC 9110 §5.6.1.2). One pass.
[[nodiscard]] constexpr bool is_token_list_bytewise(std::string_view list) noexcept {
    std::size_t i = 0;
    const std::size_t n = list.size();
    for (;;) {
        while (i < n && (list[i] == ' ' || list[i] == '\t' || list[i] == ',')) ++i;
        if (i == n) return true;
        if (!is_tchar(list[i])) return false;
        while (i < n && is_tchar(list[i])) ++i;
        while (i < n && (list[i] == ' ' || list[i] == '\t')) ++i;
        if (i == n) return true;
        if (list[i] != ',') return false;
    }
}

/// Reads a quoted-string at `s[i]` == '"'; returns the index after the closing
/// quote, or 0 if malformed. The unescaped content must be a token (§9.1).
[[nodiscard]] constexpr std::size_t skip_quoted_token(std::string_view s, std::size_t i) noexcept {
    std::size_t n = 0;
    for (++i; i < s.size(); ++i) {
        char c = s[i];
        if (c == '"') return n > 0 ? i + 1 : 0;
        if (c == '\\') {
            if (++i == s.size()) return 0;
            c = s[i];
        }
        if (!is_tchar(c)) return 0;
        ++n;
    }
    return 0;
}

/// True if every element of `list` is a well-formed extension (§9.1); empty
/// elements are allowed. One pass, byte by byte.
[[nodiscard]] constexpr bool is_extension_list_bytewise(std::string_view list) noexcept {
    std::size_t i = 0;
    const std::size_t n = list.size();
    const auto ows = [&] {
        while (i < n && (list[i] == ' ' || list[i] == '\t')) ++i;
    };
    const auto token = [&] {
        const std::size_t from = i;
        while (i < n && is_tchar(list[i])) ++i;
        return i > from;
    };
    for (;;) {
        while (i < n && (list[i] == ' ' || list[i] == '\t' || list[i] == ',')) ++i;
        if (i == n) return true;
        if (!token()) return false;  // the extension's name
        for (;;) {
            ows();
            if (i == n) return true;
            if (list[i] == ',') break;
            if (list[i] != ';') return false;
            ++i;
            ows();
            if (!token()) return false;  // a parameter's name
            if (i < n && list[i] == '=') {
                ++i;
                if (i < n && list[i] == '"') {
                    i = skip_quoted_token(list, i);
                    if (i == 0) return false;
                } else if (!token()) {
                    return false;
                }
            }
        }
    }
}

/// The two list grammars of the handshake: tokens separated by commas (Sec-
/// WebSocket-Protocol) and extensions with parameters (Sec-WebSocket-Extensions).
enum class list_grammar : std::uint8_t { tokens, extensions };

/// is_token_list_bytewise or is_extension_list_bytewise by another road, for
/// a value of at most 64 bytes whose non-tchar bytes the bulk parser has
/// marked already (`nontchar`, bit i for byte i): a state machine that steps
/// once per separator, knowing from the gap since the one before whether a
/// token lies between. A value has a few separators and long tokens, so this
/// costs a step per separator instead of a branch at every byte and a
/// mispredicted one at every token's end. A quoted string (only in extension
/// parameters, rare) goes to the bytewise parser.
template <list_grammar G>
[[nodiscard]] inline bool valid_list(std::string_view list, std::uint64_t nontchar) noexcept {
    enum : std::uint8_t { start, after_token, after_param, after_ows, after_semicolon, after_equals, bad };
    std::uint8_t st = start;
    std::size_t token_from = 0;  // where a token would start: after the last separator
    const auto token = [&st] {
        st = st == start ? after_token : st == after_semicolon ? after_param : st == after_equals ? after_token : bad;
    };
    for (std::uint64_t m = nontchar; m != 0; m &= m - 1) {
        const std::size_t at = static_cast<std::size_t>(std::countr_zero(m));
        if (at > token_from) token();
        token_from = at + 1;
        const char c = list[at];
        const bool ows = c == ' ' || c == '\t';
        if (G == list_grammar::extensions && c == '"') return is_extension_list_bytewise(list);
        switch (st) {
            case start: st = ows || c == ',' ? start : bad; break;
            case after_token:
            case after_param:
            case after_ows:
                if (ows) st = after_ows;
                else if (c == ',') st = start;
                else if (G == list_grammar::extensions && c == ';') st = after_semicolon;
                else if (G == list_grammar::extensions && c == '=' && st == after_param) st = after_equals;
                else st = bad;
                break;
            case after_semicolon: st = ows ? after_semicolon : bad; break;
            default: st = bad; break;
        }
        if (st == bad) return false;
    }
    if (list.size() > token_from) token();
    return st == start || st == after_token || st == after_param || st == after_ows;
}

/// True if every element of `list` is a token (RFC 6455 §4.1
/// Sec-WebSocket-Protocol); empty elements are allowed (RFC 9110 §5.6.1.2).
[[nodiscard]] inline bool is_token_list(std::string_view list, value_bits bits = {}) noexcept {
    return bits.known ? valid_list<list_grammar::tokens>(list, bits.nontchar) : is_token_list_bytewise(list);
}

/// True if every element of `list` is a well-formed extension (§9.1); empty
/// elements are allowed.
[[nodiscard]] inline bool is_extension_list(std::string_view list, value_bits bits = {}) noexcept {
    return bits.known ? valid_list<list_grammar::extensions>(list, bits.nontchar) : is_extension_list_bytewise(list);
}

/// One extension of a Sec-WebSocket-Extensions list (§9.1):
/// token *( OWS ";" OWS token [ "=" ( token / quoted-string ) ] ) OWS. A ','
/// can only separate elements (quoted values are tokens), so this is a list
/// of one element that starts with its name.
[[nodiscard]] constexpr bool is_extension(std::string_view e) noexcept {
    return !e.empty() && is_tchar(e.front()) && e.find(',') == std::string_view::npos && is_extension_list_bytewise(e);
}

/// The extension's name: the token before the first ';'.
[[nodiscard]] constexpr std::string_view extension_name(std::string_view e) noexcept {
    std::size_t i = 0;
    while (i < e.size() && is_tchar(e[i])) ++i;
    return e.substr(0, i);
}

// ------------------------------------------------------------------ numbers

/// Parses a decimal Content-Length (1*DIGIT, at most 19 digits). False if malformed.
[[nodiscard]] constexpr bool parse_length(std::string_view s, std::uint64_t& out) noexcept {
    if (s.empty() || s.size() > 19) return false;
    std::uint64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return false;
        v = v * 10 + static_cast<std::uint64_t>(c - '0');
    }
    out = v;
    return true;
}

/// Reason phrase for common status codes (RFC 9110 §15); empty for others.
[[nodiscard]] constexpr std::string_view reason_phrase(std::uint16_t status) noexcept {
    switch (status) {
        case 101: return "Switching Protocols";
        case 200: return "OK";
        case 201: return "Created";
        case 204: return "No Content";
        case 301: return "Moved Permanently";
        case 302: return "Found";
        case 303: return "See Other";
        case 304: return "Not Modified";
        case 307: return "Temporary Redirect";
        case 308: return "Permanent Redirect";
        case 400: return "Bad Request";
        case 401: return "Unauthorized";
        case 403: return "Forbidden";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 408: return "Request Timeout";
        case 409: return "Conflict";
        case 410: return "Gone";
        case 413: return "Content Too Large";
        case 414: return "URI Too Long";
        case 426: return "Upgrade Required";
        case 429: return "Too Many Requests";
        case 431: return "Request Header Fields Too Large";
        case 500: return "Internal Server Error";
        case 501: return "Not Implemented";
        case 502: return "Bad Gateway";
        case 503: return "Service Unavailable";
        case 504: return "Gateway Timeout";
        case 505: return "HTTP Version Not Supported";
        default: return {};
    }
}

// ------------------------------------------------------------------- buffers

/// A heap byte buffer that grows up to what it is asked for and reports
/// allocation failure instead of throwing. Move-only.
class byte_buffer {
public:
    byte_buffer() noexcept = default;
    byte_buffer(const byte_buffer&) = delete;
    byte_buffer& operator=(const byte_buffer&) = delete;
    byte_buffer(byte_buffer&& o) noexcept
        : data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)), cap_(std::exchange(o.cap_, 0)) {}
    byte_buffer& operator=(byte_buffer&& o) noexcept {
        if (this != &o) {
            delete[] data_;
            data_ = std::exchange(o.data_, nullptr);
            size_ = std::exchange(o.size_, 0);
            cap_ = std::exchange(o.cap_, 0);
        }
        return *this;
    }
    ~byte_buffer() { delete[] data_; }

    /// Makes room for `n` bytes in total; false if memory ran out.
    [[nodiscard]] bool reserve(std::size_t n) noexcept {
        if (n <= cap_) return true;
        std::size_t cap = cap_ < 256 ? 256 : cap_;
        while (cap < n) cap *= 2;
        char* p = new (std::nothrow) char[cap];
        if (p == nullptr) return false;
        if (size_ > 0) std::memcpy(p, data_, size_);
        delete[] data_;
        data_ = p;
        cap_ = cap;
        return true;
    }
    /// Appends `s`; false if memory ran out.
    [[nodiscard]] bool append(std::string_view s) noexcept {
        if (!reserve(size_ + s.size())) return false;
        if (!s.empty()) std::memcpy(data_ + size_, s.data(), s.size());
        size_ += s.size();
        return true;
    }
    /// Appends without checking room (after reserve()).
    void put(std::string_view s) noexcept {
        if (!s.empty()) std::memcpy(data_ + size_, s.data(), s.size());
        size_ += s.size();
    }
    /// Makes the contents `n` bytes to be written through the returned pointer,
    /// dropping what was there; nullptr if memory ran out.
    [[nodiscard]] char* overwrite(std::size_t n) noexcept {
        size_ = 0;
        if (!reserve(n)) return nullptr;
        size_ = n;
        return data_;
    }
    void resize_down(std::size_t n) noexcept { if (n < size_) size_ = n; }
    void release() noexcept {
        delete[] data_;
        data_ = nullptr;
        size_ = cap_ = 0;
    }
    [[nodiscard]] const char* data() const noexcept { return data_; }
    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    [[nodiscard]] std::string_view view() const noexcept { return {data_, size_}; }

private:
    char* data_ = nullptr;
    std::size_t size_ = 0;
    std::size_t cap_ = 0;
};

/// Decimal digits of `v` into `buf` (at least 20 chars); returns the text.
[[nodiscard]] inline std::string_view to_decimal(std::uint64_t v, std::array<char, 20>& buf) noexcept {
    std::size_t i = buf.size();
    do {
        buf[--i] = static_cast<char>('0' + v % 10);
        v /= 10;
    } while (v != 0);
    return {buf.data() + i, buf.size() - i};
}

}  // namespace wscodec::detail
