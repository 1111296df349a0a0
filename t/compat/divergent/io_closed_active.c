/* SPDX-License-Identifier: BSD-2-Clause */
/* A descriptor closed while its io watcher is active (and registered with the kernel).
 * libev-ng: the watcher is stopped and invoked with EV_ERROR | EV_READ | EV_WRITE on
 *   every backend; with epoll when the loop next wakes up.
 * libev 4.33: select does the same; poll fails an assertion ("poll found invalid fd");
 *   epoll silently stops reporting events: the watcher stays active and never runs. */
#include "../scenarios/scenario.h"

static int io_revents = -1;

static void
cb (struct ev_loop *loop, ev_io *w, int revents)
{
  (void)loop;
  (void)w;
  io_revents = revents;
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
  ev_io w;
  ev_timer guard;
  int p[2];

  SC_REQUIRE (pipe (p) == 0);
  ev_io_init (&w, cb, p[0], EV_READ);
  ev_io_start (loop, &w);
  T ("registered: NOWAIT returns %d", ev_run (loop, EVRUN_NOWAIT));
  close (p[0]);
  ev_timer_init (&guard, guard_cb, 0.5, 0.);
  ev_timer_start (loop, &guard);
  ev_run (loop, 0);
  /* printed afterwards: whether the error or the guard comes first in that last
   * iteration is a matter of timing */
  T ("io callback revents=0x%x, watcher active %d", io_revents, B (ev_is_active (&w)));
  ev_io_stop (loop, &w);
  ev_timer_stop (loop, &guard);
  close (p[1]);
  ev_loop_destroy (loop);
}
