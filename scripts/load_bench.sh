#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# scripts/load_bench.sh — whole-server throughput: bench/load_generator
# (wscodec's client role on epoll) against the examples' echo_server and,
# for comparison, the npm package ws and Python websockets as echo servers
# (bench/peers/). Loopback only (127.0.0.1).
#
#   bash scripts/load_bench.sh [--seconds 5] [--warmup 2] [--server-cpu 0] [--generator-cpu 1]
#                              [--threads-check] [--repeats 3] [--syscalls] [--no-matrix] [--all]
#                              [--echo-server PATH]
#
# The matrix (the default): 100 connections × 20 B, 100 × 1 KiB and
# 500 × 16 KiB binary messages, one in flight per connection, against each
# server; the server pinned to --server-cpu and the generator to
# --generator-cpu with taskset. Each run: --warmup seconds, then --seconds
# measured. Prints a Markdown table: messages/s, p50 and p99 round trip in
# µs, the server's and the generator's CPU use over the measured interval
# (whichever is near 100 % was the limit: at one message in flight the
# generator makes as many system calls per echo as a good server, so on two
# cores it can be) and the ratio to Node ws in the same case. Every
# echo is checked byte for byte; a run with errors is marked and makes the
# exit status 1.
#
# --threads-check: instead of the matrix, echo_server --threads 1 against
# --threads 2 at 100 × 20 B, nothing pinned (the generator shares the two
# cores with the server's threads), in turn, --repeats times each (3): the
# run with the median rate of each, and every rate.
# --syscalls: also counts echo_server's system calls per echoed message at
# 100 × 20 B (perf stat on the syscalls:sys_enter_* tracepoints, else
# strace -c; the counting slows the server down, so its rate is not one to
# quote). --no-matrix: leaves the matrix out (`--syscalls --no-matrix`: only
# the count). --all: the matrix, the threads check and the system calls.
# --echo-server PATH: measure another echo_server binary (another commit's,
# to compare the system calls, say).
#
# Builds what it needs in build-load/ (release: -Dexamples=true -Dbench=true
# -Dtests=false; $CXX picks the compiler). Node ws comes from
# build/interop/node_modules, installed there with `npm ci` from
# tests/interop/package-lock.json (ws 8.23.1) as scripts/test.sh does, only
# when missing; Python websockets is the python3-websockets package. A peer
# that is missing is left out of the table. Default runtime: about 2 minutes
# (3.5 with --all).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

seconds=5 warmup=2 server_cpu=0 generator_cpu=1 matrix=1 threads_check=0 syscalls=0 echo_bin="" repeats=3
usage() { sed -n '8,10p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }
while [ $# -gt 0 ]; do
  case $1 in
    --seconds) seconds=$2; shift ;;
    --warmup) warmup=$2; shift ;;
    --server-cpu) server_cpu=$2; shift ;;
    --generator-cpu) generator_cpu=$2; shift ;;
    --echo-server) echo_bin=$2; shift ;;
    --repeats) repeats=$2; shift ;;
    --threads-check) matrix=0 threads_check=1 ;;
    --syscalls) syscalls=1 ;;
    --no-matrix) matrix=0 ;;
    --all) matrix=1 threads_check=1 syscalls=1 ;;
    -h|--help) usage 0 ;;
    *) echo "unknown argument: $1" >&2; usage ;;
  esac
  shift
done

build="build-load"
logs=$build/load-logs
mkdir -p "$logs"

# ------------------------------------------------------------------ build
if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" --buildtype=release -Dexamples=true -Dbench=true -Dtests=false -Dfuzz=false \
    >"$logs/setup.log" 2>&1 || { cat "$logs/setup.log"; exit 1; }
fi
ninja -C "$build" examples/echo_server bench/load_generator >"$logs/build.log" 2>&1 || { tail -n 40 "$logs/build.log"; exit 1; }
generator=$build/bench/load_generator
[ -n "$echo_bin" ] || echo_bin=$build/examples/echo_server

# The npm peers, as scripts/test.sh installs them (the same stamp, so
# neither installs twice).
node_modules=$PWD/build/interop/node_modules
npm_peers() {
  local dest=build/interop src=tests/interop stamp hash
  stamp=$dest/node_modules/.wscodec-lock.sha256
  hash=$(cat "$src/package.json" "$src/package-lock.json" | sha256sum | cut -d' ' -f1)
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$hash" ] && return 0
  command -v npm >/dev/null || return 0
  echo "npm ci ($src/package-lock.json) into $dest"
  mkdir -p "$dest"
  cp "$src/package.json" "$src/package-lock.json" "$dest/"
  if npm ci --prefix "$dest" --no-audit --no-fund --loglevel=error >"$logs/npm.log" 2>&1; then
    echo "$hash" >"$stamp"
  else
    echo "npm ci failed ($logs/npm.log)"
  fi
}
have_node=0
if [ "$matrix" = 1 ] && command -v node >/dev/null; then
  npm_peers
  NODE_PATH=$node_modules node -e 'require("ws")' 2>/dev/null && have_node=1
