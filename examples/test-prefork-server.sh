#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# examples/test-prefork-server.sh - make check: examples/prefork-server,
# driven over loopback by examples/prefork-client-check.  Worker pids come
# from the server's "worker N started (pid P)" lines and are checked
# against /proc (their parent must be the server).

. "$top_srcdir/examples/test-lib.sh"
prog=$ex/prefork-server
client=$ex/prefork-client-check
[ -x "$prog" ] && [ -x "$client" ] || die "$prog or $client is not built"

# The workers are not our children: if the test dies half-way, kill those
# still there, by pid, after checking that the pid is still a worker.
cleanup_more () {
  for w in $(cat "$tmp/workers" 2>/dev/null); do
    grep -q prefork-server "/proc/$w/cmdline" 2>/dev/null && kill -KILL "$w"
  done
}

# worker_pid N: the pid of the current process of worker N
worker_pid () {
  sed -n "s/^prefork-server: worker $1 started (pid \\([0-9]*\\))\$/\\1/p" "$tmp/server.out" | tail -n 1
}

# child_of PID PARENT: PID is alive and a child of PARENT
child_of () {
  running "$1" && [ "$(awk '/^PPid:/ { print $2 }' "/proc/$1/status" 2>/dev/null)" = "$2" ]
}

# wait_gone PID: waits (at most 10 s) until PID no longer exists
wait_gone () {
  _n=0
  while running "$1"; do
    _n=$((_n + 1))
    [ "$_n" -gt 200 ] && return 1
    sleep 0.05
  done
}

# round NAME: 60 connections, 4 at a time; all must be answered.  Appends
# the pids that answered to $tmp/seen.
rounds=0
round () {
  run "$1" "$client" "$port" 60 4
  expect_status "$status" 0 "$1: 60 connections"
  grep -E -q '^60 connections answered by [0-9]+ workers$' "$tmp/$1.out" \
    || fail "$1: unexpected output: $(cat "$tmp/$1.out")"
  sed -n 's/^worker \([0-9]*\): [0-9]* connections$/\1/p' "$tmp/$1.out" >>"$tmp/seen"
  cat "$tmp/$1.out" >>"$tmp/answers"
  rounds=$((rounds + 1))
}

# ---- usage errors: exit status 64 and a usage line
for args in abc "1 2" 70000 "-w 0" "-w x" "-w 65" "-q"; do
  run usage "$prog" $args
  expect_status "$status" 64 "prefork-server $args"
  grep -q "^usage: " "$tmp/usage.err" || fail "prefork-server $args: no usage message"
done

# ---- 3 workers
start server "$prog" -w 3 0
srv=$pid
wait_for "$tmp/server.out" "listening on"
port=$(listening_port server prefork-server)
[ -n "$port" ] && [ "$port" -gt 0 ] || die "no port announced: $(cat "$tmp/server.out")"
wait_for "$tmp/server.out" "^prefork-server: worker 3 started"
w1=$(worker_pid 1) w2=$(worker_pid 2) w3=$(worker_pid 3)
echo "$w1 $w2 $w3" >"$tmp/workers"
for w in $w1 $w2 $w3; do
  child_of "$w" "$srv" || fail "worker $w is not a running child of the server ($srv)"
done
pass "3 workers started: $w1 $w2 $w3"

# Many connections, all answered.  Which worker wins a connection is up to
# the kernel and the scheduler: run more rounds (at most 5) until more than
# one worker has answered.
: >"$tmp/seen"
round r1
while [ "$(sort -u "$tmp/seen" | wc -l)" -lt 2 ] && [ "$rounds" -lt 5 ]; do
  round "r$((rounds + 1))"
done
nseen=$(sort -u "$tmp/seen" | wc -l)
if [ "$nseen" -ge 2 ]; then pass "$nseen workers answered (in $rounds round(s))"; else fail "only one worker answered $rounds rounds"; fi
for p in $(sort -u "$tmp/seen"); do
  case " $w1 $w2 $w3 " in
  *" $p "*) ;;
  *) fail "answered by $p, not a worker" ;;
  esac
done

