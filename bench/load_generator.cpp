// SPDX-License-Identifier: MIT
// bench/load_generator.cpp — a WebSocket load generator on wscodec's client
// role: one thread, epoll, N connections to a ws:// echo server on the
// loopback interface, each keeping a number of messages in flight.
//
//   load_generator [--host 127.0.0.1] [--port 9001] [--connections 100] [--size 20]
//                  [--in-flight 1] [--seconds 5] [--warmup 1] [--binary | --text] [--json]
//                  [--server-pid PID]
//
// Each connection sends the next message as soon as an echo is back (one in
// flight: send, wait, send again). After --warmup seconds the counters start;
// --seconds later it prints the echoes per second, the 50th and 99th
// percentile round trip (send to the echo's last byte, µs), and its own CPU
// use over that interval (getrusage user + system over wall time: near 100 %
// the generator, not the server, is the limit), and with --server-pid the
// server's (/proc/PID/stat, all threads; -1 without). --json: one JSON
// line, with all_messages too (every echo, warm-up included, for
// per-message counts over a whole run). At the end every connection sends
// close 1000 and waits (at most 2 s) for the server's close.
//
// Every echo is checked byte for byte. A payload is a window into a table of
// pseudo-random bytes (printable ASCII for --text) at an offset chosen by the
// connection and the message's number: send() reads the table,
// copy_output() masks it into the connection's write buffer, and an echo is
// compared with the table. A wrong byte, a missing or extra message or a
// failed connection is an error: exit status 1 (2: bad command line).
//
// Cost per message: one read() per readiness (up to 256 KiB into one buffer
// shared by every connection, again only while reads fill it), one write()
// for everything a connection sends after a read, no allocation, and keys
// from seeded_key_source (seeded once from getrandom), which unlike the
// default system_key_source makes no system call. That is a read and a write
// per echo, as for a good server: on two cores the two saturate together,
// hence both CPU figures. No permessage-deflate offer: servers echo plain
// frames. Loopback only: the host must be 127.x.x.x.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <string>
#include <string_view>
#include <vector>
#include <wscodec/wscodec.hpp>

namespace {

using client_session = wscodec::session<wscodec::role::client, wscodec::seeded_key_source>;

constexpr std::size_t read_buffer_size = 256 * 1024;
constexpr std::size_t pattern_period = 4093;  // offsets into the table: a prime, so offsets spread
constexpr std::uint64_t connect_timeout_ns = 10'000'000'000;
constexpr std::uint64_t connect_batch = 50;  // connections whose handshakes run at once
constexpr std::uint64_t close_wait_ns = 2'000'000'000;  // for the servers' close frames at the end

/// What the command line chose.
struct options {
    std::string host = "127.0.0.1";
    std::uint16_t port = 9001;
    std::size_t connections = 100;
    std::size_t size = 20;
    std::size_t in_flight = 1;
    double seconds = 5;
    double warmup = 1;
    wscodec::message_type type = wscodec::message_type::binary;
    bool json = false;
    int server_pid = 0;  // 0: the server's CPU use is not reported
};

/// Monotonic nanoseconds (clock_gettime goes through the vDSO: no system call).
std::uint64_t now_ns() noexcept {
    timespec ts{};
    (void)::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<std::uint64_t>(ts.tv_nsec);
}

/// User plus system CPU time of this process, in nanoseconds.
std::uint64_t cpu_ns() noexcept {
    rusage r{};
    (void)::getrusage(RUSAGE_SELF, &r);
    const auto ns = [](const timeval& t) {
        return static_cast<std::uint64_t>(t.tv_sec) * 1'000'000'000u + static_cast<std::uint64_t>(t.tv_usec) * 1000u;
    };
    return ns(r.ru_utime) + ns(r.ru_stime);
}

/// User plus system CPU time of process `pid` (all its threads), in
/// nanoseconds, from fields 14 and 15 of /proc/PID/stat; 0 if unreadable.
std::uint64_t process_cpu_ns(int pid) noexcept {
    std::array<char, 64> path{};
    (void)std::snprintf(path.data(), path.size(), "/proc/%d/stat", pid);
    std::FILE* f = std::fopen(path.data(), "r");
    if (f == nullptr) return 0;
    std::array<char, 1024> text{};
    text[std::fread(text.data(), 1, text.size() - 1, f)] = 0;
    std::fclose(f);
    const char* p = std::strrchr(text.data(), ')');  // after the command name, which may hold spaces
    unsigned long long user = 0, sys = 0;
    if (p == nullptr || std::sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &user, &sys) != 2) return 0;
    return (user + sys) * 1'000'000'000u / static_cast<std::uint64_t>(::sysconf(_SC_CLK_TCK));
}

