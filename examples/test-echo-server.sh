#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# examples/test-echo-server.sh - make check: examples/echo-server.
server=echo-server
. "$top_srcdir/examples/echo-checks.sh"

# ---- out of descriptors: accept() fails with EMFILE, the server pauses
# accepting (a one-shot timer) instead of spinning, and still serves every
# client once descriptors are free again
start emfile sh -c "ulimit -n 16 && exec '$prog' 0"
srv=$pid
wait_for "$tmp/emfile.out" "listening on"
port=$(listening_port emfile "$server")
run client "$ex/echo-client" "$port" 40 100000 40
expect_status "$status" 0 "40 connections at a 16 descriptor limit"
kill -TERM "$srv"
wait_exit "$srv"
expect_status "$status" 0 "$server after SIGTERM"
grep -q "served 40 connections, echoed 4000000 bytes" "$tmp/emfile.out" \
  || fail "unexpected summary: $(cat "$tmp/emfile.out")"
pauses=$(grep -c -x "echo-server: accept: Too many open files, pausing" "$tmp/emfile.err")
if [ "$pauses" -ge 1 ] && [ "$pauses" -eq "$(wc -l <"$tmp/emfile.err")" ]; then
  pass "paused accepting $pauses time(s)"
else
  fail "expected only pause messages on stderr: $(cat "$tmp/emfile.err")"
fi

finish
