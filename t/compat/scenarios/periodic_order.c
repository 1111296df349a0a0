/* SPDX-License-Identifier: BSD-2-Clause */
/* Periodics against timers and each other: expired periodics are queued after timers, so
 * at equal priority they run before them; several expired periodics run earliest first,
 * equal ones in heap order; the raw heap indices. */
#include "scenario.h"

static void
cb (struct ev_loop *loop, ev_watcher *w, int revents)
{
  (void)loop;
  T ("%s revents=0x%x", (const char *)w->data, revents);
}

static void
scenario (void)
{
  struct ev_loop *loop = sc_loop_new (0);
  ev_periodic p[4];
  ev_timer t;
  ev_idle idle;
  ev_check ck;
  static const char *names[4] = { "P0(-3)", "P1(-5)", "P2(-3)", "P3(-4)" };
  static const int ago[4] = { 3, 5, 3, 4 };
  ev_tstamp now;
  int i;

  /* trigger times from one reading of ev_now: P0 and P2 are exactly equal (starting the
   * first periodic may update ev_now, see periodic_timerfd) */
  now = ev_now (loop);
  for (i = 0; i < 4; ++i)
    {
      ev_periodic_init (&p[i], (void (*) (struct ev_loop *, ev_periodic *, int))cb,
                        now - ago[i], 0., 0);
      p[i].data = (void *)names[i];
      ev_periodic_start (loop, &p[i]);
    }
  T ("heap indices %d %d %d %d", p[0].active, p[1].active, p[2].active, p[3].active);
  ev_timer_init (&t, (void (*) (struct ev_loop *, ev_timer *, int))cb, 0., 0.);
  t.data = (void *)"timer";
  ev_timer_start (loop, &t);
  ev_idle_init (&idle, (void (*) (struct ev_loop *, ev_idle *, int))cb);
  idle.data = (void *)"idle";
  ev_idle_start (loop, &idle);
  ev_check_init (&ck, (void (*) (struct ev_loop *, ev_check *, int))cb);
  ck.data = (void *)"check";
  ev_check_start (loop, &ck);
  ev_run (loop, EVRUN_NOWAIT);
  T ("-- second iteration");
  ev_run (loop, EVRUN_NOWAIT);
  ev_idle_stop (loop, &idle);
  ev_check_stop (loop, &ck);
  ev_loop_destroy (loop);
}
