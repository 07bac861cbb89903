#!/usr/bin/env bash
# scripts/demo.sh [--host H] [--port P] — the chat demo: installs the build
# tools if missing (g++, meson, ninja; Debian 12), builds the examples in
# release mode into build/demo, and runs chat_server (default
# 127.0.0.1:8080), which prints the URL to open in a browser. Ctrl-C stops it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

missing=()
for p in g++ meson ninja-build pkg-config; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

options=(--buildtype=release -Dtests=false -Dbench=false -Dfuzz=false -Dexamples=true)
if [ -f build/demo/meson-private/coredata.dat ]; then
  meson setup --reconfigure build/demo "${options[@]}" >/dev/null
else
  rm -rf build/demo
  meson setup build/demo "${options[@]}" >/dev/null
fi
ninja -C build/demo >build/demo.build.log 2>&1 || { cat build/demo.build.log; echo "demo: build failed"; exit 1; }
exec build/demo/examples/chat_server "$@"
