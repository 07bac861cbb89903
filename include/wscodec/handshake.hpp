// wscodec/handshake.hpp — the opening handshake (RFC 6455 §4) over HTTP/1.1
// (RFC 9112), as two sans-I/O state machines:
//
//  - server_handshake reads a request from bytes split anywhere, validates it,
//    and reports an upgrade request (the application accepts it, getting the
//    101 response, or answers it otherwise), a plain HTTP request (so a page
//    can be served on the same port), or a failure with a complete HTTP error
//    response queued (400, 405, 426, 431, 505);
//  - client_handshake builds the request and validates the server's response,
//    reporting a refusal (401, 403, a redirect) with its status and headers.
//
// Both return the same `event` as connection::receive() and stop consuming at
// the end of the header block, so bytes that follow (frames pipelined behind
// the handshake) stay with the caller for the connection. A request or
// response that arrives in one piece is parsed where it lies; one that arrives
// in pieces is gathered into a heap buffer of at most max_header_bytes. A
// server's response that fits (a browser's 101 does) is written into the
// object, over the request it answers; a longer one, and the client's
// request, into a heap buffer of the exact size. Nothing else allocates.
#pragma once

#include <iterator>
#include <optional>
#include <wscodec/accept.hpp>
#include <wscodec/detail/http.hpp>
#include <wscodec/events.hpp>

namespace wscodec {

/// One header field: name as sent, value without surrounding whitespace.
struct http_header {
    std::string_view name;
    std::string_view value;
};

/// One parameter of an extension: `name`, `name=value` or `name="value"`
/// (`value` without the quotes; a backslash escape is left as sent).
struct extension_param {
    std::string_view name;
    std::string_view value;
    bool has_value = false;
};

/// A forward range over what a cursor yields (`bool next(T&)`), ended by
/// std::default_sentinel. Views only; valid as long as the text it views.
template <class Cursor, class T>
class cursor_range {
public:
    class iterator {
    public:
        using value_type = T;
        using difference_type = std::ptrdiff_t;
        iterator() noexcept = default;
        explicit iterator(Cursor c) noexcept : c_(c) { ++*this; }
        const T& operator*() const noexcept { return cur_; }
        const T* operator->() const noexcept { return &cur_; }
        iterator& operator++() noexcept {
            done_ = !c_.next(cur_);
            return *this;
        }
        iterator operator++(int) noexcept {
            iterator old = *this;
            ++*this;
            return old;
        }
        friend bool operator==(const iterator& i, std::default_sentinel_t) noexcept { return i.done_; }

    private:
        Cursor c_{};
        T cur_{};
        bool done_ = true;
    };
    constexpr cursor_range() noexcept = default;
    constexpr explicit cursor_range(Cursor c) noexcept : c_(c) {}
    [[nodiscard]] iterator begin() const noexcept { return iterator(c_); }
    [[nodiscard]] std::default_sentinel_t end() const noexcept { return {}; }
    [[nodiscard]] bool empty() const noexcept { return begin() == end(); }
    [[nodiscard]] std::size_t size() const noexcept {
        std::size_t n = 0;
        for (auto it = begin(); it != end(); ++it) ++n;
        return n;
    }

private:
    Cursor c_{};
};

namespace detail {

/// Walks the field lines of a validated header block (start line skipped).
class field_cursor {
public:
    constexpr field_cursor() noexcept = default;
    explicit field_cursor(std::string_view block) noexcept {
        if (block.size() < 2) return;
        const char* nl = static_cast<const char*>(std::memchr(block.data(), '\n', block.size()));
        if (nl == nullptr) return;
        p_ = nl + 1;
        end_ = block.data() + block.size() - 2;  // the final CRLF
    }
    bool next(http_header& out) noexcept {
        if (p_ >= end_) return false;
        const char* colon = static_cast<const char*>(std::memchr(p_, ':', static_cast<std::size_t>(end_ - p_)));
        const char* cr = static_cast<const char*>(std::memchr(colon, '\r', static_cast<std::size_t>(end_ - colon)));
        if (cr == nullptr) cr = end_;
        out.name = std::string_view(p_, static_cast<std::size_t>(colon - p_));
        out.value = trim_ows(std::string_view(colon + 1, static_cast<std::size_t>(cr - colon - 1)));
        p_ = cr + 2;
        return true;
    }

private:
    const char* p_ = nullptr;
    const char* end_ = nullptr;
};

/// The elements of the comma lists of every field named `name`, in order.
class named_list_cursor {
public:
    constexpr named_list_cursor() noexcept = default;
    named_list_cursor(std::string_view block, std::string_view name) noexcept : fields_(block), name_(name) {}
    /// The elements of one field value (the field appeared once).
    explicit named_list_cursor(std::string_view value) noexcept : list_(value) {}
    bool next(std::string_view& out) noexcept {
        for (;;) {
            if (list_.next(out)) return true;
            http_header h;
            do {
                if (!fields_.next(h)) return false;
            } while (!iequals(h.name, name_));
            list_ = list_cursor(h.value);
        }
    }

private:
    field_cursor fields_{};
    std::string_view name_{};
    list_cursor list_{};
};

/// The parameters of one extension.
class param_cursor {
public:
    constexpr param_cursor() noexcept = default;
    explicit param_cursor(std::string_view params) noexcept : list_(params, ';') {}
    bool next(extension_param& out) noexcept {
        std::string_view e;
        if (!list_.next(e)) return false;
        const std::size_t eq = e.find('=');
        out.name = trim_ows(e.substr(0, eq));
        out.has_value = eq != std::string_view::npos;
        out.value = out.has_value ? trim_ows(e.substr(eq + 1)) : std::string_view{};
        if (out.value.size() >= 2 && out.value.front() == '"' && out.value.back() == '"')
            out.value = out.value.substr(1, out.value.size() - 2);
        return true;
    }

private:
    list_cursor list_{};
};

}  // namespace detail

using header_range = cursor_range<detail::field_cursor, http_header>;
using value_range = cursor_range<detail::named_list_cursor, std::string_view>;
using param_range = cursor_range<detail::param_cursor, extension_param>;

/// One extension of a Sec-WebSocket-Extensions list (§9.1): its name and its
/// parameters, e.g. `permessage-deflate; client_max_window_bits`.
struct extension {
    std::string_view name;
    std::string_view text;  ///< the whole element as sent
    [[nodiscard]] param_range params() const noexcept {
        const std::size_t semi = text.find(';');
        return param_range(detail::param_cursor(semi == std::string_view::npos ? std::string_view{} : text.substr(semi + 1)));
    }
};

namespace detail {
/// The extensions of the list elements `List` yields.
template <class List>
class basic_extension_cursor {
public:
    constexpr basic_extension_cursor() noexcept = default;
    template <class... Args>
    explicit basic_extension_cursor(Args... args) noexcept : list_(args...) {}
    bool next(extension& out) noexcept {
        std::string_view e;
        if (!list_.next(e)) return false;
        out.text = e;
        out.name = extension_name(e);
        return true;
    }

private:
    List list_{};
};
using extension_cursor = basic_extension_cursor<named_list_cursor>;
}  // namespace detail

using extension_range = cursor_range<detail::extension_cursor, extension>;

/// Limits on what a peer's handshake may hold.
struct handshake_options {
    /// Request or status line, header lines and the blank line together. 8 KiB,
    /// as nginx and Node.js allow: browsers send 0.5-2 KiB, cookies included.
    std::size_t max_header_bytes = 8192;
    /// Header lines. 100 is four times what a browser sends.
    std::size_t max_headers = 100;
};

/// The header fields of a parsed request or response, read from its block.
struct http_fields {
    std::string_view raw;  ///< the whole header block, start line and blank line included

