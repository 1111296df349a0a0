/* SPDX-License-Identifier: BSD-2-Clause */
/* Callbacks that change other io watchers of the same pass: stopping a pending watcher
 * cancels its invocation; starting a new watcher on a ready fd in a callback does not make
 * it run in the same pass; a watcher stopping and restarting itself. */
#include "scenario.h"

static ev_io a, b, c, late;

static void
cb (struct ev_loop *loop, ev_io *w, int revents)
{
  const char *name = (const char *)w->data;

  T ("%s revents=0x%x; pending a=%d b=%d c=%d", name, revents, B (ev_is_pending (&a)),
     B (ev_is_pending (&b)), B (ev_is_pending (&c)));
  if (!strcmp (name, "c"))
    {
      ev_io_stop (loop, &b);
      ev_io_start (loop, &late);
      ev_io_stop (loop, w);
      ev_io_start (loop, w);
    }
}

static void
scenario (void)
{
  struct ev_loop *loop = sc_loop_new (0);
  int p[2];

  SC_REQUIRE (pipe (p) == 0);
  SC_REQUIRE (write (p[1], "x", 1) == 1);
  ev_io_init (&a, cb, p[0], EV_READ);
  a.data = (void *)"a";
  ev_io_init (&b, cb, p[0], EV_READ);
  b.data = (void *)"b";
  ev_io_init (&c, cb, p[0], EV_READ);
  c.data = (void *)"c";
  ev_io_init (&late, cb, p[0], EV_READ);
  late.data = (void *)"late";
  /* same fd: invoked in start order, so c (started first) runs first */
  ev_io_start (loop, &c);
  ev_io_start (loop, &b);
  ev_io_start (loop, &a);
  T ("-- iteration 1");
  ev_run (loop, EVRUN_ONCE);
  T ("-- iteration 2");
  ev_run (loop, EVRUN_ONCE);
  ev_io_stop (loop, &a);
  ev_io_stop (loop, &c);
  ev_io_stop (loop, &late);
  close (p[0]);
  close (p[1]);
  ev_loop_destroy (loop);
}
