// SPDX-License-Identifier: BSD-2-Clause
// watchers/array_watcher.h - the watchers a loop keeps in a plain array: prepare, check, fork,
// cleanup, and idle with one array per priority.  One start and one stop for all of them,
// instantiated per type in watchers/array_watchers.cc.  The rules they share, stated here once:
//  - An array may be the source of a virtual batch in the pending queue (base/pending.h), so the
//    queue is settled before the array changes.
//  - `active` is the 1-based array index; a stop moves the last watcher into the gap (array_del).
//  - While any watcher of a kind is active, the kind's member of kWorkSteps has work (loop/loop.h).
//  - A cleanup watcher gives its reference back: it never keeps ev_run going (doc/semantics.md §7).
#pragma once

#include "loop/loop.h"
#include "watchers/start_stop.h"

namespace ev_detail {

struct array_watcher_kind {
  int type;                          // EV_PREPARE, ...: as in watcher_calls (start_stop.h)
  const char *start_api, *stop_api;  // the public names, for debug mode's reports
  array<W> &(*array_of)(ev_loop *loop, W w);
  bool per_priority = false;  // idle: an array per priority, all counted in loop->idleall
  work_member member = kWorkMembers;
  bool gives_reference_back = false;  // cleanup
};

// The first watcher of a kind started (has) or the last stopped.
template <const array_watcher_kind &K>
inline void array_watcher_work(ev_loop *loop, bool has)
{
  if constexpr (K.member != kWorkMembers)
    work_set(loop, K.member, has);
}

template <class T, const array_watcher_kind &K>
void array_watcher_start_plain(ev_loop *loop, T *w)
{
  if (w->active)
    return;
  loop->pending.settle();
  clamp_priority(as_w(w));  // before array_of, since idle's array is its priority's
  array<W> &a = K.array_of(loop, as_w(w));
  start_watcher(loop, as_w(w), a.push(as_w(w)));
  const bool first = K.per_priority ? !loop->idleall++ : a.count == 1;
  if (first)
    array_watcher_work<K>(loop, true);
  if (K.gives_reference_back)
    ev_unref(EV_A);
  EV_FREQUENT_CHECK(loop);
}

template <class T, const array_watcher_kind &K>
void array_watcher_stop_active(ev_loop *loop, T *w)
{
  loop->pending.settle();
  array<W> &a = K.array_of(loop, as_w(w));
  check_array_index(a, as_w(w), K.stop_api);
  array_del(a, as_w(w));
  if (K.gives_reference_back)
    ev_ref(EV_A);
  stop_watcher(loop, as_w(w));
  const bool none_left = K.per_priority ? !--loop->idleall : !a.count;
  if (none_left)
    array_watcher_work<K>(loop, false);
  EV_FREQUENT_CHECK(loop);
}

template <const array_watcher_kind &K, class T>
inline void array_watcher_start(ev_loop *loop, T *w)
{
  watcher_start<K, array_watcher_start_plain<T, K>>(loop, w);
}

template <const array_watcher_kind &K, class T>
inline void array_watcher_stop(ev_loop *loop, T *w)
{
  watcher_stop<K, array_watcher_stop_active<T, K>>(loop, w);
}

}  // namespace ev_detail
