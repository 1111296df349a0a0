// SPDX-License-Identifier: BSD-2-Clause
// backends/epoll.cc - the Linux epoll(7) backend (EVBACKEND_EPOLL).
//
// Kernel quirks handled here:
//  (a) Registrations belong to open files, not fd numbers: after a close, a dup or a forked child
//      keeps the old registration reporting under the old number.  backends/epoll_set.h's rules 1
//      and 2 (a generation in every registration) tell its events apart; it cannot be removed by
//      number, so the whole set is rebuilt.  Unlike libev, no fork watchers run for it.
//  (b) The kernel silently forgets a closed fd; the loop's closed-fd sweep (fd/fd.h) finds such
//      numbers and gives their watchers EV_ERROR.
//  (c) Regular files and some devices such as /dev/null cannot be added (EPERM).  As in libev, they
//      are always ready (epoll_set.h's rule 5), and the loop does not block meanwhile.
//  (d) A forked child shares the parent's set, so it makes its own and registers everything again,
//      also when nobody called ev_loop_fork, as loop/fork_guard.h detects; else its EPOLL_CTL_DEL
//      would remove the parent's fds.  The old set is closed first so that a new one exists even at
//      the fd limit; an embedding loop sees backend_fd_generation change.
//  (e) A stop leaves the registration in place (epoll_set.h's rule 3).  Once an fd had no watcher
//      at a reify, its number may have been closed and reused, so a later start tries EPOLL_CTL_ADD
//      first (register_again); libev 4.33 trusts its cache and never reports the new file's events.
//      ev_io_set, or a stop of the last watcher and a start before the reify, voids the cache at
//      once (kReifyEmptied).
//  (f) EPOLLERR and EPOLLHUP come even unasked: epoll_set.h's rule 4.
//  (g) With nothing registered, a zero-timeout epoll_wait cannot report anything, so an
//      EVRUN_NOWAIT iteration of a timers-only loop makes no system call, where libev makes one; a
//      stale registration (a) is not counted, as its events would only ask for a rebuild.  Such
//      loops take the general branch of epoll_policy::wait, so that the common poll tests nothing
//      for them, and return there.
//  (h) When the epoll fd is closed behind the loop's back (EBADF) or its number is another file
//      (EINVAL), the set is lost: a new one is made and the old number, no longer ours, is left
//      open.  While none can be had, every watcher gets EV_ERROR and the loop sleeps instead of
//      polling, trying again each time.
//  (i) EVFLAG_NG_PRECISE_TIMERS: epoll_wait counts whole milliseconds, epoll_pwait2 takes a
//      timespec; where the kernel or a sandbox refuses that with ENOSYS or EPERM, epoll_wait stays.
//  (j) The EV_NG_EXCLUSIVE extension registers the fd with EPOLLEXCLUSIVE, so that the kernel wakes
//      one of the sets waiting on it rather than all.  Such a registration can only be added, never
//      modified (EINVAL), so every change of it is a DEL and an ADD.
//  (k) When a watched fd is closed and its number reused at once, say by an accept, the new file
//      has no registration and nothing is ever reported, as in libev 4.33; poll() sees an open fd,
//      so (b) misses it.  The sweep rechecks fds that poll() finds ready while their watchers got
//      nothing (epoll_recheck): EPOLL_CTL_MOD answers ENOENT and the watchers get EV_ERROR.
#include "backends/epoll_inline.h"

#include <fcntl.h>
#include <linux/time_types.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <cerrno>