    /// Every header field in order.
    [[nodiscard]] header_range headers() const noexcept { return header_range(detail::field_cursor(raw)); }
    /// The first field named `name` (ASCII case-insensitive), if any.
    [[nodiscard]] std::optional<std::string_view> header(std::string_view name) const noexcept {
        for (const http_header& h : headers())
            if (detail::iequals(h.name, name)) return h.value;
        return std::nullopt;
    }
    /// The elements of every comma list named `name`, e.g. list("Connection").
    [[nodiscard]] value_range list(std::string_view name) const noexcept {
        return value_range(detail::named_list_cursor(raw, name));
    }
};

/// A parsed request. Its views point into the caller's input (request that
/// arrived whole) or into the handshake's buffer; they stay valid until
/// accept() or respond() is called, or the caller reuses the input buffer.
/// Once answered, server_handshake::request() is an empty request.
struct http_request : http_fields {
    std::string_view method;
    std::string_view target;
    std::uint8_t version_major = 1;
    std::uint8_t version_minor = 1;
    std::string_view host;    ///< Host
    std::string_view origin;  ///< Origin (§4.1 item 8; browsers always send it), empty if none
    std::string_view key;     ///< Sec-WebSocket-Key
    std::string_view websocket_version;  ///< Sec-WebSocket-Version
    std::optional<std::uint64_t> content_length;
    bool transfer_encoding = false;  ///< a Transfer-Encoding field is present
    bool upgrade_websocket = false;  ///< Upgrade lists the token websocket: a WebSocket request
    bool connection_upgrade = false; ///< Connection lists the token Upgrade
    /// Sec-WebSocket-Protocol and -Extensions: the value, and how many fields carried one.
    std::string_view protocol_field;
    std::string_view extension_field;
    std::uint8_t protocol_fields = 0;
    std::uint8_t extension_fields = 0;

    /// Offered subprotocols, in the client's order of preference (§4.1 item 10).
    [[nodiscard]] value_range subprotocols() const noexcept {
        if (protocol_fields <= 1) return value_range(detail::named_list_cursor(protocol_field));
        return list("Sec-WebSocket-Protocol");
    }
    /// Offered extensions, in order (§9.1).
    [[nodiscard]] extension_range extensions() const noexcept {
        if (extension_fields <= 1) return extension_range(detail::extension_cursor(extension_field));
        return extension_range(detail::extension_cursor(raw, "Sec-WebSocket-Extensions"));
    }
};

/// A parsed response. Views point into the caller's input or the handshake's
/// buffer, valid until the client handshake is destroyed or the caller reuses
/// the input buffer.
struct http_response : http_fields {
    std::uint8_t version_major = 1;
    std::uint8_t version_minor = 1;
    std::uint16_t status = 0;
    std::string_view reason;
    std::string_view accept;       ///< Sec-WebSocket-Accept
    std::string_view subprotocol;  ///< Sec-WebSocket-Protocol: the server's choice, empty if none
    std::optional<std::uint64_t> content_length;
    bool upgrade_websocket = false;
    bool connection_upgrade = false;
    /// Non-101: the start of the body, as far as it came with the headers
    /// (at most Content-Length bytes). Views the caller's input.
    std::string_view body;

    /// The extensions the server accepted, with its parameters.
    [[nodiscard]] extension_range extensions() const noexcept {
        return extension_range(detail::extension_cursor(raw, "Sec-WebSocket-Extensions"));
    }
};

/// What the server answers an upgrade request with (§4.2.2 step 5).
struct accept_options {
    /// The chosen subprotocol: one the client offered, exactly as offered; empty for none.
    std::string_view subprotocol;
    /// The Sec-WebSocket-Extensions value to send, e.g. "permessage-deflate;
    /// server_no_context_takeover"; each extension must have been offered.
    std::string_view extensions;
    /// More header fields for the 101 response (Set-Cookie, ...).
    std::span<const http_header> headers;
};

namespace detail {

/// Gathers a header block that may arrive in pieces and runs `parse(bytes,
/// from)` on it: on the caller's input when the block is whole in one call;
/// otherwise on a copy (a buffer of max_header_bytes, reserved once so views
/// into it stay valid), resuming at the unfinished line each time bytes arrive,
/// so an error is reported by the call that brings its byte and the work per
/// call is the new bytes plus at most one line.
class block_reader {
public:
    struct result {
        parse_outcome outcome;
        std::size_t consumed = 0;  ///< of this input
        std::size_t position = 0;  ///< failed: offset in this input (0 if in an earlier one)
        std::string_view block;    ///< done: the block
    };

