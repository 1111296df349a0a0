/* SPDX-License-Identifier: BSD-2-Clause */
/* examples/http-completion.c - the HTTP/1.1 server of http-server.c on streams: the loop does
 * the I/O (ev(3) "Streams: the loop does the I/O").
 *
 *   usage: http-completion [-t IDLE_SECONDS] [PORT]
 *
 * The server of examples/http-server, with the same answers, byte for byte:
 * GET and HEAD of / (a greeting) and /bytes/N (N bytes of "abc...xyzabc..."),
 * 404 for anything else; keep-alive, pipelined requests answered in order, a
 * connection idle for IDLE_SECONDS (default 5) closed, and a summary on
 * SIGINT or SIGTERM.  It listens on 127.0.0.1:PORT (default 0: any free
 * port, printed at start); the backend is the one LIBEV_FLAGS names, else
 * the default.  Try it:
 *
 *   $ examples/http-completion 8080 &
 *   $ curl -v http://127.0.0.1:8080/ http://127.0.0.1:8080/bytes/10
 *   $ kill %1
 *
 * What to read here: there is no read(), write() or accept() of ours, so no
 * output buffer, no partial write and no EAGAIN either.  conn_pump() is the
 * whole connection: it takes the bytes that arrived (ev_ng_stream_recv) into
 * the request buffer and queues the responses (ev_ng_stream_send), which the
 * loop sends at the end of the iteration.  Back pressure: it takes requests
 * only while the send queue has room for an answer, and the bytes it leaves
 * wait with the loop, which stops reading from that client, until the queue
 * has drained and the callback gets EV_WRITE.  A /bytes/N body is never in
 * memory: its chunks are borrowed from one constant pattern
 * (ev_ng_stream_send_ref), as many as the queue takes, and more when it has
 * drained.  The HTTP itself is http-request.c, shared with http-server.c.
 */
#define _POSIX_C_SOURCE 200809L

#include "http-request.h"
#include "tcp.h"

#include <ev.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* At most this much is queued to send to one client: with the request
 * buffer, what a connection costs whatever the client does. */
#define QUEUE_LIMIT (64 * 1024)
/* A /bytes/N body goes out in borrowed chunks of this size. */
#define CHUNK (16 * 1024)
/* ev_ng_stream_recv hands over at most this much at once (ev(3)). */
#define RECV_MOST (16 * 1024)

enum conn_state
{
  READING,      /* taking requests */
  CLOSING,      /* the last response is being queued; then we half-close */
  LINGERING     /* our side is shut down: read and discard until the client closes */
};

struct conn
{
  ev_ng_stream w;               /* first: the callback's watcher is the connection */
  ev_timer idle;                /* closes the connection after idle_timeout without activity */
  struct conn *prev, *next;     /* all open connections, to close them at shutdown */
  enum conn_state state;
  bool peer_eof;                /* the client shut down its sending side */
  size_t in_len;                /* bytes in in[] not yet consumed by a request */
  unsigned long long body_left; /* of the /bytes/N response being queued */
  unsigned long long body_pos;
  /* A recv is taken whole, and taken only while no whole head is in in[]
   * (which is then shorter than HTTP_HEAD_MAX, or answered with 431): one
   * head plus one recv always fit. */
  char in[HTTP_HEAD_MAX + RECV_MOST];
};

static double idle_timeout = 5.;
static struct conn *conns;             /* list head */
static unsigned long accepted;         /* connections so far */
static unsigned long long served;      /* responses so far, errors included */

static ev_ng_accept listener;          /* the listening socket: the loop accepts */
static ev_timer accept_pause;          /* out of descriptors: accept again later */
static ev_signal sigint_watcher, sigterm_watcher;

/* "abcdefghijklmnopqrstuvwxyz" repeated: every chunk of a /bytes/N body is
 * a piece of it.  It never changes, so the loop may send from it directly. */
static char pattern[CHUNK + 26];

/* ---- a connection ---------------------------------------------------------- */

static void
conn_close (struct ev_loop *loop, struct conn *c)
{
  /* Stopping the stream drops what is still queued (the completions of its
   * borrowed chunks run now, with ECANCELED) and any event pending for it:
   * no callback can run on freed memory. */
  ev_ng_stream_stop (loop, &c->w);
  ev_timer_stop (loop, &c->idle);
  close (c->w.fd);

  if (c->prev)
    c->prev->next = c->next;
  else
    conns = c->next;
  if (c->next)
    c->next->prev = c->prev;
  free (c);
}

/* The idle timer fired: nothing happened on the connection for idle_timeout
 * seconds (or, once LINGERING, the client did not close in time). */
static void
on_idle (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void) revents;
  conn_close (loop, w->data);
}

/* Something happened on the connection: push the idle timeout back with
 * ev_timer_again, as http-server.c does (see its conn_active). */
static void
conn_active (struct ev_loop *loop, struct conn *c)
{
  if (c->state != LINGERING)     /* a lingering client cannot buy time by talking */
    ev_timer_again (loop, &c->idle);
}

