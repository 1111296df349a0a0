// SPDX-License-Identifier: BSD-2-Clause
// loop/loop_run_apart.cc - the iterations of the backends compiled apart
// (EV_NG_BACKEND_POLICIES_APART: backends/policies.h says which and why):
// loop/loop_run.cc again, in a unit of its own.  GCC limits how much a unit
// may grow by inlining; iterations with much inline code of their own,
// compiled beside the others, took enough of that share that the others
// stopped inlining the queueing of prepare, check and idle watchers and the
// wait's hooks.
#define EV_NG_LOOP_RUN_APART 1
#include "loop/loop_run.cc"
