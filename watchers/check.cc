// watchers/check.cc - ev_check (ev(3) "ev_prepare and ev_check": queued right after the loop blocked, so they run first among the watchers of equal priority (ev.cc, queue_due_watchers)).
// Active watchers are kept in loop->checks; `active` is the 1-based index.
#include "loop.h"

using namespace ev_detail;

extern "C" {

void ev_check_start(struct ev_loop *loop, ev_check *w) noexcept
{
  if (EV_UNLIKELY(w->active))
    return;
  loop->pending.settle();  // the array may be the source of a virtual batch
  start_watcher(loop, as_w(w), loop->checks.push(as_w(w)));
  loop->extras |= kExtraCheck;
  EV_FREQUENT_CHECK(loop);
}

void ev_check_stop(struct ev_loop *loop, ev_check *w) noexcept
{
  clear_pending(loop, as_w(w));
  if (EV_UNLIKELY(!w->active))
    return;
  loop->pending.settle();
  array_del(loop->checks, as_w(w));
  stop_watcher(loop, as_w(w));
  if (!loop->checks.count)
    loop->extras &= ~kExtraCheck;
  EV_FREQUENT_CHECK(loop);
}

}  // extern "C"
