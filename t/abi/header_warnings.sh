#!/bin/sh
# t/abi/header_warnings.sh - ev.h compiles warning-free in every C and C++
# dialect with -Wall -Wextra -Wstrict-aliasing=2 -Werror, used through the
# whole API (t/abi/use_all.c).  libev 4.33's own header fails this with
# type-punning warnings; ours must not.
srcdir=${top_srcdir:-.}
CC=${CC:-cc}; CXX=${CXX:-c++}
flags="-O2 -Wall -Wextra -Wstrict-aliasing=2 -Werror -fsyntax-only -I$srcdir"
status=0
for std in gnu89 gnu99 c99 c11 gnu11 c17 c2x; do
  if $CC -std=$std $flags -x c "$srcdir/t/abi/use_all.c"; then echo "ok   C $std"; else echo "FAIL C $std"; status=1; fi
done
for std in c++98 gnu++98 c++11 c++14 c++17 c++20; do
  if $CXX -std=$std $flags -x c++ "$srcdir/t/abi/use_all.c"; then echo "ok   C++ $std"; else echo "FAIL C++ $std"; status=1; fi
done
exit $status
