/* SPDX-License-Identifier: BSD-2-Clause */
/* t/compat/embed/configs/features0_select.h - EV_FEATURES 0 as a small program sets it, with
 * nothing enabled again but select and what libev-ng requires (the 4-heap) and libev 4.33 does
 * (the monotonic clock): one loop, one priority, I/O and timer watchers alone, no full API.
 * The scenarios that need another watcher type say so. */
#include "../common.h"
#define EV_STANDALONE 1
#define EV_FEATURES 0
#define EV_USE_4HEAP 1
#define EV_USE_MONOTONIC 1
#define EV_USE_SELECT 1
