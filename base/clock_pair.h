// SPDX-License-Identifier: BSD-2-Clause
// base/clock_pair.h - one moment read on two clocks (ev(3) LIBEV-NG
// EXTENSIONS, "Loop metrics": the metrics' clock against CLOCK_MONOTONIC).
//
// The fast clock is read between two readings of the reference clock and
// paired with their midpoint, so that the time a reading takes does not
// count as a difference between the clocks.  An interrupt, or the host
// descheduling a virtual CPU, between the two reference readings widens
// that window to tens of microseconds, and the midpoint may then be off by
// half of it: over the 30 ms a callback was timed in, 25 us is a rate error
// of 8 parts in 10^4 (seen in CI).  So the pair is read kClockPairTries
// times in a row and the narrowest window kept: an interruption lasts long
// enough to spoil one try, and the next one is clean.
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
