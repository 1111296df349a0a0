/* SPDX-License-Identifier: BSD-2-Clause */
/* examples/echo-completion.c - the TCP echo server of echo-server.c on streams: the loop does
 * the I/O (ev(3) "Streams: the loop does the I/O").
 *
 *   usage: echo-completion [PORT]
 *
 * Listens on 127.0.0.1:PORT (default 0: any free port, printed at start),
 * sends every byte each client sends back to it, and shuts down cleanly on
 * SIGINT or SIGTERM, printing what it served, as examples/echo-server does;
 * the backend is the one LIBEV_FLAGS names, else the default.  Try it:
 *
 *   $ examples/echo-completion 7000 &
 *   $ nc 127.0.0.1 7000            (type lines, they come back)
 *   $ kill %1
 *
 * What to read here: there is no read(), write() or accept() of ours.  An
 * accept watcher hands over the new connections; each connection is a stream
 * watcher whose callback gets the bytes that arrived (ev_ng_stream_recv) and
 * queues them back (ev_ng_stream_send), which the loop sends at the end of
 * the iteration.  Back pressure: the callback takes bytes while its queue
 * has room and leaves the rest, which the loop hands over again when the
 * queue has drained (EV_WRITE), reading no more from that client meanwhile.
 */
#define _POSIX_C_SOURCE 200809L

#include "tcp.h"

#include <ev.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* At most this much is queued to send back to one client; a recv hands over at most 16 KiB. */
#define QUEUE_LIMIT (256 * 1024)
#define RECV_MOST (16 * 1024)

struct conn
{
  ev_ng_stream w;               /* first: the callback's watcher is the connection */
  struct conn *prev, *next;     /* every open connection, to close them at shutdown */
  int ended;                    /* the client shut its side down: close once all is sent */
};

static ev_ng_accept listener;         /* the listening socket: the loop accepts */
static ev_timer accept_pause;         /* out of descriptors: accept again later */
static ev_signal on_sigint, on_sigterm;
static struct conn *conns;
static unsigned long accepted;
static unsigned long long echoed;

static void
conn_close (struct ev_loop *loop, struct conn *c)
{
  ev_ng_stream_stop (loop, &c->w);     /* drops what is still queued */
  close (c->w.fd);
  if (c->prev)
    c->prev->next = c->next;
  else
    conns = c->next;
  if (c->next)
    c->next->prev = c->prev;
  free (c);
}

static void
on_stream (struct ev_loop *loop, ev_ng_stream *w, int revents)
{
  struct conn *c = (struct conn *) w;
  const char *p;
  int n = -1;

  if (revents & EV_ERROR)
    {
      /* the connection failed (w->err: ECONNRESET, say); the loop stopped the watcher */
      conn_close (loop, c);
      return;
    }

  /* EV_READ: bytes arrived; EV_WRITE: the queue drained, and what we left comes now.  Take
   * while a whole buffer still fits the queue; the rest waits with the loop. */
  while (w->queued + RECV_MOST <= w->limit && (n = ev_ng_stream_recv (loop, w, &p)) > 0)
    {
      ev_ng_stream_send (loop, w, p, (size_t) n);   /* copied: p is the loop's */
      echoed += (unsigned long long) n;
    }
  if (n == 0)
    c->ended = 1;                      /* the end of the stream: nothing more will come */
  if (c->ended && w->queued == 0)
    conn_close (loop, c);              /* and everything went back */
}

static void
conn_start (struct ev_loop *loop, int fd)
{
  struct conn *c = malloc (sizeof *c);
  if (!c)
    {
      close (fd);
      return;
    }
  c->ended = 0;
  c->prev = NULL;
  c->next = conns;
  if (conns)
    conns->prev = c;
  conns = c;
  ++accepted;
  /* EV_WRITE too: tell us when the queue has drained (back pressure) */
  ev_ng_stream_init (&c->w, on_stream, fd, EV_READ | EV_WRITE);
  c->w.limit = QUEUE_LIMIT;
  ev_ng_stream_start (loop, &c->w);
}

static void
on_connection (struct ev_loop *loop, ev_ng_accept *w, int revents)
{
  (void) revents;
  int fd;
  while ((fd = ev_ng_accept_take (loop, w)) >= 0)
    conn_start (loop, fd);
  if (errno == EMFILE || errno == ENFILE)
    {
      /* The waiting client stays in the kernel's queue, and the loop would
       * hand us the same error at every iteration: stop accepting for a while. */
      fprintf (stderr, "echo-completion: accept: %s, pausing\n", strerror (errno));
      ev_ng_accept_stop (loop, w);
      ev_timer_set (&accept_pause, 0.1, 0.);
      ev_timer_start (loop, &accept_pause);
    }
}

static void
on_accept_pause_over (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void) w;
  (void) revents;
  ev_ng_accept_start (loop, &listener);
}

static void
on_signal (struct ev_loop *loop, ev_signal *w, int revents)
{
  (void) revents;
  printf ("echo-completion: caught signal %d, shutting down\n", w->signum);
  /* once no watcher is active, ev_run() returns by itself */
  ev_ng_accept_stop (loop, &listener);
  ev_timer_stop (loop, &accept_pause);
  close (listener.fd);
  while (conns)
    conn_close (loop, conns);
  ev_signal_stop (loop, &on_sigint);
  ev_signal_stop (loop, &on_sigterm);
}

int
main (int argc, char **argv)
{
  unsigned port = 0, bound_port;
  if (argc > 2 || (argc == 2 && tcp_parse_port (argv[1], &port) < 0))
    {
      fprintf (stderr, "usage: %s [PORT]    (0 or nothing: any free port)\n", argv[0]);
      return 64;
    }

  int fd = tcp_listen_loopback (port, &bound_port);
  if (fd < 0)
    return 1;

  struct ev_loop *loop = EV_DEFAULT;  /* the backend of LIBEV_FLAGS, else the default */
  if (!loop)
    {
      fprintf (stderr, "echo-completion: no loop with the backend LIBEV_FLAGS asks for\n");
      return 1;
    }

  ev_ng_accept_init (&listener, on_connection, fd);
  ev_ng_accept_start (loop, &listener);
  ev_timer_init (&accept_pause, on_accept_pause_over, 0.1, 0.);
  ev_signal_init (&on_sigint, on_signal, SIGINT);
  ev_signal_start (loop, &on_sigint);
  ev_signal_init (&on_sigterm, on_signal, SIGTERM);
  ev_signal_start (loop, &on_sigterm);

  printf ("echo-completion: listening on 127.0.0.1:%u\n", bound_port);
  fflush (stdout);                     /* whoever started us waits for this line */

  ev_run (loop, 0);                    /* until on_signal stopped every watcher */

  printf ("echo-completion: served %lu connections, echoed %llu bytes\n", accepted, echoed);
  ev_loop_destroy (loop);
  return 0;
}
