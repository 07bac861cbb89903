// SPDX-License-Identifier: MIT
// tests/test_http_fast.cpp — the handshake's fast internals against their
// plain counterparts (wscodec/detail/http_simd.hpp, http_scalar.hpp,
// http_lists.hpp, wscodec/accept.hpp):
//
//  - classify_fields_avx2 and classify_fields_avx512 against a scalar
//    classification (CR, LF, not a tchar, forbidden control byte; bytes past
//    the input count as NUL; a terminating word after the last classified
//    one), on random inputs of every length 0..300 and longer ones up to
//    field_masks::max_bytes, placed before a guard page;
//  - valid_list (separator by separator on a non-tchar mask) against the
//    bytewise token-list and extension-list parsers, on hand-written lists
//    and random ones of every length 0..64, and the public wrappers;
//  - sha1_key_guid on each SHA-1 kernel against the streaming hasher, and
//    compute_accept and base64_digest_words against base64_encode;
//  - server_handshake fed whole (the bulk path) and byte by byte (the
//    byte-by-byte parser): the same request, field for field, with unusual
//    whitespace, empty values, names and values of 62..66 bytes;
//  - parse_fields_fast on each classifier against parse_fields: the same
//    outcome, fields, values and non-tchar bits, or nullopt.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>
#include <wscodec/accept.hpp>
#include <wscodec/detail/http_lists.hpp>
#include <wscodec/detail/http_scalar.hpp>
#include <wscodec/detail/http_simd.hpp>
#include <wscodec/handshake.hpp>

#include "helpers.hpp"
#include "http_samples.hpp"

using namespace wscodec;

namespace {

constexpr std::size_t npos = std::string_view::npos;

// ------------------------------------------------------------------ text

/// `s` with every byte outside printable ASCII (and '"', '\\') as \xNN, quoted.
std::string shown(std::string_view s) {
    std::string out = "\"";
    for (char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (u >= 0x20 && u < 0x7F && c != '"' && c != '\\') {
            out += c;
        } else {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02X", static_cast<unsigned>(u));
            out += buf;
        }
    }
    return out + "\"";
}

bytes_view as_bytes(std::string_view s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }
std::string text(bytes_view b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }
std::string text(const std::array<char, 28>& a) { return {a.data(), a.size()}; }

using test::split;
using test::trim;

/// Keeps the first few of a run's disagreements, and counts them all.
struct report {
    std::string first;
    std::size_t count = 0;
    void add(const std::string& what) {
        if (++count <= 8) first += what + "\n";
    }
};

/// Bit i set iff s[i] is not a tchar (s at most 64 bytes).
std::uint64_t nontchar_bits(std::string_view s) {
    std::uint64_t m = 0;
    for (std::size_t i = 0; i < s.size() && i < 64; ++i)
        if (!detail::is_tchar(s[i])) m |= std::uint64_t{1} << i;
    return m;
}

// ---------------------------------------------------------- classification

#if WSCODEC_X86

using detail::field_masks;

std::string hex64(std::uint64_t v) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
    return buf;
}

/// The biased alphabet of the classifier and parser tests: separators, line
/// ends, a few tchars, DEL, NUL and obs-text.
const std::string biased_alphabet = {'\r', '\n', '\t', ' ', ':', ';', ',', '=', '"', 'a',
                                     'Z',  '0',  '9',  '-', '\x7f', '\0', static_cast<char>(0x80)};

char random_byte(std::mt19937& rng, bool biased) {
    if (biased) return biased_alphabet[rng() % biased_alphabet.size()];
    return static_cast<char>(static_cast<unsigned char>(rng() & 0xFF));
}

std::string random_text(std::mt19937& rng, std::size_t n, bool biased) {
    std::string s(n, '\0');
    for (char& c : s) c = random_byte(rng, biased);
    return s;
}


/// The masks classify_fields_* must give for `s`, word by word up to and
/// including the terminating word at index ceil(n/64). `bad` marks a
/// forbidden control byte, an LF that does not follow a CR, and the byte
/// after a CR that is not an LF.
struct expected_masks {
    std::array<std::uint64_t, field_masks::words> cr{}, nontchar{}, bad{};
};

expected_masks reference_masks(std::string_view s) {
    expected_masks m;
    const std::size_t n = s.size(), words = (n + 63) / 64;
    for (std::size_t i = 0; i < words * 64; ++i) {
        const char c = i < n ? s[i] : '\0';  // bytes past the input count as NUL
        const auto u = static_cast<unsigned char>(c);
        const std::uint64_t bit = std::uint64_t{1} << (i % 64);
        const bool after_cr = i > 0 && i - 1 < n && s[i - 1] == '\r';
        if (c == '\r') m.cr[i / 64] |= bit;
        if (!detail::is_tchar(c)) m.nontchar[i / 64] |= bit;
        if ((u < 0x20 && c != '\t' && c != '\n' && c != '\r') || u == 0x7F) m.bad[i / 64] |= bit;
        if ((c == '\n') != after_cr) m.bad[i / 64] |= bit;
    }
    m.cr[words] = m.bad[words] = 0;
    m.nontchar[words] = ~std::uint64_t{0};
    return m;
}

/// Differences between `got` and `want` in words 0..ceil(n/64), or "".
std::string mask_mismatches(const field_masks& got, const expected_masks& want, std::size_t n) {
    std::string out;
    const auto one = [&out](const char* name, std::size_t w, std::uint64_t g, std::uint64_t e) {
        if (g != e) out += std::string(name) + "[" + std::to_string(w) + "] got " + hex64(g) + " want " + hex64(e) + "; ";
    };
    for (std::size_t w = 0; w <= (n + 63) / 64; ++w) {
        one("cr", w, got.cr[w], want.cr[w]);
        one("nontchar", w, got.nontchar[w], want.nontchar[w]);
        one("bad", w, got.bad[w], want.bad[w]);
    }
    return out;
}

