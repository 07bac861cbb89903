// SPDX-License-Identifier: MIT
// wscodec/permessage_deflate.hpp — negotiation of permessage-deflate (RFC 7692 §5, §7.1):
// reading an offer, choosing the server's answer, writing the client's offer and checking
// the server's answer, with the agreed parameters and one error table. Views and caller
// buffers only: no state, no allocation, no exception.
#pragma once

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <span>
#include <string_view>
#include <wscodec/detail/http_chars.hpp>
#include <wscodec/detail/http_lists.hpp>
#include <wscodec/deflate_stream.hpp>
#include <wscodec/http_message.hpp>

namespace wscodec {

/// Why a permessage-deflate offer was declined, or a response refused. Stable values: append,
/// never renumber. `invalid_options` and `buffer_too_small` are the caller's mistakes; every
/// other value is about what the peer sent.
enum class deflate_error : std::uint8_t {
    none = 0,
    malformed = 1,            ///< the element does not follow RFC 6455 §9.1's extension grammar
    unknown_parameter = 2,    ///< §7: a parameter permessage-deflate does not define
    duplicate_parameter = 3,  ///< §7: a parameter given twice
    bad_value = 4,            ///< §7.1: a value on a no-context-takeover parameter, a window size that is not 8..15 in decimal without leading zeros, or a missing one where §7.1.2 requires it
    window_8_unsupported = 5, ///< the side that must compress with a 256-byte window cannot (zlib cannot)
    not_offered = 6,          ///< response: permessage-deflate or client_max_window_bits that the client did not offer (§7.1.2.2)
    window_too_large = 7,     ///< response: a window larger than the offer allowed (§7.1.2.1, §7.1.2.2)
    missing_server_no_context_takeover = 8,  ///< response: server_no_context_takeover offered but not answered (§7.1.1.1)
    missing_server_max_window_bits = 9,      ///< response: server_max_window_bits offered but not answered (§7.1.2.1)
    duplicate_extension = 10, ///< response: permessage-deflate accepted twice; both would use RSV1 (§5)
    invalid_options = 11,     ///< local: an option outside 8..15, or 8 for a compressor that cannot use it
    buffer_too_small = 12,    ///< local: the output buffer holds less than the text (deflate_text_capacity always suffices)
};

namespace detail {

/// One deflate_error described once.
struct deflate_error_row {
    deflate_error value;
    const char* name;     ///< the enumerator's name
    const char* message;  ///< one sentence for a user
};

/// Row i describes the deflate_error whose value is i (checked below).
inline constexpr deflate_error_row deflate_error_rows[] = {
    {deflate_error::none, "none", "no error"},
    {deflate_error::malformed, "malformed", "permessage-deflate element is not a well-formed extension"},
    {deflate_error::unknown_parameter, "unknown_parameter", "permessage-deflate parameter is not defined by RFC 7692"},
    {deflate_error::duplicate_parameter, "duplicate_parameter", "permessage-deflate parameter appears more than once"},
    {deflate_error::bad_value, "bad_value", "permessage-deflate parameter has an invalid value (window bits must be 8 to 15)"},
    {deflate_error::window_8_unsupported, "window_8_unsupported",
     "a window of 8 bits (256 bytes) is required, but the compressor cannot compress with it"},
    {deflate_error::not_offered, "not_offered", "server answered with a permessage-deflate parameter the client did not offer"},
    {deflate_error::window_too_large, "window_too_large", "server answered with a larger window than the client offered"},
    {deflate_error::missing_server_no_context_takeover, "missing_server_no_context_takeover",
     "client asked for server_no_context_takeover, the server's answer lacks it"},
    {deflate_error::missing_server_max_window_bits, "missing_server_max_window_bits",
     "client asked for server_max_window_bits, the server's answer lacks it"},
    {deflate_error::duplicate_extension, "duplicate_extension", "server accepted permessage-deflate more than once"},
    {deflate_error::invalid_options, "invalid_options",
     "deflate options hold a window size outside 8 to 15, or 8 for a compressor that cannot use it"},
    {deflate_error::buffer_too_small, "buffer_too_small", "buffer is too small for the extension text"},
};

[[nodiscard]] constexpr bool deflate_error_rows_in_order() noexcept {
    for (std::size_t i = 0; i < std::size(deflate_error_rows); ++i)
        if (static_cast<std::size_t>(deflate_error_rows[i].value) != i) return false;
    return true;
}
static_assert(deflate_error_rows_in_order(), "deflate_error_rows: row i must describe the deflate_error whose value is i");
static_assert(std::size(deflate_error_rows) == static_cast<std::size_t>(deflate_error::buffer_too_small) + 1,
              "deflate_error_rows: one row per deflate_error, the last enumerator last");

inline constexpr deflate_error_row unknown_deflate_error_row{static_cast<deflate_error>(0xFF), "unknown", "unknown error"};

[[nodiscard]] constexpr const deflate_error_row& deflate_error_row_of(deflate_error e) noexcept {
    const auto i = static_cast<std::size_t>(e);
    return i < std::size(deflate_error_rows) ? deflate_error_rows[i] : unknown_deflate_error_row;
}

}  // namespace detail

/// Stable snake_case name of `e`, equal to the enumerator's name ("unknown" for a value with none).
[[nodiscard]] constexpr const char* deflate_error_name(deflate_error e) noexcept {
    return detail::deflate_error_row_of(e).name;
}

/// One-sentence description of `e` for a user ("unknown error" for a value with no enumerator).
[[nodiscard]] constexpr const char* deflate_error_message(deflate_error e) noexcept {
    return detail::deflate_error_row_of(e).message;
}

/// The extension's name (RFC 7692 §7).
inline constexpr std::string_view permessage_deflate_name = "permessage-deflate";

/// Bytes that always hold an offer or a response: the name and all four parameters with
/// two-digit values, "permessage-deflate; server_no_context_takeover;
/// client_no_context_takeover; server_max_window_bits=15; client_max_window_bits=15".
inline constexpr std::size_t deflate_text_capacity = 128;

/// What a server agrees to. Off by default: a connection that agrees to permessage-deflate
/// receives messages with RSV1 set.
struct deflate_server_options {
    bool enabled = false;
    /// Largest window the server compresses with, 8..15. The answer is the smaller of this and
    /// the client's server_max_window_bits, and names it when below 15 (§7.1.2.1).
    std::uint8_t server_max_window_bits = 15;
    /// Largest window the server lets the client compress with, 8..15 (a smaller one makes the
    /// server's inflater smaller). Only a client that offered client_max_window_bits can be
    /// told (§7.1.2.2); other offers are accepted with the client's window at 15.
    std::uint8_t client_max_window_bits = 15;
    bool server_no_context_takeover = false;  ///< always answer server_no_context_takeover (§7.1.1.1 allows it)
    bool client_no_context_takeover = false;  ///< always answer client_no_context_takeover (§7.1.1.2 allows it)
    /// The compressor can use a 256-byte window. zlib cannot (it compresses with 512 bytes
    /// when asked for 8), and §7.1.2.1 forbids a window larger than the client's
    /// server_max_window_bits, so without this an offer of server_max_window_bits=8 is
    /// declined and server_max_window_bits above may not be 8.
    bool can_compress_window_8 = false;
};

/// What a client offers: the offer's parameters, plus what the client can do. Off by default.
/// parse_deflate_offer() reads an offer back into this form.
struct deflate_client_options {
    bool enabled = false;
    bool server_no_context_takeover = false;  ///< §7.1.1.1: ask the server to reset its compressor per message
    bool client_no_context_takeover = false;  ///< §7.1.1.2: tell the server the client resets its own
    /// §7.1.2.1: 0 sends no server_max_window_bits; 8..15 asks the server to compress with at
    /// most that window (the answer must then name a window no larger).
    std::uint8_t server_max_window_bits = 0;
    /// §7.1.2.2: send client_max_window_bits, with no value unless `client_max_window_bits`
    /// is set: the server may then tell the client a smaller window. On by default, as
    /// browsers do; without it the client always compresses with up to 15 bits.
    bool offer_client_max_window_bits = true;
    /// 0 sends no value (some servers and gateways reject one); 8..15 sends
    /// client_max_window_bits=n (even if offer_client_max_window_bits is false): the client
    /// will not compress with a larger window, whatever the answer.
    std::uint8_t client_max_window_bits = 0;
    /// The compressor can use a 256-byte window. zlib cannot: without this, an answer of
    /// client_max_window_bits=8 fails with window_8_unsupported, and client_max_window_bits
    /// above may not be 8.
    bool can_compress_window_8 = false;

