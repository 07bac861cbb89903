#!/usr/bin/env bash
# scripts/install-deps.sh — installs what building, testing, fuzzing and
# benchmarking wscodec needs on Debian 12, and nothing when it is all there.
set -euo pipefail
packages=(g++ clang libclang-rt-14-dev meson ninja-build pkg-config doctest-dev libbenchmark-dev python3
  g++-aarch64-linux-gnu qemu-user)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
