// SPDX-License-Identifier: MIT
// bench/bench_handshake.cpp — the opening handshake's building blocks
// (wscodec/accept.hpp, RFC 6455 §4.2.2): compute_accept on a 24-character
// key (items processed = keys), and one-shot SHA-1 on the portable path and
// on the x86 SHA extensions, 64 bytes (a key plus GUID is 60) and 1 MiB
// (bytes processed). Each run checks its result.
//
// handshake/server/chromium: the whole server side of one handshake through
// the public API — parse and validate a Chrome request of 562 bytes (cookie,
// two subprotocols, an extension offer), accept with a subprotocol, and
// produce the 101 response with Sec-WebSocket-Accept (items = handshakes).
// handshake/client/response: the client side — validate the 101 it gets back.
#include <benchmark/benchmark.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>
#include <wscodec/accept.hpp>
#include <wscodec/handshake.hpp>
#include <wscodec/session.hpp>

#include "../tests/http_samples.hpp"

namespace {

using wscodec::detail::sha1_kernel;

/// compute_accept on the RFC's example key, read through an opaque copy each time.
void bm_accept(benchmark::State& state) {
    std::array<char, 24> key{};
    const std::string_view example = "dGhlIHNhbXBsZSBub25jZQ==";
    std::copy(example.begin(), example.end(), key.begin());
    std::array<char, 28> accept{};
    state.SetLabel(wscodec::detail::sha1_kernel_name(wscodec::detail::sha1_hasher().kernel()));
    for (auto _ : state) {
        benchmark::DoNotOptimize(key);
        accept = wscodec::compute_accept(std::string_view(key.data(), key.size()));
        benchmark::DoNotOptimize(accept);
    }
    if (std::string_view(accept.data(), accept.size()) != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        state.SkipWithError("compute_accept gave the wrong value");
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

/// One-shot SHA-1 of `n` pattern bytes on kernel `k`, checked against the portable path.
void bm_sha1(benchmark::State& state, std::size_t n, sha1_kernel k) {
    std::vector<std::uint8_t> data(n);
    for (std::size_t i = 0; i < n; ++i) data[i] = static_cast<std::uint8_t>(i * 131 + (i >> 9));
    const wscodec::bytes_view view(data);
    const wscodec::detail::sha1_digest want = wscodec::detail::sha1(view, sha1_kernel::portable);
    wscodec::detail::sha1_digest got{};
    state.SetLabel(wscodec::detail::sha1_kernel_name(wscodec::detail::sha1_hasher(k).kernel()));
    for (auto _ : state) {
        benchmark::DoNotOptimize(data.data());
        got = wscodec::detail::sha1(view, k);
        benchmark::DoNotOptimize(got);
    }
    if (state.iterations() > 0 && got != want) state.SkipWithError("SHA-1 differs from the portable path");
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(n));
}

/// The Chrome request with a cookie and two subprotocols (562 bytes), from the tests' samples.
const samples::sample& chromium_sample = [] () -> const samples::sample& {
    for (const samples::sample& r : samples::requests)
        if (std::string_view(r.name) == "chromium_500") return r;
    return samples::requests[0];
}();
const std::string_view chromium_request = chromium_sample.bytes;
const std::string_view chromium_key = chromium_sample.key;

wscodec::bytes_view as_bytes(std::string_view s) {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

/// The expected 101 for chromium_request accepted with subprotocol "chat".
std::string expected_101() {
    const std::array<char, 28> a = wscodec::compute_accept(chromium_key);
    return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
           std::string(a.data(), a.size()) + "\r\nSec-WebSocket-Protocol: chat\r\n\r\n";
}

/// Server handshake: parse, validate, accept, respond; every response is checked for size and one for content.
void bm_server_handshake(benchmark::State& state) {
    const std::string want = expected_101();
    std::string request(chromium_request);
    wscodec::accept_options opts;
    opts.subprotocol = "chat";
    std::int64_t ok = 0;
    std::string last;
    for (auto _ : state) {
        benchmark::DoNotOptimize(request.data());
        wscodec::server_handshake h;
        const wscodec::event ev = h.receive(as_bytes(request));
        const wscodec::error e = h.accept(opts);
        const wscodec::bytes_view out = h.output();
        ok += ev.type == wscodec::event_type::request && ev.consumed == request.size() && e == wscodec::error::none &&
              out.size() == want.size();
        benchmark::DoNotOptimize(out.data());
        if (ok == 1) last.assign(reinterpret_cast<const char*>(out.data()), out.size());
    }
    if (ok != state.iterations() || (ok > 0 && last != want)) state.SkipWithError("handshake gave a wrong response");
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(request.size()));
    state.SetLabel(wscodec::detail::sha1_kernel_name(wscodec::detail::sha1_hasher().kernel()));
}

/// The same through server_session (the object the README's echo loop uses).
void bm_server_session(benchmark::State& state) {
    const std::string want = expected_101();
    std::string request(chromium_request);
    wscodec::accept_options opts;
    opts.subprotocol = "chat";
    std::int64_t ok = 0;
    for (auto _ : state) {
        wscodec::server_session s;
        const wscodec::event ev = s.receive(wscodec::mutable_bytes(reinterpret_cast<std::uint8_t*>(request.data()), request.size()));
        const wscodec::error e = s.accept(opts);
        const wscodec::output_buffers out = s.output();
        ok += ev.type == wscodec::event_type::request && e == wscodec::error::none && out.size() == want.size();
        benchmark::DoNotOptimize(out.parts[0].data());
    }
    if (ok != static_cast<std::int64_t>(state.iterations())) state.SkipWithError("session handshake failed");
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

/// Client side: validate the server's 101 for a request the client built.
void bm_client_response(benchmark::State& state) {
    std::array<std::uint8_t, 16> nonce{};
    for (std::size_t i = 0; i < nonce.size(); ++i) nonce[i] = static_cast<std::uint8_t>(i * 37 + 1);
    const std::string_view protocols[] = {"chat", "superchat"};
    wscodec::request_options ro;
    ro.host = "localhost";
    ro.port = 9001;
    ro.target = "/chat";
    ro.subprotocols = protocols;
    const wscodec::client_handshake probe(ro, nonce);
    const std::array<char, 28> a = wscodec::compute_accept(probe.key());
    std::string response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
                           std::string(a.data(), a.size()) + "\r\nSec-WebSocket-Protocol: chat\r\n\r\n";
    std::int64_t ok = 0;
    for (auto _ : state) {
        wscodec::client_handshake c(ro, nonce);
        benchmark::DoNotOptimize(response.data());
        const wscodec::event ev = c.receive(as_bytes(response));
        ok += ev.type == wscodec::event_type::open && c.response().subprotocol == "chat";
    }
    if (ok != static_cast<std::int64_t>(state.iterations())) state.SkipWithError("client rejected the response");
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

[[maybe_unused]] const bool registered = [] {
    benchmark::RegisterBenchmark("handshake/accept/24", bm_accept);
    benchmark::RegisterBenchmark("handshake/server/chromium", bm_server_handshake);
    benchmark::RegisterBenchmark("handshake/session/chromium", bm_server_session);
    benchmark::RegisterBenchmark("handshake/client/response", bm_client_response);
    for (sha1_kernel k : {sha1_kernel::portable, sha1_kernel::sha_ni}) {
        if (!wscodec::detail::sha1_kernel_supported(k)) continue;
        for (std::size_t n : {std::size_t{64}, std::size_t{1048576}}) {
            const std::string name = "sha1/" + std::string(wscodec::detail::sha1_kernel_name(k)) + "/" + std::to_string(n);
            benchmark::RegisterBenchmark(name.c_str(), [=](benchmark::State& state) { bm_sha1(state, n, k); });
        }
    }
    return true;
}();

}  // namespace