    /// True if the offer holds client_max_window_bits, with or without a value.
    [[nodiscard]] constexpr bool offers_client_max_window_bits() const noexcept {
        return offer_client_max_window_bits || client_max_window_bits != 0;
    }
};

/// An offer read by parse_deflate_offer(): its parameters as the client options that would
/// have written it (`enabled` set, `can_compress_window_8` false: the text does not say).
struct deflate_offer {
    deflate_error err = deflate_error::none;
    deflate_client_options params{};

    [[nodiscard]] constexpr bool ok() const noexcept { return err == deflate_error::none; }
};

/// What negotiate_deflate() decided. `response` views the caller's buffer.
struct deflate_negotiation {
    /// invalid_options or buffer_too_small: nothing was accepted and the caller must fix the
    /// call. none otherwise, whether an offer was accepted or not: a declined offer never
    /// fails the handshake.
    deflate_error err = deflate_error::none;
    bool accepted = false;
    std::size_t offer_index = 0;   ///< the accepted element's position in the list, other extensions counted
    std::string_view offer;        ///< the accepted element as the client sent it
    deflate_params params{};       ///< the agreed parameters, if accepted
    std::string_view response;     ///< the Sec-WebSocket-Extensions element to answer with, if accepted
    std::size_t declined = 0;      ///< permessage-deflate offers declined before the accepted one (or all)
    deflate_error first_decline = deflate_error::none;  ///< why the first of them was declined

