// core/wakeup.h - the loop's wake-up fd, shared by ev_async and signals.
//
// ev_async_send (any thread) and the signal handler (any time) must make a
// blocked loop return from its poll.  Both set a flag in the loop and, only
// if the loop is blocked or about to block, write to an eventfd (a pipe where
// eventfd is missing) that the loop watches with an internal io watcher of
// priority EV_MAXPRI that holds no reference.  The handshake avoids the
// write() whenever the loop is running anyway:
//
//   sender:  flag = 1; skipped = 1; if (wanted) write(fd)
//   loop:    wanted = 1; if (skipped) don't block; poll; wanted = 0;
//            if (skipped) process the flags
//
// All four accesses are sequentially consistent, so either the sender sees
// `wanted` and writes, or the loop sees `skipped` and does not block.  The
// fd is created lazily, by the first ev_async or ev_signal start, so a loop
// without them makes exactly one system call per idle iteration.
#pragma once

#include "core/api.h"

#include <atomic>

struct ev_loop;

namespace ev_detail {

static_assert(std::atomic<int>::is_always_lock_free, "must be usable from signal handlers");

// Create the fd and start the internal watcher (no-op if it exists).
void wakeup_init(ev_loop *loop);
// Close the fd (loop destruction).
void wakeup_destroy(ev_loop *loop);
// In the first iteration after a fork: the child gets its own fd.
void wakeup_fork(ev_loop *loop);
// Set *flag and wake the loop if needed.  Async-signal-safe, thread-safe.
void wakeup_signal(ev_loop *loop, std::atomic<int> &flag);
// The loop side: called after the poll returned.
void wakeup_after_poll(ev_loop *loop);

}  // namespace ev_detail
