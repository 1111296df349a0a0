#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t/win32/compat/run.sh - the recipe of `make check-windows-compat` (t/win32/compat/local.mk):
# libev-ng on Windows against libev 4.33 built the documented Windows way, under Wine.
#   1. the public headers on mingw-w64 and as MSVC sees them (headers.sh);
#   2. libev 4.33's source from Debian's source package, fetched once into DEST-libev by
#      apt-get source through a private list of Debian's source archive (the machine's apt
#      configuration is left alone, as t/port/musl.sh does for cmocka); only compiled and run;
#   3. libev-ng cross-built in DEST/build (--enable-werror) and t/win32/compat/layout.c
#      compiled twice: with libev's ev.c embedded (EV_STANDALONE, EV_SELECT_IS_WINSOCKET, the
#      evwrap.c of ev(3) "WIN32 PLATFORM LIMITATIONS AND WORKAROUNDS") and with our ev.h and
#      libev-4.dll, under the same symbols; both run under Wine and must print the same lines;
#   4. ev(3)'s Windows macros honoured by an embedded core (macros.c, macros_config.h), as by
#      libev 4.33's;
#   5. the embedding kit (embed/ev_ng.cc) against libev's ev.c, both embedded the documented
#      Windows way, on the scenarios of t/compat/embed (embed.sh);
#   6. the portable scenarios of t/compat/scenarios, libev 4.33's ev.c embedded against our
#      DLL (scenarios.sh).
# Results under Wine are Wine's, not Windows'.
#
#   run.sh SRCDIR DEST           exit status: 0 when every check passed
set -eu

src=$(cd "$1" && pwd)
dest=$2
host=x86_64-w64-mingw32
export LC_ALL=C

. "$src/t/port/install-missing.sh"
install_missing check-windows-compat mingw-w64 g++-mingw-w64-x86-64 wine64 clang dpkg-dev
wine=/usr/lib/wine/wine64
[ -x "$wine" ] || wine=wine64
WINEDEBUG=-all
WINEPREFIX=${WINEPREFIX:-$dest-wine}
export WINEDEBUG WINEPREFIX
# (the first run makes the prefix: about 10 s)
wine_run () { timeout 300 "$wine" "$@"; }

fails=0
step () { echo "== $*"; }

# ---- 1. the headers ----------------------------------------------------------------------------
step "the public headers (headers.sh)"
sh "$src/t/win32/compat/headers.sh" "$src" "$dest-headers" || fails=$((fails + 1))

# ---- 2. libev 4.33, the oracle -----------------------------------------------------------------
lv=$dest-libev
if ! [ -f "$lv/libev-4.33/ev.c" ]; then
  rm -rf "$lv"
  mkdir -p "$lv/apt/lists/partial" "$lv/apt/cache/archives/partial" "$lv/apt/parts" "$lv/src"
  codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
  printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: %s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    "$codename" > "$lv/apt/parts/debian-src.sources"
  apt="-o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts=$lv/apt/parts -o Dir::State::Lists=$lv/apt/lists -o Dir::Cache=$lv/apt/cache -o APT::Sandbox::User=root"
  # shellcheck disable=SC2086
  apt-get -q $apt update > "$lv/apt.log"
  # shellcheck disable=SC2086
  (cd "$lv/src" && apt-get -q $apt source --download-only libev >> "$lv/apt.log")
  tar -xzf "$(ls "$lv"/src/libev_*.orig.tar.gz)" -C "$lv"
  rm -rf "$lv/apt" "$lv/src"
fi
libev=$lv/libev-4.33
[ -f "$libev/ev.c" ] || { echo "check-windows-compat: no libev 4.33 source in $lv" >&2; exit 1; }

# ---- 3. libev-ng for Windows -------------------------------------------------------------------
step "libev-ng cross-built (--enable-werror)"
tree=$(sh "$src/t/port/build-tree.sh" "$src" "$dest")
b=$dest/build
(cd "$b" && "$tree/configure" --quiet --host=$host --enable-werror && make -j2 > make.log 2>&1) ||
  { echo "FAIL: the Windows build (log: $b/make.log)"; tail -20 "$b/make.log"; exit 1; }
