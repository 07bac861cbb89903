// SPDX-License-Identifier: MIT
// tests/consumers/consumer.cpp — the program every consumer project in
// tests/consumers/ builds (scripts/check_consumers.sh): a client_session and
// a server_session run the opening handshake in memory, the client sends one
// text message and the server answers it; the bytes on the wire are checked.
// Exit status 0 on success.
#include <wscodec/wscodec.hpp>

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace {

int failures = 0;

void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "consumer: %s\n", what);
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

// Feeds `wire` to `to` and returns the events it reported, in order (data
// payloads copied out into `text`).
template <class Session>
std::vector<wscodec::event_type> feed(Session& to, std::vector<std::uint8_t>& wire, std::string* text = nullptr) {
    std::vector<wscodec::event_type> seen;
    wscodec::mutable_bytes in(wire.data(), wire.size());
    for (wscodec::event ev; (ev = to.receive(in)).type != wscodec::event_type::need_more;) {
        in = in.subspan(ev.consumed);
        seen.push_back(ev.type);
        if constexpr (requires { to.accept(); }) {
            if (ev.type == wscodec::event_type::request) check(to.accept() == wscodec::error::none, "accept() failed");
        }
        if (ev.type == wscodec::event_type::data && text != nullptr)
            text->append(reinterpret_cast<const char*>(ev.payload.data()), ev.payload.size());
    }
    return seen;
}

}  // namespace

int main() {
    wscodec::request_options request;
    request.host = "example.com";
    request.target = "/chat";
    wscodec::client_session client(request);
    wscodec::server_session server;
    check(client.state() != wscodec::session_state::done, "the client refused its request options");

    // The opening handshake: the request, then the 101.
    std::vector<std::uint8_t> wire = drain(client);
    check(std::string_view(reinterpret_cast<const char*>(wire.data()), 14) == "GET /chat HTTP", "the request line");
    auto events = feed(server, wire);
    check(events.size() == 1 && events[0] == wscodec::event_type::request, "the server saw no request");
    wire = drain(server);
    check(std::string_view(reinterpret_cast<const char*>(wire.data()), 12) == "HTTP/1.1 101", "the 101 status line");
    events = feed(client, wire);
    check(events.size() == 1 && events[0] == wscodec::event_type::open, "the client did not open");

    // One masked text frame from the client: 2 header bytes, 4 mask bytes, the payload.
    static const char hello[] = "hello, consumer";
    const std::string_view payload(hello, sizeof hello - 1);
    check(client.send_text(hello) == wscodec::error::none, "send_text() failed");
    wire = drain(client);
    check(wire.size() == 2 + 4 + payload.size(), "the client's frame size");
    check(wire.size() > 2 && wire[0] == 0x81 && wire[1] == (0x80 | payload.size()), "the client's frame header");
    std::string received;
    events = feed(server, wire, &received);
    check(events.size() == 1 && events[0] == wscodec::event_type::data, "the server saw no data event");
    check(received == payload, "the server received other bytes");

    // The server's answer is not masked: exactly 0x81, the length, the payload.
    check(server.send_text(hello) == wscodec::error::none, "the server's send_text() failed");
    wire = drain(server);
    std::vector<std::uint8_t> expected{0x81, static_cast<std::uint8_t>(payload.size())};
    expected.insert(expected.end(), payload.begin(), payload.end());
    check(wire == expected, "the server's frame bytes");
    received.clear();
    events = feed(client, wire, &received);
    check(events.size() == 1 && received == payload, "the client received other bytes");

    if (failures == 0) std::puts("consumer: handshake and one message each way: ok");
    return failures == 0 ? 0 : 1;
}
