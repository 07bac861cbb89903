// bench/bench_handshake.cpp — the opening handshake's building blocks
// (wscodec/accept.hpp, RFC 6455 §4.2.2): compute_accept on a 24-character
// key (items processed = keys), and one-shot SHA-1 on the portable path and
// on the x86 SHA extensions, 64 bytes (a key plus GUID is 60) and 1 MiB
// (bytes processed). Each run checks its result.
#include <benchmark/benchmark.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>
#include <wscodec/accept.hpp>

namespace {

using wscodec::detail::sha1_kernel;

/// compute_accept on the RFC's example key, read through an opaque copy each time.
void bm_accept(benchmark::State& state) {
    std::array<char, 24> key{};
    const std::string_view example = "dGhlIHNhbXBsZSBub25jZQ==";
    std::copy(example.begin(), example.end(), key.begin());
    std::array<char, 28> accept{};
    state.SetLabel(wscodec::detail::sha1_kernel_name(wscodec::detail::sha1_hasher().kernel()));
    for (auto _ : state) {
        benchmark::DoNotOptimize(key);
        accept = wscodec::compute_accept(std::string_view(key.data(), key.size()));
        benchmark::DoNotOptimize(accept);
    }
    if (std::string_view(accept.data(), accept.size()) != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        state.SkipWithError("compute_accept gave the wrong value");
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

/// One-shot SHA-1 of `n` pattern bytes on kernel `k`, checked against the portable path.
void bm_sha1(benchmark::State& state, std::size_t n, sha1_kernel k) {
    std::vector<std::uint8_t> data(n);
    for (std::size_t i = 0; i < n; ++i) data[i] = static_cast<std::uint8_t>(i * 131 + (i >> 9));
    const wscodec::bytes_view view(data);
    const wscodec::detail::sha1_digest want = wscodec::detail::sha1(view, sha1_kernel::portable);
    wscodec::detail::sha1_digest got{};
    state.SetLabel(wscodec::detail::sha1_kernel_name(wscodec::detail::sha1_hasher(k).kernel()));
    for (auto _ : state) {
        benchmark::DoNotOptimize(data.data());
        got = wscodec::detail::sha1(view, k);
        benchmark::DoNotOptimize(got);
    }
    if (state.iterations() > 0 && got != want) state.SkipWithError("SHA-1 differs from the portable path");
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(n));
}

[[maybe_unused]] const bool registered = [] {
    benchmark::RegisterBenchmark("handshake/accept/24", bm_accept);
    for (sha1_kernel k : {sha1_kernel::portable, sha1_kernel::sha_ni}) {
        if (!wscodec::detail::sha1_kernel_supported(k)) continue;
        for (std::size_t n : {std::size_t{64}, std::size_t{1048576}}) {
            const std::string name = "sha1/" + std::string(wscodec::detail::sha1_kernel_name(k)) + "/" + std::to_string(n);
            benchmark::RegisterBenchmark(name.c_str(), [=](benchmark::State& state) { bm_sha1(state, n, k); });
        }
    }
    return true;
}();

}  // namespace
