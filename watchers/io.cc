// watchers/io.cc - ev_io (ev(3) "ev_io - is this file descriptor readable
// or writable?").  Starting and stopping only queue the fd for the next
// fd_reify(); see core/fdtable.h.
#include "loop.h"

using namespace ev_detail;

// The rare halves of start and stop, reached by tail calls so that the
// common cases need no stack frame (they are the re-arm path of every
// server): the fd table or the change queue must grow first, or the watcher
// to stop is pending.  Both come back to the common case.
[[gnu::noinline]] static void io_start_growing(struct ev_loop *loop, ev_io *w)
{
  loop->fds.reserve(w->fd);
  loop->fds.reserve_change();
  ev_io_start(loop, w);
}

[[gnu::noinline]] static void io_stop_slow(struct ev_loop *loop, ev_io *w)
{
  clear_pending(loop, as_w(w));
  loop->fds.reserve_change();
  ev_io_stop(loop, w);
}

extern "C" {

void ev_io_start(struct ev_loop *loop, ev_io *w) noexcept
{
  if (EV_UNLIKELY(w->active))
    return;

  int fd = w->fd;
  if (EV_UNLIKELY(fd < 0))
    usage_error("ev_io_start", "fd", static_cast<long long>(fd), "libev: ev_io_start called with negative fd");
  if (EV_UNLIKELY(w->events & ~(EV__IOFDSET | EV_READ | EV_WRITE)))
    usage_error("ev_io_start", "events", static_cast<long long>(w->events),
                "libev: ev_io_start called with illegal event mask");
  if (EV_UNLIKELY(fd >= loop->fds.size || loop->fds.change_queue_full()))
    return io_start_growing(loop, w);

  start_watcher(loop, as_w(w), 1);
  wlist_add(&loop->fds.entries[fd].head, as_wl(w));

  // EV__IOFDSET (set by ev_io_set) is consumed here and tells the backend
  // that the number may now denote another open file.
  loop->fds.change(fd, static_cast<unsigned char>(w->events & EV__IOFDSET));
  w->events &= ~EV__IOFDSET;

  EV_FREQUENT_CHECK(loop);
}

void ev_io_stop(struct ev_loop *loop, ev_io *w) noexcept
{
  if (EV_UNLIKELY(w->pending || loop->fds.change_queue_full()))
    return io_stop_slow(loop, w);
  if (EV_UNLIKELY(!w->active))
    return;

  int fd = w->fd;
  WL *head = fd >= 0 && fd < loop->fds.size ? &loop->fds.entries[fd].head : nullptr;
  WL *p = head;
  while (p && *p && *p != as_wl(w))
    p = &(*p)->next;
  if (EV_UNLIKELY(!p || !*p))
    usage_error("ev_io_stop", "fd", static_cast<long long>(fd),
                "libev: ev_io_stop called with illegal fd (must stay constant after start!)");
  *p = w->next;

  stop_watcher(loop, as_w(w));
  loop->fds.change(fd, kReifyQueued);

  EV_FREQUENT_CHECK(loop);
}

}  // extern "C"
