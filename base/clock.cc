// SPDX-License-Identifier: BSD-2-Clause
// base/clock.cc - ev_time, ev_monotonic_time and ev_sleep (ev(3) GLOBAL
// FUNCTIONS); a loop's clock update is loop/loop_time.cc.
#include "base/clock.h"

#include <cerrno>
#include <cmath>
#include <ctime>
#ifdef _WIN32
#include <windows.h>
#endif

extern "C" {

ev_tstamp ev_time(void) noexcept { return ev_detail::realtime_now(); }
ev_tstamp ev_monotonic_time(void) noexcept { return ev_detail::monotonic_now(); }

// ev(3): returns at once for a non-positive delay, and may return early,
// without sleeping the rest, when a signal arrives.
void ev_sleep(ev_tstamp delay) noexcept
{
  if (delay <= 0.)
    return;
#ifdef _WIN32
  // Sleep counts whole milliseconds, and winpthreads' nanosleep truncates
  // to them: a shorter delay would not sleep at all, and a loop's last
  // millisecond before a timer would spin.  Rounded up: never early.
  constexpr ev_tstamp kLongestSleep = 4e6;  // seconds, under Sleep's INFINITE
  ::Sleep(static_cast<DWORD>(std::ceil((delay < kLongestSleep ? delay : kLongestSleep) * 1e3)));
#else
  struct timespec ts;
  ev_tstamp secs = ev_detail::floor_of(delay);
  ts.tv_sec = static_cast<time_t>(secs);
  ts.tv_nsec = static_cast<long>((delay - secs) * 1e9);
  if (ts.tv_nsec >= 1000000000L)
    ts.tv_nsec = 999999999L;
  nanosleep(&ts, nullptr);
#endif
}

}  // extern "C"
