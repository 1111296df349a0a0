// SPDX-License-Identifier: BSD-2-Clause
// base/api.h - how the core sees the public headers.
//
// Every unit of the core includes this first.  The public header is included with default
// visibility so that exactly the functions and the one data object it declares are exported, while
// everything else in the library (compiled with -fvisibility=hidden) stays internal.
#pragma once

// The build's configuration: configure's config.h for the library, or, where embed/ev_ng.cc
// defines EV_NG_EMBED, what the configuration symbols of the program compiling the core in select.
#ifdef EV_NG_EMBED
#include "embed/ev_ng_config.h"
#else
#include "config.h"
// The library defines ev_walk and ev_dump, extensions that ev.h declares only on request.
#define EV_WALK_ENABLE 1
// Every unit of the library has the same feature bits: ev.h would clear the speed bits in the cold
// units, which Makefile.am compiles for size.  A build for size clears them all.
#ifdef EV_NG_SMALL
#define EV_FEATURES 0x7c
#else
#define EV_FEATURES 0x7f
#endif
#endif

// Without the libev 3 names, `ev_loop` is the struct (a typedef) instead of the inline ev_loop()
// wrapper; the wrappers are header-only, so the library's ABI does not depend on this.
#undef EV_COMPAT3
#define EV_COMPAT3 0

#ifdef EV_NG_EMBED
// The core defines the functions, whatever the program declares.
#undef EV_PROTOTYPES
#define EV_PROTOTYPES 1
// EV_API_STATIC: nothing leaves the program's object, since ev.h declares the functions hidden
#ifdef EV_API_STATIC
#pragma GCC visibility push(hidden)
#else
#pragma GCC visibility push(default)
#endif
#ifdef EV_H
#include EV_H
#else
#include "ev.h"
#endif
#pragma GCC visibility pop
#ifndef EV_NG
#error "EV_H must name libev-ng's ev.h (the kit's), not libev's: the core needs its declarations"
#endif
#include "embed/ev_ng_embed.h"
#include "embed/ev_ng_facilities.h"
#else
#pragma GCC visibility push(default)
#include "ev.h"
#pragma GCC visibility pop
#endif

// The parts of the core a build may leave out, after ev(3) EMBEDDING; the library has all of them.
#ifndef EV_NG_CUSTOM_CB_INVOKE
#define EV_NG_CUSTOM_CB_INVOKE 0  // the program's EV_CB_INVOKE, see embed/ev_ng_config.h
#endif
#ifndef EV_NG_DEBUG_MODE
#define EV_NG_DEBUG_MODE 1
#endif
#ifndef EV_NG_METRICS
#define EV_NG_METRICS 1
#endif
#ifndef EV_NG_STREAMS
#define EV_NG_STREAMS 1  // the loop's I/O for streams; without it their API fails (fd/stream.h)
#endif
#ifndef EV_VERIFY
#define EV_VERIFY 1
#endif
#ifndef EV_NG_FLOOR_LIBM
#define EV_NG_FLOOR_LIBM 1  // floor() from libm (base/clock.h)
#endif
#ifndef EV_PID_HASHSIZE
#define EV_PID_HASHSIZE 16  // the child watchers' buckets (watchers/child.cc)
#endif
#ifndef EV_AVOID_STDIO
#define EV_AVOID_STDIO 0
#endif

// The loop parameter of a callback that does not use it, since without
// multiplicity callbacks take no loop (ev(3) MACRO MAGIC).
#if EV_MULTIPLICITY
#define EV_UNUSED_P_ struct ev_loop *,
#else
#define EV_UNUSED_P_
#endif

#include <csignal>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#ifdef _WIN32
#include "base/win32.h"
#endif

