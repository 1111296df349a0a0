/* SPDX-License-Identifier: BSD-2-Clause */
/* Priorities: clamped to [-2, 2] by every start (written back, kept after stop);
 * ev_priority reads the raw field; EV_MINPRI/EV_MAXPRI; an io, a timer and a check
 * watcher of different priorities in one iteration. */
#include "scenario.h"

static void
cb (struct ev_loop *loop, ev_watcher *w, int revents)
{
  (void)loop;
  T ("%s prio=%d revents=0x%x", (const char *)w->data, ev_priority (w), revents);
}

static void
scenario (void)
{
  struct ev_loop *loop = sc_loop_new (0);
  ev_timer t;
  ev_idle i;
  ev_io io;
  ev_check ck;
  int fds[2];

  T ("EV_MINPRI=%d EV_MAXPRI=%d", EV_MINPRI, EV_MAXPRI);
  ev_timer_init (&t, (void (*) (struct ev_loop *, ev_timer *, int))cb, 0., 0.);
  t.data = (void *)"timer";
  ev_set_priority (&t, 10);
  T ("set 10: reads %d", ev_priority (&t));
  ev_timer_start (loop, &t);
  T ("after start: %d", ev_priority (&t));
  ev_timer_stop (loop, &t);
  T ("after stop: %d", ev_priority (&t));
  ev_idle_init (&i, (void (*) (struct ev_loop *, ev_idle *, int))cb);
  ev_set_priority (&i, -7);
  ev_idle_start (loop, &i);
  T ("idle set -7, after start: %d", ev_priority (&i));
  ev_idle_stop (loop, &i);

  SC_REQUIRE (pipe (fds) == 0);
  SC_REQUIRE (write (fds[1], "x", 1) == 1);
  ev_io_init (&io, (void (*) (struct ev_loop *, ev_io *, int))cb, fds[0], EV_READ);
  io.data = (void *)"io_p1";
  ev_set_priority (&io, 1);
  ev_io_start (loop, &io);
  ev_timer_set (&t, 0., 0.);
  t.data = (void *)"timer_pm1";
  ev_set_priority (&t, -1);
  ev_timer_start (loop, &t);
  ev_check_init (&ck, (void (*) (struct ev_loop *, ev_check *, int))cb);
  ck.data = (void *)"check_p0";
  ev_check_start (loop, &ck);
  ev_run (loop, EVRUN_ONCE);
  ev_io_stop (loop, &io);
  ev_check_stop (loop, &ck);
  close (fds[0]);
  close (fds[1]);
  ev_loop_destroy (loop);
}
