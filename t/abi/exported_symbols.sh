#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t/abi/exported_symbols.sh - libev.so.4 exports exactly libev 4.33's 97
# symbols (72 functions, ev_default_loop_ptr as a pointer-sized object reached
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
# the architecture's pointer size, and the relocation of a GOT entry that names a symbol
ptr=8
readelf -h "$lib" | grep -q 'Class: *ELF32' && ptr=4
case $(readelf -h "$lib" | sed -n 's/^ *Machine: *//p') in
  *X86-64*) got=R_X86_64_GLOB_DAT ;;
  *80386*) got=R_386_GLOB_DAT ;;
  AArch64) got=R_AARCH64_GLOB_DAT ;;
  ARM) got=R_ARM_GLOB_DAT ;;
  *S/390*) got=R_390_GLOB_DAT ;;
  *PowerPC64*) got=R_PPC64_ADDR64 ;;
  *RISC-V*) got=R_RISCV_64 ;;
  *) got= ;; # MIPS: global GOT entries carry no relocation to look at
esac
readelf -W --dyn-syms "$lib" | awk -v ptr=$ptr '$8 == "ev_default_loop_ptr" && $4 == "OBJECT" && $3 == ptr && $6 == "DEFAULT" {ok=1} END {exit !ok}' \
  || { echo "FAIL: ev_default_loop_ptr is not a default-visible $ptr-byte object"; status=1; }
if [ -n "$got" ]; then
  readelf -W -r "$lib" | grep ev_default_loop_ptr | grep -q "$got" \
    || { echo "FAIL: ev_default_loop_ptr not reached through the GOT ($got; copy relocations would break)"; status=1; }
fi
[ $status = 0 ] && echo "ok: $(wc -l < "$tmp.actual") symbols as expected"
rm -f "$tmp".*
exit $status
