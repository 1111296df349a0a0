/* SPDX-License-Identifier: BSD-2-Clause */
/* t/posting_work.c - ev(3) "Posting work to a loop" (LIBEV-NG EXTENSIONS, ev_ng_post):
 * functions posted from other threads run in the loop's thread, each exactly once, in FIFO
 * order per producer; a post wakes a loop that blocks; a function posted by a posted function
 * runs in the next pass; ev_loop_destroy runs what is still queued and leaks nothing; a
 * thread's lane is reused, freed once the thread exited and its posts ran, and freed by
 * ev_loop_destroy in the destroying thread itself; the child of a fork starts with an empty queue; a signal handler posts a node it owns, and a
 * node still queued is not queued twice; allocation failure and a loop without
 * ev_ng_post_enable give an error code.  libev-ng only: the real libev has none of this. */
#define _GNU_SOURCE 1
#include "harness.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void
guard_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)revents;
  *(int *)w->data = 1;
  ev_break (loop, EVBREAK_ALL);
}

/* ---- order and exactly once, from two producers -------------------------------------------- */

#define PRODUCERS 2
#define PER_PRODUCER 20000

static struct
{
  struct ev_loop *loop;
  pthread_t loop_thread;
  long next[PRODUCERS]; /* loop thread only: the sequence number each producer's next item must have */
  long ran;
  int wrong_thread, out_of_order, failed_posts;
} order;

static void
order_cb (struct ev_loop *loop, void *arg)
{
  uintptr_t item = (uintptr_t)arg;
  int producer = (int)(item >> 24);
  long seq = (long)(item & 0xffffff);
  if (!pthread_equal (pthread_self (), order.loop_thread))
    ++order.wrong_thread;
  if (seq != order.next[producer])
    ++order.out_of_order;
  order.next[producer] = seq + 1;
  if (++order.ran == PRODUCERS * PER_PRODUCER)
    ev_break (loop, EVBREAK_ALL);
}

static void *
order_producer (void *arg)
{
  uintptr_t producer = (uintptr_t)arg;
  for (long i = 0; i < PER_PRODUCER; ++i)
    if (ev_ng_post (order.loop, order_cb, (void *)(producer << 24 | (uintptr_t)i)) != 0)
      __atomic_fetch_add (&order.failed_posts, 1, __ATOMIC_RELAXED);
  return NULL;
}

static void
posting_work__runs_in_the_loop_thread_in_fifo_order_per_producer (void **state)
{
  struct ev_loop *loop = *state;
  int timed_out = 0;
  ev_timer guard;
  pthread_t t[PRODUCERS];
  skip_on_real_libev ();
  skip_where_valgrind_holds_wakeups ();
  memset (&order, 0, sizeof order);
  order.loop = loop;
  order.loop_thread = pthread_self ();
  assert_int_equal (ev_ng_post_enable (loop), 0);
  ev_timer_init (&guard, guard_cb, 30., 0.);
  guard.data = &timed_out;
  ev_timer_start (loop, &guard);
  for (uintptr_t p = 0; p < PRODUCERS; ++p)
    assert_int_equal (pthread_create (&t[p], NULL, order_producer, (void *)p), 0);
  ev_run (loop, 0);
  for (int p = 0; p < PRODUCERS; ++p)
    pthread_join (t[p], NULL);
  ev_timer_stop (loop, &guard);
  assert_false (timed_out);
  assert_int_equal (order.failed_posts, 0);
  assert_int_equal (order.ran, PRODUCERS * PER_PRODUCER);
  assert_int_equal (order.wrong_thread, 0);
  assert_int_equal (order.out_of_order, 0);
  for (int p = 0; p < PRODUCERS; ++p)
    assert_int_equal (order.next[p], PER_PRODUCER);
  assert_int_equal (ev_ng_post_drain (loop), 0); /* none ran twice, none is left */
}

/* ---- a loop that blocks wakes up for every post ------------------------------------------- */

#define PING_ROUNDS 300

static struct
{
  struct ev_loop *loop;
  atomic_int acked; /* rounds the loop has answered */
  atomic_int stop;
} ping;

