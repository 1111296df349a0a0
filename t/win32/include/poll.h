/* SPDX-License-Identifier: BSD-2-Clause */
/* t/win32/include/poll.h - stands for the POSIX header on Windows: t/win32/posix.h. */
#include "../posix.h"
