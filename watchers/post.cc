// SPDX-License-Identifier: BSD-2-Clause
// watchers/post.cc - ev_ng_post, after ev(3)'s "Posting work to a loop": any thread, or a signal
// handler, hands a function to the loop's thread.
//
// Each thread that posts to a loop gets its own lane there: a single-producer queue of 4 KiB
// segments of {function, argument} slots.  The producer writes a slot and publishes its count of
// posts; the loop reads the count once a pass and runs the slots up to it.  So producers of one
// loop share no cache line per post, as a single queue head would make them.  A lane is registered
// once per thread and loop under `lanes_lock`, the only lock, which no post takes after that.
//
// Waking the loop: a pass sets each lane's `idle` before it reads the lane's count, and a producer
// reads `idle` after it published its post, both sequentially consistent, so either the pass sees
// the post or the producer sees `idle`.  The producer that takes `idle` back sets the queue's
// `pending` flag, then the loop's async flag through the wake-up handshake (fd/wakeup.h), which
// writes only if the loop is blocked; the loop clears the async flag before it takes `pending`
// (after its ev_async watchers, watchers/async.cc), so either the pass sees `pending` or the
// producer sees the flag clear and sets it.  So a batch costs a lane at most one wake-up system
// call, and none while the loop is busy; posts that find `idle` clear touch nothing shared.
//
// ev_ng_post_owned's nodes belong to the caller and may come from a signal handler that interrupts
// its thread's own ev_ng_post: they go onto a separate stack (`owned`) by compare-and-swap, and the
// pass reverses it, which keeps each producer's order among its owned nodes.
//
// A lane belongs to its loop, which frees it at ev_loop_destroy or after its thread's exit.
#include "base/lock.h"
#include "base/per_thread.h"
#include "base/thread_key.h"
#include "fd/wakeup.h"
#include "loop/loop.h"

#include <cerrno>
#include <cstdint>
#include <new>

using namespace ev_detail;

namespace {

// ev_ng_state's bit: a caller's node is queued from its post until the loop takes it to run; a
// second post meanwhile adds nothing, as a second ev_async_send does.
enum : int { kInQueue = 1 };

using post_fn = void (*)(EV_P_ void *);

struct post_slot {
  post_fn cb;
  void *arg;
};

// One 4 KiB allocation on every word size; `next` is the producer's next segment, or a spare.
constexpr int kSlots = int((4096 - 2 * sizeof(void *)) / sizeof(post_slot));
struct post_segment {
  post_segment *next;
  void *unused;
  post_slot slots[kSlots];
};
static_assert(sizeof(post_segment) == 4096);

// Spare segments a lane keeps after a burst that queued more.
constexpr long kSpareMax = 64;

struct post_owner;

}  // namespace

namespace ev_detail {

// The queue: what producers share, then what only the loop's thread uses, each on lines of its own.
struct post_block {
  std::atomic<int> pending;                     // a pass is due
  std::atomic<struct ev_ng_post_node *> owned;  // ev_ng_post_owned's nodes, newest first
  char shared_line[64];
  std::uint64_t serial;                   // tells this block from an earlier one at the same address
  std::atomic<struct post_lane *> lanes;  // added to under lanes_lock
  char read_line[64];
  struct ev_ng_post_node *taken;  // owned nodes the loop took and has not run
  int depth;                      // passes running, one in another when a function runs the loop
  std::atomic<int> exited;        // a lane's thread exited: look for lanes to free
};

// A thread's queue in one loop.  Only the thread writes the first group, only the loop's thread the
// second; both write `idle` and the spare segments, once a batch or a segment.
struct post_lane {
  post_segment *tail_seg;
  int tail_idx;
  post_segment *producer_spares;
  std::atomic<unsigned long> posted;
  char producer_line[64];
  post_segment *head_seg;
  int head_idx;
  unsigned long consumed;
  post_block *block;
  post_lane *loop_next;             // the loop's lanes; under lanes_lock
  post_lane *owner_next;            // the thread's lanes; under lanes_lock
  std::atomic<post_owner *> owner;  // null once the thread exited
  char consumer_line[64];
  std::atomic<int> idle;
  std::atomic<long> spare_count;
  std::atomic<post_segment *> spares;
};

}  // namespace ev_detail

