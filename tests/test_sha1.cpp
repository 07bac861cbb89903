// SPDX-License-Identifier: MIT
// tests/test_sha1.cpp — wscodec/detail/sha1.hpp (over sha1_portable.hpp and
// sha1_shani.hpp): the FIPS 180 / NIST example vectors on every SHA-1 kernel;
// every length 0..200 of a pattern fed to the hasher in every split (whole,
// byte by byte, every 2-way split, chunks of every size; every 3-way split up
// to 130 bytes), the SHA extensions against the portable path and both
// against digests computed independently; reads stay inside guard-page
// buffers; constant evaluation.
#include <doctest/doctest.h>

#include <string>
#include <type_traits>
#include <utility>
#include <vector>
#include <wscodec/detail/sha1.hpp>

#include "helpers.hpp"

using namespace wscodec;
using namespace wscodec::detail;
using test::bytes;

namespace {

/// The portable kernel, then the SHA extensions where this CPU has them.
std::vector<sha1_kernel> sha1_kernels() {
    std::vector<sha1_kernel> out{sha1_kernel::portable};
    if (sha1_kernel_supported(sha1_kernel::sha_ni)) out.push_back(sha1_kernel::sha_ni);
    return out;
}

std::string hex_of(const sha1_digest& d) {
    std::string s = test::to_hex(d);
    std::erase(s, ' ');
    return s;
}

/// The test pattern: `n` bytes that repeat with no short period.
bytes pattern(std::size_t n) {
    bytes out(n);
    for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::uint8_t>(((i * 167 + 13) ^ (i >> 3)) & 255);
    return out;
}

/// `data` fed to a hasher on kernel `k` in pieces of the given sizes.
sha1_digest hash_in_parts(sha1_kernel k, bytes_view data, const std::vector<std::size_t>& parts) {
    sha1_hasher h(k);
    std::size_t at = 0;
    for (std::size_t len : parts) {
        h.update(data.subspan(at, len));
        at += len;
    }
    return h.final();
}

constexpr std::string_view abc = "abc";
constexpr std::string_view msg448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
constexpr std::string_view msg896 =
    "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";

}  // namespace