    [[nodiscard]] constexpr bool ok() const noexcept { return err == deflate_error::none; }
};

/// The outcome of accept_deflate_response().
struct deflate_agreement {
    deflate_error err = deflate_error::none;  ///< not none: fail the handshake (§7: the client MUST Fail the WebSocket Connection)
    bool agreed = false;                       ///< the server accepted permessage-deflate
    deflate_params params{};                   ///< the agreed parameters, if agreed

    [[nodiscard]] constexpr bool ok() const noexcept { return err == deflate_error::none; }
};

/// What write_deflate_offer() wrote: `text` views the caller's buffer, empty if the options
/// are disabled or on an error.
struct deflate_text {
    deflate_error err = deflate_error::none;
    std::string_view text;

    [[nodiscard]] constexpr bool ok() const noexcept { return err == deflate_error::none; }
};

namespace detail {

/// A window size as §7.1.2 spells it: "a decimal integer value without leading zeroes between
/// 8 to 15, inclusive", after unescaping a quoted-string (RFC 6455 §9.1; param_cursor has
/// dropped the quotes and left the escapes). 0 if it is not one.
[[nodiscard]] constexpr std::uint8_t parse_window_bits(std::string_view v) noexcept {
    char digits[2] = {};
    std::size_t n = 0;
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (v[i] == '\\' && ++i == v.size()) return 0;
        if (n == 2 || v[i] < '0' || v[i] > '9') return 0;
        digits[n++] = v[i];
    }
    if (n == 1) return digits[0] >= '8' ? static_cast<std::uint8_t>(digits[0] - '0') : 0;
    if (n == 2 && digits[0] == '1' && digits[1] <= '5') return static_cast<std::uint8_t>(10 + digits[1] - '0');
    return 0;
}

/// The four parameters of a permessage-deflate element as written, before either side's rules.
struct deflate_raw {
    bool server_no_context_takeover = false;
    bool client_no_context_takeover = false;
    std::uint8_t server_max_window_bits = 0;  ///< 0: absent
    bool client_max_window_bits = false;      ///< present
    std::uint8_t client_window_value = 0;     ///< 0: present without a value, or absent
};

/// Reads the parameters of the permessage-deflate element `e` (§7): the grammar of RFC 6455
/// §9.1, names compared ignoring case (RFC 9110 §5.6.6), each at most once, no value on the
/// no-context-takeover ones, a valid window size on server_max_window_bits and on a
/// client_max_window_bits that has a value.
[[nodiscard]] inline deflate_error read_deflate_params(const extension& e, deflate_raw& out) noexcept {
    if (!is_extension(e.text)) return deflate_error::malformed;
    out = {};
    bool seen[4] = {};
    for (const extension_param& p : e.params()) {
        std::size_t which = 0;
        if (iequals(p.name, "server_no_context_takeover")) which = 0;
        else if (iequals(p.name, "client_no_context_takeover")) which = 1;
        else if (iequals(p.name, "server_max_window_bits")) which = 2;
        else if (iequals(p.name, "client_max_window_bits")) which = 3;
        else return deflate_error::unknown_parameter;
        if (seen[which]) return deflate_error::duplicate_parameter;
        seen[which] = true;
        const std::uint8_t bits = p.has_value ? parse_window_bits(p.value) : std::uint8_t{0};
        switch (which) {
            case 0:
            case 1:
                if (p.has_value) return deflate_error::bad_value;
                (which == 0 ? out.server_no_context_takeover : out.client_no_context_takeover) = true;
                break;
            case 2:
                if (bits == 0) return deflate_error::bad_value;
                out.server_max_window_bits = bits;
                break;
            default:
                if (p.has_value && bits == 0) return deflate_error::bad_value;
                out.client_max_window_bits = true;
                out.client_window_value = bits;
                break;
        }
    }
    return deflate_error::none;
}

[[nodiscard]] constexpr bool is_window_bits(std::uint8_t n) noexcept { return n >= 8 && n <= 15; }

/// Appends to a caller buffer; `failed` once anything did not fit.
struct text_writer {
    std::span<char> out;
    std::size_t size = 0;
    bool failed = false;

