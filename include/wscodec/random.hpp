// SPDX-License-Identifier: MIT
// wscodec/random.hpp — where client masking keys come from (RFC 6455 §5.3:
// "derived from a strong source of entropy"). A key source is any object with
// `mask_key operator()() noexcept`; the connection holds it by value.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <wscodec/bytes.hpp>

#if defined(__linux__)
#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

#include <cerrno>
#elif defined(__APPLE__) || defined(__FreeBSD__) || defined(__OpenBSD__) || defined(__NetBSD__)
#include <stdlib.h>
#else
#include <random>
#endif

namespace wscodec {

/// Keys from the operating system's CSPRNG (getrandom on Linux, falling back
/// to /dev/urandom where the call is unavailable; arc4random_buf on the BSDs
/// and macOS), fetched eight at a time. Move-only: two copies would hand out
/// the same keys. State: 33 bytes.
class system_key_source {
public:
    system_key_source() noexcept = default;
    system_key_source(const system_key_source&) = delete;
    system_key_source& operator=(const system_key_source&) = delete;
    system_key_source(system_key_source&& other) noexcept : pool_(other.pool_), used_(other.used_) {
        other.used_ = static_cast<std::uint8_t>(other.pool_.size());
    }
    system_key_source& operator=(system_key_source&& other) noexcept {
        pool_ = other.pool_;
        used_ = other.used_;
        other.used_ = static_cast<std::uint8_t>(other.pool_.size());
        return *this;
    }

    [[nodiscard]] mask_key operator()() noexcept {
        if (used_ + 4u > pool_.size()) refill();
        mask_key k{pool_[used_], pool_[used_ + 1u], pool_[used_ + 2u], pool_[used_ + 3u]};
        used_ = static_cast<std::uint8_t>(used_ + 4);
        return k;
    }

private:
    void refill() noexcept {
#if defined(__linux__)
        std::size_t got = 0;
        while (got < pool_.size()) {
            const ssize_t r = getrandom(pool_.data() + got, pool_.size() - got, 0);
            if (r > 0) got += static_cast<std::size_t>(r);
            else if (r < 0 && errno != EINTR) break;
        }
        if (got < pool_.size()) {  // getrandom refused (ENOSYS, a seccomp filter): the device
            const int fd = ::open("/dev/urandom", O_RDONLY | O_CLOEXEC);
            while (fd >= 0 && got < pool_.size()) {
                const ssize_t r = ::read(fd, pool_.data() + got, pool_.size() - got);
                if (r > 0) got += static_cast<std::size_t>(r);
                else if (r < 0 && errno == EINTR) continue;
                else break;
            }
            if (fd >= 0) ::close(fd);
            if (got < pool_.size()) __builtin_trap();  // no entropy: never mask with a guessable key
        }
#elif defined(__APPLE__) || defined(__FreeBSD__) || defined(__OpenBSD__) || defined(__NetBSD__)
        arc4random_buf(pool_.data(), pool_.size());
#else
        std::random_device rd;
        for (std::size_t i = 0; i < pool_.size(); i += 4) {
            const auto v = rd();
            for (std::size_t j = 0; j < 4; ++j) pool_[i + j] = static_cast<std::uint8_t>(v >> (8 * j));
        }
#endif
        used_ = 0;
    }

    std::array<std::uint8_t, 32> pool_{};
    std::uint8_t used_ = 32;
};

/// Deterministic keys (splitmix64 of a seed) for tests and benchmarks only:
/// predictable keys defeat the purpose of masking (§10.3).
class seeded_key_source {
public:
    explicit constexpr seeded_key_source(std::uint64_t seed = 1) noexcept : state_(seed) {}

    [[nodiscard]] constexpr mask_key operator()() noexcept {
        std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        z ^= z >> 31;
        return {static_cast<std::uint8_t>(z), static_cast<std::uint8_t>(z >> 8), static_cast<std::uint8_t>(z >> 16),
                static_cast<std::uint8_t>(z >> 24)};
    }

private:
    std::uint64_t state_;
};

/// The server role never masks: it holds no key source.
struct no_key_source {
    [[nodiscard]] constexpr mask_key operator()() const noexcept { return {}; }
};

}  // namespace wscodec
