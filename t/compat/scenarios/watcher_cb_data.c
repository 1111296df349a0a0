/* SPDX-License-Identifier: BSD-2-Clause */
/* ev_init writes only active/pending/priority/cb; data is never touched; ev_set_cb and
 * ev_cb; a callback changed while pending is the one invoked; the union ev_any_watcher. */
#include "scenario.h"

static void
first (struct ev_loop *loop, ev_idle *w, int revents)
{
  (void)loop;
  T ("first %s revents=0x%x", (const char *)w->data, revents);
}

static void
second (struct ev_loop *loop, ev_idle *w, int revents)
{
  (void)loop;
  T ("second %s revents=0x%x", (const char *)w->data, revents);
}

static void
scenario (void)
{
  struct ev_loop *loop = sc_loop_new (0);
  union ev_any_watcher any;
  ev_idle w;

  memset (&w, 0x5a, sizeof w);
  w.data = (void *)"D";
  ev_init (&w, first);
  T ("after ev_init: active %d pending %d priority %d data kept %d cb is first %d", w.active,
     w.pending, w.priority, B (!strcmp ((const char *)w.data, "D")), B (ev_cb (&w) == first));
  ev_idle_start (loop, &w);
  ev_run (loop, EVRUN_NOWAIT);
  ev_set_cb (&w, second);
  T ("cb is second %d", B (ev_cb (&w) == second));
  ev_run (loop, EVRUN_NOWAIT);
  ev_feed_event (loop, &w, EV_CUSTOM);
  ev_set_cb (&w, first);
  ev_idle_stop (loop, &w);
  T ("fed, cb changed, stopped: nothing runs");
  ev_invoke_pending (loop);
  ev_feed_event (loop, &w, EV_CUSTOM);
  ev_set_cb (&w, second);
  T ("fed, cb changed while pending");
  ev_invoke_pending (loop);
  T ("data after stop kept %d", B (!strcmp ((const char *)w.data, "D")));

  ev_timer_init (&any.timer, 0, 1., 0.);
  any.timer.data = (void *)"any";
  ev_timer_start (loop, &any.timer);
  T ("union: w.active via generic %d, timer %d", B (ev_is_active (&any.w)), B (ev_is_active (&any.timer)));
  ev_timer_stop (loop, &any.timer);
  ev_loop_destroy (loop);
}
