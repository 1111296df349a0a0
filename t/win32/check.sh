#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t/win32/check.sh - the recipe of `make check-windows` (t/port/local.mk): the library, cmocka
# and the C suites cross-built for Windows with mingw-w64 (x86-64), the suites run under Wine
# on each backend of WINDOWS_BACKENDS, and the cases counted per backend.  Results under Wine
# are Wine's, not Windows'.
#
#   check.sh SRCDIR DEST
#
# 1. installs what is missing (apt-get, as build.sh): mingw-w64, g++-mingw-w64-x86-64 (both thread
#    models' compilers), wine64, cmake, dpkg-dev;
# 2. builds cmocka for Windows once, in DEST-cmocka (a static library): its Debian source
#    package (t/port/cmocka-source.sh), compiled with mingw-w64;
# 3. configures a separate tree DEST/build (t/port/build-tree.sh) with
#    --host=x86_64-w64-mingw32 and builds libev-4.dll;
# 3b. the embedding kit from `make install DESTDIR=...` of that tree, linked as libev's ev.c links
#    (-static, -lws2_32 alone) with each thread model of mingw-w64 and run under Wine, and the
#    DLL's imports (t/win32/kit.sh; in the short version too);
# 4. compiles each C suite of `make check` that is not POSIX-only, with the harness, against
#    the DLL: t/win32/posix.h is included first (a pipe there is a loopback socket pair,
#    see there), t/win32/include/ stands for the POSIX headers mingw-w64 lacks; plus
#    t/win32/ev_io_many_sockets.c, the 2,000-socket echo;
# 5. runs each under Wine once per backend (HARNESS_BACKENDS), the cases t/win32/skip.txt
#    names skipped with its reason (HARNESS_SKIP_FILE; the whole suites it names are not
#    built), and prints per backend the cases passed, skipped (grouped by reason) and failed.
#    Exits 1 when a case failed or a suite did not finish.
#
# Environment: WINDOWS_BACKENDS (default "select afd"; the backends' names as the harness knows
# them), WINDOWS_SHORT=1 (the short version for CI: the suites of WINDOWS_SHORT_SUITES
# only), WINDOWS_SUITES='t/ev_io ...' (those alone), WINDOWS_REUSE=1 (the last run's library,
# the suites built again from this tree: for working on them), HARNESS_TIME_SCALE (default 3: Wine
# starts and switches slower than Linux), HARNESS_ATTEMPTS (default 5: a timing case that a
# late wake-up spoiled runs again, and Wine's wake-ups come late more often), WINEPREFIX (default DEST/wine, made by the first
# run, about 10 s).
set -eu

src=$1
dest=$2
host=x86_64-w64-mingw32
backends=${WINDOWS_BACKENDS:-select afd}
# the short version: the loop's core, I/O on sockets, the death tests' re-runs, the echo
short_suites="t/ev_timer t/ev_io t/watcher_states t/generic_watcher_functions t/win32/ev_io_many_sockets t/ev_ng_stream"
# C suites not yet ported to Windows: listed by the run, never dropped silently (issue 47).
# None now.
unported=""

. "$src/t/port/install-missing.sh"
install_missing check-windows mingw-w64 g++-mingw-w64-x86-64 g++-mingw-w64-x86-64-win32 g++-mingw-w64-x86-64-posix \
  wine64 cmake dpkg-dev xz-utils
wine=/usr/lib/wine/wine64
[ -x "$wine" ] || wine=wine64
jobs=$(nproc 2> /dev/null || echo 2)
[ "$jobs" -le 2 ] || jobs=2

# ---- 2. cmocka for Windows (kept between runs) -------------------------------------------------
cm=$dest-cmocka
if [ ! -f "$cm/lib/libcmocka-static.a" ]; then
  rm -rf "$cm"
  cmsrc=$(sh "$src/t/port/cmocka-source.sh" "$cm")
  mkdir "$cm/build"
  printf 'set(CMAKE_SYSTEM_NAME Windows)\nset(CMAKE_C_COMPILER %s-gcc)\nset(CMAKE_RC_COMPILER %s-windres)\n' \
    $host $host > "$cm/build/toolchain.cmake"
  (cd "$cm/build" && cmake -DCMAKE_TOOLCHAIN_FILE="$cm/build/toolchain.cmake" -DCMAKE_BUILD_TYPE=Release \
     -DCMAKE_INSTALL_PREFIX="$cm" -DCMAKE_INSTALL_LIBDIR=lib -DWITH_STATIC_LIB=ON -DUNIT_TESTING=OFF \
     -DWITH_EXAMPLES=OFF "$cmsrc" > "$cm/cmake.log" \
     && make -j"$jobs" install > "$cm/make.log") || { echo "check-windows: building cmocka failed (logs in $cm)" >&2; exit 1; }
  rm -rf "$cm/build"
