/* SPDX-License-Identifier: BSD-2-Clause */
/* The order of the child watchers that one child's exit wakes: watchers of any pid started
 * before and after one of the child's pid, all at the highest priority, so the order they
 * were queued in is the order they run in; it follows from how the configuration's
 * EV_PID_HASHSIZE buckets hold them (a child whose pid falls into any pid's bucket, 0, is
 * waited for and another forked, so that the default's 16 buckets give one order). */
#include "../scenario.h"

#if EV_CHILD_ENABLE && !SC_LOOP_NEW
static ev_child any1, one, any2;
static pid_t kid;

static void
child_cb (EV_P_ ev_child *w, int revents)
{
  T ("%s revents=0x%x ours %d exit %d priority %d", w->name, (unsigned)revents, B (w->rpid == kid),
     WIFEXITED (w->rstatus) ? WEXITSTATUS (w->rstatus) : -1, ev_priority (w));
  ev_child_stop (EV_A_ w);
}

static void
scenario (void)
{
  int status;

  for (;;)
    {
      kid = fork ();
      SC_REQUIRE (kid >= 0);
      if (!kid)
        _exit (5);
      if (kid & 15)
        break;
      SC_REQUIRE (waitpid (kid, &status, 0) == kid);
    }
  ev_child_init (&any1, child_cb, 0, 0);
  ev_child_init (&one, child_cb, kid, 0);
  ev_child_init (&any2, child_cb, 0, 0);
  sc_watch (&any1, "any1");
  sc_watch (&one, "one");
  sc_watch (&any2, "any2");
  ev_child_start (EV_A_ &any1);
  ev_child_start (EV_A_ &one);
  ev_child_start (EV_A_ &any2);
  ev_run (EV_A_ 0);
  T ("calls any1 %d one %d any2 %d", any1.cb_calls, one.cb_calls, any2.cb_calls);
}
#else
static void
scenario (void)
{
  T ("no child watchers in this configuration");
}
#endif
