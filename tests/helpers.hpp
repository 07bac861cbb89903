// SPDX-License-Identifier: MIT
// tests/helpers.hpp — shared test helpers, for the doctest files and the fuzz
// harnesses alike: byte literals; guard-page and exact heap buffers; the
// kernels to run every test on; input splitters (whole, byte by byte, every
// 2-way split, chunks of every size); seeded randomness; reference trimming
// and list splitting for HTTP field values; frame builders; the event record,
// its recorder and its one-line description; the receive loop, whole and in
// pieces; the output drain; an endpoint pair wired in memory. The checks
// that use doctest come last, compiled only where doctest/doctest.h was
// included before this file.
#pragma once

#ifdef _WIN32
#ifndef NOMINMAX
#define NOMINMAX  // std::min and std::max stay usable after <windows.h>
#endif
#include <windows.h>  // VirtualAlloc and VirtualProtect for the guard page
#else
#include <sys/mman.h>
#include <unistd.h>
#endif

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <functional>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>
#include <wscodec/assembler.hpp>
#include <wscodec/connection.hpp>
#include <wscodec/kernel.hpp>

namespace test {

using bytes = std::vector<std::uint8_t>;

/// Bytes from a string literal's characters (no terminator).
inline bytes b(std::string_view s) { return bytes(s.begin(), s.end()); }

/// Bytes from a list of integers.
inline bytes b(std::initializer_list<int> v) {
    bytes out;
    for (int x : v) out.push_back(static_cast<std::uint8_t>(x));
    return out;
}

/// Appends the UTF-8 form of `cp` (any value up to U+10FFFF, surrogates too:
/// tests build invalid text with it as well).
inline void append_utf8(bytes& out, std::uint32_t cp) {
    const auto u8 = [](std::uint32_t v) { return static_cast<std::uint8_t>(v); };
    if (cp < 0x80) {
        out.push_back(u8(cp));
    } else if (cp < 0x800) {
        out.push_back(u8(0xC0 | (cp >> 6)));
        out.push_back(u8(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(u8(0xE0 | (cp >> 12)));
        out.push_back(u8(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(u8(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(u8(0xF0 | (cp >> 18)));
        out.push_back(u8(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(u8(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(u8(0x80 | (cp & 0x3F)));
    }
}

/// Bytes from hex text; spaces are ignored ("81 05 48 65").
inline bytes hex(std::string_view h) {
    bytes out;
    int hi = -1;
    for (char c : h) {
        int v;
        if (c >= '0' && c <= '9') v = c - '0';
        else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
        else continue;
        if (hi < 0) hi = v;
        else {
            out.push_back(static_cast<std::uint8_t>(hi * 16 + v));
            hi = -1;
        }
    }
    return out;
}

inline std::string to_hex(std::span<const std::uint8_t> s) {
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (i) out += ' ';
        out += digits[s[i] >> 4];
        out += digits[s[i] & 15];
    }
    return out;
}

/// A copy of `data` placed so that its last byte is the last byte before an
/// inaccessible page: any read past the end faults, with or without ASan.
class guarded {
public:
    explicit guarded(std::span<const std::uint8_t> data) : size_(data.size()) {
#ifdef _WIN32
        SYSTEM_INFO info;
        GetSystemInfo(&info);
        page_ = info.dwPageSize;
        pages_ = (size_ + page_ - 1) / page_ + 1;
        void* m = VirtualAlloc(nullptr, pages_ * page_, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
        base_ = static_cast<std::uint8_t*>(m);
        DWORD old = 0;
        VirtualProtect(base_ + (pages_ - 1) * page_, page_, PAGE_NOACCESS, &old);
#else
        page_ = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
        pages_ = (size_ + page_ - 1) / page_ + 1;
        void* m = mmap(nullptr, pages_ * page_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        base_ = static_cast<std::uint8_t*>(m);
        mprotect(base_ + (pages_ - 1) * page_, page_, PROT_NONE);
#endif
        ptr_ = base_ + (pages_ - 1) * page_ - size_;
        if (size_) std::memcpy(ptr_, data.data(), size_);
    }
    guarded(const guarded&) = delete;
    guarded& operator=(const guarded&) = delete;
#ifdef _WIN32
    ~guarded() { VirtualFree(base_, 0, MEM_RELEASE); }
#else
    ~guarded() { munmap(base_, pages_ * page_); }
#endif
    std::span<std::uint8_t> span() { return {ptr_, size_}; }
    std::span<const std::uint8_t> view() const { return {ptr_, size_}; }

private:
    std::size_t size_, page_ = 0, pages_ = 0;
    std::uint8_t* base_ = nullptr;
    std::uint8_t* ptr_ = nullptr;
};

/// A copy of `text` that ends at a guard page: a read past its end faults.
struct guarded_text {
    explicit guarded_text(std::string_view text)
        : g(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(text.data()), text.size())) {}
    [[nodiscard]] std::string_view view() const {
        return {reinterpret_cast<const char*>(g.view().data()), g.view().size()};
    }
    guarded g;
};

/// Every kernel this machine runs: scalar first, then each SIMD kernel.
inline std::vector<wscodec::kernel> kernels() {
    std::vector<wscodec::kernel> out;
    for (auto k : {wscodec::kernel::scalar, wscodec::kernel::sse41, wscodec::kernel::avx2, wscodec::kernel::avx512, wscodec::kernel::neon})
        if (wscodec::kernel_supported(k)) out.push_back(k);
    return out;
}

/// Partitions of [0, n) used to feed one input in pieces: whole, byte by byte,
/// every split into two, and fixed chunks of every size 1..n.
inline std::vector<std::vector<std::size_t>> splits(std::size_t n) {
    std::vector<std::vector<std::size_t>> out;
    out.push_back({n});
    std::vector<std::size_t> ones(n, 1);
    out.push_back(ones);
    for (std::size_t cut = 0; cut <= n; ++cut) out.push_back({cut, n - cut});
    for (std::size_t chunk = 2; chunk < n; ++chunk) {
        std::vector<std::size_t> parts;
        for (std::size_t left = n; left > 0; left -= std::min(chunk, left)) parts.push_back(std::min(chunk, left));
        out.push_back(parts);
    }
    return out;
}

/// xorshift64*: the same sequence on every platform and standard library
/// (std::uniform_int_distribution is not), for seeded random tests.
class rng {
public:
    explicit rng(std::uint64_t seed) : s_(seed * 0x2545F4914F6CDD1Dull + 0x9E3779B97F4A7C15ull) {
        if (s_ == 0) s_ = 1;
    }
    std::uint64_t next() {
        s_ ^= s_ >> 12;
        s_ ^= s_ << 25;
        s_ ^= s_ >> 27;
        return s_ * 0x2545F4914F6CDD1Dull;
    }
    /// Uniform in [0, n); 0 when n is 0.
    std::size_t below(std::size_t n) { return n == 0 ? 0 : static_cast<std::size_t>((next() >> 11) % n); }
    /// Uniform in [lo, hi].
    std::size_t between(std::size_t lo, std::size_t hi) { return lo + below(hi - lo + 1); }
    bool chance(unsigned percent) { return below(100) < percent; }
    std::uint8_t byte() { return static_cast<std::uint8_t>(next() >> 56); }

private:
    std::uint64_t s_;
};

/// `s` without leading and trailing spaces and tabs (a reference for OWS trimming).
inline std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

/// The non-empty trimmed elements of `s` split at `sep` (a reference for comma lists).
inline std::vector<std::string> split(std::string_view s, char sep) {
    std::vector<std::string> out;
    for (;;) {
        const std::size_t i = s.find(sep);
        const std::string_view e = trim(s.substr(0, i));
        if (!e.empty()) out.emplace_back(e);
        if (i == std::string_view::npos) return out;
        s.remove_prefix(i + 1);
    }
}

/// Appends `more` to `out`.
inline void append(bytes& out, std::span<const std::uint8_t> more) { out.insert(out.end(), more.begin(), more.end()); }

/// `n` bytes from `r`.
inline bytes random_bytes(rng& r, std::size_t n) {
    bytes out(n);
    for (auto& x : out) x = r.byte();
    return out;
}

/// Exactly `n` bytes of valid UTF-8 mixing 1- to 4-byte sequences (no
/// surrogates, nothing above U+10FFFF); `ascii` percent of characters are ASCII.
inline bytes random_utf8(rng& r, std::size_t n, unsigned ascii = 40) {
    bytes out;
    out.reserve(n);
    while (out.size() < n) {
        const std::size_t room = n - out.size();
        std::size_t width = r.chance(ascii) ? 1 : r.between(2, 4);
        if (width > room) width = room;
        std::uint32_t cp = 0;
        switch (width) {
            case 1: cp = static_cast<std::uint32_t>(r.below(0x80)); break;
            case 2: cp = static_cast<std::uint32_t>(r.between(0x80, 0x7FF)); break;
            case 3:
                do cp = static_cast<std::uint32_t>(r.between(0x800, 0xFFFF));
                while (cp >= 0xD800 && cp <= 0xDFFF);
                break;
            default: cp = static_cast<std::uint32_t>(r.between(0x10000, 0x10FFFF)); break;
        }
        test::append_utf8(out, cp);
    }
    return out;
}

// ------------------------------------------------------------------ frames

/// RFC 6455 §5.7's masking key: a test peer's key unless a test names another.
inline constexpr wscodec::mask_key rfc_key{0x37, 0xfa, 0x21, 0x3d};

/// A frame header with these fields.
inline wscodec::frame_header header(wscodec::opcode op, std::uint64_t length, bool fin = true, bool masked = false,
                                    wscodec::mask_key key = {}, std::uint8_t rsv = 0) {
    wscodec::frame_header h;
    h.fin = fin;
    h.rsv = rsv;
    h.op = op;
    h.masked = masked;
    h.key = key;
    h.payload_length = length;
    return h;
}

/// The bytes of a frame: header `h`, then `payload`, masked with h.key when h.masked.
inline bytes frame(const wscodec::frame_header& h, wscodec::bytes_view payload) {
    const wscodec::encoded_header e = wscodec::encode_header(h);
    bytes out(e.view().begin(), e.view().end());
    const std::size_t at = out.size();
    out.insert(out.end(), payload.begin(), payload.end());
    if (h.masked) (void)wscodec::apply_mask(wscodec::mutable_bytes(out.data() + at, payload.size()), h.key);
    return out;
}

/// A frame as an endpoint in role `sender` writes it: masked with `key` by a
/// client (§5.1, §5.3), unmasked by a server.
inline bytes frame_from(wscodec::role sender, wscodec::opcode op, wscodec::bytes_view payload, bool fin = true,
                        std::uint8_t rsv = 0, wscodec::mask_key key = rfc_key) {
    const bool masked = sender == wscodec::role::client;
    return frame(header(op, payload.size(), fin, masked, masked ? key : wscodec::mask_key{}, rsv), payload);
}

/// A frame as the peer of an endpoint in role R sends it: masked for a server, unmasked for a client.
template <wscodec::role R>
bytes wire(wscodec::opcode op, wscodec::bytes_view payload, bool fin = true, std::uint8_t rsv = 0,
           wscodec::mask_key key = rfc_key) {
    return frame_from(R == wscodec::role::server ? wscodec::role::client : wscodec::role::server, op, payload, fin, rsv,
                      key);
}

/// A close payload: the code in network order, then the reason.
inline bytes close_body(std::uint16_t code, std::string_view reason = {}) {
    bytes out{static_cast<std::uint8_t>(code >> 8), static_cast<std::uint8_t>(code)};
    out.insert(out.end(), reason.begin(), reason.end());
    return out;
}

/// A frame read back from output, its payload unmasked.
struct written_frame {
    wscodec::frame_header h;
    bytes payload;
};

/// "opcode [fin] [rsv=N] [payload in hex]".
inline std::string describe(const written_frame& f) {
    std::string s = wscodec::opcode_name(f.h.op);
    if (f.h.fin) s += " fin";
    if (f.h.rsv != 0) s += " rsv=" + std::to_string(f.h.rsv);
    return s + " [" + to_hex(f.payload) + "]";
}

inline std::vector<std::string> describe(const std::vector<written_frame>& fs) {
    std::vector<std::string> out;
    for (const written_frame& f : fs) out.push_back(describe(f));
    return out;
}

/// describe() of the frame with this opcode, payload and FIN bit.
inline std::string frame_line(wscodec::opcode op, wscodec::bytes_view payload, bool fin = true) {
    return describe(written_frame{header(op, payload.size(), fin), bytes(payload.begin(), payload.end())});
}

/// Lines joined, each ended by a newline (for comparing lists in one message).
inline std::string lines(const std::vector<std::string>& v) {
    std::string s;
    for (const std::string& l : v) s += l + "\n";
    return s;
}

// ------------------------------------------------------------------ events

/// An event with its payload copied out of the buffer it viewed. Fields that
/// do not belong to the event's type stay at their defaults, so two records
/// compare equal when the events say the same; where the event sat in the
/// input (consumed, position, at) is kept but not compared.
struct event_record {
    wscodec::event_type type = wscodec::event_type::need_more;
    wscodec::message_type message = wscodec::message_type::binary;  ///< data
    bool first = false;                                             ///< data
    bool last = false;                                              ///< data
    std::uint8_t rsv = 0;                                           ///< data
    wscodec::tcp_action action = wscodec::tcp_action::none;         ///< failed, closed
    wscodec::error err = wscodec::error::none;                      ///< failed, closed
    std::uint16_t code = 0;         ///< close, failed, closed: the close code
    std::uint16_t http_status = 0;  ///< a handshake's failed: the HTTP status
    bytes payload;                  ///< data piece (or joined message), ping/pong payload, close reason
    std::size_t consumed = 0;
    std::size_t position = 0;
    std::size_t at = 0;  ///< where the input of the receive() call that returned it began, in the buffer fed

    /// A failed event's offending byte as an offset in the buffer fed.
    [[nodiscard]] std::size_t where() const { return at + position; }

    friend bool operator==(const event_record& a, const event_record& b) {
        return a.type == b.type && a.message == b.message && a.first == b.first && a.last == b.last && a.rsv == b.rsv &&
               a.action == b.action && a.err == b.err && a.code == b.code && a.http_status == b.http_status &&
               a.payload == b.payload;
    }
};

/// The record of `ev`, which came from a receive() call whose input began at `at`.
inline event_record record(const wscodec::event& ev, std::size_t at = 0) {
    using wscodec::event_type;
    event_record r;
    r.type = ev.type;
    if (ev.type == event_type::data) {
        r.message = ev.message;
        r.first = ev.first;
        r.last = ev.last;
        r.rsv = ev.rsv;
    }
    if (ev.type == event_type::failed || ev.type == event_type::closed) {
        r.action = ev.action;
        r.err = ev.err;
    }
    if (ev.type == event_type::close || ev.type == event_type::failed || ev.type == event_type::closed)
        r.code = ev.code;
    r.http_status = ev.http_status;
    r.payload.assign(ev.payload.begin(), ev.payload.end());
    r.consumed = ev.consumed;
    r.position = ev.position;
    r.at = at;
    return r;
}

/// How describe() writes an event.
enum class verbosity : std::uint8_t {
    /// Every field of its type and the payload in hex: "data text first last [68 69]",
    /// "closed err=none action=close_now code=1000 []".
    full,
    /// The fields that are set, no payload: "closed code=1000 action=close_now"; the
    /// HTTP status of a handshake's failure is written as code= too.
    brief,
};

/// One line for `e`; a payload longer than `max_payload` bytes is cut there, with its size.
inline std::string describe(const event_record& e, verbosity v = verbosity::full,
                            std::size_t max_payload = static_cast<std::size_t>(-1)) {
    using wscodec::event_type;
    std::string s = wscodec::event_type_name(e.type);
    if (e.type == event_type::data) {
        s += e.message == wscodec::message_type::text ? " text" : " binary";
        if (e.first) s += " first";
        if (e.last) s += " last";
        if (e.rsv != 0) s += " rsv=" + std::to_string(e.rsv);
    }
    if (v == verbosity::brief) {
        if (e.err != wscodec::error::none) s += std::string(" err=") + wscodec::error_name(e.err);
        if (e.code != 0) s += " code=" + std::to_string(e.code);
        if (e.http_status != 0) s += " code=" + std::to_string(e.http_status);
        if (e.action != wscodec::tcp_action::none) s += std::string(" action=") + wscodec::tcp_action_name(e.action);
        return s;
    }
    if (e.type == event_type::failed || e.type == event_type::closed)
        s += std::string(" err=") + wscodec::error_name(e.err) + " action=" + wscodec::tcp_action_name(e.action);
    if (e.type == event_type::failed || e.type == event_type::closed || e.type == event_type::close)
        s += " code=" + std::to_string(e.code);
    if (e.http_status != 0) s += " http_status=" + std::to_string(e.http_status);
    if (e.payload.size() <= max_payload) return s + " [" + to_hex(e.payload) + "]";
    return s + " [" + to_hex(std::span(e.payload).first(max_payload)) + " ...: " + std::to_string(e.payload.size()) +
           " bytes]";
}

inline std::string describe(const wscodec::event& ev, verbosity v = verbosity::full) { return describe(record(ev), v); }

inline std::vector<std::string> describe(const std::vector<event_record>& evs, verbosity v = verbosity::full) {
    std::vector<std::string> out;
    for (const event_record& e : evs) out.push_back(describe(e, v));
    return out;
}

/// How an event_recorder keeps the pieces of a message.
enum class join : std::uint8_t {
    none,      ///< one record per data event, as delivered
    runs,      ///< consecutive pieces in one record; a control frame between a message's frames starts another
    messages,  ///< a message's pieces in one record, where it starts (control frames between its frames follow it)
};

/// Records events (all but need_more and ended) and checks their sequence:
/// only a message's first piece is `first`, its pieces keep its type and RSV
/// bits, only closed follows close, nothing follows failed or closed.
class event_recorder {
public:
    explicit event_recorder(join how = join::none) noexcept : how_(how) {}

    std::vector<event_record> records;
    std::string problems;  ///< breaches of the sequence, in words; empty if none

    void add(const wscodec::event& ev, std::size_t at = 0) { add(record(ev, at)); }

    void add(event_record r) {
        using wscodec::event_type;
        if (r.type == event_type::need_more || r.type == event_type::ended) return;
        const std::string name = wscodec::event_type_name(r.type);
        if (over_) problem(name + " after failed or closed");
        else if (closing_ && r.type != event_type::closed) problem(name + " between close and closed");
        closing_ = closing_ || r.type == event_type::close;
        over_ = over_ || r.type == event_type::failed || r.type == event_type::closed;
        if (r.type != event_type::data) {
            if (how_ == join::runs) run_ = npos;
            records.push_back(std::move(r));
            return;
        }
        if (r.first == in_message_) problem(r.first ? "a first piece inside a message" : "a piece outside a message");
        if (r.first) {
            message_ = r.message;
            rsv_ = r.rsv;
            run_ = npos;
        } else if (r.message != message_ || r.rsv != rsv_) {
            problem("a piece changes its message's type or RSV bits");
        }
        in_message_ = !r.last;
        if (run_ != npos) {
            event_record& m = records[run_];
            m.payload.insert(m.payload.end(), r.payload.begin(), r.payload.end());
            m.last = r.last;
        } else {
            records.push_back(std::move(r));
            if (how_ != join::none) run_ = records.size() - 1;
        }
        if (!in_message_) run_ = npos;
    }

    /// True while a message's last piece has not come.
    [[nodiscard]] bool in_message() const noexcept { return in_message_; }

private:
    static constexpr std::size_t npos = static_cast<std::size_t>(-1);

    void problem(const std::string& what) {
        if (problems.size() < 2000) problems += what + "; ";
    }

    join how_;
    std::size_t run_ = npos;  // the record the next piece joins
    bool in_message_ = false;
    bool closing_ = false;
    bool over_ = false;
    wscodec::message_type message_ = wscodec::message_type::binary;
    std::uint8_t rsv_ = 0;
};

// ------------------------------------------------------------ receive loop

/// A breach of the receive() or output contract found by a loop below (a
/// static string, so the loops allocate nothing of their own), or nullptr.
using fault = const char*;

/// Calls c.receive() on `in` until it returns need_more or ended, and passes
/// every event, those two included, to on_event(ev, the input of that call,
/// its offset in `in`). Works for a connection or a session.
template <class Conn, class OnEvent>
[[nodiscard]] fault receive_all(Conn& c, wscodec::mutable_bytes in, OnEvent&& on_event) {
    std::size_t used = 0;
    for (std::size_t stalls = 0;;) {
        const wscodec::mutable_bytes rest = in.subspan(used);
        const wscodec::event ev = c.receive(rest);
        if (ev.consumed > rest.size()) return "receive() consumed more than its input";
        on_event(ev, rest, used);
        used += ev.consumed;
        if (ev.type == wscodec::event_type::need_more || ev.type == wscodec::event_type::ended)
            return used == in.size() ? nullptr : "need_more or ended left input unconsumed";
        stalls = ev.consumed == 0 ? stalls + 1 : 0;
        if (stalls > 3) return "receive() makes no progress";
    }
}

/// An exactly sized heap copy of `src`, so ASan reports a read past either end.
class exact_copy {
public:
    explicit exact_copy(wscodec::bytes_view src) : size_(src.size()), data_(new std::uint8_t[src.size()]) {
        if (size_ != 0) std::memcpy(data_.get(), src.data(), size_);
    }
    [[nodiscard]] wscodec::mutable_bytes span() noexcept { return {data_.get(), size_}; }

private:
    std::size_t size_;
    std::unique_ptr<std::uint8_t[]> data_;
};

/// Where receive_parts() puts each piece before receive() sees it.
enum class piece_buffer : std::uint8_t {
    in_place,  ///< the stream itself (receive() unmasks it there)
    guarded,   ///< a guard-page copy: a read past its end faults
    /// An exactly sized heap copy (ASan sees reads past either end), scribbled
    /// over (0xEE) once its events are handled, as by a caller reusing its buffer.
    copied,
};

/// receive_all() on consecutive pieces of `stream` of the sizes in `parts` (0:
/// an empty receive() call); on_event gets each event's input offset in `stream`.
template <class Conn, class OnEvent>
[[nodiscard]] fault receive_parts(Conn& c, wscodec::mutable_bytes stream, std::span<const std::size_t> parts,
                                  piece_buffer where, OnEvent&& on_event) {
    std::size_t base = 0;
    for (const std::size_t n : parts) {
        const auto shifted = [&](const wscodec::event& ev, wscodec::mutable_bytes input, std::size_t at) {
            on_event(ev, input, base + at);
        };
        const wscodec::mutable_bytes piece = stream.subspan(base, n);
        fault f = nullptr;
        if (where == piece_buffer::in_place) {
            f = receive_all(c, piece, shifted);
        } else if (where == piece_buffer::guarded) {
            guarded g(piece);
            f = receive_all(c, g.span(), shifted);
        } else {
            exact_copy copy(piece);
            f = receive_all(c, copy.span(), shifted);
            std::fill(copy.span().begin(), copy.span().end(), std::uint8_t{0xEE});
        }
        if (f != nullptr) return f;
        base += n;
    }
    return nullptr;
}

// ------------------------------------------------------------------ output

/// How drain_to() takes a connection's (or a session's) output.
enum class take : std::uint8_t {
    copy,           ///< copy_output()
    spans,          ///< output() and consume() only (zero-copy): stops when output() hands out nothing
    spans_or_copy,  ///< output() and consume(); copy_output() when output() hands out nothing (a client's send())
    random,         ///< each step one of the two at random, in random amounts, as a caller with partial writes
};

struct drain_plan {
    take how = take::copy;
    /// Bytes one call takes at most: a copy_output() buffer's size (0: 4096),
    /// or what one consume() acknowledges (0: all that output() handed out).
    std::size_t piece = 0;
    std::size_t budget = 0;  ///< bytes in all at most (0: until nothing is left)
    rng* random = nullptr;   ///< take::random draws from it (without one it acts as spans_or_copy)
};

/// A drain sink that appends to `out`.
inline auto append_to(bytes& out) {
    return [&out](wscodec::bytes_view b) { out.insert(out.end(), b.begin(), b.end()); };
}

/// A drain sink that writes into fixed storage, allocating nothing: `used`
/// bytes written; what does not fit is dropped and counted in `overflow`.
struct fixed_sink {
    wscodec::mutable_bytes room;
    std::size_t used = 0;
    std::size_t overflow = 0;

    void operator()(wscodec::bytes_view b) noexcept {
        const std::size_t n = std::min(b.size(), room.size() - used);
        if (n != 0) std::memcpy(room.data() + used, b.data(), n);
        used += n;
        overflow += b.size() - n;
    }
};

/// One write of drain_to(): at most `left` bytes into `sink(bytes_view)`;
/// returns how many (0: nothing to write); a contract breach goes to `f`.
template <class Conn, class Sink>
std::size_t drain_step(Conn& c, Sink&& sink, const drain_plan& plan, std::size_t left, fault& f) {
    std::array<std::uint8_t, 4096> buffer;
    const auto copy = [&](std::size_t want) {
        const std::size_t room = std::min({want, left, buffer.size()});
        const std::size_t n = c.copy_output(wscodec::mutable_bytes(buffer.data(), room));
        if (n > room) {
            f = "copy_output() wrote past its buffer";
            return std::size_t{0};
        }
        sink(wscodec::bytes_view(buffer.data(), n));
        return n;
    };
    const bool random = plan.how == take::random && plan.random != nullptr;
    const wscodec::output_buffers o = plan.how == take::copy ? wscodec::output_buffers{} : c.output();
    if (o.empty() || (random && plan.random->chance(40))) {
        if (plan.how == take::spans) return 0;
        if (random) return copy(plan.random->chance(20) ? plan.random->between(1, 3) : plan.random->between(1, 700));
        return copy(plan.piece == 0 ? buffer.size() : plan.piece);
    }
    for (std::size_t i = 0; i < o.count; ++i)
        if (o.parts[i].empty()) f = "output() hands out an empty part";
    const std::size_t total = o.size();
    std::size_t k = std::min(total, left);
    if (random) k = std::min(plan.random->chance(50) ? total : plan.random->between(1, total), left);
    else if (plan.piece != 0) k = std::min(k, plan.piece);
    std::size_t rest = k;
    for (std::size_t i = 0; i < o.count && rest > 0; ++i) {
        const std::size_t t = std::min(rest, o.parts[i].size());
        sink(o.parts[i].first(t));
        rest -= t;
    }
    c.consume(k);
    return k;
}

/// Writes `c`'s output to `sink(bytes_view)` as `plan` says, until nothing is
/// left or the budget is spent. Allocates nothing of its own.
template <class Conn, class Sink>
[[nodiscard]] fault drain_to(Conn& c, Sink&& sink, const drain_plan& plan = {}) {
    std::size_t left = plan.budget == 0 ? static_cast<std::size_t>(-1) : plan.budget;
    fault f = nullptr;
    for (std::size_t steps = 0; left > 0 && f == nullptr; ++steps) {
        if (steps > (std::size_t{1} << 26)) return "output never runs dry";
        const std::size_t n = drain_step(c, sink, plan, left, f);
        if (n == 0) break;
        left -= n;
    }
    return f;
}

// ------------------------------------------------------------ endpoint pair

/// Sizes of the writes and reads between two endpoints: often tiny (partial
/// headers, split control frames), sometimes large.
inline std::size_t chunk_size(rng& r) {
    const std::size_t roll = r.below(100);
    if (roll < 25) return r.between(1, 8);
    if (roll < 65) return r.between(1, 600);
    return r.between(1, 20000);
}

/// A message one end of an endpoint pair sends, and how it is queued.
struct planned {
    enum class way : std::uint8_t {
        send,           ///< send(bytes_view)
        send_in_place,  ///< send_in_place(mutable_bytes): a client masks the buffer in place
        parts,          ///< begin_message() and send_part() (or send_part_in_place(), at random) per part
    };
    wscodec::message_type type = wscodec::message_type::binary;
    bytes payload;
    way how = way::send;
    std::vector<std::size_t> parts;  ///< way::parts: the part sizes, empty parts included
};

/// The role of a connection type or of a session type.
template <class Conn>
constexpr wscodec::role role_of() {
    if constexpr (requires { Conn::side; }) return Conn::side;
    else return Conn::connection_type::side;
}

/// One end of an in-memory pair, a connection or a session: what it sends,
/// what it must receive, and what it saw. Breaches go to `problems`.
template <class Conn>
struct endpoint {
    static constexpr std::size_t npos = static_cast<std::size_t>(-1);

    template <class... A>
    explicit endpoint(std::string n, A&&... a) : name(std::move(n)), conn(std::forward<A>(a)...) {}
    endpoint(const endpoint&) = delete;
    endpoint& operator=(const endpoint&) = delete;

    std::string name;
    Conn conn;

    // Sending.
    const std::vector<planned>* outgoing = nullptr;
    std::size_t next_out = 0;
    bool streaming = false;
    std::size_t part = 0, part_offset = 0;
    bytes scratch;                // the payload being sent: alive and, for a server, unchanged until written
    std::size_t unmasked = npos;  // server: the message sent in place, which must come back unchanged
    std::uint64_t ping_count = 0;
    std::vector<bytes> pings_sent;

    // Receiving.
    const std::vector<planned>* incoming = nullptr;
    std::size_t next_in = 0;
    bytes storage = bytes(70000);
    wscodec::message_assembler assembler{wscodec::mutable_bytes(storage)};
    bool in_message = false;
    bytes inbox;  // written by the other end, not read yet
    std::size_t inbox_read = 0;
    bytes rbuf;
    std::vector<bytes> pings_seen, pongs_seen;
    std::vector<event_record> ends;  // every event but data, ping and pong (request, open, close, closed, failed, ...)
    std::function<void()> on_request;  // answers a request event (a server session)

    std::string problems;

    void problem(const std::string& what) {
        if (problems.size() < 3000) problems += name + ": " + what + "; ";
    }

    [[nodiscard]] bool all_sent() const { return outgoing == nullptr || (next_out == outgoing->size() && !streaming); }
    [[nodiscard]] bool idle() { return conn.output().empty() && conn.pending_output() == 0; }
    [[nodiscard]] bool inbox_empty() const { return inbox_read == inbox.size(); }

    /// Queues the next message or part if the connection takes it.
    void send_step(rng& r) {
        using wscodec::error;
        if (outgoing == nullptr) return;
        if (streaming) {
            const std::vector<std::size_t>& parts = (*outgoing)[next_out].parts;
            const std::size_t n = parts[part];
            const bool last = part + 1 == parts.size();
            const bool can = conn.can_send_part();
            std::uint8_t* const at = scratch.data() + part_offset;
            const error e = r.chance(50) ? conn.send_part(wscodec::bytes_view(at, n), last)
                                         : conn.send_part_in_place(wscodec::mutable_bytes(at, n), last);
            if (e == error::send_in_progress && !can) return;  // the previous part is still being written
            if (e != error::none) problem(std::string("send_part: ") + wscodec::error_name(e));
            if (!can) problem("send_part() took a part while can_send_part() was false");
            part_offset += n;
            ++part;
            if (last) {
                streaming = false;
                ++next_out;
            }
            return;
        }
        if (next_out == outgoing->size() || !conn.can_send()) return;
        if (unmasked != npos && scratch != (*outgoing)[unmasked].payload)
            problem("the server changed a payload it sent");
        unmasked = npos;
        const planned& m = (*outgoing)[next_out];
        scratch = m.payload;
        error e = error::none;
        if (m.how == planned::way::send) {
            e = conn.send(m.type, wscodec::bytes_view(scratch));
            ++next_out;
        } else if (m.how == planned::way::send_in_place) {
            e = conn.send_in_place(m.type, wscodec::mutable_bytes(scratch));
            if constexpr (role_of<Conn>() == wscodec::role::server) unmasked = next_out;
            ++next_out;
        } else {
            e = conn.begin_message(m.type);
            streaming = true;
            part = 0;
            part_offset = 0;
        }
        if (e != error::none) problem(std::string("send: ") + wscodec::error_name(e));
    }

    /// Queues a ping with a payload no other ping has.
    void ping_step(rng& r) {
        const std::string id = name + " ping " + std::to_string(ping_count++) + " ";
        bytes p(id.begin(), id.end());
        const bytes tail = random_bytes(r, r.below(wscodec::max_control_payload - p.size() + 1));
        p.insert(p.end(), tail.begin(), tail.end());
        const wscodec::error e = conn.ping(p);
        if (e == wscodec::error::none) pings_sent.push_back(std::move(p));
        else if (e != wscodec::error::control_queue_full) problem(std::string("ping: ") + wscodec::error_name(e));
    }

    /// Reads up to `n` bytes of the inbox, as one read, and handles their events.
    void deliver(std::size_t n) {
        const std::size_t avail = inbox.size() - inbox_read;
        n = std::min(n, avail);
        if (n == 0) return;
        const auto from = inbox.begin() + static_cast<std::ptrdiff_t>(inbox_read);
        rbuf.assign(from, from + static_cast<std::ptrdiff_t>(n));
        inbox_read += n;
        if (inbox_read == inbox.size()) {
            inbox.clear();
            inbox_read = 0;
        }
        const auto handle = [&](const wscodec::event& ev, wscodec::mutable_bytes, std::size_t) { on_event(ev); };
        const fault f = receive_all(conn, wscodec::mutable_bytes(rbuf), handle);
        if (f != nullptr) problem(f);
    }

    void on_event(const wscodec::event& ev) {
        using wscodec::event_type;
        switch (ev.type) {
            case event_type::need_more:
            case event_type::ended: return;
            case event_type::data: {
                if (ev.first == in_message) problem("first flag wrong");
                in_message = !ev.last;
                const wscodec::message_assembler::result a = assembler.add(ev);
                if (a.status == wscodec::message_assembler::progress::too_big) problem("assembler: message too big");
                if (a.status != wscodec::message_assembler::progress::complete) return;
                if (incoming == nullptr || next_in == incoming->size()) {
                    problem("a message more than was sent");
                    return;
                }
                const planned& want = (*incoming)[next_in];
                if (a.type != want.type ||
                    !std::equal(a.message.begin(), a.message.end(), want.payload.begin(), want.payload.end()))
                    problem("message " + std::to_string(next_in) + " differs: " + std::to_string(a.message.size()) +
                            " bytes received, " + std::to_string(want.payload.size()) + " sent");
                ++next_in;
                return;
            }
            case event_type::ping: pings_seen.emplace_back(ev.payload.begin(), ev.payload.end()); return;
            case event_type::pong: pongs_seen.emplace_back(ev.payload.begin(), ev.payload.end()); return;
            default: break;
        }
        ends.push_back(record(ev));
        if (ev.type == event_type::failed) problem("failed: " + describe(ends.back()));
        if (ev.type == event_type::request) {
            if (on_request) on_request();
            else problem("a request that nobody answers");
        }
    }
};

/// Moves up to `n` bytes of `from`'s output to `to`'s inbox: a partial
/// zero-copy write (output() then consume()), or copy_output().
template <class From, class To>
void transfer(endpoint<From>& from, endpoint<To>& to, std::size_t n, bool zero_copy) {
    const drain_plan plan{zero_copy ? take::spans_or_copy : take::copy, n, n, nullptr};
    const fault f = drain_to(from.conn, append_to(to.inbox), plan);
    if (f != nullptr) from.problem(f);
}

/// Runs the pair until nothing is left to send, write or read; false if
/// `max_steps` went by first. With `sending` the ends queue their messages,
/// and pings `ping_percent` of the steps.
template <class C, class S>
bool pump(endpoint<C>& c, endpoint<S>& s, rng& r, std::size_t max_steps, bool sending = true,
          unsigned ping_percent = 0) {
    for (std::size_t step = 0; step < max_steps; ++step) {
        if (sending) {
            if (r.chance(70)) c.send_step(r);
            if (r.chance(70)) s.send_step(r);
            if (ping_percent != 0 && r.chance(ping_percent)) c.ping_step(r);
            if (ping_percent != 0 && r.chance(ping_percent)) s.ping_step(r);
        }
        for (std::size_t k = r.below(4); k > 0; --k) transfer(c, s, chunk_size(r), r.chance(50));
        for (std::size_t k = r.below(4); k > 0; --k) transfer(s, c, chunk_size(r), r.chance(50));
        if (r.chance(80) && !s.inbox_empty()) s.deliver(chunk_size(r));
        if (r.chance(80) && !c.inbox_empty()) c.deliver(chunk_size(r));
        if ((!sending || (c.all_sent() && s.all_sent())) && c.idle() && s.idle() && c.inbox_empty() &&
            s.inbox_empty())
            return true;
    }
    return false;
}

}  // namespace test

// ------------------------------------------------------ checks with doctest

#ifdef DOCTEST_LIBRARY_INCLUDED

namespace test {

/// receive_all() on `in`, checked: the events but need_more and ended,
/// recorded with their offsets in `in`.
template <class C>
std::vector<event_record> feed(C& c, wscodec::mutable_bytes in) {
    std::vector<event_record> out;
    const fault f = receive_all(c, in, [&](const wscodec::event& ev, wscodec::mutable_bytes, std::size_t at) {
        if (ev.type != wscodec::event_type::need_more && ev.type != wscodec::event_type::ended)
            out.push_back(record(ev, at));
    });
    CHECK_MESSAGE(f == nullptr, (f != nullptr ? f : ""));
    return out;
}

/// feed() from a guard-page copy of `in`: a read past its end faults.
template <class C>
std::vector<event_record> feed(C& c, const bytes& in) {
    guarded g(in);
    return feed(c, g.span());
}

/// feed() of `in` in pieces of the given sizes, each from its own guard-page copy.
template <class C>
std::vector<event_record> feed_parts(C& c, const bytes& in, const std::vector<std::size_t>& parts) {
    std::vector<event_record> out;
    bytes stream = in;
    const fault f = receive_parts(c, wscodec::mutable_bytes(stream), parts, piece_buffer::guarded,
                                  [&](const wscodec::event& ev, wscodec::mutable_bytes, std::size_t at) {
                                      if (ev.type != wscodec::event_type::need_more &&
                                          ev.type != wscodec::event_type::ended)
                                          out.push_back(record(ev, at));
                                  });
    CHECK_MESSAGE(f == nullptr, (f != nullptr ? f : ""));
    return out;
}

/// The records with each message's pieces joined as `how` says; checks the
/// sequence (event_recorder).
inline std::vector<event_record> joined(const std::vector<event_record>& evs, join how = join::messages) {
    event_recorder r(how);
    for (const event_record& e : evs) r.add(e);
    CHECK_MESSAGE(r.problems.empty(), r.problems);
    return std::move(r.records);
}

/// All of `c`'s output as `plan` takes it (by default copy_output() in
/// buffers of 4096 bytes), checked.
template <class C>
bytes drain(C& c, const drain_plan& plan = {}) {
    bytes out;
    const fault f = drain_to(c, append_to(out), plan);
    CHECK_MESSAGE(f == nullptr, (f != nullptr ? f : ""));
    return out;
}

/// The last event is `failed` with `e` and `code` (action linger), and no
/// event before it is ("fails with code X").
inline void check_failed(const std::vector<event_record>& evs, wscodec::error e, std::uint16_t code) {
    CHECK(!evs.empty());
    if (evs.empty()) return;
    for (std::size_t i = 0; i + 1 < evs.size(); ++i) CHECK(evs[i].type != wscodec::event_type::failed);
    const event_record& f = evs.back();
    CHECK(f.type == wscodec::event_type::failed);
    CHECK(wscodec::error_name(f.err) == std::string(wscodec::error_name(e)));
    CHECK(f.code == code);
    CHECK(f.action == wscodec::tcp_action::linger);
}

/// Decodes a stream of frames written by an endpoint in role `sender`; checks
/// that each is masked exactly when the sender is a client (§5.1, §5.3) and
/// that the stream ends on a frame boundary.
inline std::vector<written_frame> frames_of(const bytes& w, wscodec::role sender) {
    using namespace wscodec;
    std::vector<written_frame> out;
    std::size_t at = 0;
    while (at < w.size()) {
        const decode_result r = try_decode_header(bytes_view(w).subspan(at), decode_rules{mask_rule::any, 0x7, false});
        CHECK(r.status == decode_status::ok);
        if (r.status != decode_status::ok) return out;
        CHECK(r.header.masked == (sender == role::client));
        at += r.size;
        CHECK(w.size() - at >= r.header.payload_length);
        if (w.size() - at < r.header.payload_length) return out;
        const auto n = static_cast<std::size_t>(r.header.payload_length);
        bytes p(w.begin() + static_cast<std::ptrdiff_t>(at), w.begin() + static_cast<std::ptrdiff_t>(at + n));
        if (r.header.masked) (void)apply_mask(mutable_bytes(p), r.header.key);
        out.push_back({r.header, p});
        at += n;
    }
    return out;
}

/// `w` is exactly one close frame from `sender` whose code is `code` and whose
/// reason is valid UTF-8.
inline void check_one_close(const bytes& w, wscodec::role sender, std::uint16_t code) {
    const std::vector<written_frame> fs = frames_of(w, sender);
    CHECK(fs.size() == 1u);
    if (fs.size() != 1) return;
    CHECK(fs[0].h.op == wscodec::opcode::close);
    CHECK(fs[0].h.fin);
    CHECK(fs[0].payload.size() >= 2u);
    if (fs[0].payload.size() < 2) return;
    CHECK(((fs[0].payload[0] << 8) | fs[0].payload[1]) == code);
    CHECK(fs[0].payload.size() <= 125u);
    CHECK(wscodec::validate_utf8(wscodec::bytes_view(fs[0].payload).subspan(2)).ok());
}

}  // namespace test

#endif  // DOCTEST_LIBRARY_INCLUDED
