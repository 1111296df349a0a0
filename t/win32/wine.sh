#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t/win32/wine.sh - the recipe of `make check-windows-smoke` (t/port/local.mk): the library
# cross-built for Windows with mingw-w64 (x86-64) in a tree of its own, with --enable-werror
# and plain `make`, then checked:
#   - libev-4.dll, its import library libev.dll.a and libev.a are made;
#   - the DLL exports libev's API and the extensions (t/abi's lists, less ev_child's, as
#     EV_CHILD_ENABLE is 0 on Windows) and nothing of the C++ core, and imports no mingw
#     runtime DLL (libgcc is linked in; winpthread is not needed: t/win32/kit.sh);
#   - t/win32/select_smoke.c and t/win32/ev_io.c, linked with the DLL, pass under Wine, each
#     on select and on AFD (EVBACKEND_NG_AFD, by its argument "afd"); the counts of checks
#     per program and backend are printed.
# Results under Wine are Wine's, not Windows'.
#
#   wine.sh SRCDIR DEST
#
# Installs what is missing (apt-get, as build.sh: root or sudo): mingw-w64,
# g++-mingw-w64-x86-64 and wine64 (whose loader is /usr/lib/wine/wine64; no display needed).
set -eu

src=$1
dest=$2
host=x86_64-w64-mingw32

. "$src/t/port/install-missing.sh"
install_missing check-windows-smoke mingw-w64 g++-mingw-w64-x86-64 wine64
wine=/usr/lib/wine/wine64
[ -x "$wine" ] || wine=wine64

tree=$(sh "$src/t/port/build-tree.sh" "$src" "$dest")
cd "$dest/build"
# (--enable-werror: the Windows build is warning-free, as the others)
"$tree/configure" --quiet --host=$host --enable-werror
make -j"$(nproc 2> /dev/null || echo 2)"

fails=0
for f in .libs/libev-4.dll .libs/libev.dll.a .libs/libev.a; do
  if [ -f "$f" ]; then echo "ok: $f"; else echo "FAIL: no $f"; fails=$((fails + 1)); fi
done
dump=$($host-objdump -p .libs/libev-4.dll)
exports=$(printf '%s\n' "$dump" | sed -n '/Ordinal\/Name Pointer/,/^$/p' | awk 'NF >= 2 && $NF != "Table" {print $NF}' | sort)
expected=$( (cat "$tree/t/abi/exported-symbols.txt" "$tree/t/abi/event-symbols.txt"
  grep -v '^#' "$tree/t/abi/extension-symbols.txt" | awk '{print $1}') | grep -v '^ev_child_' | sort)
if [ "$exports" = "$expected" ]; then
  echo "ok: the DLL exports the $(printf '%s\n' "$exports" | wc -l) names of libev's API and the extensions"
else
  echo "FAIL: the DLL's exports differ from t/abi's lists (- missing, + extra):"
  printf '%s\n' "$expected" > exports.expected
  printf '%s\n' "$exports" > exports.actual
  diff exports.expected exports.actual | grep '^[<>]' | sed 's/^</-/; s/^>/+/' | head -40
  fails=$((fails + 1))
fi
imports=$(printf '%s\n' "$dump" | sed -n 's/^[[:space:]]*DLL Name: //p' | tr '\n' ' ')
case $imports in
  *winpthread* | *libgcc* | *libstdc*) echo "FAIL: the DLL imports a mingw runtime DLL: $imports"; fails=$((fails + 1)) ;;
  *) echo "ok: the DLL imports $imports" ;;
esac

cp .libs/libev-4.dll .
for t in select_smoke ev_io; do
  $host-gcc -O1 -Wall -Wextra -Werror -I"$tree" -I. "$tree/t/win32/$t.c" -L.libs -lev -lws2_32 -o $t.exe
done
# (a prefix of its own: the first run makes it, about 10 s)
for t in select_smoke ev_io; do
  for backend in select afd; do
    out=$(WINEDEBUG=-all WINEPREFIX=${WINEPREFIX:-$dest/wine} timeout 300 "$wine" ./$t.exe $backend 2>&1) && rc=0 || rc=$?
    printf '%s\n' "$out" > $t-$backend.log
    counts=$(printf '%s\n' "$out" | sed -n 's/^# \([0-9]*\) checks, \([0-9]*\) failed.*/\1 \2/p')
    total=${counts% *}
    failed=${counts#* }
    if [ "$rc" = 0 ] && [ -n "$counts" ]; then
      echo "ok: t/win32/$t.c on $backend under Wine: $total/$total checks"
    else
      echo "FAIL: t/win32/$t.c on $backend under Wine (exit $rc, ${counts:+$failed of $total checks failed}; $PWD/$t-$backend.log):"
      printf '%s\n' "$out" | grep -e '^FAIL' -e '^#' | head -20
      fails=$((fails + 1))
    fi
  done
done
[ $fails = 0 ]
