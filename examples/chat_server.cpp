// SPDX-License-Identifier: MIT
// examples/chat_server.cpp — a chat room for browsers: one port serves the
// page (plain HTTP, through the session's http_request event) and the
// WebSocket on /chat. One thread, epoll, one wscodec::server_session per
// connection.
//
//   chat_server [--host 127.0.0.1] [--port 8080] [--ping-interval 20] [--ping-timeout 45]
//               [--no-deflate] [--deflate-window-bits 9..15] [--deflate-no-context-takeover]
//
// The two times are seconds, or milliseconds with an `ms` suffix (200ms).
//
// The protocol is plain text. The page connects to /chat?name=NICK; the
// server makes the nickname safe and unique, tells everyone (the newcomer
// included) "NICK joined", and then sends the newcomer alone a welcome line,
// "welcome, NICK! online: A, B, NICK", which gives the nickname as the room
// shows it. Every text message a client sends goes to everyone (the sender
// included) as "NICK: text"; departures as "NICK left". Nicknames hold no
// spaces and no ':', so the page tells the two apart. Lines carry no time:
// the page stamps each with the browser's clock as it arrives (HH:MM).
//
// The page: http://HOST:PORT/?name=NICK joins at once; without ?name= the
// page asks for a nickname in a small form (the last one used is filled in)
// and joins when it is submitted.
//
// Sending: the codec takes one message at a time and never copies it, so
// each connection has a wscodec::send_queue (send_queue.hpp), which copies
// every message and hands the next to the session as the last is written; the
// write loop drains the queue instead of the session. A client whose queue
// would pass 1 MiB is too slow to keep up and is dropped.
//
// Compression: permessage-deflate (RFC 7692, wscodec/zlib.hpp) with every
// client that offers it (browsers do), unless --no-deflate; the other two
// flags cap the windows and ask for no context takeover, both ways. Messages
// arrive inflated and are copied into strings as before; each client's copy
// of a broadcast is compressed by its own session. The join note on stderr
// says what was agreed.
//
// Time: the session's keepalive (timer_options in limits.hpp), driven by the
// one timer each session asks for (timer(), timer_duration(),
// receive_timeout()). A client from which nothing came for --ping-interval
// is pinged; if nothing at all (a pong, or any frame) then comes within
// --ping-timeout, the session fails it with close 1011. Opening handshake
// 10 s, close handshake 5 s: the library's defaults.
//
// Closing: after a failure (a protocol error, a message over 64 KiB, no
// answer to a ping) the session asks for a lingering close: the close frame
// is written, sending is shut down (SHUT_WR), and what the client still sends
// is read and discarded until it closes TCP or the session's tcp_close timer
// (2 s) ends it. Closing at once with unread input would make the kernel send
// a reset, and the client could lose the close frame. SIGINT/SIGTERM: close
// 1001 to everyone, exit 0.
#include <memory>
#include <unordered_map>
#include <unordered_set>
#include <wscodec/send_queue.hpp>

#include "common.hpp"

namespace {

using examples::flush_result;
using examples::time_point;

constexpr std::size_t read_buffer_size = 64 * 1024;
constexpr std::uint64_t max_message_size = 64 * 1024;  // what one client may send at once
constexpr std::size_t max_queued_bytes = 1 << 20;       // per client: more, and it is dropped as too slow
constexpr std::size_t max_name_bytes = 24;
constexpr int max_reads_per_wakeup = 16;
constexpr auto final_write_time = std::chrono::seconds(5);  // after close_now, to write the last bytes

std::string_view page_html();

struct peer {
    std::uint64_t id = 0;
    examples::unique_fd fd;
    wscodec::server_session ws;
    // Owns copies of the messages waiting for this client (max_bytes: see enqueue()).
    wscodec::send_queue<wscodec::server_session> queue{{.max_bytes = max_queued_bytes, .high_water = max_queued_bytes / 2}};
    std::string name;
    bool joined = false;  // accepted and announced
    bool left = false;    // departure announced
    std::string text;     // the message being received
    bool binary = false;  // the message being received is binary (refused)
    bool closing = false;    // close_now: close TCP once the output is written
    bool lingering = false;  // linger: write the output, shut down sending, read and discard until closing
    bool shut = false;       // lingering, and sending is shut down (SHUT_WR)
    bool eof = false;
    bool doomed = false;  // will be dropped when the current event is done
    bool dirty = false;   // in the list of peers to flush
    std::uint32_t interest = 0;
    examples::protocol_timer timer;
    time_point final_write_due{};
    examples::deadline_list::slot deadline;

