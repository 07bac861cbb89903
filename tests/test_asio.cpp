// SPDX-License-Identifier: MIT
// tests/test_asio.cpp — wscodec/asio.hpp, the optional Boost.Asio adapter, over
// real loopback TCP connections on one io_context: an adapter server and an
// adapter client (or a raw socket writing frames by hand). Messages of every
// boundary size echo byte-exact with permessage-deflate off and on; concurrent
// writes come out in order, and past the queue's bound are refused; ping and
// pong (§5.5.2, §5.5.3); the close handshake from either side with code and
// reason (§5.5.1, §7.1.2-§7.1.5); a protocol violation (§5.2, reserved opcode)
// and a refused handshake give their errors; keepalive from the session's timer
// hints (ping a silent peer, fail one that never answers).
#include <doctest/doctest.h>

#include <utility>  // before Boost.Asio 1.74, whose awaitable.hpp uses std::exchange without it

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>
#include <wscodec/asio.hpp>
#include <wscodec/zlib.hpp>

#ifdef BOOST_NO_EXCEPTIONS  // -fno-exceptions: Boost calls these where it would throw; the program defines them
#include <boost/throw_exception.hpp>
#include <cstdlib>
void boost::throw_exception(const std::exception&) { std::abort(); }
void boost::throw_exception(const std::exception&, const boost::source_location&) { std::abort(); }
#endif

namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using boost::system::error_code;
using namespace std::chrono_literals;
using wscodec::message_type;
using server_ws = wscodec::asio::websocket<tcp::socket, wscodec::role::server>;
using client_ws = wscodec::asio::websocket<tcp::socket, wscodec::role::client>;

/// What a completion handler got.
struct outcome {
    bool done = false;
    error_code ec;
    message_type type = message_type::binary;
};

/// A handler that records into `o`.
auto into(outcome& o) {
    return [&o](error_code ec, auto... type) {
        o.done = true;
        o.ec = ec;
        if constexpr (sizeof...(type) == 1) o.type = (type, ...);
    };
}

/// Runs `io` until `done()` or 10 s; false on the time-out.
template <class Done>
bool run_until(net::io_context& io, Done done, std::chrono::milliseconds limit = 10s) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (!done()) {
        const auto now = std::chrono::steady_clock::now();
        if (now >= end) return false;
        if (io.run_one_for(end - now) == 0 && io.stopped()) {
            if (done()) break;
            io.restart();
            if (io.run_one_for(1ms) == 0 && io.stopped() && !done()) return false;  // nothing left that could finish it
        }
    }
    return true;
}

/// A connected pair of TCP sockets on 127.0.0.1: {server side, client side}.
std::pair<tcp::socket, tcp::socket> socket_pair(net::io_context& io) {
    tcp::acceptor acceptor(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    tcp::socket client(io);
    client.connect(acceptor.local_endpoint());
    tcp::socket server = acceptor.accept();
    return {std::move(server), std::move(client)};
}

const wscodec::request_options request = [] {
    wscodec::request_options r;
    r.host = "127.0.0.1";
    r.target = "/echo";
    return r;
}();

/// An echo server on the adapter: reads a message, writes it back, reads on.
struct echo_server : std::enable_shared_from_this<echo_server> {
    server_ws ws;
    std::string message;
    std::optional<error_code> read_error;  // why the last read ended the loop
    echo_server(const wscodec::asio::websocket_options& o, tcp::socket s) : ws(o, std::move(s)) {}
    void start() {
        ws.async_accept([self = shared_from_this()](error_code ec) {
            if (!ec) self->read();
        });
    }
    void read() {
        ws.async_read(message, [self = shared_from_this()](error_code ec, message_type type) {
            if (ec) {
                self->read_error = ec;
                return;
            }
            self->ws.async_write(type, self->message, [self](error_code e) {
                if (!e) self->read();
            });
        });
    }
};

/// Text of `n` bytes (ASCII and two-byte UTF-8, never split) or binary of any bytes.
std::string payload(std::size_t n, message_type type, std::uint32_t seed) {
    std::string s;
    s.reserve(n);
    std::uint32_t x = seed * 2654435761u + 1;
    while (s.size() < n) {
        x = x * 1664525u + 1013904223u;
        if (type == message_type::binary) {
            s.push_back(static_cast<char>(x >> 24));
        } else if (n - s.size() >= 2 && (x >> 31) != 0) {
            s += "\xc3\xa9";  // é
        } else {
            s.push_back(static_cast<char>('a' + (x >> 24) % 26));
        }
    }
    return s;
}

/// A client handshake that must succeed.
void open_client(net::io_context& io, client_ws& c) {
    outcome h;
    c.async_handshake(into(h));
    REQUIRE(run_until(io, [&] { return h.done; }));
    REQUIRE_MESSAGE(!h.ec, h.ec.message());
}

}  // namespace