    template <class Parse>
    [[nodiscard]] result read(std::string_view in, std::size_t max, Parse&& parse) noexcept {
        using k = parse_outcome::kind;
        const std::size_t before = buf_.size();
        if (before == 0) {
            parse_outcome o = parse(in.substr(0, std::min(in.size(), max)), 0);
            if (o.what == k::done) return {o, o.at, 0, in.substr(0, o.at)};
            if (o.what == k::failed) return {o, in.size(), o.at, {}};
            if (in.size() >= max) return too_large(in.size(), max);
            if (!buf_.reserve(max) || !buf_.append(in)) return {{k::failed, error::out_of_memory, 0}, in.size(), 0, {}};
            o = parse(buf_.view(), 0);  // again, so that views point into the buffer
            resume_ = o.at;
            return {{}, in.size(), 0, {}};
        }
        const std::size_t take = std::min(in.size(), max - before);
        if (!buf_.append(in.substr(0, take))) return {{k::failed, error::out_of_memory, 0}, in.size(), 0, {}};
        const parse_outcome o = parse(buf_.view(), resume_);
        if (o.what == k::done) {
            buf_.resize_down(o.at);
            return {o, o.at - before, 0, buf_.view()};
        }
        if (o.what == k::failed) return {o, in.size(), o.at >= before ? o.at - before : 0, {}};
        resume_ = o.at;
        if (buf_.size() >= max) return too_large(in.size(), max - before);
        return {{}, take, 0, {}};
    }

    void release() noexcept {
        buf_.release();
        resume_ = 0;
    }

private:
    [[nodiscard]] static result too_large(std::size_t consumed, std::size_t position) noexcept {
        return {{parse_outcome::kind::failed, error::http_headers_too_large, 0}, consumed, position, {}};
    }
    byte_buffer buf_;
    std::size_t resume_ = 0;
};

/// What build_message hands to its `emit`: put(text) appends text (or only
/// counts it, in the measuring pass), size() is what was put so far.
class message_sink {
public:
    explicit message_sink(char* out = nullptr) noexcept : out_(out) {}
    void operator()(std::string_view text) noexcept {
        if (out_ != nullptr && !text.empty()) std::memcpy(out_ + size_, text.data(), text.size());
        size_ += text.size();
    }
    [[nodiscard]] std::size_t size() const noexcept { return size_; }

private:
    char* out_;
    std::size_t size_ = 0;
};

/// Builds an HTTP message in two passes: `emit(sink)` puts every piece;
/// once to measure, then into `space(n)`, room for exactly n bytes (nullptr:
/// out of memory, and build_message returns false).
template <class Emit, class Space>
[[nodiscard]] bool build_message(Emit&& emit, Space&& space) noexcept {
    message_sink measure;
    emit(measure);
    char* out = space(measure.size());
    if (out == nullptr) return false;
    message_sink write(out);
    emit(write);
    return true;
}

/// Puts "name: value" CRLF for each header.
template <class Put>
void put_headers(Put& put, std::span<const http_header> headers) noexcept {
    for (const http_header& h : headers) {
        put(h.name);
        put(": ");
        put(h.value);
        put("\r\n");
    }
}

[[nodiscard]] inline bool valid_headers(std::span<const http_header> headers) noexcept {
    for (const http_header& h : headers)
        if (!is_token(h.name) || !is_field_value(h.value)) return false;
    return true;
}

[[nodiscard]] inline event handshake_event(event_type t, std::size_t consumed) noexcept {
    event ev;
    ev.type = t;
    ev.consumed = consumed;
    return ev;
}

[[nodiscard]] inline event handshake_failure(error e, std::uint16_t status, std::size_t consumed,
                                             std::size_t position) noexcept {
    event ev;
    ev.type = event_type::failed;
    ev.err = e;
    ev.code = status;
    ev.action = tcp_action::close_now;
    ev.consumed = consumed;
    ev.position = position;
    return ev;
}

}  // namespace detail

namespace detail {
/// A default request to copy from. Not const: a constant's zeros would be
/// seen through, and g++ clears 184 bytes with `rep stos`, slower to start
/// than the rest of the constructor; a copy is twelve vector moves. Never written.
inline http_request blank_request{};
}  // namespace detail

/// Where a server handshake is.
enum class server_handshake_state : std::uint8_t {
    reading,          ///< the request is not complete
    upgrade_request,  ///< a WebSocket request waits: accept() or respond()
    http_request,     ///< a plain HTTP request waits: respond()
    accepted,         ///< the 101 response is queued; frames follow
    responded,        ///< another response is queued; close TCP once written
    failed,           ///< the request was invalid; the error response is queued; close TCP once written
};

/// The server side of the opening handshake (§4.2).
class server_handshake {
public:
    explicit server_handshake(const handshake_options& options = {}) noexcept : options_(options) {}

    /// Reads request bytes. Returns need_more (all consumed), request (an
    /// upgrade request waits; `consumed` ends at the blank line, later bytes
    /// are frames for the connection), http_request (a plain request waits;
    /// its body, if any, follows `consumed`), or failed (`err`; `code` is the
    /// HTTP status of the error response now queued; close TCP once written).
    /// After the request, consumes nothing.
    [[nodiscard]] event receive(bytes_view in) noexcept {
        if (state_ != server_handshake_state::reading) return detail::handshake_event(event_type::need_more, 0);
        const std::string_view text(reinterpret_cast<const char*>(in.data()), in.size());
        const detail::block_reader::result r =
            reader_.read(text, options_.max_header_bytes, [this](std::string_view b, std::size_t from) { return parse(b, from); });
        using k = detail::parse_outcome::kind;
        if (r.outcome.what == k::incomplete) return detail::handshake_event(event_type::need_more, r.consumed);
        if (r.outcome.what == k::failed) return fail(r.outcome.err, r.consumed, r.position);
        request_.raw = r.block;
        const error e = validate();
        if (e != error::none) return fail(e, r.consumed, 0);
        state_ = request_.upgrade_websocket ? server_handshake_state::upgrade_request
                                            : server_handshake_state::http_request;
        return detail::handshake_event(request_.upgrade_websocket ? event_type::request : event_type::http_request,
                                       r.consumed);
    }

