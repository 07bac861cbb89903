// SPDX-License-Identifier: MIT
// tests/test_error.cpp — the error enumeration and its table: stable values,
// one row per value in value order, accessors that read the row, unique names,
// a message, a kind and a close code for every value; the HTTP status a
// server answers each opening-handshake error with; close code names.
#include <doctest/doctest.h>

#include <iterator>
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
    CHECK(static_cast<int>(error::http_bad_request_line) == 34);
    CHECK(static_cast<int>(error::http_bad_header) == 35);
    CHECK(static_cast<int>(error::http_bad_header_value) == 36);
    CHECK(static_cast<int>(error::http_obs_fold) == 37);
    CHECK(static_cast<int>(error::http_bad_line_ending) == 38);
    CHECK(static_cast<int>(error::http_headers_too_large) == 39);
    CHECK(static_cast<int>(error::http_too_many_headers) == 40);
    CHECK(static_cast<int>(error::http_version_not_supported) == 41);
    CHECK(static_cast<int>(error::handshake_http_too_old) == 42);
    CHECK(static_cast<int>(error::handshake_method_not_get) == 43);
    CHECK(static_cast<int>(error::handshake_no_host) == 44);
    CHECK(static_cast<int>(error::handshake_duplicate_header) == 45);
    CHECK(static_cast<int>(error::handshake_no_connection_upgrade) == 46);
    CHECK(static_cast<int>(error::handshake_bad_version) == 47);
    CHECK(static_cast<int>(error::handshake_bad_key) == 48);
    CHECK(static_cast<int>(error::handshake_bad_subprotocols) == 49);
    CHECK(static_cast<int>(error::handshake_bad_extensions) == 50);
    CHECK(static_cast<int>(error::handshake_request_body) == 51);
    CHECK(static_cast<int>(error::http_bad_status_line) == 52);
    CHECK(static_cast<int>(error::handshake_not_101) == 53);
    CHECK(static_cast<int>(error::handshake_no_upgrade_websocket) == 54);
    CHECK(static_cast<int>(error::handshake_bad_accept) == 55);
    CHECK(static_cast<int>(error::handshake_unexpected_subprotocol) == 56);
    CHECK(static_cast<int>(error::handshake_unexpected_extension) == 57);
    CHECK(static_cast<int>(error::handshake_not_ready) == 58);
    CHECK(static_cast<int>(error::invalid_http_input) == 59);
    CHECK(static_cast<int>(error::subprotocol_not_offered) == 60);
    CHECK(static_cast<int>(error::out_of_memory) == 61);
    CHECK(static_cast<int>(error::extended_connect_bad_method) == 62);
    CHECK(static_cast<int>(error::extended_connect_bad_protocol) == 63);
    CHECK(static_cast<int>(error::extended_connect_bad_pseudo_header) == 64);
    CHECK(static_cast<int>(error::extended_connect_connection_header) == 65);
    CHECK(static_cast<int>(error::handshake_timeout) == 66);
    CHECK(static_cast<int>(error::extended_connect_rejected) == 67);
    CHECK(static_cast<int>(error::handshake_no_upgrade_header) == 68);
    CHECK(static_cast<int>(error::send_queue_full) == 69);
    CHECK(static_cast<int>(error::keepalive_timeout) == 70);
    CHECK(static_cast<int>(error::idle_timeout) == 71);
    CHECK(static_cast<int>(error::inflate_failed) == 72);
    CHECK(static_cast<int>(error::deflate_failed) == 73);
    CHECK(static_cast<int>(error::handshake_bad_deflate) == 74);
}

TEST_CASE("error: every row of the table sits at its value's position") {
    const auto& rows = wscodec::detail::error_rows;
    CHECK(std::size(rows) == 75);
    CHECK(wscodec::detail::error_rows_in_order());
    for (std::size_t i = 0; i < std::size(rows); ++i) {
        CAPTURE(i);
        CHECK(static_cast<std::size_t>(rows[i].value) == i);
    }
}

