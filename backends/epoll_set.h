// SPDX-License-Identifier: BSD-2-Clause
// backends/epoll_set.h - the rules of an epoll interest set, written once for the two backends that
// keep one: epoll (backends/epoll.cc), which changes the set with epoll_ctl and learns each outcome
// at once, and io_uring (backends/iouring.cc), which queues the changes as requests and learns of
// a failure later.  Each chooses its own first request where a guess is needed, since a wrong
// guess costs epoll a system call and io_uring a completion.
//
// The set keys a registration on the open file and the number, not the number alone (epoll(7)):
// once a number is closed, or reused by dup2, while the old file lives on elsewhere (a dup, a
// forked child, a descriptor in flight in an SCM_RIGHTS message), the old registration stays in the
// set, reporting under the number, and no request by number reaches it.  Hence:
//  1. Every registration carries its fd and a generation in its data (registration_data).  An event
//     whose generation is not the fd's is of a registration the loop cannot reach: nothing is
//     queued, and the backend rebuilds the set (report_events).
//  2. A change made where the number may be another file now, after ev_io_set or once the fd had no
//     watchers at a reify (may_be_another_file), gives the fd the registration of the number's
//     current file, under the next generation: an ADD that succeeds takes it; epoll learns at once
//     that an ADD answered EEXIST found the same file's registration, whose generation stands; a
//     queued request takes it when queued, since its outcome comes after events may have come.
//  3. A stop leaves the registration in place (lazy removal): a start with the same events costs
//     nothing, and an event nobody wants any more updates the set then (registration_stands,
//     report_events' drop).
//  4. EPOLLERR and EPOLLHUP come even unasked; they make the fd readable and writable, and each
//     watcher sees only its own events (kReadiness).
//  5. Regular files cannot be added (EPERM): they are always ready, and their watchers get their
//     events in every iteration (always_ready_fds).
//  6. A change begins alike in both (change_begins), and a request the kernel refused, once the
//     other op was tried where rule 2 allows, means one of three things alike in both
//     (refusal_of): a regular file (rule 5), a set that is gone, or an fd that cannot be watched.
#pragma once

#include "fd/fd.h"

#include <sys/epoll.h>
#include <cstdint>

namespace ev_detail::epoll_set {

// Generations have 30 bits, bdata below 2^30, so an epoll-mode request tag holds data and op.
constexpr unsigned kGenMask = (1u << 30) - 1;
constexpr unsigned next_gen(unsigned gen) { return (gen + 1) & kGenMask; }
constexpr unsigned prev_gen(unsigned gen) { return (gen - 1) & kGenMask; }

// A registration's data, see rule 1.
constexpr std::uint64_t registration_data(int fd, unsigned gen)
{
  return static_cast<std::uint64_t>(static_cast<std::uint32_t>(fd)) | (static_cast<std::uint64_t>(gen) << 32);
}

// Rule 2: the number may be another open file.  oev: the events wanted at the last reify; nev
// carries EV__IOFDSET after ev_io_set, as fd_reify_from passes it.
constexpr bool may_be_another_file(int oev, int nev) { return !oev || (nev & EV__IOFDSET); }

// Rule 3: nothing to ask of the kernel: no events are wanted, so a registration stays, or the same
// file's registration has them.  want: what the backend would register, 0 for nothing.
inline bool registration_stands(const fd_entry &e, int oev, int nev, unsigned want)
{
  return !want || (oev && !(nev & EV__IOFDSET) && e.bmask == want);
}

// EV_READ, EV_WRITE, EV_NG_EXCLUSIVE and kFdEdge as epoll's bits, by table: one load beats tests.
constexpr std::uint32_t epoll_bits(unsigned ev)
{
  return (ev & EV_READ ? EPOLLIN : 0u) | (ev & EV_WRITE ? EPOLLOUT : 0u) |
         (ev & EV_NG_EXCLUSIVE ? static_cast<std::uint32_t>(EPOLLEXCLUSIVE) : 0u) |
         (ev & kFdEdge ? static_cast<std::uint32_t>(EPOLLET) : 0u);
}
struct epoll_bits_table {
  std::uint32_t bits[kFdEvents + 1];
  constexpr epoll_bits_table() : bits()
  {
    for (unsigned ev = 0; ev <= kFdEvents; ++ev)
      bits[ev] = epoll_bits(ev);
  }
};
constexpr epoll_bits_table kEpollBits;
inline std::uint32_t to_epoll(unsigned ev) { return kEpollBits.bits[ev & kFdEvents]; }

// Rule 4: EV_READ/EV_WRITE for the low five bits of epoll's events, which the static_assert names.
constexpr unsigned char readiness(unsigned b)
{
  return static_cast<unsigned char>(((b & 0x19) ? EV_READ : 0) | ((b & 0x1c) ? EV_WRITE : 0));
}
struct readiness_table {
  unsigned char of[32];
  constexpr readiness_table() : of()
  {
    for (unsigned b = 0; b < 32; ++b)
      of[b] = readiness(b);
  }
};
constexpr readiness_table kReadiness;
static_assert(EPOLLIN == 0x01 && EPOLLPRI == 0x02 && EPOLLOUT == 0x04 && EPOLLERR == 0x08 && EPOLLHUP == 0x10);

// The i-th event a wait reported, from the buffer or read through the backend's state anew: each
// backend passes what its compiled feed loop keeps best (epoll's has no register to spare for the
// buffer's address, io_uring's has).
inline const struct epoll_event &event_at(const struct epoll_event *events, int i) { return events[i]; }
template <class State>
const struct epoll_event &event_at(const State *st, int i)
{
  return st->events[i];
}

// Queue the watchers of the n events a wait reported: fd_event, specialised to store the pending
// mask once.  Rule 1 for events of an unknown registration; rule 3's update, drop_unwanted(fd, e),
// for events no watcher wants any more.  always_inline keeps the loop in the poll's frame, with no
// call per iteration that reports events.  kEdgesOnly: only edge-triggered registrations' events,
// where another wait reports the level-triggered ones again (io_uring's refill, iouring.cc (b)).
enum report_which { kAll, kEdgesOnly };
template <report_which kWhich = kAll, class Events, class DropUnwanted>
[[gnu::always_inline]] inline void report_events(ev_loop *loop, Events events, int n, DropUnwanted drop_unwanted)
{
  pending_queues::feed_run run(loop->pending);
  for (int i = 0; i < n; ++i) {
    const struct epoll_event &ev = event_at(events, i);
    const int fd = static_cast<int>(static_cast<std::uint32_t>(ev.data.u64));
    const auto gen = static_cast<unsigned>(ev.data.u64 >> 32);
    fd_entry &e = loop->fds.entries[fd];
    if constexpr (kWhich == kEdgesOnly)
      if (!(e.bmask & kFdEdge))
        continue;
    if (EV_UNLIKELY(gen != e.bdata || !e.bmask)) {
      request_backend_rebuild(loop);
      continue;
    }
    if (EV_UNLIKELY(e.bmask & ~e.events))
      drop_unwanted(fd, e);
    const int got = kReadiness.of[ev.events & 0x1f];
    for (WL w = e.head; w; w = w->next) {
      const int rev = reinterpret_cast<ev_io *>(w)->events & got;
      if (rev)
        run.feed(as_w(w), rev);
    }
  }
}

// Rule 5's report (backends/epoll.cc), out of line for both backends: each fd gets what its
// watchers want.
void report_always_ready(ev_loop *loop, const int *fds, int count);

// Rule 5: the set's always-ready fds, each marked in its entry's bflags with the backend's bit kBit.
template <unsigned char kBit>
struct always_ready_fds {
  array<int> fds;

