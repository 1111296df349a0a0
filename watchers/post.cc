// SPDX-License-Identifier: BSD-2-Clause
// watchers/post.cc - ev_ng_post, after ev(3)'s "Posting work to a loop":
// any thread, or a signal handler, hands a function to the loop's thread.
//
// Producers push a node onto the queue's head (loop/loop.h, post_queue), a stack linked through the
// nodes, with one compare-and-swap: no lock and no allocation, so a signal
// handler may push too.  The producer whose node found the stack empty
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
#include "fd/wakeup.h"
#include "loop/loop.h"

#include <cerrno>
#include <new>

using namespace ev_detail;

namespace ev_detail {

// The rest of the queue, the loop thread's: what it took from `head` and has
// not run yet, oldest first.
struct post_queue : post_queue_head {
  char head_line[64];  // keeps what the loop writes off the producers' line
  struct ev_ng_post_node *taken;
};

}  // namespace ev_detail

namespace {

post_queue *posts_of(const ev_loop *loop)
{
  return static_cast<post_queue *>(loop->posts.load(std::memory_order_acquire));
}

// ev_ng_state's bits.  A caller's node is queued from its post until the
// loop takes it to run; a second post meanwhile finds the bit and adds
// nothing, as a second ev_async_send does.
enum : int { kInQueue = 1, kMadeByPost = 2 };

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
// released before its function runs: the library frees its own, and a
// caller's may be posted again from then on, even by the function.  Without
// EV_MULTIPLICITY the functions take no loop, and `loop` goes unused.
int run_taken([[maybe_unused]] ev_loop *loop, post_queue *q)
{
  int ran = 0;
  while (struct ev_ng_post_node *node = q->taken) {
    q->taken = node->ev_ng_next;
    void (*cb)(EV_P_ void *) = node->cb;
    void *arg = node->arg;
    if (__atomic_load_n(&node->ev_ng_state, __ATOMIC_RELAXED) & kMadeByPost)
      ev_free(node);
    else
      __atomic_store_n(&node->ev_ng_state, 0, __ATOMIC_SEQ_CST);
    ++ran;
    cb(EV_A_ arg);
  }
  return ran;
}

// Queued, taken or not, and forgotten without running: the library's own
// nodes are freed, a caller's may be posted again.
void forget(struct ev_ng_post_node *node)
{
  while (node) {
    struct ev_ng_post_node *next = node->ev_ng_next;
    if (node->ev_ng_state & kMadeByPost)
      ev_free(node);
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
  q->~post_queue();
  ev_free(q);
}

// The child has only the thread that forked: nobody else touches the queue.
// The nodes belong to the parent, whose loop runs them.
void posts_forget_in_child(ev_loop *loop)
{
  post_queue *q = posts_of(loop);
  if (!q)
    return;
  forget(q->head.exchange(nullptr, std::memory_order_seq_cst));
  forget(q->taken);
  q->taken = nullptr;
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
  auto *node = static_cast<struct ev_ng_post_node *>(ev_try_realloc(nullptr, sizeof(ev_ng_post_node)));
  if (!node)
    return -ENOMEM;
  node->cb = cb;
  node->arg = arg;
  node->ev_ng_state = kInQueue | kMadeByPost;
  return push(loop, q, node);
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
