/* SPDX-License-Identifier: BSD-2-Clause */
/* Was known difference 13 of t/stress/model.c (a libev-ng defect): an io watcher of an embedded
 * epoll loop is given ev_io_set, started and stopped again before the loop applied its fd
 * changes; its fd is ready.  The embedding loop has a 0.3 s timer and nothing else to do.
 * Both print
 *   1 iterations of the embedding loop until its 0.3 s timer
 * (libev-ng used to spin: ~200000 iterations, the kernel's stale registration of the fd kept
 * the embedded loop's epoll fd readable for ever; backends/epoll.cc now deletes it.)
 * Status: same */
#include <ev.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

static int fired;
static void iocb (struct ev_loop *l, ev_io *w, int r) { (void)l, (void)w, (void)r; }
static void tcb (struct ev_loop *l, ev_timer *w, int r) { (void)l, (void)w, (void)r; fired = 1; }

int
main (void)
{
  int sp[2];
  if (socketpair (AF_UNIX, SOCK_STREAM, 0, sp))
    return 1;
  struct ev_loop *outer = ev_loop_new (EVBACKEND_EPOLL | EVFLAG_NOENV);
  struct ev_loop *inner = ev_loop_new (EVBACKEND_EPOLL | EVFLAG_NOENV);
  ev_io w;
  ev_io_init (&w, iocb, sp[0], EV_READ | EV_WRITE);
  ev_io_start (inner, &w);
  ev_run (inner, EVRUN_NOWAIT); /* registered; the socket is writable */
  ev_io_stop (inner, &w);
  ev_io_set (&w, sp[0], EV_WRITE);
  ev_io_start (inner, &w);
  ev_io_stop (inner, &w);       /* nothing watched now */
  ev_embed e;
  ev_embed_init (&e, 0, inner);
  ev_embed_start (outer, &e);
  ev_timer t;
  ev_timer_init (&t, tcb, 0.3, 0.);
  ev_timer_start (outer, &t);
  while (!fired)
    ev_run (outer, EVRUN_ONCE);
  /* (a spinning loop makes hundreds of thousands: "many" keeps the output comparable) */
  unsigned n = ev_iteration (outer);
  if (n < 100)
    printf ("%u iterations of the embedding loop until its 0.3 s timer\n", n);
  else
    printf ("many iterations of the embedding loop until its 0.3 s timer\n");
  return 0;
}