    constexpr void put(std::string_view s) noexcept {
        if (failed || out.size() - size < s.size()) {
            failed = true;
            return;
        }
        for (char c : s) out[size++] = c;
    }
    constexpr void put_param(std::string_view name) noexcept {
        put("; ");
        put(name);
    }
    constexpr void put_param(std::string_view name, std::uint8_t bits) noexcept {
        put_param(name);
        char text[3] = {'=', static_cast<char>('0' + bits / 10), static_cast<char>('0' + bits % 10)};
        if (bits < 10) text[1] = text[2];
        put(std::string_view(text, bits < 10 ? 2 : 3));
    }
    [[nodiscard]] constexpr std::string_view view() const noexcept { return {out.data(), size}; }
};

/// A range of `extension`: http_request::extensions(), http_response::extensions(),
/// extended_connect_request::extensions(), or a container of them.
template <class R>
concept extension_list = requires(const R& r) {
    { *r.begin() } -> std::convertible_to<const extension&>;
    r.end();
};

/// The extensions of one Sec-WebSocket-Extensions field value.
[[nodiscard]] inline extension_range extensions_of(std::string_view field_value) noexcept {
    return extension_range(extension_cursor(field_value));
}

}  // namespace detail

/// Reads the permessage-deflate element `e` as an offer (§7): declined (err set) for malformed
/// grammar, an unknown or repeated parameter, a value on server_no_context_takeover or
/// client_no_context_takeover, or a window size that is missing on server_max_window_bits or
/// is not 8..15 (decimal, no leading zero, quoted or not). The caller checks the name.
[[nodiscard]] inline deflate_offer parse_deflate_offer(const extension& e) noexcept {
    detail::deflate_raw raw;
    deflate_offer o;
    o.err = detail::read_deflate_params(e, raw);
    if (!o.ok()) return o;
    o.params.enabled = true;
    o.params.server_no_context_takeover = raw.server_no_context_takeover;
    o.params.client_no_context_takeover = raw.client_no_context_takeover;
    o.params.server_max_window_bits = raw.server_max_window_bits;
    o.params.offer_client_max_window_bits = raw.client_max_window_bits;
    o.params.client_max_window_bits = raw.client_window_value;
    return o;
}

