// SPDX-License-Identifier: BSD-2-Clause
// backends/poll.cc - the poll(2) backend (EVBACKEND_POLL).
//
// Kernel quirks handled here:
//  (a) An fd that is not open is reported with POLLNVAL (never an error of
//      the call): its watchers are stopped and get EV_ERROR|EV_READ|EV_WRITE.
//      (libev 4.33 aborts with "poll found invalid fd in poll set".)
//  (b) POLLERR/POLLHUP are reported even if not requested; they make the fd
//      both readable and writable (each watcher sees only its own events).
//  (c) ENOMEM from the kernel is reported to the syserr callback and the
//      iteration continues after the time the wait would have taken (libev
//      goes on at once, and spins if the callback returns).
//  (d) No kernel state survives between calls, so a fork needs nothing.
//  (e) EVFLAG_NG_PRECISE_TIMERS: poll() counts milliseconds; ppoll() takes
//      a timespec (any Linux since 2.6.16) and is used instead where the
//      system has it (elsewhere the waits stay in whole milliseconds).
#include "watchers/io.h"

#include <poll.h>
#include <cerrno>

namespace ev_detail {
namespace {

// fd_entry use: bdata = 1-based index into pfds (0: not in the set).
struct poll_state {
  array<struct pollfd> pfds;
  bool precise;  // wait with ppoll, see (e)
};

inline poll_state *state(ev_loop *loop) { return static_cast<poll_state *>(loop->backend_state); }

bool poll_init(ev_loop *loop)
{
  auto *st = static_cast<poll_state *>(ev_realloc(nullptr, sizeof(poll_state)));
  *st = poll_state{};
  st->precise = EV_NG_HAVE_PPOLL && (loop->flags & EVFLAG_NG_PRECISE_TIMERS);
  loop->backend_state = st;
  return true;
}

void poll_destroy(ev_loop *loop)
{
  poll_state *st = state(loop);
  if (!st)
    return;
  st->pfds.release();
  ev_free(st);
  loop->backend_state = nullptr;
}

void poll_modify(ev_loop *loop, int fd, int /*oev*/, int nev)
{
  poll_state *st = state(loop);
  fd_entry &e = loop->fds.entries[fd];
  nev &= EV_READ | EV_WRITE;
  short events = static_cast<short>((nev & EV_READ ? POLLIN : 0) | (nev & EV_WRITE ? POLLOUT : 0));

  if (nev) {
    if (!e.bdata)
      e.bdata = static_cast<unsigned int>(st->pfds.push(pollfd{fd, 0, 0}));
    st->pfds.data[e.bdata - 1].events = events;
  } else if (e.bdata) {
    // swap the last pollfd into the hole
    int i = static_cast<int>(e.bdata) - 1;
    struct pollfd last = st->pfds.data[--st->pfds.count];
    if (i < st->pfds.count) {
      st->pfds.data[i] = last;
      loop->fds.entries[last.fd].bdata = static_cast<unsigned int>(i + 1);
    }
    e.bdata = 0;
  }
}

void poll_poll(ev_loop *loop, ev_tstamp timeout)
{
  poll_state *st = state(loop);

  // With no fd in the set and no time to wait, poll() could only return 0:
  // an EVRUN_NOWAIT iteration without io watchers makes no system call.
  int res = 0;
  release_hook(loop);
  if (st->pfds.count || timeout > 0.) {
#if EV_NG_HAVE_PPOLL
    if (st->precise) {
      struct timespec ts = timeout_to_timespec(timeout);
      res = ::ppoll(st->pfds.data, static_cast<nfds_t>(st->pfds.count), &ts, nullptr);
    } else
#endif
      res = ::poll(st->pfds.data, static_cast<nfds_t>(st->pfds.count), timeout_to_ms(timeout));
  }
  acquire_hook(loop);

  if (res < 0) {
    if (errno != EINTR)
      wait_failed("(libev) poll", timeout);
    return;
  }

  // fd_kill and fd_event only queue work, so the array is stable here.
  for (int i = 0; res > 0 && i < st->pfds.count; ++i) {
    const struct pollfd &p = st->pfds.data[i];
    if (!p.revents)
      continue;
    --res;
    if (p.revents & POLLNVAL) {
      fd_kill(loop, p.fd);
      continue;
    }
    int got = (p.revents & (POLLIN | POLLERR | POLLHUP) ? EV_READ : 0) |
              (p.revents & (POLLOUT | POLLERR | POLLHUP) ? EV_WRITE : 0);
    fd_event(loop, p.fd, got);
  }
}

void poll_fork(ev_loop *) {}

}  // namespace

constinit const backend_ops poll_backend = {
    "poll", EVBACKEND_POLL, 1e-3, poll_init, poll_destroy, poll_fork, poll_modify, poll_poll, false, nullptr, nullptr,
};

}  // namespace ev_detail
