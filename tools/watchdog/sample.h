// SPDX-License-Identifier: BSD-2-Clause
// tools/watchdog/sample.h - the watcher of one process's loops: it reads
// them as a debugger would, and reports every callback that ran longer than
// a threshold, and every wait that overshot the loop's earliest timer by
// more (ev-watchdog(1), ev(3) "Watchdog").
//
// The loop does not time its callbacks (a clock reading costs more than a
// cheap callback), nor tell anyone which one runs.  Instead it keeps a few
// stamps whose contract is written where they are defined: the probe
// anchor, which lists the loops and says how this build lays them out
// (diag/probe_anchor.h); mn_now, written after every poll (loop/loop.h);
// pass_levels, the levels of the invocation pass (loop/loop.h); and the
// pending queues, where a taken entry stays in memory above its level's
// remaining ones (base/pending.h, base/slot_queue.h).  The watchdog reads
// them with process_vm_readv, which never faults and is no access of the
// program's own, and asks the kernel whether the loop's thread waits in its
// backend (/proc/PID/task/TID/syscall).  It samples each loop every quarter
// threshold, and every fiftieth (1 ms at least) while a callback has run
// for half the threshold, so a duration is known to that resolution; names
// are read from the ELF files only when a report is due (elf_symbols.h).
//
// It is built from the library's own headers, so it knows struct ev_loop's
// layout; the anchor lets it check that the library it reads is laid out
// alike.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>

namespace ev_watchdog {

// What every watched loop is held to, and where its reports go.
struct watch_rules {
  double threshold;  // seconds
  bool syslog;       // the system log, as the program (stderr when no log listens); else stderr
};
void set_rules(const watch_rules &rules);

struct process;

// Why a process cannot be watched, or watched_ok.
enum class attach_result {
  watched_ok,
  gone,          // it ended (or never was): no error for a child that ended first
  denied,        // its memory may not be read (errno in `error`)
  other_layout,  // its libev.so.4 is another build of libev-ng, or no libev-ng
};

// Reads the probe anchor of process pid at `anchor` and checks that its
// library lays its loops out as this build does (version 0, no loop made
// yet, is fine).  On success *out is the process, watching every loop the
// anchor lists from now on; else the reason, with a message in why.  born:
// for a child of a fork, when it was found (its loops' busy time counts
// from then), else 0.
attach_result process_attach(pid_t pid, std::uintptr_t anchor, double born, process **out, int *error, char *why,
                             std::size_t why_size);

// Looks at every loop of the process now and makes its reports.  False when
// it cannot be read any more: it ended, or replaced its program (exec).
bool process_look(process *p);

// The process ended at `gone`: its last look.  A callback seen running for
// longer than the threshold until then is reported, as having run until
// then; nothing of the process is read.  Then it is freed.
void process_end(process *p, double gone);

// The anchor's address, for the children of its forks (the same there).
std::uintptr_t process_anchor(const process *p);

// Seconds until the process's next look is due (null: a process without a
// loop busy).
double process_next_pause(const process *p);

double monotonic_now();

}  // namespace ev_watchdog