// The ABI of libev 4.33 (doc/semantics.md §2).  The core uses these fields directly, so on every
// architecture their places are checked against those that C's layout rules give libev's member
// lists, and on x86-64 also against the document; t/port/ compares with Debian's ev.h of each
// architecture.  A program compiling the core in may change the layouts: members are read by name.
#ifndef EV_NG_EMBED
namespace ev_abi {

constexpr std::size_t up(std::size_t n, std::size_t a) { return (n + a - 1) / a * a; }
constexpr std::size_t max(std::size_t a, std::size_t b) { return a > b ? a : b; }
// The alignment of T as a struct member, which differs from alignof on i386 for a double.
template <class T>
struct member_of {
  char c;
  T t;
};
template <class T>
constexpr std::size_t member_align = offsetof(member_of<T>, t);

constexpr std::size_t P = sizeof(void *);  // data, cb, next, path, other, reschedule_cb
constexpr std::size_t I = sizeof(int);
constexpr std::size_t D = sizeof(ev_tstamp), AD = member_align<ev_tstamp>;
constexpr std::size_t S = sizeof(ev_statdata), AS = member_align<ev_statdata>;
constexpr std::size_t A = sizeof(sig_atomic_t);
static_assert(sizeof(void (*)()) == P && member_align<void *> == P && member_align<int> == I && I <= P);

// EV_WATCHER: int active, pending, priority; void *data; the callback.
constexpr std::size_t kData = up(3 * I, P), kCb = kData + P, kWatcherEnd = kCb + P;
constexpr std::size_t kWatcher = kWatcherEnd;  // aligned to P already
// EV_WATCHER_LIST: + next.  EV_WATCHER_TIME: + ev_tstamp at.
constexpr std::size_t kNext = kWatcherEnd, kWatcherList = kNext + P;
constexpr std::size_t kAt = up(kWatcherEnd, AD), kWatcherTimeEnd = kAt + D, kTimeAlign = max(P, AD);
constexpr std::size_t kWatcherTime = up(kWatcherTimeEnd, kTimeAlign);
// ev_io: + int fd, events.  ev_signal: + int signum.  ev_child: + four ints.
constexpr std::size_t kIo = up(kWatcherList + 2 * I, P), kSignal = up(kWatcherList + I, P);
constexpr std::size_t kChildRstatus = kWatcherList + 3 * I, kChild = up(kChildRstatus + I, P);
// ev_timer: + ev_tstamp repeat.  ev_periodic: + offset, interval, reschedule_cb.
constexpr std::size_t kRepeat = up(kWatcherTimeEnd, AD), kTimer = up(kRepeat + D, kTimeAlign);
constexpr std::size_t kReschedule = up(kWatcherTimeEnd + 2 * D, P), kPeriodic = up(kReschedule + P, kTimeAlign);
// ev_stat: + ev_timer timer; ev_tstamp interval; path; ev_statdata prev, attr; int wd.
constexpr std::size_t kStatInterval = up(up(kWatcherList, kTimeAlign) + kTimer, AD);
constexpr std::size_t kStatPrev = up(up(kStatInterval + D, P) + P, AS), kStatWd = kStatPrev + 2 * S;
constexpr std::size_t kStat = up(kStatWd + I, max(kTimeAlign, AS));
// ev_async: + sig_atomic_t sent.
constexpr std::size_t kAsync = up(kWatcherEnd + A, P);
// ev_embed: + other; ev_io, prepare, check, timer, periodic, idle, fork, cleanup.
constexpr std::size_t kEmbedTimer = up(kWatcherEnd + P + kIo + 2 * kWatcher, kTimeAlign);
constexpr std::size_t kEmbedFork = kEmbedTimer + kTimer + kPeriodic + kWatcher;
constexpr std::size_t kEmbed = up(kEmbedFork + 2 * kWatcher, kTimeAlign);

}  // namespace ev_abi

static_assert(offsetof(ev_watcher, priority) == 2 * ev_abi::I && offsetof(ev_watcher, data) == ev_abi::kData &&
              offsetof(ev_watcher, cb) == ev_abi::kCb && sizeof(ev_watcher) == ev_abi::kWatcher);
static_assert(offsetof(ev_watcher_list, next) == ev_abi::kNext && sizeof(ev_watcher_list) == ev_abi::kWatcherList);
static_assert(offsetof(ev_watcher_time, at) == ev_abi::kAt && sizeof(ev_watcher_time) == ev_abi::kWatcherTime);
static_assert(offsetof(ev_io, fd) == ev_abi::kWatcherList &&
              offsetof(ev_io, events) == ev_abi::kWatcherList + ev_abi::I && sizeof(ev_io) == ev_abi::kIo);
static_assert(offsetof(ev_timer, repeat) == ev_abi::kRepeat && sizeof(ev_timer) == ev_abi::kTimer);
static_assert(offsetof(ev_periodic, reschedule_cb) == ev_abi::kReschedule && sizeof(ev_periodic) == ev_abi::kPeriodic);
static_assert(offsetof(ev_signal, signum) == ev_abi::kWatcherList && sizeof(ev_signal) == ev_abi::kSignal);
static_assert(offsetof(ev_child, rstatus) == ev_abi::kChildRstatus && sizeof(ev_child) == ev_abi::kChild);
static_assert(offsetof(ev_stat, interval) == ev_abi::kStatInterval && offsetof(ev_stat, prev) == ev_abi::kStatPrev &&
              offsetof(ev_stat, wd) == ev_abi::kStatWd && sizeof(ev_stat) == ev_abi::kStat);
static_assert(offsetof(ev_embed, timer) == ev_abi::kEmbedTimer && offsetof(ev_embed, fork) == ev_abi::kEmbedFork &&
              sizeof(ev_embed) == ev_abi::kEmbed);
static_assert(offsetof(ev_async, sent) == ev_abi::kWatcherEnd && sizeof(ev_async) == ev_abi::kAsync);
static_assert(sizeof(union ev_any_watcher) == ev_abi::max(ev_abi::kStat, ev_abi::kEmbed));

#if defined(__x86_64__) && defined(__LP64__)
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
#endif
#endif  // EV_NG_EMBED

namespace ev_detail {

inline constexpr int kNumPri = EV_MAXPRI - EV_MINPRI + 1;
static_assert(kNumPri >= 1, "EV_MINPRI must not be above EV_MAXPRI");

// A watcher's priority.  With a single level, where EV_MINPRI == EV_MAXPRI,
// watchers have no member for it (ev.h, EV_DECL_PRIORITY).
inline constexpr bool kPriorities = EV_MINPRI != EV_MAXPRI;
template <class T>
inline int priority_of(const T *w)
{
  if constexpr (kPriorities)
    return w->priority;
  else
    return EV_MINPRI;
}
template <class T>
inline void set_priority(T *w, int priority)
{
  if constexpr (kPriorities)
    w->priority = priority;
}

// Branch hints.  They, like attributes such as noinline, stay only where a row of
// bench/annotations.tsv shows they pay; `bench/annotations check` measures the rows again.
#define EV_LIKELY(x) __builtin_expect(!!(x), 1)
#define EV_UNLIKELY(x) __builtin_expect(!!(x), 0)

// The generic views of a watcher: every watcher type starts with the head ev_watcher, which the
// list and time types extend; this is the layout contract of the C API.
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