echo "ok: libev-4.dll built with --enable-werror"

# the documented Windows configuration (ev(3) WIN32 PLATFORM LIMITATIONS AND WORKAROUNDS)
windows_way='-DEV_STANDALONE=1 -DEV_SELECT_IS_WINSOCKET=1'
o=$dest/oracle
mkdir -p "$o"
cp "$b/.libs/libev-4.dll" "$o/"
# (libev's own code: -w, its warnings are not ours to fix; -static: clock_gettime from winpthread)
# shellcheck disable=SC2086
$host-gcc -O1 -w $windows_way -I"$libev" -c "$libev/ev.c" -o "$o/libev-ev.o"

step "layouts, constants, backend answers, ev_stat over 2 GiB (layout.c)"
# shellcheck disable=SC2086
$host-gcc -O1 -Wall $windows_way -I"$libev" "$src/t/win32/compat/layout.c" "$o/libev-ev.o" \
  -static -lws2_32 -lwinpthread -o "$o/layout-libev.exe"
# shellcheck disable=SC2086
$host-gcc -O1 -Wall -Wextra -Werror $windows_way -I"$tree" "$src/t/win32/compat/layout.c" \
  -L"$b/.libs" -lev -lws2_32 -o "$o/layout-ng.exe"
(cd "$o" && wine_run ./layout-libev.exe > layout-libev.out && wine_run ./layout-ng.exe > layout-ng.out) ||
  { echo "FAIL: layout.c did not run under Wine"; fails=$((fails + 1)); }
if diff "$o/layout-libev.out" "$o/layout-ng.out" > "$o/layout.diff"; then
  echo "ok: the $(wc -l < "$o/layout-ng.out") lines of layout.c are libev 4.33's ($(grep -c '^sizeof\|^offsetof' "$o/layout-ng.out") sizes and offsets, $(grep -c '^constant' "$o/layout-ng.out") constants)"
  grep -v '^sizeof\|^offsetof\|^constant' "$o/layout-ng.out" | sed 's/^/    /'
else
  echo "FAIL: layout.c differs (< libev 4.33, > libev-ng):"
  grep '^[<>]' "$o/layout.diff" | head -40
  fails=$((fails + 1))
fi

# ---- 4. ev(3)'s Windows macros in an embedded core -----------------------------------------------
step "EV_FD_TO_WIN32_HANDLE, EV_WIN32_HANDLE_TO_FD, EV_WIN32_CLOSE_FD, EV_USE_WSASOCKET, FD_SETSIZE (macros.c)"
m=$dest/macros
mkdir -p "$m"
minc="-include $src/t/win32/compat/macros_config.h -DFD_SETSIZE=16"
# shellcheck disable=SC2086
$host-gcc -O1 -w -I"$libev" $minc -c "$libev/ev.c" -o "$m/libev.o" &&
  $host-gcc -O1 -Wall -Wextra -Werror -I"$libev" $minc "$src/t/win32/compat/macros.c" "$m/libev.o" \
    -static -lws2_32 -lwinpthread -o "$m/macros-libev.exe" &&
  $host-g++ -std=c++20 -fno-exceptions -fno-rtti -fno-threadsafe-statics -O0 -Wall -Wextra -Werror \
    -I"$tree" $minc -c "$tree/embed/ev_ng.cc" -o "$m/ev_ng.o" &&
  $host-gcc -O1 -Wall -Wextra -Werror -I"$tree" $minc "$src/t/win32/compat/macros.c" "$m/ev_ng.o" \
    -static -lws2_32 -lwinpthread -o "$m/macros-ng.exe" || { echo "FAIL: macros.c does not build"; fails=$((fails + 1)); }
