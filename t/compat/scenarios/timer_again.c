/* SPDX-License-Identifier: BSD-2-Clause */
/* ev_timer_again: clears pending; active and non-repeating => stopped; repeating =>
 * restarted with `repeat` (started if inactive); inactive and non-repeating => nothing.
 * The "again" idiom for an activity timeout. */
#include "scenario.h"

static int fired;

static void
cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  ++fired;
  T ("%s revents=0x%x", (const char *)w->data, revents);
  if (!strcmp ((const char *)w->data, "activity timeout"))
    {
      T ("  active in callback %d, stopping it", B (ev_is_active (w)));
      ev_timer_stop (loop, w);
    }
}

static void
scenario (void)
{
  struct ev_loop *loop = sc_loop_new (0);
  ev_timer t;
  int i;

  ev_timer_init (&t, cb, 5., 0.);
  t.data = (void *)"t";
  ev_timer_again (loop, &t);
  STATE ("inactive, repeat 0, after again", &t);

  ev_timer_start (loop, &t);
  ev_timer_again (loop, &t);
  STATE ("active, repeat 0, after again", &t);

  t.repeat = 10.;
  ev_timer_again (loop, &t);
  STATE ("inactive, repeat 10, after again", &t);
  T ("remaining about 10 %d", B (ev_timer_remaining (loop, &t) > 9.9 && ev_timer_remaining (loop, &t) <= 10.));

  ev_feed_event (loop, &t, EV_TIMER);
  STATE ("fed", &t);
  ev_timer_again (loop, &t);
  STATE ("fed, after again", &t);

  t.repeat = 0.;
  ev_feed_event (loop, &t, EV_TIMER);
  ev_timer_again (loop, &t);
  STATE ("fed, repeat 0, after again", &t);
  T ("invocations so far %d", fired);

  /* activity timeout: kept alive by again() until the activity stops */
  ev_timer_init (&t, cb, 0., 0.1);
  t.data = (void *)"activity timeout";
  ev_timer_again (loop, &t);
  for (i = 0; i < 5; ++i)
    {
      ev_sleep (0.002);
      ev_run (loop, EVRUN_NOWAIT);
      ev_timer_again (loop, &t);
    }
  T ("after 5 activities fired %d", fired);
  T ("run returns %d", ev_run (loop, 0));
  STATE ("end", &t);
  ev_loop_destroy (loop);
}