TEST_CASE("asio §5.6 + RFC 7692: messages of every boundary size echo byte-exact, deflate off and on") {
    for (const bool deflate : {false, true}) {
        CAPTURE(deflate);
        net::io_context io;
        wscodec::zlib_backend zlib;
        wscodec::asio::websocket_options o;
        if (deflate) o.session.deflate = &zlib;
        auto [s, c] = socket_pair(io);
        auto server = std::make_shared<echo_server>(o, std::move(s));
        server->start();
        client_ws client(o, request, std::move(c));
        open_client(io, client);
        CHECK(client.session().deflate_agreed() == deflate);
        CHECK(server->ws.session().deflate_agreed() == deflate);
        std::uint32_t seed = 1;
        for (const std::size_t n : {0u, 1u, 125u, 126u, 127u, 16379u, 16380u, 16384u, 65535u, 65536u, 65537u, 1u << 20}) {
            for (const message_type type : {message_type::text, message_type::binary}) {
                CAPTURE(n);
                const std::string sent = payload(n, type, seed++);
                outcome w;
                outcome r;
                std::vector<std::uint8_t> got{1, 2, 3};  // cleared by the read
                client.async_write(type, sent, into(w));
                client.async_read(got, into(r));
                REQUIRE(run_until(io, [&] { return w.done && r.done; }));
                CHECK_MESSAGE(!w.ec, w.ec.message());
                REQUIRE_MESSAGE(!r.ec, r.ec.message());
                CHECK(r.type == type);
                CHECK(std::string(got.begin(), got.end()) == sent);
            }
        }
        outcome closed;
        client.async_close(wscodec::close_code::normal, "", into(closed));
        REQUIRE(run_until(io, [&] { return closed.done && server->read_error; }));
        CHECK_MESSAGE(!closed.ec, closed.ec.message());
        CHECK(*server->read_error == wscodec::asio::adapter_error::closed);
    }
}

TEST_CASE("asio: concurrent writes are queued in order; past the queue's bound one is refused at once") {
    net::io_context io;
    wscodec::asio::websocket_options o;
    auto [s, c] = socket_pair(io);
    auto server = std::make_shared<echo_server>(o, std::move(s));
    server->start();
    client_ws client(o, request, std::move(c));
    open_client(io, client);

    constexpr int count = 300;
    std::vector<outcome> writes(count);
    for (int i = 0; i < count; ++i) client.async_write("message " + std::to_string(i), into(writes[static_cast<std::size_t>(i)]));
    std::string got;
    int echoed = 0;
    bool in_order = true;
    std::function<void()> next = [&] {
        client.async_read(got, [&](error_code ec, message_type) {
            if (ec) return;
            in_order = in_order && got == "message " + std::to_string(echoed);
            if (++echoed < count) next();
        });
    };
    next();
    REQUIRE(run_until(io, [&] { return echoed == count; }));
    CHECK(in_order);
    for (const outcome& w : writes) CHECK((w.done && !w.ec));

    // A queue of 1,000 bytes: a second 600-byte message does not fit while the
    // first is written (from the queue's copy: write_batch is below its size).
    wscodec::asio::websocket_options small;
    small.write_batch = 64;
    small.queue.max_bytes = 1000;
    small.queue.high_water = 500;
    auto [s2, c2] = socket_pair(io);
    auto server2 = std::make_shared<echo_server>(small, std::move(s2));
    server2->start();
    client_ws bounded(small, request, std::move(c2));
    open_client(io, bounded);
    outcome first;
    outcome second;
    const std::string big(600, 'x');
    bounded.async_write(message_type::binary, big, into(first));
    bounded.async_write(message_type::binary, big, into(second));
    REQUIRE(run_until(io, [&] { return first.done && second.done; }));
    CHECK(!first.ec);
    CHECK(wscodec::asio::codec_error(second.ec) == wscodec::error::send_queue_full);
    CHECK(std::string(second.ec.category().name()) == "wscodec");
}

