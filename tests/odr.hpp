// SPDX-License-Identifier: MIT
// tests/odr.hpp — what each of the two ODR translation units exposes.
#pragma once

#include <cstddef>
#include <system_error>
#include <wscodec/utf8.hpp>

namespace odr {
struct observed {
    const void* validate_fn;      // address of an inline kernel function
    const void* table;            // address of an inline constexpr table
    wscodec::utf8_result result;  // a validation computed in that TU
    std::size_t mask_phase;       // a masking computed in that TU
    const std::error_category* category;  // wscodec_category() as that TU sees it
};
observed from_a();
observed from_b();
}  // namespace odr
