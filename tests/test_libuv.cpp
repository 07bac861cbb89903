// SPDX-License-Identifier: MIT
// tests/test_libuv.cpp — wscodec/libuv.hpp, the optional libuv adapter, over
// real loopback TCP on one uv loop per test: an adapter server (uv::listener)
// against an adapter client (uv::client), or against a raw peer (the core
// client_session on a second uv_tcp_t, which can write any bytes). Messages
// of several sizes echo byte-exact, plain, fragmented and compressed; many
// small frames go out in few writes; ping and pong; the close handshake with
// code and reason from either side (RFC 6455 §7.1.2, §5.5.1); protocol
// violations fail with their error and close code (§5.2, §8.1; the server
// lingers, §7.1.1); the opening handshake refused, timed out, or the TCP
// connect refused; keepalive from the session's timer hints, answered and
// unanswered; backpressure (reading pauses while the send queue is above high
// water). Every loop ends with every handle closed (uv_loop_close() == 0),
// and the sanitizer builds check that nothing leaks.
#include <doctest/doctest.h>
#include <uv.h>

#include <csignal>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>
#include <wscodec/libuv.hpp>
#include <wscodec/zlib.hpp>

#include "helpers.hpp"

namespace {

using namespace wscodec;
using test::bytes;

[[nodiscard]] std::string_view text_of(bytes_view b) {
    return {reinterpret_cast<const char*>(b.data()), b.size()};
}
[[nodiscard]] bytes_view bytes_of(std::string_view s) {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

/// One uv loop for a test, with a watchdog: if the loop still runs after
/// `limit_ms`, `on_hang` ends what is left (and the test fails). The loop
/// must end with every handle closed.
class loop_fixture {
public:
    loop_fixture() {
        (void)std::signal(SIGPIPE, SIG_IGN);
        REQUIRE(uv_loop_init(&loop_) == 0);
        REQUIRE(uv_timer_init(&loop_, &watchdog_) == 0);
        watchdog_.data = this;
    }
    loop_fixture(const loop_fixture&) = delete;
    loop_fixture& operator=(const loop_fixture&) = delete;
    ~loop_fixture() = default;

    [[nodiscard]] uv_loop_t* get() noexcept { return &loop_; }

    /// Runs the loop until nothing is left; true if the watchdog did not fire.
    bool run(std::function<void()> on_hang, std::uint64_t limit_ms = 20000) {
        on_hang_ = std::move(on_hang);
        (void)uv_timer_start(&watchdog_, [](uv_timer_t* t) {
            auto& self = *static_cast<loop_fixture*>(t->data);
            self.hung_ = true;
            if (self.on_hang_) self.on_hang_();
        }, limit_ms, 0);
        uv_unref(reinterpret_cast<uv_handle_t*>(&watchdog_));  // the loop ends without waiting for it
        (void)uv_run(&loop_, UV_RUN_DEFAULT);
        uv_close(reinterpret_cast<uv_handle_t*>(&watchdog_), nullptr);
        (void)uv_run(&loop_, UV_RUN_DEFAULT);
        CHECK(uv_loop_close(&loop_) == 0);  // every handle closed
        return !hung_;
    }

private:
    uv_loop_t loop_{};
    uv_timer_t watchdog_{};
    std::function<void()> on_hang_;
    bool hung_ = false;
};

[[nodiscard]] sockaddr_in loopback(std::uint16_t port) {
    sockaddr_in a{};
    REQUIRE(uv_ip4_addr("127.0.0.1", port, &a) == 0);
    return a;
}

[[nodiscard]] request_options request_to(std::string_view target) {
    request_options r;
    r.host = "127.0.0.1";
    r.target = target;
    return r;
}

/// The core client_session on its own uv_tcp_t: writes what the session
/// queues, or any raw bytes; records what it receives. Closes TCP after the
/// server's close frame, or at the end of the stream.
class raw_peer {
public:
    explicit raw_peer(uv_loop_t* loop, const session_options& o = {}) : ws_(request_to("/raw"), o) {
        REQUIRE(uv_tcp_init(loop, &tcp_) == 0);
        tcp_.data = this;
    }
    raw_peer(const raw_peer&) = delete;
    raw_peer& operator=(const raw_peer&) = delete;
    ~raw_peer() = default;

    bool silent = false;          // sends nothing, not even the opening request
    bool read_after_open = true;  // false: stops reading at the open event (resume())
    int receive_buffer = 0;       // SO_RCVBUF, if not 0
    std::function<void(raw_peer&)> on_open;
    std::vector<event_type> events;
    std::vector<bytes> messages;
    std::uint16_t close_code = 0;

    void connect(std::uint16_t port) {
        const sockaddr_in a = loopback(port);
        REQUIRE(uv_tcp_connect(&connect_, &tcp_, reinterpret_cast<const sockaddr*>(&a), [](uv_connect_t* r, int status) {
            auto& p = *static_cast<raw_peer*>(r->handle->data);
            CHECK(status == 0);
            if (status != 0) return p.end();
            if (p.receive_buffer != 0) (void)uv_recv_buffer_size(reinterpret_cast<uv_handle_t*>(&p.tcp_), &p.receive_buffer);
            if (!p.silent) p.flush();
            p.resume();
        }) == 0);
    }

    [[nodiscard]] client_session& session() noexcept { return ws_; }

    /// Writes `data` as it is.
    void write(bytes data) {
        if (closed_ || data.empty()) return;
        struct request {
            uv_write_t req;
            bytes data;
        };
        auto* r = new request{{}, std::move(data)};
        r->req.data = r;
        const uv_buf_t b = uv_buf_init(reinterpret_cast<char*>(r->data.data()), static_cast<unsigned>(r->data.size()));
        CHECK(uv_write(&r->req, stream(), &b, 1, [](uv_write_t* w, int) { delete static_cast<request*>(w->data); }) == 0);
    }

    /// Writes what the session queued.
    void flush() {
        bytes out;
        std::uint8_t chunk[16384];
        for (std::size_t n; (n = ws_.copy_output(chunk)) > 0;) out.insert(out.end(), chunk, chunk + n);
        write(std::move(out));
    }

    void resume() {
        if (!closed_) (void)uv_read_start(stream(), on_alloc, on_read);
    }

    void end() {
        if (closed_) return;
        closed_ = true;
        uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), nullptr);
    }

private:
    [[nodiscard]] uv_stream_t* stream() noexcept { return reinterpret_cast<uv_stream_t*>(&tcp_); }

