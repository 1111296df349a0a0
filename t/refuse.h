/* SPDX-License-Identifier: BSD-2-Clause */
/* t/refuse.h - fault injection by the kernel: make this process's later calls of some system
 * calls fail with an errno, through a seccomp filter (what a sandbox that refuses a call
 * does).  The filter stays for the rest of the process and is inherited by its children, so
 * tests install it in a forked child.  Shared by the test harness and the stress suite. */
#ifndef LIBEV_NG_T_REFUSE_H
#define LIBEV_NG_T_REFUSE_H

#ifdef __cplusplus
extern "C" {
#endif

/* Make the system calls nrs[0 .. n) (SYS_* numbers) fail with err from now on.  Returns 0, or
 * -1 with errno set when the kernel does not allow it (then the test should skip). */
int refuse_syscalls (const long *nrs, int n, int err);

/* The waiting calls of a backend ("epoll": epoll_wait and its variants, "poll", "select",
 * "io_uring": io_uring_enter), refused with err. */
int refuse_backend_wait (unsigned int backend, int err);

#ifdef __cplusplus
}
#endif

#endif
