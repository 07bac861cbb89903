// SPDX-License-Identifier: MIT
// wscodec/detail/http_build.hpp — what building an HTTP/1.1 message takes
// (RFC 9112): a two-pass writer (measure, then write into exact room), header
// lines, the checks on fields to send, decimal digits and reason phrases.
// No state beyond a sink.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <wscodec/detail/http_chars.hpp>

namespace wscodec::detail {

/// What build_message hands to its `emit`: put(text) appends text (or only
/// counts it, in the measuring pass), size() is what was put so far.
class message_sink {
public:
    explicit message_sink(char* out = nullptr) noexcept : out_(out) {}
    void operator()(std::string_view text) noexcept {
        if (out_ != nullptr && !text.empty()) std::memcpy(out_ + size_, text.data(), text.size());
        size_ += text.size();
    }
    [[nodiscard]] std::size_t size() const noexcept { return size_; }

private:
    char* out_;
    std::size_t size_ = 0;
};

/// Builds an HTTP message in two passes: `emit(sink)` puts every piece;
/// once to measure, then into `space(n)`, room for exactly n bytes (nullptr:
/// out of memory, and build_message returns false).
template <class Emit, class Space>
[[nodiscard]] bool build_message(Emit&& emit, Space&& space) noexcept {
    message_sink measure;
    emit(measure);
    char* out = space(measure.size());
    if (out == nullptr) return false;
    message_sink write(out);
    emit(write);
    return true;
}

/// Puts "name: value" CRLF for each header (anything with `name` and `value`).
template <class Put, class Headers>
void put_headers(Put& put, Headers headers) noexcept {
    for (const auto& h : headers) {
        put(h.name);
        put(": ");
        put(h.value);
        put("\r\n");
    }
}

/// True if every header may be sent: a token name and a clean value.
template <class Headers>
[[nodiscard]] inline bool valid_headers(Headers headers) noexcept {
    for (const auto& h : headers)
        if (!is_token(h.name) || !is_field_value(h.value)) return false;
    return true;
}

/// Decimal digits of `v` into `buf` (at least 20 chars); returns the text.
[[nodiscard]] inline std::string_view to_decimal(std::uint64_t v, std::array<char, 20>& buf) noexcept {
    std::size_t i = buf.size();
    do {
        buf[--i] = static_cast<char>('0' + v % 10);
        v /= 10;
    } while (v != 0);
    return {buf.data() + i, buf.size() - i};
}

/// Reason phrase for common status codes (RFC 9110 §15); empty for others.
[[nodiscard]] constexpr std::string_view reason_phrase(std::uint16_t status) noexcept {
    switch (status) {
        case 101: return "Switching Protocols";
        case 200: return "OK";
        case 201: return "Created";
        case 204: return "No Content";
        case 301: return "Moved Permanently";
        case 302: return "Found";
        case 303: return "See Other";
        case 304: return "Not Modified";
        case 307: return "Temporary Redirect";
        case 308: return "Permanent Redirect";
        case 400: return "Bad Request";
        case 401: return "Unauthorized";
        case 403: return "Forbidden";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 408: return "Request Timeout";
        case 409: return "Conflict";
        case 410: return "Gone";
        case 413: return "Content Too Large";
        case 414: return "URI Too Long";
        case 426: return "Upgrade Required";
        case 429: return "Too Many Requests";
        case 431: return "Request Header Fields Too Large";
        case 500: return "Internal Server Error";
        case 501: return "Not Implemented";
        case 502: return "Bad Gateway";
        case 503: return "Service Unavailable";
        case 504: return "Gateway Timeout";
        case 505: return "HTTP Version Not Supported";
        default: return {};
    }
}

}  // namespace wscodec::detail
