/* SPDX-License-Identifier: BSD-2-Clause */
/* Idle, prepare and check watchers: the idle rule over priorities
 * -1 .. 1, prepare before and check after the poll, ev_iteration and ev_depth, a nested
 * ev_run, ev_break, references. */
#include "../scenario.h"

#if EV_IDLE_ENABLE && EV_PREPARE_ENABLE && EV_CHECK_ENABLE
static ev_idle ilo, ihi;
static ev_prepare pr;
static ev_check ck;
static ev_timer tm;
static int rounds;

static void
idle_cb (EV_P_ ev_idle *w, int revents)
{
  T ("%s revents=0x%x depth %d", w->name, (unsigned)revents, SC_DEPTH ());
  if (w == &ihi && ++rounds == 2)
    ev_idle_stop (EV_A_ w);
}

static void
prepare_cb (EV_P_ ev_prepare *w, int revents)
{
  T ("%s revents=0x%x iteration %d", w->name, (unsigned)revents, SC_ITERATION ());
}

static void
check_cb (EV_P_ ev_check *w, int revents)
{
  T ("%s revents=0x%x iteration %d", w->name, (unsigned)revents, SC_ITERATION ());
  if (w->cb_calls == 4) /* (iteration 4) */
    {
      T ("nested run: %d", ev_run (EV_A_ EVRUN_NOWAIT) > 0);
      ev_break (EV_A_ EVBREAK_ALL);
    }
}

static void
timer_cb (EV_P_ ev_timer *w, int revents)
{
  T ("%s revents=0x%x", w->name, (unsigned)revents);
}

static void
scenario (void)
{
  ev_idle_init (&ilo, idle_cb);
  ev_idle_init (&ihi, idle_cb);
  ev_prepare_init (&pr, prepare_cb);
  ev_check_init (&ck, check_cb);
  ev_timer_init (&tm, timer_cb, 0., 0.);
  sc_watch (&ilo, "idle-1");
  sc_watch (&ihi, "idle1");
  sc_watch (&pr, "prepare");
  sc_watch (&ck, "check");
  sc_watch (&tm, "timer0");
  ev_set_priority (&ilo, -1);
  ev_set_priority (&ihi, 1);
  ev_idle_start (EV_A_ &ilo);
  ev_idle_start (EV_A_ &ihi);
  ev_prepare_start (EV_A_ &pr);
  ev_check_start (EV_A_ &ck);
  ev_timer_start (EV_A_ &tm);
  T ("run: %d", ev_run (EV_A_ 0) > 0);
  T ("iteration %d depth %d", SC_ITERATION (), SC_DEPTH ());
  ev_unref (EV_A);
  ev_idle_stop (EV_A_ &ilo);
  ev_check_stop (EV_A_ &ck);
  T ("run without references: %d", ev_run (EV_A_ 0));
  ev_ref (EV_A);
  ev_prepare_stop (EV_A_ &pr);
  T ("calls idle-1 %d idle1 %d prepare %d check %d", ilo.cb_calls, ihi.cb_calls, pr.cb_calls, ck.cb_calls);
}
#else
static void
scenario (void)
{
  T ("no idle, prepare or check watchers in this configuration");
}
#endif
