// SPDX-License-Identifier: BSD-2-Clause
// watchers/timer.cc - ev_timer, after ev(3)'s ev_timer section.
//
// An active timer's `at` is a deadline on the monotonic clock: start adds the loop's mn_now and
// stop subtracts it, leaving the remaining time, as libev stores it and programs can observe
// (doc/semantics.md §3).  Active timers are in loop->timers, a 4-heap (base/heap.h).
#include "diag/debug.h"
#include "loop/loop.h"

#include <cmath>

using namespace ev_detail;

namespace ev_detail {
namespace {

// The root timer is due: a repeating one gets its next deadline, never in the past so that there
// are no catch-up bursts, and a one-shot one is stopped before its callback runs.  Returns it.
// always_inline: timers_reify calls it twice, and as a call it would cost every expiry.
[[gnu::always_inline]] inline W expire_root(ev_loop *loop)
{
  heap &h = loop->timers;
  auto *w = reinterpret_cast<ev_timer *>(h.top().w);
  // A node whose watcher does not know it is there: the program re-initialised the timer while it
  // was active, which clears `active`, and maybe started it again as a second node.  libev 4.33
  // spins or corrupts its heap from here on.
  if (EV_UNLIKELY(w->active != heap::kHeap0))
    reinitialised_while_active("ev_timer_init", w, "active", w->active);
  if (w->repeat != 0.) {
    if (EV_UNLIKELY(!(w->repeat > 0.)))
      usage_error("ev_timer", "repeat", w->repeat,
                  "libev: negative ev_timer repeat value found while processing timers");
    w->at += w->repeat;
    if (w->at < loop->mn_now)
      w->at = loop->mn_now;
    h.nodes[heap::kHeap0].at = w->at;
    h.downheap(heap::kHeap0);
  } else {
    // ev_timer_stop of the root, with the cheaper root removal
    stop_pending(loop, as_w(w), "ev_run");
    h.pop_root();
    w->at -= loop->mn_now;
    stop_watcher(loop, as_w(w));
  }
  return as_w(w);
}

}  // namespace

// Queue every due timer, the caller having found the first one due.  The last is fed first and the
// others in reverse order, so that the earliest is invoked first; a lone one is not collected.
void timers_reify(ev_loop *loop)
{
  // timer_due's test, on a reference so that the compiler keeps the count it just changed
  const heap &h = loop->timers;
  W w = expire_root(loop);
  while (h.count && h.top().at < loop->mn_now) {
    loop->rfeeds.push(w);
    w = expire_root(loop);
  }
  feed(loop, w, EV_TIMER);
  feed_reverse_done(loop, EV_TIMER);
  EV_FREQUENT_CHECK(loop);
}

// ev_resume: the suspended time does not count.
void timers_shift(ev_loop *loop, ev_tstamp d)
{
  heap &h = loop->timers;
  for (int k = heap::kHeap0; k < h.end(); ++k) {
    h.nodes[k].w->at += d;
    h.nodes[k].at = h.nodes[k].w->at;
  }
}

// EVFLAG_NG_BOOTTIME: deadlines stay on the monotonic clock, which stops while the system is
// suspended; CLOCK_BOOTTIME runs on, so the difference of the two grows by the time suspended.
// With the flag every update of the loop's clock takes its slow path (time_gate_update), which
// catches up: when the difference grew, every deadline moves earlier by the growth, which keeps the
// heap's order.  The block time is computed after such an update too (kWorkBoottime), so that a
// suspend during a callback counts in the very next block, and a loop with timers waits at most
// kMaxBlockTimeBoottime, since the kernel's wait does not count a suspend either.  A start,
// ev_timer_again and ev_timer_remaining catch up first, so that a timer started after a suspend
// does not count it.  The boottime reading lies between two monotonic ones, and the deadlines move
// by what the difference surely grew, never more, so that no timer fires early.  The difference
// is kept in the loop's rare block.
namespace {

// A smaller growth is left to add up, so that the rounding of two readings does not walk the heap.
constexpr ev_tstamp kBoottimeMinShift = 1e-6;

struct boottime_window {
  ev_tstamp lower, upper;  // the true difference lies between them
};

[[maybe_unused]] boottime_window boottime_measure()
{
#if EV_NG_HAVE_BOOTTIME
  const ev_tstamp before = monotonic_now();
  const ev_tstamp boot = clock_now(CLOCK_BOOTTIME);
  const ev_tstamp after = monotonic_now();
  return {boot - after, boot - before};
#else
  return {0., 0.};
#endif
}

}  // namespace

void boottime_init(ev_loop *loop)
{
#if EV_NG_HAVE_BOOTTIME
  struct timespec ts;
  if ((loop->flags & EVFLAG_NG_BOOTTIME) && clock_gettime(CLOCK_BOOTTIME, &ts) == 0) {
    rare_get(loop)->boottime_offset = boottime_measure().upper;
    loop->timers.close_gate();  // every ev_timer_start catches up first
    work_set(loop, kWorkBoottime, true);
    return;
  }
#endif
  // Without CLOCK_BOOTTIME the flag is dropped, which also keeps ev_timer_again fast.
  loop->flags &= ~static_cast<unsigned>(EVFLAG_NG_BOOTTIME);
}

void boottime_catch_up(ev_loop *loop)
{
  ev_tstamp &offset = rare_of(loop)->boottime_offset;
  const boottime_window m = boottime_measure();
  const ev_tstamp grown = m.lower - offset;
  if (grown > kBoottimeMinShift) {
    timers_shift(loop, -grown);
    offset = m.upper;
  } else if (m.upper < offset)
    offset = m.upper;  // a narrower window: still no less than the difference
}

}  // namespace ev_detail

