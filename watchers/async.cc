// SPDX-License-Identifier: BSD-2-Clause
// watchers/async.cc - ev_async, after ev(3)'s ev_async section.
//
// ev_async_send may be called from any thread and from signal handlers.  It sets the watcher's
// `sent` flag and, unless that was set already, the loop's async flag through the wake-up fd
// protocol (fd/wakeup.h).  The loop then queues the watchers with `sent` set newest first, as libev
// does, so that they run in start order; many sends before the loop looks give one callback.  The
// public struct's `sent` is accessed with atomic builtins.
//
// A loop with at most kScanAllMax async watchers looks at all of them on a wake-up: for a few,
// marking costs more than looking.  With more, a sender also marks its watcher's group, a bit in
// the groups block that the loop's rare block holds, and a wake-up looks only at the marked groups.
// Senders mark only while loop->async_marking says so; a sender may have read the old value as
// marking began, so the loop's next look is full.  The sender reads the index `active` while the loop may move the
// watcher in the array, so both sides store first and load second, all sequentially consistent: either the sender sees
// the new index, or the loop sees the send and marks the new group itself.  The first start makes the groups block,
// before marking is ever set, so senders seeing marking set find it.
#include "fd/wakeup.h"
#include "loop/loop.h"
#include "watchers/start_stop.h"

#include <algorithm>
#include <new>

using namespace ev_detail;

constexpr watcher_calls kAsyncCalls{EV_ASYNC, "ev_async_start", "ev_async_stop"};

namespace {

constexpr int kGroups = 64 * 64;
// Senders mark groups above this many watchers, and stop again at half.
constexpr int kScanAllMax = 16;

}  // namespace

struct ev_detail::async_sent_groups {
  std::atomic<std::uint64_t> summary;    // a bit per word below
  std::atomic<std::uint64_t> words[64];  // a bit per group
  bool full_look_due;                    // marking just began: look at every watcher once (loop only)
};

namespace {

inline int load_index(const ev_async *w) { return __atomic_load_n(&w->active, __ATOMIC_SEQ_CST); }
inline void store_index(ev_watcher *w, int index) { __atomic_store_n(&w->active, index, __ATOMIC_SEQ_CST); }

// Mark the index's group: its bit, then its word's bit in the summary, which the loop takes first.
inline void mark_group(ev_loop *loop, int index)
{
  unsigned g = static_cast<unsigned>(index - 1) % kGroups;
  async_sent_groups *sg = loop->rare.load(std::memory_order_acquire)->async_groups;
  sg->words[g / 64].fetch_or(std::uint64_t{1} << (g % 64), std::memory_order_seq_cst);
  sg->summary.fetch_or(std::uint64_t{1} << (g / 64), std::memory_order_seq_cst);
}

}  // namespace

namespace ev_detail {

// Every watcher, newest first, libev's queueing order.
static inline void asyncs_process_all(ev_loop *loop)
{
  for (int i = loop->asyncs.count; i--;) {
    auto *w = reinterpret_cast<ev_async *>(loop->asyncs.data[i]);
    if (__atomic_load_n(&w->sent, __ATOMIC_SEQ_CST)) {
      __atomic_store_n(&w->sent, 0, __ATOMIC_SEQ_CST);
      feed(loop, as_w(w), EV_ASYNC);
    }
  }
}

// At most kGroups watchers, one per group, so taking the groups in descending order gives libev's
// queueing order, and each watcher is fed as it is found.
static void asyncs_process_few(ev_loop *loop, async_sent_groups *sg)
{
  std::uint64_t words = sg->summary.exchange(0, std::memory_order_seq_cst);
  while (words) {
    int word = 63 - __builtin_clzll(words);
    words &= ~(std::uint64_t{1} << word);
    std::uint64_t groups = sg->words[word].exchange(0, std::memory_order_seq_cst);
    while (groups) {
      int bit = 63 - __builtin_clzll(groups);
      groups &= ~(std::uint64_t{1} << bit);
      int i = word * 64 + bit;
      if (i >= loop->asyncs.count)
        continue;  // the watcher moved down, and the loop marked its new group
      auto *w = reinterpret_cast<ev_async *>(loop->asyncs.data[i]);
      if (__atomic_load_n(&w->sent, __ATOMIC_SEQ_CST)) {
        __atomic_store_n(&w->sent, 0, __ATOMIC_SEQ_CST);
        feed(loop, as_w(w), EV_ASYNC);
      }
    }
  }
}

// More than kGroups watchers: a group holds several, so those found are sorted into libev's order.
static void asyncs_process_many(ev_loop *loop, async_sent_groups *sg)
{
  array<W> &sent = loop->rfeeds;  // empty here: timers use it only within timers_reify
  std::uint64_t words = sg->summary.exchange(0, std::memory_order_seq_cst);
  while (words) {
    int word = __builtin_ctzll(words);
    words &= words - 1;
    std::uint64_t groups = sg->words[word].exchange(0, std::memory_order_seq_cst);
    while (groups) {
      int g = word * 64 + __builtin_ctzll(groups);
      groups &= groups - 1;
      for (int i = g; i < loop->asyncs.count; i += kGroups) {
        auto *w = reinterpret_cast<ev_async *>(loop->asyncs.data[i]);
        if (__atomic_load_n(&w->sent, __ATOMIC_SEQ_CST)) {
          __atomic_store_n(&w->sent, 0, __ATOMIC_SEQ_CST);
          sent.push(as_w(w));
        }
      }
    }
  }
  std::sort(sent.data, sent.data + sent.count, [](W a, W b) { return a->active < b->active; });
  while (sent.count)
    feed(loop, sent.data[--sent.count], EV_ASYNC);
}

// More than kScanAllMax watchers: the groups the senders marked, or every watcher once after
// marking began.  noinline, so that not every wake-up builds its frame in asyncs_process.
[[gnu::noinline]] static void asyncs_process_marked(ev_loop *loop, async_sent_groups *sg)
{
  if (sg->full_look_due) {
    // The marks go first: a mark made after this is looked at next time.
    sg->full_look_due = false;
    std::uint64_t words = sg->summary.exchange(0, std::memory_order_seq_cst);
    for (int word = 0; word < 64; ++word)
      if (words & (std::uint64_t{1} << word))
        sg->words[word].exchange(0, std::memory_order_seq_cst);
    asyncs_process_all(loop);
  } else if (loop->asyncs.count <= kGroups)
    asyncs_process_few(loop, sg);
  else
    asyncs_process_many(loop, sg);
}

void asyncs_process(ev_loop *loop)
{
  // relaxed: only the loop stores loop->async_marking, and after the groups block is made
  if (loop->async_marking.load(std::memory_order_relaxed))
    asyncs_process_marked(loop, rare_of(loop)->async_groups);
  else
    asyncs_process_all(loop);
  // queued functions after the watchers, which run later in this pass
  posts_after_asyncs(loop);
}

void asyncs_loop_destroy(ev_loop *loop)
{
  loop_rare *r = rare_of(loop);
  if (r && r->async_groups) {
    r->async_groups->~async_sent_groups();
    ev_free(r->async_groups);
    r->async_groups = nullptr;
  }
}

}  // namespace ev_detail

