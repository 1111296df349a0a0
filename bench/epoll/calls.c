/* SPDX-License-Identifier: BSD-2-Clause */
/* calls.c - the calls servers make most (common/calls.h): the raw epoll
 * loop has no watcher objects whose calls these rows measure */
#include "common/calls.h"

void
wl_calls (void)
{
  static const char reason[] = "the raw loop has no watcher objects (no stop, pending state, feed or re-arm call)";
  for (unsigned k = 0; k < CALLS_STOP_KINDS; ++k)
    metric_na (calls_stop_label (k), reason);
  metric_na ("calls/clear-pending", reason);
  metric_na ("calls/timer-again-inactive", reason);
  metric_na ("calls/timer-again-active", reason);
  metric_na ("calls/feed-invoke/N=1000", reason);
  metric_na ("calls/io-rearm/N=1000", reason);
}
