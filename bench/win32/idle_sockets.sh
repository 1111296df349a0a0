#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# bench/win32/idle_sockets.sh - what idle sockets cost an iteration on Windows, under Wine:
# bench/win32/idle_sockets.c on select and on AFD (EVBACKEND_NG_AFD), with 10 and with N
# idle sockets, built twice: against libev-4.dll (C runtime fds), and with the embedding kit
# whose fds are the SOCKET handles themselves (bench/win32/raw_sockets_config.h), with 10 and
# with RAW_N.  A benchmark, not a test: the figures are Wine's on this machine, not Windows'.
#
#   idle_sockets.sh [WINDOWS_BUILD_DIR [N [RAW_N]]]
#
# WINDOWS_BUILD_DIR is a tree that t/win32/wine.sh built (make check-windows-smoke:
# _windows/build); N is 2000 by default, about what msvcrt's table of 2,048 fds allows; RAW_N
# 10000 (Wine keeps a Unix fd a socket: the shell's fd limit must allow about 2 RAW_N).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$src/_windows/build}" && pwd)
many=${2:-2000}
raw_many=${3:-10000}
host=x86_64-w64-mingw32
wine=/usr/lib/wine/wine64
[ -x "$wine" ] || wine=wine64

cd "$build"
[ -f .libs/libev-4.dll ] || { echo "idle_sockets.sh: no $build/.libs/libev-4.dll (make check-windows-smoke first)" >&2; exit 1; }
cp .libs/libev-4.dll .
$host-gcc -O2 -Wall -Wextra -Werror -I"$src" -I. "$here/idle_sockets.c" -L.libs -lev -lws2_32 -o idle_sockets.exe
$host-g++ -std=c++20 -fno-exceptions -fno-rtti -fno-threadsafe-statics -O2 -Wall -Wextra -Werror -I"$src" \
  -include "$here/raw_sockets_config.h" -c "$src/embed/ev_ng.cc" -o idle_sockets_kit.o
$host-gcc -O2 -Wall -Wextra -Werror -I"$src" -include "$here/raw_sockets_config.h" -DIDLE_SOCKETS_RAW \
  "$here/idle_sockets.c" idle_sockets_kit.o -static -lws2_32 -lwinpthread -o idle_sockets_raw.exe
for exe in idle_sockets idle_sockets_raw; do
  top=$many
  [ $exe = idle_sockets ] || top=$raw_many
  for backend in afd select; do
    for n in 10 "$top"; do
      printf '%s\t' $exe
      WINEDEBUG=-all WINEPREFIX=${WINEPREFIX:-$build/../wine} timeout 900 "$wine" ./$exe.exe $backend "$n"
    done
  done
done
