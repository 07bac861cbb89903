// wscodec/kernel.hpp — the names of the byte kernels (UTF-8 validation,
// masking) a caller may ask for. Which of them this CPU runs is decided in
// detail/cpu.hpp (kernel_supported, best_kernel, resolve_kernel).
#pragma once

#include <cstdint>

namespace wscodec {

/// An implementation of the byte kernels (UTF-8 validation, masking).
/// `best` picks the fastest one this CPU supports.
enum class kernel : std::uint8_t { best = 0, scalar = 1, sse41 = 2, avx2 = 3, neon = 4 };

/// Stable lower-case name of a kernel ("scalar", "avx2", ...).
[[nodiscard]] constexpr const char* kernel_name(kernel k) noexcept {
    switch (k) {
        case kernel::best: return "best";
        case kernel::scalar: return "scalar";
        case kernel::sse41: return "sse41";
        case kernel::avx2: return "avx2";
        case kernel::neon: return "neon";
    }
    return "unknown";
}

}  // namespace wscodec
