// SPDX-License-Identifier: BSD-2-Clause
// base/pending.h - the pending queues as the loop uses them: the plain queue of base/slot_queue.h,
// which is what libev's pending watchers observably are, with a layer of virtual batches on top.
// Everything outside this file and slot_queue.h goes through pending_queues.
//
// Batches.  Prepare, check and idle watchers are queued a whole array at a time, so that these
// per-iteration hooks cost much less than a slot each.  When none is pending already and all share
// one priority, the batch stays virtual: the watcher array, a count, a level and the revents, from
// which invocation takes the watchers.  Each watcher's `pending` still holds the slot number it
// would have, so nothing observable changes (t/unit/pending_equivalence_test.cc).  Whatever would
// look at or change the slots first writes the rest out as real slots (materialize).
//
// Read from outside (base/slot_queue.h gives the slots' rules): a batch invokes its watchers from
// the top, lowering `count` before each callback, so the taken watcher is base[count]; and a
// drained batch dropped off the stack stays in vb[nvb] as it was, count 0, until the next batch is
// pushed.  ev-watchdog relies on both to find the callback of a batch.
#pragma once

#include <cstddef>

#include "base/slot_queue.h"

namespace ev_detail {

struct pending_queues {
  slot_queue slots;

  // The virtual batches, a small stack in the order they were queued.  Batch b stands for the slots
  // start .. start + count - 1 of level[lvl]: its watchers base[0 .. count), all with `revents`.  A
  // real feed settles the batches first, so virtual entries of a level are always above its real
  // ones.  A batch beyond kMaxBatches falls back to real slots.
  struct batch {
    W *base;
    int count;  // entries not yet invoked
    int lvl;
    int start;
    int revents;
  };
  static constexpr int kMaxBatches = 4;
  batch vb[kMaxBatches];
  int nvb;  // batches on the stack; drained ones are dropped off the top
  // Non-zero sends every feed() to feed_slow, where debug mode checks who
  // feeds.  It sits next to nvb so that feed() tests both with one load.
  int feed_gate;
  // Changes whenever the batch stack does; the loop invoking a batch checks it after each callback.
  unsigned long batch_epoch;

  bool any() const { return slots.mask != 0; }

  static int level_of(W w) { return slot_queue::level_of(w); }

  // Write the virtual batches out as real slots with the same numbers (base/pending.cc).
  void materialize();

  // Call before anything that reads or writes slots, or changes the array a
  // virtual batch points into, such as a prepare watcher's start or stop.
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

  int virtual_count(int p) const
  {
    int n = 0;
    for (int b = 0; b < nvb; ++b)
      if (vb[b].lvl == p)
        n += vb[b].count;
    return n;
  }

  // Queue w with revents, or OR revents into its slot if it is pending.  The inline common case
  // calls nothing, so callers need no stack frame for it; the rest is feed_slow, by a tail call.
  void feed(W w, int revents)
  {
    if (EV_LIKELY(feed_fast(w, revents)))
      return;
    feed_slow(w, revents);
  }

  // feed() for a watcher that is often pending already, as a stream whose events of an iteration
  // come one by one: the OR into its slot inline, where feed would take two calls for it.
  void feed_more(W w, int revents)
  {
    if (w->pending && !batches_or_gate()) {
      slots.slot_of(w, nullptr).revents |= revents;
      return;
    }
    feed(w, revents);
  }

  // feed() without its slow half: false when feed_slow must do it.
  bool feed_fast(W w, int revents) { return EV_LIKELY(!batches_or_gate()) && slots.push_fast(w, revents); }

  unsigned long long batches_or_gate() const
  {
    static_assert(offsetof(pending_queues, feed_gate) == offsetof(pending_queues, nvb) + sizeof(int),
                  "nvb and feed_gate are adjacent");
    static_assert(sizeof(int) == 4, "two ints make one 8-byte word");
    unsigned long long both;
    __builtin_memcpy(&both, reinterpret_cast<const char *>(this) + offsetof(pending_queues, nvb), sizeof both);
    return both;
  }

  // noinline keeps feed's common case frameless.  `api` is the call the program made, for the
  // report of a watcher not pending here (slot_queue::slot_of).
  [[gnu::noinline]] void feed_slow(W w, int revents, const char *api = nullptr)
  {
    settle();
    if (w->pending)
      slots.feed_again(w, revents, api);
    else
      slots.push(w, revents);
  }

  // A run of feeds, as when a backend reports its events: the batches are settled once, and the
  // level mask is stored once at the end rather than once per event.
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

