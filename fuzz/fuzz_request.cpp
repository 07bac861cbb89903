// SPDX-License-Identifier: MIT
// fuzz/fuzz_request.cpp — libFuzzer target for the server side of the opening
// handshake (wscodec/server_handshake.hpp), fed what a client sends.
//
// Input layout (bytes past the end read as 0):
//   byte 0   bits 0-2 max_header_bytes (8192, 64, 200, 1, 512, 1024, 4096,
//            65536), bits 3-4 max_headers (100, 0, 2, 8), bit 5 answer an
//            upgrade request with respond() instead of accept(), bit 6
//            accept() the first offered extension too, bit 7 one extra header
//            field in the answer
//   byte 1   bits 0-4 count S of piece sizes, bits 5-7 respond() status (200,
//            403, 404, 301, 401, 426, 500, 503)
//   S bytes  piece sizes, in a cycle (0: a call with no new bytes); none:
//            byte by byte
//   rest     the request stream
//
// The stream is read twice: whole, in one call, and in pieces, each call
// passing the bytes not consumed so far plus the next piece.
// Oracles: no crash or sanitizer report; whole and split give the same event,
// error, code and consumed count, failure positions that agree, the same
// request (every field, the header sequence, the offered subprotocols and
// extensions) and the same answer bytes; bytes after the request are never
// consumed; a plain request has no Sec-WebSocket-Key or -Version and no
// Connection: upgrade without an Upgrade field; an upgrade request is a valid
// one (GET, HTTP/1.1, a valid key, version 13, no body), and its header
// sequence is what an independent reading of the block finds; accept()
// succeeds and writes exactly the 101 response built here from
// compute_accept(key), which a client_handshake holding the same key (when it
// is canonical base64) opens with; respond() succeeds and writes exactly the
// response built here; a failure is an HTTP error whose code is
// http_status_for(err), with an error response queued that ends the
// connection, carries the error's message as its body and reads back through
// client_handshake as that status and body.
#include <array>
#include <optional>
#include "handshake_harness.hpp"

