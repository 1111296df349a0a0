/* SPDX-License-Identifier: BSD-2-Clause */
/* idle.c - many idle connections and a 1 ms repeating timer (common/idle.h)
 * with libev: an ev_io per end, one repeating ev_timer. */
#include "libev.h"
#include "common/idle.h"

#include <stdlib.h>

static struct idle s;

static void
read_cb (struct ev_loop *loop, ev_io *w, int revents)
{
  (void)loop;
  (void)w;
  (void)revents;
  die ("idle: an idle socket became readable");
}

static void
tick_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)revents;
  if (idle_tick (&s))
    ev_timer_stop (loop, w);
}

void
wl_idle (void)
{
  idle_setup (&s);
  struct ev_loop *loop = bench_ev_loop ();
  ev_io *ios = calloc ((size_t)s.n, sizeof *ios);
  CHECK (ios, "calloc");
  for (int i = 0; i < s.n; ++i)
    {
      ev_io_init (&ios[i], read_cb, s.fds[i], EV_READ);
      ev_io_start (loop, &ios[i]);
    }
  ev_timer tick;
  ev_timer_init (&tick, tick_cb, 1e-3, 1e-3);
  ev_run (loop, EVRUN_NOWAIT); /* the registrations, outside the measured runs */
  for (int run = 0; run <= s.runs; ++run)
    {
      struct region r;
      s.fired = 0;
      ev_timer_start (loop, &tick);
      if (run)
        region_begin (&r, s.label);
      while (ev_is_active (&tick))
        ev_run (loop, EVRUN_ONCE);
      if (run)
        region_end (&r, (double)s.fired, "ns/tick");
    }
  for (int i = 0; i < s.n; ++i)
    ev_io_stop (loop, &ios[i]);
  ev_loop_destroy (loop);
  free (ios);
  idle_teardown (&s);
}
