// SPDX-License-Identifier: BSD-2-Clause
// watchers/array_watcher.h - the watchers a loop keeps in a plain array:
// prepare, check, fork, cleanup, and idle with one array per priority
// (ev(3) "ev_prepare and ev_check", "ev_fork", "ev_cleanup", "ev_idle").
// One start and one stop for all of them, instantiated per type in
// watchers/array_watchers.cc.  The rules they share, stated here once:
//  - An array may be the source of a virtual batch in the pending queue
//    (base/pending.h: the watchers of a pass are queued by reference to the
//    array): the queue is settled before the array changes.
//  - `active` is the 1-based index in the array; a stop moves the last
//    watcher into the gap (array_del).
//  - While any watcher of a kind is active, the kind takes part in the
//    phases of an iteration that run it (loop/loop.h, phase_join): prepare
//    before the poll, check after it, idle in the wait and after the poll.
//  - A cleanup watcher gives its reference back: it never keeps ev_run
//    running (doc/semantics.md §7).
#pragma once

#include "loop/loop.h"
#include "watchers/start_stop.h"

namespace ev_detail {

struct array_watcher_kind {
  int type;                                   // EV_PREPARE, ...: as in watcher_calls (start_stop.h)
  const char *start_api, *stop_api;           // the public names, for debug mode's reports
  array<W> &(*array_of)(ev_loop *loop, W w);  // the array the watcher goes in
  bool per_priority = false;                  // idle: an array per priority, all counted in loop->idleall
  // its phases while any is active, kPhaseCount in the slots left over (name
  // all three: an initialiser that names fewer fills the rest with phase 0)
  phase phases[3] = {kPhaseCount, kPhaseCount, kPhaseCount};
  bool gives_reference_back = false;  // cleanup
};

// The first watcher of a kind started (join) or the last stopped (leave).
template <const array_watcher_kind &K>
inline void array_watcher_phases(ev_loop *loop, bool join)
{
  for (phase p : K.phases)
    if (p != kPhaseCount)
      join ? phase_join(loop, p) : phase_leave(loop, p);
}

template <class T, const array_watcher_kind &K>
void array_watcher_start_plain(ev_loop *loop, T *w)
{
  if (w->active)
    return;
  loop->pending.settle();
  clamp_priority(as_w(w));  // (before array_of: idle's array is its priority's)
  array<W> &a = K.array_of(loop, as_w(w));
  start_watcher(loop, as_w(w), a.push(as_w(w)));
  const bool first = K.per_priority ? !loop->idleall++ : a.count == 1;
  if (first)
    array_watcher_phases<K>(loop, true);
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
    array_watcher_phases<K>(loop, false);
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
