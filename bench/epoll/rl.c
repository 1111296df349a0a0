/* SPDX-License-Identifier: BSD-2-Clause */
/* rl.c - the raw epoll loop (see rl.h) */
#define _GNU_SOURCE
#include "rl.h"
#include "common/harness.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

static void *
grow (void *p, uint32_t *cap, size_t elem)
{
  *cap = *cap ? *cap * 2 : 64;
  p = realloc (p, *cap * elem);
  CHECK (p, "realloc");
  return p;
}

void
rl_now_update (struct rl_loop *loop)
{
  loop->now = now_ns ();
}

void
rl_init (struct rl_loop *loop)
{
  memset (loop, 0, sizeof *loop);
  loop->epfd = epoll_create1 (EPOLL_CLOEXEC);
  CHECK (loop->epfd >= 0, "epoll_create1");
  loop->efd = -1;
  rl_now_update (loop);
}

void
rl_destroy (struct rl_loop *loop)
{
  close (loop->epfd);
  if (loop->efd >= 0)
    close (loop->efd);
  free (loop->heap);
  free (loop->prepare.v);
  free (loop->check.v);
  free (loop->idle.v);
  free (loop->asyncs);
  free (loop->fed);
#ifdef RL_LIBEV_IO
  free (loop->fds);
  free (loop->changes);
  for (int p = 0; p < RL_LEVELS; ++p)
    free (loop->levels[p].v);
#endif
}

void
rl_stop (struct rl_loop *loop)
{
  loop->stop = 1;
}

/* ---- io ------------------------------------------------------------------ */

static void asyncs_run (struct rl_loop *loop);

#ifndef RL_LIBEV_IO

/* the wake-up descriptor's registration: data.ptr == &loop->efd */
static epoll_data_t
wakeup_data (struct rl_loop *loop)
{
  return (epoll_data_t){ .ptr = &loop->efd };
}

void
rl_io_start (struct rl_loop *loop, struct rl_io *io, uint32_t events)
{
  struct epoll_event ev = { .events = events, .data.ptr = io };
  CHECK (!epoll_ctl (loop->epfd, EPOLL_CTL_ADD, io->fd, &ev), "epoll_ctl(ADD)");
}

void
rl_io_stop (struct rl_loop *loop, struct rl_io *io)
{
  epoll_ctl (loop->epfd, EPOLL_CTL_DEL, io->fd, 0);
}

static void
io_before_wait (struct rl_loop *loop)
{
  (void)loop;
}

/* each reported watcher's callback, at once */
static void
io_dispatch (struct rl_loop *loop, int n)
{
  for (int i = 0; i < n; ++i)
    {
      void *p = loop->evs[i].data.ptr;
      if (p == &loop->efd)
        asyncs_run (loop);
      else
        ((struct rl_io *)p)->cb (loop, p, loop->evs[i].events);
    }
}

static void
io_invoke (struct rl_loop *loop)
{
  (void)loop;
}

#else /* libev's io semantics, see rl.h */

#define RL_WAKEUP UINT64_MAX

static epoll_data_t
wakeup_data (struct rl_loop *loop)
{
  (void)loop;
  return (epoll_data_t){ .u64 = RL_WAKEUP };
}

static void
nothing_cb (struct rl_loop *loop, struct rl_io *io, uint32_t events)
{
  (void)loop;
  (void)io;
  (void)events;
}

/* what a cleared slot points to */
static struct rl_io cleared = { .fd = -1, .cb = nothing_cb };

static void
fd_queue (struct rl_loop *loop, int fd, int renew)
{
  struct rl_fd *e = &loop->fds[fd];
  e->renew |= (uint8_t)renew;
  if (e->queued)
    return;
  e->queued = 1;
  if (loop->n_changes == loop->cap_changes)
    loop->changes = grow (loop->changes, &loop->cap_changes, sizeof *loop->changes);
  loop->changes[loop->n_changes++] = fd;
}

void
rl_io_start (struct rl_loop *loop, struct rl_io *io, uint32_t events)
{
  uint32_t fd = (uint32_t)io->fd;
  if (fd >= loop->n_fds)
    {
      uint32_t n = loop->n_fds ? loop->n_fds : 64;
      while (n <= fd)
        n *= 2;
      loop->fds = realloc (loop->fds, n * sizeof *loop->fds);
      CHECK (loop->fds, "realloc");
      memset (loop->fds + loop->n_fds, 0, (n - loop->n_fds) * sizeof *loop->fds);
      loop->n_fds = n;
    }
  io->events = events;
  io->pending = 0;
  io->next = loop->fds[fd].head;
  loop->fds[fd].head = io;
  fd_queue (loop, io->fd, 1);
}

