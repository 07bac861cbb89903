#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Summarise a wscodec_bench run (Google Benchmark JSON) against memcpy.

Reads the file written by --benchmark_out=FILE --benchmark_out_format=json
(best with --benchmark_repetitions=N). For each benchmark it keeps the best
repetition: the highest bytes_per_second and items_per_second and the lowest
CPU time per iteration; aggregate rows (mean, median, stddev, cv) are ignored. Each name
ends with its size in bytes, and the result is also given as a multiple of
memcpy/<size> from the same run. Then it checks the performance targets and prints PASS or
MISS for each; a MISS is reported, not an error (the exit status is 0 unless
the file cannot be read).

Usage: bench_report.py BENCH.json
"""

import argparse
import json
import sys

TIME_UNIT_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}

# (benchmark, kind, threshold): kind "memcpy" means throughput >= threshold x
# memcpy of the same size; "ns" means time per call < threshold nanoseconds;
# "ns_item" means time per item (a frame: 1e9 / items_per_second) <= threshold
# nanoseconds.
TARGETS = [
    ("utf8/ascii/1048576", "memcpy", 1.8),
    ("utf8/cjk/1048576", "memcpy", 0.36),
    ("utf8/ascii/64", "ns", 5.0),
    ("mask/65536", "memcpy", 1.4),
    ("mask/1048576", "memcpy", 1.4),
    ("receive/binary/16", "ns_item", 8.0),
    ("receive/binary/125", "ns_item", 10.0),
    ("receive/binary/16384", "memcpy", 1.5),
    ("receive/binary/1048576", "memcpy", 1.5),
    ("receive/text_cjk/16384", "memcpy", 0.3),
    ("handshake/server/chromium", "ns_item", 250.0),
]


class Result:
    """The best of a benchmark's repetitions."""

    def __init__(self, name):
        self.name = name
        self.label = ""
        self.bytes_per_second = None
        self.items_per_second = None
        self.ns_per_iter = None
        self.repetitions = 0
        self.error = None

    def add(self, row):
        self.repetitions += 1
        if row.get("label"):
            self.label = row["label"]
        if row.get("error_occurred"):
            self.error = row.get("error_message") or "error"
            return
        bps = row.get("bytes_per_second")
        if bps is not None and (self.bytes_per_second is None or bps > self.bytes_per_second):
            self.bytes_per_second = bps
        ips = row.get("items_per_second")
        if ips is not None and (self.items_per_second is None or ips > self.items_per_second):
            self.items_per_second = ips
        # CPU time, as bytes_per_second uses: it leaves out time the thread was preempted.
        ns = row.get("cpu_time", 0.0) * TIME_UNIT_NS.get(row.get("time_unit", "ns"), 1.0)
        if self.ns_per_iter is None or ns < self.ns_per_iter:
            self.ns_per_iter = ns

    @property
    def size(self):
        last = self.name.rsplit("/", 1)[-1]
        return int(last) if last.isdigit() else None

    @property
    def ns_per_item(self):
        return None if not self.items_per_second else 1e9 / self.items_per_second

    @property
    def gbps(self):
        return None if self.bytes_per_second is None else self.bytes_per_second / 1e9


def plain_name(name):
    """The name without the decorations Google Benchmark may append
    (/min_time:0.5, /repeats:3, /threads:1, /real_time, ...)."""
    parts = [p for p in name.split("/") if ":" not in p and p not in ("real_time", "process_time", "manual_time")]
    return "/".join(parts)


def load(path):
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    results = {}
    for row in data.get("benchmarks", []):
        if row.get("run_type") == "aggregate":
            continue
        name = plain_name(row.get("run_name") or row["name"])
        results.setdefault(name, Result(name)).add(row)
    return data.get("context", {}), results


def memcpy_ratio(results, result):
    """Throughput of `result` over memcpy of the same size, or None."""
    if result.size is None or result.gbps is None:
        return None
    base = results.get(f"memcpy/{result.size}")
    if base is None or not base.gbps:
        return None
    return result.gbps / base.gbps


