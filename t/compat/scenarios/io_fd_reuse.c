/* SPDX-License-Identifier: BSD-2-Clause */
/* An fd number closed and reused for another file: after ev_io_set (which marks the fd
 * as possibly new with EV__IOFDSET) the watcher gets events from the new file (the manual's
 * "special problem of disappearing file descriptors").  Restarted without ev_io_set, libev
 * 4.33 loses them under epoll: that case is divergent/io_fd_reuse_no_set.c. */
#include "scenario.h"

static void
cb (struct ev_loop *loop, ev_io *w, int revents)
{
  char c;

  T ("io revents=0x%x read=%d", revents, (int)read (w->fd, &c, 1));
  ev_io_stop (loop, w);
}

static void
scenario (void)
{
  struct ev_loop *loop = sc_loop_new (0);
  ev_io w;
  int p[2], q[2], fd;

  SC_REQUIRE (pipe (p) == 0);
  fd = p[0];
  ev_io_init (&w, cb, fd, EV_READ);
  ev_io_start (loop, &w);
  T ("-- empty: NOWAIT returns %d", ev_run (loop, EVRUN_NOWAIT));
  ev_io_stop (loop, &w);
  close (p[0]);
  close (p[1]);

  /* the lowest free numbers: q[0] takes the old read end's number */
  SC_REQUIRE (pipe (q) == 0);
  SC_REQUIRE (q[0] == fd);
  SC_REQUIRE (write (q[1], "n", 1) == 1);
  ev_io_set (&w, q[0], EV_READ);
  ev_io_start (loop, &w);
  T ("-- reused number after ev_io_set");
  ev_run (loop, 0);

  ev_io_stop (loop, &w);
  close (q[0]);
  close (q[1]);
  ev_loop_destroy (loop);
}
