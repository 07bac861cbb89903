#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Checks that the README's code is the code tests/test_readme.cpp runs:
the lines between '// README begin' and '// README end' (the echo server),
and between '// README NAME begin' and '// README NAME end' (the client and
the other examples), must each be the body of one of the README's C++ blocks
(a README block adds only #include lines). Exit status 0 if all match."""
import pathlib
import re
import sys

root = pathlib.Path(__file__).resolve().parent.parent
test = (root / "tests" / "test_readme.cpp").read_text().splitlines()
readme = (root / "README.md").read_text()
blocks = [b.split("\n", 1)[1] for b in readme.split("```cpp")[1:]]
blocks = [b.split("```", 1)[0] for b in blocks]
bodies = ["\n".join(l for l in b.splitlines() if not l.startswith("#include")).strip() for b in blocks]

found = 0
problems = 0
for i, line in enumerate(test):
    m = re.fullmatch(r"// README (?:(\S+) )?begin", line.strip())
    if not m:
        continue
    name = m.group(1) or "echo server"
    end_marker = f"// README {m.group(1)} end" if m.group(1) else "// README end"
    try:
        end = test.index(end_marker, i + 1)
    except ValueError:
        print(f"tests/test_readme.cpp: '{line.strip()}' has no '{end_marker}'")
        problems += 1
        continue
    found += 1
    code = "\n".join(test[i + 1:end]).strip()
    if code in bodies:
        print(f"README {name} matches tests/test_readme.cpp")
    else:
        print(f"README {name} differs from tests/test_readme.cpp (between '{line.strip()}' and '{end_marker}')")
        problems += 1
if found < 2:
    print("tests/test_readme.cpp: expected the echo server and the client at least")
    problems += 1
sys.exit(1 if problems else 0)
