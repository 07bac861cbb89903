// SPDX-License-Identifier: MIT
// examples/adapters/asio_echo.cpp — the echo server on Boost.Asio through the
// optional adapter wscodec/asio.hpp: one thread, one io_context, one
// wscodec::asio::websocket per connection.
//
//   asio_echo [--host 127.0.0.1] [--port 9001] [--max-message-size 16777216]
//             [--no-deflate] [--deflate-window-bits 9..15] [--deflate-no-context-takeover]
//
// Every message comes back whole, with its type: the adapter collects a
// fragmented (or compressed) message before the read completes, and the next
// read starts once the echo is written, so a client that does not read its
// echoes is not read either (backpressure). permessage-deflate is agreed with
// clients that offer it unless --no-deflate, as in echo_server. A plain HTTP
// request is answered 426. The adapter answers pings, echoes the peer's close,
// lingers after a failure and runs the close and opening handshake timers.
// SIGINT or SIGTERM: each open connection is closed with 1001, and the server
// exits with status 0 once they are closed. (Flag parsing comes from
// ../common.hpp; the Asio code is what is below.)
#include <utility>  // before Boost.Asio 1.74, whose awaitable.hpp uses std::exchange without it

#include <boost/asio.hpp>
#include <wscodec/asio.hpp>

#include "../common.hpp"

namespace net = boost::asio;
using tcp = net::ip::tcp;
using boost::system::error_code;

namespace {

/// One client: read a message, write it back, read the next.
struct echo : std::enable_shared_from_this<echo> {
    wscodec::asio::tcp_websocket<> ws;
    std::string message;

    echo(const wscodec::asio::websocket_options& o, tcp::socket s) : ws(o, std::move(s)) {}

    void read() {
        ws.async_read(message, [self = shared_from_this()](error_code ec, wscodec::message_type type) {
            if (ec) return;  // closed, a protocol error (the adapter sends the close frame), or cancelled
            self->ws.async_write(type, self->message, [self](error_code e) {
                if (!e) self->read();
            });
        });
    }
};

/// Accepts connections until the acceptor is closed; `live` is for the goodbye.
void accept_next(tcp::acceptor& acceptor, const wscodec::asio::websocket_options& o, std::vector<std::weak_ptr<echo>>& live) {
    if (!acceptor.is_open()) return;  // shutting down
    acceptor.async_accept([&](error_code ec, tcp::socket socket) {
        if (ec == net::error::operation_aborted) return;
        if (ec) {  // out of descriptors, say: try again in 100 ms rather than at once
            auto pause = std::make_shared<net::steady_timer>(acceptor.get_executor(), std::chrono::milliseconds(100));
            pause->async_wait([&, pause](error_code) { accept_next(acceptor, o, live); });
            return;
        }
        socket.set_option(tcp::no_delay(true), ec);
        auto e = std::make_shared<echo>(o, std::move(socket));
        std::erase_if(live, [](const std::weak_ptr<echo>& w) { return w.expired(); });
        live.push_back(e);
        e->ws.async_accept([e](error_code a) {
            if (!a) e->read();
        });
        accept_next(acceptor, o, live);
    });
}

}  // namespace

int main(int argc, char** argv) {
    const char* usage = "[--host ADDRESS] [--port N] [--max-message-size BYTES] [--no-deflate] "
                        "[--deflate-window-bits 9..15] [--deflate-no-context-takeover]";
    examples::server_flags flags;
    flags.port = 9001;
    examples::deflate_flags deflate;
    examples::arg_reader args(argc, argv);
    while (const auto a = args.next()) {
        if (deflate.take(*a, args, argv[0], usage)) continue;
        if (*a != "--host" && *a != "--port" && *a != "--max-message-size")
            examples::usage_error(argv[0], usage, "unknown argument: " + std::string(*a));
        const auto v = args.value();
        if (!v) examples::usage_error(argv[0], usage, std::string(*a) + " needs a value");
        const bool ok = *a == "--host" ? (flags.host = std::string(*v), true)
                        : *a == "--port" ? examples::parse_number(*v, flags.port)
                                         : examples::parse_number(*v, flags.max_message_size) && flags.max_message_size != 0;
        if (!ok) examples::usage_error(argv[0], usage, "bad value: " + std::string(*v));
    }
    examples::raise_fd_limit();
    wscodec::zlib_backend zlib;  // outlives every connection: declared before the io_context
    wscodec::asio::websocket_options o;
    o.session.connection.limits.max_message_size = o.session.connection.limits.max_frame_size = flags.max_message_size;
    deflate.apply_server(zlib, o.session);

    net::io_context io(1);
    error_code ec;
    tcp::acceptor acceptor(io);
    const tcp::endpoint at(net::ip::make_address(flags.host, ec), flags.port);
    if (!ec) acceptor.open(at.protocol(), ec);
    if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor.bind(at, ec);
    if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
    if (ec) {
        std::fprintf(stderr, "cannot listen on %s:%u: %s\n", examples::url_host(flags.host).c_str(),
                     static_cast<unsigned>(flags.port), ec.message().c_str());
        return 1;
    }
    std::printf("listening on ws://%s:%u\n", examples::url_host(flags.host).c_str(),
                static_cast<unsigned>(acceptor.local_endpoint().port()));
    std::fflush(stdout);
    std::fprintf(stderr, "%s\n", examples::deflate_flags::describe_server(o.session).c_str());

    std::vector<std::weak_ptr<echo>> live;
    accept_next(acceptor, o, live);
    net::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](error_code, int) {
        sigset_t again;  // a second signal while the connections close (or the process exits) is held, not fatal
        sigemptyset(&again);
        sigaddset(&again, SIGINT);
        sigaddset(&again, SIGTERM);
        pthread_sigmask(SIG_BLOCK, &again, nullptr);
        acceptor.close();
        for (const std::weak_ptr<echo>& w : live)
            if (const auto e = w.lock())  // not open yet (not_open): dropped
                e->ws.async_close(wscodec::close_code::going_away, "server shutting down", [e](error_code c) {
                    if (c) e->ws.cancel();
                });
    });
    io.run();  // returns once every connection has ended
    return 0;
}