def fmt(value, spec, missing="-"):
    return missing if value is None else format(value, spec)


def print_table(context, results):
    mhz = context.get("mhz_per_cpu")
    cyc_header = f"cyc/B@{mhz}MHz" if mhz else "cyc/B"
    rows = []
    for r in results.values():
        ratio = memcpy_ratio(results, r)
        cyc = None
        if mhz and r.bytes_per_second:
            cyc = mhz * 1e6 / r.bytes_per_second
        rows.append((
            r.name,
            r.label,
            "ERROR: " + r.error if r.error else fmt(r.gbps, ".2f"),
            "" if r.error else fmt(r.ns_per_iter, ".1f" if (r.ns_per_iter or 0) < 1e4 else ".0f"),
            "" if r.error else fmt(r.ns_per_item, ".1f" if (r.ns_per_item or 0) < 1e4 else ".0f"),
            "" if r.error else fmt(ratio, ".2f") + ("x" if ratio is not None else ""),
            "" if r.error else fmt(cyc, ".3f"),
            str(r.repetitions),
        ))
    header = ("benchmark", "kernel", "GB/s(max)", "ns/iter(min)", "ns/item(min)", "x memcpy", cyc_header, "reps")
    widths = [max(len(header[i]), *(len(row[i]) for row in rows)) if rows else len(header[i])
              for i in range(len(header))]
    left = {0, 1}

    def line(cells):
        return "  ".join(c.ljust(w) if i in left else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))

    print(line(header))
    print(line(tuple("-" * w for w in widths)))
    for row in rows:
        print(line(row))


def check_targets(results):
    print()
    print("targets:")
    for name, kind, threshold in TARGETS:
        r = results.get(name)
        if r is None:
            print(f"  SKIP  {name}: not in this run")
            continue
        if r.error:
            print(f"  MISS  {name}: benchmark failed ({r.error})")
            continue
        if kind == "ns_item":
            ok = r.ns_per_item is not None and r.ns_per_item <= threshold
            print(f"  {'PASS' if ok else 'MISS'}  {name} <= {threshold:g} ns per item: {fmt(r.ns_per_item, '.2f')} ns")
            continue
        if kind == "ns":
            ok = r.ns_per_iter is not None and r.ns_per_iter < threshold
            print(f"  {'PASS' if ok else 'MISS'}  {name} < {threshold:g} ns per call: {fmt(r.ns_per_iter, '.2f')} ns")
            continue
        base_name = f"memcpy/{r.size}"
        ratio = memcpy_ratio(results, r)
        if ratio is None:
            print(f"  SKIP  {name}: {base_name} not in this run")
            continue
        ok = ratio >= threshold
        base = results[base_name]
        print(f"  {'PASS' if ok else 'MISS'}  {name} >= {threshold:g}x {base_name}: "
              f"{r.gbps:.2f} GB/s vs {base.gbps:.2f} GB/s = {ratio:.2f}x")


def main(argv):
    parser = argparse.ArgumentParser(description="Summarise wscodec_bench JSON output against memcpy.")
    parser.add_argument("json", help="file written with --benchmark_out_format=json")
    args = parser.parse_args(argv)
    try:
        context, results = load(args.json)
    except (OSError, ValueError, KeyError) as e:
        print(f"bench_report.py: cannot read {args.json}: {e}", file=sys.stderr)
        return 1
    if not results:
        print(f"bench_report.py: no benchmarks in {args.json}", file=sys.stderr)
        return 1
    build_type = context.get("library_build_type")
    if build_type and build_type != "release":
        print(f"note: libbenchmark reports a {build_type} build (the harness only, not the code measured)")
    if context.get("cpu_scaling_enabled"):
        print("note: CPU frequency scaling is enabled; figures may be noisy")
    print_table(context, results)
    check_targets(results)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