TEST_CASE("asio §5.5.2, §5.5.3: a ping is answered with a pong carrying its payload") {
    net::io_context io;
    wscodec::asio::websocket_options o;
    auto [s, c] = socket_pair(io);
    auto server = std::make_shared<echo_server>(o, std::move(s));
    std::vector<std::string> server_saw;
    server->ws.set_control_callback([&](wscodec::event_type t, wscodec::bytes_view p) {
        server_saw.push_back(std::string(wscodec::event_type_name(t)) + ":" + std::string(p.begin(), p.end()));
    });
    server->start();
    client_ws client(o, request, std::move(c));
    open_client(io, client);
    std::vector<std::string> client_saw;
    client.set_control_callback([&](wscodec::event_type t, wscodec::bytes_view p) {
        client_saw.push_back(std::string(wscodec::event_type_name(t)) + ":" + std::string(p.begin(), p.end()));
    });
    std::string message;
    outcome r;
    client.async_read(message, into(r));  // the read drives the client: it sees the pong
    outcome ping;
    const std::string hello = "hello";
    client.async_ping(wscodec::as_bytes_view(hello), into(ping));
    REQUIRE(run_until(io, [&] { return ping.done && !client_saw.empty(); }));
    CHECK(!ping.ec);
    CHECK(server_saw == std::vector<std::string>{"ping:hello"});
    CHECK(client_saw == std::vector<std::string>{"pong:hello"});
    CHECK_FALSE(r.done);
    // A ping of 126 bytes is refused (§5.5: control payloads are at most 125 bytes).
    outcome long_ping;
    const std::string too_long(126, 'p');
    client.async_ping(wscodec::as_bytes_view(too_long), into(long_ping));
    REQUIRE(run_until(io, [&] { return long_ping.done; }));
    CHECK(wscodec::asio::codec_error(long_ping.ec) == wscodec::error::control_payload_too_long);
    client.cancel();
    REQUIRE(run_until(io, [&] { return r.done; }));
    CHECK(r.ec == net::error::operation_aborted);
}

TEST_CASE("asio §7.1.2-§7.1.5: the client closes with a code and a reason; both sides see them, TCP ends") {
    net::io_context io;
    wscodec::asio::websocket_options o;
    auto [s, c] = socket_pair(io);
    auto server = std::make_shared<echo_server>(o, std::move(s));
    server->start();
    client_ws client(o, request, std::move(c));
    open_client(io, client);
    std::string message;
    outcome r;
    client.async_read(message, into(r));
    outcome closed;
    client.async_close(4000, "bye \xe2\x9c\x93", into(closed));
    REQUIRE(run_until(io, [&] { return closed.done && r.done && server->read_error; }));
    CHECK_MESSAGE(!closed.ec, closed.ec.message());
    CHECK(r.ec == wscodec::asio::adapter_error::closed);
    CHECK(*server->read_error == wscodec::asio::adapter_error::closed);
    CHECK(server->ws.close_code() == 4000);
    CHECK(server->ws.close_reason() == "bye \xe2\x9c\x93");
    CHECK(client.close_code() == 4000);  // the server echoes the code and the reason
    CHECK(client.close_reason() == "bye \xe2\x9c\x93");
    CHECK_FALSE(client.next_layer().is_open());
    // After the end, operations complete at once with the end's reason.
    outcome late;
    client.async_read(message, into(late));
    outcome late_write;
    client.async_write("late", into(late_write));
    REQUIRE(run_until(io, [&] { return late.done && late_write.done; }));
    CHECK(late.ec == wscodec::asio::adapter_error::closed);
    CHECK(late_write.ec == wscodec::asio::adapter_error::closed);
}

