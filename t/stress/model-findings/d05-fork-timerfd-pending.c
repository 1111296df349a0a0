/* SPDX-License-Identifier: BSD-2-Clause */
/* Was known difference 5 of t/stress/model.c: ev_loop_fork on a loop with a periodic watcher
 * (libev's timerfd); an idle watcher of priority 1 and one of EV_MINPRI, the iteration after.
 * Both print
 *   prio 1: idle@1 pc=0 idle@2 pc=1 idle@3 pc=0
 *   prio -2: idle@1 pc=0 idle@3 pc=0      (iteration 2: an internal watcher is pending at
 *                                          EV_MINPRI, seen in ev_pending_count and by the
 *                                          idle rule)
 * (libev-ng used to print idle@1 pc=0 idle@2 pc=0 idle@3 pc=0 for both.)
 * Status: same */
#include <ev.h>
#include <math.h>
#include <stdio.h>

static void icb (struct ev_loop *l, ev_idle *w, int r)
{ (void)w, (void)r; printf (" idle@%u pc=%u", ev_iteration (l), ev_pending_count (l)); }
static void pcb (struct ev_loop *l, ev_periodic *w, int r) { (void)l, (void)w, (void)r; }

int
main (void)
{
  static const int prio[2] = { 1, EV_MINPRI };
  for (int k = 0; k < 2; ++k)
    {
      struct ev_loop *l = ev_loop_new (EVBACKEND_POLL | EVFLAG_NOENV);
      ev_periodic p;
      ev_periodic_init (&p, pcb, fmod (ev_now (l) + 5000., 1e4), 1e4, 0);
      ev_periodic_start (l, &p);
      ev_idle i;
      ev_idle_init (&i, icb);
      ev_set_priority (&i, prio[k]);
      ev_idle_start (l, &i);
      printf ("prio %d:", prio[k]);
      ev_run (l, EVRUN_NOWAIT);
      ev_loop_fork (l);
      ev_run (l, EVRUN_NOWAIT);
      ev_run (l, EVRUN_NOWAIT);
      printf ("\n");
    }
  return 0;
}
