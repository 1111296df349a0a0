/* SPDX-License-Identifier: BSD-2-Clause */
/* t/win32/include/sys/timerfd.h - stands for Linux's header on Windows, which has no timerfd:
 * the flags alone, for the cases that look at the library's timerfd (skipped there,
 * t/win32/skip.txt). */
#include "../../posix.h"
#define TFD_TIMER_ABSTIME 1
#define TFD_TIMER_CANCEL_ON_SET 2
