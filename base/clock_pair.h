// SPDX-License-Identifier: BSD-2-Clause
// base/clock_pair.h - one moment read on two clocks: the metrics' clock against CLOCK_MONOTONIC.
//
// The fast clock is read between two reference readings and paired with their midpoint, so that the
// time a reading takes does not count as a difference between the clocks.  An interrupt, or the
// host descheduling a virtual CPU, between them widens the window, and the midpoint may be far
// enough off to skew the rate over a short stretch.  So the pair is read kClockPairTries times and
// the narrowest window kept: an interruption spoils one try, the next is clean.
#pragma once

namespace ev_detail {

inline constexpr int kClockPairTries = 3;

template <class Ticks>
struct clock_pair {
  Ticks ticks;     // the fast clock
  double seconds;  // the reference clock at the same moment
  double window;   // the two reference readings this many seconds apart
};

// read_seconds: the reference clock; read_ticks: the fast clock.
template <class ReadTicks, class ReadSeconds>
auto read_clock_pair(ReadTicks read_ticks, ReadSeconds read_seconds) -> clock_pair<decltype(read_ticks())>
{
  clock_pair<decltype(read_ticks())> best{};
  for (int attempt = 0; attempt < kClockPairTries; ++attempt) {
    const double before = read_seconds();
    const auto ticks = read_ticks();
    const double after = read_seconds();
    if (attempt == 0 || after - before < best.window)
      best = {ticks, before + (after - before) * 0.5, after - before};
  }
  return best;
}

}  // namespace ev_detail