fi

# ---- 3. the library -----------------------------------------------------------------------------
if [ "${WINDOWS_REUSE:-0}" = 1 ] && [ -f "$dest/build/.libs/libev-4.dll" ]; then
  # (the last run's tree and library: for working on the suites; their sources are copied anew)
  tree=$dest/src
  [ -d "$tree" ] || tree=$src
  [ "$tree" = "$src" ] || (cd "$src" && tar -cf - t) | (cd "$tree" && tar -xf -)
  cd "$dest/build"
else
  tree=$(sh "$src/t/port/build-tree.sh" "$src" "$dest")
  cd "$dest/build"
  # (cmocka's pkg-config file: make print-tests then lists the suites, which need it)
  "$tree/configure" --quiet --host=$host PKG_CONFIG_LIBDIR="$cm/lib/pkgconfig"
  make -j"$jobs" libev.la
fi
echo "check-windows: $host in $dest/build, backends: $backends"
cp .libs/libev-4.dll .

# ---- 3b. the embedding kit, installed, linked as ev.c links ------------------------------------
kit_status=ok
WINEPREFIX=${WINEPREFIX:-$dest/wine} WINE=$wine sh "$tree/t/win32/kit.sh" "$tree" "$dest/build" "$dest/kit" || kit_status=FAILED

# ---- 4. the suites ------------------------------------------------------------------------------
skips=$tree/t/win32/skip.txt
# a whole suite is skipped where skip.txt's CASES field is *: its reason
suite_skip () {
  awk -F'|' -v test="$1" '
    function trim(s) { gsub(/^[ \t]+|[ \t]+$/, "", s); return s }
    /^[ \t]*(#|$)/ { next }
    trim($3) == "*" && trim($2) == test { print trim($4); exit }' "$skips"
}
if [ -n "${WINDOWS_SUITES:-}" ]; then
  suites=$WINDOWS_SUITES
elif [ "${WINDOWS_SHORT:-0}" = 1 ]; then
  suites=$short_suites
else
  # (their names end in .exe here)
  suites="$(make -s print-tests | tr ' ' '\n' | sed 's/\.exe$//') t/win32/ev_io_many_sockets"
fi
cflags="-std=gnu11 -O1 -g -Wall -Wextra -Wshadow -Wno-unused-function -Wno-unused-variable -Wno-unused-but-set-variable
  -Wno-unused-parameter -I$tree/t/win32/include -include $tree/t/win32/posix.h -I$tree -I$tree/t -I. -I$cm/include"
# shellcheck disable=SC2086
$host-gcc $cflags -c "$tree/t/harness.c" -o harness.o
# shellcheck disable=SC2086
$host-gcc $cflags -c "$tree/t/harness_win32.c" -o harness_win32.o
# shellcheck disable=SC2086
$host-gcc $cflags -c "$tree/t/win32/posix.c" -o posix.o
# shellcheck disable=SC2086
$host-gcc $cflags -c "$tree/t/win32/refuse.c" -o refuse.o
# (libgcc, and winpthread for the suites that start threads with pthreads, linked in: the
# programs need no mingw runtime DLL; the DLL itself has nothing of winpthread, t/win32/kit.sh)
libs="harness.o harness_win32.o posix.o refuse.o -L.libs -lev $cm/lib/libcmocka-static.a -lws2_32
  -static-libgcc -Wl,-Bstatic -lpthread -Wl,-Bdynamic -lm"
built= skipped_suites= cxx=
for t in $suites; do
  if [ ! -f "$tree/$t.c" ]; then
    [ ! -f "$tree/$t.cc" ] || cxx="$cxx $t"
    continue
  fi
  case " $unported " in
    *" $t "*)
      skipped_suites="$skipped_suites$t: NOT YET PORTED to Windows (t/win32/check.sh)
"
      continue ;;
  esac
  reason=$(suite_skip "$t")
  if [ -n "$reason" ]; then
    skipped_suites="$skipped_suites$t: $reason
