// SPDX-License-Identifier: BSD-2-Clause
// fd/fd.h - the io watcher layer as the rest of the library sees it: applying fd changes to the
// backend, dispatching readiness, and what happens to watchers whose fd is bad (ev(3)'s ev_io).
//
// The rules enforced here, for every backend:
//  - An fd that is not open never aborts the process and is never silently ignored: fd_kill stops
//    its watchers and gives them EV_ERROR|EV_READ|EV_WRITE; libev 4.33 does so on one backend only.
//  - fd_kill never treats the loop's own io watchers as user watchers: their fd was closed behind
//    the loop's back, and fd/loop_fd.h's rules apply.
#pragma once

#include "fd/io_list.h"

#include <cerrno>

namespace ev_detail {

// The backend reports events on fd: each watcher gets its share, newest first, so that LIFO
// invocation runs them in start order.
inline void fd_event(ev_loop *loop, int fd, int revents)
{
  for (WL w = loop->fds.entries[fd].head; w; w = w->next) {
    int ev = reinterpret_cast<ev_io *>(w)->events & revents;
    if (ev)
      feed(loop, as_w(w), ev);
  }
}

// w, in fd's list, was re-initialised or moved by ev_io_set while active: fd or EV__IOFDSET tell.
inline bool io_misplaced(const ev_io *w, int fd) { return w->fd != fd || (w->events & EV__IOFDSET); }

// The longest list fd_list_events walks; fd_list_repair walks longer ones and looks for cycles.
inline constexpr int kPlainListMax = 256;

// fd_list_events for a list with a misplaced or re-initialised watcher, or a long one (fd.cc).
unsigned char fd_list_repair(ev_loop *loop, int fd);

// The union of the events fd's watchers want: one short loop for a short list of well-formed
// watchers; anything unusual is fd_list_repair's.  The caller reads `head` before it stores a byte
// of the fd's entry, which the compiler must assume changed the table.
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

// The changes queued while fd_reify_from applied the queue from `first` to `done` (fd.cc): those of
// moves are applied too, the others kept.
void fd_changes_keep_rest(ev_loop *loop, int first, int done);

// Apply the queued changes from the `first`-th on to backend policy B: each fd's union of wanted
// events goes to B's modify if it changed or must be registered anew; &errno is taken once.
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

    // moving a misplaced watcher may grow the table, so e is stale after this
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
  // In a child nobody told of the fork, the kernel state is the parent's: wait for ev_run's repair.
  if (fork_unannounced(loop))
    return;
  fd_reify_from<B>(loop, 0);
}

// A policy (backends/backend.h) calling the backend through its table, where it is not known at
// compile time: an embedding loop preparing the embedded one, and the iteration of backends without
// one of their own (loop/loop_run.cc).  The table's poll calls the hooks itself.
struct backend_table_policy {
  static void modify(ev_loop *loop, int fd, fd_entry &, int oev, int nev, const int *)
  {
    loop->backend->modify(loop, fd, oev, nev);
  }
  static void wait(ev_loop *loop, ev_tstamp timeout, bool) { loop->backend->poll(loop, timeout); }
};
inline void fd_reify(ev_loop *loop) { fd_reify_with<backend_table_policy>(loop); }
// Queue every fd with watchers for re-registration, after a fork or a rebuild of kernel state.
void fd_rearm_all(ev_loop *loop);
// The fd is invalid: stop all its watchers and feed them EV_ERROR|EV_READ|EV_WRITE.
void fd_kill(ev_loop *loop, int fd);
// No kernel object for now: kill the program's watchers of fd; the loop's own wait for a new one.
void fd_kill_user_watchers(ev_loop *loop, int fd);
// The same for every fd, when a backend's repair got no kernel object (backend_ops::fork).
void fd_kill_every_user_watcher(ev_loop *loop);
// Kill every watched fd that is not open, since a backend's EBADF may not say which fd is bad.
void fd_kill_invalid(ev_loop *loop);
// The loop got fd from the kernel for itself, so user watchers still on the number watched a closed
// fd: they are killed, not given the loop's readiness.
void fd_claim(ev_loop *loop, int fd);

