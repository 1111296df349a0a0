/* SPDX-License-Identifier: BSD-2-Clause */
/* Repeating timers: active inside their callback (non-repeating ones are not), changing
 * `repeat` from the callback, stopping from the callback; after a long callback no
 * catch-up burst (at most one call per iteration). */
#include "scenario.h"

static int n;
static unsigned int last_iter;
static int bursts;

static void
cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  ++n;
  T ("%s #%d revents=0x%x active=%d repeat>0 %d", (const char *)w->data, n, revents,
     B (ev_is_active (w)), B (w->repeat > 0.));
  if (n == 2)
    w->repeat = 0.001; /* read-write: used at the next rescheduling */
  if (n == 4)
    ev_timer_stop (loop, w);
}

static void
slow_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)revents;
  if (n && ev_iteration (loop) == last_iter)
    ++bursts;
  last_iter = ev_iteration (loop);
  if (++n == 5)
    ev_timer_stop (loop, w);
  ev_sleep (0.01); /* ten periods late each time */
}

static void
scenario (void)
{
  struct ev_loop *loop = sc_loop_new (0);
  ev_timer r, once;

  ev_timer_init (&r, cb, 0.001, 0.002);
  r.data = (void *)"repeating";
  ev_timer_init (&once, cb, 0.0005, 0.);
  once.data = (void *)"once";
  ev_timer_start (loop, &r);
  T ("run returns %d", ev_run (loop, 0));
  T ("calls %d", n);

  n = 0;
  ev_timer_start (loop, &once);
  ev_run (loop, 0);
  T ("non-repeating: n=%d active=%d", n, B (ev_is_active (&once)));

  n = 0;
  ev_timer_init (&r, slow_cb, 0., 0.001);
  ev_timer_start (loop, &r);
  ev_run (loop, 0);
  T ("slow callback: calls %d, more than one call in an iteration %d", n, bursts);
  ev_loop_destroy (loop);
}
