// core/clock.cc - ev_time, ev_sleep and the loop's clock update.
#include "loop.h"

#include <cerrno>
#include <cmath>
#include <ctime>

namespace ev_detail {

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
  if (EV_UNLIKELY(std::fabs(jump) > kMinTimeJump))
    periodics_reschedule(loop);
}

void time_force_realtime_check(ev_loop *loop)
{
  loop->rt_recheck_at = -1e300;
}

}  // namespace ev_detail

extern "C" {

ev_tstamp ev_time(void) noexcept { return ev_detail::realtime_now(); }

// ev(3): returns at once for a non-positive delay; may return early when a
// signal arrives (the remaining time is not slept).
void ev_sleep(ev_tstamp delay) noexcept
{
  if (delay <= 0.)
    return;
  struct timespec ts;
  ev_tstamp secs = std::floor(delay);
  ts.tv_sec = static_cast<time_t>(secs);
  ts.tv_nsec = static_cast<long>((delay - secs) * 1e9);
  if (ts.tv_nsec >= 1000000000L)
    ts.tv_nsec = 999999999L;
  nanosleep(&ts, nullptr);
}

}  // extern "C"
