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
# (The meson subproject way is scripts/check_subproject.sh, the `subproject`
# test of the docs suite.) Prints one "PASS way" or "FAIL way: why" line per way
# (scripts/test.sh counts each as one test) and exits non-zero if any failed.
# Names of ways as arguments run only those. CXX picks the compiler (default c++).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
consumers=$root/tests/consumers
all_ways=(cmake_subdir cmake_fetch cmake_find cmake_find_meson pkgconfig_meson pkgconfig_cmake)
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
# into its configured prefix.
cmake_prefix=$work/cmake-prefix
meson_prefix=$work/meson-prefix
cmake_install() {
  [ -d "$cmake_prefix" ] && return 0
  cmake "${generator[@]}" -S "$root" -B "$work/wscodec-cmake" -DCMAKE_INSTALL_PREFIX=/usr/local >"$work/cmake-install.log" 2>&1 &&
    cmake --install "$work/wscodec-cmake" --prefix "$cmake_prefix" >>"$work/cmake-install.log" 2>&1
}
meson_install() {
  [ -d "$meson_prefix" ] && return 0
  meson setup "$work/wscodec-meson" "$root" --prefix="$meson_prefix" >"$work/meson-install.log" 2>&1 &&
    meson install -C "$work/wscodec-meson" >>"$work/meson-install.log" 2>&1
}

# find_consumer WAY PREFIX — find_package(wscodec M.m) against PREFIX, which
# must be where it found the package, at the version meson reads.
find_consumer() {
  local log=$work/$1.log why
  why=$(cmake_consumer cmake_find "$log" -DCMAKE_PREFIX_PATH="$2" -DWSCODEC_WANT="$major.$minor") || { fail "$1" "$why" "$log"; return 1; }
  grep -q -F -- "-- wscodec $version from $2/share/cmake/wscodec" "$log" ||
    { fail "$1" "did not find wscodec $version in $2/share/cmake/wscodec" "$log"; return 1; }
}

# pkgconfig_consumer WAY PREFIX — compiles consumer.cpp with the Cflags of
# PREFIX's wscodec.pc.
pkgconfig_consumer() {
  local log=$work/$1.log pc=$2/share/pkgconfig cflags got
  got=$(PKG_CONFIG_PATH=$pc pkg-config --modversion wscodec 2>"$log") || { fail "$1" "pkg-config found no wscodec in $pc" "$log"; return 1; }
  [ "$got" = "$version" ] || { fail "$1" "wscodec.pc says version $got, not $version" "$log"; return 1; }
  cflags=$(PKG_CONFIG_PATH=$pc pkg-config --cflags wscodec)
  # shellcheck disable=SC2086 # cflags is a list of flags
  nice -n 19 "$cxx" -std=c++20 "${warn[@]}" $cflags "$consumers/consumer.cpp" -o "$work/$1" >"$log" 2>&1 ||
    { fail "$1" "build failed (pkg-config --cflags: $cflags)" "$log"; return 1; }
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
      cases+=";components=zlib=FALSE"  # until the zlib adapter is a component (cmake/wscodecConfig.cmake.in)
      cmake -S "$consumers/cmake_versions" -B "$work/versions" -DCMAKE_PREFIX_PATH="$cmake_prefix" \
        -DWSCODEC_CASES="$cases" >"$log.versions" 2>&1 ||
        { fail "$way" "find_package(wscodec VERSION) answered wrongly" "$log.versions"; continue; }
      ;;
    cmake_find_meson)
      meson_install || { fail "$way" "meson install failed" "$work/meson-install.log"; continue; }
      find_consumer "$way" "$meson_prefix" || continue
      if cmake_install; then
        diff -r "$cmake_prefix/share/cmake/wscodec" "$meson_prefix/share/cmake/wscodec" >"$log.diff" 2>&1 ||
          { fail "$way" "meson install and cmake --install write different CMake packages" "$log.diff"; continue; }
      fi
      ;;
    pkgconfig_meson)
      meson_install || { fail "$way" "meson install failed" "$work/meson-install.log"; continue; }
      pkgconfig_consumer "$way" "$meson_prefix" || continue
      ;;
    pkgconfig_cmake)
      cmake_install || { fail "$way" "cmake --install failed" "$work/cmake-install.log"; continue; }
      pkgconfig_consumer "$way" "$cmake_prefix" || continue
      ;;
  esac
  echo "PASS $way ($((SECONDS - start)) s)"
done
[ "$failures" -eq 0 ]
