// SPDX-License-Identifier: MIT
// tests/test_readme.cpp — the README's echo server and client, verbatim
// between the markers (scripts/check_readme.py compares them). The server
// runs on one end of a Unix socketpair in a thread while a client_session
// drives the other end: the handshake, text and binary messages of several
// sizes (split across many reads), a ping, and the close handshake. The
// client says hello to that server and prints the echo.
#ifndef _WIN32  // POSIX sockets (socketpair, poll, writev): not built for Windows
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <cstdio>
#include <string>
#include <string_view>
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

// README client begin
bool write_all(int fd, const std::uint8_t* p, std::size_t n) {
    for (ssize_t w; n > 0; p += w, n -= static_cast<std::size_t>(w))
        if ((w = write(fd, p, n)) <= 0) return false;
    return true;
}

// Says hello over a connected TCP socket, writes the answer to out, closes.
bool hello(int fd, const char* host, std::FILE* out) {
    wscodec::request_options req;
    req.host = host;                                     // and .port, .target ("/" by default), .origin ...
    wscodec::client_session ws(req);                     // the upgrade request is queued at once
    std::uint8_t in_buf[65536], out_buf[16384];
    for (bool closing = false;;) {
        for (std::size_t k; (k = ws.copy_output(out_buf)) > 0;)   // what is queued, masked as a client must
            if (!write_all(fd, out_buf, k)) return false;
        const ssize_t n = read(fd, in_buf, sizeof in_buf);
        if (n <= 0) return closing;                      // the server closes TCP after the close handshake
        wscodec::mutable_bytes in(in_buf, static_cast<std::size_t>(n));
        for (wscodec::event ev; (ev = ws.receive(in)).type != wscodec::event_type::need_more;) {
            in = in.subspan(ev.consumed);
            if (ev.type == wscodec::event_type::open) (void)ws.send_text("hello");
            if (ev.type == wscodec::event_type::data) {  // a piece of the answer
                std::fwrite(ev.payload.data(), 1, ev.payload.size(), out);
                if (ev.last) (void)ws.close(wscodec::close_code::normal, "bye");
            }
            if (ev.type == wscodec::event_type::closed) closing = true;  // then read on to EOF (§7.1.1)
            if (ev.type == wscodec::event_type::failed) {
                std::fprintf(stderr, "websocket: %s\n", wscodec::error_message(ev.err));
                return false;
            }
        }
    }
}
// README client end

// README page begin
// A page at /, the WebSocket at /chat for pages of this site only.
void on_request(wscodec::server_session& ws, const wscodec::event& ev, std::string_view page) {
    const wscodec::http_request& req = ws.request();
    if (ev.type == wscodec::event_type::http_request) {          // no Upgrade: websocket
        const wscodec::http_header type[] = {{"Content-Type", "text/html; charset=utf-8"}};
        (void)(req.target == "/" ? ws.respond(200, type, page) : ws.respond(404));
    } else if (ev.type == wscodec::event_type::request) {        // an upgrade request
        const bool ours = req.target == "/chat" && (req.origin.empty() || req.origin == "https://example.com");
        (void)(ours ? ws.accept() : ws.respond(403));             // cross-site WebSocket hijacking refused
    }
}
// README page end

// README errors begin
void on_failed(const wscodec::event& ev) {   // ev.type == wscodec::event_type::failed
    std::fprintf(stderr, "connection failed: %s (%s), sent close code %u\n", wscodec::error_message(ev.err),
                 wscodec::error_name(ev.err), static_cast<unsigned>(ev.code));
    if (wscodec::kind_of(ev.err) == wscodec::error_kind::protocol) { /* the peer broke RFC 6455: count it */ }
}

bool say(wscodec::server_session& ws, std::string_view text) {
    const wscodec::error e = ws.send_text(text);
    if (e == wscodec::error::send_in_progress) return false;   // one message at a time: wait for can_send(), or use a send_queue
    if (e != wscodec::error::none) std::fprintf(stderr, "send: %s\n", wscodec::error_message(e));
    return e == wscodec::error::none;
}
// README errors end

void write_batch(int fd, wscodec::output_batch& batch, wscodec::server_session& ws) {
    for (wscodec::batch_spans s = batch.spans(ws); !s.empty(); s = batch.spans(ws)) {
        iovec iov[3];
        for (std::size_t i = 0; i < s.count; ++i) iov[i] = {const_cast<std::uint8_t*>(s.parts[i].data()), s.parts[i].size()};
        const ssize_t w = writev(fd, iov, static_cast<int>(s.count));
        if (w <= 0) return;
        batch.consume(ws, static_cast<std::size_t>(w));
    }
}

