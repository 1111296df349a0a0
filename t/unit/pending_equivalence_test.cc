// SPDX-License-Identifier: BSD-2-Clause
// t/unit/pending_equivalence_test.cc - base/pending.h's virtual batches change
// nothing observable (ev(3) WATCHER PRIORITY MODELS; doc/semantics.md §5).
//
// Random operation sequences run on two queues side by side, each with its own
// mirrored set of watchers and hook arrays: A is the loop's queue
// (pending_queues), which queues a hook array with feed_batch (a virtual batch
// when it can); B is the plain queue under it (base/slot_queue.h), fed one
// watcher at a time in index order, which is what a batch must be equivalent
// to.
// Feeds, clears, batches, hook arrays changing (settled first, as the loop
// does), priority changes, and invocation passes whose callbacks feed, clear,
// queue batches and run nested passes, chosen the same way on both sides.
// After every operation every observable is compared: each watcher's
// `pending` (its slot number), the total and per-level counts, the level
// mask; after every pass the invocation order and revents.  A difference
// prints the seed and the operation that showed it.
#include "base/pending.h"
#include "t/unit/test_rng.h"

#include <type_traits>

extern "C" {
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>
}

using namespace ev_detail;

namespace {

constexpr int kWatchers = 12;
constexpr int kArrays = 3;  // like a loop's prepares, checks and idles
constexpr int kTrace = 4096;

void noop(struct ev_loop *, ev_watcher *, int) {}

// What the test needs of either queue.
slot_queue &plain(pending_queues &q) { return q.slots; }
slot_queue &plain(slot_queue &q) { return q; }
void settle(pending_queues &q) { q.settle(); }
void settle(slot_queue &) {}
int level_count(pending_queues &q, int p) { return q.level_count(p); }
int level_count(slot_queue &q, int p) { return q.level[p].count; }
void queue_array(pending_queues &q, W *ws, int n, int revents) { q.feed_batch(ws, n, revents); }
void queue_array(slot_queue &q, W *ws, int n, int revents)
{
  for (int i = 0; i < n; ++i)
    q.feed(ws[i], revents);
}

// One side: a queue, its watchers and hook arrays, and what its passes did.
template <class Queue>
struct side {
  Queue q;
  ev_watcher w[kWatchers];
  W arrays[kArrays][kWatchers];
  int counts[kArrays];
  int trace_index[kTrace];
  int trace_revents[kTrace];
  int traced;

