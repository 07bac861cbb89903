#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""scripts/single_include.py [--check] [--shims DIR] — writes the single-header
distribution, single_include/, from include/wscodec/:

  wscodec.hpp             everything wscodec/wscodec.hpp pulls in
  wscodec_<name>.hpp      for each public header the umbrella leaves out (the
                          optional zlib.hpp, send_queue.hpp, asio.hpp, libuv.hpp):
                          #include "wscodec.hpp" (and the file of another such
                          header it includes, as asio.hpp includes send_queue.hpp),
                          then only what that header adds

Each project header (#include <wscodec/...>) is inlined once, at its first
inclusion, so every header comes after the headers it includes; a file without
#pragma once (detail/utf8_kernel.inl) is inlined at every inclusion, as the
compiler would. System includes stay where they are (a repeat of one already
included outside any #if is dropped). The SPDX and #pragma once lines of the
parts go; each file gets one banner (SPDX line, version, "generated ... do not
edit") and one #pragma once. A header of ours included inside an #if is an
error (once-only inlining could not follow it). The output depends on the
files only, so it is the same on every run.

--check     writes nothing; exit status 1, naming the files, if the files in
            single_include/ differ from what would be written.
--shims DIR writes DIR/wscodec/<path> for every .hpp under include/wscodec/,
            each one line including the single_include/ file that holds it
            (by absolute path): compiled with -I DIR instead of -I include,
            code written for include/ builds against the single headers
            (tests/meson.build, the `unit_single` test).
"""
import argparse
import pathlib
import re
import sys

sys.dont_write_bytecode = True  # no __pycache__ beside the scripts
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from version import read_version  # noqa: E402

SPDX = "// SPDX-License-Identifier: MIT"
UMBRELLA = "wscodec.hpp"
OUT_DIR = "single_include"
INCLUDE_RE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')
PRAGMA_ONCE_RE = re.compile(r"^\s*#\s*pragma\s+once\b")
IF_RE = re.compile(r"^\s*#\s*(if|ifdef|ifndef)\b")
ENDIF_RE = re.compile(r"^\s*#\s*endif\b")


class Error(Exception):
    pass


class Inliner:
    """Expands one root header into text; `done` holds the #pragma once headers
    already written (shared with a later file that includes this one)."""

    def __init__(self, include_dir, done=None, system_seen=None, other_part=None):
        self.include_dir = include_dir
        self.done = set() if done is None else set(done)
        self.system_seen = set() if system_seen is None else set(system_seen)
        # other_part(header) -> the Part of another optional header, or None.
        self.other_part = other_part or (lambda header: None)
        self.out = []

    def project_path(self, name):
        """The header's path under include/ (e.g. wscodec/frame.hpp), or None for a system header."""
        if not name.startswith("wscodec/"):
            return None
        if not (self.include_dir / name).is_file():
            raise Error(f"#include <{name}>: no such file in {self.include_dir}")
        return name

    def expand(self, name, depth, chain):
        if name in chain:
            raise Error("include cycle: " + " -> ".join(chain + [name]))
        lines = (self.include_dir / name).read_text(encoding="utf-8").splitlines()
        once = any(PRAGMA_ONCE_RE.match(line) for line in lines)
        if once:
            if name in self.done:
                return
            if depth > 0:
                raise Error(f"{chain[-1]} includes <{name}> inside an #if: not supported")
            self.done.add(name)
        self.out.append(f"// ---- {name} " + "-" * max(3, 70 - len(name)))
        local = 0  # #if nesting within this file
        for number, line in enumerate(lines, 1):
            if line == SPDX or PRAGMA_ONCE_RE.match(line):
                continue
            if IF_RE.match(line):
                local += 1
            elif ENDIF_RE.match(line):
                local -= 1
                if local < 0:
                    raise Error(f"{name}:{number}: #endif without #if")
            m = INCLUDE_RE.match(line)
            if m:
                target = self.project_path(m.group(2))
                if target is not None and target != chain_root(chain, name):
                    other = self.other_part(target)
                    if other is not None:
                        # Another optional header: its single file, included once.
                        if depth + local > 0:
                            raise Error(f"{name} includes <{target}> inside an #if: not supported")
                        if other.header not in self.done:
                            self.done |= other.done
                            self.system_seen |= other.system_seen
                            self.out.append(f'#include "{other.name}"')
                        continue
                if target is not None:
                    self.expand(target, depth + local, chain + [name])
                    continue
                if depth + local == 0:
                    if m.group(2) in self.system_seen:
                        continue
                    self.system_seen.add(m.group(2))
            self.out.append(line)
        if local != 0:
            raise Error(f"{name}: unbalanced #if/#endif")
        # Trailing blank lines of the part collapse to one separator.
        while self.out and self.out[-1].strip() == "":
            self.out.pop()
        self.out.append("")


def chain_root(chain, name):
    """The header expansion started from."""
    return chain[0] if chain else name


class Part:
    """One single_include/ file: its name, lines, and the headers and system
    includes a file that includes it gets."""

    def __init__(self, header, name, lines, done, system_seen):
        self.header, self.name, self.lines = header, name, lines
        self.done, self.system_seen = done, system_seen


def banner(version, what):
    return [
        SPDX,
        f"// wscodec {version} — {what}",
        "// generated by scripts/single_include.py from include/ — do not edit",
        "#pragma once",
        "",
    ]


def generate(root):
    """{file name in single_include/: text} and {header under include/: file name}."""
    include_dir = root / "include"
    version = read_version(root)
    headers = sorted(p.relative_to(include_dir).as_posix()
                     for p in (include_dir / "wscodec").rglob("*") if p.is_file())
    core = Inliner(include_dir)
    core.expand("wscodec/" + UMBRELLA, 0, [])
    files = {UMBRELLA: banner(version, "single-header distribution: the whole library but "
                                       "its optional headers (see wscodec_*.hpp)") + core.out}
    holder = {h: UMBRELLA for h in core.done}
    # Optional public headers: those the umbrella leaves out, outside detail/.
    # Each gets wscodec_<stem>.hpp; one that includes another includes its file.
    optional = {h: f"wscodec_{pathlib.PurePosixPath(h).stem}.hpp" for h in headers
                if h.endswith(".hpp") and "/detail/" not in h and h not in core.done}
    parts = {}
    building = []

    def part_of(header):
        if header not in optional:
            return None
        if header in parts:
            return parts[header]
        if header in building:
            raise Error("optional headers include each other: " + " -> ".join(building + [header]))
        building.append(header)
        inl = Inliner(include_dir, core.done, core.system_seen, part_of)
        inl.expand(header, 0, [])
        building.pop()
        name = optional[header]
        includes = ['#include "wscodec.hpp"']
        parts[header] = Part(header, name, banner(version, f"the optional {header} on top of wscodec.hpp")
                             + includes + [""] + inl.out, inl.done, inl.system_seen)
        return parts[header]

    for header in optional:
        part_of(header)
    for header, part in parts.items():
        # The headers only this part adds (not the umbrella's, not another part's).
        others = set().union(*(parts[h].done for h in parts if h != header and h in part.done))
        for h in sorted(part.done - core.done - others):
            if h in holder:
                raise Error(f"{h} is needed by both {holder[h]} and {part.name}: not supported")
            holder[h] = part.name
        files[part.name] = part.lines
    for h in headers:
        if h.endswith(".hpp") and h not in holder:
            raise Error(f"{h} is reached by no header: not in any single header")
    texts = {}
    for name, lines in files.items():
        while lines and lines[-1] == "":
            lines.pop()
        text = "\n".join(lines) + "\n"
        if re.search(r"^\s*#\s*include\s*[<\"]wscodec/", text, re.M):
            raise Error(f"{name} still includes a header of include/")
        texts[name] = text
    return texts, holder


def write_shims(holder, root, shim_dir):
    single = (root / OUT_DIR).resolve()
    for header, name in sorted(holder.items()):
        path = shim_dir / header
        path.parent.mkdir(parents=True, exist_ok=True)
        text = f'// generated by scripts/single_include.py --shims: {header} is in {name}\n' \
               f'#include "{(single / name).as_posix()}"\n'
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="compare with single_include/, write nothing")
    ap.add_argument("--shims", metavar="DIR", help="write include shims into DIR instead")
    a = ap.parse_args()
    root = pathlib.Path(__file__).resolve().parent.parent
    try:
        texts, holder = generate(root)
    except (OSError, ValueError, Error) as e:
        print(f"single_include.py: {e}", file=sys.stderr)
        return 1
    out_dir = root / OUT_DIR
    if a.shims:
        write_shims(holder, root, pathlib.Path(a.shims))
        return 0
    if a.check:
        stale = [name for name, text in texts.items()
                 if not (out_dir / name).is_file() or (out_dir / name).read_text(encoding="utf-8") != text]
        extra = sorted(p.name for p in out_dir.glob("*") if p.name not in texts) if out_dir.is_dir() else []
        for name in sorted(stale):
            why = "is not what include/ generates" if (out_dir / name).is_file() else "is missing"
            print(f"single_include.py: {OUT_DIR}/{name} {why}")
        for name in extra:
            print(f"single_include.py: {OUT_DIR}/{name} is generated by nothing")
        if stale or extra:
            print("single_include.py: run `python3 scripts/single_include.py` and commit single_include/")
            return 1
        print(f"single_include.py: {', '.join(sorted(texts))} up to date")
        return 0
    out_dir.mkdir(exist_ok=True)
    for name, text in sorted(texts.items()):
        path = out_dir / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            print(f"single_include.py: wrote {OUT_DIR}/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