extern "C" {

static void async_start_plain(struct ev_loop *loop, ev_async *w)
{
  if (w->active)
    return;
  // libev 4.33 forgets a send made before start (doc/semantics.md §18).
  __atomic_store_n(&w->sent, 0, __ATOMIC_SEQ_CST);
  wakeup_init(loop, wakeup_user::kAsyncOrSignalHandler);
  loop_rare *r = rare_get(loop);
  if (!r->async_groups)
    r->async_groups = new (ev_realloc(nullptr, sizeof(async_sent_groups))) async_sent_groups();
  guard_null_callback(as_w(w));  // start_watcher without its plain store of `active`
  clamp_priority(as_w(w));
  int index = loop->asyncs.push(as_w(w));
  store_index(as_w(w), index);
  async_sent_groups *sg = r->async_groups;
  if (index > kScanAllMax && !loop->async_marking.load(std::memory_order_relaxed)) {
    loop->async_marking.store(true, std::memory_order_seq_cst);
    sg->full_look_due = true;
  }
  ++loop->activecnt;
  EV_FREQUENT_CHECK(loop);
}

void ev_async_start(EV_P_ ev_async *w) noexcept { watcher_start<kAsyncCalls, async_start_plain>(loop, w); }

static void async_stop_active(struct ev_loop *loop, ev_async *w)
{
  // array_del, with the index stores visible to senders (see above)
  array<W> &a = loop->asyncs;
  check_array_index(a, as_w(w), "ev_async_stop");
  int i = w->active - 1;
  W last = a.data[--a.count];
  a.data[i] = last;
  if (last != as_w(w)) {
    store_index(last, i + 1);
    if (__atomic_load_n(&reinterpret_cast<ev_async *>(last)->sent, __ATOMIC_SEQ_CST)) {
      mark_group(loop, i + 1);
      wakeup_signal(loop, loop->async_pending);
    }
  }
  store_index(as_w(w), 0);
  if (a.count <= kScanAllMax / 2 && loop->async_marking.load(std::memory_order_relaxed))
    loop->async_marking.store(false, std::memory_order_seq_cst);  // every look is a full one now
  --loop->activecnt;
  EV_FREQUENT_CHECK(loop);
}

void ev_async_stop(EV_P_ ev_async *w) noexcept { watcher_stop<kAsyncCalls, async_stop_active>(loop, w); }

void ev_async_send(EV_P_ ev_async *w) noexcept
{
  // Sent and not yet noticed, typical of a flood of sends: the callback is on its way.  Only an
  // active watcher's `sent` is defined, since start clears it; a send to a stopped one stores 1 and
  // wakes the loop, as in libev, where starting or stopping it during a send is a race too.
  if (load_index(w) && __atomic_load_n(&w->sent, __ATOMIC_SEQ_CST) == 1)
    return;
  store_before_loads(&w->sent, 1);
  // the index is read after `sent` is stored, see the top
  if (loop->async_marking.load(std::memory_order_seq_cst))
    if (int index = load_index(w))
      mark_group(loop, index);
  wakeup_signal(loop, loop->async_pending);
}

}  // extern "C"
