#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Checks that the README's echo server is the code tests/test_readme.cpp runs:
the lines between '// README begin' and '// README end' in the test must
appear, in order, in the README's session example (the README block adds only
#include lines). Exit status 0 if they match."""
import pathlib
import sys

root = pathlib.Path(__file__).resolve().parent.parent
test = (root / "tests" / "test_readme.cpp").read_text().splitlines()
readme = (root / "README.md").read_text()
begin = test.index("// README begin") + 1
end = test.index("// README end")
code = "\n".join(test[begin:end]).strip()
blocks = [b.split("\n", 1)[1] for b in readme.split("```cpp")[1:]]
blocks = [b.split("```", 1)[0] for b in blocks]
for b in blocks:
    body = "\n".join(l for l in b.splitlines() if not l.startswith("#include")).strip()
    if body == code:
        print("README echo server matches tests/test_readme.cpp")
        sys.exit(0)
print("README echo server differs from tests/test_readme.cpp (between // README begin/end)")
sys.exit(1)
