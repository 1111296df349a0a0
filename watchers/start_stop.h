// SPDX-License-Identifier: BSD-2-Clause
// watchers/start_stop.h - what the public start and stop of a watcher type do around the type's own
// work, written once; io and timer have their own on their hot paths:
//  - a stop of a watcher neither active nor pending returns after one load of it, before the loop
//    is read, since programs stop inactive watchers all the time and their loop may be gone;
//  - a stop clears pending, then does the type's work only for an active watcher (stop_begin);
//  - in debug mode, the call is checked before and recorded after (debug_wrap, diag/debug.h).
// A type describes its calls with an object K of static storage duration: a watcher_calls, or a
// richer kind with the same members such as array_watcher_kind.
#pragma once

#include "diag/debug.h"
#include "loop/loop.h"

namespace ev_detail {

struct watcher_calls {
  int type;
  const char *start_api, *stop_api;
};

// Start: the type's start, which returns at once for an active watcher.
template <const auto &K, auto Start, class T>
inline void watcher_start(ev_loop *loop, T *w)
{
  if (debug_on(loop))
    return debug_wrap(loop, w, K.type, K.start_api, Start);
  Start(loop, w);
}

// StopActive: the type's stop of a watcher that stop_begin found active.
template <const auto &K, auto StopActive, class T>
void stop_if_active(ev_loop *loop, T *w)
{
  if (stop_begin(loop, as_w(w), K.stop_api))
    StopActive(loop, w);
}

// always_inline, so that an inactive watcher's stop stays one test in units compiled for size too.
template <const auto &K, auto StopActive, class T>
[[gnu::always_inline]] inline void watcher_stop(ev_loop *loop, T *w)
{
  if (stop_has_nothing_to_do(as_w(w)))
    return;
  if (debug_on_for_stop(loop, as_w(w)))
    return debug_wrap(loop, w, K.type, K.stop_api, stop_if_active<K, StopActive, T>);
  stop_if_active<K, StopActive>(loop, w);
}

}  // namespace ev_detail