/// Classifies `s` with classifier `which` (1 = AVX2, 2 = AVX-512BW), from a
/// copy that ends at a guard page unless `guard` is false, into masks filled
/// with a pattern first.
field_masks classify(std::string_view s, int which, bool guard = true) {
    field_masks m;
    for (std::size_t w = 0; w < field_masks::words; ++w) m.cr[w] = m.nontchar[w] = m.bad[w] = 0xA5A5A5A5A5A5A5A5u;
    const auto run = [&m, which, n = s.size()](const char* p) {
        if (which == 2) detail::classify_fields_avx512(p, n, m);
        else detail::classify_fields_avx2(p, n, m);
    };
    if (guard) {
        test::guarded g(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()));
        run(reinterpret_cast<const char*>(g.view().data()));
    } else {
        run(s.data());
    }
    return m;
}

/// The classifiers this CPU runs.
std::vector<int> classifiers() {
    std::vector<int> out;
    if (__builtin_cpu_supports("avx2")) out.push_back(1);
    if (__builtin_cpu_supports("avx512bw")) out.push_back(2);
    return out;
}

const char* classifier_name(int which) { return which == 2 ? "avx512" : "avx2"; }

#endif  // WSCODEC_X86

// ------------------------------------------------------------------- lists

/// Where valid_list and the wrappers disagree with the bytewise parsers on `s`, or "".
std::string list_disagreement(std::string_view s) {
    const std::uint64_t bits = nontchar_bits(s);
    const bool tokens = detail::is_token_list_bytewise(s), extensions = detail::is_extension_list_bytewise(s);
    std::string out;
    const auto check = [&out](const char* what, bool got, bool want) {
        if (got != want) out += std::string(what) + " gives " + (got ? "true" : "false") + "; ";
    };
    check("valid_list<tokens>", detail::valid_list<detail::list_grammar::tokens>(s, bits), tokens);
    check("valid_list<extensions>", detail::valid_list<detail::list_grammar::extensions>(s, bits), extensions);
    check("is_token_list(known bits)", detail::is_token_list(s, detail::value_bits{bits, true}), tokens);
    check("is_token_list(unknown)", detail::is_token_list(s, detail::value_bits{}), tokens);
    check("is_extension_list(known bits)", detail::is_extension_list(s, detail::value_bits{bits, true}), extensions);
    check("is_extension_list(unknown)", detail::is_extension_list(s, detail::value_bits{}), extensions);
    if (out.empty()) return out;
    return shown(s) + " (bytewise: tokens " + (tokens ? "true" : "false") + ", extensions " +
           (extensions ? "true" : "false") + "): " + out;
}

// ------------------------------------------------------------ header blocks

/// One field line of a built request: name ":" before value after CRLF, where
/// `before` and `after` are spaces and tabs, so `value` is what a parser hands on.
struct line {
    std::string name, before, value, after;
};

/// The request line of the first sample request, with CRLF.
std::string sample_start() {
    const std::string_view r = samples::requests[0].bytes;
    return std::string(r.substr(0, r.find("\r\n") + 2));
}

/// The field lines of the first sample request (each "Name: value").
std::vector<line> sample_lines() {
    const std::string_view r = samples::requests[0].bytes;
    std::vector<line> out;
    std::size_t at = r.find("\r\n") + 2;
    for (;;) {
        const std::size_t end = r.find("\r\n", at);
        if (end == at) return out;
        const std::string_view l = r.substr(at, end - at);
        const std::size_t colon = l.find(':');
        out.push_back({std::string(l.substr(0, colon)), " ", std::string(l.substr(colon + 2)), ""});
        at = end + 2;
    }
}

std::string request_text(const std::vector<line>& ls) {
    std::string s = sample_start();
    for (const line& l : ls) s += l.name + ":" + l.before + l.value + l.after + "\r\n";
    return s + "\r\n";
}

/// Replaces the line named `name` (as the sample spells it).
void set(std::vector<line>& ls, std::string_view name, std::string before, std::string value, std::string after) {
    for (line& l : ls)
        if (l.name == name) {
            l = {l.name, std::move(before), std::move(value), std::move(after)};
            return;
        }
    FAIL("no line " << std::string(name));
}

std::string value_of(const std::vector<line>& ls, std::string_view name) {
    for (const line& l : ls)
        if (l.name == name) return l.value;
    return {};
}

/// `n` tchars and interior spaces and tabs, neither first nor last.
std::string padded_value(std::size_t n) {
    std::string s;
    for (std::size_t i = 0; i < n; ++i) s += i % 9 == 4 ? ' ' : i % 13 == 6 ? '\t' : static_cast<char>('a' + i % 26);
    if (!s.empty()) s.front() = 'S', s.back() = 'E';
    return s;
}

/// A valid token list of exactly `n` bytes (n >= 1): "aaaaa, aaaaa,\taaaaa, ...",
/// whose last three bytes are 'a'.
std::string token_list(std::size_t n) {
    std::string s(n, 'a');
    for (std::size_t i = 5, k = 0; i + 4 < n; i += 7, ++k) {
        s[i] = ',';
        s[i + 1] = k % 2 == 0 ? ' ' : '\t';
    }
    return s;
}

/// A valid extension list of exactly `n` bytes (n >= 48).
std::string extension_list(std::size_t n) {
    std::string s = "permessage-deflate; client_max_window_bits=15, x";
    s.resize(n, 'x');
    return s;
}