static void
ping_cb (struct ev_loop *loop, void *arg)
{
  (void)loop;
  atomic_store (&ping.acked, (int)(uintptr_t)arg);
  if ((int)(uintptr_t)arg == PING_ROUNDS)
    ev_break (loop, EVBREAK_ALL);
}

static void *
ping_producer (void *arg)
{
  (void)arg;
  for (int round = 1; round <= PING_ROUNDS && !atomic_load (&ping.stop); ++round)
    {
      /* every other round, give the loop time to block first */
      if (round % 2)
        usleep (200);
      ev_ng_post (ping.loop, ping_cb, (void *)(uintptr_t)round);
      while (atomic_load (&ping.acked) != round && !atomic_load (&ping.stop))
        sched_yield ();
    }
  return NULL;
}

/* Each round waits for the loop's answer before the next post, so every post meets a loop
 * that blocks or is about to: a single lost wake-up leaves it blocked until the guard. */
static void
posting_work__a_post_wakes_a_loop_that_blocks (void **state)
{
  struct ev_loop *loop = *state;
  int timed_out = 0;
  ev_timer guard;
  pthread_t t;
  skip_on_real_libev ();
  skip_where_valgrind_holds_wakeups ();
  memset (&ping, 0, sizeof ping);
  ping.loop = loop;
  ev_ng_post_enable (loop);
  ev_timer_init (&guard, guard_cb, 60., 0.);
  guard.data = &timed_out;
  ev_timer_start (loop, &guard);
  assert_int_equal (pthread_create (&t, NULL, ping_producer, NULL), 0);
  ev_run (loop, 0);
  atomic_store (&ping.stop, 1);
  pthread_join (t, NULL);
  ev_timer_stop (loop, &guard);
  assert_false (timed_out);
  assert_int_equal (atomic_load (&ping.acked), PING_ROUNDS);
}

/* ---- a posted function that posts ---------------------------------------------------------- */

static int reposts;
static unsigned reposts_iteration[4];

static void
repost_cb (struct ev_loop *loop, void *arg)
{
  (void)arg;
  reposts_iteration[reposts] = ev_iteration (loop);
  if (++reposts < 4)
    assert_int_equal (ev_ng_post (loop, repost_cb, NULL), 0);
}

/* One pass runs the batch it found; the function's own post waits for the next pass, so a
 * function that posts itself forever cannot keep the loop in one pass. */
static void
posting_work__a_function_posted_by_a_posted_function_runs_in_the_next_pass (void **state)
{
  struct ev_loop *loop = *state;
  ev_timer keep;
  skip_on_real_libev ();
  reposts = 0;
  ev_ng_post_enable (loop);
  ev_timer_init (&keep, guard_cb, 60., 0.);
  ev_timer_start (loop, &keep); /* a reference, so that ev_run may block */
  assert_int_equal (ev_ng_post (loop, repost_cb, NULL), 0);
  for (int pass = 1; pass <= 4; ++pass)
    {
      ev_run (loop, EVRUN_NOWAIT);
      assert_int_equal (reposts, pass);
    }
  for (int i = 1; i < 4; ++i)
    assert_int_equal (reposts_iteration[i], reposts_iteration[i - 1] + 1);
  ev_run (loop, EVRUN_NOWAIT);
  assert_int_equal (reposts, 4);
  ev_timer_stop (loop, &keep);
}

/* ---- ev_loop_destroy and ev_ng_post_drain -------------------------------------------------- */

static void
nothing_cb (struct ev_loop *loop, void *arg)
{
  (void)loop, (void)arg;
}

static char destroyed_trace[16];

static void
trace_letter_cb (struct ev_loop *loop, void *arg)
{
  (void)loop;
  strncat (destroyed_trace, (const char *)arg, sizeof destroyed_trace - strlen (destroyed_trace) - 1);
}

/* The posts come from a thread that exits before the loop is destroyed: the loop runs its
 * lane's posts, then frees the lane.  "b" is an owned node, which has an order of its own. */
static void *
post_abc_and_exit (void *arg)
{
  struct ev_loop *loop = ((void **)arg)[0];
  struct ev_ng_post_node *node = ((void **)arg)[1];
  ev_ng_post (loop, trace_letter_cb, "a");
  ev_ng_post_node_init (node, trace_letter_cb, "b");
  ev_ng_post_owned (loop, node);
  ev_ng_post (loop, trace_letter_cb, "c");
  return NULL;
}

