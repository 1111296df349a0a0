// SPDX-License-Identifier: BSD-2-Clause
// loop/fork_guard.cc - the process's fork token, see fork_guard.h.
#include "loop/fork_guard.h"
#include "base/api.h"

#include <sys/mman.h>
#include <unistd.h>

namespace ev_detail {

constinit std::atomic<std::uint64_t *> fork_guard_page{nullptr};

namespace {

// Set when the page cannot be had: then every process has the same token.
constinit std::atomic<bool> fork_guard_unavailable{false};

std::uint64_t *map_page()
{
#if !EV_NG_HAVE_WIPEONFORK
  return nullptr;
#else
  long size = ::sysconf(_SC_PAGESIZE);
  void *p = ::mmap(nullptr, static_cast<std::size_t>(size), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED)
    return nullptr;
  if (::madvise(p, static_cast<std::size_t>(size), MADV_WIPEONFORK) != 0) {
    ::munmap(p, static_cast<std::size_t>(size));
    return nullptr;
  }
  return static_cast<std::uint64_t *>(p);
#endif
}

}  // namespace

std::uint64_t fork_token_slow()
{
  if (fork_guard_unavailable.load(std::memory_order_relaxed))
    return 1;
  std::uint64_t *page = fork_guard_page.load(std::memory_order_acquire);
  if (!page) {
    std::uint64_t *mine = map_page();
    if (!mine) {
      fork_guard_unavailable.store(true, std::memory_order_relaxed);
      return 1;
    }
    if (fork_guard_page.compare_exchange_strong(page, mine, std::memory_order_acq_rel))
      page = mine;
    else
      ::munmap(mine, static_cast<std::size_t>(::sysconf(_SC_PAGESIZE)));
  }
  // First use in this process, or in a child, whose page reads 0: the pid differs between a
  // parent and its children.  Threads racing here store the same value.
  std::uint64_t token = static_cast<std::uint64_t>(::getpid()) + 1;
  std::uint64_t expected = 0;
  __atomic_compare_exchange_n(page, &expected, token, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
  return __atomic_load_n(page, __ATOMIC_ACQUIRE);
}

}  // namespace ev_detail
