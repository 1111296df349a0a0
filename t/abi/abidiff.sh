#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t/abi/abidiff.sh - libabigail's abidiff finds no removed and no changed function or
# variable symbol between Debian's libev.so.4 (package libev4, the real libev 4.33) and ours,
# and as added symbols exactly libev-ng's extensions (t/abi/extension-symbols.txt, each with
# its LIBEV_NG_* symbol version).  With the libevent emulation disabled (our library has no
# event_init) the 24 event_* functions (t/abi/event-symbols.txt) are the expected removals.
# Why: a program linked against Debian's libev must find every symbol it binds to in ours,
# unversioned as in libev; abidiff is a maintained, independent reading of the ELF files.
#
# Debian's library is stripped and carries no DWARF, so abidiff can only compare the ELF
# symbol tables (names, versions, function or object); our library is compared with its
# debug info removed too (objcopy --strip-debug on a copy), so that the report has the same
# symbol-only form whether or not the build used -g.  Types are the business of
# header_facts.sh.  No default suppression file is loaded: nothing may be hidden.
#
# abidiff's exit status is a bit set (abidiff(1), RETURN VALUES): 1 error, 2 usage error,
# 4 ABI change, 8 incompatible change.  1 or 2 fails the test; 4 and 8 are judged from the
# report (the added extension symbols alone give 4), which is printed on failure.
# Environment, for testing the test: EV_ABI_LIB (our library, default
# $top_builddir/.libs/libev.so.4), EV_ABI_REF (the reference, default Debian's).
srcdir=${top_srcdir:-.}; builddir=${top_builddir:-.}
lib=${EV_ABI_LIB:-$builddir/.libs/libev.so.4}
[ -e "$lib" ] || { echo "no $lib"; exit 99; }
ref=${EV_ABI_REF:-}
if [ -z "$ref" ]; then
  # the library of the build's architecture (package libev4:ARCH, Debian's multiarch
  # directory; several architectures' can be installed side by side)
  multiarch=$(${CC:-cc} -print-multiarch 2> /dev/null)
  ref=/usr/lib/${multiarch:-x86_64-linux-gnu}/libev.so.4
fi
[ -e "$ref" ] || { echo "SKIP: no Debian libev.so.4 ($ref; package libev4)"; exit 77; }
command -v abidiff > /dev/null 2>&1 || { echo "SKIP: abidiff not installed (package abigail-tools)"; exit 77; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ev-abidiff.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT PIPE TERM  # so that the EXIT trap cleans up after a signal too

ours=$tmp/libev.so.4
# the objcopy of the compiler's target (a cross build's: the build machine's one knows only
# its own architectures)
objcopy=$(${CC:-cc} -print-prog-name=objcopy 2> /dev/null)
command -v "$objcopy" > /dev/null 2>&1 || objcopy=objcopy
if command -v "$objcopy" > /dev/null 2>&1; then
  "$objcopy" --strip-debug "$lib" "$ours" || { echo "FAIL: $objcopy --strip-debug $lib"; exit 1; }
else
  cp "$lib" "$ours"
fi

echo "# abidiff $(abidiff --version 2>&1 | sed 's/^abidiff: //'): $ref vs $lib"
abidiff --no-default-suppression "$ref" "$ours" > "$tmp/report" 2>&1
rc=$?
status=0
fail () { echo "FAIL: $*"; status=1; }

if [ $((rc & 3)) != 0 ]; then
  fail "abidiff exit status $rc (error bit set)"
else
  # Every line of the report must be a summary, a section heading or a "[A]"/"[D]" item;
  # anything else (a "[C]" changed symbol, a changed SONAME or architecture, ...) is a
  # difference this test does not know to be harmless.
  grep -v -E -e '^$' \
    -e '^(Functions|Variables) changes summary: [0-9]+ Removed, [0-9]+ Changed' \
    -e '^(Function|Variable) symbols changes summary: ' \
    -e '^[0-9]+ (Removed|Added) .*:$' \
    -e '^  \[[AD]\] ' "$tmp/report" > "$tmp/other"
  [ -s "$tmp/other" ] && fail "differences other than added or removed symbols:" && sed 's/^/    /' "$tmp/other"
  grep -E '^(Functions|Variables) changes summary: ' "$tmp/report" | grep -v ' 0 Changed,' > "$tmp/changed"
  [ -s "$tmp/changed" ] && fail "changed symbols: $(cat "$tmp/changed")"

  # the symbol of an item: "{sym@@VER}" in the DWARF form of a line, else the first word
  items () { # A or D
    sed -n "s/^  \[$1\] //p" "$tmp/report" \
      | sed -e 's/.*{\([^}]*\)}.*/\1/' -e 's/ .*//' | sort
  }
  # added: the extensions (as "symbol@@NODE"); a NODE@@NODE version-definition symbol of
  # one of their nodes is tolerated (abidiff 2.2 does not list it)
  # (and __odr_asan.* of an AddressSanitizer build, t/sanitize.sh, and the _init and _fini
  # that musl's crti.o exports where glibc's hides them, t/port/musl.sh: not part of the ABI)
  items A | grep -v -E '^(LIBEV_NG_[0-9.]+)@@\1$' | grep -v -e '^__odr_asan\.' -e '^_init$' -e '^_fini$' > "$tmp/added"
  grep -v '^#' "$srcdir/t/abi/extension-symbols.txt" | awk 'NF == 2 {print $1 "@@" $2}' | sort > "$tmp/added.expected"
  # removed: nothing, or the event_* functions if the emulation is disabled
  items D > "$tmp/removed"
  if nm -D --defined-only "$lib" | grep -q ' T event_init$'; then
    : > "$tmp/removed.expected"
  else
    echo "# the libevent emulation is disabled: the event_* functions are expected to be absent"
    grep -v '^#' "$srcdir/t/abi/event-symbols.txt" | sort > "$tmp/removed.expected"
  fi
  diff -u "$tmp/removed.expected" "$tmp/removed" > "$tmp/diff" \
    || { fail "removed symbols are not the expected ones (- expected, + removed):"; sed 's/^/    /' "$tmp/diff"; }
  diff -u "$tmp/added.expected" "$tmp/added" > "$tmp/diff" \
    || { fail "added symbols are not exactly the extensions (- expected, + added):"; sed 's/^/    /' "$tmp/diff"; }
fi

if [ $status = 0 ]; then
  echo "ok: abidiff exit status $rc; no removed or changed symbol, added: $(tr '\n' ' ' < "$tmp/added")"
  [ -s "$tmp/removed" ] && echo "ok: removed as expected: $(wc -l < "$tmp/removed") event_* functions"
else
  echo "abidiff's report (exit status $rc):"; sed 's/^/  | /' "$tmp/report"
fi
exit $status
