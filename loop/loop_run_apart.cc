// SPDX-License-Identifier: BSD-2-Clause
// loop/loop_run_apart.cc - the iterations of the backends compiled apart
// (backends/policies.h, EV_NG_BACKEND_POLICIES_APART): loop/loop_run.cc
// again, in a unit of its own.  GCC limits how much a unit may grow by
// inlining; compiled with epoll's iteration, io_uring's two took enough of
// that unit's share that epoll's stopped inlining the queueing of its
// prepare, check and idle watchers and the wait's hooks.
#define EV_NG_LOOP_RUN_APART 1
#include "loop/loop_run.cc"
