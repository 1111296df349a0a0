// SPDX-License-Identifier: BSD-2-Clause
// backends/epoll.cc - the Linux epoll(7) backend (EVBACKEND_EPOLL).
//
// Kernel quirks handled here:
//  (a) Registrations belong to open files, not fd numbers.  Closing an fd
//      removes its registration only when no other fd (a dup, a forked
//      child) refers to the same open file; otherwise the old registration
//      keeps reporting events under the old number.  Each ADD therefore
//      stores a per-fd generation in the event data; an event carrying an
//      older generation comes from such a stale registration, which cannot
//      be removed by number: the whole epoll set is rebuilt (no fork
//      watchers run, unlike libev, which treats this like a fork).
//  (b) The kernel silently forgets a closed fd, so a watcher on it would
//      never hear anything again: the loop's closed-fd sweep (fd/fd.h)
//      finds numbers that are no longer open; their watchers get EV_ERROR.
//  (c) Regular files and some character devices (/dev/null) cannot be
//      added (EPERM).  They are always ready: their watchers get the events
//      they asked for in every iteration, and the loop does not block while
//      such a watcher is active (libev does the same).
//  (d) An epoll set is shared with a forked child: after a fork the child
//      creates its own and re-registers everything (also when the child
//      never called ev_loop_fork: loop/fork_guard.h, so a child's
//      EPOLL_CTL_DEL never removes the parent's fd).  The old set is closed
//      first, so that a new one exists even at the fd limit; an embedding
//      loop sees loop->backend_fd_generation change.
//  (e) Stopping a watcher does not remove the registration at once: a start
//      with the same events in the same iteration then costs nothing, and
//      an event for events nobody wants any more updates the kernel then.
//      But once an fd had no watcher when the changes were applied, what
//      the kernel has for its number is uncertain (the fd may have been
//      closed, which removes the registration, and the number reused): a
//      later start checks with EPOLL_CTL_ADD (EEXIST: the same file, still
//      registered), one system call either way (register_again).  libev
//      4.33 trusts its cache there unless ev_io_set was called, and never
//      reports the new file's events.
//      ev_io_set (EV__IOFDSET) makes the cached state void at once, also
//      when the watcher is stopped again before the changes are applied;
//      so does a stop of the fd's last watcher followed by a start before
//      the changes are applied (fd/fd.h: fd_reify, kReifyEmptied).
//  (f) EPOLLERR/EPOLLHUP are reported even if not requested; they make the
//      fd both readable and writable (each watcher sees only its events).
//  (g) With nothing registered, epoll_wait with a zero timeout cannot report
//      anything: an EVRUN_NOWAIT iteration of a loop without io watchers
//      (timers only, say) then makes no system call at all (libev makes
//      one).  A registration we do not count is one we no longer know the
//      fd of, see (a); its events would only ask for a rebuild.  Such a
//      loop polls through epoll_poll_general, so that the common poll of a
//      loop that watches fds tests nothing for it (the timers-only
//      EVRUN_NOWAIT iteration pays for the detour instead).
//  (h) The epoll fd itself closed behind the loop's back (EBADF), or its
//      number now another file (EINVAL): the set is lost; a new one is made
//      (the old number is not closed: it is not ours any more).  If no new
//      one can be had (ENFILE, ENOMEM, with a syserr callback that returns),
//      every watcher gets EV_ERROR, and the loop sleeps instead of polling,
//      trying again each time, until it gets one.
//  (i) EVFLAG_NG_PRECISE_TIMERS: epoll_wait counts milliseconds, so a
//      100 us timer would wait a whole one; epoll_pwait2 (Linux 5.11) takes
//      a timespec.  Where the kernel or a sandbox refuses it (ENOSYS,
//      EPERM), the loop goes on with epoll_wait and millisecond timeouts,
//      as without the flag.
//  (j) EV_NG_EXCLUSIVE (an extension): the fd is registered with
//      EPOLLEXCLUSIVE when one of its watchers asks for it, so that of the
//      epoll sets (processes, threads) waiting on one fd, the kernel wakes
//      one (or a few) instead of all.  EPOLLEXCLUSIVE can only be given to
//      EPOLL_CTL_ADD, and a registration made with it cannot be modified
//      (EINVAL): every change of such a registration is a DEL and an ADD.
//  (k) A watched fd closed and its number reused at once (the next accept
//      gets it), the watcher untouched: the kernel dropped the registration
//      with the old file (or a dup keeps it, under the old file), the new
//      file has none, and nothing is ever reported (libev 4.33 the same;
//      poll() sees an open fd, so (b) does not find it either).  The sweep
//      asks again for fds that poll() finds ready while their watchers got
//      nothing (epoll_recheck): EPOLL_CTL_MOD answers ENOENT, and the
//      watchers get EV_ERROR, as for any closed fd.
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

