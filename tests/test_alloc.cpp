// SPDX-License-Identifier: MIT
// tests/test_alloc.cpp — DESIGN invariant 2: no heap allocation on the
// receive path, and none on the send path when the caller supplies the
// buffers; and invariant 7: the size budgets of the connection and its
// parts, the event, the output and the sessions, each with its arithmetic.
//
// This file replaces every global allocation function (for the whole test
// binary, as the language requires) with one that forwards to malloc and
// free and counts calls made while a counting_scope is open on the calling
// thread. Nothing inside a scope may use doctest or the standard containers:
// results are kept in fixed storage and checked after the scope closes.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <vector>
#include <wscodec/assembler.hpp>
#include <wscodec/connection.hpp>
#include <wscodec/session.hpp>

#include "helpers.hpp"

#ifdef _WIN32
#include <malloc.h>  // _aligned_malloc and _aligned_free: Windows has no posix_memalign
#endif

// ------------------------------------------------------ counting allocator

namespace {

thread_local bool counting = false;
std::atomic<std::size_t> allocations{0};
std::atomic<std::size_t> deallocations{0};

[[noreturn]] void out_of_memory() {
#if defined(__cpp_exceptions)
    throw std::bad_alloc();
#else
    std::abort();
#endif
}

/// malloc, or posix_memalign (_aligned_malloc on Windows) for an extended
/// alignment, retried through the new_handler as [new.delete.single]
/// requires; nullptr only if `nothrow`.
void* allocate(std::size_t size, std::size_t align, bool nothrow) noexcept(false) {
    if (counting) allocations.fetch_add(1, std::memory_order_relaxed);
    if (size == 0) size = 1;
    for (;;) {
        void* p = nullptr;
        if (align <= alignof(std::max_align_t)) {
            p = std::malloc(size);
#ifdef _WIN32
        } else {
            p = _aligned_malloc(size, align);
#else
        } else if (posix_memalign(&p, std::max(align, sizeof(void*)), size) != 0) {
            p = nullptr;
#endif
        }
        if (p != nullptr) return p;
        const std::new_handler handler = std::get_new_handler();
        if (handler == nullptr) {
            if (nothrow) return nullptr;
            out_of_memory();
        }
#if defined(__cpp_exceptions)
        if (nothrow) {
            try {
                handler();
            } catch (...) {
                return nullptr;
            }
            continue;
        }
#endif
        handler();
    }
}

/// `aligned`: from an aligned operator new, which Windows frees differently.
void deallocate(void* p, bool aligned = false) noexcept {
    if (p == nullptr) return;
    if (counting) deallocations.fetch_add(1, std::memory_order_relaxed);
#ifdef _WIN32
    if (aligned) return _aligned_free(p);
#endif
    (void)aligned;
    std::free(p);
}

std::size_t alignment(std::align_val_t a) { return static_cast<std::size_t>(a); }

}  // namespace

void* operator new(std::size_t n) { return allocate(n, 0, false); }
void* operator new[](std::size_t n) { return allocate(n, 0, false); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return allocate(n, 0, true); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return allocate(n, 0, true); }
void* operator new(std::size_t n, std::align_val_t a) { return allocate(n, alignment(a), false); }
void* operator new[](std::size_t n, std::align_val_t a) { return allocate(n, alignment(a), false); }
void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
    return allocate(n, alignment(a), true);
}
void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
    return allocate(n, alignment(a), true);
}

