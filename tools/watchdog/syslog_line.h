// SPDX-License-Identifier: BSD-2-Clause
// tools/watchdog/syslog_line.h - one line to the system log, for the watchdog's reports
// (ev-watchdog -s), sent to the log's socket without syslog(3).
#pragma once

#include <sys/types.h>

namespace ev_watchdog {

// Sends text as a warning of facility user, tagged with the watched
// program's name and pid, as syslog(3) with LOG_PID would in that program.  False when no log listens: the
// caller says it elsewhere.
bool syslog_line(const char *text, const char *name, pid_t pid);

}  // namespace ev_watchdog
