#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# scripts/docs.sh [OUT] — generates the API reference from the `///` comments
# of include/wscodec/ (settings and what is documented: docs/Doxyfile) into
# OUT/api (default build/docs/api; open OUT/api/index.html), with the README
# as its main page. Fails, printing the warnings, if doxygen (Debian
# `doxygen`, 1.9.4) prints any; exits 77 (skipped) without doxygen unless
# CI=true. About two seconds on an idle machine.
#
# doxygen also runs this script as its input filter (`--filter FILE`, see
# INPUT_FILTER in docs/Doxyfile), which changes what doxygen reads, never a
# line count and never the files themselves:
# - a header's file-top note (the `//` lines after the SPDX line) becomes the
#   file's documentation, so the file list says what each header is for;
# - Markdown headings lose their backticks, which doxygen 1.9.4 would show as
#   a literal <tt> tag (code blocks are left alone).
set -euo pipefail

if [[ "${1:-}" == "--filter" ]]; then
    case "$2" in
        *.md)
            exec awk '/^[ \t]*(```|~~~)/ { fence = !fence }
                      !fence && /^#+ / { gsub(/`/, "") }
                      { print }' "$2" ;;
        *)
            exec awk 'FNR == 1 && /^\/\/ SPDX-License-Identifier:/ { top = 1; print "/// @file"; next }
                      top && /^\/\/( |$)/ {
                          line = substr($0, 4)
                          gsub(/#/, "\\#", line)  # plain text, not a doxygen link request
                          if (FNR == 2) {  # "wscodec/x.hpp — the ..." gives "The ..."; code stays as it is
                              sub(/^[^ ]+ — /, "", line)
                              if (line ~ /^[a-z]+ /) line = toupper(substr(line, 1, 1)) substr(line, 2)
                          }
                          print "/// " line; next }
                      { top = 0; print }' "$2" ;;
    esac
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

out="${1:-build/docs}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

# Without doxygen: exit 77, which meson reports as skipped; under CI=true a failure.
if ! command -v doxygen >/dev/null; then
    echo "docs.sh: doxygen not found (Debian: apt-get install doxygen)" >&2
    [[ "${CI:-}" == "true" ]] && exit 1
    exit 77
fi

version="$(python3 scripts/version.py "$root")"
log="$out/doxygen-warnings.log"
rm -rf "$out/api" "$log"

start=$(date +%s%N)
status=0
# Without meson test's MALLOC_PERTURB_, which triples doxygen's time.
env -u MALLOC_PERTURB_ WSCODEC_VERSION="$version" WSCODEC_DOCS_OUT="$out" \
    doxygen docs/Doxyfile >"$out/doxygen-output.log" 2>&1 || status=$?
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))

# WARN_AS_ERROR = FAIL_ON_WARNINGS makes doxygen exit non-zero on a warning;
# the log is checked as well, so a doxygen that ignores the setting still fails.
warnings=0
[[ -f "$log" ]] && warnings=$(grep -c . "$log" || true)
if (( status != 0 || warnings != 0 )) || [[ ! -f "$out/api/index.html" ]]; then
    [[ -f "$log" ]] && cat "$log" >&2
    cat "$out/doxygen-output.log" >&2
    echo "docs.sh: FAILED: doxygen $(doxygen --version) exited with $status, $warnings warning line(s) in $log" >&2
    exit 1
fi
echo "docs.sh: $out/api/index.html (wscodec $version, doxygen $(doxygen --version), 0 warnings, ${elapsed} ms)"
