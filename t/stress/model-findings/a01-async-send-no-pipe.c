/* SPDX-License-Identifier: BSD-2-Clause */
/* libev 4.33 aborts, libev-ng does not (t/stress/model.c does not generate it): ev_async_send
 * to a stopped watcher of a loop that has no wake-up pipe (its signals go through signalfd),
 * then ev_run.
 *   libev 4.33:  ev.c:4165: ev_run: Assertion `("libev: pipe_w not active, but pipe not
 *                written", ev_is_active (&pipe_w))' failed.
 * Status: libev aborts
 * Expect: ok, ev_async_pending 1 */
#include <ev.h>
#include <stdio.h>

static void acb (struct ev_loop *l, ev_async *w, int r) { (void)l, (void)w, (void)r; }

int
main (void)
{
  struct ev_loop *l = ev_default_loop (EVBACKEND_EPOLL | EVFLAG_NOENV | EVFLAG_SIGNALFD);
  ev_async a;
  ev_async_init (&a, acb);
  ev_async_send (l, &a);
  ev_run (l, EVRUN_NOWAIT);
  printf ("ok, ev_async_pending %d\n", ev_async_pending (&a));
  return 0;
}
