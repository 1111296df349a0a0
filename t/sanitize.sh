#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t/sanitize.sh - the recipe of `make check-sanitize` (t/local.mk).
#
#   sanitize.sh SRCDIR DEST 'SANITIZE FLAGS' [MAKE ['STRESS PROGRAMS']]
#
# Configures a separate build tree DEST/build with the sanitizer flags and runs its
# `make check` (SANITIZE_TESTS in the environment: those tests alone; any ASan/UBSan report
# fails the test that caused it: -fno-sanitize-recover),
# then the short version of the named stress programs (t/stress/local.mk, STRESS_SANITIZE).
#
# The tree is made by t/port/build-tree.sh (a clean copy of the sources when SRCDIR is
# configured in place).
set -eu

src=$1
dest=$2
flags=$3
make=${4:-make}
stress=${5:-}
sanitizers=$(printf '%s\n' "$flags" | tr ' ' '\n' | grep '^-fsanitize=' | tr '\n' ' ')

tree=$(sh "$src/t/port/build-tree.sh" "$src" "$dest")

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
# run the tests one at a time, as `make check` does, or CHECK_JOBS at once (t/local.mk).
jobs=$(nproc 2>/dev/null || echo 2)
$make -j"$jobs" all
$make -j"$jobs" check TESTS=
$make -j"${CHECK_JOBS:-1}" check ${SANITIZE_TESTS:+"TESTS=$SANITIZE_TESTS"}
if test -n "$stress"; then
  $make check-stress STRESS_MODE=short STRESS_ONLY="$stress"
fi
