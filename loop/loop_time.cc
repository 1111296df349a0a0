// SPDX-License-Identifier: BSD-2-Clause
// loop/loop_time.cc - the slow half of a loop's clock update: re-measuring the wall clock against
// the monotonic one, and rescheduling periodics after a jump; the fast path is in loop/loop.h.
#include "diag/probes.h"
#include "loop/loop.h"

#include <algorithm>
#include <cmath>

namespace ev_detail {

namespace {

// The offset of the wall clock from the monotonic one: the wall clock is read between two readings
// of the monotonic one, so the true offset lies in [lower, upper].  A wide window, where we were
// preempted between the readings, is measured again, so that a delay is not taken for a jump.
struct offset_window {
  ev_tstamp lower, upper;
  ev_tstamp mn;  // the last monotonic reading
};

offset_window measure_offset()
{
  offset_window m{};
  for (int attempt = 0; attempt < 3; ++attempt) {
    const ev_tstamp before = monotonic_now();
    const ev_tstamp rt = realtime_now();
    m.mn = monotonic_now();
    m.lower = rt - m.mn;
    m.upper = rt - before;
    if (m.mn - before < kMinTimeJump * 0.01)
      break;
  }
  return m;
}

// ev_now() from a measured window, and the periodics rescheduled after a jump.
void offset_adopt(ev_loop *loop, const offset_window &m)
{
  // The offset kept is the lower end of a window, and it changes only when a new window lies wholly
  // above or below it: a window that still holds it tells nothing new.  Taking each reading as it
  // comes would move ev_now() back and forth by the width of the windows, and a timer could then
  // run with ev_now() below the ev_now() of its start plus its delay.  kOffsetSlack allows for the
  // rounding of sums of seconds since 1970.
  constexpr ev_tstamp kOffsetSlack = 1e-6;
  const ev_tstamp old = loop->rt_offset;
  if (m.lower > old || m.upper < old - kOffsetSlack)
    loop->rt_offset = m.lower;
  set_rt_now(loop, loop->rt_offset + m.mn);
  if (std::fabs(loop->rt_offset - old) > kMinTimeJump)
    periodics_reschedule(loop);
}

void time_update_realtime(ev_loop *loop)
{
  const offset_window m = measure_offset();
  loop->mn_now = m.mn;
  loop->rt_recheck_at = m.mn + kRealtimeRecheck;
  offset_adopt(loop, m);
}

}  // namespace

// The wall clock measured by the rule of the half-second re-measurement rather than one reading
// taken as ev_now(), because the offset kept may be below the true one, and the next update,
// which derives ev_now() from the offset, would move it back below that reading.
void time_read_wall_clock(ev_loop *loop) { offset_adopt(loop, measure_offset()); }

// The half-second re-measurement is also where the loop looks whether a tracer came or went
// (diag/probes.h), since that is where rare work is done.
void time_update_slow(ev_loop *loop)
{
  if (loop->mn_now >= loop->rt_recheck_at) {
    time_update_realtime(loop);
    probes_check(loop);
  } else
    set_rt_now(loop, loop->rt_offset + loop->mn_now);
  if (boottime_on(loop))
    boottime_catch_up(loop);
  time_gate_update(loop);
}

void time_init(ev_loop *loop)
{
  const offset_window m = measure_offset();
  loop->mn_now = m.mn;
  loop->rt_offset = m.lower;
  set_rt_now(loop, m.lower + m.mn);
  loop->rt_recheck_at = m.mn + kRealtimeRecheck;
}

void time_gate_update(ev_loop *loop) { loop->slow_time_at = time_gate(loop); }

void time_force_realtime_check(ev_loop *loop)
{
  loop->rt_recheck_at = -1e300;
  time_gate_update(loop);
}

}  // namespace ev_detail
