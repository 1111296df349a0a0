// SPDX-License-Identifier: BSD-2-Clause
// backends/poll.h - the poll(2) backend's state, modify and poll, inline in the entries of its
// table, which its policy calls (table_policy, backend.h).  The rest, and the kernel quirks (a)-(e)
// cited here, are in backends/poll.cc.
#pragma once

#include "fd/fd.h"

#include <poll.h>

namespace ev_detail {
namespace poll_internal {

extern const backend_ops poll_backend;

// fd_entry use: bdata = 1-based index into pfds (0: not in the set).
struct poll_state {
  array<struct pollfd> pfds;
  bool precise;  // wait with ppoll, see (e)
};

inline poll_state *state(ev_loop *loop) { return static_cast<poll_state *>(loop->backend_state); }

// The rare paths, out of line (backends/poll.cc).
void remove_fd(ev_loop *loop, poll_state *st, fd_entry &e);
int wait_precisely(poll_state *st, ev_tstamp timeout);
void wait_error(ev_tstamp timeout);
bool poll_init(ev_loop *loop);
void poll_destroy(ev_loop *loop);

// The backend's modify (backend.h).
inline void modify(ev_loop *loop, int fd, int /*oev*/, int nev)
{
  poll_state *st = state(loop);
  fd_entry &e = loop->fds.entries[fd];
  nev &= EV_READ | EV_WRITE;
  if (!nev) {
    if (e.bdata)
      remove_fd(loop, st, e);
    return;
  }
  if (!e.bdata)
    e.bdata = static_cast<unsigned int>(st->pfds.push(pollfd{fd, 0, 0}));
  st->pfds.data[e.bdata - 1].events = static_cast<short>((nev & EV_READ ? POLLIN : 0) | (nev & EV_WRITE ? POLLOUT : 0));
}

// Queue the watchers of the res fds the call reported, see (a) and (b).
inline void queue_reported(ev_loop *loop, poll_state *st, int res)
{
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

// The backend's poll (backend.h).
inline void poll(ev_loop *loop, ev_tstamp timeout)
{
  poll_state *st = state(loop);
  auto wait = [st, timeout] {
    if (!st->pfds.count && !(timeout > 0.))
      return 0;
    return st->precise ? wait_precisely(st, timeout)
                       : ::poll(st->pfds.data, static_cast<nfds_t>(st->pfds.count), timeout_to_ms(timeout));
  };
  const int res = hooked_wait(loop, -1, wait);
  if (res < 0)
    return wait_error(timeout);
  queue_reported(loop, st, res);
}

}  // namespace poll_internal

using poll_policy = table_policy<&poll_internal::poll_backend>;

}  // namespace ev_detail
