# SPDX-License-Identifier: BSD-2-Clause
# examples/echo-checks.sh - the checks of an echo server example, sourced by
# test-echo-server.sh and test-echo-server-cxx.sh with $server set to the
# program's name.  Drives it over loopback with examples/echo-client.

. "$top_srcdir/examples/test-lib.sh"
prog=$ex/$server
client=$ex/echo-client
[ -x "$prog" ] && [ -x "$client" ] || die "$prog or $client is not built"

# ---- usage errors: exit status 64 and a usage line, no server started
for args in abc "1 2" 70000 -1; do
  run usage "$prog" $args
  expect_status "$status" 64 "$server $args"
  grep -q "^usage: " "$tmp/usage.err" || fail "$server $args: no usage message"
done

# ---- a server on an ephemeral port (argument 0)
start server "$prog" 0
srv=$pid
wait_for "$tmp/server.out" "listening on"
port=$(listening_port server "$server")
[ -n "$port" ] && [ "$port" -gt 0 ] || die "no port announced: $(cat "$tmp/server.out")"
pass "$server listens on ephemeral port $port"
base_fds=$(fd_count "$srv")

# the port is now taken: a second server asked for it must fail cleanly
run second "$prog" "$port"
expect_status "$status" 1 "$server on a port in use"
grep -q "cannot listen on 127.0.0.1:$port: Address already in use" "$tmp/second.err" \
  || fail "second server: unexpected error: $(cat "$tmp/second.err")"

# 10 parallel connections, each sending far more than a socket buffer holds
# (EAGAIN on both sides, the server's back pressure), then empty and 1-byte ones
run client1 "$client" "$port" 10 300000
expect_status "$status" 0 "10 connections x 300000 bytes"
expect_file "$tmp/client1.out" "echo-client: 10 connections, 3000000 bytes echoed correctly" "big echo"
run client2 "$client" "$port" 1 0
expect_status "$status" 0 "1 empty connection"
run client3 "$client" "$port" 3 1
expect_status "$status" 0 "3 connections x 1 byte"
expect_file "$tmp/client3.out" "echo-client: 3 connections, 3 bytes echoed correctly" "tiny echo"

# every connection closed on the server side: no descriptor leaked
wait_fd_count "$srv" "$base_fds" 5 && pass "no descriptor leaked"

kill -TERM "$srv"
wait_exit "$srv"
expect_status "$status" 0 "$server after SIGTERM"
expect_file "$tmp/server.out" "$server: listening on 127.0.0.1:$port
$server: caught signal 15, shutting down
$server: served 14 connections, echoed 3000003 bytes" "$server output"
expect_empty "$tmp/server.err" "$server stderr"

# ---- the port given explicitly; SIGINT in the middle of transfers
start server2 "$prog" "$port"
srv=$pid
wait_for "$tmp/server2.out" "listening on"
[ "$(listening_port server2 "$server")" = "$port" ] || die "not on port $port: $(cat "$tmp/server2.out")"
pass "$server listens on the port given, $port"

start big "$client" -p "$port" 4 2000000000 60
big=$pid
# wait until bytes come back on all 4 connections, then interrupt the server
wait_for "$tmp/big.out" "all 4 connections echoing"
kill -INT "$srv"
wait_exit "$srv"
expect_status "$status" 0 "$server after SIGINT with open connections"
wait_exit "$big"
expect_status "$status" 1 "client cut off by the shutdown"
grep -E -q "closed by the server before everything was echoed|Connection reset by peer|Broken pipe" "$tmp/big.err" \
  || fail "client: unexpected error: $(cat "$tmp/big.err")"
sed -n 2p "$tmp/server2.out" >"$tmp/line2"
expect_file "$tmp/line2" "$server: caught signal 2, shutting down" "$server SIGINT message"
grep -E -q "^$server: served 4 connections, echoed [0-9]+ bytes\$" "$tmp/server2.out" \
  && [ "$(wc -l <"$tmp/server2.out")" -eq 3 ] \
  || fail "unexpected summary: $(cat "$tmp/server2.out")"
expect_empty "$tmp/server2.err" "$server stderr"
