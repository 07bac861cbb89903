// SPDX-License-Identifier: MIT
// examples/tls.hpp — TLS for a sans-I/O loop: OpenSSL run over a BIO pair
// (tls_channel), so that TLS, like wscodec, never touches a socket; then the
// glue that drives a channel and a wscodec session over the examples'
// non-blocking sockets (read_input, write_output). Link OpenSSL (libssl,
// libcrypto); wscodec itself knows nothing of TLS.
//
// How a channel plugs into any loop (epoll, poll, io_uring, libuv, Asio ...):
// it sits between the socket and the session, ciphertext on one side,
// plaintext on the other, and only ever moves bytes in memory.
//
//   socket readable:  read(fd, input_space())           then input_written(n)
//                     (end of stream: input_ended())
//   plaintext:        read(buf) until it answers want_input; each piece goes
//                     to session.receive() as a socket read would
//   session output:   write(bytes) (at most max_write per call, 0 while the
//                     handshake runs or there is no room), then consume(n)
//   socket writable:  write(fd, output())                then output_sent(n)
//
// The handshake runs inside read() and handshake(); a client speaks first,
// so call handshake() once to queue its hello (write_output() below calls it
// before every flush, which is harmless once it is done). Whatever a call produced
// (handshake messages, records, alerts) waits in output() until the loop
// writes it: flush output() after every call. Wait for the socket to be
// readable only when wants_input() says the channel cannot go on without new
// bytes: after a read of n bytes more records may be waiting inside it.
// Both buffers are bounded (buffer_size each way), so a slow peer stops the
// writes (write() answers 0) instead of growing memory.
//
// The end: close() queues a close_notify; send it, then shut the socket down.
// A peer's close_notify, or a TCP end without one, reads as `closed`: the
// WebSocket close handshake already tells a clean end from a cut one (the
// session reports 1006), so a missing close_notify is not an error here.
#pragma once

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "common.hpp"

namespace examples {

/// The reasons in OpenSSL's error queue (emptied), each once, joined by "; ",
/// or `fallback` if it is empty.
[[nodiscard]] inline std::string take_tls_errors(std::string_view fallback) {
    std::string out;
    for (unsigned long e; (e = ::ERR_get_error()) != 0;) {
        const char* text = ::ERR_reason_error_string(e);
        const std::string reason = ERR_SYSTEM_ERROR(e) ? std::strerror(ERR_GET_REASON(e))
                                   : text != nullptr   ? text
                                                       : "error " + std::to_string(e);
        if (out.find(reason) != std::string::npos) continue;
        if (!out.empty()) out += "; ";
        out += reason;
    }
    return out.empty() ? std::string(fallback) : out;
}

/// The settings every connection of one side shares (an SSL_CTX).
class tls_context {
public:
    /// A client's: TLS 1.2 or newer, and the server's certificate must chain
    /// to `ca_file` (PEM), or to the system's trust store if it is empty.
    /// An invalid context and `err` on failure.
    [[nodiscard]] static tls_context client(const std::string& ca_file, std::string& err) {
        tls_context c(::TLS_client_method(), err);
        if (!c) return c;
        ::SSL_CTX_set_verify(c.get(), SSL_VERIFY_PEER, nullptr);
        const bool loaded = ca_file.empty() ? ::SSL_CTX_set_default_verify_paths(c.get()) == 1
                                            : ::SSL_CTX_load_verify_file(c.get(), ca_file.c_str()) == 1;
        if (!loaded) c.fail("cannot load the trusted certificates" + (ca_file.empty() ? "" : " from " + ca_file), err);
        return c;
    }

