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
//
// Batches.  Prepare, check and idle watchers are queued a whole array at a
// time, and in the common case (none of them pending already, all of one
// priority) nothing needs to be written into the level array: the batch
// stays "virtual" - the watcher array itself, a count, its level and its
// revents - and invocation takes the watchers straight from it.  Each
// watcher's `pending` still holds exactly the slot number it would have
// (the batch sits on top of its level), so nothing observable changes.
// Whatever would look at or change the slots while a batch is virtual
// (another feed, a clear, a count, a start or stop that changes the
// watcher array) first writes the remaining entries out as real slots
// (materialize).  This roughly halves the cost of a prepare/check/idle
// callback, the loop's per-iteration hooks.
#pragma once

#include <cstddef>

#include "core/array.h"

namespace ev_detail {

struct pending_slot {
  W w;
  int revents;
};

struct pending_queues {
  array<pending_slot> level[kNumPri];
  unsigned mask;  // bit p set <=> level[p] has real or virtual entries
  ev_watcher dummy;  // stands in for cleared slots; its callback is a no-op

  // The virtual batches (see above), a small stack in the order they were
  // queued.  Batch b stands for the slots start .. start + count - 1 of
  // level[lvl]: its watchers base[0 .. count), all with `revents`.  Virtual
  // entries of a level are always above its real ones (a real feed settles
  // first).  An iteration queues at most three batches (checks, idles and
  // prepares, at one or two levels); more fall back to real slots.
  struct batch {
    W *base;
    int count;  // entries not yet invoked
    int lvl;
    int start;
    int revents;
  };
  static constexpr int kMaxBatches = 4;
  batch vb[kMaxBatches];
  int nvb;  // batches on the stack (drained ones are dropped off the top)
  // Changes whenever the batch stack does (a batch pushed, the batches
  // written out): the loop invoking a batch checks it after each callback.
  unsigned long batch_epoch;

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

  // Write the virtual batches out as real slots (same slot numbers).
  [[gnu::noinline]] void materialize()
  {
    for (int b = 0; b < nvb; ++b) {
      batch &v = vb[b];
      if (!v.count)
        continue;
      array<pending_slot> &l = level[v.lvl];
      l.reserve(v.start + v.count);
      for (int i = 0; i < v.count; ++i) {
        l.data[v.start + i].w = v.base[i];
        l.data[v.start + i].revents = v.revents;
      }
      l.count = v.start + v.count;
      v.count = 0;
    }
    nvb = 0;
    ++batch_epoch;
  }

  // Call before anything that reads or writes slots, or changes the array
  // a virtual batch points into (the start/stop of prepare, check, ...).
  void settle()
  {
    if (EV_UNLIKELY(nvb))
      materialize();
  }

  // The virtual entries of level p.
  int virtual_count(int p) const
  {
    int n = 0;
    for (int b = 0; b < nvb; ++b)
      if (vb[b].lvl == p)
        n += vb[b].count;
    return n;
  }

  // The slot of a pending watcher.  ev(3) forbids changing the priority of a
  // pending watcher; doing so would make us touch another level's slot, so
  // the slot is checked and a misuse reported instead of corrupting memory.
  pending_slot &slot_of(W w)
  {
    settle();
    array<pending_slot> &l = level[level_of(w)];
    int i = w->pending - 1;
    if (EV_UNLIKELY(i >= l.count || l.data[i].w != w))
      usage_error("ev_set_priority", "priority", static_cast<long long>(w->priority),
                  "libev: the priority of a pending watcher must not be changed");
    return l.data[i];
  }

  // Queue w with revents, or OR revents into its slot if it is pending.
  // The common case (not pending, no virtual batch, a valid priority, room
  // in the array) is all inline and calls nothing, so that callers need no
  // stack frame for it; everything else is feed_slow, reached by a tail call.
  void feed(W w, int revents)
  {
    const unsigned p = static_cast<unsigned>(w->priority - EV_MINPRI);
    if (EV_LIKELY(!w->pending && !nvb && p < static_cast<unsigned>(kNumPri))) {
      array<pending_slot> &l = level[p];
      int n = l.count;
      if (EV_LIKELY(n != l.capacity)) {
        l.data[n].w = w;
        l.data[n].revents = revents;
        l.count = ++n;
        w->pending = n;
        mask |= 1u << p;
        return;
      }
    }
    feed_slow(w, revents);
  }

  [[gnu::noinline]] void feed_slow(W w, int revents)
  {
    if (w->pending) {
      feed_again(w, revents);
      return;
    }
    settle();
    int p = level_of(w);
    array<pending_slot> &l = level[p];
    int n = l.count;
    l.reserve(n + 1);
    l.data[n].w = w;
    l.data[n].revents = revents;
    l.count = ++n;
    w->pending = n;
    mask |= 1u << p;
  }

  [[gnu::noinline]] void feed_again(W w, int revents) { slot_of(w).revents |= revents; }

