#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t/iouring_levels.sh - every fallback of the io_uring backend, forced on this kernel: the backend's
# own suite and the generic suites that load it most (fds, embedding, fork, wake-ups from threads,
# streams: io_uring's engine, its single-shot receives, or the readiness engine) on io_uring, once
# per feature level that LIBEV_NG_IOURING (backends/iouring_ring.h) leaves it: the kernels servers
# run (Linux 5.6, the first the backend takes, 5.15, 6.1, 6.8, 6.12, where the wait is epoll_wait:
# backends/iouring.cc (d)), and every feature one at a time.  The default level (everything the
# kernel has) is what the suites themselves run.  Skipped (77) where the kernel (or the emulator
# that runs a cross build's programs, $EMULATOR) refuses io_uring.
#
#   top_builddir=. t/iouring_levels.sh                  # every level, 3 at once (IOURING_JOBS)
#   IOURING_LEVELS='6.1 -epoll-wait' IOURING_SUITES=ev_io t/iouring_levels.sh
set -u
builddir=${top_builddir:-.}
srcdir=${top_srcdir:-.}
EMULATOR=${EMULATOR:-}
levels=${IOURING_LEVELS:-"5.6 5.15 6.1 6.8 6.12 -epoll-wait -registered-ring -single-issuer -defer-taskrun -cqe-skip -submit-all -ext-arg -streams -accept-multishot -recv-multishot -min-wait"}
suites=${IOURING_SUITES:-"backend_iouring ev_io ev_embed ev_fork async_threads ev_ng_stream ev_ng_stream_cxx"}

# run PROGRAM ARGS...: a suite (libtool's wrapper of it, in a shared build) as `make check`
# runs it: directly, or in a cross build under the emulator (t/port/run-test)
run () {
  if [ -n "$EMULATOR" ]; then
    "$srcdir/t/port/run-test" "$@"
  else
    "$@"
  fi
}

built () { [ -x "$builddir/t/$1" ] || { echo "no $builddir/t/$1 (make check builds it)"; exit 99; }; }
built backend_iouring
run "$builddir/t/backend_iouring" > /dev/null 2>&1
case $? in
  77)
    if [ -n "$EMULATOR" ]; then
      echo "SKIP: no io_uring under $EMULATOR"
    else
      echo "SKIP: no io_uring here"
    fi
    exit 77
    ;;
esac
for s in $suites; do built "$s"; done

# One level's suites, one after another; its failures in $builddir/t/iouring_levels.LEVEL.failed.
# The levels run IOURING_JOBS at once (default 3): most of a suite's time is spent waiting on
# timers and sockets, and each suite's loops are its own.
run_level () {
  level=$1
  failed_file=$builddir/t/iouring_levels.$level.failed
  : > "$failed_file"
  for s in $suites; do
    log=$builddir/t/iouring_levels.$level.$s.log
    if ! LIBEV_NG_IOURING=$level HARNESS_BACKENDS=io_uring run "$builddir/t/$s" > "$log" 2>&1; then
      case $? in
        77) rm -f "$log"; continue ;;
      esac
      {
        echo "FAIL: LIBEV_NG_IOURING=$level HARNESS_BACKENDS=io_uring t/$s; its last lines:"
        tail -n 20 "$log" | sed 's/^/  /'
      } >> "$failed_file"
      continue
    fi
    rm -f "$log"
  done
  echo "done: LIBEV_NG_IOURING=$level: $suites"
}

jobs=${IOURING_JOBS:-3}
running=0
for level in $levels; do
  run_level "$level" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait
    running=0
  fi
done
wait

failed=""
for level in $levels; do
  failed_file=$builddir/t/iouring_levels.$level.failed
  if [ -s "$failed_file" ]; then
    cat "$failed_file"
    failed="$failed $level"
  fi
  rm -f "$failed_file"
done
if [ -n "$failed" ]; then
  echo "failed at the levels:$failed (logs: t/iouring_levels.LEVEL.SUITE.log)"
  exit 1
fi
