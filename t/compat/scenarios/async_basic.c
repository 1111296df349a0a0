/* SPDX-License-Identifier: BSD-2-Clause */
/* ev_async: sends coalesce into one callback, ev_async_pending from send until the loop
 * processes it, several async watchers run in start order, a send to a stopped watcher is
 * lost when it is started (start resets `sent`), EV_ASYNC revents, the raw `sent` field. */
#include "scenario.h"

static void
cb (struct ev_loop *loop, ev_async *w, int revents)
{
  (void)loop;
  T ("%s revents=0x%x pending in cb %d", (const char *)w->data, revents, B (ev_async_pending (w)));
}

static void
scenario (void)
{
  struct ev_loop *loop = sc_loop_new (0);
  ev_async x, y, z;

  ev_async_init (&x, cb);
  x.data = (void *)"x";
  ev_async_init (&y, cb);
  y.data = (void *)"y";
  ev_async_init (&z, cb);
  z.data = (void *)"z";
  ev_async_start (loop, &x);
  ev_async_start (loop, &y);
  ev_async_start (loop, &z);
  T ("fresh: pending %d", B (ev_async_pending (&x)));

  T ("-- x sent three times");
  ev_async_send (loop, &x);
  ev_async_send (loop, &x);
  ev_async_send (loop, &x);
  T ("pending %d", B (ev_async_pending (&x)));
  ev_run (loop, EVRUN_NOWAIT);
  T ("after: pending %d; NOWAIT again", B (ev_async_pending (&x)));
  ev_run (loop, EVRUN_NOWAIT);

  T ("-- sent z, x, y");
  ev_async_send (loop, &z);
  ev_async_send (loop, &x);
  ev_async_send (loop, &y);
  ev_run (loop, EVRUN_NOWAIT);

  T ("-- send to stopped y, then start");
  ev_async_stop (loop, &y);
  ev_async_send (loop, &y);
  T ("stopped y pending %d", B (ev_async_pending (&y)));
  ev_async_start (loop, &y);
  T ("started y pending %d", B (ev_async_pending (&y)));
  ev_run (loop, EVRUN_NOWAIT);

  T ("-- sent, then stopped before the loop ran");
  ev_async_send (loop, &z);
  ev_async_stop (loop, &z);
  ev_run (loop, EVRUN_NOWAIT);
  T ("async watchers hold references: NOWAIT returns %d", ev_run (loop, EVRUN_NOWAIT));
  ev_async_stop (loop, &x);
  ev_async_stop (loop, &y);
  ev_loop_destroy (loop);
}
