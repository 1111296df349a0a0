// core/pending.h - the pending queues (ev(3) WATCHER STATES, WATCHER
// PRIORITY MODELS, ev_feed_event, ev_invoke_pending, ev_clear_pending).
//
// One array of {watcher, revents} per priority level.  A watcher's `pending`
// field is its 1-based slot in the array of its priority (0: not pending).
//  - Feeding a pending watcher ORs into its slot: one call with the union.
//  - Invocation takes the highest non-empty level and, within a level, the
//    most recently queued slot first (libev's LIFO order, SEMANTICS.md §4).
//    The level is looked up again before every callback, so a callback that
//    feeds a higher priority is followed by that watcher first.
//  - Clearing (stop, ev_clear_pending) leaves the slot in place pointing at a
//    dummy watcher whose callback does nothing: no compaction, so slot
//    numbers of other watchers stay valid and ev_pending_count still counts
//    the slot until the next pass, as in libev.
// A bit mask of non-empty levels makes "highest non-empty level" one bsr.
#pragma once

#include "core/array.h"

namespace ev_detail {

struct pending_slot {
  W w;
  int revents;
};

struct pending_queues {
  array<pending_slot> level[kNumPri];
  unsigned mask;  // bit p set <=> level[p].count > 0
  ev_watcher dummy;  // stands in for cleared slots; its callback is a no-op

  // The level a watcher is queued on.  The field is clamped by every start,
  // but ev_feed_event accepts never-started watchers with any value, which is
  // undefined behaviour in libev; here it is clamped to the nearest level.
  static int level_of(W w)
  {
    unsigned p = static_cast<unsigned>(w->priority - EV_MINPRI);
    if (EV_LIKELY(p < static_cast<unsigned>(kNumPri)))
      return static_cast<int>(p);
    return clamped_level(w->priority);
  }

  [[gnu::cold]] static int clamped_level(int priority)
  {
    return (priority < EV_MINPRI ? EV_MINPRI : EV_MAXPRI) - EV_MINPRI;
  }

  // The slot of a pending watcher.  ev(3) forbids changing the priority of a
  // pending watcher; doing so would make us touch another level's slot, so
  // the slot is checked and a misuse reported instead of corrupting memory.
  pending_slot &slot_of(W w)
  {
    array<pending_slot> &l = level[level_of(w)];
    int i = w->pending - 1;
    if (EV_UNLIKELY(i >= l.count || l.data[i].w != w))
      usage_error("ev_set_priority", "priority", static_cast<long long>(w->priority),
                  "libev: the priority of a pending watcher must not be changed");
    return l.data[i];
  }

  // Queue w with revents, or OR revents into its slot if it is pending.
  void feed(W w, int revents)
  {
    if (EV_UNLIKELY(w->pending)) {
      feed_again(w, revents);
      return;
    }
    int p = level_of(w);
    array<pending_slot> &l = level[p];
    int n = l.count;
    if (EV_UNLIKELY(n == l.capacity))
      l.grow(n + 1);
    l.data[n].w = w;
    l.data[n].revents = revents;
    l.count = ++n;
    w->pending = n;
    mask |= 1u << p;
  }

  [[gnu::noinline]] void feed_again(W w, int revents) { slot_of(w).revents |= revents; }

  // Forget a pending event; returns its revents (0 if not pending).
  int clear(W w)
  {
    if (!w->pending)
      return 0;
    pending_slot &s = slot_of(w);
    int revents = s.revents;
    s.w = &dummy;
    w->pending = 0;
    return revents;
  }

  unsigned count() const
  {
    unsigned n = 0;
    for (const auto &l : level)
      n += static_cast<unsigned>(l.count);
    return n;
  }

  // Invoke everything: highest level first, LIFO within a level; the level
  // is looked up again whenever a callback queued something higher.  Each
  // slot is taken off the queue (and `pending` cleared) before `call` runs,
  // so a callback may throw or longjmp and leave the queue consistent.
  template <class Call>
  void invoke_all(Call &&call)
  {
    while (unsigned m = mask) {
      const int p = 31 - __builtin_clz(m);
      array<pending_slot> &l = level[p];
      do {
        int n = --l.count;
        pending_slot s = l.data[n];
        if (!n)
          mask &= ~(1u << p);
        s.w->pending = 0;
        call(s.w, s.revents);
      } while (l.count && !(mask >> (p + 1)));
    }
  }

  void release()
  {
    for (auto &l : level)
      l.release();
    mask = 0;
  }
};

}  // namespace ev_detail
