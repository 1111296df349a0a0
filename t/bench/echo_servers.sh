#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t/bench/echo_servers.sh - bench/echo-servers' programs build and echo: the server of
# bench/echo_server.c on streams, on streams without the copy and on ev_io, each on epoll and
# io_uring (LIBEV_FLAGS, where the kernel lets a loop have it), and the liburing server of
# bench/echo_uring.c where liburing-dev is installed, each under bench/echo_client.c's phased
# load, which checks every byte it gets back: 20 connections x 10 messages of 64 B, then 3 x 3
# of 200,000 B (short writes and the stream's queue).  A smoke test, not a benchmark: loopback
# only, every process stopped by its pid, every wait bounded.
# Usage: t/bench/echo_servers.sh (from the build tree, where make check built
# t/bench/echo_server and t/bench/echo_client; top_srcdir set for VPATH builds).
srcdir=${top_srcdir:-.}
builddir=${top_builddir:-.}
server=$builddir/t/bench/echo_server
client=$builddir/t/bench/echo_client
if [ ! -x "$server" ] || [ ! -x "$client" ]; then
  echo "SKIP: $server or $client not built (make check builds them)"
  exit 77
fi
# a cross build's programs (libtool's wrappers of them) run under $EMULATOR, as make check's
# LOG_COMPILER runs them (t/port/run-test); the liburing server too, built here with $CC
runner=
[ -n "${EMULATOR:-}" ] && runner=$srcdir/t/port/run-test
tmp=$(mktemp -d) || exit 99
pid=
stop() {
  [ -n "$pid" ] && kill "$pid" 2> /dev/null && wait "$pid" 2> /dev/null
  pid=
}
trap 'stop; rm -rf "$tmp"' EXIT
fails=0
ran=0
serial=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# serve NAME ENV... -- ARGV...: starts a server, waits at most 10 s for its first line, sets
# $port, $line and $err (its stderr); 1 when it said nothing
serve() {
  name=$1
  shift
  env_args=
  while [ "$1" != "--" ]; do
    env_args="$env_args $1"
    shift
  done
  shift
  # a file of its own: the shell truncates a reused one only once the child runs
  serial=$((serial + 1))
  out=$tmp/out.$serial
  # shellcheck disable=SC2086 # one word per variable
  env $env_args "$@" > "$out" 2> "$tmp/err.$serial" &
  pid=$!
  n=0
  while [ $n -lt 100 ]; do
    line=$(head -n 1 "$out" 2> /dev/null)
    case $line in *listening*) break ;; esac
    kill -0 "$pid" 2> /dev/null || break
    sleep 0.1
    n=$((n + 1))
  done
  port=$(printf '%s\n' "$line" | sed -n 's/.*127\.0\.0\.1:\([0-9]*\).*/\1/p')
  err=$tmp/err.$serial
  [ -n "$port" ] || {
    stop
    return 1
  }
}

# load NAME CONNECTIONS MESSAGES SIZE: the client's run, its "done" line checked
load() {
  # shellcheck disable=SC2086 # no runner: no word
  said=$($runner "$client" -p "$port" -c "$2" -n "$3" -s "$4" -t 10 2> "$tmp/cerr")
  st=$?
  want=$(($2 * $3))
  case $st:$said in
  0:*"done $want "*) ;;
  *) fail "$1: $2 x $3 x $4 B: exit $st, said '$said' $(cat "$tmp/cerr")" ;;
  esac
}

for backend in 4 128; do
  for kind in stream stream-ref evio; do
    name="$kind on backend $backend"
    # shellcheck disable=SC2086 # no runner: no word
    if ! serve "$name" LIBEV_FLAGS=$backend -- $runner "$server" "$kind" 0; then
      if [ "$backend" = 128 ] && grep -q "no loop with the backend" "$err"; then
        echo "note: $name: no io_uring loop here, left out"
        continue
      fi
      fail "$name: did not start: $(cat "$err")"
      continue
    fi
    case $line in
    *"backend $backend") ;;
    *)
      fail "$name: runs on another backend: $line"
      stop
      continue
      ;;
    esac
    load "$name" 20 10 64
    load "$name" 3 3 200000
    stop
    ran=$((ran + 1))
  done
done

# the liburing server, built here where liburing is (as bench/echo-servers builds it, with the
# build's compiler)
if ${CC:-cc} -O2 -o "$tmp/echo-uring" "$srcdir/bench/echo_uring.c" -luring 2> "$tmp/cc"; then
  # shellcheck disable=SC2086 # no runner: no word
  if serve liburing -- $runner "$tmp/echo-uring" 0; then
    load liburing 20 10 64
    load liburing 3 3 200000
    stop
    ran=$((ran + 1))
  else
    echo "note: liburing: did not start (io_uring refused here?): $(cat "$err")"
  fi
else
  echo "note: liburing: not built (liburing-dev missing?), left out"
fi

echo "$ran servers run, $fails failures"
[ "$ran" -gt 0 ] || exit 77
[ "$fails" = 0 ]