/// Round-trip times: 64 buckets per power of two of nanoseconds (at most
/// 1.6 % off), fixed size, so recording allocates nothing.
class histogram {
public:
    void add(std::uint64_t ns) noexcept {
        ++counts_[index(ns)];
        ++total_;
    }
    /// The value (ns, a bucket's middle) below which `q` of the samples fall.
    [[nodiscard]] double quantile(double q) const noexcept {
        if (total_ == 0) return 0;
        const auto rank = static_cast<std::uint64_t>(q * static_cast<double>(total_ - 1)) + 1;
        std::uint64_t seen = 0;
        for (std::size_t i = 0; i < counts_.size(); ++i)
            if ((seen += counts_[i]) >= rank) return middle(i);
        return middle(counts_.size() - 1);
    }

private:
    static constexpr std::size_t sub = 64;
    static std::size_t index(std::uint64_t v) noexcept {
        if (v < 2 * sub) return static_cast<std::size_t>(v);
        const auto shift = static_cast<std::size_t>(std::bit_width(v)) - 7;  // v >> shift is in [64, 128)
        return std::min<std::size_t>(sub + shift * sub + static_cast<std::size_t>((v >> shift) - sub), buckets - 1);
    }
    static double middle(std::size_t i) noexcept {
        if (i < 2 * sub) return static_cast<double>(i);
        const std::size_t shift = (i - sub) / sub;
        const auto low = static_cast<double>((sub + (i - sub) % sub) << shift);
        return low + static_cast<double>(std::uint64_t{1} << shift) / 2;
    }
    static constexpr std::size_t buckets = sub + 40 * sub;  // up to 2^46 ns
    std::array<std::uint64_t, buckets> counts_{};
    std::uint64_t total_ = 0;
};

/// One connection: its socket and session, how far its messages got, and the
/// bytes waiting to be written.
struct connection {
    int fd = -1;
    std::uint64_t index = 0;
    client_session ws;
    bool open = false;
    bool want_write = false;          // EPOLLOUT asked for: the socket was full
    std::uint64_t sent = 0;           // messages queued (sequence numbers 0 .. sent-1)
    std::uint64_t echoed = 0;         // echoes complete
    std::size_t echo_offset = 0;      // bytes of echo `echoed` checked so far
    std::vector<std::uint64_t> sent_at;  // send times, by sequence number modulo --in-flight
    std::vector<std::uint8_t> out;    // masked frames not yet written: [out_begin, out_end)
    std::size_t out_begin = 0, out_end = 0;

    connection(int socket, std::uint64_t i, const wscodec::request_options& r, std::uint64_t seed, const options& o)
        : fd(socket), index(i), ws(r, wscodec::session_options{}, wscodec::seeded_key_source(seed)),
          sent_at(o.in_flight), out(o.in_flight * (o.size + 14) + 4096) {}
};

class generator {
public:
    explicit generator(const options& o) : o_(o), rbuf_(new std::uint8_t[read_buffer_size]) {
        // The table: windows of it are the payloads (see the file's note).
        table_.resize(pattern_period + o.size);
        std::uint64_t x = 0x243F6A8885A308D3u;
        for (std::uint8_t& b : table_) {
            x = x * 6364136223846793005u + 1442695040888963407u;
            b = static_cast<std::uint8_t>(x >> 56);
            if (o.type == wscodec::message_type::text) b = static_cast<std::uint8_t>(0x20 + b % 95);  // UTF-8: ASCII
        }
    }