void always_ready_remove(epoll_state *st, int fd)
{
  for (int i = 0; i < st->always_ready.count; ++i)
    if (st->always_ready.data[i] == fd) {
      st->always_ready.data[i] = st->always_ready.data[--st->always_ready.count];
      return;
    }
}

// Register ev for fd, which has a registration as far as we know (e.bmask),
// although the number may denote a new file now, see (e).  If the kernel is
// believed to have ev already, or the fd had no watchers when the changes
// were last applied (a server's new connection that got a closed one's
// number), ADD first: a new file is added; the same file answers EEXIST, and
// its registration stands, or gets ev with a MOD.  Otherwise (other events
// for an fd that had watchers, most likely the same file) MOD first; ENOENT
// means a new file, which is added.  So the likely case takes one system
// call, and no case more than libev 4.33 takes.  (An ADD that the kernel
// answers with EEXIST also costs it less than a MOD, which polls the file
// again.)  Returns 0 or the errno.
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

// A registration that is or becomes exclusive, see (j): whatever the kernel
// has under the number goes, then a new one is added.
// (The exclusive bit alone waits for nothing: nev becomes 0.)
// (noinline: keeps this rare case out of modify_registration's frame.)
[[gnu::noinline]] int register_anew(epoll_state *st, int fd, fd_entry &e, int &nev)
{
  ctl(st, EPOLL_CTL_DEL, fd, 0, e.bdata);  // (ENOENT: nothing there)
  if (!(nev & (EV_READ | EV_WRITE))) {
    nev = 0;
    return 0;
  }
  int err = ctl(st, EPOLL_CTL_ADD, fd, nev, e.bdata + 1);
  if (!err)
    ++e.bdata;
  return err;
}

}  // namespace

// An epoll_ctl failed with EBADF or EINVAL: because of the fd, or because
// the epoll fd is not ours any more, see (h)?  Still open, is it an epoll
// set?  The kernel checks the target before the kind of epfd's file, so
// the DEL that asks needs a target that is open, pollable and surely not
// in the set: a new epoll fd (an epoll set answers ENOENT, another kind of
// file EINVAL).  If none can be had, the error is taken for the fd's.
bool epoll_set_lost(int epfd, int err)
{
  if (err != EBADF && err != EINVAL)
    return false;
  if (::fcntl(epfd, F_GETFD) < 0 && errno == EBADF)
    return true;
  const int probe = create_epoll_fd();
  if (probe < 0)
    return false;
  const bool lost = epoll_ctl(epfd, EPOLL_CTL_DEL, probe, nullptr) < 0 && errno == EINVAL;
  ::close(probe);
  return lost;
}

