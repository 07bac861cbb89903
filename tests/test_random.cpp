// SPDX-License-Identifier: MIT
// tests/test_random.cpp — wscodec/random.hpp: system_key_source draws from the
// operating system's source on each platform (getrandom on Linux,
// BCryptGenRandom on Windows, where the SDK's declaration must agree with the
// header's), two sources never share keys, and the bits look uniform (§5.3:
// the key must be unpredictable); seeded_key_source repeats per seed;
// no_key_source gives the zero key.
#include <doctest/doctest.h>

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>
#include <wscodec/random.hpp>

#ifdef _WIN32
#ifndef NOMINMAX
#define NOMINMAX
#endif
// After random.hpp on purpose: the SDK's declaration of BCryptGenRandom must
// be the same function as the header's, or this file does not compile.
#include <windows.h>
// <bcrypt.h> needs <windows.h> first.
#include <bcrypt.h>
static_assert(BCRYPT_USE_SYSTEM_PREFERRED_RNG == 0x2);
#endif

namespace {

using namespace wscodec;

/// The next `N` keys of `source`, as bytes.
template <std::size_t N, class Source>
std::array<std::uint8_t, 4 * N> draw(Source& source) {
    std::array<std::uint8_t, 4 * N> out{};
    for (std::size_t i = 0; i < N; ++i) {
        const mask_key k = source();
        for (std::size_t j = 0; j < 4; ++j) out[4 * i + j] = k[j];
    }
    return out;
}

}  // namespace

TEST_CASE("§5.3 system_key_source draws from this platform's system call") {
#if defined(__linux__)
    CHECK(std::string_view(detail::system_random_call) == "getrandom");
#elif defined(_WIN32)
    CHECK(std::string_view(detail::system_random_call) == "BCryptGenRandom");
    // The call random.hpp makes works here (STATUS_SUCCESS is 0).
    std::array<unsigned char, 32> direct{};
    CHECK(BCryptGenRandom(nullptr, direct.data(), static_cast<ULONG>(direct.size()), BCRYPT_USE_SYSTEM_PREFERRED_RNG) ==
          0);
#elif defined(__APPLE__) || defined(__FreeBSD__) || defined(__OpenBSD__) || defined(__NetBSD__)
    CHECK(std::string_view(detail::system_random_call) == "arc4random_buf");
#endif
    CHECK(sizeof(system_key_source) == 33u);  // a 32-byte pool and its read position
}

TEST_CASE("§5.3 two system_key_sources never hand out the same keys") {
    // A deterministic stand-in (an unseeded generator) would repeat its keys
    // in every source; 256 equal bits by chance are not going to happen.
    system_key_source a, b;
    const auto from_a = draw<8>(a), from_b = draw<8>(b);
    CHECK(from_a != from_b);
    // Each refill is new: the next pool differs from the first.
    CHECK(draw<8>(a) != from_a);
}

TEST_CASE("§5.3 system_key_source: the bits of many keys are about half ones") {
    // 32768 bits over 128 refills: the ones count of a fair source has a
    // standard deviation of about 91; the bounds are eleven of those away.
    system_key_source s;
    const auto bytes = draw<1024>(s);
    std::size_t ones = 0;
    for (const std::uint8_t byte : bytes) ones += static_cast<std::size_t>(std::popcount(byte));
    CHECK(ones > 16384u - 1000u);
    CHECK(ones < 16384u + 1000u);
}

TEST_CASE("seeded_key_source repeats the keys of its seed, at compile time too; no_key_source gives zeros") {
    seeded_key_source a(7), b(7), c(8);
    const auto from_a = draw<8>(a);
    CHECK(from_a == draw<8>(b));
    CHECK(from_a != draw<8>(c));
    constexpr mask_key first = [] {
        seeded_key_source s(7);
        return s();
    }();
    CHECK(first[0] == from_a[0]);
    CHECK(first[3] == from_a[3]);
    CHECK(no_key_source{}() == mask_key{});
    CHECK(std::is_empty_v<no_key_source>);
}
