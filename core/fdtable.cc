// core/fdtable.cc - applying fd changes, dispatching fd events, and what
// happens to watchers whose fd is invalid.
//
// An invalid fd never aborts the process and is never silently ignored: its
// watchers are stopped and receive EV_ERROR|EV_READ|EV_WRITE ("fd kill"), on
// every backend.  (libev 4.33 does this with select only; with poll and
// epoll it aborts, and under epoll it silently drops a closed fd.)
#include "loop.h"

#include <cerrno>
#include <poll.h>

namespace ev_detail {

void fd_reify(ev_loop *loop)
{
  fd_table &t = loop->fds;
  const int n = t.changes.count;

  for (int i = 0; i < n; ++i) {
    int fd = t.changes.data[i];
    fd_entry &e = t.entries[fd];
    unsigned char o_reify = e.reify;
    unsigned char o_events = e.events;

    unsigned char events = 0;
    for (WL w = e.head; w; w = w->next)
      events = static_cast<unsigned char>(events | reinterpret_cast<ev_io *>(w)->events);
    events &= EV_READ | EV_WRITE;

    e.reify = 0;
    e.events = events;
    if (o_events != events || (o_reify & EV__IOFDSET))
      loop->backend->modify(loop, fd, o_events, events | (o_reify & EV__IOFDSET));
  }

  // modify() may have killed an fd, whose watcher stops queued it again:
  // keep those entries for the next iteration.
  int rest = t.changes.count - n;
  if (rest)
    std::memmove(t.changes.data, t.changes.data + n, sizeof(int) * static_cast<std::size_t>(rest));
  t.changes.count = rest;
}

void fd_rearm_all(ev_loop *loop)
{
  fd_table &t = loop->fds;
  for (int fd = 0; fd < t.size; ++fd)
    if (t.entries[fd].head) {
      t.entries[fd].events = 0;
      t.change(fd, EV__IOFDSET);
    }
}

void fd_kill(ev_loop *loop, int fd)
{
  while (WL w = loop->fds.entries[fd].head) {
    ev_io_stop(loop, reinterpret_cast<ev_io *>(w));
    feed(loop, as_w(w), EV_ERROR | EV_READ | EV_WRITE);
  }
}

void fd_kill_invalid(ev_loop *loop)
{
  fd_table &t = loop->fds;

  // One poll() with a zero timeout tells for all fds at once which are not
  // open (POLLNVAL), instead of one fcntl() per fd.
  int n = 0;
  for (int fd = 0; fd < t.size; ++fd)
    if (t.entries[fd].head)
      ++n;
  if (!n)
    return;

  auto *pfds = static_cast<struct pollfd *>(ev_realloc(nullptr, sizeof(struct pollfd) * static_cast<std::size_t>(n)));
  int i = 0;
  for (int fd = 0; fd < t.size && i < n; ++fd)
    if (t.entries[fd].head) {
      pfds[i].fd = fd;
      pfds[i].events = 0;
      pfds[i].revents = 0;
      ++i;
    }

  int res;
  do
    res = ::poll(pfds, static_cast<nfds_t>(n), 0);
  while (res < 0 && errno == EINTR);

  if (res > 0)
    for (i = 0; i < n; ++i)
      if (pfds[i].revents & POLLNVAL)
        fd_kill(loop, pfds[i].fd);
  ev_free(pfds);
}

}  // namespace ev_detail

extern "C" {

// ev(3) OTHER FUNCTIONS: as if the fd had reported revents; each watcher
// gets only the events it asked for.
void ev_feed_fd_event(struct ev_loop *loop, int fd, int revents) noexcept
{
  if (fd >= 0 && fd < loop->fds.size)
    ev_detail::fd_event(loop, fd, revents);
}

}  // extern "C"
