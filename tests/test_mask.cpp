// SPDX-License-Identifier: MIT
// tests/test_mask.cpp — wscodec/mask.hpp: masking (RFC 6455 §5.3) on every
// kernel against the byte-at-a-time reference, at every length 0..300, key
// phase and alignment; unmasking chunk by chunk with the phase carried; the
// §5.7 "Hello" example as golden bytes.
#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>
#include <wscodec/mask.hpp>

#include "helpers.hpp"

using namespace wscodec;
using test::bytes;

namespace {

void fill_random(std::mt19937& rng, std::uint8_t* p, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<std::uint8_t>(rng());
}

bytes random_bytes(std::mt19937& rng, std::size_t n) {
    bytes out(n);
    fill_random(rng, out.data(), n);
    return out;
}

mask_key random_key(std::mt19937& rng) {
    const auto r = static_cast<std::uint32_t>(rng());
    return {static_cast<std::uint8_t>(r), static_cast<std::uint8_t>(r >> 8), static_cast<std::uint8_t>(r >> 16),
            static_cast<std::uint8_t>(r >> 24)};
}

/// `data` XOR `key` from key[phase % 4], by the reference.
bytes masked(bytes data, const mask_key& key, std::size_t phase) {
    apply_mask_reference(data, key, phase);
    return data;
}

/// Counts failures over many cases and keeps the first for the report.
struct tally {
    std::size_t checked = 0;
    std::size_t failed = 0;
    std::string first;

    /// `what` is a callable giving the description, built only on failure.
    template <class F>
    void add(bool ok, F what) {
        ++checked;
        if (!ok && failed++ == 0) first = what();
    }
};

std::string where(kernel k, std::size_t len, std::size_t phase, std::size_t off) {
    return std::string(kernel_name(k)) + " len " + std::to_string(len) + " phase " + std::to_string(phase) +
           " offset " + std::to_string(off);
}

}  // namespace

TEST_CASE("mask §5.7: the masked \"Hello\" frame unmasks to \"Hello\"") {
    // A single-frame masked text message: FIN + text, MASK + length 5,
    // masking key 37 fa 21 3d, masked payload 7f 9f 4d 51 58.
    const bytes frame = test::hex("81 85 37 fa 21 3d 7f 9f 4d 51 58");
    const mask_key key{frame[2], frame[3], frame[4], frame[5]};
    CHECK(key == mask_key{0x37, 0xfa, 0x21, 0x3d});
    const bytes wire(frame.begin() + 6, frame.end());
    CHECK(wire == test::hex("7f 9f 4d 51 58"));
    const bytes hello = test::b("Hello");

    bytes ref = wire;
    CHECK(apply_mask_reference(ref, key) == 1);
    CHECK(ref == hello);
    for (const kernel k : test::kernels()) {
        CAPTURE(kernel_name(k));
        bytes payload = wire;
        CHECK(apply_mask(payload, key, 0, k) == 1);
        CHECK(payload == hello);
        bytes back = hello;  // and the other direction: "Hello" masks to the wire bytes
        CHECK(apply_mask(back, key, 0, k) == 1);
        CHECK(back == wire);
        bytes out(5);
        CHECK(apply_mask_copy(out, wire, key, 0, k) == 1);
        CHECK(out == hello);
        // Byte by byte, the phase carried from each call to the next.
        bytes each = wire;
        std::size_t phase = 0;
        for (std::size_t i = 0; i < each.size(); ++i)
            phase = apply_mask(mutable_bytes(each).subspan(i, 1), key, phase, k);
        CHECK(phase == 1);
        CHECK(each == hello);
    }
}

