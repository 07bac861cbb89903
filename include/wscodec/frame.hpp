// SPDX-License-Identifier: MIT
// wscodec/frame.hpp — the WebSocket frame header (RFC 6455 §5.2): opcodes,
// the two roles and their masking rules, decoding a header from received bytes
// (fail-fast, reporting how many more bytes it needs) and encoding one for
// sending. Stateless and constexpr; payload bytes are not touched here.
#pragma once

#include <array>
#include <wscodec/bytes.hpp>
#include <wscodec/error.hpp>

namespace wscodec {

/// Frame opcodes defined by RFC 6455 §5.2; 0x3-0x7 and 0xB-0xF are reserved.
enum class opcode : std::uint8_t {
    continuation = 0x0,
    text = 0x1,
    binary = 0x2,
    close = 0x8,
    ping = 0x9,
    pong = 0xA,
};

/// True if `op` is in the control range (most significant opcode bit set, §5.5).
[[nodiscard]] constexpr bool is_control(opcode op) noexcept {
    return (static_cast<std::uint8_t>(op) & 0x8) != 0;
}

/// True if `op` is in the data (non-control) range, continuation included (§5.6).
[[nodiscard]] constexpr bool is_data(opcode op) noexcept {
    return (static_cast<std::uint8_t>(op) & 0x8) == 0;
}

/// True if the 4-bit value `op` is one of the six opcodes RFC 6455 defines (§5.2).
[[nodiscard]] constexpr bool is_known_opcode(std::uint8_t op) noexcept {
    return op <= 0x2 || (op >= 0x8 && op <= 0xA);
}

/// RFC name of `op` in lower case ("text", "ping", ...), "reserved" otherwise.
[[nodiscard]] constexpr const char* opcode_name(opcode op) noexcept {
    switch (op) {
        case opcode::continuation: return "continuation";
        case opcode::text: return "text";
        case opcode::binary: return "binary";
        case opcode::close: return "close";
        case opcode::ping: return "ping";
        case opcode::pong: return "pong";
    }
    return "reserved";
}

/// The side of the connection an endpoint plays. A server requires masked
/// input and sends unmasked frames; a client the reverse (§5.1).
enum class role : std::uint8_t { server, client };

/// What a receiver demands of the MASK bit.
enum class mask_rule : std::uint8_t {
    required,   ///< every frame must be masked (a server receiving, §5.1)
    forbidden,  ///< no frame may be masked (a client receiving, §5.1)
    any,        ///< either is accepted (proxies, tools)
};

/// The mask rule RFC 6455 §5.1 imposes on frames that `receiver` receives.
[[nodiscard]] constexpr mask_rule mask_rule_for(role receiver) noexcept {
    return receiver == role::server ? mask_rule::required : mask_rule::forbidden;
}

/// Largest encoded header: 2 fixed bytes, 8 of extended length, 4 of mask key.
inline constexpr std::size_t max_header_size = 14;
/// Largest control frame payload (§5.5).
inline constexpr std::size_t max_control_payload = 125;
/// Largest payload length the 63-bit length field can carry (§5.2).
inline constexpr std::uint64_t max_payload_length = 0x7FFF'FFFF'FFFF'FFFF;

/// RSV bits as held in frame_header::rsv and decode_rules::allowed_rsv.
inline constexpr std::uint8_t rsv1 = 0x4;
inline constexpr std::uint8_t rsv2 = 0x2;
inline constexpr std::uint8_t rsv3 = 0x1;

/// A decoded or to-be-encoded frame header. `key` is meaningful only when
/// `masked`. State: 16 bytes.
struct frame_header {
    bool fin = true;
    std::uint8_t rsv = 0;  ///< RSV1-3 as rsv1 | rsv2 | rsv3
    opcode op = opcode::binary;
    bool masked = false;
    mask_key key{};
    std::uint64_t payload_length = 0;

    friend constexpr bool operator==(const frame_header&, const frame_header&) = default;
};

/// What the receiver accepts beyond the base protocol.
struct decode_rules {
    mask_rule mask = mask_rule::required;
    /// RSV bits a negotiated extension gives meaning to (§5.2, §9); e.g. rsv1
    /// for permessage-deflate.
    std::uint8_t allowed_rsv = 0;
    /// Accept a length in a wider form than needed (126, 0, 5 for 5). §5.2
    /// says "the minimal number of bytes MUST be used to encode the length":
    /// a MUST on the sender, silent on the receiver. We reject such headers by
    /// default, because a conforming peer never sends them and two decoders
    /// that disagree on them are a smuggling risk; this option accepts them
    /// for interop with lenient senders. Control frames never qualify: their
    /// length always fits the 7-bit field.
    bool allow_non_minimal_length = false;
};

/// The strict rules of the base protocol for frames that `receiver` receives.
[[nodiscard]] constexpr decode_rules rules_for(role receiver) noexcept {
    return decode_rules{mask_rule_for(receiver), 0, false};
}

enum class decode_status : std::uint8_t { ok, need_more, failed };

/// Outcome of try_decode_header. ok: `size` is the header bytes consumed
/// (2..14) and `header` is set. need_more: `size` is the least number of
/// further bytes needed (exact once the second byte has arrived). failed:
/// `size` is the offset of the offending byte and `err` the error. `header`
/// is default-constructed unless ok.
struct decode_result {
    decode_status status = decode_status::need_more;
    std::size_t size = 0;
    error err = error::none;
    frame_header header{};

