/* SPDX-License-Identifier: BSD-2-Clause */
/* examples/http-server.c - an HTTP/1.1 server on one loop: keep-alive,
 * pipelining, per-connection idle timeouts, back pressure.
 *
 *   usage: http-server [-t IDLE_SECONDS] [PORT]
 *
 * Listens on 127.0.0.1:PORT (default 0: any free port, printed at start) and
 * answers GET and HEAD for a few built-in paths:
 *
 *   /           a short greeting
 *   /bytes/N    N bytes (0 <= N <= 2^30) of "abc...xyzabc...", generated
 *               while sending, so a huge response costs no memory
 *   anything    404
 *
 * Connections stay open between requests (HTTP/1.1's default; HTTP/1.0 only
 * with "Connection: keep-alive"), requests sent back to back without waiting
 * ("pipelined") are answered in order, and a connection idle for
 * IDLE_SECONDS (default 5) is closed.  SIGINT or SIGTERM closes everything
 * and prints what was served.  Try it:
 *
 *   $ examples/http-server 8080 &
 *   $ curl -v http://127.0.0.1:8080/ http://127.0.0.1:8080/bytes/10   (one connection, two requests)
 *   $ kill %1
 *
 * What to read here, in order: conn_pump() (the whole state machine of a
 * connection), on_idle() (one ev_timer per connection, pushed back with
 * ev_timer_again).  The HTTP itself, parsing a request and choosing its
 * response, is plain C in http-request.c, which examples/http-completion
 * shares.
 *
 * This is an example, not a web server: no request bodies, no chunked
 * encoding, no TLS, loopback only.
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
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Response bytes waiting for the socket.  When the socket does not take
 * them (the client reads slowly, or not at all), the buffer fills up and we
 * stop reading requests: that is the back pressure.  Memory per connection
 * stays HTTP_HEAD_MAX + OUT_SIZE whatever the client does; the input buffer
 * holds one request head at most (http-request.h). */
#define OUT_SIZE 16384

enum conn_state
{
  READING,      /* taking requests */
  CLOSING,      /* the last response is on its way; then we half-close */
  LINGERING     /* our side is shut down: read and discard until the client closes */
};

struct conn
{
  ev_io reader;                 /* EV_READ: active while we want input (see conn_pump) */
  ev_io writer;                 /* EV_WRITE: active while output is waiting */
  ev_timer idle;                /* closes the connection after idle_timeout without activity */
  struct conn *prev, *next;     /* all open connections, to close them at shutdown */
  enum conn_state state;
  bool peer_eof;                /* the client shut down its sending side */
  size_t in_len;                /* bytes in in[] not yet consumed by a request */
  size_t out_head, out_tail;    /* out[out_head .. out_tail) waits for the socket */
  unsigned long long body_left; /* of the /bytes/N response being generated */
  unsigned long long body_pos;
  char in[HTTP_HEAD_MAX];
  char out[OUT_SIZE];
};

static double idle_timeout = 5.;
static struct conn *conns;             /* list head */
static unsigned long accepted;         /* connections so far */
static unsigned long long served;      /* responses so far, errors included */

static ev_io listener;
static ev_timer accept_pause;
static ev_signal sigint_watcher, sigterm_watcher;

/* "abcdefghijklmnopqrstuvwxyz" repeated, long enough that any piece of a
 * /bytes/N body up to OUT_SIZE bytes is one memcpy from it */
static char pattern[OUT_SIZE + 26];

/* ---- a connection ---------------------------------------------------------- */

