// SPDX-License-Identifier: BSD-2-Clause
// loop/loop_run_apart.cc - the iterations of the backends that
// backends/policies.h compiles apart, with the reason: loop/loop_run.cc
// again, in a unit of its own.  Empty where there is one unit for all.
#include "backends/policies.h"

#if EV_NG_ITERATIONS_APART
#define EV_NG_LOOP_RUN_APART 1
#include "loop/loop_run.cc"
#endif
