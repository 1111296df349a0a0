// backends/backend.h - THE VTABLE: what every backend (select, poll, epoll)
// provides to the loop, and the contract of each member.
//
// A backend waits for fd readiness.  It keeps its kernel state (an epoll
// fd, a pollfd array, fd_sets) behind one pointer it owns
// (loop->backend_state) and may use the four backend-owned bytes of every
// fd_entry (bmask, bflags, bdata).  Nothing else about it is visible to the
// loop, so adding a backend means adding one file and one line in
// registry.cc.
#pragma once

#include "core/api.h"

struct ev_loop;

namespace ev_detail {

struct backend_ops {
  const char *name;   // "epoll", "poll", "select": for messages and tests
  unsigned int flag;  // its EVBACKEND_* bit

  // Smallest positive timeout poll() can honour; shorter positive timeouts
  // are rounded up to it so that "never early" holds without busy-looping.
  ev_tstamp mintime;

  // Create the kernel state for a new loop (loop->backend_state is null).
  // Returns false, leaving nothing allocated, when the kernel facility is
  // missing or refuses; the registry then tries the next backend.
  bool (*init)(ev_loop *loop);

  // Release everything init/fork created.  The loop is being destroyed.
  void (*destroy)(ev_loop *loop);

  // Called in the first iteration after a fork (ev_loop_fork or
  // EVFLAG_FORKCHECK), or when the backend asked for it by setting
  // loop->backend_rebuild: recreate kernel state that the child shares with
  // the parent (epoll's does), then queue every fd for re-registration
  // (fd_rearm_all).  Backends without shared kernel state do nothing.
  void (*fork)(ev_loop *loop);

  // The events wanted on fd changed from oev to nev (the EV_READ|EV_WRITE
  // bits of each).  nev may also carry EV__IOFDSET: ev_io_set was called,
  // so the fd number may now denote another open file and any cached idea
  // of the kernel's state for it is void (then oev == nev is possible).  An
  // invalid fd is reported with fd_kill(); modify never invokes callbacks
  // itself (fd_kill only queues them).
  void (*modify)(ev_loop *loop, int fd, int oev, int nev);

  // Block for at most `timeout` seconds (0: do not block), calling the
  // loop's release/acquire hooks around the blocking system call only, and
  // report ready fds with fd_event().  EINTR returns early and quietly;
  // other failures go to ev_syserr ("(libev) <syscall>").
  void (*poll)(ev_loop *loop, ev_tstamp timeout);
};

// The backends, in the order tried when several are allowed.
extern const backend_ops iouring_backend;
extern const backend_ops epoll_backend;
extern const backend_ops poll_backend;
extern const backend_ops select_backend;

// Choose and initialise the backend for flags (EVBACKEND_* bits; none set =
// the recommended ones).  Returns false if none could be initialised.
bool backend_select(ev_loop *loop, unsigned int flags);

// ms for epoll_wait/poll: rounded up, so that waking up early never happens.
inline int timeout_to_ms(ev_tstamp timeout)
{
  if (timeout <= 0.)
    return 0;
  double ms = timeout * 1e3 + 0.9999;
  return ms > 2.0e9 ? 2000000000 : static_cast<int>(ms);
}

}  // namespace ev_detail
