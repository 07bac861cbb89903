// SPDX-License-Identifier: MIT
// bench/bench_memcpy.cpp — the yardstick: std::memcpy between two 64-byte-
// aligned buffers at every size the other benchmarks use, so that
// scripts/bench_report.py can state each result as a multiple of memcpy on
// the same machine in the same run. Keep `sizes` in step with bench_utf8.cpp
// and bench_mask.cpp. Beside it, std::memset of the same sizes: the store
// ceiling for data in L1. Unmasking in place stores every byte it reads, so
// receive/binary/16384 cannot beat memset/16384. (At 1 MiB, out of L1,
// memset measured below receive/binary: no ceiling there.) And two more
// limits of the same sizes: xor/<n>, an in-place XOR with a 4-byte key
// repeated (masking's own limit: every byte loaded, changed and stored), and
// read/<n>, an OR-reduction over every byte (the read-every-byte pass:
// validating UTF-8 cannot look at the bytes faster than that).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace {

constexpr std::array<std::size_t, 7> sizes = {16, 64, 125, 1024, 16384, 65536, 1048576};

/// `n` bytes at a 64-byte boundary inside an owned vector.
class aligned_block {
public:
    explicit aligned_block(std::size_t n) : storage_(n + 64) {
        const auto base = reinterpret_cast<std::uintptr_t>(storage_.data());
        data_ = storage_.data() + ((64 - (base & 63)) & 63);
    }

    std::uint8_t* data() noexcept { return data_; }

private:
    std::vector<std::uint8_t> storage_;
    std::uint8_t* data_;
};

void bm_memcpy(benchmark::State& state, std::size_t n) {
    aligned_block source(n);
    aligned_block target(n);
    for (std::size_t i = 0; i < n; ++i) source.data()[i] = static_cast<std::uint8_t>(i * 131 + (i >> 9));
    std::memset(target.data(), 0, n);
    std::uint8_t* dst = target.data();
    const std::uint8_t* src = source.data();
    std::size_t len = n;
    benchmark::DoNotOptimize(len);  // a run-time length, as the codec sees: no inlined fixed-size copy
    for (auto _ : state) {
        std::memcpy(dst, src, len);
        benchmark::ClobberMemory();
    }
    if (state.iterations() > 0 && std::memcmp(dst, src, n) != 0) state.SkipWithError("memcpy destination differs");
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(n));
}

/// Stores only: a new byte value over `n` bytes per iteration.
void bm_memset(benchmark::State& state, std::size_t n) {
    aligned_block target(n);
    std::uint8_t* dst = target.data();
    std::size_t len = n;
    benchmark::DoNotOptimize(len);
    std::uint8_t value = 0;
    for (auto _ : state) {
        ++value;
        std::memset(dst, value, len);
        benchmark::ClobberMemory();
    }
    const bool same = std::all_of(dst, dst + n, [=](std::uint8_t b) { return b == value; });
    if (state.iterations() > 0 && !same) state.SkipWithError("memset destination differs");
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(n));
}

// The limits are built for the widest vectors the CPU has, as the library's
// kernels are (chosen at run time): on x86-64 a clone for AVX-512, one for
// AVX2 and one for the baseline, picked when the program starts.
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define WSCODEC_BENCH_WIDEST __attribute__((target_clones("arch=x86-64-v4", "avx2", "default")))
#else
#define WSCODEC_BENCH_WIDEST
#endif

/// 64 bytes as one vector (GCC and Clang vector extensions: one register in
/// the AVX-512 clone, two in the AVX2 clone, four in the baseline). Only ever
/// a local variable, loaded and stored with memcpy: never passed to a
/// function, whose ABI would depend on the clone.
using vec64 = std::uint64_t __attribute__((vector_size(64)));

/// In place, with the 4-byte key repeated: 256 bytes per step as four
/// independent 64-byte XORs, then 64-byte blocks, 8-byte words, bytes. The
/// limit for unmasking.
WSCODEC_BENCH_WIDEST void xor_in_place(std::uint8_t* p, std::size_t n, const std::uint8_t* key64) noexcept {
    vec64 k;
    std::memcpy(&k, key64, 64);
    std::size_t i = 0;
    for (; i + 256 <= n; i += 256) {
        vec64 v0, v1, v2, v3;  // four loads of 64 (one copy of 256 would go through the stack)
        std::memcpy(&v0, p + i, 64);
        std::memcpy(&v1, p + i + 64, 64);
        std::memcpy(&v2, p + i + 128, 64);
        std::memcpy(&v3, p + i + 192, 64);
        v0 ^= k;
        v1 ^= k;
        v2 ^= k;
        v3 ^= k;
        std::memcpy(p + i, &v0, 64);
        std::memcpy(p + i + 64, &v1, 64);
        std::memcpy(p + i + 128, &v2, 64);
        std::memcpy(p + i + 192, &v3, 64);
    }
    for (; i + 64 <= n; i += 64) {
        vec64 v;
        std::memcpy(&v, p + i, 64);
        v ^= k;
        std::memcpy(p + i, &v, 64);
    }
    std::uint64_t k8;  // the key twice: i stays a multiple of 4, the key's phase 0
    std::memcpy(&k8, key64, 8);
    for (; i + 8 <= n; i += 8) {
        std::uint64_t w;
        std::memcpy(&w, p + i, 8);
        w ^= k8;
        std::memcpy(p + i, &w, 8);
    }
    for (; i < n; ++i) p[i] = static_cast<std::uint8_t>(p[i] ^ key64[i & 63]);
}

