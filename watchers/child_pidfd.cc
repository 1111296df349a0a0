// SPDX-License-Identifier: BSD-2-Clause
// watchers/child_pidfd.cc - ev_child in a loop other than the default one, with the extension
// EVFLAG_NG_ANY_LOOP, and the lock under which every loop reaps.
//
// Such a loop reaps nobody else's children.  Each watched pid gets one pidfd per loop, watched by
// one of the loop's own io watchers; when it turns readable the child has exited, and the loop
// collects exactly that child with waitid.  A pidfd tells nothing of stops, so only exits are
// reported.  Without pidfds the loop watches SIGCHLD and looks at each such pid then.
//
// The default loop reaps every child unless EVFLAG_NG_REAP_OWN, so it may reap the same child
// first.  So that no status is lost, every reaping happens under one process-wide lock, and a
// reaper hands the status of a pid that a pidfd entry waits for to that entry, whose loop finds it
// when the pidfd turns readable, as it stays after the reaping.  The status of a child nobody waits
// for yet is kept a while (kept_exits), because a worker that forks and then starts its watcher
// races the default loop running in another thread.  A child the program reaped itself leaves no
// status: its watchers get EV_ERROR instead of waiting forever.
#include "base/lock.h"
#include "diag/debug.h"
#include "diag/walk.h"
#include "fd/fd.h"
#include "watchers/child.h"

#if EV_NG_HAVE_PIDFD
#include <sys/syscall.h>
#endif
#include <sys/wait.h>
#include <unistd.h>
#include <cerrno>
#include <csignal>

using namespace ev_detail;

enum class child_wait : unsigned char {
  kPidfd,   // w watches the pidfd
  kPolled,  // no pidfd: looked at on SIGCHLD, see loop->childpoll
  kDone,    // collected or lost
};

struct ev_detail::pidfd_child {
  ev_io w;  // the loop's own watcher of the pidfd
  int pid;
  child_wait how;
  WL head;                    // the loop's ev_child watchers of pid, newest first
  pidfd_child *next_waiting;  // the registry: entries whose child is not collected
  bool handed;                // another reaper collected the child: status is its
  int status;
};

