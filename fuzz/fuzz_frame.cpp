// SPDX-License-Identifier: MIT
// fuzz/fuzz_frame.cpp — frame header decoder (wscodec/frame.hpp). The first
// byte chooses the decode rules, the rest is decoded. Oracles: an accepted
// header is valid to send and round-trips through encode_header; prefixes of
// the input agree with the whole (need_more until the result, then the same
// result); a failure points inside the input; need_more asks for bytes.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <wscodec/frame.hpp>

namespace {

using namespace wscodec;

[[noreturn]] void violation(const char* what) {
    std::fprintf(stderr, "fuzz_frame: %s\n", what);
    std::fflush(stderr);
    __builtin_trap();
}

void expect(bool ok, const char* what) {
    if (!ok) violation(what);
}

/// Decodes the first k bytes of `in` from an exactly sized heap copy, so
/// ASan sees any read past k.
decode_result decode_prefix(bytes_view in, std::size_t k, const decode_rules& rules) {
    std::unique_ptr<std::uint8_t[]> copy(new std::uint8_t[k]);
    if (k != 0) std::memcpy(copy.get(), in.data(), k);
    return try_decode_header(bytes_view(copy.get(), k), rules);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::uint8_t config = data[0];
    decode_rules rules;
    const int m = config & 0x3;
    rules.mask = m == 0 ? mask_rule::required : m == 1 ? mask_rule::forbidden : mask_rule::any;
    rules.allowed_rsv = static_cast<std::uint8_t>((config >> 2) & 0x7);
    rules.allow_non_minimal_length = (config & 0x20) != 0;
    const bytes_view in(data + 1, size - 1);

    const decode_result r = try_decode_header(in, rules);
    switch (r.status) {
        case decode_status::ok: {
            const frame_header& h = r.header;
            expect(r.err == error::none, "ok with an error");
            expect(r.size >= 2 && r.size <= max_header_size && r.size <= in.size(), "ok size out of range");
            expect(check_header(h) == error::none, "accepted header fails check_header");
            expect((h.rsv & ~rules.allowed_rsv) == 0, "accepted a reserved bit the rules forbid");
            expect(!(h.masked && rules.mask == mask_rule::forbidden), "accepted a masked frame");
            expect(!(!h.masked && rules.mask == mask_rule::required), "accepted an unmasked frame");
            expect(h.masked || h.key == mask_key{}, "unmasked header carries a key");
            const bool minimal = header_size(h) == r.size;
            expect(minimal || (rules.allow_non_minimal_length && header_size(h) < r.size),
                   "non-minimal length accepted against the rules");

            const encoded_header e = encode_header(h);
            expect(e.size == header_size(h), "encode_header size differs from header_size");
            const decode_result again = try_decode_header(e.view(), rules);
            expect(again.status == decode_status::ok && again.header == h, "decode(encode(h)) != h");
            expect(again.size == e.size, "re-decode size differs");
            if (minimal) expect(std::memcmp(e.bytes.data(), in.data(), r.size) == 0, "re-encoding differs");

            for (std::size_t k = 0; k < r.size; ++k) {
                const decode_result p = decode_prefix(in, k, rules);
                expect(p.status == decode_status::need_more, "a prefix of an accepted header is not need_more");
                expect(p.size > 0 && k + p.size <= r.size, "need_more count overshoots the header");
                if (k >= 2) expect(k + p.size == r.size, "need_more count inexact after byte 1");
            }
            expect(decode_prefix(in, r.size, rules) == r, "header alone decodes differently");
            break;
        }
        case decode_status::failed: {
            expect(r.err != error::none, "failed without an error");
            expect(r.size < in.size(), "error offset outside the input");
            expect(kind_of(r.err) == error_kind::protocol, "decode reported a usage error");
            expect(r.header == frame_header{}, "failed result carries a header");
            bool failed = false;
            const std::size_t last = in.size() < max_header_size ? in.size() : max_header_size;
            for (std::size_t k = 0; k <= last; ++k) {
                const decode_result p = decode_prefix(in, k, rules);
                if (k <= r.size) expect(p.status == decode_status::need_more, "failed before the offending byte");
                if (p.status == decode_status::failed) {
                    expect(p == r, "a prefix fails differently");
                    failed = true;
                } else {
                    expect(!failed, "a longer prefix stopped failing");
                    expect(p.status == decode_status::need_more && p.size > 0, "a prefix is neither");
                }
            }
            expect(failed, "no prefix up to 14 bytes shows the error");
            break;
        }
        case decode_status::need_more: {
            expect(r.err == error::none, "need_more with an error");
            expect(r.size > 0, "need_more asks for nothing");
            expect(in.size() + r.size <= max_header_size, "need_more beyond 14 header bytes");
            for (std::size_t k = 0; k < in.size(); ++k) {
                const decode_result p = decode_prefix(in, k, rules);
                expect(p.status == decode_status::need_more, "a prefix of a need_more input is not need_more");
                expect(p.size > 0 && k + p.size <= in.size() + r.size, "need_more count overshoots");
                if (k >= 2) expect(k + p.size == in.size() + r.size, "need_more count inexact after byte 1");
            }
            break;
        }
        default: violation("unknown status");
    }
    return 0;
}
