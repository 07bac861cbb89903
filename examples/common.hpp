// SPDX-License-Identifier: MIT
// examples/common.hpp — the plumbing the example programs share: flag
// parsing, listening sockets, an epoll loop with a stop descriptor (a
// signalfd, or an eventfd per loop when several threads serve) and an accept
// loop that survives running out of descriptors, a deadline list, the writev
// loop that drains a session's output (with a cork that gathers small frames
// into one writev), and the permessage-deflate flags.
// Linux only. Not part of the library: wscodec itself never touches a socket,
// a clock or zlib (wscodec/zlib.hpp is an optional adapter; link -lz).
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>
#include <wscodec/wscodec.hpp>
#include <wscodec/zlib.hpp>

namespace examples {

using steady = std::chrono::steady_clock;
using time_point = steady::time_point;
using namespace std::chrono_literals;

// ------------------------------------------------------------------ flags

/// Parses a whole decimal number into `out`; false if `text` is not one or is out of range.
template <class T>
[[nodiscard]] bool parse_number(std::string_view text, T& out) {
    if (text.empty()) return false;
    T v{};
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || end != text.data() + text.size()) return false;
    out = v;
    return true;
}

/// Walks argv: `--name value` and `--name=value` both work.
class arg_reader {
public:
    arg_reader(int argc, char** argv) : argc_(argc), argv_(argv) {}

    /// The next argument, or nullopt at the end.
    [[nodiscard]] std::optional<std::string_view> next() {
        value_.reset();
        if (i_ >= argc_) return std::nullopt;
        std::string_view a = argv_[i_++];
        if (a.starts_with("--")) {
            if (const auto eq = a.find('='); eq != std::string_view::npos) {
                value_ = a.substr(eq + 1);
                a = a.substr(0, eq);
            }
        }
        return a;
    }

    /// The value of the flag just read (after '=' or the next argument).
    [[nodiscard]] std::optional<std::string_view> value() {
        if (value_) return std::exchange(value_, std::nullopt);
        if (i_ >= argc_) return std::nullopt;
        return std::string_view(argv_[i_++]);
    }

private:
    int argc_;
    char** argv_;
    int i_ = 1;
    std::optional<std::string_view> value_;
};

/// What every server example takes on its command line.
struct server_flags {
    std::string host = "127.0.0.1";
    std::uint16_t port = 0;
    std::uint64_t max_message_size = std::uint64_t{16} << 20;
};

[[noreturn]] inline void usage_error(const char* program, const char* usage, std::string_view why) {
    std::fprintf(stderr, "%s: %.*s\nusage: %s %s\n", program, static_cast<int>(why.size()), why.data(), program, usage);
    std::exit(2);
}

/// Parses --host, --port and (if `with_size`) --max-message-size; exits with
/// status 2 and a usage line on anything else.
inline server_flags parse_server_flags(int argc, char** argv, std::uint16_t default_port, bool with_size) {
    const char* usage = with_size ? "[--host ADDRESS] [--port N] [--max-message-size BYTES]" : "[--host ADDRESS] [--port N]";
    server_flags f;
    f.port = default_port;
    arg_reader args(argc, argv);
    while (const auto a = args.next()) {
        if (*a == "--help" || *a == "-h") {
            std::printf("usage: %s %s\n", argv[0], usage);
            std::exit(0);
        }
        const bool known = *a == "--host" || *a == "--port" || (with_size && *a == "--max-message-size");
        if (!known) usage_error(argv[0], usage, "unknown argument: " + std::string(*a));
        const auto v = args.value();
        if (!v) usage_error(argv[0], usage, std::string(*a) + " needs a value");
        if (*a == "--host") {
            f.host = std::string(*v);
        } else if (*a == "--port") {
            if (!parse_number(*v, f.port)) usage_error(argv[0], usage, "bad port: " + std::string(*v));
        } else if (!parse_number(*v, f.max_message_size) || f.max_message_size == 0) {
            usage_error(argv[0], usage, "bad size: " + std::string(*v));
        }
    }
    return f;
}

// ------------------------------------------------------ permessage-deflate

/// permessage-deflate (RFC 7692) as the command line chose it: on unless
/// --no-deflate; --deflate-window-bits N (9..15) caps the window both ways,
/// --deflate-no-context-takeover resets the compressors after each message,
/// both ways.
struct deflate_flags {
    bool enabled = true;
    std::uint8_t window_bits = 0;  // 0: the library's defaults
    bool no_context_takeover = false;