void
rl_io_stop (struct rl_loop *loop, struct rl_io *io)
{
  if (io->pending)
    {
      loop->levels[io->priority + 2].v[io->pending - 1].io = &cleared;
      io->pending = 0;
    }
  struct rl_io **p = &loop->fds[io->fd].head;
  while (*p != io)
    p = &(*p)->next;
  *p = io->next;
  fd_queue (loop, io->fd, 0);
}

/* the queued fds' registrations brought up to date */
static void
io_before_wait (struct rl_loop *loop)
{
  for (uint32_t i = 0; i < loop->n_changes; ++i)
    {
      int fd = loop->changes[i];
      struct rl_fd *e = &loop->fds[fd];
      uint32_t want = 0;
      for (struct rl_io *io = e->head; io; io = io->next)
        want |= io->events;
      int renew = e->renew;
      e->queued = e->renew = 0;
      if (want == e->mask && !(renew && want))
        continue;
      struct epoll_event ev = { .events = want, .data.u64 = (uint32_t)fd | (uint64_t)++e->gen << 32 };
      if (!want)
        epoll_ctl (loop->epfd, EPOLL_CTL_DEL, fd, 0);
      else if (!e->mask)
        CHECK (!epoll_ctl (loop->epfd, EPOLL_CTL_ADD, fd, &ev), "epoll_ctl(ADD)");
      else if (epoll_ctl (loop->epfd, EPOLL_CTL_MOD, fd, &ev)) /* a new file under the number: ENOENT */
        CHECK (errno == ENOENT && !epoll_ctl (loop->epfd, EPOLL_CTL_ADD, fd, &ev), "epoll_ctl(MOD)");
      e->mask = (uint8_t)want;
    }
  loop->n_changes = 0;
}

/* (always_inline: with the asyncs as a second caller, GCC 12 made it a call,
 * 17 instructions more an event in pipes/N=100/A=1/process) */
static inline __attribute__ ((always_inline)) void
io_queue (struct rl_loop *loop, struct rl_io *io, uint32_t revents)
{
  struct rl_level *l = &loop->levels[io->priority + 2];
  if (io->pending)
    {
      l->v[io->pending - 1].revents |= revents;
      return;
    }
  if (l->n == l->cap)
    l->v = grow (l->v, &l->cap, sizeof *l->v);
  l->v[l->n].io = io;
  l->v[l->n].revents = revents;
  io->pending = (int)++l->n;
  loop->levels_used |= 1u << (io->priority + 2);
}

/* the reported fds' watchers queued */
static void
io_dispatch (struct rl_loop *loop, int n)
{
  for (int i = 0; i < n; ++i)
    {
      uint64_t data = loop->evs[i].data.u64;
      if (data == RL_WAKEUP)
        {
          asyncs_run (loop);
          continue;
        }
      struct rl_fd *e = &loop->fds[(uint32_t)data];
      if ((uint32_t)(data >> 32) != e->gen)
        continue; /* an older registration of the number */
      uint32_t got = loop->evs[i].events;
      if (got & (EPOLLERR | EPOLLHUP))
        got |= EPOLLIN | EPOLLOUT;
      for (struct rl_io *io = e->head; io; io = io->next)
        if (io->events & got)
          io_queue (loop, io, io->events & got);
    }
}

/* the pending watchers, highest level first, newest first */
static void
io_invoke (struct rl_loop *loop)
{
  while (loop->levels_used)
    {
      int p = 31 - __builtin_clz (loop->levels_used);
      struct rl_level *l = &loop->levels[p];
      struct rl_slot s = l->v[--l->n];
      if (!l->n)
        loop->levels_used &= ~(1u << p);
      s.io->pending = 0;
      s.io->cb (loop, s.io, s.revents);
    }
}

#endif

/* ---- timers: 4-ary min-heap, deadline cached next to the pointer --------- */

static void
heap_set (struct rl_loop *loop, uint32_t i, struct rl_heap_entry e)
{
  loop->heap[i] = e;
  e.t->slot = i;
}