// FIPS 180-4 examples (NIST CSRC "SHA1.pdf", "SHA1 two block"), and the long
// message of FIPS 180-2 Appendix A.3.
TEST_CASE("sha1 FIPS 180: example messages on every kernel") {
    for (sha1_kernel k : sha1_kernels()) {
        CAPTURE(sha1_kernel_name(k));
        CHECK(hex_of(sha1("", k)) == "da39a3ee5e6b4b0d3255bfef95601890afd80709");
        CHECK(hex_of(sha1(abc, k)) == "a9993e364706816aba3e25717850c26c9cd0d89d");
        CHECK(hex_of(sha1(msg448, k)) == "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
        CHECK(hex_of(sha1(msg896, k)) == "a49b2446a02c645bf419f995b67091253a04a259");
    }
}

TEST_CASE("sha1 FIPS 180: one million 'a', whole, in 1000-byte updates and in odd updates") {
    const std::string million(1000000, 'a');
    const std::string_view m = million;
    for (sha1_kernel k : sha1_kernels()) {
        CAPTURE(sha1_kernel_name(k));
        CHECK(hex_of(sha1(m, k)) == "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
        sha1_hasher thousands(k);
        for (std::size_t i = 0; i < 1000; ++i) thousands.update(m.substr(0, 1000));
        CHECK(hex_of(thousands.final()) == "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
        sha1_hasher odd(k);
        for (std::size_t at = 0, step = 1; at < m.size(); at += step, step = step * 7 % 997 + 1)
            odd.update(m.substr(at, step));
        CHECK(hex_of(odd.final()) == "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
    }
}

TEST_CASE("sha1: lengths around the padding boundaries match independently computed digests") {
    const std::pair<std::size_t, const char*> known[] = {
        {55, "0cd7042542e45fb5dfdb0696100c0c4f3a3026dc"},  {56, "cc8b02ee6e5e35af1e03e26856b50de2d6160277"},
        {63, "d59482b6a86d303ea8813877037fc06cb365d546"},  {64, "b3d9115ca6a2626f67ce611c8e41b31f1adc9548"},
        {65, "c8d61fe8c22f4fbe698bee7a2b5fd8ede3ef283e"},  {119, "257a07ef4eb85d4df3b9868a93540db111c1c304"},
        {120, "f5bfe78243e4d5d69d94337ea438acf21f8c2e50"}, {200, "9649d8b2e5ea09666d17eb322664e26b348736c0"},
    };
    for (sha1_kernel k : sha1_kernels()) {
        CAPTURE(sha1_kernel_name(k));
        for (const auto& entry : known) {
            const std::size_t n = entry.first;
            CAPTURE(n);
            CHECK(hex_of(sha1(bytes_view(pattern(n)), k)) == entry.second);
        }
        // The digest of the 201 digests of lengths 0..200, computed with another implementation.
        sha1_hasher all(k);
        for (std::size_t n = 0; n <= 200; ++n) all.update(bytes_view(sha1(bytes_view(pattern(n)), k)));
        CHECK(hex_of(all.final()) == "5348cf23a709c7f8f355a2852f6d3a8e26e1e4fd");
    }
}

TEST_CASE("sha1: every length 0..200 in every split, the SHA extensions equal to the portable path") {
    const bytes full = pattern(200);
    std::size_t failed = 0;
    std::string first;
    for (std::size_t n = 0; n <= 200; ++n) {
        const bytes_view data = bytes_view(full).first(n);
        const sha1_digest want = sha1(data, sha1_kernel::portable);
        std::vector<std::vector<std::size_t>> parts = test::splits(n);
        if (n <= 130)
            for (std::size_t a = 0; a <= n; ++a)
                for (std::size_t b = 0; a + b <= n; ++b) parts.push_back({a, b, n - a - b});
        for (sha1_kernel k : sha1_kernels()) {
            for (const auto& p : parts) {
                if (hash_in_parts(k, data, p) != want && failed++ == 0)
                    first = std::string(sha1_kernel_name(k)) + " length " + std::to_string(n) + " in " +
                            std::to_string(p.size()) + " parts, first " + std::to_string(p.empty() ? 0 : p[0]);
            }
        }
    }
    INFO(first);
    CHECK(failed == 0);
}

TEST_CASE("sha1: guard-page buffers, every length 0..200: no kernel reads past the end") {
    for (std::size_t n = 0; n <= 200; ++n) {
        const bytes data = pattern(n);
        test::guarded g(data);
        const sha1_digest want = sha1(bytes_view(data), sha1_kernel::portable);
        for (sha1_kernel k : sha1_kernels()) {
            CAPTURE(n);
            CAPTURE(sha1_kernel_name(k));
            CHECK(sha1(g.view(), k) == want);
            // The tail handed over alone: the hasher takes it straight from the guarded buffer.
            sha1_hasher h(k);
            h.update(bytes_view(data).first(n % 64));
            h.update(g.view().subspan(n % 64));
            CHECK(h.final() == want);
        }
    }
}

TEST_CASE("sha1: a hasher restarts after final, and copies carry their state") {
    for (sha1_kernel k : sha1_kernels()) {
        CAPTURE(sha1_kernel_name(k));
        sha1_hasher h(k);
        h.update(msg896);
        const sha1_hasher prefix = h;
        CHECK(hex_of(h.final()) == "a49b2446a02c645bf419f995b67091253a04a259");
        CHECK(hex_of(h.update(abc).final()) == "a9993e364706816aba3e25717850c26c9cd0d89d");
        CHECK(hex_of(h.final()) == "da39a3ee5e6b4b0d3255bfef95601890afd80709");
        sha1_hasher copy = prefix;
        CHECK(copy.final() == sha1_hasher(prefix).final());
        CHECK(sha1_hasher(prefix).update(abc).final() == sha1(std::string(msg896) + "abc", k));
    }
}

TEST_CASE("sha1: kernel selection") {
    CHECK(sha1_hasher(sha1_kernel::portable).kernel() == sha1_kernel::portable);
    CHECK(sha1_hasher().kernel() != sha1_kernel::best);
    CHECK(sha1_hasher().kernel() == resolve_sha1_kernel(sha1_kernel::best));
    CHECK(resolve_sha1_kernel(sha1_kernel::sha_ni) ==
          (cpu_has_sha_ni() ? sha1_kernel::sha_ni : sha1_kernel::portable));
    CHECK(sha1_kernel_supported(sha1_kernel::portable));
    static_assert(sizeof(sha1_hasher) == 96);
    static_assert(std::is_trivially_copyable_v<sha1_hasher>);
    CHECK(std::string(sha1_kernel_name(sha1_kernel::sha_ni)) == "sha_ni");
#if !WSCODEC_X86
    CHECK_FALSE(cpu_has_sha_ni());
#endif
    MESSAGE("SHA-1 kernel in use: " << std::string(sha1_kernel_name(sha1_hasher().kernel())));
}

TEST_CASE("sha1: constant evaluation uses the portable path and agrees") {
    constexpr sha1_digest d = sha1(abc);
    static_assert(d[0] == 0xa9 && d[1] == 0x99 && d[18] == 0xd8 && d[19] == 0x9d);
    constexpr sha1_digest two_blocks = sha1(msg896);
    static_assert(two_blocks[0] == 0xa4 && two_blocks[19] == 0x59);
    static_assert(sha1_hasher(sha1_kernel::sha_ni).kernel() == sha1_kernel::portable);
    CHECK(d == sha1(abc));
    CHECK(two_blocks == sha1(msg896));
}
