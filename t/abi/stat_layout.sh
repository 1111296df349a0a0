#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t/abi/stat_layout.sh - our libev.so.4 lays out ev_stat's struct stat as Debian's libev.so.4
# of the same architecture does, for programs compiled with every choice of large files and
# 64-bit time: the compiler's default (the platform's programs), 32-bit off_t and time_t,
# -D_FILE_OFFSET_BITS=64, and -D_FILE_OFFSET_BITS=64 -D_TIME_BITS=64; each against our
# ev.h and against Debian's (libev-dev), run with our library and with Debian's
# (t/abi/stat_layout.c checks what the library wrote).  On a 32-bit host the layout is
# fixed when the library is built (configure, "the widths of off_t and time_t"): Debian 13
# builds armhf with 64-bit off_t and time_t, i386 and Debian 12 with 32-bit ones.  Where
# the two libraries differ for any choice, ours was built for another platform ABI.  The
# compiler's default must work with ours (with Debian's too, where it is installed); every
# other choice must do with ours what it does with Debian's (on a 64-bit host: work).
# In a cross build the programs run under $EMULATOR (t/port/cross.sh).
[ -n "${LIBEV_NG_SANITIZE:-}" ] && { echo "SKIP: sanitizer build"; exit 77; }
srcdir=${top_srcdir:-.}; builddir=${top_builddir:-.}
CC=${CC:-cc}
libdir=$(cd "$builddir/.libs" 2> /dev/null && pwd) || { echo "no $builddir/.libs"; exit 99; }
[ -e "$libdir/libev.so.4" ] || { echo "no $libdir/libev.so.4"; exit 99; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ev-statlayout.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT PIPE TERM
status=0

# Debian's library and header of the compiler's architecture (libev4 or libev4t64, libev-dev)
multiarch=$($CC -print-multiarch 2> /dev/null)
deb_lib=/usr/lib/${multiarch:-none}/libev.so.4
mkdir "$tmp/deblib" "$tmp/debinc"
if [ -e "$deb_lib" ] && ! readelf --dyn-syms -W "$deb_lib" 2> /dev/null | grep ' ev_ng_version@' > /dev/null; then
  ln -s "$deb_lib" "$tmp/deblib/libev.so.4"
else
  echo "# no Debian libev.so.4 of $multiarch (libev4 or libev4t64 of that architecture): ours alone"
  deb_lib=
fi
headers="ours"
if [ -f /usr/include/ev.h ] && ! grep -q 'EV_NG' /usr/include/ev.h; then
  cp /usr/include/ev.h "$tmp/debinc/ev.h"
  headers="ours debian"
fi

# (a 64-bit target has one layout: every choice must work there)
pointer_size=$($CC -dM -E - < /dev/null 2> /dev/null | sed -n 's/^#define __SIZEOF_POINTER__ //p')

# a file whose size and times no other field of struct stat holds
printf '%0123457d' 0 > "$tmp/file"
touch -m -d '2001-09-09 01:46:40 UTC' "$tmp/file"
touch -a -d '2004-01-10 13:37:04 UTC' "$tmp/file"

run () { # library-dir program: prints the program's line, returns its status
  # shellcheck disable=SC2086
  LD_LIBRARY_PATH=$1 $EMULATOR "$2" "$tmp/file" 2>&1
}
for flags in default "-U_TIME_BITS -U_FILE_OFFSET_BITS" "-U_TIME_BITS -D_FILE_OFFSET_BITS=64" \
  "-D_FILE_OFFSET_BITS=64 -D_TIME_BITS=64"; do
  f=$flags; [ "$f" = default ] && f=
  for h in $headers; do
    inc=$srcdir; [ "$h" = debian ] && inc=$tmp/debinc
    # shellcheck disable=SC2086
    if ! $CC $f -I"$inc" "$srcdir/t/abi/stat_layout.c" -L"$libdir" -lev -o "$tmp/prog" > "$tmp/cc.log" 2>&1; then
      echo "--   [$flags] $h ev.h: does not compile here ($(head -n 1 "$tmp/cc.log"))"
      continue
    fi
    ours=$(run "$libdir" "$tmp/prog"); ours_rc=$?
    if [ -n "$deb_lib" ]; then
      deb=$(run "$tmp/deblib" "$tmp/prog"); deb_rc=$?
    else
      deb="-"; deb_rc=$ours_rc
    fi
    verdict=ok
    [ $ours_rc = $deb_rc ] || verdict=FAIL
    [ "$flags" = default ] && [ $ours_rc != 0 ] && verdict=FAIL
    [ "$flags" = default ] && [ $deb_rc != 0 ] && verdict=FAIL
    [ "$pointer_size" = 8 ] && [ $ours_rc != 0 ] && verdict=FAIL
    what=$(printf '%s\n' "$ours" | sed -n 's/^ok: //p')
    printf '%-4s [%s] %s ev.h: libev-ng %s, Debian %s%s\n' "$verdict" "$flags" "$h" "${ours%%:*}" "${deb%%:*}" \
      "${what:+ ($what)}"
    [ $verdict = ok ] || printf '     libev-ng: %s\n     Debian: %s\n' "$ours" "$deb"
    [ $verdict = ok ] || status=1
  done
done
exit $status
