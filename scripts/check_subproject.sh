#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# scripts/check_subproject.sh — builds a parent project that takes wscodec as
# a meson subproject (subprojects/wscodec, as the README shows) and checks
# that it gets the headers and none of our tests, fuzzers, benchmarks or
# examples (so it needs no doctest); then that wscodec set up on its own with
# default options and installed (meson install into a staging folder)
# compiles nothing and installs the headers, wscodec.pc and the CMake package
# (scripts/check_consumers.sh builds consumers of those). Exit status 0 if so.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/subprojects"
ln -s "$root" "$work/subprojects/wscodec"
cat >"$work/meson.build" <<'MESON'
project('parent', 'cpp', default_options: ['cpp_std=c++20'])
executable('parent', 'parent.cpp', dependencies: dependency('wscodec'))
MESON
cat >"$work/parent.cpp" <<'CPP'
#include <wscodec/wscodec.hpp>
int main() {
    wscodec::server_connection c;
    return c.state() == wscodec::connection_state::open ? 0 : 1;
}
CPP
meson setup "$work/build" "$work" >"$work/setup.log" 2>&1 || { cat "$work/setup.log"; echo "setup failed"; exit 1; }
ninja -C "$work/build" >"$work/build.log" 2>&1 || { cat "$work/build.log"; echo "build failed"; exit 1; }
"$work/build/parent" || { echo "the parent program failed"; exit 1; }
all=$(ninja -C "$work/build" -t targets all)
targets=$(grep -c -E 'subprojects/wscodec/(tests|fuzz|bench|examples)/' <<<"$all" || true)
if [ "$targets" != 0 ]; then
  echo "the parent builds $targets targets of wscodec's own"
  exit 1
fi
echo "wscodec as a subproject: headers only, parent built and ran"

# meson install with default options: nothing to compile; headers, .pc and CMake package only.
meson setup "$work/own" "$root" --prefix=/usr >"$work/own-setup.log" 2>&1 || { cat "$work/own-setup.log"; echo "own setup failed"; exit 1; }
compiles=$(ninja -C "$work/own" -t commands all | grep -c -E '(c\+\+|g\+\+|clang)' || true)
if [ "$compiles" != 0 ]; then
  echo "a default setup of wscodec compiles $compiles files"
  exit 1
fi
DESTDIR="$work/stage" meson install -C "$work/own" >"$work/install.log" 2>&1 || { cat "$work/install.log"; echo "install failed"; exit 1; }
for f in usr/include/wscodec/wscodec.hpp usr/include/wscodec/detail/config.hpp usr/share/pkgconfig/wscodec.pc \
    usr/share/cmake/wscodec/wscodecConfig.cmake usr/share/cmake/wscodec/wscodecConfigVersion.cmake; do
  [ -f "$work/stage/$f" ] || { echo "meson install did not install $f"; exit 1; }
done
installed=$(find "$work/stage" -type f | wc -l)
headers=$(find "$root/include" -type f | wc -l)
if [ "$installed" != $((headers + 3)) ]; then
  echo "meson install wrote $installed files; expected the $headers headers, wscodec.pc and the 2 CMake package files"
  exit 1
fi
echo "wscodec on its own: meson install compiles nothing, installs $headers headers, wscodec.pc and the CMake package"
