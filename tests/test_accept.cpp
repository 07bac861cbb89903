// SPDX-License-Identifier: MIT
// tests/test_accept.cpp — wscodec/accept.hpp: RFC 6455's |Sec-WebSocket-Accept|
// example (§1.3, §4.2.2), further keys checked against an independent
// SHA-1/base64, compute_accept against SHA-1 and base64 composed by hand on
// each SHA-1 kernel, and is_valid_key on valid and invalid keys (§4.1 step 7,
// §4.2.1 item 5).
#include <doctest/doctest.h>

#include <random>
#include <string>
#include <wscodec/accept.hpp>

#include "helpers.hpp"

using namespace wscodec;
using test::bytes;

namespace {

std::string accept_of(std::string_view key) {
    const std::array<char, 28> a = compute_accept(key);
    return std::string(a.begin(), a.end());
}

/// base64(SHA-1(key + GUID)) composed from the detail layer on kernel `k`.
std::string composed_accept(std::string_view key, detail::sha1_kernel k) {
    const detail::sha1_digest d = detail::sha1(std::string(key) + std::string(websocket_guid), k);
    char out[28] = {};
    CHECK(detail::base64_encode(bytes_view(d), std::span<char>(out)) == 28);
    return std::string(out, 28);
}

/// The base64 of `nonce` (any length), as a client would send it.
std::string key_of(const bytes& nonce) {
    std::string out(detail::base64_encoded_size(nonce.size()), '?');
    (void)detail::base64_encode(bytes_view(nonce), std::span<char>(out));
    return out;
}

}  // namespace

