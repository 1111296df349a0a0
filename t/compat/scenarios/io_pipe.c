/* SPDX-License-Identifier: BSD-2-Clause */
/* ev_io on pipes and a socketpair: read and write readiness, revents = ready & requested,
 * several watchers on one fd (start order, each gets only its own bits), a READ|WRITE
 * watcher gets the union. */
#include "scenario.h"
#include <sys/socket.h>

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
  ev_io x, y, z, r, wr;
  int p[2], s[2];
  char buf[8];

  SC_REQUIRE (pipe (p) == 0);
  SC_REQUIRE (socketpair (AF_UNIX, SOCK_STREAM, 0, s) == 0);

  T ("-- empty pipe: only the write end is ready");
  ev_io_init (&r, cb, p[0], EV_READ);
  r.data = (void *)"pipe-read";
  ev_io_init (&wr, cb, p[1], EV_WRITE);
  wr.data = (void *)"pipe-write";
  ev_io_start (loop, &r);
  ev_io_start (loop, &wr);
  ev_run (loop, EVRUN_ONCE);
  ev_io_stop (loop, &wr);
  SC_REQUIRE (write (p[1], "ab", 2) == 2);
  T ("-- data written");
  ev_run (loop, EVRUN_ONCE);
  T ("-- not read: level-triggered, again");
  ev_run (loop, EVRUN_ONCE);
  SC_REQUIRE (read (p[0], buf, sizeof buf) == 2);
  ev_io_stop (loop, &r);

  T ("-- three watchers on one socket, started X Y Z");
  ev_io_init (&x, cb, s[0], EV_READ);
  x.data = (void *)"X(R)";
  ev_io_init (&y, cb, s[0], EV_WRITE);
  y.data = (void *)"Y(W)";
  ev_io_init (&z, cb, s[0], EV_READ | EV_WRITE);
  z.data = (void *)"Z(RW)";
  ev_io_start (loop, &x);
  ev_io_start (loop, &y);
  ev_io_start (loop, &z);
  ev_run (loop, EVRUN_ONCE);
  SC_REQUIRE (write (s[1], "q", 1) == 1);
  T ("-- socket readable too");
  ev_run (loop, EVRUN_ONCE);
  ev_io_stop (loop, &y);
  T ("-- Y stopped");
  ev_run (loop, EVRUN_ONCE);
  ev_io_stop (loop, &x);
  ev_io_stop (loop, &z);
  T ("all stopped: NOWAIT returns %d", ev_run (loop, EVRUN_NOWAIT));

  close (p[0]);
  close (p[1]);
  close (s[0]);
  close (s[1]);
  ev_loop_destroy (loop);
}