namespace {

#ifndef P_PIDFD
constexpr idtype_t P_PIDFD = static_cast<idtype_t>(3);
#endif

constinit os_lock reap_lock;
constinit pidfd_child *waiting = nullptr;  // under reap_lock

// The exits a reaper collected while no entry waited for the pid, newest last, for an ev_child
// started later; under reap_lock.  One is claimed only for a pid that pidfd_open says no longer
// exists, and only while young, so that an old exit is never taken for a reused pid's.
struct kept_exit {
  int pid;
  int status;
  ev_tstamp at;  // monotonic
};
constexpr int kKeptExits = 64;
constexpr ev_tstamp kKeptExitAge = 10.;
constinit kept_exit kept_exits[kKeptExits] = {};
constinit int kept_next = 0;

void keep_exit(int pid, int status)
{
  kept_exits[kept_next] = kept_exit{pid, status, monotonic_now()};
  kept_next = (kept_next + 1) % kKeptExits;
}

// Take the newest kept exit of pid; false if there is none.
bool claim_kept_exit(int pid, int *status)
{
  const ev_tstamp now = monotonic_now();
  for (int k = 1; k <= kKeptExits; ++k) {
    kept_exit &x = kept_exits[(kept_next + kKeptExits - k) % kKeptExits];
    if (x.pid == pid && x.pid > 0 && now - x.at <= kKeptExitAge) {
      *status = x.status;
      x.pid = 0;
      return true;
    }
  }
  return false;
}

int pidfd_open(int pid)
{
#if EV_NG_HAVE_PIDFD
  return static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
#else
  (void)pid;
  errno = ENOSYS;
  return -1;
#endif
}

void registry_del(pidfd_child *e)
{
  for (pidfd_child **p = &waiting; *p; p = &(*p)->next_waiting)
    if (*p == e) {
      *p = e->next_waiting;
      return;
    }
}

// The status waitpid would have given, from waitid's siginfo.
int wait_status(const siginfo_t &si)
{
  switch (si.si_code) {
  case CLD_EXITED: return (si.si_status & 0xff) << 8;
  case CLD_DUMPED: return (si.si_status & 0x7f) | 0x80;
  default: return si.si_status & 0x7f;  // CLD_KILLED
  }
}

pidfd_child *entry_of(ev_io *w) { return reinterpret_cast<pidfd_child *>(w); }

// Tell e's watchers their child's status as the default loop does: EV_CHILD, with the priority
// forced to EV_MAXPRI unless pending, and they stay active.
void deliver(ev_loop *loop, pidfd_child *e, int status)
{
  for (WL wl = e->head; wl; wl = wl->next) {
    auto *w = reinterpret_cast<ev_child *>(wl);
    if (!w->pending)
      ev_set_priority(w, EV_MAXPRI);
    w->rpid = e->pid;
    w->rstatus = status;
    feed(loop, as_w(w), EV_CHILD);
  }
}

void entry_free(ev_loop *loop, pidfd_child *e);

// The status is gone, because the program reaped the child itself or there
// never was a pidfd: the watchers are stopped and get EV_ERROR, and e is freed.
void deliver_error(ev_loop *loop, pidfd_child *e)
{
  while (WL wl = e->head) {
    e->head = wl->next;
    stop_watcher(loop, as_w(wl));
    if (debug_on(loop))
      debug_after(loop, as_w(wl), EV_CHILD);  // the loop stopped it: not a misuse
    feed_error(loop, as_w(wl), EV_ERROR);
  }
  entry_free(loop, e);
}

bool any_polled(ev_loop *loop)
{
  for (int i = 0; i < loop->pidfd_children.count; ++i)
    if (loop->pidfd_children[i]->how == child_wait::kPolled)
      return true;
  return false;
}

void childpoll_cb(EV_P_ ev_signal *, int);

// The loop's SIGCHLD watcher, for pids without pidfd, holds no reference, as the default loop's.
void childpoll_start(ev_loop *loop)
{
  if (loop->childpoll.active)
    return;
  ev_signal *sw = &loop->childpoll;
  ev_signal_init(sw, childpoll_cb, SIGCHLD);
  ev_set_priority(sw, EV_MAXPRI);
  ev_signal_start(EV_A_ sw);
  ev_unref(EV_A);
}

void childpoll_stop(ev_loop *loop)
{
  ev_signal *sw = &loop->childpoll;
  if (!sw->active)
    return;
  ev_ref(EV_A);
  ev_signal_stop(EV_A_ sw);
}

// The child is collected or lost: stop waiting for it.
void entry_done(ev_loop *loop, pidfd_child *e)
{
  internal_io_stop(loop, &e->w);
  if (e->how == child_wait::kPidfd && e->w.fd >= 0)
    ::close(e->w.fd);
  bool was_polled = e->how == child_wait::kPolled;
  e->how = child_wait::kDone;
  e->w.fd = -1;
  if (was_polled && !any_polled(loop))
    childpoll_stop(loop);
}

// The end of both collects, entered with reap_lock held and releasing it: e leaves the registry
// under the lock, and the watchers are told outside it, the status if `have`, else EV_ERROR.
void unregister_and_deliver(ev_loop *loop, pidfd_child *e, bool have, int status)
{
  registry_del(e);
  lock_give(reap_lock);
  entry_done(loop, e);
  if (have)
    deliver(loop, e, status);
  else
    deliver_error(loop, e);
}

// Collect the child of e if it has exited, which may free e.
void collect(ev_loop *loop, pidfd_child *e)
{
  if (e->how == child_wait::kDone)
    return;
  siginfo_t si = {};
  lock_take(reap_lock);
  errno = EINVAL;
  int r = e->how == child_wait::kPidfd ? waitid(P_PIDFD, e->w.fd, &si, WEXITED | WNOHANG) : -1;
  if (r < 0 && errno == EINVAL)  // polled, or an older kernel whose pidfd keeps the pid from reuse
    r = waitid(P_PID, static_cast<id_t>(e->pid), &si, WEXITED | WNOHANG);
  if (r == 0 && si.si_pid == 0) {
    lock_give(reap_lock);
    return;  // still running: a spurious wake-up
  }
  int status = r == 0 ? wait_status(si) : e->status;
  // a kept exit: a polled child that a reaper collected before e waited
  const bool have = r == 0 || e->handed || claim_kept_exit(e->pid, &status);
  unregister_and_deliver(loop, e, have, status);
}

// e's pid is gone: another reaper collected the child and kept or handed
// over its exit, or else the program reaped it.
void collect_gone(ev_loop *loop, pidfd_child *e)
{
  lock_take(reap_lock);
  int status = e->status;
  const bool have = e->handed || claim_kept_exit(e->pid, &status);
  unregister_and_deliver(loop, e, have, status);
}

void childpoll_cb(EV_P_ ev_signal *, int)
{
  for (int i = loop->pidfd_children.count; i--;)  // backwards, since collect may free one
    if (loop->pidfd_children[i]->how == child_wait::kPolled)
      collect(loop, loop->pidfd_children[i]);
}

// Open and watch the pidfd of e's pid; false if the system refuses, because
// the child is gone or pidfds are missing or forbidden.
bool entry_watch(ev_loop *loop, pidfd_child *e)
{
  int fd = pidfd_open(e->pid);
  if (fd < 0)
    return false;
  e->how = child_wait::kPidfd;
  fd_claim(loop, fd);
  ev_io_init(&e->w, child_pidfd_cb, fd, EV_READ);
  ev_set_priority(&e->w, EV_MAXPRI);
  internal_io_start(loop, &e->w);
  return true;
}

pidfd_child *entry_find(ev_loop *loop, int pid)
{
  for (int i = 0; i < loop->pidfd_children.count; ++i)
    if (loop->pidfd_children[i]->pid == pid)
      return loop->pidfd_children[i];
  return nullptr;
}

void entry_free(ev_loop *loop, pidfd_child *e)
{
  lock_take(reap_lock);
  registry_del(e);
  lock_give(reap_lock);
  entry_done(loop, e);
  array<pidfd_child *> &a = loop->pidfd_children;
  for (int i = 0; i < a.count; ++i)
    if (a[i] == e) {
      a[i] = a[--a.count];
      break;
    }
  ev_free(e);
}

pidfd_child *entry_of_watcher(ev_loop *loop, ev_child *w)
{
  for (int i = 0; i < loop->pidfd_children.count; ++i)
    if (wlist_contains(loop->pidfd_children[i]->head, as_wl(w)))
      return loop->pidfd_children[i];
  return nullptr;
}

}  // namespace

