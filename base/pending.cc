// SPDX-License-Identifier: BSD-2-Clause
// base/pending.cc - the rare halves of the pending queues (base/pending.h),
// compiled once, since every caller would carry a copy of them inline.
#include "base/pending.h"

namespace ev_detail {

int pending_queues::clear_queued(W w, const char *api) { return settled().clear(w, api); }

}  // namespace ev_detail
