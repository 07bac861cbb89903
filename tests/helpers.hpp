// tests/helpers.hpp — shared test helpers: byte literals, guard-page buffers
// that fault on any read past the end, the kernels to run every test on,
// input splitters (whole, byte by byte, every 2-way split, chunks of every
// size), and reference trimming and list splitting for HTTP field values.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>
#include <wscodec/detail/cpu.hpp>

namespace test {

using bytes = std::vector<std::uint8_t>;

/// Bytes from a string literal's characters (no terminator).
inline bytes b(std::string_view s) { return bytes(s.begin(), s.end()); }

/// Bytes from a list of integers.
inline bytes b(std::initializer_list<int> v) {
    bytes out;
    for (int x : v) out.push_back(static_cast<std::uint8_t>(x));
    return out;
}

/// Appends the UTF-8 form of `cp` (any value up to U+10FFFF, surrogates too:
/// tests build invalid text with it as well).
inline void append_utf8(bytes& out, std::uint32_t cp) {
    const auto u8 = [](std::uint32_t v) { return static_cast<std::uint8_t>(v); };
    if (cp < 0x80) {
        out.push_back(u8(cp));
    } else if (cp < 0x800) {
        out.push_back(u8(0xC0 | (cp >> 6)));
        out.push_back(u8(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(u8(0xE0 | (cp >> 12)));
        out.push_back(u8(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(u8(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(u8(0xF0 | (cp >> 18)));
        out.push_back(u8(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(u8(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(u8(0x80 | (cp & 0x3F)));
    }
}

/// Bytes from hex text; spaces are ignored ("81 05 48 65").
inline bytes hex(std::string_view h) {
    bytes out;
    int hi = -1;
    for (char c : h) {
        int v;
        if (c >= '0' && c <= '9') v = c - '0';
        else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
        else continue;
        if (hi < 0) hi = v;
        else {
            out.push_back(static_cast<std::uint8_t>(hi * 16 + v));
            hi = -1;
        }
    }
    return out;
}

inline std::string to_hex(std::span<const std::uint8_t> s) {
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (i) out += ' ';
        out += digits[s[i] >> 4];
        out += digits[s[i] & 15];
    }
    return out;
}

/// A copy of `data` placed so that its last byte is the last byte before an
/// inaccessible page: any read past the end faults, with or without ASan.
class guarded {
public:
    explicit guarded(std::span<const std::uint8_t> data) : size_(data.size()) {
        page_ = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
        pages_ = (size_ + page_ - 1) / page_ + 1;
        void* m = mmap(nullptr, pages_ * page_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        base_ = static_cast<std::uint8_t*>(m);
        mprotect(base_ + (pages_ - 1) * page_, page_, PROT_NONE);
        ptr_ = base_ + (pages_ - 1) * page_ - size_;
        if (size_) std::memcpy(ptr_, data.data(), size_);
    }
    guarded(const guarded&) = delete;
    guarded& operator=(const guarded&) = delete;
    ~guarded() { munmap(base_, pages_ * page_); }
    std::span<std::uint8_t> span() { return {ptr_, size_}; }
    std::span<const std::uint8_t> view() const { return {ptr_, size_}; }

private:
    std::size_t size_, page_ = 0, pages_ = 0;
    std::uint8_t* base_ = nullptr;
    std::uint8_t* ptr_ = nullptr;
};

/// Every kernel this machine runs: scalar first, then each SIMD kernel.
inline std::vector<wscodec::kernel> kernels() {
    std::vector<wscodec::kernel> out;
    for (auto k : {wscodec::kernel::scalar, wscodec::kernel::sse41, wscodec::kernel::avx2, wscodec::kernel::neon})
        if (wscodec::kernel_supported(k)) out.push_back(k);
    return out;
}

/// Partitions of [0, n) used to feed one input in pieces: whole, byte by byte,
/// every split into two, and fixed chunks of every size 1..n.
inline std::vector<std::vector<std::size_t>> splits(std::size_t n) {
    std::vector<std::vector<std::size_t>> out;
    out.push_back({n});
    std::vector<std::size_t> ones(n, 1);
    out.push_back(ones);
    for (std::size_t cut = 0; cut <= n; ++cut) out.push_back({cut, n - cut});
    for (std::size_t chunk = 2; chunk < n; ++chunk) {
        std::vector<std::size_t> parts;
        for (std::size_t left = n; left > 0; left -= std::min(chunk, left)) parts.push_back(std::min(chunk, left));
        out.push_back(parts);
    }
    return out;
}

/// xorshift64*: the same sequence on every platform and standard library
/// (std::uniform_int_distribution is not), for seeded random tests.
class rng {
public:
    explicit rng(std::uint64_t seed) : s_(seed * 0x2545F4914F6CDD1Dull + 0x9E3779B97F4A7C15ull) {
        if (s_ == 0) s_ = 1;
    }
    std::uint64_t next() {
        s_ ^= s_ >> 12;
        s_ ^= s_ << 25;
        s_ ^= s_ >> 27;
        return s_ * 0x2545F4914F6CDD1Dull;
    }
    /// Uniform in [0, n); 0 when n is 0.
    std::size_t below(std::size_t n) { return n == 0 ? 0 : static_cast<std::size_t>((next() >> 11) % n); }
    /// Uniform in [lo, hi].
    std::size_t between(std::size_t lo, std::size_t hi) { return lo + below(hi - lo + 1); }
    bool chance(unsigned percent) { return below(100) < percent; }
    std::uint8_t byte() { return static_cast<std::uint8_t>(next() >> 56); }

private:
    std::uint64_t s_;
};

/// `s` without leading and trailing spaces and tabs (a reference for OWS trimming).
inline std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

/// The non-empty trimmed elements of `s` split at `sep` (a reference for comma lists).
inline std::vector<std::string> split(std::string_view s, char sep) {
    std::vector<std::string> out;
    for (;;) {
        const std::size_t i = s.find(sep);
        const std::string_view e = trim(s.substr(0, i));
        if (!e.empty()) out.emplace_back(e);
        if (i == std::string_view::npos) return out;
        s.remove_prefix(i + 1);
    }
}

}  // namespace test
