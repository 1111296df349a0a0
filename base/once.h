// SPDX-License-Identifier: BSD-2-Clause
// base/once.h - a function run once per process, whichever thread asks first, the others waiting
// until it returned: pthread_once on POSIX, InitOnceExecuteOnce on Windows (base/lock.h says why
// not winpthread's).
#pragma once

#ifdef _WIN32
namespace ev_detail {

// An INIT_ONCE is one pointer, and INIT_ONCE_STATIC_INIT a null one.
struct os_once {
  void *init_once = nullptr;
};
void run_once(os_once &once, void (*fn)());

}  // namespace ev_detail
#else
#include <pthread.h>

namespace ev_detail {

struct os_once {
  pthread_once_t o = PTHREAD_ONCE_INIT;
};
inline void run_once(os_once &once, void (*fn)()) { pthread_once(&once.o, fn); }

}  // namespace ev_detail
#endif