    friend constexpr bool operator==(const decode_result&, const decode_result&) = default;
};

namespace detail {
[[nodiscard]] constexpr decode_result decode_need(std::size_t more) noexcept {
    return {decode_status::need_more, more, error::none, {}};
}
[[nodiscard]] constexpr decode_result decode_fail(error e, std::size_t offset) noexcept {
    return {decode_status::failed, offset, e, {}};
}
}  // namespace detail

// The header's fields, each read in one place (§5.2). Every decoding path
// (try_decode_header and the connection's straight-line path) uses these.

/// The FIN bit of byte 0.
[[nodiscard]] constexpr bool fin_bit(std::uint8_t b0) noexcept { return (b0 & 0x80) != 0; }
/// RSV1-3 of byte 0, as rsv1 | rsv2 | rsv3.
[[nodiscard]] constexpr std::uint8_t rsv_bits(std::uint8_t b0) noexcept {
    return static_cast<std::uint8_t>((b0 >> 4) & 0x7);
}
/// The 4-bit opcode of byte 0.
[[nodiscard]] constexpr std::uint8_t opcode_bits(std::uint8_t b0) noexcept { return b0 & 0x0F; }
/// The MASK bit of byte 1.
[[nodiscard]] constexpr bool mask_bit(std::uint8_t b1) noexcept { return (b1 & 0x80) != 0; }
/// The 7-bit length field of byte 1 (126: 16-bit length follows; 127: 64-bit).
[[nodiscard]] constexpr std::uint8_t length7(std::uint8_t b1) noexcept { return b1 & 0x7F; }
/// Bytes of extended length that the 7-bit field `len7` announces: 0, 2 or 8.
[[nodiscard]] constexpr std::size_t extended_length_size(std::uint8_t len7) noexcept {
    return len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
}
/// The big-endian extended length of `size` bytes (2 or 8) at `p`.
[[nodiscard]] constexpr std::uint64_t read_extended_length(const std::uint8_t* p, std::size_t size) noexcept {
    std::uint64_t length = 0;
    for (std::size_t i = 0; i < size; ++i) length = (length << 8) | p[i];
    return length;
}
/// True if `length` needed the `size`-byte extended form (§5.2: the minimal
/// number of bytes MUST be used).
[[nodiscard]] constexpr bool is_minimal_length(std::uint64_t length, std::size_t size) noexcept {
    return size == 0 || (size == 2 ? length >= 126 : length > 0xFFFF);
}
/// True if byte 0 starts a data frame (continuation, text or binary) with no
/// RSV bit: the frames no extension and no control logic need to look at.
[[nodiscard]] constexpr bool is_plain_data_first_byte(std::uint8_t b0) noexcept {
    return (b0 & 0x7F) <= 0x2;  // below FIN: RSV1-3 clear and an opcode of 0, 1 or 2
}

/// The first rule of §5.2/§5.5 that byte 0 alone breaks under `rules`, in
/// bit order: reserved_bits_set, reserved_opcode, control_frame_fragmented.
[[nodiscard]] constexpr error check_first_byte(std::uint8_t b0, const decode_rules& rules) noexcept {
    if ((rsv_bits(b0) & ~rules.allowed_rsv) != 0) return error::reserved_bits_set;
    if (!is_known_opcode(opcode_bits(b0))) return error::reserved_opcode;
    if (is_control(static_cast<opcode>(opcode_bits(b0))) && !fin_bit(b0)) return error::control_frame_fragmented;
    return error::none;
}

/// The first rule of §5.1/§5.5 that byte 1 breaks after a valid byte 0:
/// frame_masked / frame_not_masked, then control_frame_too_long.
[[nodiscard]] constexpr error check_second_byte(std::uint8_t b0, std::uint8_t b1, const decode_rules& rules) noexcept {
    const bool masked = mask_bit(b1);
    if (masked && rules.mask == mask_rule::forbidden) return error::frame_masked;
    if (!masked && rules.mask == mask_rule::required) return error::frame_not_masked;
    if (is_control(static_cast<opcode>(opcode_bits(b0))) && length7(b1) > max_control_payload)
        return error::control_frame_too_long;
    return error::none;
}

/// Decodes the frame header at the start of `in` under `rules`, failing as soon
/// as the bytes that break a rule have arrived; bytes after the header are not
/// read.
///
/// Errors are checked in wire order, so a byte never has to wait for a later
/// one to be judged, and within a byte in bit order (a check that needs the
/// opcode comes after it):
///   byte 0: check_first_byte;
///   byte 1: check_second_byte;
///   byte 2: length_msb_set (64-bit form);
///   end of the extended length: non_minimal_length, at offset 1, the byte
///           that chose the wider form.
[[nodiscard]] constexpr decode_result try_decode_header(bytes_view in, const decode_rules& rules = {}) noexcept {
    const std::size_t n = in.size();
    if (n == 0) return detail::decode_need(2);
    const std::uint8_t b0 = in[0];
    if (const error e = check_first_byte(b0, rules); e != error::none) return detail::decode_fail(e, 0);
    if (n == 1) return detail::decode_need(1);

    const std::uint8_t b1 = in[1];
    if (const error e = check_second_byte(b0, b1, rules); e != error::none) return detail::decode_fail(e, 1);
    const bool masked = mask_bit(b1);
    const std::size_t ext = extended_length_size(length7(b1));
    const std::size_t total = 2 + ext + (masked ? 4 : 0);
    if (ext == 8 && n > 2 && (in[2] & 0x80) != 0) return detail::decode_fail(error::length_msb_set, 2);
    if (n < 2 + ext) return detail::decode_need(total - n);

    std::uint64_t length = length7(b1);
    if (ext != 0) {
        length = read_extended_length(in.data() + 2, ext);
        if (!is_minimal_length(length, ext) && !rules.allow_non_minimal_length)
            return detail::decode_fail(error::non_minimal_length, 1);
    }
    if (n < total) return detail::decode_need(total - n);

    frame_header h;
    h.fin = fin_bit(b0);
    h.rsv = rsv_bits(b0);
    h.op = static_cast<opcode>(opcode_bits(b0));
    h.masked = masked;
    h.payload_length = length;
    if (masked) {
        for (std::size_t i = 0; i < 4; ++i) h.key[i] = in[2 + ext + i];
    }
    return {decode_status::ok, total, error::none, h};
}

/// Bytes encode_header writes for `h` (2..14): minimal length form plus the
/// mask key if masked.
[[nodiscard]] constexpr std::size_t header_size(const frame_header& h) noexcept {
    const std::size_t ext = h.payload_length < 126 ? 0 : h.payload_length <= 0xFFFF ? 2 : 8;
    return 2 + ext + (h.masked ? 4 : 0);
}

/// The first rule of §5.2/§5.5 that `h` breaks as a header to send, checked in
/// this order: unknown_opcode, invalid_rsv, control_frame_not_final,
/// control_payload_too_long, payload_too_long; error::none if it may be sent.
/// The mask bit is the sender's role to choose and is not checked.
[[nodiscard]] constexpr error check_header(const frame_header& h) noexcept {
    const auto op = static_cast<std::uint8_t>(h.op);
    if (!is_known_opcode(op)) return error::unknown_opcode;
    if ((h.rsv & ~0x7) != 0) return error::invalid_rsv;
    if (is_control(h.op)) {
        if (!h.fin) return error::control_frame_not_final;
        if (h.payload_length > max_control_payload) return error::control_payload_too_long;
    }
    if (h.payload_length > max_payload_length) return error::payload_too_long;
    return error::none;
}

/// Writes `h` to the start of `out` with the minimal length form and returns
/// header_size(h). `h` should pass check_header; fields are cut to their wire
/// widths, so a header that does not yields bytes a peer rejects, never a
/// write past header_size(h).
[[nodiscard]] constexpr std::size_t encode_header(const frame_header& h,
                                                 std::span<std::uint8_t, max_header_size> out) noexcept {
    out[0] = static_cast<std::uint8_t>((h.fin ? 0x80 : 0) | ((h.rsv & 0x7) << 4) |
                                       (static_cast<std::uint8_t>(h.op) & 0x0F));
    const auto mask_bit = static_cast<std::uint8_t>(h.masked ? 0x80 : 0);
    const std::uint64_t len = h.payload_length;
    std::size_t pos = 2;
    if (len < 126) {
        out[1] = static_cast<std::uint8_t>(mask_bit | len);
    } else if (len <= 0xFFFF) {
        out[1] = static_cast<std::uint8_t>(mask_bit | 126);
        out[2] = static_cast<std::uint8_t>(len >> 8);
        out[3] = static_cast<std::uint8_t>(len);
        pos = 4;
    } else {
        out[1] = static_cast<std::uint8_t>(mask_bit | 127);
        for (std::size_t i = 0; i < 8; ++i) out[2 + i] = static_cast<std::uint8_t>(len >> (56 - 8 * i));
        pos = 10;
    }
    if (h.masked) {
        for (std::size_t i = 0; i < 4; ++i) out[pos + i] = h.key[i];
        pos += 4;
    }
    return pos;
}

/// An encoded header held by value.
struct encoded_header {
    std::array<std::uint8_t, max_header_size> bytes{};
    std::uint8_t size = 0;

    /// The `size` encoded bytes; valid while this object lives.
    [[nodiscard]] constexpr bytes_view view() const noexcept { return bytes_view(bytes.data(), size); }
};

/// Encodes `h` as encode_header(h, out) does, into a value.
[[nodiscard]] constexpr encoded_header encode_header(const frame_header& h) noexcept {
    encoded_header e;
    e.size = static_cast<std::uint8_t>(encode_header(h, std::span<std::uint8_t, max_header_size>(e.bytes)));
    return e;
}

}  // namespace wscodec
