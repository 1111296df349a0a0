// SPDX-License-Identifier: BSD-2-Clause
// base/clock.h - the two clocks of a loop, for ev_time, ev_sleep, ev_now and ev_now_update.
//
// Timers run on CLOCK_MONOTONIC (loop->mn_now), periodics and ev_now() on the wall clock.  Reading
// the wall clock costs more than reading the monotonic one, and the two only drift apart when
// someone sets the clock, so ev_now() is derived as mn_now + rt_offset and the wall clock is read
// again every kRealtimeRecheck.  When the offset then moved by more than kMinTimeJump, the wall
// clock jumped, and periodics are rescheduled.  On Linux a timerfd with TFD_TIMER_CANCEL_ON_SET,
// made with the first periodic, reports jumps at once.  The loop's update of its two clocks is
// time_update (loop/loop.h), its slow half time_update_slow (loop/loop_time.cc).
#pragma once

#include "base/api.h"
#include "base/os_clock.h"

#include <cmath>

namespace ev_detail {

// floor(): the library's from libm, or, in a program that compiles the core into itself without
// EV_USE_FLOOR, computed here so that the program needs no libm; exact for every double but -0.
inline double floor_of(double x)
{
#if EV_NG_FLOOR_LIBM
  return std::floor(x);
#else
  constexpr double kIntegral = 4503599627370496.;  // 2^52: from here on every double is an integer
  if (!(x > -kIntegral && x < kIntegral))
    return x;  // and infinities, NaN
  const double t = static_cast<double>(static_cast<long long>(x));
  return t > x ? t - 1. : t;
#endif
}

inline constexpr ev_tstamp kMinTimeJump = 1.;                  // a larger offset change is a jump
inline constexpr ev_tstamp kRealtimeRecheck = 0.5;             // re-read the wall clock this often
inline constexpr ev_tstamp kMaxBlockTime = 59.743;             // longest poll without a timerfd
inline constexpr ev_tstamp kMaxBlockTimeTimerfd = 1500001.07;  // with one
// EVFLAG_NG_BOOTTIME: the kernel's wait does not count a suspend either, so
// a loop with timers wakes this often to notice one.
inline constexpr ev_tstamp kMaxBlockTimeBoottime = 1.;

}  // namespace ev_detail
