// SPDX-License-Identifier: BSD-2-Clause
// t/unit/fdtable_test.cc - white-box tests of base/fdtable.h: table growth
// and the change queue (ev(3) ev_io; "no system call for a start/stop pair
// inside one iteration" rests on the queue coalescing changes per fd).
#include "base/fdtable.h"

extern "C" {
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
}

using namespace ev_detail;

namespace {

void fdtable__reserve_grows_and_zeroes(void **)
{
  fd_table t = {};
  t.reserve(0);
  assert_true(t.size > 0);
  t.entries[0].events = EV_READ;
  t.reserve(1000);
  assert_true(t.size > 1000);
  assert_int_equal(t.entries[0].events, EV_READ);  // kept
  for (int fd = 1; fd < t.size; ++fd) {
    assert_null(t.entries[fd].head);
    assert_int_equal(t.entries[fd].reify, 0);
    assert_int_equal(t.entries[fd].bdata, 0);
  }
  t.release();
}

// Growth steps: one page of entries, then one large block, then doubling;
// each step keeps what was set and zeroes what it adds, and an fd inside the
// capacity but past the initialised entries is still zeroed on reserve.
void fdtable__reserve_keeps_entries_across_every_growth_step(void **)
{
  fd_table t = {};
  // (a page and the large block in entries: 256 and 8448 of 16 bytes on 64-bit machines)
  const int page = static_cast<int>(4096 / sizeof(fd_entry)), large = static_cast<int>(132 * 1024 / sizeof(fd_entry));
  const int fds[] = {0, page - 1, page, 4000, large - 1, large, 20000, 70000};
  for (int fd : fds) {
    t.reserve(fd);
    assert_true(t.size > fd);
    assert_true(t.capacity >= t.size);
    assert_null(t.entries[fd].head);
    assert_int_equal(t.entries[fd].events, 0);
    t.entries[fd].events = EV_WRITE;
    t.entries[fd].bdata = static_cast<unsigned>(fd) + 1;
  }
  int expected = large;  // page, large, then doubling
  while (expected < (70000 / page + 1) * page)
    expected *= 2;
  assert_int_equal(t.capacity, expected);
  for (int fd : fds) {
    assert_int_equal(t.entries[fd].events, EV_WRITE);
    assert_int_equal(t.entries[fd].bdata, static_cast<unsigned>(fd) + 1);
  }
  for (int fd = 0; fd < t.size; ++fd)
    if (t.entries[fd].events != EV_WRITE)
      assert_int_equal(t.entries[fd].bdata, 0);
  t.release();
}

void fdtable__change_queues_each_fd_once_and_collects_flags(void **)
{
  fd_table t = {};
  t.reserve(10);
  t.change(3, kReifyQueued);
  t.change(5, EV__IOFDSET);
  t.change(3, EV__IOFDSET);
  t.change(5, kReifyQueued);
  assert_int_equal(t.changes.count, 2);
  assert_int_equal(t.changes.data[0], 3);
  assert_int_equal(t.changes.data[1], 5);
  assert_int_equal(t.entries[3].reify, kReifyQueued | EV__IOFDSET);
  assert_int_equal(t.entries[5].reify, kReifyQueued | EV__IOFDSET);
  t.release();
}

}  // namespace

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(fdtable__reserve_grows_and_zeroes),
      cmocka_unit_test(fdtable__reserve_keeps_entries_across_every_growth_step),
      cmocka_unit_test(fdtable__change_queues_each_fd_once_and_collects_flags),
  };
  return cmocka_run_group_tests_name("base/fdtable.h", tests, nullptr, nullptr);
}
