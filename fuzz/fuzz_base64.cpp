// SPDX-License-Identifier: MIT
// fuzz/fuzz_base64.cpp — libFuzzer target for the handshake's building blocks
// (wscodec/detail/base64.hpp, wscodec/detail/sha1.hpp, wscodec/accept.hpp).
// Oracles: decoding is strict — whatever it accepts encodes back to the very
// same text, and each rejection names a character that really is at fault;
// encoding anything decodes back to the same bytes; SHA-1 on the SHA
// extensions equals the portable path, one-shot and fed in fuzzer-chosen
// pieces; compute_accept and is_valid_key agree with SHA-1 and base64
// composed by hand.
//
// Input: data[0] & 15 is the number of piece-size bytes that follow, the text
// is the rest. Piece sizes cycle through those bytes (0 is an empty update);
// with none, or all zero, the text is hashed whole.
#include <algorithm>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>
#include <wscodec/accept.hpp>

namespace {

using namespace wscodec;
using namespace wscodec::detail;

[[noreturn]] void violation(const char* what, std::size_t n) {
    std::fprintf(stderr, "fuzz_base64: %s (%zu bytes of text)\n", what, n);
    __builtin_trap();
}

bool in_alphabet(char c) { return base64_alphabet.find(c) != std::string_view::npos; }

std::string encode(bytes_view in) {
    std::string out(base64_encoded_size(in.size()), '\0');
    if (base64_encode(in, std::span<char>(out)) != out.size()) violation("encode length", in.size());
    return out;
}

/// `text` fed to a hasher on kernel `k` in pieces cycling through `sizes`.
sha1_digest hash_in_pieces(sha1_kernel k, bytes_view text, const std::uint8_t* sizes, std::size_t n_sizes,
                           bool pieces) {
    sha1_hasher h(k);
    if (!pieces) return h.update(text).final();
    for (std::size_t at = 0, turn = 0; at < text.size(); ++turn) {
        const std::size_t len = std::min<std::size_t>(sizes[turn % n_sizes], text.size() - at);
        // Each piece in its own allocation, so that ASan sees reads on either side.
        const std::vector<std::uint8_t> piece(text.begin() + static_cast<std::ptrdiff_t>(at),
                                              text.begin() + static_cast<std::ptrdiff_t>(at + len));
        h.update(bytes_view(piece));
        at += len;
    }
    return h.final();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::size_t n_sizes = std::min<std::size_t>(data[0] & 15u, size - 1);
    const std::uint8_t* sizes = data + 1;
    const bool pieces = std::any_of(sizes, sizes + n_sizes, [](std::uint8_t s) { return s != 0; });
    const std::vector<std::uint8_t> bytes(data + 1 + n_sizes, data + size);
    const std::string text(bytes.begin(), bytes.end());
    const std::size_t n = text.size();

    // Decode the text: accepted only if it is exactly the encoding of what it decodes to.
    std::vector<std::uint8_t> out(base64_decoded_max(n));
    const base64_result r = base64_decode(text, mutable_bytes(out));
    if (r) {
        if (r.size > out.size()) violation("decoded size beyond the maximum", n);
        const bytes_view decoded = bytes_view(out).first(r.size);
        if (encode(decoded) != text) violation("accepted text is not the encoding of its bytes", n);
        std::vector<std::uint8_t> exact(r.size);
        if (base64_decode(text, mutable_bytes(exact)) != r || !std::equal(exact.begin(), exact.end(), decoded.begin()))
            violation("decoding into an exactly sized buffer", n);
        if (r.size > 0 && base64_decode(text, mutable_bytes(exact).first(r.size - 1)).err !=
                              base64_error::output_too_small)
            violation("a buffer one byte short is not output_too_small", n);
    } else {
        const bool length_ok = n % 4 == 0;
        const char at = r.position < n ? text[r.position] : '\0';
        switch (r.err) {
            case base64_error::bad_length:
                if (length_ok || r.position != n - n % 4) violation("bad_length", n);
                break;
            case base64_error::bad_character:
                if (!length_ok || r.position >= n || in_alphabet(at) || at == '=') violation("bad_character", n);
                break;
            case base64_error::bad_padding:
                if (!length_ok || r.position >= n || at != '=') violation("bad_padding", n);
                break;
            case base64_error::non_canonical:
                if (!length_ok || r.position + 2 > n || !in_alphabet(at)) violation("non_canonical", n);
                break;
            default: violation("unexpected error value", n);
        }
    }

    // Encode the bytes: the alphabet and padding only, and it decodes back.
    const std::string coded = encode(bytes_view(bytes));
    if (!std::all_of(coded.begin(), coded.end(), [](char c) { return in_alphabet(c) || c == '='; }))
        violation("encoding outside the alphabet", n);
    std::vector<std::uint8_t> back(n);
    const base64_result rb = base64_decode(coded, mutable_bytes(back));
    if (rb != base64_result{base64_error::none, n, 0} || back != bytes) violation("encode then decode", n);
    std::string short_buffer(coded.size() - (n > 0 ? 1 : 0), '\0');
    if (n > 0 && base64_encode(bytes_view(bytes), std::span<char>(short_buffer)) != 0)
        violation("encoding into a buffer one character short", n);

    // SHA-1: every kernel, whole and in pieces, equals the portable one-shot digest.
    const sha1_digest want = sha1(bytes_view(bytes), sha1_kernel::portable);
    for (const sha1_kernel k : {sha1_kernel::portable, sha1_kernel::sha_ni}) {
        if (!sha1_kernel_supported(k)) continue;
        if (sha1(bytes_view(bytes), k) != want) violation("one-shot SHA-1 differs from the portable path", n);
        if (hash_in_pieces(k, bytes_view(bytes), sizes, n_sizes, pieces) != want)
            violation("SHA-1 in pieces differs from the portable one-shot digest", n);
    }

    // The accept value and key validity, composed by hand.
    std::string keyed = text;
    keyed += websocket_guid;
    const std::array<char, 28> accept = compute_accept(text);
    if (std::string_view(accept.data(), accept.size()) !=
        encode(bytes_view(sha1(std::string_view(keyed), sha1_kernel::portable))))
        violation("compute_accept", n);
    // A key is 22 alphabet characters and "==" (pad bits not checked: RFC 6455 §4.1's example sets them).
    const bool key_shape = text.size() == 24 && text.compare(22, 2, "==") == 0 &&
                           std::all_of(text.begin(), text.begin() + 22, [](char c) { return in_alphabet(c); });
    if (is_valid_key(text) != key_shape) violation("is_valid_key", n);
    if (n == 24 && r && r.size == 16 && !is_valid_key(text)) violation("is_valid_key refuses a canonical key", n);
    return 0;
}
