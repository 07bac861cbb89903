// SPDX-License-Identifier: MIT
// tests/test_version.cpp — wscodec/version.hpp: the macros, the string and
// wscodec::version() say the same version; versions order as numbers do.
#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <wscodec/version.hpp>

using wscodec::version_number;

// WSCODEC_VERSION works in #if, where code compares against it.
#if WSCODEC_VERSION != WSCODEC_VERSION_MAJOR * 10000 + WSCODEC_VERSION_MINOR * 100 + WSCODEC_VERSION_PATCH
#error "WSCODEC_VERSION is not MAJOR * 10000 + MINOR * 100 + PATCH in the preprocessor"
#endif

TEST_CASE("version: the string is MAJOR.MINOR.PATCH of the macros") {
    const std::string spelled = std::to_string(WSCODEC_VERSION_MAJOR) + "." + std::to_string(WSCODEC_VERSION_MINOR) +
                                "." + std::to_string(WSCODEC_VERSION_PATCH);
    CHECK(std::string_view(WSCODEC_VERSION_STRING) == spelled);
    CHECK(wscodec::version_string() == spelled);
    CHECK(WSCODEC_VERSION == WSCODEC_VERSION_MAJOR * 10000 + WSCODEC_VERSION_MINOR * 100 + WSCODEC_VERSION_PATCH);
    CHECK(WSCODEC_VERSION_MINOR < 100);
    CHECK(WSCODEC_VERSION_PATCH < 100);
}

TEST_CASE("version: version() is the macros' version, at compile time") {
    constexpr version_number v = wscodec::version();
    static_assert(v.major == WSCODEC_VERSION_MAJOR && v.minor == WSCODEC_VERSION_MINOR &&
                  v.patch == WSCODEC_VERSION_PATCH);
    static_assert(wscodec::version_string() == WSCODEC_VERSION_STRING);
    CHECK(v.major * 10000 + v.minor * 100 + v.patch == WSCODEC_VERSION);
    CHECK(v == version_number{WSCODEC_VERSION_MAJOR, WSCODEC_VERSION_MINOR, WSCODEC_VERSION_PATCH});
}

TEST_CASE("version: versions order by number, not by text") {
    CHECK(version_number{0, 2, 0} < version_number{0, 10, 0});
    CHECK(version_number{0, 9, 9} < version_number{1, 0, 0});
    CHECK(version_number{1, 2, 3} == version_number{1, 2, 3});
    CHECK(version_number{1, 2, 4} > version_number{1, 2, 3});
}

TEST_CASE("version: spells_version takes only the exact text") {
    using wscodec::detail::spells_version;
    CHECK(spells_version("0.2.0", {0, 2, 0}));
    CHECK(spells_version("12.34.567", {12, 34, 567}));
    CHECK_FALSE(spells_version("0.2", {0, 2, 0}));
    CHECK_FALSE(spells_version("0.2.0.1", {0, 2, 0}));
    CHECK_FALSE(spells_version("0.2.1", {0, 2, 0}));
    CHECK_FALSE(spells_version("0.02.0", {0, 2, 0}));
    CHECK_FALSE(spells_version("0.2.0-rc1", {0, 2, 0}));
    CHECK_FALSE(spells_version("v0.2.0", {0, 2, 0}));
    CHECK_FALSE(spells_version("", {0, 0, 0}));
}