namespace ev_detail {

void child_pidfd_cb(EV_P_ ev_io *w, int) { collect(loop, entry_of(w)); }

int child_reap(int pid, int *status, int options)
{
  lock_take(reap_lock);
  int r;
  do
    r = waitpid(pid, status, options);
  while (r < 0 && errno == EINTR);
  if (r > 0 && (WIFEXITED(*status) || WIFSIGNALED(*status))) {
    bool handed = false;
    for (pidfd_child *e = waiting; e; e = e->next_waiting)
      if (e->pid == r && !e->handed) {
        e->handed = handed = true;
        e->status = *status;
      }
    if (!handed)
      keep_exit(r, *status);
  }
  lock_give(reap_lock);
  return r;
}

// Held across fork(3) (loop/loop_forks.cc): a child forked while another thread reaps must not
// inherit the lock held by a thread it lacks.
void child_reap_lock_for_fork() { lock_take(reap_lock); }
void child_reap_unlock_after_fork() { lock_give(reap_lock); }

void child_pidfd_start(ev_loop *loop, ev_child *w)
{
  if (w->pid <= 0)
    usage_error("ev_child_start", "pid", static_cast<long long>(w->pid),
                "libev-ng: a loop other than the default one watches one child by its pid (> 0); "
                "only the default loop, which reaps all children, can watch any child");
  if (entry_of_watcher(loop, w))
    reinitialised_while_active("ev_child_start", w, "pid", w->pid);

  pidfd_child *e = entry_find(loop, w->pid);
  bool fresh = !e;
  if (fresh) {
    e = static_cast<pidfd_child *>(ev_realloc(nullptr, sizeof *e));
    *e = pidfd_child{};
    e->pid = w->pid;
    e->how = child_wait::kDone;  // until it waits one way or the other
    e->w.fd = -1;
    loop->pidfd_children.push(e);
  }
  start_watcher(loop, as_w(w), 1);
  wlist_add(&e->head, as_wl(w));
  if (!fresh)
    return;
  // Waiting before the pidfd is opened: a reaper that collects the child
  // from now on hands its status over; one that did before kept it.
  lock_take(reap_lock);
  e->next_waiting = waiting;
  waiting = e;
  lock_give(reap_lock);
  if (!entry_watch(loop, e)) {
    if (errno == ESRCH) {  // no such process: collected by someone already
      collect_gone(loop, e);
      return;
    }
    e->how = child_wait::kPolled;  // no pidfd to be had: SIGCHLD
    childpoll_start(loop);
    collect(loop, e);  // it may have exited before SIGCHLD was watched
  }
}

void child_pidfd_stop(ev_loop *loop, ev_child *w)
{
  pidfd_child *e = entry_of_watcher(loop, w);
  if (!e)  // active, but not here: another loop's, or not a watcher
    not_active_here("ev_child_stop", w, w->active);
  wlist_del(&e->head, as_wl(w));
  stop_watcher(loop, as_w(w));
  if (!e->head)
    entry_free(loop, e);
}

void child_pidfd_repair(ev_loop *loop)
{
  for (int i = loop->pidfd_children.count; i--;) {  // backwards, since collect may free e
    pidfd_child *e = loop->pidfd_children[i];
    if (e->how != child_wait::kPidfd || e->w.active)
      continue;
    // closed behind the loop's back: the number is not ours any more
    e->w.fd = -1;
    if (entry_watch(loop, e))
      continue;
    e->how = child_wait::kPolled;
    childpoll_start(loop);
    collect(loop, e);  // perhaps gone meanwhile: its status, if a reaper kept it
  }
}

void child_pidfd_visit(ev_loop *loop, walk_visit visit, void *ctx)
{
  for (int i = 0; i < loop->pidfd_children.count; ++i)
    for (WL w = loop->pidfd_children[i]->head; w; w = w->next)
      visit(ctx, as_w(w));
}

void child_pidfd_loop_destroy(ev_loop *loop)
{
  // The pidfds close; the watchers stay as they are, see ev_loop_destroy.
  while (loop->pidfd_children.count)
    entry_free(loop, loop->pidfd_children[0]);
  loop->pidfd_children.release();
  childpoll_stop(loop);
}

}  // namespace ev_detail
