// SPDX-License-Identifier: BSD-2-Clause
// base/pending.h - the pending queues as the loop uses them: the plain queue
// of base/slot_queue.h (slots, LIFO order, clear-to-dummy: what libev's
// pending watchers observably are) with a layer of virtual batches on top.
//
// Batches.  Prepare, check and idle watchers are queued a whole array at a
// time, and in the common case (none of them pending already, all of one
// priority) nothing needs to be written into the level array: the batch
// stays "virtual" - the watcher array itself, a count, its level and its
// revents - and invocation takes the watchers straight from it.  Each
// watcher's `pending` still holds exactly the slot number it would have
// (the batch sits on top of its level), so nothing observable changes
// (t/unit/pending_equivalence_test.cc compares the two layers on random
// operation sequences).  Whatever would look at or change the slots while
// a batch is virtual (another feed, a clear, a count, a start or stop that
// changes the watcher array) first writes the remaining entries out as real
// slots (materialize).  This makes a prepare/check/idle callback, the
// loop's per-iteration hooks, much cheaper than a slot each.
//
// Everything outside this file and slot_queue.h goes through pending_queues;
// code that reads the slots themselves (ev_verify, ev_dump, debug mode)
// takes them from settled().
#pragma once

#include <cstddef>

#include "base/slot_queue.h"

namespace ev_detail {

struct pending_queues {
  slot_queue slots;

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
  // Non-zero: every feed() takes feed_slow (the loop's debug mode checks
  // there who feeds).  Next to nvb, so that feed() tests both with one load.
  int feed_gate;
  // Changes whenever the batch stack does (a batch pushed, the batches
  // written out): the loop invoking a batch checks it after each callback.
  unsigned long batch_epoch;

  // Something is pending (real or virtual).
  bool any() const { return slots.mask != 0; }

  static int level_of(W w) { return slot_queue::level_of(w); }

