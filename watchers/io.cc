// SPDX-License-Identifier: BSD-2-Clause
// watchers/io.cc - ev_io on the fd layer of fd/fd.h: starting and stopping
// only queue the fd for the next fd_reify(), see base/fdtable.h.
#include "diag/debug.h"
#include "fd/fd.h"

using namespace ev_detail;

// The rare halves of start and stop, reached by tail calls so that the common cases need no stack
// frame; both finish the job themselves.  The noinline and cold attributes here and in fd/fd.cc
// were measured together, since the compiler's inlining choices across them interact.  Debug mode
// closes the change queue's gate, so that every start and stop comes here.
//
// A start comes here when the fd table or the change queue must grow first; when the fd is beyond
// the table and not open, and the watcher is killed at once; or when ev_io_set gave a number one of
// the loop's own fds has, which was closed behind the loop's back and is the program's now.
static void io_start_any(struct ev_loop *loop, ev_io *w)
{
  int fd = w->fd;
  if (!io_make_room(loop, fd)) {
    clamp_priority(as_w(w));
    feed_error(loop, as_w(w), EV_ERROR | EV_READ | EV_WRITE);
    return;
  }
  if ((w->events & EV__IOFDSET) && io_list_may_hold_own(loop, fd))
    for (WL o = loop->fds.entries[fd].head; o;) {
      WL next = o->next;
      if (is_loop_member(loop, o)) {
        internal_io_stop(loop, reinterpret_cast<ev_io *>(o));
        request_repair(loop, kRepairLoopFds);
      }
      o = next;
    }
  if (io_list_link(loop, fd, as_wl(w)))
    reinitialised_while_active("ev_io_start", w, "fd", fd);
  loop->fds.reserve_change();
  start_watcher(loop, as_w(w), 1);
  io_link(loop, w);
  EV_FREQUENT_CHECK(loop);
}

[[gnu::noinline]] static void io_start_slow(struct ev_loop *loop, ev_io *w)
{
  if (debug_on(loop))
    return debug_wrap(loop, w, EV_IO, "ev_io_start", io_start_any);
  io_start_any(loop, w);
}

// Starting an active watcher does nothing but debug mode's check; one that ev_io_set moved while
// active, which ev(3) forbids, goes to its new fd: the start says what the program meant, and the
// loop may not look at the old fd before a wake-up.  libev 4.33 never reports the new fd.
[[gnu::noinline]] static void io_start_active(struct ev_loop *loop, ev_io *w)
{
  if (debug_on(loop))
    debug_before(loop, as_w(w), EV_IO, "ev_io_start");
  if (w->events & EV__IOFDSET) {
    loop->fds.reserve_change();
    io_unlink(loop, w, "ev_io_start");
    io_relink(loop, w);
  }
}

static void io_stop_any(struct ev_loop *loop, ev_io *w)
{
  if (!stop_begin(loop, as_w(w), "ev_io_stop"))
    return;
  loop->fds.reserve_change();
  io_unlink(loop, w, "ev_io_stop");
  stop_watcher(loop, as_w(w));
  EV_FREQUENT_CHECK(loop);
}

[[gnu::noinline]] static void io_stop_slow(struct ev_loop *loop, ev_io *w)
{
  if (debug_on_for_stop(loop, as_w(w)))
    return debug_wrap(loop, w, EV_IO, "ev_io_stop", io_stop_any);
  io_stop_any(loop, w);
}

extern "C" {

void ev_io_start(EV_P_ ev_io *w) noexcept
{
  if (w->active)
    return io_start_active(loop, w);

  const int fd = w->fd;
  if (fd < 0)
    usage_error("ev_io_start", "fd", static_cast<long long>(fd), "libev: ev_io_start called with negative fd");
  if (w->events & ~(EV__IOFDSET | EV_READ | EV_WRITE | EV_NG_EXCLUSIVE))
    usage_error("ev_io_start", "events", static_cast<long long>(w->events),
                "libev: ev_io_start called with illegal event mask");
  if (fd >= loop->fds.size || loop->fds.change_queue_full())
    return io_start_slow(loop, w);
  fd_entry &e = loop->fds.entries[fd];
  // The slow path looks at the list when another watcher is on a number given with ev_io_set, this
  // one is in it already, or the index may cover it (fd/io_list.h).
  if (e.head && ((w->events & EV__IOFDSET) || e.head == as_wl(w) || io_lists_indexed(loop)))
    return io_start_slow(loop, w);

  // io_link inlined by hand: its io_list_push may call the index, giving this path a stack frame.
  const auto renew = static_cast<unsigned char>(w->events & EV__IOFDSET);  // taken before the stores
  start_watcher(loop, as_w(w), 1);
  w->next = e.head;
  e.head = as_wl(w);
  loop->fds.change_with_room(fd, renew);
  w->events &= ~EV__IOFDSET;

  EV_FREQUENT_CHECK(loop);
}

void ev_io_stop(EV_P_ ev_io *w) noexcept
{
  const active_and_pending state(as_w(w));
  if (EV_UNLIKELY(!state.active_not_pending())) {
    if (state.neither())
      return;
    return io_stop_slow(loop, w);
  }
  if (loop->fds.change_queue_full())
    return io_stop_slow(loop, w);
  // The common case: the fd's newest watcher and no index; a walk or the index is the slow path's.
  int fd = w->fd;
  if (static_cast<unsigned>(fd) >= static_cast<unsigned>(loop->fds.size) || io_lists_indexed(loop))
    return io_stop_slow(loop, w);
  fd_entry &e = loop->fds.entries[fd];
  if (e.head != as_wl(w))
    return io_stop_slow(loop, w);

  e.head = w->next;
  loop->fds.change_with_room(fd, e.head ? kReifyQueued : kReifyEmptied);
  stop_watcher(loop, as_w(w));

  EV_FREQUENT_CHECK(loop);
}

// As if the fd had reported revents; each watcher gets only the events it asked for.
void ev_feed_fd_event(EV_P_ int fd, int revents) noexcept
{
  if (debug_on(loop))
    debug_check_call(loop, "ev_feed_fd_event", nullptr);
  if (fd >= 0 && fd < loop->fds.size)
    fd_event(loop, fd, revents);
}

}  // extern "C"