    /// If `a` is one of the flags above, takes it (and its value from `args`)
    /// and returns true; exits with status 2 on a bad value.
    bool take(std::string_view a, arg_reader& args, const char* program, const char* whole_usage) {
        if (a == "--no-deflate") {
            enabled = false;
        } else if (a == "--deflate-no-context-takeover") {
            no_context_takeover = true;
        } else if (a == "--deflate-window-bits") {
            const auto v = args.value();
            if (!v) usage_error(program, whole_usage, "--deflate-window-bits needs a value");
            // Not 8: zlib cannot compress with a 256-byte window (RFC 7692 §7.1.2.1 would forbid the 512 it uses).
            if (!parse_number(*v, window_bits) || window_bits < 9 || window_bits > 15)
                usage_error(program, whole_usage, "bad window bits (9 to 15): " + std::string(*v));
        } else {
            return false;
        }
        return true;
    }

    /// Server: turns permessage-deflate on in `o` (through `backend`, which
    /// must outlive the sessions), unless --no-deflate.
    void apply_server(wscodec::deflate_backend& backend, wscodec::session_options& o) const noexcept {
        if (!enabled) return;
        o.deflate = &backend;
        if (window_bits != 0) o.deflate_server.server_max_window_bits = o.deflate_server.client_max_window_bits = window_bits;
        if (no_context_takeover) o.deflate_server.server_no_context_takeover = o.deflate_server.client_no_context_takeover = true;
    }

    /// Client: the offer, unless --no-deflate.
    void apply_client(wscodec::deflate_backend& backend, wscodec::session_options& o) const noexcept {
        if (!enabled) return;
        o.deflate = &backend;
        if (window_bits != 0) o.deflate_client.server_max_window_bits = o.deflate_client.client_max_window_bits = window_bits;
        if (no_context_takeover) o.deflate_client.server_no_context_takeover = o.deflate_client.client_no_context_takeover = true;
    }

    /// A server's configuration, for its start-up note.
    [[nodiscard]] static std::string describe_server(const wscodec::session_options& o) {
        if (o.deflate == nullptr) return "permessage-deflate: off";
        const wscodec::deflate_server_options& d = o.deflate_server;
        std::string s = "permessage-deflate: on (server_max_window_bits<=" + std::to_string(d.server_max_window_bits) +
                        ", client_max_window_bits<=" + std::to_string(d.client_max_window_bits);
        if (d.server_no_context_takeover) s += ", server_no_context_takeover";
        if (d.client_no_context_takeover) s += ", client_no_context_takeover";
        return s + ")";
    }
};

/// What a session agreed: "permessage-deflate: agreed (server_max_window_bits=12,
/// client_max_window_bits=15[, server_no_context_takeover][, client_no_context_takeover])"
/// or "permessage-deflate: not agreed".
[[nodiscard]] inline std::string deflate_summary(bool agreed, const wscodec::deflate_params& p) {
    if (!agreed) return "permessage-deflate: not agreed";
    std::string s = "permessage-deflate: agreed (server_max_window_bits=" + std::to_string(p.server_max_window_bits) +
                    ", client_max_window_bits=" + std::to_string(p.client_max_window_bits);
    if (p.server_no_context_takeover) s += ", server_no_context_takeover";
    if (p.client_no_context_takeover) s += ", client_no_context_takeover";
    return s + ")";
}

/// `host` as it goes in a URL: an IPv6 address in brackets.
[[nodiscard]] inline std::string url_host(std::string_view host) {
    std::string out;
    const bool v6 = host.find(':') != std::string_view::npos;
    out.reserve(host.size() + 2);
    if (v6) out += '[';
    out.append(host);  // appended, not "[" + host: GCC 12 warns (-Wrestrict) at -O3 on the concatenation
    if (v6) out += ']';
    return out;
}

// ---------------------------------------------------------------- sockets

