// SPDX-License-Identifier: MIT
// tests/consumers/consumer_zlib.cpp — the program the zlib consumer projects
// build (scripts/check_consumers.sh, the zlib_* ways): a client_session and a
// server_session, each with a zlib_backend, agree to permessage-deflate in the
// opening handshake; the client sends a compressible text message and the
// server a binary one, compressed (RSV1 set, fewer bytes on the wire than the
// message) and inflated by the peer to the same bytes. Exit status 0 on success.
#include <wscodec/wscodec.hpp>
#include <wscodec/zlib.hpp>

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace {

int failures = 0;

void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "consumer_zlib: %s\n", what);
        ++failures;
    }
}

// Everything `from` has to write, as one buffer (its output() acknowledged).
template <class Session>
std::vector<std::uint8_t> drain(Session& from) {
    std::vector<std::uint8_t> wire;
    for (auto out = from.output(); !out.empty(); out = from.output()) {
        std::size_t n = 0;
        for (std::size_t i = 0; i < out.count; ++i) {
            wire.insert(wire.end(), out.parts[i].begin(), out.parts[i].end());
            n += out.parts[i].size();
        }
        from.consume(n);
    }
    return wire;
}

// What a session reported for one buffer of input: the event types but data
// and need_more, and the messages, each whole (inflated data comes in pieces).
struct report {
    std::vector<wscodec::event_type> events;
    std::vector<std::string> messages;
};

// Feeds `wire` to `to` until it consumed it all and owes no event; the
// server accepts a request.
template <class Session>
report feed(Session& to, std::vector<std::uint8_t>& wire) {
    report r;
    std::string current;
    wscodec::mutable_bytes in(wire.data(), wire.size());
    for (int guard = 0; guard < 100000; ++guard) {
        const wscodec::event ev = to.receive(in);
        in = in.subspan(ev.consumed);
        if (ev.type == wscodec::event_type::data) {
            current.append(reinterpret_cast<const char*>(ev.payload.data()), ev.payload.size());
            if (ev.last) {
                r.messages.push_back(current);
                current.clear();
            }
        } else if (ev.type == wscodec::event_type::need_more) {
            if (in.empty() && !to.has_pending_event()) return r;
        } else {
            r.events.push_back(ev.type);
            if constexpr (requires { to.accept(); }) {
                if (ev.type == wscodec::event_type::request) check(to.accept() == wscodec::error::none, "accept() failed");
            }
        }
    }
    check(false, "receive() made no progress");
    return r;
}

// A compressible message of `n` bytes.
std::string repetitive(std::size_t n, const char* unit) {
    std::string s;
    while (s.size() < n) s += unit;
    s.resize(n);
    return s;
}

}  // namespace

int main() {
    wscodec::zlib_backend client_zlib, server_zlib;  // outlive their sessions
    wscodec::session_options client_options, server_options;
    client_options.deflate = &client_zlib;
    server_options.deflate = &server_zlib;
    wscodec::request_options request;
    request.host = "example.com";
    request.target = "/zlib";
    wscodec::client_session client(request, client_options);
    wscodec::server_session server(server_options);

    // The opening handshake: the offer, then the 101 that agrees to it.
    std::vector<std::uint8_t> wire = drain(client);
    const std::string offer(wire.begin(), wire.end());
    check(offer.find("\r\nSec-WebSocket-Extensions: permessage-deflate") != std::string::npos, "the request offers no permessage-deflate");
    report r = feed(server, wire);
    check(r.events.size() == 1 && r.events[0] == wscodec::event_type::request, "the server saw no request");
    check(server.deflate_agreed(), "the server did not agree to permessage-deflate");
    wire = drain(server);
    check(std::string(wire.begin(), wire.end()).find("\r\nSec-WebSocket-Extensions: permessage-deflate") != std::string::npos,
          "the 101 agrees to no permessage-deflate");
    r = feed(client, wire);
    check(r.events.size() == 1 && r.events[0] == wscodec::event_type::open, "the client did not open");
    check(client.deflate_agreed(), "the client did not take the agreement");

    // Client to server, text: one masked frame with RSV1, smaller than the text.
    const std::string text = repetitive(4000, "{\"price\":42,\"side\":\"buy\"},");
    check(client.send_text(text) == wscodec::error::none, "send_text() failed");
    wire = drain(client);
    check(wire.size() > 2 && (wire[0] & 0xF0) == 0xC0 && (wire[1] & 0x80) != 0, "the client's frame is not FIN+RSV1, masked");
    check(wire.size() < text.size() / 4, "the client's message was not compressed");
    r = feed(server, wire);
    check(r.messages.size() == 1 && r.messages[0] == text, "the server inflated other bytes");

    // Server to client, binary: unmasked, RSV1, inflated to the same bytes.
    std::string binary = repetitive(70000, "wscodec\x01\x02\x03 zlib ");
    binary[100] = '\0';
    check(server.send_binary(wscodec::bytes_view(reinterpret_cast<const std::uint8_t*>(binary.data()), binary.size())) ==
              wscodec::error::none,
          "send_binary() failed");
    wire = drain(server);
    check(wire.size() > 2 && (wire[0] & 0x70) == 0x40 && (wire[1] & 0x80) == 0, "the server's first frame is not RSV1, unmasked");
    check(wire.size() < binary.size() / 4, "the server's message was not compressed");
    r = feed(client, wire);
    check(r.messages.size() == 1 && r.messages[0] == binary, "the client inflated other bytes");

    if (failures == 0) std::puts("consumer_zlib: permessage-deflate agreed, one compressed message each way: ok");
    return failures == 0 ? 0 : 1;
}
