// SPDX-License-Identifier: MIT
// examples/echo_server.cpp — a WebSocket echo server: epoll, non-blocking
// sockets, one wscodec::server_session per connection; one thread, or
// --threads N loops that share nothing.
//
//   echo_server [--host 127.0.0.1] [--port 9001] [--max-message-size 16777216] [--stream]
//               [--no-deflate] [--deflate-window-bits 9..15] [--deflate-no-context-takeover]
//               [--cert FILE --key FILE] [--threads N]
//
// Every message comes back with its type, whole: as one frame, once all of
// it has arrived and proved valid. A message that arrives in one piece is
// sent straight from the connection's read buffer (a view, unmasked in
// place); any other is collected by wscodec::message_assembler in a buffer
// of --max-message-size bytes, allocated at the first such message. So a
// message that turns out invalid (bad UTF-8 in a later fragment) is never
// echoed in part, and the pong for a ping sent between two fragments goes
// out before the message's echo.
//
// --stream: each piece is echoed as it arrives instead (begin_message() and
// send_part() views into the read buffer: zero-copy, no buffer per message).
//
// permessage-deflate (RFC 7692, wscodec/zlib.hpp) is agreed with every client
// that offers it, unless --no-deflate; --deflate-window-bits caps both
// windows, --deflate-no-context-takeover asks for a fresh compressor per
// message both ways. A compressed message arrives inflated, in pieces of at
// most 16 KiB that view the session's inflate buffer rather than the read
// buffer: a message that inflates in one piece is echoed from there (the
// buffer is written again only by the next receive(), which waits until the
// echo is written, as for the read buffer), a larger one goes through the
// assembler; echoes are compressed again (each piece as it comes with
// --stream). The configuration goes to stderr at start-up.
//
// Either way the payload is written from the buffer it lives in with writev,
// and that buffer is read into again only once every piece that views it is
// written. When the socket is full the connection stops processing (the rest
// of its input waits in its buffer) and reading, until EPOLLOUT says it
// drained.
//
// System calls: one read() and one writev() per wakeup of a connection in
// the steady state, however many messages the read held. A read shorter
// than the buffer means the socket is empty, so the loop waits for epoll
// rather than reading again into an EAGAIN. Echoes (and pongs, close
// frames) of at most 2 KiB are copied into the connection's cork while its
// input lasts, and written together, with any larger frame after them, in
// one writev once the input is used up; a larger echo is written at once
// from the buffer it lives in, as before. (Over TLS each step writes as it
// goes: the channel gathers records itself.)
//
// --threads N (default 1): N threads, each with its own listening socket
// bound to the same port with SO_REUSEPORT (the kernel spreads connections
// among them), its own epoll loop, connections and timers; they share only
// the read-only configuration (the zlib backend and TLS context keep no
// per-connection state), so no lock is taken on the way of a message. The
// main thread blocks SIGINT and SIGTERM before starting them, waits on the
// signalfd, and stops each loop through an eventfd of its own; each loop
// then says goodbye to its connections as below.
//
// --cert FILE --key FILE (PEM: the certificate chain and its private key):
// wss://, TLS on every connection, through examples/tls.hpp. Each connection
// has a tls_channel between its socket and its session: the socket's bytes
// go into the channel, the plaintext it gives goes to receive() as a read
// would, and output() goes through the channel before writev's place. The
// loop is the same; it also reads records the channel already holds before
// waiting for epoll, and sends a close_notify before closing TCP (or shutting
// down sending, when it lingers). Without them the server is plain ws://.
//
// A plain HTTP request gets a short text page. A connection that does not
// finish its opening handshake within 10 s, or its close handshake within
// 5 s, is dropped. A connection that failed (tcp_action::linger) writes its
// close frame or error response, shuts down sending, and reads and discards
// until the peer closes TCP or 2 s pass, so that its last bytes are not lost
// to a reset. SIGINT or SIGTERM: every open connection is sent close 1001,
// and the server exits with status 0.
#include <poll.h>
#include <sys/eventfd.h>

#include <cstddef>
#include <limits>
#include <memory>
#include <new>
#include <thread>
#include <unordered_map>

#include "common.hpp"
#include "tls.hpp"

