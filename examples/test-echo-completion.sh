#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# examples/test-echo-completion.sh - make check: examples/echo-completion, the echo server on
# streams.  echo-server's checks on the default backend, then on every backend the system has
# (LIBEV_FLAGS) a round of big and tiny clients, and the accept pause at a 16 descriptor limit.
server=echo-completion
if grep -q '^#define EV_NG_SMALL 1' "$top_builddir/config.h" 2>/dev/null; then
  echo "SKIP: a library built for size (configure --enable-small) has no streams' I/O"
  exit 77
fi
. "$top_srcdir/examples/echo-checks.sh"

# ---- every backend: select, poll, epoll, io_uring (where the system has it)
for flags in 1 2 4 128; do
  LIBEV_FLAGS=$flags
  export LIBEV_FLAGS
  start "b$flags" "$prog" 0
  srv=$pid
  unset LIBEV_FLAGS
  _n=0
  until grep -q "listening on\|no loop" "$tmp/b$flags.out" "$tmp/b$flags.err" 2>/dev/null || ! running "$srv"; do
    _n=$((_n + 1))
    [ "$_n" -gt 400 ] && die "LIBEV_FLAGS=$flags: no answer from $server"
    sleep 0.05
  done
  if ! grep -q "listening on" "$tmp/b$flags.out"; then
    wait_exit "$srv"
    grep -q "no loop with the backend" "$tmp/b$flags.err" || fail "LIBEV_FLAGS=$flags: $(cat "$tmp/b$flags.err")"
    echo "backend $flags: not on this system"
    continue
  fi
  port=$(listening_port "b$flags" "$server")
  run "c$flags" "$client" "$port" 10 300000
  expect_status "$status" 0 "LIBEV_FLAGS=$flags: 10 connections x 300000 bytes"
  run "d$flags" "$client" "$port" 20 1
  expect_status "$status" 0 "LIBEV_FLAGS=$flags: 20 connections x 1 byte"
  kill -TERM "$srv"
  wait_exit "$srv"
  expect_status "$status" 0 "LIBEV_FLAGS=$flags: $server after SIGTERM"
  grep -q "served 30 connections, echoed 3000020 bytes" "$tmp/b$flags.out" \
    || fail "LIBEV_FLAGS=$flags: unexpected summary: $(cat "$tmp/b$flags.out")"
done

# ---- out of descriptors: ev_ng_accept_take says EMFILE, the server pauses accepting (a
# one-shot timer) instead of spinning, and still serves every client once descriptors are free
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
pauses=$(grep -c -x "echo-completion: accept: Too many open files, pausing" "$tmp/emfile.err")
if [ "$pauses" -ge 1 ] && [ "$pauses" -eq "$(wc -l <"$tmp/emfile.err")" ]; then
  pass "paused accepting $pauses time(s)"
else
  fail "expected only pause messages on stderr: $(cat "$tmp/emfile.err")"
fi

finish
