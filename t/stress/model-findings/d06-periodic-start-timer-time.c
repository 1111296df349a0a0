/* SPDX-License-Identifier: BSD-2-Clause */
/* Was known difference 6 of t/stress/model.c: the first ev_periodic_start of a loop updates
 * ev_now() (both libraries); does it also update the time timers are measured from?  Both
 * print (no):
 *   remaining of the first timer 1.000; second timer at heap index 3
 * (libev-ng used to print 0.990 and heap index 4.)
 * Status: same */
#include <ev.h>
#include <stdio.h>

static void pcb (struct ev_loop *l, ev_periodic *w, int r) { (void)l, (void)w, (void)r; }
static void tcb (struct ev_loop *l, ev_timer *w, int r) { (void)l, (void)w, (void)r; }

int
main (void)
{
  struct ev_loop *l = ev_loop_new (EVBACKEND_POLL | EVFLAG_NOENV);
  ev_timer a, b;
  ev_timer_init (&a, tcb, 1., 0.);
  ev_timer_init (&b, tcb, 0.995, 0.);
  ev_timer_start (l, &a);
  ev_sleep (0.01);
  ev_periodic p;
  ev_periodic_init (&p, pcb, ev_now (l) + 1e5, 0, 0);
  ev_periodic_start (l, &p);
  ev_timer_start (l, &b); /* 0.995 s after the time timers are measured from */
  printf ("remaining of the first timer %.3f; second timer at heap index %d (3: due first)\n",
          ev_timer_remaining (l, &a), ev_is_active (&b));
  return 0;
}
