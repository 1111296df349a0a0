#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t/abi/exported_symbols.sh - libev.so.4 exports exactly libev 4.33's 97
# symbols (72 functions, ev_default_loop_ptr as an 8-byte object reached
# through the GOT, 24 event_* functions unless the emulation is disabled),
# unversioned, plus libev-ng's extensions (t/abi/extension-symbols.txt:
# "symbol VERSION-NODE"), each in its own LIBEV_NG_* version node
# (libev.map), with SONAME libev.so.4.  Nothing internal leaks.
srcdir=${top_srcdir:-.}
lib=${top_builddir:-.}/.libs/libev.so.4
[ -e "$lib" ] || { echo "no $lib"; exit 99; }
status=0
tmp=${TMPDIR:-/tmp}/ev-exports.$$
expected=$tmp.expected
# "symbol" for libev's (unversioned), "symbol@@NODE" for the extensions
cat "$srcdir/t/abi/exported-symbols.txt" > "$expected"
if nm -D --defined-only "$lib" | grep -q ' T event_init$'; then
  cat "$srcdir/t/abi/event-symbols.txt" >> "$expected"
fi
grep -v '^#' "$srcdir/t/abi/extension-symbols.txt" | awk 'NF == 2 {print $1 "@@" $2}' >> "$expected"
sort -o "$expected" "$expected"
nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' | grep -v '^_' | grep -v '^LIBEV_NG_' | sort > "$tmp.actual"
if ! diff -u "$expected" "$tmp.actual"; then echo "FAIL: exported symbols or their versions differ (- missing, + extra)"; status=1; fi
readelf -d "$lib" | grep -q 'SONAME.*\[libev\.so\.4\]' || { echo "FAIL: SONAME is not libev.so.4"; status=1; }
readelf -W --dyn-syms "$lib" | awk '$8 == "ev_default_loop_ptr" && $4 == "OBJECT" && $3 == 8 && $6 == "DEFAULT" {ok=1} END {exit !ok}' \
  || { echo "FAIL: ev_default_loop_ptr is not a default-visible 8-byte object"; status=1; }
readelf -W -r "$lib" | grep ev_default_loop_ptr | grep -q R_X86_64_GLOB_DAT \
  || { echo "FAIL: ev_default_loop_ptr not reached through the GOT (copy relocations would break)"; status=1; }
[ $status = 0 ] && echo "ok: $(wc -l < "$tmp.actual") symbols as expected"
rm -f "$tmp".*
exit $status
