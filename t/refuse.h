/* SPDX-License-Identifier: BSD-2-Clause */
/* t/refuse.h - fault injection by the kernel: make this process's later calls of some system
 * calls fail with an errno, through a seccomp filter (what a sandbox that refuses a call
 * does).  The filter stays for the rest of the process and is inherited by its children, so
 * tests install it in a forked child.  Shared by the test harness and the stress suite. */
#ifndef LIBEV_NG_T_REFUSE_H
#define LIBEV_NG_T_REFUSE_H

#include <sys/syscall.h>

/* System calls that only the older architectures have (x86-64, i386, armhf, s390x, ...;
 * arm64 and riscv64 have only their successors, which libc uses there): -1, which no system
 * call has, where they are missing, so that a list of the calls to refuse can name both.
 * Windows has none of them (t/win32/refuse.c refuses nothing). */
#ifndef SYS_epoll_create
#define SYS_epoll_create (-1L)
#endif
#ifndef SYS_eventfd
#define SYS_eventfd (-1L)
#endif
#ifndef SYS_pipe
#define SYS_pipe (-1L)
#endif
#ifndef SYS_signalfd
#define SYS_signalfd (-1L)
#endif
#ifndef SYS_inotify_init
#define SYS_inotify_init (-1L)
#endif
#ifdef _WIN32
#define SYS_eventfd2 (-1L)
#define SYS_pipe2 (-1L)
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Make the system calls nrs[0 .. n) (SYS_* numbers; -1 is ignored) fail with err from now on.
 * Returns 0, or -1 with errno set when the kernel does not allow it (then the test should
 * skip; ENOSYS where this architecture's seccomp number is not known here). */
int refuse_syscalls (const long *nrs, int n, int err);

/* The waiting calls of a backend ("epoll": epoll_wait and its variants, "poll", "select",
 * "io_uring": io_uring_enter), refused with err. */
int refuse_backend_wait (unsigned int backend, int err);

#ifdef __cplusplus
}
#endif

#endif
