// SPDX-License-Identifier: BSD-2-Clause
// diag/watchdog.cc - ev_watchdog_start and ev_watchdog_stop, kept for the ABI (LIBEV_NG_1.0): the
// watchdog is ev-watchdog(1), a program that runs the program it watches or attaches to it, and
// reads its loops from outside (tools/watchdog/).  The library starts no process and no thread for
// it, and has no fork or exit handler of its; what the program reads, and the rule each stamp
// keeps, is written where the data is defined (diag/probe_anchor.h).  So a loop cannot ask to be
// watched from inside, nor get the reports: the call fails as where the system has no way.
#include "loop/loop.h"

#include <cerrno>

extern "C" {

int ev_watchdog_start(EV_P_ ev_tstamp, void (*)(const struct ev_watchdog_report *, void *), void *) noexcept
{
#if EV_MULTIPLICITY
  (void)loop;
#endif
  errno = ENOSYS;
  return -1;
}

void ev_watchdog_stop(EV_P) noexcept
{
#if EV_MULTIPLICITY
  (void)loop;
#endif
}

}  // extern "C"