namespace {

using examples::flush_result;
using examples::time_point;

constexpr std::size_t read_buffer_size = 64 * 1024;
constexpr int max_reads_per_wakeup = 16;  // then let other connections run
constexpr auto linger_time = std::chrono::seconds(5);  // to write the last bytes before closing

/// What the command line chose.
struct echo_flags {
    examples::server_flags server;
    bool stream = false;  // echo each piece as it arrives
    examples::deflate_flags deflate;
    std::string cert;  // --cert and --key: wss://
    std::string key;
    std::size_t threads = 1;  // loops, each with its own listening socket
};

struct connection {
    std::uint64_t id = 0;
    examples::unique_fd fd;
    std::unique_ptr<examples::tls_channel> tls;  // null: plain ws://
    wscodec::server_session ws;
    std::unique_ptr<std::uint8_t[]> buf{new std::uint8_t[read_buffer_size]};
    std::size_t begin = 0;  // input not yet consumed by the session: [begin, end)
    std::size_t end = 0;
    bool closing = false;    // close TCP once the output is written
    bool lingering = false;  // failed: write the output, shut down sending, then read and discard until EOF
    bool write_shut = false;  // lingering, and shutdown(SHUT_WR) is done
    examples::output_cork cork;  // plain ws://: small frames gathered for one writev
    std::unique_ptr<std::uint8_t[]> whole;  // the assembler's storage, once a message needs it
    wscodec::message_assembler assembler{wscodec::mutable_bytes{}};
    std::uint32_t interest = 0;
    examples::protocol_timer timer;
    time_point linger_due{};
    examples::deadline_list::slot deadline;

    connection(std::uint64_t key, int socket, const wscodec::session_options& o) : id(key), fd(socket), ws(o) {}
};

class echo_server {
public:
    echo_server(examples::unique_fd listener, examples::unique_fd signals, const wscodec::session_options& options,
                bool stream, const examples::tls_context* tls)
        : listener_(std::move(listener)), signals_(std::move(signals)), options_(options), stream_(stream), tls_(tls) {}

    int run() {
        const int status = examples::serve(*this, poll_, listener_.get(), signals_.get(), deadlines_);
        shut_down();
        return status;
    }

private:
    template <class Server>
    friend int examples::serve(Server&, examples::poller&, int, int, examples::deadline_list&);

    // ------------------------------------------------- called by serve()

    void ready(const epoll_event& e) {
        const std::uint64_t key = e.data.u64;  // a copy: epoll_event is packed, a reference would be misaligned
        const auto it = conns_.find(key);
        if (it == conns_.end()) return;  // dropped earlier in this batch
        connection& c = *it->second;
        if ((e.events & EPOLLERR) != 0) {  // reset by the peer, or another socket error
            drop(c);
            return;
        }
        // EPOLLHUP lands here too: reading finds the end of the stream, or
        // writing fails, and either ends the connection.
        settle(c, drive(c));
    }

    void after_batch() {}

    void open(int fd) {
        const std::uint64_t id = next_id_++;
        auto c = std::make_unique<connection>(id, fd, options_);
        if (tls_ != nullptr) {
            c->tls = std::make_unique<examples::tls_channel>(*tls_, wscodec::role::server);
            if (c->tls->failed()) {
                std::fprintf(stderr, "connection %llu: %s\n", static_cast<unsigned long long>(id), c->tls->error().c_str());
                return;  // the unique_fd closes the socket
            }
        }
        c->interest = EPOLLIN;
        if (!poll_.add(fd, c->interest, id)) {
            std::perror("epoll_ctl");
            return;  // the unique_fd closes the socket
        }
        connection& ref = *c;
        conns_.emplace(id, std::move(c));
        settle(ref, true);  // arms the opening handshake timer
    }

    void expire(std::uint64_t id, time_point now) {
        const auto it = conns_.find(id);
        if (it == conns_.end()) return;
        connection& c = *it->second;
        c.deadline.reset();  // take_expired() removed the entry
        if (c.closing) {
            drop(c);
            return;
        }
        if (c.timer.hint == wscodec::timer_hint::none || now < c.timer.due) {
            settle(c, true);
            return;
        }
        c.timer = {};
        handle(c, c.ws.receive_timeout());  // closed, close_now: handshake_timeout, close_timeout, or the end of a linger
        settle(c, drive(c));
    }

