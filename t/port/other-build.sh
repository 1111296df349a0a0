#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t/port/other-build.sh - the recipe of `make check-clang` and `make check-portable`
# (t/port/local.mk): a build with other configure settings in a tree of its own.
#
#   other-build.sh SRCDIR DEST CONFIGURE-ARGUMENTS...
#
# Makes DEST/build (t/port/build-tree.sh), configures it with the arguments, builds
# everything and runs its `make check` (OTHER_TESTS='t/ev_io ...' in the environment: those
# tests alone).
set -eu

src=$1
dest=$2
shift 2
tree=$(sh "$src/t/port/build-tree.sh" "$src" "$dest")
cd "$dest/build"
echo "$(basename "$dest"): configure $*"
"$tree/configure" --quiet "$@"
# Compile on every core, then run the tests one at a time, as `make check` does, or
# CHECK_JOBS at once (t/local.mk).
jobs=$(nproc 2> /dev/null || echo 2)
make -j"$jobs" all
make -j"$jobs" check TESTS= > /dev/null
if [ -n "${OTHER_TESTS:-}" ]; then
  make -j"${CHECK_JOBS:-1}" check TESTS="$OTHER_TESTS"
else
  make -j"${CHECK_JOBS:-1}" check
fi
