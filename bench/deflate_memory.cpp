// SPDX-License-Identifier: MIT
// bench/deflate_memory.cpp — the memory one server connection's
// permessage-deflate (RFC 7692) takes with wscodec/zlib.hpp, for each
// zlib_options preset and the window parameters a browser peer brings.
// Prints a Markdown table. Built only when zlib is found.
//
// Every byte goes through a counting deflate_allocator (zlib_options::alloc):
// the backend's block (the two streams and the inflate and deflate buffers)
// and zlib's own allocations behind the streams. For each row:
//   idle   bytes held right after use_deflate(), before any message;
//   peak   the most held while the server compresses one 64 KiB JSON text
//          message and inflates one (compressed by a client with the same
//          preset, whose memory is not counted);
//   after  bytes held once both messages are done.
// Rows: the parameters a browser gets from a server with deflate_params{}
// (both windows 15, context takeover), a server that asked
// client_max_window_bits=10, and each with no_context_takeover both ways.
// Only the preset's options decide the compressor's window (at most
// max_deflate_window_bits); the inflater's is the peer's (15 or 10).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <new>
#include <string>
#include <vector>
#include <wscodec/wscodec.hpp>
#include <wscodec/zlib.hpp>

#include "common.hpp"

namespace {

using wscodec::bytes_view;
using wscodec::event;
using wscodec::event_type;
using wscodec::message_type;
using wscodec::mutable_bytes;

/// Bytes held and the most ever held, through a deflate_allocator.
struct counter {
    std::size_t current = 0;
    std::size_t peak = 0;
    std::size_t allocations = 0;

    static constexpr std::size_t header = alignof(std::max_align_t);  // the size, in front of each block

    static void* allocate(void* ctx, std::size_t n) {
        auto* c = static_cast<counter*>(ctx);
        auto* p = static_cast<unsigned char*>(::operator new(n + header, std::nothrow));
        if (p == nullptr) return nullptr;
        std::memcpy(p, &n, sizeof n);
        c->current += n;
        c->peak = std::max(c->peak, c->current);
        ++c->allocations;
        return p + header;
    }
    static void deallocate(void* ctx, void* q) {
        if (q == nullptr) return;
        auto* c = static_cast<counter*>(ctx);
        unsigned char* p = static_cast<unsigned char*>(q) - header;
        std::size_t n = 0;
        std::memcpy(&n, p, sizeof n);
        c->current -= n;
        ::operator delete(p);
    }
    wscodec::deflate_allocator allocator() noexcept { return {&allocate, &deallocate, this}; }
};

/// A JSON text message of exactly `n` bytes: a batch of trades and chat lines.
std::vector<std::uint8_t> json_message(std::size_t n, std::uint64_t seed) {
    static constexpr const char* symbols[] = {"BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT", "DOGEUSDT", "ADAUSDT"};
    static constexpr const char* users[] = {"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"};
    static constexpr const char* words[] = {"the", "order", "book", "is", "thin", "today", "see", "you", "at",
                                            "standup", "price", "moved", "again", "deploy", "done", "thanks"};
    bench::splitmix rng(seed);
    std::string s = "{\"type\":\"batch\",\"seq\":" + std::to_string(seed) + ",\"events\":[";
    double price = 43000.0;
    for (std::uint64_t seq = 0;; ++seq) {
        char buf[256];
        int k = 0;
        if (rng.below(10) < 6) {
            price *= 1.0 + (rng.unit() - 0.5) * 0.002;
            k = std::snprintf(buf, sizeof buf, "{\"e\":\"trade\",\"s\":\"%s\",\"t\":%llu,\"p\":\"%.2f\",\"q\":\"%.5f\"}",
                              symbols[rng.below(std::size(symbols))], static_cast<unsigned long long>(seq), price,
                              rng.unit() * 3.0);
        } else {
            std::string text;
            for (std::size_t i = 0, w = 3 + rng.below(10); i < w; ++i) {
                if (i != 0) text += ' ';
                text += words[rng.below(std::size(words))];
            }
            k = std::snprintf(buf, sizeof buf, "{\"type\":\"message\",\"user\":\"%s\",\"id\":%llu,\"text\":\"%s\"}",
                              users[rng.below(std::size(users))], static_cast<unsigned long long>(seq), text.c_str());
        }
        const std::size_t comma = s.back() == '[' ? 0 : 1;
        if (s.size() + comma + static_cast<std::size_t>(k) + 2 > n) break;
        if (comma != 0) s += ',';
        s.append(buf, static_cast<std::size_t>(k));
    }
    s.append(n - 2 - s.size(), ' ');
    s += "]}";
    return {s.begin(), s.end()};
}

/// Everything `c` has to write.
template <class Conn>
std::vector<std::uint8_t> drain(Conn& c) {
    std::vector<std::uint8_t> out;
    for (;;) {
        const std::size_t at = out.size();
        out.resize(at + 65536);
        const std::size_t k = c.copy_output(mutable_bytes(out.data() + at, 65536));
        out.resize(at + k);
        if (k == 0) return out;
    }
}

/// Receives `in` whole with `c`; the data pieces appended to `got`. False on
/// any event but data and need_more.
template <class Conn>
bool receive_all(Conn& c, mutable_bytes in, std::vector<std::uint8_t>& got) {
    for (;;) {
        const event ev = c.receive(in);
        if (ev.type == event_type::data) got.insert(got.end(), ev.payload.begin(), ev.payload.end());
        else if (ev.type != event_type::need_more) return false;
        else if (!c.has_pending_event()) return true;
        in = in.subspan(ev.consumed);
    }
}

struct preset {
    const char* name;
    wscodec::zlib_options options;
};

struct peer {
    const char* name;
    wscodec::deflate_params params;
};

struct row {
    std::size_t idle = 0, peak = 0, after = 0, allocations = 0;
    std::size_t wire_out = 0, wire_in = 0;
    bool ok = false;
};

row measure(const wscodec::zlib_options& preset_options, const wscodec::deflate_params& params,
            const std::vector<std::uint8_t>& to_send, const std::vector<std::uint8_t>& to_receive) {
    row r;
    counter count;
    wscodec::zlib_options o = preset_options;
    o.alloc = count.allocator();
    wscodec::zlib_backend counted(o);
    wscodec::zlib_backend uncounted(preset_options);  // the client's
    {
        wscodec::server_connection server;
        wscodec::connection<wscodec::role::client, wscodec::seeded_key_source> client({}, wscodec::seeded_key_source(3));
        if (server.use_deflate(counted, params) != wscodec::error::none ||
            client.use_deflate(uncounted, params) != wscodec::error::none)
            return r;
        r.idle = count.current;
        count.peak = count.current;

        // The server compresses one message; a client checks it.
        if (server.send(message_type::text, bytes_view(to_send)) != wscodec::error::none) return r;
        std::vector<std::uint8_t> wire = drain(server);
        r.wire_out = wire.size();
        std::vector<std::uint8_t> got;
        if (!receive_all(client, wire, got) || got != to_send) return r;

        // The server inflates one the client compressed.
        if (client.send(message_type::text, bytes_view(to_receive)) != wscodec::error::none) return r;
        wire = drain(client);
        r.wire_in = wire.size();
        got.clear();
        if (!receive_all(server, wire, got) || got != to_receive) return r;
        r.peak = count.peak;
        r.after = count.current;
        r.allocations = count.allocations;
    }
    r.ok = count.current == 0;  // all given back when the connection went
    return r;
}

std::string kib(std::size_t n) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%zu (%.1f KiB)", n, static_cast<double>(n) / 1024.0);
    return buf;
}

}  // namespace

