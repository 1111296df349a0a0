// SPDX-License-Identifier: BSD-2-Clause
// fd/io_list.h - the list of io watchers of each fd, whose head is in base/fdtable.h: newest first,
// linked through the watchers' own `next` field as in libev's layout, with an index for long lists
// so that starting and stopping stay O(1) however many watchers share one fd.
//
// A singly linked list finds a watcher's predecessor by walking from the head, quadratic for a
// program that starts many watchers on one fd and stops them in start order.  When a walk would
// pass kIoListWalk watchers, the loop indexes that fd's list: loop->io_index maps each watcher to
// the one before it and the fd, and a marker key per indexed fd counts the loop's own watchers in
// the list.  A list is indexed exactly when its head is in the index under its fd; it leaves the
// index when it empties or fd_list_repair rewrites it.  Without memory for the index, it is walked.
//
// Every change of a list goes through the three functions below; reading a list (fd_event, the
// backends, ev_walk) is a plain walk from the head.
#pragma once

#include "loop/loop.h"

namespace ev_detail {

// Is w one of the loop's own watchers?  They are members of the loop object, or have child_pidfd_cb
// as their callback, which no program can name (watchers/child_pidfd.cc).  A tag in `data` would
// not do: ev_init leaves a program's `data` uninitialised.
void child_pidfd_cb(EV_P_ ev_io *w, int revents);
inline bool is_loop_member(const ev_loop *loop, const void *w)
{
  auto p = reinterpret_cast<std::uintptr_t>(w);
  auto base = reinterpret_cast<std::uintptr_t>(loop);
#if EV_CHILD_ENABLE
  return (p >= base && p < base + sizeof(ev_loop)) ||
         reinterpret_cast<std::uintptr_t>(ev_cb(static_cast<const ev_watcher *>(w))) ==
             reinterpret_cast<std::uintptr_t>(&child_pidfd_cb);
#else
  return p >= base && p < base + sizeof(ev_loop);
#endif
}

// The longest walk before a list is indexed.
inline constexpr int kIoListWalk = 16;

// The index of long lists is one of ev(3)'s larger data structures, so a core built without
// EV_FEATURES bit 2 walks the lists, as libev does.  Whether any list is indexed now:
inline constexpr bool kIoIndex = EV_FEATURE_DATA;
inline bool io_lists_indexed(const ev_loop *loop) { return kIoIndex && loop->io_index.count; }

// The slow halves (fd/io_list.cc).
WL *io_list_link_long(ev_loop *loop, int fd, WL w);
bool io_list_link_indexed(ev_loop *loop, int fd, WL w, WL *&link);
void io_list_pushed(ev_loop *loop, int fd, WL w, WL old_head);
void io_list_unlinked(ev_loop *loop, int fd, WL w);

inline void io_list_push(ev_loop *loop, int fd, WL w)
{
  WL &head = loop->fds.entries[fd].head;
  WL old = head;
  w->next = old;
  head = w;
  if (old && io_lists_indexed(loop))
    io_list_pushed(loop, fd, w, old);
}

// The link that points at w in fd's list, or nullptr when w is not in it.  An indexed list is
// looked up before any walk, so many watchers of one fd cost no walk each.  Only the slow paths of
// start and stop come here; while no list is indexed, the count's test is all this adds.
inline WL *io_list_link(ev_loop *loop, int fd, WL w)
{
  WL *link;
  if (io_lists_indexed(loop) && io_list_link_indexed(loop, fd, w, link))
    return link;
  WL *p = &loop->fds.entries[fd].head;
  for (int left = kIoListWalk; *p; p = &(*p)->next) {
    if (*p == w)
      return p;
    if (!--left)
      return io_list_link_long(loop, fd, w);
  }
  return nullptr;
}

// Remove the watcher that *link (from io_list_link) points at.
inline void io_list_unlink(ev_loop *loop, int fd, WL *link)
{
  WL w = *link;
  *link = w->next;
  if (io_lists_indexed(loop))
    io_list_unlinked(loop, fd, w);
}

// fd_list_repair is about to rewrite fd's list without the functions above: it leaves the index.
void io_list_unindex(ev_loop *loop, int fd);

// May fd's list hold one of the loop's own watchers?  Exact for short and indexed lists, else true.
bool io_list_may_hold_own(ev_loop *loop, int fd);

// Where the index links w, whatever its fd field says after an ev_io_set on the active watcher: its
// link, with the fd in `fd`, or nullptr if w is not in an indexed list.
WL *io_list_indexed_link(ev_loop *loop, WL w, int &fd);

// ev_verify: every indexed list and the index agree.  Returns the first disagreement, or nullptr.
const char *io_index_verify(const ev_loop *loop, int &fd);

}  // namespace ev_detail