/// What a request's parse gave, field by field, as text.
std::string describe(const http_request& r) {
    std::string s = "method=" + std::string(r.method) + " target=" + std::string(r.target) + "\nhost=[" +
                    std::string(r.host) + "]\norigin=[" + std::string(r.origin) + "]\nkey=[" + std::string(r.key) +
                    "]\nversion=[" + std::string(r.websocket_version) + "]\nprotocols:";
    for (std::string_view p : r.subprotocols()) s += " [" + std::string(p) + "]";
    s += "\nextensions:";
    for (const extension& x : r.extensions()) s += " [" + std::string(x.name) + "|" + std::string(x.text) + "]";
    s += "\n";
    for (const http_header& h : r.headers()) s += "[" + std::string(h.name) + "]: [" + std::string(h.value) + "]\n";
    return s;
}

/// The same from the lines the request was built from.
std::string describe(const std::vector<line>& ls) {
    std::string s = "method=GET target=/chat\nhost=[" + value_of(ls, "Host") + "]\norigin=[" + value_of(ls, "Origin") +
                    "]\nkey=[" + value_of(ls, "Sec-WebSocket-Key") + "]\nversion=[" +
                    value_of(ls, "Sec-WebSocket-Version") + "]\nprotocols:";
    for (const std::string& p : split(value_of(ls, "Sec-WebSocket-Protocol"), ',')) s += " [" + p + "]";
    s += "\nextensions:";
    for (const std::string& x : split(value_of(ls, "Sec-WebSocket-Extensions"), ','))
        s += " [" + std::string(trim(x.substr(0, x.find(';')))) + "|" + x + "]";
    s += "\n";
    for (const line& l : ls) s += "[" + l.name + "]: [" + l.value + "]\n";
    return s;
}

/// A request to build, and what the server must make of it.
struct scenario {
    std::string name;
    std::vector<line> lines;
    error expected = error::none;  // none: accepted
};

/// The first sample request with unusual whitespace everywhere, empty values,
/// and then names, values, subprotocol and extension lists of 62..66 bytes.
std::vector<scenario> scenarios() {
    std::vector<scenario> out;
    std::vector<line> base = sample_lines();
    set(base, "Host", "   ", "localhost:9001", "  ");
    set(base, "Upgrade", "\t", "websocket", "\t");
    set(base, "Connection", "", "Upgrade", "");
    set(base, "Origin", " \t ", "http://localhost:9001", " \t \t");
    set(base, "Sec-WebSocket-Key", "", std::string(samples::requests[0].key), "   ");
    set(base, "Sec-WebSocket-Version", "  ", "13", "\t");
    set(base, "Sec-WebSocket-Extensions", "\t ", "permessage-deflate; client_max_window_bits", " \t");
    set(base, "Accept-Language", " ", "en-US,\ten;q=0.9", "\t");
    base.push_back({"X-Empty", "", "", ""});
    base.push_back({"X-Spaces", "    ", "", ""});
    base.push_back({"X-Tab", "\t", "", ""});
    base.push_back({"X-One", " ", "", ""});
    base.push_back({"X-Tabs-Spaces", "\t \t", "", " \t "});
    base.push_back({"X-Char", "", "x", ""});
    base.push_back({"X-Inner", " ", "a \t b", " "});
    base.push_back({"Sec-WebSocket-Protocol", " \t", "chat, superchat", " "});
    out.push_back({"unusual whitespace", base, error::none});

    for (std::size_t n = 62; n <= 66; ++n) {
        const std::string at = " of " + std::to_string(n) + " bytes";
        std::vector<line> ls = sample_lines();
        ls.push_back({"X-Long", "", padded_value(n), ""});
        out.push_back({"a value" + at, ls, error::none});
        ls.back() = {"X-Long", "  ", padded_value(n), " \t"};
        out.push_back({"a value with whitespace" + at, ls, error::none});
        ls.back() = {"X-" + std::string(n - 2, 'n'), " ", "v", ""};
        out.push_back({"a name" + at, ls, error::none});

        ls = sample_lines();
        ls.push_back({"Sec-WebSocket-Protocol", " \t ", token_list(n), "\t "});
        out.push_back({"a subprotocol list" + at, ls, error::none});
        std::string bad = token_list(n);
        bad[n - 2] = ' ';  // "... a a": two tokens without a comma
        ls.back().value = bad;
        out.push_back({"a bad subprotocol list (space)" + at, ls, error::handshake_bad_subprotocols});
        bad = token_list(n);
        bad[n - 1] = ';';  // the last byte
        ls.back().value = bad;
        out.push_back({"a bad subprotocol list (last byte)" + at, ls, error::handshake_bad_subprotocols});

        ls = sample_lines();
        set(ls, "Sec-WebSocket-Extensions", "  ", extension_list(n), " ");
        out.push_back({"an extension list" + at, ls, error::none});
        bad = extension_list(n);
        bad[n - 1] = ';';  // "...x;": a parameter without a name
        set(ls, "Sec-WebSocket-Extensions", "  ", bad, " ");
        out.push_back({"a bad extension list (last byte)" + at, ls, error::handshake_bad_extensions});
        bad = extension_list(n);
        bad.insert(42, " ");  // "client_max_window_bits =15"
        bad.resize(n);
        set(ls, "Sec-WebSocket-Extensions", "\t", bad, "");
        out.push_back({"a bad extension list (space before =)" + at, ls, error::handshake_bad_extensions});
    }
    return out;
}

}  // namespace

// =====================================================================
// 1. classify_fields_avx2 / classify_fields_avx512

