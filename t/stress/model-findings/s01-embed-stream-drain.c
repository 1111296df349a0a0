/* SPDX-License-Identifier: BSD-2-Clause */
/* t/stress/model-findings/s01-embed-stream-drain.c - found by t/stress/model -S (seed 190, with
 * MODEL_SETTLE_EMBEDDED=1), an open defect of libev-ng: a stream (EV_READ | EV_WRITE) of an
 * embedded epoll loop, swept automatically by the embedding loop, never gets the EV_WRITE of its
 * drained queue through the embedding loop.  The flush step that sends the queue (in the
 * embedding loop's prepare watcher for a send queued outside the callbacks, case A, or at the
 * end of the embedded loop's own run for a send its callback queued, case B) queues the EV_WRITE
 * in the embedded loop after that loop's pass, and nothing makes the embedding loop run the
 * embedded loop again: its epoll fd has nothing to report.  Only a direct run delivers it.
 * ev(3) "Streams in an embedded loop": they "work as its ev_io watchers do".  Prints now
 *   A: 2 bytes sent, EV_WRITE 0 times in 5 iterations of the embedding loop, 1 after a direct run
 *   B: 1 bytes echoed, EV_WRITE 0 times in 5 iterations of the embedding loop, 1 after a direct run
 * and, once fixed, "EV_WRITE 1 times in 5 iterations" on both lines.  (libev 4.33 has no
 * streams: this program is built against libev-ng only.)
 * Status: open */
#include <ev.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

static int writes;

static void
cb (struct ev_loop *l, ev_ng_stream *w, int revents)
{
  const char *p;
  int n;
  if (revents & EV_WRITE)
    ++writes;
  if (revents & EV_READ)
    while ((n = ev_ng_stream_recv (l, w, &p)) > 0)
      ev_ng_stream_send (l, w, p, (size_t)n); /* case B: an echo, sent by the run's flush */
}

static void
run_case (char name, int from_callback)
{
  int sv[2];
  char buf[8];
  if (socketpair (AF_UNIX, SOCK_STREAM, 0, sv))
    return;
  struct ev_loop *outer = ev_loop_new (EVBACKEND_EPOLL | EVFLAG_NOENV);
  struct ev_loop *inner = ev_loop_new (EVBACKEND_EPOLL | EVFLAG_NOENV);
  ev_ng_stream w;
  ev_ng_stream_init (&w, cb, sv[0], EV_READ | EV_WRITE);
  ev_ng_stream_start (inner, &w);
  ev_run (inner, EVRUN_NOWAIT);
  ev_embed e;
  ev_embed_init (&e, 0, inner);
  ev_embed_start (outer, &e);
  writes = 0;
  if (from_callback)
    {
      if (write (sv[1], "x", 1) != 1)
        return;
    }
  else
    ev_ng_stream_send (inner, &w, "hi", 2); /* case A: sent by the embedding loop's prepare */
  for (int i = 0; i < 5; ++i)
    ev_run (outer, EVRUN_NOWAIT);
  int through = writes;
  ssize_t got = read (sv[1], buf, sizeof buf);
  ev_run (inner, EVRUN_NOWAIT);
  printf ("%c: %d bytes %s, EV_WRITE %d times in 5 iterations of the embedding loop, %d after a direct run\n", name,
          (int)got, from_callback ? "echoed" : "sent", through, writes - through);
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
  run_case ('A', 0);
  run_case ('B', 1);
  return 0;
}
