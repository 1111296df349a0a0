/* SPDX-License-Identifier: BSD-2-Clause */
/* ev_async_send to a watcher that is not started yet, in a loop without a wake-up fd yet,
 * then ev_async_start (variants of it abort in libev, see a01-async-send-no-pipe.c).  Both
 * print
 *   pc after start 0, ev_async_pending 0
 * (libev-ng used to queue its internal wake-up watcher at the start: pc 1.)
 * Status: same */
#include <ev.h>
#include <stdio.h>

static void acb (struct ev_loop *l, ev_async *w, int r) { (void)l, (void)w, (void)r; }

int
main (void)
{
  struct ev_loop *l = ev_loop_new (EVBACKEND_POLL | EVFLAG_NOENV);
  ev_async a;
  ev_async_init (&a, acb);
  ev_async_send (l, &a);
  ev_async_start (l, &a);
  printf ("pc after start %u, ev_async_pending %d\n", ev_pending_count (l), ev_async_pending (&a));
  return 0;
}
