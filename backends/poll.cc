// SPDX-License-Identifier: BSD-2-Clause
// backends/poll.cc - the poll(2) backend (EVBACKEND_POLL).
//
// Kernel quirks handled here:
//  (a) An fd that is not open is reported with POLLNVAL, never as an error of the call: its
//      watchers are stopped and get EV_ERROR|EV_READ|EV_WRITE, where libev 4.33 aborts.
//  (b) POLLERR and POLLHUP come even unasked; they make the fd readable and writable, and each
//      watcher sees only its own events.
//  (c) ENOMEM is reported to the syserr callback, and the iteration goes on after the time the wait
//      would have taken, where libev goes on at once and spins if the callback returns.
//  (d) No kernel state survives between calls, so a fork needs nothing.
//  (e) EVFLAG_NG_PRECISE_TIMERS: poll() counts milliseconds, so ppoll(), which takes a timespec, is
//      used instead where the system has it.
#include "backends/poll.h"

#include <cerrno>

namespace ev_detail::poll_internal {

constinit const backend_ops poll_backend =
    number_watching_backend("poll", EVBACKEND_POLL, 1e-3, poll_init, poll_destroy, modify, poll);

void remove_fd(ev_loop *loop, poll_state *st, fd_entry &e)
{
  int i = static_cast<int>(e.bdata) - 1;
  struct pollfd last = st->pfds.data[--st->pfds.count];
  if (i < st->pfds.count) {
    st->pfds.data[i] = last;
    loop->fds.entries[last.fd].bdata = static_cast<unsigned int>(i + 1);
  }
  e.bdata = 0;
}

// The wait of (e).
int wait_precisely(poll_state *st, ev_tstamp timeout)
{
#if EV_NG_HAVE_PPOLL
  struct timespec ts = timeout_to_timespec(timeout);
  return ::ppoll(st->pfds.data, static_cast<nfds_t>(st->pfds.count), &ts, nullptr);
#else
  // never called, since precise is false
  return ::poll(st->pfds.data, static_cast<nfds_t>(st->pfds.count), timeout_to_ms(timeout));
#endif
}

// A failed call: see (c); EINTR returns quietly.
void wait_error(ev_tstamp timeout)
{
  if (errno != EINTR)
    wait_failed("(libev) poll", timeout);
}

bool poll_init(ev_loop *loop)
{
  poll_state *st = backend_state_new<poll_state>(loop->backend_state);
  st->precise = EV_NG_HAVE_PPOLL && (loop->flags & EVFLAG_NG_PRECISE_TIMERS);
  return true;
}

void poll_destroy(ev_loop *loop)
{
  poll_state *st = state(loop);
  if (!st)
    return;
  st->pfds.release();
  backend_state_free(loop->backend_state);
}

}  // namespace ev_detail::poll_internal
