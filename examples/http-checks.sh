# SPDX-License-Identifier: BSD-2-Clause
# examples/http-checks.sh - the checks of an HTTP server example, sourced by
# test-http-server.sh and test-http-completion.sh with $server set to the
# program's name: http_usage_checks, then http_checks on each backend to
# test (LIBEV_FLAGS in the environment, else the default).  Drives the
# server over loopback with examples/http-client-check (which prints one
# line per response, see its header comment).

. "$top_srcdir/examples/test-lib.sh"
prog=$ex/$server
client=$ex/http-client-check
[ -x "$prog" ] && [ -x "$client" ] || die "$prog or $client is not built"

# check NAME EXPECTED CLIENT-ARGS...: runs the client and compares its
# output, the closing time left out ("closed by the server after 0.01 s"
# becomes "closed by the server")
check () {
  _name=$1
  _expected=$2
  shift 2
  run "$_name" "$client" "$@"
  expect_status "$status" 0 "$_name: client"
  [ -s "$tmp/$_name.err" ] && echo "    client stderr: $(cat "$tmp/$_name.err")" >&2
  sed -E 's/^(closed by the server) after [0-9.]+ s$/\1/' "$tmp/$_name.out" >"$tmp/$_name.norm"
  expect_file "$tmp/$_name.norm" "$_expected" "$_name"
}

# closing_time NAME: the seconds in NAME's "closed by the server after S s"
closing_time () {
  sed -n 's/^closed by the server after \([0-9.]*\) s$/\1/p' "$tmp/$1.out"
}

# peak_kb PID: the peak resident size of PID, in kB
peak_kb () {
  sed -n 's/^VmHWM:[^0-9]*\([0-9]*\) kB$/\1/p' "/proc/$1/status"
}

# between X LOW HIGH: LOW <= X <= HIGH (decimals)
between () {
  awk -v x="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(x != "" && x + 0 >= lo && x + 0 <= hi) }'
}

G='GET / HTTP/1.1\r\nHost: test\r\n\r\n'
ok='HTTP/1.1 200 OK | Content-Length: 20 | Connection: keep-alive | "hello from libev-ng\n"'
bytes () { printf 'GET /bytes/%s HTTP/1.1\\r\\nHost: test\\r\\n\\r\\n' "$1"; }

# ---- usage errors: exit status 64 and a usage line
http_usage_checks () {
  for args in abc "1 2" 70000 "-t 0" "-t x" "-x"; do
    run usage "$prog" $args
    expect_status "$status" 64 "$server $args"
    grep -q "^usage: " "$tmp/usage.err" || fail "$server $args: no usage message"
  done
}

# backend_available: true when the server starts with the backend of
# LIBEV_FLAGS (and stops it again); false, saying so, when this system has
# none such
backend_available () {
  start probe "$prog" 0
  _n=0
  until grep -q "listening on" "$tmp/probe.out" 2>/dev/null || ! running "$pid"; do
    _n=$((_n + 1))
    [ "$_n" -gt 400 ] && die "LIBEV_FLAGS=$LIBEV_FLAGS: no answer from $server"
    sleep 0.05
  done
  if grep -q "listening on" "$tmp/probe.out"; then
    kill -TERM "$pid"
    wait_exit "$pid"
    expect_status "$status" 0 "LIBEV_FLAGS=$LIBEV_FLAGS: $server starts and stops"
    return 0
  fi
  wait_exit "$pid"
  grep -q "cannot initialise the event loop" "$tmp/probe.err" \
    || fail "LIBEV_FLAGS=$LIBEV_FLAGS: $(cat "$tmp/probe.err")"
  echo "backend $LIBEV_FLAGS: not on this system"
  return 1
}

