// SPDX-License-Identifier: MIT
// fuzz/fuzz_client.cpp — the connection (wscodec/connection.hpp) in the
// client role, fed what a server sends: unmasked frames in, masked frames out
// (keys from seeded_key_source), checked by a server-role peer. Input layout,
// runs and oracles: fuzz/connection_harness.hpp.
#include "connection_harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    return fuzz_connection::run<wscodec::role::client>(data, size);
}
