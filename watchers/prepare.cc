// watchers/prepare.cc - ev_prepare (ev(3) "ev_prepare and ev_check - customise your event loop!": queued and invoked in their own pass just before the loop blocks (ev.cc, run_prepare_watchers)).
// Active watchers are kept in loop->prepares; `active` is the 1-based index.
#include "loop.h"

using namespace ev_detail;

extern "C" {

void ev_prepare_start(struct ev_loop *loop, ev_prepare *w) noexcept
{
  if (EV_UNLIKELY(w->active))
    return;
  loop->pending.settle();  // the array may be the source of a virtual batch
  start_watcher(loop, as_w(w), loop->prepares.push(as_w(w)));
  loop->extras |= kExtraPrepare;
  EV_FREQUENT_CHECK(loop);
}

void ev_prepare_stop(struct ev_loop *loop, ev_prepare *w) noexcept
{
  clear_pending(loop, as_w(w));
  if (EV_UNLIKELY(!w->active))
    return;
  loop->pending.settle();
  array_del(loop->prepares, as_w(w));
  stop_watcher(loop, as_w(w));
  if (!loop->prepares.count)
    loop->extras &= ~kExtraPrepare;
  EV_FREQUENT_CHECK(loop);
}

}  // extern "C"