TEST_CASE("asio §7.1.2, §7.1.1: the server closes (1001); the client's read ends with closed, TCP ends") {
    net::io_context io;
    wscodec::asio::websocket_options o;
    auto [s, c] = socket_pair(io);
    auto server = std::make_shared<echo_server>(o, std::move(s));
    server->start();
    client_ws client(o, request, std::move(c));
    open_client(io, client);
    std::string message;
    outcome r;
    client.async_read(message, into(r));
    outcome written;
    client.async_write("last words", into(written));
    REQUIRE(run_until(io, [&] { return written.done && r.done; }));  // the echo of "last words"
    CHECK(message == "last words");
    outcome r2;
    client.async_read(message, into(r2));
    outcome closed;
    server->ws.async_close(wscodec::close_code::going_away, "going", into(closed));
    REQUIRE(run_until(io, [&] { return closed.done && r2.done; }));
    CHECK_MESSAGE(!closed.ec, closed.ec.message());
    CHECK(r2.ec == wscodec::asio::adapter_error::closed);
    CHECK(client.close_code() == 1001);
    CHECK(client.close_reason() == "going");
    REQUIRE(run_until(io, [&] { return !client.next_layer().is_open(); }));
}

TEST_CASE("asio §5.2: a reserved opcode fails the read with reserved_opcode; close 1002 is written, then EOF") {
    net::io_context io;
    wscodec::asio::websocket_options o;
    auto [s, raw] = socket_pair(io);
    auto server = std::make_shared<echo_server>(o, std::move(s));
    server->start();
    const std::string upgrade =
        "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    const std::string bad_frame("\x83\x80\x01\x02\x03\x04", 6);  // FIN, opcode 3 (reserved), masked, empty
    const std::string wire = upgrade + bad_frame;
    outcome sent;
    net::async_write(raw, net::buffer(wire), [&](error_code ec, std::size_t) { sent.done = true; sent.ec = ec; });
    std::string in;
    outcome eof;
    net::async_read(raw, net::dynamic_buffer(in), [&](error_code ec, std::size_t) { eof.done = true; eof.ec = ec; });
    REQUIRE(run_until(io, [&] { return eof.done && server->read_error; }));
    CHECK(!sent.ec);
    CHECK(eof.ec == net::error::eof);  // the server shut down sending after its close frame: no reset
    CHECK(wscodec::asio::codec_error(*server->read_error) == wscodec::error::reserved_opcode);
    CHECK(server->read_error->message() == wscodec::error_message(wscodec::error::reserved_opcode));
    const std::size_t head = in.find("\r\n\r\n");
    REQUIRE(head != std::string::npos);
    CHECK(in.starts_with("HTTP/1.1 101 "));
    const std::string frames = in.substr(head + 4);
    REQUIRE(frames.size() >= 4);
    CHECK(static_cast<std::uint8_t>(frames[0]) == 0x88);  // FIN, close
    CHECK(((static_cast<std::uint8_t>(frames[2]) << 8) | static_cast<std::uint8_t>(frames[3])) == 1002);
    raw.close();  // the server's linger ends with our EOF
    REQUIRE(run_until(io, [&] { return !server->ws.next_layer().is_open(); }));
}

TEST_CASE("asio §4.2.2: a refused request completes the accept with refused and the client with handshake_not_101") {
    net::io_context io;
    wscodec::asio::websocket_options o;
    auto [s, c] = socket_pair(io);
    server_ws server(o, std::move(s));
    std::string seen_target;
    outcome accepted;
    server.async_accept(
        [&](const wscodec::http_request& r, wscodec::accept_options&) -> std::uint16_t {
            seen_target = std::string(r.target);
            return 403;
        },
        into(accepted));
    client_ws client(o, request, std::move(c));
    outcome h;
    client.async_handshake(into(h));
    REQUIRE(run_until(io, [&] { return accepted.done && h.done; }));
    CHECK(seen_target == "/echo");
    CHECK(accepted.ec == wscodec::asio::adapter_error::refused);
    CHECK(wscodec::asio::codec_error(h.ec) == wscodec::error::handshake_not_101);
    CHECK(client.session().response().status == 403);
}

