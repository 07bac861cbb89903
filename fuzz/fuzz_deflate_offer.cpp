// SPDX-License-Identifier: MIT
// fuzz/fuzz_deflate_offer.cpp — libFuzzer target for wscodec/permessage_deflate.hpp.
// Input: three configuration bytes, then a Sec-WebSocket-Extensions value read as the
// client's offers. Byte 0 sets the server's flags (server_no_context_takeover,
// client_no_context_takeover, can_compress_window_8) and which client options read the
// input as a response; byte 1 the server's two window sizes (8..15, so 8 without the
// capability is an invalid option); byte 2 below 16 shrinks the output buffer to 8 * byte 2.
// Oracles:
// - negotiation fails only for invalid options or a buffer too small for the answer
//   written into a big enough one;
// - the accepted offer is the first permessage-deflate element parse_deflate_offer()
//   reads and the server can honour; each one before it was declined, and the count and
//   first reason match; nothing accepted means every one was declined;
// - the agreed parameters keep the server's options and the offer's limits (§7.1.2);
// - the answer is a well-formed extension, and the client, with the options the accepted
//   offer was written from, accepts it with the very same parameters (or, if its
//   compressor cannot use 8 bits, fails with window_8_unsupported exactly when told 8);
// - the offer rewritten by write_deflate_offer() is negotiated to the same answer;
// - the input read as a response gives a named error or parameters of 8..15.
#include <array>
#include <cstdint>
#include <cstdio>
#include <string_view>
#include <vector>
#include <wscodec/permessage_deflate.hpp>

#include "violation.hpp"

