#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# examples/test-supervisor.sh - make check: examples/supervisor (timers,
# signals and child watchers).  The order of lines between commands depends
# on scheduling, so each command's lines are checked as a sequence of their
# own (pids replaced by "P"), and the whole output line by line.

. "$top_srcdir/examples/test-lib.sh"
prog=$ex/supervisor
[ -x "$prog" ] || die "$prog is not built"

# If the test dies half-way, the commands of a killed supervisor would live
# on: kill the process groups they recorded (echo $$ > pgN).
cleanup_more () {
  for f in "$tmp"/pg*; do
    [ -f "$f" ] && kill -KILL -- "-$(cat "$f")" 2>/dev/null
  done
}

# lines_of ID FILE: the lines about command ID, pids replaced by P
lines_of () {
  grep -E "^(supervisor: )?\\[$1\\] " "$2" | sed 's/(pid [0-9][0-9]*)/(pid P)/'
}

# expect_lines ID FILE EXPECTED WHAT
expect_lines () {
  lines_of "$1" "$2" >"$tmp/lines"
  expect_file "$tmp/lines" "$3" "$4"
}

# group_gone PGID-FILE WHAT: no process is left in the process group that a
# command recorded (echo $$ > file: the shell leads its own group)
group_gone () {
  pg=$(cat "$1" 2>/dev/null)
  [ -n "$pg" ] || { fail "$2: the command did not record its pid"; return; }
  _n=0
  while kill -0 -- "-$pg" 2>/dev/null; do
    _n=$((_n + 1))
    if [ "$_n" -gt 40 ]; then
      kill -KILL -- "-$pg" 2>/dev/null
      fail "$2: processes left in group $pg"
      rm -f "$1"
      return
    fi
    sleep 0.05
  done
  rm -f "$1"                   # gone: cleanup_more must not signal a reused id
  pass "$2: nothing left in its process group"
}

# ---- usage errors
for args in "" "-r x true" "-t -1 true" "-s abc true" "-q true"; do
  run usage "$prog" $args
  expect_status "$status" 64 "supervisor $args"
  grep -q "^usage: " "$tmp/usage.err" || fail "supervisor $args: no usage message"
done
# the usage line says that each argument is a whole shell command line, not argv
grep -q "^usage: .* 'SHELL COMMAND'\.\.\.$" "$tmp/usage.err" &&
  grep -q "each argument is one command line, run with /bin/sh -c" "$tmp/usage.err" ||
  fail "the usage message does not say what an argument is"

# ---- success, failure with bounded restarts (one-shot timers, doubling),
# success after a restart, the repeating status timer
run a "$prog" -r 2 -s 0.25 \
  'echo hello; exit 0' \
  'echo try; exit 3' \
  'sleep 1; echo late' \
  "test -e '$tmp/flag' || { touch '$tmp/flag'; echo first; exit 1; }; echo second"
expect_status "$status" 1 "supervisor with a command that keeps failing"
expect_empty "$tmp/a.err" "stderr"
out=$tmp/a.out
expect_lines 1 "$out" "supervisor: [1] started (pid P)
[1] hello
supervisor: [1] exited with status 0" "command 1: success"
expect_lines 2 "$out" "supervisor: [2] started (pid P)
[2] try
supervisor: [2] exited with status 3
supervisor: [2] restarting in 0.1 s (restart 1 of 2)
supervisor: [2] started (pid P)
[2] try
supervisor: [2] exited with status 3
supervisor: [2] restarting in 0.2 s (restart 2 of 2)
supervisor: [2] started (pid P)
[2] try
supervisor: [2] exited with status 3
supervisor: [2] failed, giving up after 2 restarts" "command 2: two restarts, then giving up"
expect_lines 3 "$out" "supervisor: [3] started (pid P)
[3] late
supervisor: [3] exited with status 0" "command 3: a slow success"
expect_lines 4 "$out" "supervisor: [4] started (pid P)
[4] first
supervisor: [4] exited with status 1
supervisor: [4] restarting in 0.1 s (restart 1 of 2)
supervisor: [4] started (pid P)
[4] second
supervisor: [4] exited with status 0" "command 4: success after one restart"
status_lines=$(grep -c -E '^supervisor: status: [0-9]+ running, [0-9]+ waiting to restart, [0-9]+ done$' "$out")
# about 4 in 1 s; fewer only if the machine stalls for long
if [ "$status_lines" -ge 2 ]; then pass "$status_lines status lines"; else fail "$status_lines status lines"; fi
tail -n 1 "$out" >"$tmp/last"
expect_file "$tmp/last" "supervisor: done: 3 succeeded, 1 failed" "summary"
# nothing else: 3 + 12 + 3 + 7 command lines, the status lines, the summary
total=$((25 + status_lines + 1))
[ "$(wc -l <"$out")" -eq "$total" ] || fail "expected $total lines, got: $(cat "$out")"

