// watchers/idle.cc - ev_idle (ev(3) "ev_idle - when you've got nothing
// better to do...").
//
// One array per priority; `active` is the 1-based index in it.  The idle
// rule (SEMANTICS.md §12): after timers and periodics have been queued,
// scan the priorities from the highest down; stop at the first level with
// anything pending, or queue all idle watchers of the first level that has
// some.  So idles at priority 1 lock out idles at priority 0, and a pending
// watcher of equal or higher priority keeps an idle watcher from running.
#include "loop.h"

using namespace ev_detail;

namespace ev_detail {

void idle_reify(ev_loop *loop)
{
  for (int pri = kNumPri; pri--;) {
    if (loop->pending.level_count(pri))
      break;
    if (loop->idles[pri].count) {
      queue_events(loop, loop->idles[pri].data, loop->idles[pri].count, EV_IDLE);
      break;
    }
  }
}

}  // namespace ev_detail

extern "C" {

void ev_idle_start(struct ev_loop *loop, ev_idle *w) noexcept
{
  if (EV_UNLIKELY(w->active))
    return;
  loop->pending.settle();  // the array may be the source of a virtual batch
  clamp_priority(as_w(w));
  array<W> &a = loop->idles[w->priority - EV_MINPRI];
  start_watcher(loop, as_w(w), a.push(as_w(w)));
  ++loop->idleall;
  loop->extras |= kExtraIdle;
  EV_FREQUENT_CHECK(loop);
}

void ev_idle_stop(struct ev_loop *loop, ev_idle *w) noexcept
{
  clear_pending(loop, as_w(w));
  if (EV_UNLIKELY(!w->active))
    return;
  loop->pending.settle();
  array_del(loop->idles[w->priority - EV_MINPRI], as_w(w));
  stop_watcher(loop, as_w(w));
  if (!--loop->idleall)
    loop->extras &= ~kExtraIdle;
  EV_FREQUENT_CHECK(loop);
}

}  // extern "C"
