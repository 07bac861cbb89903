// tests/test_error.cpp — the error enumeration: stable values, unique names,
// a message, a kind and a close code for every value; close code names.
#include <doctest/doctest.h>

#include <set>
#include <string>
#include <wscodec/error.hpp>

using wscodec::error;

namespace {
// Every enumerator, found by walking values until the name is "unknown".
std::size_t error_count() {
    std::size_t n = 0;
    while (std::string(wscodec::error_name(static_cast<error>(n))) != "unknown") ++n;
    return n;
}
}  // namespace

TEST_CASE("error: values are stable (append, never renumber)") {
    CHECK(static_cast<int>(error::none) == 0);
    CHECK(static_cast<int>(error::reserved_opcode) == 1);
    CHECK(static_cast<int>(error::reserved_bits_set) == 2);
    CHECK(static_cast<int>(error::control_frame_too_long) == 3);
    CHECK(static_cast<int>(error::control_frame_fragmented) == 4);
    CHECK(static_cast<int>(error::length_msb_set) == 5);
    CHECK(static_cast<int>(error::non_minimal_length) == 6);
    CHECK(static_cast<int>(error::frame_not_masked) == 7);
    CHECK(static_cast<int>(error::frame_masked) == 8);
    CHECK(static_cast<int>(error::invalid_utf8) == 9);
    CHECK(static_cast<int>(error::close_payload_too_short) == 10);
    CHECK(static_cast<int>(error::invalid_close_code) == 11);
    CHECK(static_cast<int>(error::invalid_close_reason) == 12);
    CHECK(static_cast<int>(error::close_reason_too_long) == 13);
    CHECK(static_cast<int>(error::unsendable_close_code) == 14);
    CHECK(static_cast<int>(error::close_reason_not_utf8) == 15);
    CHECK(static_cast<int>(error::buffer_too_small) == 16);
    CHECK(static_cast<int>(error::unknown_opcode) == 17);
    CHECK(static_cast<int>(error::control_frame_not_final) == 18);
    CHECK(static_cast<int>(error::control_payload_too_long) == 19);
    CHECK(static_cast<int>(error::payload_too_long) == 20);
    CHECK(static_cast<int>(error::invalid_rsv) == 21);
    CHECK(static_cast<int>(error::unexpected_continuation) == 22);
    CHECK(static_cast<int>(error::expected_continuation) == 23);
    CHECK(static_cast<int>(error::frame_too_big) == 24);
    CHECK(static_cast<int>(error::message_too_big) == 25);
    CHECK(static_cast<int>(error::too_many_fragments) == 26);
    CHECK(static_cast<int>(error::not_open) == 27);
    CHECK(static_cast<int>(error::send_in_progress) == 28);
    CHECK(static_cast<int>(error::no_message_started) == 29);
    CHECK(static_cast<int>(error::control_queue_full) == 30);
    CHECK(static_cast<int>(error::connection_lost) == 31);
    CHECK(static_cast<int>(error::close_timeout) == 32);
    CHECK(static_cast<int>(error::text_not_utf8) == 33);
}

TEST_CASE("error: every value has a unique name, a message, a kind and a close code") {
    const std::size_t n = error_count();
    CHECK(n >= 34);
    std::set<std::string> names;
    for (std::size_t i = 0; i < n; ++i) {
        const auto e = static_cast<error>(i);
        CAPTURE(i);
        const std::string name = wscodec::error_name(e);
        CHECK(names.insert(name).second);
        CHECK(std::string(wscodec::error_message(e)) != "unknown error");
        CHECK(!std::string(wscodec::error_message(e)).empty());
        const auto code = wscodec::close_code_for(e);
        if (e == error::none) {
            CHECK(wscodec::kind_of(e) == wscodec::error_kind::none);
        } else if (wscodec::kind_of(e) == wscodec::error_kind::usage) {
            CHECK(code == wscodec::close_code::internal_error);
        } else if (wscodec::kind_of(e) == wscodec::error_kind::limit) {
            CHECK(code == wscodec::close_code::message_too_big);
        } else if (wscodec::kind_of(e) == wscodec::error_kind::closed) {
            CHECK(code == wscodec::close_code::abnormal);
            CHECK_FALSE(wscodec::is_sendable_close_code(code));
        } else {
            CHECK(wscodec::kind_of(e) == wscodec::error_kind::protocol);
            // A peer violation is answered with a code the peer may receive.
            CHECK(wscodec::is_sendable_close_code(code));
            CHECK(code != wscodec::close_code::normal);
        }
    }
    CHECK(std::string(wscodec::error_name(static_cast<error>(n))) == "unknown");
}

TEST_CASE("error: §7.4.1 close codes for peer violations") {
    CHECK(wscodec::close_code_for(error::reserved_opcode) == wscodec::close_code::protocol_error);
    CHECK(wscodec::close_code_for(error::frame_not_masked) == wscodec::close_code::protocol_error);
    CHECK(wscodec::close_code_for(error::invalid_utf8) == wscodec::close_code::invalid_payload);
    CHECK(wscodec::close_code_for(error::invalid_close_reason) == wscodec::close_code::invalid_payload);
    CHECK(wscodec::kind_of(error::close_reason_too_long) == wscodec::error_kind::usage);
}

TEST_CASE("close_code: names of registered, library and private codes") {
    CHECK(std::string(wscodec::close_code_name(1000)) == "normal");
    CHECK(std::string(wscodec::close_code_name(1009)) == "message_too_big");
    CHECK(std::string(wscodec::close_code_name(1015)) == "tls_handshake");
    CHECK(std::string(wscodec::close_code_name(3000)) == "registered");
    CHECK(std::string(wscodec::close_code_name(4999)) == "private");
    CHECK(std::string(wscodec::close_code_name(5000)) == "invalid");
    CHECK(std::string(wscodec::close_code_name(999)) == "invalid");
    CHECK(std::string(wscodec::close_code_name(1016)) == "invalid");
}
