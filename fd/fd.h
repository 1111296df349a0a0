// SPDX-License-Identifier: BSD-2-Clause
// fd/fd.h - the io watcher layer as the rest of the library sees it:
// applying fd changes to the backend, dispatching readiness, and what
// happens to watchers whose fd is bad (ev(3) ev_io, "The special problem of
// disappearing/dup'ed file descriptors").
//
// The rules enforced here, for every backend:
//  - An fd that is not open never aborts the process and is never silently
//    ignored: its watchers are stopped and get EV_ERROR|EV_READ|EV_WRITE
//    (fd_kill).  libev 4.33 does this on one of its backends only.
//  - The loop's own io watchers (members of the loop object: the wake-up
//    fd, signalfd, timerfd, inotify) are started and stopped without
//    touching the reference count, and fd_kill never treats them as user
//    watchers: their fd was closed behind the loop's back, and the loop
//    re-creates it before the next poll (fd/loop_fd.h).
//  - A number the loop gets from the kernel for an fd of its own was free:
//    user watchers still on it watched a closed fd, and are killed
//    (fd_claim) instead of seeing the loop's readiness.
#pragma once

#include "fd/io_list.h"

#include <cerrno>

namespace ev_detail {

// The backend reports events on fd: every watcher gets its share, newest
// first (LIFO invocation then runs them in start order).
inline void fd_event(ev_loop *loop, int fd, int revents)
{
  for (WL w = loop->fds.entries[fd].head; w; w = w->next) {
    int ev = reinterpret_cast<ev_io *>(w)->events & revents;
    if (ev)
      feed(loop, as_w(w), ev);
  }
}

// The io watcher w is in the list of fd, but was re-initialised or moved
// with ev_io_set while active: its fd or its EV__IOFDSET flag says so.
inline bool io_misplaced(const ev_io *w, int fd) { return w->fd != fd || (w->events & EV__IOFDSET); }

// The longest list the common walk of fd_list_events takes (a longer one is
// walked by fd_list_repair, which also looks for cycles).
inline constexpr int kPlainListMax = 256;

// The union of the events the watchers of fd want, when a watcher of the
// list is misplaced, re-initialised or the list is long (fd.cc).
unsigned char fd_list_repair(ev_loop *loop, int fd);

// The union of the events the watchers of fd want.  The common case (a list
// of well-formed watchers, not too long to rule out a cycle cheaply) is one
// short loop; anything unusual is fd_list_repair's.
// (`head` is the list's head, read by the caller before it stored a byte
// of the fd's entry, which the compiler must assume changed the table.)
inline unsigned char fd_list_events(ev_loop *loop, int fd, WL head)
{
  unsigned events = 0;
  int n = 0;
  for (WL w = head; w; w = w->next) {
    auto *io = reinterpret_cast<ev_io *>(w);
    if (!io->active || io_misplaced(io, fd) || ++n > kPlainListMax)
      return fd_list_repair(loop, fd);
    events |= static_cast<unsigned>(io->events);
  }
  return static_cast<unsigned char>(events & kFdEvents);
}

// The changes queued while fd_reify_from applied the queue from `first` to
// `done` (fd.cc): those of moves are applied too, the others kept.
void fd_changes_keep_rest(ev_loop *loop, int first, int done);

// Apply the queued changes from the `first`-th on to backend B
// (backends/backend.h: its policy): for each queued fd the union of the
// events its watchers want, handed to B's modify when it changed or the
// registration must be renewed.  (&errno taken once for all of them.)
template <class B>
void fd_reify_from(ev_loop *loop, int first)
{
  fd_table &t = loop->fds;
  const int n = t.changes.count;
  const int *const errp = &errno;

  for (int i = first; i < n; ++i) {
    int fd = t.changes.data[i];
    fd_entry &e = t.entries[fd];
    unsigned char o_reify = e.reify;
    unsigned char o_events = e.events;
    const WL head = e.head;
    e.reify = 0;

    // (moving a misplaced watcher may grow the table: e is stale after this)
    unsigned char events = fd_list_events(loop, fd, head);
    t.entries[fd].events = events;
    const bool renewed = (o_reify & EV__IOFDSET) || ((o_reify & kReifyEmptied) && events);
    if (o_events != events || renewed)
      B::modify(loop, fd, t.entries[fd], o_events, events | (renewed ? EV__IOFDSET : 0), errp);
  }
  fd_changes_keep_rest(loop, first, n);
}

// Apply the queued changes to backend B, once per iteration before polling.
template <class B>
void fd_reify_with(ev_loop *loop)
{
  // In a child nobody told about the fork, the kernel state is the
  // parent's: the changes wait for the repair step of ev_run.
  if (fork_unannounced(loop))
    return;
  fd_reify_from<B>(loop, 0);
}

// The same through the backend's table, where the loop's backend is not
// known at compile time (an embedding loop prepares the embedded one).
struct backend_table_policy {
  static void modify(ev_loop *loop, int fd, fd_entry &, int oev, int nev, const int *)
  {
    loop->backend->modify(loop, fd, oev, nev);
  }
};
inline void fd_reify(ev_loop *loop) { fd_reify_with<backend_table_policy>(loop); }
// Queue every fd that has watchers for re-registration (after a fork or when
// a backend rebuilt its kernel state).
void fd_rearm_all(ev_loop *loop);
// The fd is invalid: stop all its watchers and feed them EV_ERROR|EV_READ|EV_WRITE.
void fd_kill(ev_loop *loop, int fd);
// The backend cannot watch anything for now (it has no kernel object): the
// program's watchers of fd are killed; the loop's own stay, to be watched
// again once the backend has a kernel object.
void fd_kill_user_watchers(ev_loop *loop, int fd);
// Kill every watched fd that is not open (a backend's EBADF may tell only
// that some fd is bad).
void fd_kill_invalid(ev_loop *loop);
// The loop got fd from the kernel for itself (see above).
void fd_claim(ev_loop *loop, int fd);

// A backend got fd (its new kernel object, or -1: none) from the kernel: it
// is what an embedding loop watches from now on, and the generation tells
// the embedding loop to register it anew even if the number is the same.
inline void set_backend_fd(ev_loop *loop, int fd)
{
  fd_claim(loop, fd);
  loop->backend_fd = fd;
  ++loop->backend_fd_generation;
}

// The closed-fd sweep, for backends that the kernel does not tell about a
// watched fd being closed (those whose backend_ops::sweeps is set).  Each
// step polls a bounded chunk of the watched fds (and moves watchers that
// ev_io_set changed while active, see io_relink, on every backend), so the
// work per step is bounded at any number of fds.  A new pass over the table
// starts kSweepPassIdle seconds after the last one when the loop is idle
// (its wait timed out with nothing pending), kSweepPassBusy when it is busy;
// a busy loop also makes kSweepBusyIterations iterations between two steps,
// so that the sweep's share of a busy loop's work stays small whatever the
// clock says (on average at most 2 fds polled per iteration), but waits for
// them no more than kSweepBusyLate seconds: a loop whose waits never time
// out and that iterates slowly (a frame loop calling EVRUN_NOWAIT at 10 Hz,
// an embedded loop, a server always woken by io) would otherwise take 256
// iterations, 25 s, for a step.  Each step is
// timed, and the next one waits until the sweep has taken no more than
// kSweepShare (a thousandth) of the loop's time, however much a poll() of an
// fd costs.  A loop blocked in its wait looks when it wakes up.
// An iteration pays no test of its own: the clock update after the wait
// (time_update_after_wait, loop/loop_run.cc) takes its slow path once mn_now reaches
// look_at and calls fd_sweep_due, which applies the rules above and which a
// busy loop reaches at most every kSweepLookInterval seconds.
inline constexpr unsigned kSweepBusyIterations = 256;
inline constexpr ev_tstamp kSweepBusyLate = 0.1;
inline constexpr ev_tstamp kSweepLookInterval = 0.001;
void fd_sweep_step(ev_loop *loop);
void fd_sweep_due(ev_loop *loop, bool idle);
// A new loop's first pass comes as if one had just ended: a loop that lives
// shorter than that (one made per request or per thread) takes no step.
void fd_sweep_start(ev_loop *loop);

// The loop's own io watchers: no reference, never the public start/stop.
void internal_io_start(ev_loop *loop, ev_io *w);
void internal_io_stop(ev_loop *loop, ev_io *w);

// Linking an io watcher into its fd's list and out of it, for ev_io's
// start and stop (watchers/io.cc) and the loop's own io watchers (fd.cc).
// Link a watcher that is already marked active into its fd's list and queue
// the fd.  EV__IOFDSET (set by ev_io_set) is consumed here and tells the
// backend that the number may now denote another open file.  (Every caller
// made sure the change queue has room, as io_unlink's did.)
inline void io_link(ev_loop *loop, ev_io *w)
{
  io_list_push(loop, w->fd, as_wl(w));
  loop->fds.change_with_room(w->fd, static_cast<unsigned char>(w->events & EV__IOFDSET));
  w->events &= ~EV__IOFDSET;
}

// Where w is linked when not under w->fd (fd.cc); null if nowhere.
[[gnu::cold]] WL *io_link_search(ev_loop *loop, ev_io *w, int &fd);

inline void io_unlink(ev_loop *loop, ev_io *w, const char *api)
{
  int fd = w->fd;
  bool in_table = static_cast<unsigned>(fd) < static_cast<unsigned>(loop->fds.size);
  WL *p = in_table ? io_list_link(loop, fd, as_wl(w)) : nullptr;
  if (!p && !(p = io_link_search(loop, w, fd)))
    usage_error(api, "fd", static_cast<long long>(w->fd),
                "libev: ev_io_stop called with illegal fd (must stay constant after start!)");
  io_list_unlink(loop, fd, p);
  loop->fds.change_with_room(fd, loop->fds.entries[fd].head ? kReifyQueued : kReifyEmptied);
}

// The table must reach fd, and the change queue needs room for one more;
// false when fd cannot be open (fd.cc).
bool io_make_room(ev_loop *loop, int fd);
// Put a misplaced watcher where its fields say it belongs now (fd.cc).
void io_relink(ev_loop *loop, ev_io *w);

// Debug mode's check of the watchers of one fd (diag/debug.cc), before
// fd_list_repair repairs them: declared here, where it is called, so that
// fd/ includes nothing above it.
#if EV_NG_DEBUG_MODE
void debug_check_fd(ev_loop *loop, int fd);
#else
inline void debug_check_fd(ev_loop *, int) {}
#endif

}  // namespace ev_detail
