// SPDX-License-Identifier: MIT
// wscodec/error_code.hpp — wscodec::error as a std::error_code: the "wscodec" category (its
// messages are error_message()'s), make_error_code, and std::is_error_code_enum, so that
// `std::error_code ec = wscodec::error::frame_too_big;` works. Needs no RTTI or exceptions.
#pragma once

#include <string>
#include <system_error>
#include <wscodec/error.hpp>

namespace wscodec {

namespace detail {

/// The category of wscodec::error; its one object is wscodec_category()'s.
class error_category_impl final : public std::error_category {
public:
    constexpr error_category_impl() noexcept = default;

    [[nodiscard]] const char* name() const noexcept override { return "wscodec"; }

    /// error_message() of the error `value`; "unknown error" for a value that is none.
    [[nodiscard]] std::string message(int value) const override { return error_message(to_error(value)); }

    /// std::errc where one means the same (out_of_memory: not_enough_memory; buffer_too_small:
    /// no_buffer_space; close_timeout, handshake_timeout: timed_out), else a condition of
    /// this category with the same value.
    [[nodiscard]] std::error_condition default_error_condition(int value) const noexcept override {
        switch (to_error(value)) {
            case error::out_of_memory: return std::errc::not_enough_memory;
            case error::buffer_too_small: return std::errc::no_buffer_space;
            case error::close_timeout:
            case error::handshake_timeout: return std::errc::timed_out;
            default: return {value, *this};
        }
    }

private:
    /// `value` as an error; a value outside the enumeration's range maps to one with no row.
    [[nodiscard]] static constexpr error to_error(int value) noexcept {
        return value >= 0 && value < 0xFF ? static_cast<error>(value) : static_cast<error>(0xFF);
    }
};

}  // namespace detail

/// The category of every std::error_code made from a wscodec::error: one object in the
/// whole program (a function-local static of an inline function), named "wscodec".
[[nodiscard]] inline const std::error_category& wscodec_category() noexcept {
    static const detail::error_category_impl category;
    return category;
}

/// `e` as a std::error_code of wscodec_category(); error::none gives a code that is false.
[[nodiscard]] inline std::error_code make_error_code(error e) noexcept {
    return {static_cast<int>(e), wscodec_category()};
}

}  // namespace wscodec

namespace std {
/// Lets a wscodec::error convert to std::error_code implicitly and compare with one.
template <>
struct is_error_code_enum<wscodec::error> : true_type {};
}  // namespace std