    /// Flushes output, processes buffered input and reads, until the socket
    /// is full or empty. False: the connection is over (close it).
    ///
    /// System calls: in the steady state one read() and one writev() per
    /// wakeup, whatever the number of messages the read brought. A read that
    /// returns less than asked (plain ws://) has emptied the socket, so the
    /// loop goes back to epoll (level-triggered: it reports bytes that came
    /// meanwhile) instead of reading again for an EAGAIN; and the echoes of
    /// the messages of one read gather in the connection's cork, to be
    /// written together once the input is used up.
    bool drive(connection& c) {
        int reads = 0;
        bool drained = false;  // a short read emptied the socket: wait for epoll before reading again
        bool first = true;  // output left by a full socket (EPOLLOUT woke us) is written before more is taken
        for (;;) {
            // Input left, or an event owed without input (the closed event
            // after the peer's close): receive() before reading again.
            const bool more = c.begin != c.end || c.ws.has_pending_event();
            // A data piece views c.buf, the inflate buffer (a compressed
            // message) or the assembler's buffer, and its echo must leave the
            // session before the next receive() (which may write the inflate
            // buffer again): into the cork when it is small, else to the
            // socket now. Everything is written once the input is used up.
            if (std::exchange(first, false) || !more || c.tls || c.closing || c.lingering || !c.cork.take(c.ws)) {
                switch (flush(c)) {
                    case flush_result::failed: return false;
                    case flush_result::blocked: return watch(c, EPOLLOUT);
                    case flush_result::drained: break;
                }
                if (c.closing) {  // everything is written: close TCP now
                    if (c.tls && c.tls->close()) continue;  // after TLS's close_notify
                    return false;
                }
                if (c.lingering && !c.write_shut) {
                    if (c.tls && c.tls->close()) continue;  // a close_notify goes before the FIN
                    // Our last bytes are written: send FIN, but keep reading, so
                    // that unread input does not turn our close into a reset.
                    (void)::shutdown(c.fd.get(), SHUT_WR);
                    c.write_shut = true;
                }
            }
            if (more) {  // one event, then back to the output
                const wscodec::event ev = c.ws.receive(wscodec::mutable_bytes(c.buf.get() + c.begin, c.end - c.begin));
                c.begin += ev.consumed;
                if (c.begin == c.end) c.begin = c.end = 0;  // all consumed: free for the next read, once the output is written
                handle(c, ev);
                continue;
            }
            if (drained) return watch(c, EPOLLIN);
            // TLS may hold records already taken from the socket: epoll would
            // not report those, so they are read before waiting.
            const bool held = c.tls && !c.tls->wants_input();
            if (reads++ >= max_reads_per_wakeup && !held) return watch(c, EPOLLIN);  // level-triggered: epoll comes back
            const ssize_t n = c.tls ? examples::read_input(c.fd.get(), *c.tls, c.buf.get(), read_buffer_size)
                                    : ::read(c.fd.get(), c.buf.get(), read_buffer_size);
            if (n > 0) {
                c.begin = 0;
                c.end = static_cast<std::size_t>(n);
                // Only for a socket read: read_input's size says nothing of what the socket holds.
                drained = !c.tls && c.end < read_buffer_size;
            } else if (n == 0) {
                handle(c, c.ws.receive_eof());  // close_now: write what is queued (if anything), then close
                c.closing = true;
            } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
                if (c.tls && (c.tls->has_output() || !c.tls->wants_input())) continue;  // a handshake message, say
                return watch(c, EPOLLIN);
            } else if (c.tls && c.tls->failed()) {
                std::fprintf(stderr, "connection %llu: %s\n", static_cast<unsigned long long>(c.id), c.tls->error().c_str());
                c.closing = true;  // write the alert, if any, then close
            } else if (errno != EINTR) {
                return false;  // ECONNRESET and friends
            }
        }
    }

