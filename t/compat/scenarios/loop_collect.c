/* SPDX-License-Identifier: BSD-2-Clause */
/* io and timeout collect intervals: events are still delivered, in the same order. */
#include "scenario.h"

static void
tcb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)loop;
  T ("timer %s revents=0x%x", (const char *)w->data, revents);
}

static void
iocb (struct ev_loop *loop, ev_io *w, int revents)
{
  char c;

  T ("io revents=0x%x read %d", revents, (int)read (w->fd, &c, 1));
  ev_io_stop (loop, w);
}

static void
scenario (void)
{
  struct ev_loop *loop = sc_loop_new (0);
  ev_timer t[3];
  ev_io io;
  int fds[2];
  int i;

  SC_REQUIRE (pipe (fds) == 0);
  ev_set_io_collect_interval (loop, 0.01);
  ev_set_timeout_collect_interval (loop, 0.01);
  for (i = 0; i < 3; ++i)
    {
      ev_timer_init (&t[i], tcb, 0.002 * (3 - i), 0.);
      t[i].data = (void *)(i == 0 ? "t6ms" : i == 1 ? "t4ms" : "t2ms");
      ev_timer_start (loop, &t[i]);
    }
  T ("timers: run returns %d", ev_run (loop, 0));
  /* separately: whether a ready fd is seen in the same iteration as an expiring timer
   * depends on the machine's speed */
  ev_io_init (&io, iocb, fds[0], EV_READ);
  ev_io_start (loop, &io);
  SC_REQUIRE (write (fds[1], "x", 1) == 1);
  T ("io: run returns %d", ev_run (loop, 0));
  close (fds[0]);
  close (fds[1]);
  ev_loop_destroy (loop);
}