    /// The request, once receive() reported it, until accept() or respond()
    /// (see http_request for how long its views live); then an empty request.
    [[nodiscard]] const http_request& request() const noexcept {
        return state_ <= server_handshake_state::http_request ? request_ : detail::blank_request;
    }

    /// Accepts the upgrade request: queues the 101 response with
    /// Sec-WebSocket-Accept (§4.2.2 step 5). Errors: handshake_not_ready,
    /// subprotocol_not_offered, invalid_http_input (bad extension text, an
    /// extension not offered, a bad extra header), out_of_memory.
    [[nodiscard]] error accept(const accept_options& o = {}) noexcept {
        if (state_ != server_handshake_state::upgrade_request) return error::handshake_not_ready;
        if (!o.subprotocol.empty() && !offered_subprotocol(o.subprotocol)) return error::subprotocol_not_offered;
        if (!o.extensions.empty()) {
            if (!detail::is_extension_list(o.extensions) || o.extensions.find_first_of("\r\n") != std::string_view::npos)
                return error::invalid_http_input;
            detail::list_cursor c(o.extensions);
            std::string_view e;
            while (c.next(e)) {
                bool offered = false;
                for (const extension& x : request_.extensions()) offered = offered || detail::iequals(x.name, detail::extension_name(e));
                if (!offered) return error::invalid_http_input;
            }
        }
        if (!detail::valid_headers(o.headers)) return error::invalid_http_input;
        const std::array<char, 28>& accept = accept_;
        constexpr std::string_view head =
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ";
        constexpr std::string_view protocol = "Sec-WebSocket-Protocol: ", extensions = "Sec-WebSocket-Extensions: ";
        std::size_t n = head.size() + accept.size() + 4;
        if (!o.subprotocol.empty()) n += protocol.size() + o.subprotocol.size() + 2;
        if (!o.extensions.empty()) n += extensions.size() + o.extensions.size() + 2;
        for (const http_header& h : o.headers) n += h.name.size() + h.value.size() + 4;
        char* q = output_space(n);
        if (q == nullptr) return error::out_of_memory;
        const auto put = [&q](std::string_view t) {  // one pass: the size is known
            std::memcpy(q, t.data(), t.size());
            q += t.size();
        };
        put(head);
        put(std::string_view(accept.data(), accept.size()));
        put("\r\n");
        if (!o.subprotocol.empty()) {
            put(protocol);
            put(o.subprotocol);
            put("\r\n");
        }
        if (!o.extensions.empty()) {
            put(extensions);
            put(o.extensions);
            put("\r\n");
        }
        detail::put_headers(put, o.headers);
        put("\r\n");
        finish(server_handshake_state::accepted);
        return error::none;
    }

    /// Answers the waiting request (plain or upgrade) with `status` (200-599),
    /// `headers` and `body`, adding Content-Length and Connection: close (the
    /// caller closes TCP once the response is written); no body for HEAD.
    /// Errors: handshake_not_ready, invalid_http_input, out_of_memory.
    [[nodiscard]] error respond(std::uint16_t status, std::span<const http_header> headers = {},
                                std::string_view body = {}) noexcept {
        if (state_ != server_handshake_state::upgrade_request && state_ != server_handshake_state::http_request)
            return error::handshake_not_ready;
        if (status < 200 || status > 599 || !detail::valid_headers(headers)) return error::invalid_http_input;
        const bool head = detail::equals(request_.method, "HEAD");
        if (!write_response(status, headers, body, head)) return error::out_of_memory;
        finish(server_handshake_state::responded);
        return error::none;
    }

    /// Bytes to write: the response once queued; empty before.
    [[nodiscard]] bytes_view output() const noexcept {
        const std::string_view all = response();
        return bytes_view(reinterpret_cast<const std::uint8_t*>(all.data()) + sent_, all.size() - sent_);
    }
    /// Acknowledges `n` bytes of output() as written.
    void consume(std::size_t n) noexcept { sent_ += std::min(n, response().size() - sent_); }

    [[nodiscard]] server_handshake_state state() const noexcept { return state_; }
    /// Why the handshake failed (error::none unless state() is failed).
    [[nodiscard]] error failure() const noexcept { return failure_; }

private:
    [[nodiscard]] bool write_response(std::uint16_t status, std::span<const http_header> headers,
                                      std::string_view body, bool head, std::string_view extra = {}) noexcept {
        std::array<char, 20> digits{}, length{};
        const std::string_view code = detail::to_decimal(status, digits);
        const std::string_view size = detail::to_decimal(body.size(), length);
        return detail::build_message(
            [&](auto& put) {
                put("HTTP/1.1 ");
                put(code);
                put(" ");
                put(detail::reason_phrase(status));
                put("\r\n");
                put(extra);
                detail::put_headers(put, headers);
                put("Content-Length: ");
                put(size);
                put("\r\nConnection: close\r\n\r\n");
                if (!head) put(body);
            },
            [this](std::size_t n) { return output_space(n); });
    }

    // Room for a response of `n` bytes, replacing any before: in the object,
    // over the request (which nothing reads once a response is written), when
    // it fits, as the 101 to a browser does; on the heap otherwise. nullptr if
    // memory ran out.
    [[nodiscard]] char* output_space(std::size_t n) noexcept {
        sent_ = 0;
        if (n <= small_out_.size()) {
            out_.release();
            small_size_ = static_cast<std::uint16_t>(n);
            return small_out_.data();
        }
        small_size_ = 0;
        return out_.overwrite(n);
    }

    // The response written, whole.
    [[nodiscard]] std::string_view response() const noexcept {
        if (small_size_ != 0) return {small_out_.data(), small_size_};
        return out_.view();
    }

    // The request's views may point into the reader's buffer, which goes:
    // they are not to be read after accept() or respond().
    void finish(server_handshake_state s) noexcept {
        state_ = s;
        reader_.release();
    }

