#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Plot a wscodec_bench run (Google Benchmark JSON) as an SVG: one panel per
benchmark family (receive, send, masking, UTF-8 validation, handshake, SHA-1,
permessage-deflate), the library's throughput in coloured bars beside the
physical limits of the same size measured in the same run in grey (memcpy,
in-place XOR and a read-every-byte pass where the run has them, memset).

Figures are bench_report.py's: the best repetition of each benchmark, in
bytes/s (shown as GB/s, 1e9) or items/s as the benchmark reports, with the
families and limits defined there (FAMILIES, LIMITS); bench_report.py
--markdown prints the same figures as tables. The title names the CPU from
the JSON context (cpu_model, which scripts/bench.sh records with
--benchmark_context). An axis whose bars span more than a factor of 20 is
logarithmic. The explicit SIMD kernels and deflate without context takeover
are in the tables only.

Needs matplotlib (Debian python3-matplotlib; the Agg backend, no display).

Usage: bench_plot.py BENCH.json [-o OUT.svg] [--png OUT.png]
"""

import argparse
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ beside the scripts
import bench_report  # noqa: E402  (the families, limits and best-of figures)

LIBRARY_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf"]
LIMIT_COLOURS = {"memcpy": "#404040", "in-place XOR": "#707070", "read every byte": "#a0a0a0", "memset": "#c8c8c8"}
LOG_SPAN = 20.0  # max/min above which an axis is logarithmic


def plot_rows(fam, rows):
    """The rows a panel shows: those with a figure, no explicit SIMD kernel,
    no deflate without context takeover."""
    return [r for r in bench_report.ordered_rows(fam, rows)
            if r.value is not None and fam.in_plot(r.base_series) and not r.no_takeover]


def unit_text(fam):
    return "GB/s" if fam.unit == "bytes" else f"million {fam.item}s/s"


def scaled(fam, value):
    return value / 1e9 if fam.unit == "bytes" else value / 1e6


def number_text(v):
    if v >= 100:
        return f"{v:.0f}"
    if v >= 10:
        return f"{v:.1f}"
    if v >= 0.1:
        return f"{v:.2f}"
    return f"{v:.2g}"


def draw_panel(ax, fam, rows, ticker, note=""):
    """Grouped bars: per group (size, or data and size, or case) the
    library's series, then the limits of that size."""
    groups = []
    for row in rows:
        if row.group not in groups:
            groups.append(row.group)
    library_labels = []
    for row in sorted(rows, key=lambda r: fam.series_rank(r.base_series)):
        if row.label not in library_labels:
            library_labels.append(row.label)
    colour = {label: LIBRARY_COLOURS[i % len(LIBRARY_COLOURS)] for i, label in enumerate(library_labels)}

    width = 0.8
    x = 0.0
    centres = []
    values = []
    handles = {}  # legend entries: library series first, then limits, each once
    for group in groups:
        members = sorted((r for r in rows if r.group == group), key=lambda r: fam.series_rank(r.base_series))
        bars = [(r.label, scaled(fam, r.value), False) for r in members]
        limits = {}
        for r in members:
            for text, lr in r.limits:
                limits.setdefault(text, lr)
        for _, text in bench_report.LIMITS:
            if text in limits:
                bars.append((text, limits[text].bytes_per_second / 1e9, True))
        start = x
        for label, value, is_limit in bars:
            bar = ax.bar(x, value, width=width,
                         color=LIMIT_COLOURS.get(label, "#909090") if is_limit else colour[label],
                         edgecolor="white", linewidth=0.5, hatch="//" if is_limit else None, zorder=3)
            handles.setdefault((is_limit, label), bar)
            if not is_limit:
                ax.annotate(number_text(value), (x, value), xytext=(0, 2), textcoords="offset points",
                            ha="center", va="bottom", fontsize=6.5, rotation=90, zorder=4)
            values.append(value)
            x += width
        centres.append((start + x - width) / 2)
        x += width * 1.2  # the gap between groups

    if fam.unit == "items":  # one result per case: its time per item under the name
        groups = [g + "".join(f"\n{r.result.ns_per_item:.0f} ns/{fam.item}" for r in rows
                              if r.group == g and r.result.ns_per_item) for g in groups]
    ax.set_xticks(centres)
    ax.set_xticklabels(groups, fontsize=9)
    ax.set_xlim(-width, x - width * 1.2)
    ax.set_ylabel(unit_text(fam), fontsize=9)
    ax.set_title(fam.title + note, loc="left", fontsize=11, fontweight="bold")
    ax.grid(axis="y", color="#e0e0e0", linewidth=0.6, zorder=0)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    low, high = min(values), max(values)
    if low > 0 and high / low > LOG_SPAN:
        ax.set_yscale("log")
        ax.set_ylim(low / 2, high * 6)  # room for the rotated labels above the bars
        ax.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    else:
        ax.set_ylim(0, high * 1.3)
    entries = [(label, handles[(False, label)]) for label in library_labels if (False, label) in handles]
    entries += [(f"{text} (limit)", handles[(True, text)]) for _, text in bench_report.LIMITS
                if (True, text) in handles]
    if len(entries) > 1 or any(label for label, _ in entries):
        ax.legend([h for _, h in entries], [label for label, _ in entries],
                  loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)


def main(argv):
    parser = argparse.ArgumentParser(description="Plot wscodec_bench JSON as an SVG, with the limits beside.")
    parser.add_argument("json", help="file written with --benchmark_out_format=json")
    parser.add_argument("-o", "--output", help="SVG to write (default: the JSON's name with .svg)")
    parser.add_argument("--png", help="also write a PNG here (for a quick look)")
    args = parser.parse_args(argv)

    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib import ticker
    except ImportError:
        print(f"bench_plot.py: matplotlib is missing for {sys.executable} "
              "(Debian: apt-get install python3-matplotlib, then run /usr/bin/python3)", file=sys.stderr)
        return 1

    try:
        context, results = bench_report.load(args.json)
    except (OSError, ValueError, KeyError) as e:
        print(f"bench_plot.py: cannot read {args.json}: {e}", file=sys.stderr)
        return 1
    panels = []
    for fam, rows in bench_report.family_rows(results):
        shown = plot_rows(fam, rows)
        note = "; context takeover (without: bench_report.py --markdown)" if any(r.no_takeover for r in rows) else ""
        if shown:
            panels.append((fam, shown, note))
    if not panels:
        print(f"bench_plot.py: no benchmark of a known family in {args.json}", file=sys.stderr)
        return 1

    output = args.output or os.path.splitext(args.json)[0] + ".svg"
    matplotlib.rcParams["svg.hashsalt"] = "wscodec"  # the same ids for the same figures
    fig, axes = plt.subplots(len(panels), 1, figsize=(13, 3.1 * len(panels) + 0.8), squeeze=False,
                             layout="constrained")
    for ax, (fam, rows, note) in zip(axes[:, 0], panels):
        draw_panel(ax, fam, rows, ticker, note)
    repetitions = max(r.repetitions for r in results.values())
    fig.suptitle("wscodec throughput beside the limits measured in the same run\n"
                 f"{bench_report.hardware_line(context)}; best of {repetitions} repetition"
                 f"{'s' if repetitions != 1 else ''}, CPU time",
                 fontsize=12, x=0.01, ha="left")
    fig.savefig(output, format="svg", metadata={"Date": None})
    if args.png:
        fig.savefig(args.png, format="png", dpi=100)
    print(f"bench_plot.py: wrote {output}" + (f" and {args.png}" if args.png else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
