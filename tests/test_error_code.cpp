// SPDX-License-Identifier: MIT
// tests/test_error_code.cpp — wscodec::error as a std::error_code (wscodec/error_code.hpp):
// the category's name and messages (error_message's, for every error), conversion,
// comparison, the std::errc conditions, and error::none as "no error".
#include <doctest/doctest.h>

#include <iterator>
#include <ostream>  // doctest prints a std::error_code with its operator<<
#include <string>
#include <system_error>
#include <type_traits>
#include <wscodec/error_code.hpp>

using wscodec::error;

TEST_CASE("error_code: the category is named wscodec") {
    CHECK(std::string_view(wscodec::wscodec_category().name()) == "wscodec");
    CHECK(&wscodec::wscodec_category() == &wscodec::wscodec_category());
    CHECK(wscodec::wscodec_category() != std::generic_category());
    CHECK(wscodec::wscodec_category() != std::system_category());
    CHECK(std::is_error_code_enum_v<error>);
    CHECK(!std::is_error_condition_enum_v<error>);
}

TEST_CASE("error_code: every error's message is error_message's") {
    const std::size_t count = std::size(wscodec::detail::error_rows);
    for (std::size_t i = 0; i < count; ++i) {
        const auto e = static_cast<error>(i);
        INFO("error ", wscodec::error_name(e));
        const std::error_code ec = e;
        CHECK(ec.value() == static_cast<int>(i));
        CHECK(&ec.category() == &wscodec::wscodec_category());
        CHECK(ec.message() == wscodec::error_message(e));
        CHECK(wscodec::wscodec_category().message(static_cast<int>(i)) == wscodec::error_message(e));
        CHECK(static_cast<bool>(ec) == (e != error::none));
    }
    // Values with no error, including ones that would wrap around the 8-bit enumeration.
    for (int v : {static_cast<int>(count), 0xFF, 0x100, 0x100 + 1, 0x10000, -1, -256})
        CHECK(wscodec::wscodec_category().message(v) == "unknown error");
    CHECK(wscodec::make_error_code(error::frame_too_big).message() == "frame payload exceeds the configured limit");
}

TEST_CASE("error_code: error::none converts to a code that means no error") {
    const std::error_code ec = error::none;
    CHECK(!ec);
    CHECK(ec.value() == 0);
    CHECK(ec == error::none);
    CHECK(ec.message() == "no error");
    // A default std::error_code is also false, but of another category: not equal.
    CHECK(ec != std::error_code{});
    CHECK(!std::error_code{});
}

TEST_CASE("error_code: conversion, assignment and comparison") {
    std::error_code ec = error::invalid_utf8;
    CHECK(ec);
    CHECK(ec == error::invalid_utf8);
    CHECK(error::invalid_utf8 == ec);
    CHECK(ec != error::frame_too_big);
    CHECK(ec == wscodec::make_error_code(error::invalid_utf8));
    CHECK(ec.category().name() == std::string_view("wscodec"));
    ec = error::message_too_big;
    CHECK(ec.value() == static_cast<int>(error::message_too_big));
    CHECK(ec == error::message_too_big);
    // Same value, another category: different codes.
    CHECK(ec != std::error_code(static_cast<int>(error::message_too_big), std::generic_category()));
    // Ordered by category, then value, so codes can key a std::map.
    CHECK(std::error_code(error::reserved_opcode) < std::error_code(error::reserved_bits_set));
    CHECK(!(std::error_code(error::reserved_bits_set) < std::error_code(error::reserved_opcode)));
    ec.clear();
    CHECK(!ec);
    CHECK(&ec.category() == &std::system_category());
}

TEST_CASE("error_code: conditions are std::errc where one fits, else the error's own") {
    CHECK(std::error_code(error::out_of_memory) == std::errc::not_enough_memory);
    CHECK(std::error_code(error::buffer_too_small) == std::errc::no_buffer_space);
    CHECK(std::error_code(error::close_timeout) == std::errc::timed_out);
    CHECK(std::error_code(error::handshake_timeout) == std::errc::timed_out);
    CHECK(std::error_code(error::connection_lost) != std::errc::timed_out);
    CHECK(std::error_code(error::invalid_utf8) != std::errc::illegal_byte_sequence);

    const std::error_condition own = std::error_code(error::invalid_utf8).default_error_condition();
    CHECK(&own.category() == &wscodec::wscodec_category());
    CHECK(own.value() == static_cast<int>(error::invalid_utf8));
    CHECK(own.message() == wscodec::error_message(error::invalid_utf8));
    const std::error_condition oom = std::error_code(error::out_of_memory).default_error_condition();
    CHECK(oom == std::errc::not_enough_memory);
    CHECK(&oom.category() == &std::generic_category());
    CHECK(!std::error_code(error::none).default_error_condition());
}
