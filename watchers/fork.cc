// watchers/fork.cc - ev_fork (ev(3) "ev_fork - the audacity to resume the event loop after a fork": queued and invoked in the first iteration after ev_loop_fork or a fork detected by EVFLAG_FORKCHECK, before the prepare watchers (ev.cc, run_fork_watchers)).
// Active watchers are kept in loop->forks; `active` is the 1-based index.
#include "loop.h"

using namespace ev_detail;

extern "C" {

void ev_fork_start(struct ev_loop *loop, ev_fork *w) noexcept
{
  if (EV_UNLIKELY(w->active))
    return;
  loop->pending.settle();  // the array may be the source of a virtual batch
  start_watcher(loop, as_w(w), loop->forks.push(as_w(w)));
  EV_FREQUENT_CHECK(loop);
}

void ev_fork_stop(struct ev_loop *loop, ev_fork *w) noexcept
{
  clear_pending(loop, as_w(w));
  if (EV_UNLIKELY(!w->active))
    return;
  loop->pending.settle();
  array_del(loop->forks, as_w(w));
  stop_watcher(loop, as_w(w));
  EV_FREQUENT_CHECK(loop);
}

}  // extern "C"
