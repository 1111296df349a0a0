/* SPDX-License-Identifier: BSD-2-Clause */
/* t/stress/model-findings/s01-embed-stream-drain.c - found by t/stress/model -S (seeds 190,
 * 8560, 9991, 10341, 16089 and 17389 of 1-20000, when the settle step ran embedded loops through
 * their embedding loop), a defect of libev-ng, fixed: what the flush step queued for a stream of an embedded epoll loop, after that
 * loop's pass, waits until the embedded loop runs again, and an automatic embed watcher never
 * runs it again, since its epoll fd has nothing to report.  Only a direct run delivers it.
 *   A: the EV_WRITE of a drained queue, for a send queued outside the callbacks (sent by the
 *      embedding loop's prepare watcher);
 *   B: the same for a send the callback queued (sent at the end of the embedded loop's run);
 *   C: the EV_READ that hands over again what a callback left (ev(3): "handed over in the next
 *      iteration, which then does not wait for the socket"): the bytes are the library's now.
 * ev(3) "Streams in an embedded loop": they "work as its ev_io watchers do".  Printed before
 * the fix "EV_WRITE 0 times in 5 iterations ..., 1 after a direct run" on A and B, "EV_READ 1
 * times" on C.  Fixed: the embedding loop's prepare watcher sweeps the inner loop when its
 * streams have something queued or left for the next pass (watchers/embed.cc).
 * (libev 4.33 has no streams: this program is built against libev-ng only.)
 * Expect: A: 2 bytes sent, EV_WRITE 1 times in 5 iterations of the embedding loop, 0 after a direct run
 * Expect: B: 1 bytes echoed, EV_WRITE 1 times in 5 iterations of the embedding loop, 0 after a direct run
 * Expect: C: 1 bytes left, EV_READ 2 times in 5 iterations of the embedding loop, 0 after a direct run
 * Status: fixed */
#include <ev.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

static int writes, reads, leave;

static void
cb (struct ev_loop *l, ev_ng_stream *w, int revents)
{
  const char *p;
  int n;
  if (revents & EV_WRITE)
    ++writes;
  if ((revents & EV_READ) && ++reads == 1 && leave)
    return; /* case C: leaves the bytes for the next iteration */
  if (revents & EV_READ)
    while ((n = ev_ng_stream_recv (l, w, &p)) > 0)
      ev_ng_stream_send (l, w, p, (size_t)n); /* case B: an echo, sent by the run's flush */
}

static void
run_case (char name, int from_callback, int events)
{
  int sv[2];
  char buf[8];
  if (socketpair (AF_UNIX, SOCK_STREAM, 0, sv))
    return;
  struct ev_loop *outer = ev_loop_new (EVBACKEND_EPOLL | EVFLAG_NOENV);
  struct ev_loop *inner = ev_loop_new (EVBACKEND_EPOLL | EVFLAG_NOENV);
  ev_ng_stream w;
  ev_ng_stream_init (&w, cb, sv[0], events);
  ev_ng_stream_start (inner, &w);
  ev_run (inner, EVRUN_NOWAIT);
  ev_embed e;
  ev_embed_init (&e, 0, inner);
  ev_embed_start (outer, &e);
  writes = reads = 0;
  leave = !(events & EV_WRITE);
  if (from_callback)
    {
      if (write (sv[1], "x", 1) != 1)
        return;
    }
  else
    ev_ng_stream_send (inner, &w, "hi", 2); /* case A: sent by the embedding loop's prepare */
  for (int i = 0; i < 5; ++i)
    ev_run (outer, EVRUN_NOWAIT);
  int through = leave ? reads : writes;
  ssize_t got = leave ? 1 : read (sv[1], buf, sizeof buf);
  ev_run (inner, EVRUN_NOWAIT);
  printf ("%c: %d bytes %s, %s %d times in 5 iterations of the embedding loop, %d after a direct run\n", name,
          (int)got, leave ? "left" : from_callback ? "echoed" : "sent", leave ? "EV_READ" : "EV_WRITE", through,
          (leave ? reads : writes) - through);
  ev_embed_stop (outer, &e);
  ev_ng_stream_stop (inner, &w);
  ev_loop_destroy (inner);
  ev_loop_destroy (outer);
  close (sv[0]);
  close (sv[1]);
}

int
main (void)
{
  run_case ('A', 0, EV_READ | EV_WRITE);
  run_case ('B', 1, EV_READ | EV_WRITE);
  run_case ('C', 1, EV_READ);
  return 0;
}
