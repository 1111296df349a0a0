#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t/system-libev.sh - build and run the ev(3) suites against the *system* libev 4.33.
#
# Every claim a test makes about libev behaviour must hold for the real libev, except the
# documented libev-ng divergences, which skip() there (harness_is_real_libev()).  This script
# is how that is checked: our ev.h (same ABI), the system's libev.so.4, cmocka.
#
#   t/system-libev.sh [test ...]        # default: every suite; e.g. t/system-libev.sh ev_timer
#   VALGRIND=1 t/system-libev.sh        # the same under memcheck
#   LIBEV_LIBDIR=$PWD/.libs t/system-libev.sh   # against another libev.so.4 (e.g. ours,
#                                       # without touching the automake build tree)
#
# Build products go to a temporary directory that is removed afterwards.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
suites=${*:-"global_functions loop_control generic_watcher_functions watcher_states watcher_priority ev_io ev_io_special_problems ev_timer ev_idle ev_prepare_check cxx_exceptions cxx_api ev_periodic ev_signal ev_child ev_stat ev_embed ev_fork ev_cleanup ev_async other_functions async_threads"}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ev-system-XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

cflags="-O1 -g -Wall -Wextra -I$top $(pkg-config --cflags cmocka)"
if [ -n "${LIBEV_LIBDIR:-}" ]; then
  libs="-L$LIBEV_LIBDIR -Wl,-rpath,$LIBEV_LIBDIR -lev $(pkg-config --libs cmocka) -lm"
else
  libs="-lev $(pkg-config --libs cmocka) -lm"
fi
cc -std=gnu11 $cflags -c "$top/t/harness.c" -o "$tmp/harness.o" || exit 1
cc -std=gnu11 $cflags -c "$top/t/refuse.c" -o "$tmp/refuse.o" || exit 1

status=0
for s in $suites; do
  if [ -f "$top/t/$s.cc" ]; then
    g++ -std=c++17 $cflags "$top/t/$s.cc" "$tmp/harness.o" "$tmp/refuse.o" $libs -o "$tmp/$s" || { status=1; continue; }
  else
    cc -std=gnu11 $cflags "$top/t/$s.c" "$tmp/harness.o" "$tmp/refuse.o" $libs -o "$tmp/$s" || { status=1; continue; }
  fi
  if [ "${VALGRIND:-0}" = 1 ]; then
    HARNESS_TIME_SCALE=10 valgrind -q --leak-check=full --errors-for-leak-kinds=definite \
      --error-exitcode=1 --child-silent-after-fork=yes --suppressions="$top/t/valgrind.supp" \
      "$tmp/$s" || status=1
  else
    "$tmp/$s" || status=1
  fi
done
exit $status
