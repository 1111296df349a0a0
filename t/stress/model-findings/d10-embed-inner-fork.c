/* SPDX-License-Identifier: BSD-2-Clause */
/* Known difference 10 of t/stress/model.c: ev_loop_fork of an embedded epoll loop while its
 * embed watcher is active; the embedded loop makes a new epoll fd with another number.
 *   libev 4.33:  after: EV_EMBED 0 time(s)  (the embed watcher still watches the old number:
 *                the embedded loop is never reported again)
 *   libev-ng:    after: EV_EMBED 3 time(s)
 * Status: better
 * Expect: before: EV_EMBED 1 time(s) in one iteration of the embedding loop
 * Expect: after: EV_EMBED 3 time(s) in three iterations */
#include <ev.h>
#include <stdio.h>
#include <unistd.h>

static int embeds;
static void iocb (struct ev_loop *l, ev_io *w, int r) { (void)l, (void)w, (void)r; }
static void ecb (struct ev_loop *l, ev_embed *w, int r) { (void)l, (void)w, (void)r; ++embeds; }

int
main (void)
{
  int p[2];
  if (pipe (p))
    return 1;
  struct ev_loop *outer = ev_loop_new (EVBACKEND_EPOLL | EVFLAG_NOENV);
  struct ev_loop *inner = ev_loop_new (EVBACKEND_EPOLL | EVFLAG_NOENV);
  ev_embed e;
  ev_embed_init (&e, ecb, inner);
  ev_embed_start (outer, &e);
  ev_io w;
  ev_io_init (&w, iocb, p[1], EV_WRITE); /* always ready */
  ev_io_start (inner, &w);
  ev_run (inner, EVRUN_NOWAIT);
  ev_run (outer, EVRUN_NOWAIT);
  printf ("before: EV_EMBED %d time(s) in one iteration of the embedding loop\n", embeds);
  int hole = dup (0); /* the new epoll fd gets another number */
  ev_loop_fork (inner);
  ev_run (inner, EVRUN_NOWAIT);
  ev_run (inner, EVRUN_NOWAIT);
  close (hole);
  embeds = 0;
  for (int i = 0; i < 3; ++i)
    ev_run (outer, EVRUN_NOWAIT);
  printf ("after: EV_EMBED %d time(s) in three iterations\n", embeds);
  return 0;
}
