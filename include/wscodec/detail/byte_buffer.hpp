// SPDX-License-Identifier: MIT
// wscodec/detail/byte_buffer.hpp — a move-only heap byte buffer that reports
// allocation failure instead of throwing. Owns its bytes, nothing else.
#pragma once

#include <cstddef>
#include <cstring>
#include <new>
#include <string_view>
#include <utility>

namespace wscodec::detail {

/// A heap byte buffer that grows up to what it is asked for and reports
/// allocation failure instead of throwing. Move-only.
class byte_buffer {
public:
    byte_buffer() noexcept = default;
    byte_buffer(const byte_buffer&) = delete;
    byte_buffer& operator=(const byte_buffer&) = delete;
    byte_buffer(byte_buffer&& o) noexcept
        : data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)), cap_(std::exchange(o.cap_, 0)) {}
    byte_buffer& operator=(byte_buffer&& o) noexcept {
        if (this != &o) {
            delete[] data_;
            data_ = std::exchange(o.data_, nullptr);
            size_ = std::exchange(o.size_, 0);
            cap_ = std::exchange(o.cap_, 0);
        }
        return *this;
    }
    ~byte_buffer() { delete[] data_; }

    /// Makes room for `n` bytes in total; false if memory ran out.
    [[nodiscard]] bool reserve(std::size_t n) noexcept {
        if (n <= cap_) return true;
        std::size_t cap = cap_ < 256 ? 256 : cap_;
        while (cap < n) cap *= 2;
        char* p = new (std::nothrow) char[cap];
        if (p == nullptr) return false;
        if (size_ > 0) std::memcpy(p, data_, size_);
        delete[] data_;
        data_ = p;
        cap_ = cap;
        return true;
    }
    /// Appends `s`; false if memory ran out.
    [[nodiscard]] bool append(std::string_view s) noexcept {
        if (!reserve(size_ + s.size())) return false;
        if (!s.empty()) std::memcpy(data_ + size_, s.data(), s.size());
        size_ += s.size();
        return true;
    }
    /// Appends without checking room (after reserve()).
    void put(std::string_view s) noexcept {
        if (!s.empty()) std::memcpy(data_ + size_, s.data(), s.size());
        size_ += s.size();
    }
    /// Makes the contents `n` bytes to be written through the returned pointer,
    /// dropping what was there; nullptr if memory ran out.
    [[nodiscard]] char* overwrite(std::size_t n) noexcept {
        size_ = 0;
        if (!reserve(n)) return nullptr;
        size_ = n;
        return data_;
    }
    /// Keeps the first `n` bytes (no-op if there are fewer).
    /// Keeps the first `n` bytes (all of them if there are fewer).
    void resize_down(std::size_t n) noexcept { if (n < size_) size_ = n; }
    /// Frees the storage; the buffer is empty.
    void release() noexcept {
        delete[] data_;
        data_ = nullptr;
        size_ = cap_ = 0;
    }
    [[nodiscard]] const char* data() const noexcept { return data_; }
    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    [[nodiscard]] std::string_view view() const noexcept { return {data_, size_}; }

private:
    char* data_ = nullptr;
    std::size_t size_ = 0;
    std::size_t cap_ = 0;
};

}  // namespace wscodec::detail
