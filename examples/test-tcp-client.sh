#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# examples/test-tcp-client.sh - make check: examples/tcp-client (connect
# timeout, reconnection with capped exponential backoff) against
# examples/echo-server and examples/full-backlog, on loopback only.

. "$top_srcdir/examples/test-lib.sh"
prog=$ex/tcp-client
server=$ex/echo-server
blackhole=$ex/full-backlog
for p in "$prog" "$server" "$blackhole"; do
  [ -x "$p" ] || die "$p is not built"
done

# wait_count FILE REGEX N [SECONDS]: waits until N lines of FILE match REGEX
wait_count () {
  _n=0
  until [ "$(grep -E -c -e "$2" "$1" 2>/dev/null)" -ge "$3" ]; do
    _n=$((_n + 1))
    [ "$_n" -gt $((${4:-20} * 20)) ] && die "timed out waiting for $3 lines /$2/ in $(basename "$1"): $(cat "$1" 2>/dev/null)"
    sleep 0.05
  done
}

# attempt_times NAME: the times of the "connecting" lines of $tmp/NAME.out, one a line
attempt_times () {
  sed -n 's/^tcp-client: \[ *\([0-9.]*\)\] connecting to .*/\1/p' "$tmp/$1.out"
}

# retry_delays NAME: the backoff delays announced in $tmp/NAME.out, one a line
retry_delays () {
  sed -n 's/^tcp-client: \[ *[0-9.]*\] retrying in \([0-9.]*\) s$/\1/p' "$tmp/$1.out"
}

# ---- usage errors
for args in "" "127.0.0.1" "127.0.0.1 0" "127.0.0.1 x" "-c 0 127.0.0.1 1" "-b x 127.0.0.1 1" \
            "-b 2 -m 1 127.0.0.1 1" "-n -1 127.0.0.1 1" "-q 127.0.0.1 1"; do
  run usage "$prog" $args
  expect_status "$status" 64 "tcp-client $args"
  grep -q "^usage: " "$tmp/usage.err" || fail "tcp-client $args: no usage message"
done

# ---- a free port: let an echo server pick one, then stop it
start probe "$server" 0
srv=$pid
wait_for "$tmp/probe.out" "listening on"
port=$(listening_port probe echo-server)
kill -TERM "$srv"
wait_exit "$srv"
[ -n "$port" ] || die "no port announced: $(cat "$tmp/probe.out")"

# ---- (a) nobody listens: refused, with growing delays; then a server
# appears and the client completes its 5 round trips
start a "$prog" -b 0.2 -m 2 -i 0.1 -n 5 127.0.0.1 "$port"
cli=$pid
wait_for "$tmp/a.out" "\\(attempt 5\\)$"
refused=$(grep -c "connect to 127\\.0\\.0\\.1:$port failed: Connection refused$" "$tmp/a.out")
if [ "$refused" -ge 4 ]; then pass "$refused refused attempts"; else fail "$refused refused attempts: $(cat "$tmp/a.out")"; fi
# The delays are random, but each in its own range: [d/2, d] for d = 0.2,
# 0.4, 0.8, 1.6 (the cap, 2, is not reached yet): this holds on any machine.
retry_delays a | head -n 4 | awk '
  BEGIN { d = 0.2; ok = 1 }
  { if ($1 < d / 2 - 0.0005 || $1 > d + 0.0005) { print "delay " NR " is " $1 ", expected " d / 2 " .. " d; ok = 0 }
    d *= 2 }
  END { if (NR != 4) { print "only " NR " delays"; ok = 0 }; exit !ok }' >"$tmp/delays" \
  && pass "backoff delays double: $(retry_delays a | head -n 4 | tr '\n' ' ')" \
  || fail "backoff delays: $(cat "$tmp/delays")"
# and the attempts really are that far apart: each gap at least the delay
# announced before it, to the rounding of the printed figures (a loaded
# machine may only make a gap longer, so a bound from above would be the
# machine's, not the client's)
{ retry_delays a | head -n 4; echo; attempt_times a | head -n 5; } | awk '
  !times && $0 == "" { times = 1; next }
  !times { delay[++d] = $1; next }
  { t[++n] = $1 }
  END { ok = n == 5 && d == 4
        for (i = 1; ok && i <= 4; i++) if (t[i + 1] - t[i] < delay[i] - 0.0015) ok = 0
        if (!ok) { for (i = 1; i <= 4; i++) printf "gap %s after a delay of %s; ", t[i + 1] - t[i], delay[i]; exit 1 } }' >"$tmp/gaps" \
  && pass "gaps between attempts are the announced delays or longer" || fail "gaps between attempts: $(cat "$tmp/gaps")"

start a-server "$server" "$port"
srv=$pid
wait_exit "$cli" 20
expect_status "$status" 0 "tcp-client once the server is up"
expect_empty "$tmp/a.err" "stderr"
grep -q "connected to 127\\.0\\.0\\.1:$port$" "$tmp/a.out" || fail "no 'connected' line"
sed -n 's/^tcp-client: \[ *[0-9.]*\] reply: //p' "$tmp/a.out" >"$tmp/replies"
expect_file "$tmp/replies" "hello 1
hello 2
hello 3
hello 4
hello 5" "5 round trips"
tail -n 1 "$tmp/a.out" | grep -E -q "^tcp-client: 5 replies to 5 greetings, [5-9] connection attempts, 1 connections$" \
  && pass "summary" || fail "summary: $(tail -n 1 "$tmp/a.out")"
