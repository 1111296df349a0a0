/* SPDX-License-Identifier: BSD-2-Clause */
/* Was known difference 11 of t/stress/model.c: an embedded loop with EVFLAG_SIGNALFD that
 * watches a signal; then an ev_async_start in it.  libev 4.33 makes the loop's wake-up fd
 * only now (its signals go through the signalfd), which is an fd change, so the embedding
 * loop's prepare watcher runs the embedded loop.  Both print
 *   embedded loop: 1 iterations; after an ev_async_start in it: 2
 * (libev-ng makes that fd at the ev_signal_start, for ev_feed_signal (a02); it used to print
 * 1 and 1, and now shows its fd to the loop's fd set at the first ev_async_start.)
 * Status: same */
#include <ev.h>
#include <signal.h>
#include <stdio.h>

static void acb (struct ev_loop *l, ev_async *w, int r) { (void)l, (void)w, (void)r; }
static void scb (struct ev_loop *l, ev_signal *w, int r) { (void)l, (void)w, (void)r; }

int
main (void)
{
  struct ev_loop *outer = ev_loop_new (EVBACKEND_EPOLL | EVFLAG_NOENV);
  struct ev_loop *inner = ev_loop_new (EVBACKEND_EPOLL | EVFLAG_NOENV | EVFLAG_SIGNALFD);
  ev_embed e;
  ev_embed_init (&e, 0, inner);
  ev_embed_start (outer, &e);
  ev_signal s;
  ev_signal_init (&s, scb, SIGURG);
  ev_signal_start (inner, &s);
  ev_embed_sweep (outer, &e);
  ev_run (outer, EVRUN_NOWAIT);
  printf ("embedded loop: %u iterations; ", ev_iteration (inner));
  ev_async a;
  ev_async_init (&a, acb);
  ev_async_start (inner, &a);
  ev_run (outer, EVRUN_NOWAIT);
  printf ("after an ev_async_start in it: %u\n", ev_iteration (inner));
  return 0;
}
