/* SPDX-License-Identifier: BSD-2-Clause */
/* t/stress/model-findings/s03-iouring-stop-sends-queued.c - found by t/stress/model -S -b
 * io_uring (seed 433: "the peer read 262144 of the 131072 bytes sent (queued 0)"), a defect of
 * libev-ng, fixed: on io_uring's own stream engine a send request that the loop had queued and
 * not yet submitted (the next part of a large queue, queued as the part before completed) was
 * submitted by ev_ng_stream_stop, to be cancelled after, and the kernel sent it first: the peer got
 * up to 128 KiB that `queued` had counted as not gone when the program stopped the stream in its
 * callback.  ev(3) ev_ng_stream_stop: "every send still queued is cancelled"; only a send in
 * flight may still send part of the queue.  A stream with 300,000 bytes queued to a loopback TCP
 * peer that reads nothing, stopped in the callback of the byte the peer wrote: printed before the
 * fix "the peer read 131072 bytes more than had gone by the stop".  Fixed: the stop makes the
 * requests still queued no-ops (backends/iouring_stream.cc (t)).  Where the system has no
 * io_uring the loop is another backend's, which prints the same.
 * (libev 4.33 has no streams: this program is built against libev-ng only.)
 * Expect: the peer read 0 bytes more than had gone by the stop
 * Status: fixed */
#include <arpa/inet.h>
#include <errno.h>
#include <ev.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static char msg[300000], buf[400000];
static long queued_at_stop = -1;

static void
cb (struct ev_loop *l, ev_ng_stream *w, int revents)
{
  const char *p;
  (void)revents;
  while (ev_ng_stream_recv (l, w, &p) > 0)
    ;
  queued_at_stop = (long)w->queued;
  ev_ng_stream_stop (l, w);
}

int
main (void)
{
  struct sockaddr_in a;
  socklen_t len = sizeof a;
  int ls = socket (AF_INET, SOCK_STREAM, 0);
  memset (&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  if (bind (ls, (struct sockaddr *)&a, sizeof a) || listen (ls, 1) || getsockname (ls, (struct sockaddr *)&a, &len))
    return 1;
  int peer = socket (AF_INET, SOCK_STREAM, 0);
  if (connect (peer, (struct sockaddr *)&a, sizeof a))
    return 1;
  int fd = accept (ls, NULL, NULL);
  struct ev_loop *l = ev_loop_new (EVBACKEND_IOURING | EVFLAG_NOENV);
  if (!l)
    l = ev_loop_new (EVFLAG_NOENV);
  ev_ng_stream w;
  ev_ng_stream_init (&w, cb, fd, EV_READ);
  ev_ng_stream_start (l, &w);
  ev_run (l, EVRUN_NOWAIT);
  ev_ng_stream_send (l, &w, msg, sizeof msg);
  if (write (peer, "x", 1) != 1)
    return 1;
  for (int i = 0; i < 1000 && ev_is_active (&w); ++i)
    ev_run (l, EVRUN_ONCE);
  ev_sleep (0.05);
  long read_bytes = 0;
  ssize_t n;
  while ((n = recv (peer, buf, sizeof buf, MSG_DONTWAIT)) > 0)
    read_bytes += n;
  printf ("the peer read %ld bytes more than had gone by the stop\n", read_bytes - ((long)sizeof msg - queued_at_stop));
  ev_loop_destroy (l);
  close (fd);
  close (peer);
  close (ls);
  return 0;
}