TEST_CASE("error: every accessor gives the row of its value, and the unknown row past the table") {
    const auto& rows = wscodec::detail::error_rows;
    for (std::size_t i = 0; i <= 0xFF; ++i) {
        const auto e = static_cast<error>(i);
        const wscodec::detail::error_row& r = i < std::size(rows) ? rows[i] : wscodec::detail::unknown_error_row;
        CAPTURE(i);
        CHECK(wscodec::error_name(e) == r.name);
        CHECK(wscodec::error_message(e) == r.message);
        CHECK(wscodec::kind_of(e) == r.kind);
        CHECK(wscodec::close_code_for(e) == r.code);
        CHECK(wscodec::http_status_for(e) == r.http_status);
    }
    const auto unknown = static_cast<error>(std::size(rows));
    CHECK(std::string(wscodec::error_name(unknown)) == "unknown");
    CHECK(std::string(wscodec::error_message(unknown)) == "unknown error");
    CHECK(wscodec::kind_of(unknown) == wscodec::error_kind::none);
    CHECK(wscodec::close_code_for(unknown) == wscodec::close_code::internal_error);
    CHECK(wscodec::http_status_for(unknown) == 0);
}

TEST_CASE("error: out_of_memory is this endpoint's trouble, not the peer's (§7.4.1 1011, RFC 9110 503)") {
    CHECK(wscodec::kind_of(error::out_of_memory) == wscodec::error_kind::resource);
    CHECK(wscodec::close_code_for(error::out_of_memory) == wscodec::close_code::internal_error);
    CHECK(static_cast<int>(wscodec::close_code_for(error::out_of_memory)) == 1011);
    CHECK(wscodec::is_sendable_close_code(wscodec::close_code_for(error::out_of_memory)));
    CHECK(wscodec::http_status_for(error::out_of_memory) == 503);
}