    static void on_alloc(uv_handle_t* h, std::size_t, uv_buf_t* buf) {
        auto& p = *static_cast<raw_peer*>(h->data);
        *buf = uv_buf_init(reinterpret_cast<char*>(p.in_.data()), static_cast<unsigned>(p.in_.size()));
    }

    static void on_read(uv_stream_t* s, ssize_t n, const uv_buf_t*) {
        auto& p = *static_cast<raw_peer*>(s->data);
        if (n < 0) return p.end();
        mutable_bytes rest(p.in_.data(), static_cast<std::size_t>(n));
        for (;;) {
            const event ev = p.ws_.receive(rest);
            rest = rest.subspan(ev.consumed);
            if (ev.type == event_type::need_more) break;
            p.events.push_back(ev.type);
            if (ev.type == event_type::open) {
                if (p.on_open) p.on_open(p);
                if (!p.read_after_open) (void)uv_read_stop(s);
            } else if (ev.type == event_type::data) {
                if (ev.first) p.partial_.clear();
                p.partial_.insert(p.partial_.end(), ev.payload.begin(), ev.payload.end());
                if (ev.last) p.messages.push_back(p.partial_);
            } else if (ev.type == event_type::close) {
                p.close_code = ev.code;
            }
        }
        if (p.closed_) return;
        p.flush();
        if (p.close_code != 0) p.end();
    }

    uv_tcp_t tcp_{};
    uv_connect_t connect_{};
    client_session ws_;
    bytes in_ = bytes(65536);
    bytes partial_;
    bool closed_ = false;
};

/// What a test's server saw.
struct server_log {
    std::vector<uv::close_report> reports;
    std::vector<bytes> pings;
    std::size_t pongs = 0;
    std::size_t messages = 0;
    uv::server* last = nullptr;  // the newest connection, while it lives
};

/// An echo listener on 127.0.0.1, port 0, stopped when its first
/// connection ends (so that the loop can end).
struct echo_listener {
    server_log log;
    uv::listener listener;

