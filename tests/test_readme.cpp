// SPDX-License-Identifier: MIT
// tests/test_readme.cpp — the README's echo server, verbatim between the
// markers (scripts/check_readme.py compares them), run on one end of a Unix
// socketpair in a thread while a client_session drives the other end: the
// handshake, text and binary messages of several sizes (split across many
// reads), a ping, and the close handshake.
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <string>
#include <thread>
#include <vector>
#include <wscodec/wscodec.hpp>

namespace readme {
// README begin
void flush(int fd, wscodec::server_session& ws) {
    for (auto out = ws.output(); !out.empty(); out = ws.output()) {
        iovec iov[2];
        for (std::size_t i = 0; i < out.count; ++i)
            iov[i] = {const_cast<std::uint8_t*>(out.parts[i].data()), out.parts[i].size()};
        const ssize_t w = writev(fd, iov, static_cast<int>(out.count));
        if (w <= 0) return;
        ws.consume(static_cast<std::size_t>(w));
    }
}

void echo(int fd) {
    wscodec::server_session ws;
    std::uint8_t buf[65536];
    for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) {
        wscodec::mutable_bytes in(buf, static_cast<std::size_t>(n));
        for (wscodec::event ev; (ev = ws.receive(in)).type != wscodec::event_type::need_more;) {
            in = in.subspan(ev.consumed);
            if (ev.type == wscodec::event_type::request) (void)ws.accept();  // or look at ws.request(), respond(403)
            if (ev.type == wscodec::event_type::data) {                       // a piece of a message, unmasked in buf
                if (ev.first) (void)ws.begin_message(ev.message);
                (void)ws.send_part(ev.payload, ev.last);                      // zero-copy: written before buf is reused
            }
            flush(fd, ws);
            if (ev.action == wscodec::tcp_action::close_now) return;          // caller closes fd
            if (ev.action == wscodec::tcp_action::linger) shutdown(fd, SHUT_WR); // failed: read on (discarded) to EOF
        }
    }
}
// README end
}  // namespace readme

namespace {

using client = wscodec::session<wscodec::role::client, wscodec::seeded_key_source>;

struct message {
    wscodec::message_type type;
    std::string data;
};

void write_out(int fd, client& c) {
    std::uint8_t out[4096];
    for (std::size_t n; (n = c.copy_output(out)) > 0;) {
        std::size_t at = 0;
        while (at < n) {
            const ssize_t w = write(fd, out + at, n - at);
            if (w <= 0) return;
            at += static_cast<std::size_t>(w);
        }
    }
}

/// Reads until one whole message, a pong or the end arrives; returns the last event type.
wscodec::event_type read_until(int fd, client& c, std::vector<message>& got, std::uint16_t& close_code) {
    std::uint8_t buf[1500];  // small reads: messages arrive in many pieces
    for (;;) {
        const ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0) return c.receive_eof().type;
        wscodec::mutable_bytes in(buf, static_cast<std::size_t>(n));
        wscodec::event_type last = wscodec::event_type::need_more;
        for (wscodec::event ev; (ev = c.receive(in)).type != wscodec::event_type::need_more;) {
            in = in.subspan(ev.consumed);
            if (ev.type == wscodec::event_type::data) {
                if (ev.first) got.push_back({ev.message, {}});
                got.back().data.append(reinterpret_cast<const char*>(ev.payload.data()), ev.payload.size());
                if (ev.last) last = ev.type;
            } else {
                if (ev.type == wscodec::event_type::close || ev.type == wscodec::event_type::closed) close_code = ev.code;
                last = ev.type;
            }
        }
        write_out(fd, c);
        if (last != wscodec::event_type::need_more) return last;
    }
}

}  // namespace

TEST_CASE("README: the echo server loop serves a client_session over a socketpair") {
    int fds[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
    std::thread server([fd = fds[1]] {
        readme::echo(fd);
        close(fd);
    });
    wscodec::request_options ro;
    ro.host = "localhost";
    ro.port = 9001;
    ro.target = "/echo";
    client c(ro, {}, wscodec::seeded_key_source(42));
    write_out(fds[0], c);
    std::vector<message> got;
    std::uint16_t code = 0;
    CHECK(read_until(fds[0], c, got, code) == wscodec::event_type::open);

    std::vector<message> sent;
    for (std::size_t size : {0u, 1u, 125u, 126u, 65535u, 65536u, 100000u}) {
        for (auto type : {wscodec::message_type::text, wscodec::message_type::binary}) {
            std::string payload(size, '\0');
            for (std::size_t i = 0; i < size; ++i)
                payload[i] = static_cast<char>(type == wscodec::message_type::text ? 'a' + i % 26 : (i * 131) & 0xFF);
            sent.push_back({type, payload});
            CHECK(c.send(type, wscodec::bytes_view(reinterpret_cast<const std::uint8_t*>(sent.back().data.data()), size)) ==
                  wscodec::error::none);
            write_out(fds[0], c);
            CHECK(read_until(fds[0], c, got, code) == wscodec::event_type::data);
        }
    }
    CHECK(c.ping(wscodec::bytes_view(reinterpret_cast<const std::uint8_t*>("hb"), 2)) == wscodec::error::none);
    write_out(fds[0], c);
    CHECK(read_until(fds[0], c, got, code) == wscodec::event_type::pong);

    CHECK_EQ(got.size(), sent.size());
    for (std::size_t i = 0; i < sent.size() && i < got.size(); ++i) {
        CAPTURE(i);
        CHECK(got[i].type == sent[i].type);
        CHECK(got[i].data == sent[i].data);
    }

    CHECK(c.close(wscodec::close_code::normal, "bye") == wscodec::error::none);
    write_out(fds[0], c);
    const wscodec::event_type end = read_until(fds[0], c, got, code);
    CHECK((end == wscodec::event_type::close || end == wscodec::event_type::closed));
    CHECK(code == 1000);
    // The server closes TCP first (§7.1.1), at once: the loop does not wait
    // for more bytes after the close frame (the closed event is owed without
    // input), so the client reads end-of-stream within 100 ms.
    pollfd p{fds[0], POLLIN, 0};
    CHECK(poll(&p, 1, 100) == 1);
    std::uint8_t byte;
    CHECK(read(fds[0], &byte, 1) == 0);
    server.join();
    close(fds[0]);
}
