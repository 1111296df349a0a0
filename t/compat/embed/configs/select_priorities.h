/* SPDX-License-Identifier: BSD-2-Clause */
/* t/compat/embed/configs/select_priorities.h - one loop without a loop argument, priorities
 * -3 .. 3, select the only backend: the loop of every other backend cannot be made. */
#include "../common.h"
#define EV_STANDALONE 1
#define EV_MULTIPLICITY 0
#define EV_MINPRI (-3)
#define EV_MAXPRI 3
#define EV_USE_POLL 0
#define EV_USE_EPOLL 0
#define EV_USE_IOURING 0
