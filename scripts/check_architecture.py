#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""scripts/check_architecture.py [ROOT] [--doc PATH] — checks that
docs/ARCHITECTURE.md and the include graph of include/wscodec agree:

(a) every public header (include/wscodec/*.hpp, not detail/) is named in the
    doc in backticks, as `wscodec/<name>.hpp` or `<name>.hpp` (inline code or
    a fenced code block);
(b) no file under include/wscodec/detail/ includes a public header other than
    the vocabulary headers: those a doc line starting with `Vocabulary headers:`
    lists, comma-separated and backticked (each must exist);
(c) no file under include/wscodec includes the umbrella wscodec/wscodec.hpp.

ROOT defaults to the repository this script is in; --doc to
ROOT/docs/ARCHITECTURE.md. Prints what it checked; exit status 1 with one
line per problem if anything fails (or the doc is missing).
"""
import argparse
import os
import re
import sys

INCLUDE = re.compile(r'^[ \t]*#[ \t]*include[ \t]*([<"])([^>"]+)[>"]', re.M)
BLOCK_COMMENT = re.compile(r"/\*.*?\*/", re.S)
LINE_COMMENT = re.compile(r"//[^\n]*")
FENCE = re.compile(r"^[ \t]*(```|~~~)[^\n]*\n(.*?)^[ \t]*\1[ \t]*$", re.S | re.M)
INLINE_CODE = re.compile(r"(`+)(.+?)\1", re.S)
# A header name in code: `name.hpp` or `wscodec/name.hpp`, not `detail/name.hpp`.
HEADER_NAME = re.compile(r"(?<![\w/.-])(?:wscodec/)?([\w-]+\.hpp)(?![\w.-])")
VOCABULARY = re.compile(r"^[ \t>*_-]*Vocabulary headers[*_]*:[*_]*(.*)$", re.M)


def code_spans(doc):
    """The text of every fenced code block and inline code span of the doc."""
    spans = [m.group(2) for m in FENCE.finditer(doc)]
    rest = FENCE.sub("", doc)
    spans += [m.group(2) for m in INLINE_CODE.finditer(rest)]
    return spans


def includes(path, include_root):
    """(line number, written name, resolved path or None) of each #include."""
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    # Blank out comments, keeping newlines so that line numbers stay right.
    blank = lambda m: re.sub(r"[^\n]", " ", m.group(0))
    text = BLOCK_COMMENT.sub(blank, text)
    text = LINE_COMMENT.sub(blank, text)
    found = []
    for m in INCLUDE.finditer(text):
        kind, name = m.group(1), m.group(2).strip()
        line = text.count("\n", 0, m.start()) + 1
        candidates = [os.path.join(include_root, name)]
        if kind == '"':
            candidates.insert(0, os.path.join(os.path.dirname(path), name))
        resolved = next((os.path.normpath(c) for c in candidates if os.path.isfile(c)), None)
        found.append((line, name, resolved))
    return found


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("root", nargs="?", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    ap.add_argument("--doc", help="the architecture doc (default: ROOT/docs/ARCHITECTURE.md)")
    a = ap.parse_args()
    root = os.path.normpath(os.path.abspath(a.root))
    doc_path = a.doc or os.path.join(root, "docs", "ARCHITECTURE.md")
    doc_name = os.path.relpath(doc_path, root) if not a.doc else doc_path
    include_root = os.path.join(root, "include")
    public_dir = os.path.join(include_root, "wscodec")
    detail_dir = os.path.join(public_dir, "detail")

    if not os.path.isdir(public_dir):
        print(f"check_architecture: {public_dir} is not a directory")
        return 1
    if not os.path.isfile(doc_path):
        print(f"check_architecture: FAIL: {doc_name} is missing: it must name every public header "
              f"and list the `Vocabulary headers:` that detail/ may include")
        return 1
    with open(doc_path, encoding="utf-8", errors="replace") as f:
        doc = f.read()

    public = sorted(n for n in os.listdir(public_dir)
                    if n.endswith(".hpp") and os.path.isfile(os.path.join(public_dir, n)))
    public_paths = {os.path.join(public_dir, n): n for n in public}
    detail = sorted(os.path.join(dp, n) for dp, _, names in os.walk(detail_dir) for n in names)
    problems = []

    # (a) every public header named in the doc.
    named = {m.group(1) for span in code_spans(doc) for m in HEADER_NAME.finditer(span)}
    for n in public:
        if n not in named:
            problems.append(f"{doc_name} does not name the public header wscodec/{n} "
                            f"(write `wscodec/{n}` or `{n}`)")

    # (b) detail/ includes only the vocabulary headers among the public ones.
    vocabulary = set()
    vocabulary_lines = VOCABULARY.findall(doc)
    for line in vocabulary_lines:
        for span in INLINE_CODE.finditer(line):
            name = span.group(2).strip()
            name = name[len("wscodec/"):] if name.startswith("wscodec/") else name
            if name not in public:
                problems.append(f"{doc_name}: `Vocabulary headers:` names `{span.group(2)}`, "
                                f"which is not a public header in include/wscodec")
            vocabulary.add(name)
    umbrella = os.path.join(public_dir, "wscodec.hpp")
    for path in detail:
        rel = os.path.relpath(path, root)
        for line, name, resolved in includes(path, include_root):
            if resolved in public_paths and resolved != umbrella and public_paths[resolved] not in vocabulary:
                problems.append(f"{rel}:{line}: includes the public header {name}, which is not "
                                f"one of the `Vocabulary headers:` of {doc_name}")

    # (c) nothing in the library includes the umbrella header.
    library = [os.path.join(public_dir, n) for n in public] + detail
    for path in library:
        rel = os.path.relpath(path, root)
        for line, name, resolved in includes(path, include_root):
            if resolved == umbrella:
                problems.append(f"{rel}:{line}: includes the umbrella header {name} "
                                f"(include the headers it needs instead)")

    print(f"check_architecture: {doc_name}: {len(public)} public headers must be named in backticks: "
          + ", ".join(public))
    print(f"check_architecture: vocabulary headers detail/ may include: "
          + (", ".join(sorted(vocabulary)) if vocabulary else "none (no `Vocabulary headers:` line)"))
    print(f"check_architecture: includes checked in {len(detail)} files under include/wscodec/detail "
          f"and {len(library)} files for wscodec/wscodec.hpp")
    for p in problems:
        print(f"check_architecture: FAIL: {p}")
    if problems:
        print(f"check_architecture: {len(problems)} problem(s)")
        return 1
    print("check_architecture: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
