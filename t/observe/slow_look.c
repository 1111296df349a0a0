/* SPDX-License-Identifier: BSD-2-Clause */
/* t/observe/slow_look.c - preloaded into ev-watchdog alone by t/observe/watchdog.sh (case
 * "script, late looks"): every reading of CLOCK_MONOTONIC returns 10 ms late, as when the
 * tool is preempted between reading the clock and looking at the program on a busy machine.
 * A callback that ends in that gap must still be reported no shorter than it ran. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <time.h>

int
clock_gettime (clockid_t clock, struct timespec *ts)
{
  static int (*real) (clockid_t, struct timespec *);
  if (!real)
    *(void **)&real = dlsym (RTLD_NEXT, "clock_gettime");
  int r = real (clock, ts);
  if (clock == CLOCK_MONOTONIC)
    {
      struct timespec late = { 0, 10000000 };
      while (nanosleep (&late, &late))
        ;
    }
  return r;
}
