/* SPDX-License-Identifier: BSD-2-Clause */
/* ev_child with trace: a stopped and a continued child are reported only to watchers that
 * set trace, the final exit to all. */
#include "scenario.h"

static pid_t kid;

static void
cb (struct ev_loop *loop, ev_child *w, int revents)
{
  int st = w->rstatus;

  T ("%s revents=0x%x rpid is kid %d stopped=%d continued=%d signaled=%d sig=%d",
     (const char *)w->data, revents, B (w->rpid == kid), B (WIFSTOPPED (st)),
     B (WIFCONTINUED (st)), B (WIFSIGNALED (st)), WIFSIGNALED (st) ? WTERMSIG (st) : 0);
  ev_break (loop, EVBREAK_ONE);
}

static void
scenario (void)
{
  struct ev_loop *loop = sc_default_loop (0);
  ev_child tr, plain;

  kid = sc_fork ();
  SC_REQUIRE (kid >= 0);
  if (kid == 0)
    {
      raise (SIGSTOP);
      for (;;)
        pause ();
    }
  ev_child_init (&tr, cb, kid, 1);
  tr.data = (void *)"traced";
  ev_child_init (&plain, cb, kid, 0);
  plain.data = (void *)"plain";
  ev_child_start (loop, &tr);
  ev_child_start (loop, &plain);
  T ("trace flag field: traced %d plain %d", tr.flags, plain.flags);
  T ("-- the child stops itself");
  ev_run (loop, 0);
  T ("-- SIGCONT");
  kill (kid, SIGCONT);
  ev_run (loop, 0);
  T ("-- SIGKILL");
  kill (kid, SIGKILL);
  ev_run (loop, 0);
  /* both watchers got the exit: a break lets the rest of the pass run */
  T ("pending: traced %d plain %d", B (ev_is_pending (&tr)), B (ev_is_pending (&plain)));
  ev_run (loop, EVRUN_NOWAIT);
  ev_child_stop (loop, &tr);
  ev_child_stop (loop, &plain);
  ev_loop_destroy (loop);
}
