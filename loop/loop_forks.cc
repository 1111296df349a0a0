// SPDX-License-Identifier: BSD-2-Clause
// loop/loop_forks.cc - every loop of the process in one list, so that a fork handler can tell
// each loop's copy in the child that it is one; and the process's other locks held across a fork.
//
// A child that nobody told about the fork must not touch the parent's kernel state
// (loop/fork_guard.h).  So that loops need not read the fork page in every iteration, fork(3)'s
// child handler asks every loop to look at it (kRepairMaybeFork).  A raw clone(2) runs no handlers
// and is not noticed, as with libev 4.33.  The list is also how a debugger finds the loops of a
// stopped program without the library's symbols (tools/ev-gdb.py): its head is in the probe
// anchor, whose first member is the semaphore every static probe names in its note
// (base/probes.h), so the notes lead to it in a stripped library too.
#include "base/fork_hooks.h"
#include "base/lock.h"
#include "base/once.h"
#include "base/probes.h"
#include "diag/probe_anchor.h"
#include "fd/io_list.h"
#include "loop/fork_guard.h"
#include "loop/loop.h"

extern "C" {
// zero until the first loop is made, when anchor_offsets writes the layout and the version
[[gnu::section(".probes"), gnu::used]] constinit ev_ng_probe_anchor libev_ng_probe_anchor{};
}
#if EV_NG_HAVE_SDT
// Every probe's semaphore is the anchor's first member.
#define EV_NG_PROBE_ALIAS(name)                                                            \
  ".globl libev_" #name "_semaphore\n.hidden libev_" #name "_semaphore\n.set libev_" #name \
  "_semaphore, libev_ng_probe_anchor\n"
asm(EV_NG_PROBES(EV_NG_PROBE_ALIAS));
#undef EV_NG_PROBE_ALIAS
#endif

namespace ev_detail {

namespace {

constinit os_lock loops_lock;
constinit ev_loop *&loops = libev_ng_probe_anchor.loops;  // newest first, linked by fork_next
constinit os_once handlers_once;

// The offsets a debugger reads, from the layout of this build.
void anchor_offsets(const ev_loop *loop)
{
  const auto at = [loop](const void *member) {
    return static_cast<unsigned short>(static_cast<const char *>(member) - reinterpret_cast<const char *>(loop));
  };
  ev_ng_probe_anchor &a = libev_ng_probe_anchor;
  a.loop_size = sizeof(ev_loop);
  a.next = at(&loop->fork_next);
  a.loop_count = at(&loop->loop_count);
  a.loop_depth = at(&loop->loop_depth);
  a.activecnt = at(&loop->activecnt);
  a.flags = at(&loop->flags);
  a.fd_entries = at(&loop->fds.entries);
  a.fd_count = at(&loop->fds.size);
  a.fd_entry_size = sizeof(fd_entry);
  a.timers = at(&loop->timers.nodes);
  a.periodics = at(&loop->periodics.nodes);
  a.heap_count = static_cast<unsigned short>(at(&loop->timers.count) - a.timers);
  a.heap_node_size = sizeof(heap_node);
  a.heap_root = heap::kHeap0;
  a.prepares = at(&loop->prepares);
  a.checks = at(&loop->checks);
  a.forks = at(&loop->forks);
  a.cleanups = at(&loop->cleanups);
  a.asyncs = at(&loop->asyncs);
  a.idles = at(&loop->idles[0]);
  a.array_size = sizeof(array<W>);
  a.mn_now = at(&loop->mn_now);
  a.pass_levels = at(&loop->pass_levels);
  a.pending = at(&loop->pending);
  a.backend_fd = at(&loop->backend_fd);
#if EV_CHILD_ENABLE
  a.own_cb = reinterpret_cast<void *>(&child_pidfd_cb);
#endif
  a.version = 2;
}

// Taken before a fork, so that the child's copy of the list is whole, and so that the child does
// not inherit the lock of reaping held by a thread it does not have: it would block at its first
// SIGCHLD.  Reaping takes no other lock and no thread reaps while it holds the list's, so the two
// cannot deadlock in either order.  The lock that adds ev_ng_post's lanes comes last: whoever
// holds it takes no other.
void lock_before_fork()
{
  child_reap_lock_for_fork();
  lock_take(loops_lock);
  posts_lock_for_fork();
}
void unlock_in_parent()
{
  posts_unlock_after_fork();
  lock_give(loops_lock);
  child_reap_unlock_after_fork();
}

// In the child, alone: each loop lets go of what would keep the parent's resources alive, and its
// next iteration looks at the fork page.  Its posted functions are the parent's to run, so the
// child's queue starts empty.
void mark_loops_in_child()
{
  for (ev_loop *loop = loops; loop; loop = loop->fork_next) {
    if (loop->backend && loop->backend->child_after_fork)
      loop->backend->child_after_fork(loop);
    request_repair(loop, kRepairMaybeFork);
    posts_forget_in_child(loop);
  }
  posts_unlock_after_fork();
  lock_give(loops_lock);
  child_reap_unlock_after_fork();
}

void install_handlers() { at_fork(lock_before_fork, unlock_in_parent, mark_loops_in_child); }

}  // namespace

void loop_forks_add(ev_loop *loop)
{
  run_once(handlers_once, install_handlers);
  lock_take(loops_lock);
  anchor_offsets(loop);
  // Once only, even where a program freed a loop without ev_loop_destroy and its memory became
  // this loop: added again, it would close a cycle.
  bool listed = false;
  for (ev_loop *l = loops; l && !listed; l = l->fork_next)
    listed = l == loop;
  if (!listed) {
    loop->fork_next = loops;
    loops = loop;
  }
  lock_give(loops_lock);
}

// A walk: processes have few loops, and a second link would not fit libev 4.33's allocation.
void loop_forks_remove(ev_loop *loop)
{
  lock_take(loops_lock);
  for (ev_loop **link = &loops; *link; link = &(*link)->fork_next)
    if (*link == loop) {
      *link = loop->fork_next;
      break;
    }
  loop->fork_next = nullptr;
  lock_give(loops_lock);
}

// For the calls that take a loop from a watcher's member, which may hold anything
// (ev_embed_sweep): only a loop of the list may be run.
bool loop_is_live(const ev_loop *loop)
{
  lock_take(loops_lock);
  const ev_loop *l = loops;
  while (l && l != loop)
    l = l->fork_next;
  lock_give(loops_lock);
  return l;
}

bool fork_token_changed(const ev_loop *loop) { return fork_token() != loop->fork_token; }

}  // namespace ev_detail
