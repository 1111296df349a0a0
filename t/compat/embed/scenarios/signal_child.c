/* SPDX-License-Identifier: BSD-2-Clause */
/* Signals and children: a signal raised from a timer's callback, a
 * fed signal, two children with their exit status (in the default loop only). */
#include "../scenario.h"

#if EV_SIGNAL_ENABLE
static ev_signal usr1, usr2;
static ev_timer raiser;

static void
signal_cb (EV_P_ ev_signal *w, int revents)
{
  T ("%s signum %d revents=0x%x", w->name, w->signum, (unsigned)revents);
  ev_signal_stop (EV_A_ w);
}

#if EV_CHILD_ENABLE && !SC_LOOP_NEW
static ev_child any, one;
static pid_t kid;

static void
child_cb (EV_P_ ev_child *w, int revents)
{
  T ("%s revents=0x%x ours %d exit %d", w->name, (unsigned)revents, B (w->rpid == kid),
     WIFEXITED (w->rstatus) ? WEXITSTATUS (w->rstatus) : -1);
  ev_child_stop (EV_A_ w);
}
#endif

static void
raise_cb (EV_P_ ev_timer *w, int revents)
{
  T ("%s revents=0x%x", w->name, (unsigned)revents);
  raise (SIGUSR1);
  ev_feed_signal (SIGUSR2);
}

static void
scenario (void)
{
  ev_signal_init (&usr1, signal_cb, SIGUSR1);
  ev_signal_init (&usr2, signal_cb, SIGUSR2);
  ev_timer_init (&raiser, raise_cb, 0.001, 0.);
  sc_watch (&usr1, "usr1");
  sc_watch (&usr2, "usr2");
  sc_watch (&raiser, "raiser");
  ev_signal_start (EV_A_ &usr1);
  ev_signal_start (EV_A_ &usr2);
  ev_timer_start (EV_A_ &raiser);
  ev_run (EV_A_ 0);

#if !EV_CHILD_ENABLE || SC_LOOP_NEW
  T ("calls usr1 %d usr2 %d (child watchers: only in the default loop)", usr1.cb_calls, usr2.cb_calls);
#else
  kid = fork ();
  SC_REQUIRE (kid >= 0);
  if (!kid)
    _exit (7);
  ev_child_init (&one, child_cb, kid, 0);
  ev_child_init (&any, child_cb, 0, 0);
  sc_watch (&one, "one");
  sc_watch (&any, "any");
  ev_child_start (EV_A_ &one);
  ev_run (EV_A_ 0);
  T ("any still active %d", B (ev_is_active (&any)));
  ev_child_stop (EV_A_ &any);
  T ("calls usr1 %d usr2 %d one %d", usr1.cb_calls, usr2.cb_calls, one.cb_calls);
#endif
}
#else
static void
scenario (void)
{
  T ("no signal watchers in this configuration");
}
#endif
