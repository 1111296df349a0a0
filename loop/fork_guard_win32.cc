// SPDX-License-Identifier: BSD-2-Clause
// loop/fork_guard_win32.cc - the fork token (fork_guard.h) on Windows, which has no fork.
#include "base/api.h"
#include "loop/fork_guard.h"

namespace ev_detail {

constinit std::atomic<std::uint64_t *> fork_guard_page{nullptr};

std::uint64_t fork_token_slow() { return 1; }

}  // namespace ev_detail
