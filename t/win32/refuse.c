/* SPDX-License-Identifier: BSD-2-Clause */
/* t/win32/refuse.c - t/refuse.h on Windows, which has no seccomp: nothing can be refused, and
 * the tests that would refuse a call skip, as refuse.h asks where the kernel does not allow
 * it. */
#include "refuse.h"

#include <errno.h>

int
refuse_syscalls (const long *nrs, int n, int err)
{
  (void)nrs, (void)n, (void)err;
  errno = ENOSYS;
  return -1;
}

int
refuse_backend_wait (unsigned int backend, int err)
{
  (void)backend, (void)err;
  errno = ENOSYS;
  return -1;
}