  // feed() for a run of feeds (a backend reporting its events): the caller
  // has settled the batches once and ORs the returned level bit into the
  // mask it writes back at the end.
  unsigned feed_unmasked(W w, int revents)
  {
    if (EV_UNLIKELY(w->pending)) {
      feed_again(w, revents);
      return 0;
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
    return 1u << p;
  }

  // Queue a whole watcher array in index order (later ones are invoked
  // first), as a virtual batch when possible.  A batch pushed while another
  // is being invoked (by a nested ev_run in one of its callbacks) lies above
  // the rest of that one, so it runs first, as real slots would.
  void feed_batch(W *ws, int n, int revents)
  {
    if (EV_UNLIKELY(nvb == kMaxBatches) || !n) {
      for (int i = 0; i < n; ++i)
        feed(ws[i], revents);
      return;
    }
    const int priority = ws[0]->priority;
    const int p = level_of(ws[0]);
    const int start = level[p].count + (nvb ? virtual_count(p) : 0);
    // A watcher can join the batch if it is not pending and has the batch's
    // priority: `pending` and `priority` are adjacent ints, so one 8-byte
    // load compares both (this loop runs once per prepare/check/idle
    // watcher per iteration).
    const unsigned long long joinable = static_cast<unsigned long long>(static_cast<unsigned>(priority))
                                        << (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? 32 : 0);
    W *q = ws;
    W *const end = ws + n;
    for (int slot = start; q != end; ++q) {
      W w = *q;
      if (EV_UNLIKELY(pending_and_priority(w) != joinable))
        break;
      w->pending = ++slot;
    }
    int i = static_cast<int>(q - ws);
    if (i) {
      vb[nvb++] = batch{ws, i, p, start, revents};
      mask |= 1u << p;
      ++batch_epoch;
    }
    // the rest (mixed priorities, already pending): the ordinary way
    for (; i < n; ++i)
      feed(ws[i], revents);
  }

  static unsigned long long pending_and_priority(W w)
  {
    static_assert(offsetof(ev_watcher, priority) == offsetof(ev_watcher, pending) + sizeof(int),
                  "pending and priority are adjacent");
    static_assert(sizeof(int) == 4, "two ints make one 8-byte word");
    unsigned long long both;
    __builtin_memcpy(&both, reinterpret_cast<const char *>(w) + offsetof(ev_watcher, pending), sizeof both);
    return both;  // pending in the low half on little-endian machines, else the high half
  }

  // Forget a pending event; returns its revents (0 if not pending).
  int clear(W w)
  {
    if (!w->pending)
      return 0;
    pending_slot &s = slot_of(w);  // (settles a virtual batch)
    int revents = s.revents;
    s.w = &dummy;
    w->pending = 0;
    return revents;
  }

  unsigned count() const
  {
    unsigned n = 0;
    for (int b = 0; b < nvb; ++b)
      n += static_cast<unsigned>(vb[b].count);
    for (const auto &l : level)
      n += static_cast<unsigned>(l.count);
    return n;
  }

  // Entries queued at level p, real and virtual.
  int level_count(int p) const { return level[p].count + (nvb ? virtual_count(p) : 0); }

  // Invoke everything: highest level first, LIFO within a level; the level
  // is looked up again whenever a callback queued something higher.  Each
  // slot is taken off the queue (and `pending` cleared) before `call` runs,
  // so a callback may throw or longjmp and leave the queue consistent.
  // Batch b of level p has no entries left: drop it (and any drained ones
  // below it) off the stack top, and clear the level's bit if it is empty.
  [[gnu::noinline]] void batch_drained(int b, int p)
  {
    if (b == nvb - 1)
      while (nvb && !vb[nvb - 1].count)
        --nvb;
    if (!level[p].count && !virtual_count(p))
      mask &= ~(1u << p);
  }

  template <class Call>
  void invoke_all(Call &&call)
  {
    ++batch_epoch;  // a nested pass (ev_invoke_pending in a callback) takes entries of ours
    while (unsigned m = mask) {
      const int p = 31 - __builtin_clz(m);
      if (nvb) {
        // the newest virtual batch of level p is the top of that level
        int b = nvb;
        while (b-- && (vb[b].lvl != p || !vb[b].count)) {
        }
        if (b >= 0) {
          // Anything that could change the order (a feed, a clear, the
          // start or stop of such a watcher, another batch) writes the
          // batches out or pushes one, and changes the epoch: then this
          // loop ends, and the scan starts again at the top.  The stack
          // entry (which may be reused meanwhile) is not looked at again.
          batch &v = vb[b];
          W *const base = v.base;
          const int revents = v.revents;
          const unsigned long epoch = batch_epoch;
          int n = v.count;
          for (;;) {
            W w = base[--n];
            v.count = n;
            w->pending = 0;
            if (EV_UNLIKELY(!n)) {
              batch_drained(b, p);
              call(w, revents);
              break;
            }
            call(w, revents);
            if (batch_epoch != epoch)
              break;
          }
          continue;
        }
      }
      array<pending_slot> &l = level[p];
      do {
        int n = --l.count;
        pending_slot s = l.data[n];
        if (!n)
          mask &= ~(1u << p);
        s.w->pending = 0;
        call(s.w, s.revents);
      } while (l.count && !(mask >> (p + 1)) && !nvb);
    }
  }

  void release()
  {
    for (auto &l : level)
      l.release();
    mask = 0;
    nvb = 0;
  }
};

}  // namespace ev_detail
