#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""scripts/summarize_tests.py LOG... — counts what ran in meson test logs
(testlog.json) and interop logs (any other file: the output of
tests/interop/run_interop.py).

A doctest binary counts as its test cases; any other meson test (fuzz smoke
run, corpus replay) counts as one; an interop `PASS name` or `FAIL name: why`
line counts as one (`SKIP` lines count as neither). Prints the per-log counts
and returns the totals on the last line as 'PASSED FAILED' for scripts/test.sh.
"""
import json
import re
import sys

DOCTEST = re.compile(r"\[doctest\] test cases:\s*(\d+)\s*\|\s*(\d+) passed\s*\|\s*(\d+) failed")


def count(log_path):
    passed = failed = 0
    with open(log_path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            entry = json.loads(line)
            result = entry.get("result", "")
            if result == "SKIP":
                continue
            ok = result in ("OK", "EXPECTEDFAIL")
            m = DOCTEST.search(entry.get("stdout", "") or "")
            if m:
                p, fl = int(m.group(2)), int(m.group(3))
                if not ok and fl == 0:
                    fl = 1  # crashed or timed out after its summary
                passed += p
                failed += fl
            elif ok:
                passed += 1
            else:
                failed += 1
            detail = ""
            if m:
                detail = f" ({m.group(2)} test cases passed, {m.group(3)} failed)"
            else:
                runs = re.search(r"stat::number_of_executed_units:\s*(\d+)", entry.get("stdout", "") or "")
                replayed = re.search(r"replayed (\d+) inputs", entry.get("stdout", "") or "")
                if runs:
                    detail = f" ({runs.group(1)} fuzz executions)"
                elif replayed:
                    detail = f" ({replayed.group(1)} corpus inputs)"
            build = log_path.split("/meson-logs/")[0]
            print(f"  {build}: {entry.get('name', '?')}: {result}{detail}")
    return passed, failed


INTEROP = re.compile(r"^(PASS|FAIL|SKIP) ([^\s:]+)")


def count_interop(log_path):
    counts = {"PASS": 0, "FAIL": 0, "SKIP": 0}
    failures = []
    with open(log_path, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = INTEROP.match(line)
            if m:
                counts[m.group(1)] += 1
                if m.group(1) == "FAIL":
                    failures.append(m.group(2))
    print(f"  {log_path}: interop checks: {counts['PASS']} passed, {counts['FAIL']} failed, {counts['SKIP']} skipped")
    for name in failures:
        print(f"  {log_path}: {name}: FAIL")
    return counts["PASS"], counts["FAIL"]


def main():
    total_p = total_f = 0
    for path in sys.argv[1:]:
        p, f = count(path) if path.endswith(".json") else count_interop(path)
        total_p += p
        total_f += f
    print(f"{total_p} {total_f}")


if __name__ == "__main__":
    main()