    /// A server's: the certificate chain `cert_file` and its key `key_file` (PEM).
    [[nodiscard]] static tls_context server(const std::string& cert_file, const std::string& key_file, std::string& err) {
        tls_context c(::TLS_server_method(), err);
        if (!c) return c;
        if (::SSL_CTX_use_certificate_chain_file(c.get(), cert_file.c_str()) != 1) {
            c.fail("cannot load the certificate " + cert_file, err);
        } else if (::SSL_CTX_use_PrivateKey_file(c.get(), key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
                   ::SSL_CTX_check_private_key(c.get()) != 1) {
            c.fail("cannot load the key " + key_file + " for " + cert_file, err);
        } else {
            (void)::SSL_CTX_set_num_tickets(c.get(), 0);  // no session resumption here: send no tickets
        }
        return c;
    }

    tls_context() = default;  ///< none: plain TCP

    [[nodiscard]] explicit operator bool() const noexcept { return ctx_ != nullptr; }
    [[nodiscard]] SSL_CTX* get() const noexcept { return ctx_.get(); }

private:
    struct free_ctx {
        void operator()(SSL_CTX* c) const noexcept { ::SSL_CTX_free(c); }
    };

    tls_context(const SSL_METHOD* method, std::string& err) : ctx_(::SSL_CTX_new(method)) {
        if (!ctx_) {
            err = take_tls_errors("SSL_CTX_new failed");
            return;
        }
        (void)::SSL_CTX_set_min_proto_version(ctx_.get(), TLS1_2_VERSION);
        ::SSL_CTX_set_options(ctx_.get(), SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF);
    }

    void fail(const std::string& what, std::string& err) {
        err = what + ": " + take_tls_errors("unknown error");
        ctx_.reset();
    }

    std::unique_ptr<SSL_CTX, free_ctx> ctx_;
};

/// One TLS connection, run in memory (an SSL on one end of a BIO pair; the
/// application holds the other end). See the file-top note for the loop.
class tls_channel {
public:
    /// What a read() brought.
    enum class status : std::uint8_t {
        data,        ///< `size` bytes of plaintext
        want_input,  ///< nothing yet: write output() if it holds anything; new bytes if wants_input()
        closed,      ///< the peer ended the stream (close_notify, or TCP's end)
        failed,      ///< a TLS failure, described by error(); output() may hold an alert for the peer
    };
    struct result {
        status what;
        std::size_t size;
    };

    static constexpr std::size_t buffer_size = 64 * 1024;  ///< each way: four full records
    static constexpr std::size_t max_write = 16 * 1024;     ///< plaintext per write(): one record

    /// A server's connection, or a client's to `host` (the name sent as SNI
    /// and checked against the certificate; an IP address is checked as one).
    tls_channel(const tls_context& ctx, wscodec::role side, const std::string& host = {}) : ssl_(::SSL_new(ctx.get())) {
        BIO* inner = nullptr;
        BIO* outer = nullptr;
        if (!ssl_ || ::BIO_new_bio_pair(&inner, buffer_size, &outer, buffer_size) != 1) {
            fail("cannot set up TLS: " + take_tls_errors("out of memory"));
            return;
        }
        ::SSL_set_bio(ssl_.get(), inner, inner);  // the SSL owns its end
        net_.reset(outer);
        // No SSL_MODE_ENABLE_PARTIAL_WRITE needed: write() passes at most one
        // record and only when the buffer has room for it, so SSL_write never
        // stops half way (and never asks to be repeated with the same bytes).
        if (side == wscodec::role::server) {
            ::SSL_set_accept_state(ssl_.get());
            return;
        }
        ::SSL_set_connect_state(ssl_.get());
        if (::X509_VERIFY_PARAM_set1_ip_asc(::SSL_get0_param(ssl_.get()), host.c_str()) == 1) return;  // no SNI for an address
        if (::SSL_set1_host(ssl_.get(), host.c_str()) != 1 || ::SSL_set_tlsext_host_name(ssl_.get(), host.c_str()) != 1)
            fail("bad host name " + host);
    }

    // ------------------------------------------------ the network side

    /// Where to put ciphertext from the socket (empty: full; read() first).
    [[nodiscard]] std::span<std::uint8_t> input_space() noexcept { return space(::BIO_nwrite0(net_.get(), &scratch_)); }
    /// `n` bytes were put there.
    void input_written(std::size_t n) noexcept {
        (void)::BIO_nwrite(net_.get(), &scratch_, static_cast<int>(n));
        starved_ = false;
    }
    /// The socket reached the end of its stream.
    void input_ended() noexcept {
        (void)BIO_shutdown_wr(net_.get());
        starved_ = false;
    }
    /// Ciphertext for the socket (empty: nothing waits).
    [[nodiscard]] std::span<const std::uint8_t> output() noexcept { return space(::BIO_nread0(net_.get(), &scratch_)); }
    /// True if output() is not empty.
    [[nodiscard]] bool has_output() const noexcept { return ::BIO_ctrl_pending(net_.get()) > 0; }
    /// `n` bytes of output() were written to the socket.
    void output_sent(std::size_t n) noexcept { (void)::BIO_nread(net_.get(), &scratch_, static_cast<int>(n)); }

