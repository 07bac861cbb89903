// SPDX-License-Identifier: MIT
// wscodec/utf8_result.hpp — what a UTF-8 validation reports (RFC 3629): its
// outcome and the offset it refers to. Types only; the validators are in
// wscodec/utf8.hpp.
#pragma once

#include <cstddef>
#include <cstdint>

namespace wscodec {

/// Outcome class of a UTF-8 validation. Stable values: append, never renumber.
enum class utf8_error : std::uint8_t {
    none = 0,       ///< valid
    invalid = 1,    ///< the byte at `position` can never continue a valid text
    truncated = 2,  ///< the input ended inside the sequence that starts at `position`
};

/// Result of a validation: `position` is the offset of the first offending
/// byte (invalid), of the unfinished sequence's lead byte (truncated), or the
/// input size (valid).
struct utf8_result {
    utf8_error err = utf8_error::none;
    std::size_t position = 0;

    [[nodiscard]] constexpr bool ok() const noexcept { return err == utf8_error::none; }
    friend constexpr bool operator==(const utf8_result&, const utf8_result&) = default;
};

}  // namespace wscodec
