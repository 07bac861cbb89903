// SPDX-License-Identifier: MIT
// wscodec/http_message.hpp — the HTTP/1.1 messages of the opening handshake
// (RFC 6455 §4, RFC 9110): header fields, parsed requests and responses, field
// access through cursors and ranges, extension lists (§9.1), and the options
// both sides and extended CONNECT share. Views only; no state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <optional>
#include <span>
#include <string_view>
#include <wscodec/detail/config.hpp>
#include <wscodec/detail/http_chars.hpp>
#include <wscodec/detail/http_lists.hpp>

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

/// The elements of the comma lists of every field named `name` that `Fields`
/// (a cursor yielding http_header) yields, in order.
template <class Fields>
class basic_named_list_cursor {
public:
    constexpr basic_named_list_cursor() noexcept = default;
    template <class Source>
    basic_named_list_cursor(Source fields, std::string_view name) noexcept : fields_(fields), name_(name) {}
    /// The elements of one field value (the field appeared once).
    explicit basic_named_list_cursor(std::string_view value) noexcept : list_(value) {}
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
    Fields fields_{};
    std::string_view name_{};
    list_cursor list_{};
};
using named_list_cursor = basic_named_list_cursor<field_cursor>;

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

}  // namespace wscodec
