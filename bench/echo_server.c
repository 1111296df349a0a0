/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * echo_server.c - the echo servers of bench/echo-servers on libev-ng: one program, two ways of
 * doing the sockets' I/O, the same protocol, accept handling and connection objects.
 *
 *   echo-server-ng stream|stream-ref|evio [PORT]
 *
 * stream: the loop does the I/O (ev(3) "Streams: the loop does the I/O"), as
 *   examples/echo-completion.c does: an ev_ng_accept hands over the connections, each an
 *   ev_ng_stream whose callback takes the bytes that arrived (ev_ng_stream_recv, at most a
 *   16 KiB buffer at a time) and queues a copy of them back (ev_ng_stream_send), while the
 *   queue has room for another buffer;
 * stream-ref: the same without the copy: the callback keeps the loop's buffer
 *   (ev_ng_stream_keep) and sends from it (ev_ng_stream_send_ref), whose completion gives it
 *   back (ev_ng_buffer_release), as the liburing server sends from the buffer the bytes
 *   arrived in;
 * evio: the same server on ev_io with read and write, as a careful libev program does: an
 *   ev_io on the listening socket accepts until EAGAIN; each connection's ev_io makes one read
 *   of up to 16 KiB (the streams' buffer) into one buffer of the server when readable, writes
 *   it back, and on a short write keeps the rest and waits for writability instead, reading
 *   nothing meanwhile.
 *
 * Both set TCP_NODELAY on every accepted connection and close it at the end of its stream or
 * on an error.  The backend is the one LIBEV_FLAGS names (4 epoll, 128 io_uring), else the
 * default.  Prints "echo-server-ng: listening on 127.0.0.1:PORT backend B" first (B is
 * ev_backend's), then runs until it is killed: no signal watcher, which would add work to
 * every iteration of both servers.
 */
#define _GNU_SOURCE

#include "tcp.h"

#include <ev.h>

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define RECV_MOST (16 * 1024)        /* what a stream's recv hands over at most: one buffer */
#define QUEUE_LIMIT (256 * 1024)     /* examples/echo-completion.c's */

static void
nodelay (int fd)
{
  int one = 1;
  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/* --- stream: the loop does the I/O ----------------------------------------------------- */

struct sconn
{
  ev_ng_stream w;                    /* first: the callback's watcher is the connection */
  int ended;                         /* the client shut its side down: close once all is sent */
  unsigned kept_first, kept_count;   /* stream-ref: the buffers its sends hold, oldest first */
  void *kept[];                      /* KEPT of them, for stream-ref only */
};

static void
sconn_close (struct ev_loop *loop, struct sconn *c)
{
  ev_ng_stream_stop (loop, &c->w);
  close (c->w.fd);
  free (c);
}

static int by_ref;                  /* stream-ref */

/* stream-ref: the completion gives back the buffer ev_ng_stream_keep returned for the bytes,
 * a value that may differ from their address (ev(3)); a stream's completions run in the order
 * of its sends, so each connection keeps its values in that order, in a ring of KEPT: the
 * callback takes no more while the ring is full (the loop hands the rest over with the drain's
 * EV_WRITE). */
#define KEPT 16

static void on_sent (struct ev_loop *loop, ev_ng_stream *w, const void *data, size_t sent, int err);

static void
on_stream (struct ev_loop *loop, ev_ng_stream *w, int revents)
{
  struct sconn *c = (struct sconn *) w;
  const char *p;
  int n = -1;

  if (revents & EV_ERROR)
    {
      sconn_close (loop, c);
      return;
    }
  while (w->queued + RECV_MOST <= w->limit && (!by_ref || c->kept_count < KEPT)
         && (n = ev_ng_stream_recv (loop, w, &p)) > 0)
    if (by_ref)
      {
        void *keep = ev_ng_stream_keep (loop, w);
        if (ev_ng_stream_send_ref (loop, w, p, (size_t) n, on_sent) < 0)
          ev_ng_buffer_release (loop, keep);
        else
          c->kept[(c->kept_first + c->kept_count++) % KEPT] = keep;
      }
    else
      ev_ng_stream_send (loop, w, p, (size_t) n);
  if (n == 0)
    c->ended = 1;
  if (c->ended && w->queued == 0)
    sconn_close (loop, c);
}

static void
on_sent (struct ev_loop *loop, ev_ng_stream *w, const void *data, size_t sent, int err)
{
  (void) data;
  (void) sent;
  (void) err;
  struct sconn *c = (struct sconn *) w;
  ev_ng_buffer_release (loop, c->kept[c->kept_first]);
  c->kept_first = (c->kept_first + 1) % KEPT;
  --c->kept_count;
}

static void
on_stream_connection (struct ev_loop *loop, ev_ng_accept *w, int revents)
{
  (void) revents;
  int fd;
  while ((fd = ev_ng_accept_take (loop, w)) >= 0)
    {
      struct sconn *c = malloc (sizeof *c + (by_ref ? KEPT * sizeof (void *) : 0));
      if (!c)
        {
          close (fd);
          continue;
        }
      nodelay (fd);
      c->ended = 0;
      c->kept_first = c->kept_count = 0;
      ev_ng_stream_init (&c->w, on_stream, fd, EV_READ | EV_WRITE);
      c->w.limit = QUEUE_LIMIT;
      ev_ng_stream_start (loop, &c->w);
    }
}

/* --- evio: ev_io with read and write --------------------------------------------------- */

struct iconn
{
  ev_io w;                           /* first: the callback's watcher is the connection */
  char *rest;                        /* bytes a short write left, or 0 */
  size_t rest_len, rest_off;
};

static char io_buf[RECV_MOST];       /* every read goes here: written back at once */

static void
iconn_close (struct ev_loop *loop, struct iconn *c)
{
  ev_io_stop (loop, &c->w);
  close (c->w.fd);
  free (c->rest);
  free (c);
}

/* waits for EV_READ or EV_WRITE from now on */
static void
iconn_wait (struct ev_loop *loop, struct iconn *c, int events)
{
  ev_io_stop (loop, &c->w);
  ev_io_set (&c->w, c->w.fd, events);
  ev_io_start (loop, &c->w);
}

static void
on_io (struct ev_loop *loop, ev_io *w, int revents)
{
  struct iconn *c = (struct iconn *) w;

  if (revents & EV_WRITE)
    {
      ssize_t k = write (w->fd, c->rest + c->rest_off, c->rest_len - c->rest_off);
      if (k < 0)
        {
          if (errno != EAGAIN && errno != EINTR)
            iconn_close (loop, c);
          return;
        }
      c->rest_off += (size_t) k;
      if (c->rest_off < c->rest_len)
        return;
      free (c->rest);
      c->rest = 0;
      iconn_wait (loop, c, EV_READ);
      return;
    }

  ssize_t n = read (w->fd, io_buf, sizeof io_buf);
  if (n <= 0)
    {
      if (n == 0 || (errno != EAGAIN && errno != EINTR))
        iconn_close (loop, c);
      return;
    }
  ssize_t k = write (w->fd, io_buf, (size_t) n);
  if (k == n)
    return;
  if (k < 0)
    {
      if (errno != EAGAIN && errno != EINTR)
        {
          iconn_close (loop, c);
          return;
        }
      k = 0;
    }
  /* the socket took part: keep the rest and send it when it is writable */
  c->rest_len = (size_t) (n - k);
  c->rest_off = 0;
  c->rest = malloc (c->rest_len);
  if (!c->rest)
    {
      iconn_close (loop, c);
      return;
    }
  memcpy (c->rest, io_buf + k, c->rest_len);
  iconn_wait (loop, c, EV_WRITE);
}

static void
on_io_connection (struct ev_loop *loop, ev_io *w, int revents)
{
  (void) revents;
  for (;;)
    {
      int fd = accept4 (w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0)
        {
          if (errno == EINTR || errno == ECONNABORTED)
            continue;
          if (errno != EAGAIN)
            fprintf (stderr, "echo-server-ng: accept: %s\n", strerror (errno));
          return;
        }
      struct iconn *c = malloc (sizeof *c);
      if (!c)
        {
          close (fd);
          continue;
        }
      nodelay (fd);
      c->rest = 0;
      ev_io_init (&c->w, on_io, fd, EV_READ);
      ev_io_start (loop, &c->w);
    }
}

int
main (int argc, char **argv)
{
  unsigned port = 0, bound_port;
  by_ref = argc > 1 && !strcmp (argv[1], "stream-ref");
  int stream = by_ref || (argc > 1 && !strcmp (argv[1], "stream"));
  double collect = 0.;
  char *end = NULL;
  if (argc < 2 || argc > 4 || (!stream && strcmp (argv[1], "evio"))
      || (argc >= 3 && tcp_parse_port (argv[2], &port) < 0)
      || (argc == 4 && ((collect = strtod (argv[3], &end)) < 0. || end == argv[3] || *end)))
    {
      fprintf (stderr, "usage: %s stream|stream-ref|evio [PORT [COLLECT]]\n"
               "    PORT 0 or nothing: any free port; COLLECT: the loop's io collect interval in seconds\n",
               argv[0]);
      return 64;
    }
  /* 10,000 connections and more: the hard limit, as the client does */
  struct rlimit rl;
  if (!getrlimit (RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max)
    {
      rl.rlim_cur = rl.rlim_max;
      setrlimit (RLIMIT_NOFILE, &rl);
    }

  int fd = tcp_listen_loopback (port, &bound_port);
  if (fd < 0)
    return 1;
  struct ev_loop *loop = EV_DEFAULT;
  if (!loop)
    {
      fprintf (stderr, "echo-server-ng: no loop with the backend LIBEV_FLAGS asks for\n");
      return 1;
    }

  static ev_ng_accept slistener;
  static ev_io ilistener;
  if (stream)
    {
      ev_ng_accept_init (&slistener, on_stream_connection, fd);
      ev_ng_accept_start (loop, &slistener);
    }
  else
    {
      ev_io_init (&ilistener, on_io_connection, fd, EV_READ);
      ev_io_start (loop, &ilistener);
    }

  /* an application's trade of latency for fewer waits: the load's messages that arrive within
   * the interval are handled in one iteration (ev(3), ev_set_io_collect_interval) */
  if (collect > 0.)
    ev_set_io_collect_interval (loop, collect);
  printf ("echo-server-ng: listening on 127.0.0.1:%u backend %u\n", bound_port, ev_backend (loop));
  fflush (stdout);
  ev_run (loop, 0);
  return 0;
}