"
    continue
  fi
  mkdir -p "$(dirname "$t")"
  # shellcheck disable=SC2086
  if $host-gcc $cflags "$tree/$t.c" $libs -o "$t.exe" 2> "$t.build.log"; then
    built="$built $t"
  else
    echo "FAIL: $t does not build for Windows ($dest/build/$t.build.log):"
    head -n 20 "$t.build.log"
    skipped_suites="$skipped_suites$t: FAILED TO BUILD
"
  fi
done

# ---- 5. run, count ------------------------------------------------------------------------------
WINEDEBUG=-all WINEPREFIX=${WINEPREFIX:-$dest/wine} WINEDLLOVERRIDES='winemenubuilder.exe=d'
HARNESS_SKIP_FILE=$skips HARNESS_SKIP_TAGS='windows wine'
HARNESS_TIME_SCALE=${HARNESS_TIME_SCALE:-3}
HARNESS_ATTEMPTS=${HARNESS_ATTEMPTS:-5}
# (t/libev_ng_version reads NEWS there)
top_srcdir=Z:$tree
export top_srcdir
export WINEDEBUG WINEPREFIX WINEDLLOVERRIDES HARNESS_SKIP_FILE HARNESS_SKIP_TAGS HARNESS_TIME_SCALE HARNESS_ATTEMPTS
# (Wine reads the skip file's path as a Windows one: Z: is the root)
HARNESS_SKIP_FILE=Z:$(printf '%s' "$skips" | tr / '\\')
# (the program finds libev-4.dll beside it)
failed_suites=
for b in $backends; do
  for t in $built; do
    cp libev-4.dll "$(dirname "$t")/" 2> /dev/null || true
    log=$t.$b.log
    start=$(date +%s)
    if HARNESS_BACKENDS=$b timeout $((600 * HARNESS_TIME_SCALE)) "$wine" "$t.exe" > "$log" 2>&1; then
      status=ok
    else
      status="FAILED (status $?)"
      failed_suites="$failed_suites $t[$b]"
    fi
    echo "$t [$b]: $status, $(($(date +%s) - start)) s"
  done
done

echo
echo "==== check-windows: cases under Wine ($(wine64 --version 2> /dev/null || "$wine" --version)), per backend"
[ -z "$skipped_suites" ] || printf 'suites not run:\n%s' "$skipped_suites" | sed 's/^t/  t/'
[ -z "$cxx" ] || echo "C++ suites and unit tests not built (C suites only):$cxx"
bad=0
for b in $backends; do
  # cmocka's lines per case ("[       OK ] [select] name"), each case once (a failed case is
  # listed again at the end of its group); a skip's reason is the last "skipped" line before
  cat $(for t in $built; do printf '%s ' "$t.$b.log"; done) | tr -d '\r' | awk -v b="[$b]" '
    /^skipped( here)?: / { reason = $0; sub(/^skipped( here)?: /, "", reason) }
    /^\[ *(OK|SKIPPED|FAILED|ERROR) *\] \[/ && $0 ~ ("\\] \\" b " ") {
      st = $0; sub(/^\[ */, "", st); sub(/ *\].*/, "", st)
      name = $0; sub(/^\[[^]]*\] /, "", name)
      if (!(name in seen)) {
        seen[name] = st; n[st]++
        if (st == "SKIPPED") why[reason != "" ? reason : "(no reason printed)"]++
        if (st == "ERROR") { st = "FAILED"; n["ERROR"]--; n[st]++ }
        if (st == "FAILED") failed = failed "    " name "\n"
      }
      reason = ""
    }
    END {
      printf "%s: %d passed, %d skipped, %d failed\n", b, n["OK"], n["SKIPPED"], n["FAILED"]
      for (r in why) printf "  skipped %d: %s\n", why[r], r
      if (failed != "") printf "  failed:\n%s", failed
      exit n["FAILED"] > 0
    }' || bad=1
done
if [ -n "$failed_suites" ]; then
  echo "suites that failed or did not finish:$failed_suites (logs: $dest/build/t/*.BACKEND.log)"
  bad=1
fi
if [ "$kit_status" != ok ]; then
  echo "the embedding kit (t/win32/kit.sh) failed: see its lines above (files in $dest/kit)"
  bad=1
else
  echo "the embedding kit: installed, linked with -lws2_32 alone with both thread models, passed under Wine"
fi
[ $bad = 0 ]
