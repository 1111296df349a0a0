// SPDX-License-Identifier: BSD-2-Clause
// watchers/post.cc - ev_ng_post, after ev(3)'s "Posting work to a loop":
// any thread, or a signal handler, hands a function to the loop's thread.
//
// Producers push a node onto the queue's head (post_queue_head, loop/loop.h),
// a stack linked through the nodes, with one compare-and-swap: no lock, so a
// signal handler may push too.  The producer whose node found the stack empty
// starts a batch and makes the sender's half of the wake-up handshake
// (fd/wakeup.h), which writes only if the loop is blocked; the others know
// that this producer has made it or will.  So a batch costs at most one
// wake-up system call, and none while the loop is busy.  The loop's
// wake-up watcher takes the whole stack with one exchange and reverses it:
// the nodes then run in the order their pushes took effect, which keeps
// each producer's order.  A node posted while a batch runs finds the
// stack empty and starts the next batch, which runs in the next pass.
//
// What the loop took and has not run yet waits in the queue's `taken`, so that
// a function that leaves by longjmp loses no other node: the rest run with
// the next batch, or at ev_ng_post_drain or ev_loop_destroy.
//
// ev_ng_post's own nodes come from a cache of the posting thread
// (post_cache), not from the allocator each time: an allocation on one
// thread and a free on another cost more than the rest of a post together.
// The loop hands the nodes of a batch back to their threads' caches a chain
// at a time, and a thread frees its cache when it exits.
#include "fd/wakeup.h"
#include "loop/loop.h"

#include <pthread.h>
#include <cerrno>
#include <new>

using namespace ev_detail;

namespace {

// ev_ng_state's bits.  A caller's node is queued from its post until the
// loop takes it to run; a second post meanwhile finds the bit and adds
// nothing, as a second ev_async_send does.
enum : int { kInQueue = 1, kMadeByPost = 2 };

// A thread's cache.  `spare` is the owner's alone; loops push the nodes they
// ran onto `returned`, which the owner takes whole when `spare` runs out.
// When the owner exits, `returned` becomes kRetired and a loop frees what it
// would have returned.  `nodes` counts the nodes made and not freed, plus
// one while the owner lives: whoever takes it to zero frees the cache.
struct post_cache {
  struct ev_ng_post_node *spare;
  unsigned spare_count;
  std::atomic<long> nodes;
  char owner_line[64];  // keeps `returned`, which loops write, off the owner's line
  std::atomic<struct ev_ng_post_node *> returned;
};

// A node that ev_ng_post made: the public node, then the cache it goes back to.
struct made_node {
  struct ev_ng_post_node node;
  post_cache *home;
};

// Spare nodes a thread keeps at most, after a burst that queued more.  At
// saturation the queue holds a few thousand (bench/post.c), and tens of
// thousands while the loop's thread waits for a CPU; a cache smaller than
// what is queued at once allocates again for every batch.
constexpr unsigned kSpareMax = 65536;

// A value that no node has, for a retired cache's `returned`.
struct ev_ng_post_node *const kRetired = reinterpret_cast<struct ev_ng_post_node *>(alignof(made_node));

// The calling thread's cache, and the key whose destructor retires it when
// the thread exits.  Initial-exec would skip a call, but a program may
// dlopen the library (Perl's EV does), where that model can fail to load.
constinit thread_local post_cache *this_thread_cache = nullptr;
constinit pthread_once_t cache_key_once = PTHREAD_ONCE_INIT;
pthread_key_t cache_key;
bool cache_key_made;

void free_nodes(struct ev_ng_post_node *node, long &freed)
{
  while (node) {
    struct ev_ng_post_node *next = node->ev_ng_next;
    ev_free(node);
    ++freed;
    node = next;
  }
}

// The key's destructor: the thread exits, so its nodes not in a queue go,
// and those in one are freed by the loop that runs them.
void cache_retire(void *p)
{
  auto *cache = static_cast<post_cache *>(p);
  this_thread_cache = nullptr;
  long freed = 0;
  free_nodes(cache->spare, freed);
  free_nodes(cache->returned.exchange(kRetired, std::memory_order_acq_rel), freed);
  if (cache->nodes.fetch_sub(freed + 1, std::memory_order_acq_rel) == freed + 1)
    ev_free(cache);
}

void cache_key_make() { cache_key_made = pthread_key_create(&cache_key, cache_retire) == 0; }

post_cache *cache_make()
{
  pthread_once(&cache_key_once, cache_key_make);
  auto *cache = static_cast<post_cache *>(ev_try_realloc(nullptr, sizeof(post_cache)));
  if (!cache)
    return nullptr;
  new (cache) post_cache{};
  cache->nodes.store(1, std::memory_order_relaxed);
  // Without the key the cache outlives its thread: nodes in a queue go back
  // to it and stay, a leak the size of one thread's spares.
  if (cache_key_made)
    pthread_setspecific(cache_key, cache);
  this_thread_cache = cache;
  return cache;
}

// A node for ev_ng_post: a spare one, one the loops returned, or a new one.
made_node *node_get()
{
  post_cache *cache = this_thread_cache;
  if (!cache && !(cache = cache_make()))
    return nullptr;
  if (!cache->spare) {
    struct ev_ng_post_node *got = cache->returned.exchange(nullptr, std::memory_order_acquire);
    long freed = 0;
    for (struct ev_ng_post_node **link = &got; *link; link = &(*link)->ev_ng_next)
      if (++cache->spare_count > kSpareMax) {
        free_nodes(*link, freed);
        *link = nullptr;
        cache->spare_count = kSpareMax;
        cache->nodes.fetch_sub(freed, std::memory_order_relaxed);
        break;
      }
    cache->spare = got;
  }
  if (struct ev_ng_post_node *node = cache->spare) {
    cache->spare = node->ev_ng_next;
    --cache->spare_count;
    return reinterpret_cast<made_node *>(node);
  }
  auto *m = static_cast<made_node *>(ev_try_realloc(nullptr, sizeof(made_node)));
  if (!m)
    return nullptr;
  m->home = cache;
  cache->nodes.fetch_add(1, std::memory_order_relaxed);
  return m;
}

// Give a chain of nodes of one cache back to it; a retired cache's are freed.
void chain_return(post_cache *home, struct ev_ng_post_node *first, struct ev_ng_post_node *last, long count)
{
  struct ev_ng_post_node *head = home->returned.load(std::memory_order_relaxed);
  do {
    if (head == kRetired) {
      long freed = 0;
      free_nodes(first, freed);
      if (home->nodes.fetch_sub(count, std::memory_order_acq_rel) == count)
        ev_free(home);
      return;
    }
    last->ev_ng_next = head;
  } while (!home->returned.compare_exchange_weak(head, first, std::memory_order_release, std::memory_order_relaxed));
}

}  // namespace