static void
posting_work__ev_loop_destroy_runs_what_is_still_queued (void **state)
{
  struct harness_alloc_stats before, after;
  struct ev_ng_post_node node;
  pthread_t t;
  (void)state;
  skip_on_real_libev ();
  destroyed_trace[0] = 0;
  harness_alloc_stats (&before);
  struct ev_loop *loop = test_loop_new ();
  ev_ng_post_enable (loop);
  void *args[2] = { loop, &node };
  assert_int_equal (pthread_create (&t, NULL, post_abc_and_exit, args), 0);
  assert_int_equal (pthread_join (t, NULL), 0);
  ev_loop_destroy (loop);
  assert_int_equal (strlen (destroyed_trace), 3);
  assert_non_null (strchr (destroyed_trace, 'b'));
  assert_true (strchr (destroyed_trace, 'a') && strchr (destroyed_trace, 'a') < strchr (destroyed_trace, 'c'));
  harness_alloc_stats (&after);
  assert_int_equal (after.live, before.live); /* the thread's lane is freed */
}

/* The main thread's thread-specific destructor never runs, so the thread that destroys a
 * loop gives back its own record of lanes with its last lane: posting from the loop's own
 * thread and destroying the loop leaves nothing allocated. */
static void
posting_work__ev_loop_destroy_frees_the_destroying_threads_lane (void **state)
{
  struct harness_alloc_stats before, after;
  (void)state;
  skip_on_real_libev ();
  destroyed_trace[0] = 0;
  harness_alloc_stats (&before);
  struct ev_loop *loop = test_loop_new ();
  ev_ng_post_enable (loop);
  assert_int_equal (ev_ng_post (loop, trace_letter_cb, "a"), 0);
  assert_int_equal (ev_ng_post (loop, trace_letter_cb, "b"), 0);
  ev_loop_destroy (loop);
  assert_string_equal (destroyed_trace, "ab");
  harness_alloc_stats (&after);
  assert_int_equal (after.live, before.live);
}

/* A thread that exits while the loop lives: the loop frees its lane once it ran the lane's
 * posts, and another thread gets a lane of its own. */
static void *
post_1000_and_exit (void *arg)
{
  for (int i = 0; i < 1000; ++i)
    ev_ng_post (arg, nothing_cb, NULL);
  return NULL;
}

static void
posting_work__a_thread_that_exited_has_its_lane_freed_after_its_posts_ran (void **state)
{
  struct ev_loop *loop = *state;
  struct harness_alloc_stats before, after;
  pthread_t t;
  skip_on_real_libev ();
  ev_ng_post_enable (loop);
  harness_alloc_stats (&before);
  for (int round = 0; round < 3; ++round)
    {
      assert_int_equal (pthread_create (&t, NULL, post_1000_and_exit, loop), 0);
      assert_int_equal (pthread_join (t, NULL), 0);
      assert_int_equal (ev_ng_post_drain (loop), 1000);
      harness_alloc_stats (&after);
      assert_int_equal (after.live, before.live);
    }
}

/* ---- a thread's lane is reused -------------------------------------------------------------- */

/* The loop gives the segments it ran back to the lane's thread: once the lane has grown to
 * hold a round, rounds of 1000 posts allocate nothing. */
static void
posting_work__a_thread_that_keeps_posting_allocates_nothing_more (void **state)
{
  struct ev_loop *loop = *state;
  struct harness_alloc_stats before, after;
  skip_on_real_libev ();
  ev_ng_post_enable (loop);
  for (int round = 0; round < 5; ++round)
    {
      harness_alloc_stats (&before);
      for (int i = 0; i < 1000; ++i)
        assert_int_equal (ev_ng_post (loop, nothing_cb, NULL), 0);
      assert_int_equal (ev_ng_post_drain (loop), 1000);
      harness_alloc_stats (&after);
      if (round > 1)
        assert_int_equal (after.calls, before.calls);
    }
}

