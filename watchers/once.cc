// watchers/once.cc - ev_once (ev(3) OTHER FUNCTIONS): call a function once,
// when an fd becomes ready or a timeout passes, whichever comes first.
//
// The two internal watchers live in one block from the allocator; both are
// stopped and the block freed before the user's callback runs, so the
// callback may start a new ev_once or destroy the loop.  When both events
// arrive in the same iteration, the callback gets their union (e.g.
// EV_READ|EV_TIMER), as in libev.
#include "loop.h"

using namespace ev_detail;

namespace {

struct once_block {
  ev_io io;
  ev_timer to;
  void (*cb)(int revents, void *arg);
  void *arg;
};

void once_finish(ev_loop *loop, once_block *o, int revents)
{
  void (*cb)(int, void *) = o->cb;
  void *arg = o->arg;
  ev_io_stop(loop, &o->io);
  ev_timer_stop(loop, &o->to);
  ev_free(o);
  cb(revents, arg);
}

void once_io_cb(ev_loop *loop, ev_io *w, int revents)
{
  auto *o = reinterpret_cast<once_block *>(reinterpret_cast<char *>(w) - offsetof(once_block, io));
  once_finish(loop, o, revents | ev_clear_pending(loop, &o->to));
}

void once_timer_cb(ev_loop *loop, ev_timer *w, int revents)
{
  auto *o = reinterpret_cast<once_block *>(reinterpret_cast<char *>(w) - offsetof(once_block, to));
  once_finish(loop, o, revents | ev_clear_pending(loop, &o->io));
}

}  // namespace

extern "C" {

void ev_once(struct ev_loop *loop, int fd, int events, ev_tstamp timeout, void (*cb)(int revents, void *arg),
             void *arg) noexcept
{
  auto *o = static_cast<once_block *>(ev_realloc(nullptr, sizeof(once_block)));
  o->cb = cb;
  o->arg = arg;

  ev_init(&o->io, once_io_cb);
  if (fd >= 0) {
    ev_io_set(&o->io, fd, events);
    ev_io_start(loop, &o->io);
  }

  ev_init(&o->to, once_timer_cb);
  if (timeout >= 0.) {
    ev_timer_set(&o->to, timeout, 0.);
    ev_timer_start(loop, &o->to);
  }
}

}  // extern "C"
