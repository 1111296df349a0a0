#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t/abi/no_cxx_runtime.sh - DESIGN.md promise 2: the C++ core needs no C++
# runtime.  No NEEDED libstdc++/libgcc_s (but libgcc_s on 32-bit ARM, for the unwind
# tables' personality routines alone, see below); no undefined C++ symbols (_Z*,
# __gxx_*, __cxa_* other than glibc's __cxa_finalize/__cxa_atexit, no
# GLIBCXX_/CXXABI_ versions); no global constructors (.init_array) in the
# core objects.
# A sanitizer build links its runtime into everything: nothing to learn here.
[ -n "${LIBEV_NG_SANITIZE:-}" ] && { echo "SKIP: sanitizer build"; exit 77; }
lib=${top_builddir:-.}/.libs/libev.so.4
[ -e "$lib" ] || { echo "no $lib"; exit 99; }
status=0
needed=$(readelf -d "$lib" | grep NEEDED)
echo "$needed"
# 32-bit ARM (EHABI) is the exception: there the unwind tables that let a C++ exception cross
# the library's frames name the personality routines __aeabi_unwind_cpp_pr0/1/2, which only
# libgcc_s (GCC's unwinder, not the C++ runtime) defines
gcc_s=libgcc_s
if readelf -h "$lib" | grep -q 'Machine: *ARM$'; then
  other=$(nm -D --undefined-only "$lib" | awk '{print $NF}' | sed 's/@.*//' | grep -E '^_Unwind_|^__aeabi_unwind|^__gcc_' \
    | grep -v -E '^__aeabi_unwind_cpp_pr[012]$')
  if [ -z "$other" ]; then gcc_s='libgcc_s.*NOT-ALLOWED'; echo "(ARM EHABI: libgcc_s for __aeabi_unwind_cpp_pr* only)"; fi
fi
if echo "$needed" | grep -E "libstdc\+\+|$gcc_s" >/dev/null; then echo "FAIL: C++ runtime in NEEDED"; status=1; fi
bad=$(nm -D --undefined-only "$lib" | awk '{print $NF}' | grep -E '^_Z|^__gxx_|GLIBCXX|CXXABI|^__cxa_' | grep -v -E '^__cxa_(finalize|atexit)')
if [ -n "$bad" ]; then echo "FAIL: undefined C++ runtime symbols:"; echo "$bad"; status=1; fi
# (the objects are in the folders of their sources: automake's subdir-objects)
objects=0
for o in "${top_builddir:-.}"/*/.libs/libev_la-*.o; do
  [ -e "$o" ] || continue
  objects=$((objects + 1))
  if readelf -S -W "$o" | grep -q '\.init_array'; then echo "FAIL: global constructor in $o"; status=1; fi
done
[ "$objects" -gt 0 ] || { echo "FAIL: no object of the library (*/.libs/libev_la-*.o) to look at"; status=1; }
[ $status = 0 ] && echo "ok: no C++ runtime dependency, no global constructors"
exit $status
