// SPDX-License-Identifier: MIT
// wscodec/handshake.hpp — the opening handshake (RFC 6455 §4) over HTTP/1.1
// (RFC 9112): an umbrella for the message types (http_message.hpp), the
// server side (server_handshake.hpp) and the client side
// (client_handshake.hpp). Both sides return the same `event` as
// connection::receive() and stop consuming at the end of the header block. A
// request or response that arrives in one piece is parsed where it lies; one
// that arrives in pieces is gathered into a heap buffer of at most
// max_header_bytes. Nothing else allocates but the message each side writes.
#pragma once

#include <wscodec/client_handshake.hpp>
#include <wscodec/http_message.hpp>
#include <wscodec/server_handshake.hpp>
