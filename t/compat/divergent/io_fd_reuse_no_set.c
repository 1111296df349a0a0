/* SPDX-License-Identifier: BSD-2-Clause */
/* An fd number closed and reused for another file while its watcher was stopped, and the
 * watcher restarted without ev_io_set (the manual asks for ev_io_set there).
 * libev-ng: the watcher gets the new file's events on every backend (the fd had no watcher
 *   for a moment, so it is registered anew; ev(3), DIFFERENCES FROM LIBEV 4.33).
 * libev 4.33: select and poll report them; epoll keeps trusting the registration the close
 *   removed and never reports anything, nor an error. */
#include "../scenarios/scenario.h"

static void
cb (struct ev_loop *loop, ev_io *w, int revents)
{
  char c;

  T ("io revents=0x%x read=%d", revents, (int)read (w->fd, &c, 1));
  ev_io_stop (loop, w);
}

static void
timeout_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)w;
  T ("timeout revents=0x%x", revents);
  ev_break (loop, EVBREAK_ONE);
}

static void
scenario (void)
{
  struct ev_loop *loop = sc_loop_new (0);
  ev_io w;
  ev_timer t;
  int p[2], q[2], fd;

  SC_REQUIRE (pipe (p) == 0);
  fd = p[0];
  SC_REQUIRE (write (p[1], "o", 1) == 1);
  ev_io_init (&w, cb, fd, EV_READ);
  ev_io_start (loop, &w);
  T ("-- the first file: ev_run returns %d", ev_run (loop, 0));
  close (p[0]);
  close (p[1]);

  SC_REQUIRE (pipe (q) == 0);
  SC_REQUIRE (q[0] == fd);
  SC_REQUIRE (write (q[1], "m", 1) == 1);
  ev_io_start (loop, &w);
  ev_timer_init (&t, timeout_cb, 0.05, 0.);
  ev_timer_start (loop, &t);
  T ("-- the number reused, the watcher restarted without ev_io_set");
  ev_run (loop, 0);
  STATE ("io", &w);
  ev_io_stop (loop, &w);
  ev_timer_stop (loop, &t);
  close (q[0]);
  close (q[1]);
  ev_loop_destroy (loop);
}