    peer(std::uint64_t key, int socket, const wscodec::session_options& o) : id(key), fd(socket), ws(o) {}

    [[nodiscard]] bool open() const {
        return joined && !left && !closing && ws.state() == wscodec::session_state::open &&
               ws.connection().state() == wscodec::connection_state::open;
    }
};

/// Decodes %XX and '+' in a query value.
std::string percent_decode(std::string_view s) {
    const auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '+') {
            out.push_back(' ');
        } else if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
            out.push_back(static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2])));
            i += 2;
        } else {
            out.push_back(s[i]);
        }
    }
    return out;
}

/// The value of `key` in a query string ("a=1&name=x"), decoded; empty if absent.
std::string query_value(std::string_view query, std::string_view key) {
    while (!query.empty()) {
        const std::size_t amp = query.find('&');
        const std::string_view pair = query.substr(0, amp);
        const std::size_t eq = pair.find('=');
        if (pair.substr(0, eq) == key) return eq == std::string_view::npos ? std::string{} : percent_decode(pair.substr(eq + 1));
        if (amp == std::string_view::npos) break;
        query.remove_prefix(amp + 1);
    }
    return {};
}

/// A nickname as the room shows it: whitespace becomes '_', ':' and control
/// characters go, at most max_name_bytes of valid UTF-8; empty if nothing is left.
std::string clean_name(std::string_view raw) {
    std::string n;
    for (const char ch : raw) {
        const auto c = static_cast<unsigned char>(ch);
        if (c == ' ' || c == '\t') {
            if (!n.empty() && n.back() != '_') n.push_back('_');
        } else if (c >= 0x20 && c != 0x7F && c != ':') {
            n.push_back(ch);
        }
    }
    while (!n.empty() && n.back() == '_') n.pop_back();
    if (!wscodec::validate_utf8(examples::as_bytes(n)).ok()) return {};
    if (n.size() > max_name_bytes) {
        std::size_t cut = max_name_bytes;
        while (cut > 0 && (static_cast<unsigned char>(n[cut]) & 0xC0) == 0x80) --cut;  // not inside a character
        n.resize(cut);
    }
    return n;
}

class chat_server {
public:
    chat_server(examples::unique_fd listener, examples::unique_fd signals, std::uint32_t ping_interval_ms,
                std::uint32_t ping_timeout_ms, const examples::deflate_flags& deflate)
        : listener_(std::move(listener)), signals_(std::move(signals)) {
        options_.connection.limits.max_message_size = max_message_size;
        options_.connection.limits.max_frame_size = max_message_size;
        options_.connection.timers.ping_interval_ms = ping_interval_ms;
        options_.connection.timers.pong_timeout_ms = ping_timeout_ms;
        deflate.apply_server(zlib_, options_);
    }

    int run() {
        const int status = examples::serve(*this, poll_, listener_.get(), signals_.get(), deadlines_);
        shut_down();
        return status;
    }

    [[nodiscard]] const wscodec::session_options& options() const noexcept { return options_; }

private:
    template <class Server>
    friend int examples::serve(Server&, examples::poller&, int, int, examples::deadline_list&);

    // ------------------------------------------------------------ events