    /// Connects, runs the warm-up and the measured interval, closes; the exit status.
    int run() {
        epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
        if (epoll_ < 0 || !connect_all()) return 1;
        // Every handshake is done: the warm-up starts.
        started_ = true;
        const std::uint64_t start = now_ns();
        const std::uint64_t warm_end = start + static_cast<std::uint64_t>(o_.warmup * 1e9);
        std::uint64_t end = 0, cpu_start = 0, server_cpu_start = 0;
        for (connection& c : conns_) send_more(c, start);
        for (std::uint64_t now = start; !measuring_ || now < end; now = now_ns()) {
            if (!measuring_ && now >= warm_end) {  // counters from zero
                measuring_ = true;
                messages_ = 0;
                cpu_start = cpu_ns();
                server_cpu_start = o_.server_pid > 0 ? process_cpu_ns(o_.server_pid) : 0;
                measure_start_ = now;
                end = now + static_cast<std::uint64_t>(o_.seconds * 1e9);
            }
            if (!poll_once(now, measuring_ ? end : warm_end)) return 1;
        }
        const double wall = static_cast<double>(now_ns() - measure_start_) / 1e9;
        const double cpu = static_cast<double>(cpu_ns() - cpu_start) / 1e9;
        const double server_cpu =
            o_.server_pid > 0 ? static_cast<double>(process_cpu_ns(o_.server_pid) - server_cpu_start) / 1e9 : -1;
        // The close handshake (§7.1.2): close 1000 on every connection; the
        // echoes still coming are dropped; each socket closes once the
        // server answers, or when it closes TCP, or after close_wait_ns.
        measuring_ = false;
        stopping_ = true;
        std::size_t target = closed_;  // once every socket open now is closed
        for (connection& c : conns_) {
            if (c.fd < 0) continue;
            ++target;
            if (!c.open || c.ws.close(wscodec::close_code::normal) != wscodec::error::none || !flush(c)) finish(c);
        }
        const std::uint64_t close_end = now_ns() + close_wait_ns;
        for (std::uint64_t now = now_ns(); closed_ < target && now < close_end; now = now_ns())
            if (!poll_once(now, close_end)) break;
        for (connection& c : conns_) finish(c);
        report(wall, cpu, server_cpu);
        return errors_ == 0 ? 0 : 1;
    }

private:
    /// Waits for readiness until `wake` at the latest and serves it; false if epoll failed.
    bool poll_once(std::uint64_t now, std::uint64_t wake) {
        const int timeout = static_cast<int>((wake - std::min(wake, now)) / 1'000'000 + 1);
        const int n = ::epoll_wait(epoll_, events_.data(), static_cast<int>(events_.size()), timeout);
        if (n < 0 && errno != EINTR) {
            std::perror("epoll_wait");
            return false;
        }
        for (int i = 0; i < n; ++i) {
            const epoll_event& e = events_[static_cast<std::size_t>(i)];
            connection& c = conns_[e.data.u64];
            if (c.fd < 0) continue;
            if ((e.events & EPOLLOUT) != 0 && !flush(c)) continue;
            if ((e.events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0) receive(c);
        }
        return true;
    }

    /// Opens every connection (a blocking connect on the loopback, then
    /// non-blocking) and writes its upgrade request, connect_batch at a time:
    /// the next batch connects once the last one's handshakes are done, so
    /// that a slow server's accept queue does not overflow (a dropped
    /// connection is retried by TCP only seconds later).
    bool connect_all() {
        const std::uint64_t deadline = now_ns() + connect_timeout_ns;
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(o_.port);
        (void)::inet_pton(AF_INET, o_.host.c_str(), &addr.sin_addr);
        wscodec::request_options req;
        req.host = o_.host;
        req.port = o_.port;
        std::uint64_t seed = 0;
        if (::getrandom(&seed, sizeof seed, 0) != static_cast<ssize_t>(sizeof seed)) seed = now_ns();
        conns_.reserve(o_.connections);  // never reallocated: sessions stay put
        for (std::uint64_t i = 0; i < o_.connections; ++i) {
            const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            if (fd < 0 || ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
                std::fprintf(stderr, "connect %s:%u: %s\n", o_.host.c_str(), static_cast<unsigned>(o_.port), std::strerror(errno));
                if (fd >= 0) ::close(fd);
                return false;
            }
            const int one = 1;
            (void)::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            (void)::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
            connection& c = conns_.emplace_back(fd, i, req, seed + i * 0x9E3779B97F4A7C15u, o_);
            epoll_event ev{};
            ev.events = EPOLLIN;
            ev.data.u64 = i;
            if (::epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev) != 0) {
                std::perror("epoll_ctl");
                return false;
            }
            if (!flush(c)) return false;
            if ((i + 1) % connect_batch != 0 && i + 1 != o_.connections) continue;
            for (std::uint64_t now = now_ns(); opened_ < conns_.size() && now < deadline; now = now_ns())
                if (!poll_once(now, deadline)) return false;
        }
        if (errors_ != 0) return false;  // fail() said why
        if (opened_ == conns_.size()) return true;
        std::fprintf(stderr, "only %zu of %zu connections opened in time\n", opened_, conns_.size());
        return false;
    }

