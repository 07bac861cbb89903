// SPDX-License-Identifier: MIT
// wscodec/version.hpp — the version of these headers, as macros for the
// preprocessor and as constants for code. The one place it is set: meson.build
// reads it (scripts/version.py), and CHANGELOG.md says what each version adds
// and breaks.
#pragma once

#include <compare>
#include <cstddef>
#include <string_view>

#define WSCODEC_VERSION_MAJOR 0
#define WSCODEC_VERSION_MINOR 2
#define WSCODEC_VERSION_PATCH 0
/// MAJOR * 10000 + MINOR * 100 + PATCH (0.2.0 is 200), for `#if WSCODEC_VERSION >= ...`.
#define WSCODEC_VERSION (WSCODEC_VERSION_MAJOR * 10000 + WSCODEC_VERSION_MINOR * 100 + WSCODEC_VERSION_PATCH)
/// "MAJOR.MINOR.PATCH"; checked against the numbers below.
#define WSCODEC_VERSION_STRING "0.2.0"

namespace wscodec {

/// A version as three numbers, ordered as versions are (0.2.0 < 0.10.0). State: 12 bytes.
struct version_number {
    int major = 0;
    int minor = 0;
    int patch = 0;

    friend constexpr auto operator<=>(const version_number&, const version_number&) = default;
};

/// The version of these headers (WSCODEC_VERSION_MAJOR, _MINOR, _PATCH).
[[nodiscard]] constexpr version_number version() noexcept {
    return {WSCODEC_VERSION_MAJOR, WSCODEC_VERSION_MINOR, WSCODEC_VERSION_PATCH};
}

/// The version of these headers as text (WSCODEC_VERSION_STRING).
[[nodiscard]] constexpr std::string_view version_string() noexcept { return WSCODEC_VERSION_STRING; }

namespace detail {

/// Whether `s` is exactly "MAJOR.MINOR.PATCH" of `v`, in decimal without leading zeros.
[[nodiscard]] constexpr bool spells_version(std::string_view s, version_number v) noexcept {
    const int parts[3] = {v.major, v.minor, v.patch};
    for (int i = 0; i < 3; ++i) {
        if (i != 0) {
            if (s.empty() || s.front() != '.') return false;
            s.remove_prefix(1);
        }
        int n = 0;
        std::size_t digits = 0;
        while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9') n = n * 10 + (s[digits++] - '0');
        if (digits == 0 || digits > 9 || (digits > 1 && s.front() == '0') || n != parts[i]) return false;
        s.remove_prefix(digits);
    }
    return s.empty();
}

}  // namespace detail

static_assert(detail::spells_version(version_string(), version()),
              "WSCODEC_VERSION_STRING must be WSCODEC_VERSION_MAJOR.MINOR.PATCH");

}  // namespace wscodec
