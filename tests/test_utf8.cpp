// SPDX-License-Identifier: MIT
// tests/test_utf8.cpp — wscodec/utf8.hpp: strict UTF-8 validation (RFC 3629;
// RFC 6455 §5.6 text frames, §8.1 invalid UTF-8 fails the connection). Every
// case runs one-shot on every kernel and incrementally through utf8_validator;
// the scalar reference is itself checked against an independent decoder.
#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>
#include <wscodec/mask.hpp>
#include <wscodec/utf8.hpp>

#include "helpers.hpp"

namespace doctest {
template <>
struct StringMaker<wscodec::utf8_result> {
    static String convert(const wscodec::utf8_result& r) {
        const char* e = r.err == wscodec::utf8_error::none      ? "none"
                        : r.err == wscodec::utf8_error::invalid ? "invalid"
                                                                  : "truncated";
        return (std::string(e) + "@" + std::to_string(r.position)).c_str();
    }
};
}  // namespace doctest

using namespace wscodec;
using test::bytes;

namespace {

constexpr utf8_error none = utf8_error::none;
constexpr utf8_error invalid = utf8_error::invalid;
constexpr utf8_error truncated = utf8_error::truncated;

std::string show(const utf8_result& r) { return doctest::StringMaker<utf8_result>::convert(r).c_str(); }

bytes cat(bytes a, const bytes& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

bytes u8(std::u8string_view s) { return bytes(s.begin(), s.end()); }

utf8_result scalar(const bytes& in) { return detail::utf8_validate_scalar(in.data(), in.size()); }

// ---------------------------------------------------------------------------
// An independent oracle for the scalar reference. It reads the sequence length
// from the lead byte's leading one bits, accumulates the code point, and after
// every byte asks whether any code point with that prefix is still allowed:
// at least the smallest value of its length (no overlong form), at most
// U+10FFFF, and not a UTF-16 surrogate. The first byte after which none is
// allowed is the error; running out of input while one still is, truncation.

bool reachable(std::uint32_t lo, std::uint32_t hi, std::uint32_t min_cp) {
    const auto meets = [&](std::uint32_t a, std::uint32_t b) { return std::max(lo, a) <= std::min(hi, b); };
    return meets(min_cp, 0xD7FF) || meets(std::max<std::uint32_t>(min_cp, 0xE000), 0x10FFFF);
}

utf8_result oracle_validate(const std::uint8_t* p, std::size_t n) {
    std::size_t i = 0;
    while (i < n) {
        const unsigned lead = p[i];
        unsigned ones = 0;
        while (ones < 8 && (lead & (0x80u >> ones)) != 0) ++ones;
        if (ones == 0) {
            ++i;
            continue;
        }
        if (ones == 1 || ones > 4) return {invalid, i};
        const std::uint32_t min_cp = ones == 2 ? 0x80 : ones == 3 ? 0x800 : 0x10000;
        std::uint32_t cp = lead & (0xFFu >> (ones + 1));
        for (unsigned k = 0;; ++k) {  // k continuation bytes read so far
            const unsigned rest = ones - 1 - k;
            const std::uint32_t lo = cp << (6 * rest);
            const std::uint32_t hi = lo | ((1u << (6 * rest)) - 1);
            if (!reachable(lo, hi, min_cp)) return {invalid, i + k};
            if (rest == 0) break;
            if (i + k + 1 == n) return {truncated, i};
            const unsigned c = p[i + k + 1];
            if ((c >> 6) != 2) return {invalid, i + k + 1};
            cp = (cp << 6) | (c & 0x3F);
        }
        i += ones;
    }
    return {none, n};
}

utf8_result oracle_validate(const bytes& in) { return oracle_validate(in.data(), in.size()); }

// ---------------------------------------------------------------------------
// Text generation.

bytes encode(std::uint32_t cp) {
    bytes out;
    test::append_utf8(out, cp);
    return out;
}

std::size_t width(std::uint32_t cp) { return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4; }

constexpr std::uint32_t boundary_code_points[] = {0x0,    0x7F,   0x80,   0x7FF,  0x800,   0xD7FF,
                                                  0xE000, 0xFFFD, 0xFFFE, 0xFFFF, 0x10000, 0x10FFFF};

/// A random scalar value: half ASCII, the rest spread over the wider forms
/// and the boundary code points.
std::uint32_t random_code_point(std::mt19937& rng) {
    const auto r = static_cast<std::uint32_t>(rng());
    switch (r % 8) {
        case 4:
            return 0x80 + (r >> 3) % (0x800 - 0x80);
        case 5: {
            const std::uint32_t cp = 0x800 + (r >> 3) % (0x10000 - 0x800 - 0x800);
            return cp < 0xD800 ? cp : cp + 0x800;  // skip the surrogates
        }
        case 6:
            return 0x10000 + (r >> 3) % (0x110000 - 0x10000);
        case 7:
            return boundary_code_points[(r >> 3) % std::size(boundary_code_points)];
        default:
            return (r >> 3) % 0x80;
    }
}

/// Valid text of exactly `len` bytes (ASCII fills where a wider form won't fit).
bytes random_valid(std::mt19937& rng, std::size_t len) {
    bytes out;
    out.reserve(len);
    while (out.size() < len) {
        const std::uint32_t cp = random_code_point(rng);
        if (out.size() + width(cp) <= len)
            test::append_utf8(out, cp);
        else
            out.push_back(static_cast<std::uint8_t>('a' + rng() % 26));
    }
    return out;
}

/// Deterministic valid text of exactly `len` bytes, widths 4, 3, 2, 1 in turn.
bytes filler(std::size_t len) {
    static constexpr std::uint32_t cycle[] = {0x1F600, 0x20AC, 0xE9, 'x'};
    bytes out;
    for (std::size_t j = 0; out.size() < len; ++j) {
        const std::uint32_t cp = cycle[j % 4];
        test::append_utf8(out, out.size() + width(cp) <= len ? cp : 'y');
    }
    return out;
}

/// Bytes drawn from the values where UTF-8 rules change.
constexpr std::uint8_t edge_bytes[] = {0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0,
                                       0xC1, 0xC2, 0xDF, 0xE0, 0xE1, 0xED, 0xEE, 0xEF, 0xF0, 0xF1,
                                       0xF3, 0xF4, 0xF5, 0xF7, 0xF8, 0xFB, 0xFC, 0xFE, 0xFF};

// ---------------------------------------------------------------------------
// Incremental feeding.

/// True if the valid-so-far text in[0, end) ends inside a sequence. Such a
/// sequence starts at one of the last three bytes, so it suffices to run the
/// reference from the last byte there that is not a continuation byte.
bool sequence_open(const bytes& in, std::size_t end) {
    for (std::size_t j = end; j > 0 && end - j < 3;) {
        --j;
        if ((in[j] & 0xC0) != 0x80) return detail::utf8_validate_scalar(in.data() + j, end - j).err == truncated;
    }
    return false;
}

/// Feeds `in` cut into `parts` through a fresh utf8_validator with kernel `k`
/// and checks the incremental contract against the one-shot scalar result:
/// every feed before the one delivering an invalid byte succeeds, with
/// offset() and in_sequence() matching the prefix; the delivering feed reports
/// the one-shot error and position; later feeds and finish() repeat it
/// (sticky); without an invalid byte, finish() equals the one-shot result.
/// Each chunk is copied to its own allocation so that ASan sees any read past
/// it. Returns "" or a description of the first violation.
std::string check_feeds(const bytes& in, const std::vector<std::size_t>& parts, kernel k) {
    const utf8_result want = scalar(in);
    utf8_validator v;
    std::size_t start = 0;
    bool failed = false;
    for (const std::size_t len : parts) {
        const std::size_t end = start + len;
        const bytes chunk(in.begin() + static_cast<std::ptrdiff_t>(start),
                          in.begin() + static_cast<std::ptrdiff_t>(end));
        const utf8_result got = v.feed(bytes_view(chunk), k);
        const std::string where = "feed [" + std::to_string(start) + "," + std::to_string(end) + ") ";
        if (failed) {
            if (got != want) return where + "after the error returned " + show(got) + ", want sticky " + show(want);
        } else if (want.err == invalid && want.position < end) {
            if (got != want)
                return where + "delivering the invalid byte returned " + show(got) + ", want " + show(want);
            if (v.offset() != want.position) return where + "offset() after the error is " + std::to_string(v.offset());
            failed = true;
        } else {
            if (got != utf8_result{none, end}) return where + "returned " + show(got) + " on a valid prefix";
            if (v.offset() != end) return where + "offset() is " + std::to_string(v.offset());
            if (v.in_sequence() != sequence_open(in, end))
                return where + "in_sequence() is " + std::to_string(v.in_sequence());
        }
        start = end;
    }
    if (start != in.size()) return "bad partition";
    const utf8_result fin = v.finish();
    if (fin != want) return "finish() returned " + show(fin) + ", want " + show(want);
    if (v.finish() != fin) return "a second finish() differs";
    return "";
}

std::vector<std::size_t> whole(std::size_t n) { return {n}; }
std::vector<std::size_t> byte_by_byte(std::size_t n) { return std::vector<std::size_t>(n, 1); }

/// Checks `in` against the expected result: the scalar reference, the oracle,
/// every kernel one-shot (also in a guarded buffer), the validator whole and
/// byte by byte; then again behind valid prefixes that move it across vector
/// and 64-byte block boundaries, and, unless it ends truncated, followed by
/// valid text.
void check_case(const bytes& in, utf8_error error, std::size_t position) {
    const utf8_result want{error, position};
    CAPTURE(test::to_hex(in));
    CHECK(scalar(in) == want);
    CHECK(oracle_validate(in) == want);
    for (const kernel k : test::kernels()) {
        CAPTURE(kernel_name(k));
        CHECK(validate_utf8(bytes_view(in), k) == want);
        test::guarded g(in);
        CHECK(validate_utf8(g.view(), k) == want);
        CHECK(check_feeds(in, whole(in.size()), k) == "");
        CHECK(check_feeds(in, byte_by_byte(in.size()), k) == "");
        for (const std::size_t pre : {1u, 15u, 16u, 31u, 32u, 62u, 63u, 64u, 65u, 127u, 128u}) {
            CAPTURE(pre);
            const utf8_result shifted{error, position + pre};
            CHECK(validate_utf8(bytes_view(cat(bytes(pre, 'a'), in)), k) == shifted);
            CHECK(validate_utf8(bytes_view(cat(filler(pre), in)), k) == shifted);
        }
        if (error != truncated) {
            const bytes after = cat(in, filler(70));
            CHECK(validate_utf8(bytes_view(after), k) == utf8_result{error, error == none ? after.size() : position});
            CHECK(check_feeds(after, byte_by_byte(after.size()), k) == "");
        }
    }
}

void check_valid(const bytes& in) { check_case(in, none, in.size()); }

/// Counts disagreements over many inputs and keeps the first for the report.
struct tally {
    std::size_t checked = 0;
    std::size_t failed = 0;
    std::string first;

    void add(const utf8_result& got, const utf8_result& want, const std::uint8_t* p, std::size_t n, const char* what) {
        ++checked;
        if (got == want) return;
        if (failed++ == 0)
            first = std::string(what) + ": " + test::to_hex({p, n}) + " -> " + show(got) + ", want " + show(want);
    }
};

}  // namespace

// ===========================================================================
// The UTF-8 decoder stress test's categories (after Markus Kuhn), strict
// UTF-8: 5- and 6-byte forms, overlongs, surrogates and values above U+10FFFF
// are invalid; noncharacters are valid.

TEST_CASE("utf8 stress 1: correct UTF-8 text") {
    const bytes kosme = test::hex("ce ba e1 bd b9 cf 83 ce bc ce b5");
    CHECK(u8(u8"\u03BA\u1F79\u03C3\u03BC\u03B5") == kosme);  // κόσμε, with U+1F79 as in the stress test
    check_valid(kosme);
    check_valid(test::b("plain ASCII text"));
    check_valid({});
}

TEST_CASE("utf8 stress 2.1: first possible sequence of each length") {
    check_valid(test::hex("00"));                            // U+0000
    check_valid(test::hex("c2 80"));                         // U+0080
    check_valid(test::hex("e0 a0 80"));                      // U+0800
    check_valid(test::hex("f0 90 80 80"));                   // U+10000
    check_case(test::hex("f8 88 80 80 80"), invalid, 0);     // 5 bytes: U+200000
    check_case(test::hex("fc 84 80 80 80 80"), invalid, 0);  // 6 bytes: U+4000000
}

TEST_CASE("utf8 stress 2.2: last possible sequence of each length") {
    check_valid(test::hex("7f"));                            // U+007F
    check_valid(test::hex("df bf"));                         // U+07FF
    check_valid(test::hex("ef bf bf"));                      // U+FFFF
    check_case(test::hex("f7 bf bf bf"), invalid, 0);        // U+1FFFFF
    check_case(test::hex("fb bf bf bf bf"), invalid, 0);     // U+3FFFFFF
    check_case(test::hex("fd bf bf bf bf bf"), invalid, 0);  // U+7FFFFFFF
}

TEST_CASE("utf8 stress 2.3: other boundary conditions") {
    check_valid(test::hex("ed 9f bf"));                // U+D7FF
    check_valid(test::hex("ee 80 80"));                // U+E000
    check_valid(test::hex("ef bf bd"));                // U+FFFD
    check_valid(test::hex("f4 8f bf bf"));             // U+10FFFF
    check_case(test::hex("f4 90 80 80"), invalid, 1);  // U+110000: F4 90 can only go above U+10FFFF
}

TEST_CASE("utf8 stress 3.1: unexpected continuation bytes") {
    check_case(test::hex("80"), invalid, 0);  // first continuation byte
    check_case(test::hex("bf"), invalid, 0);  // last continuation byte
    // 2..7 continuation bytes in a row.
    const bytes run = test::hex("80 bf 80 bf 80 bf 80");
    for (std::size_t n = 1; n <= run.size(); ++n) {
        CAPTURE(n);
        const bytes prefix(run.begin(), run.begin() + static_cast<std::ptrdiff_t>(n));
        check_case(prefix, invalid, 0);
        check_case(cat(test::b("ok"), prefix), invalid, 2);
        check_case(cat(test::hex("c3 a9"), prefix), invalid, 2);  // after a complete sequence
    }
    // Each of the 64 continuation bytes alone, after ASCII, and after a
    // complete 2-, 3- and 4-byte sequence; then all 64 in a row.
    bytes all;
    for (unsigned c = 0x80; c <= 0xBF; ++c) {
        const bytes one{static_cast<std::uint8_t>(c)};
        CAPTURE(c);
        check_case(one, invalid, 0);
        check_case(cat(test::b("a"), one), invalid, 1);
        CHECK(scalar(cat(test::hex("df bf"), one)) == utf8_result{invalid, 2});
        CHECK(scalar(cat(test::hex("ef bf bf"), one)) == utf8_result{invalid, 3});
        CHECK(scalar(cat(test::hex("f4 8f bf bf"), one)) == utf8_result{invalid, 4});
        for (const kernel k : test::kernels()) {
            CHECK(validate_utf8(bytes_view(cat(test::hex("df bf"), one)), k) == utf8_result{invalid, 2});
            CHECK(validate_utf8(bytes_view(cat(test::hex("ef bf bf"), one)), k) == utf8_result{invalid, 3});
            CHECK(validate_utf8(bytes_view(cat(test::hex("f4 8f bf bf"), one)), k) == utf8_result{invalid, 4});
        }
        all.push_back(static_cast<std::uint8_t>(c));
    }
    check_case(all, invalid, 0);
}

TEST_CASE("utf8 stress 3.2: lonely start characters, each followed by a space") {
    // A start byte that can begin a valid sequence fails at the space (1);
    // one that never can (C0, C1, F5..FD) fails at itself (0).
    const auto expect_at = [](unsigned lead) -> std::size_t { return (lead >= 0xC2 && lead <= 0xF4) ? 1 : 0; };
    for (unsigned first : {0xC0u, 0xE0u, 0xF0u, 0xF8u, 0xFCu}) {
        const unsigned last = first == 0xC0   ? 0xDF
                              : first == 0xE0 ? 0xEF
                              : first == 0xF0 ? 0xF7
                              : first == 0xF8 ? 0xFB
                                              : 0xFD;
        bytes spaced;  // all start bytes of this length, each followed by a space
        for (unsigned lead = first; lead <= last; ++lead) {
            CAPTURE(lead);
            const bytes pair{static_cast<std::uint8_t>(lead), 0x20};
            check_case(pair, invalid, expect_at(lead));
            spaced.insert(spaced.end(), pair.begin(), pair.end());
        }
        CAPTURE(first);
        check_case(spaced, invalid, expect_at(first));
    }
    // 2-, 3- and 4-byte start bytes from C2 on: the first space is the error.
    check_case(test::hex("c2 20 c3 20 df 20"), invalid, 1);
    check_case(test::hex("e1 20 ed 20 ef 20"), invalid, 1);
    check_case(test::hex("f1 20 f3 20 f4 20"), invalid, 1);
}

TEST_CASE("utf8 stress 3.3: sequences with the last continuation byte missing") {
    // The stress test's own cases: the 2-, 3- and 4-byte forms of U+0000 are
    // overlong and fail at the first byte that proves it; 5 and 6 bytes fail
    // at the start byte; the last possible values of 2 and 3 bytes are merely
    // truncated; beyond U+10FFFF fails at the start byte.
    check_case(test::hex("c0"), invalid, 0);
    check_case(test::hex("e0 80"), invalid, 1);
    check_case(test::hex("f0 80 80"), invalid, 1);
    check_case(test::hex("f8 80 80 80"), invalid, 0);
    check_case(test::hex("fc 80 80 80 80"), invalid, 0);
    check_case(test::hex("df"), truncated, 0);
    check_case(test::hex("ef bf"), truncated, 0);
    check_case(test::hex("f7 bf bf"), invalid, 0);
    check_case(test::hex("fb bf bf bf"), invalid, 0);
    check_case(test::hex("fd bf bf bf bf"), invalid, 0);
    // Strictly valid prefixes, at every cut: truncated at the start byte, or
    // invalid at the byte that follows when text goes on.
    for (const bytes& full : {test::hex("c2 80"), test::hex("df bf"), test::hex("e0 a0 80"), test::hex("ed 9f bf"),
                              test::hex("ef bf bf"), test::hex("f0 90 80 80"), test::hex("f4 8f bf bf")}) {
        for (std::size_t cut = 1; cut < full.size(); ++cut) {
            const bytes part(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(cut));
            check_case(part, truncated, 0);
            check_case(cat(test::b("ab"), part), truncated, 2);
            check_case(cat(part, test::b("z")), invalid, cut);
            check_case(cat(cat(test::hex("c3 a9"), part), test::hex("c3 a9")), invalid, 2 + cut);
        }
    }
}

TEST_CASE("utf8 stress 3.4: concatenation of incomplete sequences") {
    // The stress test's ten, back to back: C0 fails at once.
    check_case(test::hex("c0 e0 80 f0 80 80 f8 80 80 80 fc 80 80 80 80 df ef bf f7 bf bf fb bf bf bf fd bf bf bf bf"),
               invalid, 0);
    // Strictly valid incomplete sequences back to back: each fails at the
    // start byte of the next; the last one alone is truncated.
    const std::vector<bytes> pieces = {test::hex("c2"),   test::hex("e0 a0"), test::hex("f0 90 80"),
                                       test::hex("df"),   test::hex("ef bf"), test::hex("f4 8f bf"),
                                       test::hex("ed 9f")};
    for (std::size_t from = 0; from < pieces.size(); ++from) {
        bytes joined;
        for (std::size_t j = from; j < pieces.size(); ++j) joined = cat(joined, pieces[j]);
        CAPTURE(from);
        if (from + 1 < pieces.size())
            check_case(joined, invalid, pieces[from].size());
        else
            check_case(joined, truncated, 0);
    }
}

TEST_CASE("utf8 stress 3.5: impossible bytes") {
    check_case(test::hex("fe"), invalid, 0);
    check_case(test::hex("ff"), invalid, 0);
    check_case(test::hex("fe fe ff ff"), invalid, 0);
    check_case(cat(test::b("abc"), test::hex("ff")), invalid, 3);
    check_case(cat(test::hex("e2 82 ac"), test::hex("fe")), invalid, 3);
}

TEST_CASE("utf8 stress 4.1: overlong forms of '/'") {
    check_case(test::hex("c0 af"), invalid, 0);
    check_case(test::hex("e0 80 af"), invalid, 1);
    check_case(test::hex("f0 80 80 af"), invalid, 1);
    check_case(test::hex("f8 80 80 80 af"), invalid, 0);
    check_case(test::hex("fc 80 80 80 80 af"), invalid, 0);
}

TEST_CASE("utf8 stress 4.2: maximum overlong sequences") {
    check_case(test::hex("c1 bf"), invalid, 0);              // U+007F in 2 bytes
    check_case(test::hex("e0 9f bf"), invalid, 1);           // U+07FF in 3 bytes
    check_case(test::hex("f0 8f bf bf"), invalid, 1);        // U+FFFF in 4 bytes
    check_case(test::hex("f8 87 bf bf bf"), invalid, 0);     // U+1FFFFF in 5 bytes
    check_case(test::hex("fc 83 bf bf bf bf"), invalid, 0);  // U+3FFFFFF in 6 bytes
}

TEST_CASE("utf8 stress 4.3: overlong forms of NUL") {
    check_case(test::hex("c0 80"), invalid, 0);
    check_case(test::hex("e0 80 80"), invalid, 1);
    check_case(test::hex("f0 80 80 80"), invalid, 1);
    check_case(test::hex("f8 80 80 80 80"), invalid, 0);
    check_case(test::hex("fc 80 80 80 80 80"), invalid, 0);
}

TEST_CASE("utf8 stress 5.1: single UTF-16 surrogates") {
    for (const std::uint32_t s : {0xD800u, 0xDB7Fu, 0xDB80u, 0xDBFFu, 0xDC00u, 0xDF80u, 0xDFFFu}) {
        CAPTURE(s);
        const bytes e = encode(s);
        REQUIRE(e.size() == 3);
        CHECK(e[0] == 0xED);
        check_case(e, invalid, 1);  // ED A0..BF can only be a surrogate
    }
    check_case(test::hex("ed a0 80"), invalid, 1);
    check_case(test::hex("ed bf bf"), invalid, 1);
}

TEST_CASE("utf8 stress 5.2: paired UTF-16 surrogates") {
    for (const std::uint32_t high : {0xD800u, 0xDB7Fu, 0xDB80u, 0xDBFFu}) {
        for (const std::uint32_t low : {0xDC00u, 0xDFFFu}) {
            CAPTURE(high);
            CAPTURE(low);
            check_case(cat(encode(high), encode(low)), invalid, 1);
        }
    }
    check_case(test::hex("ed a0 80 ed b0 80"), invalid, 1);  // U+D800 U+DC00 (CESU-8 for U+10000)
    check_case(test::hex("ed af bf ed bf bf"), invalid, 1);  // U+DBFF U+DFFF (CESU-8 for U+10FFFF)
}

TEST_CASE("utf8 stress 5.3: noncharacters are valid") {
    check_valid(test::hex("ef bf be"));  // U+FFFE
    check_valid(test::hex("ef bf bf"));  // U+FFFF
    bytes all;
    for (std::uint32_t cp = 0xFDD0; cp <= 0xFDEF; ++cp) test::append_utf8(all, cp);
    for (std::uint32_t plane = 0; plane <= 0x10; ++plane) {
        test::append_utf8(all, (plane << 16) | 0xFFFE);
        test::append_utf8(all, (plane << 16) | 0xFFFF);
    }
    check_valid(all);
}

// ===========================================================================

TEST_CASE("utf8: every boundary of the 1- to 4-byte forms is valid, its outer neighbour is not") {
    for (const std::uint32_t cp : {0x0u, 0x7Fu, 0x80u, 0x7FFu, 0x800u, 0xFFFFu, 0x10000u, 0x10FFFFu}) {
        CAPTURE(cp);
        check_valid(encode(cp));
    }
    check_case(test::hex("80"), invalid, 0);              // past U+007F in one byte
    check_case(test::hex("c1 bf"), invalid, 0);           // U+007F in two bytes
    check_case(test::hex("e0 9f bf"), invalid, 1);        // U+07FF in three bytes
    check_case(test::hex("f0 8f bf bf"), invalid, 1);     // U+FFFF in four bytes
    check_case(test::hex("f4 90 80 80"), invalid, 1);     // U+110000
    check_case(test::hex("f5 80 80 80"), invalid, 0);     // U+140000: F5 never starts a sequence
    check_case(test::hex("c2 7f"), invalid, 1);           // second byte below 80
    check_case(test::hex("df c0"), invalid, 1);           // second byte above BF
    check_case(test::hex("e0 a0 c0"), invalid, 2);        // third byte above BF
    check_case(test::hex("f0 90 80 7f"), invalid, 3);     // fourth byte below 80
    check_case(test::hex("ed 9f bf ee 80 80"), none, 6);  // either side of the surrogates
}

// ===========================================================================
// Exhaustive agreement with the scalar reference.

TEST_CASE("utf8 exhaustive: all 256 1-byte inputs") {
    for (unsigned v = 0; v < 256; ++v) {
        const std::uint8_t byte = static_cast<std::uint8_t>(v);
        const utf8_result want = v < 0x80                 ? utf8_result{none, 1}
                                 : v >= 0xC2 && v <= 0xF4 ? utf8_result{truncated, 0}
                                                          : utf8_result{invalid, 0};
        CAPTURE(v);
        CHECK(detail::utf8_validate_scalar(&byte, 1) == want);
        CHECK(oracle_validate(&byte, 1) == want);
        for (const kernel k : test::kernels()) {
            CAPTURE(kernel_name(k));
            CHECK(validate_utf8(bytes_view(&byte, 1), k) == want);
            utf8_validator val;
            const utf8_result fed = val.feed(bytes_view(&byte, 1), k);
            CHECK(fed == (want.err == invalid ? want : utf8_result{none, 1}));
            CHECK(val.finish() == want);
        }
    }
}

TEST_CASE("utf8 exhaustive: all 65536 2-byte inputs, alone and at vector and block boundaries") {
    for (const kernel k : test::kernels()) {
        CAPTURE(kernel_name(k));
        tally t;
        std::uint8_t pair[2];
        for (unsigned v = 0; v < 0x10000; ++v) {
            pair[0] = static_cast<std::uint8_t>(v >> 8);
            pair[1] = static_cast<std::uint8_t>(v);
            t.add(validate_utf8(bytes_view(pair, 2), k), detail::utf8_validate_scalar(pair, 2), pair, 2, "alone");
        }
        // Behind ASCII (the block fast path) and behind multibyte text (the
        // vector path), ending on both sides of 16-, 32- and 64-byte edges.
        for (const bool ascii : {true, false}) {
            for (const std::size_t at : {14u, 15u, 30u, 31u, 46u, 47u, 62u, 63u, 64u, 126u, 127u}) {
                bytes in = ascii ? bytes(at, 'a') : filler(at);
                in.resize(at + 2);
                for (unsigned v = 0; v < 0x10000; ++v) {
                    in[at] = static_cast<std::uint8_t>(v >> 8);
                    in[at + 1] = static_cast<std::uint8_t>(v);
                    t.add(validate_utf8(bytes_view(in), k), scalar(in), in.data(), in.size(), "after a prefix");
                }
            }
        }
        INFO(t.first);
        CHECK(t.failed == 0);
        CHECK(t.checked == 0x10000 * 23);
    }
}

TEST_CASE("utf8 exhaustive: all 16,777,216 3-byte inputs") {
    for (const kernel k : test::kernels()) {
        CAPTURE(kernel_name(k));
        tally t;
        std::uint8_t buf[3];
        for (unsigned b0 = 0; b0 < 256; ++b0) {
            buf[0] = static_cast<std::uint8_t>(b0);
            for (unsigned b1 = 0; b1 < 256; ++b1) {
                buf[1] = static_cast<std::uint8_t>(b1);
                for (unsigned b2 = 0; b2 < 256; ++b2) {
                    buf[2] = static_cast<std::uint8_t>(b2);
                    t.add(validate_utf8(bytes_view(buf, 3), k), detail::utf8_validate_scalar(buf, 3), buf, 3,
                          "3 bytes");
                }
            }
        }
        INFO(t.first);
        CHECK(t.failed == 0);
        CHECK(t.checked == 1u << 24);
    }
}

TEST_CASE("utf8 exhaustive: all 3-byte inputs led by a non-ASCII byte, straddling the 64-byte block boundary") {
    // The SIMD kernels see the first byte(s) in the last lanes of a full block
    // (ASCII before them: the fast path; multibyte text: the vector path) and
    // the rest in the tail. The scalar kernel has no blocks. An ASCII first
    // byte leaves a 2-byte input at 63 or 64, covered above.
    for (const kernel k : test::kernels()) {
        if (k == kernel::scalar) continue;
        CAPTURE(kernel_name(k));
        tally t;
        for (const std::size_t at : {62u, 63u}) {
            for (const bool ascii : {true, false}) {
                if (at == 62 && !ascii) continue;
                bytes in = ascii ? bytes(at, 'a') : filler(at);
                in.resize(at + 3);
                for (unsigned b0 = 0x80; b0 < 256; ++b0) {
                    in[at] = static_cast<std::uint8_t>(b0);
                    for (unsigned b1 = 0; b1 < 256; ++b1) {
                        in[at + 1] = static_cast<std::uint8_t>(b1);
                        for (unsigned b2 = 0; b2 < 256; ++b2) {
                            in[at + 2] = static_cast<std::uint8_t>(b2);
                            // The prefix is valid and ends on a boundary.
                            utf8_result want = detail::utf8_validate_scalar(in.data() + at, 3);
                            want.position += at;
                            t.add(validate_utf8(bytes_view(in), k), want, in.data(), in.size(), "straddling");
                        }
                    }
                }
            }
        }
        INFO(t.first);
        CHECK(t.failed == 0);
        CHECK(t.checked == 3u << 23);
    }
}

TEST_CASE("utf8 exhaustive: 4-byte inputs over the edge byte values, straddling a block boundary") {
    // 29^4 inputs, at the start and with the 64-byte block edge after each of
    // their first three bytes.
    for (const kernel k : test::kernels()) {
        CAPTURE(kernel_name(k));
        tally t;
        for (const std::size_t at : {0u, 61u, 62u, 63u}) {
            bytes in(at + 4, 'a');
            for (const std::uint8_t a : edge_bytes)
                for (const std::uint8_t b : edge_bytes)
                    for (const std::uint8_t c : edge_bytes)
                        for (const std::uint8_t d : edge_bytes) {
                            in[at] = a;
                            in[at + 1] = b;
                            in[at + 2] = c;
                            in[at + 3] = d;
                            t.add(validate_utf8(bytes_view(in), k), scalar(in), in.data(), in.size(), "edge bytes");
                        }
        }
        INFO(t.first);
        CHECK(t.failed == 0);
    }
}

TEST_CASE("utf8 oracle: the scalar reference agrees with an independent decoder") {
    tally t;
    std::uint8_t buf[5];
    for (unsigned v = 0; v < 0x100; ++v) {
        buf[0] = static_cast<std::uint8_t>(v);
        t.add(detail::utf8_validate_scalar(buf, 1), oracle_validate(buf, 1), buf, 1, "1 byte");
    }
    for (unsigned v = 0; v < 0x10000; ++v) {
        buf[0] = static_cast<std::uint8_t>(v >> 8);
        buf[1] = static_cast<std::uint8_t>(v);
        t.add(detail::utf8_validate_scalar(buf, 2), oracle_validate(buf, 2), buf, 2, "2 bytes");
    }
    for (unsigned b0 = 0; b0 < 256; ++b0) {
        buf[0] = static_cast<std::uint8_t>(b0);
        for (unsigned b1 = 0; b1 < 256; ++b1) {
            buf[1] = static_cast<std::uint8_t>(b1);
            for (unsigned b2 = 0; b2 < 256; ++b2) {
                buf[2] = static_cast<std::uint8_t>(b2);
                t.add(detail::utf8_validate_scalar(buf, 3), oracle_validate(buf, 3), buf, 3, "3 bytes");
            }
        }
    }
    for (const std::uint8_t a : edge_bytes)
        for (const std::uint8_t b : edge_bytes)
            for (const std::uint8_t c : edge_bytes)
                for (const std::uint8_t d : edge_bytes) {
                    buf[0] = a, buf[1] = b, buf[2] = c, buf[3] = d;
                    t.add(detail::utf8_validate_scalar(buf, 4), oracle_validate(buf, 4), buf, 4, "4 edge bytes");
                }
    std::mt19937 rng(3629);
    for (int j = 0; j < 1'000'000; ++j) {
        const std::uint32_t r = static_cast<std::uint32_t>(rng());
        for (int q = 0; q < 4; ++q) buf[q] = static_cast<std::uint8_t>(r >> (8 * q));
        buf[0] |= 0x80;  // start on a non-ASCII byte: most of the 4-byte space is ASCII-led
        t.add(detail::utf8_validate_scalar(buf, 4), oracle_validate(buf, 4), buf, 4, "4 random bytes");
        buf[4] = static_cast<std::uint8_t>(r >> 5);
        t.add(detail::utf8_validate_scalar(buf, 5), oracle_validate(buf, 5), buf, 5, "5 random bytes");
    }
    // Longer texts: valid, one byte changed, cut short.
    for (int j = 0; j < 20'000; ++j) {
        bytes in = random_valid(rng, rng() % 40);
        t.add(scalar(in), utf8_result{none, in.size()}, in.data(), in.size(), "generated valid text");
        t.add(scalar(in), oracle_validate(in), in.data(), in.size(), "valid text");
        if (in.empty()) continue;
        in[rng() % in.size()] = static_cast<std::uint8_t>(rng());
        t.add(scalar(in), oracle_validate(in), in.data(), in.size(), "mutated text");
        in.resize(rng() % in.size());
        t.add(scalar(in), oracle_validate(in), in.data(), in.size(), "cut text");
    }
    INFO(t.first);
    CHECK(t.failed == 0);
}

// ===========================================================================
// Incremental validation: split invariance and fail fast (RFC 6455 §8.1: an
// endpoint that finds invalid UTF-8 MUST fail the connection, so the error
// is reported by the chunk that brings it).

TEST_CASE("utf8_validator: every split of sample texts equals the one-shot result") {
    std::vector<bytes> samples = {
        test::b("Hello, WebSocket! 0123456789"),
        u8(u8"κόσμε Ξεσκεπάζω την ψυχοφθόρα βδελυγμία"),
        u8(u8"日本語のテキストと中文字符"),
        u8(u8"😀🎉👍🏽🇩🇪𝄞"),
        u8(u8"aé€😀b ü𝄞z\u00A0\uFFFD\U0010FFFF\u0800\u07FF"),
        cat(test::b("abc"), cat(test::hex("ed a0 80"), test::b("def"))),  // surrogate
        cat(u8(u8"κό"), cat(test::hex("c0 af"), test::b("x"))),           // overlong
        cat(u8(u8"😀"), test::hex("f4 90 80 80")),                         // above U+10FFFF
        cat(test::b("ab"), test::hex("f0 9f 98")),                        // truncated
        cat(u8(u8"é"), cat(test::hex("e2 82 41"), u8(u8"ü"))),            // lead, then ASCII
        cat(u8(u8"日本"), cat(test::hex("80"), u8(u8"語"))),              // stray continuation
        cat(u8(u8"€€€"), test::hex("ff")),                                // impossible byte at the end
        cat(u8(u8"😀"), test::hex("f0 9f 98 80 80")),                      // one continuation too many
    };
    // Longer than a block, valid and with an error deep inside.
    std::mt19937 rng(1);
    samples.push_back(random_valid(rng, 150));
    samples.push_back(cat(random_valid(rng, 100), cat(test::hex("ed bf bf"), random_valid(rng, 40))));
    samples.push_back(cat(random_valid(rng, 130), test::hex("f4 8f bf")));
    for (const bytes& s : samples) {
        CAPTURE(test::to_hex(s));
        const utf8_result one_shot = scalar(s);
        for (const kernel k : test::kernels()) {
            CAPTURE(kernel_name(k));
            CHECK(validate_utf8(bytes_view(s), k) == one_shot);
            std::size_t n_splits = 0, bad = 0;
            std::string first;
            for (const auto& parts : test::splits(s.size())) {
                ++n_splits;
                const std::string problem = check_feeds(s, parts, k);
                if (!problem.empty() && bad++ == 0) first = problem;
            }
            INFO(first);
            CHECK(bad == 0);
            CHECK(n_splits >= s.size());
        }
    }
}

TEST_CASE("utf8_validator: random texts fed in random chunks") {
    std::mt19937 rng(7);
    tally t;
    std::size_t bad = 0;
    std::string first;
    const auto ks = test::kernels();
    for (int j = 0; j < 3000; ++j) {
        bytes in = random_valid(rng, rng() % 200);
        switch (rng() % 3) {
            case 0:
                break;
            case 1:
                if (!in.empty()) in[rng() % in.size()] = edge_bytes[rng() % std::size(edge_bytes)];
                break;
            default:
                if (!in.empty()) in.resize(rng() % in.size());
        }
        std::vector<std::size_t> parts;
        for (std::size_t left = in.size(); left > 0;) {
            std::size_t len = rng() % 4 == 0 ? 0 : 1 + rng() % (rng() % 2 ? 4 : 80);
            len = std::min(len, left);
            parts.push_back(len);
            left -= len;
        }
        const std::string problem = check_feeds(in, parts, ks[rng() % ks.size()]);
        if (!problem.empty() && bad++ == 0) first = test::to_hex(in) + ": " + problem;
    }
    INFO(first);
    CHECK(bad == 0);
}

// ===========================================================================
// SIMD kernels against the scalar reference.

TEST_CASE("utf8: kernels agree with the scalar reference at every length 0..300 and start offset 0..63") {
    std::mt19937 rng(6455);
    bytes buf(64 + 300 + 64);
    for (const kernel k : test::kernels()) {
        CAPTURE(kernel_name(k));
        tally t;
        for (std::size_t len = 0; len <= 300; ++len) {
            for (std::size_t off = 0; off < 64; ++off) {
                std::uint8_t* p = buf.data() + off;
                const auto run = [&](const char* what) {
                    t.add(validate_utf8(bytes_view(p, len), k), detail::utf8_validate_scalar(p, len), p, len, what);
                };
                for (std::size_t j = 0; j < len; ++j) p[j] = static_cast<std::uint8_t>(rng());
                run("random bytes");
                for (std::size_t j = 0; j < len; ++j) p[j] = edge_bytes[rng() % std::size(edge_bytes)];
                run("random edge bytes");
                const bytes text = random_valid(rng, len + 3);
                std::copy_n(text.begin(), len, p);
                run("valid text, cut");
                std::copy_n(text.begin(), len, p);
                if (len) p[rng() % len] = static_cast<std::uint8_t>(rng());
                run("valid text, one byte changed");
                std::copy_n(text.begin(), len, p);
                if (len) p[rng() % len] = edge_bytes[rng() % std::size(edge_bytes)];
                run("valid text, one edge byte");
                const bytes whole_text = random_valid(rng, len);
                std::copy_n(whole_text.begin(), len, p);
                t.add(validate_utf8(bytes_view(p, len), k), utf8_result{none, len}, p, len, "valid text");
            }
        }
        INFO(t.first);
        CHECK(t.failed == 0);
    }
}

TEST_CASE("utf8: kernels agree with the scalar reference over every pattern of ASCII and multibyte blocks") {
    // Up to 7 blocks of 64 bytes, each all ASCII or multibyte text (whose
    // sequences run across block edges), then a short tail; one byte at a
    // block edge (or none) overwritten with a byte that breaks or cuts text.
    std::mt19937 rng(64);
    constexpr std::uint8_t breakers[] = {0x80, 0xBF, 0xC0, 0xE2, 0xED, 0xF4, 0xFF, 0x41};
    for (const kernel k : test::kernels()) {
        CAPTURE(kernel_name(k));
        tally t;
        for (std::size_t blocks = 1; blocks <= 7; ++blocks) {
            for (unsigned pattern = 0; pattern < (1u << blocks); ++pattern) {
                for (const std::size_t tail : {0u, 5u, 63u}) {
                    bytes text;
                    for (std::size_t b = 0; b < blocks;) {
                        std::size_t run = 1;
                        const bool multibyte = (pattern >> b & 1u) != 0;
                        while (b + run < blocks && ((pattern >> (b + run) & 1u) != 0) == multibyte) ++run;
                        text = cat(text, multibyte ? random_valid(rng, 64 * run) : bytes(64 * run, 'a'));
                        b += run;
                    }
                    text = cat(text, random_valid(rng, tail));
                    t.add(validate_utf8(bytes_view(text), k), utf8_result{none, text.size()}, text.data(), text.size(),
                          "valid blocks");
                    std::vector<std::size_t> spots = {text.size() - 1, rng() % text.size()};
                    for (std::size_t edge = 64; edge < text.size(); edge += 64) {
                        spots.push_back(edge - 1);
                        spots.push_back(edge);
                    }
                    bytes in = text;
                    for (const std::size_t at : spots) {
                        for (const std::uint8_t breaker : breakers) {
                            in[at] = breaker;
                            t.add(validate_utf8(bytes_view(in), k), scalar(in), in.data(), in.size(),
                                  "one byte broken");
                        }
                        in[at] = text[at];
                    }
                }
            }
        }
        INFO(t.first);
        CHECK(t.failed == 0);
    }
}

namespace {
struct placed_error {
    bytes snippet;
    std::size_t at;  // offset of the offending byte in the snippet
};
}  // namespace

TEST_CASE("utf8: an error placed at every position 0..300 is found there by every kernel") {
    const std::vector<placed_error> errors = {
        {test::hex("80"), 0},
        {test::hex("ff"), 0},
        {test::hex("c0 af"), 0},
        {test::hex("c2 41"), 1},
        {test::hex("e0 80 80"), 1},
        {test::hex("ed a0 80"), 1},
        {test::hex("e2 82 41"), 2},
        {test::hex("f0 8f bf bf"), 1},
        {test::hex("f4 90 80 80"), 1},
        {test::hex("f0 9f 98 41"), 3},
        {test::hex("f0 9f 98 80 80"), 4},
        {test::hex("c3 a9 a9"), 2},
        {test::hex("f5 80 80 80"), 0},
        {test::hex("e1 c3 a9"), 1},
    };
    const std::vector<bytes> cut_short = {test::hex("c3"), test::hex("e2 82"), test::hex("f0 9f 98"),
                                          test::hex("f4 8f"), test::hex("ed")};
    std::mt19937 rng(11);
    bytes buf(64 + 400);
    for (const kernel k : test::kernels()) {
        CAPTURE(kernel_name(k));
        tally t;
        for (std::size_t q = 0; q <= 300; ++q) {
            for (const bool ascii : {true, false}) {
                const bytes prefix = ascii ? bytes(q, 'a') : random_valid(rng, q);
                const auto run = [&](const bytes& in, utf8_result want, const char* what) {
                    for (const std::size_t off : {0u, 1u, 13u, 63u}) {
                        std::copy(in.begin(), in.end(), buf.begin() + static_cast<std::ptrdiff_t>(off));
                        const std::uint8_t* p = buf.data() + off;
                        t.add(validate_utf8(bytes_view(p, in.size()), k), want, p, in.size(), what);
                    }
                };
                for (const placed_error& e : errors) {
                    const bytes at_end = cat(prefix, e.snippet);
                    run(at_end, {invalid, q + e.at}, "error at the end");
                    run(cat(at_end, random_valid(rng, 70)), {invalid, q + e.at}, "error, then text");
                }
                for (const bytes& c : cut_short) run(cat(prefix, c), {truncated, q}, "cut short at the end");
            }
        }
        INFO(t.first);
        CHECK(t.failed == 0);
    }
}

TEST_CASE("utf8: guarded buffers, every length 0..300: no kernel reads past the end") {
    std::mt19937 rng(5);
    for (const kernel k : test::kernels()) {
        CAPTURE(kernel_name(k));
        tally t;
        for (std::size_t len = 0; len <= 300; ++len) {
            bytes text = random_valid(rng, len);
            const auto run = [&](const bytes& in, const char* what) {
                test::guarded g(in);
                const bytes_view v = g.view();
                t.add(validate_utf8(v, k), scalar(in), v.data(), v.size(), what);
            };
            run(text, "valid");
            run(bytes(len, 'a'), "ASCII");
            if (len == 0) continue;
            bytes cut = text;
            cut.back() = 0xF0;  // a lead whose sequence the end cuts off
            run(cut, "cut at the end");
            if (len >= 2) cut[len - 2] = 0xE2, cut[len - 1] = 0x82;
            run(cut, "cut at the end (2 of 3)");
            text[rng() % len] = static_cast<std::uint8_t>(rng());
            run(text, "one byte changed");
        }
        INFO(t.first);
        CHECK(t.failed == 0);
    }
}

TEST_CASE("utf8: long inputs with the error at the very last byte") {
    std::mt19937 rng(42);
    for (const std::size_t size : {std::size_t{4096}, std::size_t{100 * 1024}, std::size_t{1 << 20}}) {
        CAPTURE(size);
        const bytes ascii(size, 'w');
        const bytes mixed = random_valid(rng, size);
        const std::vector<std::pair<bytes, utf8_result>> cases = {
            {ascii, {none, size}},
            {mixed, {none, size}},
            {cat(bytes(size - 1, 'w'), test::hex("80")), {invalid, size - 1}},
            {cat(random_valid(rng, size - 1), test::hex("ff")), {invalid, size - 1}},
            {cat(random_valid(rng, size - 3), test::hex("ed a0 80")), {invalid, size - 2}},
            {cat(random_valid(rng, size - 3), test::hex("f0 9f 98")), {truncated, size - 3}},
            {cat(bytes(size - 1, 'w'), test::hex("c3")), {truncated, size - 1}},
        };
        for (const auto& c : cases) {
            const bytes& in = c.first;
            const utf8_result want = c.second;
            CAPTURE(test::to_hex({in.data() + in.size() - 8, 8}));
            CHECK(scalar(in) == want);
            for (const kernel k : test::kernels()) {
                CAPTURE(kernel_name(k));
                CHECK(validate_utf8(bytes_view(in), k) == want);
                test::guarded g(in);
                CHECK(validate_utf8(g.view(), k) == want);
                for (const std::size_t chunk : {std::size_t{777}, std::size_t{4096}, std::size_t{65537}}) {
                    CAPTURE(chunk);
                    std::vector<std::size_t> parts;
                    for (std::size_t left = in.size(); left > 0; left -= std::min(chunk, left))
                        parts.push_back(std::min(chunk, left));
                    CHECK(check_feeds(in, parts, k) == "");
                }
            }
        }
    }
}

// ===========================================================================
// The validator's own API.

TEST_CASE("utf8_validator: offset(), in_sequence() and empty chunks") {
    for (const kernel k : test::kernels()) {
        CAPTURE(kernel_name(k));
        utf8_validator v;
        CHECK(v.offset() == 0);
        CHECK_FALSE(v.in_sequence());
        CHECK(v.finish() == utf8_result{none, 0});
        CHECK(v.feed(bytes_view{}, k) == utf8_result{none, 0});
        CHECK(v.feed(bytes_view(test::b("ab")), k) == utf8_result{none, 2});
        CHECK(v.offset() == 2);
        const bytes euro = test::hex("e2 82 ac");
        CHECK(v.feed(bytes_view(euro).first(1), k) == utf8_result{none, 3});
        CHECK(v.in_sequence());
        CHECK(v.finish() == utf8_result{truncated, 2});
        CHECK(v.feed(bytes_view{}, k) == utf8_result{none, 3});  // empty chunk inside a sequence
        CHECK(v.in_sequence());
        CHECK(v.feed(bytes_view(euro).subspan(1, 1), k) == utf8_result{none, 4});
        CHECK(v.in_sequence());
        CHECK(v.finish() == utf8_result{truncated, 2});
        CHECK(v.feed(bytes_view(euro).subspan(2), k) == utf8_result{none, 5});
        CHECK_FALSE(v.in_sequence());
        CHECK(v.offset() == 5);
        CHECK(v.finish() == utf8_result{none, 5});
        CHECK(v.feed(bytes_view{}, k) == utf8_result{none, 5});
        CHECK(v.finish() == utf8_result{none, 5});
    }
}

TEST_CASE("utf8_validator: finish() reports a sequence begun chunks earlier at its lead byte") {
    for (const kernel k : test::kernels()) {
        CAPTURE(kernel_name(k));
        utf8_validator v;
        CHECK(v.feed(std::string_view("ab"), k).ok());
        CHECK(v.feed(bytes_view(cat(test::b("c"), test::hex("f0"))), k).ok());
        CHECK(v.feed(bytes_view(test::hex("9f")), k).ok());
        CHECK(v.feed(bytes_view{}, k).ok());
        CHECK(v.feed(bytes_view(test::hex("98")), k).ok());
        CHECK(v.in_sequence());
        CHECK(v.offset() == 6);
        CHECK(v.finish() == utf8_result{truncated, 3});
        // The text then goes on with ASCII: the open sequence fails there.
        CHECK(v.feed(std::string_view("xyz"), k) == utf8_result{invalid, 6});
    }
}

TEST_CASE("utf8_validator: errors are sticky") {
    for (const kernel k : test::kernels()) {
        CAPTURE(kernel_name(k));
        utf8_validator v;
        CHECK(v.feed(std::string_view("hello "), k).ok());
        const utf8_result err = v.feed(bytes_view(cat(test::hex("c3 a9 ed a0 80"), test::b("tail"))), k);
        CHECK(err == utf8_result{invalid, 9});
        CHECK(v.offset() == 9);
        CHECK(v.feed(std::string_view("valid"), k) == err);
        CHECK(v.feed(bytes_view{}, k) == err);
        CHECK(v.feed(bytes_view(test::hex("e2")), k) == err);
        CHECK(v.finish() == err);
        CHECK(v.offset() == 9);
    }
}

TEST_CASE("utf8_validator: reset() starts a new text") {
    for (const kernel k : test::kernels()) {
        CAPTURE(kernel_name(k));
        utf8_validator v;
        CHECK(v.feed(bytes_view(test::hex("41 ff")), k) == utf8_result{invalid, 1});
        v.reset();
        CHECK(v.offset() == 0);
        CHECK(v.finish() == utf8_result{none, 0});
        CHECK(v.feed(bytes_view(test::hex("f0 9f")), k) == utf8_result{none, 2});
        CHECK(v.in_sequence());
        v.reset();  // forgets the open sequence too
        CHECK_FALSE(v.in_sequence());
        CHECK(v.feed(bytes_view(test::hex("41 c3 a9")), k) == utf8_result{none, 3});
        CHECK(v.finish() == utf8_result{none, 3});
    }
}

TEST_CASE("utf8: API details") {
    static_assert(utf8_validator{}.finish() == utf8_result{none, 0});
    static_assert(!utf8_validator{}.in_sequence());
    CHECK(sizeof(utf8_validator) <= 16);
    // string_view overloads and the default kernel.
    CHECK(validate_utf8(std::string_view("abc\xC3\xA9")) == utf8_result{none, 5});
    CHECK(validate_utf8(std::string_view("abc\xC3")) == utf8_result{truncated, 3});
    utf8_validator v;
    CHECK(v.feed(std::string_view("\xE2\x82")) == utf8_result{none, 2});
    CHECK(v.feed(std::string_view("\xAC")) == utf8_result{none, 3});
    // A kernel this machine can't run falls back to one it can.
    for (const kernel k : {kernel::best, kernel::scalar, kernel::sse41, kernel::avx2, kernel::avx512, kernel::neon}) {
        CAPTURE(kernel_name(k));
        CHECK(validate_utf8(bytes_view(test::hex("61 ed a0 80")), k) == utf8_result{invalid, 2});
        CHECK(validate_utf8(bytes_view(cat(bytes(100, 'a'), test::hex("f4 90"))), k) == utf8_result{invalid, 101});
    }
}

TEST_CASE("utf8_validator: no sequence is open after an error, however the input was split") {
    wscodec::utf8_validator whole;
    CHECK(whole.feed(std::string_view("\xE2\x41")) == wscodec::utf8_result{wscodec::utf8_error::invalid, 1});
    CHECK_FALSE(whole.in_sequence());
    wscodec::utf8_validator split;
    CHECK(split.feed(std::string_view("\xE2")).ok());
    CHECK(split.in_sequence());
    CHECK(split.feed(std::string_view("\x41")) == wscodec::utf8_result{wscodec::utf8_error::invalid, 1});
    CHECK_FALSE(split.in_sequence());
    CHECK(split.finish() == wscodec::utf8_result{wscodec::utf8_error::invalid, 1});
}

// ===========================================================================
// Runs of 3-byte characters (Chinese, Japanese, most Korean text) take a fast
// path from a character boundary: 64-byte blocks that are exactly lead
// (E1..EC, EE, EF), continuation, continuation, repeating. Anything else in a
// block (E0 or ED leads, other widths, a bad byte) sends it the general way.

namespace {

/// `count` random 3-byte characters led by the fast path's lead bytes.
bytes three_byte_text(std::mt19937& rng, std::size_t count) {
    static constexpr std::uint8_t leads[] = {0xE1, 0xE2, 0xE3, 0xE4, 0xE5, 0xE6, 0xE7,
                                             0xE8, 0xE9, 0xEA, 0xEB, 0xEC, 0xEE, 0xEF};
    bytes out;
    for (std::size_t i = 0; i < count; ++i) {
        out.push_back(leads[rng() % std::size(leads)]);
        out.push_back(static_cast<std::uint8_t>(0x80 + rng() % 64));
        out.push_back(static_cast<std::uint8_t>(0x80 + rng() % 64));
    }
    return out;
}

}  // namespace

TEST_CASE("utf8: runs of 3-byte characters with any one byte replaced: every kernel agrees with the scalar reference") {
    // Byte values at the edges of every class: ASCII, continuation (80..9F
    // and A0..BF matter after E0 and ED), 2-, 3- and 4-byte leads, never valid.
    const std::uint8_t replacements[] = {0x00, 0x41, 0x7F, 0x80, 0x9F, 0xA0, 0xBF, 0xC0, 0xC2,
                                         0xDF, 0xE0, 0xE1, 0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF4, 0xFF};
    const std::vector<bytes> prefixes = {{}, test::b("a"), test::b("ab"), test::hex("c3 a9"), bytes(63, 'a'),
                                         bytes(64, 'a'), test::hex("f0 9f 98 80")};
    std::mt19937 rng(23);
    for (const kernel k : test::kernels()) {
        CAPTURE(kernel_name(k));
        tally t;
        for (const bytes& prefix : prefixes) {
            for (const std::size_t chars : {21u, 22u, 65u, 86u}) {
                const bytes text = cat(prefix, three_byte_text(rng, chars));
                t.add(validate_utf8(bytes_view(text), k), {none, text.size()}, text.data(), text.size(), "valid run");
                for (const std::size_t cut : {1u, 2u}) {
                    const bytes_view cut_short(text.data(), text.size() - cut);
                    t.add(validate_utf8(cut_short, k), scalar(bytes(cut_short.begin(), cut_short.end())),
                          cut_short.data(), cut_short.size(), "run cut short");
                }
                for (std::size_t j = prefix.size(); j < text.size(); ++j) {
                    for (const std::uint8_t v : replacements) {
                        if (text[j] == v) continue;
                        bytes in = text;
                        in[j] = v;
                        t.add(validate_utf8(bytes_view(in), k), scalar(in), in.data(), in.size(), "one byte replaced");
                    }
                }
            }
        }
        // Valid E0 and ED characters (the fast path's exceptions) inside a run.
        for (const char* odd : {"e0 a0 80", "e0 bf bf", "ed 80 80", "ed 9f bf"}) {
            for (std::size_t at = 0; at <= 90; ++at) {
                bytes in = three_byte_text(rng, 90);
                const bytes c = test::hex(odd);
                std::copy(c.begin(), c.end(), in.begin() + static_cast<std::ptrdiff_t>(3 * at < in.size() ? 3 * at : 0));
                t.add(validate_utf8(bytes_view(in), k), {none, in.size()}, in.data(), in.size(), "E0/ED inside a run");
            }
        }
        INFO(t.first);
        CHECK(t.checked > 40000u);
        CHECK(t.failed == 0);
    }
}

TEST_CASE("utf8: unmasking and validating a 3-byte run in one pass equals unmasking, then validating") {
    std::mt19937 rng(29);
    for (const kernel k : test::kernels()) {
        CAPTURE(kernel_name(k));
        std::size_t failed = 0, checked = 0;
        std::string first;
        for (int round = 0; round < 3000; ++round) {
            bytes text = three_byte_text(rng, rng() % 200);
            const int shape = round % 4;  // pure run, one byte replaced, ASCII inside, other text after
            if (shape == 1 && !text.empty()) text[rng() % text.size()] = static_cast<std::uint8_t>(rng());
            if (shape == 2 && !text.empty()) text[rng() % text.size()] = 'A';
            if (shape == 3) text = cat(text, random_valid(rng, rng() % 100));
            const mask_key key{static_cast<std::uint8_t>(rng()), static_cast<std::uint8_t>(rng()),
                               static_cast<std::uint8_t>(rng()), static_cast<std::uint8_t>(rng())};
            bytes masked = text;
            (void)apply_mask_reference(masked, key);
            test::guarded g(masked);  // a read past the end faults
            const detail::unmasked_run r =
                detail::unmask_three_byte_run(g.span().data(), text.size(), detail::rotated_key(key.data(), 0), k);
            const bytes out(g.span().begin(), g.span().end());
            const std::size_t n = text.size();
            std::string why;
            if (r.unmasked > n || r.valid > r.unmasked || r.unmasked > r.valid + 66)
                why = "bounds";
            else if (!std::equal(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(r.unmasked), text.begin()))
                why = "unmasked bytes differ";
            else if (!std::equal(out.begin() + static_cast<std::ptrdiff_t>(r.unmasked), out.end(),
                                 masked.begin() + static_cast<std::ptrdiff_t>(r.unmasked)))
                why = "bytes past the unmasked ones changed";
            else if (!scalar(bytes(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(r.valid))).ok())
                why = "the valid prefix is not valid";
            else if (r.valid > 0 && r.valid < n && (text[r.valid] & 0xC0) == 0x80 &&
                     scalar(text).position != r.valid)  // a stray continuation byte there is the text's first fault
                why = "the valid prefix ends inside a character";
            else if (k == kernel::scalar && r.unmasked != 0)
                why = "the scalar kernel leaves it to the caller";
            else if (k != kernel::scalar && shape == 0 && r.valid + 66 < n)
                why = "a pure run stopped early";
            ++checked;
            if (!why.empty() && failed++ == 0)
                first = why + ": " + test::to_hex(text) + " valid=" + std::to_string(r.valid) +
                        " unmasked=" + std::to_string(r.unmasked);
        }
        INFO(first);
        CHECK(checked == 3000u);
        CHECK(failed == 0u);
    }
}
