/* SPDX-License-Identifier: BSD-2-Clause */
/* After ev_loop_fork, a loop with a timerfd (one made by the first ev_periodic start, unless
 * EVFLAG_NOTIMERFD) reschedules every periodic twice in the next iteration: once after the
 * prepare watchers, and once more after every other callback of that iteration's invocation
 * pass (callbacks of every priority, including EV_MINPRI io, timers and checks, run before
 * it).  A program whose reschedule callback counts calls, or moves its periodic each time,
 * sees this.  Without a timerfd nothing is rescheduled. */
#include "scenario.h"

static int resched[2];

static ev_tstamp
rcb (ev_periodic *w, ev_tstamp now)
{
  int i = (int)(long)w->data;
  ++resched[i];
  T ("  reschedule %d (call %d)", i, resched[i]);
  return now + 1000.;
}

static void
nop_periodic (struct ev_loop *l, ev_periodic *w, int r)
{
  (void)l, (void)w, (void)r;
  T ("  periodic fired");
}

static void
io_cb (struct ev_loop *l, ev_io *w, int r)
{
  (void)l, (void)r;
  T ("  io priority %d", ev_priority (w));
}

static void
timer_cb (struct ev_loop *l, ev_timer *w, int r)
{
  (void)l, (void)r;
  T ("  timer priority %d", ev_priority (w));
}

static void
check_cb (struct ev_loop *l, ev_check *w, int r)
{
  (void)l, (void)r;
  T ("  check priority %d", ev_priority (w));
}

static void
fork_cb (struct ev_loop *l, ev_fork *w, int r)
{
  (void)l, (void)w, (void)r;
  T ("  fork callback: %d %d", resched[0], resched[1]);
}

static void
prepare_cb (struct ev_loop *l, ev_prepare *w, int r)
{
  (void)l, (void)w, (void)r;
  T ("  prepare callback: %d %d", resched[0], resched[1]);
}

static void
probe (unsigned int flags, const char *what)
{
  struct ev_loop *loop = sc_loop_new (flags);
  ev_periodic p[2];
  ev_io io[2];
  ev_timer t[2];
  ev_check c[2];
  ev_fork f;
  ev_prepare pr;
  int fds[2];

  T ("%s", what);
  resched[0] = resched[1] = 0;
  SC_REQUIRE (pipe (fds) == 0);
  SC_REQUIRE (write (fds[1], "x", 1) == 1);
  for (int i = 0; i < 2; ++i)
    {
      ev_periodic_init (&p[i], nop_periodic, 0., 0., rcb);
      p[i].data = (void *)(long)i;
      ev_periodic_start (loop, &p[i]);
    }
  ev_fork_init (&f, fork_cb);
  ev_fork_start (loop, &f);
  ev_prepare_init (&pr, prepare_cb);
  ev_prepare_start (loop, &pr);
  T (" after the starts: %d %d", resched[0], resched[1]);
  ev_run (loop, EVRUN_NOWAIT);
  T (" after an iteration: %d %d", resched[0], resched[1]);

  ev_loop_fork (loop);
  for (int i = 0; i < 2; ++i)
    {
      int pri = i ? EV_MINPRI : EV_MAXPRI;
      ev_io_init (&io[i], io_cb, fds[0], EV_READ);
      ev_set_priority (&io[i], pri);
      ev_io_start (loop, &io[i]);
      ev_timer_init (&t[i], timer_cb, 0., 0.);
      ev_set_priority (&t[i], pri);
      ev_timer_start (loop, &t[i]);
      ev_check_init (&c[i], check_cb);
      ev_set_priority (&c[i], pri);
      ev_check_start (loop, &c[i]);
    }
  T (" the iteration after ev_loop_fork:");
  ev_run (loop, EVRUN_NOWAIT);
  T (" after it: %d %d", resched[0], resched[1]);
  for (int i = 0; i < 2; ++i)
    {
      ev_io_stop (loop, &io[i]);
      ev_check_stop (loop, &c[i]);
    }
  ev_run (loop, EVRUN_NOWAIT);
  T (" one more iteration: %d %d", resched[0], resched[1]);
  for (int i = 0; i < 2; ++i)
    ev_periodic_stop (loop, &p[i]);
  ev_fork_stop (loop, &f);
  ev_prepare_stop (loop, &pr);
  ev_loop_destroy (loop);
  close (fds[0]);
  close (fds[1]);
}

static void
scenario (void)
{
  probe (0, "default flags");
  probe (EVFLAG_NOTIMERFD, "EVFLAG_NOTIMERFD");
}
