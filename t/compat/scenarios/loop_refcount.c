/* SPDX-License-Identifier: BSD-2-Clause */
/* The reference count: ev_run returns it (an int, not a bool), ev_ref/ev_unref change it,
 * an unreferenced timer does not keep ev_run alive. */
#include "scenario.h"

static void
cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)w;
  T ("timer revents=0x%x", revents);
  ev_break (loop, EVBREAK_ONE);
}

static void
idle_cb (struct ev_loop *loop, ev_idle *w, int revents)
{
  (void)revents;
  T ("idle, breaking");
  (void)w;
  ev_break (loop, EVBREAK_ONE);
}

static void
scenario (void)
{
  struct ev_loop *loop = sc_loop_new (0);
  ev_timer t1, t2;
  ev_io io;
  ev_idle idle;
  int fds[2];
  int r;

  SC_REQUIRE (pipe (fds) == 0);
  ev_timer_init (&t1, cb, 10., 0.);
  ev_timer_init (&t2, cb, 10., 0.);
  ev_io_init (&io, 0, fds[0], EV_READ);
  ev_idle_init (&idle, idle_cb);
  ev_timer_start (loop, &t1);
  ev_timer_start (loop, &t2);
  ev_io_start (loop, &io);
  ev_idle_start (loop, &idle);
  r = ev_run (loop, 0);
  T ("break with 4 active watchers: run returns %d", r);
  ev_unref (loop);
  r = ev_run (loop, 0);
  T ("after one unref: run returns %d", r);
  ev_ref (loop);
  ev_ref (loop);
  r = ev_run (loop, 0);
  T ("after two refs: run returns %d", r);
  ev_unref (loop);
  ev_idle_stop (loop, &idle);
  ev_io_stop (loop, &io);
  ev_timer_stop (loop, &t2);
  r = ev_run (loop, EVRUN_NOWAIT);
  T ("one active timer, NOWAIT returns %d", r);

  /* unreferenced timer: ev_run returns 0 at once, the timer does not fire */
  ev_unref (loop);
  r = ev_run (loop, 0);
  T ("unreferenced timer: run returns %d, timer still active %d", r, B (ev_is_active (&t1)));
  ev_ref (loop);
  ev_timer_stop (loop, &t1);

  /* unref with nothing active makes the count negative: ev_run sees it as "not > 0" */
  ev_unref (loop);
  r = ev_run (loop, EVRUN_NOWAIT);
  T ("count -1: NOWAIT returns %d", r);
  ev_ref (loop);
  r = ev_run (loop, EVRUN_NOWAIT);
  T ("count 0: NOWAIT returns %d", r);

  close (fds[0]);
  close (fds[1]);
  ev_loop_destroy (loop);
}
