#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""scripts/version.py [ROOT] — prints the version that include/wscodec/version.hpp
sets (WSCODEC_VERSION_STRING), the one place it is set; meson.build takes the
project version (and so wscodec.pc's) from this output. Exit status 1, with
the reason on stderr, when the header is missing or its MAJOR, MINOR, PATCH
and string disagree."""
import pathlib
import re
import sys


def read_version(root):
    """The header's version string, after checking it against its numbers."""
    header = pathlib.Path(root) / "include" / "wscodec" / "version.hpp"
    text = header.read_text(encoding="utf-8")
    number = {}
    for part in ("MAJOR", "MINOR", "PATCH"):
        m = re.search(rf"^#define WSCODEC_VERSION_{part}\s+(\d+)\s*$", text, re.M)
        if not m:
            raise ValueError(f"{header}: no '#define WSCODEC_VERSION_{part} <number>' line")
        number[part] = int(m.group(1))
    m = re.search(r'^#define WSCODEC_VERSION_STRING\s+"([^"]*)"\s*$', text, re.M)
    if not m:
        raise ValueError(f'{header}: no \'#define WSCODEC_VERSION_STRING "<version>"\' line')
    expected = "{MAJOR}.{MINOR}.{PATCH}".format(**number)
    if m.group(1) != expected:
        raise ValueError(f"{header}: WSCODEC_VERSION_STRING is \"{m.group(1)}\" but the numbers say {expected}")
    return expected


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parent.parent
    try:
        print(read_version(root))
    except (OSError, ValueError) as e:
        print(f"version.py: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
