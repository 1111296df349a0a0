/* SPDX-License-Identifier: BSD-2-Clause */
/* t/compat/embed/configs/libev_config_h.h - libev's own configure output as EV_CONFIG_H
 * (run configures libev 4.33's source into libev_config.h), no EV_STANDALONE, every loop
 * from ev_loop_new: the child watchers, which only the default loop has, are left out of
 * the scenarios. */
#include "../common.h"
#define EV_CONFIG_H "libev_config.h"
#define SC_LOOP_NEW 1
