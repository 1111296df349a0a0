#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t/abi/c_link.sh - a C program links against libev with the C driver alone
# (no -lstdc++), shared and static (also fully -static, where the C library has libc.a), and
# runs (under $EMULATOR in a cross build).
# A sanitizer build links its runtime into everything: nothing to learn here.
[ -n "${LIBEV_NG_SANITIZE:-}" ] && { echo "SKIP: sanitizer build"; exit 77; }
srcdir=${top_srcdir:-.}; builddir=${top_builddir:-.}
CC=${CC:-cc}
tmp=${TMPDIR:-/tmp}/ev-clink.$$
status=0
try () { # name, command...
  name=$1; shift
  # shellcheck disable=SC2086
  if "$@" > "$tmp.log" 2>&1 && $EMULATOR "$tmp.exe" > "$tmp.run" 2>&1; then echo "ok   $name"
  else echo "FAIL $name"; cat "$tmp.log" "$tmp.run" 2>/dev/null | head -20; status=1; fi
}
libdir=$(cd "$builddir/.libs" && pwd)
# what a static link needs besides libev.a (libev.pc's Libs.private: -lm where the compiler
# calls floor, as clang does)
private=$(sed -n 's/^Libs.private: *//p' "$builddir/libev.pc")
try "shared" $CC -I"$srcdir" "$srcdir/t/abi/use_all.c" -L"$libdir" -lev -Wl,-rpath,"$libdir" -o "$tmp.exe"
# shellcheck disable=SC2086
try "static archive" $CC -I"$srcdir" "$srcdir/t/abi/use_all.c" "$builddir/.libs/libev.a" $private -o "$tmp.exe"
# (the compiler names libc.a with its directory where it has one)
if [ "$($CC -print-file-name=libc.a)" != libc.a ]; then
  # shellcheck disable=SC2086
  try "fully static" $CC -static -I"$srcdir" "$srcdir/t/abi/use_all.c" "$builddir/.libs/libev.a" $private -o "$tmp.exe"
fi
rm -f "$tmp".*
exit $status
