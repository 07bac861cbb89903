// SPDX-License-Identifier: MIT
// fuzz/fuzz_utf8.cpp — libFuzzer target for wscodec/utf8.hpp. Oracles: every
// kernel's one-shot result equals the scalar reference; utf8_validator fed in
// fuzzer-chosen chunks, then finished, gives the one-shot result; an invalid
// byte is reported by the very feed that delivers it, earlier feeds succeed
// and later ones repeat the error.
//
// Input: data[0] & 15 is the number of chunk-size bytes that follow, the text
// is the rest. Chunk sizes cycle through those bytes (0 is an empty chunk);
// with none, or all zero, the text is fed whole. The validator runs once per
// kernel, then once with the kernel changing from chunk to chunk.
#include <algorithm>
#include <cstdio>
#include <vector>
#include <wscodec/utf8.hpp>

namespace {

using namespace wscodec;

[[noreturn]] void violation(const char* what, kernel k, const utf8_result& got, const utf8_result& want) {
    std::fprintf(stderr, "fuzz_utf8: %s (kernel %s): got error %d at %zu, want error %d at %zu\n", what, kernel_name(k),
                 static_cast<int>(got.err), got.position, static_cast<int>(want.err), want.position);
    __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::size_t n_sizes = std::min<std::size_t>(data[0] & 15u, size - 1);
    const std::uint8_t* sizes = data + 1;
    // The text in its own allocation, so that ASan sees reads on either side.
    const std::vector<std::uint8_t> text(data + 1 + n_sizes, data + size);
    const std::size_t n = text.size();
    const bool chunked = std::any_of(sizes, sizes + n_sizes, [](std::uint8_t s) { return s != 0; });

    kernel ks[4];
    std::size_t nk = 0;
    for (const kernel k : {kernel::scalar, kernel::sse41, kernel::avx2, kernel::avx512, kernel::neon})
        if (kernel_supported(k)) ks[nk++] = k;

    const utf8_result want = detail::utf8_validate_scalar(text.data(), n);
    for (std::size_t j = 0; j < nk; ++j) {
        const utf8_result got = validate_utf8(bytes_view(text), ks[j]);
        if (got != want) violation("one-shot differs from the scalar reference", ks[j], got, want);
    }

    for (std::size_t round = 0; round <= nk; ++round) {
        utf8_validator v;
        bool failed = false;
        std::size_t start = 0;
        for (std::size_t turn = 0; start < n; ++turn) {
            const std::size_t len = chunked ? std::min<std::size_t>(sizes[turn % n_sizes], n - start) : n - start;
            const kernel k = round < nk ? ks[round] : ks[turn % nk];
            const std::vector<std::uint8_t> chunk(text.begin() + static_cast<std::ptrdiff_t>(start),
                                                  text.begin() + static_cast<std::ptrdiff_t>(start + len));
            const utf8_result got = v.feed(bytes_view(chunk), k);
            const std::size_t end = start + len;
            if (failed) {
                if (got != want) violation("feed after the error is not sticky", k, got, want);
            } else if (want.err == utf8_error::invalid && want.position < end) {
                if (got != want) violation("the feed delivering the invalid byte", k, got, want);
                if (v.offset() != want.position) violation("offset() after the error", k, got, want);
                failed = true;
            } else {
                if (got != utf8_result{utf8_error::none, end}) violation("a feed of a valid prefix", k, got, want);
                if (v.offset() != end) violation("offset() after a valid prefix", k, got, want);
            }
            start = end;
        }
        const utf8_result fin = v.finish();
        if (fin != want) violation("finish() differs from one-shot", round < nk ? ks[round] : kernel::best, fin, want);
    }
    return 0;
}