# ---- a worker killed: the parent notices (ev_child) and replaces it
kill -KILL "$w2"
wait_for "$tmp/server.out" "^prefork-server: worker 2 \\(pid $w2\\) killed by signal 9, restarting in 0.1 s\$"
n=0
until [ "$(worker_pid 2)" != "$w2" ]; do
  n=$((n + 1))
  [ "$n" -gt 400 ] && die "worker 2 not restarted: $(cat "$tmp/server.out")"
  sleep 0.05
done
new=$(worker_pid 2)
echo "$w1 $new $w3" >"$tmp/workers"
wait_gone "$w2" && pass "killed worker $w2 is gone (reaped)" || fail "killed worker $w2 still exists"
child_of "$new" "$srv" && pass "worker 2 restarted as $new" || fail "new worker $new is not a child of the server"

# still serving, and the new worker takes part (at most 10 more rounds)
round k1
n=1
until grep -q -x "$new" "$tmp/seen" || [ "$n" -ge 10 ]; do
  n=$((n + 1))
  round "k$n"
done
grep -q -x "$new" "$tmp/seen" && pass "the new worker $new answers" || fail "the new worker $new never answered"

# ---- SIGTERM: every worker is stopped, then the parent exits 0
kill -TERM "$srv"
wait_exit "$srv"
expect_status "$status" 0 "prefork-server after SIGTERM"
for w in $w1 $new $w3; do
  running "$w" && fail "worker $w still running after the parent exited"
done
pass "no worker left"
expect_empty "$tmp/server.err" "prefork-server stderr"

out=$tmp/server.out
grep -q -x "prefork-server: caught signal 15, stopping 3 workers" "$out" || fail "no 'caught signal' line: $(cat "$out")"
for n in 1 2 3; do
  p=$(worker_pid "$n")
  grep -q -x "prefork-server: worker $n (pid $p) exited with status 0" "$out" \
    || fail "worker $n ($p) did not exit cleanly: $(cat "$out")"
  grep -E -q "^prefork-server: worker $n \\(pid $p\\) served [0-9]+ connections, echoed [0-9]+ bytes\$" "$out" \
    || fail "no summary line of worker $n ($p)"
done
tail -n 1 "$out" >"$tmp/last"
expect_file "$tmp/last" "prefork-server: all workers stopped; 4 forked, 1 of them replacements" "summary"

# every connection was served by exactly one worker: the workers still there
# at the end report all connections but those of the killed one
total=$((rounds * 60))
killed=$(sed -n "s/^worker $w2: \\([0-9]*\\) connections\$/\\1/p" "$tmp/answers" | awk '{ s += $1 } END { print s + 0 }')
reported=$(sed -n 's/^prefork-server: worker [0-9]* (pid [0-9]*) served \([0-9]*\) connections.*/\1/p' "$out" | awk '{ s += $1 } END { print s + 0 }')
if [ "$reported" -eq $((total - killed)) ]; then
  pass "workers report $reported connections ($total made, $killed served by the killed worker)"
else
  fail "workers report $reported connections, expected $((total - killed)) ($total made, $killed by the killed worker)"
fi

# ---- SIGINT works the same; a single worker
start one "$prog" -w 1
srv=$pid
wait_for "$tmp/one.out" "^prefork-server: worker 1 started"
port=$(listening_port one prefork-server)
w=$(sed -n 's/^prefork-server: worker 1 started (pid \([0-9]*\))$/\1/p' "$tmp/one.out")
echo "$w" >"$tmp/workers"
run single "$client" "$port" 5 5
expect_file "$tmp/single.out" "worker $w: 5 connections
5 connections answered by 1 workers" "one worker answers all"
kill -INT "$srv"
wait_exit "$srv"
expect_status "$status" 0 "prefork-server after SIGINT"
running "$w" && fail "worker $w still running"
sed "s/(pid $w)/(pid P)/" "$tmp/one.out" | tail -n 4 >"$tmp/one.tail"
expect_file "$tmp/one.tail" "prefork-server: caught signal 2, stopping 1 workers
prefork-server: worker 1 (pid P) served 5 connections, echoed 35 bytes
prefork-server: worker 1 (pid P) exited with status 0
prefork-server: all workers stopped; 1 forked, 0 of them replacements" "SIGINT output"

finish
