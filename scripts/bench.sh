#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds wscodec_bench in a release build dir (build-bench), runs it with five
# repetitions of at least 0.2 s each (about a minute in all) into
# build-bench/bench.json and prints scripts/bench_report.py's summary. Extra
# arguments go to the benchmark binary after the defaults, so they win, e.g.
#   scripts/bench.sh --benchmark_filter='^(utf8|memcpy)/'
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

build=build-bench
options=(--buildtype=release -Dbench=true -Dtests=false -Dfuzz=false)

if [[ -f "$build/meson-private/coredata.dat" ]]; then
    meson setup --reconfigure "$build" "${options[@]}"
elif [[ -f "$build/meson-private/cmd_line.txt" ]]; then
    # A setup that failed half way: start that directory afresh.
    meson setup --wipe "$build" "${options[@]}"
else
    meson setup "$build" "${options[@]}"
fi

meson compile -C "$build" wscodec_bench

# The CPU model for the reports' hardware line (Google Benchmark 1.7 does not
# record it; a comma would split the context value).
cpu_model="$(LC_ALL=C lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n1 | tr ',' ' ')"

"$build/bench/wscodec_bench" \
    --benchmark_repetitions=5 \
    --benchmark_min_time=0.2 \
    --benchmark_display_aggregates_only=true \
    --benchmark_out="$build/bench.json" \
    --benchmark_out_format=json \
    --benchmark_context="cpu_model=${cpu_model:-unknown}" \
    "$@"

python3 scripts/bench_report.py "$build/bench.json"
