/* SPDX-License-Identifier: BSD-2-Clause */
/* timers.c - the timer workload (common/timers.h) with libev */
#include "libev.h"
#include "common/timers.h"

#include <stdlib.h>

static struct timers t;

static void
timer_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)loop;
  (void)w;
  (void)revents;
  ++t.fired;
}

static void
stop_all (struct ev_loop *loop, ev_timer *w)
{
  for (long i = 0; i < t.m; ++i)
    ev_timer_stop (loop, &w[i]);
}

void
wl_timers (void)
{
  timers_setup (&t);
  struct ev_loop *loop = bench_ev_loop ();
  ev_timer *w = calloc ((size_t)t.m, sizeof *w);
  CHECK (w, "calloc");
  for (long i = 0; i < t.m; ++i)
    ev_init (&w[i], timer_cb);
  struct region r;

  for (int pass = 0; pass < t.start_passes; ++pass)
    {
      if (pass)
        stop_all (loop, w);
      region_begin (&r, t.start_label);
      for (long i = 0; i < t.m; ++i)
        {
          ev_timer_set (&w[i], timers_far_us (&t) * 1e-6, 0.);
          ev_timer_start (loop, &w[i]);
        }
      region_end (&r, (double)t.m, "ns/op");
    }

  region_begin (&r, t.restart_label);
  for (long k = 0; k < t.ops; ++k)
    {
      ev_timer *x = &w[timers_pick (&t)];
      ev_timer_stop (loop, x);
      ev_timer_set (x, timers_far_us (&t) * 1e-6, 0.);
      ev_timer_start (loop, x);
    }
  region_end (&r, (double)t.ops, "ns/op");

  region_begin (&r, t.again_label);
  for (long k = 0; k < t.ops; ++k)
    {
      ev_timer *x = &w[timers_pick (&t)];
      x->repeat = timers_far_us (&t) * 1e-6;
      ev_timer_again (loop, x);
    }
  region_end (&r, (double)t.ops, "ns/op");

  region_begin (&r, t.idle_label);
  for (long k = 0; k < t.iters; ++k)
    ev_run (loop, EVRUN_NOWAIT);
  region_end (&r, (double)t.iters, "ns/iter");
  if (t.fired)
    die ("timers: %ld far timers expired", t.fired);

  for (int pass = 0; pass < t.expiry_passes; ++pass)
    {
      stop_all (loop, w);
      ev_now_update (loop);
      int64_t started = now_ns ();
      for (long i = 0; i < t.m; ++i)
        {
          ev_timer_set (&w[i], timers_soon_us (&t) * 1e-6, 0.);
          ev_timer_start (loop, &w[i]);
        }
      timers_wait_due (started, 0);
      t.fired = 0;
      region_begin (&r, t.expiry_label);
      while (t.fired < t.m)
        ev_run (loop, EVRUN_NOWAIT);
      region_end (&r, (double)t.m, "ns/timer");
    }

  stop_all (loop, w);
  ev_loop_destroy (loop);
  free (w);
}
