// SPDX-License-Identifier: BSD-2-Clause
// diag/metrics.h - loop metrics (ev(3) LIBEV-NG EXTENSIONS, "Loop metrics"): the
// counts ev_metrics_get reports, kept in a block that exists only while metrics
// are on, and the measuring that ev_run's phases call.
//
// A loop without metrics runs none of this and pays nothing for it: while
// metrics are on, they take part in the wait phase (around the backend's
// poll) and in the invocation phase (loop/loop_run.cc, loop/loop.h phase_join).
//
// Time is charged per stretch between two clock readings, never per
// callback: a callback of a few nanoseconds cannot afford a clock read of
// its own.  The readings are:
//   - before a poll that may block, unless the end of the callbacks before
//     it serves, and after every poll: time_blocked;
//   - at the end of an invocation pass, and where a pass turns from one
//     priority level to another: time_callbacks[level].
// A pass starts at the last reading (the `mark`) when only the loop's own
// work came between (the end of the poll, the end of the previous pass),
// else at a reading of its own: ev_run was entered since, and the time
// before was the program's.
//
// The clock is the metrics' own (metrics_now): the CPU's time-stamp counter
// where it runs at a constant rate (x86-64 with an invariant TSC), else
// CLOCK_MONOTONIC in nanoseconds.  A NOWAIT iteration with prepare and
// check watchers takes four readings, and rdtsc costs a fraction of a
// clock_gettime (more so on virtual machines).  Ticks become seconds
// only in ev_metrics_get, at the rate the two clocks advanced at between
// `since` and the report, so a total never exceeds `elapsed`.
#pragma once

#include "loop/loop.h"

#include <cstdint>

namespace ev_detail {

using metrics_ticks = std::uint64_t;

// What ev_metrics_get reports, counted since `since`.
struct metrics_counts {
  ev_tstamp since;            // CLOCK_MONOTONIC when switched on or reset
  metrics_ticks since_ticks;  // metrics_now at the same moment
  unsigned long iterations;   // polls (ev_iteration counts the same, in 32 bits)
  metrics_ticks blocked;      // in polls that may block (timeout > 0)
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
  metrics_counts c;  // (ev_metrics_reset zeroes these only)
  bool tsc;          // metrics_now reads the time-stamp counter (else CLOCK_MONOTONIC, ns)

  // --- the chain of readings (see above) ------------------------------------
  metrics_ticks mark;
  bool mark_valid;

  // --- the poll being measured (metrics_poll_begin/end, finished by metrics_invoke)
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
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<metrics_ticks>(ts.tv_sec) * 1000000000u + static_cast<metrics_ticks>(ts.tv_nsec);
}

// Charge [from, to] to a bucket of the current block: a block switched on or
// reset meanwhile (from a callback) is charged only from its `since`, so
// that no time counts twice and elapsed stays the largest figure.  (A
// reading that went backwards, on another CPU whose counter lags, adds
// nothing.)
inline void metrics_charge(const metrics_block *m, metrics_ticks &bucket, metrics_ticks from, metrics_ticks to)
{
  if (from < m->c.since_ticks)
    from = m->c.since_ticks;
  if (to > from)
    bucket += to - from;
}

// Switch metrics on (a zeroed block; nothing if they are on) or off (the
// block is freed).  EVFLAG_NG_METRICS and ev_metrics_enable.
// Around the backend's poll: what it waited and what it queued.
// Time an invocation pass per priority level (or a program's invoke-pending
// callback as a whole), and note the pending count it starts with.
// (A build without metrics, EV_NG_METRICS 0 (ev(3) EMBEDDING), never has a
// loop with them: these compile to nothing.)
#if EV_NG_METRICS
void metrics_switch(ev_loop *loop, bool on);
void metrics_poll_begin(ev_loop *loop, ev_tstamp timeout);
void metrics_poll_end(ev_loop *loop);
void metrics_invoke_pass(ev_loop *loop);
#else
inline void metrics_switch(ev_loop *, bool) {}
inline void metrics_poll_begin(ev_loop *, ev_tstamp) {}
inline void metrics_poll_end(ev_loop *) {}
inline void metrics_invoke_pass(ev_loop *) {}
#endif

// The first invocation after a poll (ev_run's step 10 follows every poll):
// the loop has updated its clock since (loop->mn_now), and nothing else ran
// but the queueing of due watchers.
inline void metrics_finish_poll(ev_loop *loop, metrics_block *m)
{
  m->poll_open = false;
  if (m->poll_timed)
    metrics_charge(m, m->c.blocked, m->poll_started, m->poll_ended);
  const ev_tstamp now = loop->mn_now;
  // Lag: how late the loop came back to the earliest timer that was due (the
  // first that step 9 queued).  Timers run on this clock; periodics are left
  // out, their wall-clock deadlines move when the clock is set.
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

// Every invocation of a loop with metrics (the invocation phase): the checks of
// an iteration with nothing to invoke stay inline and read no clock.
inline void metrics_invoke(ev_loop *loop)
{
  metrics_block *m = loop->metrics;
  if (m->poll_open)
    metrics_finish_poll(loop, m);
  if (loop->pending.any() || loop->invoke_cb != ev_invoke_pending)
    metrics_invoke_pass(loop);
}

// ev_run was entered: whatever happened since the last reading was the
// program's, not the loop's, so the next pass reads the clock to start.
inline void metrics_run_entered(ev_loop *loop)
{
  if (loop->metrics)
    loop->metrics->mark_valid = false;
}

}  // namespace ev_detail
