#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t/win32/compat/headers.sh - ev.h, ev++.h and event.h on Windows compilers (issue 47 point 1):
#   - each compiles alone with x86_64-w64-mingw32-gcc (-std=c99, c11) or -g++ (c++11, c++20),
#     -Wall -Wextra -Wpedantic -Werror;
#   - MSVC's view, which has no compiler here: clang targeting x86_64-pc-windows-msvc (which
#     defines _MSC_VER and not __GNUC__, as cl does) over mingw-w64's headers, -Wpedantic -Wgnu
#     -Werror (GNU statement expressions, zero-length arrays, typeof...), in C and in C++98
#     (the __cplusplus cl reports unless /Zc:__cplusplus), C++11 and C++20; then what the
#     preprocessor leaves of our three headers there must hold none of the GCC spellings cl
#     rejects: __attribute__, __typeof__/typeof, __extension__, __asm__, __builtin_, __inline__,
#     statement expressions (clang accepts __attribute__ in that mode; cl does not), and include
#     no header that cl lacks.
#
#   headers.sh SRCDIR WORKDIR        exit status: the number of failed checks
set -u

src=$1
work=$2
host=x86_64-w64-mingw32
mkdir -p "$work"
cd "$work" || exit 1
fails=0
checks=0

ok () { checks=$((checks + 1)); echo "ok: $*"; }
fail () { checks=$((checks + 1)); fails=$((fails + 1)); echo "FAIL: $*"; }

# one translation unit that includes HEADER and uses nothing else
unit () { # HEADER LANG
  if [ "$2" = c ]; then
    printf '#include "%s"\nint main (void) { return 0; }\n' "$1" > "unit_$1.c"
    echo "unit_$1.c"
  else
    printf '#include "%s"\nint main () { return 0; }\n' "$1" > "unit_$1.cc"
    echo "unit_$1.cc"
  fi
}

for h in ev.h event.h; do
  for std in c99 c11; do
    if $host-gcc -std=$std -Wall -Wextra -Wpedantic -Werror -fsyntax-only -I"$src" "$(unit $h c)" 2> err; then
      ok "$h as C ($host-gcc -std=$std)"
    else fail "$h as C ($host-gcc -std=$std):"; head -5 err; fi
  done
done
for h in ev.h ev++.h event.h; do
  for std in c++11 c++20; do
    if $host-g++ -std=$std -Wall -Wextra -Wpedantic -Werror -fsyntax-only -I"$src" "$(unit $h cxx)" 2> err; then
      ok "$h as C++ ($host-g++ -std=$std)"
    else fail "$h as C++ ($host-g++ -std=$std):"; head -5 err; fi
  done
done

if ! command -v clang > /dev/null; then
  echo "skip: the MSVC view (no clang)"
  exit $fails
fi
inc=/usr/$host/include
cxxinc=$(ls -d /usr/lib/gcc/$host/*/include/c++ 2> /dev/null | head -1)
# (mingw-w64's <windows.h> does not compile in that mode, its _mingw.h defining __attribute__ away
# under clang's intrinsics: event.h's <winsock2.h> is a stand-in with cl's struct timeval)
sdk=$work/msvc-sdk
mkdir -p "$sdk"
printf 'struct timeval { long tv_sec; long tv_usec; };\n' > "$sdk/winsock2.h"
msvc="--target=x86_64-pc-windows-msvc -fms-compatibility -nostdinc -isystem $sdk -isystem $inc"
# (libstdc++'s configuration warns that clang's MSVC mode leaves __STRICT_ANSI__ unset: a
# mismatch of mingw's library with that mode, not of our headers)
msvcxx="$msvc -isystem $cxxinc -isystem $cxxinc/$host -Wno-#warnings"
# the headers of cl's C and C++ libraries and of the Windows SDK that ours may include
stubs=$work/msvc-headers
mkdir -p "$stubs/sys"
for f in stddef.h string.h stdio.h signal.h sys/stat.h sys/types.h winsock2.h type_traits exception; do
  : > "$stubs/$f"
done
gnu='__attribute__|__typeof__|\<typeof\>|__extension__|__asm__|\<asm\>|__builtin_|__inline__|\(\{'
# what the preprocessor leaves of OUR headers in a unit (line markers tell whose lines they are)
ours () {
  awk '/^# [0-9]+ "/ { f = $3; gsub(/"/, "", f); mine = (f ~ /\/(ev|ev\+\+|event)\.h$/); next } mine' "$1"
}
for h in ev.h event.h ev++.h; do
  case $h in ev++.h) langs='c++98 c++11 c++20' ;; *) langs='c99 c11 c++98 c++20' ;; esac
  for std in $langs; do
    case $std in
      c++*) cc="clang++ $msvcxx"; u=$(unit $h cxx) ;;
      *) cc="clang $msvc"; u=$(unit $h c) ;;
    esac
    # shellcheck disable=SC2086
    if ! $cc -std=$std -Wall -Wextra -Wpedantic -Wgnu -Werror -fsyntax-only -I"$src" "$u" 2> err; then
      fail "$h for MSVC (clang MSVC mode, -std=$std):"; head -5 err; continue
    fi
    # mingw-w64's headers define __attribute__ away for a compiler that is not GCC: the scan
    # preprocesses over empty stand-ins of the headers cl ships instead, so that what is left
    # is ours; a header cl does not ship (sys/time.h) is then an error
    # shellcheck disable=SC2086
    if ! ${cc%% *} --target=x86_64-pc-windows-msvc -std=$std -E -nostdinc -isystem "$stubs" -I"$src" "$u" > pre 2> err; then
      fail "$h for MSVC (-std=$std): includes a header that cl does not ship:"; grep -m 3 error err; continue
    fi
    if ours pre | grep -E -n "$gnu" > hits; then
      fail "$h for MSVC (-std=$std): GCC-only syntax left where __GNUC__ is not defined:"; head -5 hits
    else
      ok "$h for MSVC (clang MSVC mode, -std=$std; no GCC-only syntax, only cl's headers)"
    fi
  done
done
echo "headers: $((checks - fails)) of $checks checks passed"
exit $fails