/// The server's side of §7.1: walks the client's offers in order, skips other extensions,
/// and accepts the first permessage-deflate offer it can honour, writing its answer into
/// `out` (deflate_text_capacity bytes always suffice). An offer parse_deflate_offer()
/// refuses, or one asking for server_max_window_bits=8 from a compressor that cannot use it,
/// is declined and the next one tried. The agreed parameters: the server's window is the
/// smaller of its option and the offer's server_max_window_bits; the client's is the smaller
/// of the offer's client_max_window_bits value (15 if none) and the server's option when the
/// offer holds client_max_window_bits, else 15; each no-context-takeover flag is set if the
/// offer or the options ask for it. The answer is "permessage-deflate" followed, in this
/// order, by server_no_context_takeover and client_no_context_takeover if set,
/// server_max_window_bits=n if offered or below 15, and client_max_window_bits=n if offered
/// and below 15 (§7.1.2.2: never if not offered).
template <detail::extension_list Extensions>
[[nodiscard]] deflate_negotiation negotiate_deflate(const Extensions& offers, const deflate_server_options& options,
                                                    std::span<char> out) noexcept {
    deflate_negotiation n;
    if (!options.enabled) return n;
    if (!detail::is_window_bits(options.server_max_window_bits) ||
        !detail::is_window_bits(options.client_max_window_bits) ||
        (options.server_max_window_bits == 8 && !options.can_compress_window_8)) {
        n.err = deflate_error::invalid_options;
        return n;
    }
    std::size_t index = 0;
    for (auto it = offers.begin(); it != offers.end(); ++it, ++index) {
        const extension& e = *it;
        if (!detail::iequals(e.name, permessage_deflate_name)) continue;
        const deflate_offer o = parse_deflate_offer(e);
        deflate_error why = o.err;
        const std::uint8_t offered_server = o.params.server_max_window_bits;
        const std::uint8_t server_bits =
            offered_server != 0 ? std::min(offered_server, options.server_max_window_bits) : options.server_max_window_bits;
        if (o.ok() && server_bits == 8 && !options.can_compress_window_8) why = deflate_error::window_8_unsupported;
        if (why != deflate_error::none) {
            if (n.declined++ == 0) n.first_decline = why;
            continue;
        }
        const bool offered_client = o.params.offers_client_max_window_bits();
        deflate_params p;
        p.server_no_context_takeover = o.params.server_no_context_takeover || options.server_no_context_takeover;
        p.client_no_context_takeover = o.params.client_no_context_takeover || options.client_no_context_takeover;
        p.server_max_window_bits = server_bits;
        p.client_max_window_bits = 15;
        if (offered_client) {
            const std::uint8_t client_value = o.params.client_max_window_bits != 0 ? o.params.client_max_window_bits : 15;
            p.client_max_window_bits = std::min(client_value, options.client_max_window_bits);
        }

        detail::text_writer w{out};
        w.put(permessage_deflate_name);
        if (p.server_no_context_takeover) w.put_param("server_no_context_takeover");
        if (p.client_no_context_takeover) w.put_param("client_no_context_takeover");
        if (offered_server != 0 || p.server_max_window_bits < 15) w.put_param("server_max_window_bits", p.server_max_window_bits);
        if (offered_client && p.client_max_window_bits < 15) w.put_param("client_max_window_bits", p.client_max_window_bits);
        if (w.failed) {
            n.err = deflate_error::buffer_too_small;
            return n;
        }
        n.accepted = true;
        n.offer_index = index;
        n.offer = e.text;
        n.params = p;
        n.response = w.view();
        return n;
    }
    return n;
}

/// negotiate_deflate() over the extensions of one Sec-WebSocket-Extensions field value.
[[nodiscard]] inline deflate_negotiation negotiate_deflate(std::string_view field_value,
                                                           const deflate_server_options& options,
                                                           std::span<char> out) noexcept {
    return negotiate_deflate(detail::extensions_of(field_value), options, out);
}

/// True if the client options are usable: window sizes 0 or 8..15, and 8 for the client's own
/// window only with a compressor that can use it.
[[nodiscard]] constexpr bool valid_deflate_options(const deflate_client_options& o) noexcept {
    return (o.server_max_window_bits == 0 || detail::is_window_bits(o.server_max_window_bits)) &&
           (o.client_max_window_bits == 0 || detail::is_window_bits(o.client_max_window_bits)) &&
           (o.client_max_window_bits != 8 || o.can_compress_window_8);
}

