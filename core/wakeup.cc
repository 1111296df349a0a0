// core/wakeup.cc - the loop's wake-up fd (see wakeup.h for the protocol).
#include "loop.h"

#include <cerrno>
#include <fcntl.h>
#include <unistd.h>
#ifdef HAVE_SYS_EVENTFD_H
# include <sys/eventfd.h>
#endif

namespace ev_detail {
namespace {

// The internal io watcher's callback: drain the fd, then look at the flags.
// It runs at EV_MAXPRI during the invocation pass, so the signal and async
// watchers it queues run in the same pass at their own priorities.
void pipe_cb(ev_loop *loop, ev_io *, int revents)
{
  if (revents & EV_READ) {
    if (loop->evpipe[1] == loop->evpipe[0]) {
      uint64_t counter;
      while (::read(loop->evpipe[0], &counter, sizeof counter) < 0 && errno == EINTR) {
      }
    } else {
      char buf[64];
      while (::read(loop->evpipe[0], buf, sizeof buf) == static_cast<ssize_t>(sizeof buf)) {
      }
    }
  }
  if (loop->sig_pending.load(std::memory_order_seq_cst)) {
    loop->sig_pending.store(0, std::memory_order_seq_cst);
    signals_process(loop);
  }
  if (loop->async_pending.load(std::memory_order_seq_cst)) {
    loop->async_pending.store(0, std::memory_order_seq_cst);
    asyncs_process(loop);
  }
}

// Create the eventfd (or pipe) into evpipe; false if the system refuses.
bool open_fds(ev_loop *loop)
{
#ifdef HAVE_EVENTFD
  int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd >= 0) {
    loop->evpipe[0] = loop->evpipe[1] = fd;
    return true;
  }
#endif
  int p[2];
  if (pipe2(p, O_NONBLOCK | O_CLOEXEC) < 0)
    return false;
  loop->evpipe[0] = p[0];
  loop->evpipe[1] = p[1];
  return true;
}

void close_fds(ev_loop *loop)
{
  if (loop->evpipe[0] >= 0)
    ::close(loop->evpipe[0]);
  if (loop->evpipe[1] >= 0 && loop->evpipe[1] != loop->evpipe[0])
    ::close(loop->evpipe[1]);
  loop->evpipe[0] = loop->evpipe[1] = -1;
}

void start_watcher_on_fd(ev_loop *loop)
{
  ev_io_init(&loop->pipe_w, pipe_cb, loop->evpipe[0], EV_READ);
  ev_set_priority(&loop->pipe_w, EV_MAXPRI);
  start_internal_io(loop, &loop->pipe_w);
  loop->extras |= kExtraWakeup;
}

}  // namespace

void wakeup_init(ev_loop *loop)
{
  if (loop->pipe_w.active)
    return;
  while (!open_fds(loop))
    ev_syserr("(libev) error creating signal/async pipe");
  start_watcher_on_fd(loop);
  // A send to a not yet started ev_async (or an early signal) may have set a
  // flag while there was no fd to write to: make sure it is looked at.
  if (loop->sig_pending.load() || loop->async_pending.load())
    feed(loop, as_w(&loop->pipe_w), EV_CUSTOM);
}

void wakeup_destroy(ev_loop *loop)
{
  stop_internal_io(loop, &loop->pipe_w);
  close_fds(loop);
  loop->extras &= ~kExtraWakeup;
}

void wakeup_fork(ev_loop *loop)
{
  if (!loop->pipe_w.active)
    return;
  stop_internal_io(loop, &loop->pipe_w);
  close_fds(loop);
  while (!open_fds(loop))
    ev_syserr("(libev) error creating signal/async pipe");
  start_watcher_on_fd(loop);
  // Something may have been signalled around the fork: look at the flags.
  feed(loop, as_w(&loop->pipe_w), EV_CUSTOM);
}

void wakeup_signal(ev_loop *loop, std::atomic<int> &flag)
{
  if (flag.load(std::memory_order_seq_cst))
    return;  // already signalled and not yet seen by the loop

  flag.store(1, std::memory_order_seq_cst);
  loop->pipe_write_skipped.store(1, std::memory_order_seq_cst);

  if (loop->pipe_write_wanted.load(std::memory_order_seq_cst)) {
    loop->pipe_write_skipped.store(0, std::memory_order_relaxed);
    int saved_errno = errno;  // we may be in a signal handler
    int fd = loop->evpipe[1];
    if (fd == loop->evpipe[0]) {
      uint64_t one = 1;
      while (::write(fd, &one, sizeof one) < 0 && errno == EINTR) {
      }
    } else {
      char one = 1;
      while (::write(fd, &one, 1) < 0 && errno == EINTR) {
      }
    }
    errno = saved_errno;
  }
}

void wakeup_after_poll(ev_loop *loop)
{
  // A sender set a flag but did not write: make the callback look at them.
  if (EV_UNLIKELY(loop->pipe_write_skipped.load(std::memory_order_seq_cst))) {
    loop->pipe_write_skipped.store(0, std::memory_order_seq_cst);
    // (without the fd nobody but a stopped ev_async can have sent: nothing to do)
    if (loop->pipe_w.active)
      feed(loop, as_w(&loop->pipe_w), EV_CUSTOM);
  }
}

}  // namespace ev_detail
