// SPDX-License-Identifier: BSD-2-Clause
// fd/wakeup.cc - the loop's wake-up fd: protocol in wakeup.h, rules of every loop fd in loop_fd.h.
#include "fd/wakeup.h"
#include "fd/loop_fd.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>
#if EV_NG_HAVE_EVENTFD
#include <sys/eventfd.h>
#endif

namespace ev_detail {
#ifndef _WIN32
// (on Windows the pair is of sockets: base/win32.h)
inline ssize_t wakeup_read(int fd, void *buf, std::size_t len) { return ::read(fd, buf, len); }
inline ssize_t wakeup_write(int fd, const void *buf, std::size_t len) { return ::write(fd, buf, len); }
#endif

namespace {

// The internal io watcher's callback: drain the fd, then look at the flags.  It runs at EV_MAXPRI
// during the invocation pass, so the signal and async watchers it queues run in the same pass at
// their own priorities.  Fed EV_CUSTOM alone, it only looks at the flags.  An eventfd the backend
// reports edge-triggered is not read (open_fds).
void pipe_cb(EV_P_ ev_io *w, int revents)
{
  if ((revents & EV_READ) && !(w->events & kFdEdge) && loop->wakeup.fd >= 0) {
    uint64_t buf[8];
    if (!loop->wakeup_pipe_ino) {  // eventfd: one read resets the counter
      while (wakeup_read(loop->wakeup.fd, buf, sizeof buf[0]) < 0 && errno == EINTR) {
      }
    } else {  // pipe: read until empty
      while (wakeup_read(loop->wakeup.fd, buf, sizeof buf) == static_cast<ssize_t>(sizeof buf)) {
      }
    }
  }
  // Clearing the skipped mark before reading the flags accounts for a write a sender skipped, while
  // a later send sets it again.  Otherwise a send from a callback of this pass would queue this
  // watcher once more after the next poll, which libev 4.33 does not.
  store_before_loads(loop->pipe_write_skipped, 0);
  if (loop->sig_pending.load(std::memory_order_seq_cst)) {
    store_before_loads(loop->sig_pending, 0);
    signals_process(loop);
  }
  if (loop->async_pending.load(std::memory_order_seq_cst)) {
    store_before_loads(loop->async_pending, 0);
    asyncs_process(loop);
  }
}

// pipe2 where the system has it; elsewhere pipe and fcntl, which leave a
// moment in which another thread's fork and exec inherits the pipe.
int pipe_nonblock_cloexec(int p[2])
{
#if EV_NG_HAVE_PIPE2
  return pipe2(p, O_NONBLOCK | O_CLOEXEC);
#else
  if (::pipe(p) < 0)
    return -1;
  for (int i = 0; i < 2; ++i)
    if (::fcntl(p[i], F_SETFD, FD_CLOEXEC) < 0 || ::fcntl(p[i], F_SETFL, O_NONBLOCK) < 0) {
      close_fd(p[0]);
      close_fd(p[1]);
      return -1;
    }
  return 0;
#endif
}

// What tells the pipe's write end from a file that took its number later: its inode, or on Windows,
// where a socket's inode is 0, its handle.  0 for an fd that is neither.
std::uint32_t write_end_identity(int wfd)
{
#ifdef _WIN32
  const intptr_t handle = handle_of_fd(wfd);
  return handle == -1 ? 0 : static_cast<std::uint32_t>(handle);
#else
  struct stat st;
  return ::fstat(wfd, &st) == 0 && S_ISFIFO(st.st_mode) ? static_cast<std::uint32_t>(st.st_ino) : 0;
#endif
}

// Create the eventfd, or a pipe, and watch it; false if the system refuses.  Where the backend
// reports an fd edge-triggered (backend_ops::edge_triggered), the eventfd is watched with kFdEdge
// and never read, so a wake-up costs one system call less than libev 4.33's write, wait and read.
// An eventfd write wakes the waiters whatever the counter holds: each needed wake-up is reported
// once, and the counter never fills.  A new registration after a fork or rebuild reports the fd
// ready once with no flag set, as a spurious wake-up.  A pipe is drained, lest it refuse writes.
bool open_fds(ev_loop *loop)
{
  int rfd = -1, wfd = -1;
  loop->wakeup_pipe_ino = 0;
#if EV_NG_HAVE_EVENTFD
  rfd = wfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
#endif
  if (rfd >= 0 && loop->backend->edge_triggered && loop->backend->edge_triggered(loop)) {
    loop_fd_watch(loop, loop->wakeup, rfd, pipe_cb, EV_MAXPRI, EV_READ | kFdEdge);
    loop->wakeup_write_fd.store(wfd, std::memory_order_seq_cst);
    return true;
  }
  if (rfd < 0) {
    int p[2];
    if (pipe_nonblock_cloexec(p) < 0)
      return false;
    rfd = p[0];
    wfd = p[1];
    const std::uint32_t identity = write_end_identity(wfd);
    loop->wakeup_pipe_ino = identity ? identity : 1;  // (nonzero: a pipe, not an eventfd)
  }
  loop_fd_watch(loop, loop->wakeup, rfd, pipe_cb);
  loop->wakeup_write_fd.store(wfd, std::memory_order_seq_cst);
  return true;
}

// Create the fd; after a bounded number of refusals, reported to ev_syserr, do without (wakeup.h).
void create(ev_loop *loop)
{
  if (!retry_after_syserr("(libev) error creating signal/async pipe", [loop] { return open_fds(loop) ? 0 : -1; })) {
    loop->wakeup.fd = kLoopFdRefused;
    loop->wakeup_write_fd.store(-1, std::memory_order_seq_cst);
  }
  max_block_update(loop);
}

// The pipe's write end, unless the wake-up fd is an eventfd.  When the read end was closed behind
// our back, the write end is closed only if it still is our pipe.
void release_write_end(ev_loop *loop, bool ours)
{
  int wfd = loop->wakeup_write_fd.exchange(-1, std::memory_order_seq_cst);
  if (wfd < 0 || !loop->wakeup_pipe_ino)
    return;
  if (ours || write_end_identity(wfd) == loop->wakeup_pipe_ino)
    close_fd(wfd);
}

}  // namespace

void wakeup_init(ev_loop *loop, wakeup_user user)
{
  const bool libev_has_one = user == wakeup_user::kAsyncOrSignalHandler;
  if (loop->wakeup.fd >= 0) {
    // Made earlier for ev_feed_signal only.  libev 4.33 makes its fd now, an
    // fd change of the loop that an embedding loop sees, so ours shows too.
    if (libev_has_one && !loop->wakeup_in_libev) {
      loop->wakeup_in_libev = true;
      loop->fds.reserve_change();
      loop->fds.change(loop->wakeup.fd, kReifyQueued);
    }
    return;
  }
  loop->wakeup_in_libev = loop->wakeup_in_libev || libev_has_one;
  ev_io_init(&loop->wakeup.w, pipe_cb, -1, EV_READ);
  ev_set_priority(&loop->wakeup.w, EV_MAXPRI);
  // From now on every wait makes wakeup.h's handshake or, with the fd refused, polls the flags.
  work_set(loop, kWorkWakeup, true);
  create(loop);
  // A flag set by a send to an ev_async not yet started is seen after the next poll, as the sender
  // set pipe_write_skipped (wakeup_after_poll); as in libev 4.33, nothing is queued now.
}

void wakeup_destroy(ev_loop *loop)
{
  work_set(loop, kWorkWakeup, false);
  release_write_end(loop, true);
  loop_fd_close(loop, loop->wakeup);
}

// After a fork, since reading the eventfd shared with the parent would take the parent's wake-ups,
// or when it was lost.  A refused fd is tried again.
void wakeup_repair(ev_loop *loop, bool replace)
{
  if (loop->wakeup.fd == kLoopFdNone)
    return;  // never used
  bool lost = loop->wakeup.fd >= 0 && !loop->wakeup.w.active;
  if (loop->wakeup.fd >= 0 && !replace && !lost)
    return;
  release_write_end(loop, replace);
  loop_fd_release_for_repair(loop, loop->wakeup, replace);
  create(loop);
  // Something may have been signalled around the fork or while the fd was gone: look at the flags.
  // After a fork always if libev 4.33 has the fd too, whose internal watcher is pending in that
  // iteration, keeping idle watchers from running.
  if ((replace && loop->wakeup_in_libev) || loop->sig_pending.load() || loop->async_pending.load())
    feed(loop, as_w(&loop->wakeup.w), EV_CUSTOM);
}

void wakeup_signal(ev_loop *loop, std::atomic<int> &flag)
{
  if (flag.load(std::memory_order_seq_cst))
    return;  // already signalled and not yet seen by the loop

  flag.store(1, std::memory_order_seq_cst);
  store_before_loads(loop->pipe_write_skipped, 1);

  if (loop->pipe_write_wanted.load(std::memory_order_seq_cst)) {
    loop->pipe_write_skipped.store(0, std::memory_order_relaxed);
    int fd = loop->wakeup_write_fd.load(std::memory_order_seq_cst);
    if (fd < 0)
      return;                 // no fd: the loop polls the flags, see wakeup.h
    int saved_errno = errno;  // we may be in a signal handler
    // 8 bytes: what an eventfd needs; a pipe takes them as well
    uint64_t one = 1;
    while (wakeup_write(fd, &one, sizeof one) < 0 && errno == EINTR) {
    }
    errno = saved_errno;
  }
}

void wakeup_after_poll_slow(ev_loop *loop, bool skipped)
{
  // A sender set a flag but did not write, or the watcher is not active and
  // there is no fd: make the callback look at the flags.
  if (skipped) {
    loop->pipe_write_skipped.store(0, std::memory_order_seq_cst);
    feed(loop, as_w(&loop->wakeup.w), EV_CUSTOM);
  } else if (loop->sig_pending.load(std::memory_order_seq_cst) || loop->async_pending.load(std::memory_order_seq_cst))
    feed(loop, as_w(&loop->wakeup.w), EV_CUSTOM);
}

}  // namespace ev_detail
