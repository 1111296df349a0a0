// SPDX-License-Identifier: BSD-2-Clause
// watchers/idle.cc - ev_idle, after ev(3)'s ev_idle section.
//
// One array per priority.  The idle rule (doc/semantics.md §14): after timers and periodics have
// been queued, scan the priorities from the highest down; stop at the first level with anything
// pending, or queue all idle watchers of the first level that has some.
#include "diag/debug.h"
#include "loop/loop.h"

using namespace ev_detail;

namespace ev_detail {

void idle_reify(ev_loop *loop)
{
  for (int pri = kNumPri; pri--;) {
    if (loop->pending.level_count(pri))
      break;
    if (loop->idles[pri].count) {
      queue_events(loop, loop->idles[pri].data, loop->idles[pri].count, EV_IDLE);
      break;
    }
  }
}

}  // namespace ev_detail