    // True if `p` is one of the offered subprotocols (exactly, §4.2.2 step 5.4's
    // "one of the values"). One field: a search of its value for `p` between
    // separators (the value is a valid token list, and `p` a token, so a match
    // there is an element); several fields: element by element.
    [[nodiscard]] bool offered_subprotocol(std::string_view p) const noexcept {
        if (!detail::is_token(p)) return false;
        if (request_.protocol_fields > 1) {
            for (std::string_view q : request_.subprotocols())
                if (q == p) return true;
            return false;
        }
        const std::string_view list = request_.protocol_field;
        const auto separator = [](char c) { return c == ',' || c == ' ' || c == '\t'; };
        for (std::size_t i = list.find(p); i != std::string_view::npos; i = list.find(p, i + 1)) {
            const std::size_t e = i + p.size();
            if ((i == 0 || separator(list[i - 1])) && (e == list.size() || separator(list[e]))) return true;
        }
        return false;
    }

    [[nodiscard]] event fail(error e, std::size_t consumed, std::size_t position) noexcept {
        failure_ = e;
        std::uint16_t status = http_status_for(e);
        if (status == 0) status = 400;
        std::string_view extra = "Content-Type: text/plain; charset=utf-8\r\n";
        if (e == error::handshake_bad_version)
            extra = "Sec-WebSocket-Version: 13\r\nContent-Type: text/plain; charset=utf-8\r\n";
        else if (e == error::handshake_method_not_get)
            extra = "Allow: GET\r\nContent-Type: text/plain; charset=utf-8\r\n";
        const std::string_view message = error_message(e);
        std::array<char, 128> body{};
        const std::size_t n = std::min(message.size(), body.size() - 1);
        std::memcpy(body.data(), message.data(), n);
        body[n] = '\n';
        if (!write_response(status, {}, std::string_view(body.data(), n + 1), false, extra)) {
            out_.release();
            small_size_ = 0;
        }
        state_ = server_handshake_state::failed;
        reader_.release();
        return detail::handshake_failure(e, status, consumed, position);
    }

    // Parses the block (or the prefix that has arrived) into request_, from
    // the start, or resuming at field line `from` of a previous call.
    [[nodiscard]] detail::parse_outcome parse(std::string_view b, std::size_t from) noexcept {
        return detail::parse_head(
            b, from, options_.max_headers, fields_, [this, b](const char*& p) { return read_request_line(b.data(), p, b.data() + b.size()); },
            [this] { reset_fields(); }, [this](std::string_view name, const auto& value) WSCODEC_INLINE_LAMBDA { on_field(name, value); });
    }

    // Everything the fields set, cleared; the request line kept.
    void reset_fields() noexcept {
        http_request fresh;
        fresh.method = request_.method;
        fresh.target = request_.target;
        fresh.version_major = request_.version_major;
        fresh.version_minor = request_.version_minor;
        request_ = fresh;
        counts_ = {};
    }

    // "METHOD target HTTP/x.y" CRLF at `p` (the block starts at `begin`).
    [[nodiscard]] detail::parse_outcome read_request_line(const char* begin, const char*& p, const char* end) noexcept {
        using k = detail::parse_outcome::kind;
        const detail::parse_outcome more{};
        const auto bad = [begin](const char* at) {
            return detail::parse_outcome{k::failed, error::http_bad_request_line, static_cast<std::size_t>(at - begin)};
        };
        // The common line, "GET " target " HTTP/1.1" CRLF, by word compares.
        const auto word = [](const char* at) {  // eight bytes
            std::uint64_t w = 0;
            std::memcpy(&w, at, 8);
            return w;
        };
        if (end - p >= 16 && std::memcmp(p, "GET ", 4) == 0) {
            const char* t = p + 4;
            const char* q = t;
            while (q != end && static_cast<unsigned char>(*q) > 0x20 && *q != 0x7F) ++q;
            if (end - q >= 11 && q != t && word(q) == word(" HTTP/1.") && word(q + 3) == word("TP/1.1\r\n")) {
                request_.method = std::string_view(p, 3);
                request_.target = std::string_view(t, static_cast<std::size_t>(q - t));
                request_.version_major = request_.version_minor = 1;
                p = q + 11;
                return detail::parse_outcome{k::done, error::none, static_cast<std::size_t>(p - begin)};
            }
        }
        while (p != end && detail::is_tchar(*p)) ++p;
        if (p == end) return more;
        if (*p != ' ' || p == begin) return bad(p);
        request_.method = std::string_view(begin, static_cast<std::size_t>(p - begin));
        const char* target = ++p;
        while (p != end && static_cast<unsigned char>(*p) > 0x20 && *p != 0x7F) ++p;
        if (p == end) return more;
        if (*p != ' ' || p == target) return bad(p);
        request_.target = std::string_view(target, static_cast<std::size_t>(p - target));
        ++p;
        const int v = detail::read_http_version(p, end, request_.version_major, request_.version_minor);
        if (v == 0) return more;
        if (v < 0) return bad(p);
        if (p == end || (p + 1 == end && *p == '\r')) return more;
        if (*p != '\r' || p[1] != '\n')
            return detail::parse_outcome{k::failed, *p == '\n' || *p == '\r' ? error::http_bad_line_ending : error::http_bad_request_line,
                                         static_cast<std::size_t>(p - begin)};
        p += 2;
        return detail::parse_outcome{k::done, error::none, static_cast<std::size_t>(p - begin)};
    }

