// SPDX-License-Identifier: MIT
// wscodec/detail/cpu.hpp — the probe for the x86 SHA extensions, which clang
// 14's __builtin_cpu_supports does not name: read once with cpuid into a
// function-local constant. The byte kernels' support test is in kernel.hpp.
#pragma once

#include <wscodec/detail/config.hpp>

#if WSCODEC_X86
#include <cpuid.h>
#endif

namespace wscodec {
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