/// Owns a file descriptor.
class unique_fd {
public:
    unique_fd() = default;
    explicit unique_fd(int fd) noexcept : fd_(fd) {}
    unique_fd(unique_fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
    unique_fd& operator=(unique_fd&& o) noexcept {
        if (this != &o) reset(std::exchange(o.fd_, -1));
        return *this;
    }
    unique_fd(const unique_fd&) = delete;
    unique_fd& operator=(const unique_fd&) = delete;
    ~unique_fd() { reset(); }

    [[nodiscard]] int get() const noexcept { return fd_; }
    [[nodiscard]] explicit operator bool() const noexcept { return fd_ >= 0; }
    void reset(int fd = -1) noexcept {
        if (fd_ >= 0) ::close(fd_);
        fd_ = fd;
    }

private:
    int fd_ = -1;
};

inline void set_nodelay(int fd) noexcept {
    const int one = 1;
    (void)::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/// A non-blocking listening socket on host:port (port 0: the kernel picks
/// one); an invalid fd and `err` on failure. `reuse_port`: SO_REUSEPORT, so
/// that several sockets (one per thread) listen on the same port and the
/// kernel spreads new connections among them.
[[nodiscard]] inline unique_fd listen_on(const std::string& host, std::uint16_t port, std::string& err,
                                         bool reuse_port = false) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    addrinfo* list = nullptr;
    const std::string service = std::to_string(port);
    if (const int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &list); rc != 0) {
        err = "cannot resolve " + host + ": " + ::gai_strerror(rc);
        return unique_fd{};
    }
    unique_fd fd;
    for (addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
        unique_fd s(::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol));
        if (!s) {
            err = std::string("socket: ") + std::strerror(errno);
            continue;
        }
        const int one = 1;
        (void)::setsockopt(s.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (reuse_port && ::setsockopt(s.get(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
            err = std::string("SO_REUSEPORT: ") + std::strerror(errno);
            continue;
        }
        if (::bind(s.get(), ai->ai_addr, ai->ai_addrlen) != 0 || ::listen(s.get(), SOMAXCONN) != 0) {
            err = "cannot listen on " + url_host(host) + ":" + service + ": " + std::strerror(errno);
            continue;
        }
        fd = std::move(s);
        break;
    }
    ::freeaddrinfo(list);
    return fd;
}

/// The port a socket is bound to.
[[nodiscard]] inline std::uint16_t local_port(int fd) noexcept {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return 0;
    if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_port);
    return ntohs(reinterpret_cast<const sockaddr_in*>(&ss)->sin_port);
}

/// Raises the soft limit on open files to the hard limit: the servers have
/// no connection cap of their own.
inline void raise_fd_limit() noexcept {
    rlimit r{};
    if (::getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
        r.rlim_cur = r.rlim_max;
        (void)::setrlimit(RLIMIT_NOFILE, &r);
    }
}

/// Blocks SIGINT and SIGTERM and returns a signalfd that reports them;
/// ignores SIGPIPE (a peer that vanished shows up as EPIPE from write).
/// Threads started afterwards inherit the mask, so the signals reach only
/// this descriptor.
[[nodiscard]] inline unique_fd make_signal_fd() {
    (void)::signal(SIGPIPE, SIG_IGN);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    if (::sigprocmask(SIG_BLOCK, &set, nullptr) != 0) return unique_fd{};
    return unique_fd(::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC));
}

/// Accepts every pending connection on a non-blocking listener. When the
/// process runs out of descriptors the connection at the head of the backlog
/// is accepted on a spare descriptor and closed at once; otherwise the
/// listener would stay readable and the loop would spin.
class acceptor {
public:
    acceptor() : spare_(::open("/dev/null", O_RDONLY | O_CLOEXEC)) {}

    /// Calls on_new(fd) for each accepted socket (non-blocking, TCP_NODELAY).
    template <class OnNew>
    void accept_all(int listener, OnNew&& on_new) {
        for (;;) {
            const int fd = ::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd >= 0) {
                set_nodelay(fd);
                on_new(fd);
                continue;
            }
            switch (errno) {
                case EINTR:
                case ECONNABORTED:
                case EPROTO:
                    continue;
                case EMFILE:
                case ENFILE:
                    if (!spare_) return;  // nothing to shed with; the listener stays readable
                    spare_.reset();
                    if (const int shed = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC); shed >= 0) ::close(shed);
                    spare_.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
                    std::fprintf(stderr, "out of file descriptors: refused a connection\n");
                    continue;
                case EAGAIN:
                default:
                    return;
            }
        }
    }

private:
    unique_fd spare_;
};

// --------------------------------------------------------------- epoll

/// A thin epoll wrapper: interest is keyed by a 64-bit id the caller picks.
class poller {
public:
    poller() : fd_(::epoll_create1(EPOLL_CLOEXEC)) {}
    [[nodiscard]] bool ok() const noexcept { return static_cast<bool>(fd_); }

