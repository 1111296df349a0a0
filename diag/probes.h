// SPDX-License-Identifier: BSD-2-Clause
// diag/probes.h - the loop's static probes; base/probes.h has the mechanism and the list.
//
// The probes of an iteration cost nothing while no tracer is attached: they sit in the steps that
// run only while someone has work there (kWorkSteps in loop/loop.h).  The loop reads the shared
// semaphore when it is created and whenever its clock takes the slow half (time_update_slow).
// While a tracer is attached it has work before the block, through kRepairProbes where the fork
// check looks anyway, around the block and in the invocation.  So a probe attached to a running
// loop fires from the iteration after the loop's next look, and stops there once its tracer left.
#pragma once

#include "base/probes.h"
#include "loop/loop.h"

#include <cstdint>

namespace ev_detail {

#if EV_NG_HAVE_SDT

// Look at the semaphore: arm the loop's probes, to fire from the next iteration, or stop them.
void probes_check(ev_loop *loop);

// Step 1 of an iteration while armed or firing, and its end, after the
// invocation or where ev_break ends the run before the poll.
void probes_iteration_begin(ev_loop *loop);
void probes_iteration_end(ev_loop *loop);

// Around the backend's poll while armed or firing: enter returns what return needs, which the
// loop keeps in its rare block (probes_poll_mark, loop/loop.h).
probes_poll_mark probes_poll_enter(ev_loop *loop, ev_tstamp timeout);
void probes_poll_return(ev_loop *loop, const probes_poll_mark &m);

#else

// Without the probes (no <sys/sdt.h>, or a build for size) no tracer can
// attach: probes_check never arms a loop, and the calls compile away.
inline void probes_check(ev_loop *) {}
inline void probes_iteration_begin(ev_loop *) {}
inline void probes_iteration_end(ev_loop *) {}
inline probes_poll_mark probes_poll_enter(ev_loop *, ev_tstamp) { return {}; }
inline void probes_poll_return(ev_loop *, const probes_poll_mark &) {}

#endif

}  // namespace ev_detail
