/* SPDX-License-Identifier: BSD-2-Clause */
/* t/time64.h - the C library's names for the time functions and system calls that match
 * this program's time_t, for the tests that wrap them (dlsym, NEXT, syscall).  With glibc on
 * a 32-bit architecture built with 64-bit time_t (-D_TIME_BITS=64, as Debian 13 builds armhf),
 * the headers rename clock_gettime to __clock_gettime64, select to __select64, ...: a test's
 * own clock_gettime () then takes the place of __clock_gettime64, which the library calls,
 * while dlsym (RTLD_NEXT, "clock_gettime") and SYS_clock_gettime would give the 32-bit
 * time_t versions, which write a struct timespec of another layout.
 *
 *   LIBC_T64 ("clock_gettime", "__clock_gettime64")   the name to look up
 *   SYS_clock_gettime_t, SYS_timerfd_settime_t         the system calls */
#ifndef LIBEV_NG_T_TIME64_H
#define LIBEV_NG_T_TIME64_H

#include <sys/syscall.h>
#include <time.h>

#if defined __USE_TIME_BITS64 && defined __TIMESIZE && __TIMESIZE == 32
#define LIBC_T64(name, time64_name) time64_name
#define SYS_clock_gettime_t SYS_clock_gettime64
#define SYS_timerfd_settime_t SYS_timerfd_settime64
#else
#define LIBC_T64(name, time64_name) name
#define SYS_clock_gettime_t SYS_clock_gettime
#define SYS_timerfd_settime_t SYS_timerfd_settime
#endif

#endif