namespace {

// A thread's lanes, for its exit.
struct post_owner {
  post_lane *lanes;
};

// The calling thread's last lane, checked without a lock: `block` and `serial` must match the
// loop's queue.  Not initial-exec, which would save a call but can fail to load where a program
// dlopens the library, as Perl's EV does.
struct thread_posting {
  post_block *block;
  std::uint64_t serial;
  post_lane *lane;
  post_owner *owner;
};
using posting_thread = per_thread<thread_posting>;

// Taken to add or free a lane, at thread exit and around fork; never by a post whose lane exists.
constinit os_lock lanes_lock;
constinit std::uint64_t next_serial = 0;  // under lanes_lock
thread_key exit_key;
bool exit_key_made;  // under lanes_lock

// Producers read it from any thread: the rare block and the queue are published with release.
post_block *block_of(const ev_loop *loop)
{
  const loop_rare *r = loop->rare.load(std::memory_order_acquire);
  return r ? r->posts.load(std::memory_order_acquire) : nullptr;
}

// A pass is due: `pending`, then the async flag (see the top).  Async-signal-safe.
void posts_wake(ev_loop *loop, post_block *b)
{
  if (b->pending.load(std::memory_order_seq_cst))
    return;  // set, and the loop has not taken it yet
  store_before_loads(b->pending, 1);
  wakeup_signal(loop, loop->async_pending);
}

void segments_free(post_segment *seg)
{
  while (seg) {
    post_segment *next = seg->next;
    ev_free(seg);
    seg = next;
  }
}

// The lane's memory, once neither its thread nor the loop will touch it.
void lane_free(post_lane *lane)
{
  segments_free(lane->head_seg);  // to the tail: `next` links them
  segments_free(lane->producer_spares);
  segments_free(lane->spares.load(std::memory_order_acquire));
  lane->~post_lane();
  ev_free(lane);
}

void unlink_from(post_lane **link, post_lane *lane, post_lane *post_lane::*next)
{
  while (*link != lane)
    link = &((*link)->*next);
  *link = lane->*next;
}

// The key's destructor, at the thread's exit: its loops free its lanes once they have run them.
void owner_exit(void *p)
{
  auto *owner = static_cast<post_owner *>(p);
  lock_take(lanes_lock);
  for (post_lane *lane = owner->lanes; lane; lane = lane->owner_next) {
    lane->owner.store(nullptr, std::memory_order_release);
    lane->block->exited.store(1, std::memory_order_relaxed);
  }
  ev_free(owner);
  lock_give(lanes_lock);
  // A later destructor that posts registers anew.
  if constexpr (posting_thread::kUsableAtExit)
    *posting_thread::get() = {};
}

// dlclose must leave no key destructor; lanes of threads that exit later go with their loops.
[[gnu::destructor]] void exit_key_delete()
{
  lock_take(lanes_lock);
  if (exit_key_made)
    thread_key_delete(exit_key);
  exit_key_made = false;
  posting_thread::retire();
  lock_give(lanes_lock);
}

// This thread's lane in `b`, made at its first post; lanes_lock orders it with loops freeing lanes.
post_lane *lane_find(post_block *b, thread_posting *me)
{
  lock_take(lanes_lock);
  post_owner *owner = me->owner;
  post_lane *lane = nullptr;
  if (owner)
    for (lane = owner->lanes; lane && lane->block != b; lane = lane->owner_next) {
    }
  if (!lane) {
    if (!owner) {
      owner = static_cast<post_owner *>(ev_try_realloc(nullptr, sizeof(post_owner)));
      if (!owner) {
        lock_give(lanes_lock);
        return nullptr;
      }
      owner->lanes = nullptr;
      me->owner = owner;
      if (!exit_key_made)
        exit_key_made = thread_key_make(exit_key, owner_exit);
      // Without the key the thread's lanes stay until their loops go.
      if (exit_key_made)
        thread_key_set(exit_key, owner);
    }
    auto *seg = static_cast<post_segment *>(ev_try_realloc(nullptr, sizeof(post_segment)));
    lane = seg ? static_cast<post_lane *>(ev_try_realloc(nullptr, sizeof(post_lane))) : nullptr;
    if (!lane) {
      if (seg)
        ev_free(seg);
      lock_give(lanes_lock);
      return nullptr;
    }
    new (lane) post_lane{};
    seg->next = nullptr;
    lane->tail_seg = lane->head_seg = seg;
    lane->block = b;
    lane->owner.store(owner, std::memory_order_relaxed);
    lane->idle.store(1, std::memory_order_relaxed);
    lane->owner_next = owner->lanes;
    owner->lanes = lane;
    lane->loop_next = b->lanes.load(std::memory_order_relaxed);
    b->lanes.store(lane, std::memory_order_release);
  }
  lock_give(lanes_lock);
  me->block = b;
  me->serial = b->serial;
  me->lane = lane;
  return lane;
}

// A full tail segment: the next one is a spare the loop gave back, or new.
bool lane_grow(post_lane *lane)
{
  post_segment *seg = lane->producer_spares;
  if (!seg) {
    seg = lane->spares.exchange(nullptr, std::memory_order_acquire);
    lane->spare_count.store(0, std::memory_order_relaxed);
  }
  if (seg)
    lane->producer_spares = seg->next;
  else if (!(seg = static_cast<post_segment *>(ev_try_realloc(nullptr, sizeof(post_segment)))))
    return false;
  seg->next = nullptr;
  // published with the first post in it, through `posted`
  lane->tail_seg->next = seg;
  lane->tail_seg = seg;
  lane->tail_idx = 0;
  return true;
}

// A segment the loop has run: back to its producer, or freed.
void segment_done(post_lane *lane, post_segment *seg)
{
  if (lane->spare_count.load(std::memory_order_relaxed) >= kSpareMax) {
    ev_free(seg);
    return;
  }
  post_segment *head = lane->spares.load(std::memory_order_relaxed);
  do
    seg->next = head;
  while (!lane->spares.compare_exchange_weak(head, seg, std::memory_order_release, std::memory_order_relaxed));
  lane->spare_count.fetch_add(1, std::memory_order_relaxed);
}

// The next slot to run.  The loop's fields are read anew for each slot: a function may run the
// loop, whose pass then goes on here.
post_slot lane_pop(post_lane *lane)
{
  if (lane->head_idx == kSlots) {
    post_segment *done = lane->head_seg;
    lane->head_seg = done->next;
    lane->head_idx = 0;
    segment_done(lane, done);
  }
  ++lane->consumed;
  return lane->head_seg->slots[lane->head_idx++];
}

// What the lane held when the pass looked.  Slots are taken before their function runs: one that
// leaves by longjmp leaves the rest queued, with the lane idle, so the next post starts a pass.
int lane_run([[maybe_unused]] ev_loop *loop, post_lane *lane)
{
  if (!lane->idle.load(std::memory_order_relaxed))
    store_before_loads(lane->idle, 1);
  const unsigned long posted = lane->posted.load(std::memory_order_seq_cst);
  int ran = 0;
  while (lane->consumed < posted) {
    post_slot s = lane_pop(lane);
    ++ran;
    s.cb(EV_A_ s.arg);
  }
  return ran;
}

struct ev_ng_post_node *reversed(struct ev_ng_post_node *node)
{
  struct ev_ng_post_node *fifo = nullptr;
  while (node) {
    struct ev_ng_post_node *next = node->ev_ng_next;
    node->ev_ng_next = fifo;
    fifo = node;
    node = next;
  }
  return fifo;
}

// The owned nodes pushed until now, after those taken and not yet run.  `taken` is read anew for
// each node, since a function may fork and the child forgets them; a node is released before its
// function runs, so that the function may post it again.
int owned_run([[maybe_unused]] ev_loop *loop, post_block *b)
{
  struct ev_ng_post_node **tail = &b->taken;
  while (*tail)
    tail = &(*tail)->ev_ng_next;
  *tail = reversed(b->owned.exchange(nullptr, std::memory_order_seq_cst));
  int ran = 0;
  while (struct ev_ng_post_node *node = b->taken) {
    b->taken = node->ev_ng_next;
    post_fn cb = node->cb;
    void *arg = node->arg;
    __atomic_store_n(&node->ev_ng_state, 0, __ATOMIC_SEQ_CST);
    ++ran;
    cb(EV_A_ arg);
  }
  return ran;
}

// Lanes whose threads exited and whose posts have run.  Only between passes, since a pass may be
// walking them; after a function left a pass by longjmp they wait for ev_loop_destroy.
void lanes_reclaim(post_block *b)
{
  b->exited.store(0, std::memory_order_relaxed);
  lock_take(lanes_lock);
  post_lane *head = b->lanes.load(std::memory_order_relaxed);
  post_lane **at = &head;
  while (post_lane *lane = *at) {
    if (!lane->owner.load(std::memory_order_acquire)) {
      if (lane->consumed == lane->posted.load(std::memory_order_acquire)) {
        *at = lane->loop_next;
        lane_free(lane);
        continue;
      }
      b->exited.store(1, std::memory_order_relaxed);
    }
    at = &lane->loop_next;
  }
  b->lanes.store(head, std::memory_order_release);
  lock_give(lanes_lock);
}

// One pass: the owned nodes, then each lane, each as it was when the pass looked.  What the
// functions post runs in the next pass: its producer finds the lane idle and sets `pending` again.
int run_pass(ev_loop *loop, post_block *b)
{
  ++b->depth;
  int ran = owned_run(loop, b);
  for (post_lane *lane = b->lanes.load(std::memory_order_acquire); lane; lane = lane->loop_next)
    ran += lane_run(loop, lane);
  if (--b->depth == 0 && b->exited.load(std::memory_order_relaxed))
    lanes_reclaim(b);
  return ran;
}

// Queued and forgotten without running; a caller's node may be posted again.
void owned_forget(struct ev_ng_post_node *node)
{
  while (node) {
    struct ev_ng_post_node *next = node->ev_ng_next;
    __atomic_store_n(&node->ev_ng_state, 0, __ATOMIC_SEQ_CST);
    node = next;
  }
}

int push_owned(ev_loop *loop, post_block *b, struct ev_ng_post_node *node)
{
  struct ev_ng_post_node *head = b->owned.load(std::memory_order_relaxed);
  do
    node->ev_ng_next = head;
  while (!b->owned.compare_exchange_weak(head, node, std::memory_order_seq_cst, std::memory_order_relaxed));
  if (!head)
    posts_wake(loop, b);
  return 0;
}

}  // namespace

