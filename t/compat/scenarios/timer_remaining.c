/* SPDX-License-Identifier: BSD-2-Clause */
/* The `at` field and ev_timer_remaining: inactive => the delay; stop leaves the remaining
 * time, so restarting without ev_timer_set continues with the rest, and an expired timer
 * restarted fires at once; after <= 0 fires in the first iteration; negative delays keep
 * their order. */
#include "scenario.h"

static void
cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)loop;
  T ("%s revents=0x%x", (const char *)w->data, revents);
}

static void
scenario (void)
{
  struct ev_loop *loop = sc_loop_new (0);
  ev_timer t, a, b, c;
  ev_tstamp r;

  ev_timer_init (&t, cb, 5., 0.);
  t.data = (void *)"t";
  T ("inactive: remaining == delay %d, at == 5 %d", B (ev_timer_remaining (loop, &t) == 5.),
     B (t.at == 5.));
  ev_timer_start (loop, &t);
  r = ev_timer_remaining (loop, &t);
  T ("active: remaining in (4.9, 5] %d", B (r > 4.9 && r <= 5.));
  ev_sleep (0.01);
  ev_now_update (loop);
  ev_timer_stop (loop, &t);
  r = ev_timer_remaining (loop, &t);
  T ("stopped after 10 ms: remaining in (4.8, 4.995) %d, equals at %d", B (r > 4.8 && r < 4.995),
     B (r == t.at));
  ev_timer_start (loop, &t);
  r = ev_timer_remaining (loop, &t);
  T ("restarted: continues with the rest %d", B (r > 4.8 && r < 4.995));
  ev_timer_stop (loop, &t);

  ev_timer_set (&t, 0.001, 0.);
  ev_timer_start (loop, &t);
  ev_run (loop, 0);
  T ("expired: at <= 0 %d", B (t.at <= 0.));
  ev_timer_start (loop, &t);
  T ("expired timer restarted: NOWAIT");
  ev_run (loop, EVRUN_NOWAIT);

  ev_timer_init (&a, cb, 0., 0.);
  a.data = (void *)"a(0)";
  ev_timer_init (&b, cb, -1., 0.);
  b.data = (void *)"b(-1)";
  ev_timer_init (&c, cb, -0.5, 0.);
  c.data = (void *)"c(-0.5)";
  ev_timer_start (loop, &a);
  ev_timer_start (loop, &b);
  ev_timer_start (loop, &c);
  T ("-- delays 0, -1, -0.5: one NOWAIT iteration");
  ev_run (loop, EVRUN_NOWAIT);
  ev_loop_destroy (loop);
}