    /// Writes a connection's output: through its TLS channel, or with writev
    /// (the cork's bytes first).
    static flush_result flush(connection& c) {
        return c.tls ? examples::write_output(c.fd.get(), *c.tls, c.ws) : examples::write_output(c.fd.get(), c.cork, c.ws);
    }

    /// Reacts to one event of a connection's session.
    void handle(connection& c, const wscodec::event& ev) {
        using wscodec::event_type;
        switch (ev.type) {
            case event_type::request:  // any target: this server echoes on every path
                if (c.ws.accept() != wscodec::error::none) c.closing = true;
                break;
            case event_type::http_request: {
                const std::string body = std::string("wscodec echo server\n\nConnect a WebSocket client to ") +
                                         (c.tls ? "wss://" : "ws://") +
                                         std::string(c.ws.request().host) +
                                         "/ and every message comes back as it was sent.\n";
                const wscodec::http_header type{"Content-Type", "text/plain; charset=utf-8"};
                (void)c.ws.respond(200, std::span(&type, 1), body);
                c.closing = true;  // the response says Connection: close
                break;
            }
            case event_type::data:
                if (stream_) {
                    stream_piece(c, ev);
                } else if (ev.first && ev.last) {
                    echo(c, ev.message, ev.payload);  // whole in one piece: straight from c.buf (or the inflate buffer)
                } else {
                    collect(c, ev);
                }
                break;
            case event_type::failed:  // our close frame (or error response) is queued: linger
                c.assembler.reset();
                break;
            default:  // ping (pong already queued), pong, close (our close queued), closed, ended
                break;
        }
        if (ev.action == wscodec::tcp_action::close_now) c.closing = true;
        if (ev.action == wscodec::tcp_action::linger) c.lingering = true;
    }

    /// --stream: queues one piece of a message as it arrives (a view into c.buf
    /// or the inflate buffer; a compressed echo takes it into the compressor
    /// as output() is drained).
    void stream_piece(connection& c, const wscodec::event& ev) {
        wscodec::error e = wscodec::error::none;
        if (ev.first) e = c.ws.begin_message(ev.message);
        if (e == wscodec::error::none) e = c.ws.send_part(ev.payload, ev.last);
        // not_open: the connection just failed (a piece delivered before
        // invalid UTF-8, say) and its close frame is queued instead.
        cannot_echo(c, e);
    }

    /// Adds a piece of a message that did not arrive whole to the assembler;
    /// echoes the message once its last piece is in.
    void collect(connection& c, const wscodec::event& ev) {
        if (ev.first && !c.whole) {  // the first message that needs a buffer
            const std::size_t size = max_message_size();
            c.whole.reset(new (std::nothrow) std::uint8_t[size]);
            if (!c.whole) {
                std::fprintf(stderr, "connection %llu: no memory for a %zu-byte message buffer\n",
                             static_cast<unsigned long long>(c.id), size);
                (void)c.ws.close(wscodec::close_code::internal_error);
                return;
            }
            c.assembler = wscodec::message_assembler(wscodec::mutable_bytes(c.whole.get(), size));
        }
        const wscodec::message_assembler::result r = c.assembler.add(ev);
        if (r.status == wscodec::message_assembler::progress::complete) {
            echo(c, r.type, r.message);  // views c.whole, untouched until the next add()
        } else if (r.status == wscodec::message_assembler::progress::too_big) {
            (void)c.ws.close(wscodec::close_code::message_too_big);  // the connection's own limit comes first
        }
    }

    /// Queues a whole message as one frame; `payload` stays put until it is written.
    void echo(connection& c, wscodec::message_type type, wscodec::bytes_view payload) {
        cannot_echo(c, c.ws.send(type, payload));
    }

    /// Reports a send error other than not_open (the connection failed or
    /// closed meanwhile, and its close frame is queued) and closes with 1011.
    void cannot_echo(connection& c, wscodec::error e) {
        if (e == wscodec::error::none || e == wscodec::error::not_open) return;
        std::fprintf(stderr, "connection %llu: cannot echo: %s\n", static_cast<unsigned long long>(c.id),
                     std::string(wscodec::error_message(e)).c_str());
        (void)c.ws.close(wscodec::close_code::internal_error);
    }

