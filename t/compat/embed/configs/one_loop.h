/* SPDX-License-Identifier: BSD-2-Clause */
/* t/compat/embed/configs/one_loop.h - one loop without a loop argument, priorities -1 .. 1,
 * periodic, stat, fork and cleanup watchers left out. */
#include "../common.h"
#define EV_STANDALONE 1
#define EV_MULTIPLICITY 0
#define EV_MINPRI (-1)
#define EV_MAXPRI 1
#define EV_PERIODIC_ENABLE 0
#define EV_STAT_ENABLE 0
#define EV_FORK_ENABLE 0
#define EV_CLEANUP_ENABLE 0
