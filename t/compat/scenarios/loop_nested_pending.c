/* SPDX-License-Identifier: BSD-2-Clause */
/* A nested ev_run inside a callback first invokes what is still pending from the outer
 * pass (at depth 2), so the outer pass has nothing left when the callback returns;
 * ev_invoke_pending called from a callback does the same without a new iteration. */
#include "scenario.h"

static int mode;

static void
cb (struct ev_loop *loop, ev_watcher *w, int revents)
{
  const char *name = (const char *)w->data;
  unsigned int it = ev_iteration (loop);

  T ("%s revents=0x%x depth %d pending count %u", name, revents, ev_depth (loop),
     ev_pending_count (loop));
  if (name[0] == 'C')
    {
      if (mode == 0)
        {
          T ("C: nested NOWAIT run");
          ev_run (loop, EVRUN_NOWAIT);
        }
      else
        {
          T ("C: ev_invoke_pending");
          ev_invoke_pending (loop);
        }
      T ("C: back, iterations %u", ev_iteration (loop) - it);
    }
}

static void
scenario (void)
{
  struct ev_loop *loop = sc_loop_new (0);
  ev_watcher a, b, c;

  ev_init (&a, cb);
  a.data = (void *)"A";
  ev_init (&b, cb);
  b.data = (void *)"B";
  ev_init (&c, cb);
  c.data = (void *)"C";
  for (mode = 0; mode < 2; ++mode)
    {
      ev_feed_event (loop, &a, EV_CUSTOM);
      ev_feed_event (loop, &b, EV_CUSTOM);
      ev_feed_event (loop, &c, EV_CUSTOM);
      ev_run (loop, EVRUN_NOWAIT);
      T ("outer run done, depth %d", ev_depth (loop));
    }
  ev_loop_destroy (loop);
}
