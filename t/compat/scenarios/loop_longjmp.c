/* SPDX-License-Identifier: BSD-2-Clause */
/* Leaving a callback with longjmp: ev_depth is not decremented (it stays 1), the watcher
 * that jumped is no longer pending, the rest of the pass stays queued and runs at the
 * start of the next ev_run, and the loop keeps working. */
#include "scenario.h"
#include <setjmp.h>

static jmp_buf env;

static void
cb (struct ev_loop *loop, ev_watcher *w, int revents)
{
  const char *name = (const char *)w->data;

  T ("%s revents=0x%x depth %d", name, revents, ev_depth (loop));
  if (name[0] == 'B')
    longjmp (env, 1);
}

static void
scenario (void)
{
  struct ev_loop *loop = sc_loop_new (0);
  static ev_watcher a, b, c;

  ev_init (&a, cb);
  a.data = (void *)"A";
  ev_init (&b, cb);
  b.data = (void *)"B (jumps out)";
  ev_init (&c, cb);
  c.data = (void *)"C";
  ev_feed_event (loop, &a, EV_CUSTOM);
  ev_feed_event (loop, &b, EV_CUSTOM);
  ev_feed_event (loop, &c, EV_CUSTOM);
  if (setjmp (env) == 0)
    {
      ev_run (loop, EVRUN_NOWAIT);
      T ("ev_run returned normally?");
    }
  else
    T ("jumped out: depth %d pending A %d B %d C %d count %u", ev_depth (loop),
       B (ev_is_pending (&a)), B (ev_is_pending (&b)), B (ev_is_pending (&c)),
       ev_pending_count (loop));
  ev_run (loop, EVRUN_NOWAIT);
  T ("next run done: depth %d count %u", ev_depth (loop), ev_pending_count (loop));
  ev_feed_event (loop, &c, EV_READ);
  ev_run (loop, EVRUN_NOWAIT);
  ev_loop_destroy (loop);
}
