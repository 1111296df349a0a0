// SPDX-License-Identifier: BSD-2-Clause
// diag/probes.cc - the loop's static probes: arming and stopping them, and what they report.
#include "diag/probes.h"

#include "base/clock.h"

#include <cmath>

namespace ev_detail {

#if EV_NG_HAVE_SDT

namespace {

// Seconds as integer nanoseconds, since a tracer reads integers.
std::int64_t to_ns(ev_tstamp t) { return std::isfinite(t) ? static_cast<std::int64_t>(t * 1e9) : -1; }

void probes_switch(ev_loop *loop, bool on)
{
  // the iteration's beginning (step 1, loop/loop.h: kRepairProbes), and the poll, which notes
  // what it began with in the rare block
  if (on) {
    rare_get(loop);
    request_repair(loop, kRepairProbes);
  } else
    repair_clear(loop, kRepairProbes);
  work_set(loop, kWorkProbes, on);  // the block, the callbacks and the iteration's end
  loop->probing = on ? kProbesArmed : kProbesOff;
  if (on)
    loop->invoke_checks |= kInvokeCheckProbes;
  else
    loop->invoke_checks &= static_cast<unsigned char>(~kInvokeCheckProbes);
}

}  // namespace

void probes_check(ev_loop *loop)
{
  const bool attached = probes_attached();
  if (attached != (loop->probing != kProbesOff))
    probes_switch(loop, attached);
}

void probes_iteration_begin(ev_loop *loop)
{
  loop->probing = kProbesFiring;
  EV_PROBE(iteration_begin, loop, loop->loop_count);
}

void probes_iteration_end(ev_loop *loop)
{
  if (loop->probing == kProbesFiring)
    EV_PROBE(iteration_end, loop, loop->loop_count);
}

probes_poll_mark probes_poll_enter(ev_loop *loop, [[maybe_unused]] ev_tstamp timeout)
{
  probes_poll_mark m{};
  m.firing = loop->probing == kProbesFiring;
  if (!m.firing)
    return m;
  m.next_timer = loop->timers.count ? loop->timers.top().at : HUGE_VAL;
  m.pending_before = loop->pending.any() ? loop->pending.count() : 0;
  EV_PROBE(poll_enter, loop, to_ns(timeout));
  m.started_ns = to_ns(monotonic_now());
  return m;
}

// What the poll queued, how long it blocked, and how late it came back to
// the earliest timer, all as the metrics count them.
void probes_poll_return(ev_loop *loop, const probes_poll_mark &m)
{
  const ev_tstamp now = monotonic_now();
  const unsigned after = loop->pending.any() ? loop->pending.count() : 0;
  const unsigned events = after > m.pending_before ? after - m.pending_before : 0;
  EV_PROBE(poll_return, loop, events, to_ns(now) - m.started_ns);
  if (now > m.next_timer)
    EV_PROBE(timer_lag, loop, to_ns(now - m.next_timer));
  (void)loop;
  (void)events;
}

void call_watcher_probed(ev_loop *loop, W w, int revents)
{
  // the callback may free its watcher, so only these copies are reported after it
  void *cb;
  static_assert(sizeof cb == sizeof ev_cb(w));
  __builtin_memcpy(&cb, &ev_cb(w), sizeof cb);
  const int priority = priority_of(w);
  EV_PROBE(callback_begin, loop, w, revents, priority, cb);
  invoke_callback(loop, w, revents);
  EV_PROBE(callback_end, loop, w, revents, priority, cb);
  (void)cb;
  (void)priority;
}

#else

// Without the probes nothing arms a loop (diag/probes.h), so this is never
// called; it does what the loop does without probes.
void call_watcher_probed(ev_loop *loop, W w, int revents) { invoke_callback(loop, w, revents); }

#endif

}  // namespace ev_detail
