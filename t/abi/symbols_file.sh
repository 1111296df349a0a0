#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t/abi/symbols_file.sh - our libev.so.4 against Debian's symbols file of libev4 (the list
# of symbols and versions Debian promises to packages that depend on libev4), checked by
# Debian's own tool, dpkg-gensymbols (dpkg-dev).  The package is libev4t64 from Debian 13
# on (t/dropin/libev-runtime.sh), with the same symbols at the same versions.
#   - no symbol of the file may be missing from ours (check level -c1: a missing symbol
#     makes dpkg-gensymbols fail), unversioned ("@Base") as in the file;
#   - the new symbols (the diff's "+" lines) must be exactly libev-ng's extensions
#     (t/abi/extension-symbols.txt) as "symbol@NODE", plus the "NODE@NODE" symbol that
#     defines each of their version nodes.
# Why: Debian computes the dependencies of every package linked with libev from this
# file; a library that satisfies it is a drop-in libev4 for all of them.
# With the libevent emulation disabled (no event_init in our library) the event_*
# symbols (t/abi/event-symbols.txt) are dropped from the reference first: their absence
# is the documented effect of that configure option.
# Environment, for testing the test: EV_ABI_LIB (our library, default
# $top_builddir/.libs/libev.so.4), EV_ABI_SYMBOLS (the reference symbols file).
srcdir=${top_srcdir:-.}; builddir=${top_builddir:-.}
lib=${EV_ABI_LIB:-$builddir/.libs/libev.so.4}
[ -e "$lib" ] || { echo "no $lib"; exit 99; }
ref=${EV_ABI_SYMBOLS:-}
# shellcheck source=t/dropin/libev-runtime.sh
. "$srcdir/t/dropin/libev-runtime.sh"
pkg=$(libev_runtime)
if [ -z "$ref" ]; then
  # dpkg's info directory has it as libev4:ARCH.symbols (multi-arch) or libev4.symbols
  ref=$(dpkg-query --control-path "$pkg:$(dpkg --print-architecture)" symbols 2> /dev/null | head -1)
  if [ -z "$ref" ]; then
    for ref in /var/lib/dpkg/info/$pkg:*.symbols /var/lib/dpkg/info/$pkg.symbols; do
      [ -f "$ref" ] && break
    done
  fi
fi
if [ ! -f "$ref" ]; then
  echo "SKIP: no symbols file of Debian's $pkg (${ref:-none found}; package $pkg)"; exit 77
fi
# libev-ng's own packages (debian/) install a libev4 whose symbols file lists the extensions
case $(dpkg-query -W -f='${Version}' "$pkg:$(dpkg --print-architecture)" 2> /dev/null) in
  *+ng*) [ -n "${EV_ABI_SYMBOLS:-}" ] || { echo "SKIP: the installed $pkg is libev-ng's package: no Debian reference"; exit 77; } ;;
esac
command -v dpkg-gensymbols > /dev/null 2>&1 || { echo "SKIP: dpkg-gensymbols not installed (package dpkg-dev)"; exit 77; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ev-symbols.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT PIPE TERM  # so that the EXIT trap cleans up after a signal too
status=0
fail () { echo "FAIL: $*"; status=1; }

cp "$ref" "$tmp/reference.symbols"
if ! nm -D --defined-only "$lib" | grep -q ' T event_init$'; then
  echo "# the libevent emulation is disabled: event_* dropped from the reference"
  grep -v -E "^ ($(grep -v '^#' "$srcdir/t/abi/event-symbols.txt" | paste -sd '|' -))@" "$ref" > "$tmp/reference.symbols"
fi

# The version given with -v only labels the new symbols' lines; the library is read from
# -e alone.  It runs in the temporary directory, with the smallest debian/control (dpkg 1.22,
# Debian 13, reads it; 1.21 does not).
mkdir "$tmp/debian"
printf 'Source: libev\n\nPackage: %s\nArchitecture: any\n' "$pkg" > "$tmp/debian/control"
version=$(dpkg-query -W -f='${Version}' "$pkg:$(dpkg --print-architecture)" 2> /dev/null)
# (the variable would override -c1: dpkg-gensymbols(1))
unset DPKG_GENSYMBOLS_CHECK_LEVEL
echo "# dpkg-gensymbols: $ref ($pkg ${version:-?}) vs $lib"
(cd "$tmp" && dpkg-gensymbols -p"$pkg" -v"${version:-1:4.33}" -e"$lib" \
   -I"$tmp/reference.symbols" -O"$tmp/generated.symbols" -c1) > "$tmp/out" 2>&1
rc=$?
[ $rc = 0 ] || fail "dpkg-gensymbols -c1 exit status $rc: symbols of libev4 missing, or an error"

# the diff it prints: "+" lines are new (or "#MISSING" markers), "-" lines lost
grep '^-[^-]' "$tmp/out" > "$tmp/lost"
[ -s "$tmp/lost" ] && fail "symbols of libev4 lost or changed: $(tr '\n' ' ' < "$tmp/lost")"
# (__odr_asan.* symbols of an AddressSanitizer build, t/sanitize.sh, are not part of the ABI)
grep '^+[^+]' "$tmp/out" | sed 's/^+//' | awk '{print $1}' | grep -v '^__odr_asan\.' | sort > "$tmp/added"
grep -v '^#' "$srcdir/t/abi/extension-symbols.txt" \
  | awk 'NF == 2 {print $1 "@" $2; print $2 "@" $2}' | sort -u > "$tmp/added.expected"
diff -u "$tmp/added.expected" "$tmp/added" > "$tmp/diff" \
  || { fail "new symbols are not exactly the extensions and their version nodes (- expected, + new):"; sed 's/^/    /' "$tmp/diff"; }
[ -s "$tmp/generated.symbols" ] || fail "dpkg-gensymbols wrote no symbols file"

if [ $status = 0 ]; then
  echo "ok: all $(grep -c '^ ' "$tmp/reference.symbols") symbols of $pkg present; new: $(tr '\n' ' ' < "$tmp/added")"
else
  echo "dpkg-gensymbols' output:"; sed 's/^/  | /' "$tmp/out"
fi
exit $status
