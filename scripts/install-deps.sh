#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# scripts/install-deps.sh — installs what building, testing, fuzzing and
# benchmarking wscodec needs on Debian 12, and nothing when it is all there.
set -euo pipefail
# cmake: the CMake consumer projects (scripts/check_consumers.sh).
# zlib1g-dev: the zlib backend of permessage-deflate (wscodec/zlib.hpp), its
# tests and fuzz target; the core needs nothing.
# The interop suite's peers (tests/interop): python3-websockets, Node.js with
# npm (for the npm packages ws and playwright-core, which scripts/test.sh
# installs into build/interop) and Debian's chromium.
# g++-mingw-w64-x86-64 and wine64: the Windows stage (unit tests cross-compiled
# with mingw-w64, run under Wine). libssl-dev and openssl: the wss:// examples
# and their test certificate. libboost-dev and libuv1-dev: the optional Asio
# and libuv adapters and their echo servers. doxygen: the API reference
# (scripts/docs.sh). python3-matplotlib: the benchmark plot (scripts/bench_plot.py).
# With package names as arguments, installs just those (scripts/demo.sh).
packages=(g++ clang libclang-rt-14-dev meson ninja-build pkg-config cmake zlib1g-dev doctest-dev libbenchmark-dev python3
  g++-aarch64-linux-gnu qemu-user python3-websockets chromium
  g++-mingw-w64-x86-64 wine64 libssl-dev openssl libboost-dev libuv1-dev doxygen python3-matplotlib)
[ $# -gt 0 ] && packages=("$@")
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ $# -eq 0 ]; then
  # node and npm by command: a Node.js that is already there (such as one whose
  # nodejs package ships npm itself) is kept, never replaced by Debian's.
  command -v node >/dev/null 2>&1 || missing+=(nodejs)
  command -v npm >/dev/null 2>&1 || missing+=(npm)
fi
# apt runs only past this line, when something is missing (update first: a
# fresh machine may have no package lists).
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
