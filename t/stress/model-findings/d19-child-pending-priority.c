/* SPDX-License-Identifier: BSD-2-Clause */
/* A child watcher that is pending (fed at priority 0 by a priority-2 check watcher, which
 * runs before the loop processes SIGCHLD) when its child's exit is processed.
 *   libev 4.33:  child watcher: revents 0x1000000, priority 2, rstatus 0x300
 *                (the priority is forced to EV_MAXPRI while the watcher is queued at
 *                priority 0, and EV_CHILD is lost: it goes into a slot of the priority-2
 *                queue; t/stress/model.c never feeds child watchers because of this)
 *   libev-ng:    child watcher: revents 0x1000800, priority 0, rstatus 0x300
 * Status: better
 * Expect: child watcher: revents 0x1000800, priority 0, rstatus 0x300 */
#include <ev.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static ev_child c;

static void
ccb (struct ev_loop *l, ev_child *w, int r)
{
  (void)l;
  printf ("child watcher: revents %#x, priority %d, rstatus %#x\n", r, ev_priority (w), w->rstatus);
}

static void
kcb (struct ev_loop *l, ev_check *w, int r)
{
  (void)r;
  ev_feed_event (l, &c, EV_CUSTOM);
  ev_check_stop (l, w);
}

int
main (void)
{
  struct ev_loop *l = ev_default_loop (EVBACKEND_POLL | EVFLAG_NOENV);
  ev_check k;
  ev_check_init (&k, kcb);
  ev_set_priority (&k, 2);
  ev_check_start (l, &k);
  ev_child_init (&c, ccb, 0, 0);
  ev_child_start (l, &c);
  pid_t pid = fork ();
  if (!pid)
    _exit (3);
  siginfo_t si;
  waitid (P_PID, (id_t)pid, &si, WEXITED | WNOWAIT); /* SIGCHLD has been delivered */
  ev_run (l, EVRUN_NOWAIT);
  ev_run (l, EVRUN_NOWAIT);
  return 0;
}