    /// The longest message: the assembler's buffer size.
    [[nodiscard]] std::size_t max_message_size() const noexcept {
        return static_cast<std::size_t>(options_.connection.limits.max_message_size);
    }

    /// Sets the epoll interest of a connection; always true (drive's "keep going").
    bool watch(connection& c, std::uint32_t interest) {
        if (c.interest != interest) {
            c.interest = interest;
            (void)poll_.modify(c.fd.get(), interest, c.id);
        }
        return true;
    }

    /// After drive(): drop the connection or re-arm its deadline.
    void settle(connection& c, bool alive) {
        if (!alive) {
            drop(c);
            return;
        }
        const time_point now = examples::steady::now();
        if (c.closing) {  // the peer is not reading our last bytes: give it a while
            if (c.linger_due == time_point{}) c.linger_due = now + linger_time;
            deadlines_.set(c.id, c.deadline, c.linger_due);
        } else if (c.timer.follow(c.ws.timer(), c.ws.timer_duration(), now)) {
            deadlines_.set(c.id, c.deadline, c.timer.due);
        } else {
            deadlines_.clear(c.id, c.deadline);
        }
    }

    void drop(connection& c) {
        deadlines_.clear(c.id, c.deadline);
        poll_.remove(c.fd.get());
        conns_.erase(c.id);  // closes the socket
    }

    /// SIGINT/SIGTERM: say goodbye (close 1001) where a connection is open,
    /// write what fits, and close everything.
    void shut_down() {
        for (auto& [id, c] : conns_) {
            examples::close_going_away(c->ws);
            if (flush(*c) == flush_result::drained && c->tls && c->tls->close()) (void)flush(*c);  // the cork's bytes go first
        }
        conns_.clear();
    }

    examples::unique_fd listener_;
    examples::unique_fd signals_;
    wscodec::session_options options_;
    bool stream_;
    const examples::tls_context* tls_;  // null: plain ws://
    examples::poller poll_;
    examples::deadline_list deadlines_;
    std::unordered_map<std::uint64_t, std::unique_ptr<connection>> conns_;
    std::uint64_t next_id_ = examples::first_connection_key;
};

/// Parses --host, --port, --max-message-size, --stream, the deflate flags,
/// --cert/--key and --threads; exits with status 2 and the usage line on anything else.
echo_flags parse_flags(int argc, char** argv) {
    const char* usage =
        "[--host ADDRESS] [--port N] [--max-message-size BYTES] [--stream] [--no-deflate] "
        "[--deflate-window-bits 9..15] [--deflate-no-context-takeover] [--cert FILE --key FILE] [--threads N]";
    echo_flags f;
    f.server.port = 9001;
    examples::arg_reader args(argc, argv);
    while (const auto a = args.next()) {
        if (*a == "--help" || *a == "-h") {
            std::printf("usage: %s %s\n", argv[0], usage);
            std::exit(0);
        }
        if (*a == "--stream") {
            f.stream = true;
            continue;
        }
        if (f.deflate.take(*a, args, argv[0], usage)) continue;
        const bool known = *a == "--host" || *a == "--port" || *a == "--max-message-size" || *a == "--cert" ||
                           *a == "--key" || *a == "--threads";
        if (!known) examples::usage_error(argv[0], usage, "unknown argument: " + std::string(*a));
        const auto v = args.value();
        if (!v) examples::usage_error(argv[0], usage, std::string(*a) + " needs a value");
        if (*a == "--cert") {
            f.cert = std::string(*v);
        } else if (*a == "--key") {
            f.key = std::string(*v);
        } else if (*a == "--host") {
            f.server.host = std::string(*v);
        } else if (*a == "--port") {
            if (!examples::parse_number(*v, f.server.port)) examples::usage_error(argv[0], usage, "bad port: " + std::string(*v));
        } else if (*a == "--threads") {
            if (!examples::parse_number(*v, f.threads) || f.threads == 0 || f.threads > 256)
                examples::usage_error(argv[0], usage, "bad thread count (1 to 256): " + std::string(*v));
        } else if (!examples::parse_number(*v, f.server.max_message_size) || f.server.max_message_size == 0 ||
                   f.server.max_message_size > static_cast<std::uint64_t>(std::numeric_limits<std::ptrdiff_t>::max())) {
            examples::usage_error(argv[0], usage, "bad size: " + std::string(*v));
        }
    }
    if (f.cert.empty() != f.key.empty()) examples::usage_error(argv[0], usage, "--cert and --key go together");
    return f;
}

}  // namespace

