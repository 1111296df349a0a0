// SPDX-License-Identifier: BSD-2-Clause
// t/unit/clock_pair_test.cc - white-box tests of base/clock_pair.h: one
// moment read on the metrics' clock and on CLOCK_MONOTONIC.  ev(3) "Loop
// metrics": ticks become seconds at a rate exact to the time a clock reading
// takes at either end, also when an interrupt lands between two readings.
#include "base/clock_pair.h"

#include <cmath>

extern "C" {
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>  // after the headers it needs
}

using namespace ev_detail;

namespace {

// A simulated time line: every clock reading takes 20 ns; an interruption
// of `stall` seconds comes after the reading numbered `stall_after`
// (counting reference and fast readings alike).  The fast clock counts
// nanoseconds since 1000 s on the reference clock.
struct fake_clocks {
  double now = 1000.;
  int readings = 0;
  int stall_after = -1;
  double stall = 0.;

  void tick()
  {
    now += 20e-9;
    if (readings++ == stall_after)
      now += stall;
  }
  double seconds()
  {
    const double t = now;
    tick();
    return t;
  }
  unsigned long long ticks()
  {
    const auto t = static_cast<unsigned long long>(std::llround((now - 1000.) * 1e9));
    tick();
    return t;
  }
  // The reference clock at the moment of a fast reading.
  static double seconds_at(unsigned long long ticks) { return 1000. + static_cast<double>(ticks) * 1e-9; }
};

clock_pair<unsigned long long> read_pair(fake_clocks &c)
{
  return read_clock_pair([&c] { return c.ticks(); }, [&c] { return c.seconds(); });
}

// Without interruptions the pair is exact to half a reading.
void an_undisturbed_pair_is_exact_to_half_a_reading(void **)
{
  fake_clocks c;
  const auto p = read_pair(c);
  assert_true(std::fabs(p.seconds - fake_clocks::seconds_at(p.ticks)) <= 10e-9 + 1e-12);
  assert_true(p.window < 50e-9);
}

// An interruption of 50 us between the fast reading and the second
// reference reading of the first try: that try's midpoint is 25 us late,
// and the pair is taken from a later, narrow try instead.
void an_interrupted_try_is_not_the_one_kept(void **)
{
  for (int stall_after = 0; stall_after < 3 * kClockPairTries; ++stall_after) {
    fake_clocks c;
    c.stall_after = stall_after;
    c.stall = 50e-6;
    const auto p = read_pair(c);
    if (std::fabs(p.seconds - fake_clocks::seconds_at(p.ticks)) > 10e-9 + 1e-12)
      fail_msg("interrupted after reading %d: paired %.9f s with the moment %.9f s", stall_after, p.seconds,
               fake_clocks::seconds_at(p.ticks));
    assert_true(p.window < 50e-9);
  }
}

// Every try interrupted: the best available is kept, a midpoint within
// half its window.
void all_tries_interrupted_keeps_the_narrowest(void **)
{
  fake_clocks c;
  int tries = 0;
  const auto p = read_clock_pair([&c] { return c.ticks(); },
                                 [&c, &tries] {
                                   const double t = c.seconds();
                                   // an interruption after each try's first reading, the second try's shortest
                                   if (c.readings % 3 == 1)
                                     c.now += ++tries == 2 ? 5e-6 : 40e-6;
                                   return t;
                                 });
  assert_true(p.window > 5e-6 && p.window < 6e-6);
  assert_true(std::fabs(p.seconds - fake_clocks::seconds_at(p.ticks)) <= p.window / 2);
}

}  // namespace

int main()
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(an_undisturbed_pair_is_exact_to_half_a_reading),
      cmocka_unit_test(an_interrupted_try_is_not_the_one_kept),
      cmocka_unit_test(all_tries_interrupted_keeps_the_narrowest),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
