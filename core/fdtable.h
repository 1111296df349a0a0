// core/fdtable.h - per-fd state and the change queue (ev(3) ev_io, "The
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

#include "core/array.h"

#include <algorithm>

struct ev_loop;

namespace ev_detail {

// fd_entry::reify bits (besides EV__IOFDSET, 0x80)
inline constexpr unsigned char kReifyQueued = 0x01;

struct fd_entry {
  WL head;              // io watchers on this fd, newest first
  unsigned char events; // EV_READ|EV_WRITE as last passed to the backend
  unsigned char reify;  // non-zero while on the change queue (| EV__IOFDSET)
  unsigned char bmask;  // backend-owned: e.g. the mask the kernel really has
  unsigned char bflags; // backend-owned flags
  unsigned int bdata;   // backend-owned: e.g. a generation counter or an index
};
static_assert(sizeof(fd_entry) == 16);

struct fd_table {
  fd_entry *entries;
  int size;              // entries valid (initialised) for fd < size
  int capacity;          // entries allocated
  array<int> changes;    // fds with reify != 0

  // Make fd a valid index; new entries are zeroed.  Only entries up to fd
  // (rounded up to a page's worth) are initialised, so memory the program
  // never uses is never touched: a loop with fds up to 10000 keeps 160 KB
  // of table resident, whatever the capacity.
  void reserve(int fd)
  {
    if (EV_UNLIKELY(fd >= size))
      grow(fd);
  }

  [[gnu::noinline]] void grow(int fd)
  {
    constexpr int kPage = static_cast<int>(4096 / sizeof(fd_entry));
    constexpr int kLargeCapacity = static_cast<int>((132 * 1024) / sizeof(fd_entry));
    int n = (fd / kPage + 1) * kPage;
    if (n > capacity) {
      // One page first (most loops watch a handful of fds), then straight
      // to kLargeCapacity, then doubling.  A large block is one that malloc
      // maps on its own (glibc: >= 128 KiB), so growing it is a remap that
      // copies nothing, and its untouched tail costs no memory.  Growing
      // through many small heap blocks instead would leave every outgrown
      // block behind as resident heap: measured with 1e4 watched fds, x1.5
      // steps cost 85.6 B per io watcher, this 76.6 B (libev 4.33: 81.9 B).
      int cap = capacity ? std::max(capacity * 2, kLargeCapacity) : kPage;
      while (cap < n)
        cap *= 2;
      entries = static_cast<fd_entry *>(ev_realloc(entries, sizeof(fd_entry) * static_cast<std::size_t>(cap)));
      capacity = cap;
    }
    std::memset(static_cast<void *>(entries + size), 0, sizeof(fd_entry) * static_cast<std::size_t>(n - size));
    size = n;
  }

  // change() may have to grow the queue (callers that keep their common
  // case free of calls check this first and reserve_change())
  bool change_queue_full() const { return changes.count == changes.capacity; }
  void reserve_change() { changes.reserve(changes.count + 1); }

  // Queue fd for fd_reify(); flags is kReifyQueued or EV__IOFDSET.
  void change(int fd, unsigned char flags)
  {
    fd_entry &e = entries[fd];
    unsigned char old = e.reify;
    e.reify = static_cast<unsigned char>(old | flags | kReifyQueued);
    if (!old)
      changes.push(fd);
  }

  void release()
  {
    ev_free(entries);
    entries = nullptr;
    size = capacity = 0;
    changes.release();
  }
};

// Apply the queued changes to the backend (once per iteration, before polling).
void fd_reify(ev_loop *loop);
// Queue every fd that has watchers for re-registration (after a fork or when
// a backend rebuilds its kernel state).
void fd_rearm_all(ev_loop *loop);
// The backend reports events on fd: feed every watcher with its share
// (inline, in loop.h).
inline void fd_event(ev_loop *loop, int fd, int revents);
// The fd is invalid: stop all its watchers and feed them EV_ERROR|EV_READ|EV_WRITE.
void fd_kill(ev_loop *loop, int fd);
// Kill every watched fd that is no longer open (EBADF from the backend, or the
// periodic sweep of backends that cannot see closed fds).
void fd_kill_invalid(ev_loop *loop);

}  // namespace ev_detail
