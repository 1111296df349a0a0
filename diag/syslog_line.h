// SPDX-License-Identifier: BSD-2-Clause
// diag/syslog_line.h - one line to the system log, for the watchdog's reports
// (LIBEV_NG_WATCHDOG=MS:syslog), sent to the log's socket without syslog(3).
#pragma once

#include <sys/types.h>

namespace ev_detail {

// Sends text as a warning of facility user, tagged with the program's name
// and pid, as syslog(3) with LOG_PID would.  False when no log listens: the
// caller says it elsewhere.
bool syslog_line(const char *text, pid_t pid);

}  // namespace ev_detail
