// SPDX-License-Identifier: BSD-2-Clause
// backends/epoll_inline.h - the epoll backend's hot paths, inline: a registration change that asks
// the kernel nothing or one epoll_ctl (epoll_policy::modify), and the wait queueing what it reports
// (epoll_policy::wait).  As policy members they inline into epoll's iteration and fd_reify_with: no
// call or frame per changed fd or iteration.  The rest, and quirks cited here: backends/epoll.cc.
#pragma once

#include "backends/epoll_set.h"

#include <sys/epoll.h>

namespace ev_detail::epoll_internal {

using namespace epoll_set;

constexpr unsigned char kAlwaysReady = 0x01;  // fd_entry::bflags: EPERM, see (c)

// fd_entry use (backends/epoll_set.h): bmask = events registered or 0, bdata = their generation.
struct epoll_state {
  int epfd;   // -1: none, see (h)
  bool lost;  // epfd is not ours any more, see (h)
  struct epoll_event *events;
  int capacity;
  always_ready_fds<kAlwaysReady> always_ready;  // see (c)
  int registered;                               // fds with bmask != 0, see (g)
  bool precise;                                 // wait with epoll_pwait2, see (i)
  // The poll must take epoll_poll_general: always-ready fds, no set, a precise wait, or nothing
  // registered (g).  Kept by update_general, so that the common poll tests one byte.
  bool general;
};

inline epoll_state *state(ev_loop *loop) { return static_cast<epoll_state *>(loop->backend_state); }

// Wherever one of the conditions of epoll_state::general may have changed.
inline void update_general(epoll_state *st)
{
  st->general = st->always_ready.any() || st->epfd < 0 || st->precise || !st->registered;
}

// The rare paths, out of line (backends/epoll.cc).
void modify_registration(ev_loop *loop, int fd, int oev, int nev);
void drop_unwanted(ev_loop *loop, epoll_state *st, int fd, fd_entry &e);
void grow_events(epoll_state *st);
void wait_error(ev_loop *loop, epoll_state *st, ev_tstamp timeout);
void epoll_poll_general(ev_loop *loop, epoll_state *st, ev_tstamp timeout);

// One epoll_ctl; returns 0 or the errno.  errp is &errno, which fd_reify takes once for many calls,
// since each errno is a call of __errno_location.  Forced inline: with more than one caller GCC
// makes it a call, costing the policy's modify a frame per re-armed fd.
[[gnu::always_inline]] inline int ctl(epoll_state *st, int op, int fd, int ev, unsigned int gen,
                                      const int *errp = &errno)
{
  struct epoll_event e;
  e.events = to_epoll(ev);
  e.data.u64 = registration_data(fd, gen);
  if (EV_LIKELY(epoll_ctl(st->epfd, op, fd, &e) >= 0))
    return 0;
  const int err = *errp;
  if (err == 0)  // a failed call sets errno, so callers need not test for zero
    __builtin_unreachable();
  return err;
}

// ADD ev for fd with the next generation.  Returns 0 or the errno.
inline int add_new_file(epoll_state *st, int fd, fd_entry &e, int ev, const int *errp = &errno)
{
  int err = ctl(st, EPOLL_CTL_ADD, fd, ev, next_gen(e.bdata), errp);
  if (!err)
    e.bdata = next_gen(e.bdata);
  return err;
}

// ADD ev for fd, which the kernel is believed to have with ev already: a new file under the number
// is added; EEXIST means the same file, whose registration stands.  Returns 0 or the errno.
inline int add_unless_registered(epoll_state *st, int fd, fd_entry &e, int ev, const int *errp = &errno)
{
  int err = add_new_file(st, fd, e, ev, errp);
  return err == EEXIST ? 0 : err;
}

inline int wait_for_events(epoll_state *st, ev_tstamp timeout)
{
  return epoll_wait(st->epfd, st->events, st->capacity, timeout_to_ms(timeout));
}

// Queue what the wait reported; always_inline, because every iteration takes it.
[[gnu::always_inline]] inline void take_events(ev_loop *loop, epoll_state *st, int n, ev_tstamp timeout)
{
  if (EV_LIKELY(n > 0)) {
    report_events(loop, st, n, [loop, st](int fd, fd_entry &e) { drop_unwanted(loop, st, fd, e); });
    if (EV_UNLIKELY(n == st->capacity))
      grow_events(st);
  } else if (n < 0)
    wait_error(loop, st, timeout);
}

}  // namespace ev_detail::epoll_internal

namespace ev_detail {

extern const backend_ops epoll_backend;

struct epoll_policy {
  static constexpr const backend_ops *ops = &epoll_backend;

  // Most changes ask nothing of the kernel and end here, without modify_registration's frame: the
  // stop of an fd's last watcher (e), and a start that finds the registration it wants.  The
  // commonest that asks, a re-arm after ev_io_set, is register_again's first case, made here in a
  // small frame; an error goes to modify_registration, which starts again from the top.
  static void modify(ev_loop *loop, int fd, fd_entry &e, int oev, int nev, const int *errp = &errno)
  {
    using namespace epoll_internal;
    if (!(e.bflags & kAlwaysReady)) {
      const int want = nev & kFdEvents;
      if (!(nev & EV__IOFDSET)) {
        if (registration_stands(e, oev, nev, static_cast<unsigned>(want)))
          return;
      } else if (want == e.bmask && want && !(want & EV_NG_EXCLUSIVE)) {
        if (EV_LIKELY(!add_unless_registered(state(loop), fd, e, want, errp)))
          return;
        // What modify_registration needs of oev and nev, restated from e (want == e.bmask) so that
        // nothing has to live across the call.
        return modify_registration(loop, fd, e.bmask, e.bmask | EV__IOFDSET);
      }
    }
    modify_registration(loop, fd, oev, nev);
  }

  // The wait (backend.h).  One test for all rare cases keeps the common path short.
  [[gnu::always_inline]] static void wait(ev_loop *loop, ev_tstamp timeout, bool around)
  {
    using namespace epoll_internal;
    epoll_state *st = state(loop);
    if (EV_UNLIKELY(st->general)) {
      // The commonest case, an EVRUN_NOWAIT iteration of a loop that watches no fd (g), returns
      // here, without the general poll's frame.
      if (!st->registered && !(timeout > 0.) && st->epfd >= 0 && !st->always_ready.any() &&
          !member_has_work(loop, kWorkHooks))
        return;
      return epoll_poll_general(loop, st, timeout);
    }
    const int n = EV_UNLIKELY(around) && member_has_work(loop, kWorkHooks)
                      ? hooked_wait(loop, -1, [st, timeout] { return wait_for_events(st, timeout); })
                      : wait_for_events(st, timeout);
    take_events(loop, st, n, timeout);
  }
};

}  // namespace ev_detail
