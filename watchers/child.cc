// SPDX-License-Identifier: BSD-2-Clause
// watchers/child.cc - ev_child, after ev(3)'s ev_child section.
//
// Creating the default loop starts an internal SIGCHLD watcher at EV_MAXPRI without a reference,
// whose callback reaps *every* child that changed state, or with EVFLAG_NG_REAP_OWN only the
// watched ones, and queues the watchers of the same pid or of pid 0; stops and continues go only to
// watchers with the trace flag.  Before queueing, a watcher's rpid and rstatus are set and its
// priority is forced to EV_MAXPRI (doc/semantics.md §12).  Watchers stay active after their child
// exited.  Other loops use EVFLAG_NG_ANY_LOOP (watchers/child_pidfd.cc).
#include "watchers/child.h"
#include "watchers/start_stop.h"

#include <sys/wait.h>
#include <cerrno>
#include <csignal>

using namespace ev_detail;

constexpr watcher_calls kChildCalls{EV_CHILD, "ev_child_start", "ev_child_stop"};

namespace {

// ev(3) EV_PID_HASHSIZE.  The buckets also order one child's watchers, its pid's bucket first, then
// any pid's, which a program that compiles the core with one bucket sees (embed/README.md).
constexpr int kPidHashSize = EV_PID_HASHSIZE;
static_assert(kPidHashSize > 0 && !(kPidHashSize & (kPidHashSize - 1)), "EV_PID_HASHSIZE must be a power of two");

// Active child watchers by pid; those for any child, pid 0, are in bucket 0.
constinit WL childs[kPidHashSize];

inline WL *bucket(int pid) { return &childs[pid & (kPidHashSize - 1)]; }

// Queue the watchers of `chain`, a pid or 0, that match this status change.
void reap_chain(ev_loop *loop, int chain, int pid, int status)
{
  bool traced = WIFSTOPPED(status) || WIFCONTINUED(status);
  for (WL wl = *bucket(chain); wl; wl = wl->next) {
    auto *w = reinterpret_cast<ev_child *>(wl);
    if ((w->pid == pid || !w->pid) && (!traced || (w->flags & 1))) {
      // A pending watcher keeps its priority, since changing it now would corrupt the queue, as in
      // libev 4.33, which loses the status; it gets EV_CHILD ORed in and the new status.
      if (!w->pending)
        ev_set_priority(w, EV_MAXPRI);
      w->rpid = pid;
      w->rstatus = status;
      feed(loop, as_w(w), EV_CHILD);  // a second match just ORs the revents
    }
  }
}

constexpr int kReapOptions = WNOHANG | WUNTRACED | WCONTINUED;

// EVFLAG_NG_REAP_OWN: collect one watched child that changed state, leaving the others alone.
int reap_watched(int *status)
{
  for (WL head : childs)
    for (WL wl = head; wl; wl = wl->next)
      if (int pid = reinterpret_cast<ev_child *>(wl)->pid; pid > 0)
        if (int r = child_reap(pid, status, kReapOptions); r > 0)
          return r;
  return 0;
}

// One child per call, as in libev: the SIGCHLD watcher queues itself again first, so it runs once
// more after this child's watchers and a pid-0 watcher gets each child's status in its own call.
void childcb(EV_P_ ev_signal *sw, int)
{
  int status;
  int pid = (loop->flags & EVFLAG_NG_REAP_OWN) ? reap_watched(&status) : child_reap(-1, &status, kReapOptions);
  if (pid <= 0)
    return;

  feed(loop, as_w(sw), EV_SIGNAL);
  reap_chain(loop, pid, pid, status);
  if (pid & (kPidHashSize - 1))
    reap_chain(loop, 0, pid, status);
}

}  // namespace

namespace ev_detail {

void children_visit(ev_loop *loop, walk_visit visit, void *ctx)
{
  if (loop != ev_default_loop_ptr) {
    child_pidfd_visit(loop, visit, ctx);
    return;
  }
  for (WL head : childs)
    for (WL w = head; w; w = w->next)
      visit(ctx, as_w(w));
}

void child_default_loop_init(ev_loop *loop)
{
  ev_signal *sw = &loop->childev;
  ev_signal_init(sw, childcb, SIGCHLD);
  ev_set_priority(sw, EV_MAXPRI);
  ev_signal_start(EV_A_ sw);
  ev_unref(EV_A);  // the SIGCHLD watcher keeps nothing alive
}

void child_default_loop_destroy(ev_loop *loop)
{
  if (ev_signal *sw = &loop->childev; sw->active) {
    ev_ref(EV_A);
    ev_signal_stop(EV_A_ sw);
  }
  // As in libev 4.33, the child watchers stay untouched in the static table; see ev_loop_destroy.
}

}  // namespace ev_detail

extern "C" {

static void child_start_plain(struct ev_loop *loop, ev_child *w)
{
  if (loop != ev_default_loop_ptr) {
    if (!(loop->flags & EVFLAG_NG_ANY_LOOP))
      usage_error("ev_child_start", "libev: child watchers are only supported in the default loop");
    if (!w->active)
      child_pidfd_start(loop, w);
    return;
  }
  if (w->active)
    return;
  for (WL head : childs)
    if (wlist_contains(head, as_wl(w)))
      reinitialised_while_active("ev_child_start", w, "pid", w->pid);
  start_watcher(loop, as_w(w), 1);
  wlist_add(bucket(w->pid), as_wl(w));
  EV_FREQUENT_CHECK(loop);
}

void ev_child_start(EV_P_ ev_child *w) noexcept { watcher_start<kChildCalls, child_start_plain>(loop, w); }

static void child_stop_active(struct ev_loop *loop, ev_child *w)
{
  if (loop != ev_default_loop_ptr) {
    child_pidfd_stop(loop, w);
    return;
  }
  if (EV_UNLIKELY(!wlist_contains(*bucket(w->pid), as_wl(w))))
    not_active_here("ev_child_stop", w, w->active);
  wlist_del(bucket(w->pid), as_wl(w));
  stop_watcher(loop, as_w(w));
  EV_FREQUENT_CHECK(loop);
}

void ev_child_stop(EV_P_ ev_child *w) noexcept { watcher_stop<kChildCalls, child_stop_active>(loop, w); }

}  // extern "C"
