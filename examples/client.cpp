// SPDX-License-Identifier: MIT
// examples/client.cpp — a WebSocket client on a wscodec::client_session.
//
//   client [--echo] [--no-deflate] [--deflate-window-bits 9..15] [--deflate-no-context-takeover]
//          [--ca FILE] ws://HOST[:PORT][/PATH] | wss://HOST[:PORT][/PATH]
//
// Interactive (the default): every line of stdin is sent as a text message,
// every message received is printed on stdout, one per line (a binary one as
// `<binary N bytes>`); at the end of stdin the client sends close 1000 and
// waits for the server's close. Notes about the connection go to stderr.
// The close waits until every line is written and nothing has arrived for a
// quarter of a second: once our close is sent the session drops the server's
// data frames (as browsers do), so replies still on their way would be lost.
//
// --echo: sends every message received back, with the same type and bytes,
// until the server closes. Received pieces are unmasked in place in the read
// buffer and sent back from there with send_part_in_place(), which masks them
// in place again: the output is a header and a span of that buffer (writev),
// no copy. The buffer is read into again only once those bytes are written.
//
// permessage-deflate (RFC 7692, wscodec/zlib.hpp) is offered unless
// --no-deflate: "permessage-deflate; client_max_window_bits", or with
// --deflate-window-bits N server_max_window_bits=N and client_max_window_bits=N,
// and with --deflate-no-context-takeover both no_context_takeover parameters.
// Once connected, stderr says whether it was agreed and with which parameters
// (`permessage-deflate: agreed (...)` or `permessage-deflate: not agreed`).
// A compressed message arrives inflated, its pieces viewing the session's
// inflate buffer; --echo sends them back from there (compressed again: the
// buffer is not modified) before receiving more.
//
// wss:// runs TLS through examples/tls.hpp (OpenSSL over a BIO pair): the
// socket's bytes go into a tls_channel, the plaintext it gives goes to the
// session as a read would, and the session's output goes through the channel
// before the socket. The server's certificate must chain to the system's
// trusted CAs, or with --ca FILE to the certificates in FILE (PEM), and must
// name the URL's host (a DNS name, or an IP address in subjectAltName); if
// it does not, the client says why on stderr and exits 1 before any
// WebSocket byte is sent. On a clean end it sends TLS's close_notify before
// closing TCP. Once connected, stderr names the protocol and cipher.
//
// Receiving: each input read goes to the session until it answers need_more
// (pending_), and the socket is read only then: after the server's close
// frame the closed event still comes with no new bytes (has_pending_event()).
// After a clean close the client waits for the server to close TCP
// (wait_for_peer, §7.1.1), at most the session's tcp_close timer (2 s).
// After a failure (a protocol error, invalid UTF-8) it lingers: writes its
// close frame, shuts down sending (SHUT_WR) and reads and discards what the
// server still sends until the server closes TCP or the tcp_close timer ends
// it, so that its close frame is not lost to a reset.
//
// Exit status: 0 once the close handshake completed (the server's close frame
// arrived, whatever its code), 1 otherwise (handshake refused, TLS failure,
// protocol error, connection lost, timeout), 2 for a bad command line.
#include <poll.h>

#include <deque>
#include <memory>

#include "common.hpp"
#include "tls.hpp"

