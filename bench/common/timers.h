/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * timers.h - the timer workload, shared by every library.
 *
 * M timers (M = arg m).  Phases, in this order:
 *   start      start all M, each with a random far timeout (1000 s + [0,1) s);
 *              repeated in passes (stop all between, untimed) until about
 *              1e6 starts were timed;
 *   restart    `ops` times: a random one of the M active timers is stopped,
 *              given a new random far timeout and started;
 *   again      `ops` times: a random timer gets a new random repeat value and
 *              is re-armed in place (ev_timer_again and its equivalents);
 *   idle-iter  `iters` non-blocking loop iterations with M timers, none due;
 *   expiry     all stopped; all M started with a timeout in [0, 1) ms, the
 *              process sleeps until all are due, then the loop is run until
 *              every callback ran (timed per timer); repeated in passes.
 * Timeouts are drawn in microseconds from one seeded generator, so every
 * library sees the same sequence (libuv rounds them to its 1 ms resolution).
 */
#ifndef BENCH_TIMERS_H
#define BENCH_TIMERS_H

#include "harness.h"

#include <time.h>

struct timers
{
  long m;
  int start_passes;
  long ops;          /* restart and again operations */
  long iters;        /* idle iterations */
  int expiry_passes;
  long fired;        /* incremented by the libraries' callbacks */
  struct rng rng;
  char start_label[48], restart_label[48], again_label[48], idle_label[48], expiry_label[48];
};

static inline void
timers_setup (struct timers *t)
{
  t->m = arg_long ("m", 100000);
  if (t->m < 1)
    die ("timers: m must be >= 1");
  long starts = arg_work ("starts", 1000000, 1);
  t->start_passes = (int)((starts + t->m - 1) / t->m);
  if (t->start_passes > 1000)
    t->start_passes = 1000;
  t->ops = arg_work ("ops", 1000000, 1000);
  t->iters = arg_work ("iters", 100000, 100);
  long expiries = arg_work ("expiries", 1000000, 1);
  t->expiry_passes = (int)((expiries + t->m - 1) / t->m);
  if (t->expiry_passes > 100)
    t->expiry_passes = 100; /* each pass sleeps about 2 ms */
  t->fired = 0;
  t->rng = rng_seed (2);
  fmt_label (t->start_label, sizeof t->start_label, "timers/M=%ld/start", t->m);
  fmt_label (t->restart_label, sizeof t->restart_label, "timers/M=%ld/restart", t->m);
  fmt_label (t->again_label, sizeof t->again_label, "timers/M=%ld/again", t->m);
  fmt_label (t->idle_label, sizeof t->idle_label, "timers/M=%ld/idle-iter", t->m);
  fmt_label (t->expiry_label, sizeof t->expiry_label, "timers/M=%ld/expiry", t->m);
}

/* far enough that nothing expires even under valgrind */
static inline long
timers_far_us (struct timers *t)
{
  return 1000000000L + (long)rng_below (&t->rng, 1000000);
}

static inline long
timers_soon_us (struct timers *t)
{
  return (long)rng_below (&t->rng, 1000);
}

static inline uint32_t
timers_pick (struct timers *t)
{
  return rng_below (&t->rng, (uint32_t)t->m);
}

/* after the expiry pass's starts: sleep until every "soon" timer is due
 * (1 ms of spread, 1 ms of margin), plus `slack_ns` for a library whose
 * clock is coarser than that */
static inline void
timers_wait_due (int64_t started_ns, int64_t slack_ns)
{
  int64_t until = started_ns + 2000000 + slack_ns;
  for (int64_t n; (n = now_ns ()) < until;)
    {
      struct timespec ts = { 0, (long)(until - n) };
      nanosleep (&ts, 0);
    }
}

#endif
