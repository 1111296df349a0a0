// SPDX-License-Identifier: BSD-2-Clause
// watchers/once.cc - ev_once (ev(3) OTHER FUNCTIONS): call a function once, when an fd becomes
// ready or a timeout passes, whichever comes first.
//
// Both internal watchers share one allocated block; they are stopped and the block freed before the
// user's callback runs, so that the callback may start a new ev_once or destroy the loop.  As in
// libev, events that arrive in the same iteration reach the callback as their union.
//
// Unlike libev 4.33, no block is ever lost: the loop frees the waiting ones when it is destroyed,
// without calling their callbacks, and a call with nothing to wait for allocates none.
#include "diag/walk.h"
#include "loop/loop.h"

#include <cmath>

using namespace ev_detail;

namespace ev_detail {

struct once_block {
  ev_io io;
  ev_timer to;
  void (*cb)(int revents, void *arg);
  void *arg;
  once_block *prev, *next;  // the loop's waiting blocks (loop->onces)
};

}  // namespace ev_detail

namespace {

void once_free(ev_loop *loop, once_block *o)
{
  ev_io *io = &o->io;
  ev_timer *to = &o->to;
  ev_io_stop(EV_A_ io);
  ev_timer_stop(EV_A_ to);
  (o->prev ? o->prev->next : loop->onces) = o->next;
  if (o->next)
    o->next->prev = o->prev;
  ev_free(o);
}

void once_finish(ev_loop *loop, once_block *o, int revents)
{
  void (*cb)(int, void *) = o->cb;
  void *arg = o->arg;
  once_free(loop, o);
  cb(revents, arg);
}

void once_io_cb(EV_P_ ev_io *w, int revents)
{
  auto *o = reinterpret_cast<once_block *>(reinterpret_cast<char *>(w) - offsetof(once_block, io));
  ev_timer *to = &o->to;
  once_finish(loop, o, revents | ev_clear_pending(EV_A_ to));
}

void once_timer_cb(EV_P_ ev_timer *w, int revents)
{
  auto *o = reinterpret_cast<once_block *>(reinterpret_cast<char *>(w) - offsetof(once_block, to));
  ev_io *io = &o->io;
  once_finish(loop, o, revents | ev_clear_pending(EV_A_ io));
}

}  // namespace

namespace ev_detail {

bool once_member(W w)
{
  return ev_cb(w) == reinterpret_cast<decltype(ev_cb(w))>(once_io_cb) ||
         ev_cb(w) == reinterpret_cast<decltype(ev_cb(w))>(once_timer_cb);
}

void onces_loop_destroy(ev_loop *loop)
{
  while (loop->onces)
    once_free(loop, loop->onces);
}

}  // namespace ev_detail

extern "C" {

void ev_once(EV_P_ int fd, int events, ev_tstamp timeout, void (*cb)(int revents, void *arg), void *arg) noexcept
{
  if (std::isnan(timeout))
    usage_error("ev_once", "timeout", timeout, "libev: ev_once called with a NaN timeout");
  if (fd < 0 && !(timeout >= 0.))
    return;  // nothing to wait for: the callback would never be called
  // libev 4.33 calls through the null pointer when the event comes
  if (!cb)
    usage_error("ev_once", "cb", 0LL, "libev: ev_once called without a callback");

  auto *o = static_cast<once_block *>(ev_realloc(nullptr, sizeof(once_block)));
  o->cb = cb;
  o->arg = arg;
  o->prev = nullptr;
  o->next = loop->onces;
  if (o->next)
    o->next->prev = o;
  loop->onces = o;

  ev_io *io = &o->io;
  ev_init(io, once_io_cb);
  if (fd >= 0) {
    ev_io_set(io, fd, events);
    ev_io_start(EV_A_ io);
  }

  ev_timer *to = &o->to;
  ev_init(to, once_timer_cb);
  if (timeout >= 0.) {
    ev_timer_set(to, timeout, 0.);
    ev_timer_start(EV_A_ to);
  }
}

}  // extern "C"
