// SPDX-License-Identifier: BSD-2-Clause
// base/pending.cc - the rare halves of the pending queues (base/pending.h),
// compiled once, since every caller would carry a copy of them inline.
#include "base/pending.h"

namespace ev_detail {

void pending_queues::materialize()
{
  for (int b = 0; b < nvb; ++b) {
    batch &v = vb[b];
    if (!v.count)
      continue;
    array<pending_slot> &l = slots.level[v.lvl];
    l.reserve(v.start + v.count);
    for (int i = 0; i < v.count; ++i) {
      l.data[v.start + i].w = v.base[i];
      l.data[v.start + i].revents = v.revents;
    }
    l.count = v.start + v.count;
    v.count = 0;
  }
  nvb = 0;
  ++batch_epoch;
}

int pending_queues::clear_queued(W w, const char *api) { return settled().clear(w, api); }

}  // namespace ev_detail
