// SPDX-License-Identifier: BSD-2-Clause
// t/unit/timeout_test.cc - white-box tests of backends/backend.h's timeout
// conversions: the block time in the units of epoll_wait/poll (ms) and of
// epoll_pwait2 (a timespec).  ev(3) "ev_timer": a timer never fires early,
// so a block time is rounded up, never down; it is capped, and nothing turns
// into a negative (that is, infinite) wait.
#include "backends/backend.h"

#include <cmath>
#include <limits>

extern "C" {
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
}

using namespace ev_detail;

namespace {

void milliseconds_round_up(void **)
{
  assert_int_equal(timeout_to_ms(1e-3), 1);
  assert_int_equal(timeout_to_ms(1.5e-3), 2);
  assert_int_equal(timeout_to_ms(0.25), 250);
  assert_int_equal(timeout_to_ms(59.743), 59743);
  assert_int_equal(timeout_to_ms(1.0001), 1001);
}

void nothing_becomes_an_infinite_wait(void **)
{
  assert_int_equal(timeout_to_ms(0.), 0);
  assert_int_equal(timeout_to_ms(-0.), 0);
  assert_int_equal(timeout_to_ms(-1e-3), 0);
  assert_int_equal(timeout_to_ms(-1e300), 0);
  assert_int_equal(timeout_to_ms(-std::numeric_limits<double>::infinity()), 0);
  assert_int_equal(timeout_to_ms(std::nan("")), 0);
}

void milliseconds_are_capped(void **)
{
  assert_int_equal(timeout_to_ms(2.0e6), 2000000000);
  assert_int_equal(timeout_to_ms(2.5e6), 2000000000);
  assert_int_equal(timeout_to_ms(1e300), 2000000000);
  assert_int_equal(timeout_to_ms(std::numeric_limits<double>::infinity()), 2000000000);
}

void timespec_rounds_up_and_is_capped(void **)
{
  struct timespec ts = timeout_to_timespec(1.5e-4);
  assert_int_equal(ts.tv_sec, 0);
  assert_true(ts.tv_nsec >= 150000 && ts.tv_nsec <= 150001);
  ts = timeout_to_timespec(0.);
  assert_int_equal(ts.tv_sec, 0);
  assert_int_equal(ts.tv_nsec, 0);
  ts = timeout_to_timespec(-2.);
  assert_int_equal(ts.tv_sec, 0);
  assert_int_equal(ts.tv_nsec, 0);
  ts = timeout_to_timespec(std::nan(""));
  assert_int_equal(ts.tv_sec, 0);
  assert_int_equal(ts.tv_nsec, 0);
  ts = timeout_to_timespec(1e300);
  assert_int_equal(ts.tv_sec, 2000000000);
}

}  // namespace

int main()
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(milliseconds_round_up),
      cmocka_unit_test(nothing_becomes_an_infinite_wait),
      cmocka_unit_test(milliseconds_are_capped),
      cmocka_unit_test(timespec_rounds_up_and_is_capped),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
