// SPDX-License-Identifier: BSD-2-Clause
// diag/metrics.h - loop metrics, after ev(3) LIBEV-NG EXTENSIONS: the counts ev_metrics_get
// reports, in a block that exists only while metrics are on, and the measuring ev_run's steps call.
//
// A loop without metrics runs none of this and pays nothing for it: metrics
// are work of the block and invocation steps (kWorkMetrics, loop/loop.h).
//
// Time is charged per stretch between two clock readings, never per callback, because a callback of
// a few nanoseconds cannot afford a clock read of its own.  The readings are:
//   - before a poll that may block, unless the end of the callbacks before
//     it serves, and after every poll: time_blocked;
//   - at a pass's end and where it turns to another priority level: time_callbacks[level].
// A pass starts at the last reading, the `mark`, when only the loop's own
// work came between, else with a reading of its own (metrics_run_entered).
//
// The clock is the metrics' own (metrics_now): the CPU's time-stamp counter where it runs at a
// constant rate, else CLOCK_MONOTONIC in nanoseconds, since an iteration may take several readings
// and rdtsc costs a fraction of a clock_gettime.  Ticks become seconds only in ev_metrics_get.
#pragma once

#include "loop/loop.h"

#include <cstdint>

namespace ev_detail {

using metrics_ticks = std::uint64_t;

// What ev_metrics_get reports, counted since `since`.
struct metrics_counts {
  ev_tstamp since;            // CLOCK_MONOTONIC when switched on or reset
  metrics_ticks since_ticks;  // metrics_now at the same moment
  unsigned long iterations;   // polls, as ev_iteration counts in 32 bits
  metrics_ticks blocked;      // in polls that may block, timeout > 0
  metrics_ticks callbacks[kNumPri];
  metrics_ticks invoke_cb;  // in a program's invoke-pending callback
  unsigned long poll_events;
  unsigned long poll_events_max;
  unsigned long pending_max;
  ev_tstamp lag_max;
  ev_tstamp lag_total;
  unsigned long lag_count;
};

struct metrics_block {
  metrics_counts c;  // ev_metrics_reset zeroes these only
  bool tsc;          // metrics_now reads the time-stamp counter, else CLOCK_MONOTONIC

  metrics_ticks mark;
  bool mark_valid;

  // The poll being measured (metrics_poll_begin/end), finished by metrics_invoke_begin.
  bool poll_open;   // polled since the last invocation pass began
  bool poll_timed;  // it could block: poll_started was read
  metrics_ticks poll_started;
  metrics_ticks poll_ended;
  ev_tstamp poll_next_timer;     // the earliest timer deadline when it began
  unsigned poll_pending_before;  // the pending count when it began
};

inline metrics_ticks metrics_now(const metrics_block *m)
{
#if EV_NG_HAVE_CYCLE_COUNTER
  if (m->tsc)
    return __builtin_ia32_rdtsc();
#endif
  (void)m;
  return monotonic_ns();
}

// Charge [from, to] to a bucket of the current block.  A block that a callback switched on or reset
// meanwhile is charged only from its `since`, so that no time counts twice and elapsed stays the
// largest figure.  A reading that went backwards, on a CPU whose counter lags, adds nothing.
inline void metrics_charge(const metrics_block *m, metrics_ticks &bucket, metrics_ticks from, metrics_ticks to)
{
  if (from < m->c.since_ticks)
    from = m->c.since_ticks;
  if (to > from)
    bucket += to - from;
}

// Switch metrics on with a zeroed block, or off, freeing it.  Around the poll: what it waited and
// queued.  With EV_NG_METRICS 0 these compile to nothing.
#if EV_NG_METRICS
void metrics_switch(ev_loop *loop, bool on);
void metrics_poll_begin(ev_loop *loop, ev_tstamp timeout);
void metrics_poll_end(ev_loop *loop);
#else
inline void metrics_switch(ev_loop *, bool) {}
inline void metrics_poll_begin(ev_loop *, ev_tstamp) {}
inline void metrics_poll_end(ev_loop *) {}
#endif

// The first invocation after a poll, which ev_run's steps make after every poll: the loop has
// updated loop->mn_now since, and nothing else ran but the queueing of due watchers.
inline void metrics_finish_poll(ev_loop *loop, metrics_block *m)
{
  m->poll_open = false;
  if (m->poll_timed)
    metrics_charge(m, m->c.blocked, m->poll_started, m->poll_ended);
  const ev_tstamp now = loop->mn_now;
  // Lag: how late the loop came back to the earliest timer that was due.  Timers run on this clock;
  // periodics are left out, because their wall-clock deadlines move when the clock is set.
  const ev_tstamp late = now - m->poll_next_timer;
  if (late > 0.) {
    m->c.lag_total += late;
    ++m->c.lag_count;
    if (late > m->c.lag_max)
      m->c.lag_max = late;
  }
  m->mark = m->poll_ended;
  m->mark_valid = m->poll_timed;
}

// The invocation step of a loop with metrics (kStepInvoke), before the pass or the program's
// callback: the poll before it ends here, and the pending count is noted.
inline void metrics_invoke_begin(ev_loop *loop)
{
  metrics_block *m = metrics_of(loop);
  if (m->poll_open)
    metrics_finish_poll(loop, m);
  if (loop->pending.any()) {
    const unsigned long n = loop->pending.count();
    if (n > m->c.pending_max)
      m->c.pending_max = n;
  }
}

// The time of a pass (loop/loop.cc, invoke_pass_checked) or of a program's invoke-pending callback
// starts at the last reading when only the loop's own work came since, else with a reading.
inline metrics_ticks metrics_pass_start(metrics_block *m) { return m->mark_valid ? m->mark : metrics_now(m); }

// The reading that ends a stretch: charged to `bucket` from `from`, if any, and the mark for the
// next stretch.
inline void metrics_stretch_end(metrics_block *m, metrics_ticks *bucket, metrics_ticks from)
{
  const metrics_ticks end = metrics_now(m);
  if (bucket)
    metrics_charge(m, *bucket, from, end);
  m->mark = end;
  m->mark_valid = true;
}

// The pass turns to level p: the clock is read only there and at the pass's end, and the time since
// `t` is the previous level's.  A callback may have switched metrics off: nothing to read the
// clock for then.
inline void metrics_pass_level(ev_loop *loop, int &level, metrics_ticks &t, int p)
{
  if (p == level)
    return;
  if (level >= 0) {
    metrics_block *m = metrics_of(loop);
    if (!m)
      return;
    const metrics_ticks now = metrics_now(m);
    metrics_charge(m, m->c.callbacks[level], t, now);
    t = now;
  }
  level = p;
}

inline void metrics_pass_end(ev_loop *loop, int level, metrics_ticks t)
{
  if (metrics_block *m = metrics_of(loop))
    metrics_stretch_end(m, level >= 0 ? &m->c.callbacks[level] : nullptr, t);
}

// A program's invoke-pending callback ran from `started`, as a whole.
inline void metrics_program_cb_end(ev_loop *loop, metrics_ticks started)
{
  metrics_block *m = metrics_of(loop);
  metrics_stretch_end(m, &m->c.invoke_cb, started);
}

// ev_run was entered: whatever happened since the last reading was the
// program's, not the loop's, so the next pass reads the clock to start.
inline void metrics_run_entered(ev_loop *loop)
{
  if (metrics_block *m = metrics_of(loop))
    m->mark_valid = false;
}

}  // namespace ev_detail
