// SPDX-License-Identifier: MIT
// fuzz/violation.hpp — how a fuzz target reports a broken property: the
// property and the input, escaped, on stderr, then a trap (libFuzzer keeps
// the input as a crash; the replay build stops there).
#pragma once

#include <cstdio>
#include <string_view>

namespace fuzz {

/// Prints "TARGET: WHAT (NOUN of N bytes: "escaped text")" and traps.
[[noreturn]] inline void violation(const char* target, const char* what, const char* noun, std::string_view text) {
    std::fprintf(stderr, "%s: %s (%s of %zu bytes: \"", target, what, noun, text.size());
    for (char c : text) {
        const auto b = static_cast<unsigned char>(c);
        if (b >= 0x20 && b < 0x7f && c != '"' && c != '\\')
            std::fputc(c, stderr);
        else
            std::fprintf(stderr, "\\x%02x", b);
    }
    std::fprintf(stderr, "\")\n");
    std::fflush(stderr);
    __builtin_trap();
}

}  // namespace fuzz
