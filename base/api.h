// SPDX-License-Identifier: BSD-2-Clause
// base/api.h - how the core sees the public headers.
//
// Every translation unit of the core includes this first.  The public header
// is included with default visibility so that exactly the functions and the
// one data object it declares are exported, while everything else in the
// library (compiled with -fvisibility=hidden) stays internal.
#pragma once

#include "config.h"

// Without the libev 3 names, `ev_loop` is the struct (a typedef) instead of
// the inline ev_loop() wrapper; the wrappers are header-only, so the
// library's ABI does not depend on this.
#define EV_COMPAT3 0
// The library defines ev_walk and ev_dump (extensions that ev.h declares
// only on request).
#define EV_WALK_ENABLE 1

#pragma GCC visibility push(default)
#include "ev.h"
#pragma GCC visibility pop

#include <cstddef>
#include <cstdint>
#include <type_traits>

// The ABI of libev 4.33 on x86-64 (doc/semantics.md §2): the core
// reads and writes these fields directly, so their places are frozen here.
static_assert(sizeof(ev_tstamp) == 8);
static_assert(sizeof(ev_watcher) == 32 && offsetof(ev_watcher, priority) == 8 && offsetof(ev_watcher, data) == 16 &&
              offsetof(ev_watcher, cb) == 24);
static_assert(sizeof(ev_watcher_list) == 40 && offsetof(ev_watcher_list, next) == 32);
static_assert(sizeof(ev_watcher_time) == 40 && offsetof(ev_watcher_time, at) == 32);
static_assert(sizeof(ev_io) == 48 && offsetof(ev_io, fd) == 40 && offsetof(ev_io, events) == 44);
static_assert(sizeof(ev_timer) == 48 && offsetof(ev_timer, repeat) == 40);
static_assert(sizeof(ev_periodic) == 64 && offsetof(ev_periodic, reschedule_cb) == 56);
static_assert(sizeof(ev_signal) == 48 && offsetof(ev_signal, signum) == 40);
static_assert(sizeof(ev_child) == 56 && offsetof(ev_child, rstatus) == 52);
static_assert(sizeof(ev_stat) == 400 && offsetof(ev_stat, wd) == 392);
static_assert(sizeof(ev_embed) == 360 && offsetof(ev_embed, fork) == 296);
static_assert(sizeof(ev_async) == 40 && offsetof(ev_async, sent) == 32);
static_assert(sizeof(union ev_any_watcher) == 400);

namespace ev_detail {

// Number of priority levels and the index of a priority in per-level arrays.
inline constexpr int kNumPri = EV_MAXPRI - EV_MINPRI + 1;

// Branch hints.  They stay only where bench/callgrind shows they pay; what
// removing a file's hints costs (instructions per unit, 2026-11-23):
//   backends/epoll.cc                      pingpong +1.2%, echo/C=100 +1.1%
//   watchers/timer.cc, base/heap.h         timers again +1.2%, expiry +1.3-1.5%
//   base/slot_queue.h, pending.h, array.h, fdtable.h
//                                          echo/C=100 +2.1%, pipes A=100 process +1.3-1.6%
//   base/alloc.cc                          echo/C=100 +1.3% (measured together with
//                                          hints removed since, which alone cost < 0.5%)
// Removed everywhere else (89 hints: ev.cc, loop.h, io, async, wake-up,
// select, poll, io_uring, metrics, ...): no row moved by more than 0.5%.
//
// The function attributes (noinline, cold, always_inline) were measured one
// function at a time (2026-11-24: the library built without that one
// attribute, every bench/callgrind job against the same binaries; repeated
// runs agree within 0.03%).  Each that stays carries its figure in a
// comment; 18 whose removal moved no row by 0.5% or more (error paths,
// grow functions, ev_run's rare steps) were removed.
#define EV_LIKELY(x) __builtin_expect(!!(x), 1)
#define EV_UNLIKELY(x) __builtin_expect(!!(x), 0)

// The generic views of a watcher.  Every watcher type starts with the same
// head (ev_watcher) and the list/time types extend it, so the core handles
// them through these pointers.  This is the layout contract of the C API.
using W = ev_watcher *;
using WL = ev_watcher_list *;
using WT = ev_watcher_time *;

template <class T>
inline W as_w(T *w)
{
  return reinterpret_cast<W>(w);
}
template <class T>
inline WL as_wl(T *w)
{
  return reinterpret_cast<WL>(w);
}
template <class T>
inline WT as_wt(T *w)
{
  return reinterpret_cast<WT>(w);
}

}  // namespace ev_detail
