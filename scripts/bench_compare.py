#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""scripts/bench_compare.py BEFORE AFTER [options] — runs two builds of
wscodec_bench interleaved (before, after, after, before, ...) on the same
machine in one run, and prints each benchmark's median time per iteration
over the rounds for both, with the ratio after/before. A build is a path to a
wscodec_bench binary (for example a worktree of an older commit built by
scripts/bench.sh).

Options: --rounds N (default 6), --min-time S (per benchmark and round,
default 0.1), --filter REGEX (passed to --benchmark_filter), --cpu N (pin
both with taskset to that CPU), --threshold PCT (mark ratios worse than
this, default 3), --json FILE (write the raw figures).

Interleaving spreads the machine's drift over both builds; the median of
the rounds drops the outliers a noisy neighbour makes, and the minimum is
each build's best case (a benchmark is marked slower only when both the
median and the minimum ratios exceed the threshold). Each benchmark
verifies its own result, so a failing one aborts its binary (reported)."""
import argparse
import json
import shutil
import statistics
import subprocess
import sys


def run(binary, args, cpu):
    cmd = [binary, "--benchmark_format=json", f"--benchmark_min_time={args.min_time}"]
    if args.filter:
        cmd.append(f"--benchmark_filter={args.filter}")
    if cpu is not None and shutil.which("taskset"):
        cmd = ["taskset", "-c", str(cpu)] + cmd
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"{binary} failed ({p.returncode}):\n{p.stderr[-2000:]}")
    out = {}
    for b in json.loads(p.stdout)["benchmarks"]:
        if b.get("run_type") == "aggregate":
            continue
        scale = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}[b.get("time_unit", "ns")]
        out[b["name"]] = b["real_time"] * scale
    return out


def fmt(ns):
    return f"{ns:10.1f}" if ns < 1e5 else f"{ns / 1e3:9.1f}u"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("before")
    ap.add_argument("after")
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--min-time", type=float, default=0.1)
    ap.add_argument("--filter", default="")
    ap.add_argument("--cpu", type=int)
    ap.add_argument("--threshold", type=float, default=3.0)
    ap.add_argument("--json")
    args = ap.parse_args()

    times = {"before": {}, "after": {}}
    order = []
    for r in range(args.rounds):
        pair = [("before", args.before), ("after", args.after)]
        if r % 2:
            pair.reverse()
        for tag, binary in pair:
            for name, ns in run(binary, args, args.cpu).items():
                if name not in order:
                    order.append(name)
                times[tag].setdefault(name, []).append(ns)
        print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)

    if args.json:
        with open(args.json, "w") as f:
            json.dump(times, f, indent=1)

    print(f"{'benchmark':44} {'before ns':>10} {'after ns':>10} {'after/before':>12} {'min ratio':>10}"
          f"  (median and min of {args.rounds} interleaved rounds)")
    worse = 0
    for name in order:
        b, a = times["before"].get(name), times["after"].get(name)
        if not b or not a:
            print(f"{name:44} {fmt(statistics.median(b)) if b else '         -'} {fmt(statistics.median(a)) if a else '         -'}")
            continue
        mb, ma = statistics.median(b), statistics.median(a)
        ratio, min_ratio = ma / mb, min(a) / min(b)
        mark = ""
        if min(ratio, min_ratio) > 1 + args.threshold / 100:  # slower by both measures
            mark = "  <-- slower"
            worse += 1
        print(f"{name:44} {fmt(mb)} {fmt(ma)} {ratio:12.3f} {min_ratio:10.3f}{mark}")
    print(f"{worse} of {len(order)} benchmarks more than {args.threshold}% slower after")


if __name__ == "__main__":
    main()
