// t/unit/pending_test.cc - white-box tests of core/pending.h, the pending
// queues (ev(3) WATCHER PRIORITY MODELS; SEMANTICS.md §4).
#include "core/pending.h"

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
  pending_slot s;
  assert_true(q.pop(s));
  assert_ptr_equal(s.w, &c);
  assert_int_equal(c.pending, 0);
  assert_true(q.pop(s));
  assert_ptr_equal(s.w, &b);
  assert_true(q.pop(s));
  assert_ptr_equal(s.w, &a);
  assert_false(q.pop(s));
  assert_int_equal(q.mask, 0);
  q.release();
}

void pending__higher_priority_first_and_mask_tracks_levels(void **)
{
  pending_queues q = {};
  ev_watcher lo = make(-2), mid = make(0), hi = make(2);
  q.feed(&lo, 1);
  q.feed(&hi, 1);
  q.feed(&mid, 1);
  assert_int_equal(q.mask, (1u << 0) | (1u << 2) | (1u << 4));
  pending_slot s;
  q.pop(s);
  assert_ptr_equal(s.w, &hi);
  q.pop(s);
  assert_ptr_equal(s.w, &mid);
  q.pop(s);
  assert_ptr_equal(s.w, &lo);
  assert_int_equal(q.mask, 0);
  q.release();
}

void pending__feeding_twice_ors_revents(void **)
{
  pending_queues q = {};
  ev_watcher a = make(0);
  q.feed(&a, EV_READ);
  q.feed(&a, EV_WRITE);
  assert_int_equal(q.count(), 1);
  pending_slot s;
  q.pop(s);
  assert_int_equal(s.revents, EV_READ | EV_WRITE);
  q.release();
}

void pending__clear_leaves_a_dummy_slot(void **)
{
  pending_queues q = {};
  q.dummy.cb = noop;
  ev_watcher a = make(1), b = make(1);
  q.feed(&a, EV_TIMER);
  q.feed(&b, EV_TIMER);
  assert_int_equal(q.clear(&a), EV_TIMER);
  assert_int_equal(a.pending, 0);
  assert_int_equal(q.clear(&a), 0);
  assert_int_equal(q.count(), 2);  // still counted until the next pass
  pending_slot s;
  q.pop(s);
  assert_ptr_equal(s.w, &b);
  q.pop(s);
  assert_ptr_equal(s.w, &q.dummy);
  q.release();
}

void pending__out_of_range_priority_is_clamped(void **)
{
  pending_queues q = {};
  ev_watcher w = make(9), v = make(-9);
  q.feed(&w, 1);
  q.feed(&v, 1);
  assert_int_equal(q.mask, (1u << 4) | 1u);
  assert_int_equal(q.clear(&w), 1);
  assert_int_equal(q.clear(&v), 1);
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
      cmocka_unit_test(pending__out_of_range_priority_is_clamped),
  };
  return cmocka_run_group_tests_name("core/pending.h", tests, nullptr, nullptr);
}
