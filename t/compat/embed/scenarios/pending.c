/* SPDX-License-Identifier: BSD-2-Clause */
/* Pending watchers: ev_feed_event of stopped watchers, LIFO
 * within a priority and highest priority first, ev_clear_pending's revents, ev_invoke
 * (counted by the program's EV_CB_INVOKE too), ev_pending_count, ev_invoke_pending. */
#include "../scenario.h"

static ev_timer a, b, c;
/* d: a watcher of another type, where the configuration has one */
#if EV_ASYNC_ENABLE
static ev_async d;
#define D_INIT() ev_async_init (&d, (void (*) (EV_P_ ev_async *, int))cb)
#else
static ev_io d;
#define D_INIT() ev_io_init (&d, (void (*) (EV_P_ ev_io *, int))cb, 0, EV_READ)
#endif

static void
cb (EV_P_ ev_watcher *w, int revents)
{
  T ("%s revents=0x%x pending=%d", w->name, (unsigned)revents, B (ev_is_pending (w)));
}

static void
scenario (void)
{
  ev_init (&a, (void (*) (EV_P_ ev_timer *, int))cb);
  ev_init (&b, (void (*) (EV_P_ ev_timer *, int))cb);
  ev_init (&c, (void (*) (EV_P_ ev_timer *, int))cb);
  D_INIT ();
  sc_watch (&a, "a");
  sc_watch (&b, "b");
  sc_watch (&c, "c");
  sc_watch (&d, "d");
  ev_set_priority (&c, 1);
  ev_set_priority (&d, -1);
  ev_feed_event (EV_A_ &a, EV_CUSTOM);
  ev_feed_event (EV_A_ &b, EV_TIMER);
  ev_feed_event (EV_A_ &c, EV_TIMER);
  ev_feed_event (EV_A_ &d, EV_ASYNC);
  ev_feed_event (EV_A_ &a, EV_TIMER);
  T ("pending %d a=%d", SC_PENDING (), B (ev_is_pending (&a)));
  T ("clear b: 0x%x", (unsigned)ev_clear_pending (EV_A_ &b));
  T ("clear b again: 0x%x", (unsigned)ev_clear_pending (EV_A_ &b));
  T ("pending %d", SC_PENDING ());
  ev_invoke (EV_A_ &b, EV_CUSTOM);
  ev_invoke_pending (EV_A);
  T ("pending %d", SC_PENDING ());
  T ("calls a %d b %d c %d d %d", a.cb_calls, b.cb_calls, c.cb_calls, d.cb_calls);
}
