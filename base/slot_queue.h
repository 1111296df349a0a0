// SPDX-License-Identifier: BSD-2-Clause
// base/slot_queue.h - the plain pending queue, what libev's pending watchers observably are after
// ev(3) WATCHER STATES and WATCHER PRIORITY MODELS.  base/pending.h builds the batch layer on top
// of it; t/unit/pending_equivalence_test.cc runs both side by side.
//
// One array of {watcher, revents} per priority level.  A watcher's `pending`
// field is its 1-based slot in the array of its priority, 0 if not pending.
//  - Feeding a pending watcher ORs into its slot: one call with the union.
//  - Invocation takes the highest non-empty level and, within a level, the most recently queued
//    slot first: libev's LIFO order (doc/semantics.md §5).  The level is looked up again before
//    every callback, so a callback that feeds a higher priority is followed by that watcher first.
//  - A stop or ev_clear_pending leaves the slot in place, pointing at a dummy watcher whose
//    callback does nothing.  Without compaction the slot numbers of other watchers stay valid, and
//    ev_pending_count still counts the slot until the next pass, as in libev.
//
// Read from outside.  ev-watchdog (tools/watchdog/sample.cc) reads these arrays from another
// process, unsynchronised, to tell which callback runs, and relies on two rules that the loop keeps
// for it: invocation takes a slot by lowering its level's count and leaves the slot's {w, revents}
// in memory just above the new count until a later feed overwrites it; and it sets the watcher's
// `pending` to 0 before the callback runs.  A change to either changes the watchdog too.
#pragma once

#include "base/array.h"

namespace ev_detail {

struct pending_slot {
  W w;
  int revents;
};

struct slot_queue {
  array<pending_slot> level[kNumPri];
  // Bit p set <=> level[p] has entries, so the highest non-empty level is one bsr.  The batch layer
  // also sets the bit of a level that has only virtual ones, and clears it when they are gone.
  unsigned mask;
  ev_watcher dummy;  // stands in for cleared slots; its callback is a no-op

  // The level a watcher is queued on.  Every start clamps the priority, but ev_feed_event takes a
  // never-started watcher with any priority, undefined in libev; it goes to the nearest level here.
  static int level_of(W w)
  {
    unsigned p = static_cast<unsigned>(priority_of(w) - EV_MINPRI);
    if (EV_LIKELY(p < static_cast<unsigned>(kNumPri)))
      return static_cast<int>(p);
    return clamped_level(priority_of(w));
  }

  static int clamped_level(int priority) { return (priority < EV_MINPRI ? EV_MINPRI : EV_MAXPRI) - EV_MINPRI; }

  // The slot of a pending watcher, checked, since a changed priority, another loop's watcher or
  // memory that is not one would make us write through a garbage index.  `api` names the program's
  // call in the report, nullptr for the loop's own feed.
  pending_slot &slot_of(W w, const char *api)
  {
    array<pending_slot> &l = level[level_of(w)];
    const unsigned i = static_cast<unsigned>(w->pending - 1);
    if (EV_UNLIKELY(i >= static_cast<unsigned>(l.count) || l.data[i].w != w))
      not_pending_here(w, api);
    return l.data[i];
  }

  [[noreturn, gnu::cold, gnu::noinline]] void not_pending_here(W w, const char *api) const
  {
    const unsigned i = static_cast<unsigned>(w->pending - 1);
    for (const auto &l : level)
      if (i < static_cast<unsigned>(l.count) && l.data[i].w == w)
        usage_error(api ? api : "ev_run", "priority", static_cast<long long>(priority_of(w)),
                    "libev: the priority of a pending watcher must not be changed (ev_set_priority), nor its "
                    "memory freed or overwritten while it is pending");
    usage_error(api ? api : "ev_run", "pending", static_cast<long long>(w->pending),
                "libev: the watcher is not pending in this loop (its memory is not a watcher, or it is "
                "another loop's)");
  }

  // Queue w with revents, or OR revents into its slot if it is pending.
  void feed(W w, int revents)
  {
    if (EV_LIKELY(push_fast(w, revents)))
      return;
    if (w->pending)
      slot_of(w, nullptr).revents |= revents;
    else
      push(w, revents);
  }

