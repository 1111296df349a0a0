/* SPDX-License-Identifier: BSD-2-Clause */
/* t/refuse.c - see refuse.h. */
#define _GNU_SOURCE 1
#include "refuse.h"

#include "ev.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The seccomp architecture of this build's system calls (0: not known here) */
#if defined(__x86_64__) && !defined(__ILP32__)
#define REFUSE_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__i386__)
#define REFUSE_AUDIT_ARCH AUDIT_ARCH_I386
#elif defined(__aarch64__) && !defined(__AARCH64EB__)
#define REFUSE_AUDIT_ARCH AUDIT_ARCH_AARCH64
#elif defined(__arm__) && !defined(__ARMEB__)
#define REFUSE_AUDIT_ARCH AUDIT_ARCH_ARM
#elif defined(__s390x__)
#define REFUSE_AUDIT_ARCH AUDIT_ARCH_S390X
#elif defined(__powerpc64__) && defined(__LITTLE_ENDIAN__)
#define REFUSE_AUDIT_ARCH AUDIT_ARCH_PPC64LE
#elif defined(__riscv) && __riscv_xlen == 64
#define REFUSE_AUDIT_ARCH AUDIT_ARCH_RISCV64
#elif defined(__mips__) && defined(_ABI64) && _MIPS_SIM == _ABI64 && defined(__MIPSEL__)
#define REFUSE_AUDIT_ARCH AUDIT_ARCH_MIPSEL64
#else
#define REFUSE_AUDIT_ARCH 0
#endif

int
refuse_syscalls (const long *nrs, int n, int err)
{
  struct sock_filter prog[64];
  int len = 0;
  if (n < 0 || n > 28)
    {
      errno = EINVAL;
      return -1;
    }
  if (!REFUSE_AUDIT_ARCH)
    {
      errno = ENOSYS;
      return -1;
    }
  /* only the calls of this architecture are matched (not those of a 32-bit ABI the same kernel
   * runs); anything else is allowed */
  prog[len++] = (struct sock_filter)BPF_STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, arch));
  prog[len++] = (struct sock_filter)BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, REFUSE_AUDIT_ARCH, 1, 0);
  prog[len++] = (struct sock_filter)BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  prog[len++] = (struct sock_filter)BPF_STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, nr));
  for (int i = 0; i < n; ++i)
    {
      if (nrs[i] < 0)
        continue;
      prog[len++] = (struct sock_filter)BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, (unsigned)nrs[i], 0, 1);
      prog[len++] = (struct sock_filter)BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ((unsigned)err & SECCOMP_RET_DATA));
    }
  prog[len++] = (struct sock_filter)BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  struct sock_fprog fprog = { (unsigned short)len, prog };
  if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return -1;
  return prctl (PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog, 0, 0) < 0 ? -1 : 0;
}

int
refuse_backend_wait (unsigned int backend, int err)
{
  switch (backend)
    {
    /* every call libc may make for the backend's wait on this architecture (the old ones
     * where it has them, the 64-bit time ones of 32-bit architectures) */
    case EVBACKEND_EPOLL:
      {
        const long nrs[] = {
#ifdef SYS_epoll_wait
          SYS_epoll_wait,
#endif
          SYS_epoll_pwait,
#ifdef SYS_epoll_pwait2
          SYS_epoll_pwait2,
#endif
        };
        return refuse_syscalls (nrs, (int)(sizeof nrs / sizeof nrs[0]), err);
      }
    case EVBACKEND_POLL:
      {
        const long nrs[] = {
#ifdef SYS_poll
          SYS_poll,
#endif
#ifdef SYS_ppoll
          SYS_ppoll,
#endif
#ifdef SYS_ppoll_time64
          SYS_ppoll_time64,
#endif
        };
        return refuse_syscalls (nrs, (int)(sizeof nrs / sizeof nrs[0]), err);
      }
    case EVBACKEND_SELECT:
      {
        const long nrs[] = {
#ifdef SYS_select
          SYS_select,
#endif
#ifdef SYS__newselect
          SYS__newselect,
#endif
#ifdef SYS_pselect6
          SYS_pselect6,
#endif
#ifdef SYS_pselect6_time64
          SYS_pselect6_time64,
#endif
        };
        return refuse_syscalls (nrs, (int)(sizeof nrs / sizeof nrs[0]), err);
      }
    case EVBACKEND_IOURING:
      {
        const long nrs[] = { SYS_io_uring_enter };
        return refuse_syscalls (nrs, 1, err);
      }
    }
  errno = EINVAL;
  return -1;
}
