#!/usr/bin/env bash
# What an image built by `make images` holds and must not hold:
#   contents_test.sh DIR BINARY VERSION
# DIR is what `rootfs.sh up` wrote for the image. The image
#  - runs /usr/local/bin/BINARY as its ENTRYPOINT, as the non-root user 65532:65532;
#  - holds BINARY stripped, and it starts from the image's root filesystem as
#    that user (tests/image/run.sh): `BINARY --version` prints "BINARY VERSION",
#    so the loader finds every library it links in the image;
#  - holds no compiler or build tool (cc, c++, gcc, g++, clang, cpp, cc1,
#    cc1plus, as, ld, cmake, ninja, make, in any versioned or triplet-named
#    form), no development headers, no package cache (.deb files, apt's
#    binary caches, package lists) and nothing of the build tree (/build, /src,
#    CMakeCache.txt, CMakeFiles, build.ninja, object files, sources).
# A shell is fine (the official Debian bases have one). Every violation is
# listed before the test fails.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
(($# == 3)) || { echo "usage: $0 DIR BINARY VERSION" >&2; exit 2; }
dir=$1 binary=$2 version=$3
[[ -f $dir/rootfs ]] || { echo "FAIL: $dir is not set up (rootfs.sh up; run through ctest -L image)" >&2; exit 1; }
root=$(cat "$dir/rootfs")
failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}
pass() { echo "PASS: $*"; }

# found DESCRIPTION FIND-ARGS...: fails with every path (relative to the
# image's root) that `find` reports under it, /proc, /sys and /dev excepted.
found() {
  local what=$1 hits
  shift
  hits=$(cd "$root" && find . -path ./proc -prune -o -path ./sys -prune -o -path ./dev -prune -o \
    \( "$@" \) -print | sed 's|^\.||' | head -n 20)
  if [[ -n $hits ]]; then
    fail "the image holds $what:"$'\n'"$hits"
  else
    pass "no $what"
  fi
}

user=$(cat "$dir/user")
[[ $user == 65532:65532 ]] && pass "USER is 65532:65532" || fail "USER is '$user', not 65532:65532"
entrypoint=$(paste -sd' ' "$dir/entrypoint")
[[ $entrypoint == "/usr/local/bin/$binary" ]] && pass "ENTRYPOINT is /usr/local/bin/$binary" ||
  fail "ENTRYPOINT is '$entrypoint', not /usr/local/bin/$binary"

exe=$root/usr/local/bin/$binary
if [[ -x $exe ]]; then
  if readelf -S "$exe" | grep -qE '\.(debug_info|symtab)\b'; then
    fail "/usr/local/bin/$binary is not stripped"
  else
    pass "/usr/local/bin/$binary is stripped ($(du -h "$exe" | cut -f1))"
  fi
  out=$("$here/run.sh" "$dir" --version 2>&1) && rc=0 || rc=$?
  if [[ $rc -eq 0 && $out == "$binary $version" ]]; then
    pass "'$binary --version' as 65532 from the image's root filesystem: $out"
  else
    fail "'$binary --version' from the image's root filesystem exited $rc and printed: $out"
  fi
else
  fail "no executable /usr/local/bin/$binary"
fi

tools='cc|c\+\+|gcc|g\+\+|clang|clang\+\+|cpp|cc1|cc1plus|collect2|as|ld|ld\.bfd|ld\.gold|cmake|ninja|make'
found "compilers or build tools" -regextype posix-extended \( -type f -o -type l \) \
  -regex ".*/(([a-z0-9_]+-)*linux-gnu-)?($tools)(-[0-9.]+)?"
found "development headers" -path ./usr/include/\* -type f
found "package caches" \( -path './var/cache/apt/archives/*.deb' -o -path './var/cache/apt/archives/partial/*' \
  -o -path './var/cache/apt/*.bin' \)
found "package lists" -path './var/lib/apt/lists/*' -type f -not -name lock
found "build tree files" \( -path ./build -o -path ./src -o -name CMakeCache.txt -o -name CMakeFiles \
  -o -name build.ninja -o -name .ninja_log -o -name '*.o' -o -name '*.cpp' -o -name '*.cmake' \)

if ((failures)); then
  echo "$failures check(s) failed for the $binary image" >&2
  exit 1
fi