TEST_CASE("mask §5.3: every kernel equals the reference for every length 0..300, phase 0..7 and offset 0..35") {
    std::mt19937 rng(53);
    constexpr std::size_t max_len = 300, max_off = 36, slack = 8;
    bytes src(max_off + max_len + slack), dst(max_off + max_len + slack);
    for (const kernel k : test::kernels()) {
        CAPTURE(kernel_name(k));
        tally t;
        for (std::size_t len = 0; len <= max_len; ++len) {
            fill_random(rng, src.data(), src.size());
            fill_random(rng, dst.data(), dst.size());
            for (std::size_t phase = 0; phase < 8; ++phase) {  // phases above 3 are taken mod 4
                for (std::size_t off = 0; off < max_off; ++off) {
                    const mask_key key = random_key(rng);
                    const std::size_t next = (phase % 4 + len) % 4;
                    const auto w = [&] { return where(k, len, phase, off); };

                    // In place: the span is masked, the bytes around it are not.
                    bytes want = src;
                    apply_mask_reference(mutable_bytes(want).subspan(off, len), key, phase);
                    bytes work = src;
                    const std::size_t got = apply_mask(mutable_bytes(work).subspan(off, len), key, phase, k);
                    t.add(got == next, [&] { return w() + ": apply_mask returned phase " + std::to_string(got); });
                    t.add(work == want, [&] { return w() + ": apply_mask bytes"; });

                    // Copy to another alignment, into a dst longer than src:
                    // only src.size() bytes are written.
                    const std::size_t doff = (off * 7 + 5) % max_off;
                    const std::size_t extra = off % 4;
                    bytes want_dst = dst;
                    std::copy_n(want.begin() + static_cast<std::ptrdiff_t>(off), len,
                                want_dst.begin() + static_cast<std::ptrdiff_t>(doff));
                    bytes out = dst;
                    const bytes src_before = src;
                    const std::size_t got_copy = apply_mask_copy(mutable_bytes(out).subspan(doff, len + extra),
                                                                 bytes_view(src).subspan(off, len), key, phase, k);
                    t.add(got_copy == next,
                          [&] { return w() + ": apply_mask_copy returned phase " + std::to_string(got_copy); });
                    t.add(out == want_dst, [&] { return w() + ": apply_mask_copy bytes"; });
                    t.add(src == src_before, [&] { return w() + ": apply_mask_copy changed its source"; });

                    // Copy onto itself (dst aliases src exactly).
                    bytes same = src;
                    const std::size_t got_alias = apply_mask_copy(mutable_bytes(same).subspan(off, len),
                                                                  bytes_view(same).subspan(off, len), key, phase, k);
                    t.add(got_alias == next && same == want, [&] { return w() + ": apply_mask_copy in place"; });
                }
            }
        }
        INFO(t.first);
        CHECK(t.failed == 0);
        CHECK(t.checked == 301 * 8 * 36 * 6);
    }
}

TEST_CASE("mask: phase is taken mod 4 whatever its value") {
    std::mt19937 rng(4);
    const mask_key key = random_key(rng);
    const bytes data = random_bytes(rng, 77);
    for (const kernel k : test::kernels()) {
        CAPTURE(kernel_name(k));
        for (const std::size_t phase : {std::size_t{4}, std::size_t{5}, std::size_t{1023}, std::size_t{1} << 40,
                                        ~std::size_t{0}, ~std::size_t{0} - 2}) {
            CAPTURE(phase);
            bytes a = data, b = data, c(data.size());
            CHECK(apply_mask(a, key, phase, k) == (phase % 4 + data.size()) % 4);
            CHECK(apply_mask(b, key, phase % 4, k) == (phase % 4 + data.size()) % 4);
            CHECK(a == b);
            CHECK(a == masked(data, key, phase % 4));
            CHECK(apply_mask_copy(c, data, key, phase, k) == (phase % 4 + data.size()) % 4);
            CHECK(c == a);
        }
    }
}

