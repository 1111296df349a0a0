/* SPDX-License-Identifier: BSD-2-Clause */
/* ev_async, ev_once and the loop's hooks: sends coalesced, a send
 * from a callback, ev_once on a readable fd and on a timeout, the invoke-pending callback,
 * the loop's user data, ev_suspend and ev_resume. */
#include "../scenario.h"

#if EV_ASYNC_ENABLE
static ev_async as;
#endif
static ev_timer tm;
static int invoke_calls;
static int p[2];

#if EV_ASYNC_ENABLE
static void
async_cb (EV_P_ ev_async *w, int revents)
{
  T ("%s revents=0x%x pending %d", w->name, (unsigned)revents, B (ev_async_pending (w)));
  if (w->cb_calls == 1)
    ev_async_send (EV_A_ w);
  else
    ev_async_stop (EV_A_ w);
}
#endif

static void
once_cb (int revents, void *arg)
{
  T ("once %s revents=0x%x", (const char *)arg, (unsigned)revents);
}

static void
timer_cb (EV_P_ ev_timer *w, int revents)
{
#if EV_FEATURE_API
  T ("%s revents=0x%x userdata %s", w->name, (unsigned)revents, (const char *)ev_userdata (EV_A));
#else
  T ("%s revents=0x%x", w->name, (unsigned)revents);
#endif
}

#if EV_FEATURE_API
static void
invoke (EV_P)
{
  ++invoke_calls;
  ev_invoke_pending (EV_A);
}
#endif

static void
scenario (void)
{
#if EV_ASYNC_ENABLE
  ev_async_init (&as, async_cb);
  sc_watch (&as, "async");
  ev_async_start (EV_A_ &as);
  ev_async_send (EV_A_ &as);
  ev_async_send (EV_A_ &as);
  T ("pending after two sends %d", B (ev_async_pending (&as)));
  ev_run (EV_A_ 0);
#else
  T ("no async watchers in this configuration");
#endif

  SC_REQUIRE (pipe (p) == 0);
  SC_REQUIRE (write (p[1], "x", 1) == 1);
  ev_once (EV_A_ p[0], EV_READ, 10., once_cb, (void *)"readable");
  ev_once (EV_A_ -1, 0, 0.02, once_cb, (void *)"timeout");
  ev_run (EV_A_ 0);

#if EV_FEATURE_API
  ev_set_userdata (EV_A_ (void *)"mine");
  ev_set_invoke_pending_cb (EV_A_ invoke);
#endif
  ev_timer_init (&tm, timer_cb, 0.001, 0.);
  sc_watch (&tm, "timer");
  ev_timer_start (EV_A_ &tm);
#if EV_FEATURE_API
  ev_suspend (EV_A);
  ev_resume (EV_A);
#endif
  ev_run (EV_A_ 0);
  T ("invoke callback ran %d times", invoke_calls);
#if EV_ASYNC_ENABLE
  T ("calls async %d timer %d", as.cb_calls, tm.cb_calls);
#else
  T ("calls timer %d", tm.cb_calls);
#endif
  close (p[0]);
  close (p[1]);
}