    // `v` is a detail::cut_value or lazy_value: v.value() is the field's value.
    template <class Value>
    WSCODEC_ALWAYS_INLINE void on_field(std::string_view name, const Value& v) noexcept {
        using detail::name_is;
        switch (name.size()) {
            case 4:
                if (name_is(name, "host")) {
                    ++counts_.host;
                    request_.host = v.value();
                }
                break;
            case 6:
                if (name_is(name, "origin")) {
                    ++counts_.origin;
                    request_.origin = v.value();
                }
                break;
            case 7:
                if (name_is(name, "upgrade"))
                    request_.upgrade_websocket = request_.upgrade_websocket || detail::list_has_token(v.value(), "websocket");
                break;
            case 10:
                if (name_is(name, "connection"))
                    request_.connection_upgrade = request_.connection_upgrade || detail::list_has_token(v.value(), "upgrade");
                break;
            case 14:
                if (name_is(name, "content-length")) {
                    std::uint64_t n = 0;
                    if (!detail::parse_length(v.value(), n)) counts_.bad_length = true;
                    else if (request_.content_length && *request_.content_length != n) counts_.conflicting_length = true;
                    request_.content_length = n;
                }
                break;
            case 17:
                if (name_is(name, "sec-websocket-key")) {
                    const std::string_view value = v.value();
                    // The accept value is computed here, not in accept(): the
                    // SHA-1 rounds are a chain of dependent instructions that
                    // the out-of-order core overlaps with the rest of the
                    // parse. Only the first key counts (a second one fails).
                    if (++counts_.key == 1 && value.size() == 24) accept_ = compute_accept(value);
                    request_.key = value;
                } else if (name_is(name, "transfer-encoding")) {
                    request_.transfer_encoding = true;
                }
                break;
            case 21:
                if (name_is(name, "sec-websocket-version")) {
                    ++counts_.version;
                    request_.websocket_version = v.value();
                }
                break;
            case 22:
                if (name_is(name, "sec-websocket-protocol")) {
                    const std::string_view value = v.value();
                    counts_.bad_protocols = counts_.bad_protocols || !detail::is_token_list(value, v.bits(value));
                    if (request_.protocol_fields == 0) request_.protocol_field = value;
                    if (request_.protocol_fields < 255) ++request_.protocol_fields;
                }
                break;
            case 24:
                if (name_is(name, "sec-websocket-extensions")) {
                    const std::string_view value = v.value();
                    counts_.bad_extensions = counts_.bad_extensions || !detail::is_extension_list(value, v.bits(value));
                    if (request_.extension_fields == 0) request_.extension_field = value;
                    if (request_.extension_fields < 255) ++request_.extension_fields;
                }
                break;
            default: break;
        }
    }

    // The checks of §4.2.1 on a complete request, in a fixed order.
    [[nodiscard]] error validate() const noexcept {
        const http_request& r = request_;
        if (r.version_major != 1) return error::http_version_not_supported;
        if (counts_.bad_length) return error::http_bad_header_value;
        if (counts_.conflicting_length || counts_.host > 1) return error::handshake_duplicate_header;
        if (r.version_minor >= 1 && counts_.host == 0) return error::handshake_no_host;
        if (!r.upgrade_websocket) return error::none;  // a plain HTTP request
        if (r.version_minor == 0) return error::handshake_http_too_old;
        if (!detail::equals(r.method, "GET")) return error::handshake_method_not_get;
        if (!r.connection_upgrade) return error::handshake_no_connection_upgrade;
        if (counts_.version > 1 || counts_.key > 1 || counts_.origin > 1) return error::handshake_duplicate_header;
        if (counts_.version == 0 || !detail::equals(r.websocket_version, "13")) return error::handshake_bad_version;
        if (counts_.key == 0 || !is_valid_key(r.key)) return error::handshake_bad_key;
        if (counts_.bad_protocols) return error::handshake_bad_subprotocols;
        if (counts_.bad_extensions) return error::handshake_bad_extensions;
        if ((r.content_length && *r.content_length != 0) || r.transfer_encoding) return error::handshake_request_body;
        return error::none;
    }

    struct field_counts {
        std::uint8_t host = 0, origin = 0, key = 0, version = 0;
        bool bad_length = false, conflicting_length = false, bad_protocols = false, bad_extensions = false;
    };

    // The order keeps every run of zero-initialised members under 64 bytes,
    // and request_ is copied from a constant: g++ clears longer runs with
    // `rep stos`, whose start-up costs more than the rest of the constructor.
    handshake_options options_;
    field_counts counts_{};
    std::size_t fields_ = 0;
    detail::block_reader reader_{};
    union {
        http_request request_ = detail::blank_request;  // while reading and until a response is written
        std::array<char, sizeof(http_request)> small_out_;  // then a response that fits
    };
    detail::byte_buffer out_{};  // a response that does not
    std::size_t sent_ = 0;
    std::uint16_t small_size_ = 0;  // the response's size in small_out_, 0 if it is in out_
    server_handshake_state state_ = server_handshake_state::reading;
    error failure_ = error::none;
    std::array<char, 28> accept_{};  // Sec-WebSocket-Accept for the first 24-byte key, set with counts_.key
};

/// What a client asks for (§4.1).
struct request_options {
    std::string_view host;     ///< host name or IP address (an IPv6 address without brackets is bracketed)
    std::uint16_t port = 0;    ///< appended to Host unless 0 (leave 0 for the scheme's default port)
    std::string_view target = "/";  ///< path and query, starting with '/'
    std::string_view origin;   ///< Origin to send, empty for none (§4.1 item 8: browsers send one)
    std::span<const std::string_view> subprotocols;  ///< offered, in order of preference
    std::span<const std::string_view> extensions;    ///< offered, each with its parameters
    std::span<const http_header> headers;            ///< more fields (Authorization, Cookie, ...)
};

/// Where a client handshake is.
enum class client_handshake_state : std::uint8_t {
    waiting,  ///< the request is queued or written; the response has not been read
    open,     ///< the server accepted; frames follow
    failed,   ///< see failure(); close TCP
};

/// The client side of the opening handshake (§4.1).
class client_handshake {
public:
    /// Queues the request. `nonce` is 16 random bytes (§4.1 item 7: from a
    /// strong source; a client session draws it from its key source). If the
    /// options are invalid (invalid_http_input) or memory runs out, the
    /// handshake starts failed and output() is empty.
    client_handshake(const request_options& o, const std::array<std::uint8_t, 16>& nonce,
                     const handshake_options& options = {}) noexcept
        : options_(options) {
        (void)detail::base64_encode(bytes_view(nonce), std::span<char>(key_));
        expected_ = compute_accept(std::string_view(key_.data(), key_.size()));
        const error e = build(o);
        if (e != error::none) {
            failure_ = e;
            state_ = client_handshake_state::failed;
            out_.release();
        }
    }

