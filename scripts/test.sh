#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# scripts/test.sh [STAGE...] — the one test command (README, .ci/run): installs
# missing packages, then builds and tests wscodec in the stages named (all six
# when none is), always in this order:
#   gcc      g++, -Werror: unit tests, unit tests without exceptions/RTTI, corpus replay;
#            then the consumer projects (scripts/check_consumers.sh: CMake
#            add_subdirectory, FetchContent, find_package after cmake and meson
#            installs, pkg-config), each way one test
#   clang    clang++, -Werror: the same
#   san      clang++ with ASan+UBSan: unit tests, libFuzzer smoke runs (FUZZ_SECONDS each)
#   arm64    aarch64 cross g++ under qemu: unit tests and replay on the NEON kernels
#   windows  x86_64 mingw-w64 g++ (scripts/mingw-cross.ini), static .exe files run
#            under Wine (prefix build/wine-prefix): the unit tests (no zlib
#            backend: Debian has no mingw-w64 zlib)
#   interop  clang++ with ASan+UBSan (build/examples): echo_server, client and
#            chat_server run against real peers by tests/interop (python3-websockets,
#            node ws, headless chromium); each interop check counts as one test
# A stage builds in build/NAME with JOBS jobs (default: nproc). The last line is
# "N passed, M failed" over every test that ran; the exit status is non-zero on
# any failure (a failed configure or build counts as one failed test).
set -uo pipefail
cd "$(dirname "$0")/.."

all_stages=(gcc clang san arm64 windows interop)
is_stage() {
  local s
  for s in "${all_stages[@]}"; do [ "$s" = "$1" ] && return 0; done
  return 1
}
for arg in "$@"; do
  is_stage "$arg" || { echo "scripts/test.sh: unknown stage '$arg'; valid stages: ${all_stages[*]}" >&2; exit 2; }
