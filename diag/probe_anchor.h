// SPDX-License-Identifier: BSD-2-Clause
// diag/probe_anchor.h - where a tool outside the program (tools/ev-gdb.py, tools/watchdog/) finds
// every loop of a process and the layout of struct ev_loop, without the library's symbols.
#pragma once

#include "loop/loop.h"

// The probe anchor, in the section where sys/sdt.h's convention keeps semaphores, which tracers may
// write.  Tools read its layout, so it only grows, and `version` says what it has.
//
// The contract with a reader outside the process (ev-watchdog, tools/watchdog/; ev-gdb):
//  - How: with process_vm_readv(2) or /proc/PID/mem, which take ptrace(2)'s permission; nothing
//    in the program takes part, no lock is taken, nothing is written, and the library runs no code
//    for a reader (no process, no thread, no fork or exit handler).
//  - Where: the anchor stays at its address while the library is mapped, and a child of fork(2)
//    has it at the same address; `loops` lists every loop of the process, newest first, linked by
//    the member at offset `next`, under loops_lock (loop/loop_forks.cc), which a reader cannot
//    take: the list may change while it is read, and a loop it names may be gone by the next read.
//  - What a loop keeps for it, each rule written where the member is defined: mn_now, written after
//    every poll and before any callback (loop/loop.h); pass_levels, the levels of the invocation
//    pass, written before its first callback (loop/loop.h); the pending queues, where the entry the
//    invocation took last stays in memory above the entries left, and whose watcher's `pending` is 0
//    before its callback runs (base/slot_queue.h, base/pending.h); and loop_count, loop_depth,
//    backend_fd and the timer heap's root, as ev_run leaves them.
//  - Consistency: none between members, nor within one wider than a word; a reader takes a value
//    only where the rules above hold for it, and looks again otherwise.  A read that fails means
//    the process ended or replaced its program (exec), not an error.
struct ev_ng_probe_anchor {
  unsigned short semaphore;  // tracers attached to any probe; the library never writes it
  unsigned short version;    // 2 (1: without the fields of version 2 below)
  unsigned short loop_size;  // sizeof (struct ev_loop)
  unsigned short next;       // offset of the link to the next loop in struct ev_loop
  ev_loop *loops;            // every loop of the process, newest first
  unsigned short loop_count, loop_depth, activecnt, flags;  // offsets of ev_iteration, ev_depth, ...
  // Where a loop keeps its watchers, as offsets in struct ev_loop and sizes, for a debugger that
  // cannot call ev_walk in the program, such as one reading a core file.
  unsigned short fd_entries, fd_count, fd_entry_size;  // io watchers: a list per fd, its head first in the entry
  unsigned short timers, periodics, heap_count, heap_node_size, heap_root;      // the heaps' nodes {at, w}
  unsigned short prepares, checks, forks, cleanups, asyncs, idles, array_size;  // arrays {data, count}
  // Version 2: what ev-watchdog reads (tools/watchdog/sample.cc), to check that its build lays
  // the loop out as this one does; the contract is in loop/loop.h and base/pending.h.
  unsigned short mn_now, pass_levels, pending, backend_fd;
  void *own_cb;  // the callback of the library's own watchers outside the loop object, which run no user code
};
extern "C" ev_ng_probe_anchor libev_ng_probe_anchor;  // loop/loop_forks.cc