// What epoll_modify leaves to the kernel (and the rare cases): the fd's
// number may be a new open file, it is a regular file, see (c), or the
// kernel's registration is not the one wanted.
[[gnu::noinline]] void modify_registration(ev_loop *loop, int fd, int oev, int nev)
{
  epoll_state *st = state(loop);
  fd_entry &e = loop->fds.entries[fd];
  const bool renewed = nev & EV__IOFDSET;  // the number may be a new open file
  nev &= kFdEvents;                        // (EV_NG_EXCLUSIVE alone wants nothing: register_anew)

  if (e.bflags & kAlwaysReady) {
    if (nev && oev && !renewed)
      return;  // still a regular file: poll() reads e.events each time
    always_ready_remove(st, fd);
    e.bflags = 0;
  }

  if (!nev) {
    // Lazy removal, see (e), also for a number that may denote a new file
    // now (ev_io_set, then the last watcher stopped: a server that closes a
    // connection it had just re-armed): the registration stays counted, so
    // no wait is skipped for it, see (g); the next start checks with an
    // ADD (this reify leaves e.events 0), and an event of the old file
    // finds its watchers gone, see drop_unwanted.  A DEL here would mostly
    // meet a closed fd (EBADF), one system call libev 4.33 does not make.
    return;
  }
  // No epoll set, see (h).  Tested only where the kernel would be asked:
  // without a set no fd has a registration or kAlwaysReady (epoll_fork), so
  // the cases before this one end as they would have.
  if (EV_UNLIKELY(st->epfd < 0)) {
    fd_kill_user_watchers(loop, fd);
    return;
  }

  int err;
  if (e.bmask) {
    err = register_again(st, fd, e, nev, oev);
  } else {
    err = ctl(st, EPOLL_CTL_ADD, fd, nev, e.bdata + 1);
    if (!err)
      ++e.bdata;
    else if (err == EEXIST)  // the same open file, registered before
      err = ctl(st, EPOLL_CTL_MOD, fd, nev, e.bdata);
  }
  // A registration that is or becomes exclusive cannot be modified, see (j):
  // the kernel said EINVAL (found here rather than tested before, so that
  // the common case pays nothing for the extension).
  if (EV_UNLIKELY(err == EINVAL) && ((e.bmask | nev) & EV_NG_EXCLUSIVE))
    err = register_anew(st, fd, e, nev);

  if (EV_LIKELY(!err)) {
    set_registered(st, e, nev);
    return;
  }

  set_registered(st, e, 0);
  if (err == EPERM) {  // a regular file, see (c)
    e.bflags = kAlwaysReady;
    st->always_ready.push(fd);
    update_general(st);
    return;
  }
  if (epoll_set_lost(st->epfd, err)) {  // see (h): the fd is registered again after the rebuild
    st->lost = true;
    request_backend_rebuild(loop);
    return;
  }
  // EBADF (not open), ENOSPC (max_user_watches), ENOMEM, ELOOP: the fd
  // cannot be watched; its watchers are told so.
  fd_kill(loop, fd);
}

// Events arrived for events no watcher wants any more: update the kernel.
// If the registration cannot be reached by number any more (the fd was
// closed, a dup keeps the open file alive), only a rebuild removes it.
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

namespace {

// See (c): the always-ready fds get their events in every iteration.
// (noinline: a rare case; inlined, it would weigh on the general poll.)
[[gnu::noinline]] void report_always_ready(ev_loop *loop, epoll_state *st)
{
  for (int i = 0; i < st->always_ready.count; ++i) {
    int fd = st->always_ready.data[i];
    if (int events = loop->fds.entries[fd].events & (EV_READ | EV_WRITE))
      fd_event(loop, fd, events);
  }
}

}  // namespace

// A full buffer: there may be more; make room for next time.
void grow_events(epoll_state *st)
{
  st->capacity *= 2;
  st->events = static_cast<struct epoll_event *>(
      ev_realloc(st->events, sizeof(struct epoll_event) * static_cast<std::size_t>(st->capacity)));
}