    bool add(int fd, std::uint32_t events, std::uint64_t key) noexcept { return ctl(EPOLL_CTL_ADD, fd, events, key); }
    bool modify(int fd, std::uint32_t events, std::uint64_t key) noexcept { return ctl(EPOLL_CTL_MOD, fd, events, key); }
    void remove(int fd) noexcept { (void)::epoll_ctl(fd_.get(), EPOLL_CTL_DEL, fd, nullptr); }

    /// Waits up to `timeout_ms` (-1: forever); the number of events, 0 on EINTR.
    int wait(std::span<epoll_event> out, int timeout_ms) noexcept {
        const int n = ::epoll_wait(fd_.get(), out.data(), static_cast<int>(out.size()), timeout_ms);
        if (n < 0 && errno == EINTR) return 0;
        return n;
    }

private:
    bool ctl(int op, int fd, std::uint32_t events, std::uint64_t key) noexcept {
        epoll_event ev{};
        ev.events = events;
        ev.data.u64 = key;
        return ::epoll_ctl(fd_.get(), op, fd, &ev) == 0;
    }

    unique_fd fd_;
};

// --------------------------------------------------------------- timers

/// Per-connection deadlines, earliest first. A connection keeps the one
/// deadline it has armed (`slot`); set() moves it, clear() drops it.
class deadline_list {
public:
    using slot = std::optional<time_point>;