    // ----------------------------------------- the application side

    /// Decrypts into `into`; runs the handshake until it is done.
    [[nodiscard]] result read(std::span<std::uint8_t> into) {
        if (failed_) return {status::failed, 0};
        if (!handshake()) return {failed_ ? status::failed : status::want_input, 0};
        std::size_t n = 0;
        ::ERR_clear_error();
        const int rc = ::SSL_read_ex(ssl_.get(), into.data(), into.size(), &n);
        if (rc == 1) return {status::data, n};
        switch (::SSL_get_error(ssl_.get(), rc)) {
            case SSL_ERROR_WANT_READ: starved_ = true; return {status::want_input, 0};
            case SSL_ERROR_WANT_WRITE: return {status::want_input, 0};  // output() is full: write it first
            case SSL_ERROR_ZERO_RETURN: return {status::closed, 0};
            default: fail("TLS read failed: " + take_tls_errors("unknown error")); return {status::failed, 0};
        }
    }

    /// True if write() takes bytes now: the handshake is done and output()
    /// has room for a whole record.
    [[nodiscard]] bool writable() const noexcept {
        return established_ && !failed_ && ::BIO_ctrl_get_write_guarantee(::SSL_get_wbio(ssl_.get())) >= max_write + record_overhead;
    }

    /// Encrypts the start of `bytes` as one record; the bytes taken (0 unless writable()).
    [[nodiscard]] std::size_t write(std::span<const std::uint8_t> bytes) {
        if (!writable() || bytes.empty()) return 0;
        const std::size_t len = std::min(bytes.size(), max_write);
        std::size_t n = 0;
        ::ERR_clear_error();
        if (::SSL_write_ex(ssl_.get(), bytes.data(), len, &n) != 1) {
            fail("TLS write failed: " + take_tls_errors("unknown error"));
            return 0;
        }
        return n;
    }

    /// Runs the handshake as far as the bytes so far allow; true once it is done.
    bool handshake() {
        if (established_ || failed_) return established_;
        ::ERR_clear_error();
        const int rc = ::SSL_do_handshake(ssl_.get());
        if (rc == 1) return established_ = true;
        switch (::SSL_get_error(ssl_.get(), rc)) {
            case SSL_ERROR_WANT_READ: starved_ = true; return false;
            case SSL_ERROR_WANT_WRITE: return false;
            case SSL_ERROR_ZERO_RETURN:
            case SSL_ERROR_SYSCALL: fail("TLS handshake failed: the peer closed the connection"); return false;
            default: break;
        }
        std::string why = take_tls_errors("unknown error");
        if (const long v = ::SSL_get_verify_result(ssl_.get()); v != X509_V_OK)
            why += std::string(" (") + ::X509_verify_cert_error_string(v) + ")";
        fail("TLS handshake failed: " + why);
        return false;
    }

    /// Queues a close_notify (once, after the handshake); true if it queued one.
    bool close() {
        if (!established_ || failed_ || notified_) return false;
        notified_ = true;
        ::ERR_clear_error();
        (void)::SSL_shutdown(ssl_.get());
        ::ERR_clear_error();
        return true;
    }

    /// True when read() cannot go on until input_written() or input_ended().
    [[nodiscard]] bool wants_input() const noexcept { return starved_ && !failed_; }
    [[nodiscard]] bool established() const noexcept { return established_; }
    [[nodiscard]] bool failed() const noexcept { return failed_; }
    /// Why it failed.
    [[nodiscard]] const std::string& error() const noexcept { return error_; }
    /// The protocol and cipher agreed, as "TLSv1.3 TLS_AES_256_GCM_SHA384".
    [[nodiscard]] std::string description() const {
        return std::string(::SSL_get_version(ssl_.get())) + " " + ::SSL_get_cipher_name(ssl_.get());
    }

private:
    struct free_ssl {
        void operator()(SSL* s) const noexcept { ::SSL_free(s); }
    };
    struct free_bio {
        void operator()(BIO* b) const noexcept { ::BIO_free(b); }
    };

