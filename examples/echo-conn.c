/* SPDX-License-Identifier: BSD-2-Clause */
/* examples/echo-conn.c - one echo connection: read, buffer, write back.
 *
 * The state machine, for a newcomer:
 *
 *   peer sends data   -> reader fires -> recv() into the buffer -> try send()
 *   send() would block (EAGAIN: the peer's receive window is full)
 *                     -> keep the rest, start the writer, retry when writable
 *   buffer full       -> stop the reader until the writer made room (the peer
 *                        must read its echo before it may send more)
 *   peer shut down its side (recv() == 0)
 *                     -> stop reading, finish sending, then close.
 */
#define _POSIX_C_SOURCE 200809L

#include "echo-conn.h"
#include "tcp.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUFFER_SIZE 16384

struct echo_conn
{
  ev_io reader;                  /* EV_READ on the socket: active while buf has room */
  ev_io writer;                  /* EV_WRITE on the socket: active while bytes wait in buf */
  struct echo_conns *set;        /* the list this connection is on */
  struct echo_conn *prev, *next;
  size_t head, tail;             /* the bytes still to send are buf[head .. tail) */
  bool eof;                      /* the peer has shut down its sending side */
  char buf[BUFFER_SIZE];
};

static void
conn_close (struct ev_loop *loop, struct echo_conn *c)
{
  /* Stop before free: an active watcher belongs to the loop (ev(3),
   * WATCHER STATES), and stopping also drops an event that may already be
   * pending for it in this iteration, so its callback cannot run on freed
   * memory. */
  ev_io_stop (loop, &c->reader);
  ev_io_stop (loop, &c->writer);
  close (c->reader.fd);

  if (c->prev)
    c->prev->next = c->next;
  else
    c->set->head = c->next;
  if (c->next)
    c->next->prev = c->prev;
  free (c);
}

/* Makes the watchers match the buffer: the writer runs while there is
 * something to send, the reader while there is room and the peer may still
 * send.  Starting an active watcher or stopping an inactive one does nothing
 * (ev(3), GENERIC WATCHER FUNCTIONS), so no bookkeeping is needed. */
static void
conn_update (struct ev_loop *loop, struct echo_conn *c)
{
  if (c->head == c->tail)
    {
      c->head = c->tail = 0;      /* all sent: the whole buffer is free again */
      if (c->eof)
        {
          conn_close (loop, c);   /* nothing more will come, nothing left to send */
          return;
        }
      ev_io_stop (loop, &c->writer);
    }
  else
    {
      ev_io_start (loop, &c->writer);
      if (c->tail == sizeof c->buf && c->head > 0)
        {
          /* move the unsent bytes to the front to make room for reading */
          memmove (c->buf, c->buf + c->head, c->tail - c->head);
          c->tail -= c->head;
          c->head = 0;
        }
    }

  if (!c->eof && c->tail < sizeof c->buf)
    ev_io_start (loop, &c->reader);
  else
    ev_io_stop (loop, &c->reader);
}

/* Sends as much of the buffer as the socket takes now.  Returns false if the
 * connection failed (the caller closes it). */
static bool
conn_flush (struct echo_conn *c)
{
  while (c->head < c->tail)
    {
      /* MSG_NOSIGNAL: a peer that vanished gives us EPIPE instead of a
       * SIGPIPE that would kill the whole server */
      ssize_t n = send (c->writer.fd, c->buf + c->head, c->tail - c->head, MSG_NOSIGNAL);
      if (n >= 0)
        {
          c->head += (size_t) n;
          c->set->echoed += (unsigned long long) n;
        }
      else if (errno == EAGAIN || errno == EWOULDBLOCK)
        return true;              /* socket full: the writer will tell us when to go on */
      else if (errno != EINTR)
        return false;
    }
  return true;
}

static void
on_writable (struct ev_loop *loop, ev_io *w, int revents)
{
  struct echo_conn *c = w->data;
  (void) revents;

  if (!conn_flush (c))
    conn_close (loop, c);
  else
    conn_update (loop, c);
}

static void
on_readable (struct ev_loop *loop, ev_io *w, int revents)
{
  struct echo_conn *c = w->data;
  (void) revents;

  /* One recv() per callback: ev_io is level-triggered, so if more data is
   * waiting the watcher fires again in the next iteration, after the other
   * connections had their turn. */
  ssize_t n = recv (w->fd, c->buf + c->tail, sizeof c->buf - c->tail, 0);
  if (n > 0)
    {
      c->tail += (size_t) n;
      /* Try to send right away: usually the socket has room, and this saves
       * a trip through the loop for the writer. */
      if (!conn_flush (c))
        {
          conn_close (loop, c);
          return;
        }
    }
  else if (n == 0)
    c->eof = true;                /* orderly shutdown by the peer */
  else if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
    return;                       /* readiness was stale: just wait again */
  else
    {
      conn_close (loop, c);       /* ECONNRESET and friends */
      return;
    }

  conn_update (loop, c);
}

void
echo_conn_start (struct ev_loop *loop, struct echo_conns *set, int fd)
{
  struct echo_conn *c = malloc (sizeof *c);
  if (!c || tcp_set_nonblocking (fd) < 0)
    {
      perror ("echo connection");
      free (c);
      close (fd);
      return;
    }

  c->set = set;
  c->head = c->tail = 0;
  c->eof = false;
  c->prev = NULL;
  c->next = set->head;
  if (set->head)
    set->head->prev = c;
  set->head = c;
  set->accepted++;

  /* ev_io_init sets callback, fd and events; "data" is libev's spare
   * pointer for us, the usual way to get from a watcher to its owner. */
  ev_io_init (&c->reader, on_readable, fd, EV_READ);
  ev_io_init (&c->writer, on_writable, fd, EV_WRITE);
  c->reader.data = c->writer.data = c;

  ev_io_start (loop, &c->reader);   /* only the reader: nothing to write yet */
}

void
echo_conns_close_all (struct ev_loop *loop, struct echo_conns *set)
{
  while (set->head)
    conn_close (loop, set->head);
}