  // Queue a whole watcher array in index order, so later ones are invoked first, as a virtual batch
  // when possible.  A batch that a nested ev_run pushes while another is invoked lies above the
  // rest of that one, so it runs first, as real slots would.
  void feed_batch(W *ws, int n, int revents)
  {
    if (EV_UNLIKELY(nvb == kMaxBatches) || !n)
      return feed_each(ws, n, revents);
    const int priority = priority_of(ws[0]);
    const int p = level_of(ws[0]);
    const int start = slots.level[p].count + (nvb ? virtual_count(p) : 0);
    // A watcher can join the batch if it is not pending and has the batch's priority.  This runs
    // for every hook watcher in every iteration, so one 8-byte load compares both adjacent ints.
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
    // mixed priorities or already pending: the ordinary way
    if (EV_UNLIKELY(i != n))
      feed_each(ws + i, n - i, revents);
  }

  // noinline, so that feed_batch is small enough to be inlined where the loop queues its hooks.
  [[gnu::noinline]] void feed_each(W *ws, int n, int revents)
  {
    for (int i = 0; i < n; ++i)
      feed(ws[i], revents);
  }

  static unsigned long long pending_and_priority(W w)
  {
#if EV_MINPRI == EV_MAXPRI
    return static_cast<unsigned>(w->pending);  // no priority member: the batch's is the only one
#else
    static_assert(offsetof(ev_watcher, priority) == offsetof(ev_watcher, pending) + sizeof(int),
                  "pending and priority are adjacent");
    static_assert(sizeof(int) == 4, "two ints make one 8-byte word");
    unsigned long long both;
    __builtin_memcpy(&both, reinterpret_cast<const char *>(w) + offsetof(ev_watcher, pending), sizeof both);
    return both;  // pending in the low half on little-endian machines, else the high half
#endif
  }

  // Forget a pending event and return its revents, 0 if not pending.  `api` as for feed_slow.
  int clear(W w, const char *api = nullptr)
  {
    if (!w->pending)
      return 0;
    return settled().clear(w, api);
  }
  // clear() of a watcher that is pending, as a call: base/pending.cc.
  int clear_queued(W w, const char *api);

  // Entries queued, real and virtual, for ev_pending_count and the metrics.
  unsigned count() const
  {
    unsigned n = slots.count();
    for (int b = 0; b < nvb; ++b)
      n += static_cast<unsigned>(vb[b].count);
    return n;
  }

  int level_count(int p) const { return slots.level[p].count + (nvb ? virtual_count(p) : 0); }

  // Batch b of level p is drained: drop it and any drained ones below it off the top, and clear the
  // level's bit if it is empty.  noinline, because this rare case would weigh on every invocation.
  [[gnu::noinline]] void batch_drained(int b, int p)
  {
    if (b == nvb - 1)
      while (nvb && !vb[nvb - 1].count)
        --nvb;
    if (!slots.level[p].count && !virtual_count(p))
      slots.mask &= ~(1u << p);
  }

  // Invoke everything in the plain queue's order (slot_queue::invoke_all), taking a level's virtual
  // batch before its real slots, which lie below it.  Each entry leaves the queue, its `pending`
  // cleared, before `call` runs, so a callback may throw or longjmp and leave the queue consistent.
  //
  // `enter(p)` is called whenever the scan picks level p, even again after a batch or a feed
  // restarted the scan.  The metrics time the pass per level with it (diag/metrics.cc); the plain
  // invocation passes a no-op, which compiles away.  Both are taken by value, so that a
  // pointer-sized lambda goes in a register.
  template <class Call, class Enter>
  void invoke_all(Call call, Enter enter)
  {
    ++batch_epoch;  // a nested ev_invoke_pending in a callback takes entries of ours
    while (unsigned m = slots.mask) {
      const int p = 31 - __builtin_clz(m);
      enter(p);
      if (nvb) {
        // the newest virtual batch of level p is the top of that level
        int b = nvb;
        while (b-- && (vb[b].lvl != p || !vb[b].count)) {
        }
        if (b >= 0) {
          // Anything that could change the order writes the batches out or pushes one, and changes
          // the epoch: then this loop ends and the scan starts again at the top, never looking at
          // the stack entry again, which may be reused meanwhile.
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

  // invoke_all without `enter`.  In the common pass, with no virtual batch queued, it takes one
  // slot at a time and looks up the highest level again after each callback, which is the plain
  // queue's order; nothing but `call` lives across a callback, so the pass needs almost no stack
  // frame.  A batch hands the rest to the pass above.  The epoch need not change here: a pass
  // invoking a batch keeps it on the stack while it has entries, so a nested pass that finds no
  // batch takes nothing of its.
  template <class Call>
  void invoke_all(Call call)
  {
    while (unsigned m = slots.mask) {
      if (EV_UNLIKELY(nvb))
        return invoke_all(call, [](int) {});
      slots.invoke_newest(__builtin_clz(m) ^ 31, call);  // the highest level
    }
  }

  void release()
  {
    slots.release();
    nvb = 0;
  }
};

}  // namespace ev_detail
