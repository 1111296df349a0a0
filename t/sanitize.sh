#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t/sanitize.sh - the recipe of `make check-sanitize` (t/local.mk).
#
#   sanitize.sh SRCDIR DEST 'SANITIZE FLAGS' [MAKE ['STRESS PROGRAMS']]
#
# Configures a separate build tree DEST/build with the sanitizer flags and runs its
# `make check` (any ASan/UBSan report fails the test that caused it: -fno-sanitize-recover),
# then the short version of the named stress programs (t/stress/local.mk, STRESS_SANITIZE).
#
# automake refuses to configure a second, out-of-tree build from a source tree that is itself
# configured in place (and VPATH would pick up that tree's objects).  In that case the build
# uses a clean copy of the sources in DEST/src: the files git considers sources (tracked, or
# untracked and not ignored), or outside a git checkout every file except build products
# (objects, libraries, executables, libtool wrappers, logs) and the configure results.
set -eu

src=$1
dest=$2
flags=$3
make=${4:-make}
stress=${5:-}
sanitizers=$(printf '%s\n' "$flags" | tr ' ' '\n' | grep '^-fsanitize=' | tr '\n' ' ')

# an ELF file (program, library, object) or a libtool wrapper script
is_build_product () {
  case $1 in
    *.o | *.lo | *.la | *.a | *.so | *.so.* | *.log | *.trs | */.dirstamp) return 0 ;;
  esac
  test "$(head -c 4 "$1" | od -An -c | tr -d ' ')" = '177ELF' && return 0
  head -n 5 "$1" 2>/dev/null | grep -q 'temporary wrapper script' && return 0
  return 1
}

rm -rf "$dest"
mkdir -p "$dest/build"

if test -f "$src/config.status"; then
  tree=$dest/src
  mkdir -p "$tree"
  list=$dest/files
  if git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    # what git calls sources: tracked, or untracked but not ignored (generated files such
    # as configure or man/ev.3 are ignored, and are regenerated below)
    git -C "$src" ls-files --cached --others --exclude-standard
  else
    (cd "$src" && find . \( -name .git -o -name .libs -o -name .deps -o -name autom4te.cache \
        -o -path ./_sanitize -o -path './_build*' -o -path ./_tsan -o -path ./_valgrind \
        -o -path ./bench/out \) -prune -o -type f -print)
  fi |
    while IFS= read -r f; do
      test -f "$src/$f" || continue # deleted but still tracked
      is_build_product "$src/$f" || printf '%s\n' "$f"
    done > "$list"
  (cd "$src" && tar -cf - -T "$list") | (cd "$tree" && tar -xf -)
  # the in-place configure results must not follow (config.status is what automake checks)
  (cd "$tree" && rm -f config.status config.h config.log libtool stamp-h1 Makefile libev.pc confdefs.h)
  test -x "$tree/configure" || (cd "$tree" && autoreconf -fi >/dev/null 2>&1) || {
    echo "check-sanitize: autoreconf failed in $tree" >&2
    exit 1
  }
else
  tree=$src
fi

cd "$dest/build"
"$tree/configure" --quiet CFLAGS="$flags" CXXFLAGS="$flags" LDFLAGS="$sanitizers"

# leaks are reported by LeakSanitizer at exit; UBSan reports carry a stack trace
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1}
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# tests that cannot hold under instrumentation (e.g. "no C++ runtime", static C link) see
# this and skip (exit 77)
LIBEV_NG_SANITIZE=$sanitizers
export ASAN_OPTIONS UBSAN_OPTIONS LIBEV_NG_SANITIZE
# Compile on every core (check programs too: `check TESTS=` builds them and runs none), then
# run the tests one at a time, as `make check` does: their timing holds on a quiet machine.
jobs=$(nproc 2>/dev/null || echo 2)
$make -j"$jobs" all
$make -j"$jobs" check TESTS=
$make check
if test -n "$stress"; then
  $make check-stress STRESS_MODE=short STRESS_ONLY="$stress"
fi