    /// The first byte of message `seq` of connection `c` in the table.
    [[nodiscard]] const std::uint8_t* pattern(const connection& c, std::uint64_t seq) const noexcept {
        return table_.data() + (c.index * 7919 + seq * 104729) % pattern_period;
    }

    /// Queues messages until --in-flight are unanswered, then writes them.
    void send_more(connection& c, std::uint64_t now) {
        while (started_ && c.open && c.sent - c.echoed < o_.in_flight && c.ws.can_send()) {
            if (c.ws.send(o_.type, wscodec::bytes_view(pattern(c, c.sent), o_.size)) != wscodec::error::none) break;
            c.sent_at[c.sent % o_.in_flight] = now;
            ++c.sent;
            take_output(c);
        }
        (void)flush(c);
    }

    /// Copies the session's output (masked) into the connection's buffer.
    static void take_output(connection& c) {
        if (c.out_begin == c.out_end) c.out_begin = c.out_end = 0;
        c.out_end += c.ws.copy_output(wscodec::mutable_bytes(c.out.data() + c.out_end, c.out.size() - c.out_end));
    }

    /// Writes what is buffered (one write() for everything queued since the
    /// last); false if the connection failed.
    bool flush(connection& c) {
        if (c.fd < 0) return false;
        take_output(c);
        while (c.out_begin < c.out_end) {
            const ssize_t w = ::write(c.fd, c.out.data() + c.out_begin, c.out_end - c.out_begin);
            if (w > 0) {
                c.out_begin += static_cast<std::size_t>(w);
                if (c.out_begin == c.out_end) take_output(c);  // what did not fit before
                continue;
            }
            if (w < 0 && errno == EINTR) continue;
            if (w < 0 && errno == EAGAIN) return watch(c, true);
            return fail(c, "write failed");
        }
        return watch(c, false);
    }

    /// Asks epoll for EPOLLOUT while output waits; true.
    bool watch(connection& c, bool want_write) {
        if (c.want_write == want_write) return true;
        c.want_write = want_write;
        epoll_event ev{};
        ev.events = EPOLLIN | (want_write ? EPOLLOUT : 0u);
        ev.data.u64 = c.index;
        (void)::epoll_ctl(epoll_, EPOLL_CTL_MOD, c.fd, &ev);
        return true;
    }

