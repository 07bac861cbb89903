#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# scripts/check_consumers.sh [WAY...] — builds and runs a tiny consumer project
# (tests/consumers/: consumer.cpp, a handshake and one message each way between
# a client_session and a server_session in memory, built with -Wall -Wextra
# -Wpedantic -Werror) for each way a project takes wscodec in, in a temporary
# folder:
#   cmake_subdir        add_subdirectory(wscodec) (tests/consumers/cmake_subdir)
#   cmake_fetch         FetchContent_Declare(SOURCE_DIR) + FetchContent_MakeAvailable
#   cmake_find          find_package(wscodec M.m CONFIG REQUIRED) after `cmake --install`
#                       into another prefix than configured (the package is relocatable);
#                       then what find_package accepts: versions, ranges and components
#                       (tests/consumers/cmake_versions)
#   cmake_find_meson    find_package after `meson install`; its CMake package files are
#                       byte for byte those of `cmake --install`
#   pkgconfig_meson     $(pkg-config --cflags wscodec) with the .pc of `meson install`
#   pkgconfig_cmake     the same with the .pc of `cmake --install`
# and the zlib adapter, the target wscodec::zlib, with consumer_zlib.cpp (a
# client_session and a server_session agree to permessage-deflate on wscodec's
# zlib backend and send one compressed message each way, inflated to the same
# bytes) built by tests/consumers/cmake_zlib, which never looks for zlib itself:
#   zlib_subdir         add_subdirectory(wscodec) gives wscodec::zlib
#   zlib_fetch          FetchContent_MakeAvailable gives wscodec::zlib
#   zlib_find           find_package(wscodec M.m CONFIG REQUIRED COMPONENTS zlib)
#                       after `cmake --install`
#   zlib_find_meson     the same after `meson install`
#   zlib_pkgconfig      $(pkg-config --cflags --libs wscodec zlib), meson's wscodec.pc
# (The meson subproject way is scripts/check_subproject.sh, the `subproject`
# test of the docs suite.) Prints one "PASS way" or "FAIL way: why" line per way
# (scripts/test.sh counts each as one test) and exits non-zero if any failed.
# Names of ways as arguments run only those. CXX picks the compiler (default c++).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
consumers=$root/tests/consumers
all_ways=(cmake_subdir cmake_fetch cmake_find cmake_find_meson pkgconfig_meson pkgconfig_cmake
  zlib_subdir zlib_fetch zlib_find zlib_find_meson zlib_pkgconfig)
