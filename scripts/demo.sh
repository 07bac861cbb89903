#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# scripts/demo.sh [--host H] [--port P] — the chat demo: installs the build
# tools if missing (g++, meson, ninja; Debian 12), builds the examples in
# release mode into build/demo, and runs chat_server (default
# 127.0.0.1:8080), which prints the URL to open in a browser. Ctrl-C stops it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

bash scripts/install-deps.sh g++ meson ninja-build pkg-config zlib1g-dev libssl-dev

options=(--buildtype=release -Dtests=false -Dbench=false -Dfuzz=false -Dexamples=true)
if [ -f build/demo/meson-private/coredata.dat ]; then
  meson setup --reconfigure build/demo "${options[@]}" >/dev/null
else
  rm -rf build/demo
  meson setup build/demo "${options[@]}" >/dev/null
fi
ninja -C build/demo >build/demo.build.log 2>&1 || { cat build/demo.build.log; echo "demo: build failed"; exit 1; }
exec build/demo/examples/chat_server "$@"
