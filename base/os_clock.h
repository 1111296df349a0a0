// SPDX-License-Identifier: BSD-2-Clause
// base/os_clock.h - the system's clocks, read, and a sleep: clock_gettime and nanosleep on POSIX;
// on Windows QueryPerformanceCounter, the system time as a FILETIME and Sleep, Windows' own, so
// that a program needs no winpthread for clock_gettime (base/lock.h says why).  Seconds are
// doubles, which ev_tstamp is (the embedding kit refuses another EV_TSTAMP_T), so that this header
// needs nothing of the core's.  What a loop makes of the readings is base/clock.h's.
#pragma once

#include <cstdint>

#ifdef _WIN32
namespace ev_detail {

double realtime_now();
double monotonic_now();
std::uint64_t monotonic_ns();
// Sleep counts whole milliseconds: rounded up, so never early.
void sleep_for(double seconds);

}  // namespace ev_detail
#else
#include <time.h>

namespace ev_detail {

inline double clock_now(clockid_t id)
{
  struct timespec ts;
  clock_gettime(id, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}
inline double realtime_now() { return clock_now(CLOCK_REALTIME); }
inline double monotonic_now() { return clock_now(CLOCK_MONOTONIC); }
inline std::uint64_t monotonic_ns()
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000u + static_cast<std::uint64_t>(ts.tv_nsec);
}
// seconds > 0; a signal may end the sleep early
inline void sleep_for(double seconds)
{
  struct timespec ts;
  ts.tv_sec = static_cast<time_t>(seconds);
  ts.tv_nsec = static_cast<long>((seconds - static_cast<double>(ts.tv_sec)) * 1e9);
  if (ts.tv_nsec >= 1000000000L)
    ts.tv_nsec = 999999999L;
  nanosleep(&ts, nullptr);
}

}  // namespace ev_detail
#endif
