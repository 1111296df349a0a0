/* SPDX-License-Identifier: BSD-2-Clause */
/* timers.c - the timer workload (common/timers.h) with libevent: restart is
 * event_del + event_add, "again" is event_add on a pending event (which
 * reschedules it) */
#include "libevent.h"
#include "common/timers.h"

#include <stdlib.h>

static struct timers t;

static void
timer_cb (evutil_socket_t fd, short what, void *arg)
{
  (void)fd;
  (void)what;
  (void)arg;
  ++t.fired;
}

static void
stop_all (struct event_array *a)
{
  for (long i = 0; i < t.m; ++i)
    event_del (event_at (a, i));
}

void
wl_timers (void)
{
  timers_setup (&t);
  struct event_base *base = bench_event_base ();
  struct event_array w;
  event_array_init (&w, (size_t)t.m);
  for (long i = 0; i < t.m; ++i)
    evtimer_assign (event_at (&w, i), base, timer_cb, 0);
  /* libevent reads a coarse clock by default: wait one more tick of it
   * before expecting the "soon" timers to be due */
  struct timespec res;
  int64_t slack = clock_getres (CLOCK_MONOTONIC_COARSE, &res) ? 10000000 : res.tv_nsec;
  struct region r;

  for (int pass = 0; pass < t.start_passes; ++pass)
    {
      if (pass)
        stop_all (&w);
      region_begin (&r, t.start_label);
      for (long i = 0; i < t.m; ++i)
        {
          struct timeval tv = tv_us (timers_far_us (&t));
          evtimer_add (event_at (&w, i), &tv);
        }
      region_end (&r, (double)t.m, "ns/op");
    }

  region_begin (&r, t.restart_label);
  for (long k = 0; k < t.ops; ++k)
    {
      struct event *x = event_at (&w, timers_pick (&t));
      struct timeval tv = tv_us (timers_far_us (&t));
      event_del (x);
      evtimer_add (x, &tv);
    }
  region_end (&r, (double)t.ops, "ns/op");

  region_begin (&r, t.again_label);
  for (long k = 0; k < t.ops; ++k)
    {
      struct event *x = event_at (&w, timers_pick (&t));
      struct timeval tv = tv_us (timers_far_us (&t));
      evtimer_add (x, &tv);
    }
  region_end (&r, (double)t.ops, "ns/op");

  region_begin (&r, t.idle_label);
  for (long k = 0; k < t.iters; ++k)
    event_base_loop (base, EVLOOP_NONBLOCK);
  region_end (&r, (double)t.iters, "ns/iter");
  if (t.fired)
    die ("timers: %ld far timers expired", t.fired);

  for (int pass = 0; pass < t.expiry_passes; ++pass)
    {
      stop_all (&w);
      event_base_update_cache_time (base);
      int64_t started = now_ns ();
      for (long i = 0; i < t.m; ++i)
        {
          struct timeval tv = tv_us (timers_soon_us (&t));
          evtimer_add (event_at (&w, i), &tv);
        }
      timers_wait_due (started, slack);
      t.fired = 0;
      region_begin (&r, t.expiry_label);
      while (t.fired < t.m)
        event_base_loop (base, EVLOOP_NONBLOCK);
      region_end (&r, (double)t.m, "ns/timer");
    }

  stop_all (&w);
  event_base_free (base);
  free (w.mem);
}
