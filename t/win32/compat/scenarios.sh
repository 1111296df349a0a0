#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t/win32/compat/scenarios.sh - the portable scenarios of t/compat/scenarios/ on Windows, the
# counterpart of t/compat/run: each compiled with mingw-w64 twice, with libev 4.33's ev.c (and
# event.c, for the libevent ones) embedded the documented Windows way (EV_STANDALONE,
# EV_SELECT_IS_WINSOCKET) and with libev-ng's ev.h and libev-4.dll under the same symbols, run
# under Wine on select; the traces must be equal, but where libev 4.33 aborts past FD_SETSIZE
# (a documented difference).  A scenario that needs what Windows has not is skipped, with the
# reason printed.
#
#   scenarios.sh SRCDIR BUILDDIR DEST LIBEV_SRC    (BUILDDIR: the Windows build, .libs/libev-4.dll)
# Environment: WINE (the loader).  Exit status: 0 when every trace is equal.
set -u
export LC_ALL=C

src=$1
b=$2
dest=$3
libev=$4
host=x86_64-w64-mingw32
wine=${WINE:-/usr/lib/wine/wine64}
sc=$src/t/compat/scenarios
windows_way='-DEV_STANDALONE=1 -DEV_SELECT_IS_WINSOCKET=1'
mkdir -p "$dest"
cp "$b/.libs/libev-4.dll" "$dest/"

# why a scenario cannot run on Windows (empty: it runs)
skip_reason () {
  if grep -q 'sc_fork\|fork ()' "$1"; then echo "fork: Windows has none"
  elif grep -q 'ev_child\|child_' "$1"; then echo "ev_child: EV_CHILD_ENABLE is 0 on Windows, in libev 4.33 as in libev-ng"
  elif grep -q 'socketpair' "$1"; then echo "socketpair: Winsock has none"
  elif grep -q 'kill (\|SIGUSR\|SIGCHLD\|SIGHUP\|SIGALRM\|sigprocmask\|pthread_sigmask' "$1"; then echo "POSIX signals (kill, SIGUSR1, masks): Windows has the C runtime's few"
  elif grep -q 'epoll\|inotify\|timerfd\|signalfd\|/proc/' "$1"; then echo "a Linux interface"
  elif grep -q '"/tmp\|mkstemp\|mkdtemp' "$1"; then echo "POSIX paths (/tmp, mkstemp)"
  fi
}

# the two cores (libev's ev.c and event.c: compiled, never read)
# shellcheck disable=SC2086
$host-gcc -O1 -w $windows_way -I"$libev" -c "$libev/ev.c" -o "$dest/libev-ev.o" &&
  $host-gcc -O1 -w $windows_way -I"$libev" -c "$libev/event.c" -o "$dest/libev-event.o" ||
  { echo "FAIL: libev 4.33's ev.c or event.c does not compile for Windows"; exit 1; }

same=0 skipped=0 different=0 divergent=0
for s in "$sc"/*.c "$sc"/*.cc; do
  name=$(basename "$s"); name=${name%.*}
  why=$(skip_reason "$s")
  if [ -n "$why" ]; then
    echo "SKIP: $name: $why"
    skipped=$((skipped + 1))
    continue
  fi
  case $s in
    *.cc) comp="$host-g++ -std=c++17 -O1" ;;
    *) comp="$host-gcc -std=gnu11 -O1" ;;
  esac
  # shellcheck disable=SC2086
  if ! { $comp -w $windows_way -I"$sc" -I"$libev" "$s" "$dest/libev-ev.o" "$dest/libev-event.o" -static -lws2_32 -lwinpthread -lm -o "$dest/$name.libev.exe" &&
    $comp -w $windows_way -I"$sc" -I"$src" "$s" -L"$b/.libs" -lev -lws2_32 -Wl,-Bstatic,-lwinpthread,-Bdynamic -o "$dest/$name.ng.exe"; } > "$dest/$name.cc.log" 2>&1; then
    echo "SKIP: $name: does not compile for Windows ($(grep -m 1 'error' "$dest/$name.cc.log" | sed 's/^[^ ]* //' | cut -c1-100))"
    skipped=$((skipped + 1))
    continue
  fi
  for how in libev ng; do
    (cd "$dest" && timeout -k 2 60 "$wine" "./$name.$how.exe" select < /dev/null > "$name.$how.raw" 2>&1
      echo "exit $?" >> "$name.$how.raw"
      tr -d '\r' < "$name.$how.raw" > "$name.$how.select")
  done
  if cmp -s "$dest/$name.libev.select" "$dest/$name.ng.select"; then
    echo "SAME: $name on select ($(wc -l < "$dest/$name.ng.select") lines)"
    same=$((same + 1))
  elif grep -q 'fd >= FD_SETSIZE' "$dest/$name.libev.select" && grep -q '^end$' "$dest/$name.ng.select"; then
    # a documented difference (README "Differences" 19, ev(3) DIFFERENCES FROM LIBEV 4.33)
    echo "DIVERGENT: $name: libev 4.33 aborts past FD_SETSIZE (64), libev-ng runs it to the end"
    divergent=$((divergent + 1))
  else
    echo "DIFFERENT: $name on select (- libev 4.33, + libev-ng)"
    diff -u "$dest/$name.libev.select" "$dest/$name.ng.select" | sed -n '3,20p' | sed 's/^/    /'
    different=$((different + 1))
  fi
done
echo "scenarios-windows: $same same, $skipped skipped, $divergent divergent (documented), $different different"
[ $different = 0 ]
