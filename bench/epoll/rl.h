/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rl.h - "raw loop": the smallest hand-written epoll loop that can run the
 * workloads, the floor every library is compared against.  It does only
 * what the workloads need: level-triggered io, a 4-ary heap of timers with
 * deadlines cached in the heap entries, prepare/check/idle hooks, one
 * eventfd shared by all async handles, a fed-event queue.  No priorities,
 * no time-jump handling, no error recovery, no fairness guarantees.
 * It lives in its own translation unit so that its calls cost what a
 * library call costs.
 */
#ifndef BENCH_RL_H
#define BENCH_RL_H

#include <stdatomic.h>
#include <stdint.h>
#include <sys/epoll.h>

struct rl_loop;

struct rl_io
{
  int fd;
  void (*cb) (struct rl_loop *loop, struct rl_io *io, uint32_t events);
};

#define RL_INACTIVE UINT32_MAX
struct rl_timer
{
  int64_t at;     /* monotonic ns */
  uint32_t slot;  /* index in the heap, RL_INACTIVE when stopped */
  void (*cb) (struct rl_loop *loop, struct rl_timer *t);
};

struct rl_hook
{
  uint32_t slot;
  void (*cb) (struct rl_loop *loop, struct rl_hook *h);
};

struct rl_async
{
  atomic_int pending;
  void (*cb) (struct rl_loop *loop, struct rl_async *a);
};

struct rl_heap_entry
{
  int64_t at;
  struct rl_timer *t;
};

struct rl_fed
{
  void (*cb) (struct rl_loop *loop, void *arg);
  void *arg;
};

struct rl_hooks
{
  struct rl_hook **v;
  uint32_t n, cap;
};

struct rl_loop
{
  int epfd, efd;
  int stop;
  int64_t now;
  struct rl_heap_entry *heap;
  uint32_t heap_n, heap_cap;
  struct rl_hooks prepare, check, idle;
  struct rl_async **asyncs;
  uint32_t n_async;
  struct rl_fed *fed;
  uint32_t n_fed, cap_fed;
  struct epoll_event evs[256];
};

enum { RL_DEFAULT, RL_ONCE, RL_NOWAIT };

void rl_init (struct rl_loop *loop);
void rl_destroy (struct rl_loop *loop);
/* RL_DEFAULT: until rl_stop; RL_ONCE: one blocking iteration;
 * RL_NOWAIT: one iteration that does not block */
void rl_run (struct rl_loop *loop, int mode);
void rl_stop (struct rl_loop *loop);
void rl_now_update (struct rl_loop *loop);

void rl_io_start (struct rl_loop *loop, struct rl_io *io, uint32_t events);
void rl_io_stop (struct rl_loop *loop, struct rl_io *io);

void rl_timer_start (struct rl_loop *loop, struct rl_timer *t, int64_t after_ns);
void rl_timer_stop (struct rl_loop *loop, struct rl_timer *t);
/* re-arm in place (start when stopped) */
void rl_timer_again (struct rl_loop *loop, struct rl_timer *t, int64_t after_ns);

void rl_prepare_start (struct rl_loop *loop, struct rl_hook *h);
void rl_prepare_stop (struct rl_loop *loop, struct rl_hook *h);
void rl_check_start (struct rl_loop *loop, struct rl_hook *h);
void rl_check_stop (struct rl_loop *loop, struct rl_hook *h);
void rl_idle_start (struct rl_loop *loop, struct rl_hook *h);
void rl_idle_stop (struct rl_loop *loop, struct rl_hook *h);

void rl_async_start (struct rl_loop *loop, struct rl_async *a);
void rl_async_send (struct rl_loop *loop, struct rl_async *a);

void rl_feed (struct rl_loop *loop, void (*cb) (struct rl_loop *, void *), void *arg);
void rl_invoke_pending (struct rl_loop *loop);

#endif