int main(int argc, char** argv) {
    const echo_flags parsed = parse_flags(argc, argv);
    const examples::server_flags& flags = parsed.server;
    examples::raise_fd_limit();
    examples::unique_fd signals = examples::make_signal_fd();  // before any thread starts: they inherit the mask
    if (!signals) {
        std::perror("signalfd");
        return 1;
    }
    // One listening socket per thread, all on one port (SO_REUSEPORT with
    // more than one): the first picks the port when --port is 0.
    const bool shared_port = parsed.threads > 1;
    std::string err;
    std::vector<examples::unique_fd> listeners;
    for (std::size_t i = 0; i < parsed.threads; ++i) {
        const std::uint16_t port = i == 0 ? flags.port : examples::local_port(listeners[0].get());
        listeners.push_back(examples::listen_on(flags.host, port, err, shared_port));
        if (!listeners.back()) {
            std::fprintf(stderr, "%s\n", err.c_str());
            return 1;
        }
    }
    wscodec::session_options options;
    options.connection.limits.max_message_size = flags.max_message_size;
    options.connection.limits.max_frame_size = flags.max_message_size;
    wscodec::zlib_backend zlib;  // one for every connection of every thread (it keeps no shared state); outlives the servers
    parsed.deflate.apply_server(zlib, options);
    examples::tls_context tls;  // outlives the connections; OpenSSL lets threads share an SSL_CTX
    if (!parsed.cert.empty()) {
        tls = examples::tls_context::server(parsed.cert, parsed.key, err);
        if (!tls) {
            std::fprintf(stderr, "%s\n", err.c_str());
            return 1;
        }
    }
    std::printf("listening on %s://%s:%u\n", tls ? "wss" : "ws", examples::url_host(flags.host).c_str(),
                static_cast<unsigned>(examples::local_port(listeners[0].get())));
    std::fflush(stdout);
    std::fprintf(stderr, "%s\n", parsed.deflate.describe_server(options).c_str());
    if (tls) std::fprintf(stderr, "TLS: certificate %s\n", parsed.cert.c_str());
    const examples::tls_context* tls_ptr = tls ? &tls : nullptr;
    if (parsed.threads == 1) {  // this thread serves, stopped by the signalfd itself
        echo_server server(std::move(listeners[0]), std::move(signals), options, parsed.stream, tls_ptr);
        return server.run();
    }
    // --threads N: each thread runs its own loop on its own listener, and
    // shares nothing with the others on the way of a message. This thread
    // waits for SIGINT or SIGTERM and stops each loop through its eventfd.
    std::fprintf(stderr, "threads: %zu, one listening socket each (SO_REUSEPORT)\n", parsed.threads);
    std::vector<int> stops;  // this thread's ends of the eventfds (the loops own theirs)
    std::vector<int> statuses(parsed.threads, 0);
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < parsed.threads; ++i) {
        examples::unique_fd stop(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
        const int writer = stop ? ::dup(stop.get()) : -1;
        if (writer < 0) {
            std::perror("eventfd");
            statuses[i] = 1;
            break;
        }
        stops.push_back(writer);
        threads.emplace_back([&, i, listener = std::move(listeners[i]), stop = std::move(stop)]() mutable {
            echo_server server(std::move(listener), std::move(stop), options, parsed.stream, tls_ptr);
            statuses[i] = server.run();
        });
    }
    if (stops.size() == parsed.threads) {  // all started: wait for a signal
        pollfd p{signals.get(), POLLIN, 0};
        while (::poll(&p, 1, -1) < 0 && errno == EINTR) {}
    }
    for (const int fd : stops) {
        const std::uint64_t one = 1;
        (void)::write(fd, &one, sizeof one);
        ::close(fd);
    }
    for (std::thread& t : threads) t.join();
    return *std::max_element(statuses.begin(), statuses.end());
}