  int index_of(W x) { return x == &plain(q).dummy ? -1 : static_cast<int>(x - w); }
  unsigned mask() { return plain(q).mask; }
  void queue_array(int k, int revents) { ::queue_array(q, arrays[k], counts[k], revents); }
};

side<pending_queues> side_a;
side<slot_queue> side_b;

// Do f to both sides, A first.
template <class F>
void both(F f)
{
  f(side_a);
  f(side_b);
}
std::uint64_t seed_now;
int op_now;
const char *op_name = "";

// The callbacks' choices depend only on the sequence's seed, the number of
// callbacks so far and the watcher called: the same on both sides as long as
// the orders agree (where they do not, the traces differ anyway).
template <class Side>
struct pass_state {
  Side *s;
  std::uint64_t seed;
  int calls;
  int depth;
};

void compare(const char *when)
{
  auto &a = side_a;
  auto &b = side_b;
  bool same = a.q.count() == b.q.count() && a.mask() == b.mask();
  for (int p = 0; p < kNumPri; ++p)
    same = same && level_count(a.q, p) == level_count(b.q, p);
  for (int i = 0; i < kWatchers; ++i)
    same = same && a.w[i].pending == b.w[i].pending;
  if (!same) {
    printf("seed %llu, operation %d (%s), %s: batches %u pending, mask %x; plain %u pending, mask %x\n",
                static_cast<unsigned long long>(seed_now), op_now, op_name, when, a.q.count(), a.mask(),
           b.q.count(), b.mask());
    for (int i = 0; i < kWatchers; ++i)
      printf("  watcher %d: pending %d / %d\n", i, a.w[i].pending, b.w[i].pending);
    fail();
  }
}

template <class Side>
void run_pass(pass_state<Side> &ps);

template <class Side>
void callback_action(pass_state<Side> &ps, int index)
{
  Side &s = *ps.s;
  test_rng r{ps.seed ^ (static_cast<std::uint64_t>(ps.calls) * 0x9e3779b97f4a7c15ull) ^
        static_cast<std::uint64_t>(index + 1)};
  r.next(2);
  switch (r.next(8)) {
  case 0: s.q.feed(&s.w[r.next(kWatchers)], 1 << r.next(4)); break;
  case 1: s.q.clear(&s.w[r.next(kWatchers)]); break;
  case 2: s.queue_array(static_cast<int>(r.next(kArrays)), 1 << r.next(4)); break;
  case 3:
    if (ps.depth < 2) {  // a nested pass (ev_invoke_pending or ev_run in a callback)
      pass_state<Side> inner{ps.s, ps.seed ^ 0x5bd1e995u, 0, ps.depth + 1};
      run_pass(inner);
    }
    break;
  default: break;  // most callbacks do nothing to the queue
  }
}

template <class Side>
void run_pass(pass_state<Side> &ps)
{
  Side &s = *ps.s;
  s.q.invoke_all([&](W x, int revents) {
    assert_int_equal(x->pending, 0);  // taken off the queue before the call
    int index = s.index_of(x);
    if (s.traced < kTrace) {
      s.trace_index[s.traced] = index;
      s.trace_revents[s.traced++] = revents;
    }
    ++ps.calls;
    if (index >= 0)
      callback_action(ps, index);
  });
}

void setup(std::uint64_t seed)
{
  test_rng r{seed * 2654435761u + 1};
  both([](auto &s) {
    s.q.release();
    s.q = {};
    s.traced = 0;
  });
  for (int i = 0; i < kWatchers; ++i) {
    int priority = static_cast<int>(r.next(kNumPri)) + EV_MINPRI;
    both([&](auto &s) {
      s.w[i] = ev_watcher{};
      s.w[i].priority = priority;
      s.w[i].cb = noop;
    });
  }
  // watcher i belongs to hook array i % kArrays; some start in it
  both([](auto &s) {
    for (int k = 0; k < kArrays; ++k)
      s.counts[k] = 0;
  });
  for (int i = 0; i < kWatchers; ++i)
    if (r.next(3))
      both([&](auto &s) {
        int k = i % kArrays;
        s.arrays[k][s.counts[k]++] = &s.w[i];
      });
}

// Start or stop watcher i in its hook array, as the loop does: settle first,
// a stop moves the last entry into the gap.
template <class Side>
void toggle_in_array(Side &s, int i)
{
  settle(s.q);
  int k = i % kArrays;
  W x = &s.w[i];
  for (int j = 0; j < s.counts[k]; ++j)
    if (s.arrays[k][j] == x) {
      s.arrays[k][j] = s.arrays[k][--s.counts[k]];
      return;
    }
  s.arrays[k][s.counts[k]++] = x;
}

void run_sequence(std::uint64_t seed, int operations)
{
  seed_now = seed;
  setup(seed);
  test_rng r{seed};
  for (op_now = 0; op_now < operations; ++op_now) {
    unsigned op = r.next(16);
    int i = static_cast<int>(r.next(kWatchers));
    int k = static_cast<int>(r.next(kArrays));
    int revents = 1 << r.next(4);
    if (op < 4) {
      op_name = "feed";
      both([&](auto &s) { s.q.feed(&s.w[i], revents); });
    } else if (op < 8) {
      op_name = "queue a hook array";
      both([&](auto &s) { s.queue_array(k, revents); });
    } else if (op < 10) {
      op_name = "clear";
      assert_int_equal(side_a.q.clear(&side_a.w[i]), side_b.q.clear(&side_b.w[i]));
    } else if (op < 12) {
      op_name = "start or stop in a hook array";
      both([&](auto &s) { toggle_in_array(s, i); });
    } else if (op < 13) {
      op_name = "change the priority of a watcher that is not pending";
      if (!side_a.w[i].pending) {
        int priority = static_cast<int>(r.next(kNumPri)) + EV_MINPRI;
        both([&](auto &s) {
          settle(s.q);  // (its array may be a batch's source)
          s.w[i].priority = priority;
        });
      }
    } else {
      op_name = "invocation pass";
      std::uint64_t pass_seed = seed ^ (static_cast<std::uint64_t>(op_now) << 32);
      both([&](auto &s) {
        s.traced = 0;
        pass_state<std::remove_reference_t<decltype(s)>> ps{&s, pass_seed, 0, 0};
        run_pass(ps);
      });
      auto &a = side_a;
      auto &b = side_b;
      bool same = a.traced == b.traced;
      for (int n = 0; same && n < a.traced; ++n)
        same = a.trace_index[n] == b.trace_index[n] && a.trace_revents[n] == b.trace_revents[n];
      if (!same) {
        printf("seed %llu, operation %d: the passes differ (%d and %d callbacks)\n",
                    static_cast<unsigned long long>(seed), op_now, a.traced, b.traced);
        for (int n = 0; n < a.traced || n < b.traced; ++n)
          printf("  %d: %d/%#x  %d/%#x\n", n, n < a.traced ? a.trace_index[n] : -9,
                      n < a.traced ? a.trace_revents[n] : 0, n < b.traced ? b.trace_index[n] : -9,
                      n < b.traced ? b.trace_revents[n] : 0);
        fail();
      }
      assert_int_equal(a.mask(), 0u);  // a pass ends with nothing pending
    }
    compare("after it");
  }
  both([](auto &s) { s.q.release(); });
}

// PENDING_EQUIVALENCE_SEQUENCES in the environment runs more (the default
// keeps make check fast).
void pending__batches_change_nothing_observable(void **)
{
  long sequences = 3000;
  if (const char *env = getenv("PENDING_EQUIVALENCE_SEQUENCES"))
    sequences = strtol(env, nullptr, 10);
  long batched_passes = 0;
  for (long seed = 1; seed <= sequences; ++seed) {
    run_sequence(static_cast<std::uint64_t>(seed), 300);
    batched_passes += side_a.traced;
  }
  assert_true(batched_passes > 0);
}

}  // namespace

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(pending__batches_change_nothing_observable),
  };
  return cmocka_run_group_tests_name("base/pending.h against base/slot_queue.h", tests, nullptr, nullptr);
}
