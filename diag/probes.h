// SPDX-License-Identifier: BSD-2-Clause
// diag/probes.h - the loop's static probes (ev(3) LIBEV-NG EXTENSIONS, "Static
// probes"; the mechanism and the list are in base/probes.h).
//
// The probes of an iteration (its beginning and end, the poll, each callback,
// timer lag) cost a loop nothing while no tracer is attached: they sit in the
// parts of the iteration that run only for a phase with work (loop/loop.h,
// phase_join).  The loop looks at the probes' shared semaphore when it is
// created and whenever its clock takes the slow half (time_update_slow, every
// half second while it runs), and takes part in the phases before the poll,
// before the wait, after the wait and of the invocation while a tracer is
// attached.  So a probe attached to a running loop fires from the iteration
// after the loop's next look, half a second of its running at most (a loop
// asleep in its poll looks when it wakes); one whose tracer left stops there.
#pragma once

#include "base/probes.h"
#include "loop/loop.h"

#include <cstdint>

namespace ev_detail {

// Look at the semaphore: arm the loop's probes (they fire from the next
// iteration's beginning) or stop them.
void probes_check(ev_loop *loop);

// Step 1 of an iteration while armed or firing, and its end (after the
// invocation, or at step 3 when ev_break ends the run before the poll).
void probes_iteration_begin(ev_loop *loop);
void probes_iteration_end(ev_loop *loop);

// Around the backend's poll while armed or firing: enter returns what
// return needs (the poll's start, the earliest timer, the pending count).
struct probes_poll_mark {
  std::int64_t started_ns;
  ev_tstamp next_timer;
  unsigned pending_before;
  bool firing;
};
probes_poll_mark probes_poll_enter(ev_loop *loop, ev_tstamp timeout);
void probes_poll_return(ev_loop *loop, const probes_poll_mark &m);

// The invocation pass of a probed loop (ev_run's, and ev_invoke_pending's).
void probes_invoke(ev_loop *loop);
void probes_invoke_pending(ev_loop *loop);

}  // namespace ev_detail
