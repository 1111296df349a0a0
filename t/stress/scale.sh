#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# t/stress/scale.sh - runs t/stress/scale (given as $1) on epoll and io_uring, on libev-ng and
# on libev 4.33 (the same source built here against Debian's ev.h and libev.so.4), and prints
# the comparison as figures.  Fails if a libev-ng run fails.
set -u
prog=$1
src=$top_srcdir/t/stress
out=$top_builddir/t/stress
ref=$out/scale-libev
CC=${CC:-cc}
have_ref=0
# Debian's libev 4.33 of the compiler's architecture (its multiarch directory)
libdir=/usr/lib/$($CC -print-multiarch 2> /dev/null || echo x86_64-linux-gnu)
if [ -e "$libdir/libev.so.4" ] && [ -e /usr/include/ev.h ]; then
  $CC -std=gnu11 -O2 -w -c "$src/scale.c" -o "$out/scale-libev.o" &&
    $CC -std=gnu11 -O2 -w -I"$src" -c "$src/stress.c" -o "$out/scale-libev-stress.o" &&
    $CC "$out/scale-libev.o" "$out/scale-libev-stress.o" -L"$libdir" \
      -Wl,--disable-new-dtags,-rpath,"$libdir" -lev -ldl -o "$ref" && have_ref=1
  rm -f "$out"/scale-libev*.o
fi

field () { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }

status=0
for backend in epoll io_uring; do
  ng=$("$prog" "$backend")
  rc=$?
  echo "$ng"
  [ $rc = 77 ] && continue
  [ $rc = 0 ] || status=1
  line=$(grep '^result:' <<<"$ng")
  [ -n "$line" ] || { status=1; continue; }
  lv=""
  if [ $have_ref = 1 ]; then
    lv=$("$ref" "$backend" | grep '^result:')
    echo "$lv"
  fi
  fds=$(field fds "$line")
  msg="$backend, $fds watched fds, 1% active: $(field per_iteration_us "$line") us CPU per iteration"
  [ -n "$lv" ] && msg="$msg (libev 4.33: $(field per_iteration_us "$lv") us)"
  msg="$msg; $(field bytes_per_fd "$line") B per watched fd"
  [ -n "$lv" ] && msg="$msg (libev: $(field bytes_per_fd "$lv") B)"
  msg="$msg; idle with a 1 ms timer: $(field idle_cpu "$line") CPU"
  [ -n "$lv" ] && msg="$msg (libev: $(field idle_cpu "$lv"))"
  msg="$msg, of which the closed-fd sweep $(field sweep "$line") ($(field swept_fds_per_s "$line") fds/s)"
  msg="$msg; a closed fd found after $(field after_s "$line") s"
  [ -n "$lv" ] && msg="$msg (libev: $(field closed_fd_found "$lv"))"
  echo "figure: scale: $msg"
  msg="$backend, watchers of one fd, us per watcher at 2,000/20,000: start $(field onefd_start_us "$line"), stop in start order $(field onefd_stop_us "$line")"
  [ -n "$lv" ] && msg="$msg (libev 4.33: start $(field onefd_start_us "$lv"), stop $(field onefd_stop_us "$lv"))"
  echo "figure: scale: $msg"
done
exit $status
