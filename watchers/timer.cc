// watchers/timer.cc - ev_timer (ev(3) "ev_timer - relative and optionally
// repeating timeouts").
//
// While a timer is active, its `at` is an absolute deadline on the
// monotonic clock (start adds the loop's mn_now, stop subtracts it again,
// leaving the remaining time): that is what libev stores and programs can
// observe (SEMANTICS.md §2).  Active timers live in loop->timers, a 4-heap
// ordered by deadline (core/heap.h).
#include "loop.h"

#include <cmath>

using namespace ev_detail;

namespace ev_detail {

// Queue every timer whose deadline is strictly before now, earliest first.
// A repeating timer gets its next deadline (never in the past: at most one
// call per iteration, no catch-up bursts); a one-shot timer is stopped
// before its callback runs.
void timers_reify(ev_loop *loop)
{
  heap &h = loop->timers;
  while (h.count && h.top().at < loop->mn_now) {
    auto *w = reinterpret_cast<ev_timer *>(h.top().w);
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
      clear_pending(loop, as_w(w));
      h.pop_root();
      w->at -= loop->mn_now;
      stop_watcher(loop, as_w(w));
    }
    loop->rfeeds.push(as_w(w));
  }
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

}  // namespace ev_detail

extern "C" {

// The rare halves of start and stop, reached by tail calls so that the
// common cases need no stack frame: the heap must grow first, or the timer
// to stop is pending.  Both come back to the common case.
[[gnu::noinline]] static void timer_start_growing(struct ev_loop *loop, ev_timer *w)
{
  loop->timers.grow();
  ev_timer_start(loop, w);
}

[[gnu::noinline]] static void timer_stop_pending(struct ev_loop *loop, ev_timer *w)
{
  clear_pending(loop, as_w(w));
  ev_timer_stop(loop, w);
}

void ev_timer_start(struct ev_loop *loop, ev_timer *w) noexcept
{
  if (EV_UNLIKELY(w->active))
    return;
  if (EV_UNLIKELY(loop->timers.full()))
    return timer_start_growing(loop, w);
  if (EV_UNLIKELY(!(w->repeat >= 0.)))
    usage_error("ev_timer_start", "repeat", w->repeat, "libev: ev_timer_start called with negative timer repeat value");
  if (EV_UNLIKELY(std::isnan(w->at)))
    usage_error("ev_timer_start", "after", w->at, "libev: ev_timer_start called with a NaN timeout");

  w->at += loop->mn_now;
  start_watcher(loop, as_w(w), 0);
  loop->timers.insert(as_wt(w));  // sets w->active to the heap index

  EV_FREQUENT_CHECK(loop);
}

void ev_timer_stop(struct ev_loop *loop, ev_timer *w) noexcept
{
  if (EV_UNLIKELY(w->pending))
    return timer_stop_pending(loop, w);
  if (EV_UNLIKELY(!w->active))
    return;

  loop->timers.remove(w->active);
  w->at -= loop->mn_now;
  stop_watcher(loop, as_w(w));

  EV_FREQUENT_CHECK(loop);
}

// ev(3): always clears pending; an active timer restarts with `repeat` as
// its timeout (or stops if repeat is 0); an inactive repeating timer starts.
// The first case (an inactivity timeout pushed back, not pending) is the hot
// one and is kept free of calls; timer_again_other does everything else,
// starting with clearing the pending state.
[[gnu::noinline]] static void timer_again_other(struct ev_loop *loop, ev_timer *w)
{
  clear_pending(loop, as_w(w));
  if (w->active && w->repeat != 0.)
    ev_timer_again(loop, w);  // no longer pending: the hot case
  else if (w->active)
    ev_timer_stop(loop, w);  // repeat is 0
  else if (w->repeat != 0.) {
    w->at = w->repeat;
    ev_timer_start(loop, w);
  }
}

void ev_timer_again(struct ev_loop *loop, ev_timer *w) noexcept
{
  if (EV_LIKELY(!w->pending && w->active && w->repeat != 0.)) {
    ev_tstamp at = loop->mn_now + w->repeat;
    w->at = at;
    loop->timers.update(w->active, at);
    EV_FREQUENT_CHECK(loop);
  } else
    timer_again_other(loop, w);
}

// Relative to the loop time (not the current time): what remains until the
// timer fires, or the stored relative value of an inactive timer.
ev_tstamp ev_timer_remaining(struct ev_loop *loop, ev_timer *w) noexcept
{
  return w->active ? w->at - loop->mn_now : w->at;
}

}  // extern "C"
