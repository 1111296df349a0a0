// SPDX-License-Identifier: BSD-2-Clause
// t/unit/ptr_map_test.cc - white-box tests of base/ptr_map.h, the index under
// the long io watcher lists (ev(3) ev_io: many watchers on one fd start and
// stop in O(1)): random inserts, finds and erases against a plain reference,
// erase_if, growth, and an allocator that refuses (the map says so and
// stays usable; ev_set_allocator; insert_or_abort aborts).
#include "base/ptr_map.h"
#include "t/unit/test_rng.h"

#include <ev.h>

extern "C" {
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
}

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <csignal>

using namespace ev_detail;

namespace {

struct value {
  int a;
  int b;
};

// Keys: addresses of the elements of an array, aligned like watchers, so
// that their low bits are all alike (what the hash must cope with).
constexpr int kKeys = 3000;
struct alignas(64) node {
  char pad[64];
};
node nodes[kKeys];

// The reference: the value of each key, or -1 when absent.
int reference[kKeys];

void check_all(const ptr_map<value> &m)
{
  unsigned present = 0;
  for (int k = 0; k < kKeys; ++k) {
    const value *v = m.find(&nodes[k]);
    if (reference[k] < 0) {
      assert_null(v);
      continue;
    }
    ++present;
    assert_non_null(v);
    assert_int_equal(v->a, reference[k]);
    assert_int_equal(v->b, k);
  }
  assert_int_equal(m.count, present);
  assert_true(4 * m.count <= 3 * m.capacity());
}

void ptr_map__random_operations_agree_with_a_reference(void **)
{
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    test_rng r{seed * 0x9e3779b97f4a7c15ULL};
    ptr_map<value> m = {};
    for (int &v : reference)
      v = -1;
    // Phases that fill up and drain, so that probe chains wrap around the
    // table's end and erases shift entries across it.
    for (int op = 0; op < 30000; ++op) {
      int k = static_cast<int>(r.next(op % 10000 < 6000 ? kKeys : kKeys / 4));
      bool filling = (op / 2500) % 2 == 0;
      if (reference[k] < 0 && (filling || r.next(4) == 0)) {
        int v = static_cast<int>(r.next(1000000));
        assert_true(m.insert(&nodes[k], value{v, k}));
        reference[k] = v;
      } else if (reference[k] >= 0 && (!filling || r.next(4) == 0)) {
        m.erase(&nodes[k]);
        reference[k] = -1;
      } else if (reference[k] >= 0) {
        m.find(&nodes[k])->a = ++reference[k];  // values can be changed in place
      }
      if (op % 997 == 0)
        check_all(m);
    }
    check_all(m);
    // erase_if: every odd key goes, the rest stays
    m.erase_if([](const void *, const value &v) { return v.b % 2 == 1; });
    for (int k = 1; k < kKeys; k += 2)
      reference[k] = -1;
    check_all(m);
    m.erase_if([](const void *, const value &) { return true; });
    for (int &v : reference)
      v = -1;
    check_all(m);
    assert_int_equal(m.capacity(), 0);  // an emptied map holds no memory
    m.release();
  }
}

// The last erase frees the table; a map that erases down to nothing and
// fills again works like a new one.
void ptr_map__emptied_map_frees_its_table_and_can_be_refilled(void **)
{
  ptr_map<value> m = {};
  for (int round = 0; round < 3; ++round) {
    for (int k = 0; k < 100; ++k)
      assert_true(m.insert(&nodes[k], value{k, k}));
    assert_true(m.capacity() >= 128);
    for (int k = 0; k < 100; ++k)
      m.erase(&nodes[k]);
    assert_int_equal(m.count, 0);
    assert_null(m.slots);
    assert_null(m.find(&nodes[0]));
  }
}

// ev_set_allocator: an allocator without memory makes insert fail, not abort
// (the io lists are walked then); what was in the map stays.
int refuse_from = -1;
int allocations;
void *counting_allocator(void *ptr, long size) noexcept
{
  if (size && ++allocations > refuse_from && refuse_from >= 0)
    return nullptr;
  if (!size) {
    free(ptr);
    return nullptr;
  }
  return realloc(ptr, static_cast<size_t>(size));
}

void ptr_map__insert_says_false_when_the_allocator_has_no_memory(void **)
{
  ev_set_allocator(counting_allocator);
  allocations = 0;
  refuse_from = 1;  // the first table only
  ptr_map<value> m = {};
  int k = 0;
  while (m.insert(&nodes[k], value{k, k}))
    ++k;
  assert_int_equal(k, 48);  // 3/4 of the first table's 64 slots
  assert_int_equal(m.count, 48);
  for (int j = 0; j < k; ++j)
    assert_int_equal(m.find(&nodes[j])->a, j);
  assert_null(m.find(&nodes[k]));
  refuse_from = -1;
  assert_true(m.insert(&nodes[k], value{k, k}));
  assert_int_equal(m.count, 49);
  m.release();
  ev_set_allocator(nullptr);
}

// insert_or_abort (debug mode's records, which the loop cannot do without):
// the map grows as with insert, and an allocator without memory aborts the
// process, as every allocation the loop needs does (ev_realloc).
void ptr_map__insert_or_abort_grows_and_aborts_without_memory(void **)
{
  ptr_map<value> m = {};
  for (int k = 0; k < 1000; ++k)
    m.insert_or_abort(&nodes[k], value{k, k});
  assert_int_equal(m.count, 1000);
  assert_true(4 * m.count <= 3 * m.capacity());
  for (int k = 0; k < 1000; ++k)
    assert_int_equal(m.find(&nodes[k])->a, k);
  m.release();

  pid_t pid = fork();
  assert_true(pid >= 0);
  if (!pid) {
    int null = open("/dev/null", O_WRONLY);  // (ev_realloc's message)
    if (null >= 0)
      dup2(null, 2);
    ev_set_allocator(counting_allocator);
    allocations = 0;
    refuse_from = 1;  // the first table only
    ptr_map<value> c = {};
    for (int k = 0; k < 49; ++k)
      c.insert_or_abort(&nodes[k], value{k, k});
    _exit(0);
  }
  int status = 0;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFSIGNALED(status));
  assert_int_equal(WTERMSIG(status), SIGABRT);
}

}  // namespace

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(ptr_map__random_operations_agree_with_a_reference),
      cmocka_unit_test(ptr_map__emptied_map_frees_its_table_and_can_be_refilled),
      cmocka_unit_test(ptr_map__insert_says_false_when_the_allocator_has_no_memory),
      cmocka_unit_test(ptr_map__insert_or_abort_grows_and_aborts_without_memory),
  };
  return cmocka_run_group_tests_name("base/ptr_map.h", tests, nullptr, nullptr);
}
