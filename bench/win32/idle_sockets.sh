#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# bench/win32/idle_sockets.sh - what idle sockets cost an iteration on Windows, under Wine:
# bench/win32/idle_sockets.c on select and on AFD (EVBACKEND_NG_AFD), with 10 and with N
# idle sockets.  A benchmark, not a test: the figures are Wine's on this machine, not
# Windows'.
#
#   idle_sockets.sh [WINDOWS_BUILD_DIR [N]]
#
# WINDOWS_BUILD_DIR is a tree that t/win32/wine.sh built (make check-windows-smoke:
# _windows/build); N is 2000 by default, about what msvcrt's table of 2,048 fds allows.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$src/_windows/build}" && pwd)
many=${2:-2000}
host=x86_64-w64-mingw32
wine=/usr/lib/wine/wine64
[ -x "$wine" ] || wine=wine64

cd "$build"
[ -f .libs/libev-4.dll ] || { echo "idle_sockets.sh: no $build/.libs/libev-4.dll (make check-windows-smoke first)" >&2; exit 1; }
cp .libs/libev-4.dll .
$host-gcc -O2 -Wall -Wextra -Werror -I"$src" -I. "$here/idle_sockets.c" -L.libs -lev -lws2_32 -o idle_sockets.exe
for backend in afd select; do
  for n in 10 "$many"; do
    WINEDEBUG=-all WINEPREFIX=${WINEPREFIX:-$build/../wine} timeout 300 "$wine" ./idle_sockets.exe $backend "$n"
  done
done