TEST_CASE("mask: unmasking chunk by chunk with the phase carried equals unmasking at once") {
    std::mt19937 rng(17);
    const auto ks = test::kernels();
    for (const std::size_t len : {0u,  1u,  2u,  3u,  4u,  5u,  7u,   8u,   15u,  16u,  17u, 31u,
                                  32u, 33u, 63u, 64u, 65u, 70u, 127u, 128u, 129u, 200u, 300u}) {
        CAPTURE(len);
        const mask_key key = random_key(rng);
        const bytes data = random_bytes(rng, len);
        for (const kernel k : ks) {
            CAPTURE(kernel_name(k));
            tally t;
            for (std::size_t phase = 0; phase < 4; ++phase) {
                const bytes want = masked(data, key, phase);
                // Every split into two, in place and by copy.
                for (std::size_t cut = 0; cut <= len; ++cut) {
                    bytes work = data;
                    std::size_t ph = apply_mask(mutable_bytes(work).first(cut), key, phase, k);
                    ph = apply_mask(mutable_bytes(work).subspan(cut), key, ph, k);
                    t.add(work == want && ph == (phase + len) % 4,
                          [&] { return where(k, len, phase, cut) + ": split in place"; });
                    bytes out(len);
                    ph = apply_mask_copy(mutable_bytes(out).first(cut), bytes_view(data).first(cut), key, phase, k);
                    ph = apply_mask_copy(mutable_bytes(out).subspan(cut), bytes_view(data).subspan(cut), key, ph, k);
                    t.add(out == want && ph == (phase + len) % 4,
                          [&] { return where(k, len, phase, cut) + ": split copy"; });
                }
                // Whole, byte by byte and chunks of every size, with each chunk
                // unmasked by a different kernel in turn.
                for (const auto& parts : test::splits(len)) {
                    bytes work = data;
                    std::size_t ph = phase, at = 0, turn = 0;
                    for (const std::size_t n : parts) {
                        ph = apply_mask(mutable_bytes(work).subspan(at, n), key, ph, ks[(turn++) % ks.size()]);
                        at += n;
                    }
                    t.add(work == want && ph == (phase + len) % 4,
                          [&] { return where(k, len, phase, parts.size()) + ": chunks"; });
                }
            }
            INFO(t.first);
            CHECK(t.failed == 0);
        }
    }
}

TEST_CASE("mask: masking twice is the identity, across kernels too") {
    std::mt19937 rng(2);
    const auto ks = test::kernels();
    for (std::size_t len = 0; len <= 300; ++len) {
        const bytes data = random_bytes(rng, len);
        const mask_key key = random_key(rng);
        const std::size_t phase = rng() % 4;
        for (const kernel a : ks) {
            for (const kernel b : ks) {
                bytes work = data;
                (void)apply_mask(work, key, phase, a);
                if (len >= 4 && key != mask_key{}) CHECK(work != data);
                (void)apply_mask(work, key, phase, b);
                CAPTURE(len);
                CAPTURE(kernel_name(a));
                CAPTURE(kernel_name(b));
                CHECK(work == data);
            }
        }
    }
    // The zero key changes nothing.
    for (const kernel k : ks) {
        bytes work = random_bytes(rng, 100);
        const bytes before = work;
        CHECK(apply_mask(work, mask_key{}, 3, k) == 3);
        CHECK(work == before);
    }
}

TEST_CASE("mask: guarded buffers, every length 0..300: no kernel touches a byte past the end") {
    std::mt19937 rng(9);
    for (const kernel k : test::kernels()) {
        CAPTURE(kernel_name(k));
        tally t;
        for (std::size_t len = 0; len <= 300; ++len) {
            const bytes data = random_bytes(rng, len);
            const mask_key key = random_key(rng);
            for (std::size_t phase = 0; phase < 4; ++phase) {
                const bytes want = masked(data, key, phase);
                test::guarded in_place(data);
                const std::size_t ph = apply_mask(in_place.span(), key, phase, k);
                t.add(ph == (phase + len) % 4 && std::equal(want.begin(), want.end(), in_place.view().begin()),
                      [&] { return where(k, len, phase, 0) + ": in place"; });
                test::guarded src(data);
                const bytes zeros(len);
                test::guarded dst(zeros);
                const std::size_t ph_copy = apply_mask_copy(dst.span(), src.view(), key, phase, k);
                t.add(ph_copy == (phase + len) % 4 && std::equal(want.begin(), want.end(), dst.view().begin()),
                      [&] { return where(k, len, phase, 0) + ": copy"; });
            }
        }
        INFO(t.first);
        CHECK(t.failed == 0);
    }
}

