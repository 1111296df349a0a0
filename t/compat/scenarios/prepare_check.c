/* SPDX-License-Identifier: BSD-2-Clause */
/* ev_prepare and ev_check: prepare runs in its own pass before the poll (together with
 * anything else pending), check right after the poll before everything else of its
 * priority; several of each in array order; a check that starts a prepare; watchers
 * fed from a prepare run in the prepare pass. */
#include "scenario.h"

static ev_prepare p1, p2, late_p;
static ev_check c1, c2;
static ev_watcher fed;
static int rounds;

static void
cb (struct ev_loop *loop, ev_watcher *w, int revents)
{
  const char *name = (const char *)w->data;

  T ("%s revents=0x%x iteration %u", name, revents, ev_iteration (loop));
  if (w == (ev_watcher *)&p1 && rounds == 0)
    ev_feed_event (loop, &fed, EV_CUSTOM);
  if (w == (ev_watcher *)&c2 && rounds++ == 0)
    ev_prepare_start (loop, &late_p);
}

static void
scenario (void)
{
  struct ev_loop *loop = sc_loop_new (0);
  ev_io io;
  int p[2];

  SC_REQUIRE (pipe (p) == 0);
  SC_REQUIRE (write (p[1], "x", 1) == 1);
  ev_prepare_init (&p1, (void (*) (struct ev_loop *, ev_prepare *, int))cb);
  p1.data = (void *)"prepare1";
  ev_prepare_init (&p2, (void (*) (struct ev_loop *, ev_prepare *, int))cb);
  p2.data = (void *)"prepare2";
  ev_prepare_init (&late_p, (void (*) (struct ev_loop *, ev_prepare *, int))cb);
  late_p.data = (void *)"late prepare";
  ev_check_init (&c1, (void (*) (struct ev_loop *, ev_check *, int))cb);
  c1.data = (void *)"check1";
  ev_check_init (&c2, (void (*) (struct ev_loop *, ev_check *, int))cb);
  c2.data = (void *)"check2";
  ev_init (&fed, cb);
  fed.data = (void *)"fed by prepare1";
  ev_io_init (&io, (void (*) (struct ev_loop *, ev_io *, int))cb, p[0], EV_READ);
  io.data = (void *)"io";

  ev_prepare_start (loop, &p1);
  ev_prepare_start (loop, &p2);
  ev_check_start (loop, &c1);
  ev_check_start (loop, &c2);
  ev_io_start (loop, &io);
  T ("-- iteration with a ready fd");
  ev_run (loop, EVRUN_NOWAIT);
  ev_io_stop (loop, &io);
  T ("-- next iteration");
  ev_run (loop, EVRUN_NOWAIT);
  ev_prepare_stop (loop, &p1);
  ev_check_stop (loop, &c1);
  T ("-- prepare1 and check1 stopped");
  ev_run (loop, EVRUN_NOWAIT);
  ev_prepare_stop (loop, &p2);
  ev_prepare_stop (loop, &late_p);
  ev_check_stop (loop, &c2);
  T ("all stopped: NOWAIT returns %d", ev_run (loop, EVRUN_NOWAIT));
  close (p[0]);
  close (p[1]);
  ev_loop_destroy (loop);
}
