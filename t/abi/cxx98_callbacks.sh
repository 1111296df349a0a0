#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t/abi/cxx98_callbacks.sh - a source drop-in compiles every program libev 4.33's ev.h
# compiles: t/abi/cxx98_callbacks.cc, plain functions handed to the callback pointers ev.h
# declares with EV_NOEXCEPT, as C++98 and C++03, with $CXX and with clang++ when installed.
# libev-ng's EV_NOEXCEPT used to be throw () there, which clang refused.  When Debian's
# libev-dev is installed, the same compiles with its /usr/include/ev.h are the reference:
# each dialect must compile with ours wherever it compiles with libev's.
# Prints "ok"/"FAIL" per compiler and dialect; exit status 1 on any failure.
srcdir=${top_srcdir:-.}
CXX=${CXX:-c++}
src=$srcdir/t/abi/cxx98_callbacks.cc
tmp=${TMPDIR:-/tmp}/ev-cxx98.$$
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp"
# libev's header alone, in a directory of its own (-I/usr/include would not win over the
# source directory's "ev.h" of the #include "ev.h" form: the file is copied beside a copy
# of the source)
reference=
if [ -f /usr/include/ev.h ] && grep -q 'EV_VERSION_MINOR 33' /usr/include/ev.h; then
  reference=$tmp/ref
  mkdir -p "$reference"
  cp /usr/include/ev.h "$src" "$reference/"
fi
status=0
compilers=$CXX
if command -v clang++ > /dev/null 2>&1 && ! $CXX -dM -E -x c++ /dev/null 2>/dev/null | grep -q __clang__; then
  compilers="$compilers clang++"
fi
for cxx in $compilers; do
  for std in c++98 gnu++98 c++03; do
    $cxx -std=$std -x c++ -fsyntax-only /dev/null > /dev/null 2>&1 || continue
    ref=untested
    if [ -n "$reference" ]; then
      # shellcheck disable=SC2086
      if $cxx -std=$std -fsyntax-only "$reference/cxx98_callbacks.cc" > /dev/null 2>&1; then ref=ok; else ref=fails; fi
    fi
    # shellcheck disable=SC2086
    if $cxx -std=$std -fsyntax-only -I"$srcdir" "$src" > "$tmp/log" 2>&1; then
      echo "ok   $cxx -std=$std (libev 4.33's ev.h: $ref)"
    elif [ "$ref" = fails ]; then
      echo "ok   $cxx -std=$std: fails, as with libev 4.33's ev.h"
    else
      echo "FAIL $cxx -std=$std (libev 4.33's ev.h: $ref):"; sed 's/^/    /' "$tmp/log" | head -20; status=1
    fi
  done
done
exit $status
