// SPDX-License-Identifier: BSD-2-Clause
// base/per_thread.h - a T of each thread's own, zero until the thread changes it.
//
// POSIX: the compiler's thread_local.  Windows: mingw-w64's thread_local is libgcc's emulation,
// which the posix thread model builds on winpthread (base/lock.h says why not that), so there the
// T is a record that a fiber-local storage slot points to, made at the thread's first use and freed
// at its exit (base/thread_key.h).
#pragma once

#include <type_traits>

#ifdef _WIN32
#include "base/alloc.h"
#include "base/once.h"
#include "base/thread_key.h"

#include <new>

namespace ev_detail {

template <class T>
class per_thread {
  static_assert(std::is_trivially_destructible_v<T>);

 public:
  // This thread's T; null when there is no memory for it, or no slot.
  static T *get() noexcept
  {
    run_once(once_, make_key);
    if (!have_key_)
      return nullptr;
    if (void *p = thread_key_get(key_))
      return static_cast<T *>(p);
    void *p = ev_try_realloc(nullptr, sizeof(T));
    if (!p)
      return nullptr;
    T *t = new (p) T{};
    thread_key_set(key_, t);
    return t;
  }
  // This thread's T if it has one, without making it.
  static T *peek() noexcept
  {
    run_once(once_, make_key);
    return have_key_ ? static_cast<T *>(thread_key_get(key_)) : nullptr;
  }
  // The exit of the thread may free the T before other exit functions run, which then must not
  // touch it.
  static constexpr bool kUsableAtExit = false;
  // Before the library's code goes away: threads that exit later leave their records.
  static void retire() noexcept
  {
    if (have_key_)
      thread_key_delete(key_);
    have_key_ = false;
  }

 private:
  static void free_record(void *p) { ev_free(p); }
  static void make_key() { have_key_ = thread_key_make(key_, free_record); }
  static inline constinit os_once once_{};
  static inline constinit thread_key key_{};
  static inline constinit bool have_key_ = false;
};

}  // namespace ev_detail
#else
namespace ev_detail {

template <class T>
class per_thread {
 public:
  static T *get() noexcept { return &value_; }
  static T *peek() noexcept { return &value_; }
  // thread_local storage lasts until the thread's key destructors have all run.
  static constexpr bool kUsableAtExit = true;
  static void retire() noexcept {}

 private:
  static inline constinit thread_local T value_{};
};

}  // namespace ev_detail
#endif
