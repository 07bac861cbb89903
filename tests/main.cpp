// SPDX-License-Identifier: MIT
// tests/main.cpp — the doctest main, and nothing else.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