  static bool has(const fd_entry &e) { return e.bflags & kBit; }
  void enter(fd_entry &e, int fd)
  {
    e.bflags |= kBit;
    fds.push(fd);
  }
  void leave(fd_entry &e, int fd)
  {
    e.bflags &= static_cast<unsigned char>(~kBit);
    for (int i = 0; i < fds.count; ++i)
      if (fds.data[i] == fd) {
        fds.data[i] = fds.data[--fds.count];
        return;
      }
  }
  bool any() const { return fds.count; }
  void clear() { fds.count = 0; }
  void release() { fds.release(); }
  // Every iteration: each gets what its watchers want.
  void report(ev_loop *loop) const { report_always_ready(loop, fds.data, fds.count); }
};

// Rule 6, where a change of fd's watchers begins: an always-ready fd stays one while watchers of
// the same file want events (the report reads e.events each time), else it leaves the list and
// left() tells the backend, whose wait depends on the list.  Nothing wanted leaves the
// registration in place (rule 3).  Without a set (have_set false) the fd's watchers get EV_ERROR.
// True when the kernel is to be asked for want.
template <unsigned char kBit, class Left>
inline bool change_begins(ev_loop *loop, int fd, fd_entry &e, int oev, unsigned want, bool renewed, bool have_set,
                          always_ready_fds<kBit> &ready, Left left)
{
  if (ready.has(e)) {
    if (want && oev && !renewed)
      return false;
    ready.leave(e, fd);
    left();
  }
  if (!want)
    return false;
  if (EV_UNLIKELY(!have_set)) {
    fd_kill_user_watchers(loop, fd);
    return false;
  }
  return true;
}

// Rule 6: what a request the kernel refused with err means.  EBADF and EINVAL may be the set's own,
// which refusal_of asks the kernel (backends/epoll.cc); the rest are the fd's: EBADF, ENOSPC
// (max_user_watches), ENOMEM, ELOOP.
enum class refusal { kRegularFile, kSetLost, kFd };
refusal refusal_of(int epfd, int err);

// A wait that failed with errno: EINTR returns early and quietly, EBADF and EINVAL mean that the
// set is lost (true), anything else is reported, and the caller sleeps instead (backend.h).
bool set_lost_by_wait(ev_tstamp timeout);

// EVFLAG_NG_PRECISE_TIMERS: epoll_wait counts whole milliseconds, epoll_pwait2 takes a timespec.
// Waits a timeout above 0 with it; -1 with errno ENOSYS where the kernel or a sandbox refuses it,
// and the caller waits with epoll_wait from then on.
int wait_pwait2(int epfd, struct epoll_event *events, int capacity, ev_tstamp timeout);

}  // namespace ev_detail::epoll_set
