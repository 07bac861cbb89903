// SPDX-License-Identifier: MIT
// bench/common.hpp — what several benchmark files share: a small
// deterministic generator, so every run measures the same data.
#pragma once

#include <cstddef>
#include <cstdint>

namespace bench {

/// splitmix64: a small deterministic generator, so every run sees the same text.
class splitmix {
public:
    explicit splitmix(std::uint64_t seed) noexcept : state_(seed) {}

    std::uint64_t next() noexcept {
        std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }

    /// Uniform in [0, n).
    std::size_t below(std::size_t n) noexcept { return static_cast<std::size_t>(next() % n); }

    /// Uniform in [0, 1).
    double unit() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

private:
    std::uint64_t state_;
};

}  // namespace bench
