/* SPDX-License-Identifier: BSD-2-Clause */
/* The libev 3 names (EV_COMPAT3, on by default): ev_loop, ev_unloop, ev_loop_count,
 * ev_loop_depth, ev_loop_verify, EVLOOP_NONBLOCK/ONESHOT, EVUNLOOP_*, EV_TIMEOUT. */
#include "scenario.h"

static void
cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)w;
  T ("timer revents=0x%x is EV_TIMEOUT %d depth=%d", revents, B (revents == EV_TIMEOUT),
     ev_loop_depth (loop));
  ev_unloop (loop, EVUNLOOP_ALL);
}

static void
scenario (void)
{
  struct ev_loop *loop = sc_loop_new (0);
  ev_timer t, guard;
  unsigned int n;

  T ("constants NONBLOCK=%d ONESHOT=%d CANCEL=%d ONE=%d ALL=%d", EVLOOP_NONBLOCK,
     EVLOOP_ONESHOT, EVUNLOOP_CANCEL, EVUNLOOP_ONE, EVUNLOOP_ALL);
  ev_timer_init (&t, cb, 0., 0.);
  ev_timer_init (&guard, cb, 10., 0.);
  ev_timer_start (loop, &t);
  ev_timer_start (loop, &guard);
  n = ev_loop_count (loop);
  ev_loop (loop, 0);
  T ("ev_loop left, count delta %u, guard active %d", ev_loop_count (loop) - n,
     B (ev_is_active (&guard)));
  n = ev_loop_count (loop);
  ev_loop (loop, EVLOOP_NONBLOCK);
  ev_loop (loop, EVLOOP_NONBLOCK);
  T ("two NONBLOCK: count delta %u", ev_loop_count (loop) - n);
  ev_loop_verify (loop);
  ev_timer_stop (loop, &guard);
  ev_loop_destroy (loop);
}
