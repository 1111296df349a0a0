/* SPDX-License-Identifier: BSD-2-Clause */
/* Timers: equal deadlines in libev's heap order, the heap indices
 * in `active`, repeat and ev_timer_again, a stop from another timer's callback, priorities
 * clamped into -1 .. 1 by the start, the call counter of EV_CB_DECLARE, and the members of
 * EV_COMMON left alone. */
#include "../scenario.h"

static ev_timer t[6], rep;
static int reps;

static void
cb (EV_P_ ev_timer *w, int revents)
{
  T ("%s revents=0x%x active=%d pri=%d", w->name, (unsigned)revents, B (ev_is_active (w)), ev_priority (w));
  if (w == &t[5])
    ev_timer_stop (EV_A_ &t[4]);
}

static void
rep_cb (EV_P_ ev_timer *w, int revents)
{
  T ("%s revents=0x%x repeat=%g", w->name, (unsigned)revents, w->repeat);
  if (++reps == 3)
    ev_timer_stop (EV_A_ w);
  else if (reps == 2)
    {
      w->repeat = 0.002;
      ev_timer_again (EV_A_ w);
    }
}

static void
scenario (void)
{
  static const char *names[] = { "T0", "T1", "T2", "T3", "T4", "T5" };
  int i;

  for (i = 0; i < 6; ++i)
    {
      ev_timer_init (&t[i], cb, 0.002, 0.);
      sc_watch (&t[i], names[i]);
      ev_set_priority (&t[i], i == 1 ? 7 : i == 2 ? -9 : i % 3 - 1);
      ev_timer_start (EV_A_ &t[i]);
    }
  T ("heap indices %d %d %d %d %d %d", t[0].active, t[1].active, t[2].active, t[3].active, t[4].active,
     t[5].active);
  T ("priorities %d %d %d %d %d %d", ev_priority (&t[0]), ev_priority (&t[1]), ev_priority (&t[2]),
     ev_priority (&t[3]), ev_priority (&t[4]), ev_priority (&t[5]));
  ev_run (EV_A_ 0);

  ev_timer_init (&rep, rep_cb, 0.001, 0.001);
  sc_watch (&rep, "rep");
  ev_timer_start (EV_A_ &rep);
  T ("remaining positive %d", B (ev_timer_remaining (EV_A_ &rep) > 0.));
  ev_run (EV_A_ 0);
  T ("loop time %d", B (ev_now (EV_A) > 1e9));
  for (i = 0; i < 6; ++i)
    T ("%s calls %d", t[i].name, t[i].cb_calls);
  T ("rep calls %d", rep.cb_calls);
  SC_COMMON (&t[0]);
  SC_COMMON (&rep);
}