namespace ev_detail::epoll_internal {
namespace {

// Every change of fd_entry::bmask goes through here, to keep the count of (g).
inline void set_registered(epoll_state *st, fd_entry &e, int mask)
{
  st->registered += (mask != 0) - (e.bmask != 0);
  e.bmask = static_cast<unsigned char>(mask);
  update_general(st);
}

int create_epoll_fd() { return epoll_create1(EPOLL_CLOEXEC); }

bool epoll_init(ev_loop *loop)
{
  int epfd = create_epoll_fd();
  if (epfd < 0)
    return false;
  epoll_state *st = backend_state_new<epoll_state>(loop->backend_state);
  st->epfd = epfd;
  st->capacity = 64;
  st->precise = loop->flags & EVFLAG_NG_PRECISE_TIMERS;
  update_general(st);
  st->events = static_cast<struct epoll_event *>(ev_realloc(nullptr, sizeof(struct epoll_event) * 64));
  set_backend_fd(loop, epfd);
  return true;
}

void epoll_destroy(ev_loop *loop)
{
  epoll_state *st = state(loop);
  if (!st)
    return;
  if (st->epfd >= 0 && !st->lost)
    ::close(st->epfd);
  ev_free(st->events);
  st->always_ready.release();
  backend_state_free(loop->backend_state);
  loop->backend_fd = -1;
}

// Register ev for fd, which e.bmask says is registered though the number may be a new file (e).
// If the kernel should have ev already, or the fd had no watchers at the last reify, a new file is
// likely: ADD first; EEXIST, the same file, keeps its registration or gets a MOD.  Else MOD first,
// ENOENT leading to an ADD: one call in the likely case, never more than libev 4.33.  0 or errno.
inline int register_again(epoll_state *st, int fd, fd_entry &e, int ev, int oev)
{
  if (e.bmask == ev)
    return add_unless_registered(st, fd, e, ev);
  if (!oev) {
    int err = add_new_file(st, fd, e, ev);
    return err == EEXIST ? ctl(st, EPOLL_CTL_MOD, fd, ev, e.bdata) : err;
  }
  int err = ctl(st, EPOLL_CTL_MOD, fd, ev, e.bdata);
  return err == ENOENT ? add_new_file(st, fd, e, ev) : err;
}

// A registration that is or becomes exclusive (j): whatever the kernel has under the number goes,
// then a new one is added; the exclusive bit alone waits for nothing, so nev becomes 0.  noinline
// keeps this rare case out of modify_registration's frame.
[[gnu::noinline]] int register_anew(epoll_state *st, int fd, fd_entry &e, int &nev)
{
  ctl(st, EPOLL_CTL_DEL, fd, 0, e.bdata);  // ENOENT: nothing there
  if (!(nev & (EV_READ | EV_WRITE))) {
    nev = 0;
    return 0;
  }
  int err = ctl(st, EPOLL_CTL_ADD, fd, nev, next_gen(e.bdata));
  if (!err)
    e.bdata = next_gen(e.bdata);
  return err;
}

}  // namespace

}  // namespace ev_detail::epoll_internal

namespace ev_detail::epoll_set {

// An EBADF or EINVAL: was it the fd's, or is the epoll fd not ours any more (h)?  The kernel checks
// the target before the kind of epfd's file, so the DEL that asks names a new epoll fd, open,
// pollable and surely not in the set: an epoll set answers ENOENT, any other file EINVAL.  If no
// such fd can be had, the error is taken for the fd's.
bool set_lost_by_wait(ev_tstamp timeout)
{
  const int err = errno;
  if (err == EBADF || err == EINVAL)
    return true;
  if (err != EINTR)
    wait_failed("(libev) epoll_wait", timeout);
  return false;
}

void report_always_ready(ev_loop *loop, const int *fds, int count)
{
  for (int i = 0; i < count; ++i)
    if (const int events = loop->fds.entries[fds[i]].events & (EV_READ | EV_WRITE))
      fd_event(loop, fds[i], events);
}

int wait_pwait2(int epfd, struct epoll_event *events, int capacity, ev_tstamp timeout)
{
#if EV_NG_HAVE_SYSCALL && defined(SYS_epoll_pwait2)
  // The system call takes the kernel's 64-bit timespec on every architecture; a 32-bit struct
  // timespec would be read wrong, and a lost set taken for the EINVAL.
  const struct timespec t = timeout_to_timespec(timeout);
  __kernel_timespec ts;
  ts.tv_sec = t.tv_sec;
  ts.tv_nsec = t.tv_nsec;
  const long n = ::syscall(SYS_epoll_pwait2, epfd, events, capacity, &ts, nullptr, 0);
  if (n >= 0 || (errno != ENOSYS && errno != EPERM))
    return static_cast<int>(n);
#else
  (void)epfd, (void)events, (void)capacity, (void)timeout;
#endif
  errno = ENOSYS;
  return -1;
}

refusal refusal_of(int epfd, int err)
{
  if (err == EPERM)
    return refusal::kRegularFile;
  if (err != EBADF && err != EINVAL)
    return refusal::kFd;
  if (::fcntl(epfd, F_GETFD) < 0 && errno == EBADF)
    return refusal::kSetLost;
  const int probe = epoll_internal::create_epoll_fd();
  if (probe < 0)
    return refusal::kFd;
  const bool lost = epoll_ctl(epfd, EPOLL_CTL_DEL, probe, nullptr) < 0 && errno == EINVAL;
  ::close(probe);
  return lost ? refusal::kSetLost : refusal::kFd;
}

}  // namespace ev_detail::epoll_set