namespace {

using examples::flush_result;
using examples::time_point;

constexpr std::size_t read_buffer_size = 64 * 1024;
constexpr std::size_t max_queued_lines = 1024;  // stop reading stdin while this many wait
constexpr auto connect_timeout = std::chrono::seconds(10);
constexpr auto quiet_before_close = std::chrono::milliseconds(250);

/// Connects to one of the addresses of `u` (IPv4 or IPv6, in getaddrinfo's
/// order), each within connect_timeout; a non-blocking socket, or -1.
examples::unique_fd connect_to(const wscodec::ws_url& u) {
    const std::string host(u.host);  // without brackets
    const std::string port = std::to_string(u.port);
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    addrinfo* list = nullptr;
    if (const int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &list); rc != 0) {
        std::fprintf(stderr, "cannot resolve %s: %s\n", host.c_str(), ::gai_strerror(rc));
        return examples::unique_fd{};
    }
    examples::unique_fd result;
    for (addrinfo* ai = list; ai != nullptr && !result; ai = ai->ai_next) {
        examples::unique_fd s(::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol));
        if (!s) continue;
        int err = 0;
        if (::connect(s.get(), ai->ai_addr, ai->ai_addrlen) != 0) {
            err = errno;
            if (err == EINPROGRESS) {
                pollfd p{s.get(), POLLOUT, 0};
                int rc;
                do rc = ::poll(&p, 1, static_cast<int>(std::chrono::milliseconds(connect_timeout).count()));
                while (rc < 0 && errno == EINTR);
                socklen_t len = sizeof err;
                if (rc == 0) err = ETIMEDOUT;
                else if (rc < 0 || ::getsockopt(s.get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
            }
        }
        std::array<char, NI_MAXHOST> name{};
        (void)::getnameinfo(ai->ai_addr, ai->ai_addrlen, name.data(), name.size(), nullptr, 0, NI_NUMERICHOST);
        if (err != 0) {
            std::fprintf(stderr, "connect to %s port %s: %s\n", name.data(), port.c_str(), std::strerror(err));
            continue;
        }
        examples::set_nodelay(s.get());
        result = std::move(s);
    }
    ::freeaddrinfo(list);
    return result;
}

class client {
public:
    /// `tls`: null for ws://.
    client(examples::unique_fd fd, std::unique_ptr<examples::tls_channel> tls, const wscodec::request_options& request,
           const wscodec::session_options& options, bool echo)
        : fd_(std::move(fd)), tls_(std::move(tls)), echo_(echo), ws_(request, options) {}

