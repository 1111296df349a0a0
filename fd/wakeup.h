// SPDX-License-Identifier: BSD-2-Clause
// fd/wakeup.h - the loop's wake-up fd, shared by ev_async and signals.
//
// ev_async_send, from any thread, and the signal handler, at any time, must make a blocked loop
// return from its poll.  Both set a flag in the loop, and write to an eventfd, or a pipe where
// eventfd is missing, only if the loop is blocked or about to block (fd/loop_fd.h).  The handshake
// avoids the write() whenever the loop is running anyway:
//
//   sender:  flag = 1; skipped = 1; if (wanted) write(fd)
//   loop:    wanted = 1; if (skipped) don't block; poll; wanted = 0;
//            if (skipped) process the flags
//
// All four accesses are sequentially consistent, so either the sender sees `wanted` and writes, or
// the loop sees `skipped` and does not block; each store that a later load of the other flag must
// not pass is a store_before_loads (below), as in every such pair of the watchers.  The fd is
// created by the first ev_async or ev_signal start, so that a loop without them makes one system
// call per idle iteration.  If the system refuses the fd and a syserr callback returns, the loop
// does without, blocking at most kWakeupPollInterval and looking at the flags after every poll.
#pragma once

#include "base/api.h"
#include "loop/loop.h"

#include <atomic>

struct ev_loop;

namespace ev_detail {

// A sequentially consistent store that later loads of other flags may not pass, made an exchange:
// on ARM such a store is a store-release, which qemu-user runs on x86 without the barrier before
// the next load-acquire (wake-ups were lost there); an exchange is a full barrier everywhere and no
// dearer than that store on x86.
inline void store_before_loads(std::atomic<int> &flag, int value) { flag.exchange(value, std::memory_order_seq_cst); }
// The same for a plain int of the public API (ev_async's `sent`).
inline void store_before_loads(volatile int *flag, int value) { __atomic_exchange_n(flag, value, __ATOMIC_SEQ_CST); }

static_assert(std::atomic<int>::is_always_lock_free, "must be usable from signal handlers");

inline constexpr ev_tstamp kWakeupPollInterval = 0.01;

// Who needs the fd: libev 4.33 makes it for ev_async and signals caught by a handler; a loop whose
// signals come through a signalfd needs it too, for ev_feed_signal to wake it, where libev 4.33
// aborts.  Where libev has none, ours is kept out of sight, without libev's wake-up after a fork.
enum class wakeup_user { kAsyncOrSignalHandler, kFeedSignalOnly };

// Create the fd and start the internal watcher, unless it exists.
void wakeup_init(ev_loop *loop, wakeup_user user);
void wakeup_destroy(ev_loop *loop);
// Set *flag and wake the loop if needed.  Async-signal-safe, thread-safe.
void wakeup_signal(ev_loop *loop, std::atomic<int> &flag);
// The loop side, after the poll: the internal watcher looks at the flags when a sender set one
// without writing, and after every poll when there is no fd.  The test is inline, the rest here:
void wakeup_after_poll_slow(ev_loop *loop, bool skipped);
inline void wakeup_after_poll(ev_loop *loop)
{
  const bool skipped = loop->pipe_write_skipped.load(std::memory_order_seq_cst);
  if (skipped || !loop->wakeup.w.active)
    wakeup_after_poll_slow(loop, skipped);
}

}  // namespace ev_detail