#if WSCODEC_X86
TEST_CASE("http fast path: classify_fields_avx2 and classify_fields_avx512 equal a scalar classification") {
    const std::vector<int> which = classifiers();
    if (which.empty()) {
        MESSAGE("skipped: this CPU has neither AVX2 nor AVX-512BW");
        return;
    }
    if (which.size() < 2) MESSAGE("this CPU lacks AVX-512BW: only the AVX2 classifier is tested");
    std::mt19937 rng(9112);
    std::vector<std::size_t> lengths;
    for (std::size_t n = 0; n <= 300; ++n) lengths.push_back(n);
    for (std::size_t n : {383u, 384u, 385u, 511u, 512u, 513u, 1023u, 1024u, 1025u, 2000u, 2047u, 2048u}) lengths.push_back(n);
    for (int i = 0; i < 100; ++i) lengths.push_back(rng() % (field_masks::max_bytes + 1));
    report r;
    std::size_t runs = 0;
    for (std::size_t n : lengths) {
        for (int biased = 0; biased < 2; ++biased) {
            for (int rep = 0; rep < (n <= 300 ? 3 : 1); ++rep) {
                const std::string s = random_text(rng, n, biased != 0);
                const expected_masks want = reference_masks(s);
                for (int w : which) {
                    const std::string diff = mask_mismatches(classify(s, w), want, n);
                    ++runs;
                    if (!diff.empty()) r.add(std::string(classifier_name(w)) + " n=" + std::to_string(n) + " " + shown(s) + ": " + diff);
                }
            }
        }
    }
    CHECK(runs >= lengths.size() * 2 * which.size());
    CHECK(r.count == 0);
    CHECK(r.first == "");
}

TEST_CASE("http fast path: the classifiers on hand-picked bytes and every byte value at every position of a word") {
    const std::vector<int> which = classifiers();
    if (which.empty()) {
        MESSAGE("skipped: this CPU has neither AVX2 nor AVX-512BW");
        return;
    }
    // The scalar reference itself, spelled out on one input: "A:\tb\r\n\x7f \x01\x80".
    const std::string s = {'A', ':', '\t', 'b', '\r', '\n', '\x7f', ' ', '\x01', static_cast<char>(0x80)};
    const expected_masks e = reference_masks(s);
    CHECK(hex64(e.cr[0]) == hex64(0x10u));
    CHECK(hex64(e.nontchar[0]) == hex64(~std::uint64_t{0} & ~std::uint64_t{0x9}));  // only 'A' and 'b' are tchars
    CHECK(hex64(e.bad[0]) == hex64(~std::uint64_t{0x3FF} | 0x40u | 0x100u));         // DEL, \x01, and the NULs past n
    // An LF not after a CR, and a byte other than LF after one, are bad too.
    CHECK(hex64(reference_masks("a\nb\rc").bad[0]) == hex64(~std::uint64_t{0x1F} | 0x2u | 0x10u));
    CHECK(hex64(e.nontchar[1]) == hex64(~std::uint64_t{0}));
    CHECK(e.cr[1] == 0);
    CHECK(e.bad[1] == 0);
    for (int w : which) {
        CAPTURE(classifier_name(w));
        CHECK(mask_mismatches(classify(s, w), e, s.size()) == "");
        // Every byte value at every position of a two-word input of 'a's.
        report r;
        for (std::size_t pos = 0; pos < 128; ++pos)
            for (int v = 0; v < 256; ++v) {
                std::string t(128, 'a');
                t[pos] = static_cast<char>(static_cast<unsigned char>(v));
                const std::string diff = mask_mismatches(classify(t, w, false), reference_masks(t), t.size());
                if (!diff.empty()) r.add("byte " + std::to_string(v) + " at " + std::to_string(pos) + ": " + diff);
            }
        CHECK(r.first == "");
    }
}
#endif

// =====================================================================
// 2. valid_list against the bytewise list parsers

TEST_CASE("http fast path: valid_list on hand-written lists equals the bytewise parsers and the expected result") {
    struct list_case {
        std::string_view text;
        bool tokens, extensions;
    };
    const std::string long_token(64, 't');
    const std::string long_list = std::string(62, 'a') + ",b";
    const std::string ending_comma = std::string(63, 'a') + ",";
    const std::string ending_semicolon = std::string(63, 'a') + ";";
    const std::string ending_space = std::string(63, 'a') + " ";
    const std::string ending_quote = std::string(58, 'a') + ";b=\"c\"";
    const list_case cases[] = {
        {"permessage-deflate; client_max_window_bits", false, true},
        {"permessage-deflate; client_max_window_bits=15, x-webkit-deflate", false, true},
        {"chat, superchat", true, true},
        {"a; b=c", false, true},
        {"a b", false, false},
        {"a;", false, false},
        {"a; ", false, false},
        {"a,,b,", true, true},
        {"a; b=\"c\"", false, true},
        {"a; b=\"c\", d", false, true},
        {"a;b=\"\\c\"", false, true},
        {"a;b=\"\"", false, false},
        {"a;b=\"c d\"", false, false},
        {"a;b=\"c\\\"\"", false, false},
        {"a;b=\"c", false, false},
        {"a=b", false, false},
        {"a; b = c", false, false},
        {"a; b= c", false, false},
        {"a; b =c", false, false},
        {"a;b=c=d", false, false},
        {"a;b=", false, false},
        {"a;=c", false, false},
        {"a;b=c;d", false, true},
        {"a;b;c=d , e", false, true},
        {"a ;\tb", false, true},
        {"a,;b", false, false},
        {";a", false, false},
        {"", true, true},
        {" , ", true, true},
        {",", true, true},
        {"\tchat\t", true, true},
        {"chat superchat", false, false},
        {"a\x01", false, false},
        {"\xC3\xA9", false, false},
        {"a,\xC3\xA9", false, false},
        {"a\\b", false, false},
        {"\"a\"", false, false},
        {long_token, true, true},
        {long_list, true, true},
        {ending_comma, true, true},
        {ending_semicolon, false, false},
        {ending_space, true, true},
        {ending_quote, false, true},
    };
    for (const list_case& c : cases) {
        CAPTURE(shown(c.text));
        REQUIRE(c.text.size() <= 64);
        CHECK(detail::is_token_list_bytewise(c.text) == c.tokens);
        CHECK(detail::is_extension_list_bytewise(c.text) == c.extensions);
        const std::uint64_t bits = nontchar_bits(c.text);
        CHECK(detail::valid_list<detail::list_grammar::tokens>(c.text, bits) == c.tokens);
        CHECK(detail::valid_list<detail::list_grammar::extensions>(c.text, bits) == c.extensions);
        CHECK(detail::is_token_list(c.text, detail::value_bits{bits, true}) == c.tokens);
        CHECK(detail::is_extension_list(c.text, detail::value_bits{bits, true}) == c.extensions);
        CHECK(detail::is_token_list(c.text, detail::value_bits{}) == c.tokens);
        CHECK(detail::is_extension_list(c.text, detail::value_bits{}) == c.extensions);
    }
}

