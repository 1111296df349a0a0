// SPDX-License-Identifier: BSD-2-Clause
// watchers/child.h - between the two halves of ev_child: the default loop's SIGCHLD reaper
// (watchers/child.cc) and the pidfd watchers of other loops (watchers/child_pidfd.cc).
#pragma once

#include "diag/walk.h"
#include "loop/loop.h"

namespace ev_detail {

// waitpid(pid, status, options), retried on EINTR, under the lock every reaper takes: a child that
// a pidfd watcher waits for gets its status handed over when another reaper collects it first.
int child_reap(int pid, int *status, int options);

// ev_child_start/stop in other loops (EVFLAG_NG_ANY_LOOP); start reports pid <= 0 as a usage error.
void child_pidfd_start(ev_loop *loop, ev_child *w);
void child_pidfd_stop(ev_loop *loop, ev_child *w);
// The repair step: re-open pidfds closed behind the loop's back.
void child_pidfd_repair(ev_loop *loop);
void child_pidfd_visit(ev_loop *loop, walk_visit visit, void *ctx);
void child_pidfd_loop_destroy(ev_loop *loop);

}  // namespace ev_detail
