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
#ifdef RL_LIBEV_IO
  struct rl_io *next; /* the fd's next watcher */
  uint32_t events;
  int pending; /* 1 + its slot in the pending level, 0 when not pending */
  int priority;
#endif
};

#ifdef RL_LIBEV_IO
/*
 * bench-epoll-ev: the same loop with libev's io semantics, done as simply as
 * they can be, to show what they cost at the least (bench/README.md, "The
 * semantic floor").  Every io watcher of an fd is on the fd's list with its
 * own mask; a start or stop only queues the fd, and its registration is
 * brought up to date before the next wait (a start after a stop registers
 * it anew: the number may be a new file, as after ev_io_set); a reported fd
 * is checked against the generation it was registered with (an event of a
 * closed and reused number is dropped); its watchers are queued into
 * pending slots, one array per priority, and invoked highest priority
 * first, newest first, the level looked up again after each callback; a
 * stopped pending watcher leaves a slot that calls nothing.  A sent async
 * handle is queued and invoked the same way (libev's ev_async is a pending
 * watcher too).  No error recovery, no checks of misuse, timers and hooks as
 * in the raw loop.
 */
struct rl_fd
{
  struct rl_io *head;
  uint32_t gen;              /* in the upper half of the registration's data */
  uint8_t mask;              /* what the kernel has */
  uint8_t queued, renew;     /* on the change list; register anew */
};

struct rl_slot
{
  struct rl_io *io;
  uint32_t revents;
};

struct rl_level
{
  struct rl_slot *v;
  uint32_t n, cap;
};
#define RL_LEVELS 5 /* libev's priorities -2 .. 2 */
#endif

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
  atomic_int pending; /* sent since the loop last looked */
  void (*cb) (struct rl_loop *loop, struct rl_async *a);
#ifdef RL_LIBEV_IO
  struct rl_io w; /* its pending slot: a sent handle is queued like an io watcher */
#endif
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
#ifdef RL_LIBEV_IO
  struct rl_fd *fds;
  uint32_t n_fds;
  int *changes;
  uint32_t n_changes, cap_changes;
  struct rl_level levels[RL_LEVELS];
  unsigned levels_used; /* bit p: levels[p] has slots */
#endif
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