    /// Reads what the socket holds and runs it through the session; sends
    /// the next messages for the echoes that completed.
    void receive(connection& c) {
        for (;;) {
            const ssize_t n = ::read(c.fd, rbuf_.get(), read_buffer_size);
            if (n <= 0) {
                if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
                if (stopping_) finish(c);
                else (void)fail(c, n == 0 ? "the server closed the connection" : "read failed");
                return;
            }
            const std::uint64_t now = now_ns();
            wscodec::mutable_bytes in(rbuf_.get(), static_cast<std::size_t>(n));
            for (wscodec::event ev; (ev = c.ws.receive(in)).type != wscodec::event_type::need_more;) {
                in = in.subspan(ev.consumed);
                if (!handle(c, ev, now)) return;
            }
            send_more(c, now);
            if (static_cast<std::size_t>(n) < read_buffer_size) return;  // a short read: the socket is drained
        }
    }

    /// One event of a connection's session; false if the connection failed.
    bool handle(connection& c, const wscodec::event& ev, std::uint64_t now) {
        using wscodec::event_type;
        switch (ev.type) {
            case event_type::open:
                c.open = true;
                ++opened_;
                return true;
            case event_type::data: {
                if (c.echoed >= c.sent) return fail(c, "an echo of a message never sent");
                const std::size_t k = ev.payload.size();
                if (ev.message != o_.type || c.echo_offset + k > o_.size ||
                    std::memcmp(ev.payload.data(), pattern(c, c.echoed) + c.echo_offset, k) != 0)
                    return fail(c, "an echo differs from the message sent");
                c.echo_offset += k;
                if (!ev.last) return true;
                if (c.echo_offset != o_.size) return fail(c, "an echo is shorter than the message sent");
                c.echo_offset = 0;
                ++all_messages_;
                if (measuring_) {
                    latency_.add(now - c.sent_at[c.echoed % o_.in_flight]);
                    ++messages_;
                }
                ++c.echoed;
                return true;
            }
            case event_type::ping:
            case event_type::pong:
                return true;  // the pong is queued by the session
            default:  // close, closed, failed, ended: the end of this connection
                if (stopping_ && ev.type != event_type::failed) {  // the server's answer to our close
                    finish(c);
                    return false;
                }
                return fail(c, ev.type == event_type::failed ? wscodec::error_message(ev.err) : "the server closed");
        }
    }

    /// Closes a connection's socket (if still open).
    void finish(connection& c) {
        if (c.fd < 0) return;
        ::close(c.fd);
        c.fd = -1;
        ++closed_;
    }

    /// Counts an error and closes the connection; false.
    bool fail(connection& c, const char* why) {
        if (errors_++ < 5) std::fprintf(stderr, "connection %llu: %s\n", static_cast<unsigned long long>(c.index), why);
        if (!c.open) ++opened_;  // it will not open: the warm-up need not wait for it
        c.open = false;
        finish(c);
        return false;
    }

    /// Prints the results; `server_cpu` negative: not known.
    void report(double wall, double cpu, double server_cpu) const {
        const double rate = static_cast<double>(messages_) / wall;
        const double p50 = latency_.quantile(0.50) / 1e3, p99 = latency_.quantile(0.99) / 1e3;
        const double cpu_pct = 100 * cpu / wall, server_pct = server_cpu < 0 ? -1 : 100 * server_cpu / wall;
        const char* type = o_.type == wscodec::message_type::text ? "text" : "binary";
        if (o_.json) {
            std::printf(
                "{\"connections\":%zu,\"size\":%zu,\"in_flight\":%zu,\"type\":\"%s\",\"seconds\":%.3f,\"messages\":%llu,"
                "\"messages_per_s\":%.0f,\"p50_us\":%.1f,\"p99_us\":%.1f,\"cpu_percent\":%.1f,\"server_cpu_percent\":%.1f,"
                "\"errors\":%llu,\"all_messages\":%llu}\n",
                o_.connections, o_.size, o_.in_flight, type, wall, static_cast<unsigned long long>(messages_), rate, p50, p99,
                cpu_pct, server_pct, static_cast<unsigned long long>(errors_), static_cast<unsigned long long>(all_messages_));
            return;
        }
        std::printf("%zu connections, %zu-byte %s messages, %zu in flight each, %.2f s measured after %.2f s warm-up\n",
                    o_.connections, o_.size, type, o_.in_flight, wall, o_.warmup);
        std::printf("messages/s %.0f   p50 %.1f us   p99 %.1f us   generator CPU %.1f %%", rate, p50, p99, cpu_pct);
        if (server_cpu >= 0) std::printf("   server CPU %.1f %%", server_pct);
        std::printf("   errors %llu\n", static_cast<unsigned long long>(errors_));
    }

