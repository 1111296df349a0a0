/* SPDX-License-Identifier: BSD-2-Clause */
/* async.c - the sender thread of the async workload (see async.h) */
#include "async.h"

#include <errno.h>

void
async_setup (struct async_bench *b, void (*send) (void *), void *ctx)
{
  b->wakeups = arg_work ("wakeups", 20000, 100);
  b->sends = arg_work ("sends", 10000000, 1000);
  b->send = send;
  b->ctx = ctx;
  atomic_store (&b->sent_at, 0);
  b->received = 0;
  b->latency_sum = 0;
  CHECK (!sem_init (&b->sem, 0, 0), "sem_init");
}

static void *
sender (void *arg)
{
  struct async_bench *b = arg;
  for (long i = 0; i < b->wakeups; ++i)
    {
      atomic_store_explicit (&b->sent_at, now_ns (), memory_order_release);
      b->send (b->ctx);
      while (sem_wait (&b->sem) && errno == EINTR)
        ;
    }
  return 0;
}

void
async_sender_start (struct async_bench *b)
{
  region_begin (&b->region, "async/wakeup");
  CHECK (!pthread_create (&b->thread, 0, sender, b), "pthread_create");
}

void
async_sender_join (struct async_bench *b)
{
  pthread_join (b->thread, 0);
  region_end (&b->region, (double)b->wakeups, "ns/wakeup");
  if (b->received != b->wakeups)
    die ("async: %ld wake-ups received, %ld sent", b->received, b->wakeups);
}

void
async_report_latency (struct async_bench *b)
{
  metric_add ("async/latency", b->latency_sum, (double)b->received, "ns");
  sem_destroy (&b->sem);
}
