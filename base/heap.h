// SPDX-License-Identifier: BSD-2-Clause
// base/heap.h - the 4-ary min-heap of timers, and separately of periodics.
//
// Layout and sift rules reproduce libev 4.33's, because the order in which
// timers with *equal* deadlines expire is observable (doc/semantics.md §6):
//  - the root is at index 3 (kHeap0); children of k are 4(k-3)+4 .. 4(k-3)+7;
//  - insertion sifts up while the parent's deadline is strictly greater;
//  - removal moves the last node into the hole and sifts it up when it is
//    not the root and not later than its parent, else down;
//  - sifting down picks the first child with the smallest deadline and stops
//    when the moved node is not later than it.
// Each node caches the deadline next to the watcher pointer, so sifting reads contiguous memory.
// The watcher's `active` field is its node index, written on every move, because libev exposes it
// through ev_is_active.  The cached deadline always equals the watcher's `at`.
#pragma once

#include "base/array.h"

namespace ev_detail {

struct heap_node {
  ev_tstamp at;
  WT w;
};

struct heap {
  static constexpr int kHeap0 = 3;
  static constexpr int kArity = 4;

  heap_node *nodes;  // valid indices: kHeap0 .. kHeap0 + count - 1
  int count;
  // Nodes allocated, including the kHeap0 unused ones; negated while the
  // gate is closed, see close_gate.  Read it through allocated().
  int capacity;
  void *block;  // what ev_realloc returned; nodes is 64-byte aligned in it

  // The four children of a node are nodes 4j .. 4j+3: with `nodes` aligned
  // to 64 bytes they share one cache line, so a sift step costs one miss.
  static constexpr std::size_t kAlign = 64;

  // unsigned, so that the divisions become shifts
  static std::size_t parent(std::size_t k) { return (k - kHeap0 - 1) / kArity + kHeap0; }
  static std::size_t first_child(std::size_t k) { return kArity * (k - kHeap0) + kHeap0 + 1; }

  // Of the children at c .. min(c + kArity, e) - 1, where cp = nodes + c, the
  // offset of the first with the smallest deadline, which goes in *minat.
  static std::size_t smallest_child(const heap_node *cp, std::size_t c, std::size_t e, ev_tstamp *minat)
  {
    std::size_t m = 0;
    ev_tstamp at = cp[0].at;
    if (EV_LIKELY(c + kArity <= e)) {
      if (cp[1].at < at) {
        m = 1;
        at = cp[1].at;
      }
      if (cp[2].at < at) {
        m = 2;
        at = cp[2].at;
      }
      if (cp[3].at < at) {
        m = 3;
        at = cp[3].at;
      }
    } else {
      for (std::size_t i = 1; c + i < e; ++i)
        if (cp[i].at < at) {
          m = i;
          at = cp[i].at;
        }
    }
    *minat = at;
    return m;
  }

  bool empty() const { return count == 0; }
  const heap_node &top() const { return nodes[kHeap0]; }
  int end() const { return kHeap0 + count; }

  void place(int k, const heap_node &n)
  {
    nodes[k] = n;
    n.w->active = k;
  }

  // The hole at k rises while its parent is later than at, or as late with kPastEqual, and the
  // parents move down into it.  Returns where it stopped.  Insertion stops below an equal deadline
  // and pop_root's bottom-up sift passes it; the order of equal deadlines depends on it.
  template <bool kPastEqual>
  static std::size_t rise(heap_node *n, std::size_t k, ev_tstamp at)
  {
    while (k > kHeap0) {
      const std::size_t p = parent(k);
      if (kPastEqual ? n[p].at < at : n[p].at <= at)
        break;
      n[k] = n[p];
      n[k].w->active = static_cast<int>(k);
      k = p;
    }
    return k;
  }

  // Unsigned indices and a pointer to the group of children keep the address
  // arithmetic out of the loops, the hot path of timer expiry and restart.
  void upheap(int k0)
  {
    heap_node *const n = nodes;
    const heap_node he = n[k0];
    const std::size_t k = rise<false>(n, static_cast<std::size_t>(k0), he.at);
    n[k] = he;
    he.w->active = static_cast<int>(k);
  }

  void downheap(int k0)
  {
    heap_node *const n = nodes;
    const heap_node he = n[k0];
    std::size_t k = static_cast<std::size_t>(k0);
    const std::size_t e = static_cast<std::size_t>(end());
    for (;;) {
      const std::size_t c = first_child(k);
      const heap_node *const cp = n + c;
      if (c >= e)
        break;
      ev_tstamp minat;
      const std::size_t m = smallest_child(cp, c, e, &minat);
      if (he.at <= minat)
        break;
      n[k] = cp[m];
      n[k].w->active = static_cast<int>(k);
      k = c + m;
    }
    n[k] = he;
    he.w->active = static_cast<int>(k);
  }

  // Restore the heap after the node at k changed its deadline.
  void adjust(int k0)
  {
    std::size_t k = static_cast<std::size_t>(k0);
    if (k > kHeap0 && nodes[k].at <= nodes[parent(k)].at)
      upheap(k0);
    else
      downheap(k0);
  }

