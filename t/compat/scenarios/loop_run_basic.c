/* SPDX-License-Identifier: BSD-2-Clause */
/* ev_run on an empty loop and with one timer: return values, ev_iteration deltas,
 * ev_depth, ev_pending_count, and the EVRUN_NOWAIT / EVRUN_ONCE modes. */
#include "scenario.h"

static void
timer_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  T ("timer revents=0x%x depth=%d active=%d pending_count=%u", revents, ev_depth (loop),
     B (ev_is_active (w)), ev_pending_count (loop));
}

static void
scenario (void)
{
  struct ev_loop *loop = sc_loop_new (0);
  ev_timer t;
  unsigned int it;
  int r;

  T ("depth outside=%d pending_count=%u", ev_depth (loop), ev_pending_count (loop));

  it = ev_iteration (loop);
  r = ev_run (loop, 0);
  T ("empty run: returns %d, iterations %u", r, ev_iteration (loop) - it);

  it = ev_iteration (loop);
  r = ev_run (loop, EVRUN_NOWAIT);
  T ("empty NOWAIT: returns %d, iterations %u", r, ev_iteration (loop) - it);

  it = ev_iteration (loop);
  r = ev_run (loop, EVRUN_ONCE);
  T ("empty ONCE: returns %d, iterations %u", r, ev_iteration (loop) - it);

  /* a pending-but-not-due timer: NOWAIT polls once and returns the reference count */
  ev_timer_init (&t, timer_cb, 10., 0.);
  ev_timer_start (loop, &t);
  it = ev_iteration (loop);
  r = ev_run (loop, EVRUN_NOWAIT);
  T ("NOWAIT with a 10 s timer: returns %d, iterations %u", r, ev_iteration (loop) - it);
  ev_timer_stop (loop, &t);

  ev_timer_set (&t, 0.002, 0.);
  ev_timer_start (loop, &t);
  it = ev_iteration (loop);
  r = ev_run (loop, 0);
  T ("run with a 2 ms timer: returns %d, at least one iteration %d, depth after %d", r,
     B (ev_iteration (loop) - it >= 1), ev_depth (loop));

  ev_timer_set (&t, 0., 0.);
  ev_timer_start (loop, &t);
  it = ev_iteration (loop);
  r = ev_run (loop, EVRUN_ONCE);
  T ("ONCE with a due timer: returns %d, iterations %u", r, ev_iteration (loop) - it);

  ev_loop_destroy (loop);
}
