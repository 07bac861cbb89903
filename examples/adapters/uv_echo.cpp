// SPDX-License-Identifier: MIT
// examples/adapters/uv_echo.cpp — the echo server on libuv, through the
// optional adapter wscodec/libuv.hpp: every message comes back whole, with
// its type. The adapter reads, writes, runs the session's timers and closes
// TCP; this file only says what to do with a message.
//
//   uv_echo [--host 127.0.0.1] [--port 9001] [--max-message-size 16777216]
//           [--no-deflate] [--deflate-window-bits 9..15] [--deflate-no-context-takeover]
//
// permessage-deflate (wscodec/zlib.hpp) is agreed with every client that
// offers it, unless --no-deflate, as in examples/echo_server.cpp. SIGINT or
// SIGTERM: every open connection gets close 1001, and once the close
// handshakes are done the server exits with status 0.
#include <uv.h>

#include <csignal>
#include <cstdio>
#include <limits>
#include <string>
#include <wscodec/libuv.hpp>
#include <wscodec/zlib.hpp>

#include "../common.hpp"  // flags: examples::arg_reader, server_flags, deflate_flags

namespace {

struct flags {
    examples::server_flags server;
    examples::deflate_flags deflate;
};

/// --host, --port, --max-message-size and the deflate flags; exits with status 2 on anything else.
flags parse_flags(int argc, char** argv) {
    const char* usage =
        "[--host ADDRESS] [--port N] [--max-message-size BYTES] [--no-deflate] "
        "[--deflate-window-bits 9..15] [--deflate-no-context-takeover]";
    flags f;
    f.server.port = 9001;
    examples::arg_reader args(argc, argv);
    while (const auto a = args.next()) {
        if (*a == "--help" || *a == "-h") {
            std::printf("usage: %s %s\n", argv[0], usage);
            std::exit(0);
        }
        if (f.deflate.take(*a, args, argv[0], usage)) continue;
        if (*a != "--host" && *a != "--port" && *a != "--max-message-size")
            examples::usage_error(argv[0], usage, "unknown argument: " + std::string(*a));
        const auto v = args.value();
        if (!v) examples::usage_error(argv[0], usage, std::string(*a) + " needs a value");
        if (*a == "--host") f.server.host = std::string(*v);
        else if (*a == "--port" && !examples::parse_number(*v, f.server.port))
            examples::usage_error(argv[0], usage, "bad port: " + std::string(*v));
        else if (*a == "--max-message-size" &&
                 (!examples::parse_number(*v, f.server.max_message_size) || f.server.max_message_size == 0 ||
                  f.server.max_message_size > static_cast<std::uint64_t>(std::numeric_limits<std::ptrdiff_t>::max())))
            examples::usage_error(argv[0], usage, "bad size: " + std::string(*v));
    }
    return f;
}

}  // namespace

// ------------------------------------------------- the WebSocket part

int main(int argc, char** argv) {
    const flags f = parse_flags(argc, argv);
    std::signal(SIGPIPE, SIG_IGN);  // a vanished peer shows up as UV_EPIPE
    uv_loop_t* loop = uv_default_loop();

    wscodec::zlib_backend zlib;  // outlives every connection
    wscodec::uv::options options;
    options.session.connection.limits.max_message_size = f.server.max_message_size;
    options.session.connection.limits.max_frame_size = f.server.max_message_size;
    options.queue.max_bytes = static_cast<std::size_t>(f.server.max_message_size) * 2;  // an echo always fits
    f.deflate.apply_server(zlib, options.session);

    wscodec::uv::handlers<wscodec::role::server> on;
    on.on_message = [](wscodec::uv::server& ws, wscodec::message_type type, wscodec::bytes_view message) {
        const wscodec::error e = ws.send(type, message);  // copied into the send queue
        if (e != wscodec::error::none && e != wscodec::error::not_open) {
            std::fprintf(stderr, "cannot echo: %s\n", std::string(wscodec::error_message(e)).c_str());
            (void)ws.close(wscodec::close_code::internal_error);
        }
    };
    on.on_close = [](wscodec::uv::server&, const wscodec::uv::close_report& r) {
        if (!r.clean())
            std::fprintf(stderr, "connection ended: %s (close code %u)%s%s\n", std::string(wscodec::error_name(r.err)).c_str(),
                         static_cast<unsigned>(r.code), r.uv_status != 0 ? "; " : "",
                         r.uv_status != 0 ? uv_strerror(r.uv_status) : "");
    };

    wscodec::uv::listener server(loop, options, on);
    if (const int rc = server.listen(f.server.host.c_str(), f.server.port); rc != 0) {
        std::fprintf(stderr, "cannot listen on %s:%u: %s\n", f.server.host.c_str(), static_cast<unsigned>(f.server.port),
                     uv_strerror(rc));
        return 1;
    }

    // SIGINT, SIGTERM: close 1001 everywhere; uv_run returns once every handle is closed.
    struct stopper {
        wscodec::uv::listener* server;
        uv_signal_t signals[2];
    } stop{&server, {}};
    for (const int signum : {SIGINT, SIGTERM}) {
        uv_signal_t& s = stop.signals[signum == SIGINT ? 0 : 1];
        uv_signal_init(loop, &s);
        s.data = &stop;
        uv_signal_start(&s, [](uv_signal_t* caught, int) {
            auto* st = static_cast<stopper*>(caught->data);
            st->server->stop(1001, "server shutting down");
            for (uv_signal_t& each : st->signals) uv_close(reinterpret_cast<uv_handle_t*>(&each), nullptr);
            std::signal(SIGINT, SIG_IGN);  // a second signal waits for the close handshakes too
            std::signal(SIGTERM, SIG_IGN);
        }, signum);
    }
    std::printf("listening on ws://%s:%u\n", examples::url_host(f.server.host).c_str(),
                static_cast<unsigned>(server.port()));
    std::fflush(stdout);
    std::fprintf(stderr, "%s\n", examples::deflate_flags::describe_server(options.session).c_str());

    uv_run(loop, UV_RUN_DEFAULT);
    return uv_loop_close(loop) == 0 ? 0 : 1;
}