static void
posting_work__ev_ng_post_drain_runs_everything_queued_now (void **state)
{
  struct ev_loop *loop = *state;
  skip_on_real_libev ();
  destroyed_trace[0] = 0;
  ev_ng_post_enable (loop);
  assert_int_equal (ev_ng_post_drain (loop), 0);
  ev_ng_post (loop, trace_letter_cb, "x");
  ev_ng_post (loop, trace_letter_cb, "y");
  assert_int_equal (ev_ng_post_drain (loop), 2);
  assert_string_equal (destroyed_trace, "xy");
  assert_int_equal (ev_ng_post_drain (loop), 0);
}

/* ---- fork ---------------------------------------------------------------------------------- */

static struct ev_loop *fork_loop;
static int fork_ran;

static void
count_cb (struct ev_loop *loop, void *arg)
{
  (void)loop, (void)arg;
  ++fork_ran;
}

static void
fork_child (void *arg)
{
  (void)arg;
  ev_loop_fork (fork_loop);
  CHECK (ev_ng_post_drain (fork_loop) == 0); /* the parent's items are the parent's */
  ev_run (fork_loop, EVRUN_NOWAIT);
  CHECK (fork_ran == 0);
  CHECK (ev_ng_post (fork_loop, count_cb, NULL) == 0);
  ev_run (fork_loop, EVRUN_NOWAIT);
  CHECK (fork_ran == 1);
  ev_loop_destroy (fork_loop);
}

static void
posting_work__the_child_of_a_fork_starts_with_an_empty_queue (void **state)
{
  struct ev_loop *loop = *state;
  ev_timer keep;
  skip_on_real_libev ();
  fork_loop = loop;
  fork_ran = 0;
  ev_ng_post_enable (loop);
  ev_timer_init (&keep, guard_cb, 60., 0.);
  ev_timer_start (loop, &keep);
  ev_ng_post (loop, count_cb, NULL);
  ev_ng_post (loop, count_cb, NULL);
  harness_expect_child_ok (fork_child, NULL, 10, "the forked child's queue");
  ev_run (loop, EVRUN_NOWAIT);
  assert_int_equal (fork_ran, 2);
  ev_timer_stop (loop, &keep);
}

/* ---- the signal handler's variant ---------------------------------------------------------- */

static struct ev_loop *sig_loop;
static struct ev_ng_post_node sig_node;
static volatile sig_atomic_t sig_posted, sig_again;
static int sig_ran;

static void
sig_cb (struct ev_loop *loop, void *arg)
{
  (void)arg;
  ++sig_ran;
  ev_break (loop, EVBREAK_ALL);
}

/* the signal: on Windows one of the C runtime's, which has no SIGUSR1 (there kill is raise, in
 * the sending thread: t/win32/posix.c) */
#ifdef _WIN32
#define POSTING_SIGNAL SIGTERM
#else
#define POSTING_SIGNAL SIGUSR1
#endif

static void
usr1_handler (int signo)
{
  (void)signo;
  int saved = errno;
  sig_posted = ev_ng_post_owned (sig_loop, &sig_node) == 0;
  sig_again = ev_ng_post_owned (sig_loop, &sig_node); /* still queued: 1, and it runs once */
  errno = saved;
}

static void *
send_usr1 (void *arg)
{
  usleep (20000); /* let the loop block */
  kill (getpid (), POSTING_SIGNAL);
  (void)arg;
  return NULL;
}

static void
signal_child (void *arg)
{
  int timed_out = 0;
  ev_timer guard;
  pthread_t t;
  sigset_t usr1;
  (void)arg;
  sig_loop = ev_loop_new (test_backend | EVFLAG_NOENV);
  CHECK (sig_loop);
  CHECK (ev_ng_post_enable (sig_loop) == 0);
  ev_ng_post_node_init (&sig_node, sig_cb, NULL);
  signal (POSTING_SIGNAL, usr1_handler);
  /* only the loop's thread takes the signal, as a program's loop thread would */
  sigemptyset (&usr1);
  sigaddset (&usr1, POSTING_SIGNAL);
  pthread_sigmask (SIG_BLOCK, &usr1, NULL);
  CHECK (pthread_create (&t, NULL, send_usr1, NULL) == 0);
  pthread_sigmask (SIG_UNBLOCK, &usr1, NULL);
  ev_timer_init (&guard, guard_cb, 10., 0.);
  guard.data = &timed_out;
  ev_timer_start (sig_loop, &guard);
  ev_run (sig_loop, 0);
  pthread_join (t, NULL);
  CHECK (!timed_out);
  CHECK (sig_posted);
  CHECK (sig_again == 1);
  CHECK (sig_ran == 1);
  /* run, the node may be posted again */
  CHECK (ev_ng_post_owned (sig_loop, &sig_node) == 0);
  CHECK (ev_ng_post_drain (sig_loop) == 1);
  CHECK (sig_ran == 2);
  ev_timer_stop (sig_loop, &guard);
  ev_loop_destroy (sig_loop);
}