http_checks () {
  # ---- server A, idle timeout 2 s
  start a "$prog" -t 2 0
  srv=$pid
  wait_for "$tmp/a.out" "listening on"
  port=$(listening_port a "$server")
  [ -n "$port" ] && [ "$port" -gt 0 ] || die "no port announced: $(cat "$tmp/a.out")"
  pass "$server listens on ephemeral port $port"
  base_fds=$(fd_count "$srv")

  check get "$ok" "$port" "$G"
  check bytes "HTTP/1.1 200 OK | Content-Length: 100000 | Connection: keep-alive | 100000 bytes of a-z
HTTP/1.1 200 OK | Content-Length: 0 | Connection: keep-alive | \"\"
HTTP/1.1 200 OK | Content-Length: 7 | Connection: keep-alive | \"abcdefg\"" \
    "$port" "$(bytes 100000)" "$(bytes 0)" "$(bytes 7)"
  check head "HTTP/1.1 200 OK | Content-Length: 100000 | Connection: keep-alive | no body
$ok" "$port" 'HEAD /bytes/100000 HTTP/1.1\r\nHost: test\r\n\r\n' "$G"

  # keep-alive: two requests, one connection, which then stays open
  check keep-alive "$ok
$ok
still open after 0.5 s" -w 0.5 "$port" "$G" "$G"

  # a 404 keeps the connection too
  check not-found "HTTP/1.1 404 Not Found | Content-Length: 10 | Connection: keep-alive | \"not found\\n\"
$ok" "$port" 'GET /nothing/here HTTP/1.1\r\nHost: test\r\n\r\n' "$G"

  # pipelining: all requests in one send(), answers in order
  check pipelined "HTTP/1.1 200 OK | Content-Length: 3 | Connection: keep-alive | \"abc\"
$ok
HTTP/1.1 404 Not Found | Content-Length: 10 | Connection: keep-alive | \"not found\\n\"
HTTP/1.1 200 OK | Content-Length: 70000 | Connection: keep-alive | 70000 bytes of a-z
HTTP/1.1 200 OK | Content-Length: 5 | Connection: keep-alive | no body
$ok" -p "$port" "$(bytes 3)" "$G" 'GET /nope HTTP/1.1\r\nHost: test\r\n\r\n' "$(bytes 70000)" \
    'HEAD /bytes/5 HTTP/1.1\r\nHost: test\r\n\r\n' "$G"

  # 30 pipelined 300 kB responses: far more than the socket buffers hold, so
  # the server's output buffer fills and it stops reading (back pressure)
  set --
  expected=
  for i in $(seq 30); do
    set -- "$@" "$(bytes 300000)"
    expected="${expected}HTTP/1.1 200 OK | Content-Length: 300000 | Connection: keep-alive | 300000 bytes of a-z
"
  done
  check back-pressure "${expected%?}" -p "$port" "$@"
  set --

  # /bytes/N is generated while it is sent: 200 MB cost the server no memory
  # (its peak resident size grows by less than 4 MiB)
  before=$(peak_kb "$srv")
  check huge "HTTP/1.1 200 OK | Content-Length: 200000000 | Connection: keep-alive | 200000000 bytes of a-z" \
    "$port" "$(bytes 200000000)"
  after=$(peak_kb "$srv")
  if [ -n "${LIBEV_NG_SANITIZE:-}" ]; then
    # ASan's fake stacks (detect_stack_use_after_return) grow with the calls the server makes, by
    # megabytes here, where the server's own memory grows by kilobytes: the other builds bound it
    echo "skip: 200 MB sent with $((after - before)) kB more at the peak, not bounded in a sanitizer build"
  elif [ -n "$before" ] && [ -n "$after" ] && [ $((after - before)) -lt 4096 ]; then
    pass "200 MB sent with $((after - before)) kB more at the peak"
  else
    fail "200 MB sent, peak resident size from $before to $after kB"
  fi

  # "Connection: close": answered, then the server closes; what was pipelined
  # after it is not answered
  check close "HTTP/1.1 200 OK | Content-Length: 20 | Connection: close | \"hello from libev-ng\\n\"
closed by the server" -w 5 "$port" 'GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n'
  check close-pipelined "$ok
HTTP/1.1 200 OK | Content-Length: 2 | Connection: close | \"ab\"
closed by the server" -p -w 5 "$port" "$G" \
    'GET /bytes/2 HTTP/1.1\r\nHost: test\r\nConnection: keep-alive, Close\r\n\r\n' "$G"

  # HTTP/1.0: closes unless asked to keep the connection
  check http10 "HTTP/1.1 200 OK | Content-Length: 20 | Connection: close | \"hello from libev-ng\\n\"
closed by the server" -w 5 "$port" 'GET / HTTP/1.0\r\n\r\n'
  check http10-keep-alive "HTTP/1.1 200 OK | Content-Length: 20 | Connection: keep-alive | \"hello from libev-ng\\n\"
HTTP/1.1 200 OK | Content-Length: 1 | Connection: keep-alive | \"a\"
still open after 0.5 s" -w 0.5 "$port" 'GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n' \
    'GET /bytes/1 HTTP/1.0\r\nconnection: Keep-Alive\r\n\r\n'

  # errors: a method we do not serve keeps the connection; requests we cannot
  # frame (bad syntax, a body, an unknown version) are answered, then closed
  check method "HTTP/1.1 405 Method Not Allowed | Content-Length: 18 | Connection: keep-alive | \"only GET and HEAD\\n\"
$ok" "$port" 'DELETE / HTTP/1.1\r\nHost: test\r\n\r\n' "$G"
  check no-host "HTTP/1.1 400 Bad Request | Content-Length: 12 | Connection: close | \"bad request\\n\"
closed by the server" -w 5 "$port" 'GET / HTTP/1.1\r\n\r\n'
  check garbage "HTTP/1.1 400 Bad Request | Content-Length: 12 | Connection: close | \"bad request\\n\"
closed by the server" -w 5 "$port" 'hello\r\n\r\n'
  check body "HTTP/1.1 413 Content Too Large | Content-Length: 32 | Connection: close | \"request bodies are not accepted\\n\"
closed by the server" -w 5 "$port" 'POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\n\r\nhello'
  check version "HTTP/1.1 505 HTTP Version Not Supported | Content-Length: 27 | Connection: close | \"only HTTP/1.0 and HTTP/1.1\\n\"
closed by the server" -w 5 "$port" 'GET / HTTP/2.0\r\nHost: test\r\n\r\n'

  # the header size limit (8192 bytes): 7000 is fine, 10000 is not (431, and
  # the connection is closed without a reset: the client reads the answer)
  filler () { head -c "$1" /dev/zero | tr '\0' x; }
  check header-7000 "$ok" "$port" "GET / HTTP/1.1\\r\\nHost: test\\r\\nX-Filler: $(filler 7000)\\r\\n\\r\\n"
  check header-10000 "HTTP/1.1 431 Request Header Fields Too Large | Content-Length: 32 | Connection: close | \"request header fields too large\\n\"
closed by the server" -w 5 "$port" "GET / HTTP/1.1\\r\\nHost: test\\r\\nX-Filler: $(filler 10000)\\r\\n\\r\\n"

  # the idle timer is pushed back by activity (ev_timer_again): 5 requests
  # 0.6 s apart take 2.4 s, longer than the 2 s timeout, and all are answered;
  # then the connection is closed about 2 s after the last answer
  check activity "$ok
$ok
$ok
$ok
$ok
closed by the server" -d 0.6 -w 8 "$port" "$G" "$G" "$G" "$G" "$G"
  t=$(closing_time activity)
  if between "$t" 1.6 5; then pass "closed $t s after the last answer (timeout 2 s)"; else fail "closed $t s after the last answer, timeout is 2 s"; fi

  # every connection closed on the server side: no descriptor leaked
  wait_fd_count "$srv" "$base_fds" 5 && pass "no descriptor leaked"

  # SIGTERM with a connection open: it is closed, the server exits 0
  start open "$client" -w 15 "$port"
  open=$pid
  wait_fd_count "$srv" $((base_fds + 1)) 10
  kill -TERM "$srv"
  wait_exit "$srv"
  expect_status "$status" 0 "$server after SIGTERM"
  wait_exit "$open"
  expect_status "$status" 0 "open connection: client"
  grep -q '^closed by the server after' "$tmp/open.out" || fail "open connection: not closed by the server: $(cat "$tmp/open.out")"
  # 1+3+2+2+2+6+30+1+1+2+1+2+2+1+1+1+1+1+1+5 responses, on 20 connections of
  # "check" and the open one
  expect_file "$tmp/a.out" "$server: listening on 127.0.0.1:$port
$server: caught signal 15, shutting down
$server: served 66 requests on 21 connections" "$server output"
  expect_empty "$tmp/a.err" "$server stderr"

  # ---- server B, idle timeout 1 s: an idle connection is closed after it
  start b "$prog" -t 1
  srv=$pid
  wait_for "$tmp/b.out" "listening on"
  port=$(listening_port b "$server")
  check idle "closed by the server" -w 8 "$port"
  t=$(closing_time idle)
  if between "$t" 0.8 3; then pass "idle connection closed after $t s (timeout 1 s)"; else fail "idle connection closed after $t s, timeout is 1 s"; fi
  check idle-after-request "$ok
closed by the server" -w 8 "$port" "$G"
  t=$(closing_time idle-after-request)
  if between "$t" 0.8 3; then pass "idle keep-alive connection closed after $t s"; else fail "idle keep-alive connection closed after $t s, timeout is 1 s"; fi
  kill -INT "$srv"
  wait_exit "$srv"
  expect_status "$status" 0 "$server after SIGINT"
  expect_file "$tmp/b.out" "$server: listening on 127.0.0.1:$port
$server: caught signal 2, shutting down
$server: served 1 requests on 2 connections" "$server output"

  # ---- out of descriptors: accept() fails with EMFILE, the server pauses
  # accepting instead of spinning; idle timeouts free descriptors, and every
  # client is served in the end
  start c sh -c "ulimit -n 12 && exec '$prog' -t 0.5"
  srv=$pid
  wait_for "$tmp/c.out" "listening on"
  port=$(listening_port c "$server")
  clients=
  for i in $(seq 12); do
    start "emfile$i" "$client" -t 15 -w 15 "$port" "$G"
    clients="$clients $pid"
  done
  i=0
  for p in $clients; do
    i=$((i + 1))
    wait_exit "$p" 30
    expect_status "$status" 0 "client $i at a 12 descriptor limit"
    sed -E 's/^(closed by the server) after [0-9.]+ s$/\1/' "$tmp/emfile$i.out" >"$tmp/emfile$i.norm"
    expect_file "$tmp/emfile$i.norm" "$ok
closed by the server" "client $i answered"
  done
  kill -TERM "$srv"
  wait_exit "$srv"
  expect_status "$status" 0 "$server after SIGTERM"
  grep -q "served 12 requests on 12 connections" "$tmp/c.out" || fail "unexpected summary: $(cat "$tmp/c.out")"
  pauses=$(grep -c -x "$server: accept: Too many open files, pausing" "$tmp/c.err")
  if [ "$pauses" -ge 1 ] && [ "$pauses" -eq "$(wc -l <"$tmp/c.err")" ]; then
    pass "paused accepting $pauses time(s)"
  else
    fail "expected only pause messages on stderr: $(cat "$tmp/c.err")"
  fi
}