/// The echo of one read's messages, with the frames of up to 2 KiB gathered
/// into one writev; `in` is what the read brought.
void echo_batched(int fd, wscodec::server_session& ws, wscodec::mutable_bytes in) {
// README batch begin
std::uint8_t gathered[16384];
wscodec::output_batch batch(gathered);                        // frames of up to 2 KiB are copied here
for (wscodec::event ev; (ev = ws.receive(in)).type != wscodec::event_type::need_more;) {
    in = in.subspan(ev.consumed);
    if (ev.type == wscodec::event_type::data && ev.first && ev.last) (void)ws.send(ev.message, ev.payload);
    if (!batch.gather(ws)) write_batch(fd, batch, ws);          // a large frame: write what waits now
}
write_batch(fd, batch, ws);                                     // the rest: one writev
// README batch end
}
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

TEST_CASE("README: the client says hello to the README's echo server and gets it back") {
    int fds[2];
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
    std::thread server([fd = fds[1]] {
        readme::echo(fd);
        close(fd);
    });
    std::FILE* out = std::tmpfile();
    REQUIRE(out != nullptr);
    const bool ok = readme::hello(fds[0], "localhost", out);
    server.join();
    close(fds[0]);
    CHECK(ok);
    std::rewind(out);
    char got[16] = {};
    const std::size_t n = std::fread(got, 1, sizeof got, out);
    std::fclose(out);
    CHECK(std::string(got, n) == "hello");
}

TEST_CASE("README: the client reports a refused handshake and returns false") {
    int fds[2];
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
    std::thread server([fd = fds[1]] {  // answers the upgrade request with a 403
        wscodec::server_session ws;
        std::uint8_t buf[4096];
        for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) {
            wscodec::mutable_bytes in(buf, static_cast<std::size_t>(n));
            const wscodec::event ev = ws.receive(in);
            if (ev.type != wscodec::event_type::request) continue;
            CHECK(ws.respond(403) == wscodec::error::none);
            readme::flush(fd, ws);
            break;
        }
        close(fd);
    });
    std::FILE* out = std::tmpfile();
    REQUIRE(out != nullptr);
    const bool ok = readme::hello(fds[0], "localhost", out);
    server.join();
    close(fds[0]);
    CHECK_FALSE(ok);
    CHECK(std::ftell(out) == 0);
    std::fclose(out);
}

namespace {

std::string upgrade_request(std::string_view target, std::string_view origin) {
    std::string r = "GET " + std::string(target) + " HTTP/1.1\r\nHost: example.com\r\n";
    r += "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
    r += "Sec-WebSocket-Version: 13\r\n";
    if (!origin.empty()) r += "Origin: " + std::string(origin) + "\r\n";
    return r + "\r\n";
}

/// Feeds one request to a fresh session, answers it with the README's
/// on_request, and returns everything the session then writes.
std::string answer(std::string request, wscodec::session_state& state) {
    wscodec::server_session ws;
    wscodec::mutable_bytes in(reinterpret_cast<std::uint8_t*>(request.data()), request.size());
    const wscodec::event ev = ws.receive(in);
    readme::on_request(ws, ev, "<p>hi</p>");
    std::string out;
    for (auto o = ws.output(); !o.empty(); o = ws.output()) {
        for (std::size_t i = 0; i < o.count; ++i) out.append(reinterpret_cast<const char*>(o.parts[i].data()), o.parts[i].size());
        ws.consume(o.size());
    }
    state = ws.state();
    return out;
}

}  // namespace