  // Write the virtual batches out as real slots (same slot numbers).
  void materialize()
  {
    for (int b = 0; b < nvb; ++b) {
      batch &v = vb[b];
      if (!v.count)
        continue;
      array<pending_slot> &l = slots.level[v.lvl];
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

  // The plain queue, every entry a real slot: for code that reads the slots.
  slot_queue &settled()
  {
    settle();
    return slots;
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

  // Queue w with revents, or OR revents into its slot if it is pending.
  // The common case (not pending, no virtual batch, a valid priority, room
  // in the array) is all inline and calls nothing, so that callers need no
  // stack frame for it; everything else is feed_slow, reached by a tail call.
  void feed(W w, int revents)
  {
    if (EV_LIKELY(feed_fast(w, revents)))
      return;
    feed_slow(w, revents);
  }

  // feed() without its slow half: false when feed_slow must do it.
  bool feed_fast(W w, int revents) { return EV_LIKELY(!batches_or_gate()) && slots.push_fast(w, revents); }

  // nvb and feed_gate in one load: non-zero if either is.
  unsigned long long batches_or_gate() const
  {
    static_assert(offsetof(pending_queues, feed_gate) == offsetof(pending_queues, nvb) + sizeof(int),
                  "nvb and feed_gate are adjacent");
    static_assert(sizeof(int) == 4, "two ints make one 8-byte word");
    unsigned long long both;
    __builtin_memcpy(&both, reinterpret_cast<const char *>(this) + offsetof(pending_queues, nvb), sizeof both);
    return both;
  }

  // (noinline: keeps feed's common case frameless.)
  // (`api`: the call the program made, for a report of a watcher that is
  // not pending here, slot_queue::slot_of.)
  [[gnu::noinline]] void feed_slow(W w, int revents, const char *api = nullptr)
  {
    settle();
    if (w->pending)
      slots.feed_again(w, revents, api);
    else
      slots.push(w, revents);
  }

  // A run of feeds (a backend reporting its events): the batches are
  // settled once, and the level mask is kept in a register and stored once
  // at the end, instead of once per event.
  class feed_run {
   public:
    explicit feed_run(pending_queues &q) : slots_(q.settled()), mask_(slots_.mask) {}
    ~feed_run() { slots_.mask = mask_; }
    feed_run(const feed_run &) = delete;
    feed_run &operator=(const feed_run &) = delete;
    void feed(W w, int revents) { mask_ |= slots_.feed_unmasked(w, revents); }

   private:
    slot_queue &slots_;
    unsigned mask_;
  };

  // Queue a whole watcher array in index order (later ones are invoked
  // first), as a virtual batch when possible.  A batch pushed while another
  // is being invoked (by a nested ev_run in one of its callbacks) lies above
  // the rest of that one, so it runs first, as real slots would.
  void feed_batch(W *ws, int n, int revents)
  {
    if (EV_UNLIKELY(nvb == kMaxBatches) || !n)
      return feed_each(ws, n, revents);
    const int priority = priority_of(ws[0]);
    const int p = level_of(ws[0]);
    const int start = slots.level[p].count + (nvb ? virtual_count(p) : 0);
    // A watcher can join the batch if it is not pending and has the batch's
    // priority: `pending` and `priority` are adjacent ints, so one 8-byte
    // load compares both (this loop runs once per prepare/check/idle
    // watcher per iteration).
    const unsigned long long joinable = kPriorities ? static_cast<unsigned long long>(static_cast<unsigned>(priority))
                                                          << (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? 32 : 0)
                                                    : 0;
    W *q = ws;
    W *const end = ws + n;
    for (int slot = start; q != end; ++q) {
      W w = *q;
      if (EV_UNLIKELY(pending_and_priority(w) != joinable))
        break;
      w->pending = ++slot;
    }
    const int i = static_cast<int>(q - ws);
    if (i) {
      vb[nvb++] = batch{ws, i, p, start, revents};
      slots.mask |= 1u << p;
      ++batch_epoch;
    }
    // the rest (mixed priorities, already pending): the ordinary way
    if (EV_UNLIKELY(i != n))
      feed_each(ws + i, n - i, revents);
  }

  // Feed ws[0 .. n) one at a time, in index order.
  // (noinline: with this loop out of line feed_batch is small enough to be
  // inlined where the loop queues its hooks.)
  [[gnu::noinline]] void feed_each(W *ws, int n, int revents)
  {
    for (int i = 0; i < n; ++i)
      feed(ws[i], revents);
  }

  static unsigned long long pending_and_priority(W w)
  {
#if EV_MINPRI == EV_MAXPRI
    return static_cast<unsigned>(w->pending);  // (no priority member: the batch's is the only one)
#else
    static_assert(offsetof(ev_watcher, priority) == offsetof(ev_watcher, pending) + sizeof(int),
                  "pending and priority are adjacent");
    static_assert(sizeof(int) == 4, "two ints make one 8-byte word");
    unsigned long long both;
    __builtin_memcpy(&both, reinterpret_cast<const char *>(w) + offsetof(ev_watcher, pending), sizeof both);
    return both;  // pending in the low half on little-endian machines, else the high half
#endif
  }

  // Forget a pending event; returns its revents (0 if not pending).  `api`
  // as for feed_slow.
  int clear(W w, const char *api = nullptr)
  {
    if (!w->pending)
      return 0;
    return settled().clear(w, api);
  }

  // Entries queued, real and virtual (ev_pending_count; loop metrics count
  // at every pass and poll).
  unsigned count() const
  {
    unsigned n = slots.count();
    for (int b = 0; b < nvb; ++b)
      n += static_cast<unsigned>(vb[b].count);
    return n;
  }

  // Entries queued at level p, real and virtual.
  int level_count(int p) const { return slots.level[p].count + (nvb ? virtual_count(p) : 0); }

  // Batch b of level p has no entries left: drop it (and any drained ones
  // below it) off the stack top, and clear the level's bit if it is empty.
  // (noinline: a drained batch is rare per callback; inlined, it would
  // weigh on every invocation.)
  [[gnu::noinline]] void batch_drained(int b, int p)
  {
    if (b == nvb - 1)
      while (nvb && !vb[nvb - 1].count)
        --nvb;
    if (!slots.level[p].count && !virtual_count(p))
      slots.mask &= ~(1u << p);
  }

  // Invoke everything in the plain queue's order (slot_queue::invoke_all),
  // taking a level's virtual batch before its real slots (it lies above
  // them).  Each entry is taken off the queue (and `pending` cleared) before
  // `call` runs, so a callback may throw or longjmp and leave the queue
  // consistent.
  //
  // `enter(p)` is called whenever the scan below picks level p, before the
  // callbacks it then takes from there (so also with the level of the last
  // call, after a batch or a feed restarted the scan): loop metrics time the
  // pass per level with it (diag/metrics.cc); the plain invocation passes a
  // no-op, which compiles away.
  // (Both by value: a pointer-sized lambda goes in a register.)
  template <class Call, class Enter>
  void invoke_all(Call call, Enter enter)
  {
    ++batch_epoch;  // a nested pass (ev_invoke_pending in a callback) takes entries of ours
    while (unsigned m = slots.mask) {
      const int p = 31 - __builtin_clz(m);
      enter(p);
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
      slots.invoke_level(p, call, nvb);
    }
  }

  // invoke_all without `enter`.  While no virtual batch is queued (io
  // events, timers, ev_feed_event: the common pass) it takes one slot at a
  // time, the highest level looked up again after each callback, which is
  // the plain queue's order; nothing but `call` lives across a callback, so
  // the pass needs almost no stack frame.  A batch (queued before or by
  // a callback) hands the rest to the pass above.  The epoch need not
  // change here: a pass invoking a batch that still has entries keeps it on
  // the stack, so a nested pass that finds no batch takes nothing of its.
  template <class Call>
  void invoke_all(Call call)
  {
    while (unsigned m = slots.mask) {
      if (EV_UNLIKELY(nvb))
        return invoke_all(call, [](int) {});
      slots.invoke_newest(__builtin_clz(m) ^ 31, call);  // the highest level (bsr)
    }
  }

  void release()
  {
    slots.release();
    nvb = 0;
  }
};

}  // namespace ev_detail
