#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t/win32/kit.sh - the embedding kit on Windows needs what libev's ev.c needs and no more (part of
# `make check-windows`, short version included; t/win32/check.sh runs it):
#   1. `make install DESTDIR=...` of the Windows build tree, and the kit taken from there, not
#      from the source tree (embed/local.mk's list must hold every file embed/ev_ng.cc includes);
#   2. with each thread model of mingw-w64 (Debian's x86_64-w64-mingw32-gcc-win32 and -posix and
#      their g++), t/win32/kit_link.c and the kit's embed/ev_ng.cc compiled, then linked as an
#      embedder links ev.c:
#        x86_64-w64-mingw32-gcc-MODEL -static kit_link.o ev_ng.o -lws2_32
#      the link must succeed, the program hold nothing of winpthread (no pthread_ symbol), and
#      its checks pass under Wine;
#   3. the build tree's libev-4.dll imports no winpthread and holds none of it.
#
#   kit.sh SRCDIR BUILDDIR DEST     exit status 0 when everything passed
# Environment: WINE (the loader), WINEPREFIX.
set -u

src=$1
build=$2
dest=$3
host=x86_64-w64-mingw32
wine=${WINE:-/usr/lib/wine/wine64}
[ -x "$wine" ] || wine=wine64
fails=0
pass () { echo "ok: kit: $*"; }
fail () { echo "FAIL: kit: $*"; fails=$((fails + 1)); }

rm -rf "$dest"
mkdir -p "$dest"
# ---- 1. the installed kit
# (the nested make must not join the jobserver of a make that runs this script)
if ! (unset MAKEFLAGS MFLAGS MAKELEVEL; make -C "$build" install DESTDIR="$dest/install") > "$dest/install.log" 2>&1; then
  fail "make install DESTDIR=$dest/install failed ($dest/install.log)"
  tail -20 "$dest/install.log"
  exit 1
fi
cc_file=$(find "$dest/install" -path '*/embed/ev_ng.cc' | head -n 1)
if [ -z "$cc_file" ]; then
  fail "make install installed no embed/ev_ng.cc"
  exit 1
fi
kit=$(dirname "$(dirname "$cc_file")")
pass "make install DESTDIR=...: the kit in ${kit#"$dest/install"}"
printf '#define EV_STANDALONE 1\n' > "$dest/config.h"

# ---- 2. the program, linked as ev.c is, with each thread model
for model in win32 posix; do
  gcc=$host-gcc-$model gxx=$host-g++-$model
  if ! command -v "$gcc" > /dev/null 2>&1 || ! command -v "$gxx" > /dev/null 2>&1; then
    fail "$model: no $gcc or $gxx (g++-mingw-w64-x86-64-$model)"
    continue
  fi
  d=$dest/$model
  mkdir -p "$d"
  threads=$("$gcc" -v 2>&1 | sed -n 's/^Thread model: //p')
  if ! "$gxx" -std=c++20 -fno-exceptions -fno-rtti -fno-threadsafe-statics -O2 -Wall -Wextra -Werror \
    -I"$kit" -include "$dest/config.h" -c "$kit/embed/ev_ng.cc" -o "$d/ev_ng.o" > "$d/build.log" 2>&1; then
    fail "$model: the installed kit's embed/ev_ng.cc does not compile with $gxx:"
    head -20 "$d/build.log"
    continue
  fi
  if ! "$gcc" -std=gnu11 -O1 -Wall -Wextra -Werror -I"$kit" -I"$src/t/win32" -include "$dest/config.h" \
    -c "$src/t/win32/kit_link.c" -o "$d/kit_link.o" >> "$d/build.log" 2>&1; then
    fail "$model: t/win32/kit_link.c does not compile against the installed kit's ev.h:"
    head -20 "$d/build.log"
    continue
  fi
  link="$gcc -static kit_link.o ev_ng.o -lws2_32 -o kit_link.exe"
  # shellcheck disable=SC2086
  if ! (cd "$d" && $link) > "$d/link.log" 2>&1; then
    fail "$model ($threads threads): $link: the link failed:"
    grep -o "undefined reference to \`[^']*'" "$d/link.log" | sort | uniq -c | head -20
    [ -s "$d/link.log" ] && ! grep -q 'undefined reference' "$d/link.log" && head -10 "$d/link.log"
    continue
  fi
  pass "$model ($threads threads): $link: linked"
  pthreads=$($host-nm "$d/kit_link.exe" | awk '$3 ~ /^_?pthread_/ {print $3}' | sort -u | tr '\n' ' ')
  if [ -z "$pthreads" ]; then
    pass "$model: the program holds nothing of winpthread"
  else
    fail "$model: the program holds winpthread's $pthreads"
  fi
  out=$(cd "$d" && WINEDEBUG=-all timeout 300 "$wine" ./kit_link.exe 2>&1) && rc=0 || rc=$?
  printf '%s\n' "$out" > "$d/run.log"
  counts=$(printf '%s\n' "$out" | tr -d '\r' | sed -n 's/^# \([0-9]*\) checks, \([0-9]*\) failed.*/\1 \2/p')
  if [ "$rc" = 0 ] && [ -n "$counts" ]; then
    pass "$model: t/win32/kit_link.c under Wine: ${counts% *}/${counts% *} checks"
  else
    fail "$model: t/win32/kit_link.c under Wine (exit $rc; $d/run.log):"
    printf '%s\n' "$out" | tr -d '\r' | grep -e '^FAIL' -e '^#' | head -20
  fi
done

# ---- 3. the DLL
dll=$build/.libs/libev-4.dll
if [ -f "$dll" ]; then
  imports=$($host-objdump -p "$dll" | sed -n 's/^[[:space:]]*DLL Name: //p' | tr '\n' ' ')
  pthreads=$($host-nm "$dll" 2> /dev/null | awk '$3 ~ /^_?pthread_/ {print $3}' | sort -u | tr '\n' ' ')
  case $imports in
    *winpthread*) fail "libev-4.dll imports winpthread: $imports" ;;
    *) if [ -z "$pthreads" ]; then
         pass "libev-4.dll imports $imports and holds nothing of winpthread"
       else
         fail "libev-4.dll holds winpthread's $pthreads"
       fi ;;
  esac
else
  fail "no $dll"
fi
[ $fails = 0 ]
