#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t/abi/check_abi.sh - the project's ABI contract (../shared/compat/check-abi:
# every header fact and the exported symbols of libev 4.33).  Skipped when
# the contract is not next to the checkout (a release tarball): the in-tree
# checks abidiff.sh, symbols_file.sh and header_facts.sh hold the same line.
#
# One known difference is expected and nothing else: libev 4.33 has no symbol
# versions, while libev-ng's extension symbols (t/abi/extension-symbols.txt)
# each sit in a LIBEV_NG_* version node (libev.map), so the library has a
# version definition section.  Its libev symbols stay unversioned; that and
# the exact symbol list are checked by exported_symbols.sh.
srcdir=${top_srcdir:-.}; builddir=${top_builddir:-.}
checker=${EV_CHECK_ABI:-$srcdir/../shared/compat/check-abi}
[ -x "$checker" ] || { echo "SKIP: $checker not found"; exit 77; }
opts="--allow-extra-symbols"
[ -f "$srcdir/ev++.h" ] || opts="$opts --no-evpp"
nm -D --defined-only "$builddir/.libs/libev.so.4" | grep -q ' T event_init$' || opts="$opts --no-event"
out=$("$checker" --include "$srcdir" --lib "$builddir/.libs/libev.so.4" $opts --brief 2>&1)
printf '%s\n' "$out"
extensions=$(grep -cv '^#' "$srcdir/t/abi/extension-symbols.txt")
# the failures the version nodes explain, and the warnings for their symbols
unexplained=$(printf '%s\n' "$out" | grep '^FAIL' \
  | grep -v "^FAIL \[lib\] expected 'versioned no', got 'versioned yes'$" \
  | grep -v "^FAIL \[lib\] unexpected library fact: 'versioned-symbols $extensions (for example [a-z_]*@@LIBEV_NG_[0-9.]*)'$")
extra=$(printf '%s\n' "$out" | grep '^WARN \[lib\] extra exported symbol' \
  | grep -v "'symbol LIBEV_NG_[0-9.]* OBJECT 0 GLOBAL DEFAULT'" \
  | sed -n "s/.*'symbol \([^ ]*\) .*/\1/p" | sort)
declared=$(grep -v '^#' "$srcdir/t/abi/extension-symbols.txt" | awk '{print $1}' | sort)
status=0
if [ -n "$unexplained" ]; then
  echo "FAIL: differences from libev 4.33 that no extension explains:"; printf '%s\n' "$unexplained"; status=1
fi
if [ "$extra" != "$declared" ]; then
  echo "FAIL: extra symbols '$extra' are not the declared extensions '$declared'"; status=1
fi
printf '%s\n' "$out" | grep -q '^[0-9]* passed' || { echo "FAIL: check-abi did not finish"; status=1; }
[ $status = 0 ] && echo "ok: identical to libev 4.33 but for the $extensions extension symbol(s) and their version node(s)"
exit $status
