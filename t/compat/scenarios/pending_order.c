/* SPDX-License-Identifier: BSD-2-Clause */
/* The pending queue: LIFO within a priority, highest priority first, feeding during a
 * pass restarts at the top, feeding twice ORs the revents (one call), raw pending slots. */
#include "scenario.h"

static struct ev_loop *loop;
static ev_watcher w[6];

static void
cb (struct ev_loop *l, ev_watcher *x, int revents)
{
  const char *name = (const char *)x->data;

  (void)l;
  T ("%s prio=%d revents=0x%x pending_count=%u", name, ev_priority (x), revents,
     ev_pending_count (loop));
  if (name[0] == 'C' && name[1] == '!')
    {
      ev_feed_event (loop, &w[3], EV_CUSTOM); /* D, priority 0 */
      ev_feed_event (loop, &w[4], EV_CUSTOM); /* E, priority 2 */
    }
}

static void
scenario (void)
{
  static const char *names[6] = { "A", "B", "C", "D", "E", "F" };
  int i;

  loop = sc_loop_new (0);
  for (i = 0; i < 6; ++i)
    {
      ev_init (&w[i], cb);
      w[i].data = (void *)names[i];
    }

  T ("-- same priority fed A B C");
  for (i = 0; i < 3; ++i)
    ev_feed_event (loop, &w[i], EV_CUSTOM);
  T ("raw pending A=%d B=%d C=%d count=%u", w[0].pending, w[1].pending, w[2].pending,
     ev_pending_count (loop));
  ev_invoke_pending (loop);

  T ("-- A fed twice: READ then WRITE");
  ev_feed_event (loop, &w[0], EV_READ);
  ev_feed_event (loop, &w[1], EV_TIMER);
  ev_feed_event (loop, &w[0], EV_WRITE);
  T ("raw pending A=%d B=%d count=%u", w[0].pending, w[1].pending, ev_pending_count (loop));
  ev_invoke_pending (loop);

  T ("-- mixed priorities");
  ev_set_priority (&w[0], 0);
  ev_set_priority (&w[1], 2);
  ev_set_priority (&w[2], -2);
  ev_set_priority (&w[3], 0);
  ev_set_priority (&w[4], 1);
  ev_set_priority (&w[5], -1);
  for (i = 0; i < 6; ++i)
    ev_feed_event (loop, &w[i], EV_CUSTOM);
  T ("raw pending A=%d B=%d C=%d D=%d E=%d F=%d", w[0].pending, w[1].pending, w[2].pending,
     w[3].pending, w[4].pending, w[5].pending);
  ev_run (loop, EVRUN_NOWAIT);

  T ("-- C feeds D (0) and E (2) while B and A are pending");
  for (i = 0; i < 6; ++i)
    ev_set_priority (&w[i], 0);
  ev_set_priority (&w[4], 2);
  w[2].data = (void *)"C!";
  ev_feed_event (loop, &w[0], EV_CUSTOM);
  ev_feed_event (loop, &w[1], EV_CUSTOM);
  ev_feed_event (loop, &w[2], EV_CUSTOM);
  ev_run (loop, EVRUN_NOWAIT);

  ev_loop_destroy (loop);
}
