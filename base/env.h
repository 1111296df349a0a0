// SPDX-License-Identifier: BSD-2-Clause
// base/env.h - the environment variables the library reads, never in a set-user-ID or set-group-ID
// program, whose environment is its caller's, as ev(3) says of LIBEV_FLAGS.
#pragma once

#include "base/api.h"

#include <unistd.h>
#include <cstdlib>

namespace ev_detail {

inline const char *env_get(const char *name)
{
#if EV_NG_HAVE_SECURE_GETENV
  return secure_getenv(name);  // also refuses a process given capabilities
#elif defined(HAVE_ISSETUGID)
  return issetugid() ? nullptr : std::getenv(name);
#else
  return getuid() != geteuid() || getgid() != getegid() ? nullptr : std::getenv(name);
#endif
}

}  // namespace ev_detail