    // The most a record adds to its plaintext: a 5-byte header and at most
    // 2048 bytes of expansion (RFC 5246 §6.2.3; TLS 1.3 adds at most 256).
    static constexpr std::size_t record_overhead = 5 + 2048;

    [[nodiscard]] std::span<std::uint8_t> space(int n) const noexcept {
        if (n <= 0) return {};
        return {reinterpret_cast<std::uint8_t*>(scratch_), static_cast<std::size_t>(n)};
    }

    void fail(std::string why) {
        failed_ = true;
        error_ = std::move(why);
    }

    std::unique_ptr<SSL, free_ssl> ssl_;
    std::unique_ptr<BIO, free_bio> net_;  // the application's end of the pair
    char* scratch_ = nullptr;             // where BIO_nread0/nwrite0 point
    bool established_ = false;
    bool starved_ = false;
    bool notified_ = false;
    bool failed_ = false;
    std::string error_;
};

// ------------------------------------------------ the examples' sockets

/// Reads plaintext into `buf` as ::read would: the bytes (> 0), 0 at the end
/// of the stream, or -1 with errno EAGAIN (write t.output() if it holds
/// anything, such as a handshake message; then, if t.wants_input(), wait for
/// the socket to be readable, else read again), EPROTO (TLS failed:
/// t.error()), or the socket's error.
[[nodiscard]] inline ssize_t read_input(int fd, tls_channel& t, std::uint8_t* buf, std::size_t size) {
    for (;;) {
        const tls_channel::result r = t.read({buf, size});
        switch (r.what) {
            case tls_channel::status::data: return static_cast<ssize_t>(r.size);
            case tls_channel::status::closed: return 0;
            case tls_channel::status::failed: errno = EPROTO; return -1;
            case tls_channel::status::want_input: break;
        }
        const std::span<std::uint8_t> space = t.input_space();
        if (!t.wants_input() || space.empty()) {  // it needs its output written first
            errno = EAGAIN;
            return -1;
        }
        const ssize_t n = ::read(fd, space.data(), space.size());
        if (n > 0) t.input_written(static_cast<std::size_t>(n));
        else if (n == 0) t.input_ended();
        else if (errno != EINTR) return -1;
    }
}

/// Moves a session's output through the channel to the socket, until the
/// session and the channel are drained or the socket is full. `drained`
/// while the handshake runs, with the session's output left waiting, and
/// after a failure once the alert is written.
template <class Session>
[[nodiscard]] flush_result write_output(int fd, tls_channel& t, Session& ws) {
    std::array<std::uint8_t, tls_channel::max_write> record;  // a frame header and the start of its payload
    (void)t.handshake();                                     // a client's hello goes out first
    for (;;) {
        while (t.writable()) {
            const wscodec::output_buffers out = ws.output();
            if (out.empty()) break;
            std::span<const std::uint8_t> bytes = out.parts[0];
            if (out.count > 1 && bytes.size() < record.size()) {  // gathered: one record, not a tiny one and another
                std::size_t n = 0;
                for (std::size_t i = 0; i < out.count && n < record.size(); ++i) {
                    const std::size_t take = std::min(out.parts[i].size(), record.size() - n);
                    std::memcpy(record.data() + n, out.parts[i].data(), take);
                    n += take;
                }
                bytes = std::span(record.data(), n);
            }
            const std::size_t taken = t.write(bytes);
            if (taken == 0) break;
            ws.consume(taken);
        }
        const std::span<const std::uint8_t> bytes = t.output();
        if (bytes.empty()) return flush_result::drained;
        const ssize_t w = ::write(fd, bytes.data(), bytes.size());
        if (w > 0) {
            t.output_sent(static_cast<std::size_t>(w));
            continue;
        }
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return flush_result::blocked;
        return flush_result::failed;
    }
}

}  // namespace examples
