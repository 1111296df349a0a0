// SPDX-License-Identifier: BSD-2-Clause
// base/fdtable.h - per-fd state and the change queue (ev(3) ev_io, "The
// special problem of disappearing/dup'ed file descriptors").
//
// The table is indexed by fd.  Each entry holds the list of io watchers on
// the fd (newest first), the union of the events they want as last told to
// the backend, and a few bytes that belong to the backend.  Starting or
// stopping a watcher does not talk to the kernel: it puts the fd on the
// change queue, which fd_reify() applies once per iteration, just before the
// loop blocks.  A start and a stop within one iteration therefore cost no
// system call, and only fds whose wanted events really changed (or that were
// marked by ev_io_set with EV__IOFDSET: "the number may now be another open
// file") reach the backend.
#pragma once

#include "base/array.h"

#include <algorithm>

struct ev_loop;

namespace ev_detail {

// fd_entry::reify bits (besides EV__IOFDSET, 0x80).  What the loop does with
// the queue (fd_reify), with events (fd_event) and with bad fds (fd_kill)
// belongs to the io watcher layer: fd/fd.h.
inline constexpr unsigned char kReifyQueued = 0x01;
// The fd's last watcher was stopped since the changes were last applied:
// the program may have closed the fd and opened another file under the same
// number since, so if watchers are back by then, the backend must treat the
// number as new (as if ev_io_set had been called, EV__IOFDSET).
inline constexpr unsigned char kReifyEmptied = 0x02;
// A watcher that ev_io_set moved while active was linked to the fd while
// the changes were being applied: they are applied to it in the same pass.
inline constexpr unsigned char kReifyMoved = 0x04;

// What an fd's watchers can ask of the backend: readiness, and
// EV_NG_EXCLUSIVE (an extension: exclusive wake-ups where offered), which
// means nothing without EV_READ or EV_WRITE, and kFdEdge.
//
// kFdEdge: only the loop's own watchers ask for it (fd/loop_fd.h; a
// program's ev_io_start refuses the bit): a backend whose `edge_triggered`
// says so (edge-triggered) then reports the fd once per change of its
// readiness instead of while it stays ready, so that its owner need not
// drain it: the wake-up eventfd, whose read would be one more system call
// per wake-up (fd/wakeup.cc).  Other backends ignore it.
inline constexpr unsigned char kFdEdge = 0x20;
static_assert(!(kFdEdge & (EV_READ | EV_WRITE | EV_NG_EXCLUSIVE | EV__IOFDSET)));
inline constexpr unsigned char kFdEvents = EV_READ | EV_WRITE | EV_NG_EXCLUSIVE | kFdEdge;

struct fd_entry {
  WL head;               // io watchers on this fd, newest first
  unsigned char events;  // kFdEvents as last passed to the backend
  unsigned char reify;   // non-zero while on the change queue (| EV__IOFDSET)
  unsigned char bmask;   // backend-owned: e.g. the mask the kernel really has
  unsigned char bflags;  // backend-owned flags
  unsigned int bdata;    // backend-owned: e.g. a generation counter or an index
};
static_assert(sizeof(fd_entry) == sizeof(WL) + 8);  // no padding: 16 bytes on 64-bit machines

struct fd_table {
  fd_entry *entries;
  int size;            // entries valid (initialised) for fd < size
  int capacity;        // entries allocated
  array<int> changes;  // fds with reify != 0
  // The gate of the io watchers' fast paths (see change_queue_full): the
  // queue's capacity when last synchronised, or kGateClosed.
  int change_gate;
  static constexpr int kGateClosed = -1;

  // Make fd a valid index; new entries are zeroed.  Only entries up to fd
  // (rounded up to a page's worth) are initialised, so memory the program
  // never uses is never touched: a loop with fds up to 10000 keeps 160 KB
  // of table resident, whatever the capacity.
  void reserve(int fd)
  {
    if (EV_UNLIKELY(fd >= size))
      grow(fd);
  }

  void grow(int fd)
  {
    // In 64 bits: a page-rounded fd near INT_MAX, or doubling a large
    // capacity, must not overflow into a negative or zero size (that hung or
    // crashed).  The caller only grows the table for fds that are open, and
    // an open fd is below the kernel's nr_open ceiling (< 2^31 - 64).
    constexpr long long kPage = static_cast<long long>(4096 / sizeof(fd_entry));
    constexpr long long kLargeCapacity = static_cast<long long>((132 * 1024) / sizeof(fd_entry));
    constexpr long long kMaxEntries = 0x7fffffffLL;
    long long n = std::min((static_cast<long long>(fd) / kPage + 1) * kPage, kMaxEntries);
    if (n > capacity) {
      // One page first (most loops watch a handful of fds), then straight
      // to kLargeCapacity, then doubling.  A large block is one that malloc
      // maps on its own (glibc: >= 128 KiB), so growing it is a remap that
      // copies nothing, and its untouched tail costs no memory.  Growing
      // through many small heap blocks instead would leave every outgrown
      // block behind as resident heap.
      long long cap = capacity ? std::max(2LL * capacity, kLargeCapacity) : kPage;
      while (cap < n)
        cap *= 2;
      cap = std::min(cap, kMaxEntries);
      entries = static_cast<fd_entry *>(ev_realloc(entries, sizeof(fd_entry) * static_cast<std::size_t>(cap)));
      capacity = static_cast<int>(cap);
    }
    std::memset(static_cast<void *>(entries + size), 0, sizeof(fd_entry) * static_cast<std::size_t>(n - size));
    size = static_cast<int>(n);
  }

  // change() may have to grow the queue (callers that keep their common
  // case free of calls check this first and reserve_change()).  The test
  // is against the gate, not the capacity, so that it doubles as "take the
  // slow path every time" (close_change_gate: debug mode) at no cost to
  // the fast path.  The gate is synchronised with the capacity here only:
  // a queue grown elsewhere (by change()) leaves it lower than the
  // capacity, which costs at most one needless slow path, and never higher.
  bool change_queue_full() const { return changes.count >= change_gate; }
  void reserve_change()
  {
    changes.reserve(changes.count + 1);
    if (change_gate != kGateClosed)
      change_gate = changes.capacity;
  }
  void close_change_gate() { change_gate = kGateClosed; }

  // Queue fd for fd_reify(); flags is kReifyQueued or EV__IOFDSET.
  void change(int fd, unsigned char flags)
  {
    fd_entry &e = entries[fd];
    unsigned char old = e.reify;
    e.reify = static_cast<unsigned char>(old | flags | kReifyQueued);
    if (!old)
      changes.push(fd);
  }

  // change() when the queue has room: change_queue_full() said so, or
  // reserve_change() made it.  (The compiler cannot know that from the
  // gate: without this, the io fast paths would keep the growing call, and
  // a stack frame for it.)
  void change_with_room(int fd, unsigned char flags)
  {
    fd_entry &e = entries[fd];
    unsigned char old = e.reify;
    e.reify = static_cast<unsigned char>(old | flags | kReifyQueued);
    if (!old)
      changes.data[changes.count++] = fd;
  }

  void release()
  {
    ev_free(entries);
    entries = nullptr;
    size = capacity = 0;
    changes.release();
    if (change_gate != kGateClosed)
      change_gate = 0;
  }
};

}  // namespace ev_detail
