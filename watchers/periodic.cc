// watchers/periodic.cc - ev_periodic (ev(3) "ev_periodic - to cron or not
// to cron?") and the timerfd that notices wall-clock jumps.
//
// Three modes, chosen by the fields at start (SEMANTICS.md §6):
//  - absolute (interval 0, no callback): fires once when ev_now() passes
//    `offset`; stopped before the callback;
//  - interval: at the smallest offset + N * interval strictly after ev_now()
//    (missed intervals give one call, then the next future slot);
//  - reschedule callback: `at` is whatever the callback returns for ev_now()
//    (called at start, at every expiry, by ev_periodic_again and after clock
//    jumps); returning a time in the past is a usage error.
// Active periodics live in their own 4-heap (loop->periodics) keyed by `at`,
// which is a wall-clock time; it is kept after stop.
#include "loop.h"

#include <cerrno>
#include <cmath>
#include <unistd.h>
#ifdef HAVE_SYS_TIMERFD_H
# include <sys/timerfd.h>
#endif

using namespace ev_detail;

namespace {

// The next offset + N * interval strictly after now.
void periodic_recalc(ev_loop *loop, ev_periodic *w)
{
  const ev_tstamp now = loop->ev_rt_now;
  const ev_tstamp interval = w->interval;
  ev_tstamp at = w->offset + interval * std::floor((now - w->offset) / interval);

  // floor() may leave us one step short (rounding); if adding the interval
  // no longer changes the value (a huge offset), settle for now.
  while (at <= now) {
    ev_tstamp next = at + interval;
    if (EV_UNLIKELY(next == at)) {
      at = now;
      break;
    }
    at = next;
  }
  w->at = at;
}

// A reschedule callback's answer must not be in the past.
void resched(ev_loop *loop, ev_periodic *w)
{
  w->at = w->reschedule_cb(w, loop->ev_rt_now);
  if (EV_UNLIKELY(w->at < loop->ev_rt_now))
    usage_error("ev_periodic reschedule_cb", "returned", w->at - loop->ev_rt_now,
                "libev: ev_periodic reschedule callback returned time in the past");
}

#ifdef HAVE_TIMERFD_CREATE
// Arm the timerfd far in the future: we only want the cancellation that
// TFD_TIMER_CANCEL_ON_SET reports when someone sets the wall clock.
void timerfd_arm(ev_loop *loop)
{
  struct itimerspec its = {};
  its.it_value.tv_sec = static_cast<time_t>(loop->ev_rt_now) + 24 * 3600;
  timerfd_settime(loop->timerfd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &its, nullptr);
}

void timerfd_cb(ev_loop *loop, ev_io *, int)
{
  uint64_t expirations;
  while (::read(loop->timerfd, &expirations, sizeof expirations) < 0 && errno == EINTR) {
  }
  // Either the clock was set (ECANCELED) or a day has passed: measure the
  // wall clock now; time_update reschedules the periodics after a jump.
  time_force_realtime_check(loop);
  time_update(loop);
  timerfd_arm(loop);
}

void timerfd_open(ev_loop *loop)
{
  loop->timerfd = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC);
  if (loop->timerfd < 0) {
    loop->timerfd = -2;
    return;
  }
  // Armed relative to the current wall clock, so the loop time is brought
  // up to date first (observable: libev's first periodic start updates
  // ev_now() too).
  time_update(loop);
  timerfd_arm(loop);
  loop->max_block = kMaxBlockTimeTimerfd;  // jumps are noticed without waking up
  ev_io_init(&loop->timerfd_w, timerfd_cb, loop->timerfd, EV_READ);
  ev_set_priority(&loop->timerfd_w, EV_MAXPRI);
  start_internal_io(loop, &loop->timerfd_w);
}
#endif

// With the first periodic: watch for clock jumps (unless EVFLAG_NOTIMERFD).
void timerfd_init(ev_loop *loop)
{
#ifdef HAVE_TIMERFD_CREATE
  if (loop->timerfd == -1 && !(loop->flags & EVFLAG_NOTIMERFD))
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
    if (w->reschedule_cb) {
      resched(loop, w);
      h.update(heap::kHeap0, w->at);
    } else if (w->interval != 0.) {
      periodic_recalc(loop, w);
      h.update(heap::kHeap0, w->at);
    } else
      ev_periodic_stop(loop, w);
    loop->rfeeds.push(as_w(w));
  }
  feed_reverse_done(loop, EV_PERIODIC);
  EV_FREQUENT_CHECK(loop);
}

// After a wall-clock jump or ev_resume: recompute every interval and
// callback periodic (absolute ones keep their time), then rebuild the heap.
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

void timerfd_fork(ev_loop *loop)
{
#ifdef HAVE_TIMERFD_CREATE
  // The child must not share the parent's timerfd.
  if (loop->timerfd >= 0) {
    timerfd_destroy(loop);
    timerfd_open(loop);
  }
#else
  (void)loop;
#endif
}

void timerfd_destroy(ev_loop *loop)
{
  if (loop->timerfd >= 0) {
    stop_internal_io(loop, &loop->timerfd_w);
    ::close(loop->timerfd);
  }
  loop->timerfd = -1;
  loop->max_block = kMaxBlockTime;
}

}  // namespace ev_detail

extern "C" {

void ev_periodic_start(struct ev_loop *loop, ev_periodic *w) noexcept
{
  if (EV_UNLIKELY(w->active))
    return;

  // (first: creating the timerfd updates the loop time the modes below use)
  timerfd_init(loop);

  if (w->reschedule_cb)
    resched(loop, w);
  else if (w->interval != 0.) {
    if (EV_UNLIKELY(!(w->interval > 0.)))  // negative or NaN
      usage_error("ev_periodic_start", "interval", w->interval,
                  "libev: ev_periodic_start called with negative interval value");
    periodic_recalc(loop, w);
  } else {
    if (EV_UNLIKELY(std::isnan(w->offset)))
      usage_error("ev_periodic_start", "offset", w->offset, "libev: ev_periodic_start called with a NaN time");
    w->at = w->offset;
  }

  start_watcher(loop, as_w(w), 0);
  loop->periodics.insert(as_wt(w));
  loop->extras |= kExtraPeriodic;
  EV_FREQUENT_CHECK(loop);
}

void ev_periodic_stop(struct ev_loop *loop, ev_periodic *w) noexcept
{
  clear_pending(loop, as_w(w));
  if (EV_UNLIKELY(!w->active))
    return;
  loop->periodics.remove(w->active);
  stop_watcher(loop, as_w(w));
  if (!loop->periodics.count)
    loop->extras &= ~kExtraPeriodic;
  EV_FREQUENT_CHECK(loop);
}

void ev_periodic_again(struct ev_loop *loop, ev_periodic *w) noexcept
{
  ev_periodic_stop(loop, w);
  ev_periodic_start(loop, w);
}

}  // extern "C"
