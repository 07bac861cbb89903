// examples/echo_server.cpp — a WebSocket echo server: one thread, epoll,
// non-blocking sockets, one wscodec::server_session per connection.
//
//   echo_server [--host 127.0.0.1] [--port 9001] [--max-message-size 16777216]
//
// Every message comes back with its type, streamed: each piece the session
// reports (a view into the connection's read buffer, unmasked in place) is
// queued with send_part() and written from that buffer with writev. The
// buffer is read into again only once every piece that views it is written.
// When the socket is full the connection stops processing (the rest of its
// input waits in its buffer) and reading, until EPOLLOUT says it drained.
//
// A plain HTTP request gets a short text page. A connection that does not
// finish its opening handshake within 10 s, or its close handshake within
// 5 s, is dropped. SIGINT or SIGTERM: every open connection is sent close
// 1001, and the server exits with status 0.
#include <memory>
#include <unordered_map>

#include "common.hpp"

namespace {

using examples::flush_result;
using examples::time_point;

constexpr std::size_t read_buffer_size = 64 * 1024;
constexpr int max_reads_per_wakeup = 16;  // then let other connections run
constexpr auto linger_time = std::chrono::seconds(5);  // to write the last bytes before closing

struct connection {
    std::uint64_t id = 0;
    examples::unique_fd fd;
    wscodec::server_session ws;
    std::unique_ptr<std::uint8_t[]> buf{new std::uint8_t[read_buffer_size]};
    std::size_t begin = 0;  // input not yet consumed by the session: [begin, end)
    std::size_t end = 0;
    bool pending = false;  // receive() has more to report from this input (maybe with no bytes left)
    bool closing = false;  // close TCP once the output is written
    std::uint32_t interest = 0;
    examples::protocol_timer timer;
    time_point linger_due{};
    examples::deadline_list::slot deadline;

    connection(std::uint64_t key, int socket, const wscodec::session_options& o) : id(key), fd(socket), ws(o) {}
};

class echo_server {
public:
    echo_server(examples::unique_fd listener, examples::unique_fd signals, const wscodec::session_options& options)
        : listener_(std::move(listener)), signals_(std::move(signals)), options_(options) {}

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
        handle(c, c.ws.receive_timeout());  // closed, close_now: handshake_timeout or close_timeout
        settle(c, drive(c));
    }

    /// Flushes output, processes buffered input and reads, until the socket
    /// is full or empty. False: the connection is over (close it).
    bool drive(connection& c) {
        int reads = 0;
        for (;;) {
            switch (examples::write_output(c.fd.get(), c.ws)) {
                case flush_result::failed: return false;
                case flush_result::blocked: return watch(c, EPOLLOUT);
                case flush_result::drained: break;
            }
            if (c.closing) return false;  // everything is written: close TCP now
            if (c.pending) {
                // One event, then flush: a data piece views c.buf, and its
                // echo must be written before the next piece is queued.
                const wscodec::event ev = c.ws.receive(wscodec::mutable_bytes(c.buf.get() + c.begin, c.end - c.begin));
                c.begin += ev.consumed;
                if (ev.type == wscodec::event_type::need_more) {
                    c.pending = false;
                    c.begin = c.end = 0;  // every byte consumed: the buffer is free again
                } else {
                    handle(c, ev);
                }
                continue;
            }
            if (reads++ == max_reads_per_wakeup) return watch(c, EPOLLIN);  // level-triggered: epoll comes back
            const ssize_t n = ::read(c.fd.get(), c.buf.get(), read_buffer_size);
            if (n > 0) {
                c.begin = 0;
                c.end = static_cast<std::size_t>(n);
                c.pending = true;
            } else if (n == 0) {
                handle(c, c.ws.receive_eof());  // close_now: write what is queued, then close
                c.closing = true;
            } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
                return watch(c, EPOLLIN);
            } else if (errno != EINTR) {
                return false;  // ECONNRESET and friends
            }
        }
    }

    /// Reacts to one event of a connection's session.
    void handle(connection& c, const wscodec::event& ev) {
        using wscodec::event_type;
        switch (ev.type) {
            case event_type::request:  // any target: this server echoes on every path
                if (c.ws.accept() != wscodec::error::none) c.closing = true;
                break;
            case event_type::http_request: {
                const std::string body = "wscodec echo server\n\nConnect a WebSocket client to ws://" +
                                         std::string(c.ws.request().host) +
                                         "/ and every message comes back as it was sent.\n";
                const wscodec::http_header type{"Content-Type", "text/plain; charset=utf-8"};
                (void)c.ws.respond(200, std::span(&type, 1), body);
                c.closing = true;  // the response says Connection: close
                break;
            }
            case event_type::data: {
                wscodec::error e = wscodec::error::none;
                if (ev.first) e = c.ws.begin_message(ev.message);
                if (e == wscodec::error::none) e = c.ws.send_part(ev.payload, ev.last);
                // not_open: the connection just failed (a piece delivered before
                // invalid UTF-8, say) and its close frame is queued instead.
                if (e != wscodec::error::none && e != wscodec::error::not_open) {
                    std::fprintf(stderr, "connection %llu: cannot echo: %s\n", static_cast<unsigned long long>(c.id),
                                 std::string(wscodec::error_message(e)).c_str());
                    (void)c.ws.close(wscodec::close_code::internal_error);
                }
                break;
            }
            default:  // ping (pong already queued), pong, close (our close queued), failed, closed
                break;
        }
        if (ev.action == wscodec::tcp_action::close_now) c.closing = true;
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
        for (auto& [id, c] : conns_) examples::say_goodbye(c->fd.get(), c->ws);
        conns_.clear();
    }

    examples::unique_fd listener_;
    examples::unique_fd signals_;
    wscodec::session_options options_;
    examples::poller poll_;
    examples::deadline_list deadlines_;
    std::unordered_map<std::uint64_t, std::unique_ptr<connection>> conns_;
    std::uint64_t next_id_ = examples::first_connection_key;
};

}  // namespace

int main(int argc, char** argv) {
    const examples::server_flags flags = examples::parse_server_flags(argc, argv, 9001, true);
    examples::raise_fd_limit();
    examples::unique_fd signals = examples::make_signal_fd();
    if (!signals) {
        std::perror("signalfd");
        return 1;
    }
    std::string err;
    examples::unique_fd listener = examples::listen_on(flags.host, flags.port, err);
    if (!listener) {
        std::fprintf(stderr, "%s\n", err.c_str());
        return 1;
    }
    wscodec::session_options options;
    options.connection.limits.max_message_size = flags.max_message_size;
    options.connection.limits.max_frame_size = flags.max_message_size;
    std::printf("listening on ws://%s:%u\n", examples::url_host(flags.host).c_str(),
                static_cast<unsigned>(examples::local_port(listener.get())));
    std::fflush(stdout);
    echo_server server(std::move(listener), std::move(signals), options);
    return server.run();
}
