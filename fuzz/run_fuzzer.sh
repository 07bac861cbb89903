#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# fuzz/run_fuzzer.sh FUZZER CORPUS SECONDS [DICT] — a libFuzzer smoke run, with
# the dictionary DICT if one is given: starts from the checked-in corpus,
# writes new finds to a temporary folder (never into the repository) and fails
# on any crash, leak, sanitizer report or oracle trap.
set -euo pipefail
fuzzer=$1 corpus=$2 seconds=$3 dict=${4:-}
options=()
if [ -n "$dict" ]; then options+=("-dict=$dict"); fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/new"
"$fuzzer" -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 ${options[@]+"${options[@]}"} -artifact_prefix="$work/" "$work/new" "$corpus" 2>"$work/log" || {
  status=$?
  # libFuzzer exits 77 on a crash or an oracle trap (its -error_exitcode),
  # which meson takes for "skipped": report every failure as 1.
  [ "$status" -eq 77 ] && status=1
  tail -n 60 "$work/log"
  for a in "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*; do
    [ -e "$a" ] && { echo "artifact: $(basename "$a") ($(wc -c <"$a") bytes):"; od -An -tx1 "$a" | head -n 20; }
  done
  exit "$status"
}
grep -E 'stat::number_of_executed_units|stat::new_units_added|cov:' "$work/log" | tail -n 3
