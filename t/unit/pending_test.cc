// SPDX-License-Identifier: BSD-2-Clause
// t/unit/pending_test.cc - white-box tests of the pending queues,
// base/slot_queue.h and the batches of base/pending.h (ev(3) WATCHER PRIORITY
// MODELS; doc/semantics.md §5).
#include "base/pending.h"

extern "C" {
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
}

using namespace ev_detail;

namespace {

void noop(struct ev_loop *, ev_watcher *, int) {}

// Drain the queue, recording the invocation order.
struct drained {
  W order[16];
  int revents[16];
  int n;
};

drained drain(pending_queues &q)
{
  drained d = {};
  q.invoke_all([&](W w, int revents) {
    assert_int_equal(w->pending, 0);  // cleared before the call
    d.order[d.n] = w;
    d.revents[d.n++] = revents;
  });
  assert_int_equal(q.slots.mask, 0);
  return d;
}

ev_watcher make(int priority)
{
  ev_watcher w = {};
  w.priority = priority;
  w.cb = noop;
  return w;
}

void pending__lifo_within_a_priority(void **)
{
  pending_queues q = {};
  ev_watcher a = make(0), b = make(0), c = make(0);
  q.feed(&a, 1);
  q.feed(&b, 2);
  q.feed(&c, 4);
  assert_int_equal(a.pending, 1);
  assert_int_equal(b.pending, 2);
  assert_int_equal(c.pending, 3);
  drained d = drain(q);
  assert_int_equal(d.n, 3);
  assert_ptr_equal(d.order[0], &c);
  assert_ptr_equal(d.order[1], &b);
  assert_ptr_equal(d.order[2], &a);
  assert_int_equal(d.revents[0], 4);
  q.release();
}

void pending__higher_priority_first_and_mask_tracks_levels(void **)
{
  pending_queues q = {};
  ev_watcher lo = make(-2), mid = make(0), hi = make(2);
  q.feed(&lo, 1);
  q.feed(&hi, 1);
  q.feed(&mid, 1);
  assert_int_equal(q.slots.mask, (1u << 0) | (1u << 2) | (1u << 4));
  drained d = drain(q);
  assert_ptr_equal(d.order[0], &hi);
  assert_ptr_equal(d.order[1], &mid);
  assert_ptr_equal(d.order[2], &lo);
  q.release();
}

void pending__feeding_twice_ors_revents(void **)
{
  pending_queues q = {};
  ev_watcher a = make(0);
  q.feed(&a, EV_READ);
  q.feed(&a, EV_WRITE);
  assert_int_equal(q.count(), 1);
  drained d = drain(q);
  assert_int_equal(d.n, 1);
  assert_int_equal(d.revents[0], EV_READ | EV_WRITE);
  q.release();
}

void pending__clear_leaves_a_dummy_slot(void **)
{
  pending_queues q = {};
  q.slots.dummy.cb = noop;
  ev_watcher a = make(1), b = make(1);
  q.feed(&a, EV_TIMER);
  q.feed(&b, EV_TIMER);
  assert_int_equal(q.clear(&a), EV_TIMER);
  assert_int_equal(a.pending, 0);
  assert_int_equal(q.clear(&a), 0);
  assert_int_equal(q.count(), 2);  // still counted until the next pass
  drained d = drain(q);
  assert_int_equal(d.n, 2);
  assert_ptr_equal(d.order[0], &b);
  assert_ptr_equal(d.order[1], &q.slots.dummy);
  q.release();
}

// A callback that queues a higher priority: the scan restarts at the top
// (doc/semantics.md §5: C feeding D (prio 0) and E (prio 2) gives C, E, D, B, A).
void pending__feeding_a_higher_level_restarts_the_scan(void **)
{
  static pending_queues q = {};
  static ev_watcher a = make(0), b = make(0), c = make(0), dd = make(0), e = make(2);
  q.feed(&a, 1);
  q.feed(&b, 1);
  q.feed(&c, 1);
  W order[8];
  int n = 0;
  q.invoke_all([&](W w, int) {
    order[n++] = w;
    if (w == &c) {
      q.feed(&dd, 1);
      q.feed(&e, 1);
    }
  });
  const W expected[] = {&c, &e, &dd, &b, &a};
  assert_int_equal(n, 5);
  assert_memory_equal(order, expected, sizeof expected);
  q.release();
}

// A batch (prepare/check/idle arrays) is queued virtually: the pending
// fields hold the slot numbers real queueing would give, counts include it,
// and invocation runs it in reverse array order.
void pending__batch_looks_exactly_like_queued_slots(void **)
{
  static pending_queues q = {};
  static ev_watcher before = make(0), a = make(0), b = make(0), c = make(0);
  static W ws[] = {&a, &b, &c};
  q.feed(&before, 1);
  q.feed_batch(ws, 3, EV_PREPARE);
  assert_int_equal(q.nvb, 1);                   // virtual
  assert_int_equal(q.slots.level[2].count, 1);        // nothing written
  assert_int_equal(a.pending, 2);
  assert_int_equal(b.pending, 3);
  assert_int_equal(c.pending, 4);
  assert_int_equal(q.count(), 4);
  assert_int_equal(q.level_count(2), 4);
  drained d = drain(q);
  const W expected[] = {&c, &b, &a, &before};
  assert_int_equal(d.n, 4);
  assert_memory_equal(d.order, expected, sizeof expected);
  assert_int_equal(d.revents[0], EV_PREPARE);
  assert_int_equal(d.revents[3], 1);
  assert_int_equal(q.nvb, 0);
  q.release();
}

// Anything touching the slots writes the batch out first, with the same
// numbers: clearing an entry of it, or feeding during its invocation.
void pending__batch_is_settled_by_clear_and_feed(void **)
{
  static pending_queues q = {};
  static ev_watcher a = make(0), b = make(0), c = make(0), x = make(0), hi = make(1);
  static W ws[] = {&a, &b, &c};
  q.slots.dummy.cb = noop;
  q.feed_batch(ws, 3, EV_CHECK);
  W order[8];
  int n = 0;
  q.invoke_all([&](W w, int) {
    order[n++] = w;
    if (w == &c) {
      assert_int_equal(q.clear(&a), EV_CHECK);  // settles: a's slot becomes the dummy
      assert_int_equal(q.nvb, 0);
      assert_int_equal(q.slots.level[2].count, 2);
      assert_ptr_equal(q.slots.level[2].data[1].w, &b);
      q.feed(&x, 1);   // same level, on top: runs next
      q.feed(&hi, 1);  // higher: runs before x
    }
  });
  const W expected[] = {&c, &hi, &x, &b, &q.slots.dummy};
  assert_int_equal(n, 5);
  assert_memory_equal(order, expected, sizeof expected);
  q.release();
}

// Two batches of one level stack like real slots; a watcher already pending
// or of another priority ends the virtual part and is fed the ordinary way.
void pending__stacked_and_mixed_batches(void **)
{
  static pending_queues q = {};
  static ev_watcher i1 = make(0), i2 = make(0), c1 = make(0), c2 = make(1), c3 = make(0);
  static W idles[] = {&i1, &i2};
  static W checks[] = {&c1, &c2, &c3};
  q.feed_batch(idles, 2, EV_IDLE);
  q.feed_batch(checks, 3, EV_CHECK);  // c2 has another priority
  assert_int_equal(q.nvb, 0);          // the mixed one settled everything
  assert_int_equal(i1.pending, 1);
  assert_int_equal(i2.pending, 2);
  assert_int_equal(c1.pending, 3);
  assert_int_equal(c2.pending, 1);     // level of priority 1
  assert_int_equal(c3.pending, 4);
  drained d = drain(q);
  const W expected[] = {&c2, &c3, &c1, &i2, &i1};
  assert_memory_equal(d.order, expected, sizeof expected);

  static W idles2[] = {&i1, &i2};
  static W checks2[] = {&c1, &c3};
  q.feed_batch(idles2, 2, EV_IDLE);
  q.feed_batch(checks2, 2, EV_CHECK);
  assert_int_equal(q.nvb, 2);  // both virtual, stacked
  assert_int_equal(c1.pending, 3);
  assert_int_equal(c3.pending, 4);
  d = drain(q);
  const W expected2[] = {&c3, &c1, &i2, &i1};
  assert_memory_equal(d.order, expected2, sizeof expected2);
  q.release();
}

// A batch queued while another is being invoked (a nested ev_run in one of
// its callbacks) runs before the rest of it, with the slot numbers libev
// gives; one queued by the last callback of a batch (whose stack entry it
// reuses) still runs in the same pass.
void pending__batch_queued_during_a_batch_runs_first(void **)
{
  static pending_queues q = {};
  static ev_watcher a = make(0), b = make(0), c = make(0), x = make(0), y = make(0), z = make(0);
  static W outer[] = {&a, &b, &c};
  static W inner[] = {&x, &y};
  static W last[] = {&z};
  q.feed_batch(outer, 3, EV_CHECK);
  W order[8];
  int n = 0;
  q.invoke_all([&](W w, int revents) {
    order[n++] = w;
    if (w == &c) {
      q.feed_batch(inner, 2, EV_PREPARE);
      assert_int_equal(b.pending, 2);  // the rest of the outer batch kept its slots
      assert_int_equal(x.pending, 3);
      assert_int_equal(y.pending, 4);
      assert_int_equal(q.count(), 4);
    }
    if (w == &x)
      assert_int_equal(revents, EV_PREPARE);
    if (w == &a) {
      assert_int_equal(q.nvb, 0);
      q.feed_batch(last, 1, EV_IDLE);
      assert_int_equal(q.nvb, 1);
      assert_int_equal(z.pending, 1);
    }
  });
  const W expected[] = {&c, &y, &x, &b, &a, &z};
  assert_int_equal(n, 6);
  assert_memory_equal(order, expected, sizeof expected);
  assert_int_equal(q.count(), 0);
  assert_int_equal(q.slots.mask, 0);
  q.release();
}

// A nested pass (ev_invoke_pending in a callback) that takes some entries of
// the batch being invoked and is left early (a longjmp, an exception caught
// in the callback) leaves the outer pass with the rest, each exactly once.
void pending__nested_pass_leaving_early_takes_entries_once(void **)
{
  static pending_queues q = {};
  static ev_watcher a = make(0), b = make(0), c = make(0), d = make(0);
  static W ws[] = {&a, &b, &c, &d};
  static jmp_buf out;
  q.feed_batch(ws, 4, EV_CHECK);
  W order[8];
  int n = 0;
  q.invoke_all([&](W w, int) {
    order[n++] = w;
    if (w == &d && !setjmp(out))
      q.invoke_all([&](W inner, int) {
        order[n++] = inner;
        longjmp(out, 1);
      });
  });
  const W expected[] = {&d, &c, &b, &a};
  assert_int_equal(n, 4);
  assert_memory_equal(order, expected, sizeof expected);
  assert_int_equal(q.count(), 0);
  q.release();
}

void pending__out_of_range_priority_is_clamped(void **)
{
  pending_queues q = {};
  ev_watcher w = make(9), v = make(-9);
  q.feed(&w, 1);
  q.feed(&v, 1);
  assert_int_equal(q.slots.mask, (1u << 4) | 1u);
  assert_int_equal(q.clear(&w), 1);
  assert_int_equal(q.clear(&v), 1);
  q.release();
}

// The level hook (loop metrics time a pass per level with it) is told each
// time the pass turns to a level, before that level's callbacks: again
// after a callback queued a higher one, once per virtual batch.
void pending__enter_hook_announces_each_level_before_its_callbacks(void **)
{
  static pending_queues q = {};
  static ev_watcher a = make(0), c = make(0), e = make(2), x = make(1), y = make(1);
  static W batch[] = {&x, &y};
  q.feed(&a, 1);
  q.feed(&c, 1);
  q.feed_batch(batch, 2, 1);
  char trace[32];
  int n = 0;
  q.invoke_all(
      [&](W w, int) {
        trace[n++] = w == &a ? 'a' : w == &c ? 'c' : w == &e ? 'e' : w == &x ? 'x' : 'y';
        if (w == &c)
          q.feed(&e, 1);
      },
      [&](int p) { trace[n++] = static_cast<char>('0' + p); });
  trace[n] = 0;
  // levels are 0-based: priority 1 is level 3, priority 2 level 4
  assert_string_equal(trace, "3yx2c4e2a");
  q.release();
}

}  // namespace

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(pending__lifo_within_a_priority),
      cmocka_unit_test(pending__higher_priority_first_and_mask_tracks_levels),
      cmocka_unit_test(pending__feeding_twice_ors_revents),
      cmocka_unit_test(pending__clear_leaves_a_dummy_slot),
      cmocka_unit_test(pending__feeding_a_higher_level_restarts_the_scan),
      cmocka_unit_test(pending__batch_looks_exactly_like_queued_slots),
      cmocka_unit_test(pending__batch_is_settled_by_clear_and_feed),
      cmocka_unit_test(pending__stacked_and_mixed_batches),
      cmocka_unit_test(pending__batch_queued_during_a_batch_runs_first),
      cmocka_unit_test(pending__nested_pass_leaving_early_takes_entries_once),
      cmocka_unit_test(pending__out_of_range_priority_is_clamped),
      cmocka_unit_test(pending__enter_hook_announces_each_level_before_its_callbacks),
  };
  return cmocka_run_group_tests_name("base/pending.h", tests, nullptr, nullptr);
}