namespace ev_detail {

// The rest of the queue, the loop thread's: what it took from `head` and has
// not run yet, oldest first, and the chains of ran nodes it will give back
// to their caches, one per cache of the last few that posted.
struct post_queue : post_queue_head {
  char head_line[64];  // keeps what the loop writes off the producers' line
  struct ev_ng_post_node *taken;
  static constexpr int kChains = 4;
  struct chain {
    post_cache *home;
    struct ev_ng_post_node *first, *last;
    long count;
  } chains[kChains];
  int next_evicted;
};

}  // namespace ev_detail

namespace {

post_queue *posts_of(const ev_loop *loop)
{
  return static_cast<post_queue *>(loop->posts.load(std::memory_order_acquire));
}

void chains_flush(post_queue *q)
{
  for (auto &c : q->chains)
    if (c.home) {
      chain_return(c.home, c.first, c.last, c.count);
      c.home = nullptr;
    }
}

// A node of ev_ng_post's, done with: onto its cache's chain.
void node_done(post_queue *q, struct ev_ng_post_node *node)
{
  post_cache *home = reinterpret_cast<made_node *>(node)->home;
  for (auto &c : q->chains)
    if (c.home == home) {
      node->ev_ng_next = c.first;
      c.first = node;
      ++c.count;
      return;
    }
  auto &c = q->chains[q->next_evicted];
  q->next_evicted = (q->next_evicted + 1) % post_queue::kChains;
  if (c.home)
    chain_return(c.home, c.first, c.last, c.count);
  node->ev_ng_next = nullptr;
  c = {home, node, node, 1};
}

int push(ev_loop *loop, post_queue *q, struct ev_ng_post_node *node)
{
  struct ev_ng_post_node *head = q->head.load(std::memory_order_relaxed);
  do
    node->ev_ng_next = head;
  while (!q->head.compare_exchange_weak(head, node, std::memory_order_seq_cst, std::memory_order_relaxed));
  if (!head)
    wakeup_notify(loop);
  return 0;
}

// The nodes a producer pushed, newest first, in the opposite order.
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

// Take the stack and append it, oldest first, to what the loop holds.
void take(post_queue *q)
{
  struct ev_ng_post_node *batch = reversed(q->head.exchange(nullptr, std::memory_order_seq_cst));
  struct ev_ng_post_node **tail = &q->taken;
  while (*tail)
    tail = &(*tail)->ev_ng_next;
  *tail = batch;
}

// Run what the loop took, reading `taken` anew for each node, since a
// function may fork, and the child forgets them.  The node is
// released before its function runs: the library's own goes back to its
// cache with the batch, and a caller's may be posted again from then on,
// even by the function.  Without EV_MULTIPLICITY the functions take no
// loop, and `loop` goes unused.
int run_taken([[maybe_unused]] ev_loop *loop, post_queue *q)
{
  int ran = 0;
  while (struct ev_ng_post_node *node = q->taken) {
    q->taken = node->ev_ng_next;
    void (*cb)(EV_P_ void *) = node->cb;
    void *arg = node->arg;
    if (__atomic_load_n(&node->ev_ng_state, __ATOMIC_RELAXED) & kMadeByPost)
      node_done(q, node);
    else
      __atomic_store_n(&node->ev_ng_state, 0, __ATOMIC_SEQ_CST);
    ++ran;
    cb(EV_A_ arg);
  }
  chains_flush(q);
  return ran;
}

// Queued, taken or not, and forgotten without running: the library's own
// nodes go back to their caches, a caller's may be posted again.
void forget(post_queue *q, struct ev_ng_post_node *node)
{
  while (node) {
    struct ev_ng_post_node *next = node->ev_ng_next;
    if (node->ev_ng_state & kMadeByPost)
      node_done(q, node);
    else
      __atomic_store_n(&node->ev_ng_state, 0, __ATOMIC_SEQ_CST);
    node = next;
  }
}

}  // namespace

