// SPDX-License-Identifier: MIT
// wscodec/random.hpp — where client masking keys come from (RFC 6455 §5.3:
// "derived from a strong source of entropy"). A key source is any object with
// `mask_key operator()() noexcept`; the connection holds it by value.
// On Windows the system source is BCryptGenRandom in bcrypt.dll: MSVC and
// clang-cl link bcrypt by themselves (a #pragma comment); with mingw-w64 (g++
// or clang) add -lbcrypt to the link. No other platform needs a library.
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
#elif defined(_WIN32)
#include <cstdlib>
// Declared as the Windows SDK and mingw-w64's <bcrypt.h> declare it, so that
// <windows.h> and its macros (min, max, ...) stay out of the user's code.
#if defined(_MSC_VER)
#pragma comment(lib, "bcrypt")
#define WSCODEC_BCRYPT_IMPORT __declspec(dllimport)
#else
#define WSCODEC_BCRYPT_IMPORT
#endif
#if defined(_M_IX86) || defined(__i386__)
#define WSCODEC_BCRYPT_CALL __stdcall
#else
#define WSCODEC_BCRYPT_CALL
#endif
extern "C" WSCODEC_BCRYPT_IMPORT long WSCODEC_BCRYPT_CALL BCryptGenRandom(void* algorithm, unsigned char* buffer,
                                                                          unsigned long size, unsigned long flags);
#undef WSCODEC_BCRYPT_IMPORT
#undef WSCODEC_BCRYPT_CALL
#elif defined(__APPLE__) || defined(__FreeBSD__) || defined(__OpenBSD__) || defined(__NetBSD__)
#include <stdlib.h>
#else
#include <random>
#endif

namespace wscodec {
namespace detail {

/// The operating system call behind system_key_source in this build.
#if defined(__linux__)
inline constexpr const char* system_random_call = "getrandom";
#elif defined(_WIN32)
inline constexpr const char* system_random_call = "BCryptGenRandom";
#elif defined(__APPLE__) || defined(__FreeBSD__) || defined(__OpenBSD__) || defined(__NetBSD__)
inline constexpr const char* system_random_call = "arc4random_buf";
#else
inline constexpr const char* system_random_call = "std::random_device";
#endif

}  // namespace detail

/// Keys from the operating system's CSPRNG (getrandom on Linux, falling back
/// to /dev/urandom where the call is unavailable; BCryptGenRandom with the
/// system-preferred RNG on Windows; arc4random_buf on the BSDs and macOS),
/// fetched eight at a time. Move-only: two copies would hand out the same
/// keys. State: 33 bytes.
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
#elif defined(_WIN32)
        constexpr unsigned long system_preferred_rng = 0x2;  // BCRYPT_USE_SYSTEM_PREFERRED_RNG
        if (BCryptGenRandom(nullptr, pool_.data(), static_cast<unsigned long>(pool_.size()), system_preferred_rng) < 0)
            std::abort();  // no entropy (a negative NTSTATUS): never mask with a guessable key
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