kill -TERM "$srv"
wait_exit "$srv"
expect_status "$status" 0 "echo-server"

# ---- (b) connect timeout: a listener whose accept queue is full drops our
# SYNs, so the handshake hangs until the client's timer ends it
start blackhole "$blackhole"
bh=$pid
wait_for "$tmp/blackhole.out" "listening on"
bport=$(listening_port blackhole full-backlog)
start b "$prog" -c 0.3 -b 0.1 -m 0.2 127.0.0.1 "$bport"
cli=$pid
wait_for "$tmp/b.out" "\\(attempt 3\\)$|connected to"
# how long the client waited for a CPU in all (Linux's schedstat; 0 where
# there is none): a loaded machine's part of its timer's lateness
waited=$(awk '{ print $2 / 1e9 }' "/proc/$cli/schedstat" 2>/dev/null)
kill -TERM "$cli"
wait_exit "$cli"
expect_status "$status" 0 "tcp-client after SIGTERM"
expect_empty "$tmp/b.err" "stderr"
kill -KILL "$bh"
wait_exit "$bh"
if grep -q "connected to" "$tmp/b.out"; then
  # not a failure of the client: this kernel completed the handshake anyway
  echo "skipped: this system does not drop SYNs to a full accept queue, no connect timeout to test"
else
  timeouts=$(grep -c "connect to 127\\.0\\.0\\.1:$bport failed: timed out after 0\\.3 s$" "$tmp/b.out")
  if [ "$timeouts" -ge 2 ]; then pass "$timeouts connect timeouts"; else fail "$timeouts connect timeouts: $(cat "$tmp/b.out")"; fi
  # the first attempt took the timeout, not less (and not much more, loosely,
  # beyond the time the client waited for a CPU)
  t0=$(attempt_times b | head -n 1)
  t1=$(sed -n 's/^tcp-client: \[ *\([0-9.]*\)\] connect to .* failed: timed out.*/\1/p' "$tmp/b.out" | head -n 1)
  awk -v t0="$t0" -v t1="$t1" -v w="${waited:-0}" 'BEGIN { d = t1 - t0; exit !(d >= 0.295 && d - w < 2.5) }' \
    && pass "the first attempt (at $t0 s) timed out at $t1 s" \
    || fail "the first attempt (at $t0 s) timed out at $t1 s (${waited:-0} s waiting for a CPU)"
  grep -q "caught signal 15, stopping$" "$tmp/b.out" || fail "no 'caught signal' line"
  tail -n 1 "$tmp/b.out" | grep -E -q "^tcp-client: 0 replies to 0 greetings, [0-9]+ connection attempts, 0 connections$" \
    && pass "summary" || fail "summary: $(tail -n 1 "$tmp/b.out")"
fi

# ---- (c) the server dies mid-session: the client notices, backs off (from
# the start: the connection lasted longer than -m), and reconnects once a
# server is back on the port
start c-server1 "$server" "$port"
srv=$pid
wait_for "$tmp/c-server1.out" "listening on"
start c "$prog" -b 0.2 -m 0.4 -i 0.1 -n 12 127.0.0.1 "$port"
cli=$pid
wait_for "$tmp/c.out" "reply: hello 6$"       # connected for at least 0.5 s
kill -TERM "$srv"
wait_exit "$srv"
expect_status "$status" 0 "first echo-server"
wait_for "$tmp/c.out" "disconnected after"
wait_count "$tmp/c.out" "failed: Connection refused$" 1
start c-server2 "$server" "$port"
srv=$pid
wait_exit "$cli" 20
expect_status "$status" 0 "tcp-client across a server restart"
expect_empty "$tmp/c.err" "stderr"
grep -E -q "disconnected after [0-9.]+ s: (closed by the server|Connection reset by peer)$" "$tmp/c.out" \
  && pass "disconnect noticed" || fail "no disconnect line: $(cat "$tmp/c.out")"
# the first delay after a connection that outlived -m starts over at -b
first=$(sed -n '/disconnected after/,$p' "$tmp/c.out" | sed -n 's/.*retrying in \([0-9.]*\) s$/\1/p' | head -n 1)
awk -v d="$first" 'BEGIN { exit !(d >= 0.0995 && d <= 0.2005) }' \
  && pass "backoff reset after a stable connection ($first s)" || fail "first delay after the disconnect: $first s"
[ "$(grep -c "connected to 127\\.0\\.0\\.1:$port$" "$tmp/c.out")" -eq 2 ] || fail "expected 2 connections: $(cat "$tmp/c.out")"
# the greeting in flight when the server died may be lost: 12 or 13 sent
tail -n 1 "$tmp/c.out" | grep -E -q "^tcp-client: 12 replies to 1[23] greetings, [0-9]+ connection attempts, 2 connections$" \
  && pass "summary" || fail "summary: $(tail -n 1 "$tmp/c.out")"
kill -TERM "$srv"
wait_exit "$srv"
expect_status "$status" 0 "second echo-server"

finish