static void
heap_up (struct rl_loop *loop, uint32_t i)
{
  struct rl_heap_entry e = loop->heap[i];
  while (i)
    {
      uint32_t p = (i - 1) / 4;
      if (loop->heap[p].at <= e.at)
        break;
      heap_set (loop, i, loop->heap[p]);
      i = p;
    }
  heap_set (loop, i, e);
}

static void
heap_down (struct rl_loop *loop, uint32_t i)
{
  struct rl_heap_entry e = loop->heap[i];
  uint32_t n = loop->heap_n;
  for (;;)
    {
      uint32_t c = 4 * i + 1;
      if (c >= n)
        break;
      uint32_t end = c + 4 < n ? c + 4 : n, best = c;
      for (uint32_t j = c + 1; j < end; ++j)
        if (loop->heap[j].at < loop->heap[best].at)
          best = j;
      if (loop->heap[best].at >= e.at)
        break;
      heap_set (loop, i, loop->heap[best]);
      i = best;
    }
  heap_set (loop, i, e);
}

static void
heap_remove (struct rl_loop *loop, uint32_t i)
{
  uint32_t last = --loop->heap_n;
  if (i == last)
    return;
  int64_t old = loop->heap[i].at;
  heap_set (loop, i, loop->heap[last]);
  if (loop->heap[i].at < old)
    heap_up (loop, i);
  else
    heap_down (loop, i);
}

void
rl_timer_start (struct rl_loop *loop, struct rl_timer *t, int64_t after_ns)
{
  if (loop->heap_n == loop->heap_cap)
    loop->heap = grow (loop->heap, &loop->heap_cap, sizeof *loop->heap);
  t->at = loop->now + after_ns;
  uint32_t i = loop->heap_n++;
  loop->heap[i].at = t->at;
  loop->heap[i].t = t;
  heap_up (loop, i);
}

void
rl_timer_stop (struct rl_loop *loop, struct rl_timer *t)
{
  if (t->slot == RL_INACTIVE)
    return;
  heap_remove (loop, t->slot);
  t->slot = RL_INACTIVE;
}

void
rl_timer_again (struct rl_loop *loop, struct rl_timer *t, int64_t after_ns)
{
  if (t->slot == RL_INACTIVE)
    {
      rl_timer_start (loop, t, after_ns);
      return;
    }
  int64_t old = t->at;
  t->at = loop->now + after_ns;
  loop->heap[t->slot].at = t->at;
  if (t->at < old)
    heap_up (loop, t->slot);
  else
    heap_down (loop, t->slot);
}

/* ---- prepare, check, idle ------------------------------------------------ */

static void
hook_start (struct rl_hooks *hs, struct rl_hook *h)
{
  if (hs->n == hs->cap)
    hs->v = grow (hs->v, &hs->cap, sizeof *hs->v);
  h->slot = hs->n;
  hs->v[hs->n++] = h;
}

static void
hook_stop (struct rl_hooks *hs, struct rl_hook *h)
{
  struct rl_hook *last = hs->v[--hs->n];
  hs->v[h->slot] = last;
  last->slot = h->slot;
}

static void
hooks_run (struct rl_loop *loop, struct rl_hooks *hs)
{
  for (uint32_t i = 0; i < hs->n; ++i)
    hs->v[i]->cb (loop, hs->v[i]);
}

void rl_prepare_start (struct rl_loop *loop, struct rl_hook *h) { hook_start (&loop->prepare, h); }
void rl_prepare_stop (struct rl_loop *loop, struct rl_hook *h) { hook_stop (&loop->prepare, h); }
void rl_check_start (struct rl_loop *loop, struct rl_hook *h) { hook_start (&loop->check, h); }
void rl_check_stop (struct rl_loop *loop, struct rl_hook *h) { hook_stop (&loop->check, h); }
void rl_idle_start (struct rl_loop *loop, struct rl_hook *h) { hook_start (&loop->idle, h); }
void rl_idle_stop (struct rl_loop *loop, struct rl_hook *h) { hook_stop (&loop->idle, h); }

/* ---- async: one eventfd, a flag per handle ------------------------------- */