TEST_CASE("error: every value has a unique name, a message, a kind and a close code") {
    const std::size_t n = error_count();
    CHECK(n == 75);
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
        } else if (wscodec::kind_of(e) == wscodec::error_kind::resource) {
            CHECK(code == wscodec::close_code::internal_error);
        } else if (wscodec::kind_of(e) == wscodec::error_kind::timeout) {
            // A live peer that went silent is closed with a code it may receive.
            CHECK(wscodec::is_sendable_close_code(code));
            CHECK((code == wscodec::close_code::internal_error || code == wscodec::close_code::going_away));
        } else if (wscodec::kind_of(e) == wscodec::error_kind::closed) {
            CHECK(code == wscodec::close_code::abnormal);
            CHECK_FALSE(wscodec::is_sendable_close_code(code));
        } else {
            // The peer broke RFC 6455 in a frame, or in its opening handshake.
            CHECK((wscodec::kind_of(e) == wscodec::error_kind::protocol || wscodec::kind_of(e) == wscodec::error_kind::http));
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

TEST_CASE("error: opening-handshake errors 34-68: names, kinds, close codes and HTTP statuses (RFC 9110 §15, RFC 6455 §4.2.2)") {
    using wscodec::error_kind;
    struct row {
        error e;
        const char* name;
        error_kind kind;
        std::uint16_t status;  ///< what a server answers with; 0: never a server's answer
    };
    const row rows[] = {
        {error::http_bad_request_line, "http_bad_request_line", error_kind::http, 400},
        {error::http_bad_header, "http_bad_header", error_kind::http, 400},
        {error::http_bad_header_value, "http_bad_header_value", error_kind::http, 400},
        {error::http_obs_fold, "http_obs_fold", error_kind::http, 400},
        {error::http_bad_line_ending, "http_bad_line_ending", error_kind::http, 400},
        {error::http_headers_too_large, "http_headers_too_large", error_kind::http, 431},
        {error::http_too_many_headers, "http_too_many_headers", error_kind::http, 431},
        {error::http_version_not_supported, "http_version_not_supported", error_kind::http, 505},
        {error::handshake_http_too_old, "handshake_http_too_old", error_kind::http, 400},
        {error::handshake_method_not_get, "handshake_method_not_get", error_kind::http, 405},
        {error::handshake_no_host, "handshake_no_host", error_kind::http, 400},
        {error::handshake_duplicate_header, "handshake_duplicate_header", error_kind::http, 400},
        {error::handshake_no_connection_upgrade, "handshake_no_connection_upgrade", error_kind::http, 400},
        {error::handshake_bad_version, "handshake_bad_version", error_kind::http, 426},
        {error::handshake_bad_key, "handshake_bad_key", error_kind::http, 400},
        {error::handshake_bad_subprotocols, "handshake_bad_subprotocols", error_kind::http, 400},
        {error::handshake_bad_extensions, "handshake_bad_extensions", error_kind::http, 400},
        {error::handshake_request_body, "handshake_request_body", error_kind::http, 400},
        // The server's response, read by a client: never answered with a status.
        {error::http_bad_status_line, "http_bad_status_line", error_kind::http, 0},
        {error::handshake_not_101, "handshake_not_101", error_kind::http, 0},
        {error::handshake_no_upgrade_websocket, "handshake_no_upgrade_websocket", error_kind::http, 0},
        {error::handshake_bad_accept, "handshake_bad_accept", error_kind::http, 0},
        {error::handshake_unexpected_subprotocol, "handshake_unexpected_subprotocol", error_kind::http, 0},
        {error::handshake_unexpected_extension, "handshake_unexpected_extension", error_kind::http, 0},
        // Local misuse.
        {error::handshake_not_ready, "handshake_not_ready", error_kind::usage, 0},
        {error::invalid_http_input, "invalid_http_input", error_kind::usage, 0},
        {error::subprotocol_not_offered, "subprotocol_not_offered", error_kind::usage, 0},
        {error::out_of_memory, "out_of_memory", error_kind::resource, 503},
        // RFC 8441 / RFC 9220 extended CONNECT requests.
        {error::extended_connect_bad_method, "extended_connect_bad_method", error_kind::http, 400},
        {error::extended_connect_bad_protocol, "extended_connect_bad_protocol", error_kind::http, 400},
        {error::extended_connect_bad_pseudo_header, "extended_connect_bad_pseudo_header", error_kind::http, 400},
        {error::extended_connect_connection_header, "extended_connect_connection_header", error_kind::http, 400},
        {error::handshake_timeout, "handshake_timeout", error_kind::closed, 0},
        // RFC 8441 §5 / RFC 9220: the server's answer to an extended CONNECT, read by a client.
        {error::extended_connect_rejected, "extended_connect_rejected", error_kind::http, 0},
        // §4.2.1 item 3: a WebSocket request without Upgrade: websocket.
        {error::handshake_no_upgrade_header, "handshake_no_upgrade_header", error_kind::http, 400},
    };
    CHECK(std::size(rows) == 68 - 34 + 1);
    int value = 34;
    for (const row& r : rows) {
        CAPTURE(r.name);
        CHECK(static_cast<int>(r.e) == value++);
        CHECK(std::string(wscodec::error_name(r.e)) == r.name);
        CHECK(wscodec::kind_of(r.e) == r.kind);
        CHECK(wscodec::http_status_for(r.e) == r.status);
        const auto code = wscodec::close_code_for(r.e);
        switch (r.kind) {
            case error_kind::http: CHECK(code == wscodec::close_code::protocol_error); break;
            case error_kind::usage: CHECK(code == wscodec::close_code::internal_error); break;
            case error_kind::limit: CHECK(code == wscodec::close_code::message_too_big); break;
            case error_kind::resource: CHECK(code == wscodec::close_code::internal_error); break;
            case error_kind::closed: CHECK(code == wscodec::close_code::abnormal); break;
            default: CHECK(false); break;
        }
    }
}

TEST_CASE("error: http_status_for is 0 for every error before the handshake's, and for none") {
    for (int i = 0; i <= 33; ++i) {
        CAPTURE(i);
        CHECK(wscodec::http_status_for(static_cast<error>(i)) == 0);
        CHECK(wscodec::kind_of(static_cast<error>(i)) != wscodec::error_kind::http);
    }
    // Every status a server answers with is a client error, or 5xx for its own trouble.
    for (int i = 34; i <= 68; ++i) {
        const std::uint16_t s = wscodec::http_status_for(static_cast<error>(i));
        CAPTURE(i);
        CHECK((s == 0 || s == 400 || s == 405 || s == 426 || s == 431 || s == 503 || s == 505));
    }
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
