/* SPDX-License-Identifier: BSD-2-Clause */
/* Known difference 2 of t/stress/model.c: an embedded loop whose callbacks change its fd set
 * while the embedding loop's prepare watcher runs it (to flush its fd changes).
 *   libev 4.33:  the embedded loop made 2 iterations (it is run again while there are changes)
 *   libev-ng:    the embedded loop made 1 iterations (the new changes are flushed, no rerun;
 *                watchers/embed.cc: "libev livelocks there")
 * Status: better
 * Expect: the embedded loop made 1 iterations */
#include <ev.h>
#include <stdio.h>
#include <unistd.h>

static int p[2];
static ev_io a, b;
static void iocb (struct ev_loop *l, ev_io *w, int r) { (void)l, (void)w, (void)r; }

static void
tcb (struct ev_loop *l, ev_timer *w, int r)
{
  (void)w, (void)r;
  ev_io_start (l, &b); /* an fd change while the embedding loop's prepare watcher runs us */
}

int
main (void)
{
  if (pipe (p))
    return 1;
  struct ev_loop *outer = ev_loop_new (EVBACKEND_POLL | EVFLAG_NOENV);
  struct ev_loop *inner = ev_loop_new (EVBACKEND_EPOLL | EVFLAG_NOENV);
  ev_embed e;
  ev_embed_init (&e, 0, inner);
  ev_embed_start (outer, &e);
  ev_io_init (&a, iocb, p[0], EV_READ);
  ev_io_start (inner, &a); /* an fd change: the prepare watcher runs the inner loop */
  ev_io_init (&b, iocb, p[1], EV_READ);
  ev_timer t;
  ev_timer_init (&t, tcb, -1., 0.);
  ev_timer_start (inner, &t);
  ev_run (outer, EVRUN_NOWAIT);
  printf ("the embedded loop made %u iterations\n", ev_iteration (inner));
  return 0;
}
