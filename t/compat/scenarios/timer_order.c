/* SPDX-License-Identifier: BSD-2-Clause */
/* Timer expiry order: earliest deadline first; equal deadlines in libev's 4-heap order
 * (six timers started T0..T5 with one delay run T0 T5 T4 T3 T2 T1); the raw heap indices
 * in `active`; a timer stopped in a callback of the same pass does not run. */
#include "scenario.h"

static ev_timer t[6];

static void
cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  int i = (int)(w - t);

  T ("T%d revents=0x%x active=%d", i, revents, B (ev_is_active (w)));
  if (((const char *)w->data)[0] == 's')
    ev_timer_stop (loop, &t[4]);
}

static void
scenario (void)
{
  struct ev_loop *loop = sc_loop_new (0);
  int i;

  T ("-- equal deadlines");
  for (i = 0; i < 6; ++i)
    {
      ev_timer_init (&t[i], cb, 0.002, 0.);
      t[i].data = (void *)"-";
      ev_timer_start (loop, &t[i]);
    }
  T ("heap indices %d %d %d %d %d %d", t[0].active, t[1].active, t[2].active, t[3].active,
     t[4].active, t[5].active);
  ev_run (loop, 0);

  T ("-- T0 latest ... T5 earliest");
  for (i = 0; i < 6; ++i)
    {
      ev_timer_init (&t[i], cb, 0.001 * (6 - i), 0.);
      ev_timer_start (loop, &t[i]);
    }
  T ("heap indices %d %d %d %d %d %d", t[0].active, t[1].active, t[2].active, t[3].active,
     t[4].active, t[5].active);
  ev_run (loop, 0);

  T ("-- equal deadlines, T5 stops T4 in its callback");
  for (i = 0; i < 6; ++i)
    {
      ev_timer_init (&t[i], cb, 0.002, 0.);
      ev_timer_start (loop, &t[i]);
    }
  t[5].data = (void *)"stop T4";
  ev_run (loop, 0);
  STATE ("T4", &t[4]);
  ev_loop_destroy (loop);
}
