// SPDX-License-Identifier: BSD-2-Clause
// diag/watchdog.h - the watchdog (ev(3) LIBEV-NG EXTENSIONS, "Watchdog";
// LIBEV_NG_WATCHDOG=MS in the environment, or ev_watchdog_start): a thread of
// the library reports every callback that runs longer than a threshold, and
// every wait that overshoots the loop's earliest timer by more.
//
// It costs the loop nothing: the loop does not time its callbacks (a clock
// reading costs more than a cheap callback), nor tell anyone which one runs.
// The watchdog's thread looks at the loop the way a debugger would: it reads
// the loop's memory with process_vm_readv, which never faults and is no
// access of the program's own (so no data race), and asks the kernel whether
// the loop's thread waits in its backend (/proc/self/task/TID/syscall).
// From what it sees it knows when the loop last came back from its poll
// (mn_now, which the loop writes after every poll), that it has been busy
// since, and which watcher's callback runs: the slot the invocation took last
// (its level from pass_levels, the one byte the loop writes per invocation
// pass for it; the pending queues are base/slot_queue.h and base/pending.h).
// It samples each watched loop every quarter threshold, and every fiftieth
// (1 ms at least) while a callback has run for half the threshold, so a
// duration is known to that resolution; names are read from the ELF files
// only when a report is due (diag/elf_symbols.h).  Without a report callback
// (LIBEV_NG_WATCHDOG) the watchdog is a helper process, so that the program
// keeps its single thread (glibc's system calls cost a multi-threaded
// program more); with one it is a thread of the program, which the
// callback runs on.  Reports: a line on stderr or syslog, or the callback.
//
// Linux only (process_vm_readv and /proc); elsewhere ev_watchdog_start fails
// with ENOSYS and LIBEV_NG_WATCHDOG is ignored.
#pragma once

#include "loop/loop.h"

#include <atomic>

namespace ev_detail {

// LIBEV_NG_WATCHDOG in the environment: watch a loop being created.
void watchdog_from_env(ev_loop *loop);

// The loop is being destroyed: watch it no longer.
void watchdog_loop_destroy(ev_loop *loop);

// Loops watched: the loop's rare path (time_update_slow) looks further only
// when there is any.
extern std::atomic<int> watchdog_loops;

// The loop's rare path, on the loop's thread: note that thread (a loop may
// be run by another thread than the one that made it), and start the
// watchdog's thread again in a forked child.
void watchdog_note(ev_loop *loop);

}  // namespace ev_detail
