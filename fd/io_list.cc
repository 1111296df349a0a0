// SPDX-License-Identifier: BSD-2-Clause
// fd/io_list.cc - the index of long per-fd io watcher lists (fd/io_list.h): building it when a walk
// gets long, keeping it right on every change, dropping it.
#include "fd/io_list.h"

using namespace ev_detail;

namespace {

// An fd's marker key: odd, so never the address of a watcher.
const void *marker_of(int fd) { return reinterpret_cast<const void *>((static_cast<std::uintptr_t>(fd) << 1) | 1); }

bool indexed(const ev_loop *loop, int fd)
{
  WL head = loop->fds.entries[fd].head;
  const io_index_entry *e = head ? loop->io_index.find(head) : nullptr;
  return e && e->fd == fd;
}

// Drop fd's list from the index, after a misuse or without memory: every entry that names fd goes,
// rather than a walk of the list, which a misuse may have corrupted.
void unindex(ev_loop *loop, int fd)
{
  loop->io_index.erase_if([fd](const void *, const io_index_entry &e) { return e.fd == fd; });
}

// Index fd's list; false, with nothing indexed, without memory for it.  A list that is a cycle,
// because a watcher was re-initialised while active and started again, is found by Brent's
// detection and reported as loop/loop.h says.
bool index_list(ev_loop *loop, int fd)
{
  int own = 0;
  WL prev = nullptr;
  WL tortoise = nullptr;
  unsigned steps = 0, power = 1;
  for (WL w = loop->fds.entries[fd].head; w; prev = w, w = w->next) {
    if (w == tortoise) {
      unindex(loop, fd);
      reinitialised_while_active("ev_io_start", w, "fd", fd);
    }
    if (++steps == power) {
      tortoise = w;
      power <<= 1;
      steps = 0;
    }
    if constexpr (!kIoIndex)  // only the check for a cycle, see fd/io_list.h
      continue;
    if (const io_index_entry *e = loop->io_index.find(w))
      unindex(loop, e->fd);  // a stale entry: see io_list_pushed
    if (!loop->io_index.insert(w, io_index_entry{prev, fd, 0})) {
      unindex(loop, fd);
      return false;
    }
    own += is_loop_member(loop, w);
  }
  if (!kIoIndex || !loop->io_index.insert(marker_of(fd), io_index_entry{nullptr, fd, own})) {
    unindex(loop, fd);
    return false;
  }
  return true;
}

WL *link_of(ev_loop *loop, const io_index_entry &e) { return e.prev ? &e.prev->next : &loop->fds.entries[e.fd].head; }

}  // namespace

