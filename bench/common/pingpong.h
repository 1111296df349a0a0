/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pingpong.h - one message bouncing over one socketpair in one loop.
 * Both ends are watched; each callback reads the byte and writes it back,
 * which makes the other end readable.  Timed per message (event).
 */
#ifndef BENCH_PINGPONG_H
#define BENCH_PINGPONG_H

#include "harness.h"
#include "sockets.h"

struct pingpong
{
  int *fds;
  long messages, count;
};

static inline void
pingpong_setup (struct pingpong *pp)
{
  pp->fds = socket_ring (2);
  pp->messages = arg_work ("messages", 200000, 100);
  pp->count = 0;
}

static inline void
pingpong_serve (struct pingpong *pp)
{
  byte_write (pp->fds[1]); /* end 0 becomes readable */
}

/* the body of the read callback of end i; 1 when the last message arrived */
static inline int
pingpong_event (struct pingpong *pp, int i)
{
  byte_read (pp->fds[i]);
  if (++pp->count == pp->messages)
    return 1;
  byte_write (pp->fds[i]);
  return 0;
}

static inline void
pingpong_teardown (struct pingpong *pp)
{
  socket_ring_free (pp->fds, 2);
}

#endif
