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

With --markdown it prints instead, per benchmark family (receive, send,
masking, UTF-8 validation, handshake, SHA-1, permessage-deflate), a Markdown
table of the same best figures with the physical limits measured in the same
run beside each row (memcpy, in-place XOR and a read-every-byte pass of the
same size where the run has them, memset), under a line naming the hardware.
scripts/bench_plot.py draws the same families from the same definitions
(FAMILIES, LIMITS).

Usage: bench_report.py [--markdown] BENCH.json
"""

import argparse
import json
import re
import sys

TIME_UNIT_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}

# (benchmark, kind, threshold): kind "memcpy" means throughput >= threshold x
# memcpy of the same size, "read" >= threshold x read/<size> (the
# read-every-byte pass); "ns" means time per call < threshold nanoseconds;
# "ns_item" means time per item (a frame: 1e9 / items_per_second) <= threshold
# nanoseconds.
TARGETS = [
    ("utf8/ascii/1048576", "memcpy", 1.8),
    ("utf8/cjk/1048576", "memcpy", 0.36),
    ("utf8/ascii/1048576", "read", 0.85),
    ("utf8/cjk/1048576", "read", 0.30),
    ("utf8/ascii/64", "ns", 5.0),
    ("mask/65536", "memcpy", 1.4),
    ("mask/1048576", "memcpy", 1.4),
    ("receive/binary/16", "ns_item", 6.0),
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
        if kind == "read":
            base = results.get(f"read/{r.size}")
            if base is None or base.gbps is None or r.gbps is None:
                print(f"  SKIP  {name}: read/{r.size} not in this run")
                continue
            ratio = r.gbps / base.gbps
            print(f"  {'PASS' if ratio >= threshold else 'MISS'}  {name} >= {threshold:g}x read/{r.size}: "
                  f"{r.gbps:.2f} GB/s vs {base.gbps:.2f} GB/s = {ratio:.2f}x")
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


# The physical limits of a size, measured in the same run: (prefix, label).
# A benchmark <prefix>/<size> is the limit for results of that size; those the
# run lacks are left out. memcpy reads and writes every byte; xor/<size>
# (XOR a constant into every byte in place) is what unmasking in place cannot
# beat, read/<size> (load every byte, no store) what a validator cannot beat;
# memset stores only (the ceiling for data in L1, bench/bench_memcpy.cpp).
LIMITS = [
    ("memcpy", "memcpy"),
    ("xor", "in-place XOR"),
    ("read", "read every byte"),
    ("memset", "memset"),
]

# Explicit SIMD kernels beside the best one (same figures, labelled): in the
# tables, not in the plot.
SIMD_KERNELS = {"sse41", "avx2", "avx512", "neon"}


class Family:
    """A group of benchmarks shown together: `pattern` matches a name and
    gives `series` (what is measured; `nct`: without context takeover) and either `size` (bytes, which ties the
    row to the limits of that size) or `group` (a label for rows without a
    size); `data` prefixes the group (the text kind). `unit` is "bytes" or
    "items"; `item` names an item. `series_labels` maps a series to its label
    and orders the series; a series not listed keeps its name."""

    def __init__(self, title, pattern, unit, item, series_labels, own_memcpy=None):
        self.title = title
        self.pattern = re.compile(pattern)
        self.unit = unit
        self.item = item
        self.series_labels = series_labels
        self.own_memcpy = own_memcpy  # format of a memcpy this family measures itself

    def match(self, name):
        m = self.pattern.match(name)
        if not m:
            return None
        d = m.groupdict()
        return {
            "series": d.get("series") or "",
            "size": int(d["size"]) if d.get("size") else None,
            "data": d.get("data") or "",
            "group": d.get("group") or "",
            "no_takeover": bool(d.get("nct")),
        }

    def series_label(self, series):
        return self.series_labels.get(series, series)

    def series_rank(self, series):
        keys = list(self.series_labels)
        return keys.index(series) if series in keys else len(keys)

    def in_plot(self, series):
        return series not in SIMD_KERNELS


FAMILIES = [
    Family("Receive: connection::receive, one frame per call", r"^receive/(?P<series>[a-z_]+)/(?P<size>\d+)$",
           "bytes", "frame", {"binary": "binary", "text": "text (ASCII)", "text_cjk": "text (CJK)"}),
    Family("Send: a message queued and its frame handed out", r"^send/(?P<series>[a-z_]+)/(?P<size>\d+)$",
           "bytes", "message", {"client": "client (masked copy)", "client_in_place": "client, in place",
                                "server_copy": "server (copied out)"}),
    Family("Masking: apply_mask", r"^mask/(?:(?P<series>[a-z_0-9]+)/)?(?P<size>\d+)$",
           "bytes", "call", {"": "apply_mask", "scalar": "scalar kernel", "sse41": "sse41", "avx2": "avx2", "avx512": "avx512",
                             "neon": "neon", "unaligned": "unaligned, phase 1", "copy": "apply_mask_copy"}),
    Family("UTF-8 validation: validate_utf8",
           r"^utf8/(?P<data>[a-z]+)/(?:(?P<series>[a-z_0-9]+)/)?(?P<size>\d+)$",
           "bytes", "call", {"": "validate_utf8", "scalar": "scalar kernel", "sse41": "sse41", "avx2": "avx2", "avx512": "avx512",
                             "neon": "neon", "feed4096": "utf8_validator, 4 KiB pieces"}),
    Family("Opening handshake", r"^handshake/(?P<group>[a-z_]+/[a-z_0-9]+)$",
           "items", "handshake", {}),
    Family("SHA-1 (the handshake's accept key)", r"^sha1/(?P<series>[a-z_]+)/(?P<size>\d+)$",
           "bytes", "call", {"portable": "portable", "sha_ni": "SHA-NI"}),
    Family("permessage-deflate (zlib, balanced())",
           r"^deflate/(?P<series>(?!memcpy/)[a-z_0-9]+)/(?P<data>[a-z]+)(?P<nct>_no_takeover)?/(?P<size>\d+)$",
           "bytes", "message", {"send": "send (compress)", "zlib_alone": "zlib deflate alone",
                                "receive": "receive (inflate)", "inflate_alone": "zlib inflate alone",
                                "inflate_utf8_alone": "zlib inflate + UTF-8 check alone"},
           own_memcpy="deflate/memcpy/{data}/{size}"),
]

HANDSHAKE_GROUPS = {
    "accept/24": "accept key",
    "server/chromium": "server: Chrome request",
    "session/chromium": "server session",
    "client/response": "client: 101 response",
}


def size_text(n):
    """16 -> "16 B", 16384 -> "16 KiB", 1048576 -> "1 MiB"."""
    for unit, scale in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale and n % scale == 0:
            return f"{n // scale} {unit}"
    return f"{n} B"


class Row:
    """One result in its family: where it goes and what it is compared with."""

    def __init__(self, family, result, fields):
        self.family = family
        self.result = result
        self.base_series = fields["series"]
        self.no_takeover = fields["no_takeover"]
        self.size = fields["size"]
        self.data = fields["data"]
        if fields["group"]:
            self.group = HANDSHAKE_GROUPS.get(fields["group"], fields["group"])
        else:
            self.group = " ".join(x for x in (self.data, size_text(self.size)) if x)
        self.limits = []  # (label, Result)

    @property
    def label(self):
        text = self.family.series_label(self.base_series)
        return text + (", no context takeover" if self.no_takeover else "")

    @property
    def value(self):
        """Bytes or items per second, as the family reports; None if absent."""
        r = self.result
        if r.error:
            return None
        v = r.bytes_per_second if self.family.unit == "bytes" else r.items_per_second
        return v if v else None


def family_rows(results):
    """(family, rows) for each family present in `results`, rows in benchmark
    order, each with the limits of its size from the same run."""
    out = []
    for fam in FAMILIES:
        rows = []
        for name, r in results.items():
            fields = fam.match(name)
            if fields is None:
                continue
            row = Row(fam, r, fields)
            if row.size is not None:
                names = []
                if fam.own_memcpy:
                    names.append(("memcpy", fam.own_memcpy.format(data=row.data, size=row.size)))
                for prefix, text in LIMITS:
                    names.append((text, f"{prefix}/{row.size}"))
                seen = set()
                for text, limit_name in names:
                    lr = results.get(limit_name)
                    if text in seen or lr is None or lr.error or not lr.bytes_per_second:
                        continue
                    seen.add(text)
                    row.limits.append((text, lr))
            rows.append(row)
        if rows:
            out.append((fam, rows))
    return out


def ordered_rows(fam, rows):
    """Rows by data kind (in the order the run has them), size, context
    takeover before none, then series as the family lists them."""
    data_order = {}
    for row in rows:
        data_order.setdefault(row.data, len(data_order))
    return sorted(rows, key=lambda r: (data_order[r.data], r.size or 0, r.no_takeover, fam.series_rank(r.base_series)))


def hardware_line(context):
    """The CPU model (recorded with --benchmark_context=cpu_model=..., as
    scripts/bench.sh does), the CPU count and clock, and the date."""
    model = context.get("cpu_model") or context.get("cpu") or "CPU model not recorded"
    parts = [model]
    if context.get("num_cpus"):
        mhz = context.get("mhz_per_cpu")
        parts.append(f"{context['num_cpus']} CPUs" + (f" at {mhz} MHz" if mhz else ""))
    if context.get("date"):
        parts.append(str(context["date"])[:10])
    return ", ".join(parts)


def rate_text(value, unit):
    """GB/s for bytes, M/s (or k/s) for items."""
    if value is None:
        return "-"
    if unit == "bytes":
        return f"{value / 1e9:.2f}" if value >= 1e8 else f"{value / 1e9:.3f}"
    return f"{value / 1e6:.2f}"


def print_markdown(context, results):
    print(f"Hardware: {hardware_line(context)}. Best of each benchmark's repetitions (CPU time).")
    for fam, rows in family_rows(results):
        limit_labels = []
        for row in rows:
            for text, _ in row.limits:
                if text not in limit_labels:
                    limit_labels.append(text)
        limit_labels.sort(key=lambda t: [text for _, text in LIMITS].index(t))
        rate = "GB/s" if fam.unit == "bytes" else f"M {fam.item}s/s"
        sized = any(row.size is not None for row in rows)
        header = ["benchmark", "what"] + (["size"] if sized else []) + [rate, f"ns/{fam.item}"]
        header += [f"{t} GB/s" for t in limit_labels]
        if "memcpy" in limit_labels:
            header.append("x memcpy")
        print()
        print(f"### {fam.title}")
        print()
        print("| " + " | ".join(header) + " |")
        text_cols = 3 if sized else 2
        print("|" + "|".join(["---"] * text_cols + ["---:"] * (len(header) - text_cols)) + "|")
        for row in ordered_rows(fam, rows):
            r = row.result
            what = row.label if sized else row.group
            if r.label and r.label != row.base_series:
                what += f" ({r.label})"
            ns = None
            if fam.unit == "items" or r.items_per_second:
                ns = r.ns_per_item
            elif r.ns_per_iter is not None:
                ns = r.ns_per_iter
            cells = [f"`{r.name}`", what] + ([row.group] if sized else []) + [
                     "error: " + r.error if r.error else rate_text(row.value, fam.unit),
                     "" if r.error else fmt(ns, ".1f" if (ns or 0) < 1e4 else ".0f")]
            limits = dict(row.limits)
            cells += [rate_text(limits[t].bytes_per_second, "bytes") if t in limits else "-" for t in limit_labels]
            if "memcpy" in limit_labels:
                base = limits.get("memcpy")
                ratio = None
                if base is not None and row.value is not None and fam.unit == "bytes":
                    ratio = row.value / base.bytes_per_second
                cells.append(fmt(ratio, ".2f" if (ratio or 1) >= 0.1 else ".2g") + ("x" if ratio is not None else ""))
            print("| " + " | ".join(cells) + " |")


def main(argv):
    parser = argparse.ArgumentParser(description="Summarise wscodec_bench JSON output against memcpy.")
    parser.add_argument("--markdown", action="store_true",
                        help="print Markdown tables per family with the limits beside them")
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
    if args.markdown:
        print_markdown(context, results)
        return 0
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
