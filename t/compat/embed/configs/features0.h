/* SPDX-License-Identifier: BSD-2-Clause */
/* t/compat/embed/configs/features0.h - EV_FEATURES 0 (the smallest libev: one loop, one
 * priority, no full API, EV_PID_HASHSIZE 1) with what the scenarios need enabled again:
 * the 4-heap (libev-ng has no other), the monotonic clock (libev 4.33 does not compile
 * without it), the three backends, and idle, prepare, check, async,
 * signal and child watchers. */
#include "../common.h"
#define EV_STANDALONE 1
#define EV_FEATURES 0
#define EV_USE_4HEAP 1
#define EV_USE_SELECT 1
#define EV_USE_POLL 1
#define EV_USE_EPOLL 1
#define EV_IDLE_ENABLE 1
#define EV_PREPARE_ENABLE 1
#define EV_CHECK_ENABLE 1
#define EV_ASYNC_ENABLE 1
#define EV_SIGNAL_ENABLE 1
#define EV_CHILD_ENABLE 1
#define EV_USE_MONOTONIC 1