/* A borrowed chunk of a body is done with: all of it reached the kernel
 * (err 0), so the client reads, which is activity.  The chunk is part of
 * the constant pattern: there is nothing to give back. */
static void
on_chunk_sent (struct ev_loop *loop, ev_ng_stream *w, const void *data, size_t sent, int err)
{
  (void) data;
  (void) sent;
  if (!err)
    conn_active (loop, (struct conn *) w);
}

/* Queues the response res: its head (and text) copied, a /bytes/N body
 * left for queue_body.  Returns false when the allocator had no memory. */
static bool
respond (struct ev_loop *loop, struct conn *c, const struct http_response *res)
{
  char head[HTTP_HEAD_ROOM];
  /* ev_now() is the time the loop took when the iteration began: no system
   * call, and the same for every response of an iteration. */
  size_t len = http_format_head (head, res, (time_t) ev_now (loop));
  if (!res->text && !res->head_only)
    {
      c->body_left = res->length;
      c->body_pos = 0;
    }
  if (!res->keep_alive)
    c->state = CLOSING;         /* whatever else the client sent is not read */
  served++;
  return ev_ng_stream_send (loop, &c->w, head, len) == 0;   /* copied: head is ours */
}

/* Queues chunks of the body being sent while the queue has room for them.
 * Returns false when the allocator had no memory. */
static bool
queue_body (struct ev_loop *loop, struct conn *c)
{
  while (c->body_left)
    {
      size_t chunk = c->body_left < CHUNK ? (size_t) c->body_left : CHUNK;
      if (c->w.queued + chunk > c->w.limit)
        return true;             /* full: EV_WRITE says when it has drained */
      if (ev_ng_stream_send_ref (loop, &c->w, pattern + c->body_pos % 26, chunk, on_chunk_sent) < 0)
        return false;
      c->body_pos += chunk;
      c->body_left -= chunk;
    }
  return true;
}

/* Takes the next request out of c->in and queues its response.  Returns 1
 * when it did, 0 if no complete request is there yet, -1 when the
 * allocator had no memory. */
static int
handle_request (struct ev_loop *loop, struct conn *c)
{
  struct http_response res;
  size_t used = http_next_response (c->in, c->in_len, &res);
  if (!used)
    return 0;
  memmove (c->in, c->in + used, c->in_len - used);
  c->in_len -= used;
  return respond (loop, c, &res) ? 1 : -1;
}

/* ---- the state machine ------------------------------------------------------ */

/* Everything a connection does is decided here, in each callback: queue
 * the rest of the body, answer the requests that are in, take the bytes
 * that arrived, and close when all is done.
 *
 * The rule that keeps the loop from spinning: the callback leaves bytes
 * that arrived untaken only while its queue holds something.  The loop
 * hands them over again with the EV_WRITE of the drain, and meanwhile
 * reads no more from the client, so its sends block in turn (ev(3),
 * "Backpressure").  Untaken bytes with an empty queue would be handed over
 * again at once, in every iteration. */
static void
conn_pump (struct ev_loop *loop, struct conn *c)
{
  ev_ng_stream *w = &c->w;
  const char *p;
  int n;

  for (;;)
    {
      /* 1. The body being sent, as far as the queue takes it.  Pipelined
       * requests are answered strictly one after the other (HTTP/1.1 has
       * no other way to match responses to requests): the next is only
       * looked at when the previous response is entirely queued. */
      if (!queue_body (loop, c))
        goto fail;
      if (c->body_left)
        break;                   /* the queue is full, so not empty */

      /* 2. Ending.  After the last response, shut down our sending side
       * (the client sees the end of the stream once everything queued is
       * sent: the loop does it in order) but keep reading, and discarding,
       * until the client closes too.  Why not close() at once: closing a
       * socket with unread input makes the kernel send a reset, which can
       * destroy the response still in flight (RFC 9112 9.6). */
      if (c->state == CLOSING)
        {
          ev_ng_stream_shutdown (loop, w);
          c->state = LINGERING;
        }
      if (c->state == LINGERING)
        {
          while ((n = ev_ng_stream_recv (loop, w, &p)) > 0)
            ;                    /* discarded */
          c->peer_eof |= n == 0;
          break;
        }

      /* 3. A request, while the queue has room for its answer; else the
       * bytes wait, and the queue is not empty. */
      if (w->queued + HTTP_HEAD_ROOM > w->limit)
        break;
      int handled = handle_request (loop, c);
      if (handled < 0)
        goto fail;
      if (handled)
        continue;

      /* 4. No whole request in c->in: take what arrived, or stop here
       * when nothing has (EAGAIN) or nothing more will (the end). */
      if (c->peer_eof)
        break;
      n = ev_ng_stream_recv (loop, w, &p);
      if (n <= 0)
        {
          c->peer_eof = n == 0;
          break;
        }
      memcpy (c->in + c->in_len, p, (size_t) n);
      c->in_len += (size_t) n;
      conn_active (loop, c);
    }

  /* The client has stopped sending and got every answer it asked for (an
   * incomplete request left in c->in will never be completed). */
  if (c->peer_eof && w->queued == 0 && !c->body_left)
    conn_close (loop, c);
  return;

fail:
  fprintf (stderr, "http-completion: send: %s\n", strerror (errno));
  conn_close (loop, c);
}

