// SPDX-License-Identifier: MIT
// wscodec/kernel.hpp — the byte kernels (UTF-8 validation, masking) a caller
// may ask for, and which of them this CPU runs (kernel_supported, best_kernel,
// resolve_kernel). Detection reads the CPU model that the compiler runtime
// fills in before main.
#pragma once

#include <cstdint>
#include <wscodec/detail/config.hpp>

namespace wscodec {

/// An implementation of the byte kernels (UTF-8 validation, masking).
/// `best` picks the fastest one this CPU supports.
enum class kernel : std::uint8_t { best = 0, scalar = 1, sse41 = 2, avx2 = 3, neon = 4, avx512 = 5 };

/// Stable lower-case name of a kernel ("scalar", "avx2", ...).
[[nodiscard]] constexpr const char* kernel_name(kernel k) noexcept {
    switch (k) {
        case kernel::best: return "best";
        case kernel::scalar: return "scalar";
        case kernel::sse41: return "sse41";
        case kernel::avx2: return "avx2";
        case kernel::neon: return "neon";
        case kernel::avx512: return "avx512";
    }
    return "unknown";
}

/// True if kernel `k` can run on this CPU in this build. kernel::avx512
/// needs AVX-512F, BW (byte and word operations) and VBMI (byte permutes),
/// their registers enabled by the OS: Ice Lake and Zen 4 on. (Skylake-X has
/// no VBMI and slows its clock for 512-bit work: it keeps the AVX2 kernels.)
[[nodiscard]] inline bool kernel_supported(kernel k) noexcept {
    switch (k) {
        case kernel::best:
        case kernel::scalar: return true;
#if WSCODEC_X86
        case kernel::sse41: return __builtin_cpu_supports("sse4.1");
        case kernel::avx2: return __builtin_cpu_supports("avx2");
        case kernel::avx512:
            return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                   __builtin_cpu_supports("avx512vbmi");
#else
        case kernel::sse41:
        case kernel::avx2:
        case kernel::avx512: return false;
#endif
        case kernel::neon: return WSCODEC_NEON != 0;
    }
    return false;
}

/// The fastest kernel supported here; never returns kernel::best.
[[nodiscard]] inline kernel best_kernel() noexcept {
#if WSCODEC_X86
    if (kernel_supported(kernel::avx512)) return kernel::avx512;
    if (__builtin_cpu_supports("avx2")) return kernel::avx2;
    if (__builtin_cpu_supports("sse4.1")) return kernel::sse41;
    return kernel::scalar;
#elif WSCODEC_NEON
    return kernel::neon;
#else
    return kernel::scalar;
#endif
}

/// Resolves kernel::best and unsupported requests to a runnable kernel.
[[nodiscard]] inline kernel resolve_kernel(kernel k) noexcept {
    if (k == kernel::best || !kernel_supported(k)) return best_kernel();
    return k;
}

}  // namespace wscodec
