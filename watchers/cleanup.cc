// watchers/cleanup.cc - ev_cleanup (ev(3) "ev_cleanup - even the best
// things end"): invoked by ev_loop_destroy.  Active watchers are kept in
// loop->cleanups; `active` is the 1-based index.  A cleanup watcher gives
// its reference back, so it never keeps ev_run running (SEMANTICS.md §5).
#include "loop.h"

using namespace ev_detail;

extern "C" {

void ev_cleanup_start(struct ev_loop *loop, ev_cleanup *w) noexcept
{
  if (EV_UNLIKELY(w->active))
    return;
  loop->pending.settle();  // the array may be the source of a virtual batch
  start_watcher(loop, as_w(w), loop->cleanups.push(as_w(w)));
  ev_unref(loop);
  EV_FREQUENT_CHECK(loop);
}

void ev_cleanup_stop(struct ev_loop *loop, ev_cleanup *w) noexcept
{
  clear_pending(loop, as_w(w));
  if (EV_UNLIKELY(!w->active))
    return;
  loop->pending.settle();
  ev_ref(loop);
  array_del(loop->cleanups, as_w(w));
  stop_watcher(loop, as_w(w));
  EV_FREQUENT_CHECK(loop);
}

}  // extern "C"
