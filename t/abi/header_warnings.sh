#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t/abi/header_warnings.sh - ev.h and ev++.h compile warning-free with gcc and
# clang in every C dialect (c89 ... gnu2x) and every C++ dialect (c++98 ...
# c++23) with -Wall -Wextra -Wpedantic -Wstrict-aliasing=2 -Werror:
#   C       t/abi/use_all.c, the whole ev.h API, as C
#   C++     the same file as C++ (ev.h from C++)
#   ev++.h  t/abi/use_all_cxx.cc, ev++.h's main classes and callback styles
# Why: a header is compiled with the user's flags, not ours, so a warning in
# it breaks every -Werror build that includes it (libev 4.33's own header
# gives type-punning warnings, and "inline" is not C89).
# The first compiler pair is $CC/$CXX (gcc/g++ as configured), the second
# clang/clang++ when installed (build.sh installs it; without it the clang
# half is skipped with a message, the rest still runs).
# Prints one line per compiler, kind and dialect ("ok   gcc C c89" or
# "FAIL ..." followed by the diagnostics); exit status 1 on any failure.
srcdir=${top_srcdir:-.}
CC=${CC:-cc}; CXX=${CXX:-c++}
flags="-O2 -Wall -Wextra -Wpedantic -Wstrict-aliasing=2 -Werror -fsyntax-only -I$srcdir"
c_src=$srcdir/t/abi/use_all.c
cxx_src=$srcdir/t/abi/use_all_cxx.cc
# Dialects; "a|b" lists the spellings of one dialect, newest first: the
# first one the compiler accepts is used (g++ 12 knows c++23, clang 14 only
# c++2b; compilers that call C23 "c23" still accept "c2x").
c_stds="c89 gnu89 c99 gnu99 c11 gnu11 c17 gnu17 c2x|c23 gnu2x|gnu23"
cxx_stds="c++98 gnu++98 c++11 c++14 c++17 c++20|c++2a c++23|c++2b"
tmp=${TMPDIR:-/tmp}/ev-hdrwarn.$$
trap 'rm -f "$tmp".*' EXIT
status=0

# the first spelling of dialect $3 ("a|b") that compiler $1 accepts for
# language $2 (c or c++), silently: a warning about the option counts as
# "not accepted"; empty output if none is
pick_std () {
  for s in $(echo "$3" | tr '|' ' '); do
    if $1 -std="$s" -x "$2" -fsyntax-only /dev/null > "$tmp.probe" 2>&1 && [ ! -s "$tmp.probe" ]; then
      echo "$s"; return
    fi
  done
}

# one compile: label, compiler, language, dialect list entry, source
check () {
  std=$(pick_std "$2" "$3" "$4")
  name=${4%%|*}
  if [ -z "$std" ]; then
    echo "FAIL $1 $name: the compiler accepts none of -std=$(echo "$4" | sed 's/|/, -std=/g')"
    status=1; return
  fi
  [ "$std" = "$name" ] || name="$name (-std=$std)"
  # $2 (CC may carry options) and $flags are split on purpose
  # shellcheck disable=SC2086
  if $2 -std="$std" $flags -x "$3" "$5" > "$tmp.log" 2>&1 && [ ! -s "$tmp.log" ]; then
    echo "ok   $1 $name"
  else
    echo "FAIL $1 $name"; sed 's/^/    /' "$tmp.log" | head -40; status=1
  fi
}

# all dialects with one compiler pair: label, C compiler, C++ compiler
check_pair () {
  echo "# $1: $($2 --version 2>&1 | head -1) / $($3 --version 2>&1 | head -1)"
  for d in $c_stds; do check "$1 C" "$2" c "$d" "$c_src"; done
  for d in $cxx_stds; do check "$1 C++" "$3" c++ "$d" "$c_src"; done
  for d in $cxx_stds; do check "$1 ev++.h" "$3" c++ "$d" "$cxx_src"; done
}

is_clang () { $1 -dM -E -x c /dev/null 2>/dev/null | grep -q '__clang__'; }

if is_clang "$CC"; then first=clang; else first=gcc; fi
check_pair "$first" "$CC" "$CXX"

if [ "$first" = clang ]; then
  echo "skip clang: already tested as \$CC ($CC)"
elif ! command -v clang > /dev/null 2>&1 || ! command -v clang++ > /dev/null 2>&1; then
  echo "skip clang: not installed (clang and clang++ are needed; build.sh installs them)"
else
  check_pair clang clang clang++
fi
exit $status
