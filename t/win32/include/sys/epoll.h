/* SPDX-License-Identifier: BSD-2-Clause */
/* t/win32/include/sys/epoll.h - stands for Linux's header on Windows, which has no epoll: the
 * operations' numbers alone, for the epoll cases (which skip where the backend is not epoll). */
#include "../../posix.h"
#define EPOLL_CTL_ADD 1
#define EPOLL_CTL_DEL 2
#define EPOLL_CTL_MOD 3
