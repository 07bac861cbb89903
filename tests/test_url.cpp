// SPDX-License-Identifier: MIT
// tests/test_url.cpp — ws:// and wss:// URLs (wscodec/url.hpp), grouped by RFC 6455
// section, then the RFC 3986 parts a WebSocket URL is made of. Every parse reads from a
// guard-page buffer, and every view of a parsed URL must lie inside it.
#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <wscodec/url.hpp>

#include "helpers.hpp"

namespace {

using wscodec::parse_ws_url;
using wscodec::url_error;
using wscodec::ws_url;

/// What a parse of a valid URL must give, field by field.
struct fields {
    bool secure = false;
    std::string_view host{};
    bool ipv6 = false;
    std::uint16_t port = 80;
    bool port_is_default = true;
    std::string_view host_header{};
    std::string_view path{};
    std::string_view query{};
    std::string_view resource_name{};
};

using test::guarded_text;

/// True if `part` is empty or lies inside `whole`.
bool inside(std::string_view part, std::string_view whole) {
    return part.empty() || (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

void check_ok(std::string_view text, const fields& want) {
    INFO("URL: ", std::string(text));
    const guarded_text in(text);
    const ws_url u = parse_ws_url(in.view());
    REQUIRE(u.err == url_error::none);
    CHECK(u.ok());
    CHECK(u.position == text.size());
    CHECK(u.secure == want.secure);
    CHECK(u.host == want.host);
    CHECK(u.ipv6 == want.ipv6);
    CHECK(u.port == want.port);
    CHECK(u.port_is_default == want.port_is_default);
    CHECK(u.host_header == want.host_header);
    CHECK(u.path == want.path);
    CHECK(u.query == want.query);
    CHECK(u.resource_name() == want.resource_name);
    CHECK(u.resource_name_size() == want.resource_name.size());
    for (std::string_view v : {u.host, u.host_header, u.path, u.query, u.resource_name()})
        CHECK((inside(v, in.view()) || v == "/"));
}

void check_fails(std::string_view text, url_error err, std::size_t position) {
    INFO("URL: ", std::string(text));
    const guarded_text in(text);
    const ws_url u = parse_ws_url(in.view());
    CHECK(wscodec::url_error_name(u.err) == std::string_view(wscodec::url_error_name(err)));
    CHECK(u.position == position);
    CHECK(!u.ok());
    CHECK(u.resource_name().empty());
    CHECK((u.host.empty() && u.host_header.empty() && !u.secure && !u.ipv6));  // nothing half-parsed
}

}  // namespace

// §3: ws-URI = "ws:" "//" host [ ":" port ] path [ "?" query ]
TEST_CASE("§3: a ws URI gives host, port, path and query") {
    check_ok("ws://example.com/chat", {.host = "example.com", .host_header = "example.com", .path = "/chat",
                                       .resource_name = "/chat"});
    check_ok("ws://example.com:9001/chat?x=1&y=2",
             {.host = "example.com", .port = 9001, .port_is_default = false, .host_header = "example.com:9001",
              .path = "/chat", .query = "x=1&y=2", .resource_name = "/chat?x=1&y=2"});
    check_ok("ws://127.0.0.1:8080/", {.host = "127.0.0.1", .port = 8080, .port_is_default = false,
                                      .host_header = "127.0.0.1:8080", .path = "/", .resource_name = "/"});
    check_ok("ws://h/a/b/../c;p=1:2@x/", {.host = "h", .host_header = "h", .path = "/a/b/../c;p=1:2@x/",
                                          .resource_name = "/a/b/../c;p=1:2@x/"});
    check_ok("ws://h/?q=/a?b", {.host = "h", .host_header = "h", .path = "/", .query = "q=/a?b",
                                .resource_name = "/?q=/a?b"});
    check_ok("ws://h/%41%2f%2F", {.host = "h", .host_header = "h", .path = "/%41%2f%2F",
                                  .resource_name = "/%41%2f%2F"});
}

TEST_CASE("§3: the secure flag is set if the scheme matches wss case-insensitively") {
    check_ok("wss://example.com/", {.secure = true, .host = "example.com", .port = 443,
                                    .host_header = "example.com", .path = "/", .resource_name = "/"});
    check_ok("WSS://example.com/", {.secure = true, .host = "example.com", .port = 443,
                                    .host_header = "example.com", .path = "/", .resource_name = "/"});
    check_ok("wSs://example.com/", {.secure = true, .host = "example.com", .port = 443,
                                    .host_header = "example.com", .path = "/", .resource_name = "/"});
    check_ok("WS://example.com/", {.host = "example.com", .host_header = "example.com", .path = "/",
                                   .resource_name = "/"});
    check_ok("Ws://EXAMPLE.com/", {.host = "EXAMPLE.com", .host_header = "EXAMPLE.com", .path = "/",
                                   .resource_name = "/"});
}

TEST_CASE("§3: the port is optional, the default for ws is 80 and for wss 443") {
    check_ok("ws://example.com", {.host = "example.com", .host_header = "example.com", .resource_name = "/"});
    check_ok("wss://example.com", {.secure = true, .host = "example.com", .port = 443,
                                   .host_header = "example.com", .resource_name = "/"});
    // The default written out is still the default: the Host field leaves it off (§4.1 item 4).
    check_ok("ws://example.com:80/", {.host = "example.com", .host_header = "example.com", .path = "/",
                                      .resource_name = "/"});
    check_ok("wss://example.com:443/", {.secure = true, .host = "example.com", .port = 443,
                                        .host_header = "example.com", .path = "/", .resource_name = "/"});
    check_ok("ws://example.com:0080", {.host = "example.com", .host_header = "example.com", .resource_name = "/"});
    // The other scheme's default is not this one's.
    check_ok("ws://example.com:443", {.host = "example.com", .port = 443, .port_is_default = false,
                                      .host_header = "example.com:443", .resource_name = "/"});
    check_ok("wss://example.com:80", {.secure = true, .host = "example.com", .port = 80, .port_is_default = false,
                                      .host_header = "example.com:80", .resource_name = "/"});
    // RFC 3986 §3.2.3: port = *DIGIT, so an empty port is allowed and means the default.
    check_ok("ws://example.com:/x", {.host = "example.com", .host_header = "example.com", .path = "/x",
                                     .resource_name = "/x"});
    check_ok("wss://example.com:", {.secure = true, .host = "example.com", .port = 443,
                                    .host_header = "example.com", .resource_name = "/"});
}

TEST_CASE("§3: resource-name is \"/\" if the path is empty, the path, \"?\" if the query is non-empty, the query") {
    check_ok("ws://h", {.host = "h", .host_header = "h", .resource_name = "/"});
    check_ok("ws://h/", {.host = "h", .host_header = "h", .path = "/", .resource_name = "/"});
    check_ok("ws://h/p?", {.host = "h", .host_header = "h", .path = "/p", .resource_name = "/p"});
    check_ok("ws://h?", {.host = "h", .host_header = "h", .resource_name = "/"});
    check_ok("ws://h/p?q", {.host = "h", .host_header = "h", .path = "/p", .query = "q", .resource_name = "/p?q"});
    check_ok("ws://h//", {.host = "h", .host_header = "h", .path = "//", .resource_name = "//"});

    SUBCASE("an empty path before a query: the '/' is not in the text, so it is written to scratch") {
        const guarded_text in("ws://h:81?x=1");
        const ws_url u = parse_ws_url(in.view());
        REQUIRE(u.ok());
        CHECK(u.path.empty());
        CHECK(u.query == "x=1");
        CHECK(u.resource_name_size() == 5);
        CHECK(u.resource_name().empty());  // no scratch: nothing rather than a wrong target
        std::array<char, 4> small{};
        CHECK(u.resource_name(small).empty());
        std::array<char, 5> scratch{};
        const std::string_view r = u.resource_name(scratch);
        CHECK(r == "/?x=1");
        CHECK(r.data() == scratch.data());
        CHECK(u.host_header == "h:81");
    }
    SUBCASE("otherwise scratch is left alone and the name views the text") {
        const guarded_text in("ws://h/p?x=1");
        const ws_url u = parse_ws_url(in.view());
        std::array<char, 8> scratch{};
        const std::string_view r = u.resource_name(scratch);
        CHECK(r == "/p?x=1");
        CHECK(r.data() == in.view().data() + 6);
        CHECK(scratch == std::array<char, 8>{});
    }
}

TEST_CASE("§3: fragment identifiers MUST NOT be used on WebSocket URIs") {
    check_fails("ws://host#frag", url_error::fragment, 9);
    check_fails("ws://host/chat#frag", url_error::fragment, 14);
    check_fails("ws://host/chat?x=1#", url_error::fragment, 18);
    check_fails("wss://host#", url_error::fragment, 10);
    check_fails("ws://#", url_error::fragment, 5);
    // "the character "#", when not indicating the start of a fragment, MUST be escaped as %23"
    check_ok("ws://host/a%23b?c=%23", {.host = "host", .host_header = "host", .path = "/a%23b", .query = "c=%23",
                                       .resource_name = "/a%23b?c=%23"});
}

// §4.1 item 1: the components "MUST be valid according to the specification of WebSocket
// URIs specified in Section 3"; any other scheme is not a WebSocket URI.
TEST_CASE("§3, §4.1: only ws:// and wss://") {
    check_fails("http://example.com/", url_error::bad_scheme, 0);
    check_fails("https://example.com/", url_error::bad_scheme, 0);
    check_fails("wss:/example.com/", url_error::bad_scheme, 0);
    check_fails("ws:example.com", url_error::bad_scheme, 0);
    check_fails("ws//example.com", url_error::bad_scheme, 0);
    check_fails("wsx://example.com", url_error::bad_scheme, 0);
    check_fails("w://example.com", url_error::bad_scheme, 0);
    check_fails("example.com", url_error::bad_scheme, 0);
    check_fails("//example.com/", url_error::bad_scheme, 0);
    check_fails("", url_error::bad_scheme, 0);
    check_fails("ws", url_error::bad_scheme, 0);
    check_fails("ws:/", url_error::bad_scheme, 0);
}

TEST_CASE("§4.1 item 4: the Host field is the host plus \":\" and the port when it is not the default") {
    check_ok("ws://[::1]:9001/chat?x=1", {.host = "::1", .ipv6 = true, .port = 9001, .port_is_default = false,
                                          .host_header = "[::1]:9001", .path = "/chat", .query = "x=1",
                                          .resource_name = "/chat?x=1"});
    check_ok("ws://[::1]/", {.host = "::1", .ipv6 = true, .host_header = "[::1]", .path = "/", .resource_name = "/"});
    check_ok("wss://[2001:db8::7]:443", {.secure = true, .host = "2001:db8::7", .ipv6 = true, .port = 443,
                                         .host_header = "[2001:db8::7]", .resource_name = "/"});
    check_ok("ws://[::1]:80/?a", {.host = "::1", .ipv6 = true, .host_header = "[::1]", .path = "/", .query = "a",
                                  .resource_name = "/?a"});
    // The port as written (leading zeros are decimal digits too, RFC 3986 §3.2.3).
    check_ok("ws://h:08081/", {.host = "h", .port = 8081, .port_is_default = false, .host_header = "h:08081",
                               .path = "/", .resource_name = "/"});
}

// RFC 3986 §3.2.1: authority = [ userinfo "@" ] host [ ":" port ]. RFC 6455's host is the
// host alone; credentials in a URL would also be sent nowhere and logged everywhere.
TEST_CASE("RFC 3986 §3.2.1: userinfo is rejected") {
    check_fails("ws://user@host", url_error::userinfo, 9);
    check_fails("ws://user:secret@host:81/x", url_error::userinfo, 16);
    check_fails("wss://@host", url_error::userinfo, 6);
    check_fails("ws://user@[::1]/", url_error::userinfo, 9);
    check_fails("ws://a@b@c/", url_error::userinfo, 6);
    // An '@' after the host is part of the path or query.
    check_ok("ws://host/@x?u=a@b", {.host = "host", .host_header = "host", .path = "/@x", .query = "u=a@b",
                                    .resource_name = "/@x?u=a@b"});
}

TEST_CASE("RFC 3986 §3.2.2: a host is a reg-name, an IPv4 address or an IPv6 address in brackets") {
    check_ok("ws://a-b.c_d~e!$&'()*+,;=/", {.host = "a-b.c_d~e!$&'()*+,;=", .host_header = "a-b.c_d~e!$&'()*+,;=",
                                             .path = "/", .resource_name = "/"});
    check_ok("ws://xn--bcher-kva.example", {.host = "xn--bcher-kva.example", .host_header = "xn--bcher-kva.example",
                                            .resource_name = "/"});
    check_ok("ws://b%C3%BCcher.example:82", {.host = "b%C3%BCcher.example", .port = 82, .port_is_default = false,
                                             .host_header = "b%C3%BCcher.example:82", .resource_name = "/"});
    check_ok("ws://localhost", {.host = "localhost", .host_header = "localhost", .resource_name = "/"});
    // "1.2.3.999" is no IPv4address, so by "first-match-wins" it is a reg-name.
    check_ok("ws://1.2.3.999", {.host = "1.2.3.999", .host_header = "1.2.3.999", .resource_name = "/"});

    SUBCASE("empty") {
        check_fails("ws://", url_error::empty_host, 5);
        check_fails("ws:///chat", url_error::empty_host, 5);
        check_fails("wss://?x", url_error::empty_host, 6);
        check_fails("ws://:80/", url_error::empty_host, 5);
        check_fails("ws://:", url_error::empty_host, 5);
    }
    SUBCASE("characters a reg-name may not hold") {
        check_fails("ws://a%zz/", url_error::bad_host, 6);
        check_fails("ws://a%4/", url_error::bad_host, 6);
        check_fails("ws://a%", url_error::bad_host, 6);
        check_fails("ws://ex[ample/", url_error::bad_host, 7);
        check_fails("ws://example]/", url_error::bad_host, 12);
    }
    SUBCASE("an IPv6 address must be in brackets") {
        check_fails("ws://::1/", url_error::empty_host, 5);
        check_fails("ws://fe80::1/", url_error::bad_host, 5);
        check_fails("ws://2001:db8::1:9001/", url_error::bad_host, 5);
        check_fails("ws://host:80:81/", url_error::bad_host, 5);
    }
    SUBCASE("IPv6 literal without its ']'") {
        check_fails("ws://[::1", url_error::unclosed_ipv6, 5);
        check_fails("ws://[::1:9001/chat", url_error::unclosed_ipv6, 5);
        check_fails("ws://[::1/]", url_error::unclosed_ipv6, 5);
        check_fails("wss://[", url_error::unclosed_ipv6, 6);
    }
    SUBCASE("after ']' only a port") {
        check_fails("ws://[::1]x/", url_error::bad_host, 10);
        check_fails("ws://[::1]]/", url_error::bad_host, 10);
        check_fails("ws://[::1][::2]/", url_error::bad_host, 10);
    }
}

TEST_CASE("RFC 3986 §3.2.2: IPv6address") {
    const std::string_view valid[] = {
        "::", "::1", "1::", "1::2", "2001:db8::1", "2001:DB8:0:0:8:800:200C:417A", "fe80::1:2:3:4:5:6",
        "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8", "1:2:3:4:5:6::8", "::ffff:192.0.2.128",
        "1:2:3:4:5:6:1.2.3.4", "::1.2.3.4", "1::1.2.3.4", "64:ff9b::0.0.0.0", "ffff::255.255.255.255", "0:0:0:0:0:0:0:0",
        "abcd:ef01:2345:6789:ABCD:EF01:2345:6789",
    };
    for (std::string_view a : valid) {
        const std::string url = "ws://[" + std::string(a) + "]:9/";
        INFO("URL: ", url);
        const guarded_text in(url);
        const ws_url u = parse_ws_url(in.view());
        CHECK(u.ok());
        CHECK(u.ipv6);
        CHECK(u.host == a);
        CHECK(u.host_header == "[" + std::string(a) + "]:9");
    }
    const std::string_view invalid[] = {
        "", ":", ":::", "1", "1:2", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7:8::", "::1:2:3:4:5:6:7:8",
        "1::2::3", "1:::2", ":1::2", "1::2:", "1:2:3:4:5:6:7:", "12345::", "g::1", "::1.2.3", "::1.2.3.4.5",
        "::256.1.1.1", "::01.2.3.4", "1.2.3.4", "1.2.3.4::", "::1.2.3.4:1", "1:2:3:4:5:6:7:1.2.3.4",
        "::1%25eth0", "v1.fe80::1", " ::1", "::1 ",
    };
    for (std::string_view a : invalid) {
        const std::string url = "ws://[" + std::string(a) + "]/";
        const bool has_space = a.find(' ') != std::string_view::npos;
        check_fails(url, has_space ? url_error::invalid_character : url_error::bad_host,
                    has_space ? 6 + a.find(' ') : 5);
    }
}

TEST_CASE("RFC 3986 §3.2.3: a port from 1 to 65535") {
    check_ok("ws://h:1", {.host = "h", .port = 1, .port_is_default = false, .host_header = "h:1",
                          .resource_name = "/"});
    check_ok("ws://h:65535/", {.host = "h", .port = 65535, .port_is_default = false, .host_header = "h:65535",
                               .path = "/", .resource_name = "/"});
    check_fails("ws://h:0/", url_error::bad_port, 7);
    check_fails("ws://h:00000", url_error::bad_port, 7);
    check_fails("ws://h:65536/", url_error::bad_port, 7);
    check_fails("ws://h:99999999999999999999999/", url_error::bad_port, 7);
    check_fails("ws://h:abc/", url_error::bad_port, 7);
    check_fails("ws://h:80a", url_error::bad_port, 7);
    check_fails("ws://h:-1", url_error::bad_port, 7);
    check_fails("ws://h:+80", url_error::bad_port, 7);
    check_fails("ws://[::1]:0/", url_error::bad_port, 11);
    check_fails("ws://[::1]:x", url_error::bad_port, 11);
}

TEST_CASE("whitespace, control bytes and non-ASCII are rejected where they stand (no trimming)") {
    check_fails(" ws://h/", url_error::invalid_character, 0);
    check_fails("ws://h/ ", url_error::invalid_character, 7);
    check_fails("ws://h/\n", url_error::invalid_character, 7);
    check_fails("ws://h /", url_error::invalid_character, 6);
    check_fails("ws://h/a b", url_error::invalid_character, 8);
    check_fails("ws://h/a\tb", url_error::invalid_character, 8);
    check_fails("ws://h/?a=b c", url_error::invalid_character, 11);
    check_fails("ws://h/\x7f", url_error::invalid_character, 7);
    check_fails(std::string_view("ws://h/\0", 8), url_error::invalid_character, 7);
    check_fails("ws://h\r\nX: y/", url_error::invalid_character, 6);
    check_fails("ws://b\xc3\xbc" "cher/", url_error::invalid_character, 6);
    check_fails("ws://h/\xc3\xbc", url_error::invalid_character, 7);
    // Neither reserved nor unreserved (RFC 3986 §2), wherever they stand.
    for (char c : std::string_view("\"<>\\^`{|}")) {
        check_fails("ws://h/a" + std::string(1, c), url_error::invalid_character, 8);
        check_fails("ws://h" + std::string(1, c) + "/", url_error::invalid_character, 6);
    }
    // Checked before the rest: the first bad byte, even past a fragment or userinfo.
    check_fails("ws://u@h/#a b", url_error::invalid_character, 11);
    check_fails("http://a b", url_error::invalid_character, 8);
    // In the path and query: '[' and ']' (gen-delims, RFC 3986 §3.3, §3.4) and bad pct-encoding.
    check_fails("ws://h/[x]", url_error::invalid_character, 7);
    check_fails("ws://h/?x]", url_error::invalid_character, 9);
    check_fails("ws://h/%", url_error::invalid_character, 7);
    check_fails("ws://h/%4", url_error::invalid_character, 7);
    check_fails("ws://h/%4g", url_error::invalid_character, 7);
    check_fails("ws://h?%%41", url_error::invalid_character, 7);
}

TEST_CASE("every prefix of a URL parses within its bytes, to a URL or a documented error") {
    const std::string_view full = "wss://[2001:db8::1]:9001/chat/%41?x=%42&y=[";
    const std::set<url_error> documented = {url_error::none, url_error::bad_scheme, url_error::empty_host,
                                            url_error::unclosed_ipv6, url_error::bad_port,
                                            url_error::invalid_character};
    for (std::size_t n = 0; n <= full.size(); ++n) {
        INFO("prefix of ", n, " bytes");
        const guarded_text in(full.substr(0, n));
        const ws_url u = parse_ws_url(in.view());
        CHECK(documented.count(u.err) == 1);
        CHECK(u.position <= n);
        if (u.ok()) {
            CHECK(n >= 19);
            CHECK(u.host == "2001:db8::1");
        }
    }
    CHECK(parse_ws_url(full).err == url_error::invalid_character);
    CHECK(parse_ws_url(full).position == full.size() - 1);
}

TEST_CASE("parse_ws_url is constexpr") {
    constexpr ws_url u = parse_ws_url("wss://[::1]:8443/x?y");
    static_assert(u.ok() && u.secure && u.ipv6 && u.port == 8443 && !u.port_is_default);
    static_assert(u.host == "::1" && u.host_header == "[::1]:8443" && u.resource_name() == "/x?y");
    static_assert(parse_ws_url("ws://h#f").err == url_error::fragment);
    CHECK(u.path == "/x");
}

TEST_CASE("url_error: stable values, a name and a message for each") {
    CHECK(static_cast<int>(url_error::none) == 0);
    CHECK(static_cast<int>(url_error::invalid_character) == 1);
    CHECK(static_cast<int>(url_error::bad_scheme) == 2);
    CHECK(static_cast<int>(url_error::fragment) == 3);
    CHECK(static_cast<int>(url_error::userinfo) == 4);
    CHECK(static_cast<int>(url_error::empty_host) == 5);
    CHECK(static_cast<int>(url_error::bad_host) == 6);
    CHECK(static_cast<int>(url_error::unclosed_ipv6) == 7);
    CHECK(static_cast<int>(url_error::bad_port) == 8);
    const std::string_view names[] = {"none", "invalid_character", "bad_scheme", "fragment", "userinfo",
                                      "empty_host", "bad_host", "unclosed_ipv6", "bad_port"};
    std::set<std::string_view> messages;
    for (std::size_t i = 0; i < std::size(names); ++i) {
        const auto e = static_cast<url_error>(i);
        CHECK(wscodec::url_error_name(e) == names[i]);
        const std::string_view m = wscodec::url_error_message(e);
        CHECK(!m.empty());
        messages.insert(m);
    }
    CHECK(messages.size() == std::size(names));
    CHECK(wscodec::url_error_name(static_cast<url_error>(9)) == std::string_view("unknown"));
    CHECK(wscodec::url_error_message(static_cast<url_error>(200)) == std::string_view("unknown error"));
    CHECK(wscodec::url_error_message(url_error::fragment) ==
          std::string_view("a WebSocket URL must not have a fragment (#)"));
}
