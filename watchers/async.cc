// watchers/async.cc - ev_async (ev(3) "ev_async - how to wake up an event
// loop").
//
// ev_async_send may be called from any thread and from signal handlers: it
// sets the watcher's `sent` flag and, unless it was already set, the loop's
// async flag through the wake-up fd protocol (core/wakeup.h).  The loop then
// looks at every async watcher and queues those with `sent` set (the newest
// first, so they run in start order).  Many sends before the loop looks
// give one callback.  `sent` is an `EV_ATOMIC_T` (volatile sig_atomic_t) in
// the public struct; it is accessed here with atomic builtins.
#include "loop.h"

using namespace ev_detail;

namespace ev_detail {

void asyncs_process(ev_loop *loop)
{
  for (int i = loop->asyncs.count; i--;) {
    auto *w = reinterpret_cast<ev_async *>(loop->asyncs.data[i]);
    if (__atomic_load_n(&w->sent, __ATOMIC_SEQ_CST)) {
      __atomic_store_n(&w->sent, 0, __ATOMIC_SEQ_CST);
      feed(loop, as_w(w), EV_ASYNC);
    }
  }
}

}  // namespace ev_detail

extern "C" {

void ev_async_start(struct ev_loop *loop, ev_async *w) noexcept
{
  if (EV_UNLIKELY(w->active))
    return;
  // libev 4.33 forgets a send made before start (SEMANTICS.md §16).
  __atomic_store_n(&w->sent, 0, __ATOMIC_SEQ_CST);
  wakeup_init(loop);
  start_watcher(loop, as_w(w), loop->asyncs.push(as_w(w)));
  EV_FREQUENT_CHECK(loop);
}

void ev_async_stop(struct ev_loop *loop, ev_async *w) noexcept
{
  clear_pending(loop, as_w(w));
  if (EV_UNLIKELY(!w->active))
    return;
  array_del(loop->asyncs, as_w(w));
  stop_watcher(loop, as_w(w));
  EV_FREQUENT_CHECK(loop);
}

void ev_async_send(struct ev_loop *loop, ev_async *w) noexcept
{
  // Already sent and not yet noticed: the callback is on its way.  This is
  // the common case under a flood of sends and costs two loads.  Only an
  // active watcher's `sent` is defined (ev_async_init leaves it alone;
  // start clears it); a send to a stopped one just stores 1, as in libev.
  // (Starting or stopping the watcher while another thread sends to it is
  // a race in libev as well.)
  if (w->active && __atomic_load_n(&w->sent, __ATOMIC_SEQ_CST) == 1)
    return;
  __atomic_store_n(&w->sent, 1, __ATOMIC_SEQ_CST);
  wakeup_signal(loop, loop->async_pending);
}

}  // extern "C"
