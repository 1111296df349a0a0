#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# examples/test-debug-misuse.sh - make check: examples/debug-misuse.  Debug mode
# (-d, or LIBEV_NG_DEBUG=1 for the unchanged program) stops the ev_timer_set on an
# active timer with a message naming it and the fix; without debug mode the
# mistake shows as libev 4.33 shows it (the busy session closed as idle); the
# fixed program gets every message with and without debug mode.
. "$top_srcdir/examples/test-lib.sh"
skip_in_a_build_for_size "debug mode"
prog=$ex/debug-misuse
[ -x "$prog" ] || die "$prog is not built"

run usage "$prog" -x
expect_status "$status" 64 "debug-misuse -x"

# the mistake, unnoticed: the loop kept the old deadline
run plain "$prog"
expect_status "$status" 1 "the mistake without debug mode"
# (the old deadline is 0.5 s after the start: about 4 of the messages, 1 every 0.1 s, came)
if grep -q -x 'debug-misuse: session closed as idle after [0-9] of 10 messages' "$tmp/plain.out"; then
  pass "without debug mode the busy session is closed as idle (as with libev 4.33): $(cat "$tmp/plain.out")"
else
  fail "without debug mode: unexpected output: $(cat "$tmp/plain.out")"
fi

# found by debug mode, from the flag and from the environment
check_report () {   # NAME WHAT
  # 134: the shell's status of a process killed by SIGABRT (128 + 6)
  expect_status "$status" 134 "$2: the program is stopped (abort)"
  if grep -q '^libev-ng: usage error in [a-z_]* (at = 0.5): "debug mode: ev_timer watcher 0x[0-9a-f]* was changed while active: its at field is 0.500000, the loop has it due at [0-9.]* (ev_timer_set on an active timer); stop it (ev_timer_stop) before ev_timer_set, or set only its repeat value and call ev_timer_again"$' "$tmp/$1.err"; then
    pass "$2: the report names the watcher, the change and the fix"
  else
    fail "$2: unexpected report: $(cat "$tmp/$1.err")"
  fi
  expect_empty "$tmp/$1.out" "$2: stopped before the session was closed"
}
run flag "$prog" -d
check_report flag "EVFLAG_NG_DEBUG"
run env env LIBEV_NG_DEBUG=1 "$prog"
check_report env "LIBEV_NG_DEBUG=1"

# the fix: ev_timer_again with the timeout in repeat
for mode in "" "-d"; do
  run fixed "$prog" $mode --fixed
  expect_status "$status" 0 "debug-misuse $mode --fixed"
  expect_file "$tmp/fixed.out" "debug-misuse: session closed by the peer after 10 of 10 messages" \
    "the fixed program gets every message ${mode:+in debug mode}"
  expect_empty "$tmp/fixed.err" "debug-misuse $mode --fixed: nothing on stderr"
done

finish
