/* SPDX-License-Identifier: BSD-2-Clause */
/* t/stress/model-findings/s02-iouring-stop-pending.c - found by t/stress/model -S -b io_uring
 * (seed 1002100: "ev_pending_count is 1, the model says 0" after a stop at the top level), a
 * defect of libev-ng, fixed: on io_uring's own stream engine ev_ng_stream_stop waits in the ring
 * for the stream's cancelled requests and handled everything that completed meanwhile, the
 * readiness the ring's wait reported for the loop's other fds and the other streams' bytes too,
 * so another watcher was pending when the stop returned, outside any ev_run.  A stream and an io
 * watcher, each with news, while a third stream is stopped: printed before the fix "after the
 * stop: 2 pending (io 1, stream 1)".  Fixed: the stop's wait handles only the completions of the
 * streams that stop and sets the rest aside for the next poll (backends/iouring_stream.cc (t)).
 * Where the system has no io_uring the loop is another backend's, which prints the same.
 * (libev 4.33 has no streams: this program is built against libev-ng only.)
 * Expect: after the stop: 0 pending (io 0, stream 0)
 * Expect: then: io called 1 times, the stream got 3 bytes
 * Status: fixed */
#include <ev.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

static int io_calls, got;

static void
io_cb (struct ev_loop *l, ev_io *w, int revents)
{
  char c;
  (void)l, (void)revents;
  if (read (w->fd, &c, 1) == 1)
    ++io_calls;
}

static void
stream_cb (struct ev_loop *l, ev_ng_stream *w, int revents)
{
  const char *p;
  int n;
  (void)revents;
  while ((n = ev_ng_stream_recv (l, w, &p)) > 0)
    got += n;
}

int
main (void)
{
  int sa[2], sb[2], p[2];
  if (socketpair (AF_UNIX, SOCK_STREAM, 0, sa) || socketpair (AF_UNIX, SOCK_STREAM, 0, sb) || pipe (p))
    return 1;
  struct ev_loop *l = ev_loop_new (EVBACKEND_IOURING | EVFLAG_NOENV);
  if (!l)
    l = ev_loop_new (EVFLAG_NOENV);
  ev_io io;
  ev_ng_stream a, b;
  ev_io_init (&io, io_cb, p[0], EV_READ);
  ev_io_start (l, &io);
  ev_ng_stream_init (&a, stream_cb, sa[0], EV_READ);
  ev_ng_stream_start (l, &a);
  ev_ng_stream_init (&b, stream_cb, sb[0], EV_READ);
  ev_ng_stream_start (l, &b);
  ev_run (l, EVRUN_NOWAIT); /* the requests and the wait go to the kernel */
  if (write (sb[1], "abc", 3) != 3 || write (p[1], "x", 1) != 1)
    return 1;
  ev_sleep (0.01);
  ev_ng_stream_stop (l, &a);
  printf ("after the stop: %d pending (io %d, stream %d)\n", ev_pending_count (l), !!ev_is_pending (&io),
          !!ev_is_pending (&b));
  for (int i = 0; i < 50 && (!io_calls || got < 3); ++i)
    {
      ev_run (l, EVRUN_NOWAIT);
      ev_sleep (0.001);
    }
  printf ("then: io called %d times, the stream got %d bytes\n", io_calls, got);
  ev_ng_stream_stop (l, &b);
  ev_io_stop (l, &io);
  ev_loop_destroy (l);
  return 0;
}
