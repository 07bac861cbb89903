// SPDX-License-Identifier: MIT
// wscodec/byte_ranges.hpp — receive() and the send calls of a connection or
// a session for any contiguous range of bytes (std::string,
// std::vector<char>, a char buffer, std::span<std::byte>...), written once
// for both. The codec keeps views into what it is given (payloads are sent
// and received without a copy), so a temporary container does not compile.
#pragma once

#include <concepts>
#include <string_view>
#include <type_traits>
#include <wscodec/bytes.hpp>
#include <wscodec/events.hpp>

namespace wscodec::detail {

/// Mixed into `Endpoint` (connection, session), which brings these names in
/// with using-declarations beside its own span overloads; each template
/// converts the range to the span and calls that overload. A temporary
/// container matches a deleted overload: `send_text(std::string(...))` and
/// `send(type, std::vector<char>{...})` do not compile (the owning path is
/// send_queue.hpp).
template <class Endpoint>
class byte_range_api {
public:
    template <mutable_byte_range B>
        requires lasting_byte_range<B> && (!std::same_as<std::remove_cvref_t<B>, mutable_bytes>)
    [[nodiscard]] event receive(B&& in) noexcept {
        return self().receive(as_mutable_bytes(in));
    }
    template <temporary_byte_range B>
    event receive(B&&) = delete;

    template <lasting_byte_range B>
        requires(!std::same_as<std::remove_cvref_t<B>, bytes_view>)
    [[nodiscard]] error send(message_type type, B&& payload, compression c = compression::automatic) noexcept {
        return self().send(type, as_bytes_view(payload), c);
    }
    template <temporary_byte_range B>
    error send(message_type, B&&, compression = compression::automatic) = delete;

    template <mutable_byte_range B>
        requires lasting_byte_range<B> && (!std::same_as<std::remove_cvref_t<B>, mutable_bytes>)
    [[nodiscard]] error send_in_place(message_type type, B&& payload, compression c = compression::automatic) noexcept {
        return self().send_in_place(type, as_mutable_bytes(payload), c);
    }
    template <temporary_byte_range B>
    error send_in_place(message_type, B&&, compression = compression::automatic) = delete;

    template <lasting_byte_range B>
        requires(!std::convertible_to<B, std::string_view>)
    [[nodiscard]] error send_text(B&& text) noexcept {
        return self().send(message_type::text, as_bytes_view(text));
    }
    template <temporary_byte_range B>  // std::string(...) too: a better match than its std::string_view
    error send_text(B&&) = delete;

    template <lasting_byte_range B>
        requires(!std::same_as<std::remove_cvref_t<B>, bytes_view>)
    [[nodiscard]] error send_binary(B&& payload) noexcept {
        return self().send(message_type::binary, as_bytes_view(payload));
    }
    template <temporary_byte_range B>
    error send_binary(B&&) = delete;

    template <lasting_byte_range B>
        requires(!std::same_as<std::remove_cvref_t<B>, bytes_view>)
    [[nodiscard]] error send_part(B&& part, bool last) noexcept {
        return self().send_part(as_bytes_view(part), last);
    }
    template <temporary_byte_range B>
    error send_part(B&&, bool) = delete;

    template <mutable_byte_range B>
        requires lasting_byte_range<B> && (!std::same_as<std::remove_cvref_t<B>, mutable_bytes>)
    [[nodiscard]] error send_part_in_place(B&& part, bool last) noexcept {
        return self().send_part_in_place(as_mutable_bytes(part), last);
    }
    template <temporary_byte_range B>
    error send_part_in_place(B&&, bool) = delete;

private:
    Endpoint& self() noexcept { return static_cast<Endpoint&>(*this); }
};

}  // namespace wscodec::detail