namespace {

using namespace fuzz_handshake;

struct config {
    handshake_options options;
    bool respond_upgrade = false;
    bool accept_extension = false;
    bool extra_header = false;
    std::uint16_t status = 200;
    std::vector<std::size_t> pieces;
    std::string_view stream;
};

config parse_config(const std::uint8_t* data, std::size_t size) {
    reader in{std::string_view(reinterpret_cast<const char*>(data), size)};
    config c;
    const std::uint8_t b0 = in.next();
    const std::uint8_t b1 = in.next();
    c.options = options_from(b0);
    c.respond_upgrade = (b0 & 0x20u) != 0;
    c.accept_extension = (b0 & 0x40u) != 0;
    c.extra_header = (b0 & 0x80u) != 0;
    constexpr std::uint16_t statuses[8] = {200, 403, 404, 301, 401, 426, 500, 503};
    c.status = statuses[b1 >> 5];
    const std::string_view sizes = in.take(b1 & 0x1Fu);
    c.stream = in.rest();
    c.pieces = plan_pieces(sizes, c.stream.size());
    return c;
}

constexpr std::string_view reason_for(std::uint16_t status) {
    switch (status) {
        case 200: return "OK";
        case 301: return "Moved Permanently";
        case 401: return "Unauthorized";
        case 403: return "Forbidden";
        case 404: return "Not Found";
        case 426: return "Upgrade Required";
        case 500: return "Internal Server Error";
        case 503: return "Service Unavailable";
        default: return "";
    }
}

constexpr http_header extra_header{"Set-Cookie", "sid=1; HttpOnly"};
constexpr std::string_view respond_body = "served over HTTP\n";

std::string extra_line() { return std::string(extra_header.name) + ": " + std::string(extra_header.value) + "\r\n"; }

/// Every field of a request, copied.
struct request_fields {
    std::string method, target, host, origin, key, websocket_version, raw;
    std::uint8_t major = 0, minor = 0;
    std::optional<std::uint64_t> content_length;
    bool transfer_encoding = false, upgrade_websocket = false, connection_upgrade = false;
    field_list headers;
    std::vector<std::string> subprotocols, extension_names, extension_texts;
    friend bool operator==(const request_fields&, const request_fields&) = default;
};

request_fields copy_request(const http_request& r) {
    request_fields f;
    f.method = r.method;
    f.target = r.target;
    f.host = r.host;
    f.origin = r.origin;
    f.key = r.key;
    f.websocket_version = r.websocket_version;
    f.raw = r.raw;
    f.major = r.version_major;
    f.minor = r.version_minor;
    f.content_length = r.content_length;
    f.transfer_encoding = r.transfer_encoding;
    f.upgrade_websocket = r.upgrade_websocket;
    f.connection_upgrade = r.connection_upgrade;
    f.headers = copy_fields(r.headers());
    for (std::string_view p : r.subprotocols()) f.subprotocols.emplace_back(p);
    for (const extension& x : r.extensions()) {
        f.extension_names.emplace_back(x.name);
        f.extension_texts.emplace_back(x.text);
    }
    return f;
}

/// The 101 response accept() must write.
std::string expected_101(std::string_view key, std::string_view subprotocol, std::string_view extensions,
                         bool extra) {
    const std::array<char, 28> accept = compute_accept(key);
    std::string s = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n";
    s += "Sec-WebSocket-Accept: ";
    s.append(accept.data(), accept.size());
    s += "\r\n";
    if (!subprotocol.empty()) s += "Sec-WebSocket-Protocol: " + std::string(subprotocol) + "\r\n";
    if (!extensions.empty()) s += "Sec-WebSocket-Extensions: " + std::string(extensions) + "\r\n";
    if (extra) s += extra_line();
    return s + "\r\n";
}

/// The response respond(status, extra header?, respond_body) must write.
std::string expected_response(std::uint16_t status, bool extra, bool head) {
    std::string s = "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason_for(status)) + "\r\n";
    if (extra) s += extra_line();
    s += "Content-Length: " + std::to_string(respond_body.size()) + "\r\nConnection: close\r\n\r\n";
    if (!head) s += respond_body;
    return s;
}

/// Reads `response` as a client does: not a 101, so handshake_not_101 with
/// `status`, and `body` as far as Content-Length says.
void read_back_refusal(std::string_view response, std::uint16_t status, std::string_view body) {
    request_options ro;
    ro.host = "example.com";
    client_handshake c(ro, std::array<std::uint8_t, 16>{});
    const exact_copy in(response);
    const event ev = c.receive(in.bytes());
    expect(ev.type == event_type::failed && ev.err == error::handshake_not_101, "our response does not read back",
           error_name(ev.err));
    expect(ev.http_status == status && c.response().status == status, "our response reads back with another status");
    expect(ev.consumed == response.size() - body.size(), "our response's header block reads back another length");
    expect(c.response().body == body, "our response's body reads back otherwise");
}

/// The checks every failure passes; `out` is the error response queued.
void check_failure(const event& ev, std::string_view out) {
    const error e = ev.err;
    expect(kind_of(e) == error_kind::http, "failed with an error that is not an HTTP one", error_name(e));
    expect(e != error::out_of_memory, "out of memory");
    expect(http_status_for(e) == ev.http_status, "failure code is not http_status_for(err)", error_name(e));
    const std::string head = "HTTP/1.1 " + std::to_string(ev.http_status) + " ";
    expect(out.substr(0, head.size()) == head, "error response does not start with its status line");
    expect(!out.empty() && out.back() == '\n', "error response does not end with a newline");
    const std::size_t end = out.find("\r\n\r\n");
    expect(end != std::string_view::npos, "error response has no blank line");
    const std::string_view fields = out.substr(0, end + 2);
    const std::string_view body = out.substr(end + 4);
    // A 426 names the upgrade in Connection too (RFC 9110 §7.8, §15.5.22).
    const std::string_view connection =
        ev.http_status == 426 ? "\r\nConnection: upgrade, close\r\n" : "\r\nConnection: close\r\n";
    expect(fields.find(connection) != std::string_view::npos, "error response without Connection: close");
    expect(fields.find("\r\nContent-Length: " + std::to_string(body.size()) + "\r\n") != std::string_view::npos,
           "error response Content-Length is not its body's");
    expect(body == std::string(error_message(e)) + "\n", "error response body is not the error's message");
    if (ev.http_status == 426)
        expect(fields.find("\r\nUpgrade: websocket\r\n") != std::string_view::npos, "426 without Upgrade: websocket");
    if (ev.http_status == 426)
        expect(fields.find("\r\nSec-WebSocket-Version: 13\r\n") != std::string_view::npos,
               "426 without Sec-WebSocket-Version: 13 (RFC 6455 4.2.2)");
    if (ev.http_status == 405) expect(fields.find("\r\nAllow: GET\r\n") != std::string_view::npos, "405 without Allow");
    read_back_refusal(out, ev.http_status, body);
}

/// What a request that server_handshake reports is: valid as far as §4.2.1 goes.
void check_request(const event& ev, const request_fields& r, std::string_view stream) {
    expect(r.raw == stream.substr(0, r.raw.size()), "request block is not the start of the stream");
    expect(r.headers == fields_of(r.raw), "headers() differs from an independent reading of the block");
    expect(r.major == 1, "request of a major version other than 1 reported");
    const std::string* host = first_field(r.headers, "Host");
    expect(host == nullptr ? r.host.empty() : *host == r.host, "host is not the Host field");
    if (ev.type == event_type::http_request) {
        expect(!r.upgrade_websocket, "http_request for an upgrade");
        expect(count_fields(r.headers, "Sec-WebSocket-Key") == 0 && count_fields(r.headers, "Sec-WebSocket-Version") == 0,
               "http_request with Sec-WebSocket-Key or -Version (a WebSocket request without Upgrade: websocket)");
        expect(!r.connection_upgrade || count_fields(r.headers, "Upgrade") != 0,
               "http_request with Connection: upgrade and no Upgrade field");
        return;
    }
    expect(r.upgrade_websocket && r.connection_upgrade, "request without Upgrade: websocket and Connection: Upgrade");
    expect(r.method == "GET" && r.minor >= 1, "request that is not GET over HTTP/1.1");
    expect(count_fields(r.headers, "Host") == 1, "request without exactly one Host");
    expect(count_fields(r.headers, "Sec-WebSocket-Key") == 1 && r.key == *first_field(r.headers, "Sec-WebSocket-Key"),
           "request without exactly one key");
    expect(is_valid_key(r.key), "request with an invalid key");
    expect(count_fields(r.headers, "Sec-WebSocket-Version") == 1 && r.websocket_version == "13",
           "request without version 13");
    expect(!r.transfer_encoding && (!r.content_length || *r.content_length == 0), "request with a body");
}

/// A client that sent this key opens with `response` (canonical keys only: a
/// client_handshake is built from the nonce).
void check_client_opens(std::string_view key, std::string_view response, std::string_view subprotocol,
                        std::string_view extension) {
    std::array<std::uint8_t, 16> nonce{};
    const detail::base64_result d = detail::base64_decode(key, mutable_bytes(nonce));
    if (!d || d.size != nonce.size()) return;
    std::array<char, 24> again{};
    expect(detail::base64_encode(bytes_view(nonce), std::span<char>(again)) == again.size() &&
               std::string_view(again.data(), again.size()) == key,
           "a decoded key does not encode back");
    const std::array<std::string_view, 1> protocols{subprotocol};
    const std::array<std::string_view, 1> extensions{extension};
    request_options ro;
    ro.host = "example.com";
    if (!subprotocol.empty()) ro.subprotocols = protocols;
    if (!extension.empty()) ro.extensions = extensions;
    client_handshake c(ro, nonce);
    expect(c.state() == client_handshake_state::waiting, "client handshake for the echo did not start");
    expect(c.key() == key, "client key differs from its nonce's encoding");
    const exact_copy in(response);
    const event ev = c.receive(in.bytes());
    expect(ev.type == event_type::open, "a client does not open with our 101", error_name(ev.err));
    expect(ev.consumed == response.size(), "a client reads our 101 to another length");
    expect(c.response().subprotocol == subprotocol, "a client reads another subprotocol");
}

struct run_result {
    read_result read;
    request_fields request;
    std::string answer;  // the bytes queued: 101, response, or error response
};

run_result run(const config& cfg, const std::vector<std::size_t>& pieces) {
    server_handshake hs(cfg.options);
    run_result out;
    const auto on_event = [&](const event& ev, std::string_view, const read_result& so_far) {
        switch (ev.type) {
            case event_type::failed: {
                expect(hs.state() == server_handshake_state::failed && hs.failure() == ev.err,
                       "failed but the state says otherwise");
                const bytes_view o = hs.output();
                out.answer.assign(reinterpret_cast<const char*>(o.data()), o.size());
                check_failure(ev, out.answer);
                break;
            }
            case event_type::request:
            case event_type::http_request: {
                const bool upgrade = ev.type == event_type::request;
                expect(hs.state() == (upgrade ? server_handshake_state::upgrade_request
                                              : server_handshake_state::http_request),
                       "request reported but the state says otherwise");
                expect(hs.output().empty(), "output before an answer");
                out.request = copy_request(hs.request());
                const request_fields& r = out.request;
                expect(so_far.consumed == r.raw.size(), "request consumed is not its block");
                expect(hs.request().header("Host").value_or("") == r.host, "header(Host) is not host");
                const std::vector<http_header> extra =
                    cfg.extra_header ? std::vector<http_header>{extra_header} : std::vector<http_header>{};
                if (upgrade && !cfg.respond_upgrade) {
                    const std::string subprotocol = r.subprotocols.empty() ? std::string() : r.subprotocols.front();
                    const std::string extension = cfg.accept_extension && !r.extension_texts.empty()
                                                      ? r.extension_texts.front()
                                                      : std::string();
                    accept_options ao;
                    ao.subprotocol = subprotocol;
                    ao.extensions = extension;
                    ao.headers = extra;
                    const error e = hs.accept(ao);
                    expect(e == error::none, "accept() of a valid request failed", error_name(e));
                    expect(hs.state() == server_handshake_state::accepted, "accepted but the state says otherwise");
                    const bytes_view o = hs.output();
                    out.answer.assign(reinterpret_cast<const char*>(o.data()), o.size());
                    expect(out.answer == expected_101(r.key, subprotocol, extension, cfg.extra_header),
                           "accept() wrote another 101 than the one built here");
                    check_client_opens(r.key, out.answer, subprotocol, extension);
                } else {
                    const error e = hs.respond(cfg.status, extra, respond_body);
                    expect(e == error::none, "respond() failed", error_name(e));
                    expect(hs.state() == server_handshake_state::responded, "responded but the state says otherwise");
                    const bytes_view o = hs.output();
                    out.answer.assign(reinterpret_cast<const char*>(o.data()), o.size());
                    const bool head = r.method == "HEAD";
                    expect(out.answer == expected_response(cfg.status, cfg.extra_header, head),
                           "respond() wrote another response than the one built here");
                    read_back_refusal(out.answer, cfg.status, head ? std::string_view{} : respond_body);
                }
                break;
            }
            default: violation("unexpected event", event_type_name(ev.type));
        }
        // Answered: no second answer, and output drains.
        expect(hs.accept() == error::handshake_not_ready, "a second accept()");
        expect(hs.respond(200) == error::handshake_not_ready, "a second respond()");
        hs.consume(1);
        expect(hs.output().size() + 1 == out.answer.size() || out.answer.empty(), "consume(1) did not take one byte");
        hs.consume(out.answer.size());
        expect(hs.output().empty(), "consume() did not drain the output");
    };
    out.read = read_all(hs, cfg.stream, pieces, on_event);
    if (out.read.ev.type == event_type::request || out.read.ev.type == event_type::http_request)
        check_request(out.read.ev, out.request, cfg.stream);
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const config cfg = parse_config(data, size);
    const run_result whole = run(cfg, {cfg.stream.size()});
    const run_result split = run(cfg, cfg.pieces);
    compare_reads(whole.read, split.read, cfg.stream.size());
    if (whole.read.ev.type == split.read.ev.type) {
        expect(whole.request == split.request, "split request differs from whole");
        expect(whole.answer == split.answer, "split answer differs from whole");
    }
    return 0;
}
