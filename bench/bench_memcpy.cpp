// SPDX-License-Identifier: MIT
// bench/bench_memcpy.cpp — the yardstick: std::memcpy between two 64-byte-
// aligned buffers at every size the other benchmarks use, so that
// scripts/bench_report.py can state each result as a multiple of memcpy on
// the same machine in the same run. Keep `sizes` in step with bench_utf8.cpp
// and bench_mask.cpp. Beside it, std::memset of the same sizes: the store
// ceiling for data in L1. Unmasking in place stores every byte it reads, so
// receive/binary/16384 cannot beat memset/16384. (At 1 MiB, out of L1,
// memset measured below receive/binary: no ceiling there.)
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

[[maybe_unused]] const bool registered = [] {
    for (std::size_t n : sizes) {
        benchmark::RegisterBenchmark(("memcpy/" + std::to_string(n)).c_str(),
                                     [=](benchmark::State& state) { bm_memcpy(state, n); });
        benchmark::RegisterBenchmark(("memset/" + std::to_string(n)).c_str(),
                                     [=](benchmark::State& state) { bm_memset(state, n); });
    }
    return true;
}();

}  // namespace