    void ready(const epoll_event& e) {
        peer* p = find(e.data.u64);  // find() takes a copy: epoll_event is packed
        if (p == nullptr || p->doomed) return;
        if ((e.events & EPOLLERR) != 0) {
            doom(*p);
            return;
        }
        if ((e.events & (EPOLLIN | EPOLLHUP)) != 0) read_from(*p);
        mark_dirty(*p);  // writable, or input may have queued output
    }

    void open(int fd) {
        const std::uint64_t id = next_id_++;
        auto p = std::make_unique<peer>(id, fd, options_);
        p->interest = EPOLLIN;
        if (!poll_.add(fd, p->interest, id)) {
            std::perror("epoll_ctl");
            return;
        }
        peer& ref = *p;
        peers_.emplace(id, std::move(p));
        mark_dirty(ref);  // arms the opening handshake timer
    }

    /// Reads and handles what the peer sent. Unlike the echo server, nothing
    /// received is sent back from the read buffer (messages are copied into
    /// strings), so one buffer serves every connection and reading goes on
    /// while output waits; the 1 MiB queue limit bounds that. Each input is
    /// handed to the session until it answers need_more: after the client's
    /// close frame the closed event comes with no bytes left
    /// (has_pending_event()), and waiting for more input there would stall.
    /// While lingering, the session discards what comes (ended).
    void read_from(peer& p) {
        for (int reads = 0; reads < max_reads_per_wakeup && !p.closing && !p.eof && !p.doomed; ++reads) {
            const ssize_t n = ::read(p.fd.get(), rbuf_.get(), read_buffer_size);
            if (n > 0) {
                wscodec::mutable_bytes in(rbuf_.get(), static_cast<std::size_t>(n));
                for (;;) {
                    const wscodec::event ev = p.ws.receive(in);
                    in = in.subspan(ev.consumed);
                    if (ev.type == wscodec::event_type::need_more) break;
                    handle(p, ev);
                }
            } else if (n == 0) {
                p.eof = true;
                handle(p, p.ws.receive_eof());
            } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
                return;
            } else if (errno != EINTR) {
                doom(p);
                return;
            }
        }
    }

    void handle(peer& p, const wscodec::event& ev) {
        using wscodec::event_type;
        switch (ev.type) {
            case event_type::request: on_upgrade(p); break;
            case event_type::http_request: on_page_request(p); break;
            case event_type::data:
                if (ev.first) {
                    p.text.clear();
                    p.binary = ev.message == wscodec::message_type::binary;
                    if (p.binary) (void)p.ws.close(wscodec::close_code::unsupported_data, "text messages only");
                }
                if (p.binary) break;
                p.text.append(examples::as_text(ev.payload));
                if (ev.last) on_message(p);
                break;
            case event_type::failed:
                if (p.joined && !p.left)
                    std::fprintf(stderr, "%s failed: %s (close %u)\n", p.name.c_str(),
                                 std::string(wscodec::error_message(ev.err)).c_str(), static_cast<unsigned>(ev.code));
                leave(p);
                break;
            case event_type::close:
            case event_type::closed: leave(p); break;
            default: break;  // ping (pong queued), pong, ended (discarded while lingering), need_more
        }
        if (ev.action == wscodec::tcp_action::linger) p.lingering = true;
        if (ev.action == wscodec::tcp_action::close_now) p.closing = true;
        mark_dirty(p);
    }

    /// A WebSocket request: /chat?name=NICK joins the room.
    void on_upgrade(peer& p) {
        const wscodec::http_request& req = p.ws.request();
        const std::string_view target = req.target;
        const std::string_view path = target.substr(0, target.find('?'));
        const std::string_view query = path.size() < target.size() ? target.substr(path.size() + 1) : std::string_view{};
        if (path != "/chat") {
            respond_text(p, 404, "No WebSocket here: the chat is on /chat.\n");
            return;
        }
        // A page from another site may not join (cross-site WebSocket hijacking).
        const std::string host(req.host);
        if (!req.origin.empty() && req.origin != "http://" + host && req.origin != "https://" + host) {
            respond_text(p, 403, "This chat only talks to its own page.\n");
            return;
        }
        std::string name = clean_name(query_value(query, "name"));  // copied: the request's views end at accept()
        if (p.ws.accept() != wscodec::error::none) {
            p.closing = true;
            return;
        }
        if (name.empty()) name = "guest-" + std::to_string(p.id - 1);
        if (names_.contains(name)) {
            std::string base = name;
            if (base.size() > max_name_bytes - 4) base = clean_name(std::string_view(base).substr(0, max_name_bytes - 4));
            for (unsigned i = 2; names_.contains(name); ++i) name = base + "-" + std::to_string(i);
        }
        p.name = name;
        p.joined = true;
        names_.insert(name);

        // The arrival first, to everyone (the newcomer included: its queue
        // sends in order), then the welcome, to the newcomer only.
        broadcast(name + " joined");
        std::string welcome = "welcome, " + name + "! online: ";
        bool first = true;
        for (const auto& [id, q] : peers_) {
            if (!q->open()) continue;
            welcome += (first ? "" : ", ") + q->name;
            first = false;
        }
        enqueue(p, welcome);
        std::fprintf(stderr, "%s joined (%zu online); %s\n", name.c_str(), names_.size(),
                     examples::deflate_summary(p.ws.deflate_agreed(), p.ws.deflate_parameters()).c_str());
    }

    /// Plain HTTP: the page on /, 404 elsewhere; the connection then closes.
    void on_page_request(peer& p) {
        const wscodec::http_request& req = p.ws.request();
        const std::string_view path = req.target.substr(0, req.target.find('?'));
        if (req.method != "GET" && req.method != "HEAD") {
            const wscodec::http_header allow{"Allow", "GET, HEAD"};
            (void)p.ws.respond(405, std::span(&allow, 1), "Method not allowed.\n");
            p.closing = true;
        } else if (path == "/" || path == "/index.html") {
            const std::array<wscodec::http_header, 2> headers{{{"Content-Type", "text/html; charset=utf-8"},
                                                              {"Cache-Control", "no-cache"}}};
            (void)p.ws.respond(200, headers, page_html());
            p.closing = true;
        } else {
            respond_text(p, 404, "Not found. The chat is at /.\n");
        }
    }

    void respond_text(peer& p, std::uint16_t status, std::string_view body) {
        const wscodec::http_header type{"Content-Type", "text/plain; charset=utf-8"};
        (void)p.ws.respond(status, std::span(&type, 1), body);
        p.closing = true;
    }

    void on_message(peer& p) {
        std::string_view t = p.text;
        while (!t.empty() && (t.back() == '\n' || t.back() == '\r' || t.back() == ' ' || t.back() == '\t')) t.remove_suffix(1);
        if (t.find_first_not_of(" \t\r\n") == std::string_view::npos || !p.open()) return;
        broadcast(p.name + ": " + std::string(t));
    }

    void leave(peer& p) {
        if (!p.joined || p.left) return;
        p.left = true;
        names_.erase(p.name);
        broadcast(p.name + " left");
        std::fprintf(stderr, "%s left (%zu online)\n", p.name.c_str(), names_.size());
    }

    // ----------------------------------------------------------- sending

    /// Queues one message for every open client (each queue copies it).
    void broadcast(std::string_view text) {
        for (auto& [id, q] : peers_)
            if (q->open() && !q->doomed) enqueue(*q, text);
    }

    /// Queues `text` for `q`; a client with max_queued_bytes already waiting is dropped.
    void enqueue(peer& q, std::string_view text) {
        switch (q.queue.send_text(q.ws, text)) {  // valid UTF-8: the session checked what clients sent
            case wscodec::error::none: mark_dirty(q); break;
            case wscodec::error::send_queue_full:
                std::fprintf(stderr, "%s is too slow (over %zu bytes queued): dropped\n", q.name.c_str(), max_queued_bytes);
                doom(q);
                break;
            default: break;  // not_open: closing, nothing more goes out
        }
    }

    /// The peer's output as write_output() takes it: through its send queue,
    /// which hands the session its next message as the last is written.
    struct queued_output {
        peer& p;
        [[nodiscard]] wscodec::output_buffers output() noexcept { return p.queue.output(p.ws); }
        void consume(std::size_t n) noexcept { p.queue.consume(p.ws, n); }
    };

    /// Writes output, the queued messages included, until it is drained or
    /// the socket is full; once a lingering peer's output is all written,
    /// shuts down sending. False: the connection is over.
    bool pump(peer& p) {
        queued_output out{p};
        switch (examples::write_output(p.fd.get(), out)) {
            case flush_result::failed: return false;
            case flush_result::blocked: watch(p, reading(p) | EPOLLOUT); return true;
            case flush_result::drained: break;  // the queue too: what waited went out, or was dropped on closing
        }
        if (p.closing) return false;  // all written: close TCP
        if (p.lingering && !p.shut) {
            // Our close frame is out: a FIN follows it, and the client's input
            // is still read (and discarded) until its FIN or the tcp_close timer.
            (void)::shutdown(p.fd.get(), SHUT_WR);  // ENOTCONN: the peer is gone, and the next read says so
            p.shut = true;
        }
        watch(p, reading(p));
        return true;
    }

    /// EPOLLIN while input is wanted, lingering too (level-triggered: never
    /// after the end of the stream or once the connection is closing, or
    /// epoll would spin).
    static std::uint32_t reading(const peer& p) { return p.eof || p.closing ? 0u : std::uint32_t{EPOLLIN}; }

    void watch(peer& p, std::uint32_t interest) {
        if (p.interest != interest) {
            p.interest = interest;
            (void)poll_.modify(p.fd.get(), interest, p.id);
        }
    }

    // ------------------------------------------------------------ timers

    /// The peer's deadline: the session's timer (handshake, keepalive, pong
    /// wait, close handshake, the linger's tcp_close), or after close_now the
    /// time left to write the last bytes.
    void arm(peer& p) {
        const time_point now = examples::steady::now();
        if (p.closing) {
            if (p.final_write_due == time_point{}) p.final_write_due = now + final_write_time;
            deadlines_.set(p.id, p.deadline, p.final_write_due);
        } else if (p.timer.follow(p.ws.timer(), p.ws.timer_duration(), now)) {
            deadlines_.set(p.id, p.deadline, p.timer.due);
        } else {
            deadlines_.clear(p.id, p.deadline);
        }
    }

    /// A deadline passed: give up writing after close_now, or tell the
    /// session its timer expired (keepalive: a ping is queued; pong wait: the
    /// client fails with 1011; tcp_close: the linger ends with close_now).
    void expire(std::uint64_t id, time_point now) {
        peer* p = find(id);
        if (p == nullptr) return;
        p->deadline.reset();  // take_expired() removed the entry
        mark_dirty(*p);       // re-armed in after_batch()
        if (p->closing) {
            if (now >= p->final_write_due) doom(*p);
            return;
        }
        if (p->timer.hint != wscodec::timer_hint::none && now >= p->timer.due) {
            p->timer = {};  // the next arm() follows what timer() says now, the same timer too
            handle(*p, p->ws.receive_timeout());
        }
    }

    // ------------------------------------------------------ bookkeeping

    [[nodiscard]] peer* find(std::uint64_t id) {
        const auto it = peers_.find(id);
        return it == peers_.end() ? nullptr : it->second.get();
    }

    void mark_dirty(peer& p) {
        if (p.dirty) return;
        p.dirty = true;
        dirty_.push_back(p.id);
    }

    void doom(peer& p) {
        if (p.doomed) return;
        p.doomed = true;
        doomed_.push_back(p.id);
    }

    /// Flushes every peer touched since the last call and drops the doomed
    /// ones; a departure queues a notice for the others, so this loops.
    void after_batch() {
        while (!dirty_.empty() || !doomed_.empty()) {
            if (!doomed_.empty()) {
                const std::uint64_t id = doomed_.back();
                doomed_.pop_back();
                if (peer* p = find(id)) drop(*p);
                continue;
            }
            const std::uint64_t id = dirty_.back();
            dirty_.pop_back();
            peer* p = find(id);
            if (p == nullptr) continue;
            p->dirty = false;
            if (p->doomed) continue;
            if (pump(*p)) arm(*p);
            else doom(*p);
        }
    }

    void drop(peer& p) {
        leave(p);
        deadlines_.clear(p.id, p.deadline);
        poll_.remove(p.fd.get());
        peers_.erase(p.id);  // closes the socket
    }

    void shut_down() {
        for (auto& [id, p] : peers_) examples::say_goodbye(p->fd.get(), p->ws);
        peers_.clear();
    }

    examples::unique_fd listener_;
    examples::unique_fd signals_;
    wscodec::zlib_backend zlib_;  // every peer's deflate streams; declared before peers_, so it outlives them
    wscodec::session_options options_;
    examples::poller poll_;
    examples::deadline_list deadlines_;
    std::unordered_map<std::uint64_t, std::unique_ptr<peer>> peers_;
    std::unordered_set<std::string> names_;
    std::vector<std::uint64_t> dirty_;
    std::vector<std::uint64_t> doomed_;
    std::unique_ptr<std::uint8_t[]> rbuf_{new std::uint8_t[read_buffer_size]};
    std::uint64_t next_id_ = examples::first_connection_key;
};

