// SPDX-License-Identifier: BSD-2-Clause
// base/fork_hooks.h - functions run around fork(3): pthread_atfork on POSIX; nothing on Windows,
// which has no fork (base/lock.h says why not winpthread's, whose pthread_atfork drops them too).
#pragma once

#ifdef _WIN32
namespace ev_detail {

inline void at_fork(void (*)(), void (*)(), void (*)()) {}

}  // namespace ev_detail
#else
#include <pthread.h>

namespace ev_detail {

inline void at_fork(void (*prepare)(), void (*parent)(), void (*child)()) { pthread_atfork(prepare, parent, child); }

}  // namespace ev_detail
#endif