/// The client's offer (§7.1) into `out` (deflate_text_capacity bytes always suffice):
/// "permessage-deflate" followed, in this order, by server_no_context_takeover,
/// client_no_context_takeover, server_max_window_bits=n and client_max_window_bits[=n] as
/// the options ask. Empty if the options are disabled.
[[nodiscard]] constexpr deflate_text write_deflate_offer(const deflate_client_options& options,
                                                         std::span<char> out) noexcept {
    deflate_text t;
    if (!options.enabled) return t;
    if (!valid_deflate_options(options)) {
        t.err = deflate_error::invalid_options;
        return t;
    }
    detail::text_writer w{out};
    w.put(permessage_deflate_name);
    if (options.server_no_context_takeover) w.put_param("server_no_context_takeover");
    if (options.client_no_context_takeover) w.put_param("client_no_context_takeover");
    if (options.server_max_window_bits != 0) w.put_param("server_max_window_bits", options.server_max_window_bits);
    if (options.client_max_window_bits != 0) w.put_param("client_max_window_bits", options.client_max_window_bits);
    else if (options.offer_client_max_window_bits) w.put_param("client_max_window_bits");
    if (w.failed) t.err = deflate_error::buffer_too_small;
    else t.text = w.view();
    return t;
}

/// The client's side of §7.1: checks the server's answer to the offer `options` wrote and
/// returns the agreed parameters. Other extensions are skipped; no permessage-deflate means
/// none agreed. It fails (§7: the client MUST Fail the WebSocket Connection) on
/// permessage-deflate not offered or accepted twice (§5), a parameter parse_deflate_offer()
/// would refuse, client_max_window_bits without a value or not offered (§7.1.2.2), a window
/// larger than offered, server_no_context_takeover or server_max_window_bits offered but not
/// answered (§7.1.1.1, §7.1.2.1), and client_max_window_bits=8 when the client's compressor
/// cannot use it. The client's window is the answer's, else the offer's value, else 15; its
/// no-context-takeover is set if offered or answered.
template <detail::extension_list Extensions>
[[nodiscard]] deflate_agreement accept_deflate_response(const Extensions& response,
                                                        const deflate_client_options& options) noexcept {
    deflate_agreement a;
    const auto fail = [](deflate_error e) {
        deflate_agreement f;
        f.err = e;
        return f;
    };
    if (options.enabled && !valid_deflate_options(options)) return fail(deflate_error::invalid_options);
    for (auto it = response.begin(); it != response.end(); ++it) {
        const extension& e = *it;
        if (!detail::iequals(e.name, permessage_deflate_name)) continue;
        if (!options.enabled) return fail(deflate_error::not_offered);
        if (a.agreed) return fail(deflate_error::duplicate_extension);
        detail::deflate_raw r;
        if (const deflate_error err = detail::read_deflate_params(e, r); err != deflate_error::none) return fail(err);
        if (r.client_max_window_bits && r.client_window_value == 0) return fail(deflate_error::bad_value);
        if (options.server_no_context_takeover && !r.server_no_context_takeover)
            return fail(deflate_error::missing_server_no_context_takeover);
        if (options.server_max_window_bits != 0) {
            if (r.server_max_window_bits == 0) return fail(deflate_error::missing_server_max_window_bits);
            if (r.server_max_window_bits > options.server_max_window_bits) return fail(deflate_error::window_too_large);
        }
        if (r.client_max_window_bits) {
            if (!options.offers_client_max_window_bits()) return fail(deflate_error::not_offered);
            if (options.client_max_window_bits != 0 && r.client_window_value > options.client_max_window_bits)
                return fail(deflate_error::window_too_large);
            if (r.client_window_value == 8 && !options.can_compress_window_8)
                return fail(deflate_error::window_8_unsupported);
        }
        a.agreed = true;
        a.params.server_no_context_takeover = r.server_no_context_takeover;
        a.params.client_no_context_takeover = r.client_no_context_takeover || options.client_no_context_takeover;
        a.params.server_max_window_bits = r.server_max_window_bits != 0 ? r.server_max_window_bits : std::uint8_t{15};
        a.params.client_max_window_bits = r.client_window_value != 0       ? r.client_window_value
                                          : options.client_max_window_bits != 0 ? options.client_max_window_bits
                                                                                : std::uint8_t{15};
    }
    return a;
}

/// accept_deflate_response() over the extensions of one Sec-WebSocket-Extensions field value.
[[nodiscard]] inline deflate_agreement accept_deflate_response(std::string_view field_value,
                                                               const deflate_client_options& options) noexcept {
    return accept_deflate_response(detail::extensions_of(field_value), options);
}

}  // namespace wscodec