if [ -f "$m/macros-ng.exe" ]; then
  # (libev 4.33 aborts past FD_SETSIZE: its exit status is not the test's)
  (cd "$m" && { wine_run ./macros-libev.exe > macros-libev.out 2> macros-libev.err || true; } &&
    wine_run ./macros-ng.exe > macros-ng.out 2>&1) || true
  # (the C runtime ends printf's lines with CR LF)
  for out in "$m/macros-libev.out" "$m/macros-ng.out"; do
    [ ! -f "$out" ] || { tr -d '\r' < "$out" > "$out.lf" && mv "$out.lf" "$out"; }
  done
  # the fd macros: the same uses as libev's
  if [ "$(grep -v sockets "$m/macros-libev.out")" = "$(grep -v 'sockets\|^AFD' "$m/macros-ng.out")" ] &&
    [ "$(grep -v '^AFD' "$m/macros-ng.out" | grep -c ' used')" = 3 ]; then
    echo "ok: the three fd macros are used where libev 4.33 uses them:"
    grep -v 'sockets\|^AFD' "$m/macros-ng.out" | sed 's/^/    /'
  else
    echo "FAIL: the fd macros (< libev 4.33, > libev-ng):"
    diff "$m/macros-libev.out" "$m/macros-ng.out" | grep '^[<>]'
    fails=$((fails + 1))
  fi
  # the AFD backend (libev-ng's only) maps an ev_io's fd through the program's macro too
  if grep -q '^AFD: ev_io on a socket: EV_FD_TO_WIN32_HANDLE used, readable 1$' "$m/macros-ng.out"; then
    echo "ok: EVBACKEND_NG_AFD maps an ev_io's fd with EV_FD_TO_WIN32_HANDLE"
  else
    echo "FAIL: EVBACKEND_NG_AFD and EV_FD_TO_WIN32_HANDLE: $(grep '^AFD' "$m/macros-ng.out" || echo 'no line')"
    fails=$((fails + 1))
  fi
  # FD_SETSIZE: no limit in libev-ng (libev 4.33 aborts past it: a difference, README "Differences")
  if grep -q '^39 sockets, FD_SETSIZE 16: 39 reported' "$m/macros-ng.out"; then
    echo "ok: FD_SETSIZE 16 does not limit libev-ng's select: 39 of 39 sockets reported (libev 4.33: $(grep -o 'fd >= FD_SETSIZE[^"]*' "$m/macros-libev.err" | head -1 || echo 'no abort'))"
  else
    echo "FAIL: FD_SETSIZE limits libev-ng's select: $(tail -1 "$m/macros-ng.out")"
    fails=$((fails + 1))
  fi
  # EV_USE_WSASOCKET: WSASocketW where the program asks for it, socket elsewhere (the DLL)
  if $host-objdump -p "$m/macros-ng.exe" | grep -q 'WSASocket' && ! $host-objdump -p "$b/.libs/libev-4.dll" | grep -q 'WSASocket'; then
    echo "ok: EV_USE_WSASOCKET 1 makes the loop's sockets with WSASocket (imported; the DLL, without it, does not)"
  else
    echo "FAIL: EV_USE_WSASOCKET: macros-ng.exe does not import WSASocket, or the DLL does"
    fails=$((fails + 1))
  fi
fi

# ---- 5. the embedding kit -----------------------------------------------------------------------
step "the embedding kit against libev 4.33 embedded (embed.sh)"
WINE=$wine sh "$src/t/win32/compat/embed.sh" "$tree" "$dest/embed" "$libev" || fails=$((fails + 1))

# ---- 6. the portable scenarios ------------------------------------------------------------------
step "the portable scenarios of t/compat against libev 4.33 embedded (scenarios.sh)"
WINE=$wine sh "$src/t/win32/compat/scenarios.sh" "$tree" "$b" "$dest/scenarios" "$libev" || fails=$((fails + 1))

[ $fails = 0 ] && echo "check-windows-compat: every check passed" || echo "check-windows-compat: $fails failed"
[ $fails = 0 ]
