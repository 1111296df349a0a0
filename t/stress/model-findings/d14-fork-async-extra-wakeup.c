/* SPDX-License-Identifier: BSD-2-Clause */
/* Was known difference 14 of t/stress/model.c: ev_loop_fork of a loop with an ev_async
 * watcher; in the iteration that handles the fork, a check watcher (EV_MAXPRI, run before the
 * loop's wake-up watcher) sends to the async watcher, which that pass then processes.  Both
 * print
 *   idle@1 async@2 idle@3 idle@4
 *   (without ev_loop_fork both: idle@1 idle@2 async@3 idle@4)
 * (libev-ng used to print idle@1 async@2 idle@4: its wake-up watcher was queued once more.)
 * Status: same */
#include <ev.h>
#include <stdio.h>

static ev_async a;
static int sent;
static void acb (struct ev_loop *l, ev_async *w, int r) { (void)w, (void)r; printf (" async@%u", ev_iteration (l)); }
static void icb (struct ev_loop *l, ev_idle *w, int r) { (void)w, (void)r; printf (" idle@%u", ev_iteration (l)); }

static void
ccb (struct ev_loop *l, ev_check *w, int r)
{
  (void)w, (void)r;
  if (!sent++ && ev_iteration (l) == 2)
    ev_async_send (l, &a);
}

int
main (void)
{
  struct ev_loop *l = ev_loop_new (EVBACKEND_EPOLL | EVFLAG_NOENV);
  ev_async_init (&a, acb);
  ev_async_start (l, &a);
  ev_idle i;
  ev_idle_init (&i, icb);
  ev_idle_start (l, &i);
  ev_check c;
  ev_check_init (&c, ccb);
  ev_set_priority (&c, 2);
  ev_check_start (l, &c);
  ev_run (l, EVRUN_NOWAIT);
  sent = 0;
  ev_loop_fork (l);
  for (int k = 0; k < 3; ++k)
    ev_run (l, EVRUN_NOWAIT);
  printf ("\n");
  return 0;
}
