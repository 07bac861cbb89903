#!/usr/bin/env bash
# scripts/test.sh — the one test command (README, .ci/run): installs missing
# packages, then builds and tests wscodec five ways:
#   gcc    g++, -Werror: unit tests, unit tests without exceptions/RTTI, corpus replay
#   clang  clang++, -Werror: the same
#   san    clang++ with ASan+UBSan: unit tests, libFuzzer smoke runs (FUZZ_SECONDS each)
#   arm64  aarch64 cross g++ under qemu: unit tests and replay on the NEON kernels
#   examples  clang++ with ASan+UBSan: echo_server, client and chat_server, run
#          against real peers by tests/interop (python3-websockets, node ws,
#          headless chromium); each interop check counts as one test
# and ends with one line "N passed, M failed" over every test that ran.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
scripts/install-deps.sh || { echo "dependency installation failed"; echo "0 passed, 1 failed"; exit 1; }

fuzz_seconds=${FUZZ_SECONDS:-20}
jobs=${JOBS:-$(nproc)}
passed=0
failed=0
logs=()

# stage NAME CXX MESON_OPTIONS...
stage() {
  local name=$1 compiler=$2
  shift 2
  local dir="build/$name" start=$SECONDS
  echo "=== $name: configure and build ($compiler)"
  if [ -f "$dir/build.ninja" ]; then
    meson setup --reconfigure "$dir" "$@" >"$dir.setup.log" 2>&1
  else
    mkdir -p build
    CXX=$compiler meson setup "$dir" "$@" >"$dir.setup.log" 2>&1
  fi || { cat "$dir.setup.log"; echo "=== $name: configure FAILED"; failed=$((failed + 1)); return; }
  if ! ninja -C "$dir" -j "$jobs" >"$dir.build.log" 2>&1; then
    grep -E -A8 'error|FAILED' "$dir.build.log" | head -n 80
    echo "=== $name: build FAILED"
    failed=$((failed + 1))
    return
  fi
  echo "=== $name: test"
  meson test -C "$dir" --num-processes "$jobs" --print-errorlogs >"$dir.test.log" 2>&1
  grep -E '^ *[0-9]+/[0-9]+ ' "$dir.test.log"
  if grep -q -E '^(Fail|Timeout):[[:space:]]+[1-9]' "$dir.test.log"; then
    sed -n '/Summary of Failures/,$p' "$dir.test.log" | head -n 40
    grep -E -B2 -A12 'ERROR|FAILED|runtime error|Sanitizer' "$dir/meson-logs/testlog.txt" | head -n 120
  fi
  logs+=("$dir/meson-logs/testlog.json")
  echo "=== $name: done in $((SECONDS - start)) s"
}

stage gcc g++ -Dtests=true -Dfuzz=true -Dfuzzing_engine=none -Dexamples=true
stage clang clang++ -Dtests=true -Dfuzz=true -Dfuzzing_engine=none -Dexamples=true
stage san clang++ -Dtests=true -Dfuzz=true -Dfuzzing_engine=libfuzzer -Dfuzz_seconds="$fuzz_seconds" \
  -Db_sanitize=address,undefined -Db_lundef=false -Dcpp_args=-fno-sanitize-recover=all -Dbuildtype=debugoptimized
stage arm64 aarch64-linux-gnu-g++ --cross-file scripts/arm64-cross.ini -Dtests=true -Dfuzz=true -Dfuzzing_engine=none

# The examples under ASan+UBSan against real peers (tests/interop/run_interop.py).
interop() {
  local dir=build/examples start=$SECONDS
  echo "=== examples: configure and build (clang++, ASan+UBSan)"
  if [ ! -f examples/meson.build ]; then
    echo "=== examples: no examples/meson.build, interop suite not run"
    return
  fi
  local options=(-Dtests=false -Dfuzz=false -Dbench=false -Dexamples=true -Db_sanitize=address,undefined -Db_lundef=false
    -Dcpp_args=-fno-sanitize-recover=all -Dbuildtype=debugoptimized)
  if [ -f "$dir/build.ninja" ]; then
    meson setup --reconfigure "$dir" "${options[@]}" >"$dir.setup.log" 2>&1
  else
    mkdir -p build
    CXX=clang++ meson setup "$dir" "${options[@]}" >"$dir.setup.log" 2>&1
  fi || { cat "$dir.setup.log"; echo "=== examples: configure FAILED"; failed=$((failed + 1)); return; }
  if ! ninja -C "$dir" -j "$jobs" >"$dir.build.log" 2>&1; then
    grep -E -A8 'error|FAILED' "$dir.build.log" | head -n 80
    echo "=== examples: build FAILED"
    failed=$((failed + 1))
    return
  fi
  echo "=== interop: peers"
  # The npm peers go into build/interop, once (a missing one is a FAIL under CI=true).
  local modules=build/interop/node_modules
  if command -v npm >/dev/null && { ! [ -f $modules/ws/package.json ] || ! [ -f $modules/playwright-core/package.json ]; }; then
    mkdir -p build/interop
    npm install --prefix build/interop --no-audit --no-fund --loglevel=error ws@8 playwright-core@1 \
      >build/interop.npm.log 2>&1 || { echo "npm install failed:"; tail -n 20 build/interop.npm.log; }
  fi
  local log=build/interop.log
  python3 tests/interop/run_interop.py "$dir/examples" --node-modules "$modules" --logs build/interop/logs | tee "$log"
  local rc=${PIPESTATUS[0]}
  if [ "$rc" -ne 0 ] && ! grep -q '^FAIL ' "$log"; then
    echo "=== interop: run_interop.py exited $rc without a FAIL line"
    failed=$((failed + 1))
  fi
  logs+=("$log")
  echo "=== interop: done in $((SECONDS - start)) s"
}
interop

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
