// SPDX-License-Identifier: BSD-2-Clause
// t/unit/heap_test.cc - white-box tests of base/heap.h, the 4-ary timer heap
// (ev(3) ALGORITHMIC COMPLEXITIES; the equal-deadline order of doc/semantics.md §6).
//
// Randomised insert/remove/update sequences against a reference model (a
// plain list of live entries), with heap::verify() after every step.
#include "base/heap.h"

#include <cmath>
#include <cstdlib>

extern "C" {
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
}

using namespace ev_detail;

namespace {

constexpr int kMaxTimers = 512;

struct model {
  ev_watcher_time w[kMaxTimers];
  bool live[kMaxTimers];
  heap h;

  void init() { *this = model{}; }

  void insert(int i, ev_tstamp at)
  {
    w[i].at = at;
    h.insert(&w[i]);
    live[i] = true;
  }

  void remove(int i)
  {
    h.remove(w[i].active);
    w[i].active = 0;
    live[i] = false;
  }

  void update(int i, ev_tstamp at)
  {
    w[i].at = at;
    h.update(w[i].active, at);
  }

  // The heap's top must be a live entry with the smallest deadline.
  void check() const
  {
    assert_int_equal(h.verify(), 0);
    int n = 0;
    ev_tstamp min = INFINITY;
    for (int i = 0; i < kMaxTimers; ++i)
      if (live[i]) {
        ++n;
        assert_int_equal(h.nodes[w[i].active].w, const_cast<ev_watcher_time *>(&w[i]));
        if (w[i].at < min)
          min = w[i].at;
      }
    assert_int_equal(h.count, n);
    if (n)
      assert_true(h.top().at == min);
  }
};

void heap__randomised_operations_keep_invariants(void **)
{
  static model m;
  m.init();
  std::srand(12345);
  for (int step = 0; step < 100000; ++step) {
    int i = std::rand() % kMaxTimers;
    // few distinct deadlines, so that equal keys are common
    ev_tstamp at = static_cast<ev_tstamp>(std::rand() % 64);
    if (!m.live[i])
      m.insert(i, at);
    else if (std::rand() % 2)
      m.remove(i);
    else
      m.update(i, at);
    m.check();
  }
  m.h.release();
}

void heap__root_is_index_3_and_children_follow(void **)
{
  static model m;
  m.init();
  m.insert(0, 1.);
  assert_int_equal(m.w[0].active, 3);
  m.insert(1, 2.);
  assert_int_equal(m.w[1].active, 4);
  assert_int_equal(heap::first_child(3), 4);
  assert_int_equal(heap::first_child(4), 8);
  assert_int_equal(heap::parent(7), 3);
  assert_int_equal(heap::parent(8), 4);
  m.h.release();
}

// Expire like timers_reify does for one-shot timers: take the root, remove
// it, repeat.  Six equal deadlines come out T0, T5, T4, T3, T2, T1.
void heap__equal_deadlines_expire_in_libev_order(void **)
{
  static model m;
  m.init();
  for (int i = 0; i < 6; ++i)
    m.insert(i, 5.);
  int order[6];
  for (int n = 0; n < 6; ++n) {
    auto *top = m.h.top().w;
    order[n] = static_cast<int>(top - m.w);
    m.remove(order[n]);
    m.check();
  }
  const int expected[6] = {0, 5, 4, 3, 2, 1};
  assert_memory_equal(order, expected, sizeof order);
  m.h.release();
}

void heap__extracting_everything_is_sorted(void **)
{
  static model m;
  m.init();
  std::srand(7);
  for (int i = 0; i < kMaxTimers; ++i)
    m.insert(i, static_cast<ev_tstamp>(std::rand() % 1000) / 10.);
  ev_tstamp last = -1.;
  while (m.h.count) {
    auto *top = m.h.top().w;
    assert_true(top->at >= last);
    last = top->at;
    m.remove(static_cast<int>(top - m.w));
    m.check();
  }
  m.h.release();
}

// pop_root (bottom-up) must leave exactly the array the top-down removal
// leaves: same nodes in the same places, same active fields.  Two identical
// heaps with many equal deadlines, one emptied each way, compared after
// every removal.
void heap__bottom_up_root_removal_equals_top_down(void **)
{
  static ev_watcher_time wa[kMaxTimers], wb[kMaxTimers];
  static heap a, b;
  std::srand(99);
  for (int round = 0; round < 20; ++round) {
    a = heap{};
    b = heap{};
    int n = 1 + std::rand() % kMaxTimers;
    for (int i = 0; i < n; ++i) {
      ev_tstamp at = static_cast<ev_tstamp>(std::rand() % 8);
      wa[i] = ev_watcher_time{};
      wb[i] = ev_watcher_time{};
      wa[i].at = wb[i].at = at;
      a.insert(&wa[i]);
      b.insert(&wb[i]);
    }
    while (a.count) {
      a.pop_root();
      b.remove(heap::kHeap0);
      assert_int_equal(a.count, b.count);
      assert_int_equal(a.verify(), 0);
      for (int k = heap::kHeap0; k < a.end(); ++k) {
        assert_int_equal(a.nodes[k].w - wa, b.nodes[k].w - wb);
        assert_true(a.nodes[k].at == b.nodes[k].at);
      }
      for (int i = 0; i < n; ++i)
        assert_int_equal(wa[i].active ? wa[i].active : 0, wb[i].active ? wb[i].active : 0);
    }
    a.release();
    b.release();
  }
}

// The children of a node share a cache line.
void heap__children_groups_are_cache_line_aligned(void **)
{
  static model m;
  m.init();
  for (int i = 0; i < 300; ++i) {
    m.insert(i, static_cast<ev_tstamp>(i));
    assert_int_equal(reinterpret_cast<std::uintptr_t>(m.h.nodes) % 64, 0);
    assert_int_equal(heap::first_child(heap::kHeap0 + i % 10) % 4, 0);
  }
  m.h.release();
}

// The gate: closed, fast_insert_ok() is false whatever the room, while
// insert() still works and growing keeps the gate closed; open, it says
// exactly whether insert_with_room() may be used.
void heap__closed_gate_sends_every_insert_to_the_slow_path(void **)
{
  static model m;
  m.init();
  assert_false(m.h.fast_insert_ok());  // nothing allocated yet
  m.insert(0, 1.);
  assert_true(m.h.fast_insert_ok());
  m.h.close_gate();
  assert_true(m.h.allocated() >= 16);
  for (int i = 1; i < 100; ++i) {  // grows several times
    assert_false(m.h.fast_insert_ok());
    m.insert(i, static_cast<ev_tstamp>(i % 7));
  }
  assert_true(m.h.allocated() >= heap::kHeap0 + 100);
  assert_false(m.h.fast_insert_ok());
  assert_int_equal(m.h.verify(), 0);
  m.check();
  m.h.release();

  // a gate closed before the first insert
  m.init();
  m.h.close_gate();
  assert_false(m.h.fast_insert_ok());
  m.insert(0, 2.);
  assert_false(m.h.fast_insert_ok());
  assert_int_equal(m.h.verify(), 0);
  m.h.release();
}

}  // namespace

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(heap__randomised_operations_keep_invariants),
      cmocka_unit_test(heap__root_is_index_3_and_children_follow),
      cmocka_unit_test(heap__equal_deadlines_expire_in_libev_order),
      cmocka_unit_test(heap__extracting_everything_is_sorted),
      cmocka_unit_test(heap__bottom_up_root_removal_equals_top_down),
      cmocka_unit_test(heap__children_groups_are_cache_line_aligned),
      cmocka_unit_test(heap__closed_gate_sends_every_insert_to_the_slow_path),
  };
  return cmocka_run_group_tests_name("base/heap.h", tests, nullptr, nullptr);
}
