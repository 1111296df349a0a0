// SPDX-License-Identifier: BSD-2-Clause
// loop/fork_guard.h - how a loop learns it runs in a forked child that did not call ev_loop_fork.
//
// A loop's kernel state is shared with a child after fork().  ev(3) requires ev_loop_fork in the
// child, but a child that forgets it and uses its copy of the loop would change the parent's
// state: a removal from a shared kernel watch set silently removes the parent's fd, and a read of
// the shared eventfd takes the parent's wake-up.  A private page that the kernel hands to a child
// zeroed (MADV_WIPEONFORK) holds a token of the process, which a loop records when it creates its
// kernel state.  A different token means a child, and the loop quietly replaces its kernel state
// without fork watchers, since nobody announced a fork.  Where the kernel lacks the advice the
// token never changes, and the child behaves as with libev 4.33.
#pragma once

#include <atomic>
#include <cstdint>

namespace ev_detail {

// The token of this process: never 0, and the same for a loop's whole life in one process.
std::uint64_t fork_token_slow();
extern constinit std::atomic<std::uint64_t *> fork_guard_page;

inline std::uint64_t fork_token()
{
  std::uint64_t *page = fork_guard_page.load(std::memory_order_acquire);
  if (page) {
    std::uint64_t token = __atomic_load_n(page, __ATOMIC_RELAXED);
    if (token)
      return token;
  }
  return fork_token_slow();
}

}  // namespace ev_detail
