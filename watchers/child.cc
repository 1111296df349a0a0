// watchers/child.cc - ev_child (ev(3) "ev_child - watch out for process
// status changes").
//
// Only the default loop handles children: creating it starts an internal
// SIGCHLD watcher (priority EV_MAXPRI, no reference), whose callback reaps
// *every* child that changed state (watched or not, as libev does) and
// queues the matching watchers: same pid, or pid 0 (any); stops and
// continues only for watchers with the trace flag.  Before queuing, a
// watcher's rpid/rstatus are set and its priority is forced to EV_MAXPRI
// (SEMANTICS.md §10).  Watchers stay active after their child exited.
#include "loop.h"

#include <cerrno>
#include <csignal>
#include <sys/wait.h>

using namespace ev_detail;

namespace {

constexpr int kPidHashSize = 16;  // a power of two

// Active child watchers by pid (pid 0 = any child lives in bucket 0).
constinit WL childs[kPidHashSize];

inline WL *bucket(int pid) { return &childs[pid & (kPidHashSize - 1)]; }

// Queue the watchers of `chain` (a pid or 0) that match this status change.
void reap_chain(ev_loop *loop, int chain, int pid, int status)
{
  bool traced = WIFSTOPPED(status) || WIFCONTINUED(status);
  for (WL wl = *bucket(chain); wl; wl = wl->next) {
    auto *w = reinterpret_cast<ev_child *>(wl);
    if ((w->pid == pid || !w->pid) && (!traced || (w->flags & 1))) {
      ev_set_priority(w, EV_MAXPRI);
      w->rpid = pid;
      w->rstatus = status;
      feed(loop, as_w(w), EV_CHILD);  // a second match just ORs the revents
    }
  }
}

// Collect one child per invocation, as libev does: the SIGCHLD watcher
// queues itself again first, so it runs once more after the watchers of
// this child (LIFO), and a pid-0 watcher sees every child's status in a
// call of its own instead of only the last one.
void childcb(ev_loop *loop, ev_signal *sw, int)
{
  int status, pid;
  do
    pid = waitpid(-1, &status, WNOHANG | WUNTRACED | WCONTINUED);
  while (pid < 0 && errno == EINTR);
  if (pid <= 0)
    return;

  feed(loop, as_w(sw), EV_SIGNAL);
  reap_chain(loop, pid, pid, status);
  if (pid & (kPidHashSize - 1))
    reap_chain(loop, 0, pid, status);
}

}  // namespace

namespace ev_detail {

void child_default_loop_init(ev_loop *loop)
{
  ev_signal_init(&loop->childev, childcb, SIGCHLD);
  ev_set_priority(&loop->childev, EV_MAXPRI);
  ev_signal_start(loop, &loop->childev);
  ev_unref(loop);  // the SIGCHLD watcher keeps nothing alive
}

void child_default_loop_destroy(ev_loop *loop)
{
  if (loop->childev.active) {
    ev_ref(loop);
    ev_signal_stop(loop, &loop->childev);
  }
}

}  // namespace ev_detail

extern "C" {

void ev_child_start(struct ev_loop *loop, ev_child *w) noexcept
{
  if (EV_UNLIKELY(loop != ev_default_loop_ptr))
    usage_error("ev_child_start", "libev: child watchers are only supported in the default loop");
  if (EV_UNLIKELY(w->active))
    return;
  start_watcher(loop, as_w(w), 1);
  wlist_add(bucket(w->pid), as_wl(w));
  EV_FREQUENT_CHECK(loop);
}

void ev_child_stop(struct ev_loop *loop, ev_child *w) noexcept
{
  clear_pending(loop, as_w(w));
  if (EV_UNLIKELY(!w->active))
    return;
  wlist_del(bucket(w->pid), as_wl(w));
  stop_watcher(loop, as_w(w));
  EV_FREQUENT_CHECK(loop);
}

}  // extern "C"
