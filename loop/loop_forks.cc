// SPDX-License-Identifier: BSD-2-Clause
// loop/loop_forks.cc - every loop of the process in one list, so that a fork
// handler can tell each loop's copy in the child that it is one.
//
// A child that nobody told about the fork (no ev_loop_fork) must not touch
// the parent's kernel state (loop/fork_guard.h).  The fork guard's page
// can tell, but reading it in every iteration of every loop would cost each
// of them a compare of two loaded words.  Instead, fork(3)'s child handler
// asks every loop for a look at the page (kRepairMaybeFork, a part of the
// phase before the poll), and only then does the loop read it.  Children
// made without fork(3)'s handlers (a raw clone(2)) are not noticed; they
// behave as with libev 4.33.
#include "loop/fork_guard.h"
#include "loop/loop.h"

#include <pthread.h>

namespace ev_detail {

namespace {

constinit pthread_mutex_t loops_lock = PTHREAD_MUTEX_INITIALIZER;
constinit ev_loop *loops = nullptr;  // newest first, linked by fork_next
constinit pthread_once_t handlers_once = PTHREAD_ONCE_INIT;

// Taken before a fork, so that the child's copy of the list is whole.
void lock_before_fork() { pthread_mutex_lock(&loops_lock); }
void unlock_in_parent() { pthread_mutex_unlock(&loops_lock); }

// In the child, alone: each loop lets go of what would keep the parent's
// resources alive, and its next iteration looks at the fork page.
void mark_loops_in_child()
{
  for (ev_loop *loop = loops; loop; loop = loop->fork_next) {
    if (loop->backend && loop->backend->child_after_fork)
      loop->backend->child_after_fork(loop);
    request_repair(loop, kRepairMaybeFork);
  }
  pthread_mutex_unlock(&loops_lock);
}

void install_handlers() { pthread_atfork(lock_before_fork, unlock_in_parent, mark_loops_in_child); }

}  // namespace

void loop_forks_add(ev_loop *loop)
{
  pthread_once(&handlers_once, install_handlers);
  pthread_mutex_lock(&loops_lock);
  // Once only, even where a program freed a loop without ev_loop_destroy
  // and its memory became this loop: added again, it would close a cycle.
  bool listed = false;
  for (ev_loop *l = loops; l && !listed; l = l->fork_next)
    listed = l == loop;
  if (!listed) {
    loop->fork_next = loops;
    loops = loop;
  }
  pthread_mutex_unlock(&loops_lock);
}

// (A walk: processes have few loops, and the loop object has no room for a
// second link within libev 4.33's allocation.)
void loop_forks_remove(ev_loop *loop)
{
  pthread_mutex_lock(&loops_lock);
  for (ev_loop **link = &loops; *link; link = &(*link)->fork_next)
    if (*link == loop) {
      *link = loop->fork_next;
      break;
    }
  loop->fork_next = nullptr;
  pthread_mutex_unlock(&loops_lock);
}

bool fork_token_changed(const ev_loop *loop) { return fork_token() != loop->fork_token; }

}  // namespace ev_detail
