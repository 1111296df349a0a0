/* SPDX-License-Identifier: BSD-2-Clause */
/* Everything due in one iteration at one priority: prepare (before the poll), then check,
 * idle (only if nothing else is pending: not here), periodic, timer, io; the next iteration
 * only prepare, check, idle. */
#include "scenario.h"

static void
cb (struct ev_loop *loop, ev_watcher *w, int revents)
{
  (void)loop;
  T ("%s revents=0x%x", (const char *)w->data, revents);
}

#define CB(type) ((void (*) (struct ev_loop *, type *, int))cb)

static void
scenario (void)
{
  struct ev_loop *loop = sc_loop_new (0);
  ev_prepare pr;
  ev_check ck;
  ev_idle id;
  ev_periodic pe;
  ev_timer ti;
  ev_io io;
  int p[2];

  SC_REQUIRE (pipe (p) == 0);
  SC_REQUIRE (write (p[1], "x", 1) == 1);
  ev_prepare_init (&pr, CB (ev_prepare));
  pr.data = (void *)"prepare";
  ev_check_init (&ck, CB (ev_check));
  ck.data = (void *)"check";
  ev_idle_init (&id, CB (ev_idle));
  id.data = (void *)"idle";
  ev_periodic_init (&pe, CB (ev_periodic), ev_now (loop) - 1., 0., 0);
  pe.data = (void *)"periodic";
  ev_timer_init (&ti, CB (ev_timer), 0., 0.);
  ti.data = (void *)"timer";
  ev_io_init (&io, CB (ev_io), p[0], EV_READ);
  io.data = (void *)"io";
  ev_io_start (loop, &io);
  ev_timer_start (loop, &ti);
  ev_periodic_start (loop, &pe);
  ev_idle_start (loop, &id);
  ev_check_start (loop, &ck);
  ev_prepare_start (loop, &pr);
  T ("-- first iteration");
  ev_run (loop, EVRUN_NOWAIT);
  ev_io_stop (loop, &io);
  T ("-- second iteration");
  ev_run (loop, EVRUN_NOWAIT);
  ev_idle_stop (loop, &id);
  ev_check_stop (loop, &ck);
  ev_prepare_stop (loop, &pr);
  close (p[0]);
  close (p[1]);
  ev_loop_destroy (loop);
}
