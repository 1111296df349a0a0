// SPDX-License-Identifier: BSD-2-Clause
// watchers/periodic.cc - ev_periodic, after ev(3)'s ev_periodic section, and the timerfd that
// notices wall-clock jumps.
//
// Three modes, chosen by the fields at start (doc/semantics.md §9):
//  - absolute, with interval 0 and no callback: fires once when ev_now() passes `offset`, and is
//    stopped before the callback;
//  - interval: at the smallest offset + N * interval strictly after ev_now(), so that missed
//    intervals give one call, then the next future slot;
//  - reschedule callback: `at` is whatever the callback returns for ev_now() at start, at every
//    expiry, in ev_periodic_again and after clock jumps.
// Active periodics: loop->periodics, a 4-heap keyed by `at`, a wall-clock time kept after stop.
#include "fd/loop_fd.h"
#include "watchers/start_stop.h"

#include <unistd.h>
#include <cerrno>
#include <cmath>
#if EV_NG_HAVE_TIMERFD
#include <sys/timerfd.h>
#endif

using namespace ev_detail;

constexpr watcher_calls kPeriodicCalls{EV_PERIODIC, "ev_periodic_start", "ev_periodic_stop"};

namespace {

// offset + N * interval for the smallest N giving a time after now, or, where the arithmetic cannot
// get there, a value not after now or infinite; floor() may leave it a step or two short.
ev_tstamp grid_after(ev_tstamp offset, ev_tstamp interval, ev_tstamp now)
{
  ev_tstamp at = offset + interval * floor_of((now - offset) / interval);
  for (int step = 0; step < 4 && at <= now; ++step)
    at += interval;
  return at;
}

inline bool usable(ev_tstamp at, ev_tstamp now) { return at > now && at != HUGE_VAL; }

// x modulo y for y > 0, with the sign of x, exactly as fmod() computes it but without libm:
// libev.so.4 needs only libc, and fmod, unlike std::floor, is not expanded inline.  Subtracting the
// largest y * 2^k not above the rest is exact each time, the two being within a factor of two.
ev_tstamp exact_fmod(ev_tstamp x, ev_tstamp y)
{
  if (!(x - x == 0.))
    return x - x;  // NaN for inf and NaN
  ev_tstamp r = std::fabs(x);
  int ey;
  std::frexp(y, &ey);
  while (r >= y) {
    int er;
    std::frexp(r, &er);
    ev_tstamp d = std::ldexp(y, er - ey);
    if (d > r)
      d = std::ldexp(d, -1);
    r -= d;
  }
  return x < 0. ? -r : r;
}

// The next offset + N * interval strictly after now.  An offset so far from now that the sum loses
// the grid, where libev 4.33 spins adding intervals, is first reduced exactly to offset modulo
// interval.  An interval below the clock's resolution has no grid point after now, so the periodic
// is due in every iteration, as in libev, whose arithmetic overflows for tiny ones.
void periodic_recalc(ev_loop *loop, ev_periodic *w)
{
  const ev_tstamp now = loop->ev_rt_now;
  const ev_tstamp interval = w->interval;
  ev_tstamp at = grid_after(w->offset, interval, now);
  if (!usable(at, now))
    at = grid_after(exact_fmod(w->offset, interval), interval, now);
  if (!usable(at, now)) {
    at = now + interval;
    if (at <= now)
      at = now;
  }
  w->at = at;
}

// A reschedule callback's answer must be a time, and not in the past.
void resched(ev_loop *loop, ev_periodic *w)
{
  w->at = w->reschedule_cb(w, loop->ev_rt_now);
  if (!(w->at >= loop->ev_rt_now)) {
    if (std::isnan(w->at))
      usage_error("ev_periodic reschedule_cb", "returned", w->at,
                  "libev: ev_periodic reschedule callback returned NaN");
    usage_error("ev_periodic reschedule_cb", "returned", w->at - loop->ev_rt_now,
                "libev: ev_periodic reschedule callback returned time in the past");
  }
}

#if EV_NG_HAVE_TIMERFD
// Armed far ahead: only TFD_TIMER_CANCEL_ON_SET's cancellation at a wall-clock set matters.
void timerfd_arm(ev_loop *loop)
{
  struct itimerspec its = {};
  its.it_value.tv_sec = static_cast<time_t>(loop->ev_rt_now) + 24 * 3600;
  timerfd_settime(loop->timerfd.fd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &its, nullptr);
}

// At the lowest priority, so that it runs after every other callback of an invocation pass, as
// libev 4.33's does; fed EV_CUSTOM (periodics_fork), it reschedules the periodics.
void timerfd_cb(EV_P_ ev_io *, int revents)
{
  if (revents & EV_CUSTOM) {
    time_read_wall_clock(loop);
    periodics_reschedule(loop);
    return;
  }
  uint64_t expirations;
  while (::read(loop->timerfd.fd, &expirations, sizeof expirations) < 0 && errno == EINTR) {
  }
  // Either the clock was set (ECANCELED) or a day has passed: measure the
  // wall clock now; time_update reschedules the periodics after a jump.
  time_force_realtime_check(loop);
  time_update(loop);
  timerfd_arm(loop);
}

// With no timerfd the loop wakes more often for the wall clock (max_block), as in libev: no error.
void timerfd_open(ev_loop *loop)
{
  int fd = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC);
  if (fd < 0) {
    loop->timerfd.fd = kLoopFdRefused;
    max_block_update(loop);
    return;
  }
  loop_fd_watch(loop, loop->timerfd, fd, timerfd_cb, EV_MINPRI);
  // Armed relative to the wall clock, which is read first.  As in libev 4.33, where the first
  // periodic start visibly moves ev_now(), only the wall-clock time is updated: the loop's
  // monotonic time stays, so timers started afterwards still count from the last update.
  time_read_wall_clock(loop);
  timerfd_arm(loop);
  max_block_update(loop);  // jumps are noticed without waking up
}
#endif

