#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# examples/test-glib-loop.sh - make check: examples/glib-loop.c (libev
# waiting inside a GLib main loop).  GLib is no dependency of libev-ng, so
# make does not build this example: the test compiles it against the
# library just built, and is skipped (77) when pkg-config finds no glib-2.0.

. "$top_srcdir/examples/test-lib.sh"

if ! pkg-config --exists glib-2.0 2>/dev/null; then
  echo "SKIP: glib-2.0 not found by pkg-config (install libglib2.0-dev)"
  exit 77
fi
lib=$top_builddir/.libs/libev.so
[ -f "$lib" ] || die "$lib is not built"
prog=$tmp/glib-loop
# warning-free like the other examples (a deprecation in some future GLib
# is reported, but not fatal)
# shellcheck disable=SC2046  # pkg-config's output is meant to be split
# (in make check-sanitize the library is instrumented: the program needs the same
# -fsanitize flags, which t/sanitize.sh exports)
# shellcheck disable=SC2086  # the flags are meant to be split
${CC:-cc} -std=c11 -Wall -Wextra -Wshadow -Werror -Wno-error=deprecated-declarations ${LIBEV_NG_SANITIZE:-} \
  -I"$top_srcdir" -o "$prog" "$top_srcdir/examples/glib-loop.c" \
  $(pkg-config --cflags glib-2.0) "$lib" -Wl,-rpath,"$top_builddir/.libs" \
  $(pkg-config --libs glib-2.0) 2>"$tmp/cc.err" \
  || die "cannot compile glib-loop.c: $(cat "$tmp/cc.err")"
[ -s "$tmp/cc.err" ] && echo "compiler said: $(cat "$tmp/cc.err")"
pass "compiled with GLib $(pkg-config --modversion glib-2.0)"

# ---- usage errors
for args in "-n 0" "-n x" "-e 0" "-g abc" "extra" "-q"; do
  run usage "$prog" $args
  expect_status "$status" 64 "glib-loop $args"
  grep -q "^usage: " "$tmp/usage.err" || fail "glib-loop $args: no usage message"
done

# ---- 5 events of each kind.  libev's timer ticks every 0.05 s, GLib's
# timeout every 1 s: if libev's timers waited for a GLib event (which is what
# watching libev's backend descriptor from GLib would give), the first tick
# would be about 0.95 s late.
run main "$prog" -n 5 -e 0.05 -g 1
expect_status "$status" 0 "glib-loop -n 5"
expect_empty "$tmp/main.err" "stderr"
out=$tmp/main.out
for what in "libev timer" "libev io" "glib timeout" "glib fd"; do
  got=$(grep -c "^glib-loop: \\[ *[0-9.]*\\] $what [0-9]" "$out")
  if [ "$got" -eq 5 ]; then pass "$what: 5 callbacks"; else fail "$what: $got callbacks, expected 5"; fi
done
grep -E -q "^glib-loop: libev timer 5, libev io 5, glib timeout 5, glib fd 5 in [0-9.]+ s; libev timer at most [0-9.]+ ms late$" "$out" \
  && pass "summary" || fail "summary: $(tail -n 1 "$out")"
# on time: loosely (a loaded machine may stall us a little), but far below
# the ~950 ms of a timer that waits for GLib
late=$(sed -n 's/.*libev timer at most \([0-9.]*\) ms late$/\1/p' "$out")
awk -v l="$late" 'BEGIN { exit !(l < 400) }' && pass "libev timer at most $late ms late" \
  || fail "libev timer up to $late ms late: $(cat "$out")"
# libev's timer and GLib's descriptor source (served through libev's wait)
# are all done before GLib's first timeout, due at 1 s
first_timeout=$(grep -n "] glib timeout 1$" "$out" | cut -d: -f1)
last_early=$(grep -n -E "] (libev timer|glib fd) 5( |$)" "$out" | cut -d: -f1 | sort -n | tail -n 1)
if [ -n "$first_timeout" ] && [ -n "$last_early" ] && [ "$last_early" -lt "$first_timeout" ]; then
  pass "libev's timer and GLib's fd source ran without waiting for GLib's timeout"
else
  fail "events in the wrong order: $(cat "$out")"
fi

# ---- libev's signal watchers work too: SIGTERM quits the GLib loop
start sig "$prog" -n 1000
p=$pid
wait_for "$tmp/sig.out" "libev timer 3 "
kill -TERM "$p"
wait_exit "$p"
expect_status "$status" 1 "glib-loop after SIGTERM (not every event happened)"
grep -q "^glib-loop: caught signal 15, quitting$" "$tmp/sig.out" && pass "SIGTERM seen by libev" \
  || fail "no 'caught signal' line: $(cat "$tmp/sig.out")"

finish
