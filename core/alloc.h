// core/alloc.h - the only source of memory and the only ways to fail.
//
// ev(3) ERROR HANDLING distinguishes three classes, implemented here:
//  - out of memory: "(libev) cannot allocate N bytes, aborting." then abort()
//    (libev 4.33 has no recovery path either);
//  - system call failures: ev_syserr() calls the user's ev_set_syserr_cb
//    callback, or prints the message with perror() and aborts;
//  - usage errors (what libev catches with assert()): usage_error() names the
//    API call and the offending value, keeps libev's own wording in quotes so
//    existing tooling that greps for it still matches, then aborts.
#pragma once

#include "core/api.h"

namespace ev_detail {

// realloc through the user's allocator; size 0 frees and returns nullptr.
void *ev_realloc(void *ptr, std::size_t size);

inline void ev_free(void *ptr) { ev_realloc(ptr, 0); }

// A system call failed in a way the loop cannot recover from.
void ev_syserr(const char *msg);

// Misuse of the API: print and abort.  `what` is libev's assertion text.
[[noreturn]] void usage_error(const char *api, const char *arg, long long value, const char *what);
[[noreturn]] void usage_error(const char *api, const char *arg, double value, const char *what);
[[noreturn]] void usage_error(const char *api, const char *what);

// An internal invariant does not hold (ev_verify): print and abort.
[[noreturn]] void internal_error(const char *what, long long detail);

}  // namespace ev_detail
