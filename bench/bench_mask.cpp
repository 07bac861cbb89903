// SPDX-License-Identifier: MIT
// bench/bench_mask.cpp — throughput of WebSocket masking (wscodec/mask.hpp,
// RFC 6455 §5.3): apply_mask in place over a 64-byte-aligned payload, from the
// tiny control-frame sizes to 1 MiB, with kernel::best and every kernel this
// CPU supports; plus an unaligned payload at an odd key phase (as when the
// payload follows a frame header in a receive buffer) and apply_mask_copy
// (the client send path). Each run checks its result against the byte-at-a-
// time reference and that masking twice restores the payload.
#include <benchmark/benchmark.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>
#include <wscodec/mask.hpp>

namespace {

using wscodec::kernel;

constexpr std::array<std::size_t, 5> sizes = {16, 125, 1024, 65536, 1048576};
constexpr std::array<kernel, 5> explicit_kernels = {kernel::scalar, kernel::sse41, kernel::avx2, kernel::avx512, kernel::neon};
constexpr wscodec::mask_key key = {0x37, 0xFA, 0x21, 0x3D};

/// `n` bytes starting `offset` bytes past a 64-byte boundary, filled with a
/// deterministic pseudo-random pattern.
class payload_buffer {
public:
    payload_buffer(std::size_t n, std::size_t offset, std::uint64_t seed) : storage_(n + offset + 64), size_(n) {
        const auto base = reinterpret_cast<std::uintptr_t>(storage_.data());
        data_ = storage_.data() + ((64 - (base & 63)) & 63) + offset;
        std::uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
        for (std::size_t i = 0; i < n; ++i) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            data_[i] = static_cast<std::uint8_t>(x >> 24);
        }
    }

    std::uint8_t* data() noexcept { return data_; }
    wscodec::mutable_bytes span() noexcept { return {data_, size_}; }
    std::vector<std::uint8_t> copy() const { return {data_, data_ + size_}; }

private:
    std::vector<std::uint8_t> storage_;
    std::uint8_t* data_;
    std::size_t size_;
};

/// Xor-fold of the bytes, word by word: a cheap fingerprint of a masked payload.
std::uint64_t checksum(const std::uint8_t* p, std::size_t n) noexcept {
    std::uint64_t sum = 0;
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        std::uint64_t w;
        std::memcpy(&w, p + i, 8);
        sum ^= w * 0x100000001B3ull + i;
    }
    for (; i < n; ++i) sum ^= static_cast<std::uint64_t>(p[i]) << (8 * (i & 7));
    return sum;
}

/// apply_mask in place on `n` bytes `offset` bytes past alignment, from key phase `phase`.
void bm_mask(benchmark::State& state, std::size_t n, std::size_t offset, std::size_t phase, kernel k) {
    payload_buffer buffer(n, offset, n + offset);
    const std::vector<std::uint8_t> original = buffer.copy();
    std::vector<std::uint8_t> masked = original;
    wscodec::apply_mask_reference(masked, key, phase);
    const wscodec::mutable_bytes payload = buffer.span();
    state.SetLabel(wscodec::kernel_name(wscodec::resolve_kernel(n < 16 ? kernel::scalar : k)));

    std::size_t next_phase = 0;
    for (auto _ : state) {
        next_phase = wscodec::apply_mask(payload, key, phase, k);
        benchmark::ClobberMemory();  // the stores of every pass are observed; passes cannot cancel out
    }

    // After an odd number of passes the payload is masked; make it so either way.
    if (state.iterations() % 2 == 0) next_phase = wscodec::apply_mask(payload, key, phase, k);
    const std::uint64_t sum = checksum(buffer.data(), n);
    benchmark::DoNotOptimize(sum);
    if (sum != checksum(masked.data(), n) || std::memcmp(buffer.data(), masked.data(), n) != 0) {
        state.SkipWithError("apply_mask differs from apply_mask_reference");
    } else if (next_phase != ((phase + n) & 3)) {
        state.SkipWithError("apply_mask returned the wrong next phase");
    } else {
        (void)wscodec::apply_mask(payload, key, phase, k);
        if (std::memcmp(buffer.data(), original.data(), n) != 0) {
            state.SkipWithError("masking twice did not restore the payload");
        }
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(n));
}

/// apply_mask_copy from one aligned buffer into another (client send path).
void bm_mask_copy(benchmark::State& state, std::size_t n, kernel k) {
    payload_buffer source(n, 0, n);
    payload_buffer target(n, 0, n + 1);
    std::vector<std::uint8_t> masked = source.copy();
    wscodec::apply_mask_reference(masked, key);
    state.SetLabel(wscodec::kernel_name(wscodec::resolve_kernel(n < 16 ? kernel::scalar : k)));

    for (auto _ : state) {
        (void)wscodec::apply_mask_copy(target.span(), source.span(), key, 0, k);
        benchmark::ClobberMemory();
    }

    const std::uint64_t sum = checksum(target.data(), n);
    benchmark::DoNotOptimize(sum);
    if (state.iterations() > 0 &&
        (sum != checksum(masked.data(), n) || std::memcmp(target.data(), masked.data(), n) != 0)) {
        state.SkipWithError("apply_mask_copy differs from apply_mask_reference");
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(n));
}

void add_mask(const std::string& name, std::size_t n, std::size_t offset, std::size_t phase, kernel k) {
    benchmark::RegisterBenchmark(name.c_str(), [=](benchmark::State& state) { bm_mask(state, n, offset, phase, k); });
}

[[maybe_unused]] const bool registered = [] {
    // mask/<size> (best kernel), then mask/<kernel>/<size>.
    for (std::size_t n : sizes) add_mask("mask/" + std::to_string(n), n, 0, 0, kernel::best);
    for (kernel k : explicit_kernels) {
        if (!wscodec::kernel_supported(k)) continue;
        const std::string prefix = "mask/" + std::string(wscodec::kernel_name(k)) + "/";
        for (std::size_t n : sizes) add_mask(prefix + std::to_string(n), n, 0, 0, k);
    }
    // A payload after a 2-byte header and 4-byte key (offset 6), entered at key phase 1.
    add_mask("mask/unaligned/65536", 65536, 6, 1, kernel::best);
    for (std::size_t n : {std::size_t{65536}, std::size_t{1048576}}) {
        benchmark::RegisterBenchmark(("mask/copy/" + std::to_string(n)).c_str(),
                                     [=](benchmark::State& state) { bm_mask_copy(state, n, kernel::best); });
    }
    return true;
}();

}  // namespace