namespace ev_detail {

void posts_run(ev_loop *loop)
{
  post_block *b = block_of(loop);
  if (b->pending.exchange(0, std::memory_order_seq_cst))
    run_pass(loop, b);
}

// Before the loop releases anything, so that the functions see it whole.
void posts_loop_destroy(ev_loop *loop)
{
  post_block *b = block_of(loop);
  if (!b)
    return;
  ev_ng_post_drain(EV_A);
  rare_of(loop)->posts.store(nullptr, std::memory_order_seq_cst);
  lock_take(lanes_lock);
  post_lane *lane = b->lanes.load(std::memory_order_relaxed);
  while (lane) {
    post_lane *next = lane->loop_next;
    if (post_owner *owner = lane->owner.load(std::memory_order_relaxed))
      unlink_from(&owner->lanes, lane, &post_lane::owner_next);
    lane_free(lane);
    lane = next;
  }
  // The destroying thread's own record goes with its last lane: that is how a main thread, whose
  // key destructor never runs, gives it back.
  thread_posting *me = posting_thread::peek();
  post_owner *own = me ? me->owner : nullptr;
  if (own && !own->lanes) {
    if (exit_key_made)
      thread_key_set(exit_key, nullptr);
    ev_free(own);
    me->owner = nullptr;
  }
  lock_give(lanes_lock);
  if (me && me->block == b)
    me->block = nullptr;
  b->~post_block();
  ev_free(b);
}

// The child has only the forking thread, so nobody else touches the queue.  What was queued is the
// parent's to run; that thread's lanes stay its own, the others' until the loop is destroyed.
void posts_forget_in_child(ev_loop *loop)
{
  post_block *b = block_of(loop);
  if (!b)
    return;
  b->pending.store(0, std::memory_order_relaxed);
  owned_forget(b->owned.exchange(nullptr, std::memory_order_relaxed));
  owned_forget(b->taken);
  b->taken = nullptr;
  b->depth = 0;
  for (post_lane *lane = b->lanes.load(std::memory_order_relaxed); lane; lane = lane->loop_next) {
    const unsigned long posted = lane->posted.load(std::memory_order_relaxed);
    while (lane->consumed < posted)
      lane_pop(lane);
    lane->idle.store(1, std::memory_order_relaxed);
  }
}

// Across fork(3), so the child inherits no lock held by a thread it lacks (loop/loop_forks.cc).
void posts_lock_for_fork() { lock_take(lanes_lock); }
void posts_unlock_after_fork() { lock_give(lanes_lock); }

}  // namespace ev_detail

