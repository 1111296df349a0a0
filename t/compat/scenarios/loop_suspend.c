/* SPDX-License-Identifier: BSD-2-Clause */
/* ev_suspend/ev_resume shift timers by the suspended time; ev_now_update; ev_now is frozen
 * inside callbacks; ev_time and ev_sleep. Times themselves are never printed: only
 * comparisons that hold whatever the machine's speed. */
#include "scenario.h"

static void
cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  ev_tstamp n1 = ev_now (loop);

  ev_sleep (0.002);
  T ("%s revents=0x%x, ev_now frozen in callback %d", (const char *)w->data, revents,
     B (ev_now (loop) == n1));
}

static void
scenario (void)
{
  struct ev_loop *loop = sc_loop_new (0);
  ev_timer t;
  ev_tstamp before, rem1, rem2;

  before = ev_now (loop);
  ev_sleep (0.002);
  T ("ev_now not updated by sleeping %d", B (ev_now (loop) == before));
  ev_now_update (loop);
  T ("ev_now_update moves it forward %d", B (ev_now (loop) > before));
  T ("ev_time close to ev_now %d", B (ev_time () - ev_now (loop) < 1. && ev_time () >= ev_now (loop) - 1.));
  ev_sleep (0.);
  ev_sleep (-1.);
  T ("ev_sleep with 0 and -1 returned");

  ev_timer_init (&t, cb, 0.3, 0.);
  t.data = (void *)"timer";
  ev_timer_start (loop, &t);
  rem1 = ev_timer_remaining (loop, &t);
  ev_suspend (loop);
  ev_sleep (0.05);
  ev_resume (loop);
  rem2 = ev_timer_remaining (loop, &t);
  /* the timer did not lose the suspended time: its remaining time barely changed */
  T ("remaining kept across suspend %d", B (rem1 - rem2 < 0.04));
  ev_timer_stop (loop, &t);

  ev_timer_set (&t, 0.005, 0.);
  ev_timer_start (loop, &t);
  ev_suspend (loop);
  ev_resume (loop);
  T ("run returns %d", ev_run (loop, 0));
  ev_loop_destroy (loop);
}