  int allocated() const { return capacity < 0 ? -capacity : capacity; }

  // insert() would have to grow the array first
  bool full() const { return kHeap0 + count + 1 > allocated(); }

  // The gate: one test for a caller's rare cases, "the array must grow, or the caller asked for its
  // slow path every time".  Closed, the capacity is negated, so the test fails for any count.  An
  // option that needs a different insert, such as EVFLAG_NG_NEVER_EARLY, then costs other callers
  // neither an instruction on the fast path nor a byte of the loop.
  bool fast_insert_ok() const { return kHeap0 + count + 1 <= capacity; }
  void close_gate()
  {
    if (!capacity)
      grow();
    capacity = -allocated();
  }

  void insert(WT w)
  {
    if (EV_UNLIKELY(full()))
      grow();
    insert_with_room(w);
  }

  // insert() after fast_insert_ok() said there is room
  void insert_with_room(WT w)
  {
    int k = kHeap0 + count;
    ++count;
    nodes[k].at = w->at;
    nodes[k].w = w;
    upheap(k);
  }

  void grow()
  {
    const int old_cap = allocated();
    int cap = old_cap ? old_cap * 2 : 16;
    std::size_t old_offset =
        nodes ? static_cast<std::size_t>(reinterpret_cast<char *>(nodes) - static_cast<char *>(block)) : 0;
    block = ev_realloc(block, sizeof(heap_node) * static_cast<std::size_t>(cap) + kAlign);
    char *b = static_cast<char *>(block);
    std::size_t offset = (kAlign - reinterpret_cast<std::uintptr_t>(b) % kAlign) % kAlign;
    if (old_cap && offset != old_offset)  // realloc moved it differently aligned
      std::memmove(b + offset, b + old_offset, sizeof(heap_node) * static_cast<std::size_t>(old_cap));
    nodes = reinterpret_cast<heap_node *>(b + offset);
    capacity = capacity < 0 ? -cap : cap;  // the gate stays as it was
  }

  // w is the node at k, its `active`: a stop's check (not_active_here).
  bool holds(int k, const void *w) const
  {
    return static_cast<unsigned>(k - kHeap0) < static_cast<unsigned>(count) && nodes[k].w == w;
  }

  // remove(k) of w's node, checked as holds() checks, in the same steps;
  // false, with nothing changed, if w is not the node at k.
  bool remove_checked(int k, const void *w)
  {
    const int last = kHeap0 + count - 1;
    if (EV_LIKELY(static_cast<unsigned>(k) < static_cast<unsigned>(last))) {
      if (EV_UNLIKELY(nodes[k].w != w))
        return false;
      count = last - kHeap0;
      nodes[k] = nodes[last];
      adjust(k);
    } else {
      if (EV_UNLIKELY(k != last || nodes[k].w != w))
        return false;
      count = last - kHeap0;
    }
    return true;
  }

  // Remove the node at index k, the watcher's `active`.
  void remove(int k)
  {
    --count;
    int last = kHeap0 + count;
    if (k < last) {
      nodes[k] = nodes[last];
      adjust(k);
    }
  }

  // The deadline of the node at k changed to at, its watcher's `at`.
  void update(int k, ev_tstamp at)
  {
    nodes[k].at = at;
    adjust(k);
  }

  // Remove the root, an expired timer: the last node, one of the latest, takes its place and sinks,
  // so the hole first goes down to a leaf along the smaller children without comparing with it,
  // then the node rises while the parent is not earlier.  The array, and the order of equal
  // deadlines, end up as with a top-down sift.
  void pop_root()
  {
    heap_node *const n = nodes;
    --count;
    const std::size_t e = static_cast<std::size_t>(end());
    if (e == kHeap0)
      return;
    const heap_node he = n[e];
    std::size_t k = kHeap0;
    for (;;) {
      const std::size_t c = first_child(k);
      const heap_node *const cp = n + c;
      if (c >= e)
        break;
      ev_tstamp minat;  // unused: the hole goes down regardless
      const std::size_t m = smallest_child(cp, c, e, &minat);
      __builtin_prefetch(n + first_child(c + m));  // the next level
      n[k] = cp[m];
      n[k].w->active = static_cast<int>(k);
      k = c + m;
    }
    k = rise<true>(n, k, he.at);
    n[k] = he;
    he.w->active = static_cast<int>(k);
  }

  void release()
  {
    ev_free(block);
    block = nullptr;
    nodes = nullptr;
    count = capacity = 0;
  }

  // For ev_verify: the first node index with a wrong order, back-pointer or cached key, or 0.
  int verify() const
  {
    for (int k = kHeap0; k < end(); ++k) {
      const heap_node &n = nodes[k];
      if (!n.w || n.w->active != k || n.at != n.w->at)
        return k;
      if (k > kHeap0 && nodes[parent(static_cast<std::size_t>(k))].at > n.at)
        return k;
    }
    return 0;
  }
};

}  // namespace ev_detail