namespace {

// The wait of (i), nanoseconds instead of milliseconds.
// (noinline: a rare case; inlined, it would weigh on the general poll.)
[[gnu::noinline]] int wait_precisely(ev_loop *loop, epoll_state *st, ev_tstamp timeout)
{
#if EV_NG_HAVE_SYSCALL && defined(SYS_epoll_pwait2)
  if (timeout > 0.) {
    // The system call takes the kernel's 64-bit timespec on every architecture (a
    // 32-bit one's struct timespec would be read wrong: EINVAL, which (h) takes for a
    // lost set).
    struct timespec t = timeout_to_timespec(timeout);
    __kernel_timespec ts;
    ts.tv_sec = t.tv_sec;
    ts.tv_nsec = t.tv_nsec;
    long n = ::syscall(SYS_epoll_pwait2, st->epfd, st->events, st->capacity, &ts, nullptr, 0);
    if (n >= 0 || (errno != ENOSYS && errno != EPERM))
      return static_cast<int>(n);
  } else
    return wait_for_events(st, timeout);
#endif
  st->precise = false;
  loop->backend_mintime = loop->backend->mintime;
  return wait_for_events(st, timeout);
}

}  // namespace

// A failed wait: EINTR returns quietly; a lost epoll fd is replaced in the
// next iteration, see (h); anything else is reported, see backend.h.
void wait_error(ev_loop *loop, epoll_state *st, ev_tstamp timeout)
{
  int err = errno;
  if (err == EINTR)
    return;
  if (err == EBADF || err == EINVAL) {
    st->lost = true;
    request_backend_rebuild(loop);
    return;
  }
  wait_failed("(libev) epoll_wait", timeout);
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

// The poll with everything rare: always-ready fds (c), hooks,
// precise waits (i).
// (noinline: keeps the rare cases out of the inline poll that calls it.)
[[gnu::noinline]] void epoll_poll_general(ev_loop *loop, epoll_state *st, ev_tstamp timeout, bool hooks)
{
  // The commonest case here first: an EVRUN_NOWAIT iteration of a loop that
  // watches nothing (timers only, say), see (g).
  if (!st->registered && !(timeout > 0.) && st->epfd >= 0 && !st->always_ready.count && !(hooks && wait_hooks(loop)))
    return;
  if (st->epfd < 0)
    return poll_without_set(loop, st, timeout);  // (general stays: the new set is not used yet)
  const bool always_ready = st->always_ready.count;
  if (always_ready)
    timeout = 0.;
  // Nothing to wait for and nothing registered, see (g): no system call.
  auto wait = [loop, st, timeout] {
    return !st->registered && !(timeout > 0.) ? 0
           : EV_UNLIKELY(st->precise)         ? wait_precisely(loop, st, timeout)
                                              : wait_for_events(st, timeout);
  };
  int n = hooks ? hooked_wait(loop, -1, wait) : wait();
  take_events(loop, st, n, timeout);
  if (always_ready && n >= 0)
    report_always_ready(loop, st);
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
  st->always_ready.count = 0;
  update_general(st);

  if (!retry_after_syserr("(libev) epoll_create", [st] { return st->epfd = create_epoll_fd(); })) {
    st->epfd = -1;
    set_backend_fd(loop, -1);
    for (int fd = 0; fd < loop->fds.size; ++fd)
      if (loop->fds.entries[fd].head)
        fd_kill_user_watchers(loop, fd);
    fd_rearm_all(loop);  // the loop's own, once there is a set again
    return;
  }
  set_backend_fd(loop, st->epfd);
  fd_rearm_all(loop);
}

// The sweep's recheck (backend.h), see (k): a registration the kernel
// dropped with its file answers EPOLL_CTL_MOD with ENOENT, also when a dup
// keeps the old file's registration (the key is the number and the file).
// A MOD with what the kernel has changes nothing; EPOLLEXCLUSIVE ones
// cannot be modified (EINVAL), and edge-triggered ones would report their
// readiness again: those are not checked.
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
    [](ev_loop *loop, int fd, int oev, int nev) { epoll_modify(loop, fd, loop->fds.entries[fd], oev, nev); },
    epoll_poll<true>,
    true,
    [](const ev_loop *) { return true; },  // EPOLLET
    epoll_recheck,
    nullptr,
    nullptr,
};

}  // namespace ev_detail