TEST_CASE("README: one port serves the page at / and the WebSocket at /chat for the site's own pages") {
    wscodec::session_state state{};
    std::string out = answer("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n", state);
    CHECK(out.rfind("HTTP/1.1 200 ", 0) == 0);
    CHECK(out.find("Content-Type: text/html; charset=utf-8\r\n") != std::string::npos);
    CHECK(out.size() >= 9);
    CHECK(out.substr(out.size() - 9) == "<p>hi</p>");
    CHECK(state == wscodec::session_state::done);

    out = answer("GET /elsewhere HTTP/1.1\r\nHost: example.com\r\n\r\n", state);
    CHECK(out.rfind("HTTP/1.1 404 ", 0) == 0);

    out = answer(upgrade_request("/chat", "https://example.com"), state);
    CHECK(out.rfind("HTTP/1.1 101 ", 0) == 0);
    CHECK(out.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n") != std::string::npos);  // RFC 6455 §1.3
    CHECK(state == wscodec::session_state::open);

    out = answer(upgrade_request("/chat", ""), state);  // not a browser: no Origin
    CHECK(out.rfind("HTTP/1.1 101 ", 0) == 0);

    out = answer(upgrade_request("/chat", "https://evil.example"), state);
    CHECK(out.rfind("HTTP/1.1 403 ", 0) == 0);
    CHECK(state == wscodec::session_state::done);

    out = answer(upgrade_request("/other", "https://example.com"), state);
    CHECK(out.rfind("HTTP/1.1 403 ", 0) == 0);
}

TEST_CASE("README: say() sends one message at a time; on_failed() takes a failed event") {
    wscodec::server_session ws;
    std::string request = upgrade_request("/chat", "");
    wscodec::mutable_bytes in(reinterpret_cast<std::uint8_t*>(request.data()), request.size());
    REQUIRE(ws.receive(in).type == wscodec::event_type::request);
    REQUIRE(ws.accept() == wscodec::error::none);
    CHECK(readme::say(ws, "first"));
    CHECK_FALSE(readme::say(ws, "second"));  // the first is not written yet
    std::string out;
    for (auto o = ws.output(); !o.empty(); o = ws.output()) {
        for (std::size_t i = 0; i < o.count; ++i) out.append(reinterpret_cast<const char*>(o.parts[i].data()), o.parts[i].size());
        ws.consume(o.size());
    }
    CHECK(out.size() >= 7);
    CHECK(out.substr(out.size() - 7) == std::string("\x81\x05" "first", 7));
    CHECK(readme::say(ws, "second"));

    std::uint8_t bad[] = {0x83, 0x80, 1, 2, 3, 4};  // opcode 3 is reserved (RFC 6455 §5.2)
    const wscodec::event ev = ws.receive(wscodec::mutable_bytes(bad, sizeof bad));
    REQUIRE(ev.type == wscodec::event_type::failed);
    CHECK(wscodec::kind_of(ev.err) == wscodec::error_kind::protocol);
    CHECK(ev.code == 1002);
    readme::on_failed(ev);  // prints "connection failed: ..." to stderr
    CHECK_FALSE(readme::say(ws, "third"));  // not open any more
}

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
TEST_CASE("README: the batched echo writes the echoes of one read in one writev") {
    int fds[2];
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
    // A server session past its handshake (a client's request, accepted).
    wscodec::server_session ws;
    wscodec::request_options ro;
    ro.host = "localhost";
    client c(ro, {}, wscodec::seeded_key_source(7));
    std::uint8_t out[4096];
    std::vector<std::uint8_t> request;
    for (std::size_t n; (n = c.copy_output(out)) > 0;) request.insert(request.end(), out, out + n);
    CHECK(ws.receive(wscodec::mutable_bytes(request)).type == wscodec::event_type::request);
    REQUIRE(ws.accept() == wscodec::error::none);
    std::vector<std::uint8_t> response;
    for (auto o = ws.output(); !o.empty(); o = ws.output()) {
        for (std::size_t i = 0; i < o.count; ++i) response.insert(response.end(), o.parts[i].begin(), o.parts[i].end());
        ws.consume(o.size());
    }
    CHECK(c.receive(wscodec::mutable_bytes(response)).type == wscodec::event_type::open);
    // Three messages and a ping in one read: 5, 3000 (written in place) and 7 bytes.
    const std::string a = "hello", big(3000, 'x'), b = "goodbye";
    std::vector<std::uint8_t> read_in;
    for (const std::string* m : {&a, &big, &b}) {
        REQUIRE(c.send(wscodec::message_type::text, wscodec::bytes_view(reinterpret_cast<const std::uint8_t*>(m->data()), m->size())) ==
                wscodec::error::none);
        for (std::size_t n; (n = c.copy_output(out)) > 0;) read_in.insert(read_in.end(), out, out + n);
    }
    readme::echo_batched(fds[1], ws, wscodec::mutable_bytes(read_in));
    close(fds[1]);
    std::vector<std::uint8_t> echoed;
    std::uint8_t buf[8192];
    for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) echoed.insert(echoed.end(), buf, buf + n);
    close(fds[0]);
    std::vector<std::string> got;
    wscodec::mutable_bytes rest(echoed);
    for (wscodec::event ev; (ev = c.receive(rest)).type != wscodec::event_type::need_more;) {
        rest = rest.subspan(ev.consumed);
        if (ev.type == wscodec::event_type::data) got.emplace_back(reinterpret_cast<const char*>(ev.payload.data()), ev.payload.size());
    }
    CHECK(got == std::vector<std::string>{a, big, b});
}
#endif  // _WIN32