TEST_CASE("mask: the inline short path (small frames) equals the reference at every length 0..300 and key phase, "
          "touching no byte outside the payload") {
    std::mt19937 rng(31);
    tally t;
    for (std::size_t len = 0; len <= 300; ++len) {
        const bytes data = random_bytes(rng, len);
        const mask_key key = random_key(rng);
        for (std::size_t phase = 0; phase < 4; ++phase) {
            const bytes want = masked(data, key, phase);
            // A guard page after the payload, and a sentinel byte before it.
            bytes framed(len + 1, 0x5A);
            std::copy(data.begin(), data.end(), framed.begin() + 1);
            test::guarded g(framed);
            detail::mask_short(g.span().data() + 1, len, detail::rotated_key(key.data(), phase));
            t.add(g.view()[0] == 0x5A && std::equal(want.begin(), want.end(), g.view().begin() + 1),
                  [&] { return "len " + std::to_string(len) + " phase " + std::to_string(phase); });
        }
    }
    INFO(t.first);
    CHECK(t.failed == 0);
}

TEST_CASE("mask: a 1 MiB payload on every kernel, whole and in chunks") {
    std::mt19937 rng(20);
    constexpr std::size_t size = std::size_t{1} << 20;
    const bytes data = random_bytes(rng, size + 64);
    const mask_key key = random_key(rng);
    for (const kernel k : test::kernels()) {
        CAPTURE(kernel_name(k));
        for (const std::size_t off : {0u, 1u, 3u, 31u}) {
            for (std::size_t phase = 0; phase < 4; ++phase) {
                CAPTURE(off);
                CAPTURE(phase);
                const bytes_view src = bytes_view(data).subspan(off, size);
                bytes want(src.begin(), src.end());
                apply_mask_reference(want, key, phase);

                bytes work = data;
                CHECK(apply_mask(mutable_bytes(work).subspan(off, size), key, phase, k) == phase);
                CHECK(std::equal(want.begin(), want.end(), work.begin() + static_cast<std::ptrdiff_t>(off)));
                CHECK(std::equal(data.begin(), data.begin() + static_cast<std::ptrdiff_t>(off), work.begin()));

                bytes out(size);
                CHECK(apply_mask_copy(out, src, key, phase, k) == phase);
                CHECK(out == want);

                // Odd-sized chunks, the phase carried.
                bytes chunked(src.begin(), src.end());
                std::size_t ph = phase;
                for (std::size_t at = 0; at < size; at += 4093)
                    ph = apply_mask(mutable_bytes(chunked).subspan(at, std::min<std::size_t>(4093, size - at)), key, ph,
                                    k);
                CHECK(ph == phase);
                CHECK(chunked == want);
            }
        }
    }
}

TEST_CASE("apply_mask_copy: a destination shorter than the source gets only what fits") {
    const wscodec::mask_key key{0x37, 0xfa, 0x21, 0x3d};
    const std::vector<std::uint8_t> src = test::b("Hello");
    for (auto k : test::kernels()) {
        std::vector<std::uint8_t> out(3, 0xEE);
        CHECK(wscodec::apply_mask_copy(wscodec::mutable_bytes(out), wscodec::bytes_view(src), key, 1, k) == 0);
        CHECK(out == test::b({'H' ^ 0xfa, 'e' ^ 0x21, 'l' ^ 0x3d}));
    }
}