ways=("$@")
[ ${#ways[@]} -eq 0 ] && ways=("${all_ways[@]}")
for w in "${ways[@]}"; do
  [[ " ${all_ways[*]} " == *" $w "* ]] || { echo "check_consumers.sh: unknown way '$w'; ways: ${all_ways[*]}" >&2; exit 2; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cxx=${CXX:-c++}
export CXX=$cxx
warn=(-Wall -Wextra -Wpedantic -Werror)
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)

# The version, as meson reads it (scripts/version.py): CMake must agree.
version=$(python3 "$root/scripts/version.py" "$root") || { echo "FAIL version: scripts/version.py failed"; exit 1; }
IFS=. read -r major minor _ <<<"$version"

failures=0
# fail WAY WHY LOG — prints the FAIL line and the end of LOG.
fail() {
  echo "FAIL $1: $2"
  [ -f "$3" ] && tail -n 25 "$3" | sed 's/^/    /'
  failures=$((failures + 1))
}

# cmake_consumer DIR LOG CMAKE_ARGS... — configures, builds and runs the
# consumer project tests/consumers/DIR in $work/DIR; prints why on failure.
cmake_consumer() {
  local src=$consumers/$1 bin=$work/$1-${RANDOM} log=$2
  shift 2
  cmake "${generator[@]}" -S "$src" -B "$bin" "$@" >"$log" 2>&1 || { echo "configure failed"; return 1; }
  nice -n 19 cmake --build "$bin" >>"$log" 2>&1 || { echo "build failed"; return 1; }
  "$bin/consumer" >>"$log" 2>&1 || { echo "the consumer failed"; return 1; }
}

# The installs the find and pkg-config ways use, made once when first needed:
# CMake configured for /usr/local and installed elsewhere; meson installed
# into its configured prefix, with default options, which must compile
# nothing (no target, and ninja ran no command: meson install builds only what
# it installs, and wscodec installs no binary).
cmake_prefix=$work/cmake-prefix
meson_prefix=$work/meson-prefix
cmake_install() {
  [ -d "$cmake_prefix" ] && return 0
  cmake "${generator[@]}" -S "$root" -B "$work/wscodec-cmake" -DCMAKE_INSTALL_PREFIX=/usr/local >"$work/cmake-install.log" 2>&1 &&
    cmake --install "$work/wscodec-cmake" --prefix "$cmake_prefix" >>"$work/cmake-install.log" 2>&1
}
meson_install() {
  local dir=$work/wscodec-meson log=$work/meson-install.log targets
  [ -f "$work/meson-install.ok" ] && return 0
  [ -f "$log" ] && return 1
  meson setup "$dir" "$root" --prefix="$meson_prefix" >"$log" 2>&1 &&
    meson install -C "$dir" >>"$log" 2>&1 || return 1
  targets=$(meson introspect "$dir" --targets 2>>"$log")
  # .ninja_log's lines: start, end, mtime, output, hash; build.ninja is meson regenerating.
  if [ "$targets" != "[]" ] || [ -n "$(awk '!/^#/ && $4 != "build.ninja"' "$dir/.ninja_log" 2>/dev/null)" ]; then
    { echo "meson install compiled something: targets $targets"; cat "$dir/.ninja_log"; } >>"$log" 2>&1
    return 1
  fi
  touch "$work/meson-install.ok"
}

# find_consumer WAY PREFIX — find_package(wscodec M.m) against PREFIX, which
# must be where it found the package, at the version meson reads.
find_consumer() {
  local log=$work/$1.log why
  why=$(cmake_consumer cmake_find "$log" -DCMAKE_PREFIX_PATH="$2" -DWSCODEC_WANT="$major.$minor") || { fail "$1" "$why" "$log"; return 1; }
  grep -q -F -- "-- wscodec $version from $2/share/cmake/wscodec" "$log" ||
    { fail "$1" "did not find wscodec $version in $2/share/cmake/wscodec" "$log"; return 1; }
}

# zlib_find_consumer WAY PREFIX — find_package(wscodec M.m COMPONENTS zlib)
# against PREFIX, which must be where it found the package.
zlib_find_consumer() {
  local log=$work/$1.log why
  why=$(cmake_consumer cmake_zlib "$log" -DWSCODEC_VIA=find -DCMAKE_PREFIX_PATH="$2" -DWSCODEC_WANT="$major.$minor") ||
    { fail "$1" "$why" "$log"; return 1; }
  grep -q -F -- "-- wscodec $version from $2/share/cmake/wscodec, component zlib found: TRUE" "$log" ||
    { fail "$1" "did not find wscodec $version with its zlib component in $2/share/cmake/wscodec" "$log"; return 1; }
}

# pkgconfig_consumer WAY PREFIX [MODULE SOURCE] — compiles consumer.cpp with the
# Cflags of PREFIX's wscodec.pc; or SOURCE, with those of wscodec.pc and the
# system's MODULE.pc, linking MODULE's Libs.
pkgconfig_consumer() {
  local log=$work/$1.log pc=$2/share/pkgconfig cflags got libs=""
  local module=${3:-} source=$consumers/${4:-consumer.cpp}
  got=$(PKG_CONFIG_PATH=$pc pkg-config --modversion wscodec 2>"$log") || { fail "$1" "pkg-config found no wscodec in $pc" "$log"; return 1; }
  [ "$got" = "$version" ] || { fail "$1" "wscodec.pc says version $got, not $version" "$log"; return 1; }
  cflags=$(PKG_CONFIG_PATH=$pc pkg-config --cflags wscodec $module)
  if [ -n "$module" ]; then
    libs=$(PKG_CONFIG_PATH=$pc pkg-config --libs "$module" 2>>"$log") || { fail "$1" "pkg-config found no $module" "$log"; return 1; }
  fi
  # shellcheck disable=SC2086 # cflags and libs are lists of flags
  nice -n 19 "$cxx" -std=c++20 "${warn[@]}" $cflags "$source" $libs -o "$work/$1" >"$log" 2>&1 ||
    { fail "$1" "build failed (pkg-config --cflags: $cflags; --libs: $libs)" "$log"; return 1; }
  "$work/$1" >>"$log" 2>&1 || { fail "$1" "the consumer failed" "$log"; return 1; }
}

for way in "${ways[@]}"; do
  start=$SECONDS
  log=$work/$way.log
  case $way in
    cmake_subdir | cmake_fetch)
      why=$(cmake_consumer "$way" "$log" -DWSCODEC_DIR="$root") || { fail "$way" "$why" "$log"; continue; }
      ;;
    cmake_find)
      cmake_install || { fail "$way" "cmake --install failed" "$work/cmake-install.log"; continue; }
      find_consumer "$way" "$cmake_prefix" || continue
      # SameMajorVersion, and SameMinorVersion while the major version is 0.
      older_ok=TRUE
      [ "$major" = 0 ] && older_ok=FALSE
      cases="$major.$minor=TRUE;$version=TRUE;$major.$((minor + 1))=FALSE;$((major + 1))=FALSE"
      cases+=";$major.$minor...<$major.$((minor + 1))=TRUE;$((major + 1)).0...$((major + 2)).0=FALSE"
      [ "$minor" -gt 0 ] && cases+=";$major.$((minor - 1))=$older_ok"
      # An unknown component is refused. (zlib, the one component, is found by
      # the zlib_find ways: this project enables no language, so zlib's library
      # cannot be looked for here.)
      cases+=";components=nosuch=FALSE"
      cmake -S "$consumers/cmake_versions" -B "$work/versions" -DCMAKE_PREFIX_PATH="$cmake_prefix" \
        -DWSCODEC_CASES="$cases" >"$log.versions" 2>&1 ||
        { fail "$way" "find_package(wscodec VERSION) answered wrongly" "$log.versions"; continue; }
      ;;
    cmake_find_meson)
      meson_install || { fail "$way" "meson install failed, or compiled something" "$work/meson-install.log"; continue; }
      find_consumer "$way" "$meson_prefix" || continue
      if cmake_install; then
        diff -r "$cmake_prefix/share/cmake/wscodec" "$meson_prefix/share/cmake/wscodec" >"$log.diff" 2>&1 ||
          { fail "$way" "meson install and cmake --install write different CMake packages" "$log.diff"; continue; }
      fi
      ;;
    pkgconfig_meson)
      meson_install || { fail "$way" "meson install failed, or compiled something" "$work/meson-install.log"; continue; }
      pkgconfig_consumer "$way" "$meson_prefix" || continue
      ;;
    pkgconfig_cmake)
      cmake_install || { fail "$way" "cmake --install failed" "$work/cmake-install.log"; continue; }
      pkgconfig_consumer "$way" "$cmake_prefix" || continue
      ;;
    zlib_subdir | zlib_fetch)
      why=$(cmake_consumer cmake_zlib "$log" -DWSCODEC_VIA="${way#zlib_}" -DWSCODEC_DIR="$root") || { fail "$way" "$why" "$log"; continue; }
      ;;
    zlib_find)
      cmake_install || { fail "$way" "cmake --install failed" "$work/cmake-install.log"; continue; }
      zlib_find_consumer "$way" "$cmake_prefix" || continue
      ;;
    zlib_find_meson)
      meson_install || { fail "$way" "meson install failed, or compiled something" "$work/meson-install.log"; continue; }
      zlib_find_consumer "$way" "$meson_prefix" || continue
      ;;
    zlib_pkgconfig)
      meson_install || { fail "$way" "meson install failed, or compiled something" "$work/meson-install.log"; continue; }
      pkgconfig_consumer "$way" "$meson_prefix" zlib consumer_zlib.cpp || continue
      ;;
  esac
  echo "PASS $way ($((SECONDS - start)) s)"
done
[ "$failures" -eq 0 ]