extern "C" {

// What ev_timer_start refuses, as libev does, reported through a tail call so that its fast path
// needs no stack frame; that pays for debug mode's test in ev_timer_stop.
static inline bool start_values_ok(const ev_timer *w) { return w->repeat >= 0. && !std::isnan(w->at); }

static void start_values_refused(const ev_timer *w)
{
  if (!(w->repeat >= 0.))
    usage_error("ev_timer_start", "repeat", w->repeat, "libev: ev_timer_start called with negative timer repeat value");
  usage_error("ev_timer_start", "after", w->at, "libev: ev_timer_start called with a NaN timeout");
}

// The start proper, counting from `base`: the loop time, as in libev, or with EVFLAG_NG_NEVER_EARLY
// the clock read at the start, so that a timer started late in an iteration never fires early.
static inline void timer_start_from(struct ev_loop *loop, ev_timer *w, ev_tstamp base)
{
  w->at += base;
  start_heap_watcher(loop, as_w(w));
  loop->timers.insert_with_room(as_wt(w));  // sets w->active to the heap index

  EV_FREQUENT_CHECK(loop);
}

// The rare halves of start and stop.  A start comes here when the heap must grow first, or when
// EVFLAG_NG_NEVER_EARLY or debug mode closed the heap's gate, at no cost to other loops; a stop,
// when the timer is pending or not active.
static void timer_start_any(struct ev_loop *loop, ev_timer *w)
{
  if (loop->timers.full())
    loop->timers.grow();  // before timer_start_from, which inserts with room
  if (EV_UNLIKELY(!start_values_ok(w)))
    return start_values_refused(w);
  if (boottime_on(loop))
    boottime_catch_up(loop);
  timer_start_from(loop, w, (loop->flags & EVFLAG_NG_NEVER_EARLY) ? monotonic_now() : loop->mn_now);
}

// noinline keeps ev_timer_start's fast path frameless.
[[gnu::noinline]] static void timer_start_slow(struct ev_loop *loop, ev_timer *w)
{
  if (EV_UNLIKELY(debug_on(loop)))
    return debug_wrap(loop, w, EV_TIMER, "ev_timer_start", timer_start_any);
  timer_start_any(loop, w);  // grows the heap if that is what closed the gate
}

// As ev(3) says, starting an active timer does nothing; debug mode checks it.
static void timer_start_active(struct ev_loop *loop, ev_timer *w)
{
  if (EV_UNLIKELY(debug_on(loop)))
    debug_before(loop, as_w(w), EV_TIMER, "ev_timer_start");
}

static void timer_stop_any(struct ev_loop *loop, ev_timer *w)
{
  stop_pending(loop, as_w(w), "ev_timer_stop");
  if (!w->active)
    return;
  if (EV_UNLIKELY(!loop->timers.remove_checked(w->active, w)))
    not_active_here("ev_timer_stop", w, w->active);
  w->at -= loop->mn_now;
  stop_watcher(loop, as_w(w));
  EV_FREQUENT_CHECK(loop);
}

// noinline keeps ev_timer_stop's fast path frameless.
[[gnu::noinline]] static void timer_stop_slow(struct ev_loop *loop, ev_timer *w)
{
  if (EV_UNLIKELY(debug_on_for_stop(loop, as_w(w))))
    return debug_wrap(loop, w, EV_TIMER, "ev_timer_stop", timer_stop_any);
  timer_stop_any(loop, w);
}

void ev_timer_start(EV_P_ ev_timer *w) noexcept
{
  if (EV_UNLIKELY(w->active))
    return timer_start_active(loop, w);
  if (EV_UNLIKELY(!loop->timers.fast_insert_ok()))
    return timer_start_slow(loop, w);
  if (EV_UNLIKELY(!start_values_ok(w)))
    return start_values_refused(w);
  timer_start_from(loop, w, loop->mn_now);
}

void ev_timer_stop(EV_P_ ev_timer *w) noexcept
{
  // Active and not pending, the common case, takes one test, which pays for debug mode's test.
  const active_and_pending state(as_w(w));
  if (EV_UNLIKELY(!state.active_not_pending() || debug_on(loop))) {
    if (state.neither())
      return;  // before debug_on, so that the loop is not read
    return timer_stop_slow(loop, w);
  }

  // not this loop's timer: the slow path reports it
  if (EV_UNLIKELY(!loop->timers.remove_checked(state.active(), w)))
    return timer_stop_slow(loop, w);
  w->at -= loop->mn_now;
  stop_watcher(loop, as_w(w));

  EV_FREQUENT_CHECK(loop);
}

// A negative or NaN repeat, reported with its value.  libev 4.33 asserts on a negative one and
// takes a NaN one, whose deadline keeps every timer of the loop from firing (README difference 5).
[[noreturn, gnu::cold]] static void again_repeat_refused(const ev_timer *w)
{
  if (std::isnan(w->repeat))
    usage_error("ev_timer_again", "repeat", w->repeat, "libev: ev_timer_again called with a NaN repeat value");
  usage_error("ev_timer_again", "repeat", w->repeat,
              w->active ? "libev: negative ev_timer repeat value found while processing timers"
                        : "libev: ev_timer_start called with negative timer repeat value");
}

static void timer_again_any(struct ev_loop *loop, ev_timer *w)
{
  stop_pending(loop, as_w(w), "ev_timer_again");
  if (EV_UNLIKELY(w->repeat != 0. && !(w->repeat > 0.)))
    again_repeat_refused(w);
  if (boottime_on(loop))
    boottime_catch_up(loop);
  if (w->active && w->repeat != 0.) {
    ev_tstamp at = ((loop->flags & EVFLAG_NG_NEVER_EARLY) ? monotonic_now() : loop->mn_now) + w->repeat;
    w->at = at;
    loop->timers.update(w->active, at);
    EV_FREQUENT_CHECK(loop);
  } else if (w->active)
    ev_timer_stop(EV_A_ w);
  else if (w->repeat != 0.) {
    w->at = w->repeat;
    ev_timer_start(EV_A_ w);
  }
}

// noinline keeps ev_timer_again's fast path frameless.
[[gnu::noinline]] static void timer_again_other(struct ev_loop *loop, ev_timer *w)
{
  if (EV_UNLIKELY(debug_on(loop)))
    return debug_wrap(loop, w, EV_TIMER, "ev_timer_again", timer_again_any);
  timer_again_any(loop, w);
}

// ev(3): always clears pending; an active timer restarts with `repeat` as its timeout, or stops if
// repeat is 0; an inactive repeating timer starts.  The hot case, an inactivity timeout pushed
// back, is free of calls; timer_again_other and debug mode do the rest, clearing pending first.
// The fast path asks `repeat > 0.` where the rule is `repeat != 0.`: the ordered compare needs one
// branch where `!=` needs two for an unordered NaN.  Debug mode keeps its flag in the loop's flags,
// so that one test sends it, EVFLAG_NG_NEVER_EARLY and EVFLAG_NG_BOOTTIME to timer_again_any too.
void ev_timer_again(EV_P_ ev_timer *w) noexcept
{
  constexpr unsigned kSlowFlags = EVFLAG_NG_NEVER_EARLY | EVFLAG_NG_DEBUG | EVFLAG_NG_BOOTTIME;
  if (EV_LIKELY(!w->pending && w->repeat > 0. && !(loop->flags & kSlowFlags))) {
    if (EV_LIKELY(w->active)) {
      ev_tstamp at = loop->mn_now + w->repeat;
      w->at = at;
      loop->timers.update(w->active, at);
      EV_FREQUENT_CHECK(loop);
      return;
    }
    // An inactive repeating timer starts as timer_again_any would start it,
    // without its calls, because servers arm their idle timeouts this way.
    w->at = w->repeat;
    return ev_timer_start(EV_A_ w);
  }
  timer_again_other(loop, w);
}

// What remains until the timer fires, from the loop time rather than the current time, or the
// stored relative value of an inactive timer; with EVFLAG_NG_BOOTTIME less an unnoticed suspend.
ev_tstamp ev_timer_remaining(EV_P_ ev_timer *w) noexcept
{
  if (!w->active)
    return w->at;
  if (EV_UNLIKELY(boottime_on(loop)))
    boottime_catch_up(loop);
  return w->at - loop->mn_now;
}

}  // extern "C"