int main() {
    const preset presets[] = {
        {"balanced", wscodec::zlib_options::balanced()},
        {"max_compression", wscodec::zlib_options::max_compression()},
        {"low_memory", wscodec::zlib_options::low_memory()},
    };
    wscodec::deflate_params browser{};
    wscodec::deflate_params browser_nct{};
    browser_nct.server_no_context_takeover = browser_nct.client_no_context_takeover = true;
    wscodec::deflate_params small{};
    small.client_max_window_bits = 10;
    wscodec::deflate_params small_nct = small;
    small_nct.server_no_context_takeover = small_nct.client_no_context_takeover = true;
    const peer peers[] = {
        {"windows 15/15", browser},
        {"windows 15/15", browser_nct},
        {"client_max_window_bits=10", small},
        {"client_max_window_bits=10", small_nct},
    };
    const std::vector<std::uint8_t> out_message = json_message(65536, 1);
    const std::vector<std::uint8_t> in_message = json_message(65536, 2);

    std::printf("Bytes per server connection for permessage-deflate (zlib %s), counted through\n"
                "zlib_options::alloc: the backend's block with both buffers, and zlib's state.\n"
                "peak: while one 64 KiB JSON text message is compressed and one inflated.\n\n",
                zlibVersion());
    std::printf("| preset | peer's parameters | context takeover | idle after use_deflate | peak | after the messages | allocations | wire out / in |\n");
    std::printf("|---|---|---|---:|---:|---:|---:|---:|\n");
    bool all_ok = true;
    for (const preset& p : presets) {
        for (const peer& q : peers) {
            const row r = measure(p.options, q.params, out_message, in_message);
            all_ok = all_ok && r.ok;
            const bool takeover = !q.params.server_no_context_takeover;
            std::printf("| %s | %s | %s | %s | %s | %s | %zu | %zu / %zu |%s\n", p.name, q.name,
                        takeover ? "yes" : "no", kib(r.idle).c_str(), kib(r.peak).c_str(), kib(r.after).c_str(),
                        r.allocations, r.wire_out, r.wire_in, r.ok ? "" : " FAILED");
        }
    }
    std::printf("\n| type | sizeof |\n|---|---:|\n");
    std::printf("| wscodec::server_connection | %zu |\n", sizeof(wscodec::server_connection));
    std::printf("| wscodec::server_session | %zu |\n", sizeof(wscodec::server_session));
    std::printf("| wscodec::client_connection | %zu |\n", sizeof(wscodec::client_connection));
    std::printf("| wscodec::zlib_inflater | %zu |\n", sizeof(wscodec::zlib_inflater));
    std::printf("| wscodec::zlib_deflater | %zu |\n", sizeof(wscodec::zlib_deflater));
    std::printf("| wscodec::zlib_backend | %zu |\n", sizeof(wscodec::zlib_backend));
    return all_ok ? 0 : 1;
}