fi
python_ws=""
for py in python3 /usr/bin/python3; do
  if command -v "$py" >/dev/null && "$py" -c 'import websockets, sys; sys.exit(int(websockets.__version__.split(".")[0]) < 10)' 2>/dev/null; then
    python_ws=$(command -v "$py")
    break
  fi
done

# ---------------------------------------------------------------- running

pin() {  # pin CPU COMMAND...: taskset unless CPU is "-"
  local cpu=$1
  shift
  if [ "$cpu" = - ]; then "$@"; else taskset -c "$cpu" "$@"; fi
}

server_pid="" port=""
# start_server NAME CPU COMMAND...: starts it with --port 0 and waits for
# its `listening on ws://127.0.0.1:PORT` line (10 s at most).
start_server() {
  local name=$1 cpu=$2 log
  shift 2
  log=$logs/$name.log
  # Not through pin(): $! must be the server itself (taskset execs it), for kill and perf -p.
  if [ "$cpu" = - ]; then "$@" --port 0 >"$log" 2>&1 & else taskset -c "$cpu" "$@" --port 0 >"$log" 2>&1 & fi
  server_pid=$!
  port=""
  for _ in $(seq 100); do
    port=$(sed -n 's|^listening on ws://127\.0\.0\.1:\([0-9]*\)$|\1|p' "$log" | head -n 1)
    [ -n "$port" ] && return 0
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "$name did not start ($log):" >&2
  tail -n 5 "$log" >&2
  stop_server
  return 1
}

stop_server() {
  [ -n "$server_pid" ] || return 0
  kill -TERM "$server_pid" 2>/dev/null
  for _ in $(seq 50); do
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$server_pid" 2>/dev/null
  wait "$server_pid" 2>/dev/null
  server_pid=""
}
trap stop_server EXIT

# field JSON NAME: one field of the generator's JSON line.
field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }

failures=0
result=""
# measure CPU CONNECTIONS SIZE: the generator against $port; its JSON in $result.
measure() {
  local cpu=$1 conns=$2 size=$3 rc
  result=$(pin "$cpu" "$generator" --port "$port" --connections "$conns" --size "$size" --in-flight 1 \
    --seconds "$seconds" --warmup "$warmup" --binary --json --server-pid "$server_pid" 2>>"$logs/generator.log")
  rc=$?
  if [ $rc -ne 0 ] || [ -z "$result" ] || [ "$(field "$result" errors)" != 0 ]; then
    failures=$((failures + 1))
    [ -n "$result" ] || result='{"messages_per_s":0,"p50_us":0,"p99_us":0,"cpu_percent":0,"server_cpu_percent":0,"errors":-1}'
    return 1
  fi
}

size_name() { if [ "$1" -ge 1024 ]; then echo "$(($1 / 1024)) KiB"; else echo "$1 B"; fi; }

# ---------------------------------------------------------------- matrix

declare -A rate p50 p99 cpu srv_cpu bad
servers=(echo_server)
[ "$have_node" = 1 ] && servers+=(node_ws)
[ -n "$python_ws" ] && servers+=(python_websockets)
cases=("100 20" "100 1024" "500 16384")

server_command() {  # the command line of a server, without --port
  case $1 in
    echo_server) echo "$echo_bin --no-deflate" ;;
    node_ws) echo "env NODE_PATH=$node_modules node bench/peers/ws_echo.js" ;;
    python_websockets) echo "$python_ws bench/peers/websockets_echo.py" ;;
  esac
}

if [ "$matrix" = 1 ]; then
  echo "load: ${warmup} s warm-up + ${seconds} s per run; server on CPU $server_cpu, generator on CPU $generator_cpu;" \
    "load average before: $(cut -d' ' -f1-3 /proc/loadavg) (anything else running skews the figures)"
  [ "$have_node" = 1 ] || echo "load: node or the npm package ws missing: Node ws left out"
  [ -n "$python_ws" ] || echo "load: Python websockets (>= 10) missing: left out"
  for c in "${cases[@]}"; do
    read -r conns size <<<"$c"
    for s in "${servers[@]}"; do
      key="$c/$s"
      # shellcheck disable=SC2046
      start_server "$s" "$server_cpu" $(server_command "$s") || { bad[$key]=1; failures=$((failures + 1)); continue; }
      measure "$generator_cpu" "$conns" "$size" || bad[$key]=1
      stop_server
      rate[$key]=$(field "$result" messages_per_s)
      p50[$key]=$(field "$result" p50_us)
      p99[$key]=$(field "$result" p99_us)
      cpu[$key]=$(field "$result" cpu_percent)
      srv_cpu[$key]=$(field "$result" server_cpu_percent)
      echo "  $conns × $(size_name "$size") $s: ${rate[$key]} messages/s${bad[$key]:+ (ERRORS)}"
    done
  done
  echo
  echo "| case | server | messages/s | p50 µs | p99 µs | server CPU % | generator CPU % | vs Node ws |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|"
  for c in "${cases[@]}"; do
    read -r conns size <<<"$c"
    for s in "${servers[@]}"; do
      key="$c/$s"
      ratio="n/a"
      node=${rate["$c/node_ws"]:-0}
      if [ -n "${rate[$key]:-}" ] && [ "${node%.*}" != 0 ]; then
        ratio=$(python3 -c 'import sys; print(f"{float(sys.argv[1]) / float(sys.argv[2]):.2f}×")' "${rate[$key]}" "$node")
      fi
      printf '| %s × %s | %s | %s | %s | %s | %s | %s | %s |\n' "$conns" "$(size_name "$size")" "$s${bad[$key]:+ (errors)}" \
        "${rate[$key]:-–}" "${p50[$key]:-–}" "${p99[$key]:-–}" "${srv_cpu[$key]:-–}" "${cpu[$key]:-–}" "$ratio"
    done
  done
  echo
