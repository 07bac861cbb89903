// SPDX-License-Identifier: MIT
// tests/http_samples.hpp — opening-handshake requests and responses written out as
// real clients and servers send them (header order and case as they send them).
//
// Written by hand from what each client or server is known to send; keys are
// 16 random bytes in base64 (canonical: the character before "==" is one of
// A, Q, g, w), distinct per request. Every 101 carries the correct
// Sec-WebSocket-Accept for the key of the request it answers (RFC 6455 §4.2.2).
// Non-101 responses carry their bodies after the blank line.
#pragma once
#include <string_view>

namespace samples {

using namespace std::string_view_literals;

struct sample { const char* name; std::string_view bytes; std::string_view key; /* Sec-WebSocket-Key value, empty if none */ };

inline constexpr sample requests[] = {
    // Chromium / Google Chrome 124 on Linux, `new WebSocket("ws://localhost:9001/chat")`
    // from a page served by the same origin. Chromium's order: Host, Connection,
    // Pragma, Cache-Control, User-Agent, Upgrade, Origin, Sec-WebSocket-Version,
    // Accept-Encoding, Accept-Language, (Cookie), Sec-WebSocket-Key,
    // Sec-WebSocket-Extensions, (Sec-WebSocket-Protocol).
    {"chromium",
     "GET /chat HTTP/1.1\r\n"
     "Host: localhost:9001\r\n"
     "Connection: Upgrade\r\n"
     "Pragma: no-cache\r\n"
     "Cache-Control: no-cache\r\n"
     "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36\r\n"
     "Upgrade: websocket\r\n"
     "Origin: http://localhost:9001\r\n"
     "Sec-WebSocket-Version: 13\r\n"
     "Accept-Encoding: gzip, deflate, br, zstd\r\n"
     "Accept-Language: en-US,en;q=0.9\r\n"
     "Sec-WebSocket-Key: CEMEVl0JaLJy/tlqJ9NF6g==\r\n"
     "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
     "\r\n"sv,
     "CEMEVl0JaLJy/tlqJ9NF6g=="sv},
    // The benchmark request: the same Chrome 124 asking for subprotocols
    // `["chat", "superchat"]` and carrying a session cookie (562 bytes). Chromium puts
    // Cookie after Accept-Language and Sec-WebSocket-Protocol last.
    {"chromium_500",
     "GET /chat HTTP/1.1\r\n"
     "Host: localhost:9001\r\n"
     "Connection: Upgrade\r\n"
     "Pragma: no-cache\r\n"
     "Cache-Control: no-cache\r\n"
     "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36\r\n"
     "Upgrade: websocket\r\n"
     "Origin: http://localhost:9001\r\n"
     "Sec-WebSocket-Version: 13\r\n"
     "Accept-Encoding: gzip, deflate, br, zstd\r\n"
     "Accept-Language: en-US,en;q=0.9\r\n"
     "Cookie: sid=9f2c4e7a1b8d3f60\r\n"
     "Sec-WebSocket-Key: MzBYF9uo0Cu7+nOomfthlg==\r\n"
     "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
     "Sec-WebSocket-Protocol: chat, superchat\r\n"
     "\r\n"sv,
     "MzBYF9uo0Cu7+nOomfthlg=="sv},
    // Firefox 125 on Linux, same page. Firefox sends `Connection: keep-alive, Upgrade`,
    // offers permessage-deflate without parameters, adds the Sec-Fetch-* metadata,
    // and puts `Upgrade: websocket` last.
    {"firefox",
     "GET /chat HTTP/1.1\r\n"
     "Host: localhost:9001\r\n"
     "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0\r\n"
     "Accept: */*\r\n"
     "Accept-Language: en-US,en;q=0.5\r\n"
     "Accept-Encoding: gzip, deflate, br\r\n"
     "Sec-WebSocket-Version: 13\r\n"
     "Origin: http://localhost:9001\r\n"
     "Sec-WebSocket-Extensions: permessage-deflate\r\n"
     "Sec-WebSocket-Key: G9tFBAuLIcNHtbGPtAxp8w==\r\n"
     "Connection: keep-alive, Upgrade\r\n"
     "Sec-Fetch-Dest: empty\r\n"
     "Sec-Fetch-Mode: websocket\r\n"
     "Sec-Fetch-Site: same-origin\r\n"
     "Pragma: no-cache\r\n"
     "Cache-Control: no-cache\r\n"
     "Upgrade: websocket\r\n"
     "\r\n"sv,
     "G9tFBAuLIcNHtbGPtAxp8w=="sv},
    // Safari 14 on macOS: WebKit's own handshake writer (before Safari 15 switched
    // to the NSURLSession WebSocket by default). Upgrade and Connection come first,
    // User-Agent last, and the only extension offered is the pre-standard
    // x-webkit-deflate-frame, which a permessage-deflate server must ignore.
    {"safari_webkit",
     "GET /chat HTTP/1.1\r\n"
     "Upgrade: websocket\r\n"
     "Connection: Upgrade\r\n"
     "Host: localhost:9001\r\n"
     "Origin: http://localhost:9001\r\n"
     "Pragma: no-cache\r\n"
     "Cache-Control: no-cache\r\n"
     "Sec-WebSocket-Key: zPmry7kn3DmSbC5k9Mn0cQ==\r\n"
     "Sec-WebSocket-Version: 13\r\n"
     "Sec-WebSocket-Extensions: x-webkit-deflate-frame\r\n"
     "User-Agent: Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/14.1.2 Safari/605.1.15\r\n"
     "\r\n"sv,
     "zPmry7kn3DmSbC5k9Mn0cQ=="sv},
    // curl 8.5 (Ubuntu 24.04), the usual manual recipe:
    // `curl --include --no-buffer -H "Connection: Upgrade" -H "Upgrade: websocket"
    // -H "Sec-WebSocket-Version: 13" -H "Sec-WebSocket-Key: ..." http://localhost:9001/chat`.
    // curl writes Host, User-Agent, Accept, then the -H headers in command-line order.
    {"curl",
     "GET /chat HTTP/1.1\r\n"
     "Host: localhost:9001\r\n"
     "User-Agent: curl/8.5.0\r\n"
     "Accept: */*\r\n"
     "Connection: Upgrade\r\n"
     "Upgrade: websocket\r\n"
     "Sec-WebSocket-Version: 13\r\n"
     "Sec-WebSocket-Key: EF0r8lr0olHy79yXsE7YZQ==\r\n"
     "\r\n"sv,
     "EF0r8lr0olHy79yXsE7YZQ=="sv},
    // curl 8.11 with its native WebSocket support (`curl ws://localhost:9001/chat`):
    // after Host, User-Agent and Accept, lib/ws.c appends Upgrade, Connection,
    // Sec-WebSocket-Version, Sec-WebSocket-Key, in that order.
    {"curl_ws",
     "GET /chat HTTP/1.1\r\n"
     "Host: localhost:9001\r\n"
     "User-Agent: curl/8.11.1\r\n"
     "Accept: */*\r\n"
     "Upgrade: websocket\r\n"
     "Connection: Upgrade\r\n"
     "Sec-WebSocket-Version: 13\r\n"
     "Sec-WebSocket-Key: Fw0LTsCRZDVJGqpsZlcGjg==\r\n"
     "\r\n"sv,
     "Fw0LTsCRZDVJGqpsZlcGjg=="sv},
    // Python websockets 10.4 (Debian 12, Python 3.11) client,
    // `websockets.connect("ws://localhost:9001/chat")`: Host, then the four headers
    // of build_request, the permessage-deflate offer, and User-Agent last.
    {"python_websockets",
     "GET /chat HTTP/1.1\r\n"
     "Host: localhost:9001\r\n"
     "Upgrade: websocket\r\n"
     "Connection: Upgrade\r\n"
     "Sec-WebSocket-Key: VJcl4ViAOu2fuOf7+1KKaA==\r\n"
     "Sec-WebSocket-Version: 13\r\n"
     "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
     "User-Agent: Python/3.11 websockets/10.4\r\n"
     "\r\n"sv,
     "VJcl4ViAOu2fuOf7+1KKaA=="sv},
    // Node.js `ws` 8.x client, `new WebSocket("ws://localhost:9001/chat")`: the
    // headers ws sets, in its order, and then Host, which Node's http client
    // appends last. No User-Agent, no Origin.
    {"node_ws",
     "GET /chat HTTP/1.1\r\n"
     "Sec-WebSocket-Version: 13\r\n"
     "Sec-WebSocket-Key: Hdp2EpzXFT6XuK+fUWFL5Q==\r\n"
     "Connection: Upgrade\r\n"
     "Upgrade: websocket\r\n"
     "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
     "Host: localhost:9001\r\n"
     "\r\n"sv,
     "Hdp2EpzXFT6XuK+fUWFL5Q=="sv},
    // RFC 6455 §1.2 example client handshake, verbatim (its key is the §1.3 one).
    {"rfc6455",
     "GET /chat HTTP/1.1\r\n"
     "Host: server.example.com\r\n"
     "Upgrade: websocket\r\n"
     "Connection: Upgrade\r\n"
     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
     "Origin: http://example.com\r\n"
     "Sec-WebSocket-Protocol: chat, superchat\r\n"
     "Sec-WebSocket-Version: 13\r\n"
     "\r\n"sv,
     "dGhlIHNhbXBsZSBub25jZQ=="sv},
};

struct response_sample { const char* name; std::string_view bytes; std::string_view key /* the key of the request it answers */; int status; };

inline constexpr response_sample responses[] = {
    // RFC 6455 §1.2 example server handshake, verbatim, answering the rfc6455 request
    // and selecting the `chat` subprotocol.
    {"rfc6455_101",
     "HTTP/1.1 101 Switching Protocols\r\n"
     "Upgrade: websocket\r\n"
     "Connection: Upgrade\r\n"
     "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
     "Sec-WebSocket-Protocol: chat\r\n"
     "\r\n"sv,
     "dGhlIHNhbXBsZSBub25jZQ=="sv, 101},
    // Python websockets 10.4 server (`websockets.serve`, default compression)
    // answering the python_websockets request: build_response's three headers, the
    // accepted permessage-deflate with its 12-bit windows, then Date and Server.
    {"python_websockets_101",
     "HTTP/1.1 101 Switching Protocols\r\n"
     "Upgrade: websocket\r\n"
     "Connection: Upgrade\r\n"
     "Sec-WebSocket-Accept: h3AZl4LjNBcq20GcUctifnibmyI=\r\n"
     "Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=12; client_max_window_bits=12\r\n"
     "Date: Tue, 14 May 2024 09:30:12 GMT\r\n"
     "Server: Python/3.11 websockets/10.4\r\n"
     "\r\n"sv,
     "VJcl4ViAOu2fuOf7+1KKaA=="sv, 101},
    // Node.js `ws` 8.x WebSocketServer (perMessageDeflate off, its default)
    // answering the node_ws request: exactly the four lines ws writes.
    {"node_ws_101",
     "HTTP/1.1 101 Switching Protocols\r\n"
     "Upgrade: websocket\r\n"
     "Connection: Upgrade\r\n"
     "Sec-WebSocket-Accept: wNDbjQ6CBPqtuLEeKy+GE2kCOZo=\r\n"
     "\r\n"sv,
     "Hdp2EpzXFT6XuK+fUWFL5Q=="sv, 101},
    // nginx 1.22 reverse proxy (`proxy_set_header Upgrade/Connection`) in front of
    // a ws server, answering the firefox request. nginx writes Server, Date and its
    // own `Connection: upgrade` (lower-case value), then the upstream's headers
    // minus its Connection.
    {"nginx_101",
     "HTTP/1.1 101 Switching Protocols\r\n"
     "Server: nginx/1.22.1\r\n"
     "Date: Tue, 14 May 2024 09:31:05 GMT\r\n"
     "Connection: upgrade\r\n"
     "Upgrade: websocket\r\n"
     "Sec-WebSocket-Accept: 6yJ7bWYJ7JzCYdT+pYTpo/RgDso=\r\n"
     "\r\n"sv,
     "G9tFBAuLIcNHtbGPtAxp8w=="sv, 101},
    // Rust axum 0.7 on hyper 1.x answering the curl_ws request: hyper writes
    // header names in lower case, axum sends `connection: upgrade` first, and
    // hyper appends `date` last.
    {"axum_101",
     "HTTP/1.1 101 Switching Protocols\r\n"
     "connection: upgrade\r\n"
     "upgrade: websocket\r\n"
     "sec-websocket-accept: lpEn34bK0JXDyLR9iONLN0q13UU=\r\n"
     "date: Tue, 14 May 2024 09:32:40 GMT\r\n"
     "\r\n"sv,
     "Fw0LTsCRZDVJGqpsZlcGjg=="sv, 101},
    // nginx 1.22 `auth_basic "chat"` refusing the chromium request: nginx's
    // built-in 401 page with its Content-Length, and the challenge header last.
    {"nginx_401",
     "HTTP/1.1 401 Unauthorized\r\n"
     "Server: nginx/1.22.1\r\n"
     "Date: Tue, 14 May 2024 09:33:17 GMT\r\n"
     "Content-Type: text/html\r\n"
     "Content-Length: 179\r\n"
     "Connection: keep-alive\r\n"
     "WWW-Authenticate: Basic realm=\"chat\"\r\n"
     "\r\n"
     "<html>\r\n"
     "<head><title>401 Authorization Required</title></head>\r\n"
     "<body>\r\n"
     "<center><h1>401 Authorization Required</h1></center>\r\n"
     "<hr><center>nginx/1.22.1</center>\r\n"
     "</body>\r\n"
     "</html>\r\n"sv,
     "CEMEVl0JaLJy/tlqJ9NF6g=="sv, 401},
    // Python websockets 10.4 server with `origins=["https://chat.example.com"]`
    // refusing the safari_webkit request's Origin: Date, Server, Content-Length,
    // Content-Type, Connection: close, and a plain-text reason.
    {"python_websockets_403",
     "HTTP/1.1 403 Forbidden\r\n"
     "Date: Tue, 14 May 2024 09:34:02 GMT\r\n"
     "Server: Python/3.11 websockets/10.4\r\n"
     "Content-Length: 85\r\n"
     "Content-Type: text/plain\r\n"
     "Connection: close\r\n"
     "\r\n"
     "Failed to open a WebSocket connection: invalid Origin header: http://localhost:9001.\n"sv,
     "zPmry7kn3DmSbC5k9Mn0cQ=="sv, 403},
    // Node.js Express 4 app with no upgrade listener, redirecting the curl
    // request to its login page with `res.redirect("/login")` (text variant,
    // since curl accepts */*).
    {"express_302",
     "HTTP/1.1 302 Found\r\n"
     "X-Powered-By: Express\r\n"
     "Location: /login\r\n"
     "Vary: Accept\r\n"
     "Content-Type: text/plain; charset=utf-8\r\n"
     "Content-Length: 28\r\n"
     "Date: Tue, 14 May 2024 09:35:44 GMT\r\n"
     "Connection: keep-alive\r\n"
     "Keep-Alive: timeout=5\r\n"
     "\r\n"
     "Found. Redirecting to /login"sv,
     "EF0r8lr0olHy79yXsE7YZQ=="sv, 302},
    // Go net/http ServeMux with no handler for the path, answering the
    // python_websockets request with http.NotFound: the explicitly set headers
    // (sorted), then Date and Content-Length.
    {"go_404",
     "HTTP/1.1 404 Not Found\r\n"
     "Content-Type: text/plain; charset=utf-8\r\n"
     "X-Content-Type-Options: nosniff\r\n"
     "Date: Tue, 14 May 2024 09:36:21 GMT\r\n"
     "Content-Length: 19\r\n"
     "\r\n"
     "404 page not found\n"sv,
     "VJcl4ViAOu2fuOf7+1KKaA=="sv, 404},
    // Netty 4.1 WebSocketServerHandshakerFactory.sendUnsupportedVersionResponse
    // (RFC 6455 §4.2.2 item 4), here answering the node_ws request: Netty's header
    // names are lower case, and the body is empty.
    {"netty_426",
     "HTTP/1.1 426 Upgrade Required\r\n"
     "sec-websocket-version: 13\r\n"
     "content-length: 0\r\n"
     "\r\n"sv,
     "Hdp2EpzXFT6XuK+fUWFL5Q=="sv, 426},
};

}  // namespace samples
