// SPDX-License-Identifier: MIT
// tests/test_output_batch.cpp — wscodec/output_batch.hpp: small frames of a
// connection gathered into caller storage for one write, large ones left in
// place (zero-copy) after them; the bytes written are exactly the bytes the
// connection hands out unbatched, however the writes are cut.
#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>
#include <wscodec/connection.hpp>
#include <wscodec/output_batch.hpp>

#include "helpers.hpp"

namespace {

using namespace wscodec;
using test::bytes;

std::string hx(std::span<const std::uint8_t> s) { return test::to_hex(s); }

/// Everything `c` hands out, written `chunk` bytes at a time without a batch.
bytes drain(server_connection& c, std::size_t chunk = ~std::size_t{0}) {
    bytes out;
    for (output_buffers o = c.output(); !o.empty(); o = c.output()) {
        std::size_t left = std::min(chunk, o.size());
        const std::size_t take = left;
        for (std::size_t i = 0; i < o.count && left > 0; ++i) {
            const std::size_t n = std::min(left, o.parts[i].size());
            out.insert(out.end(), o.parts[i].begin(), o.parts[i].begin() + static_cast<std::ptrdiff_t>(n));
            left -= n;
        }
        c.consume(take);
    }
    return out;
}

/// Everything in the batch and then `c`, written `chunk` bytes at a time through spans().
bytes drain(output_batch& b, server_connection& c, std::size_t chunk = ~std::size_t{0}) {
    bytes out;
    for (batch_spans s = b.spans(c); !s.empty(); s = b.spans(c)) {
        std::size_t left = std::min(chunk, s.size());
        const std::size_t take = left;
        for (std::size_t i = 0; i < s.count && left > 0; ++i) {
            const std::size_t n = std::min(left, s.parts[i].size());
            out.insert(out.end(), s.parts[i].begin(), s.parts[i].begin() + static_cast<std::ptrdiff_t>(n));
            left -= n;
        }
        b.consume(c, take);
    }
    return out;
}

}  // namespace

TEST_CASE("output_batch: the echoes of several messages and a pong leave as one write, byte for byte as unbatched") {
    const bytes a = test::b("first"), big(3000, 0x42), c2 = test::b("third message");
    for (const std::size_t chunk : {std::size_t{1}, std::size_t{7}, std::size_t{64}, ~std::size_t{0}}) {
        CAPTURE(chunk);
        // Unbatched: each message written before the next may be sent.
        server_connection plain;
        bytes want;
        REQUIRE(plain.send_binary(a) == error::none);
        REQUIRE(plain.ping(test::b("hb")) == error::none);
        want = drain(plain);
        REQUIRE(plain.send_binary(big) == error::none);
        const bytes w2 = drain(plain);
        REQUIRE(plain.send(message_type::text, c2) == error::none);
        const bytes w3 = drain(plain);
        want.insert(want.end(), w2.begin(), w2.end());
        want.insert(want.end(), w3.begin(), w3.end());

        // Batched: the small units are gathered; the 3000-byte frame stops the gathering.
        server_connection ws;
        std::vector<std::uint8_t> storage(4096);
        output_batch batch(storage, 2048);
        REQUIRE(ws.send_binary(a) == error::none);
        REQUIRE(ws.ping(test::b("hb")) == error::none);
        CHECK(batch.gather(ws));                                  // ping and message copied, the connection idle
        CHECK(batch.held().size() == 2 + 2 + 2 + a.size());       // ping frame, then the message's frame
        CHECK(ws.output().empty());
        REQUIRE(ws.send_binary(big) == error::none);
        CHECK_FALSE(batch.gather(ws));                            // too big to gather: written in place
        const batch_spans s = batch.spans(ws);
        REQUIRE(s.count == 3);
        CHECK(s.parts[0].data() == storage.data());
        CHECK(s.parts[2].data() == big.data());                   // zero-copy: the caller's own bytes
        bytes got = drain(batch, ws, chunk);
        REQUIRE(ws.send(message_type::text, c2) == error::none);
        CHECK(batch.gather(ws));
        const bytes g3 = drain(batch, ws, chunk);
        got.insert(got.end(), g3.begin(), g3.end());
        CHECK(hx(got) == hx(want));
        CHECK(batch.empty());
    }
}

TEST_CASE("output_batch: storage that is full stops the gathering; what was gathered goes first") {
    server_connection ws;
    std::vector<std::uint8_t> storage(20);
    output_batch batch(storage, 2048);
    const bytes m1(12, 0x31), m2(12, 0x32);
    REQUIRE(ws.send_binary(m1) == error::none);
    CHECK(batch.gather(ws));                   // 2 + 12 bytes held
    REQUIRE(ws.send_binary(m2) == error::none);
    CHECK_FALSE(batch.gather(ws));             // 14 more do not fit in the 6 left
    const batch_spans s = batch.spans(ws);
    REQUIRE(s.count == 3);
    CHECK(hx(s.parts[0]) == hx(test::hex("82 0c 31 31 31 31 31 31 31 31 31 31 31 31")));
    CHECK(hx(s.parts[1]) == hx(test::hex("82 0c")));
    CHECK(s.parts[2].data() == m2.data());
    batch.consume(ws, 10);                     // part of the held bytes only
    CHECK(batch.held().size() == 4);
    CHECK(ws.output().size() == 14);
    batch.consume(ws, 4 + 5);                  // the rest of them and 5 of the connection's
    CHECK(batch.empty());
    CHECK(ws.output().size() == 9);
    batch.consume(ws, 9);
    CHECK(ws.output().empty());
    // Emptied, the storage is used from its front again.
    REQUIRE(ws.send_binary(m1) == error::none);
    CHECK(batch.gather(ws));
    CHECK(batch.held().data() == storage.data());
}

TEST_CASE("output_batch: a unit above max_piece is never copied, whatever room is left") {
    server_connection ws;
    std::vector<std::uint8_t> storage(1 << 16);
    output_batch batch(storage, 100);
    const bytes m(99, 0x61);  // 2 + 99 bytes: above 100
    REQUIRE(ws.send_binary(m) == error::none);
    CHECK_FALSE(batch.gather(ws));
    CHECK(batch.empty());
    CHECK(ws.output().size() == 101);
    CHECK(batch.max_piece() == 100);
    CHECK(sizeof(output_batch) <= 40);
}
