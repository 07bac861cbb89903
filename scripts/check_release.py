#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""scripts/check_release.py [--build-dir DIR] — checks the legal and version
facts a user relies on:

(a) meson's project version, and the Version of the wscodec.pc it installs,
    equal the version include/wscodec/version.hpp sets (read by version.py,
    which also checks the header's numbers against its string);
(b) CHANGELOG.md has a section for that version (a line "## [X.Y.Z] ...");
(c) every file under include/ starts with the line "// SPDX-License-Identifier: MIT",
    and LICENSE is the MIT license.

Meson's side is read with `meson introspect` from DIR, a configured build
directory (the `release` test of the `docs` suite passes its own); without
--build-dir, wscodec is set up with default options (nothing is compiled) in
a temporary directory. Prints what it checked; exit status 1 with one line per
problem if anything fails.
"""
import argparse
import json
import pathlib
import re
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ beside the scripts
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from version import read_version  # noqa: E402

SPDX = "// SPDX-License-Identifier: MIT"


def introspect(build_dir, what):
    out = subprocess.run(["meson", "introspect", str(build_dir), what],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def meson_versions(build_dir):
    """(project version, wscodec.pc's Version or None) of a configured build directory."""
    project = introspect(build_dir, "--projectinfo")["version"]
    pc_version = None
    for source in introspect(build_dir, "--installed"):
        if pathlib.Path(source).name == "wscodec.pc":
            m = re.search(r"^Version:\s*(\S+)\s*$", pathlib.Path(source).read_text(encoding="utf-8"), re.M)
            pc_version = m.group(1) if m else ""
    return project, pc_version


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build-dir", help="a configured meson build directory of this project")
    a = ap.parse_args()
    root = pathlib.Path(__file__).resolve().parent.parent
    problems = []

    try:
        version = read_version(root)
    except (OSError, ValueError) as e:
        print(f"check_release: FAIL: {e}")
        return 1

    # (a) meson's project version and wscodec.pc.
    try:
        if a.build_dir:
            project, pc_version = meson_versions(a.build_dir)
        else:
            with tempfile.TemporaryDirectory() as tmp:
                subprocess.run(["meson", "setup", str(pathlib.Path(tmp) / "build"), str(root)],
                               check=True, capture_output=True, text=True)
                project, pc_version = meson_versions(pathlib.Path(tmp) / "build")
    except (OSError, subprocess.CalledProcessError, ValueError, KeyError) as e:
        detail = getattr(e, "stderr", "") or getattr(e, "stdout", "") or ""
        print(f"check_release: FAIL: cannot read meson's project version: {e} {detail.strip()}")
        return 1
    if project != version:
        problems.append(f"meson's project version is {project}, version.hpp says {version}")
    if pc_version is None:
        problems.append("meson installs no wscodec.pc")
    elif pc_version != version:
        problems.append(f"wscodec.pc says Version: {pc_version}, version.hpp says {version}")

    # (b) a CHANGELOG.md section for the version.
    changelog = root / "CHANGELOG.md"
    if not changelog.is_file():
        problems.append("CHANGELOG.md is missing")
    elif not re.search(rf"^## \[{re.escape(version)}\]", changelog.read_text(encoding="utf-8"), re.M):
        problems.append(f"CHANGELOG.md has no section '## [{version}]'")

    # (c) SPDX lines and the license text.
    files = sorted(p for p in (root / "include").rglob("*") if p.is_file())
    for p in files:
        with open(p, encoding="utf-8", errors="replace") as f:
            first = f.readline().rstrip("\r\n")
        if first != SPDX:
            problems.append(f"{p.relative_to(root)} does not start with the line '{SPDX}'")
    license_file = root / "LICENSE"
    if not license_file.is_file() or not license_file.read_text(encoding="utf-8").startswith("MIT License"):
        problems.append("LICENSE is missing or is not the MIT license")

    print(f"check_release: version.hpp says {version}; meson's project version {project}, "
          f"wscodec.pc {pc_version}")
    print(f"check_release: CHANGELOG.md section for {version}; SPDX line checked in {len(files)} files "
          f"under include/; LICENSE")
    for p in problems:
        print(f"check_release: FAIL: {p}")
    if problems:
        print(f"check_release: {len(problems)} problem(s)")
        return 1
    print("check_release: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
