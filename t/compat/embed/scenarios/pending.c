/* SPDX-License-Identifier: BSD-2-Clause */
/* Pending watchers without a loop argument: ev_feed_event of stopped watchers, LIFO
 * within a priority and highest priority first, ev_clear_pending's revents, ev_invoke
 * (counted by the program's EV_CB_INVOKE too), ev_pending_count, ev_invoke_pending. */
#include "../scenario.h"

static ev_timer a, b, c;
static ev_async d;

static void
cb (EV_P_ ev_watcher *w, int revents)
{
  T ("%s revents=0x%x pending=%d", w->name, (unsigned)revents, B (ev_is_pending (w)));
}

static void
scenario (void)
{
  ev_init (&a, (void (*) (ev_timer *, int))cb);
  ev_init (&b, (void (*) (ev_timer *, int))cb);
  ev_init (&c, (void (*) (ev_timer *, int))cb);
  ev_async_init (&d, (void (*) (ev_async *, int))cb);
  sc_watch (&a, "a");
  sc_watch (&b, "b");
  sc_watch (&c, "c");
  sc_watch (&d, "d");
  ev_set_priority (&c, 1);
  ev_set_priority (&d, -1);
  ev_feed_event (&a, EV_CUSTOM);
  ev_feed_event (&b, EV_TIMER);
  ev_feed_event (&c, EV_TIMER);
  ev_feed_event (&d, EV_ASYNC);
  ev_feed_event (&a, EV_TIMER);
  T ("pending %u a=%d", ev_pending_count (), B (ev_is_pending (&a)));
  T ("clear b: 0x%x", (unsigned)ev_clear_pending (&b));
  T ("clear b again: 0x%x", (unsigned)ev_clear_pending (&b));
  T ("pending %u", ev_pending_count ());
  ev_invoke (&b, EV_CUSTOM);
  ev_invoke_pending ();
  T ("pending %u", ev_pending_count ());
  T ("calls a %d b %d c %d d %d", a.cb_calls, b.cb_calls, c.cb_calls, d.cb_calls);
}