void operator delete(void* p) noexcept { deallocate(p); }
void operator delete[](void* p) noexcept { deallocate(p); }
void operator delete(void* p, std::size_t) noexcept { deallocate(p); }
void operator delete[](void* p, std::size_t) noexcept { deallocate(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { deallocate(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { deallocate(p); }
void operator delete(void* p, std::align_val_t) noexcept { deallocate(p, true); }
void operator delete[](void* p, std::align_val_t) noexcept { deallocate(p, true); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { deallocate(p, true); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { deallocate(p, true); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { deallocate(p, true); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { deallocate(p, true); }

namespace {

using namespace wscodec;
using test::bytes;

/// Counts this thread's allocations from construction to stop().
class counting_scope {
public:
    counting_scope() noexcept {
        allocations.store(0);
        deallocations.store(0);
        counting = true;
    }
    counting_scope(const counting_scope&) = delete;
    counting_scope& operator=(const counting_scope&) = delete;
    ~counting_scope() { counting = false; }
    /// Ends counting; the number of allocations counted.
    std::size_t stop() noexcept {
        counting = false;
        return allocations.load();
    }
};

}  // namespace

// For other test files (test_session.cpp), which cannot replace operator
// new a second time: open and close a counting scope on this thread.
namespace test {
void alloc_count_start() noexcept {
    allocations.store(0);
    deallocations.store(0);
    counting = true;
}
std::size_t alloc_count_stop() noexcept {
    counting = false;
    return allocations.load();
}
}  // namespace test

namespace {

/// Keeps the compiler from dropping an allocation whose result is unused
/// ([expr.new] lets it elide new-expressions, not calls of operator new).
void escape(void* p) {
#if defined(__GNUC__) || defined(__clang__)
    asm volatile("" : : "g"(p) : "memory");
#else
    (void)p;
#endif
}

// ------------------------------------------------------------ the streams

/// Small deterministic generator (LCG, top bits) for payload bytes.
struct lcg {
    std::uint64_t s;
    std::uint8_t byte() {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        return static_cast<std::uint8_t>(s >> 56);
    }
};

bytes binary_payload(std::size_t n, std::uint64_t seed) {
    lcg g{seed};
    bytes out(n);
    for (auto& x : out) x = g.byte();
    return out;
}

/// `n` bytes of UTF-8 cycling through 1-, 2-, 3- and 4-byte characters.
bytes text_payload(std::size_t n) {
    static constexpr std::array<std::array<std::uint8_t, 4>, 4> chars{{
        {0x41, 0, 0, 0}, {0xC3, 0xA9, 0, 0}, {0xE2, 0x82, 0xAC, 0}, {0xF0, 0x9F, 0x98, 0x80}}};
    bytes out;
    out.reserve(n);
    for (std::size_t i = 0; out.size() < n; ++i) {
        const std::size_t w = std::min<std::size_t>(i % 4 + 1, n - out.size());
        const auto& c = chars[w - 1];
        out.insert(out.end(), c.begin(), c.begin() + static_cast<std::ptrdiff_t>(w));
    }
    return out;
}

/// What build_stream puts in a stream, to check the receivers against.
struct stream_contents {
    std::size_t messages = 0;
    std::size_t message_bytes = 0;
    std::size_t pings = 0;
    std::size_t pongs = 0;
};

/// A stream from `enc`: text and binary messages of sizes around the length
/// encodings, fragmented (fragment_size 1000) and streamed, pings and pongs
/// between messages and between the frames of one, and a close at the end;
/// or, if `invalid`, a text message with a byte that is never UTF-8 instead
/// of the close.
template <class Enc>
bytes build_stream(Enc& enc, stream_contents& sc, bool invalid = false) {
    bytes out;
    const std::array<std::size_t, 9> sizes{0, 1, 125, 126, 999, 1000, 3001, 65535, 70000};
    std::uint64_t seed = 1;
    for (const std::size_t n : sizes) {
        for (const bool text : {true, false}) {
            const bytes p = text ? text_payload(n) : binary_payload(n, seed++);
            CHECK(enc.send(text ? message_type::text : message_type::binary, bytes_view(p)) == error::none);
            if (n > 1000) {  // a control frame between this message's frames
                test::append(out, test::drain(enc, {.piece = 300, .budget = 300}));
                CHECK(enc.ping(bytes_view(p).first(std::min<std::size_t>(n, 125))) == error::none);
                ++sc.pings;
            }
            test::append(out, test::drain(enc, {.piece = 512}));
            ++sc.messages;
            sc.message_bytes += n;
            CHECK(enc.ping(bytes_view(p).first(std::min<std::size_t>(n, 60))) == error::none);
            test::append(out, test::drain(enc, {.piece = 512}));
            ++sc.pings;
        }
        CHECK(enc.pong() == error::none);
        test::append(out, test::drain(enc, {.piece = 512}));
        ++sc.pongs;
    }
    // A streamed message in uneven parts, one of them empty.
    const bytes t = text_payload(5000);
    CHECK(enc.begin_message(message_type::text) == error::none);
    for (const auto& [from, to] : {std::pair<std::size_t, std::size_t>{0, 7}, {7, 7}, {7, 2500}, {2500, 5000}}) {
        CHECK(enc.send_part(bytes_view(t).subspan(from, to - from), to == 5000) == error::none);
        test::append(out, test::drain(enc, {.piece = 512}));
    }
    ++sc.messages;
    sc.message_bytes += t.size();
    bytes bad = text_payload(3000);  // must outlive the output
    bad[2000] = 0xFF;
    // The encoder refuses to send invalid text (text_not_utf8), so the bad
    // message goes out as binary and its opcode is turned into text.
    const std::size_t at = out.size();
    const error last = invalid ? enc.send(message_type::binary, bytes_view(bad)) : enc.close(close_code::going_away, "bye");
    CHECK(last == error::none);
    test::append(out, test::drain(enc, {.piece = 512}));
    if (invalid) out[at] ^= 0x03;  // 0x82 (FIN, binary) -> 0x81 (FIN, text)
    return out;
}

connection_options fragmented() {
    connection_options o;
    o.fragment_size = 1000;
    return o;
}

/// Event counts of one receive run, kept in fixed storage.
struct tally {
    std::size_t data = 0, data_bytes = 0, messages = 0, ping = 0, pong = 0, close = 0, closed = 0, failed = 0;
    std::size_t output = 0;  // bytes written to the sink
    bool too_big = false;
    test::fault fault = nullptr;  // a breach of the receive() or output contract
};

/// Receives `stream` (copied to `work`) with a fresh Conn in pieces of
/// `piece` bytes, reassembling into `storage` and writing the output into
/// `sink` after every event, alternately by output()/consume() and by
/// copy_output() (7 bytes, then the rest). No allocation of its own.
template <class Conn>
void receive_run(Conn conn, bytes_view stream, mutable_bytes work, std::size_t piece, mutable_bytes storage,
                 mutable_bytes sink, tally& t) {
    std::memcpy(work.data(), stream.data(), stream.size());
    message_assembler assembler(storage);
    test::fixed_sink out{sink};
    bool zero_copy = false;
    const auto on_event = [&](const event& ev, mutable_bytes, std::size_t) {
        switch (ev.type) {
            case event_type::need_more: break;
            case event_type::data: {
                ++t.data;
                t.data_bytes += ev.payload.size();
                const auto a = assembler.add(ev);
                if (a.status == message_assembler::progress::complete) ++t.messages;
                if (a.status == message_assembler::progress::too_big) t.too_big = true;
                break;
            }
            case event_type::ping: ++t.ping; break;
            case event_type::pong: ++t.pong; break;
            case event_type::close: ++t.close; break;
            case event_type::closed: ++t.closed; break;
            case event_type::failed: ++t.failed; break;
            case event_type::request:  // session events: never from a connection
            case event_type::http_request:
            case event_type::open:
            case event_type::answer_pending: ++t.failed; break;
            case event_type::ended: break;
        }
        zero_copy = !zero_copy;
        test::fault f = nullptr;
        if (zero_copy) {
            f = test::drain_to(conn, out, {.how = test::take::spans});
        } else {
            f = test::drain_to(conn, out, {.piece = 7, .budget = 7});
            if (f == nullptr) f = test::drain_to(conn, out);
        }
        if (f != nullptr) t.fault = f;
    };
    for (std::size_t at = 0; at < stream.size(); at += piece) {
        const test::fault f = test::receive_all(conn, work.subspan(at, std::min(piece, stream.size() - at)), on_event);
        if (f != nullptr) t.fault = f;
    }
    t.output = out.used;
    if (out.overflow != 0) t.fault = "the sink is too small";
}

/// Whole, byte by byte and pieces of 2, 3, 5, 7, 13 (headers and control
/// frames staged across calls), 100, 1000 and 4096 bytes.
constexpr std::array<std::size_t, 10> pieces{0, 1, 2, 3, 5, 7, 13, 100, 1000, 4096};

/// Runs every piece size inside one counting scope and checks, outside it,
/// that nothing was allocated and that every run saw the same events.
template <class Conn, class MakeConn>
void check_receive_path(const bytes& stream, const stream_contents& sc, MakeConn make, bool corrupted) {
    bytes work(stream.size());
    bytes storage(70000);
    bytes sink(1 << 16);
    std::array<tally, pieces.size()> tallies{};
    std::size_t counted = 0;
    {
        counting_scope scope;
        for (std::size_t i = 0; i < pieces.size(); ++i) {
            const std::size_t piece = pieces[i] == 0 ? stream.size() : pieces[i];
            receive_run<Conn>(make(), stream, work, piece, storage, sink, tallies[i]);
        }
        counted = scope.stop();
    }
    CHECK(counted == 0);
    for (std::size_t i = 0; i < pieces.size(); ++i) {
        CAPTURE(pieces[i]);
        const tally& t = tallies[i];
        CHECK(t.fault == nullptr);
        CHECK_FALSE(t.too_big);
        if (corrupted) {
            CHECK(t.failed == 1);
            CHECK(t.messages == sc.messages);
            CHECK(t.ping == sc.pings);
            CHECK(t.close == 0);
        } else {
            CHECK(t.failed == 0);
            CHECK(t.messages == sc.messages);
            CHECK(t.data_bytes == sc.message_bytes);
            CHECK(t.ping == sc.pings);
            CHECK(t.pong == sc.pongs);
            CHECK(t.close == 1);
            CHECK(t.closed == 1);
        }
        CHECK(t.output > 0);
        if (i > 0) {
            CHECK(t.messages == tallies[0].messages);
            CHECK(t.ping == tallies[0].ping);
            CHECK(t.output == tallies[0].output);
        }
    }
}

}  // namespace

// ================================================================= tests

TEST_CASE("alloc: the counting allocator sees every form of operator new, only inside a scope") {
    struct alignas(64) wide {
        unsigned char b[64];
    };
    void* outside = ::operator new(32);
    escape(outside);
    std::size_t counted = 0;
    std::array<void*, 12> p{};
    {
        counting_scope scope;
        p[0] = ::operator new(8);
        p[1] = ::operator new[](8);
        p[2] = ::operator new(8, std::nothrow);
        p[3] = ::operator new[](8, std::nothrow);
        p[4] = ::operator new(64, std::align_val_t{64});
        p[5] = ::operator new[](64, std::align_val_t{64});
        p[6] = ::operator new(64, std::align_val_t{64}, std::nothrow);
        p[7] = ::operator new[](64, std::align_val_t{64}, std::nothrow);
        p[8] = ::operator new(0);
        p[9] = ::operator new(16, std::align_val_t{4096});
        p[10] = ::operator new[](48);
        p[11] = ::operator new(48, std::align_val_t{128});
        for (void* q : p) escape(q);
        counted = scope.stop();
    }
    CHECK(counted == p.size());
    for (void* q : p) CHECK(q != nullptr);
    CHECK(reinterpret_cast<std::uintptr_t>(p[4]) % 64 == 0);
    CHECK(reinterpret_cast<std::uintptr_t>(p[5]) % 64 == 0);
    CHECK(reinterpret_cast<std::uintptr_t>(p[6]) % 64 == 0);
    CHECK(reinterpret_cast<std::uintptr_t>(p[7]) % 64 == 0);
    CHECK(reinterpret_cast<std::uintptr_t>(p[9]) % 4096 == 0);
    CHECK(reinterpret_cast<std::uintptr_t>(p[11]) % 128 == 0);
    // Every form of operator delete, each on memory of its kind.
    ::operator delete(p[0]);
    ::operator delete[](p[1]);
    ::operator delete(p[2], std::nothrow);
    ::operator delete[](p[3], std::nothrow);
    ::operator delete(p[4], std::align_val_t{64});
    ::operator delete[](p[5], std::align_val_t{64});
    ::operator delete(p[6], std::align_val_t{64}, std::nothrow);
    ::operator delete[](p[7], std::align_val_t{64}, std::nothrow);
    ::operator delete(p[8], std::size_t{0});
    ::operator delete(p[9], std::size_t{16}, std::align_val_t{4096});
    ::operator delete[](p[10], std::size_t{48});
    ::operator delete(p[11], std::size_t{48}, std::align_val_t{128});
    ::operator delete(outside);

    // A container and new-expressions allocate through the same functions.
    {
        counting_scope scope;
        std::vector<int> v(1000);
        escape(v.data());
        wide* w = new wide;
        escape(w);
        auto* a = new wide[3];
        escape(a);
        delete w;
        delete[] a;
        counted = scope.stop();
    }
    CHECK(counted == 3);
}

TEST_CASE("alloc §5-§7 (invariant 2): the server receive path allocates nothing") {
    stream_contents sc;
    connection<role::client, seeded_key_source> enc(fragmented(), seeded_key_source(5));
    const bytes stream = build_stream(enc, sc);
    CAPTURE(stream.size());
    check_receive_path<server_connection>(stream, sc, [] { return server_connection{}; }, false);

    // A failing stream: the close frame of §7.1.7 is built without allocating.
    stream_contents bad_sc;
    connection<role::client, seeded_key_source> bad_enc(fragmented(), seeded_key_source(6));
    const bytes bad = build_stream(bad_enc, bad_sc, true);
    check_receive_path<server_connection>(bad, bad_sc, [] { return server_connection{}; }, true);
}

TEST_CASE("alloc §5-§7 (invariant 2): the client receive path allocates nothing") {
    stream_contents sc;
    server_connection enc(fragmented());
    const bytes stream = build_stream(enc, sc);
    CAPTURE(stream.size());
    using seeded_client = connection<role::client, seeded_key_source>;
    check_receive_path<seeded_client>(stream, sc, [] { return seeded_client({}, seeded_key_source(9)); }, false);
    // The default client: keys for its pongs and close come from the system.
    check_receive_path<client_connection>(stream, sc, [] { return client_connection{}; }, false);

    stream_contents bad_sc;
    server_connection bad_enc(fragmented());
    const bytes bad = build_stream(bad_enc, bad_sc, true);
    check_receive_path<seeded_client>(bad, bad_sc, [] { return seeded_client({}, seeded_key_source(9)); }, true);
}

namespace {

/// Sends a fixed set of messages and control frames through `conn` into the
/// caller's `sink`: zero-copy (output()/consume() in pieces of `piece`) and
/// copy_output() into a caller buffer. `in_place` lets a client mask the
/// caller's buffers. Returns the bytes written; no allocation of its own.
template <class Conn>
std::size_t send_run(Conn& conn, mutable_bytes big, mutable_bytes text, mutable_bytes sink, std::size_t piece,
                     bool in_place, error& first_error, test::fault& first_fault) {
    test::fixed_sink out{sink};
    const auto note = [&](error e) {
        if (e != error::none && first_error == error::none) first_error = e;
    };
    const auto write = [&](const test::drain_plan& plan) {
        const test::fault f = test::drain_to(conn, out, plan);
        if (f != nullptr && first_fault == nullptr) first_fault = f;
    };
    const auto write_zero_copy = [&] {
        write({.how = test::take::spans, .piece = piece});
        write({});  // a client sending an immutable payload masks it while copying
    };
    const auto write_copy = [&] { write({.piece = 97}); };  // the caller's small buffer

    note(in_place ? conn.send_in_place(message_type::binary, big) : conn.send(message_type::binary, bytes_view(big)));
    write_zero_copy();
    note(conn.send_text(std::string_view(reinterpret_cast<const char*>(text.data()), text.size())));
    write_copy();
    note(conn.send(message_type::binary, bytes_view(big).first(126)));
    note(conn.ping(bytes_view(big).first(125)));  // between the frames of a message
    write_copy();
    note(conn.begin_message(message_type::binary));
    note(in_place ? conn.send_part_in_place(big.subspan(0, 1000), false)
                  : conn.send_part(bytes_view(big).subspan(0, 1000), false));
    write_zero_copy();
    note(conn.send_part(bytes_view(big).subspan(1000, 0), false));
    write_zero_copy();
    note(conn.send_part(bytes_view(big).subspan(1000, 30000), true));
    write_copy();
    note(conn.pong(bytes_view(big).first(3)));
    write_zero_copy();
    note(conn.send(message_type::binary, bytes_view()));
    write_zero_copy();
    note(conn.close(close_code::normal, "done"));
    write_copy();
    if (out.overflow != 0 && first_fault == nullptr) first_fault = "the sink is too small";
    return out.used;
}

/// Decodes `wire` with a receiver of the other role; the messages received.
template <class Receiver>
std::size_t count_messages(bytes wire, std::size_t& failures) {
    Receiver rx{};
    std::size_t messages = 0;
    const test::fault f = test::receive_all(rx, mutable_bytes(wire), [&](const event& ev, mutable_bytes, std::size_t) {
        if (ev.type == event_type::data && ev.last) ++messages;
        if (ev.type == event_type::failed) ++failures;
    });
    if (f != nullptr) ++failures;
    return messages;
}

template <class Conn, class Receiver, class MakeConn>
void check_send_path(MakeConn make, Receiver /* type of the decoding peer */, bool in_place) {
    bytes big(70000), text(4000), sink(1 << 18);
    for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<std::uint8_t>(i * 7);
    for (std::size_t i = 0; i < text.size(); ++i) text[i] = static_cast<std::uint8_t>('a' + i % 26);
    const bytes big_copy = big;
    constexpr std::array<std::size_t, 4> piece_sizes{1, 5, 1000, std::size_t(-1)};
    std::array<std::size_t, piece_sizes.size()> written{};
    std::array<error, piece_sizes.size()> errors{};
    std::array<test::fault, piece_sizes.size()> faults{};
    std::array<bool, piece_sizes.size()> changed{};  // the caller's buffer masked in place
    std::vector<bytes> wires(piece_sizes.size(), bytes(1 << 18));
    std::size_t counted = 0;
    {
        counting_scope scope;
        for (std::size_t i = 0; i < piece_sizes.size(); ++i) {
            Conn conn = make();
            written[i] = send_run(conn, big, text, wires[i], piece_sizes[i], in_place, errors[i], faults[i]);
            changed[i] = std::memcmp(big.data(), big_copy.data(), big.size()) != 0;
            std::memcpy(big.data(), big_copy.data(), big.size());  // undo in-place masking for the next run
        }
        counted = scope.stop();
    }
    CHECK(counted == 0);
    for (std::size_t i = 0; i < piece_sizes.size(); ++i) {
        CAPTURE(piece_sizes[i]);
        CHECK(error_name(errors[i]) == std::string("none"));
        CHECK(faults[i] == nullptr);
        wires[i].resize(written[i]);
        std::size_t failures = 0;
        CHECK(count_messages<Receiver>(wires[i], failures) == 5);
        CHECK(failures == 0);
        CHECK(written[i] == written[0]);
        CHECK(changed[i] == in_place);  // a client masks in place only what it was given to
    }
}

}  // namespace

TEST_CASE("alloc §5-§7 (invariant 2): the server send path allocates nothing") {
    check_send_path<server_connection>([] { return server_connection{}; },
                                       connection<role::client, seeded_key_source>{}, false);
}

TEST_CASE("alloc §5-§7 (invariant 2): the client send path allocates nothing (seeded keys)") {
    using seeded_client = connection<role::client, seeded_key_source>;
    const auto make = [] { return seeded_client({}, seeded_key_source(3)); };
    check_send_path<seeded_client>(make, server_connection{}, false);
    check_send_path<seeded_client>(make, server_connection{}, true);  // masking the caller's buffers in place
}

namespace {

/// `n` rounded up to a multiple of 8 (the alignment of a struct with words in it).
constexpr std::size_t round8(std::size_t n) { return (n + 7) / 8 * 8; }

}  // namespace

TEST_CASE("state sizes (invariant 7)") {
    using server_reader = detail::frame_reader<role::server, server_connection>;
    using client_reader = detail::frame_reader<role::client, client_connection>;
    using seeded_client = connection<role::client, seeded_key_source>;
    using seeded_client_session = session<role::client, seeded_key_source>;
    MESSAGE("sizeof(server_connection) = " << sizeof(server_connection));
    MESSAGE("sizeof(client_connection) = " << sizeof(client_connection));
    MESSAGE("sizeof(connection<role::client, seeded_key_source>) = " << sizeof(seeded_client));
    MESSAGE("sizeof(detail::frame_reader) = " << sizeof(server_reader) << " (server), " << sizeof(client_reader)
                                              << " (client)");
    MESSAGE("sizeof(detail::control_queue) = " << sizeof(detail::control_queue<role::server>) << " (server), "
                                               << sizeof(detail::control_queue<role::client>) << " (client)");
    MESSAGE("sizeof(detail::frame_writer) = " << sizeof(detail::frame_writer<role::server>) << " (server), "
                                              << sizeof(detail::frame_writer<role::client>) << " (client)");
    MESSAGE("sizeof(event) = " << sizeof(event));
    MESSAGE("sizeof(message_assembler) = " << sizeof(message_assembler));
    MESSAGE("sizeof(output_buffers) = " << sizeof(output_buffers));
    MESSAGE("sizeof(server_handshake) = " << sizeof(server_handshake));
    MESSAGE("sizeof(detail::server_preface) = " << sizeof(detail::server_preface));
    MESSAGE("sizeof(client_handshake) = " << sizeof(client_handshake));
    MESSAGE("sizeof(server_session) = " << sizeof(server_session));
    MESSAGE("sizeof(client_session) = " << sizeof(client_session));
    MESSAGE("sizeof(session<role::client, seeded_key_source>) = " << sizeof(seeded_client_session));

    // The frame reader: two payload counters (remaining in the frame, message
    // so far: 16), a UTF-8 validator, the fragment count and the mask key (8),
    // ten one-byte fields (one says the open message is compressed), and the
    // stage for a split header or control payload (125): 16 + 16 + 8 + 10 +
    // 125 = 175, padded to 176. A server's adds the count of payload bytes
    // unmasked ahead of the read position (a compressed frame the inflater
    // took only part of): 184.
    const std::size_t client_reader_size = round8(16 + sizeof(utf8_validator) + 8 + 10 + max_control_payload);
    const std::size_t reader = client_reader_size + 8;
    CHECK(sizeof(server_reader) <= reader);
    CHECK(sizeof(client_reader) <= client_reader_size);
    // The control queue: three slots, each a frame (a 2-byte header, or 6 with a
    // client's mask key, and up to 125 bytes of payload) and 3 bytes about it,
    // then 3 bytes of counters: 3 * 130 + 3 = 393 (server), 3 * 134 + 3 = 405
    // (client). Three, so no pong is ever dropped (control_queue.hpp).
    const std::size_t server_queue = 3 * (2 + max_control_payload + 3) + 3;
    const std::size_t client_queue = 3 * (6 + max_control_payload + 3) + 3;
    CHECK(sizeof(detail::control_queue<role::server>) <= server_queue);
    CHECK(sizeof(detail::control_queue<role::client>) <= client_queue);
    // The frame writer: the cursors of the message and of the frame being
    // handed out (4 words), fragment_size (8), the UTF-8 state of a streamed
    // text (16), the encoded header (15), its mask key (4), eleven one-byte
    // fields (two for compression: the message is compressed, the
    // compressor's fault) and the pointer to the permessage-deflate state
    // (8): 32 + 8 + 16 + 15 + 4 + 11 + 8 = 94, padded to 96. A client's adds
    // the staging buffer output() masks a send() payload into (1024) and its
    // two 2-byte cursors after the padded fields: 96 + 1028 = 1124, padded to 1128.
    const std::size_t writer_fields = 4 * 8 + 8 + sizeof(utf8_validator) + sizeof(encoded_header) + 4 + 11 + 8;
    const std::size_t writer = round8(writer_fields);
    const std::size_t client_writer = round8(writer + detail::client_staging_size + 4);
    CHECK(sizeof(detail::frame_writer<role::server>) <= writer);
    CHECK(sizeof(detail::frame_writer<role::client>) <= client_writer);
    // The connection: reader, queue and 8 bytes of close and liveness state
    // (state, owed event, two flags, close status, heard and pinged), padded
    // to 8 before the writer; then the writer, the count output() handed out
    // (8), the peer's silent time (4, padded to 8), the options (72: limits
    // 32 with the compressed-message bound, three flags padded to 8,
    // fragment_size 8, five timer durations of 4 and compress_min_size,
    // 24), the key source and the pointer to the permessage-deflate state,
    // which lives on the heap once agreed (8). Server: 184 + 393 + 8 = 585
    // -> 592, + 96 + 8 + 8 + 72 + 8 = 784. Client: 176 + 405 + 8 = 589 ->
    // 592, + 1128 + 8 + 8 + 72 + 8 = 1816, + the system key source's 32-byte
    // pool and count (33) = 1849 -> 1856; with seeded keys (8): 1824.
    const std::size_t options = sizeof(connection_options);
    CHECK(options <= 72);
    CHECK(sizeof(server_connection) <= round8(reader + server_queue + 8) + writer + 8 + 8 + options + 8);
    CHECK(sizeof(client_connection) <= round8(round8(client_reader_size + client_queue + 8) + client_writer + 8 + 8 +
                                              options + 8 + sizeof(system_key_source)));
    CHECK(sizeof(seeded_client) <= round8(client_reader_size + client_queue + 8) + client_writer + 8 + 8 + options + 8 +
                                       sizeof(seeded_key_source));
    CHECK(sizeof(server_connection) <= 784);
    CHECK(sizeof(client_connection) <= 1856);
    CHECK(sizeof(seeded_client) <= 1824);
    // An event: seven one-byte fields (type, message, first, last, rsv, action,
    // err) and two codes (close code, HTTP status: 4), 11 padded to 16; consumed
    // and position (16); the payload span (16): 48.
    CHECK(sizeof(event) <= 48);
    // Output: two spans (32) and their count (8): 40.
    CHECK(sizeof(output_buffers) <= 40);
    // The assembler: its storage span (16), the size so far (8), the type and
    // the overflow flag (2, padded to 8): 32.
    CHECK(sizeof(message_assembler) <= 32);
    // A session holds the handshake or the connection, in one storage (since
    // a1df483; side by side before: 712 + 312 + 8 = 1032 for the server). The
    // handshake part (the handshake, the connection options and the key
    // source) fits in the connection's room, so the storage is the
    // connection's size. A server adds the preface that holds its 101 while
    // it is written (a heap buffer of 24, a count of 4, the key line's 1 + 32:
    // 61, padded to 64), whose tail padding takes the session's state and
    // part: 784 + 64 = 848, budget one word more. A client's state and part
    // take a word of their own: 1856 + 8 = 1864 (seeded keys: 1824 + 8 = 1832).
    CHECK(sizeof(server_handshake) + options <= sizeof(server_connection));
    CHECK(sizeof(client_handshake) + options + sizeof(system_key_source) <= sizeof(client_connection));
    CHECK(sizeof(detail::server_preface) <= round8(24 + 4 + 1 + 32));
    CHECK(sizeof(server_session) <= sizeof(server_connection) + sizeof(detail::server_preface) + 8);
    CHECK(sizeof(client_session) <= sizeof(client_connection) + 8);
    CHECK(sizeof(seeded_client_session) <= sizeof(seeded_client) + 8);
}
