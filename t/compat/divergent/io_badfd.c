/* SPDX-License-Identifier: BSD-2-Clause */
/* An io watcher started on a descriptor that is not open.
 * libev-ng: on every backend the watcher is stopped and invoked with
 *   EV_ERROR | EV_READ | EV_WRITE (ev(3), DIFFERENCES FROM LIBEV 4.33).
 * libev 4.33: the same with select; poll and epoll fail an assertion (abort). */
#include "../scenarios/scenario.h"

static void
cb (struct ev_loop *loop, ev_io *w, int revents)
{
  (void)loop;
  T ("io revents=0x%x active=%d", revents, B (ev_is_active (w)));
}

static void
scenario (void)
{
  struct ev_loop *loop = sc_loop_new (0);
  ev_io w, ok;
  int p[2], bad;

  SC_REQUIRE (pipe (p) == 0);
  bad = p[0];
  close (p[0]); /* a number that is certainly not open */
  SC_REQUIRE (write (p[1], "", 0) == 0);

  ev_io_init (&w, cb, bad, EV_READ);
  ev_io_start (loop, &w);
  ev_io_init (&ok, cb, p[1], EV_WRITE);
  ev_io_start (loop, &ok);
  T ("run returns %d", ev_run (loop, EVRUN_NOWAIT));
  STATE ("bad", &w);
  T ("the loop still works: NOWAIT returns %d", ev_run (loop, EVRUN_NOWAIT));
  ev_io_stop (loop, &ok);
  close (p[1]);
  ev_loop_destroy (loop);
}