static void
on_stream (struct ev_loop *loop, ev_ng_stream *w, int revents)
{
  struct conn *c = (struct conn *) w;

  if (revents & EV_ERROR)
    {
      /* the connection failed (w->err: ECONNRESET, say); the loop stopped the watcher */
      conn_close (loop, c);
      return;
    }
  /* EV_WRITE: the queue has drained, the kernel took everything.  That is
   * activity, and once LINGERING the start of a last idle period to close
   * in: the half-close has gone out after the last bytes. */
  if (revents & EV_WRITE)
    ev_timer_again (loop, &c->idle);
  conn_pump (loop, c);
}

static void
conn_start (struct ev_loop *loop, int fd)
{
  struct conn *c = malloc (sizeof *c);
  if (!c)
    {
      perror ("http-completion: connection");
      close (fd);
      return;
    }
  c->state = READING;
  c->peer_eof = false;
  c->in_len = 0;
  c->body_left = c->body_pos = 0;
  c->prev = NULL;
  c->next = conns;
  if (conns)
    conns->prev = c;
  conns = c;
  accepted++;

  /* EV_WRITE too: tell us when the queue has drained (back pressure) */
  ev_ng_stream_init (&c->w, on_stream, fd, EV_READ | EV_WRITE);
  c->w.limit = QUEUE_LIMIT;
  /* The idle timer, as in http-server.c: only "repeat" is set, and
   * ev_timer_again starts it, and restarts it on every activity. */
  ev_init (&c->idle, on_idle);
  c->idle.repeat = idle_timeout;
  c->idle.data = c;

  ev_ng_stream_start (loop, &c->w);
  ev_timer_again (loop, &c->idle);
}

/* ---- the server ----------------------------------------------------------------- */

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
       * hand us the same error at every iteration: stop accepting for a
       * while, during which idle timeouts free descriptors. */
      fprintf (stderr, "http-completion: accept: %s, pausing\n", strerror (errno));
      ev_ng_accept_stop (loop, w);
      ev_timer_set (&accept_pause, 0.1, 0.);   /* a fired one-shot timer has used up its "after" */
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
  printf ("http-completion: caught signal %d, shutting down\n", w->signum);

  /* Stop every watcher: ev_run() returns once none is active, which also
   * proves that nothing was forgotten. */
  ev_ng_accept_stop (loop, &listener);
  ev_timer_stop (loop, &accept_pause);
  close (listener.fd);
  while (conns)
    conn_close (loop, conns);
  ev_signal_stop (loop, &sigint_watcher);
  ev_signal_stop (loop, &sigterm_watcher);
}

static int
usage (const char *argv0)
{
  fprintf (stderr,
           "usage: %s [-t IDLE_SECONDS] [PORT]    (port 0 or nothing: any free port)\n"
           "  -t IDLE_SECONDS  close a connection idle that long (default 5)\n",
           argv0);
  return 64;
}

int
main (int argc, char **argv)
{
  int opt;
  while ((opt = getopt (argc, argv, "t:")) != -1)
    {
      char *end;
      switch (opt)
        {
        case 't':
          idle_timeout = strtod (optarg, &end);
          if (end == optarg || *end || !(idle_timeout > 0. && idle_timeout <= 86400.))
            return usage (argv[0]);
          break;
        default:
          return usage (argv[0]);
        }
    }
  unsigned port = 0, bound_port;
  if (argc - optind > 1 || (argc - optind == 1 && tcp_parse_port (argv[optind], &port) < 0))
    return usage (argv[0]);

  http_fill_pattern (pattern, sizeof pattern);

  int fd = tcp_listen_loopback (port, &bound_port);
  if (fd < 0)
    return 1;

  struct ev_loop *loop = ev_default_loop (0);   /* the backend of LIBEV_FLAGS, else the default */
  if (!loop)
    {
      fputs ("http-completion: cannot initialise the event loop\n", stderr);
      return 1;
    }

  ev_ng_accept_init (&listener, on_connection, fd);
  ev_ng_accept_start (loop, &listener);
  ev_timer_init (&accept_pause, on_accept_pause_over, 0.1, 0.);   /* started on EMFILE only */
  ev_signal_init (&sigint_watcher, on_signal, SIGINT);
  ev_signal_start (loop, &sigint_watcher);
  ev_signal_init (&sigterm_watcher, on_signal, SIGTERM);
  ev_signal_start (loop, &sigterm_watcher);

  printf ("http-completion: listening on 127.0.0.1:%u\n", bound_port);
  fflush (stdout);                     /* whoever started us waits for this line */

  ev_run (loop, 0);                    /* until on_signal stopped every watcher */

  printf ("http-completion: served %llu requests on %lu connections\n", served, accepted);
  ev_loop_destroy (loop);
  return 0;
}
