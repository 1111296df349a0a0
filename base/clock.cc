// SPDX-License-Identifier: BSD-2-Clause
// base/clock.cc - ev_time, ev_monotonic_time and ev_sleep (ev(3) GLOBAL
// FUNCTIONS); a loop's clock update is loop/loop_time.cc.
#include "base/clock.h"

extern "C" {

ev_tstamp ev_time(void) noexcept { return ev_detail::realtime_now(); }
ev_tstamp ev_monotonic_time(void) noexcept { return ev_detail::monotonic_now(); }

// ev(3): returns at once for a non-positive delay, and may return early,
// without sleeping the rest, when a signal arrives.
void ev_sleep(ev_tstamp delay) noexcept
{
  if (delay <= 0.)
    return;
  ev_detail::sleep_for(delay);
}

}  // extern "C"
