/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pipes.h - the classic libevent/libev benchmark, shared by every library.
 *
 * N watched socketpair ends, each with a read watcher and a timeout of
 * 10 s + a random fraction (never expiring).  One run:
 *   re-arm:  for every end, re-arm its read watcher and its timeout
 *            (timed per watcher);
 *   process: A writes spaced N/A apart start A chains; the read callback
 *            reads its byte and, while fewer than W bytes were written,
 *            writes one byte so that the next end becomes readable (timed
 *            per event, W events per run).
 * One warm-up run is not measured.  For small N one re-arm is too short to
 * time, so each run re-arms `rearm_passes` times (about 20000 watchers per
 * run); an untimed non-blocking iteration between passes applies the
 * previous pass, so every pass re-arms watchers the loop has already seen,
 * as the classic run does.
 */
#ifndef BENCH_PIPES_H
#define BENCH_PIPES_H

#include "harness.h"
#include "sockets.h"

struct pipes
{
  int n, active;
  long writes;      /* W: events per run */
  int runs;         /* measured runs; one warm-up run precedes them */
  int rearm_passes; /* re-arms of all N per run */
  int *fds;
  long fired, written;
  struct rng rng;
  char rearm_label[64], process_label[64];
};

static inline void
pipes_setup (struct pipes *p)
{
  p->n = (int)arg_long ("n", 1000);
  p->active = (int)arg_long ("a", 1);
  if (p->n < 2 || p->n % 2 || p->active < 1 || p->active > p->n)
    die ("pipes: need n even >= 2 and 1 <= a <= n");
  /* W is a size, not an amount of work: the cost per event depends on it
   * (the re-arm's descriptor changes are applied in the first iteration),
   * so --quick and callgrind scale the number of runs instead */
  p->writes = arg_long ("writes", 10000);
  if (p->writes < p->active)
    die ("pipes: writes=%ld must be >= a=%d", p->writes, p->active);
  p->runs = (int)arg_work ("runs", 4, 1);
  p->rearm_passes = (int)(arg_work ("rearms", 20000, 1) / p->n);
  if (p->rearm_passes < 1)
    p->rearm_passes = 1;
  p->fds = socket_ring (p->n);
  p->rng = rng_seed (1);
  fmt_label (p->rearm_label, sizeof p->rearm_label, "pipes/N=%d/A=%d/rearm", p->n, p->active);
  fmt_label (p->process_label, sizeof p->process_label, "pipes/N=%d/A=%d/process", p->n, p->active);
}

/* the timeout of the next re-armed watcher, in microseconds */
static inline long
pipes_timeout_us (struct pipes *p)
{
  return 10000000 + (long)rng_below (&p->rng, 1000000);
}

static inline void
pipes_start_chains (struct pipes *p)
{
  int space = p->n / p->active;
  p->fired = 0;
  for (int i = 0; i < p->active; ++i)
    byte_write (p->fds[(i * space) ^ 1]);
  p->written = p->active;
}

/* the body of every library's read callback for end i */
static inline void
pipes_event (struct pipes *p, int i)
{
  byte_read (p->fds[i]);
  ++p->fired;
  if (p->written < p->writes)
    {
      int next = i + 1 == p->n ? 0 : i + 1;
      byte_write (p->fds[next ^ 1]);
      ++p->written;
    }
}

static inline int
pipes_done (const struct pipes *p)
{
  return p->fired >= p->writes;
}

static inline void
pipes_teardown (struct pipes *p)
{
  socket_ring_free (p->fds, p->n);
}

#endif