namespace ev_detail {

// One batch: what was queued when the wake-up watcher looked.  What its
// functions post waits for the next pass, so a function that posts itself
// does not keep the loop in this one.
void posts_run(ev_loop *loop)
{
  post_queue *q = posts_of(loop);
  take(q);
  run_taken(loop, q);
}

// Before the loop releases anything, so that the functions see it whole.
void posts_loop_destroy(ev_loop *loop)
{
  post_queue *q = posts_of(loop);
  if (!q)
    return;
  ev_ng_post_drain(EV_A);
  loop->posts.store(nullptr, std::memory_order_seq_cst);
  chains_flush(q);
  q->~post_queue();
  ev_free(q);
}

// The child has only the thread that forked: nobody else touches the queue.
// The nodes belong to the parent, whose loop runs them; the child's copies
// of other threads' caches keep those of ev_ng_post.
void posts_forget_in_child(ev_loop *loop)
{
  post_queue *q = posts_of(loop);
  if (!q)
    return;
  forget(q, q->head.exchange(nullptr, std::memory_order_seq_cst));
  forget(q, q->taken);
  q->taken = nullptr;
  chains_flush(q);
}

}  // namespace ev_detail

// The wake-up fd is made here, in the loop's thread, since a producer
// cannot touch the loop's fds; it stays out of sight as libev has none.
// The queue is made before producers may see it.
int ev_ng_post_enable(EV_P) noexcept
{
  if (posts_of(loop))
    return 0;
  auto *q = static_cast<post_queue *>(ev_try_realloc(nullptr, sizeof(post_queue)));
  if (!q)
    return -ENOMEM;
  new (q) post_queue{};
  wakeup_init(loop, wakeup_user::kFeedSignalOnly);
  loop->posts.store(q, std::memory_order_release);
  return 0;
}

int ev_ng_post(EV_P_ void (*cb)(EV_P_ void *arg), void *arg) noexcept
{
  post_queue *q = posts_of(loop);
  if (!q)
    return -EINVAL;
  made_node *m = node_get();
  if (!m)
    return -ENOMEM;
  m->node.cb = cb;
  m->node.arg = arg;
  m->node.ev_ng_state = kInQueue | kMadeByPost;
  return push(loop, q, &m->node);
}

int ev_ng_post_owned(EV_P_ struct ev_ng_post_node *node) noexcept
{
  post_queue *q = posts_of(loop);
  if (!q)
    return -EINVAL;
  if (__atomic_fetch_or(&node->ev_ng_state, kInQueue, __ATOMIC_SEQ_CST) & kInQueue)
    return 1;
  return push(loop, q, node);
}

// Until nothing is queued, functions that post included.
int ev_ng_post_drain(EV_P)
{
  post_queue *q = posts_of(loop);
  if (!q)
    return 0;
  int ran = 0;
  do {
    take(q);
    ran += run_taken(loop, q);
  } while (posts_queued(loop));
  return ran;
}