TEST_CASE("asio §4.2.2: the chooser picks a subprotocol the client offered") {
    net::io_context io;
    wscodec::asio::websocket_options o;
    auto [s, c] = socket_pair(io);
    server_ws server(o, std::move(s));
    outcome accepted;
    server.async_accept(
        [](const wscodec::http_request& r, wscodec::accept_options& a) -> std::uint16_t {
            for (const std::string_view p : r.subprotocols())
                if (p == "chat") a.subprotocol = "chat";
            return 0;
        },
        into(accepted));
    const std::string_view offered[] = {"superchat", "chat"};
    wscodec::request_options req = request;
    req.subprotocols = offered;
    client_ws client(o, req, std::move(c));
    outcome h;
    client.async_handshake(into(h));
    REQUIRE(run_until(io, [&] { return accepted.done && h.done; }));
    CHECK(!accepted.ec);
    CHECK(!h.ec);
    CHECK(client.subprotocol() == "chat");
    CHECK(server.subprotocol() == "chat");
}

TEST_CASE("asio §5.5.2 keepalive: the timer hints ping a silent peer, and fail one that never answers (1011)") {
    net::io_context io;
    wscodec::asio::websocket_options fast;
    fast.session.connection.timers.ping_interval_ms = 40;
    fast.session.connection.timers.pong_timeout_ms = 150;
    {  // A client that reads answers the pings: the connection stays up (a
       // longer pong timeout, so that a loaded machine cannot fail it; the
       // next ping follows once it has run: about one ping per 550 ms).
        wscodec::asio::websocket_options patient = fast;
        patient.session.connection.timers.pong_timeout_ms = 500;
        auto [s, c] = socket_pair(io);
        auto server = std::make_shared<echo_server>(patient, std::move(s));
        server->start();
        client_ws client(wscodec::asio::websocket_options{}, request, std::move(c));
        open_client(io, client);
        int pings = 0;
        client.set_control_callback([&](wscodec::event_type t, wscodec::bytes_view) { pings += t == wscodec::event_type::ping; });
        std::string message;
        outcome r;
        client.async_read(message, into(r));
        REQUIRE(run_until(io, [&] { return pings >= 3; }));
        CHECK_FALSE(server->read_error.has_value());
        CHECK_FALSE(r.done);
        client.cancel();
        REQUIRE(run_until(io, [&] { return r.done && server->read_error.has_value(); }));
    }
    {  // A client with no read pending answers nothing: the server fails it with keepalive_timeout.
        auto [s, c] = socket_pair(io);
        auto server = std::make_shared<echo_server>(fast, std::move(s));
        server->start();
        client_ws client(wscodec::asio::websocket_options{}, request, std::move(c));
        open_client(io, client);
        REQUIRE(run_until(io, [&] { return server->read_error.has_value(); }));
        CHECK(wscodec::asio::codec_error(*server->read_error) == wscodec::error::keepalive_timeout);
        client.cancel();
    }
}

TEST_CASE("asio §7.1.1: a peer that reads nothing cannot hold the connection: close timer, then the last write's limit") {
    net::io_context io;
    wscodec::asio::websocket_options o;
    o.session.connection.timers.close_ms = 100;
    o.last_write_timeout = 100ms;
    auto [s, raw] = socket_pair(io);
    raw.set_option(net::socket_base::receive_buffer_size(4096));
    server_ws server(o, std::move(s));
    outcome accepted;
    server.async_accept(into(accepted));
    const std::string upgrade =
        "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    net::write(raw, net::buffer(upgrade));  // and the raw peer reads nothing from now on
    REQUIRE(run_until(io, [&] { return accepted.done; }));
    REQUIRE(!accepted.ec);
    const std::string big(std::size_t{12} << 20, 'b');  // more than both sockets' buffers hold
    outcome written;
    server.async_write(message_type::binary, big, into(written));
    outcome closed;
    server.async_close(wscodec::close_code::normal, "", into(closed));
    const auto start = std::chrono::steady_clock::now();
    REQUIRE(run_until(io, [&] { return closed.done && written.done; }));
    CHECK(std::chrono::steady_clock::now() - start < 3s);
    CHECK(wscodec::asio::codec_error(closed.ec) == wscodec::error::close_timeout);
    CHECK(written.ec);  // never written whole
    CHECK_FALSE(server.next_layer().is_open());
}
