// SPDX-License-Identifier: BSD-2-Clause
// base/thread_key.h - a value of each thread's own that is handed to a function when the thread
// exits: a pthread key on POSIX, a fiber-local storage slot (FlsAlloc) on Windows, whose callback
// runs at a thread's exit as a key's destructor does (base/lock.h says why not winpthread's).
#pragma once

#ifdef _WIN32
namespace ev_detail {

struct thread_key {
  unsigned long index;  // the FLS slot
  int exit_slot;        // which of base/win32.cc's callbacks calls at_exit
};
// false when the process has no slot left; at_exit is called with the thread's value, if not null
bool thread_key_make(thread_key &k, void (*at_exit)(void *));
void thread_key_set(thread_key k, void *value);
void *thread_key_get(thread_key k);
// Before the code of at_exit goes away (dlclose, FreeLibrary): threads that exit later call nothing,
// and deleting the key calls nothing either, as pthread_key_delete does.
void thread_key_delete(thread_key k);

}  // namespace ev_detail
#else
#include <pthread.h>

namespace ev_detail {

struct thread_key {
  pthread_key_t key;
};
inline bool thread_key_make(thread_key &k, void (*at_exit)(void *)) { return pthread_key_create(&k.key, at_exit) == 0; }
inline void thread_key_set(thread_key k, void *value) { pthread_setspecific(k.key, value); }
inline void *thread_key_get(thread_key k) { return pthread_getspecific(k.key); }
inline void thread_key_delete(thread_key k) { pthread_key_delete(k.key); }

}  // namespace ev_detail
#endif
