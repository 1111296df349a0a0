/* SPDX-License-Identifier: BSD-2-Clause */
/* timers.c - the timer workload (common/timers.h) with libuv: restart is
 * uv_timer_stop + uv_timer_start, again is uv_timer_set_repeat +
 * uv_timer_again; libuv counts in milliseconds */
#include "libuv.h"
#include "common/timers.h"

#include <stdlib.h>

static struct timers t;

static void
timer_cb (uv_timer_t *h)
{
  (void)h;
  ++t.fired;
}

static void
stop_all (uv_timer_t *w)
{
  for (long i = 0; i < t.m; ++i)
    uv_timer_stop (&w[i]);
}

void
wl_timers (void)
{
  timers_setup (&t);
  static uv_loop_t loop;
  bench_uv_loop (&loop);
  uv_timer_t *w = calloc ((size_t)t.m, sizeof *w);
  CHECK (w, "calloc");
  for (long i = 0; i < t.m; ++i)
    UVCHECK (uv_timer_init (&loop, &w[i]));
  struct region r;

  for (int pass = 0; pass < t.start_passes; ++pass)
    {
      if (pass)
        stop_all (w);
      region_begin (&r, t.start_label);
      for (long i = 0; i < t.m; ++i)
        uv_timer_start (&w[i], timer_cb, (uint64_t)timers_far_us (&t) / 1000, 0);
      region_end (&r, (double)t.m, "ns/op");
    }

  region_begin (&r, t.restart_label);
  for (long k = 0; k < t.ops; ++k)
    {
      uv_timer_t *x = &w[timers_pick (&t)];
      uv_timer_stop (x);
      uv_timer_start (x, timer_cb, (uint64_t)timers_far_us (&t) / 1000, 0);
    }
  region_end (&r, (double)t.ops, "ns/op");

  region_begin (&r, t.again_label);
  for (long k = 0; k < t.ops; ++k)
    {
      uv_timer_t *x = &w[timers_pick (&t)];
      uv_timer_set_repeat (x, (uint64_t)timers_far_us (&t) / 1000);
      uv_timer_again (x);
    }
  region_end (&r, (double)t.ops, "ns/op");

  region_begin (&r, t.idle_label);
  for (long k = 0; k < t.iters; ++k)
    uv_run (&loop, UV_RUN_NOWAIT);
  region_end (&r, (double)t.iters, "ns/iter");
  if (t.fired)
    die ("timers: %ld far timers expired", t.fired);

  for (int pass = 0; pass < t.expiry_passes; ++pass)
    {
      stop_all (w);
      uv_update_time (&loop);
      int64_t started = now_ns ();
      for (long i = 0; i < t.m; ++i)
        uv_timer_start (&w[i], timer_cb, (uint64_t)timers_soon_us (&t) / 1000, 0);
      timers_wait_due (started, 0);
      t.fired = 0;
      region_begin (&r, t.expiry_label);
      while (t.fired < t.m)
        uv_run (&loop, UV_RUN_NOWAIT);
      region_end (&r, (double)t.m, "ns/timer");
    }

  stop_all (w);
  bench_uv_loop_close (&loop);
  free (w);
}
