// SPDX-License-Identifier: BSD-2-Clause
// base/alloc.h - the only source of memory and the only ways to fail.
//
// ev(3) ERROR HANDLING distinguishes three classes, implemented here:
//  - out of memory: libev's message, then abort(), since libev 4.33 has no recovery path either;
//  - system call failures: ev_syserr() calls the user's ev_set_syserr_cb
//    callback, or prints the message with perror() and aborts;
//  - usage errors, which libev catches with assert(): usage_error() names the API call and the
//    offending value, keeps libev's wording in quotes for tools that grep for it, then aborts.
#pragma once

#include "base/api.h"

namespace ev_detail {

// realloc through the user's allocator; size 0 frees and returns nullptr.
void *ev_realloc(void *ptr, std::size_t size);

inline void ev_free(void *ptr) { ev_realloc(ptr, 0); }

// The same for memory the loop can do without, such as an index that only
// makes something faster: nullptr when the allocator has none, no abort.
void *ev_try_realloc(void *ptr, std::size_t size);

// A system call failed in a way the loop cannot recover from.
void ev_syserr(const char *msg);

// Try `attempt`, >= 0 on success, for a system call the loop needs; each failure goes to ev_syserr,
// which aborts as in libev unless the program set a syserr callback.  At most kSyserrTries tries,
// so that a callback that returns never loops forever; false when the caller must do without.
inline constexpr int kSyserrTries = 3;
template <class Attempt>
bool retry_after_syserr(const char *msg, Attempt attempt)
{
  for (int tries = 1;; ++tries) {
    if (attempt() >= 0)
      return true;
    ev_syserr(msg);
    if (tries == kSyserrTries)
      return false;
  }
}

// Misuse of the API: print and abort.  `what` is libev's assertion text.
[[noreturn]] void usage_error(const char *api, const char *arg, long long value, const char *what);
[[noreturn]] void usage_error(const char *api, const char *arg, double value, const char *what);
[[noreturn]] void usage_error(const char *api, const char *what);
// ... where the offending value is an address, such as a loop's.
[[noreturn]] void usage_error(const char *api, const char *arg, const void *value, const char *what);

// An internal invariant does not hold (ev_verify): print and abort.
[[noreturn]] void internal_error(const char *what, long long detail);

// snprintf for the messages above: the C library's, or, with EV_AVOID_STDIO, a small one that knows
// the conversions the messages use.  On mingw-w64 the format is checked as the vsnprintf C++ calls
// reads it: its own C99 one (libstdc++ turns on __USE_MINGW_ANSI_STDIO), which knows %zu, where the
// attribute's plain "printf" would mean the Microsoft runtime's.
#ifdef __MINGW_PRINTF_FORMAT
#define EV_NG_MESSAGE_FORMAT __MINGW_PRINTF_FORMAT
#else
#define EV_NG_MESSAGE_FORMAT printf
#endif
int message_format(char *buf, std::size_t size, const char *fmt, ...)
    __attribute__((format(EV_NG_MESSAGE_FORMAT, 3, 4)));

}  // namespace ev_detail
