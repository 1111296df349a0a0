// SPDX-License-Identifier: BSD-2-Clause
// base/fdtable.h - per-fd state and the change queue, after ev(3)'s ev_io section.
//
// The table is indexed by fd.  Each entry holds the fd's io watchers, the union of the events they
// want as last told to the backend, and a few bytes that belong to the backend.  A start or stop
// only puts the fd on the change queue, which fd_reify() applies once per iteration just before the
// loop blocks.  So a start and a stop within one iteration cost no system call, and only fds whose
// wanted events changed, or that ev_io_set marked with EV__IOFDSET, reach the backend.
#pragma once

#include "base/array.h"

#include <algorithm>

struct ev_loop;

namespace ev_detail {

// fd_entry::reify bits besides EV__IOFDSET.  What the loop does with the
// queue, events and bad fds belongs to the io watcher layer, fd/fd.h.
inline constexpr unsigned char kReifyQueued = 0x01;
// The fd's last watcher was stopped since the changes were last applied, so the number may be
// another file now: if watchers are back, the backend must treat it as new, as after ev_io_set.
inline constexpr unsigned char kReifyEmptied = 0x02;
// A watcher that ev_io_set moved while active was linked to the fd while
// the changes were being applied: they are applied to it in the same pass.
inline constexpr unsigned char kReifyMoved = 0x04;

// What an fd's watchers can ask of the backend: readiness; the EV_NG_EXCLUSIVE extension, which
// means nothing without EV_READ or EV_WRITE; and kFdEdge, which only the loop's own watchers may
// ask for: it makes an edge-triggered backend report the fd once per change of its readiness, so
// that the wake-up eventfd need not be drained (fd/wakeup.cc).  Other backends ignore it.
inline constexpr unsigned char kFdEdge = 0x20;
static_assert(!(kFdEdge & (EV_READ | EV_WRITE | EV_NG_EXCLUSIVE | EV__IOFDSET)));
inline constexpr unsigned char kFdEvents = EV_READ | EV_WRITE | EV_NG_EXCLUSIVE | kFdEdge;

struct fd_entry {
  WL head;               // io watchers on this fd, newest first
  unsigned char events;  // kFdEvents as last passed to the backend
  unsigned char reify;   // non-zero while on the change queue, with EV__IOFDSET
  unsigned char bmask;   // backend-owned, such as the mask the kernel really has
  unsigned char bflags;  // backend-owned flags
  unsigned int bdata;    // backend-owned, such as a generation counter or an index
};
static_assert(sizeof(fd_entry) == sizeof(WL) + 8);  // no padding

struct fd_table {
  fd_entry *entries;
  int size;            // entries initialised, for fd < size
  int capacity;        // entries allocated
  array<int> changes;  // fds with reify != 0
  // The gate of the io watchers' fast paths, see change_queue_full: the
  // queue's capacity when last synchronised, or kGateClosed.
  int change_gate;
  static constexpr int kGateClosed = -1;

  // Make fd a valid index; new entries are zeroed.  Only entries up to fd, rounded up to a page's
  // worth, are initialised, so that memory the program never uses is never touched.
  void reserve(int fd)
  {
    if (EV_UNLIKELY(fd >= size))
      grow(fd);
  }

  void grow(int fd)
  {
    // In 64 bits, so that a page-rounded fd near INT_MAX, or doubling a large capacity, cannot
    // overflow into a negative or zero size.  The caller only grows the table for open fds, which
    // are below the kernel's nr_open ceiling.
    constexpr long long kPage = static_cast<long long>(4096 / sizeof(fd_entry));
    constexpr long long kLargeCapacity = static_cast<long long>((132 * 1024) / sizeof(fd_entry));
    constexpr long long kMaxEntries = 0x7fffffffLL;
    long long n = std::min((static_cast<long long>(fd) / kPage + 1) * kPage, kMaxEntries);
    if (n > capacity) {
      // One page first, since most loops watch a handful of fds, then straight to kLargeCapacity,
      // then doubling.  malloc maps so large a block on its own, so growing it is a remap that
      // copies nothing, and its untouched tail costs no memory; many small heap blocks would each
      // be left behind as resident heap.
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

  // change() may have to grow the queue, so callers that keep their common case free of calls check
  // this first and call reserve_change().  The test is against the gate rather than the capacity so
  // that debug mode's close_change_gate can send every call to the slow path; a queue that change()
  // grew leaves the gate below the capacity, costing at most one needless slow path.
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

  // change() when change_queue_full() or reserve_change() made sure the
  // queue has room.  The compiler cannot know that from the gate, and the io
  // fast paths would otherwise keep the growing call and a frame for it.
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
