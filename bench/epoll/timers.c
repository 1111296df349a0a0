/* SPDX-License-Identifier: BSD-2-Clause */
/* timers.c - the timer workload (common/timers.h) on the raw epoll loop:
 * restart is stop + start, again moves the entry in place */
#include "rl.h"
#include "common/timers.h"

#include <stdlib.h>

static struct timers t;

static void
timer_cb (struct rl_loop *loop, struct rl_timer *w)
{
  (void)loop;
  (void)w;
  ++t.fired;
}

static void
stop_all (struct rl_loop *loop, struct rl_timer *w)
{
  for (long i = 0; i < t.m; ++i)
    rl_timer_stop (loop, &w[i]);
}

void
wl_timers (void)
{
  timers_setup (&t);
  static struct rl_loop loop;
  rl_init (&loop);
  struct rl_timer *w = calloc ((size_t)t.m, sizeof *w);
  CHECK (w, "calloc");
  for (long i = 0; i < t.m; ++i)
    {
      w[i].slot = RL_INACTIVE;
      w[i].cb = timer_cb;
    }
  struct region r;

  for (int pass = 0; pass < t.start_passes; ++pass)
    {
      if (pass)
        stop_all (&loop, w);
      region_begin (&r, t.start_label);
      for (long i = 0; i < t.m; ++i)
        rl_timer_start (&loop, &w[i], timers_far_us (&t) * 1000);
      region_end (&r, (double)t.m, "ns/op");
    }

  region_begin (&r, t.restart_label);
  for (long k = 0; k < t.ops; ++k)
    {
      struct rl_timer *x = &w[timers_pick (&t)];
      rl_timer_stop (&loop, x);
      rl_timer_start (&loop, x, timers_far_us (&t) * 1000);
    }
  region_end (&r, (double)t.ops, "ns/op");

  region_begin (&r, t.again_label);
  for (long k = 0; k < t.ops; ++k)
    {
      struct rl_timer *x = &w[timers_pick (&t)];
      rl_timer_again (&loop, x, timers_far_us (&t) * 1000);
    }
  region_end (&r, (double)t.ops, "ns/op");

  region_begin (&r, t.idle_label);
  for (long k = 0; k < t.iters; ++k)
    rl_run (&loop, RL_NOWAIT);
  region_end (&r, (double)t.iters, "ns/iter");
  if (t.fired)
    die ("timers: %ld far timers expired", t.fired);

  for (int pass = 0; pass < t.expiry_passes; ++pass)
    {
      stop_all (&loop, w);
      rl_now_update (&loop);
      int64_t started = now_ns ();
      for (long i = 0; i < t.m; ++i)
        rl_timer_start (&loop, &w[i], timers_soon_us (&t) * 1000);
      timers_wait_due (started, 0);
      t.fired = 0;
      region_begin (&r, t.expiry_label);
      while (t.fired < t.m)
        rl_run (&loop, RL_NOWAIT);
      region_end (&r, (double)t.m, "ns/timer");
    }

  stop_all (&loop, w);
  rl_destroy (&loop);
  free (w);
}
