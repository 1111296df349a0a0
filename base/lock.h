// SPDX-License-Identifier: BSD-2-Clause
// base/lock.h - the core's lock: a process-wide mutex that needs no call to make it, held around
// rare work (a thread's first post to a loop, the list of loops, a fork).
//
// POSIX: a pthread mutex.  Windows: an SRWLOCK, Windows' own, so that a program links the core with
// -lws2_32 alone, as it links libev, whichever thread model its mingw-w64 has: winpthread,
// which the posix model brings for pthreads, is not there in the win32 one.
#pragma once

#ifdef _WIN32
namespace ev_detail {

// An SRWLOCK is one pointer, and SRWLOCK_INIT a null one.  Windows' header stays in base/win32.cc, so
// that the units that lock see none of its macros.
struct os_lock {
  void *srw = nullptr;
};
void lock_take(os_lock &l);
void lock_give(os_lock &l);

}  // namespace ev_detail
#else
#include <pthread.h>

namespace ev_detail {

struct os_lock {
  pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
};
inline void lock_take(os_lock &l) { pthread_mutex_lock(&l.m); }
inline void lock_give(os_lock &l) { pthread_mutex_unlock(&l.m); }

}  // namespace ev_detail
#endif

namespace ev_detail {

// The lock, held until the end of the scope.
class lock_hold {
 public:
  explicit lock_hold(os_lock &l) : l_(l) { lock_take(l_); }
  ~lock_hold() { lock_give(l_); }
  lock_hold(const lock_hold &) = delete;
  lock_hold &operator=(const lock_hold &) = delete;

 private:
  os_lock &l_;
};

}  // namespace ev_detail