TEST_CASE("http fast path: valid_list equals the bytewise parsers on random lists of every length 0..64") {
    const std::string e_acute = "\xC3\xA9";
    const std::vector<std::string> pieces = {"a", "b", "x-y", " ", "\t", ",", ";", "=", "\"", "\\", e_acute, "\x01"};
    // The same pieces weighted towards what valid lists hold, so that both
    // outcomes are common for both grammars.
    const std::vector<std::string> weighted = {"a", "b", "x-y", "permessage-deflate", "a", "b", " ", " ", "\t", ",", ",",
                                               ", ", ";", "; ", ";", "=", "=", "=\"c\"", ";q=\"v\"", "\"", "\\", e_acute, "\x01"};
    std::mt19937 rng(6455);
    report r;
    std::size_t valid_tokens = 0, valid_extensions = 0, invalid_extensions = 0, quoted = 0;
    std::array<std::size_t, 65> by_length{};
    for (int i = 0; i < 400000; ++i) {
        const std::vector<std::string>& from = i % 2 == 0 ? pieces : weighted;
        const std::size_t n = rng() % 65;
        std::string s;
        while (s.size() < n) s += from[rng() % from.size()];
        s.resize(n);  // may cut a piece, é too
        ++by_length[n];
        const std::string diff = list_disagreement(s);
        if (!diff.empty()) r.add(diff);
        valid_tokens += detail::is_token_list_bytewise(s);
        const bool ext = detail::is_extension_list_bytewise(s);
        valid_extensions += ext;
        invalid_extensions += !ext;
        quoted += ext && s.find('"') != npos;
    }
    CHECK(r.count == 0);
    CHECK(r.first == "");
    // Each outcome is common enough to mean something.
    CHECK(valid_tokens > 10000);
    CHECK(valid_extensions > valid_tokens);
    CHECK(invalid_extensions > 100000);
    CHECK(quoted > 100);
    for (std::size_t n = 0; n <= 64; ++n) CHECK(by_length[n] > 5000);
}

TEST_CASE("http fast path: valid_list equals the bytewise parsers on every string of up to 7 list bytes, alone and ending 64 bytes") {
    // Exhaustive over strings of length 0..7 from {a, ' ', ',', ';', '=', '"', '\t'}
    // (7^7 = 823543 strings), padded in front with tokens so bit 63 is used too.
    const std::string alphabet = "a ,;=\"\t";
    report r;
    std::size_t total = 0;
    for (std::size_t len = 0; len <= 7; ++len) {
        std::size_t count = 1;
        for (std::size_t i = 0; i < len; ++i) count *= alphabet.size();
        for (std::size_t k = 0; k < count; ++k) {
            std::string s(len, ' ');
            for (std::size_t i = 0, x = k; i < len; ++i, x /= alphabet.size()) s[i] = alphabet[x % alphabet.size()];
            ++total;
            std::string diff = list_disagreement(s);
            if (!diff.empty()) r.add(diff);
            const std::string at_end = std::string(64 - len, 'p') + s;  // the same bytes at the end of 64
            diff = list_disagreement(at_end);
            if (!diff.empty()) r.add(diff);
        }
    }
    CHECK(total == 960800);  // 1 + 7 + ... + 7^7
    CHECK(r.count == 0);
    CHECK(r.first == "");
}

// =====================================================================
// 3. SHA-1 of key + GUID, compute_accept, base64 of the digest words