namespace ev_detail {

// True when fd's list is indexed, with the link that points at w, or nullptr if w is not in it, in
// `link`.  False when the list is not indexed or the index turns out stale: the caller walks it.
bool io_list_link_indexed(ev_loop *loop, int fd, WL w, WL *&link)
{
  if (!indexed(loop, fd))
    return false;
  link = nullptr;
  const io_index_entry *e = loop->io_index.find(w);
  if (!e || e->fd != fd)
    return true;
  WL *l = link_of(loop, *e);
  if (*l != w) {
    unindex(loop, fd);  // a misuse rewrote the list behind the index's back
    return false;
  }
  link = l;
  return true;
}

WL *io_list_link_long(ev_loop *loop, int fd, WL w)
{
  WL *link;
  if ((indexed(loop, fd) || index_list(loop, fd)) && io_list_link_indexed(loop, fd, w, link))
    return link;
  // no memory for the index: the whole walk
  for (WL *p = &loop->fds.entries[fd].head; *p; p = &(*p)->next)
    if (*p == w)
      return p;
  return nullptr;
}

// The index is kept right by the three list operations, and every use checks that the link it finds
// points at the watcher, so a misuse that rewrites a list without them can only make a list leave
// the index, never make the index corrupt a list.  The one such misuse is a watcher re-initialised
// while active and started again, overwriting its `next` while listed.  On an empty list the io
// fast path does not see it; it is noticed when its stale entry is used.
void io_list_pushed(ev_loop *loop, int fd, WL w, WL old_head)
{
  // w is still in an indexed list, which cannot be trusted any more: it is
  // walked from now on, and fd_list_repair mends it.
  if (const io_index_entry *stale = loop->io_index.find(w))
    unindex(loop, stale->fd);
  io_index_entry *old = loop->io_index.find(old_head);
  if (!old)
    return;  // not an indexed list
  if (old->fd != fd || !loop->io_index.find(marker_of(fd))) {
    unindex(loop, old->fd);  // stale
    return;
  }
  old->prev = w;
  if (!loop->io_index.insert(w, io_index_entry{nullptr, fd, 0})) {
    unindex(loop, fd);  // w is not in the index, so the rest leaves it
    return;
  }
  if (is_loop_member(loop, w))
    ++loop->io_index.find(marker_of(fd))->own;
}

void io_list_unlinked(ev_loop *loop, int fd, WL w)
{
  const io_index_entry *e = loop->io_index.find(w);
  if (!e)
    return;  // not an indexed list
  if (e->fd != fd) {
    unindex(loop, e->fd);  // stale (see io_list_pushed)
    return;
  }
  WL prev = e->prev;
  io_index_entry *next = w->next ? loop->io_index.find(w->next) : nullptr;
  io_index_entry *marker = loop->io_index.find(marker_of(fd));
  if ((w->next && (!next || next->prev != w)) || !marker) {
    unindex(loop, fd);
    return;
  }
  if (next)
    next->prev = prev;
  if (is_loop_member(loop, w))
    --marker->own;
  loop->io_index.erase(w);  // moves entries: no pointer into the map after this
  if (!loop->fds.entries[fd].head)
    loop->io_index.erase(marker_of(fd));
}

void io_list_unindex(ev_loop *loop, int fd)
{
  if (io_lists_indexed(loop))
    unindex(loop, fd);
}

bool io_list_may_hold_own(ev_loop *loop, int fd)
{
  // an indexed list is answered without a walk, see io_list_link
  if (io_lists_indexed(loop) && indexed(loop, fd)) {
    const io_index_entry *marker = loop->io_index.find(marker_of(fd));
    return !marker || marker->own > 0;
  }
  int left = kIoListWalk;
  for (WL w = loop->fds.entries[fd].head; w; w = w->next) {
    if (is_loop_member(loop, w))
      return true;
    if (!--left) {
      if (!indexed(loop, fd) && !index_list(loop, fd))
        return true;
      const io_index_entry *marker = loop->io_index.find(marker_of(fd));
      return !marker || marker->own > 0;
    }
  }
  return false;
}

WL *io_list_indexed_link(ev_loop *loop, WL w, int &fd)
{
  if (!kIoIndex)
    return nullptr;
  const io_index_entry *e = loop->io_index.find(w);
  if (!e)
    return nullptr;
  fd = e->fd;
  WL *link = link_of(loop, *e);
  if (*link == w)
    return link;
  unindex(loop, fd);  // stale (see io_list_pushed)
  return nullptr;
}

const char *io_index_verify(const ev_loop *loop, int &fd)
{
  unsigned listed = 0;
  for (fd = 0; fd < loop->fds.size; ++fd) {
    if (!indexed(loop, fd)) {
      if (loop->io_index.find(marker_of(fd)))
        return "io index: a marker for an fd whose list is not indexed";
      continue;
    }
    int own = 0;
    WL prev = nullptr;
    for (WL w = loop->fds.entries[fd].head; w; prev = w, w = w->next) {
      const io_index_entry *e = loop->io_index.find(w);
      if (!e)
        return "io index: a watcher of an indexed list is missing";
      if (e->fd != fd || e->prev != prev)
        return "io index: a watcher's entry names the wrong fd or predecessor";
      own += is_loop_member(loop, w);
      ++listed;
    }
    const io_index_entry *m = loop->io_index.find(marker_of(fd));
    if (!m || m->own != own)
      return "io index: an indexed list's marker is missing or miscounts the loop's own watchers";
    ++listed;
  }
  fd = -1;
  if (listed != loop->io_index.count)
    return "io index: entries for watchers that are in no indexed list";
  return nullptr;
}

}  // namespace ev_detail