static void
conn_close (struct ev_loop *loop, struct conn *c)
{
  /* Stop every watcher before free(): an active or pending watcher belongs
   * to the loop (ev(3), WATCHER STATES), and stopping also forgets an event
   * already pending for it, so no callback can run on freed memory. */
  ev_io_stop (loop, &c->reader);
  ev_io_stop (loop, &c->writer);
  ev_timer_stop (loop, &c->idle);
  close (c->reader.fd);

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

/* Something happened on the connection: push the idle timeout back.
 *
 * ev(3), ev_timer, "Choosing a timeout strategy" (libev's "Be smart about
 * timeouts"), technique 2: the timer's "repeat" is the timeout, and
 * ev_timer_again restarts it from now.  That is one adjustment of the
 * loop's timer heap per activity, where stop + set + start would be two;
 * and the timer stays the only state: no "last activity" field to keep
 * right.  (Technique 3 makes activity cost a single assignment, at the
 * price of a more subtle callback; worth it with very chatty connections.) */
static void
conn_active (struct ev_loop *loop, struct conn *c)
{
  if (c->state != LINGERING)     /* a lingering client cannot buy time by talking */
    ev_timer_again (loop, &c->idle);
}

/* Queues the response res: its head (and text), then for /bytes/N the body,
 * generated by conn_pump as the socket takes it.  The caller made sure
 * HTTP_HEAD_ROOM bytes are free. */
static void
respond (struct ev_loop *loop, struct conn *c, const struct http_response *res)
{
  /* ev_now() is the time the loop took when the iteration began: no system
   * call, and the same for every response of an iteration. */
  c->out_tail += http_format_head (c->out + c->out_tail, res, (time_t) ev_now (loop));
  if (!res->text && !res->head_only)
    {
      c->body_left = res->length;
      c->body_pos = 0;
    }
  if (!res->keep_alive)
    c->state = CLOSING;         /* whatever else the client sent is not read */
  served++;
}

/* Takes the next request out of c->in and queues its response.  Returns
 * false if no complete request is there yet. */
static bool
handle_request (struct ev_loop *loop, struct conn *c)
{
  struct http_response res;
  size_t used = http_next_response (c->in, c->in_len, &res);
  if (!used)
    return false;
  respond (loop, c, &res);
  /* consume the head (at most HTTP_HEAD_MAX bytes to move: cheap) */
  memmove (c->in, c->in + used, c->in_len - used);
  c->in_len -= used;
  return true;
}

/* ---- the state machine ------------------------------------------------------ */

/* Appends as much of the current /bytes/N body as fits in the buffer. */
static void
fill_body (struct conn *c)
{
  size_t room = sizeof c->out - c->out_tail;
  size_t chunk = c->body_left < room ? (size_t) c->body_left : room;
  memcpy (c->out + c->out_tail, pattern + c->body_pos % 26, chunk);
  c->out_tail += chunk;
  c->body_pos += chunk;
  c->body_left -= chunk;
}

/* Fills the output buffer: first the rest of the body being sent, then the
 * responses to the requests waiting in c->in.  Returns true if it stopped
 * for lack of room while more requests may be waiting (then the writer must
 * call again once the socket took some output, even if no new input comes).
 *
 * At most one buffer per call: a huge response goes out one OUT_SIZE piece
 * per loop iteration, so other connections get their turn in between.
 * Pipelined requests are answered strictly one after the other (HTTP/1.1
 * has no other way to match responses to requests): the next is only looked
 * at when the previous response is entirely in the buffer. */
static bool
produce (struct ev_loop *loop, struct conn *c)
{
  if (c->out_head > 0)
    {
      /* move the unsent bytes to the front: the free room is at the end */
      memmove (c->out, c->out + c->out_head, c->out_tail - c->out_head);
      c->out_tail -= c->out_head;
      c->out_head = 0;
    }
  for (;;)
    {
      if (c->body_left)
        {
          fill_body (c);
          if (c->body_left)
            return false;        /* buffer full; body_left keeps the writer going */
        }
      if (c->state != READING)
        return false;            /* no more requests on this connection */
      if (sizeof c->out - c->out_tail < HTTP_HEAD_ROOM)
        return true;
      if (!handle_request (loop, c))
        return false;            /* no complete request (yet) */
    }
}

/* Sends what the socket takes.  Returns false if the connection failed. */
static bool
conn_flush (struct ev_loop *loop, struct conn *c)
{
  bool progress = false;
  while (c->out_head < c->out_tail)
    {
      /* MSG_NOSIGNAL: a client that vanished gives EPIPE here, not a
       * SIGPIPE that would kill the whole server */
      ssize_t n = send (c->writer.fd, c->out + c->out_head, c->out_tail - c->out_head, MSG_NOSIGNAL);
      if (n > 0)
        {
          c->out_head += (size_t) n;
          progress = true;
        }
      else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        break;                 /* socket full: the writer tells us when to go on */
      else if (n < 0 && errno != EINTR)
        return false;
    }
  if (c->out_head == c->out_tail)
    c->out_head = c->out_tail = 0;
  if (progress)
    conn_active (loop, c);     /* a client that reads is not idle */
  return true;
}

/* Everything a connection does is decided here, after each read and each
 * write: produce responses, send, then set the watchers to what we wait for.
 * Starting an active watcher or stopping an inactive one does nothing
 * (ev(3), GENERIC WATCHER FUNCTIONS), so the watchers are simply set to
 * what the state says, without remembering what they were. */
static void
conn_pump (struct ev_loop *loop, struct conn *c)
{
  /* 1. Output: produce, then send what the socket takes right away (usually
   * all of it: this saves a trip through the loop for the writer). */
  bool more = produce (loop, c);
  if (!conn_flush (loop, c))
    {
      conn_close (loop, c);    /* ECONNRESET, EPIPE: the client is gone */
      return;
    }
  bool sending = c->out_tail > 0 || c->body_left > 0 || more;

  /* 2. Ending.  After the last response, shut down our sending side (the
   * client sees the end of the stream) but keep reading, and discarding,
   * until the client closes too.  Why not close() at once: closing a socket
   * with unread input makes the kernel send a reset, which can destroy the
   * response still in flight before the client read it (RFC 9112 9.6). */
  if (!sending && c->state == CLOSING)
    {
      shutdown (c->writer.fd, SHUT_WR);
      c->state = LINGERING;
      ev_timer_again (loop, &c->idle);   /* a last idle period to close in */
    }
  if (c->peer_eof && (c->state == LINGERING || (c->state == READING && !sending)))
    {
      /* the client has stopped sending and got every answer it asked for
       * (an incomplete request left in c->in will never be completed) */
      conn_close (loop, c);
      return;
    }

  /* 3. The watchers.  Reading is the back pressure point: while the output
   * buffer cannot take another response, we do not read more requests, so
   * a client that sends requests but never reads responses just fills its
   * socket buffer and ours, and then the kernel's TCP window stops it. */
  if (sending)
    ev_io_start (loop, &c->writer);
  else
    ev_io_stop (loop, &c->writer);

  bool want_input = !c->peer_eof
                    && (c->state == LINGERING
                        || (c->state == READING && !c->body_left
                            && sizeof c->out - (c->out_tail - c->out_head) >= HTTP_HEAD_ROOM
                            && c->in_len < sizeof c->in));
  if (want_input)
    ev_io_start (loop, &c->reader);
  else
    ev_io_stop (loop, &c->reader);
}

static void
on_readable (struct ev_loop *loop, ev_io *w, int revents)
{
  struct conn *c = w->data;
  (void) revents;

  char discard[4096];
  char *into = c->state == LINGERING ? discard : c->in + c->in_len;
  size_t room = c->state == LINGERING ? sizeof discard : sizeof c->in - c->in_len;

  /* One recv() per callback: ev_io is level-triggered, so if more is
   * waiting the watcher fires again next iteration, after the other
   * connections had their turn. */
  ssize_t n = recv (w->fd, into, room, 0);
  if (n > 0)
    {
      if (c->state != LINGERING)
        c->in_len += (size_t) n;
      conn_active (loop, c);
    }
  else if (n == 0)
    c->peer_eof = true;            /* orderly shutdown by the client */
  else if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
    return;                        /* the readiness was stale: wait again */
  else
    {
      conn_close (loop, c);        /* ECONNRESET and friends */
      return;
    }
  conn_pump (loop, c);
}

static void
on_writable (struct ev_loop *loop, ev_io *w, int revents)
{
  (void) revents;
  conn_pump (loop, w->data);
}

static void
conn_start (struct ev_loop *loop, int fd)
{
  struct conn *c = malloc (sizeof *c);
  if (!c || tcp_set_nonblocking (fd) < 0)
    {
      perror ("http-server: connection");
      free (c);
      close (fd);
      return;
    }
  c->state = READING;
  c->peer_eof = false;
  c->in_len = c->out_head = c->out_tail = 0;
  c->body_left = c->body_pos = 0;
  c->prev = NULL;
  c->next = conns;
  if (conns)
    conns->prev = c;
  conns = c;
  accepted++;

  ev_io_init (&c->reader, on_readable, fd, EV_READ);
  ev_io_init (&c->writer, on_writable, fd, EV_WRITE);
  /* The idle timer, technique 2 of "Choosing a timeout strategy": only
   * "repeat" is set (ev_init leaves "after" alone, ev_timer_again ignores
   * it); ev_timer_again starts it, and restarts it on every activity. */
  ev_init (&c->idle, on_idle);
  c->idle.repeat = idle_timeout;
  c->reader.data = c->writer.data = c->idle.data = c;

  ev_io_start (loop, &c->reader);
  ev_timer_again (loop, &c->idle);
}

/* ---- the server ----------------------------------------------------------------- */

static void
on_connection (struct ev_loop *loop, ev_io *w, int revents)
{
  (void) revents;

  /* Accept everything that is waiting, until EAGAIN: cheaper than one loop
   * iteration per client under a burst of connections. */
  for (;;)
    {
      int fd = accept (w->fd, NULL, NULL);
      if (fd >= 0)
        {
          conn_start (loop, fd);
          continue;
        }
      if (errno == EINTR || errno == ECONNABORTED)
        continue;                      /* the client gave up already: next one */
      if (errno == EMFILE || errno == ENFILE)
        {
          /* Out of descriptors.  The client stays queued, so the listener
           * stays readable and this level-triggered watcher would spin.
           * Stop it and let a one-shot timer start it again; meanwhile idle
           * timeouts free descriptors. */
          fprintf (stderr, "http-server: accept: %s, pausing\n", strerror (errno));
          ev_io_stop (loop, w);
          ev_timer_set (&accept_pause, 0.1, 0.);   /* a fired one-shot timer has used up its "after" */
          ev_timer_start (loop, &accept_pause);
        }
      else if (errno != EAGAIN && errno != EWOULDBLOCK)
        perror ("http-server: accept");
      return;
    }
}

static void
on_accept_pause_over (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void) w;
  (void) revents;
  ev_io_start (loop, &listener);
}