static void
posting_work__a_signal_handler_posts_a_node_it_owns (void **state)
{
  (void)state;
  skip_on_real_libev ();
  skip_where_valgrind_holds_wakeups ();
  harness_expect_child_ok (signal_child, NULL, 20, "a post from a signal handler");
}

/* ---- errors -------------------------------------------------------------------------------- */

/* In a thread of its own, which has no lane yet: the nth allocation fails (1: the thread's
 * record, 2: the lane's first segment, 3: the lane), then a post succeeds. */
struct failing_post
{
  struct ev_loop *loop;
  long fail_at;
  int first, second;
};

static void *
post_with_failing_allocation (void *arg)
{
  struct failing_post *f = arg;
  harness_alloc_fail_at (f->fail_at);
  f->first = ev_ng_post (f->loop, trace_letter_cb, "n");
  harness_alloc_fail_at (0);
  f->second = ev_ng_post (f->loop, trace_letter_cb, "y");
  return NULL;
}

static void
posting_work__allocation_failure_returns_enomem_and_queues_nothing (void **state)
{
  struct ev_loop *loop = *state;
  skip_on_real_libev ();
  ev_ng_post_enable (loop);
  for (long fail_at = 1; fail_at <= 3; ++fail_at)
    {
      struct failing_post f = { loop, fail_at, 1, 1 };
      pthread_t t;
      destroyed_trace[0] = 0;
      assert_int_equal (pthread_create (&t, NULL, post_with_failing_allocation, &f), 0);
      assert_int_equal (pthread_join (t, NULL), 0);
      assert_int_equal (f.first, -ENOMEM);
      assert_int_equal (f.second, 0);
      assert_int_equal (ev_ng_post_drain (loop), 1);
      assert_string_equal (destroyed_trace, "y");
    }
}

static void
posting_work__posting_before_ev_ng_post_enable_is_refused (void **state)
{
  struct ev_loop *loop = *state;
  struct ev_ng_post_node node;
  skip_on_real_libev ();
  ev_ng_post_node_init (&node, count_cb, NULL);
  assert_int_equal (ev_ng_post (loop, count_cb, NULL), -EINVAL);
  assert_int_equal (ev_ng_post_owned (loop, &node), -EINVAL);
  assert_int_equal (ev_ng_post_drain (loop), 0);
  assert_int_equal (ev_ng_post_enable (loop), 0);
  assert_int_equal (ev_ng_post_owned (loop, &node), 0);
  assert_int_equal (ev_ng_post_drain (loop), 1);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    loop_test (posting_work__runs_in_the_loop_thread_in_fifo_order_per_producer),
    loop_test (posting_work__a_post_wakes_a_loop_that_blocks),
    loop_test (posting_work__a_function_posted_by_a_posted_function_runs_in_the_next_pass),
    plain_test (posting_work__ev_loop_destroy_runs_what_is_still_queued),
    loop_test (posting_work__ev_ng_post_drain_runs_everything_queued_now),
    loop_test (posting_work__a_thread_that_keeps_posting_allocates_nothing_more),
    plain_test (posting_work__ev_loop_destroy_frees_the_destroying_threads_lane),
    loop_test (posting_work__a_thread_that_exited_has_its_lane_freed_after_its_posts_ran),
    loop_test (posting_work__the_child_of_a_fork_starts_with_an_empty_queue),
    plain_test (posting_work__a_signal_handler_posts_a_node_it_owns),
    loop_test (posting_work__allocation_failure_returns_enomem_and_queues_nothing),
    loop_test (posting_work__posting_before_ev_ng_post_enable_is_refused),
  };
  return HARNESS_RUN ("posting_work", tests);
}
