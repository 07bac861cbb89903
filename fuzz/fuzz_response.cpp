// SPDX-License-Identifier: MIT
// fuzz/fuzz_response.cpp — libFuzzer target for the client side of the
// opening handshake (wscodec/client_handshake.hpp), fed what a server
// answers.
//
// Input layout (bytes past the end read as 0):
//   byte 0   bits 0-2 max_header_bytes (8192, 64, 200, 1, 512, 1024, 4096,
//            65536), bits 3-4 max_headers (100, 0, 2, 8), bits 5-7 which of
//            the subprotocols chat, superchat, v2.bin.example are offered
//   byte 1   bits 0-4 count S of piece sizes, bits 5-7 which of the
//            extensions "permessage-deflate; client_max_window_bits",
//            "x-webkit-deflate-frame", "x-test; a=\"1\"" are offered
//   byte 2   the nonce: 0-8 the nonce of a key in tests/http_samples.hpp
//            (0 the RFC 6455 one: dGhlIHNhbXBsZSBub25jZQ==, then chromium,
//            chromium_500, firefox, safari_webkit, curl, curl_ws,
//            python_websockets, node_ws), else 16 bytes derived from it
//   S bytes  piece sizes, in a cycle (0: a call with no new bytes); none:
//            byte by byte
//   rest     the response stream
//
// The stream is read twice: whole, in one call, and in pieces, each call
// passing the bytes not consumed so far plus the next piece.
// Oracles: no crash or sanitizer report; the request the client queues reads
// back through server_handshake as an upgrade request with its key and
// offers; whole and split give the same event, error, code and consumed
// count, failure positions that agree and the same response (status,
// reason, accept, subprotocol, flags, header sequence, extensions); bytes
// after the response are never consumed; open means status 101 over
// HTTP/1.1, Upgrade and Connection, one Sec-WebSocket-Accept equal to
// compute_accept(key()), a subprotocol and extensions among those offered,
// and a header sequence that an independent reading of the block finds; a
// failure is an HTTP error, and the reason it names holds
// (handshake_not_101: the status is not 101, with the body that came along,
// at most Content-Length bytes; handshake_bad_accept: the accept is missing or
// wrong; ...); its code is the status once the block was read, else 0.
#include <array>
#include <optional>
#include "handshake_harness.hpp"

