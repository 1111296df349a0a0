#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# t/stress/badinput.sh - runs t/stress/badinput (given as $1) with libev 4.33's column: the
# same source is built here against Debian's ev.h and libev.so.4 (libev-dev), and badinput
# runs every case against both.  The table goes to $top_builddir/t/stress/badinput-table.md.
# Without libev-dev the table has no libev column (and says so).
set -u
prog=$1
src=$top_srcdir/t/stress
out=$top_builddir/t/stress
ref=$out/badinput-libev
CC=${CC:-cc}
CXX=${CXX:-c++}
# Debian's libev 4.33 of the compiler's architecture (its multiarch directory)
libdir=/usr/lib/$($CC -print-multiarch 2> /dev/null || echo x86_64-linux-gnu)
syslib=$libdir/libev.so.4
BADINPUT_SYSLIB=$syslib
export BADINPUT_SYSLIB
rm -f "$ref"
if [ -e "$syslib" ] && [ -e /usr/include/ev.h ] && [ -e /usr/include/ev++.h ]; then
  # ev.h and ev++.h come from /usr/include (Debian's), only event.h (which libev-dev does
  # not ship; libev.so.4 exports its functions) from our tree: a directory of its own holds
  # it, searched before /usr/include, where libevent-dev puts an event.h of its own (our
  # event.h's #include "ev.h" then finds /usr/include/ev.h); removed after the build
  evdir=$out/badinput-libev-include
  mkdir -p "$evdir"
  cp "$top_srcdir/event.h" "$evdir/event.h"
  flags="-O1 -g -w -DBADINPUT_LIBEVENT=1 -I$evdir"
  set -e
  $CC -std=gnu11 $flags -c "$src/badinput.c" -o "$out/badinput-libev.o"
  $CC -std=gnu11 $flags -c "$src/stress.c" -o "$out/badinput-libev-stress.o"
  $CXX -std=c++17 $flags -c "$src/badinput_cxx.cc" -o "$out/badinput-libev-cxx.o"
  $CXX "$out/badinput-libev.o" "$out/badinput-libev-stress.o" "$out/badinput-libev-cxx.o" \
    -L"$libdir" -Wl,--disable-new-dtags,-rpath,"$libdir" \
    -lev -lm -ldl -o "$ref"
  set +e
  rm -f "$out"/badinput-libev*.o
  rm -rf "$evdir"
  exec "$prog" --reference "$ref" --table "$out/badinput-table.md"
fi
echo "badinput: Debian's libev-dev is not installed: no libev 4.33 column"
exec "$prog" --table "$out/badinput-table.md"