// With the first periodic, watch for clock jumps unless EVFLAG_NOTIMERFD.
void timerfd_init(ev_loop *loop)
{
#if EV_NG_HAVE_TIMERFD
  if (loop->timerfd.fd == kLoopFdNone && !(loop->flags & EVFLAG_NOTIMERFD))
    timerfd_open(loop);
#else
  (void)loop;
#endif
}

}  // namespace

namespace ev_detail {

void periodics_reify(ev_loop *loop)
{
  heap &h = loop->periodics;
  while (h.count && h.top().at < loop->ev_rt_now) {
    auto *w = reinterpret_cast<ev_periodic *>(h.top().w);
    // re-initialised while active, see timers_reify; libev 4.33 spins here
    if (w->active != heap::kHeap0)
      reinitialised_while_active("ev_periodic_init", w, "active", w->active);
    if (w->reschedule_cb) {
      resched(loop, w);
      h.update(heap::kHeap0, w->at);
    } else if (w->interval != 0.) {
      periodic_recalc(loop, w);
      h.update(heap::kHeap0, w->at);
    } else
      ev_periodic_stop(EV_A_ w);
    loop->rfeeds.push(as_w(w));
  }
  feed_reverse_done(loop, EV_PERIODIC);
  EV_FREQUENT_CHECK(loop);
}

// After a wall-clock jump or ev_resume: recompute every interval and callback periodic, while
// absolute ones keep their time, then rebuild the heap.
void periodics_reschedule(ev_loop *loop)
{
  heap &h = loop->periodics;
  for (int k = heap::kHeap0; k < h.end(); ++k) {
    auto *w = reinterpret_cast<ev_periodic *>(h.nodes[k].w);
    if (w->reschedule_cb)
      resched(loop, w);
    else if (w->interval != 0.)
      periodic_recalc(loop, w);
    h.nodes[k].at = w->at;
  }
  for (int k = heap::kHeap0; k < h.end(); ++k)
    h.upheap(k);
  EV_FREQUENT_CHECK(loop);
}

// After a fork, because reading a timerfd shared with the parent would take
// the parent's notice of a clock change, or when it was lost.
void timerfd_repair(ev_loop *loop, bool replace)
{
#if EV_NG_HAVE_TIMERFD
  if (loop_fd_release_for_repair(loop, loop->timerfd, replace))
    timerfd_open(loop);
#else
  (void)loop;
  (void)replace;
#endif
}

// In the first iteration after an announced fork, with a timerfd, the periodics are rescheduled now
// and again at the end of the invocation pass by the fed timerfd watcher at EV_MINPRI, as
// libev 4.33 does: programs that count a reschedule callback's calls see the same.
void periodics_fork(ev_loop *loop)
{
  if (loop->timerfd.fd < 0)
    return;
  periodics_reschedule(loop);
  feed(loop, as_w(&loop->timerfd.w), EV_CUSTOM);
}

void timerfd_destroy(ev_loop *loop)
{
  loop_fd_close(loop, loop->timerfd);
  max_block_update(loop);
}

}  // namespace ev_detail

extern "C" {

static void periodic_start_plain(struct ev_loop *loop, ev_periodic *w)
{
  if (w->active)
    return;

  // first, because creating the timerfd updates the loop time used below
  timerfd_init(loop);

  if (w->reschedule_cb)
    resched(loop, w);
  else {
    if (std::isnan(w->offset))
      usage_error("ev_periodic_start", "offset", w->offset, "libev: ev_periodic_start called with a NaN time");
    if (w->interval != 0.) {
      if (!(w->interval > 0.))  // negative or NaN
        usage_error("ev_periodic_start", "interval", w->interval,
                    "libev: ev_periodic_start called with negative interval value");
      // An infinite offset has no grid: offset modulo interval is NaN, so it
      // gets the NaN rule; libev 4.33 computes a NaN time, and the periodic
      // never fires.  An infinite absolute time is a time: never, or at once.
      if (std::isinf(w->offset))
        usage_error("ev_periodic_start", "offset", w->offset,
                    "libev: ev_periodic_start called with an infinite offset and an interval");
      periodic_recalc(loop, w);
    } else
      w->at = w->offset;
  }

  start_heap_watcher(loop, as_w(w));
  loop->periodics.insert(as_wt(w));
  // While any periodic is active, the block time heeds the earliest and the loop queues those due.
  work_set(loop, kWorkPeriodic, true);
  EV_FREQUENT_CHECK(loop);
}

void ev_periodic_start(EV_P_ ev_periodic *w) noexcept { watcher_start<kPeriodicCalls, periodic_start_plain>(loop, w); }

static void periodic_stop_active(struct ev_loop *loop, ev_periodic *w)
{
  if (EV_UNLIKELY(!loop->periodics.holds(w->active, w)))
    not_active_here("ev_periodic_stop", w, w->active);
  loop->periodics.remove(w->active);
  stop_watcher(loop, as_w(w));
  work_set(loop, kWorkPeriodic, loop->periodics.count);
  EV_FREQUENT_CHECK(loop);
}

void ev_periodic_stop(EV_P_ ev_periodic *w) noexcept { watcher_stop<kPeriodicCalls, periodic_stop_active>(loop, w); }

void ev_periodic_again(EV_P_ ev_periodic *w) noexcept
{
  ev_periodic_stop(EV_A_ w);
  ev_periodic_start(EV_A_ w);
}

}  // extern "C"
