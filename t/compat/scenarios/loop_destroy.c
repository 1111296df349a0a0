/* SPDX-License-Identifier: BSD-2-Clause */
/* ev_loop_destroy: runs the cleanup watchers in a normal invocation pass, which also
 * runs every other pending watcher; watchers are not stopped by it before that. Cleanup
 * watchers hold no reference; their raw active index.  (What the watchers look like after
 * the loop is gone is divergent/loop_destroy_watchers.c.) */
#include "scenario.h"

static ev_timer timer;

static void
cleanup_cb (struct ev_loop *loop, ev_cleanup *w, int revents)
{
  T ("cleanup %s revents=0x%x active=%d pending_count=%u", (const char *)w->data, revents,
     B (ev_is_active (w)), ev_pending_count (loop));
  T ("  timer still active %d", B (ev_is_active (&timer)));
}

static void
fed_cb (struct ev_loop *loop, ev_watcher *w, int revents)
{
  (void)loop;
  T ("fed %s revents=0x%x", (const char *)w->data, revents);
}

static void
scenario (void)
{
  struct ev_loop *loop = sc_loop_new (0);
  ev_cleanup c1, c2, c3;
  ev_watcher f;
  ev_idle hi;

  ev_cleanup_init (&c1, cleanup_cb);
  c1.data = (void *)"c1";
  ev_cleanup_init (&c2, cleanup_cb);
  c2.data = (void *)"c2";
  ev_cleanup_init (&c3, cleanup_cb);
  c3.data = (void *)"c3";
  ev_cleanup_start (loop, &c1);
  ev_cleanup_start (loop, &c2);
  ev_cleanup_start (loop, &c3);
  T ("raw active: c1=%d c2=%d c3=%d", c1.active, c2.active, c3.active);
  ev_cleanup_stop (loop, &c1);
  T ("after stopping c1: c2=%d c3=%d", c2.active, c3.active);
  ev_cleanup_start (loop, &c1);
  T ("restarted c1=%d", c1.active);
  T ("only cleanups: run returns %d", ev_run (loop, 0));

  ev_timer_init (&timer, 0, 100., 0.);
  ev_timer_start (loop, &timer);
  ev_init (&f, fed_cb);
  f.data = (void *)"low";
  ev_set_priority (&f, -1);
  ev_feed_event (loop, &f, EV_CUSTOM);
  ev_idle_init (&hi, (void (*) (struct ev_loop *, ev_idle *, int))fed_cb);
  hi.data = (void *)"high";
  ev_set_priority (&hi, 2);
  ev_feed_event (loop, &hi, EV_IDLE);
  T ("destroying");
  ev_loop_destroy (loop);
  T ("destroyed");
}
