// SPDX-License-Identifier: BSD-2-Clause
// tools/watchdog/follow.h - the processes ev-watchdog watches: the program
// it runs or the process it attached to (the root), and every process they
// fork, found in /proc, each watched through its own probe anchor.
//
// Children are found without the program's help and without slowing its
// fork: /proc/loadavg names the newest process id of the system, and only
// the ids handed out since the last look are read (/proc/PID/status: its
// parent); a child of a fork has the library where its parent had it, so
// its anchor is at the same address.  A child that ended before it was
// found, or before it was read, is no error.  The end of every process
// followed is seen at once, through a pidfd (Linux 5.3): its last look
// reports a callback seen running until then, without the process waiting
// for it (sample.h, process_end).
#pragma once

#include <poll.h>
#include <sys/types.h>

#include <cstddef>

namespace ev_watchdog {

// How the root can be watched; followed_ok, or why not (with a message).
enum class root_state { waiting, followed_ok, failed };

// Before ev-watchdog forks the program: the processes to follow are those
// made from now on.
void follow_mark();

// Starts following pid: adopted says whether orphans of the tree come to us
// (ev-watchdog runs the program and is its subreaper), so that they are
// still found, and still ours to read under Yama's ptrace_scope 1.
void follow_start(pid_t pid, bool adopted);

// One round: finds the children forked since the last one, looks at every
// process due, and says when the next round is due (seconds).  The root's
// state goes into *root (with the message in why when it failed).
double follow_round(root_state *root, char *why, std::size_t why_size);

// The pidfds to wait on, after `fds` (at most max); then follow_ended with
// what poll(2) said of them.
int follow_poll_fds(pollfd *fds, int max);
void follow_ended(const pollfd *fds, int n);

// Whether a process followed has a libev-ng whose loops are read, or was
// found less than a second ago and may still load one (a child that execs).
bool follow_watching();

}  // namespace ev_watchdog
