// SPDX-License-Identifier: BSD-2-Clause
// fd/loop_fd.h - the kernel fds the loop owns and watches itself: the wake-up eventfd
// (fd/wakeup.cc), the signalfd (watchers/signal.cc), the timerfd (watchers/periodic.cc) and the
// inotify fd (watchers/stat.cc).  The loop object holds them, so struct loop_fd is in loop/loop.h.
//
// The rules they all follow, enforced here:
//  - Created by the first watcher that needs one.
//  - Watched by an internal io watcher, at EV_MAXPRI unless libev 4.33's order of callbacks says
//    otherwise, which holds no reference and is never stopped through the public ev_io_stop.
//  - The number the kernel gives us was free, so a user watcher still on it watched a closed fd:
//    fd_claim gives it EV_ERROR, not our readiness.
//  - Replaced close-first after a fork: at EMFILE the new fd only exists once the old one is gone.
//  - When closed behind the loop's back, never closed again, since the number may be someone else's
//    by now, but forgotten; the owner re-creates it in the repair step before the next poll.
//  - Errors never go through the user path: an fd the system refuses makes its owner fall back, or,
//    for the wake-up fd, is reported through ev_syserr with a bounded number of retries.
#pragma once

#include "fd/fd.h"

#ifndef _WIN32
#include <unistd.h>
#endif

namespace ev_detail {

#ifndef _WIN32
// how the loop closes its own fds (on Windows: base/win32.h, EV_WIN32_CLOSE_FD)
inline int close_fd(int fd) { return ::close(fd); }
#endif

// Start watching fd, just created for the loop, for `events`: EV_READ, with
// kFdEdge where the owner need not drain the fd (base/fdtable.h).
void loop_fd_watch(ev_loop *loop, loop_fd &lf, int fd, void (*cb)(EV_P_ ev_io *, int), int priority = EV_MAXPRI,
                   int events = EV_READ);

// Stop watching and close the fd, when the loop is destroyed or after a fork.
void loop_fd_close(ev_loop *loop, loop_fd &lf);

// The repair step, for an owner: release the fd if it must be re-created.  With `replace` (after a
// fork) close it first, else forget only a lost one.  True if the owner must create one now.
bool loop_fd_release_for_repair(ev_loop *loop, loop_fd &lf, bool replace);

}  // namespace ev_detail
