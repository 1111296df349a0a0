// SPDX-License-Identifier: BSD-2-Clause
// diag/metrics.cc - the ev_metrics extension: switching metrics on and off, the measured poll, the
// timed invocation pass and the report.  How time is charged is in diag/metrics.h.
#include "diag/metrics.h"
#include "base/clock_pair.h"
#include "base/env.h"

#if EV_NG_HAVE_CYCLE_COUNTER
#include <cpuid.h>
#endif
#include <cmath>
#include <cstring>
#include <new>

namespace ev_detail {

#if EV_NG_METRICS
namespace {

// Whether the time-stamp counter runs at a constant rate whatever the CPU's power state, CPUID's
// "invariant TSC", which Linux shows as constant_tsc and nonstop_tsc.  Without it the TSC may stop
// or change rate, and the metrics read CLOCK_MONOTONIC instead.
bool invariant_tsc()
{
#if EV_NG_HAVE_CYCLE_COUNTER
  unsigned eax, ebx, ecx, edx;
  if (!__get_cpuid(0x80000000u, &eax, &ebx, &ecx, &edx) || eax < 0x80000007u)
    return false;
  __get_cpuid(0x80000007u, &eax, &ebx, &ecx, &edx);
  return (edx >> 8) & 1u;
#else
  return false;
#endif
}

// LIBEV_NG_METRICS_CLOCK=monotonic reads CLOCK_MONOTONIC even where the counter would do, for a
// program that distrusts its machine's counter and for the tests of the fallback.
bool monotonic_clock_asked_for()
{
  const char *env = env_get("LIBEV_NG_METRICS_CLOCK");
  return env && std::strcmp(env, "monotonic") == 0;
}

// Both clocks at one moment (base/clock_pair.h), for turning ticks into seconds.
clock_pair<metrics_ticks> read_both_clocks(const metrics_block *m)
{
  return read_clock_pair([m] { return metrics_now(m); }, [] { return monotonic_now(); });
}

void start_counting(metrics_block *m)
{
  const auto now = read_both_clocks(m);
  m->c.since_ticks = now.ticks;
  m->c.since = now.seconds;
}

}  // namespace

// Only what must be seen around the poll itself is done here; the clock the loop reads after the
// poll closes the measurement in metrics_finish_poll.
void metrics_poll_begin(ev_loop *loop, ev_tstamp timeout)
{
  metrics_block *m = metrics_of(loop);
  // A poll that may not block only asks the kernel, which a clock reading would cost more than it
  // measures.  One that may block starts at the last reading, the end of the callbacks before it,
  // when the loop ran nothing but its own work since, saving a reading.
  m->poll_timed = timeout > 0.;
  if (m->poll_timed)
    m->poll_started = m->mark_valid ? m->mark : metrics_now(m);
  m->poll_next_timer = loop->timers.count ? loop->timers.top().at : HUGE_VAL;
  m->poll_open = true;
  m->poll_pending_before = loop->pending.any() ? loop->pending.count() : 0;
}

void metrics_poll_end(ev_loop *loop)
{
  // A hook may have switched metrics off or on during the poll; a block made then has no poll open.
  metrics_block *m = metrics_of(loop);
  if (!m || !m->poll_open)
    return;
  // The end of a poll that could block closes time_blocked and starts the next pass.  After one
  // that could not, a following pass reads its own start; an iteration without one reads nothing.
  if (m->poll_timed)
    m->poll_ended = metrics_now(m);
  // What the backend queued; the wake-up fd's bookkeeping comes after this and is not counted.
  const unsigned after = loop->pending.any() ? loop->pending.count() : 0;
  const unsigned long events = after > m->poll_pending_before ? after - m->poll_pending_before : 0;
  ++m->c.iterations;
  m->c.poll_events += events;
  if (events > m->c.poll_events_max)
    m->c.poll_events_max = events;
}

void metrics_switch(ev_loop *loop, bool on)
{
  if (on && !metrics_of(loop)) {
    metrics_block *m = new (ev_realloc(nullptr, sizeof(metrics_block))) metrics_block();
    m->tsc = invariant_tsc() && !monotonic_clock_asked_for();
    start_counting(m);
    rare_get(loop)->metrics = m;
    work_set(loop, kWorkMetrics, true);
  } else if (!on && metrics_of(loop)) {
    // Called from a callback or a hook, a pass or a poll being measured looks
    // for the block again when it ends, and finds none.
    ev_free(metrics_of(loop));
    rare_of(loop)->metrics = nullptr;
    work_set(loop, kWorkMetrics, false);
  }
}

namespace {

// The report of a loop whose metrics are on; false when they are off.
bool metrics_report(ev_loop *loop, struct ev_metrics &out)
{
  const metrics_block *b = metrics_of(loop);
  if (!b)
    return false;
  const metrics_counts &c = b->c;
  // Every charge lies within [since_ticks, now], so no total exceeds elapsed when elapsed is that
  // stretch in the same unit: on CLOCK_MONOTONIC the ticks are nanoseconds; a counter's ticks are
  // converted at the rate the two clocks advanced at since `since`.
  const auto now = read_both_clocks(b);
  const metrics_ticks ticks = now.ticks - c.since_ticks;
  double unit = 1e-9;
  if (b->tsc) {
    out.elapsed = now.seconds - c.since;
    unit = ticks && out.elapsed > 0. ? out.elapsed / static_cast<double>(ticks) : 0.;
  } else {
    out.elapsed = static_cast<double>(ticks) * unit;
  }
  out.iterations = c.iterations;
  out.time_blocked = static_cast<double>(c.blocked) * unit;
  if constexpr (EV_METRICS_PRIORITIES == kNumPri && EV_MINPRI == -2) {
    for (int p = 0; p < kNumPri; ++p)
      out.time_callbacks[p] = static_cast<double>(c.callbacks[p]) * unit;
  } else {
    // time_callbacks[priority + 2]; a core compiled with another priority
    // range adds the levels beyond -2 .. 2 to the nearest end
    for (int p = 0; p < kNumPri; ++p) {
      const int i = p + EV_MINPRI + 2;
      out.time_callbacks[i < 0                        ? 0
                         : i >= EV_METRICS_PRIORITIES ? EV_METRICS_PRIORITIES - 1
                                                      : i] += static_cast<double>(c.callbacks[p]) * unit;
    }
  }
  out.time_invoke_cb = static_cast<double>(c.invoke_cb) * unit;
  out.poll_events = c.poll_events;
  out.poll_events_max = c.poll_events_max;
  out.pending_max = c.pending_max;
  out.lag_max = c.lag_max;
  out.lag_total = c.lag_total;
  out.lag_count = c.lag_count;
  return true;
}

// ev_metrics_reset: the chain of readings survives, and a pass or poll in
// progress is charged from the new `since` only (metrics_charge).
void metrics_restart(ev_loop *loop)
{
  if (metrics_block *m = metrics_of(loop)) {
    m->c = metrics_counts();
    start_counting(m);
  }
}

}  // namespace

#else
namespace {
// A build without metrics (configure --enable-small): they are never on.
bool metrics_report(ev_loop *, struct ev_metrics &) { return false; }
void metrics_restart(ev_loop *) {}
}  // namespace
#endif

}  // namespace ev_detail

using namespace ev_detail;

extern "C" {

// Members up to the caller's size are written, because a program built with another ev.h passes a
// smaller or larger struct; members this library does not know are zeroed.
int ev_metrics_get(EV_P_ struct ev_metrics *m) noexcept
{
  const std::size_t size = m->size;
  if (size < sizeof m->size)
    usage_error("ev_metrics_get", "m->size", static_cast<long long>(size),
                "libev: ev_metrics_get called with m->size unset: set it to sizeof (struct ev_metrics)");

  struct ev_metrics out;
  std::memset(&out, 0, sizeof out);
  const bool on = metrics_report(loop, out);
  const std::size_t n = size < sizeof out ? size : sizeof out;
  out.size = n;
  std::memcpy(m, &out, n);
  if (size > n)
    std::memset(reinterpret_cast<char *>(m) + n, 0, size - n);
  return on ? 0 : -1;
}

void ev_metrics_enable(EV_P_ int on) noexcept { metrics_switch(loop, on != 0); }

void ev_metrics_reset(EV_P) noexcept { metrics_restart(loop); }

}  // extern "C"