#ifdef RL_LIBEV_IO
/* the callback of a sent handle's pending slot */
static void
async_invoke (struct rl_loop *loop, struct rl_io *io, uint32_t events)
{
  (void)events;
  struct rl_async *a = (struct rl_async *)((char *)io - offsetof (struct rl_async, w));
  a->cb (loop, a);
}
#endif

void
rl_async_start (struct rl_loop *loop, struct rl_async *a)
{
  if (loop->efd < 0)
    {
      loop->efd = eventfd (0, EFD_NONBLOCK | EFD_CLOEXEC);
      CHECK (loop->efd >= 0, "eventfd");
      struct epoll_event ev = { .events = EPOLLIN, .data = wakeup_data (loop) };
      CHECK (!epoll_ctl (loop->epfd, EPOLL_CTL_ADD, loop->efd, &ev), "epoll_ctl(eventfd)");
    }
  atomic_store (&a->pending, 0);
#ifdef RL_LIBEV_IO
  a->w = (struct rl_io){ .fd = -1, .cb = async_invoke };
#endif
  loop->asyncs = realloc (loop->asyncs, (loop->n_async + 1) * sizeof *loop->asyncs);
  CHECK (loop->asyncs, "realloc");
  loop->asyncs[loop->n_async++] = a;
}

void
rl_async_send (struct rl_loop *loop, struct rl_async *a)
{
  /* an already pending handle costs one load */
  if (atomic_load_explicit (&a->pending, memory_order_acquire)
      || atomic_exchange_explicit (&a->pending, 1, memory_order_acq_rel))
    return;
  uint64_t one = 1;
  if (write (loop->efd, &one, sizeof one) != sizeof one)
    die_errno ("write(eventfd)");
}

static void
asyncs_run (struct rl_loop *loop)
{
  uint64_t v;
  if (read (loop->efd, &v, sizeof v) < 0)
    return;
  for (uint32_t i = 0; i < loop->n_async; ++i)
    if (atomic_exchange_explicit (&loop->asyncs[i]->pending, 0, memory_order_acq_rel))
#ifdef RL_LIBEV_IO
      io_queue (loop, &loop->asyncs[i]->w, EPOLLIN); /* invoked by io_invoke, as a pending watcher */
#else
      loop->asyncs[i]->cb (loop, loop->asyncs[i]);
#endif
}

/* ---- fed events ---------------------------------------------------------- */

void
rl_feed (struct rl_loop *loop, void (*cb) (struct rl_loop *, void *), void *arg)
{
  if (loop->n_fed == loop->cap_fed)
    loop->fed = grow (loop->fed, &loop->cap_fed, sizeof *loop->fed);
  loop->fed[loop->n_fed].cb = cb;
  loop->fed[loop->n_fed].arg = arg;
  ++loop->n_fed;
}

void
rl_invoke_pending (struct rl_loop *loop)
{
  while (loop->n_fed)
    {
      struct rl_fed f = loop->fed[--loop->n_fed];
      f.cb (loop, f.arg);
    }
}

/* ---- the iteration ------------------------------------------------------- */

static int
timeout_ms (struct rl_loop *loop, int mode)
{
  if (mode == RL_NOWAIT || loop->idle.n || loop->stop)
    return 0;
  if (!loop->heap_n)
    return -1;
  int64_t d = loop->heap[0].at - loop->now;
  return d <= 0 ? 0 : (int)((d + 999999) / 1000000);
}

static void
iterate (struct rl_loop *loop, int mode)
{
  hooks_run (loop, &loop->prepare);
  io_before_wait (loop);
  int n = epoll_wait (loop->epfd, loop->evs, 256, timeout_ms (loop, mode));
  rl_now_update (loop);
  io_dispatch (loop, n);
  int fired = 0;
  while (loop->heap_n && loop->heap[0].at <= loop->now)
    {
      struct rl_timer *t = loop->heap[0].t;
      heap_remove (loop, 0);
      t->slot = RL_INACTIVE;
      t->cb (loop, t);
      fired = 1;
    }
  io_invoke (loop);
  if (n <= 0 && !fired)
    hooks_run (loop, &loop->idle);
  hooks_run (loop, &loop->check);
}

void
rl_run (struct rl_loop *loop, int mode)
{
  loop->stop = 0;
  if (mode != RL_DEFAULT)
    {
      iterate (loop, mode);
      return;
    }
  while (!loop->stop)
    iterate (loop, mode);
}