TEST_CASE("accept §1.3 §4.2.2: the RFC's example key") {
    CHECK(websocket_guid == "258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
    CHECK(accept_of("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    // The SHA-1 the RFC spells out byte by byte.
    const detail::sha1_digest d = detail::sha1(std::string("dGhlIHNhbXBsZSBub25jZQ==") + std::string(websocket_guid));
    CHECK(test::to_hex(d) == "b3 7a 4f 2c c0 62 4f 16 90 f6 46 06 cf 38 59 45 b2 be c4 ea");
}

TEST_CASE("accept §4.2.2: keys checked against another implementation") {
    CHECK(accept_of("x3JJHMbDL1EzLkh9GBhXDw==") == "HSmrc0sMlYUkAGmm5OPpG2HaGWk=");
    CHECK(accept_of("AQIDBAUGBwgJCgsMDQ4PEA==") == "C/0nmHhBztSRGR1CwL6Tf4ZjwpY=");
    CHECK(accept_of("AAAAAAAAAAAAAAAAAAAAAA==") == "ICX+Yqv66kxgM0FcWaLWlFLwTAI=");
    // The key is hashed as given, whatever it is: validation is the caller's step.
    CHECK(accept_of("") == "Kfh9QIsMVZcl6xEPYxPHzW8SZ8w=");
    CHECK(accept_of(std::string(100, 'k')) == "rWzVOVhJgr+k5nChyKqRW0+OIwk=");
}

TEST_CASE("accept §4.2.2: compute_accept equals base64(SHA-1(key + GUID)) on every SHA-1 kernel") {
    std::mt19937 rng(6455);
    for (std::size_t len = 0; len <= 140; ++len) {
        std::string key(len, '?');
        for (auto& c : key) c = static_cast<char>(rng());
        CAPTURE(len);
        const std::string got = accept_of(key);
        CHECK(got == composed_accept(key, detail::sha1_kernel::portable));
        if (detail::sha1_kernel_supported(detail::sha1_kernel::sha_ni))
            CHECK(got == composed_accept(key, detail::sha1_kernel::sha_ni));
    }
}

TEST_CASE("accept: constant evaluation gives the RFC's example") {
    constexpr std::array<char, 28> a = compute_accept("dGhlIHNhbXBsZSBub25jZQ==");
    static_assert(std::string_view(a.data(), a.size()) == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    static_assert(is_valid_key("dGhlIHNhbXBsZSBub25jZQ=="));
    static_assert(!is_valid_key("dGhlIHNhbXBsZSBub25jZR="));
    static_assert(is_valid_key("AQIDBAUGBwgJCgsMDQ4PEC=="));  // RFC 6455 §4.1's example: non-zero pad bits
    CHECK(std::string(a.begin(), a.end()) == accept_of("dGhlIHNhbXBsZSBub25jZQ=="));
}

TEST_CASE("is_valid_key §4.1 §4.2.1: base64 of 16 bytes is valid") {
    CHECK(is_valid_key("dGhlIHNhbXBsZSBub25jZQ=="));
    CHECK(is_valid_key("x3JJHMbDL1EzLkh9GBhXDw=="));
    CHECK(is_valid_key("AAAAAAAAAAAAAAAAAAAAAA=="));
    CHECK(is_valid_key("/////////////////////w=="));
    CHECK(is_valid_key("+++++++++++++++++++++w=="));
    CHECK(is_valid_key("AQIDBAUGBwgJCgsMDQ4PEA=="));
    std::mt19937 rng(16);
    for (int round = 0; round < 1000; ++round) {
        bytes nonce(16);
        for (auto& x : nonce) x = static_cast<std::uint8_t>(rng());
        const std::string key = key_of(nonce);
        CAPTURE(key);
        CHECK(is_valid_key(key));
    }
}

TEST_CASE("is_valid_key §4.2.1: wrong length, payload size, characters or padding is invalid") {
    // Length.
    CHECK_FALSE(is_valid_key(""));
    CHECK_FALSE(is_valid_key("dGhlIHNhbXBsZSBub25jZQ="));    // 23
    CHECK_FALSE(is_valid_key("dGhlIHNhbXBsZSBub25jZQ==="));  // 25
    CHECK_FALSE(is_valid_key("dGhlIHNhbXBsZSBub25jZQ"));     // unpadded
    CHECK_FALSE(is_valid_key(" dGhlIHNhbXBsZSBub25jZQ=="));  // whitespace is the header parser's to strip
    CHECK_FALSE(is_valid_key("dGhlIHNhbXBsZSBub25jZQ== "));
    // The decoded size must be exactly 16.
    CHECK_FALSE(is_valid_key(key_of(bytes(15, 0x41))));     // 20 characters
    CHECK_FALSE(is_valid_key(key_of(bytes(15, 0x41)) + "AAAA"));  // 24 characters, 18 bytes
    CHECK_FALSE(is_valid_key(key_of(bytes(17, 0x41))));     // 24 characters, one '='
    CHECK_FALSE(is_valid_key(key_of(bytes(18, 0x41))));     // 24 characters, no '='
    CHECK_FALSE(is_valid_key(key_of(bytes(20, 0x41))));     // 28 characters
    CHECK(key_of(bytes(17, 0x41)).size() == 24);
    CHECK(key_of(bytes(18, 0x41)).size() == 24);
    // Characters and padding.
    CHECK_FALSE(is_valid_key("dGhlIHNhbXBsZSBub25jZQ!="));
    CHECK_FALSE(is_valid_key("dGhlIHNhbXBsZSBub25jZ-=="));  // base64url
    CHECK_FALSE(is_valid_key("dGhlIHNhbXBsZSBub25j_Q=="));
    CHECK_FALSE(is_valid_key("dGhlIHNhbXBsZSB\tb25jZQ=="));
    CHECK_FALSE(is_valid_key("dGhlIHNhbXBsZSBub25jZQ=A"));
    CHECK_FALSE(is_valid_key("dGhlIHNhbXBsZSBub25j===="));
    CHECK_FALSE(is_valid_key("dGhlIHNh=XBsZSBub25jZQ=="));
    CHECK_FALSE(is_valid_key(std::string_view("dGhlIHNhbXBsZSBub25jZQ=\0", 24)));
}

TEST_CASE("is_valid_key §4.1: the pad bits of the last character are not checked (the RFC's own example sets them)") {
    // §4.1's example nonce 01 02 .. 10 is printed as "AQIDBAUGBwgJCgsMDQ4PEC==": 'C' leaves a pad bit set
    // (RFC 4648 §3.5); the canonical spelling ends in "EA==". Both are accepted, as Python websockets and
    // Node ws accept them: the key is hashed as sent, never decoded.
    CHECK(is_valid_key("AQIDBAUGBwgJCgsMDQ4PEC=="));
    CHECK(is_valid_key("AQIDBAUGBwgJCgsMDQ4PEA=="));
    CHECK(key_of(test::hex("01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 10")) == "AQIDBAUGBwgJCgsMDQ4PEA==");
    // Every alphabet character is accepted in the last position; '=' and others are not.
    std::size_t valid = 0;
    for (char c : detail::base64_alphabet) {
        std::string key = "dGhlIHNhbXBsZSBub25jZQ==";
        key[21] = c;
        if (is_valid_key(key)) ++valid;
    }
    CHECK(valid == 64);
    CHECK_FALSE(is_valid_key("dGhlIHNhbXBsZSBub25jZ===="));
    CHECK_FALSE(is_valid_key("dGhlIHNhbXBsZSBub25jZ.=="));
}