    /// Reads response bytes. Returns need_more, open (`consumed` ends at the
    /// blank line; later bytes are frames), or failed (`err`; `code` is the
    /// response status, 0 if none was read; close TCP). A response other than
    /// 101 fails with handshake_not_101 and stays readable in response().
    [[nodiscard]] event receive(bytes_view in) noexcept {
        if (state_ != client_handshake_state::waiting) return detail::handshake_event(event_type::need_more, 0);
        const std::string_view text(reinterpret_cast<const char*>(in.data()), in.size());
        const detail::block_reader::result r =
            reader_.read(text, options_.max_header_bytes, [this](std::string_view b, std::size_t from) { return parse(b, from); });
        using k = detail::parse_outcome::kind;
        if (r.outcome.what == k::incomplete) return detail::handshake_event(event_type::need_more, r.consumed);
        if (r.outcome.what == k::failed) return fail(r.outcome.err, 0, r.consumed, r.position);
        response_.raw = r.block;
        const error e = validate();
        if (e == error::handshake_not_101) {
            std::string_view body = text.substr(r.consumed);
            if (response_.content_length && body.size() > *response_.content_length)
                body = body.substr(0, static_cast<std::size_t>(*response_.content_length));
            response_.body = body;
        }
        if (e != error::none) return fail(e, response_.status, r.consumed, 0);
        state_ = client_handshake_state::open;
        return detail::handshake_event(event_type::open, r.consumed);
    }

    [[nodiscard]] bytes_view output() const noexcept {
        return bytes_view(reinterpret_cast<const std::uint8_t*>(out_.data()) + sent_, out_.size() - sent_);
    }
    void consume(std::size_t n) noexcept { sent_ += std::min(n, out_.size() - sent_); }

    /// The response once read (see http_response for lifetime).
    [[nodiscard]] const http_response& response() const noexcept { return response_; }
    /// The Sec-WebSocket-Key sent.
    [[nodiscard]] std::string_view key() const noexcept { return {key_.data(), key_.size()}; }
    [[nodiscard]] client_handshake_state state() const noexcept { return state_; }
    [[nodiscard]] error failure() const noexcept { return failure_; }

private:
    /// A host for the Host field (RFC 3986 §3.2.2): a name or IPv4 address
    /// (unreserved, sub-delims, '%'), an IPv6 address in brackets, or a bare
    /// IPv6 address (hex digits, ':' and '.'), which `bracket` asks to wrap.
    [[nodiscard]] static bool valid_host(std::string_view h, bool& bracket) noexcept {
        bracket = false;
        const auto ipv6 = [](std::string_view a) {
            if (a.empty() || a.find(':') == std::string_view::npos) return false;
            for (char c : a)
                if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.'))
                    return false;
            return true;
        };
        if (h.empty()) return false;
        if (h.front() == '[') return h.size() > 2 && h.back() == ']' && ipv6(h.substr(1, h.size() - 2));
        if (h.find(':') != std::string_view::npos) return bracket = ipv6(h);
        for (char c : h) {
            const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                            std::string_view("-._~!$&'()*+,;=%").find(c) != std::string_view::npos;
            if (!ok) return false;
        }
        return true;
    }
    [[nodiscard]] static bool valid_target(std::string_view t) noexcept {
        if (t.empty() || t.front() != '/') return false;
        for (char c : t)
            if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7F) return false;
        return true;
    }

    [[nodiscard]] error build(const request_options& o) noexcept {
        bool bracket = false;
        if (!valid_host(o.host, bracket) || !valid_target(o.target) || !detail::is_field_value(o.origin) ||
            !detail::valid_headers(o.headers))
            return error::invalid_http_input;
        for (std::string_view p : o.subprotocols)
            if (!detail::is_token(p)) return error::invalid_http_input;
        for (std::string_view e : o.extensions)
            if (!detail::is_extension(e)) return error::invalid_http_input;
        std::array<char, 20> digits{};
        const std::string_view port = o.port != 0 ? detail::to_decimal(o.port, digits) : std::string_view{};
        // Writes "name: a, b\r\n" and notes where the list lies in the request.
        const auto list = [](auto& put, std::string_view name, std::span<const std::string_view> items,
                             std::pair<std::size_t, std::size_t>& at) {
            if (items.empty()) return;
            put(name);
            at.first = put.size();
            for (std::size_t i = 0; i < items.size(); ++i) {
                if (i > 0) put(", ");
                put(items[i]);
            }
            at.second = put.size() - at.first;
            put("\r\n");
        };
        const bool ok = detail::build_message([&](auto& put) {
            put("GET ");
            put(o.target);
            put(" HTTP/1.1\r\nHost: ");
            if (bracket) put("[");
            put(o.host);
            if (bracket) put("]");
            if (!port.empty()) {
                put(":");
                put(port);
            }
            put("\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ");
            put(std::string_view(key_.data(), key_.size()));
            put("\r\nSec-WebSocket-Version: 13\r\n");
            if (!o.origin.empty()) {
                put("Origin: ");
                put(o.origin);
                put("\r\n");
            }
            list(put, "Sec-WebSocket-Protocol: ", o.subprotocols, protocols_);
            list(put, "Sec-WebSocket-Extensions: ", o.extensions, extensions_);
            detail::put_headers(put, o.headers);
            put("\r\n");
        }, [this](std::size_t n) { return out_.overwrite(n); });
        return ok ? error::none : error::out_of_memory;
    }

    [[nodiscard]] std::string_view offered(const std::pair<std::size_t, std::size_t>& at) const noexcept {
        return at.second == 0 ? std::string_view{} : out_.view().substr(at.first, at.second);
    }

    [[nodiscard]] event fail(error e, std::uint16_t status, std::size_t consumed, std::size_t position) noexcept {
        failure_ = e;
        state_ = client_handshake_state::failed;
        return detail::handshake_failure(e, status, consumed, position);
    }