    const options o_;
    std::vector<std::uint8_t> table_;
    std::unique_ptr<std::uint8_t[]> rbuf_;  // shared by every connection
    std::vector<connection> conns_;
    int epoll_ = -1;
    std::array<epoll_event, 512> events_;  // epoll_wait's output (not cleared each time)
    std::size_t opened_ = 0;  // handshakes done (or connections failed before)
    bool started_ = false;    // every connection opened: messages go
    bool measuring_ = false;
    bool stopping_ = false;   // the close handshakes after the measured interval
    std::size_t closed_ = 0;  // sockets closed
    std::uint64_t measure_start_ = 0;
    std::uint64_t messages_ = 0;      // echoes in the measured interval
    std::uint64_t all_messages_ = 0;  // echoes from the start, warm-up included
    std::uint64_t errors_ = 0;
    histogram latency_;
};

/// Parses a whole decimal number into `out`; false if `text` is not one.
template <class T>
bool parse_number(std::string_view text, T& out) {
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return !text.empty() && ec == std::errc{} && end == text.data() + text.size();
}

[[noreturn]] void usage(const char* program, const char* why) {
    std::fprintf(stderr,
                 "%s%susage: %s [--host 127.0.0.1] [--port 9001] [--connections 100] [--size 20] [--in-flight 1]\n"
                 "       [--seconds 5] [--warmup 1] [--binary | --text] [--json] [--server-pid PID]\n",
                 why, *why != 0 ? "\n" : "", program);
    std::exit(why[0] == 0 ? 0 : 2);
}

options parse(int argc, char** argv) {
    options o;
    for (int i = 1; i < argc; ++i) {
        std::string_view a = argv[i], v;
        if (a == "--help" || a == "-h") usage(argv[0], "");
        if (a == "--binary" || a == "--text") {
            o.type = a == "--text" ? wscodec::message_type::text : wscodec::message_type::binary;
            continue;
        }
        if (a == "--json") {
            o.json = true;
            continue;
        }
        if (const auto eq = a.find('='); eq != std::string_view::npos) {
            v = a.substr(eq + 1);
            a = a.substr(0, eq);
        } else if (i + 1 < argc) {
            v = argv[++i];
        } else {
            usage(argv[0], "a flag needs a value");
        }
        bool ok = true;
        if (a == "--host") o.host = std::string(v);
        else if (a == "--port") ok = parse_number(v, o.port);
        else if (a == "--connections") ok = parse_number(v, o.connections) && o.connections > 0;
        else if (a == "--size") ok = parse_number(v, o.size) && o.size <= (std::size_t{1} << 24);
        else if (a == "--in-flight") ok = parse_number(v, o.in_flight) && o.in_flight > 0 && o.in_flight <= 4096;
        else if (a == "--seconds") ok = parse_number(v, o.seconds) && o.seconds > 0;
        else if (a == "--warmup") ok = parse_number(v, o.warmup) && o.warmup >= 0;
        else if (a == "--server-pid") ok = parse_number(v, o.server_pid) && o.server_pid > 0;
        else usage(argv[0], ("unknown argument: " + std::string(a)).c_str());
        if (!ok) usage(argv[0], ("bad value for " + std::string(a) + ": " + std::string(v)).c_str());
    }
    in_addr a{};
    if (::inet_pton(AF_INET, o.host.c_str(), &a) != 1 || (ntohl(a.s_addr) >> 24) != 127)
        usage(argv[0], "the host must be an IPv4 loopback address (127.x.x.x)");
    return o;
}

}  // namespace

int main(int argc, char** argv) {
    const options o = parse(argc, argv);
    std::signal(SIGPIPE, SIG_IGN);  // a server that vanished shows up as EPIPE from write
    generator g(o);
    return g.run();
}
