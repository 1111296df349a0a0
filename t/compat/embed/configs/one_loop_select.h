/* SPDX-License-Identifier: BSD-2-Clause */
/* t/compat/embed/configs/one_loop_select.h - one loop without a loop argument, select the only
 * backend, and otherwise libev's defaults (every watcher type, priorities -2 .. 2): epoll is
 * not compiled in, yet the system has it. */
#include "../common.h"
#define EV_STANDALONE 1
#define EV_MULTIPLICITY 0
#define EV_USE_SELECT 1
#define EV_USE_POLL 0
#define EV_USE_EPOLL 0
#define EV_USE_IOURING 0
