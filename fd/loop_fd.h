// SPDX-License-Identifier: BSD-2-Clause
// fd/loop_fd.h - the kernel fds the loop owns and watches itself: the
// wake-up eventfd (fd/wakeup.cc), the signalfd (watchers/signal.cc),
// the timerfd (watchers/periodic.cc) and the inotify fd (watchers/stat.cc).
// (struct loop_fd is in loop/loop.h, since the loop object holds them.)
//
// The rules they all follow, enforced here:
//  - Created lazily, by the first watcher that needs one.
//  - Watched by an internal io watcher (of priority EV_MAXPRI, except where
//    libev 4.33's order of callbacks says otherwise) that holds no
//    reference (ev_run's return value and "no active watchers" never see
//    it) and is never stopped through the public ev_io_stop.
//  - The number the kernel gives us was free, so a user watcher still on it
//    watched a closed fd: it gets EV_ERROR (fd_claim), not our readiness.
//  - Replaced close-first after a fork (at EMFILE the new fd only exists
//    once the old one is gone).
//  - Closed behind the loop's back (fd_kill meets the internal watcher, or
//    the program ev_io_set's a watcher onto the number): never closed again,
//    since the number may be someone else's by now, but forgotten, and the
//    owner re-creates it in the repair step before the next poll.
//  - Errors never go through the user path: an fd the system refuses makes
//    its owner fall back (handlers instead of a signalfd, polling instead
//    of inotify, no timerfd), or is reported through ev_syserr with a
//    bounded number of retries (the wake-up fd).
#pragma once

#include "fd/fd.h"

namespace ev_detail {

// Start watching fd, just created for the loop, for `events` (EV_READ, and
// kFdEdge where the owner need not drain the fd, base/fdtable.h).
void loop_fd_watch(ev_loop *loop, loop_fd &lf, int fd, void (*cb)(EV_P_ ev_io *, int), int priority = EV_MAXPRI,
                   int events = EV_READ);

// Stop watching and close the fd (the loop is destroyed, or after a fork).
void loop_fd_close(ev_loop *loop, loop_fd &lf);

// The repair step, for an owner: release the fd if it must be re-created
// (`replace`: after a fork, closed first; else only if it was lost, and then
// forgotten).  True when the owner must create a new one now.
bool loop_fd_release_for_repair(ev_loop *loop, loop_fd &lf, bool replace);

}  // namespace ev_detail