fi

# ---------------------------------------------------------- threads check

if [ "$threads_check" = 1 ]; then
  echo "threads check: echo_server --threads 1 and 2 in turn, $repeats runs each, 100 × 20 B, nothing pinned" \
    "(${warmup} s + ${seconds} s)"
  declare -A runs
  for _ in $(seq "$repeats"); do
    for t in 1 2; do
      if start_server "echo_server_threads_$t" - "$echo_bin" --no-deflate --threads "$t"; then
        measure - 100 20
        stop_server
        runs[$t]+="$result"$'\n'
      else
        failures=$((failures + 1))
      fi
    done
  done
  echo
  echo "| echo_server | messages/s (median run) | every run | p50 µs | p99 µs | server CPU % | generator CPU % |"
  echo "|---|---:|---|---:|---:|---:|---:|"
  for t in 1 2; do
    printf '%s' "${runs[$t]:-}" | python3 -c '
import json, sys
rows = sorted((json.loads(line) for line in sys.stdin if line.strip()), key=lambda r: r["messages_per_s"])
if rows:
    m = rows[(len(rows) - 1) // 2]
    bad = " (errors)" if any(r["errors"] for r in rows) else ""
    every = ", ".join("%.0f" % r["messages_per_s"] for r in rows)
    print("| --threads %s%s | %.0f | %s | %s | %s | %s | %s |" % (sys.argv[1], bad, m["messages_per_s"], every,
          m["p50_us"], m["p99_us"], m["server_cpu_percent"], m["cpu_percent"]))' "$t"
  done
  echo
fi

# ----------------------------------------------------------- system calls

if [ "$syscalls" = 1 ]; then
  tool=""
  if command -v perf >/dev/null && perf stat -e 'syscalls:sys_enter_read' -- true >/dev/null 2>&1; then
    tool=perf
  elif command -v strace >/dev/null; then
    tool=strace
  fi
  if [ -z "$tool" ]; then
    echo "system calls: neither perf (with the syscalls tracepoints) nor strace: not counted"
  elif start_server echo_server_syscalls "$server_cpu" "$echo_bin" --no-deflate; then
    counts=$logs/syscalls.txt
    if [ "$tool" = perf ]; then
      perf stat -e 'syscalls:sys_enter_*' -x, -o "$counts" -p "$server_pid" &
    else
      strace -c -f -o "$counts" -p "$server_pid" 2>/dev/null &
    fi
    counter=$!
    sleep 0.5  # attached before the first connection
    measure "$generator_cpu" 100 20
    kill -INT "$counter"
    wait "$counter"
    stop_server
    python3 - "$tool" "$counts" "$result" "$echo_bin" <<'EOF'
import json, re, sys
tool, path, result, binary = sys.argv[1:]
calls = {}
for line in open(path):
    f = line.strip().split(",") if tool == "perf" else line.split()
    if tool == "perf" and len(f) > 2 and f[0].isdigit():
        calls[f[2].replace("syscalls:sys_enter_", "")] = int(f[0])
    elif tool == "strace" and len(f) >= 5 and re.fullmatch(r"[0-9.]+", f[0]) and f[3].isdigit():
        calls[f[-1]] = int(f[3])
messages = json.loads(result)["all_messages"]  # every echo, warm-up included
total = sum(calls.values())
top = ", ".join(f"{name} {n / messages:.3f}" for name, n in sorted(calls.items(), key=lambda kv: -kv[1])[:5] if n)
print(f"system calls per echoed message ({binary}, 100 × 20 B, {tool}, {messages} echoes, connections and close included):"
      f" {total / messages:.2f} ({top})")
EOF
  else
    failures=$((failures + 1))
  fi
fi

[ "$failures" -eq 0 ] || echo "load: $failures run(s) failed or saw errors (logs in $logs)"
[ "$failures" -eq 0 ]