/// Every byte ORed into one: 256 bytes per step into four independent
/// accumulators, then 64-byte blocks, 8-byte words, bytes. The limit for a
/// pass that must look at every byte.
WSCODEC_BENCH_WIDEST std::uint8_t or_of(const std::uint8_t* p, std::size_t n) noexcept {
    vec64 a[4] = {};
    std::size_t i = 0;
    for (; i + 256 <= n; i += 256) {
        vec64 v0, v1, v2, v3;  // four loads of 64 (one copy of 256 would go through the stack)
        std::memcpy(&v0, p + i, 64);
        std::memcpy(&v1, p + i + 64, 64);
        std::memcpy(&v2, p + i + 128, 64);
        std::memcpy(&v3, p + i + 192, 64);
        a[0] |= v0;
        a[1] |= v1;
        a[2] |= v2;
        a[3] |= v3;
    }
    for (; i + 64 <= n; i += 64) {
        vec64 v;
        std::memcpy(&v, p + i, 64);
        a[0] |= v;
    }
    const vec64 all = a[0] | a[1] | a[2] | a[3];
    std::uint64_t acc = 0;
    for (int w = 0; w < 8; ++w) acc |= all[w];
    for (; i + 8 <= n; i += 8) {
        std::uint64_t w;
        std::memcpy(&w, p + i, 8);
        acc |= w;
    }
    for (; i < n; ++i) acc |= p[i];
    std::uint8_t folded = 0;
    for (int s = 0; s < 8; ++s) folded = static_cast<std::uint8_t>(folded | (acc >> (8 * s)));
    return folded;
}

void bm_xor(benchmark::State& state, std::size_t n) {
    aligned_block data(n);
    std::vector<std::uint8_t> original(n);
    for (std::size_t i = 0; i < n; ++i) original[i] = data.data()[i] = static_cast<std::uint8_t>(i * 131 + (i >> 9));
    std::uint8_t key64[64];  // the key 37 fa 21 3d, sixteen times
    for (std::size_t i = 0; i < 64; ++i) key64[i] = std::array<std::uint8_t, 4>{0x37, 0xfa, 0x21, 0x3d}[i & 3];
    std::uint8_t* p = data.data();
    std::size_t len = n;
    benchmark::DoNotOptimize(len);
    for (auto _ : state) {
        xor_in_place(p, len, key64);
        benchmark::ClobberMemory();
    }
    // An even number of passes gives the original back, an odd number the masked bytes.
    if ((state.iterations() & 1) != 0) xor_in_place(p, n, key64);
    if (state.iterations() > 0 && std::memcmp(p, original.data(), n) != 0) state.SkipWithError("xor result differs");
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(n));
}

/// Loads only: every byte ORed into one value, the result checked.
void bm_read(benchmark::State& state, std::size_t n) {
    aligned_block data(n);
    std::uint8_t expected = 0;
    for (std::size_t i = 0; i < n; ++i) {
        data.data()[i] = static_cast<std::uint8_t>(1u << (i % 7));  // bit 7 never set: ASCII, as text would be
        expected = static_cast<std::uint8_t>(expected | data.data()[i]);
    }
    const std::uint8_t* p = data.data();
    std::size_t len = n;
    benchmark::DoNotOptimize(len);
    std::uint64_t wrong = 0;
    for (auto _ : state) {
        const std::uint8_t acc = or_of(p, len);
        wrong += acc != expected;
        benchmark::DoNotOptimize(acc);
    }
    if (wrong != 0) state.SkipWithError("OR of the bytes differs");
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(n));
}

[[maybe_unused]] const bool registered = [] {
    for (std::size_t n : sizes) {
        benchmark::RegisterBenchmark(("memcpy/" + std::to_string(n)).c_str(),
                                     [=](benchmark::State& state) { bm_memcpy(state, n); });
        benchmark::RegisterBenchmark(("memset/" + std::to_string(n)).c_str(),
                                     [=](benchmark::State& state) { bm_memset(state, n); });
        benchmark::RegisterBenchmark(("xor/" + std::to_string(n)).c_str(),
                                     [=](benchmark::State& state) { bm_xor(state, n); });
        benchmark::RegisterBenchmark(("read/" + std::to_string(n)).c_str(),
                                     [=](benchmark::State& state) { bm_read(state, n); });
    }
    return true;
}();

}  // namespace
