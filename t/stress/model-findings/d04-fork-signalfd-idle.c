/* SPDX-License-Identifier: BSD-2-Clause */
/* Was known difference 4 of t/stress/model.c: ev_loop_fork on a loop with EVFLAG_SIGNALFD that
 * watches a signal (the default loop always does, for SIGCHLD); the iteration after it.
 * Both print
 *   idle@1 idle@2 idle@3 idle@4
 * (libev-ng used to print idle@1 idle@3 idle@4: the wake-up fd it keeps in such a loop, for
 * ev_feed_signal (a02), had an internal watcher pending after the fork; libev 4.33 has no
 * wake-up fd there.)
 * Status: same */
#include <ev.h>
#include <signal.h>
#include <stdio.h>

static void icb (struct ev_loop *l, ev_idle *w, int r) { (void)w, (void)r; printf (" idle@%u", ev_iteration (l)); }
static void scb (struct ev_loop *l, ev_signal *w, int r) { (void)l, (void)w, (void)r; }

int
main (void)
{
  struct ev_loop *l = ev_loop_new (EVBACKEND_EPOLL | EVFLAG_NOENV | EVFLAG_SIGNALFD);
  ev_signal s;
  ev_signal_init (&s, scb, SIGURG);
  ev_signal_start (l, &s);
  ev_idle i;
  ev_idle_init (&i, icb);
  ev_idle_start (l, &i);
  ev_run (l, EVRUN_NOWAIT);
  ev_loop_fork (l);
  for (int k = 0; k < 3; ++k)
    ev_run (l, EVRUN_NOWAIT);
  printf ("\n");
  return 0;
}