# ---- the silence watchdog: output every 0.3 s pushes it back (ev_timer_again:
# without that it would fire at 1.2 s, before "g"), then SIGTERM 1.2 s after the
# last line; a command that ignores SIGTERM gets SIGKILL 1.2 s later
run b "$prog" -r 0 -t 1.2 \
  "echo \$\$ >'$tmp/pg1'; for x in a b c d e f g; do echo \$x; sleep 0.3; done; sleep 30" \
  "echo \$\$ >'$tmp/pg2'; trap '' TERM; echo deaf; sleep 30"
expect_status "$status" 1 "supervisor with silent commands"
expect_empty "$tmp/b.err" "stderr"
expect_lines 1 "$tmp/b.out" "supervisor: [1] started (pid P)
[1] a
[1] b
[1] c
[1] d
[1] e
[1] f
[1] g
supervisor: [1] silent for 1.2 s, stopping it
supervisor: [1] killed by signal 15
supervisor: [1] failed, giving up after 0 restarts" "command 1: watchdog reset by output, then SIGTERM"
expect_lines 2 "$tmp/b.out" "supervisor: [2] started (pid P)
[2] deaf
supervisor: [2] silent for 1.2 s, stopping it
supervisor: [2] still running, killing it
supervisor: [2] killed by signal 9
supervisor: [2] failed, giving up after 0 restarts" "command 2: SIGTERM ignored, then SIGKILL"
tail -n 1 "$tmp/b.out" >"$tmp/last"
expect_file "$tmp/last" "supervisor: done: 0 succeeded, 2 failed" "summary"
group_gone "$tmp/pg1" "command 1"
group_gone "$tmp/pg2" "command 2"

# ---- SIGTERM: SIGTERM to every command, SIGKILL after the grace period to
# the one that ignores it, and no more restarts of the failing one
start c "$prog" -r 5 -g 0.5 \
  "echo \$\$ >'$tmp/pg3'; echo up; sleep 30" \
  "echo \$\$ >'$tmp/pg4'; trap '' TERM; echo stubborn; sleep 30" \
  'exit 1'
sup=$pid
wait_for "$tmp/c.out" '^\[1\] up$'
wait_for "$tmp/c.out" '^\[2\] stubborn$'
wait_for "$tmp/c.out" 'restarting in 0.2 s \(restart 2 of 5\)$'
t0=$(date +%s%N)
kill -TERM "$sup"
wait_exit "$sup"
t1=$(date +%s%N)
expect_status "$status" 2 "supervisor stopped by SIGTERM"
expect_empty "$tmp/c.err" "stderr"
grep -E -q '^supervisor: caught signal 15, stopping [23] commands$' "$tmp/c.out" \
  || fail "no 'caught signal 15' line: $(cat "$tmp/c.out")"
sed -n '/caught signal/,$p' "$tmp/c.out" | grep -v '^supervisor: \[3\] ' >"$tmp/after"
expect_file "$tmp/after" "$(grep 'caught signal' "$tmp/c.out")
supervisor: [1] killed by signal 15
supervisor: grace period over, killing 1 remaining
supervisor: [2] killed by signal 9
supervisor: done: 0 succeeded, 3 failed" "shutdown sequence"
if sed -n '/caught signal/,$p' "$tmp/c.out" | grep -q '^supervisor: \[3\] started'; then
  fail "command 3 restarted after the signal"
else
  pass "no restart after the signal"
fi
elapsed_ms=$(( (t1 - t0) / 1000000 ))
if [ "$elapsed_ms" -ge 450 ]; then pass "grace period respected (${elapsed_ms} ms)"; else fail "stopped after ${elapsed_ms} ms, grace is 500 ms"; fi
group_gone "$tmp/pg3" "command 1"
group_gone "$tmp/pg4" "command 2"

# ---- a second SIGINT kills at once, without waiting for the grace period
start d "$prog" -g 30 "echo \$\$ >'$tmp/pg5'; trap '' TERM; echo stubborn; sleep 30"
sup=$pid
wait_for "$tmp/d.out" '^\[1\] stubborn$'
kill -INT "$sup"
wait_for "$tmp/d.out" 'caught signal 2, stopping 1 commands$'
kill -INT "$sup"
wait_exit "$sup" 10
expect_status "$status" 2 "supervisor stopped by two SIGINTs"
sed 's/(pid [0-9][0-9]*)/(pid P)/' "$tmp/d.out" >"$tmp/d.norm"
expect_file "$tmp/d.norm" "supervisor: [1] started (pid P)
[1] stubborn
supervisor: caught signal 2, stopping 1 commands
supervisor: caught signal 2 again, killing 1 remaining
supervisor: [1] killed by signal 9
supervisor: done: 0 succeeded, 1 failed" "second signal output"
group_gone "$tmp/pg5" "command 1"

finish
