/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * calls.h - the calls servers make all day that the other workloads do not
 * measure (issue 33), shared by every library:
 *
 *  - calls/stop-inactive/KIND: stopping a watcher that is not active (a
 *    defensive stop: an HTTP/2 server stops its timers five times a
 *    request, nearly always inactive ones), per call, `ops` calls;
 *  - calls/clear-pending: ev_clear_pending of a watcher that is not pending;
 *  - calls/timer-again-inactive: ev_timer_again on an inactive repeating
 *    timer (which starts it), CALLS_N distinct timers, stopped again
 *    outside the region; calls/timer-again-active: on an active one (the
 *    inactivity timeout pushed back), CALLS_N timers in turn;
 *  - calls/feed-invoke/N=1000: ev_feed_event to CALLS_N distinct watchers,
 *    then one ev_invoke_pending, per event;
 *  - calls/io-rearm/N=1000: re-arming an io watcher (stop, set, start with
 *    the same fd and events), CALLS_N watchers on as many fds, and one
 *    non-blocking iteration after each pass, which applies them to the
 *    kernel; per re-arm.
 * A library without an equivalent prints n/a, never an invented one.
 */
#ifndef BENCH_CALLS_H
#define BENCH_CALLS_H

#include "harness.h"

#define CALLS_N 1000

struct calls_bench
{
  long ops;     /* calls per stop-inactive and clear-pending row */
  long passes;  /* passes over CALLS_N watchers for the other rows */
  long calls;   /* incremented by the fed callbacks */
};

static const char *const calls_stop_kinds[] = {
  "io", "timer", "periodic", "signal", "child", "stat", "idle",
  "prepare", "check", "fork", "cleanup", "async", "embed",
};
#define CALLS_STOP_KINDS (sizeof calls_stop_kinds / sizeof *calls_stop_kinds)

static inline void
calls_setup (struct calls_bench *b)
{
  b->ops = arg_work ("ops", 1000000, 1000);
  b->passes = arg_work ("passes", 1000, 10);
  b->calls = 0;
}

/* "calls/stop-inactive/KIND" in a static buffer per kind */
static inline const char *
calls_stop_label (unsigned kind)
{
  static char buf[CALLS_STOP_KINDS][48];
  return fmt_label (buf[kind], sizeof buf[kind], "calls/stop-inactive/%s", calls_stop_kinds[kind]);
}

static inline void
calls_check (struct calls_bench *b, long expected, const char *what)
{
  if (b->calls != expected)
    die ("calls: %s: %ld callbacks, expected %ld", what, b->calls, expected);
  b->calls = 0;
}

#endif
