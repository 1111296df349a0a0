// core/heap.h - the 4-ary min-heap of timers (and, separately, periodics).
//
// Layout and sift rules reproduce libev 4.33's, because the order in which
// timers with *equal* deadlines expire is observable (SEMANTICS.md §4: six
// timers started with the same delay fire T0, T5, T4, T3, T2, T1):
//  - the root is at index 3 (kHeap0); children of k are 4(k-3)+4 .. 4(k-3)+7;
//  - insertion sifts up while the parent's deadline is strictly greater;
//  - removal moves the last node into the hole and sifts it up when it is
//    not the root and not later than its parent, else down;
//  - sifting down picks the first child with the smallest deadline and stops
//    when the moved node is not later than it.
// Each node caches the deadline next to the watcher pointer, so sifting reads
// contiguous memory.  The watcher's `active` field is its node index (libev
// exposes it through ev_is_active: the first timer reads 3), written on
// every move; the cached deadline always equals the watcher's `at`.
//
// Complexity: insert/remove/adjust O(log4 n), earliest deadline O(1).
#pragma once

#include "core/array.h"

namespace ev_detail {

struct heap_node {
  ev_tstamp at;
  WT w;
};

struct heap {
  static constexpr int kHeap0 = 3;  // index of the root
  static constexpr int kArity = 4;

  heap_node *nodes;  // valid indices: kHeap0 .. kHeap0 + count - 1
  int count;
  int capacity;      // nodes allocated, including the kHeap0 unused ones

  static int parent(int k) { return (k - kHeap0 - 1) / kArity + kHeap0; }
  static int first_child(int k) { return kArity * (k - kHeap0) + kHeap0 + 1; }

  bool empty() const { return count == 0; }
  const heap_node &top() const { return nodes[kHeap0]; }
  int end() const { return kHeap0 + count; }

  void place(int k, const heap_node &n)
  {
    nodes[k] = n;
    n.w->active = k;
  }

  // (Unsigned indices and a pointer to the group of children keep the
  // address arithmetic out of the loops: this is the hot path of timer
  // expiry and restart.)
  void upheap(int k0)
  {
    heap_node *const n = nodes;
    const heap_node he = n[k0];
    std::size_t k = static_cast<std::size_t>(k0);
    while (k > kHeap0) {
      std::size_t p = (k - kHeap0 - 1) / kArity + kHeap0;
      if (n[p].at <= he.at)
        break;
      n[k] = n[p];
      n[k].w->active = static_cast<int>(k);
      k = p;
    }
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
      const std::size_t c = kArity * (k - kHeap0) + kHeap0 + 1;  // first child
      const heap_node *const cp = n + c;
      std::size_t m;  // which child: the first with the smallest deadline
      ev_tstamp minat;
      if (EV_LIKELY(c + kArity <= e)) {  // all four exist: the common case
        m = 0;
        minat = cp[0].at;
        if (cp[1].at < minat) {
          m = 1;
          minat = cp[1].at;
        }
        if (cp[2].at < minat) {
          m = 2;
          minat = cp[2].at;
        }
        if (cp[3].at < minat) {
          m = 3;
          minat = cp[3].at;
        }
      } else if (c < e) {
        m = 0;
        minat = cp[0].at;
        for (std::size_t i = 1; c + i < e; ++i)
          if (cp[i].at < minat) {
            m = i;
            minat = cp[i].at;
          }
      } else
        break;
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
  void adjust(int k)
  {
    if (k > kHeap0 && nodes[k].at <= nodes[parent(k)].at)
      upheap(k);
    else
      downheap(k);
  }

  void insert(WT w)
  {
    int k = kHeap0 + count;
    if (EV_UNLIKELY(k + 1 > capacity))
      grow();
    ++count;
    nodes[k].at = w->at;
    nodes[k].w = w;
    upheap(k);
  }

  [[gnu::noinline, gnu::cold]] void grow()
  {
    int cap = capacity ? capacity * 2 : 16;
    nodes = static_cast<heap_node *>(ev_realloc(nodes, sizeof(heap_node) * static_cast<std::size_t>(cap)));
    capacity = cap;
  }

  // Remove the node at index k (the watcher's `active`).
  void remove(int k)
  {
    --count;
    int last = kHeap0 + count;
    if (k < last) {
      nodes[k] = nodes[last];
      adjust(k);
    }
  }

  // The deadline of the node at k changed to w->at.
  void update(int k)
  {
    nodes[k].at = nodes[k].w->at;
    adjust(k);
  }

  void release()
  {
    ev_free(nodes);
    nodes = nullptr;
    count = capacity = 0;
  }

  // Invariant checker (ev_verify): heap order, back-pointers, cached keys.
  // Returns the index of the first broken node, or 0 when all is well.
  int verify() const
  {
    for (int k = kHeap0; k < end(); ++k) {
      const heap_node &n = nodes[k];
      if (!n.w || n.w->active != k || n.at != n.w->at)
        return k;
      if (k > kHeap0 && nodes[parent(k)].at > n.at)
        return k;
    }
    return 0;
  }
};

}  // namespace ev_detail