// The page: a nickname form when the address has no ?name= (no prompt()), a
// message list whose lines are stamped HH:MM by the browser's clock as they
// arrive, a status line, an input and a send button; a reconnect button once
// the connection is gone. No external resources.
std::string_view page_html() {
    return R"html(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>wscodec chat</title>
<style>
  :root { color-scheme: light dark; --bg: #f4f5f7; --panel: #fff; --fg: #1c2330; --muted: #6b7482;
          --line: #d8dce2; --accent: #2f6fde; --mine: #e8f0fe; }
  @media (prefers-color-scheme: dark) {
    :root { --bg: #14171c; --panel: #1c2027; --fg: #e3e6ea; --muted: #8f98a4; --line: #2d333c;
            --accent: #6ea2ff; --mine: #1f2b40; }
  }
  * { box-sizing: border-box; }
  [hidden] { display: none !important; }
  html, body { height: 100%; margin: 0; }
  body { background: var(--bg); color: var(--fg); font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif;
         display: flex; justify-content: center; }
  main { width: 100%; max-width: 760px; height: 100%; display: flex; flex-direction: column; gap: 10px; padding: 16px; }
  header { display: flex; align-items: baseline; justify-content: space-between; gap: 12px; }
  h1 { font-size: 20px; margin: 0; }
  #status { color: var(--muted); font-size: 13px; }
  #status.ok::before { content: "\25CF  "; color: #2da44e; }
  #status.down::before { content: "\25CF  "; color: #cf222e; }
  #log { flex: 1; overflow-y: auto; margin: 0; padding: 10px 14px; list-style: none; background: var(--panel);
         border: 1px solid var(--line); border-radius: 10px; }
  #log li { padding: 3px 6px; border-radius: 6px; white-space: pre-wrap; overflow-wrap: anywhere; }
  #log li.notice { color: var(--muted); font-style: italic; }
  #log li.mine { background: var(--mine); }
  #log b { color: var(--accent); font-weight: 600; }
  #log time { color: var(--muted); font: 12px/1 ui-monospace, "SFMono-Regular", Menlo, monospace;
              font-style: normal; margin-right: 4px; }
  #join { flex-wrap: wrap; align-items: center; }
  #join label { color: var(--muted); }
  form { display: flex; gap: 8px; }
  input { flex: 1; min-width: 0; padding: 9px 12px; font: inherit; color: inherit; background: var(--panel);
          border: 1px solid var(--line); border-radius: 8px; }
  input:focus { outline: 2px solid var(--accent); outline-offset: -1px; }
  button { padding: 9px 16px; font: inherit; border: 0; border-radius: 8px; background: var(--accent); color: #fff;
           cursor: pointer; }
  button:disabled { opacity: .45; cursor: default; }
  button.secondary { background: transparent; color: var(--accent); border: 1px solid var(--accent); }
</style>
</head>
<body>
<main>
  <header><h1>wscodec chat</h1><span id="status">connecting&hellip;</span></header>
  <ul id="log" aria-live="polite"></ul>
  <form id="join" autocomplete="off" hidden>
    <label for="nick">Pick a nickname</label>
    <input id="nick" type="text" maxlength="24" placeholder="e.g. ada" autocapitalize="off" spellcheck="false">
    <button id="join-button">Join</button>
  </form>
  <form id="form" autocomplete="off" hidden>
    <input id="text" placeholder="Say something" maxlength="4000" aria-label="Message">
    <button id="send" disabled>Send</button>
    <button id="reconnect" type="button" class="secondary" hidden>Reconnect</button>
  </form>
</main>
<script>
"use strict";
const log = document.getElementById("log");
const statusLine = document.getElementById("status");
const joinForm = document.getElementById("join");
const nickInput = document.getElementById("nick");
const form = document.getElementById("form");
const input = document.getElementById("text");
const sendButton = document.getElementById("send");
const reconnectButton = document.getElementById("reconnect");

// Nicknames: no spaces, no ':' (the server enforces it too).
function tidy(name) { return (name || "").trim().replace(/[\s:]+/g, "_").slice(0, 24); }
function lastName() { try { return localStorage.getItem("chat-name"); } catch (e) { return null; } }
// The nickname: ?name=NICK in the page's address joins at once; else the form asks.
let name = tidy(new URLSearchParams(location.search).get("name"));
let me = name;  // as the room shows it: the welcome line says
let ws = null;

function setStatus(text, kind) {
  statusLine.textContent = text;
  statusLine.className = kind || "";
}

// HH:MM by the browser's clock: the server sends no times.
function stamp(when) {
  const t = document.createElement("time");
  t.dateTime = when.toISOString();
  t.textContent = String(when.getHours()).padStart(2, "0") + ":" + String(when.getMinutes()).padStart(2, "0");
  return t;
}

function add(line) {
  const stick = log.scrollTop + log.clientHeight >= log.scrollHeight - 8;
  const li = document.createElement("li");
  li.append(stamp(new Date()), " ");
  const m = /^([^\s:]+): ([\s\S]*)$/.exec(line);
  if (m) {
    const who = document.createElement("b");
    who.textContent = m[1];
    li.append(who, ": " + m[2]);
    if (m[1] === me) li.className = "mine";
  } else {
    li.className = "notice";
    li.append(line);
    const w = /^welcome, (\S+)! /.exec(line);
    if (w) me = w[1];
  }
  log.append(li);
  if (stick) log.scrollTop = log.scrollHeight;
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  ws = new WebSocket(scheme + location.host + "/chat?name=" + encodeURIComponent(name));
  setStatus("connecting\u2026");
  reconnectButton.hidden = true;
  sendButton.disabled = true;
  ws.onopen = () => { setStatus("connected", "ok"); sendButton.disabled = false; input.focus(); };
  ws.onmessage = (e) => add(typeof e.data === "string" ? e.data : "(binary message)");
  ws.onclose = (e) => {
    let why = "disconnected";
    if (e.code && e.code !== 1005 && e.code !== 1006) why += " (" + e.code + (e.reason ? ": " + e.reason : "") + ")";
    setStatus(why, "down");
    sendButton.disabled = true;
    reconnectButton.hidden = false;
  };
}

form.addEventListener("submit", (e) => {
  e.preventDefault();
  const text = input.value;
  if (!text.trim() || !ws || ws.readyState !== WebSocket.OPEN) return;
  ws.send(text);
  input.value = "";
});
reconnectButton.addEventListener("click", connect);

function join(nick) {
  name = me = nick;
  joinForm.hidden = true;
  form.hidden = false;
  connect();
}
joinForm.addEventListener("submit", (e) => {
  e.preventDefault();
  const nick = tidy(nickInput.value);
  if (!nick) {
    setStatus("type a nickname first");
    nickInput.focus();
    return;
  }
  try { localStorage.setItem("chat-name", nick); } catch (err) { /* storage off: not remembered */ }
  join(nick);
});

if (name) {
  join(name);
} else {
  nickInput.value = tidy(lastName());
  joinForm.hidden = false;
  setStatus("not connected");
  nickInput.focus();
  nickInput.select();
}
</script>
</body>
</html>
)html";
}