    void set(std::uint64_t id, slot& s, time_point when) {
        if (s == when) return;
        clear(id, s);
        entries_.emplace(when, id);
        s = when;
    }
    void clear(std::uint64_t id, slot& s) {
        if (s) entries_.erase({*s, id});
        s.reset();
    }
    /// Milliseconds until the earliest deadline (rounded up), -1 if none.
    [[nodiscard]] int timeout_ms(time_point now) const {
        if (entries_.empty()) return -1;
        const auto left = entries_.begin()->first - now;
        if (left <= steady::duration::zero()) return 0;
        const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
        return static_cast<int>(std::min<decltype(ms)>(ms, 60'000));
    }
    /// The ids whose deadline passed, removed from the list (each caller
    /// resets its slot before re-arming).
    [[nodiscard]] std::vector<std::uint64_t> take_expired(time_point now) {
        std::vector<std::uint64_t> ids;
        while (!entries_.empty() && entries_.begin()->first <= now) {
            ids.push_back(entries_.begin()->second);
            entries_.erase(entries_.begin());
        }
        return ids;
    }

private:
    std::set<std::pair<time_point, std::uint64_t>> entries_;
};

/// The timer a session asks for (timer()), for as long as it says
/// (timer_duration()), and when it expires. Re-armed only when the hint
/// changes, so a timer keeps its deadline across calls; the caller clears it
/// ({}) before receive_timeout(), so the next follow() arms the next one.
struct protocol_timer {
    wscodec::timer_hint hint = wscodec::timer_hint::none;
    time_point due{};

    /// Follows `now_hint`; true if a timer runs.
    bool follow(wscodec::timer_hint now_hint, std::chrono::milliseconds length, time_point now) noexcept {
        if (now_hint != hint) {
            hint = now_hint;
            due = now + length;
        }
        return hint != wscodec::timer_hint::none;
    }
};

// --------------------------------------------------------------- output

enum class flush_result : std::uint8_t {
    drained,  ///< nothing left to write
    blocked,  ///< the socket is full (EAGAIN): wait for EPOLLOUT
    failed,   ///< the peer is gone (EPIPE, ECONNRESET, ...)
};

/// Small output of a session gathered for one writev (wscodec::output_batch:
/// the echoes of the messages of one read, a pong, a close), in a buffer of
/// its own allocated at first use. Output larger than 2 KiB stays where it
/// is (zero-copy) and is written after the gathered bytes, in the same writev.
class output_cork {
public:
    static constexpr std::size_t capacity = 16 * 1024;

    /// batch().gather(ws), the buffer allocated first; false (write the
    /// session's output directly) if it cannot be.
    template <class Session>
    [[nodiscard]] bool take(Session& ws) noexcept {
        if (!buf_) {
            buf_.reset(new (std::nothrow) std::uint8_t[capacity]);
            if (!buf_) return false;
            batch_ = wscodec::output_batch(wscodec::mutable_bytes(buf_.get(), capacity));
        }
        return batch_.gather(ws);
    }

    [[nodiscard]] wscodec::output_batch& batch() noexcept { return batch_; }

private:
    std::unique_ptr<std::uint8_t[]> buf_;
    wscodec::output_batch batch_{wscodec::mutable_bytes{}};
};

/// Writes a session's output with writev until it is drained or the socket
/// is full: what `batch` gathered first, then the session's output, each
/// round (an empty batch: the session's output alone). The payload spans
/// view the application's buffers (zero-copy); they are acknowledged with
/// consume() as the kernel takes them. A server never needs copy_output().
template <class Session>
[[nodiscard]] flush_result write_output(int fd, wscodec::output_batch& batch, Session& ws) noexcept {
    for (;;) {
        const wscodec::batch_spans out = batch.spans(ws);
        if (out.empty()) return flush_result::drained;
        std::array<iovec, 3> iov{};
        for (std::size_t i = 0; i < out.count; ++i)
            iov[i] = {const_cast<std::uint8_t*>(out.parts[i].data()), out.parts[i].size()};
        const ssize_t w = ::writev(fd, iov.data(), static_cast<int>(out.count));
        if (w > 0) {
            batch.consume(ws, static_cast<std::size_t>(w));
            continue;
        }
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return flush_result::blocked;
        return flush_result::failed;
    }
}

/// write_output() without a batch: the session's output alone.
template <class Session>
[[nodiscard]] flush_result write_output(int fd, Session& ws) noexcept {
    wscodec::output_batch none{wscodec::mutable_bytes{}};
    return write_output(fd, none, ws);
}

/// write_output() for a session whose small frames may wait in `cork`.
template <class Session>
[[nodiscard]] flush_result write_output(int fd, output_cork& cork, Session& ws) noexcept {
    return write_output(fd, cork.batch(), ws);
}

// ----------------------------------------------------------- the loop

/// epoll keys: the listener, the stop fd, then one per connection.
constexpr std::uint64_t listener_key = 0;
constexpr std::uint64_t signal_key = 1;
constexpr std::uint64_t first_connection_key = 2;

/// The loop both servers run until `stop` is readable (a signalfd: SIGINT or
/// SIGTERM; or an eventfd that the thread that took the signal writes to):
/// accepts every pending connection (server.open(fd)), hands each
/// connection's readiness to server.ready(event), expires deadlines
/// (server.expire(id, now)) and then calls server.after_batch(). Returns the
/// exit status.
template <class Server>
[[nodiscard]] int serve(Server& server, poller& poll, int listener, int stop, deadline_list& deadlines) {
    if (!poll.ok() || !poll.add(listener, EPOLLIN, listener_key) || !poll.add(stop, EPOLLIN, signal_key)) {
        std::perror("epoll");
        return 1;
    }
    acceptor accept;
    std::array<epoll_event, 256> events{};
    for (bool stopping = false; !stopping;) {
        const int n = poll.wait(events, deadlines.timeout_ms(steady::now()));
        if (n < 0) {
            std::perror("epoll_wait");
            return 1;
        }
        for (int i = 0; i < n; ++i) {
            const epoll_event& e = events[static_cast<std::size_t>(i)];
            const std::uint64_t key = e.data.u64;  // a copy: epoll_event is packed, a reference would be misaligned
            if (key == listener_key) {
                accept.accept_all(listener, [&server](int fd) { server.open(fd); });
            } else if (key == signal_key) {
                signalfd_siginfo si{};  // large enough for an eventfd's 8 bytes too
                while (::read(stop, &si, sizeof si) > 0) stopping = true;
            } else {
                server.ready(e);
            }
        }
        const time_point now = steady::now();
        for (const std::uint64_t id : deadlines.take_expired(now)) server.expire(id, now);
        server.after_batch();
    }
    return 0;
}

/// On shutdown: close 1001 where the WebSocket is open (the caller writes it).
inline void close_going_away(wscodec::server_session& ws) noexcept {
    if (ws.state() == wscodec::session_state::open && ws.connection().state() == wscodec::connection_state::open)
        (void)ws.close(wscodec::close_code::going_away, "server shutting down");
}

/// On shutdown: close 1001 where the WebSocket is open, and write what fits.
inline void say_goodbye(int fd, wscodec::server_session& ws) noexcept {
    close_going_away(ws);
    (void)write_output(fd, ws);
}

/// A span of a string's bytes, as the codec takes them.
[[nodiscard]] inline wscodec::bytes_view as_bytes(std::string_view s) noexcept {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
[[nodiscard]] inline std::string_view as_text(wscodec::bytes_view b) noexcept {
    return {reinterpret_cast<const char*>(b.data()), b.size()};
}

}  // namespace examples
