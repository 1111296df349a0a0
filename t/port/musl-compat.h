/* SPDX-License-Identifier: BSD-2-Clause */
/* t/port/musl-compat.h - read first by t/port/musl-g++: what Debian's libstdc++ headers,
 * configured for glibc, expect of the C library and musl does not have under those names.
 * Declarations only for the compiler's sake: the library's C++ calls none of them. */
#ifdef __cplusplus
#include <features.h>
#include <locale.h>
#include <pthread.h>
#include <time.h>
/* <bits/os_defines.h> asks for glibc's release: none */
#define __GLIBC_PREREQ(major, minor) 0
/* <bits/c++locale.h> names glibc's locale type */
typedef locale_t __locale_t;
/* <bits/std_mutex.h> (through <atomic>'s waiting) calls glibc's clock-selecting wait */
static inline int
pthread_cond_clockwait (pthread_cond_t *c, pthread_mutex_t *m, clockid_t, const struct timespec *t)
{
  return pthread_cond_timedwait (c, m, t);
}
#endif
