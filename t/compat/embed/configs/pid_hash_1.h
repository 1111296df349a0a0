/* SPDX-License-Identifier: BSD-2-Clause */
/* t/compat/embed/configs/pid_hash_1.h - loops with a loop argument (the default loop), and
 * one bucket for the child watchers, EV_PID_HASHSIZE 1: watchers of a pid and of any pid
 * share it. */
#include "../common.h"
#define EV_STANDALONE 1
#define EV_PID_HASHSIZE 1
