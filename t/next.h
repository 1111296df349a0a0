/* SPDX-License-Identifier: BSD-2-Clause */
/* t/next.h - NEXT (fn): the definition of fn that a test's own fn () takes the place of
 * (libc's), for the wrappers that count or change the library's calls:
 *
 *   int poll (struct pollfd *fds, nfds_t n, int timeout) { ++polls; return NEXT (poll) (fds, n, timeout); }
 *
 * Found once with dlsym (RTLD_NEXT), where a raw system call would not be portable: arm64 and
 * riscv64 have no poll, epoll_wait or select system call, i386's select and s390x's mmap
 * take their arguments in a struct. */
#ifndef LIBEV_NG_T_NEXT_H
#define LIBEV_NG_T_NEXT_H

#include <dlfcn.h>
#include <stdlib.h>

/* NEXT_NAMED (fn, "symbol"): the same, for a function whose C library symbol has another
 * name (t/time64.h: __select64 for select with 64-bit time_t on a 32-bit architecture). */
#define NEXT(fn) NEXT_NAMED (fn, #fn)
#define NEXT_NAMED(fn, symbol)                                                                  \
  (__extension__ ({                                                                             \
    static __typeof__ (fn) *next_;                                                              \
    __typeof__ (fn) *n_ = __atomic_load_n (&next_, __ATOMIC_ACQUIRE);                           \
    if (!n_)                                                                                    \
      {                                                                                         \
        n_ = (__typeof__ (fn) *)dlsym (RTLD_NEXT, symbol);                                      \
        if (!n_)                                                                                \
          abort ();                                                                             \
        __atomic_store_n (&next_, n_, __ATOMIC_RELEASE);                                        \
      }                                                                                         \
    n_;                                                                                         \
  }))

#endif
