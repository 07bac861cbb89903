// wscodec/detail/cpu.hpp — which kernels this CPU can run: the support test
// and resolution of wscodec::kernel for the byte kernels, and the probe for
// the SHA extensions. Detection reads the CPU model that the compiler runtime
// fills in before main; the one exception, the SHA extensions (which clang
// 14's __builtin_cpu_supports does not name), is read once with cpuid into a
// function-local constant.
#pragma once

#include <wscodec/detail/config.hpp>
#include <wscodec/kernel.hpp>

#if WSCODEC_X86
#include <cpuid.h>
#endif

namespace wscodec {

/// True if kernel `k` can run on this CPU in this build.
[[nodiscard]] inline bool kernel_supported(kernel k) noexcept {
    switch (k) {
        case kernel::best:
        case kernel::scalar: return true;
#if WSCODEC_X86
        case kernel::sse41: return __builtin_cpu_supports("sse4.1");
        case kernel::avx2: return __builtin_cpu_supports("avx2");
#else
        case kernel::sse41:
        case kernel::avx2: return false;
#endif
        case kernel::neon: return WSCODEC_NEON != 0;
    }
    return false;
}

/// The fastest kernel supported here; never returns kernel::best.
[[nodiscard]] inline kernel best_kernel() noexcept {
#if WSCODEC_X86
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

namespace detail {

/// True if this CPU has the x86 SHA extensions together with SSSE3 and SSE4.1,
/// which the SHA-1 kernel also uses; always false off x86-64.
[[nodiscard]] inline bool cpu_has_sha_ni() noexcept {
#if WSCODEC_X86
    // cpuid traps to the hypervisor on virtual machines, so it runs once; the
    // answer never changes while the process lives.
    static const bool has = [] {
        unsigned a = 0, b = 0, c = 0, d = 0;
        if (!__get_cpuid(1, &a, &b, &c, &d)) return false;
        const bool ssse3 = (c >> 9) & 1u, sse41 = (c >> 19) & 1u;
        if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return false;
        const bool sha = (b >> 29) & 1u;
        return ssse3 && sse41 && sha;
    }();
    return has;
#else
    return false;
#endif
}

}  // namespace detail
}  // namespace wscodec
