/* SPDX-License-Identifier: BSD-2-Clause */
/* Was known difference 7 of t/stress/model.c: a signal that arrives while watched, whose only
 * watcher is stopped before the loop looked at it and then started again.  Both print
 *   signal callback revents 0x400, then done
 * (libev-ng used to lose the signal: the stop cleared its pending flag.)
 * Status: same */
#include <ev.h>
#include <signal.h>
#include <stdio.h>

static void scb (struct ev_loop *l, ev_signal *w, int r) { (void)l, (void)w; printf ("signal callback revents %#x\n", r); }

int
main (void)
{
  struct ev_loop *l = ev_loop_new (EVBACKEND_EPOLL | EVFLAG_NOENV);
  ev_signal s;
  ev_signal_init (&s, scb, SIGURG);
  ev_signal_start (l, &s);
  raise (SIGURG);
  ev_signal_stop (l, &s);
  ev_signal_start (l, &s);
  ev_run (l, EVRUN_NOWAIT);
  ev_run (l, EVRUN_NOWAIT);
  printf ("done\n");
  return 0;
}