namespace ev_detail::epoll_internal {

// The cases epoll_policy::modify leaves to the kernel: the number may be a new open file, it is a
// regular file (c), or the kernel's registration is not the one wanted.
void modify_registration(ev_loop *loop, int fd, int oev, int nev)
{
  epoll_state *st = state(loop);
  fd_entry &e = loop->fds.entries[fd];
  const bool renewed = nev & EV__IOFDSET;  // the number may be a new open file
  nev &= kFdEvents;                        // EV_NG_EXCLUSIVE alone wants nothing: register_anew

  // Nothing wanted: lazy removal (e), even when the number may be a new file (a server closing a
  // connection it just re-armed).  The registration stays counted so that no wait is skipped for it
  // (g); the next start checks with an ADD, and an old file's event finds no watchers
  // (drop_unwanted).  A DEL would mostly meet a closed fd, a system call libev 4.33 does not make.
  // No epoll set (h): without one no fd has a registration or kAlwaysReady (epoll_fork), so the
  // earlier cases end as they would have.
  if (!change_begins(loop, fd, e, oev, static_cast<unsigned>(nev), renewed, st->epfd >= 0, st->always_ready,
                     [st] { update_general(st); }))
    return;

  int err;
  if (e.bmask) {
    err = register_again(st, fd, e, nev, oev);
  } else {
    err = ctl(st, EPOLL_CTL_ADD, fd, nev, next_gen(e.bdata));
    if (!err)
      e.bdata = next_gen(e.bdata);
    else if (err == EEXIST)  // the same open file, registered before
      err = ctl(st, EPOLL_CTL_MOD, fd, nev, e.bdata);
  }
  // A registration that is or becomes exclusive cannot be modified (j).  The kernel's EINVAL tells,
  // so that the common case pays nothing for the extension.
  if (EV_UNLIKELY(err == EINVAL) && ((e.bmask | nev) & EV_NG_EXCLUSIVE))
    err = register_anew(st, fd, e, nev);

  if (EV_LIKELY(!err)) {
    set_registered(st, e, nev);
    return;
  }

  set_registered(st, e, 0);
  switch (refusal_of(st->epfd, err)) {
  case refusal::kRegularFile:  // see (c)
    st->always_ready.enter(e, fd);
    update_general(st);
    return;
  case refusal::kSetLost:  // see (h): the fd is registered again after the rebuild
    st->lost = true;
    request_backend_rebuild(loop);
    return;
  case refusal::kFd: fd_kill(loop, fd); return;
  }
}

// Events arrived that no watcher wants any more: update the kernel.  A registration that a dup
// keeps alive after a close cannot be reached by number; only a rebuild removes it.
void drop_unwanted(ev_loop *loop, epoll_state *st, int fd, fd_entry &e)
{
  int want = (e.events & (EV_READ | EV_WRITE)) ? e.events & kFdEvents : 0;
  int err;
  if (want && ((want | e.bmask) & EV_NG_EXCLUSIVE))
    err = register_anew(st, fd, e, want);
  else
    err = ctl(st, want ? EPOLL_CTL_MOD : EPOLL_CTL_DEL, fd, want, e.bdata);
  set_registered(st, e, want);
  if (err)
    request_backend_rebuild(loop);
}

// A full buffer: there may be more; make room for next time.
void grow_events(epoll_state *st)
{
  st->capacity *= 2;
  st->events = static_cast<struct epoll_event *>(
      ev_realloc(st->events, sizeof(struct epoll_event) * static_cast<std::size_t>(st->capacity)));
}

namespace {

// The wait of (i), in nanoseconds.  noinline: a rare case, kept out of the general poll.
[[gnu::noinline]] int wait_precisely(ev_loop *loop, epoll_state *st, ev_tstamp timeout)
{
  if (!(timeout > 0.))
    return wait_for_events(st, timeout);
  const int n = wait_pwait2(st->epfd, st->events, st->capacity, timeout);
  if (n >= 0 || errno != ENOSYS)
    return n;
  st->precise = false;
  loop->backend_mintime = loop->backend->mintime;
  return wait_for_events(st, timeout);
}

}  // namespace

// A failed wait: EINTR returns quietly; a lost epoll fd is replaced in the next iteration (h);
// anything else is reported (backend.h).
void wait_error(ev_loop *loop, epoll_state *st, ev_tstamp timeout)
{
  if (set_lost_by_wait(timeout)) {
    st->lost = true;
    request_backend_rebuild(loop);
  }
}

namespace {

// No epoll set, see (h): try to get one; meanwhile sleep a little at a time.
void poll_without_set(ev_loop *loop, epoll_state *st, ev_tstamp timeout)
{
  int epfd = create_epoll_fd();
  if (epfd >= 0) {
    st->epfd = epfd;
    set_backend_fd(loop, epfd);
    fd_rearm_all(loop);  // registered in the next iteration
    return;
  }
  sleep_instead_of_waiting(loop, timeout);
}

}  // namespace

// The poll with everything rare: always-ready fds (c), hooks, precise waits (i).  noinline keeps
// them out of the inline poll that calls it.
[[gnu::noinline]] void epoll_poll_general(ev_loop *loop, epoll_state *st, ev_tstamp timeout)
{
  if (st->epfd < 0)
    return poll_without_set(loop, st, timeout);  // general stays: the new set is not used yet
  const bool always_ready = st->always_ready.any();
  if (always_ready)
    timeout = 0.;
  // Nothing to wait for and nothing registered, see (g): no system call.
  auto wait = [loop, st, timeout] {
    return !st->registered && !(timeout > 0.) ? 0
           : EV_UNLIKELY(st->precise)         ? wait_precisely(loop, st, timeout)
                                              : wait_for_events(st, timeout);
  };
  int n = member_has_work(loop, kWorkHooks) ? hooked_wait(loop, -1, wait) : wait();
  take_events(loop, st, n, timeout);
  if (always_ready && n >= 0)
    st->always_ready.report(loop);  // see (c)
  update_general(st);
}

namespace {

void epoll_fork(ev_loop *loop)
{
  epoll_state *st = state(loop);
  // Close-first, see (d); a lost fd is not ours to close, see (h).
  if (st->epfd >= 0 && !st->lost)
    ::close(st->epfd);
  st->epfd = -1;
  st->lost = false;

  for (int fd = 0; fd < loop->fds.size; ++fd) {
    loop->fds.entries[fd].bmask = 0;
    loop->fds.entries[fd].bflags = 0;
  }
  st->registered = 0;
  st->always_ready.clear();
  update_general(st);

  if (!retry_after_syserr("(libev) epoll_create", [st] { return st->epfd = create_epoll_fd(); })) {
    st->epfd = -1;
    set_backend_fd(loop, -1);
    fd_kill_every_user_watcher(loop);
    fd_rearm_all(loop);  // the loop's own, once there is a set again
    return;
  }
  set_backend_fd(loop, st->epfd);
  fd_rearm_all(loop);
}

// The sweep's recheck (backend.h), see (k).  The kernel keys a registration by number and file, so
// one dropped with its file answers EPOLL_CTL_MOD with ENOENT even when a dup keeps the old file's;
// a MOD with what the kernel has changes nothing.  Exclusive registrations cannot be modified and
// edge-triggered ones would report again, so those are not checked.
void epoll_recheck(ev_loop *loop, int fd)
{
  fd_entry &e = loop->fds.entries[fd];
  if (!e.bmask || (e.bmask & (EV_NG_EXCLUSIVE | kFdEdge)) || (e.bflags & kAlwaysReady))
    return;
  if (ctl(state(loop), EPOLL_CTL_MOD, fd, e.bmask, e.bdata) == ENOENT)
    fd_kill(loop, fd);
}

}  // namespace
}  // namespace ev_detail::epoll_internal

namespace ev_detail {

using namespace epoll_internal;
constinit const backend_ops epoll_backend = {
    "epoll",
    EVBACKEND_EPOLL,
    1e-3,
    epoll_init,
    epoll_destroy,
    epoll_fork,
    [](ev_loop *loop, int fd, int oev, int nev) { epoll_policy::modify(loop, fd, loop->fds.entries[fd], oev, nev); },
    [](ev_loop *loop, ev_tstamp timeout) { epoll_policy::wait(loop, timeout, true); },
    true,
    [](const ev_loop *) { return true; },  // EPOLLET
    epoll_recheck,
    nullptr,
    nullptr,
    nullptr,
    nullptr,  // streams: the readiness engine
    nullptr,  // collect: the loop sleeps
};

}  // namespace ev_detail