    echo_listener(uv_loop_t* loop, uv::options o = {}, uv::handlers<role::server> h = {})
        : listener(loop, o, complete(std::move(h))) {
        REQUIRE(listener.listen("127.0.0.1", 0) == 0);
        REQUIRE(listener.port() != 0);
    }

    uv::handlers<role::server> complete(uv::handlers<role::server> h) {
        if (!h.on_message) {
            h.on_message = [this](uv::server& ws, message_type type, bytes_view m) {
                ++log.messages;
                CHECK(ws.send(type, m) == error::none);
            };
        }
        if (!h.on_open) h.on_open = [this](uv::server& ws) { log.last = &ws; };
        h.on_ping = [this](uv::server&, bytes_view p) { log.pings.emplace_back(p.begin(), p.end()); };
        h.on_pong = [this](uv::server&, bytes_view) { ++log.pongs; };
        h.on_close = [this](uv::server&, const uv::close_report& r) {
            log.reports.push_back(r);
            log.last = nullptr;
            listener.stop();
        };
        return h;
    }
};

/// What a test's adapter client saw.
struct client_log {
    std::vector<uv::close_report> reports;
    std::vector<std::pair<message_type, bytes>> messages;
    std::vector<bytes> pongs;
    std::uint64_t writes = 0;  // uv_write calls the client made, counted at its end
    uv::client* ws = nullptr;
};

/// Connects an adapter client to `port`; its handlers record into `log`
/// and then call `h`'s.
uv::client* connect_client(uv_loop_t* loop, std::uint16_t port, client_log& log, uv::handlers<role::client> h = {},
                           const uv::options& o = {}, std::string_view target = "/echo") {
    uv::handlers<role::client> all;
    all.on_open = [h](uv::client& ws) {
        if (h.on_open) h.on_open(ws);
    };
    all.on_message = [&log, h](uv::client& ws, message_type t, bytes_view m) {
        log.messages.emplace_back(t, bytes(m.begin(), m.end()));
        if (h.on_message) h.on_message(ws, t, m);
    };
    all.on_pong = [&log, h](uv::client& ws, bytes_view p) {
        log.pongs.emplace_back(p.begin(), p.end());
        if (h.on_pong) h.on_pong(ws, p);
    };
    all.on_close = [&log](uv::client& ws, const uv::close_report& r) {
        log.reports.push_back(r);
        log.writes = ws.writes();
        log.ws = nullptr;
    };
    const sockaddr_in a = loopback(port);
    int status = 0;
    log.ws = uv::client::connect(loop, reinterpret_cast<const sockaddr*>(&a), request_to(target), o, all, &status);
    REQUIRE(log.ws != nullptr);
    CHECK(status == 0);
    return log.ws;
}

/// Messages of the boundary sizes (RFC 6455 §5.2: 7-bit, 16-bit, 64-bit lengths), text and binary.
std::vector<std::pair<message_type, bytes>> sample_messages(std::uint64_t seed) {
    test::rng r(seed);
    std::vector<std::pair<message_type, bytes>> out;
    for (const std::size_t n : {0u, 1u, 125u, 126u, 127u, 4096u, 65535u, 65536u, 65537u, 300000u, 1u << 20, 3u << 20}) {
        out.emplace_back(message_type::binary, test::random_bytes(r, n));
        out.emplace_back(message_type::text, test::random_utf8(r, n));
    }
    return out;
}

/// Sends every sample at once from the adapter client, checks the echoes byte for byte, closes 1000.
void check_echo(const uv::options& server_options, const uv::options& client_options, bool expect_deflate) {
    loop_fixture loop;
    echo_listener server(loop.get(), server_options);
    const auto samples = sample_messages(15);
    client_log c;
    uv::handlers<role::client> h;
    h.on_open = [&](uv::client& ws) {
        CHECK(ws.session().deflate_agreed() == expect_deflate);
        for (const auto& [type, m] : samples) REQUIRE(ws.send(type, m) == error::none);
    };
    h.on_message = [&](uv::client& ws, message_type, bytes_view) {
        if (c.messages.size() == samples.size()) CHECK(ws.close(close_code::normal, "done") == error::none);
    };
    connect_client(loop.get(), server.listener.port(), c, h, client_options);
    CHECK(loop.run([&] { server.listener.stop(); if (c.ws) c.ws->abort(); }));
    REQUIRE(c.messages.size() == samples.size());
    for (std::size_t i = 0; i < samples.size(); ++i) {
        CAPTURE(i);
        CHECK(c.messages[i].first == samples[i].first);
        CHECK(c.messages[i].second == samples[i].second);  // byte-exact
    }
    CHECK(server.log.messages == samples.size());
    REQUIRE(c.reports.size() == 1);
    CHECK(c.reports[0].clean());
    CHECK(c.reports[0].code == 1000);
    CHECK(c.reports[0].reason == "done");
    REQUIRE(server.log.reports.size() == 1);
    CHECK(server.log.reports[0].clean());
    CHECK(server.log.reports[0].code == 1000);
    CHECK(server.log.reports[0].reason == "done");
}

}  // namespace

