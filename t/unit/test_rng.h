// SPDX-License-Identifier: BSD-2-Clause
// t/unit/test_rng.h - the unit tests' random numbers: xorshift64, seeded by the
// test so that a failure names a seed that reproduces it.
#pragma once

#include <cstdint>

struct test_rng {
  std::uint64_t s;  // never 0
  unsigned next(unsigned n)
  {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return static_cast<unsigned>(s % n);
  }
};