TEST_CASE("http fast path: sha1_key_guid on each kernel and compute_accept equal the streaming hasher and base64_encode") {
    std::vector<detail::sha1_kernel> kernels = {detail::sha1_kernel::portable, detail::sha1_kernel::best};
    if (detail::sha1_kernel_supported(detail::sha1_kernel::sha_ni)) kernels.push_back(detail::sha1_kernel::sha_ni);
    else MESSAGE("this CPU lacks the SHA extensions: only the portable kernel is tested");
    std::mt19937 rng(4222);
    // One key buffer that ends at a guard page: no kernel reads past byte 24.
    test::guarded g(test::bytes(24, 0));
    const std::span<std::uint8_t> key_bytes = g.span();
    const char* key = reinterpret_cast<const char*>(key_bytes.data());
    report r;
    for (int i = 0; i < 20000; ++i) {
        for (std::uint8_t& b : key_bytes) b = static_cast<std::uint8_t>(rng() & 0xFF);
        if (i == 0) std::fill(key_bytes.begin(), key_bytes.end(), std::uint8_t{0});
        if (i == 1) std::fill(key_bytes.begin(), key_bytes.end(), std::uint8_t{0xFF});
        if (i == 2) std::copy_n("dGhlIHNhbXBsZSBub25jZQ==", 24, key_bytes.begin());
        const std::string_view k(key, 24);
        const detail::sha1_digest want =
            detail::sha1_hasher(detail::sha1_kernel::portable).update(k).update(websocket_guid).final();
        for (detail::sha1_kernel kernel : kernels) {
            const detail::sha1_digest got = detail::sha1_key_guid(key, kernel);
            if (got != want)
                r.add(std::string(detail::sha1_kernel_name(kernel)) + " key " + shown(k) + ": " + test::to_hex(got) +
                      " want " + test::to_hex(want));
        }
        std::array<char, 28> b64{};
        CHECK(detail::base64_encode(bytes_view(want), std::span<char>(b64)) == 28);
        const std::array<char, 28> accept = compute_accept(k);
        if (accept != b64) r.add("compute_accept key " + shown(k) + ": " + text(accept) + " want " + text(b64));
        if (i == 2) CHECK(text(accept) == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");  // RFC 6455 §1.3
    }
    CHECK(r.count == 0);
    CHECK(r.first == "");
}

TEST_CASE("http fast path: base64_digest_words equals base64_encode of the words' big-endian bytes") {
    std::mt19937 rng(4648);
    report r;
    for (int i = 0; i < 20000; ++i) {
        std::array<std::uint32_t, 5> words{};
        for (std::uint32_t& w : words) w = static_cast<std::uint32_t>(rng());
        if (i == 0) words.fill(0);
        if (i == 1) words.fill(0xFFFFFFFFu);
        if (i == 2) words.fill(0xAAAAAAAAu);
        if (i == 3) words = {0x80000000u, 1, 0x00010000u, 0x0000FFFFu, 0xFFFF0000u};
        if (i >= 4 && i < 4 + 160) {  // one bit set, each of the 160
            words.fill(0);
            const auto bit = static_cast<std::size_t>(i - 4);
            words[bit / 32] = std::uint32_t{1} << (31 - bit % 32);
        }
        detail::sha1_digest bytes{};
        for (std::size_t j = 0; j < 5; ++j)
            for (std::size_t b = 0; b < 4; ++b) bytes[4 * j + b] = static_cast<std::uint8_t>(words[j] >> (24 - 8 * b));
        std::array<char, 28> want{};
        CHECK(detail::base64_encode(bytes_view(bytes), std::span<char>(want)) == 28);
        const std::array<char, 28> got = detail::base64_digest_words(words);
        if (got != want) r.add(test::to_hex(bytes) + ": " + text(got) + " want " + text(want));
    }
    CHECK(r.count == 0);
    CHECK(r.first == "");
    CHECK(text(detail::base64_digest_words({0, 0, 0, 0, 0})) == std::string(27, 'A') + "=");
    // 160 one bits: 26 characters of six, then four and two zero bits (111100 = '8').
    CHECK(text(detail::base64_digest_words({0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu})) ==
          std::string(26, '/') + "8=");
}

// =====================================================================
// 4. server_handshake: whole (bulk path) and byte by byte agree

TEST_CASE("http fast path: a request fed whole and byte by byte gives the same fields, trimmed as expected") {
    for (const scenario& sc : scenarios()) {
        CAPTURE(sc.name);
        const std::string input = request_text(sc.lines);
        CAPTURE(shown(input));
        server_handshake whole;
        const event w = whole.receive(as_bytes(input));
        server_handshake bytewise;
        event b;
        std::size_t fed = 0, consumed = 0;
        for (; fed < input.size(); ++fed) {
            b = bytewise.receive(as_bytes(std::string_view(input).substr(fed, 1)));
            consumed += b.consumed;
            if (b.type != event_type::need_more) break;
        }
        CHECK(fed == input.size() - 1);  // the event comes with the last byte
        if (sc.expected != error::none) {
            CHECK(w.type == event_type::failed);
            CHECK(b.type == event_type::failed);
            CHECK(error_name(w.err) == error_name(sc.expected));
            CHECK(error_name(b.err) == error_name(sc.expected));
            CHECK(w.http_status == 400);
            CHECK(b.http_status == 400);
            continue;
        }
        REQUIRE(w.type == event_type::request);
        REQUIRE(b.type == event_type::request);
        CHECK(w.consumed == input.size());
        CHECK(consumed == input.size());
        const std::string got_whole = describe(whole.request()), got_bytewise = describe(bytewise.request());
        CHECK(got_whole == got_bytewise);
        CHECK(got_whole == describe(sc.lines));
        CHECK(whole.request().raw == input);
        CHECK(bytewise.request().raw == input);
        // The Sec-WebSocket-Accept computed while parsing is the key's, on both paths.
        REQUIRE(whole.accept() == error::none);
        REQUIRE(bytewise.accept() == error::none);
        const std::string response = text(whole.output());
        CHECK(response == text(bytewise.output()));
        CHECK(response.find("\r\nSec-WebSocket-Accept: " + text(compute_accept(samples::requests[0].key)) + "\r\n") != npos);
    }
}

TEST_CASE("http fast path: the unusual-whitespace request's values, spelled out") {
    const std::string input = request_text(scenarios().front().lines);
    server_handshake h;
    REQUIRE(h.receive(as_bytes(input)).type == event_type::request);
    const http_request& r = h.request();
    CHECK(r.host == "localhost:9001");
    CHECK(r.origin == "http://localhost:9001");
    CHECK(r.key == samples::requests[0].key);
    CHECK(r.websocket_version == "13");
    CHECK(r.upgrade_websocket);
    CHECK(r.connection_upgrade);
    CHECK(r.header("X-Empty") == std::optional<std::string_view>(""));
    CHECK(r.header("X-Spaces") == std::optional<std::string_view>(""));
    CHECK(r.header("X-Tab") == std::optional<std::string_view>(""));
    CHECK(r.header("X-One") == std::optional<std::string_view>(""));
    CHECK(r.header("X-Tabs-Spaces") == std::optional<std::string_view>(""));
    CHECK(r.header("X-Char") == std::optional<std::string_view>("x"));
    CHECK(r.header("X-Inner") == std::optional<std::string_view>("a \t b"));
    CHECK(r.header("Accept-Language") == std::optional<std::string_view>("en-US,\ten;q=0.9"));
    std::vector<std::string> protocols;
    for (std::string_view p : r.subprotocols()) protocols.emplace_back(p);
    CHECK(protocols == std::vector<std::string>{"chat", "superchat"});
    std::vector<std::string> extensions;
    for (const extension& x : r.extensions()) extensions.push_back(std::string(x.name) + "|" + std::string(x.text));
    CHECK(extensions == std::vector<std::string>{"permessage-deflate|permessage-deflate; client_max_window_bits"});
}

// =====================================================================
// 5. parse_fields_fast against parse_fields

#if WSCODEC_X86
namespace {

/// A field as a parser hands it on.
struct seen_field {
    std::string name, value;
    detail::value_bits bits;
};

std::string describe(const std::vector<seen_field>& fs, bool with_bits) {
    std::string s;
    for (const seen_field& f : fs) {
        s += "[" + f.name + "]: " + shown(f.value);
        if (with_bits) s += f.bits.known ? " bits " + hex64(f.bits.nontchar) : " bits unknown";
        s += "\n";
    }
    return s;
}

std::string describe(const detail::parse_outcome& o) {
    const char* k = o.status == detail::parse_outcome::kind::done         ? "done"
                    : o.status == detail::parse_outcome::kind::incomplete ? "incomplete"
                                                                           : "failed";
    return std::string(k) + " err=" + error_name(detail::to_error(o.err)) + " at=" + std::to_string(o.at);
}

struct field_parse {
    std::optional<detail::parse_outcome> outcome;  // nullopt: the bulk path gave up
    std::size_t fields = 0;
    std::vector<seen_field> seen;
};

/// Runs parse_fields (which = 0) or parse_fields_fast (which = 1, 2) on the
/// fields of `input` from `from` (the end of its start line).
field_parse run_fields(std::string_view input, std::size_t from, std::size_t max_fields, int which) {
    field_parse out;
    const char* begin = input.data();
    const auto on = [&out](std::string_view name, const auto& v) {
        out.seen.push_back({std::string(name), std::string(v.value()), v.bits(v.value())});
    };
    if (which == 0) out.outcome = detail::parse_fields(begin, begin + from, begin + input.size(), max_fields, out.fields, on);
    else out.outcome = detail::parse_fields_fast(begin, begin + from, begin + input.size(), max_fields, out.fields, on, which);
    return out;
}

/// Where the bulk path on `which` disagrees with parse_fields on `input`, or "".
/// It must either give up (nullopt, `fields` unchanged) or give parse_fields'
/// outcome with the same fields, values, and the non-tchar bits of each value
/// of at most 64 bytes; and it must not give up on a valid block that fits in
/// its masks, unless a field name is longer than 64 bytes (the colon is looked
/// for among the 64 bytes after the line's start, by design).
std::string fields_disagreement(std::string_view input, std::size_t from, std::size_t max_fields, int which) {
    const field_parse ref = run_fields(input, from, max_fields, 0);
    const field_parse fast = run_fields(input, from, max_fields, which);
    const bool ref_done = ref.outcome->status == detail::parse_outcome::kind::done;
    std::string out;
    if (!fast.outcome) {
        if (fast.fields != 0) out += "gave up with fields=" + std::to_string(fast.fields) + "; ";
        const std::size_t n = std::min(input.size() - from, detail::field_masks::max_bytes);
        bool long_name = false;
        for (const seen_field& f : ref.seen) long_name = long_name || f.name.size() > 64;
        if (ref_done && ref.outcome->at - from <= n && !long_name) out += "gave up on a valid block that fits; ";
    } else {
        if (describe(*fast.outcome) != describe(*ref.outcome))
            out += "outcome " + describe(*fast.outcome) + " want " + describe(*ref.outcome) + "; ";
        if (fast.fields != ref.fields) out += "fields " + std::to_string(fast.fields) + " want " + std::to_string(ref.fields) + "; ";
        if (describe(fast.seen, false) != describe(ref.seen, false))
            out += "fields seen:\n" + describe(fast.seen, true) + "want:\n" + describe(ref.seen, false);
        for (const seen_field& f : fast.seen) {
            const bool fits = f.value.size() <= 64;
            if (f.bits.known != fits || (fits && f.bits.nontchar != nontchar_bits(f.value)))
                out += "bits of " + shown(f.value) + ": " + (f.bits.known ? hex64(f.bits.nontchar) : "unknown") +
                       " want " + (fits ? hex64(nontchar_bits(f.value)) : "unknown") + "; ";
        }
    }
    if (out.empty()) return out;
    return std::string(classifier_name(which)) + " on " + shown(input.substr(from)) + ": " + out;
}

/// A random header block: field lines of random tchar names and values from
/// the biased alphabet (line ends rare), sometimes mutated, cut, or followed by bytes.
std::string random_block(std::mt19937& rng) {
    static const std::string tchars = "abcXYZ019-_!#$%&'*+.^`|~";
    static const std::string value_bytes = {'a', 'Z', '0', ' ', ' ', '\t', ':', ';', ',', '=', '"', '-', '/',
                                            static_cast<char>(0x80), static_cast<char>(0xFF)};
    std::string s;
    const std::size_t lines = rng() % 24;
    const bool long_values = rng() % 4 == 0;
    for (std::size_t i = 0; i < lines; ++i) {
        const std::size_t name_limit = rng() % 8 == 0 ? 70 : 12;
        const std::size_t name = 1 + rng() % name_limit;
        for (std::size_t j = 0; j < name; ++j) s += tchars[rng() % tchars.size()];
        s += ':';
        const std::size_t value = rng() % (long_values ? 200 : 70);
        for (std::size_t j = 0; j < value; ++j) s += rng() % 64 == 0 ? random_byte(rng, true) : value_bytes[rng() % value_bytes.size()];
        s += "\r\n";
    }
    s += "\r\n";
    const std::size_t change = rng() % 8, at = rng() % (s.size() + 1);
    switch (change) {
        case 0: s[at % s.size()] = random_byte(rng, true); break;  // one byte changed
        case 1: s[at % s.size()] = random_byte(rng, false); break;
        case 2: s.resize(at); break;                                // cut
        case 3: s += random_text(rng, at % 40, true); break;       // bytes behind the block
        case 4: s.insert(at, 1, random_byte(rng, true)); break;    // one byte inserted
        default: break;
    }
    return s;
}

}  // namespace

TEST_CASE("http fast path: parse_fields_fast on each classifier hands on parse_fields' outcome, fields, values and bits") {
    const std::vector<int> which = classifiers();
    if (which.empty()) {
        MESSAGE("skipped: this CPU has neither AVX2 nor AVX-512BW");
        return;
    }
    report r;
    // The requests of the handshake test above: all valid blocks, so the bulk path takes them all.
    std::size_t taken = 0;
    for (const scenario& sc : scenarios()) {
        const std::string input = request_text(sc.lines);
        const std::size_t from = sample_start().size();
        for (int w : which) {
            const std::string diff = fields_disagreement(input, from, 100, w);
            if (!diff.empty()) r.add(sc.name + ": " + diff);
            taken += run_fields(input, from, 100, w).outcome.has_value();
        }
    }
    CHECK(taken == (scenarios().size() - 2) * which.size());  // all but the names of 65 and 66 bytes
    // Random blocks, valid and not, with a start line in front (`from` > 0)
    // and room limits from 0 to 100 lines.
    std::mt19937 rng(9110);
    std::size_t valid = 0, fast = 0;
    for (int i = 0; i < 30000; ++i) {
        const std::string start = i % 3 == 0 ? "" : "GET / HTTP/1.1\r\n";
        const std::string input = start + random_block(rng);
        const std::size_t max_fields = rng() % 4 == 0 ? rng() % 24 : 100;
        valid += run_fields(input, start.size(), max_fields, 0).outcome->status == detail::parse_outcome::kind::done;
        for (int w : which) {
            const std::string diff = fields_disagreement(input, start.size(), max_fields, w);
            if (!diff.empty()) r.add(diff);
            fast += run_fields(input, start.size(), max_fields, w).outcome.has_value();
        }
    }
    CHECK(valid > 5000);
    CHECK(fast > 5000);
    CHECK(r.count == 0);
    CHECK(r.first == "");
}

TEST_CASE("http fast path: parse_fields_fast takes a valid block of up to field_masks::max_bytes, and gives up on a longer one") {
    const std::vector<int> which = classifiers();
    if (which.empty()) {
        MESSAGE("skipped: this CPU has neither AVX2 nor AVX-512BW");
        return;
    }
    const std::string start = "GET / HTTP/1.1\r\n";
    report r;
    for (std::size_t size = field_masks::max_bytes - 70; size <= field_masks::max_bytes + 10; ++size) {
        // "Host: x" CRLF "X-Pad: ppp..." CRLF CRLF: `size` bytes after the start line.
        const std::string block = "Host: x\r\nX-Pad: " + std::string(size - 20, 'p') + "\r\n\r\n";
        REQUIRE(block.size() == size);
        for (const std::string& behind : {std::string(), std::string("\x81\x85\x37\xfa\x21\x3d")}) {
            const std::string whole = start + block + behind;
            // Read where a read past the end faults.
            test::guarded g(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(whole.data()), whole.size()));
            const std::string_view input(reinterpret_cast<const char*>(g.view().data()), whole.size());
            for (int w : which) {
                const std::string diff = fields_disagreement(input, start.size(), 100, w);
                if (!diff.empty()) r.add("size " + std::to_string(size) + ": " + diff.substr(0, 200));
                const field_parse fast = run_fields(input, start.size(), 100, w);
                const bool fits = size <= field_masks::max_bytes;
                if (fast.outcome.has_value() != fits)
                    r.add("size " + std::to_string(size) + " behind " + std::to_string(behind.size()) + " " + classifier_name(w) +
                          ": " + (fits ? "gave up" : "took it"));
                else if (fits && (fast.outcome->at != start.size() + size || fast.fields != 2 || fast.seen.size() != 2 ||
                                  fast.seen[1].value != std::string(size - 20, 'p')))
                    r.add("size " + std::to_string(size) + ": " + describe(*fast.outcome));
            }
        }
    }
    CHECK(r.count == 0);
    CHECK(r.first == "");
}
#endif
