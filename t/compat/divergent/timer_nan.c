/* SPDX-License-Identifier: BSD-2-Clause */
/* A timer whose timeout is NaN.
 * libev-ng: a usage error at ev_timer_start, then abort.
 * libev 4.33: accepts it; the NaN timer never fires and, at the top of the heap, keeps
 *   every other timer of the loop from firing (lost events: the 1 ms timer below). */
#include "../scenarios/scenario.h"
#include <math.h>

static int fired;

static void
cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)loop;
  (void)w;
  (void)revents;
  ++fired;
}

static void
guard_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)w;
  (void)revents;
  ev_break (loop, EVBREAK_ALL);
}

static void
scenario (void)
{
  struct ev_loop *loop = sc_loop_new (0);
  ev_timer n, t;
  ev_periodic guard;

  ev_timer_init (&t, cb, 0.001, 0.);
  ev_timer_start (loop, &t);
  ev_timer_init (&n, cb, NAN, 0.);
  T ("starting a NaN timer");
  ev_timer_start (loop, &n);
  /* the guard is a periodic: timers are what is broken */
  ev_periodic_init (&guard, (void (*) (struct ev_loop *, ev_periodic *, int))guard_cb,
                    ev_now (loop) + 0.2, 0., 0);
  ev_periodic_start (loop, &guard);
  ev_run (loop, 0);
  T ("after 200 ms: timer callbacks %d", fired);
  ev_timer_stop (loop, &n);
  ev_timer_stop (loop, &t);
  ev_periodic_stop (loop, &guard);
  ev_loop_destroy (loop);
}
