#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# examples/test-metrics-server.sh - make check: examples/metrics-server.  Its
# metrics page (HTTP, Prometheus text format) counts what the echo traffic made
# the loop do; ?reset starts the counts again; SIGTERM ends it with a summary.
. "$top_srcdir/examples/test-lib.sh"
skip_in_a_build_for_size metrics
prog=$ex/metrics-server
client=$ex/echo-client
[ -x "$prog" ] && [ -x "$client" ] || die "$prog or $client is not built"
command -v bash >/dev/null 2>&1 || { echo "SKIP: bash (its /dev/tcp fetches the page)"; exit 77; }

run usage "$prog" 1 2 3
expect_status "$status" 64 "metrics-server 1 2 3"

start server "$prog"
srv=$pid
wait_for "$tmp/server.out" "listening on"
port=$(sed -n 's/^metrics-server: listening on 127\.0\.0\.1:\([0-9]*\), .*/\1/p' "$tmp/server.out")
mport=$(sed -n 's/.* metrics on 127\.0\.0\.1:\([0-9]*\)\/metrics$/\1/p' "$tmp/server.out")
[ -n "$port" ] && [ -n "$mport" ] || die "no ports announced: $(cat "$tmp/server.out")"
pass "echo on $port, metrics on $mport"

# fetch NAME PATH: the response in $tmp/NAME (bash's /dev/tcp: no curl needed), bounded
fetch () {
  timeout 10 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" && printf "GET %s HTTP/1.0\r\n\r\n" "$2" >&3 && cat <&3' \
    fetch "$mport" "$2" >"$tmp/$1" 2>"$tmp/$1.err" || fail "GET $2: $(cat "$tmp/$1.err")"
}
value () {   # value NAME METRIC: its value in the page NAME
  sed -n "s/^$2 //p" "$tmp/$1"
}

fetch before /metrics
grep -q '^HTTP/1.0 200 OK' "$tmp/before" || die "GET /metrics: $(head -3 "$tmp/before")"
grep -q '^# TYPE libev_iterations_total counter$' "$tmp/before" || fail "no # TYPE line for libev_iterations_total"
[ "$(value before echo_connections_total)" = 0 ] || fail "connections before any: $(value before echo_connections_total)"

run client "$client" "$port" 10 200000
expect_status "$status" 0 "10 echo connections x 200000 bytes"
fetch after /metrics
[ "$(value after echo_connections_total)" = 10 ] && [ "$(value after echo_bytes_total)" = 2000000 ] \
  && pass "the page counts 10 connections and 2000000 bytes echoed" \
  || fail "echo counts: $(value after echo_connections_total) connections, $(value after echo_bytes_total) bytes"
it0=$(value before libev_iterations_total) it1=$(value after libev_iterations_total)
ev0=$(value before libev_poll_events_total) ev1=$(value after libev_poll_events_total)
# each of the 10 connections needs an event for its accept and for its reads: at least 20 more
if [ -n "$it1" ] && [ "$it1" -gt "$it0" ] && [ "$ev1" -ge $((ev0 + 20)) ]; then
  pass "the loop's counts grew with the traffic: iterations $it0 -> $it1, events $ev0 -> $ev1"
else
  fail "iterations $it0 -> $it1, events $ev0 -> $ev1"
fi
awk '/^libev_callback_seconds_total\{priority="0"\} / { exit !($2 > 0) }' "$tmp/after" \
  && pass "time in callbacks at priority 0 counted" || fail "no callback time at priority 0"
grep -c '^libev_callback_seconds_total{priority="-\?[0-9]"} ' "$tmp/after" | grep -qx 5 \
  || fail "not one callback time per priority (-2 .. 2)"

fetch reset '/metrics?reset'
fetch fresh /metrics
it2=$(value fresh libev_iterations_total)
[ -n "$it2" ] && [ "$it2" -lt "$it1" ] && pass "?reset starts the loop's counts again ($it1 -> $it2)" \
  || fail "after ?reset: iterations $it2 (before $it1)"
[ "$(value fresh echo_connections_total)" = 10 ] || fail "the program's own counts are not reset"

fetch missing /nothing
grep -q '^HTTP/1.0 404 Not Found' "$tmp/missing" && pass "another path: 404" || fail "GET /nothing: $(head -1 "$tmp/missing")"

kill -TERM "$srv"
wait_exit "$srv"
expect_status "$status" 0 "metrics-server after SIGTERM"
grep -q '^metrics-server: [0-9]* iterations, [0-9.]* s blocked, [0-9]* events polled$' "$tmp/server.out" \
  && grep -q '^metrics-server: served 10 connections, echoed 2000000 bytes$' "$tmp/server.out" \
  && pass "summary at exit" || fail "summary: $(cat "$tmp/server.out")"
expect_empty "$tmp/server.err" "metrics-server: nothing on stderr"

finish
