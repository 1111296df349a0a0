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
  /* only x86-64 system calls are matched; anything else is allowed */
  prog[len++] = (struct sock_filter)BPF_STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, arch));
  prog[len++] = (struct sock_filter)BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
  prog[len++] = (struct sock_filter)BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  prog[len++] = (struct sock_filter)BPF_STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, nr));
  for (int i = 0; i < n; ++i)
    {
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
    case EVBACKEND_EPOLL:
      {
        const long nrs[] = { SYS_epoll_wait, SYS_epoll_pwait,
#ifdef SYS_epoll_pwait2
                             SYS_epoll_pwait2,
#endif
        };
        return refuse_syscalls (nrs, (int)(sizeof nrs / sizeof nrs[0]), err);
      }
    case EVBACKEND_POLL:
      {
        const long nrs[] = { SYS_poll, SYS_ppoll };
        return refuse_syscalls (nrs, 2, err);
      }
    case EVBACKEND_SELECT:
      {
        const long nrs[] = { SYS_select, SYS_pselect6 };
        return refuse_syscalls (nrs, 2, err);
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
