/* SPDX-License-Identifier: BSD-2-Clause */
/* Changing what an io watcher waits for: stop/ev_io_modify/start, ev_io_set to another
 * fd, a zero event mask (accepted, active, never invoked), a watcher restarted on the same
 * fd with other events. */
#include "scenario.h"

static void
cb (struct ev_loop *loop, ev_io *w, int revents)
{
  (void)loop;
  T ("%s revents=0x%x", (const char *)w->data, revents);
}

static void
scenario (void)
{
  struct ev_loop *loop = sc_loop_new (0);
  ev_io w, zero;
  int p[2], q[2];

  SC_REQUIRE (pipe (p) == 0 && pipe (q) == 0);
  SC_REQUIRE (write (p[1], "x", 1) == 1);

  ev_io_init (&zero, cb, p[0], 0);
  zero.data = (void *)"zero-mask";
  ev_io_start (loop, &zero);
  STATE ("zero-mask", &zero);

  ev_io_init (&w, cb, p[1], EV_READ);
  w.data = (void *)"w";
  ev_io_start (loop, &w);
  T ("-- write end, READ only: NOWAIT returns %d", ev_run (loop, EVRUN_NOWAIT));
  ev_io_stop (loop, &w);
  ev_io_modify (&w, EV_WRITE);
  ev_io_start (loop, &w);
  T ("-- modified to WRITE");
  ev_run (loop, EVRUN_ONCE);
  ev_io_stop (loop, &w);
  ev_io_set (&w, p[0], EV_READ | EV_WRITE);
  ev_io_start (loop, &w);
  T ("-- moved to the read end, READ|WRITE");
  ev_run (loop, EVRUN_ONCE);
  ev_io_stop (loop, &w);
  ev_io_set (&w, q[0], EV_READ);
  ev_io_start (loop, &w);
  T ("-- moved to an empty pipe: NOWAIT returns %d", ev_run (loop, EVRUN_NOWAIT));
  SC_REQUIRE (write (q[1], "y", 1) == 1);
  ev_run (loop, EVRUN_ONCE);
  ev_io_stop (loop, &w);
  STATE ("zero-mask at the end", &zero);
  ev_io_stop (loop, &zero);

  close (p[0]);
  close (p[1]);
  close (q[0]);
  close (q[1]);
  ev_loop_destroy (loop);
}
