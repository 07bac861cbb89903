// SPDX-License-Identifier: MIT
// tests/test_base64.cpp — wscodec/detail/base64.hpp: the RFC 4648 §10 test
// vectors in both directions; round trips of every byte value and of random
// data at every length 0..100; the strict decoder's rejections (length,
// alphabet, padding, non-canonical pad bits, output size) with their
// positions; every final quantum exhaustively; constant evaluation.
#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>
#include <wscodec/detail/base64.hpp>

#include "helpers.hpp"

using namespace wscodec;
using namespace wscodec::detail;
using test::bytes;

namespace {

std::string encode(const bytes& in) {
    std::string out(base64_encoded_size(in.size()), '?');
    const std::size_t n = base64_encode(bytes_view(in), std::span<char>(out));
    CHECK(n == out.size());
    return out;
}

/// The decoded bytes, or the error with its position spelled "error@position".
std::string decode(std::string_view in) {
    bytes out(base64_decoded_max(in.size()));
    const base64_result r = base64_decode(in, mutable_bytes(out));
    if (!r) return std::string(base64_error_name(r.err)) + "@" + std::to_string(r.position);
    CHECK(r.size <= out.size());
    return std::string(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(r.size));
}

}  // namespace

TEST_CASE("base64 RFC 4648 §10: the test vectors encode and decode") {
    const std::pair<std::string_view, std::string_view> vectors[] = {
        {"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},         {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
    };
    for (const auto& vector : vectors) {
        const std::string_view plain = vector.first, coded = vector.second;
        CAPTURE(plain);
        CHECK(encode(test::b(plain)) == coded);
        CHECK(decode(coded) == plain);
        CHECK(base64_encoded_size(plain.size()) == coded.size());
    }
}

TEST_CASE("base64 RFC 4648 §4: every byte value, and every 6-bit value in every position") {
    bytes all(256);
    for (std::size_t i = 0; i < 256; ++i) all[i] = static_cast<std::uint8_t>(i);
    const std::string coded = encode(all);
    CHECK(coded.size() == 344);
    CHECK(coded.substr(0, 8) == "AAECAwQF");
    CHECK(coded.substr(coded.size() - 8) == "/P3+/w==");
    CHECK(decode(coded) == std::string(all.begin(), all.end()));
    // 0x00 0x10 0x83 0x10 0x51 0x87 ... spells the alphabet in order.
    std::string alphabet(base64_alphabet);
    CHECK(encode(test::b(decode(alphabet))) == alphabet);
}

TEST_CASE("base64: random data round-trips at every length 0..100") {
    std::mt19937 rng(4648);
    for (std::size_t n = 0; n <= 100; ++n) {
        for (int round = 0; round < 20; ++round) {
            bytes data(n);
            for (auto& x : data) x = static_cast<std::uint8_t>(rng());
            const std::string coded = encode(data);
            CAPTURE(coded);
            CHECK_EQ(coded.size(), (n + 2) / 3 * 4);
            CHECK(decode(coded) == std::string(data.begin(), data.end()));
        }
    }
}

TEST_CASE("base64 decode: the length must be a whole number of quanta") {
    CHECK(decode("Z") == "bad_length@0");
    CHECK(decode("Zg") == "bad_length@0");
    CHECK(decode("Zg=") == "bad_length@0");
    CHECK(decode("Zm9vY") == "bad_length@4");
    CHECK(decode("Zm9vYg") == "bad_length@4");
    CHECK(decode("Zm9vYmFyZ") == "bad_length@8");
    CHECK(decode("Zm9v!") == "bad_length@4");  // the length is judged first
}

TEST_CASE("base64 decode: characters outside the standard alphabet") {
    CHECK(decode("Zm9!") == "bad_character@3");
    CHECK(decode("!m9v") == "bad_character@0");
    CHECK(decode("Zm9vY-Fy") == "bad_character@5");  // base64url (§5) is another alphabet
    CHECK(decode("Zm9vY_Fy") == "bad_character@5");
    CHECK(decode("Zm9 Yg==") == "bad_character@3");
    CHECK(decode("Zm9v\r\nYg") == "bad_character@4");  // no line breaks (§3.1)
    CHECK(decode(std::string_view("Zm\0v", 4)) == "bad_character@2");
    CHECK(decode("Zm\x80v") == "bad_character@2");
    CHECK(decode("Z!==") == "bad_character@1");
    CHECK(decode("Zg!=") == "bad_character@2");
    // Every byte outside the alphabet, in every position of a quantum.
    std::size_t wrong = 0;
    for (int c = 0; c < 256; ++c) {
        const char ch = static_cast<char>(c);
        if (base64_alphabet.find(ch) != std::string_view::npos || ch == '=') continue;
        for (std::size_t at = 0; at < 8; ++at) {
            std::string s = "Zm9vYmFy";
            s[at] = ch;
            if (decode(s) != "bad_character@" + std::to_string(at)) ++wrong;
        }
    }
    CHECK(wrong == 0);
}

TEST_CASE("base64 decode: padding only as the last one or two characters") {
    CHECK(decode("====") == "bad_padding@0");
    CHECK(decode("Z===") == "bad_padding@1");
    CHECK(decode("=m9v") == "bad_padding@0");
    CHECK(decode("Zg=a") == "bad_padding@2");
    CHECK(decode("Z=g=") == "bad_padding@1");
    CHECK(decode("Zg==Zg==") == "bad_padding@2");
    CHECK(decode("Zm8=Zm9v") == "bad_padding@3");
    CHECK(decode("Zm9vYg==Zm9v") == "bad_padding@6");
}

TEST_CASE("base64 decode RFC 4648 §3.5: pad bits must be zero") {
    CHECK(decode("Zg==") == "f");
    CHECK(decode("Zh==") == "non_canonical@1");
    CHECK(decode("Zv==") == "non_canonical@1");
    CHECK(decode("Zm8=") == "fo");
    CHECK(decode("Zm9=") == "non_canonical@2");
    CHECK(decode("Zm9vYmFyZm9=") == "non_canonical@10");
    // Exhaustively over the final quantum: accepted exactly when the encoder would produce it.
    std::size_t wrong = 0;
    for (char a : base64_alphabet) {
        for (char b : base64_alphabet) {
            const std::string two = std::string{a, b, '=', '='};
            const bool canonical2 = (base64_values[static_cast<unsigned char>(b)] & 15) == 0;
            const std::string d2 = decode(two);
            if (canonical2 ? encode(test::b(d2)) != two : d2 != "non_canonical@1") ++wrong;
            for (char c : base64_alphabet) {
                const std::string three = std::string{a, b, c, '='};
                const bool canonical3 = (base64_values[static_cast<unsigned char>(c)] & 3) == 0;
                const std::string d3 = decode(three);
                if (canonical3 ? encode(test::b(d3)) != three : d3 != "non_canonical@2") ++wrong;
            }
        }
    }
    CHECK(wrong == 0);
}

TEST_CASE("base64 decode: the output span must hold the decoded bytes") {
    std::uint8_t out[6] = {};
    CHECK(base64_decode("Zm9vYmFy", mutable_bytes(out, 6)) == base64_result{base64_error::none, 6, 0});
    CHECK(base64_decode("Zm9vYmFy", mutable_bytes(out, 5)) == base64_result{base64_error::output_too_small, 0, 0});
    CHECK(base64_decode("Zm9vYg==", mutable_bytes(out, 4)) == base64_result{base64_error::none, 4, 0});
    CHECK(base64_decode("Zm9vYg==", mutable_bytes(out, 3)) == base64_result{base64_error::output_too_small, 0, 0});
    CHECK(base64_decode("Zm9vYmE=", mutable_bytes(out, 5)) == base64_result{base64_error::none, 5, 0});
    CHECK(base64_decode("", mutable_bytes()) == base64_result{base64_error::none, 0, 0});
    // A guard-page buffer of exactly the decoded size: nothing written past it.
    test::guarded g(test::b("......"));
    CHECK(base64_decode("Zm9vYmE=", g.span().subspan(1)).size == 5);
    CHECK(std::string(g.view().begin(), g.view().end()) == ".fooba");
}

TEST_CASE("base64 encode: the output span must hold the encoding") {
    char out[8] = {};
    CHECK(base64_encode(bytes_view(test::b("foobar")), std::span<char>(out, 7)) == 0);
    CHECK(std::string(out, 8) == std::string(8, '\0'));
    CHECK(base64_encode(bytes_view(test::b("foobar")), std::span<char>(out, 8)) == 8);
    CHECK(std::string(out, 8) == "Zm9vYmFy");
    CHECK(base64_encode(bytes_view(test::b("fo")), std::span<char>(out, 8)) == 4);
    CHECK(std::string(out, 8) == "Zm8=YmFy");
    CHECK(base64_encode(bytes_view(), std::span<char>()) == 0);
}

TEST_CASE("base64: constant evaluation") {
    constexpr auto round_trip = [] {
        const std::uint8_t in[5] = {'f', 'o', 'o', 'b', 'a'};
        char coded[8] = {};
        const std::size_t n = base64_encode(bytes_view(in, 5), std::span<char>(coded, 8));
        std::uint8_t back[6] = {};
        const base64_result r = base64_decode(std::string_view(coded, n), mutable_bytes(back, 6));
        return n == 8 && coded[6] == 'E' && coded[7] == '=' && r.size == 5 && back[4] == 'a';
    };
    static_assert(round_trip());
    static_assert(base64_decode("Zh==", mutable_bytes()).err == base64_error::output_too_small);
    CHECK(round_trip());
}
