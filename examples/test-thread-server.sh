#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# examples/test-thread-server.sh - make check: examples/thread-server, the
# one-loop-per-thread server.  Checks that every worker thread exists, that
# the round robin hands each the same number of connections whatever the
# interleaving of two concurrent clients, that every byte comes back, and
# that shutdown (also with connections open) ends every thread.

. "$top_srcdir/examples/test-lib.sh"
prog=$ex/thread-server
client=$ex/echo-client
[ -x "$prog" ] && [ -x "$client" ] || die "$prog or $client is not built"

for args in "0 0" "0 65" "0 x" "x" "0 1 2"; do
  run usage "$prog" $args
  expect_status "$status" 64 "thread-server $args"
  grep -q "^usage: " "$tmp/usage.err" || fail "thread-server $args: no usage message"
done

start server "$prog" 0 3
srv=$pid
wait_for "$tmp/server.out" "listening on"
port=$(listening_port server thread-server)
[ -n "$port" ] || die "no port announced: $(cat "$tmp/server.out")"
threads=$(ls "/proc/$srv/task" | wc -l)
if [ "$threads" -eq 4 ]; then pass "main thread + 3 workers"; else fail "$threads threads, expected 4"; fi
base_fds=$(fd_count "$srv")

# two clients at once: 12 big and 6 small connections, 18 in all
start clientA "$client" "$port" 12 200000
a=$pid
start clientB "$client" "$port" 6 1000
b=$pid
wait_exit "$a"
expect_status "$status" 0 "client A: 12 connections x 200000 bytes"
expect_file "$tmp/clientA.out" "echo-client: 12 connections, 2400000 bytes echoed correctly" "client A output"
wait_exit "$b"
expect_status "$status" 0 "client B: 6 connections x 1000 bytes"
expect_file "$tmp/clientB.out" "echo-client: 6 connections, 6000 bytes echoed correctly" "client B output"
wait_fd_count "$srv" "$base_fds" 5 && pass "no descriptor leaked"

kill -TERM "$srv"
wait_exit "$srv"
expect_status "$status" 0 "thread-server after SIGTERM"
expect_empty "$tmp/server.err" "thread-server stderr"
out=$tmp/server.out
sed -n '1p;2p;$p' "$out" >"$tmp/frame"
expect_file "$tmp/frame" "thread-server: listening on 127.0.0.1:$port with 3 workers
thread-server: caught signal 15, shutting down
thread-server: served 18 connections, echoed 2406000 bytes" "thread-server output"
# one line per worker, in order, 6 connections each (round robin); the bytes
# per worker depend on the interleaving but add up to the total
sum=0
for w in 1 2 3; do
  bytes=$(sed -n "s/^thread-server: worker $w served 6 connections, echoed \\([0-9][0-9]*\\) bytes\$/\\1/p" "$out")
  if [ -n "$bytes" ]; then
    sum=$((sum + bytes))
  else
    fail "no line 'worker $w served 6 connections' in: $(cat "$out")"
  fi
done
[ "$(wc -l <"$out")" -eq 6 ] || fail "expected 6 lines: $(cat "$out")"
if [ "$sum" -eq 2406000 ]; then pass "the workers' bytes add up"; else fail "workers echoed $sum bytes in all"; fi

# ---- shutdown while every worker has a connection in the middle of a transfer
start server2 "$prog" 0 2
srv=$pid
wait_for "$tmp/server2.out" "listening on"
port=$(listening_port server2 thread-server)
start big "$client" -p "$port" 4 2000000000 60
big=$pid
wait_for "$tmp/big.out" "all 4 connections echoing"
kill -INT "$srv"
wait_exit "$srv"
expect_status "$status" 0 "thread-server after SIGINT with open connections"
wait_exit "$big"
expect_status "$status" 1 "client cut off by the shutdown"
grep -c -E "^thread-server: worker [12] served 2 connections, echoed [0-9]+ bytes\$" "$tmp/server2.out" >"$tmp/n"
expect_file "$tmp/n" 2 "each of the 2 workers had 2 connections"
expect_empty "$tmp/server2.err" "thread-server stderr"

finish
