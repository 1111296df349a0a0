// SPDX-License-Identifier: BSD-2-Clause
// loop_time.cc - the slow half of a loop's clock update (ev(3) "The special
// problem of time updates"): re-measuring the wall clock against the
// monotonic one, and rescheduling periodics after a jump.  The fast path is
// inline in loop.h (time_update); the clocks themselves are base/clock.h.
#include "loop.h"

#include <algorithm>
#include <cmath>

namespace ev_detail {

namespace {

void time_update_realtime(ev_loop *loop)
{
  // Measure the offset again.  The two clocks cannot be read at the same
  // instant; if we were preempted between the readings (the monotonic
  // clock moved noticeably), measure once more, so that a delay is not
  // mistaken for a clock jump.
  ev_tstamp rt = 0., offset = 0.;
  for (int attempt = 0; attempt < 3; ++attempt) {
    ev_tstamp before = monotonic_now();
    rt = realtime_now();
    loop->mn_now = monotonic_now();
    offset = rt - loop->mn_now;
    if (loop->mn_now - before < kMinTimeJump * 0.01)
      break;
  }
  loop->rt_recheck_at = loop->mn_now + kRealtimeRecheck;
  loop->ev_rt_now = rt;

  ev_tstamp jump = offset - loop->rt_offset;
  loop->rt_offset = offset;
  if (std::fabs(jump) > kMinTimeJump)
    periodics_reschedule(loop);
}

}  // namespace

void time_update_slow(ev_loop *loop)
{
  if (loop->mn_now >= loop->rt_recheck_at)
    time_update_realtime(loop);
  else
    loop->ev_rt_now = loop->rt_offset + loop->mn_now;
  time_gate_update(loop);
}

void time_gate_update(ev_loop *loop) { loop->slow_time_at = std::min(loop->rt_recheck_at, loop->sweep.look_at); }

void time_force_realtime_check(ev_loop *loop)
{
  loop->rt_recheck_at = -1e300;
  time_gate_update(loop);
}

}  // namespace ev_detail
