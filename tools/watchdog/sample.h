// SPDX-License-Identifier: BSD-2-Clause
// tools/watchdog/sample.h - the watcher of loops: it reads the loops of
// another process as a debugger would, and reports every callback that ran
// longer than a threshold, and every wait that overshot the loop's earliest
// timer by more (ev-watchdog(1), ev(3) "Watchdog").
//
// The loop does not time its callbacks (a clock reading costs more than a
// cheap callback), nor tell anyone which one runs.  Instead it keeps a few
// stamps whose contract is written where they are defined: mn_now, written
// after every poll (loop/loop.h); pass_levels, the levels of the invocation
// pass (loop/loop.h); and the pending queues, where a taken entry stays in
// memory above its level's remaining ones (base/pending.h,
// base/slot_queue.h).  The watchdog reads them with process_vm_readv, which
// never faults and is no access of the program's own, and asks the kernel
// whether the loop's thread waits in its backend
// (/proc/PID/task/TID/syscall).  It samples each loop every quarter
// threshold, and every fiftieth (1 ms at least) while a callback has run for
// half the threshold, so a duration is known to that resolution; names are
// read from the ELF files only when a report is due (elf_symbols.h).
//
// It is built from the library's own headers, so it knows struct ev_loop's
// layout; the probe anchor (diag/probe_anchor.h) tells it where the loops
// are and lets it check that the library it reads is laid out alike.
#pragma once

#include "diag/watchdog_wire.h"

#include <sys/types.h>

#include <cstdint>

namespace ev_watchdog {

// Where a loop's reports go.
enum class report_to { stderr_line, syslog_line, reply };

// Sets the process to watch and reads its probe anchor at `anchor`.  False,
// with the reason in why, if it cannot be read or is laid out otherwise than
// this build.  version 0 (no loop made yet) is fine.
bool attach(pid_t pid, std::uintptr_t anchor, char *why, std::size_t why_size);

// Every loop of the process, found in the anchor's list, with this
// threshold (seconds), as lines to stderr or the system log.
void watch_all(double threshold, report_to to);

// One loop, until unwatch (the library asked, for ev_watchdog_start, or for
// LIBEV_NG_WATCHDOG's loops); tid: the thread that asked, likely the loop's.
void watch(struct ev_loop *loop, double threshold, pid_t tid, report_to to);
void unwatch(struct ev_loop *loop);

// Where kWatchdogReport replies go (the library's socket).
void set_reply_fd(int fd);

// Looks at every watched loop now and makes its reports.  False when the
// process is gone.
bool look();

// Seconds until the next look is due.
double next_pause();

}  // namespace ev_watchdog
