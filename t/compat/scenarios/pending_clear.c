/* SPDX-License-Identifier: BSD-2-Clause */
/* ev_clear_pending returns the accumulated revents and leaves a dummy slot that
 * ev_pending_count still counts; *_stop clears pending (also of a never-started, only fed
 * watcher); ev_invoke calls synchronously and leaves pending state alone. */
#include "scenario.h"

static void
cb (struct ev_loop *loop, ev_watcher *w, int revents)
{
  T ("%s revents=0x%x pending=%d count=%u", (const char *)w->data, revents, B (ev_is_pending (w)),
     ev_pending_count (loop));
}

static void
scenario (void)
{
  struct ev_loop *loop = sc_loop_new (0);
  ev_watcher a, b;
  ev_timer t;
  ev_io io;
  int r;

  ev_init (&a, cb);
  a.data = (void *)"a";
  ev_init (&b, cb);
  b.data = (void *)"b";

  ev_feed_event (loop, &a, EV_READ);
  ev_feed_event (loop, &a, EV_WRITE);
  ev_feed_event (loop, &b, EV_CUSTOM);
  r = ev_clear_pending (loop, &a);
  T ("clear a returns 0x%x; a pending %d; count %u", r, B (ev_is_pending (&a)),
     ev_pending_count (loop));
  T ("clear a again returns 0x%x", ev_clear_pending (loop, &a));
  ev_invoke_pending (loop);
  T ("after the pass count %u", ev_pending_count (loop));

  T ("-- ev_invoke is synchronous");
  ev_feed_event (loop, &b, EV_READ);
  ev_invoke (loop, &b, EV_WRITE);
  T ("b still pending %d", B (ev_is_pending (&b)));
  ev_invoke_pending (loop);

  T ("-- stop clears pending, even when never started");
  ev_timer_init (&t, (void (*) (struct ev_loop *, ev_timer *, int))cb, 5., 0.);
  t.data = (void *)"t";
  ev_feed_event (loop, &t, EV_TIMER);
  STATE ("t fed", &t);
  ev_timer_stop (loop, &t);
  STATE ("t stopped", &t);
  ev_io_init (&io, (void (*) (struct ev_loop *, ev_io *, int))cb, 0, EV_READ);
  io.data = (void *)"io";
  ev_io_start (loop, &io);
  ev_feed_event (loop, &io, EV_READ);
  STATE ("io fed", &io);
  ev_io_stop (loop, &io);
  STATE ("io stopped", &io);
  T ("count %u", ev_pending_count (loop));
  ev_invoke_pending (loop);
  T ("nothing was invoked; count %u", ev_pending_count (loop));
  ev_loop_destroy (loop);
}
