/* SPDX-License-Identifier: BSD-2-Clause */
/* Timers managed from callbacks: a callback starting a new zero timer (it runs in the
 * next iteration, not in this pass), restarting itself with ev_timer_set, and stopping a
 * pending timer of the same pass. */
#include "scenario.h"

static ev_timer a, b, c, z;
static int rounds;

static void
cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  T ("%s revents=0x%x iteration %u pending b=%d c=%d z=%d", (const char *)w->data, revents,
     ev_iteration (loop), B (ev_is_pending (&b)), B (ev_is_pending (&c)), B (ev_is_pending (&z)));
  if (w == &a)
    {
      ev_timer_stop (loop, &b); /* pending: cancelled */
      ev_timer_start (loop, &z); /* due, but only in the next iteration */
      ev_timer_set (w, 0., 0.);
      if (++rounds < 3)
        ev_timer_start (loop, w);
    }
}

static void
scenario (void)
{
  struct ev_loop *loop = sc_loop_new (0);
  int i;

  ev_timer_init (&a, cb, 0., 0.);
  a.data = (void *)"a";
  ev_timer_init (&b, cb, 0., 0.);
  b.data = (void *)"b";
  ev_timer_init (&c, cb, 0., 0.);
  c.data = (void *)"c";
  ev_timer_init (&z, cb, 0., 0.);
  z.data = (void *)"z";
  /* equal deadlines: heap order c, a, b */
  ev_timer_start (loop, &c);
  ev_timer_start (loop, &b);
  ev_timer_start (loop, &a);
  for (i = 0; i < 4; ++i)
    {
      T ("-- NOWAIT %d", i);
      ev_run (loop, EVRUN_NOWAIT);
    }
  T ("left active a=%d b=%d c=%d z=%d", B (ev_is_active (&a)), B (ev_is_active (&b)),
     B (ev_is_active (&c)), B (ev_is_active (&z)));
  ev_loop_destroy (loop);
}
