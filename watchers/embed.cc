// SPDX-License-Identifier: BSD-2-Clause
// watchers/embed.cc - ev_embed, after ev(3)'s ev_embed section.
//
// An embedded loop's backend is one fd, its kernel object, that becomes readable when the inner
// loop has io events.  An internal io watcher watches it at the embed watcher's priority: with a
// callback, EV_EMBED is fed and the user sweeps; without one, the inner loop is swept at once.
// Before the outer loop blocks, an internal prepare watcher at EV_MINPRI flushes the inner loop's
// fd changes to its kernel set, and an internal fork watcher forwards forks.  So an active embed
// watcher holds four references (doc/semantics.md §7).
//
// The inner backend replaces its kernel object close-first, so the new one often has the same
// number and only the inner loop's backend_fd_generation tells.  The generation the io watcher was
// started for is kept in the embed watcher's unused `check` member.
#include "diag/walk.h"
#include "fd/fd.h"
#include "fd/stream.h"
#include "watchers/start_stop.h"

using namespace ev_detail;

constexpr watcher_calls kEmbedCalls{EV_EMBED, "ev_embed_start", "ev_embed_stop"};

namespace {

template <class T>
ev_embed *embed_of(T *member, std::size_t offset)
{
  return reinterpret_cast<ev_embed *>(reinterpret_cast<char *>(member) - offset);
}

inline unsigned &watched_generation(ev_embed *w) { return *reinterpret_cast<unsigned *>(&w->check.active); }

void embed_io_cb(EV_P_ ev_io *io, int)
{
  ev_embed *w = embed_of(io, offsetof(ev_embed, io));
  if (ev_cb(w))
    feed(loop, as_w(w), EV_EMBED);
  else
    ev_run(w->other, EVRUN_NOWAIT);
}

void embed_prepare_cb(EV_P_ ev_prepare *prepare, int)
{
  ev_embed *w = embed_of(prepare, offsetof(ev_embed, prepare));
  ev_loop *other = w->other;
  // Sends the program queued on the inner loop's streams from outside its callbacks go now.
  if (streams_sends_waiting(other))
    streams_flush(other);
  // As in libev, the flush is followed by a non-blocking inner run, handling events already there.
  if (other->fds.changes.count) {
    fd_reify(other);
    ev_run(other, EVRUN_NOWAIT);
    // What that run changed is applied too, without another run: a backend may re-arm every fd that
    // reported through the change queue and a callback may change its mask each time, so with a
    // ready fd the changes never run out, where libev livelocks.
    if (other->fds.changes.count)
      fd_reify(other);
  }

  // A stream's event that the inner loop's flush queued after its pass is swept for now, as a
  // readable inner fd would have it swept (ev(3): streams of an embedded loop work as its ev_io
  // watchers do).
  if (streams_left_for_next_pass(other))
    embed_io_cb(loop, &w->io, EV_READ);

  // If the inner backend replaced its kernel object, ev_io_set tells ours the fd is another file.
  if (watched_generation(w) != other->backend_fd_generation) {
    ev_io_stop(loop, &w->io);
    watched_generation(w) = other->backend_fd_generation;
    if (other->backend_fd >= 0) {
      ev_io_set(&w->io, other->backend_fd, EV_READ);
      ev_io_start(loop, &w->io);
    }
  }
}

void embed_fork_cb(EV_P_ ev_fork *fork_w, int)
{
  ev_embed *w = embed_of(fork_w, offsetof(ev_embed, fork));
  ev_embed_stop(loop, w);
  ev_loop_fork(w->other);
  ev_run(w->other, EVRUN_NOWAIT);  // let the inner loop rebuild now
  ev_embed_start(loop, w);
}

}  // namespace

namespace ev_detail {

W embed_owner(W w)
{
  if (ev_cb(w) == reinterpret_cast<decltype(ev_cb(w))>(embed_io_cb))
    return as_w(embed_of(w, offsetof(ev_embed, io)));
  if (ev_cb(w) == reinterpret_cast<decltype(ev_cb(w))>(embed_prepare_cb))
    return as_w(embed_of(w, offsetof(ev_embed, prepare)));
  if (ev_cb(w) == reinterpret_cast<decltype(ev_cb(w))>(embed_fork_cb))
    return as_w(embed_of(w, offsetof(ev_embed, fork)));
  return nullptr;
}

}  // namespace ev_detail

extern "C" {

static void embed_start_plain(struct ev_loop *loop, ev_embed *w)
{
  if (w->active)
    return;

  ev_loop *other = w->other;
  if (other && other != loop && other->backend->embedded)
    other->backend->embedded(other);
  if (!other || other->backend_fd < 0 || !(ev_backend(other) & ev_embeddable_backends()))
    usage_error("ev_embed_start", "libev: loop to be embedded is not embeddable");
  if (other == loop)
    usage_error("ev_embed_start", "libev: a loop cannot be embedded into itself");

  clamp_priority(as_w(w));
  ev_io_init(&w->io, embed_io_cb, other->backend_fd, EV_READ);
  watched_generation(w) = other->backend_fd_generation;
  ev_set_priority(&w->io, priority_of(w));
  ev_io_start(loop, &w->io);

  ev_prepare_init(&w->prepare, embed_prepare_cb);
  ev_set_priority(&w->prepare, EV_MINPRI);
  ev_prepare_start(loop, &w->prepare);

  ev_fork_init(&w->fork, embed_fork_cb);
#if EV_FORK_ENABLE
  ev_fork_start(loop, &w->fork);
#else
  embed_fork_watcher(loop, &w->fork, true);
#endif

  start_watcher_nullable_cb(loop, as_w(w), 1);  // a null callback sweeps at once, as ev(3) says
  EV_FREQUENT_CHECK(loop);
}

void ev_embed_start(EV_P_ ev_embed *w) noexcept { watcher_start<kEmbedCalls, embed_start_plain>(loop, w); }

static void embed_stop_active(struct ev_loop *loop, ev_embed *w)
{
  // its prepare watcher is in this loop's array if it runs here
  if (EV_UNLIKELY(!array_holds(loop->prepares, as_w(&w->prepare))))
    not_active_here("ev_embed_stop", w, w->active);
  ev_io_stop(loop, &w->io);
  ev_prepare_stop(loop, &w->prepare);
#if EV_FORK_ENABLE
  ev_fork_stop(loop, &w->fork);
#else
  embed_fork_watcher(loop, &w->fork, false);
#endif
  stop_watcher(loop, as_w(w));
  EV_FREQUENT_CHECK(loop);
}

void ev_embed_stop(EV_P_ ev_embed *w) noexcept { watcher_stop<kEmbedCalls, embed_stop_active>(loop, w); }

// A watcher never set (ev_embed_set) holds a null or garbage loop, where libev 4.33 crashes.
void ev_embed_sweep(struct ev_loop *, ev_embed *w) noexcept
{
  if (EV_UNLIKELY(!loop_is_live(w->other)))
    usage_error("ev_embed_sweep", "other", static_cast<const void *>(w->other),
                "libev: ev_embed_sweep called with an ev_embed watcher whose loop is not a loop of this process: "
                "it was never set (ev_embed_set), or its loop was destroyed");
  ev_run(w->other, EVRUN_NOWAIT);
}

}  // extern "C"
