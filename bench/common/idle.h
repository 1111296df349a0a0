/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * idle.h - many idle connections and a 1 ms repeating timer, shared by every
 * library: what a loop costs per wake-up for carrying N watched sockets that
 * say nothing.
 *
 * N socketpair ends are watched for reading and never become readable; a
 * timer repeats every millisecond.  One run waits for T ticks (timed per
 * tick).  Each tick is one blocking iteration that wakes for the timer
 * alone, so the wall-clock time per tick is the millisecond itself: the
 * rows to read are the process's CPU time per tick (bench/run --clock cpu)
 * and the instructions per tick (bench/callgrind).  Whatever a library does
 * now and then on its own (libev-ng's closed-fd sweep, which polls the
 * watched fds a slice at a time) is in the per-tick figures, spread over the
 * ticks.  One warm-up run is not measured.
 */
#ifndef BENCH_IDLE_H
#define BENCH_IDLE_H

#include "harness.h"
#include "sockets.h"

struct idle
{
  int n;
  long ticks; /* T: ticks per run */
  int runs;   /* measured runs; one warm-up run precedes them */
  int *fds;
  long fired;
  char label[64];
};

static inline void
idle_setup (struct idle *s)
{
  s->n = (int)arg_long ("n", 10000);
  if (s->n < 2 || s->n % 2)
    die ("idle: need n even >= 2");
  /* a tick is a millisecond of real time whatever the scale: --quick and
   * callgrind get fewer ticks, never fewer than 200 */
  s->ticks = arg_work ("ticks", 1000, 200);
  s->runs = (int)arg_long ("runs", 3);
  s->fds = socket_ring (s->n);
  fmt_label (s->label, sizeof s->label, "idle/N=%d/tick", s->n);
}

/* the timer callback's body: true when the run has had its ticks */
static inline int
idle_tick (struct idle *s)
{
  return ++s->fired >= s->ticks;
}

static inline void
idle_teardown (struct idle *s)
{
  socket_ring_free (s->fds, s->n);
}

#endif
