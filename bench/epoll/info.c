/* SPDX-License-Identifier: BSD-2-Clause */
/* info.c - the raw epoll floor has no library to identify */
#include "common/harness.h"

#include <sys/utsname.h>

void
lib_info (void)
{
  struct utsname u;
  info ("library", "epoll");
  info ("version", "%s", uname (&u) ? "?" : u.release);
  info ("object", "bench/epoll/rl.c");
}