// The wake-up fd is made here, in the loop's thread, since a producer cannot touch the loop's fds;
// it stays out of sight as libev has none.  The queue is made before producers may see it.
int ev_ng_post_enable(EV_P) noexcept
{
  if (block_of(loop))
    return 0;
  loop_rare *r = rare_try_get(loop);
  auto *b = r ? static_cast<post_block *>(ev_try_realloc(nullptr, sizeof(post_block))) : nullptr;
  if (!b)
    return -ENOMEM;
  new (b) post_block{};
  lock_take(lanes_lock);
  b->serial = ++next_serial;
  lock_give(lanes_lock);
  wakeup_init(loop, wakeup_user::kFeedSignalOnly);
  r->posts.store(b, std::memory_order_release);
  return 0;
}

int ev_ng_post(EV_P_ void (*cb)(EV_P_ void *arg), void *arg) noexcept
{
  post_block *b = block_of(loop);
  if (!b)
    return -EINVAL;
  thread_posting *me = posting_thread::get();
  if (!me)
    return -ENOMEM;
  post_lane *lane = me->block == b && me->serial == b->serial ? me->lane : lane_find(b, me);
  if (!lane || (lane->tail_idx == kSlots && !lane_grow(lane)))
    return -ENOMEM;
  lane->tail_seg->slots[lane->tail_idx++] = {cb, arg};
  // the exchange orders the post before the read of `idle` (see the top)
  lane->posted.exchange(lane->posted.load(std::memory_order_relaxed) + 1, std::memory_order_seq_cst);
  if (lane->idle.load(std::memory_order_seq_cst) && lane->idle.exchange(0, std::memory_order_seq_cst))
    posts_wake(loop, b);
  return 0;
}

int ev_ng_post_owned(EV_P_ struct ev_ng_post_node *node) noexcept
{
  post_block *b = block_of(loop);
  if (!b)
    return -EINVAL;
  if (__atomic_fetch_or(&node->ev_ng_state, kInQueue, __ATOMIC_SEQ_CST) & kInQueue)
    return 1;
  return push_owned(loop, b, node);
}

// Until nothing is queued, functions that post included: every lane is
// visited, so slots left by a function that did not return run too.
int ev_ng_post_drain(EV_P)
{
  post_block *b = block_of(loop);
  if (!b)
    return 0;
  int ran = 0;
  do {
    store_before_loads(b->pending, 0);
    ran += run_pass(loop, b);
  } while (b->pending.load(std::memory_order_seq_cst));
  return ran;
}
