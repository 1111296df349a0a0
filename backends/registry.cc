// SPDX-License-Identifier: BSD-2-Clause
// backends/registry.cc - the backends this build has (backends/policies.h),
// ev_supported/recommended/embeddable_backends, and what backends share when they cannot wait.
#include "backends/policies.h"

namespace ev_detail {

namespace {
#define EV_NG_BACKEND_TABLE(P) P::ops,
constexpr const backend_ops *kBackends[] = {EV_NG_BACKEND_POLICIES(EV_NG_BACKEND_TABLE)};
#undef EV_NG_BACKEND_TABLE
}  // namespace

void wait_failed(const char *msg, ev_tstamp timeout)
{
  ev_syserr(msg);
  ev_sleep(timeout < kSleepInsteadOfWait ? timeout : kSleepInsteadOfWait);
}

void sleep_instead_of_waiting(ev_loop *loop, ev_tstamp timeout)
{
  hooked_wait(loop, 0, [timeout] {
    ev_sleep(timeout < kSleepInsteadOfWait ? timeout : kSleepInsteadOfWait);
    return 0;
  });
}

}  // namespace ev_detail

extern "C" {

// EVBACKEND_NG_AFD is left out, chosen by its bit only, so that a program that does not ask for it
// sees libev 4.33's answers on Windows (select alone).
// A backend the system refuses (backend_ops::usable) is left out.
unsigned int ev_supported_backends(void) noexcept
{
  unsigned int mask = 0;
  for (const ev_detail::backend_ops *ops : ev_detail::kBackends)
    if (!ops->usable || ops->usable())
      mask |= ops->flag;
  return mask & ~static_cast<unsigned int>(EVBACKEND_NG_AFD);
}

// The supported backends that work for most kinds of fd here, by libev 4.33's rules: io_uring only
// when asked for, and on macOS, whose poll is built on its kqueue, select alone.  The backends
// recommended are always usable, so none is asked.
unsigned int ev_recommended_backends(void) noexcept
{
  unsigned int mask = 0;
  for (const ev_detail::backend_ops *ops : ev_detail::kBackends)
    if (!ops->usable)
      mask |= ops->flag;
  mask &= ~static_cast<unsigned int>(EVBACKEND_NG_AFD | EVBACKEND_IOURING);
#if defined(__APPLE__) && defined(__MACH__)
  mask &= ~EVBACKEND_POLL;
#endif
  return mask;
}

// The backends that can in principle be embedded into another loop: their kernel object is one fd
// that becomes readable.  As in libev 4.33, a fixed set, supported here or not, but for epoll,
// which it counts on Linux alone (0xac there, 0xa8 elsewhere).  The library has epoll where it is
// built for Linux, and the portable build stands for the other systems.  A core compiled into a
// program asks the system, not its EV_USE_EPOLL: libev 4.33 compiled in without epoll names it.
unsigned int ev_embeddable_backends(void) noexcept
{
#ifdef EV_NG_EMBED
  constexpr unsigned int epoll_bit = EV_NG_SYSTEM_LINUX ? EVBACKEND_EPOLL : 0;
#else
  constexpr unsigned int epoll_bit = EV_NG_HAVE_EPOLL ? EVBACKEND_EPOLL : 0;
#endif
  return epoll_bit | EVBACKEND_KQUEUE | EVBACKEND_PORT | EVBACKEND_IOURING;
}

}  // extern "C"
