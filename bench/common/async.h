/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * async.h - cross-thread wake-ups, shared by every library.
 *
 * wakeup:  a second thread sends `wakeups` times; before each send it stores
 *          the time, then it sleeps on a semaphore until the loop's callback
 *          posts it.  Timed per round trip (1e9 / value = wake-ups per
 *          second, each waking the sleeping loop thread); the callback also
 *          sums send-to-callback latency (async/latency).  The sender
 *          sleeps rather than spins: a spinning thread takes a core the loop
 *          thread may need on a busy 2-core machine, and its sched_yield
 *          calls would pollute the system call counts.
 * redundant-send: the watcher is made pending once, then `sends` more sends
 *          from the loop thread must all be coalesced into it (timed per
 *          send; the callback must then run exactly once).
 */
#ifndef BENCH_ASYNC_H
#define BENCH_ASYNC_H

#include "harness.h"

#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>

struct async_bench
{
  long wakeups, sends;
  void (*send) (void *ctx); /* the library's send, called by the sender thread */
  void *ctx;
  _Atomic int64_t sent_at;
  long received;
  double latency_sum;
  sem_t sem;
  pthread_t thread;
  struct region region;
};

void async_setup (struct async_bench *b, void (*send) (void *), void *ctx);
/* begins the async/wakeup region and starts the sender thread */
void async_sender_start (struct async_bench *b);
/* joins the sender and ends the region */
void async_sender_join (struct async_bench *b);

/* called first in the library's async callback during the wake-up phase;
 * returns 1 after the last round (the caller then leaves its loop) */
static inline int
async_received (struct async_bench *b)
{
  b->latency_sum += (double)(now_ns () - atomic_load_explicit (&b->sent_at, memory_order_acquire));
  ++b->received;
  sem_post (&b->sem);
  return b->received == b->wakeups;
}

void async_report_latency (struct async_bench *b);

#endif