namespace {

using namespace wscodec;

[[noreturn]] void violation(const char* what, std::string_view text) {
    fuzz::violation("fuzz_deflate_offer", what, "offer", text);
}

void expect(bool ok, const char* what, std::string_view text) {
    if (!ok) violation(what, text);
}

bool named(deflate_error e) {
    return std::string_view(deflate_error_name(e)) != "unknown" &&
           std::string_view(deflate_error_message(e)) != "unknown error";
}

/// Why the server declines the permessage-deflate offer `e`, or none.
deflate_error decline_reason(const extension& e, const deflate_server_options& s) {
    const deflate_offer o = parse_deflate_offer(e);
    if (!o.ok()) return o.err;
    const std::uint8_t offered = o.params.server_max_window_bits;
    const std::uint8_t bits = offered != 0 && offered < s.server_max_window_bits ? offered : s.server_max_window_bits;
    return bits == 8 && !s.can_compress_window_8 ? deflate_error::window_8_unsupported : deflate_error::none;
}

void check_agreement(const deflate_negotiation& n, const extension& accepted, const deflate_server_options& s,
                     std::string_view text) {
    const deflate_params& p = n.params;
    const deflate_client_options offer = parse_deflate_offer(accepted).params;
    expect(p.server_max_window_bits >= 8 && p.server_max_window_bits <= s.server_max_window_bits,
           "server window outside 8..the server's option", text);
    expect(p.server_max_window_bits != 8 || s.can_compress_window_8, "server window 8 it cannot compress with", text);
    expect(offer.server_max_window_bits == 0 || p.server_max_window_bits <= offer.server_max_window_bits,
           "server window larger than offered", text);
    expect(p.client_max_window_bits >= 8 && p.client_max_window_bits <= 15, "client window outside 8..15", text);
    expect(offer.offers_client_max_window_bits() || p.client_max_window_bits == 15,
           "client window limited though client_max_window_bits was not offered", text);
    expect(offer.client_max_window_bits == 0 || p.client_max_window_bits <= offer.client_max_window_bits,
           "client window larger than offered", text);
    expect(p.server_no_context_takeover == (offer.server_no_context_takeover || s.server_no_context_takeover),
           "server_no_context_takeover", text);
    expect(p.client_no_context_takeover == (offer.client_no_context_takeover || s.client_no_context_takeover),
           "client_no_context_takeover", text);

    // The answer, re-read by the client that wrote this offer.
    expect(detail::is_extension(n.response), "answer is not a well-formed extension", text);
    deflate_client_options client = offer;
    client.can_compress_window_8 = true;
    const deflate_agreement a = accept_deflate_response(n.response, client);
    expect(a.ok(), "the client refuses the server's answer", text);
    expect(a.agreed && a.params == p, "the client agrees to other parameters", text);
    if (offer.client_max_window_bits != 8) {  // a client offering 8 itself must be able to use it
        client.can_compress_window_8 = false;
        const deflate_agreement b = accept_deflate_response(n.response, client);
        if (p.client_max_window_bits == 8)
            expect(b.err == deflate_error::window_8_unsupported, "client told 8 without the capability", text);
        else
            expect(b.ok() && b.agreed && b.params == p, "the capability changes an agreement without 8", text);
    }

    // The offer written out canonically is negotiated the same way.
    std::array<char, deflate_text_capacity> offer_out{}, answer_out{};
    deflate_client_options writer = offer;
    writer.can_compress_window_8 = true;
    const deflate_text rewritten = write_deflate_offer(writer, offer_out);
    expect(rewritten.ok() && !rewritten.text.empty(), "a read offer cannot be written back", text);
    const deflate_negotiation again = negotiate_deflate(rewritten.text, s, answer_out);
    expect(again.accepted && again.offer_index == 0 && again.params == p && again.response == n.response,
           "the rewritten offer is negotiated differently", text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 3) return 0;
    deflate_server_options s;
    s.enabled = true;
    s.server_no_context_takeover = (data[0] & 1) != 0;
    s.client_no_context_takeover = (data[0] & 2) != 0;
    s.can_compress_window_8 = (data[0] & 4) != 0;
    s.server_max_window_bits = static_cast<std::uint8_t>(8 + (data[1] & 7));
    s.client_max_window_bits = static_cast<std::uint8_t>(8 + ((data[1] >> 3) & 7));
    const std::size_t out_size = data[2] < 16 ? std::size_t{data[2]} * 8 : deflate_text_capacity;

    // The text in an allocation of exactly its size, so that ASan sees a read past either end.
    const std::vector<char> bytes(data + 3, data + size);
    const std::string_view text(bytes.data(), bytes.size());
    std::vector<char> out(out_size);
    std::array<char, deflate_text_capacity> full{};
    const deflate_negotiation n = negotiate_deflate(text, s, out);
    const deflate_negotiation whole = negotiate_deflate(text, s, full);

    expect(named(n.err) && named(n.first_decline), "an error without a name", text);
    const bool options_ok = s.server_max_window_bits != 8 || s.can_compress_window_8;
    if (!options_ok) {
        expect(n.err == deflate_error::invalid_options && !n.accepted, "invalid options not reported", text);
        return 0;
    }
    expect(whole.err == deflate_error::none, "negotiation failed with a big enough buffer", text);
    if (n.err == deflate_error::buffer_too_small) {
        expect(whole.accepted && whole.response.size() > out_size, "buffer_too_small, yet the answer fits", text);
        expect(!n.accepted && n.response.empty(), "buffer_too_small leaves an answer", text);
    } else {
        expect(n.err == deflate_error::none, "unexpected error", text);
        expect(n.accepted == whole.accepted && n.offer_index == whole.offer_index && n.params == whole.params &&
                   n.response == whole.response,
               "the buffer size changes the outcome", text);
    }

    // Walk the list as the server must have.
    std::size_t index = 0, declined = 0;
    deflate_error first = deflate_error::none;
    bool found = false;
    for (const extension& e : detail::extensions_of(text)) {
        if (detail::iequals(e.name, permessage_deflate_name)) {
            const deflate_error why = decline_reason(e, s);
            if (why == deflate_error::none) {
                found = true;
                expect(whole.accepted && whole.offer_index == index && whole.offer.data() == e.text.data() &&
                           whole.offer.size() == e.text.size(),
                       "not the first acceptable offer", text);
                check_agreement(whole, e, s, text);
                break;
            }
            if (declined++ == 0) first = why;
        }
        ++index;
    }
    expect(found == whole.accepted, "accepted without an acceptable offer", text);
    expect(whole.declined == declined && whole.first_decline == first, "declined offers miscounted", text);

    // The input read as the server's answer.
    deflate_client_options c;
    c.enabled = (data[0] & 8) == 0;
    c.server_no_context_takeover = (data[0] & 16) != 0;
    c.server_max_window_bits = (data[0] & 32) != 0 ? s.server_max_window_bits : std::uint8_t{0};
    c.offer_client_max_window_bits = (data[0] & 64) != 0;
    c.client_max_window_bits = (data[0] & 128) != 0 ? std::uint8_t{12} : std::uint8_t{0};
    const deflate_agreement a = accept_deflate_response(text, c);
    expect(named(a.err), "a response error without a name", text);
    if (a.ok() && a.agreed) {
        const deflate_params& p = a.params;
        expect(p.server_max_window_bits >= 8 && p.server_max_window_bits <= 15 && p.client_max_window_bits >= 9 &&
                   p.client_max_window_bits <= 15,
               "agreed window outside the range", text);
        expect(c.server_max_window_bits == 0 || p.server_max_window_bits <= c.server_max_window_bits,
               "agreed server window larger than offered", text);
    }
    expect(!a.agreed || a.ok(), "agreed with an error", text);
    return 0;
}