    int run() {
        if (ws_.state() == wscodec::session_state::done) {
            std::fprintf(stderr, "cannot build the request: %s\n",
                         std::string(wscodec::error_message(ws_.handshake().failure())).c_str());
            return 1;
        }
        if (ws_.deflate_failure() != wscodec::deflate_error::none)
            std::fprintf(stderr, "permessage-deflate not offered: %s\n", wscodec::deflate_error_message(ws_.deflate_failure()));
        while (!finished_) {
            if (!step()) break;
            if (tls_ && !blocked_ && !pending_ && !eof_ && !tls_->wants_input()) {
                read_socket();  // records TLS already took from the socket: poll() would not report them
                continue;
            }
            std::array<pollfd, 2> p{};
            nfds_t n = 0;
            short sock_events = 0;
            if (blocked_) sock_events = POLLOUT;
            else if (!pending_ && !eof_) sock_events = POLLIN;
            p[n++] = {fd_.get(), sock_events, 0};
            const bool want_stdin = !echo_ && !stdin_eof_ && lines_.size() < max_queued_lines;
            if (want_stdin) p[n++] = {STDIN_FILENO, POLLIN, 0};
            const time_point now = examples::steady::now();
            int timeout = -1;
            const auto wake_at = [&](time_point due) {
                const auto ms = std::max<std::int64_t>(0, std::chrono::ceil<std::chrono::milliseconds>(due - now).count());
                const int t = static_cast<int>(std::min<std::int64_t>(ms, 60'000));
                timeout = timeout < 0 ? t : std::min(timeout, t);
            };
            if (timer_.follow(ws_.timer(), ws_.timer_duration(), now)) wake_at(timer_.due);
            if (close_waits()) wake_at(last_rx_ + quiet_before_close);
            const int rc = ::poll(p.data(), n, timeout);
            if (rc < 0) {
                if (errno == EINTR) continue;
                std::perror("poll");
                return 1;
            }
            if (timer_.hint != wscodec::timer_hint::none && examples::steady::now() >= timer_.due) {
                timer_ = {};
                handle(ws_.receive_timeout());  // closed, close_now
                continue;
            }
            if (p[0].revents != 0) {
                blocked_ = false;  // writable, or an error that the next write or read reports
                if ((p[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0 && !pending_ && !eof_) read_socket();
            }
            if (want_stdin && p[1].revents != 0) read_stdin();
        }
        if (got_close_ && !failed_) return 0;
        return 1;
    }

private:
    /// Writes output and works through received events and stdin lines until
    /// it must wait. False: the connection is over.
    bool step() {
        for (;;) {
            if (blocked_) return true;
            switch (flush()) {
                case flush_result::failed:
                    if (!closing_) lost("write", errno);
                    return false;
                case flush_result::blocked:
                    blocked_ = true;
                    return true;
                case flush_result::drained: break;
            }
            if (closing_) {  // close_now, and everything is written
                if (tls_ && tls_->close()) continue;  // TLS's close_notify first
                finished_ = true;
                return false;
            }
            if (lingering_ && !shut_) {  // our close frame is out: a FIN follows it; reading goes on
                if (tls_ && tls_->close()) continue;
                (void)::shutdown(fd_.get(), SHUT_WR);  // ENOTCONN: the server is gone, and the next read says so
                shut_ = true;
            }
            if (pending_) {
                const wscodec::event ev = ws_.receive(wscodec::mutable_bytes(buf_.get() + begin_, end_ - begin_));
                begin_ += ev.consumed;
                if (ev.type == wscodec::event_type::need_more) {
                    pending_ = false;
                    begin_ = end_ = 0;
                } else {
                    handle(ev);
                }
                continue;
            }
            if (!echo_ && send_next_line()) continue;
            return true;
        }
    }

    /// Output: the spans through writev, the same loop as a server's (a
    /// payload sent with send() comes masked from the session's staging);
    /// with TLS, through the channel.
    flush_result flush() {
        if (tls_) return examples::write_output(fd_.get(), *tls_, ws_);
        for (;;) {
            const wscodec::output_buffers out = ws_.output();
            if (out.empty()) return flush_result::drained;
            std::array<iovec, 2> iov{};
            for (std::size_t i = 0; i < out.count; ++i)
                iov[i] = {const_cast<std::uint8_t*>(out.parts[i].data()), out.parts[i].size()};
            const ssize_t w = ::writev(fd_.get(), iov.data(), static_cast<int>(out.count));
            if (w > 0) {
                ws_.consume(static_cast<std::size_t>(w));
                continue;
            }
            if (w < 0 && errno == EINTR) continue;
            if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return flush_result::blocked;
            return flush_result::failed;
        }
    }

    void read_socket() {
        for (;;) {
            const ssize_t n = tls_ ? examples::read_input(fd_.get(), *tls_, buf_.get(), read_buffer_size)
                                   : ::read(fd_.get(), buf_.get(), read_buffer_size);
            if (n > 0) {
                begin_ = 0;
                end_ = static_cast<std::size_t>(n);
                pending_ = true;
                last_rx_ = examples::steady::now();
            } else if (n == 0) {
                eof_ = true;
                handle(ws_.receive_eof());
            } else if (errno == EINTR) {
                continue;
            } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
                const int e = errno;
                eof_ = true;
                const wscodec::event ev = ws_.receive_eof();  // the connection is gone either way
                if (tls_ && tls_->failed()) {  // certificate refused, or a broken record: write the alert, then stop
                    std::fprintf(stderr, "%s\n", tls_->error().c_str());
                    failed_ = true;
                } else if (!got_close_) {
                    lost("read", e);
                }
                closing_ = true;
                (void)ev;
            }
            return;
        }
    }

    void read_stdin() {
        std::array<char, 16384> chunk{};
        const ssize_t n = ::read(STDIN_FILENO, chunk.data(), chunk.size());
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN) return;
            std::perror("stdin");
        }
        if (n <= 0) {
            stdin_eof_ = true;
            if (!partial_.empty()) lines_.push_back(std::exchange(partial_, {}));
            return;
        }
        std::string_view data(chunk.data(), static_cast<std::size_t>(n));
        for (std::size_t nl; (nl = data.find('\n')) != std::string_view::npos; data.remove_prefix(nl + 1)) {
            partial_.append(data.substr(0, nl));
            if (partial_.ends_with('\r')) partial_.pop_back();
            lines_.push_back(std::exchange(partial_, {}));
        }
        partial_.append(data);
    }

    /// Interactive: queues the next stdin line as a text message, or the
    /// close once stdin ended and every line went. True if output was queued.
    bool send_next_line() {
        if (ws_.state() != wscodec::session_state::open || !ws_.can_send()) return false;
        if (!lines_.empty()) {
            // The string outlives its frame: it is replaced only once can_send()
            // says the message was written. send_in_place() masks it there.
            in_flight_ = std::move(lines_.front());
            lines_.pop_front();
            const wscodec::error e = ws_.send_in_place(
                wscodec::message_type::text,
                wscodec::mutable_bytes(reinterpret_cast<std::uint8_t*>(in_flight_.data()), in_flight_.size()));
            if (e != wscodec::error::none)
                std::fprintf(stderr, "line not sent: %s\n", std::string(wscodec::error_message(e)).c_str());
            return e == wscodec::error::none;
        }
        if (stdin_eof_ && !close_sent_ && !close_waits()) {
            close_sent_ = true;
            return ws_.close(wscodec::close_code::normal) == wscodec::error::none;
        }
        return false;
    }

    /// Interactive: stdin ended and every line went, but data arrived
    /// recently (or a message is half received): the close waits.
    [[nodiscard]] bool close_waits() const {
        if (echo_ || !stdin_eof_ || close_sent_ || !lines_.empty()) return false;
        if (ws_.state() != wscodec::session_state::open) return false;
        return in_message_ || examples::steady::now() < last_rx_ + quiet_before_close;
    }

    void handle(const wscodec::event& ev) {
        using wscodec::event_type;
        switch (ev.type) {
            case event_type::open:
                if (!echo_) std::fprintf(stderr, "connected\n");
                if (tls_) std::fprintf(stderr, "TLS: %s\n", tls_->description().c_str());
                std::fprintf(stderr, "%s\n", examples::deflate_summary(ws_.deflate_agreed(), ws_.deflate_parameters()).c_str());
                break;
            case event_type::data:
                if (echo_) echo(ev);
                else print(ev);
                break;
            case event_type::close:
                got_close_ = true;
                if (!echo_)
                    std::fprintf(stderr, "server closed: %u%s%s\n", static_cast<unsigned>(ev.code),
                                 ev.payload.empty() ? "" : " ", std::string(examples::as_text(ev.payload)).c_str());
                break;
            case event_type::failed:
                failed_ = true;
                report_failure(ev);
                break;
            case event_type::closed:
                if (ev.err != wscodec::error::none && !failed_ && !got_close_)
                    std::fprintf(stderr, "connection ended: %s\n", std::string(wscodec::error_message(ev.err)).c_str());
                break;
            default:  // ping (pong queued), pong, ended (discarded while lingering)
                break;
        }
        if (ev.action == wscodec::tcp_action::close_now) closing_ = true;
        if (ev.action == wscodec::tcp_action::linger) lingering_ = true;  // receive() discards what still comes (ended)
        // wait_for_peer: the server closes TCP; timer() runs tcp_close meanwhile.
    }

    /// --echo: sends a piece back from where it lies: the read buffer (a
    /// client masks it there) or the inflate buffer (compressed into the
    /// session's deflate buffer, never modified). step() writes it all before
    /// the next receive() reuses either buffer.
    void echo(const wscodec::event& ev) {
        wscodec::error e = wscodec::error::none;
        if (ev.first) e = ws_.begin_message(ev.message);
        if (e == wscodec::error::none) e = ws_.send_part_in_place(ev.payload, ev.last);
        if (e != wscodec::error::none && e != wscodec::error::not_open) {
            std::fprintf(stderr, "cannot echo: %s\n", std::string(wscodec::error_message(e)).c_str());
            failed_ = true;
            (void)ws_.close(wscodec::close_code::internal_error);
        }
    }

    void print(const wscodec::event& ev) {
        if (ev.first) {
            text_.clear();
            binary_size_ = 0;
        }
        if (ev.message == wscodec::message_type::text) text_.append(examples::as_text(ev.payload));
        else binary_size_ += ev.payload.size();
        in_message_ = !ev.last;
        if (!ev.last) return;
        if (ev.message == wscodec::message_type::text) {
            text_.push_back('\n');
            std::fwrite(text_.data(), 1, text_.size(), stdout);
        } else {
            std::printf("<binary %llu bytes>\n", static_cast<unsigned long long>(binary_size_));
        }
        std::fflush(stdout);
    }

    void report_failure(const wscodec::event& ev) {
        if (ev.err == wscodec::error::handshake_not_101) {
            const wscodec::http_response& r = ws_.response();
            const std::string reason(r.reason);
            std::fprintf(stderr, "handshake refused: HTTP/%u.%u %u %s\n", static_cast<unsigned>(r.version_major),
                         static_cast<unsigned>(r.version_minor), static_cast<unsigned>(r.status), reason.c_str());
            // The start of the body: what came with the headers, at most 512 bytes.
            std::string_view body = r.body.substr(0, 512);
            const bool more = body.size() < r.body.size() || (r.content_length && *r.content_length > body.size());
            while (!more && !body.empty() && (body.back() == '\n' || body.back() == '\r')) body.remove_suffix(1);
            if (!body.empty())
                std::fprintf(stderr, "%.*s%s\n", static_cast<int>(body.size()), body.data(), more ? "..." : "");
            return;
        }
        std::fprintf(stderr, "%s: %s\n", std::string(wscodec::error_name(ev.err)).c_str(),
                     std::string(wscodec::error_message(ev.err)).c_str());
        if (ev.err == wscodec::error::handshake_bad_deflate)
            std::fprintf(stderr, "the server's permessage-deflate answer: %s\n",
                         wscodec::deflate_error_message(ws_.deflate_failure()));
    }

    void lost(const char* what, int err) {
        std::fprintf(stderr, "connection lost (%s: %s)\n", what, std::strerror(err));
        closing_ = true;
        finished_ = true;
    }

    examples::unique_fd fd_;
    std::unique_ptr<examples::tls_channel> tls_;  // null: ws://
    bool echo_;
    wscodec::client_session ws_;
    std::unique_ptr<std::uint8_t[]> buf_{new std::uint8_t[read_buffer_size]};
    std::size_t begin_ = 0;
    std::size_t end_ = 0;
    bool pending_ = false;  // receive() has more to report
    bool eof_ = false;
    bool blocked_ = false;  // the socket is full: wait for POLLOUT
    bool closing_ = false;  // close_now: write what is queued, then stop
    bool lingering_ = false;  // linger: write what is queued, shut down sending, read until closing_
    bool shut_ = false;       // lingering, and sending is shut down
    bool finished_ = false;
    bool got_close_ = false;
    bool failed_ = false;
    examples::protocol_timer timer_;
    // Interactive mode.
    std::deque<std::string> lines_;
    std::string partial_;
    std::string in_flight_;
    bool stdin_eof_ = false;
    bool close_sent_ = false;
    std::string text_;
    std::uint64_t binary_size_ = 0;
    bool in_message_ = false;
    time_point last_rx_{};
};

}  // namespace

int main(int argc, char** argv) {
    constexpr const char* usage =
        "[--echo] [--no-deflate] [--deflate-window-bits 9..15] [--deflate-no-context-takeover] [--ca FILE] "
        "ws[s]://HOST[:PORT][/PATH]";
    bool echo = false;
    std::string ca_file;  // --ca: trust only these certificates (wss://)
    examples::deflate_flags deflate;
    std::optional<std::string_view> url_text;
    examples::arg_reader args(argc, argv);
    while (const auto a = args.next()) {
        if (*a == "--echo") echo = true;
        else if (*a == "--ca") {
            const auto v = args.value();
            if (!v || v->empty()) examples::usage_error(argv[0], usage, "--ca needs a file");
            ca_file = std::string(*v);
        } else if (deflate.take(*a, args, argv[0], usage)) continue;
        else if (*a == "--help" || *a == "-h") {
            std::printf("usage: %s %s\n", argv[0], usage);
            return 0;
        } else if (a->starts_with("-") || url_text) {
            examples::usage_error(argv[0], usage, "unexpected argument: " + std::string(*a));
        } else {
            url_text = *a;
        }
    }
    if (!url_text) examples::usage_error(argv[0], usage, "no URL");
    const wscodec::ws_url url = wscodec::parse_ws_url(*url_text);  // views argv
    if (!url.ok())
        examples::usage_error(argv[0], usage, "bad URL " + std::string(*url_text) + ": " +
                                                  wscodec::url_error_message(url.err) + " (at byte " +
                                                  std::to_string(url.position) + ")");
    if (!url.secure && !ca_file.empty()) examples::usage_error(argv[0], usage, "--ca is for wss:// URLs");
    std::string err;
    examples::tls_context tls;  // outlives the channel
    if (url.secure && !(tls = examples::tls_context::client(ca_file, err))) {
        std::fprintf(stderr, "%s\n", err.c_str());
        return 1;
    }
    wscodec::request_options request;
    request.host = url.host;
    request.port = url.port_is_default ? 0 : url.port;  // 0: Host without the default port (§4.1)
    std::string scratch(url.resource_name_size(), '\0');   // "ws://h?x": its '/' is not in argv
    request.target = url.resource_name(scratch);
    wscodec::zlib_backend zlib;  // outlives the session
    wscodec::session_options options;
    deflate.apply_client(zlib, options);
    (void)::signal(SIGPIPE, SIG_IGN);
    examples::unique_fd fd = connect_to(url);
    if (!fd) return 1;
    std::unique_ptr<examples::tls_channel> channel;
    if (url.secure) {
        channel = std::make_unique<examples::tls_channel>(tls, wscodec::role::client, std::string(url.host));
        if (channel->failed()) {
            std::fprintf(stderr, "%s\n", channel->error().c_str());
            return 1;
        }
    }
    client c(std::move(fd), std::move(channel), request, options, echo);
    return c.run();
}