// A backend got fd, its new kernel object or -1 for none.  An embedding loop watches it from now
// on; the generation tells that loop to register it anew even if the number is the same.
inline void set_backend_fd(ev_loop *loop, int fd)
{
  fd_claim(loop, fd);
  loop->backend_fd = fd;
  ++loop->backend_fd_generation;
}

// The closed-fd sweep, for backends whose kernel hides a watched fd's close (backend_ops::sweeps).
// Each step polls a bounded chunk of the watched fds and, on every backend, moves watchers that
// ev_io_set changed while active (io_relink).  A new pass starts kSweepPassIdle after the last if
// the wait timed out with nothing pending, else kSweepPassBusy.  A busy loop also makes
// kSweepBusyIterations iterations between two steps, so the sweep's share stays small whatever the
// clock says, but waits at most kSweepBusyLate for them, for slow loops whose waits never time out.
// fd.cc times each step against kSweepShare.  An iteration pays no test of its own: the clock
// update after the block takes its slow path when a step may be due (look_at) and for the
// half-second re-measure of the wall clock, and from idle_at on calls fd_sweep_due, which counts
// the iterations there.  So a busy loop's clock takes its slow path at most twice a step.
inline constexpr unsigned kSweepBusyIterations = 256;
inline constexpr ev_tstamp kSweepBusyLate = 0.1;
void fd_sweep_step(ev_loop *loop);
void fd_sweep_due(ev_loop *loop, bool idle);
// A new loop starts as if a pass just ended: a loop made per request or thread takes no step.
void fd_sweep_start(ev_loop *loop);

// The loop's own io watchers: no reference, never the public start/stop.
void internal_io_start(ev_loop *loop, ev_io *w);
void internal_io_stop(ev_loop *loop, ev_io *w);

// io_link and io_unlink serve ev_io's start and stop (watchers/io.cc) and the loop's own io
// watchers (fd.cc).  io_link links a watcher already marked active and queues the fd; it consumes
// ev_io_set's EV__IOFDSET, which tells the backend that the number may now denote another open
// file.  Every caller made sure the change queue has room, as io_unlink's did.
inline void io_link(ev_loop *loop, ev_io *w)
{
  io_list_push(loop, w->fd, as_wl(w));
  loop->fds.change_with_room(w->fd, static_cast<unsigned char>(w->events & EV__IOFDSET));
  w->events &= ~EV__IOFDSET;
}

// Where w is linked when not under w->fd, or null (fd.cc).
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

// Make the table reach fd and room in the change queue for one more; false if fd cannot be open.
bool io_make_room(ev_loop *loop, int fd);
// Put a misplaced watcher where its fields say it belongs now (fd.cc).
void io_relink(ev_loop *loop, ev_io *w);

// fd_kill met w: if it is a stream's readiness watcher, the stream gets EV_ERROR with EBADF from
// it (fd/stream.cc), and the answer is true; declared here, where it is called, so that the fd
// layer's base includes nothing of the streams built on it.
#if EV_NG_STREAMS
bool stream_io_killed(ev_loop *loop, WL w);
// Whether w is a stream's readiness watcher: where a backend's engine does the stream's I/O it asks
// for no events, and the closed-fd sweep looks at its fd all the same.
bool stream_io_swept(WL w);
#else
inline bool stream_io_killed(ev_loop *, WL) { return false; }
inline bool stream_io_swept(WL) { return false; }
#endif

// Debug mode's check of one fd's watchers (diag/debug.cc) before fd_list_repair repairs them;
// declared here, where it is called, so that fd/ includes nothing above it.
#if EV_NG_DEBUG_MODE
void debug_check_fd(ev_loop *loop, int fd);
#else
inline void debug_check_fd(ev_loop *, int) {}
#endif

}  // namespace ev_detail
