/* SPDX-License-Identifier: BSD-2-Clause */
/* t/compat/embed/configs/one_loop_defaults.h - one loop without a loop argument and
 * otherwise libev's defaults: every watcher type (stat ones too), priorities -2 .. 2. */
#include "../common.h"
#define EV_STANDALONE 1
#define EV_MULTIPLICITY 0