  // w is not pending and its priority is in range; *p is then its level.  On a little-endian
  // machine the adjacent ints `pending` and `priority` are read as one word, the priority's offset
  // added to its half, and the halves swapped: the word is below kNumPri exactly when both hold.
  // One compare for two pays for ev_feed_event's test of the callback.
  static bool unqueued_and_in_range(W w, unsigned *p)
  {
#if EV_MINPRI == EV_MAXPRI
    *p = 0;
    return !w->pending;
#elif __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    static_assert(offsetof(ev_watcher, priority) == offsetof(ev_watcher, pending) + sizeof(int),
                  "pending and priority are adjacent");
    static_assert(sizeof(int) == 4, "two ints make one 8-byte word");
    std::uint64_t word;
    __builtin_memcpy(&word, reinterpret_cast<const char *>(w) + offsetof(ev_watcher, pending), sizeof word);
    word += static_cast<std::uint64_t>(-EV_MINPRI) << 32;  // a carry out of the top is lost: mod 2^32
    word = (word >> 32) | (word << 32);
    *p = static_cast<unsigned>(word);
    return word < static_cast<std::uint64_t>(kNumPri);
#else
    *p = static_cast<unsigned>(priority_of(w) - EV_MINPRI);
    return !w->pending && *p < static_cast<unsigned>(kNumPri);
#endif
  }

  // Queue a watcher that is not pending when that needs nothing but a store; false otherwise.
  // Inline and calling nothing, so that ev_feed_event needs no stack frame for it.
  bool push_fast(W w, int revents)
  {
    unsigned p;
    if (EV_LIKELY(unqueued_and_in_range(w, &p))) {
      array<pending_slot> &l = level[p];
      int n = l.count;
      if (EV_LIKELY(n != l.capacity)) {
        l.data[n].w = w;
        l.data[n].revents = revents;
        l.count = ++n;
        w->pending = n;
        mask |= 1u << p;
        return true;
      }
    }
    return false;
  }

  // Queue a watcher that is not pending, whatever it takes.
  void push(W w, int revents) { mask |= push_unmasked(w, revents); }

  // feed() for a run of feeds such as pending_queues::feed_run: returns the
  // level bit the caller ORs into the mask it writes back at the end.
  unsigned feed_unmasked(W w, int revents)
  {
    if (EV_UNLIKELY(w->pending)) {
      feed_again(w, revents);
      return 0;
    }
    return push_unmasked(w, revents);
  }

  // noinline: a feed of a pending watcher is rare, and out of line keeps the callers' path small.
  [[gnu::noinline]] void feed_again(W w, int revents, const char *api = nullptr) { slot_of(w, api).revents |= revents; }

  unsigned push_unmasked(W w, int revents)
  {
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

  // Forget a pending event and return its revents, 0 if not pending.
  int clear(W w, const char *api = nullptr)
  {
    if (!w->pending)
      return 0;
    pending_slot &s = slot_of(w, api);
    int revents = s.revents;
    s.w = &dummy;
    w->pending = 0;
    return revents;
  }

  // Slots queued, cleared ones included, as ev_pending_count counts them.
  unsigned count() const
  {
    unsigned n = 0;
    for (unsigned m = mask; m; m &= m - 1)
      n += static_cast<unsigned>(level[__builtin_ctz(m)].count);
    return n;
  }

  // Take level p's slots, newest first, until it is empty, a callback queued something at a higher
  // level, or `stop`, read after every callback, is non-zero.  Each slot leaves the queue, its
  // `pending` cleared, before `call` runs, so a callback may throw or longjmp and leave the queue
  // consistent.  always_inline, since the compiler would make it a call that every iteration pays.
  template <class Call>
  [[gnu::always_inline]] void invoke_level(int p, Call call, const int &stop)
  {
    array<pending_slot> &l = level[p];
    do
      invoke_newest(p, call);
    while (l.count && !(mask >> (p + 1)) && !stop);
  }

  // Take the newest slot of level p, which has one, off the queue and call it.
  template <class Call>
  [[gnu::always_inline]] void invoke_newest(int p, Call call)
  {
    array<pending_slot> &l = level[p];
    int n = --l.count;
    pending_slot s = l.data[n];
    if (!n)
      mask &= ~(1u << p);
    s.w->pending = 0;
    call(s.w, s.revents);
  }

  // `enter(p)` is called whenever the scan picks level p, as in pending_queues::invoke_all.
  template <class Call, class Enter>
  void invoke_all(Call call, Enter enter)
  {
    static constexpr int kNeverStop = 0;
    while (unsigned m = mask) {
      const int p = 31 - __builtin_clz(m);
      enter(p);
      invoke_level(p, call, kNeverStop);
    }
  }

  template <class Call>
  void invoke_all(Call call)
  {
    invoke_all(call, [](int) {});
  }

  void release()
  {
    for (auto &l : level)
      l.release();
    mask = 0;
  }
};

}  // namespace ev_detail