static void
on_signal (struct ev_loop *loop, ev_signal *w, int revents)
{
  (void) revents;
  printf ("http-server: caught signal %d, shutting down\n", w->signum);

  /* Stop every watcher: ev_run() returns once none is active, which also
   * proves that nothing was forgotten. */
  ev_io_stop (loop, &listener);
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

  struct ev_loop *loop = ev_default_loop (0);
  if (!loop)
    {
      fputs ("http-server: cannot initialise the event loop\n", stderr);
      return 1;
    }

  ev_io_init (&listener, on_connection, fd, EV_READ);
  ev_io_start (loop, &listener);
  ev_timer_init (&accept_pause, on_accept_pause_over, 0.1, 0.);   /* started on EMFILE only */
  ev_signal_init (&sigint_watcher, on_signal, SIGINT);
  ev_signal_start (loop, &sigint_watcher);
  ev_signal_init (&sigterm_watcher, on_signal, SIGTERM);
  ev_signal_start (loop, &sigterm_watcher);

  printf ("http-server: listening on 127.0.0.1:%u\n", bound_port);
  fflush (stdout);                     /* whoever started us waits for this line */

  ev_run (loop, 0);                    /* until on_signal stopped every watcher */

  printf ("http-server: served %llu requests on %lu connections\n", served, accepted);
  ev_loop_destroy (loop);
  return 0;
}