namespace {

using namespace fuzz_handshake;

constexpr std::array<std::string_view, 3> all_subprotocols{"chat", "superchat", "v2.bin.example"};
constexpr std::array<std::string_view, 3> all_extensions{"permessage-deflate; client_max_window_bits",
                                                         "x-webkit-deflate-frame", "x-test; a=\"1\""};
constexpr std::array<std::string_view, 9> sample_keys{
    "dGhlIHNhbXBsZSBub25jZQ==", "CEMEVl0JaLJy/tlqJ9NF6g==", "MzBYF9uo0Cu7+nOomfthlg==",
    "G9tFBAuLIcNHtbGPtAxp8w==", "zPmry7kn3DmSbC5k9Mn0cQ==", "EF0r8lr0olHy79yXsE7YZQ==",
    "Fw0LTsCRZDVJGqpsZlcGjg==", "VJcl4ViAOu2fuOf7+1KKaA==", "Hdp2EpzXFT6XuK+fUWFL5Q=="};

struct config {
    handshake_options options;
    std::vector<std::string_view> subprotocols;
    std::vector<std::string_view> extensions;
    std::array<std::uint8_t, 16> nonce{};
    std::vector<std::size_t> pieces;
    std::string_view stream;
};

config parse_config(const std::uint8_t* data, std::size_t size) {
    reader in{std::string_view(reinterpret_cast<const char*>(data), size)};
    config c;
    const std::uint8_t b0 = in.next();
    const std::uint8_t b1 = in.next();
    const std::uint8_t b2 = in.next();
    c.options = options_from(b0);
    for (std::size_t i = 0; i < all_subprotocols.size(); ++i)
        if (((b0 >> (5 + i)) & 1u) != 0) c.subprotocols.push_back(all_subprotocols[i]);
    for (std::size_t i = 0; i < all_extensions.size(); ++i)
        if (((b1 >> (5 + i)) & 1u) != 0) c.extensions.push_back(all_extensions[i]);
    if (b2 < sample_keys.size()) {
        const detail::base64_result d = detail::base64_decode(sample_keys[b2], mutable_bytes(c.nonce));
        expect(d && d.size == c.nonce.size(), "a sample key does not decode to 16 bytes");
    } else {
        for (std::size_t i = 0; i < c.nonce.size(); ++i) c.nonce[i] = static_cast<std::uint8_t>(b2 * (i + 1) + i);
    }
    const std::string_view sizes = in.take(b1 & 0x1Fu);
    c.stream = in.rest();
    c.pieces = plan_pieces(sizes, c.stream.size());
    return c;
}

request_options request_for(const config& cfg) {
    request_options ro;
    ro.host = "example.com";
    ro.target = "/chat";
    ro.subprotocols = cfg.subprotocols;
    ro.extensions = cfg.extensions;
    return ro;
}

/// The request the client queues is one our server reads as an upgrade
/// request with the client's key and offers.
void check_request(const client_handshake& c, const config& cfg) {
    expect(c.state() == client_handshake_state::waiting, "client handshake did not start", error_name(c.failure()));
    expect(is_valid_key(c.key()), "client key is not a valid key");
    const bytes_view o = c.output();
    const std::string request(reinterpret_cast<const char*>(o.data()), o.size());
    server_handshake s;
    const exact_copy in(request);
    const event ev = s.receive(in.bytes());
    expect(ev.type == event_type::request, "our request does not read as an upgrade request", error_name(ev.err));
    expect(ev.consumed == request.size(), "our request reads to another length");
    const http_request& r = s.request();
    expect(r.key == c.key() && r.host == "example.com" && r.target == "/chat", "our request reads otherwise");
    std::vector<std::string_view> protocols;
    for (std::string_view p : r.subprotocols()) protocols.push_back(p);
    expect(protocols == cfg.subprotocols, "our request offers other subprotocols");
    std::vector<std::string_view> extensions;
    for (const extension& x : r.extensions()) extensions.push_back(x.text);
    expect(extensions == cfg.extensions, "our request offers other extensions");
}

/// Every field of a response, copied (the body apart: it depends on the split).
struct response_fields {
    std::uint8_t major = 0, minor = 0;
    std::uint16_t status = 0;
    std::string reason, accept, subprotocol, raw;
    std::optional<std::uint64_t> content_length;
    bool upgrade_websocket = false, connection_upgrade = false;
    field_list headers;
    std::vector<std::string> extension_names;
    friend bool operator==(const response_fields&, const response_fields&) = default;
};

response_fields copy_response(const http_response& r) {
    response_fields f;
    f.major = r.version_major;
    f.minor = r.version_minor;
    f.status = r.status;
    f.reason = r.reason;
    f.accept = r.accept;
    f.subprotocol = r.subprotocol;
    f.raw = r.raw;
    f.content_length = r.content_length;
    f.upgrade_websocket = r.upgrade_websocket;
    f.connection_upgrade = r.connection_upgrade;
    f.headers = copy_fields(r.headers());
    for (const extension& x : r.extensions()) f.extension_names.emplace_back(x.name);
    return f;
}

bool offered(const std::vector<std::string_view>& list, std::string_view s) {
    return std::find(list.begin(), list.end(), s) != list.end();
}

bool extension_offered(const config& cfg, std::string_view name) {
    return std::any_of(cfg.extensions.begin(), cfg.extensions.end(),
                       [name](std::string_view e) { return detail::iequals(detail::extension_name(e), name); });
}

struct run_result {
    read_result read;
    response_fields response;
};

run_result run(const config& cfg, const std::vector<std::size_t>& pieces) {
    client_handshake c(request_for(cfg), cfg.nonce, cfg.options);
    run_result out;
    const std::array<char, 28> expected = compute_accept(c.key());
    const std::string_view want_accept(expected.data(), expected.size());
    const auto on_event = [&](const event& ev, std::string_view input, const read_result& so_far) {
        const http_response& resp = c.response();
        out.response = copy_response(resp);
        const response_fields& r = out.response;
        const bool block = !r.raw.empty();
        if (block) {
            expect(r.raw == cfg.stream.substr(0, r.raw.size()) && so_far.consumed == r.raw.size(),
                   "response block is not the stream up to what was consumed");
            expect(r.headers == fields_of(r.raw), "headers() differs from an independent reading of the block");
        }
        if (ev.type == event_type::open) {
            expect(c.state() == client_handshake_state::open && ev.http_status == 0, "open but the state says otherwise");
            expect(block, "open without a response block");
            expect(r.status == 101 && r.major == 1 && r.minor >= 1, "open without 101 over HTTP/1.1");
            expect(r.upgrade_websocket && r.connection_upgrade,
                   "open without Upgrade: websocket and Connection: Upgrade");
            expect(count_fields(r.headers, "Sec-WebSocket-Accept") == 1 && r.accept == want_accept,
                   "open without exactly one matching Sec-WebSocket-Accept");
            expect(r.accept == *first_field(r.headers, "Sec-WebSocket-Accept"), "accept is not the field");
            expect(count_fields(r.headers, "Sec-WebSocket-Protocol") <= 1, "open with two subprotocol fields");
            expect(r.subprotocol.empty() || offered(cfg.subprotocols, r.subprotocol),
                   "open with a subprotocol not offered");
            for (const std::string& x : r.extension_names)
                expect(extension_offered(cfg, x), "open with an extension not offered", x.c_str());
            expect(resp.body.empty(), "open with a body");
            return;
        }
        expect(ev.type == event_type::failed, "unexpected event", event_type_name(ev.type));
        expect(c.state() == client_handshake_state::failed && c.failure() == ev.err,
               "failed but the state says otherwise");
        expect(kind_of(ev.err) == error_kind::http, "failed with an error that is not an HTTP one", error_name(ev.err));
        expect(ev.err != error::out_of_memory, "out of memory");
        expect(ev.http_status == (block ? r.status : 0), "failure code is not the status read", error_name(ev.err));
        if (!block) {
            expect(resp.body.empty(), "a body without a response block");
            return;
        }
        expect(ev.position == 0, "a refused block with a failure position");
        if (ev.err == error::handshake_not_101) {
            expect(r.status != 101 && r.major == 1, "handshake_not_101 for a 101");
            const std::size_t call_end = so_far.start + so_far.size;
            std::size_t n = call_end - so_far.consumed;
            if (r.content_length && *r.content_length < n) n = static_cast<std::size_t>(*r.content_length);
            expect(resp.body == cfg.stream.substr(so_far.consumed, n), "body is not what came after the block");
            expect(resp.body.empty() || (resp.body.data() >= input.data() &&
                                         resp.body.data() + resp.body.size() <= input.data() + input.size()),
                   "body does not view the input");
            return;
        }
        expect(resp.body.empty(), "a body with a 101");
        expect(r.status == 101 || ev.err == error::http_version_not_supported, "a refused non-101 that is not not_101");
        switch (ev.err) {
            case error::http_version_not_supported: expect(r.major != 1, "version refused for HTTP/1"); break;
            case error::handshake_http_too_old: expect(r.minor == 0, "too old for HTTP/1.1"); break;
            case error::handshake_no_upgrade_websocket:
                expect(!r.upgrade_websocket, "no upgrade with Upgrade: websocket");
                break;
            case error::handshake_no_connection_upgrade:
                expect(!r.connection_upgrade, "no connection upgrade with Connection: Upgrade");
                break;
            case error::handshake_duplicate_header:
                expect(count_fields(r.headers, "Sec-WebSocket-Accept") > 1 ||
                           count_fields(r.headers, "Sec-WebSocket-Protocol") > 1,
                       "duplicate header without a duplicate");
                break;
            case error::handshake_bad_accept:
                expect(count_fields(r.headers, "Sec-WebSocket-Accept") == 0 || r.accept != want_accept,
                       "bad accept for the right accept");
                break;
            case error::handshake_unexpected_subprotocol:
                expect(!offered(cfg.subprotocols, r.subprotocol), "unexpected subprotocol that was offered");
                break;
            case error::handshake_unexpected_extension: {
                const bool any = std::any_of(r.extension_names.begin(), r.extension_names.end(),
                                             [&](const std::string& x) { return !extension_offered(cfg, x); });
                expect(any, "unexpected extension when all were offered");
                break;
            }
            case error::handshake_bad_extensions: break;
            default: violation("a complete response refused for a reason not about responses", error_name(ev.err));
        }
    };
    out.read = read_all(c, cfg.stream, pieces, on_event);
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const config cfg = parse_config(data, size);
    check_request(client_handshake(request_for(cfg), cfg.nonce, cfg.options), cfg);
    const run_result whole = run(cfg, {cfg.stream.size()});
    const run_result split = run(cfg, cfg.pieces);
    compare_reads(whole.read, split.read, cfg.stream.size());
    if (whole.read.ev.type == split.read.ev.type)
        expect(whole.response == split.response, "split response differs from whole");
    return 0;
}