/// A time on the command line in milliseconds: whole seconds ("20"), or
/// milliseconds with an `ms` suffix ("200ms"); false if not one, zero, or
/// over 2^32 - 1 ms.
bool parse_duration_ms(std::string_view text, std::uint32_t& ms) {
    const bool in_ms = text.ends_with("ms");
    if (in_ms) text.remove_suffix(2);
    std::uint32_t v = 0;
    if (!examples::parse_number(text, v) || v == 0) return false;
    if (!in_ms && v > 0xFFFFFFFFu / 1000) return false;
    ms = in_ms ? v : v * 1000;
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    constexpr const char* usage =
        "[--host ADDRESS] [--port N] [--ping-interval SECONDS|Nms] [--ping-timeout SECONDS|Nms] [--no-deflate] "
        "[--deflate-window-bits 9..15] [--deflate-no-context-takeover]";
    examples::deflate_flags deflate;
    examples::server_flags flags;
    flags.port = 8080;
    std::uint32_t ping_interval_ms = 20'000;
    std::uint32_t ping_timeout_ms = 45'000;
    examples::arg_reader args(argc, argv);
    while (const auto a = args.next()) {
        if (*a == "--help" || *a == "-h") {
            std::printf("usage: %s %s\n", argv[0], usage);
            return 0;
        }
        if (deflate.take(*a, args, argv[0], usage)) continue;
        if (*a != "--host" && *a != "--port" && *a != "--ping-interval" && *a != "--ping-timeout")
            examples::usage_error(argv[0], usage, "unknown argument: " + std::string(*a));
        const auto v = args.value();
        if (!v) examples::usage_error(argv[0], usage, std::string(*a) + " needs a value");
        bool ok = true;
        if (*a == "--host") flags.host = std::string(*v);
        else if (*a == "--port") ok = examples::parse_number(*v, flags.port);
        else if (*a == "--ping-interval") ok = parse_duration_ms(*v, ping_interval_ms);
        else ok = parse_duration_ms(*v, ping_timeout_ms);
        if (!ok) examples::usage_error(argv[0], usage, "bad value for " + std::string(*a) + ": " + std::string(*v));
    }
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
    const std::string where = examples::url_host(flags.host) + ":" + std::to_string(examples::local_port(listener.get()));
    std::printf("listening on ws://%s\nopen http://%s/ in a browser\n", where.c_str(), where.c_str());
    std::fflush(stdout);
    chat_server server(std::move(listener), std::move(signals), ping_interval_ms, ping_timeout_ms, deflate);
    std::fprintf(stderr, "%s\n", deflate.describe_server(server.options()).c_str());
    return server.run();
}
