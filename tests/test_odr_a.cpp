// SPDX-License-Identifier: MIT
// tests/test_odr_a.cpp — one of two translation units that include every
// header: linking them proves the headers are ODR-safe (no duplicate symbols),
// and the test checks both units see the same inline entities.
#include <doctest/doctest.h>

#include <wscodec/wscodec.hpp>

#include "odr.hpp"

namespace odr {
observed from_a() {
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

TEST_CASE("odr: two translation units share one definition of every inline entity") {
    const odr::observed a = odr::from_a();
    const odr::observed b = odr::from_b();
    CHECK(a.validate_fn == b.validate_fn);
    CHECK(a.table == b.table);
    CHECK(a.result.err == wscodec::utf8_error::invalid);
    CHECK(a.result.position == 11);
    CHECK(a.result == b.result);
    CHECK(a.mask_phase == 1);
    CHECK(b.mask_phase == 1);
    CHECK(a.category == b.category);  // one category object, so codes from either unit compare equal
    CHECK(std::error_code(wscodec::error::invalid_utf8) ==
          std::error_code(static_cast<int>(wscodec::error::invalid_utf8), *b.category));
}
