// SPDX-License-Identifier: BSD-2-Clause
// base/env.h - the environment variables the library reads (LIBEV_FLAGS,
// LIBEV_NG_DEBUG, LIBEV_NG_METRICS_CLOCK): never in a program that runs
// with privileges it was given (set-user-ID, set-group-ID), whose
// environment is its caller's (ev(3) ev_default_loop, LIBEV_FLAGS).
#pragma once

#include "base/api.h"

#include <unistd.h>
#include <cstdlib>

namespace ev_detail {

inline const char *env_get(const char *name)
{
#if EV_NG_HAVE_SECURE_GETENV
  return secure_getenv(name);  // (also refuses a process given capabilities)
#elif defined(HAVE_ISSETUGID)
  return issetugid() ? nullptr : std::getenv(name);
#else
  return getuid() != geteuid() || getgid() != getegid() ? nullptr : std::getenv(name);
#endif
}

}  // namespace ev_detail
