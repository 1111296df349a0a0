#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t/win32/compat/embed.sh - the embedded differential run on Windows (issue 47 point 3), the
# counterpart of t/compat/embed/run: every scenario of t/compat/embed/scenarios/ in every
# configuration of t/compat/embed/configs/, plus libev's documented Windows configuration
# (EV_SELECT_IS_WINSOCKET 1 beside the configuration's EV_STANDALONE, ev(3) WIN32 PLATFORM
# LIMITATIONS AND WORKAROUNDS), compiled with mingw-w64 twice: with libev 4.33's ev.c in it
# (compiled, never read) and with libev-ng's kit (embed/ev_ng.cc).  Both run under Wine on
# select, Windows' one backend, and on poll, which neither has there (the "no loop" path);
# the traces must be equal.  What cannot run on Windows is skipped, with the reason printed.
#
#   embed.sh SRCDIR DEST LIBEV_SRC [CONFIG...]   exit status: 0 when every trace is equal
#   (CONFIG: names of t/compat/embed/configs/, default all)
# Environment: WINE (the loader), EMBED_COMPAT_OPT as t/compat/embed/run.
set -u
export LC_ALL=C

src=$1
dest=$2
libev=$3
shift 3
configs=$*
host=x86_64-w64-mingw32
wine=${WINE:-/usr/lib/wine/wine64}
here=$src/t/compat/embed
windows_way='-DEV_SELECT_IS_WINSOCKET=1'
mkdir -p "$dest"

# why a configuration or a scenario cannot run on Windows (empty: it runs)
config_skip () {
  case $1 in
    features0) echo "sets EV_USE_POLL, EV_USE_EPOLL and EV_CHILD_ENABLE 1, which Windows does not have (libev 4.33's ev.c does not compile so either)" ;;
    libev_config_h) echo "needs libev's configure output for the host (config.h): the documented Windows way is EV_STANDALONE" ;;
  esac
}
scenario_skip () {
  case $1 in
    child_order | signal_child) echo "ev_child: EV_CHILD_ENABLE is 0 on Windows, in libev 4.33 as in libev-ng" ;;
  esac
}

same=0 different=0 skipped=0
[ -n "$configs" ] || configs=$(cd "$here/configs" && ls ./*.h | sed 's|^\./||; s|\.h$||' | sort)
for config in $configs; do
  cfg=$here/configs/$config.h
  why=$(config_skip "$config")
  if [ -n "$why" ]; then
    echo "SKIP: [$config] (every scenario): $why"
    skipped=$((skipped + $(ls "$here"/scenarios/*.c | wc -l)))
    continue
  fi
  b_=$dest/$config
  mkdir -p "$b_"
  opt=${EMBED_COMPAT_OPT:-}
  [ -n "$opt" ] || { [ "$config" = one_loop ] && opt=-O1 || opt=-O0; }
  inc="-include $cfg $windows_way"
  # shellcheck disable=SC2086
  $host-gcc $opt -w -I"$libev" $inc -c "$libev/ev.c" -o "$b_/libev.o" > "$b_/libev.log" 2>&1 &
  libev_pid=$!
  # shellcheck disable=SC2086
  $host-g++ -std=c++20 -fno-exceptions -fno-rtti -fno-threadsafe-statics $opt -Wall -Wextra -Werror \
    -I"$src" $inc -c "$src/embed/ev_ng.cc" -o "$b_/ev_ng.o" > "$b_/ev_ng.log" 2>&1
  ng_rc=$?
  wait $libev_pid
  libev_rc=$?
  if [ $libev_rc != 0 ] || [ $ng_rc != 0 ]; then
    [ $libev_rc = 0 ] || { echo "FAIL: [$config] libev 4.33's ev.c does not compile"; head -10 "$b_/libev.log"; }
    [ $ng_rc = 0 ] || { echo "FAIL: [$config] embed/ev_ng.cc does not compile"; head -10 "$b_/ev_ng.log"; }
    different=$((different + 1))
    continue
  fi
  for s in "$here"/scenarios/*.c; do
    name=$(basename "$s" .c)
    why=$(scenario_skip "$name")
    if [ -n "$why" ]; then
      echo "SKIP: [$config] $name: $why"
      skipped=$((skipped + 1))
      continue
    fi
    # (-Wno-unused-value: with one priority libev's ev_set_priority is an expression without effect)
    # shellcheck disable=SC2086
    { $host-gcc -O1 -Wall -Werror -Wno-unused-value -I"$libev" $inc -c "$s" -o "$b_/$name.libev.o" &&
      $host-gcc "$b_/$name.libev.o" "$b_/libev.o" -static -lws2_32 -lwinpthread -o "$b_/$name.libev.exe" &&
      $host-gcc -O1 -Wall -Werror -Wno-unused-value -I"$src" $inc -c "$s" -o "$b_/$name.ng.o" &&
      $host-gcc "$b_/$name.ng.o" "$b_/ev_ng.o" -static -lws2_32 -lwinpthread -o "$b_/$name.ng.exe"; } > "$b_/$name.cc.log" 2>&1 ||
      { echo "FAIL: [$config] $name: does not build"; sed 's/^/    /' "$b_/$name.cc.log" | head -20; different=$((different + 1)); continue; }
    ok=1
    for b in select poll; do
      for how in libev ng; do
        (cd "$b_" && timeout -k 2 60 "$wine" "./$name.$how.exe" "$b" < /dev/null > "$name.$how.$b" 2>&1
          echo "exit $?" >> "$name.$how.$b")
      done
      if ! cmp -s "$b_/$name.libev.$b" "$b_/$name.ng.$b"; then
        ok=0
        echo "FAIL: [$config] $name on $b: libev-ng's trace differs from libev 4.33's (- libev, + libev-ng)"
        diff -u "$b_/$name.libev.$b" "$b_/$name.ng.$b" | sed -n '3,30p' | sed 's/^/    /'
      fi
    done
    if [ $ok = 1 ]; then
      echo "SAME: [$config] $name on select and poll ($(wc -l < "$b_/$name.ng.select") lines)"
      same=$((same + 1))
    else
      different=$((different + 1))
    fi
  done
done
echo "embed-windows: $same same, $skipped skipped, $different different"
[ $different = 0 ]