TEST_SUITE("libuv adapter") {

TEST_CASE("echo: messages of every length class come back byte-exact") {
    check_echo({}, {}, false);
}

TEST_CASE("echo: fragmented messages are delivered whole (RFC 6455 §5.4)") {
    uv::options client;
    client.session.connection.fragment_size = 1000;  // the client sends every message over 1000 bytes in fragments
    uv::options server;
    server.session.connection.fragment_size = 777;   // and the server echoes in fragments of its own
    check_echo(server, client, false);
}

TEST_CASE("echo: permessage-deflate (RFC 7692) both ways, and small socket-sized buffers") {
    zlib_backend zlib;
    uv::options server;
    server.session.deflate = &zlib;
    server.read_buffer_size = 1000;  // messages arrive across many reads
    uv::options client;
    client.session.deflate = &zlib;
    client.write_buffer_size = 300;
    client.copy_limit = 100;
    check_echo(server, client, true);
}

TEST_CASE("many small frames go out in few writes") {
    loop_fixture loop;
    echo_listener server(loop.get());
    client_log c;
    constexpr std::size_t count = 500;
    uv::handlers<role::client> h;
    h.on_open = [&](uv::client& ws) {
        for (std::size_t i = 0; i < count; ++i) REQUIRE(ws.send_text("message " + std::to_string(i)) == error::none);
    };
    h.on_message = [&](uv::client& ws, message_type, bytes_view) {
        if (c.messages.size() == count) (void)ws.close();
    };
    connect_client(loop.get(), server.listener.port(), c, h);
    CHECK(loop.run([&] { server.listener.stop(); if (c.ws) c.ws->abort(); }));
    REQUIRE(c.messages.size() == count);
    for (std::size_t i = 0; i < count; ++i) CHECK(text_of(c.messages[i].second) == "message " + std::to_string(i));
    // The request, the 500 messages (about 12.5 KB of frames: the 64 KiB
    // write buffer takes them in one write, or two if the first write began
    // before all were queued) and the close frame: a handful of writes, not 500.
    CHECK(c.writes >= 3);
    CHECK(c.writes <= 6);
    REQUIRE(c.reports.size() == 1);
    CHECK(c.reports[0].clean());
}

TEST_CASE("ping and pong (RFC 6455 §5.5.2, §5.5.3)") {
    loop_fixture loop;
    echo_listener server(loop.get());
    client_log c;
    uv::handlers<role::client> h;
    h.on_open = [](uv::client& ws) {
        CHECK(ws.ping(bytes_of("are you there")) == error::none);
    };
    h.on_pong = [](uv::client& ws, bytes_view) { CHECK(ws.close(close_code::normal) == error::none); };
    connect_client(loop.get(), server.listener.port(), c, h);
    CHECK(loop.run([&] { server.listener.stop(); if (c.ws) c.ws->abort(); }));
    REQUIRE(c.pongs.size() == 1);
    CHECK(text_of(c.pongs[0]) == "are you there");
    REQUIRE(server.log.pings.size() == 1);
    CHECK(text_of(server.log.pings[0]) == "are you there");
    REQUIRE(c.reports.size() == 1);
    CHECK(c.reports[0].clean());
}

TEST_CASE("the client closes: code and reason reach the server and come back (RFC 6455 §5.5.1, §7.1.2)") {
    loop_fixture loop;
    echo_listener server(loop.get());
    client_log c;
    uv::handlers<role::client> h;
    h.on_open = [](uv::client& ws) {
        CHECK(ws.send_text("last words") == error::none);
        CHECK(ws.close(4000, "client says bye") == error::none);  // after the message queued before it
        CHECK(ws.send_text("too late") == error::not_open);
        CHECK(ws.close(4001) == error::not_open);
    };
    connect_client(loop.get(), server.listener.port(), c, h);
    CHECK(loop.run([&] { server.listener.stop(); if (c.ws) c.ws->abort(); }));
    CHECK(server.log.messages == 1);
    REQUIRE(server.log.reports.size() == 1);
    CHECK(server.log.reports[0].clean());
    CHECK(server.log.reports[0].code == 4000);
    CHECK(server.log.reports[0].reason == "client says bye");
    REQUIRE(c.reports.size() == 1);
    CHECK(c.reports[0].clean());
    CHECK(c.reports[0].code == 4000);  // the server echoes the code and reason
    CHECK(c.reports[0].reason == "client says bye");
}

TEST_CASE("the server closes: the client answers and waits for the server to end TCP (RFC 6455 §7.1.1)") {
    loop_fixture loop;
    uv::handlers<role::server> sh;
    sh.on_message = [](uv::server& ws, message_type, bytes_view m) {
        CHECK(ws.send_text(text_of(m)) == error::none);
        CHECK(ws.close(4002, "server says bye") == error::none);
    };
    echo_listener server(loop.get(), {}, sh);
    client_log c;
    uv::handlers<role::client> h;
    h.on_open = [](uv::client& ws) { CHECK(ws.send_text("hello") == error::none); };
    connect_client(loop.get(), server.listener.port(), c, h);
    CHECK(loop.run([&] { server.listener.stop(); if (c.ws) c.ws->abort(); }));
    REQUIRE(c.messages.size() == 1);  // the message queued before the close came first
    CHECK(text_of(c.messages[0].second) == "hello");
    REQUIRE(c.reports.size() == 1);
    CHECK(c.reports[0].clean());
    CHECK(c.reports[0].code == 4002);
    CHECK(c.reports[0].reason == "server says bye");
    REQUIRE(server.log.reports.size() == 1);
    CHECK(server.log.reports[0].clean());
    CHECK(server.log.reports[0].code == 4002);
}

TEST_CASE("protocol violations fail the connection with their error and close code") {
    struct violation {
        const char* name;
        bytes frame;  // after the opening handshake, masked with a zero key
        error err;
        std::uint16_t code;
    };
    const violation cases[] = {
        {"reserved opcode (§5.2)", {0x83, 0x80, 0, 0, 0, 0}, error::reserved_opcode, 1002},
        {"unmasked client frame (§5.1)", {0x81, 0x02, 'h', 'i'}, error::frame_not_masked, 1002},
        {"invalid UTF-8 in a text message (§8.1)", {0x81, 0x82, 0, 0, 0, 0, 0xC3, 0x28}, error::invalid_utf8, 1007},
        {"fragmented ping (§5.5)", {0x09, 0x80, 0, 0, 0, 0}, error::control_frame_fragmented, 1002},
        {"continuation with nothing to continue (§5.4)", {0x80, 0x80, 0, 0, 0, 0}, error::unexpected_continuation, 1002},
    };
    for (const violation& v : cases) {
        CAPTURE(v.name);
        loop_fixture loop;
        echo_listener server(loop.get());
        raw_peer peer(loop.get());
        const bytes frame = v.frame;
        peer.on_open = [frame](raw_peer& p) { p.write(frame); };
        peer.connect(server.listener.port());
        CHECK(loop.run([&] { server.listener.stop(); peer.end(); }));
        CHECK(peer.close_code == v.code);  // the server's close frame came, before the end of the stream
        REQUIRE(server.log.reports.size() == 1);
        CHECK(server.log.reports[0].err == v.err);
        CHECK(server.log.reports[0].code == v.code);
        CHECK(server.log.reports[0].uv_status == 0);  // it lingered until our EOF: no reset
        CHECK(server.log.messages == 0);
    }
}

TEST_CASE("a message over max_message_size fails with 1009 (RFC 6455 §7.4.1)") {
    loop_fixture loop;
    uv::options o;
    o.session.connection.limits.max_message_size = 1000;
    echo_listener server(loop.get(), o);
    raw_peer peer(loop.get());
    peer.on_open = [](raw_peer& p) {
        const bytes big(1001, 'x');
        REQUIRE(p.session().send_binary(big) == error::none);
        p.flush();
    };
    peer.connect(server.listener.port());
    CHECK(loop.run([&] { server.listener.stop(); peer.end(); }));
    CHECK(peer.close_code == 1009);
    REQUIRE(server.log.reports.size() == 1);
    CHECK(server.log.reports[0].err == error::message_too_big);
}

TEST_CASE("the opening handshake: the request inspected and refused, and the plain-HTTP default") {
    loop_fixture loop;
    std::string seen_target;
    uv::handlers<role::server> sh;
    sh.on_request = [&](uv::server& ws, const http_request& req) {
        seen_target = std::string(req.target);
        if (req.target == "/private") CHECK(ws.respond(403, {}, "go away") == error::none);
        // anything else: unanswered, accepted
    };
    echo_listener server(loop.get(), {}, sh);
    client_log c;
    connect_client(loop.get(), server.listener.port(), c, {}, {}, "/private");
    CHECK(loop.run([&] { server.listener.stop(); if (c.ws) c.ws->abort(); }));
    CHECK(seen_target == "/private");
    REQUIRE(c.reports.size() == 1);
    CHECK(c.reports[0].err == error::handshake_not_101);
    REQUIRE(server.log.reports.size() == 1);
    CHECK(server.log.reports[0].clean());  // a refusal written, then TCP closed
}

TEST_CASE("timers: the opening handshake times out, and a refused connect is reported") {
    {
        loop_fixture loop;
        uv::options o;
        o.session.handshake_timeout_ms = 50;
        echo_listener server(loop.get(), o);
        raw_peer peer(loop.get());
        peer.silent = true;  // connects and says nothing
        peer.connect(server.listener.port());
        CHECK(loop.run([&] { server.listener.stop(); peer.end(); }));
        REQUIRE(server.log.reports.size() == 1);
        CHECK(server.log.reports[0].err == error::handshake_timeout);
        CHECK(peer.events.empty());
    }
    {
        loop_fixture loop;
        std::uint16_t port = 0;
        {
            uv::listener l(loop.get());  // find a free port, then close it
            REQUIRE(l.listen("127.0.0.1", 0) == 0);
            port = l.port();
            l.stop();
            (void)uv_run(loop.get(), UV_RUN_DEFAULT);
        }
        client_log c;
        connect_client(loop.get(), port, c);
        CHECK(loop.run([&] { if (c.ws) c.ws->abort(); }));
        REQUIRE(c.reports.size() == 1);
        CHECK(c.reports[0].err == error::connection_lost);
        CHECK(c.reports[0].uv_status == UV_ECONNREFUSED);
    }
}

TEST_CASE("timers: keepalive pings from the session's hints, answered and unanswered") {
    {
        loop_fixture loop;
        uv::options o;
        o.session.connection.timers.ping_interval_ms = 20;
        o.session.connection.timers.pong_timeout_ms = 20;  // the pong wait ends (heard: keepalive again) after 20 ms
        echo_listener server(loop.get(), o);
        client_log c;
        connect_client(loop.get(), server.listener.port(), c);
        // The client answers every keepalive ping (auto_pong); after three pongs it closes.
        struct state {
            echo_listener* server;
            client_log* c;
        } st{&server, &c};
        uv_timer_t check{};
        REQUIRE(uv_timer_init(loop.get(), &check) == 0);
        check.data = &st;
        REQUIRE(uv_timer_start(&check, [](uv_timer_t* t) {
            auto& s = *static_cast<state*>(t->data);
            if (s.server->log.pongs >= 3 || s.c->ws == nullptr) {
                if (s.c->ws != nullptr) (void)s.c->ws->close();
                uv_close(reinterpret_cast<uv_handle_t*>(t), nullptr);
            }
        }, 10, 10) == 0);
        CHECK(loop.run([&] { server.listener.stop(); if (c.ws) c.ws->abort(); }));
        CHECK(server.log.pongs >= 3);
        REQUIRE(c.reports.size() == 1);
        CHECK(c.reports[0].clean());
    }
    {
        loop_fixture loop;
        uv::options o;
        o.session.connection.timers.ping_interval_ms = 20;
        o.session.connection.timers.pong_timeout_ms = 40;
        echo_listener server(loop.get(), o);
        session_options quiet;
        quiet.connection.auto_pong = false;  // never answers, never sends
        raw_peer peer(loop.get(), quiet);
        peer.connect(server.listener.port());
        CHECK(loop.run([&] { server.listener.stop(); peer.end(); }));
        REQUIRE(server.log.reports.size() == 1);
        CHECK(server.log.reports[0].err == error::keepalive_timeout);
        CHECK(server.log.reports[0].code == 1011);
        CHECK(peer.close_code == 1011);
    }
}

TEST_CASE("backpressure: reading pauses while the send queue is above high water, then everything echoes") {
    loop_fixture loop;
    uv::options o;
    o.queue.high_water = 64 << 10;
    o.queue.max_bytes = 64 << 20;
    echo_listener server(loop.get(), o);
    raw_peer peer(loop.get());
    test::rng r(7);
    std::vector<bytes> sent;
    for (int i = 0; i < 200; ++i) sent.push_back(test::random_bytes(r, 64 << 10));  // 12.8 MB
    peer.read_after_open = false;  // floods, and reads nothing until the check below
    peer.receive_buffer = 64 << 10;  // a fixed, small window: the echoes back up into the server's queue
    peer.on_open = [&sent](raw_peer& p) {
        bytes flood;
        std::uint8_t chunk[65536];
        for (const bytes& m : sent) {
            REQUIRE(p.session().send_binary(m) == error::none);
            for (std::size_t n; (n = p.session().copy_output(chunk)) > 0;) flood.insert(flood.end(), chunk, chunk + n);
        }
        p.write(std::move(flood));
    };
    peer.connect(server.listener.port());
    struct state {
        echo_listener* server;
        raw_peer* peer;
        std::vector<bytes>* sent;
        bool paused_seen = false;
        bool resumed = false;
        bool closing = false;
        int ticks = 0;
    } st{&server, &peer, &sent};
    uv_timer_t tick{};
    REQUIRE(uv_timer_init(loop.get(), &tick) == 0);
    tick.data = &st;
    (void)uv_timer_start(&tick, [](uv_timer_t* t) {
        auto& s = *static_cast<state*>(t->data);
        ++s.ticks;
        uv::server* ws = s.server->log.last;
        if (!s.resumed && ws != nullptr && !ws->reading() && ws->queue().above_high_water()) {
            s.paused_seen = true;  // the server stopped reading with its queue full
            s.resumed = true;
            s.peer->resume();
        }
        if (s.peer->messages.size() == s.sent->size() && !std::exchange(s.closing, true)) {
            REQUIRE(s.peer->session().close() == error::none);
            s.peer->flush();
        }
        if (s.ticks > 1000 || s.server->log.reports.size() == 1) {
            if (!s.resumed) s.peer->resume();
            uv_close(reinterpret_cast<uv_handle_t*>(t), nullptr);
        }
    }, 5, 5);
    CHECK(loop.run([&] { server.listener.stop(); peer.end(); }, 60000));
    CHECK(st.paused_seen);
    REQUIRE(peer.messages.size() == sent.size());
    for (std::size_t i = 0; i < sent.size(); ++i) CHECK(peer.messages[i] == sent[i]);
    REQUIRE(server.log.reports.size() == 1);
    CHECK(server.log.reports[0].clean());
    CHECK(server.log.reports[0].code == 1000);
}

TEST_CASE("listener::stop() closes open connections with 1001 and aborts those in the handshake") {
    loop_fixture loop;
    echo_listener server(loop.get());
    client_log c;
    uv::handlers<role::client> h;
    h.on_open = [&server](uv::client&) {
        CHECK(server.listener.size() == 1);
        server.listener.stop(1001, "going away");
    };
    connect_client(loop.get(), server.listener.port(), c, h);
    CHECK(loop.run([&] { server.listener.stop(); if (c.ws) c.ws->abort(); }));
    REQUIRE(c.reports.size() == 1);
    CHECK(c.reports[0].clean());
    CHECK(c.reports[0].code == 1001);
    CHECK(c.reports[0].reason == "going away");
    CHECK(server.listener.size() == 0);
}

}  // TEST_SUITE
