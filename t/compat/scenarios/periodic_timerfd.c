/* SPDX-License-Identifier: BSD-2-Clause */
/* Starting the first ev_periodic of a loop creates the timerfd that watches for clock
 * jumps (unless EVFLAG_NOTIMERFD); libev 4.33 updates the loop time (ev_now) when it does
 * so. Later starts and NOTIMERFD loops leave ev_now alone. Observable by a program that
 * computes several trigger times from ev_now between starts: they differ.  Only the
 * wall-clock time is updated: timers started after that first periodic still count from
 * the loop's last monotonic time, so a shorter timer started 0.1 s after a longer one can
 * still fire first. */
#include "scenario.h"

static void
probe (unsigned int flags, const char *what)
{
  struct ev_loop *loop = sc_loop_new (flags);
  ev_periodic p, q;
  ev_tstamp n0, n1, n2;

  ev_sleep (0.01); /* so that any time update yields a different ev_now */
  n0 = ev_now (loop);
  ev_periodic_init (&p, 0, n0 + 100., 0., 0);
  ev_periodic_start (loop, &p);
  n1 = ev_now (loop);
  ev_sleep (0.01);
  ev_periodic_init (&q, 0, n0 + 100., 0., 0);
  ev_periodic_start (loop, &q);
  n2 = ev_now (loop);
  T ("%s: first start updates ev_now %d, second start %d", what, B (n1 != n0), B (n2 != n1));
  ev_periodic_stop (loop, &p);
  ev_periodic_stop (loop, &q);
  ev_loop_destroy (loop);
}

static void
timer_cb (struct ev_loop *l, ev_timer *w, int r)
{
  (void)l, (void)r;
  T ("  timer %s", (const char *)w->data);
}

static void
timer_order (unsigned int flags, const char *what)
{
  struct ev_loop *loop = sc_loop_new (flags);
  ev_timer a, b;
  ev_periodic p;

  T ("%s: timers around the first periodic start", what);
  ev_timer_init (&a, timer_cb, 0.15, 0.);
  a.data = (void *)"A (0.15 s, started first)";
  ev_timer_init (&b, timer_cb, 0.05, 0.);
  b.data = (void *)"B (0.05 s, started 0.2 s later)";
  ev_run (loop, EVRUN_NOWAIT);
  ev_timer_start (loop, &a);
  ev_sleep (0.2);
  ev_periodic_init (&p, 0, 0., 3600., 0);
  ev_periodic_start (loop, &p);
  ev_timer_start (loop, &b);
  while (ev_is_active (&a) || ev_is_active (&b))
    ev_run (loop, EVRUN_ONCE);
  ev_periodic_stop (loop, &p);
  ev_loop_destroy (loop);
}

static void
scenario (void)
{
  probe (0, "default flags");
  probe (EVFLAG_NOTIMERFD, "EVFLAG_NOTIMERFD");
  timer_order (0, "default flags");
  timer_order (EVFLAG_NOTIMERFD, "EVFLAG_NOTIMERFD");
}
