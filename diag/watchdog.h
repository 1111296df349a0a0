// SPDX-License-Identifier: BSD-2-Clause
// diag/watchdog.h - the library's side of the watchdog (ev(3) LIBEV-NG
// EXTENSIONS, "Watchdog"; LIBEV_NG_WATCHDOG=MS[:syslog], ev_watchdog_start).
//
// The watchdog is a program beside the library, ev-watchdog(1) (tools/watchdog/), which reads the
// loops as a debugger would: the loop costs nothing, keeps no clock reading per callback and no
// helper of its own.  The library only starts that program (start_helper), tells it on a socket
// which loops to watch, and, for ev_watchdog_start with a report callback, runs one thread that
// receives its reports and calls the callback (diag/watchdog_wire.h).  What the program reads, and
// the rule each stamp keeps, is written where the stamp is defined (loop/loop.h, base/pending.h,
// diag/probe_anchor.h).
//
// The program's path is fixed at configure time ($(libdir)/libev-ng/ev-watchdog);
// LIBEV_NG_WATCHDOG_PATH replaces it.  Where it cannot start, one line on stderr names it.
//
// Linux only (process_vm_readv and /proc); elsewhere ev_watchdog_start fails
// with ENOSYS and LIBEV_NG_WATCHDOG is ignored.
#pragma once

#include "loop/loop.h"

namespace ev_detail {

// LIBEV_NG_WATCHDOG in the environment: watch a loop being created.
void watchdog_from_env(ev_loop *loop);

void watchdog_loop_destroy(ev_loop *loop);

}  // namespace ev_detail
