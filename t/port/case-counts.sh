#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t/port/case-counts.sh [BUILD_DIR] - the figures of the README's Platforms table, from the
# logs of the last `make check` in BUILD_DIR (default: this directory): the tests run,
# passed and skipped, and the cmocka cases that passed on each backend ("[ OK ] [epoll]
# ..." lines), with the date, the release and the commit, so that a figure in the README
# can be told from the run that produced it (LIBEV_NG_COMMIT: the commit, where the tree is
# a copy, as in t/deb/chroot).  .ci/run and t/deb/release-check print it
# after their make check.
dir=${1:-.}
log=$dir/test-suite.log
[ -f "$log" ] || { echo "case-counts: no $log (run make check first)" >&2; exit 1; }
get () { sed -n "s/^# $1: *\\([0-9]*\\)$/\\1/p" "$log" | head -n 1; }
release=$(. /etc/os-release 2> /dev/null && echo "$PRETTY_NAME")
commit=${LIBEV_NG_COMMIT:-$(git -C "$dir" describe --always --dirty 2> /dev/null || echo '?')}
# (not the other builds' trees inside it: _clang/, _cross-HOST/, ...)
cases=$(find "$dir" -path "$dir/_*" -prune -o -name '*.log' ! -name test-suite.log -exec grep -h '^\[ *OK *\] \[' {} + 2> /dev/null |
  awk '{gsub(/[][]/, "", $4); n[$4]++} END {for (b in n) printf "%s %d\n", b, n[b]}')
count () { printf '%s\n' "$cases" | awk -v b="$1" '$1 == b {print $2}'; }
echo "$(date -u +%Y-%m-%d), ${release:-unknown release}, $(uname -m), commit $commit:" \
  "$(get TOTAL) tests, $(get PASS) pass, $(get SKIP) skip, $(get FAIL) fail;" \
  "cases on select $(count select), poll $(count poll), epoll $(count epoll), io_uring $(count io_uring)"
