// SPDX-License-Identifier: BSD-2-Clause
// base/thread_id.h - which thread is running: pthread_self on POSIX, GetCurrentThreadId on Windows
// (base/lock.h says why not winpthread's).  thread_id{} is no thread's: glibc's pthread_t is the
// address of the thread's descriptor, and Windows gives no thread the id 0.
#pragma once

#ifdef _WIN32
namespace ev_detail {

using thread_id = unsigned long;  // a DWORD
thread_id thread_self();
inline bool thread_same(thread_id a, thread_id b) { return a == b; }

}  // namespace ev_detail
#else
#include <pthread.h>

namespace ev_detail {

using thread_id = pthread_t;
inline thread_id thread_self() { return pthread_self(); }
inline bool thread_same(thread_id a, thread_id b) { return pthread_equal(a, b); }

}  // namespace ev_detail
#endif