    [[nodiscard]] detail::parse_outcome parse(std::string_view b, std::size_t from) noexcept {
        return detail::parse_head(
            b, from, options_.max_headers, fields_, [this, b](const char*& p) { return read_status_line(b.data(), p, b.data() + b.size()); },
            [this] { reset_fields(); }, [this](std::string_view name, const auto& value) WSCODEC_INLINE_LAMBDA { on_field(name, value); });
    }

    // Everything the fields set, cleared; the status line kept.
    void reset_fields() noexcept {
        http_response fresh;
        fresh.version_major = response_.version_major;
        fresh.version_minor = response_.version_minor;
        fresh.status = response_.status;
        fresh.reason = response_.reason;
        response_ = fresh;
        accepts_ = protocols_seen_ = 0;
        bad_extensions_ = false;
    }

    // "HTTP/x.y NNN reason" CRLF at `p` (the block starts at `begin`).
    [[nodiscard]] detail::parse_outcome read_status_line(const char* begin, const char*& p, const char* end) noexcept {
        using k = detail::parse_outcome::kind;
        const detail::parse_outcome more{};
        const auto bad = [begin](const char* at) {
            return detail::parse_outcome{k::failed, error::http_bad_status_line, static_cast<std::size_t>(at - begin)};
        };
        const int v = detail::read_http_version(p, end, response_.version_major, response_.version_minor);
        if (v == 0) return more;
        if (v < 0) return bad(p);
        if (p == end) return more;
        if (*p != ' ') return bad(p);
        ++p;
        std::uint16_t status = 0;
        for (int i = 0; i < 3; ++i, ++p) {
            if (p == end) return more;
            if (*p < '0' || *p > '9') return bad(p);
            status = static_cast<std::uint16_t>(status * 10 + (*p - '0'));
        }
        response_.status = status;
        if (p == end) return more;
        if (*p == ' ') ++p;
        else if (*p != '\r') return bad(p);  // "HTTP/1.1 101" without a reason is tolerated
        const char* reason = p;
        for (;;) {
            p = detail::find_ctl_or_tab(p, end);
            if (p == end) return more;
            if (*p == '\t') {
                ++p;
                continue;
            }
            if (*p != '\r') return detail::parse_outcome{k::failed, *p == '\n' ? error::http_bad_line_ending : error::http_bad_status_line,
                                                         static_cast<std::size_t>(p - begin)};
            if (p + 1 == end) return more;
            if (p[1] != '\n') return detail::parse_outcome{k::failed, error::http_bad_line_ending, static_cast<std::size_t>(p - begin)};
            break;
        }
        response_.reason = std::string_view(reason, static_cast<std::size_t>(p - reason));
        p += 2;
        return detail::parse_outcome{k::done, error::none, static_cast<std::size_t>(p - begin)};
    }

    // As the server's: names told apart by length, values cut out only for
    // the fields read (`v` is a detail::cut_value or lazy_value).
    template <class Value>
    WSCODEC_ALWAYS_INLINE void on_field(std::string_view name, const Value& v) noexcept {
        using detail::name_is;
        switch (name.size()) {
            case 7:
                if (name_is(name, "upgrade"))
                    response_.upgrade_websocket = response_.upgrade_websocket || detail::list_has_token(v.value(), "websocket");
                break;
            case 10:
                if (name_is(name, "connection"))
                    response_.connection_upgrade = response_.connection_upgrade || detail::list_has_token(v.value(), "upgrade");
                break;
            case 14:
                if (name_is(name, "content-length")) {
                    std::uint64_t n = 0;
                    if (detail::parse_length(v.value(), n)) response_.content_length = n;
                }
                break;
            case 20:
                if (name_is(name, "sec-websocket-accept")) {
                    ++accepts_;
                    response_.accept = v.value();
                }
                break;
            case 22:
                if (name_is(name, "sec-websocket-protocol")) {
                    ++protocols_seen_;
                    response_.subprotocol = v.value();
                }
                break;
            case 24:
                if (name_is(name, "sec-websocket-extensions")) {
                    const std::string_view value = v.value();
                    bad_extensions_ = bad_extensions_ || !detail::is_extension_list(value, v.bits(value));
                }
                break;
            default: break;
        }
    }

    // §4.1: the checks a client makes of the server's response, in order.
    [[nodiscard]] error validate() const noexcept {
        const http_response& r = response_;
        if (r.version_major != 1) return error::http_version_not_supported;
        if (r.status != 101) return error::handshake_not_101;
        if (r.version_minor == 0) return error::handshake_http_too_old;
        if (!r.upgrade_websocket) return error::handshake_no_upgrade_websocket;
        if (!r.connection_upgrade) return error::handshake_no_connection_upgrade;
        if (accepts_ > 1 || protocols_seen_ > 1) return error::handshake_duplicate_header;
        if (accepts_ == 0 || r.accept != std::string_view(expected_.data(), expected_.size())) return error::handshake_bad_accept;
        if (protocols_seen_ == 1) {
            bool ok = false;
            detail::list_cursor c(offered(protocols_));
            std::string_view p;
            while (c.next(p)) ok = ok || p == r.subprotocol;
            if (!ok) return error::handshake_unexpected_subprotocol;
        }
        if (bad_extensions_) return error::handshake_bad_extensions;
        for (const extension& x : r.extensions()) {
            bool ok = false;
            detail::list_cursor c(offered(extensions_));
            std::string_view e;
            while (c.next(e)) ok = ok || detail::iequals(detail::extension_name(e), x.name);
            if (!ok) return error::handshake_unexpected_extension;
        }
        return error::none;
    }

    handshake_options options_;
    http_response response_{};
    detail::block_reader reader_{};
    detail::byte_buffer out_{};
    std::size_t sent_ = 0;
    std::pair<std::size_t, std::size_t> protocols_{0, 0};   // offered list within out_
    std::pair<std::size_t, std::size_t> extensions_{0, 0};
    std::array<char, 24> key_{};
    std::array<char, 28> expected_{};
    std::size_t fields_ = 0;
    std::uint8_t accepts_ = 0, protocols_seen_ = 0;
    bool bad_extensions_ = false;
    client_handshake_state state_ = client_handshake_state::waiting;
    error failure_ = error::none;
};

}  // namespace wscodec
