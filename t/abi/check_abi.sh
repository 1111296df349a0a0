#!/bin/sh
# t/abi/check_abi.sh - the project's ABI contract (../shared/compat/check-abi:
# every header fact and the exported symbols of libev 4.33).  Skipped when
# the contract is not next to the checkout.
srcdir=${top_srcdir:-.}; builddir=${top_builddir:-.}
checker=${EV_CHECK_ABI:-$srcdir/../shared/compat/check-abi}
[ -x "$checker" ] || { echo "SKIP: $checker not found"; exit 77; }
opts=""
[ -f "$srcdir/ev++.h" ] || opts="$opts --no-evpp"
nm -D --defined-only "$builddir/.libs/libev.so.4" | grep -q ' T event_init$' || opts="$opts --no-event --allow-extra-symbols"
"$checker" --include "$srcdir" --lib "$builddir/.libs/libev.so.4" $opts --brief