done
chosen=("$@")
selected() { [ ${#chosen[@]} -eq 0 ] || [[ " ${chosen[*]} " == *" $1 "* ]]; }

scripts/install-deps.sh || { echo "dependency installation failed"; echo "0 passed, 1 failed"; exit 1; }

fuzz_seconds=${FUZZ_SECONDS:-12}
jobs=${JOBS:-$(nproc)}
passed=0
failed=0
logs=()
# A stage may narrow what it builds (ninja targets) and tests (meson test
# arguments) by setting these as locals around meson_stage; empty: everything.
build_targets=()
test_args=()

# configure_build NAME CXX MESON_OPTIONS... — sets up build/NAME (CXX on the
# first setup only, --reconfigure after) and builds it. Status 1 on failure,
# counted as one failed test.
configure_build() {
  local name=$1 compiler=$2
  shift 2
  local dir="build/$name"
  echo "=== $name: configure and build ($compiler)"
  mkdir -p build
  if [ -f "$dir/build.ninja" ]; then
    meson setup --reconfigure "$dir" "$@" >"$dir.setup.log" 2>&1
  else
    CXX=$compiler meson setup "$dir" "$@" >"$dir.setup.log" 2>&1
  fi || { cat "$dir.setup.log"; echo "=== $name: configure FAILED"; failed=$((failed + 1)); return 1; }
  if ! ninja -C "$dir" -j "$jobs" "${build_targets[@]}" >"$dir.build.log" 2>&1; then
    grep -E -A8 'error|FAILED' "$dir.build.log" | head -n 80
    echo "=== $name: build FAILED"
    failed=$((failed + 1))
    return 1
  fi
}

# meson_stage NAME CXX MESON_OPTIONS... — configure_build, then meson test.
meson_stage() {
  local name=$1 dir="build/$1" start=$SECONDS
  configure_build "$@" || return
  echo "=== $name: test"
  meson test -C "$dir" --num-processes "$jobs" --print-errorlogs "${test_args[@]}" >"$dir.test.log" 2>&1
  grep -E '^ *[0-9]+/[0-9]+ ' "$dir.test.log"
  if grep -q -E '^(Fail|Timeout):[[:space:]]+[1-9]' "$dir.test.log"; then
    sed -n '/Summary of Failures/,$p' "$dir.test.log" | head -n 40
    grep -E -B2 -A12 'ERROR|FAILED|runtime error|Sanitizer' "$dir/meson-logs/testlog.txt" | head -n 120
  fi
  logs+=("$dir/meson-logs/testlog.json")
  echo "=== $name: done in $((SECONDS - start)) s"
}

# The npm peers: `npm ci` from the committed tests/interop/package-lock.json
# into build/interop, only when node_modules does not hold that lockfile's
# install (a hash of package.json and the lockfile is kept in node_modules).
# Without npm, or if npm ci fails, run_interop.py reports the missing peers
# (a FAIL under CI=true).
npm_peers() {
  local dest=build/interop src=tests/interop
  local stamp=$dest/node_modules/.wscodec-lock.sha256 hash
  command -v npm >/dev/null || return 0
  hash=$(cat "$src/package.json" "$src/package-lock.json" | sha256sum | cut -d' ' -f1)
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$hash" ] && return 0
  echo "=== interop: npm ci ($src/package-lock.json)"
  mkdir -p "$dest"
  cp "$src/package.json" "$src/package-lock.json" "$dest/"
  if npm ci --prefix "$dest" --no-audit --no-fund --loglevel=error >build/interop.npm.log 2>&1; then
    echo "$hash" >"$stamp"
  else
    echo "npm ci failed (build/interop.npm.log):"
    head -n 12 build/interop.npm.log
  fi
}

# checked_lines NAME LOG COMMAND... — runs COMMAND, its output also in LOG,
# whose PASS and FAIL lines each count as one test; a non-zero exit without
# a FAIL line counts as one failure.
checked_lines() {
  local name=$1 log=$2
  shift 2
  "$@" | tee "$log"
  local rc=${PIPESTATUS[0]}
  if [ "$rc" -ne 0 ] && ! grep -q '^FAIL ' "$log"; then
    echo "=== $name: $* exited $rc without a FAIL line"
    failed=$((failed + 1))
  fi
  logs+=("$log")
}

# The consumer projects (scripts/check_consumers.sh), built with g++: one
# PASS or FAIL line per way, each counted as one test like an interop check.
consumers() {
  local start=$SECONDS
  echo "=== consumers: CMake and pkg-config consumer projects (g++)"
  mkdir -p build
  CXX=g++ checked_lines consumers build/consumers.log bash scripts/check_consumers.sh
  echo "=== consumers: done in $((SECONDS - start)) s"
}

# The unit tests as Windows x86-64 programs under Wine (Debian's wine64, not
# on PATH), in a Wine prefix of their own made here at first use. No display
# is needed; WINEDEBUG=-all keeps Wine's diagnostics out of the test logs, and
# the DLL overrides stop Wine from looking for its Mono and Gecko add-ons.
# Only the unit test program is built and run (the docs suite does not
# depend on the platform and runs in the gcc stage; building without
# exceptions and RTTI is tested on Linux), at -O1 without debug information,
# which halves its build time.
windows() {
  local build_targets=(tests/unit.exe) test_args=(--no-rebuild --suite unit)
  local start=$SECONDS
  export WINEPREFIX="$PWD/build/wine-prefix" WINEDEBUG=-all WINEDLLOVERRIDES='mscoree,mshtml='
  mkdir -p "$WINEPREFIX"
  /usr/lib/wine/wine64 wineboot --init >build/wine-prefix.log 2>&1 || cat build/wine-prefix.log
  echo "=== windows: Wine prefix ready in $((SECONDS - start)) s"
  meson_stage windows x86_64-w64-mingw32-g++-posix --cross-file scripts/mingw-cross.ini -Dtests=true -Dfuzz=false \
    -Doptimization=1 -Ddebug=false
  /usr/lib/wine/wineserver -k 2>/dev/null  # this prefix's server only
  unset WINEPREFIX WINEDEBUG WINEDLLOVERRIDES
}

# The examples under ASan+UBSan against real peers (tests/interop/run_interop.py).
interop() {
  local dir=build/examples start=$SECONDS
  if [ ! -f examples/meson.build ]; then
    echo "=== interop: no examples/meson.build, interop suite not run"
    return
  fi
  configure_build examples clang++ -Dtests=false -Dfuzz=false -Dbench=false -Dexamples=true \
    -Db_sanitize=address,undefined -Db_lundef=false -Dcpp_args=-fno-sanitize-recover=all \
    -Dbuildtype=debugoptimized || return
  npm_peers
  echo "=== interop: peers"
  checked_lines interop build/interop.log python3 tests/interop/run_interop.py "$dir/examples" \
    --node-modules build/interop/node_modules --logs build/interop/logs
  echo "=== interop: done in $((SECONDS - start)) s"
}

for stage in "${all_stages[@]}"; do
  selected "$stage" || continue
  case $stage in
    gcc)
      meson_stage gcc g++ -Dtests=true -Dfuzz=true -Dfuzzing_engine=none -Dexamples=true
      consumers
      ;;
    clang) meson_stage clang clang++ -Dtests=true -Dfuzz=true -Dfuzzing_engine=none -Dexamples=true ;;
    san) meson_stage san clang++ -Dtests=true -Dfuzz=true -Dfuzzing_engine=libfuzzer -Dfuzz_seconds="$fuzz_seconds" \
      -Db_sanitize=address,undefined -Db_lundef=false -Dcpp_args=-fno-sanitize-recover=all -Dbuildtype=debugoptimized ;;
    arm64) meson_stage arm64 aarch64-linux-gnu-g++ --cross-file scripts/arm64-cross.ini \
      -Dtests=true -Dfuzz=true -Dfuzzing_engine=none ;;
    windows) windows ;;
    interop) interop ;;
  esac
done

if [ ${#logs[@]} -gt 0 ]; then
  echo "=== tests that ran"
  summary=$(python3 scripts/summarize_tests.py "${logs[@]}")
  echo "$summary" | sed '$d'
  read -r p f <<<"$(echo "$summary" | tail -n 1)"
  passed=$((passed + p))
  failed=$((failed + f))
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
