/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * loop.h - the loop-overhead workload, shared by every library.
 *
 * One io watcher on a descriptor that never becomes ready keeps every loop
 * alive and polling (libuv and libevent return at once from a loop without
 * watchers).  Then, for k = 0, 10, 100: k prepare, k check and k idle
 * watchers, and `iters` non-blocking iterations (timed per iteration; fewer
 * iterations for larger k).  The callbacks count, and the count is checked.
 * Last, feed-invoke: feed one event to a watcher and invoke the pending
 * callbacks, `feeds` times (timed per event).
 * bench/run and bench/callgrind derive loop/hook-callback =
 * (k=100 - k=0) / 300, the cost of one prepare/check/idle callback.
 */
#ifndef BENCH_LOOP_H
#define BENCH_LOOP_H

#include "harness.h"

#define LOOP_MAX_K 100
static const int loop_ks[] = { 0, 10, 100 };

struct loop_bench
{
  long base_iters;
  long feeds;
  long calls;        /* incremented by every prepare/check/idle/fed callback */
  char label[3][32];
};

static inline void
loop_setup (struct loop_bench *b)
{
  b->base_iters = arg_work ("iters", 200000, 1000);
  b->feeds = arg_work ("feeds", 1000000, 1000);
  b->calls = 0;
  for (int i = 0; i < 3; ++i)
    fmt_label (b->label[i], sizeof b->label[i], "loop/k=%d/nowait", loop_ks[i]);
}

static inline long
loop_iters (const struct loop_bench *b, int k)
{
  return b->base_iters * 10 / (10 + k);
}

/* every callback must have run exactly as often as the library promises */
static inline void
loop_check_calls (struct loop_bench *b, long expected, const char *what)
{
  if (b->calls != expected)
    die ("loop: %s: %ld callbacks, expected %ld", what, b->calls, expected);
  b->calls = 0;
}

#endif
