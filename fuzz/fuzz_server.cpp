// SPDX-License-Identifier: MIT
// fuzz/fuzz_server.cpp — the connection (wscodec/connection.hpp) in the
// server role, fed what a client sends: masked frames in, unmasked frames
// out, checked by a client-role peer. Input layout, runs and oracles:
// fuzz/connection_harness.hpp.
#include "connection_harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    return fuzz_connection::run<wscodec::role::server>(data, size);
}
