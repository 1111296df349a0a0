/* SPDX-License-Identifier: BSD-2-Clause */
/* examples/echo-conn.h - one echo connection driven by libev, shared by
 * echo-server.c (one loop) and thread-server.c (one loop per thread).
 *
 * A connection is two ev_io watchers on the same socket plus a buffer:
 *   - the reader (EV_READ) is active while the buffer has room,
 *   - the writer (EV_WRITE) is active while the buffer holds unsent bytes.
 * So a slow reader on the other end makes us stop reading from it (back
 * pressure) instead of buffering without limit.
 */
#ifndef EXAMPLES_ECHO_CONN_H
#define EXAMPLES_ECHO_CONN_H

#include <ev.h>

struct echo_conn;

/* All open connections of one loop, and what they did.  Only the thread that
 * runs the loop touches it. */
struct echo_conns
{
  struct echo_conn *head;       /* open connections (a doubly linked list) */
  unsigned long accepted;       /* connections served so far */
  unsigned long long echoed;    /* bytes echoed back so far */
};

/* Serves the connected socket fd on loop until the peer closes it; takes
 * ownership of fd.  Counts the connection in set. */
void echo_conn_start (struct ev_loop *loop, struct echo_conns *set, int fd);

/* Closes every connection of set (at shutdown), stopping its watchers. */
void echo_conns_close_all (struct ev_loop *loop, struct echo_conns *set);

#endif
