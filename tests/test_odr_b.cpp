// SPDX-License-Identifier: MIT
// tests/test_odr_b.cpp — one of two translation units that include every
// header: linking them proves the headers are ODR-safe (no duplicate symbols),
// and the test checks both units see the same inline entities.
#include <doctest/doctest.h>

#include <wscodec/wscodec.hpp>

#include "odr.hpp"

namespace odr {
observed from_b() {
    static const std::uint8_t text[] = {0xCE, 0xBA, 0xE1, 0xBD, 0xB9, 0xCF, 0x83, 0xCE, 0xBC, 0xCE, 0xB5, 0xC0};
    std::uint8_t payload[7] = {1, 2, 3, 4, 5, 6, 7};
    const wscodec::mask_key key{0x37, 0xfa, 0x21, 0x3d};
    return {reinterpret_cast<const void*>(&wscodec::detail::utf8_validate_scalar),
            static_cast<const void*>(wscodec::detail::utf8_table_hi1.data()),
            wscodec::validate_utf8(wscodec::bytes_view(text, sizeof text)),
            wscodec::apply_mask(wscodec::mutable_bytes(payload, sizeof payload), key, 2),
            &wscodec::wscodec_category()};
}
}  // namespace odr
