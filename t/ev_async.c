/* SPDX-License-Identifier: BSD-2-Clause */
/* t/ev_async.c - ev(3) "ev_async - how to wake up an event loop" (doc/semantics.md §18):
 * sends are coalesced, a send to a stopped watcher is lost at start, ev_async_pending, several
 * async watchers (only the sent ones run, in start order), the reference, waking a loop that
 * blocks from another thread and from a signal handler, sending from a callback.  The load
 * test (8 threads) is t/async_threads.c. */
#define _GNU_SOURCE 1
#include "harness.h"
#include "time64.h"
#include "refuse.h"

#include <sys/syscall.h>

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

TRACE_REVENTS_CB (async)

static int calls;
static int pending_in_cb;
static int last_revents;

/* (no cmocka assertion here: also used in a forked child) */
static void
count_cb (struct ev_loop *loop, ev_async *w, int revents)
{
  (void)loop;
  last_revents = revents;
  pending_in_cb = ev_async_pending (w);
  ++calls;
}

/* Runs the loop until `calls` reaches target, at most `seconds`; fails when only the guard
 * timer could wake it. */
static void
guard_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)loop, (void)revents;
  *(int *)w->data = 1;
}

static void
run_until_calls (struct ev_loop *loop, int target, double seconds)
{
  int expired = 0;
  ev_timer guard;
  ev_timer_init (&guard, guard_cb, harness_slack (seconds), 0.);
  guard.data = &expired;
  ev_timer_start (loop, &guard);
  while (calls < target && !expired)
    ev_run (loop, EVRUN_ONCE);
  ev_timer_stop (loop, &guard);
  if (expired)
    fail_msg ("%d async callbacks, expected %d, within %.1f s", calls, target, seconds);
}

/* ---- the basics --------------------------------------------------------------------------------- */

static void
ev_async__sends_before_the_loop_looks_are_coalesced (void **state)
{
  struct ev_loop *loop = *state;
  ev_async a;
  ev_async_init (&a, count_cb);
  ev_async_start (loop, &a);
  assert_int_equal (ev_is_active (&a), 1);
  calls = 0;
  for (int i = 0; i < 3; ++i)
    ev_async_send (loop, &a);
  ev_run (loop, EVRUN_NOWAIT);
  ev_run (loop, EVRUN_NOWAIT);
  assert_int_equal (calls, 1);
  assert_int_equal (last_revents, EV_ASYNC);
  ev_async_stop (loop, &a);
}

static void
ev_async__pending_from_send_until_the_loop_notices (void **state)
{
  struct ev_loop *loop = *state;
  ev_async a;
  ev_async_init (&a, count_cb);
  ev_async_start (loop, &a);
  assert_false (ev_async_pending (&a));
  ev_async_send (loop, &a);
  assert_true (ev_async_pending (&a));
  calls = 0;
  pending_in_cb = -1;
  ev_run (loop, EVRUN_NOWAIT);
  assert_int_equal (calls, 1);
  /* noticed before the callback runs */
  assert_false (pending_in_cb);
  assert_false (ev_async_pending (&a));
  ev_async_stop (loop, &a);
}

static void
ev_async__a_send_before_start_is_lost (void **state)
{
  struct ev_loop *loop = *state;
  ev_async a;
  ev_async_init (&a, count_cb);
  /* the flag is set... */
  ev_async_send (loop, &a);
  assert_true (ev_async_pending (&a));
  /* ...and start clears it */
  ev_async_start (loop, &a);
  assert_false (ev_async_pending (&a));
  calls = 0;
  ev_run (loop, EVRUN_NOWAIT);
  ev_run (loop, EVRUN_NOWAIT);
  assert_int_equal (calls, 0);
  /* a send to the started watcher works */
  ev_async_send (loop, &a);
  ev_run (loop, EVRUN_NOWAIT);
  assert_int_equal (calls, 1);
  ev_async_stop (loop, &a);
}

static void
ev_async__a_send_to_a_stopped_watcher_is_not_delivered (void **state)
{
  struct ev_loop *loop = *state;
  ev_async a;
  ev_async_init (&a, count_cb);
  ev_async_start (loop, &a);
  ev_async_send (loop, &a);
  ev_async_stop (loop, &a);
  calls = 0;
  ev_run (loop, EVRUN_NOWAIT);
  ev_run (loop, EVRUN_NOWAIT);
  assert_int_equal (calls, 0);
}

static void
ev_async__only_the_sent_watchers_run_in_start_order (void **state)
{
  struct ev_loop *loop = *state;
  ev_async w[4];
  static const char *names[] = { "w", "x", "y", "z" };
  for (int i = 0; i < 4; ++i)
    {
      ev_async_init (&w[i], trace_async_revents_cb);
      w[i].data = (void *)names[i];
      ev_async_start (loop, &w[i]);
      assert_int_equal (ev_is_active (&w[i]), i + 1);
    }
  ev_async_send (loop, &w[3]);
  ev_async_send (loop, &w[1]);
  ev_async_send (loop, &w[2]);
  ev_run (loop, EVRUN_NOWAIT);
  expect_trace ("x:0x80000,y:0x80000,z:0x80000");
  assert_false (ev_async_pending (&w[0]));
  for (int i = 0; i < 4; ++i)
    ev_async_stop (loop, &w[i]);
}

/* The same with watchers in several words of the loop's sent-groups bitmap, and with more
 * watchers than groups (4096), where several share a group */
static int order_seen[8], order_n;
static ev_async *order_base;

static void
order_cb (struct ev_loop *loop, ev_async *w, int revents)
{
  (void)loop;
  assert_int_equal (revents, EV_ASYNC);
  if (order_n < 8)
    order_seen[order_n] = (int)(w - order_base);
  ++order_n;
}

static void
ev_async__sent_watchers_run_in_start_order_among_many (void **state)
{
  struct ev_loop *loop = *state;
  enum { kMany = 5000 };
  static const int counts[] = { 200, kMany };
  static const int sends[2][5] = { { 199, 3, 130, 70, 64 }, { 4999, 4107, 11, 4096, 0 } };
  static const int expected[2][5] = { { 3, 64, 70, 130, 199 }, { 0, 11, 4096, 4107, 4999 } };
  ev_async *w = calloc (kMany, sizeof *w);
  assert_non_null (w);
  order_base = w;
  for (int round = 0; round < 2; ++round)
    {
      for (int i = 0; i < counts[round]; ++i)
        {
          ev_async_init (&w[i], order_cb);
          ev_async_start (loop, &w[i]);
        }
      for (int k = 0; k < 5; ++k)
        ev_async_send (loop, &w[sends[round][k]]);
      order_n = 0;
      ev_run (loop, EVRUN_NOWAIT);
      assert_int_equal (order_n, 5);
      for (int k = 0; k < 5; ++k)
        assert_int_equal (order_seen[k], expected[round][k]);
      for (int i = 0; i < counts[round]; ++i)
        ev_async_stop (loop, &w[i]);
    }
  free (w);
}

/* A loop with few async watchers looks at all of them on a wake-up, one with many only at the
 * groups senders marked (libev-ng's own mechanism, invisible to programs): a send made while the
 * loop had few is not lost when more are started before the loop looks, nor one made while it had
 * many when most are stopped again. */
static void
ev_async__sends_survive_the_watcher_count_growing_and_shrinking (void **state)
{
  struct ev_loop *loop = *state;
  enum { kFew = 16, kAll = 40 };
  static ev_async w[kAll];
  order_base = w;
  for (int i = 0; i < kFew; ++i)
    {
      ev_async_init (&w[i], order_cb);
      ev_async_start (loop, &w[i]);
    }
  ev_async_send (loop, &w[15]);
  ev_async_send (loop, &w[3]);
  for (int i = kFew; i < kAll; ++i)
    {
      ev_async_init (&w[i], order_cb);
      ev_async_start (loop, &w[i]);
    }
  order_n = 0;
  ev_run (loop, EVRUN_NOWAIT);
  assert_int_equal (order_n, 2);
  assert_int_equal (order_seen[0], 3);
  assert_int_equal (order_seen[1], 15);

  ev_async_send (loop, &w[30]);
  ev_async_send (loop, &w[5]);
  ev_async_send (loop, &w[39]);
  order_n = 0;
  ev_run (loop, EVRUN_NOWAIT);
  assert_int_equal (order_n, 3);
  assert_int_equal (order_seen[0], 5);
  assert_int_equal (order_seen[1], 30);
  assert_int_equal (order_seen[2], 39);

  ev_async_send (loop, &w[6]);
  for (int i = kAll - 1; i >= 4; --i)
    if (i != 6)
      ev_async_stop (loop, &w[i]);
  ev_async_send (loop, &w[1]);
  order_n = 0;
  ev_run (loop, EVRUN_NOWAIT);
  assert_int_equal (order_n, 2);
  assert_int_equal (order_seen[0], 1);
  assert_int_equal (order_seen[1], 6);
  for (int i = 0; i < 4; ++i)
    ev_async_stop (loop, &w[i]);
  ev_async_stop (loop, &w[6]);
}

static void
ev_async__holds_a_reference (void **state)
{
  struct ev_loop *loop = *state;
  ev_async a;
  ev_async_init (&a, count_cb);
  ev_async_start (loop, &a);
  assert_int_equal (ev_run (loop, EVRUN_NOWAIT), 1);
  ev_async_stop (loop, &a);
  assert_int_equal (ev_run (loop, EVRUN_NOWAIT), 0);
}

static void
send_again_cb (struct ev_loop *loop, ev_async *w, int revents)
{
  (void)revents;
  ++calls;
  if (calls < 3)
    ev_async_send (loop, w);
}

static void
ev_async__sending_from_its_own_callback_runs_it_again (void **state)
{
  struct ev_loop *loop = *state;
  ev_async a;
  ev_async_init (&a, send_again_cb);
  ev_async_start (loop, &a);
  calls = 0;
  ev_async_send (loop, &a);
  run_until_calls (loop, 3, 2.);
  ev_run (loop, EVRUN_NOWAIT);
  assert_int_equal (calls, 3);
  ev_async_stop (loop, &a);
}

/* ---- wake-ups -------------------------------------------------------------------------------- */

struct sender
{
  struct ev_loop *loop;
  ev_async *w;
  double delay;
  pthread_t thread;
  double sending_at; /* harness_monotonic () right before ev_async_send */
};

static void *
sender_thread (void *arg)
{
  struct sender *s = arg;
  struct timespec ts = { 0, (long)(s->delay * 1e9) };
  nanosleep (&ts, NULL);
  s->sending_at = harness_monotonic ();
  ev_async_send (s->loop, s->w);
  return NULL;
}

static void
ev_async__wakes_a_blocked_loop_from_another_thread (void **state)
{
  skip_where_valgrind_holds_wakeups ();
  struct ev_loop *loop = *state;
  ev_async a;
  ev_async_init (&a, count_cb);
  ev_async_start (loop, &a);
  calls = 0;
  for (int round = 1; round <= 3; ++round)
    {
      struct sender s = { loop, &a, 0.03, 0, 0. };
      struct harness_mark t0 = harness_mark ();
      assert_int_equal (pthread_create (&s.thread, NULL, sender_thread, &s), 0);
      /* nothing else is active: only the send can end this ev_run */
      ev_run (loop, EVRUN_ONCE);
      struct harness_mark woken = harness_mark ();
      pthread_join (s.thread, NULL);
      assert_int_equal (calls, round);
      assert_true (woken.at - t0.at >= 0.02);
      /* soon after the send (when the sender ran is the machine's: a loaded one may hold it up;
       * so may it this thread after the send woke it, which the bound leaves out) */
      struct harness_mark sending = { s.sending_at, t0.waited };
      assert_true (woken.at >= s.sending_at);
      assert_true (harness_elapsed_unloaded (sending, woken) < harness_slack (1.));
    }
  ev_async_stop (loop, &a);
}

/* Each send waits for the loop's answer before the next, so every send meets a loop that blocks
 * or is about to, and every store-then-load pair of the wake-up handshake races the sender's:
 * one lost wake-up leaves the loop blocked until the guard.  (Lost on AArch64 under qemu-user,
 * which ran a sequentially consistent store there without the barrier before the next load.) */
#define PING_ROUNDS 1000

static struct
{
  struct ev_loop *loop;
  ev_async *w;
  atomic_int acked; /* rounds the loop has answered */
  atomic_int stop;
} ping;

static void
ping_cb (struct ev_loop *loop, ev_async *w, int revents)
{
  (void)w, (void)revents;
  int round = atomic_load (&ping.acked) + 1;
  atomic_store (&ping.acked, round);
  if (round == PING_ROUNDS)
    ev_break (loop, EVBREAK_ALL);
}

static void
ping_guard_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)revents;
  *(int *)w->data = 1;
  ev_break (loop, EVBREAK_ALL);
}

static void *
ping_sender (void *arg)
{
  (void)arg;
  for (int round = 1; round <= PING_ROUNDS && !atomic_load (&ping.stop); ++round)
    {
      /* every other round, give the loop time to block first */
      if (round % 2)
        usleep (100);
      ev_async_send (ping.loop, ping.w);
      while (atomic_load (&ping.acked) != round && !atomic_load (&ping.stop))
        sched_yield ();
    }
  return NULL;
}

static void
ev_async__every_send_wakes_a_loop_that_blocks_or_is_about_to (void **state)
{
  skip_where_valgrind_holds_wakeups ();
  struct ev_loop *loop = *state;
  int timed_out = 0;
  ev_async a;
  ev_timer guard;
  pthread_t t;
  ev_async_init (&a, ping_cb);
  ev_async_start (loop, &a);
  ev_timer_init (&guard, ping_guard_cb, 60., 0.);
  guard.data = &timed_out;
  ev_timer_start (loop, &guard);
  ping.loop = loop;
  ping.w = &a;
  atomic_store (&ping.acked, 0);
  atomic_store (&ping.stop, 0);
  assert_int_equal (pthread_create (&t, NULL, ping_sender, NULL), 0);
  ev_run (loop, 0);
  atomic_store (&ping.stop, 1);
  pthread_join (t, NULL);
  ev_timer_stop (loop, &guard);
  ev_async_stop (loop, &a);
  if (timed_out)
    fail_msg ("the loop answered %d of %d sends, then blocked until the guard", atomic_load (&ping.acked),
              PING_ROUNDS);
  assert_int_equal (atomic_load (&ping.acked), PING_ROUNDS);
}

/* read() as the library calls it, counted while count_reads is set (by the loop's thread
 * only: the sender threads make no read). */
static int count_reads;
static int reads;

#ifndef _WIN32 /* (a DLL's calls go to the C runtime: t/win32/skip.txt) */
ssize_t
read (int fd, void *buf, size_t n)
{
  if (count_reads)
    ++reads;
  return (ssize_t)syscall (SYS_read, fd, buf, n);
}
#endif

/* A wake-up from another thread costs the loop no read() on epoll and io_uring: its eventfd is
 * registered edge-triggered (EPOLLET, in io_uring's epoll set too) and
 * never drained, so a wake-up is the sender's write and the loop's wait, one system call less
 * than libev 4.33's write, wait and read.  The counter left in the eventfd must not make the
 * loop spin: afterwards an iteration still blocks until the timer.  The other backends (and
 * libev) drain the eventfd, at most once a wake-up. */
static void
ev_async__a_wakeup_from_another_thread_costs_the_loop_no_read_on_epoll_and_io_uring (void **state)
{
  skip_where_valgrind_holds_wakeups ();
  struct ev_loop *loop = *state;
  enum { kRounds = 5 };
  ev_async a;
  ev_async_init (&a, count_cb);
  ev_async_start (loop, &a);
  calls = 0;
  reads = 0;
  count_reads = 1;
  for (int round = 1; round <= kRounds; ++round)
    {
      struct sender s = { loop, &a, 0.03, 0, 0. };
      assert_int_equal (pthread_create (&s.thread, NULL, sender_thread, &s), 0);
      ev_run (loop, EVRUN_ONCE); /* only the send can end it */
      pthread_join (s.thread, NULL);
      assert_int_equal (calls, round);
    }
  count_reads = 0;
  if (!harness_is_real_libev () && (test_backend == EVBACKEND_EPOLL || test_backend == EVBACKEND_IOURING))
    assert_int_equal (reads, 0);
  else
    assert_in_range (reads, 0, kRounds);
  harness_expect_blocks_until_timer (loop, 0.05);
  ev_async_stop (loop, &a);
}

/* clock_gettime() as the library calls it: the real clock plus clock_jump seconds (zero
 * outside the test below). */
static _Atomic double clock_jump;

#ifndef _WIN32 /* (a DLL's calls go to the C runtime: t/win32/skip.txt) */
int
clock_gettime (clockid_t clk, struct timespec *ts)
{
  int r = (int)syscall (SYS_clock_gettime_t, clk, ts);
  double jump = clock_jump;
  if (r == 0 && jump != 0.)
    {
      long long ns = (long long)ts->tv_sec * 1000000000LL + ts->tv_nsec + (long long)(jump * 1e9);
      ts->tv_sec = (time_t)(ns / 1000000000LL);
      ts->tv_nsec = (long)(ns % 1000000000LL);
    }
  return r;
}
#endif

static double clock_jump_at_send;

static void *
set_clock_and_send_thread (void *arg)
{
  struct sender *s = arg;
  struct timespec ts = { 0, (long)(s->delay * 1e9) };
  nanosleep (&ts, NULL);
  clock_jump = clock_jump_at_send;
  ev_async_send (s->loop, s->w);
  return NULL;
}

TRACE_CB (async)
TRACE_CB (timer)

/* One iteration ended by a send from another thread in which a timer expires too, whatever
 * the scheduler does: the clock the loop reads before it blocks is `before` seconds off, so
 * that it blocks for longer than the timer's `after`; the sender, 30 ms later, sets it
 * `at_send` seconds off and sends.  The trace of the callbacks. */
static void
trace_send_and_timer_in_one_iteration (struct ev_loop *loop, int async_priority, int timer_priority, double after,
                                       double before, double at_send)
{
  ev_async a;
  ev_async_init (&a, trace_async_cb);
  a.data = "async";
  ev_set_priority (&a, async_priority);
  ev_async_start (loop, &a);
  ev_run (loop, EVRUN_NOWAIT); /* (the loop's periodic work done, for the next 100 ms) */
  ev_now_update (loop);
  ev_timer t;
  ev_timer_init (&t, trace_timer_cb, after, 0.);
  t.data = "timer";
  ev_set_priority (&t, timer_priority);
  ev_timer_start (loop, &t);
  trace_reset ();
  struct sender s = { loop, &a, 0.03, 0, 0. };
  clock_jump = before;
  clock_jump_at_send = at_send;
  assert_int_equal (pthread_create (&s.thread, NULL, set_clock_and_send_thread, &s), 0);
  ev_run (loop, EVRUN_ONCE);
  pthread_join (s.thread, NULL);
  clock_jump = 0.;
  ev_timer_stop (loop, &t);
  ev_async_stop (loop, &a);
  ev_now_update (loop);
}

/* ev(3) WATCHER PRIORITY MODELS: a cross-thread wake-up and an expired timer in one iteration.
 * The loop's internal wake-up watcher (EV_MAXPRI) is queued when the poll reports the wake-up,
 * before the expired timers are; its callback queues the async watchers it finds sent.  So a
 * timer of EV_MAXPRI, queued later, runs before that callback and before an async watcher of
 * EV_MAXPRI; at priority 0 the async watcher, queued last, runs first.  Twice: the timer 20 ms
 * away and the clock 100 s behind until the send (so the loop's clock moves 20 ms and the
 * timer is the only thing due), and the timer 50 s away and the clock jumping 100 s forward
 * at the send (the loop's clock passes the times at which it also looks at the wall clock and
 * its closed-fd sweep). */
static void
ev_async__a_wakeup_and_an_expired_timer_in_one_iteration_run_in_libevs_order (void **state)
{
  skip_where_valgrind_holds_wakeups ();
  /* (libev 4.33's io_uring backend returns from that iteration at once, calling nothing) */
  if (harness_is_real_libev () && test_backend == EVBACKEND_IOURING)
    skip ();
  struct ev_loop *loop = *state;
  const double clocks[2][3] = { { 0.02, -100., 0. }, { 50., 0., 100. } };
  for (int c = 0; c < 2; ++c)
    {
      const double *k = clocks[c];
      trace_send_and_timer_in_one_iteration (loop, EV_MAXPRI, EV_MAXPRI, k[0], k[1], k[2]);
      expect_trace ("timer,async");
      trace_send_and_timer_in_one_iteration (loop, 0, 0, k[0], k[1], k[2]);
      expect_trace ("async,timer");
      trace_send_and_timer_in_one_iteration (loop, 0, EV_MAXPRI, k[0], k[1], k[2]);
      expect_trace ("timer,async");
      trace_send_and_timer_in_one_iteration (loop, EV_MAXPRI, 0, k[0], k[1], k[2]);
      expect_trace ("async,timer");
    }
}

TRACE_REVENTS_CB (io)

/* libev-ng's closed-fd sweep (README, "Differences from libev 4.33") and a cross-thread
 * wake-up in one iteration: the EV_ERROR that the sweep queues comes after the wake-up, which
 * the poll queued first.  So an io watcher of EV_MAXPRI on a closed fd runs before the async
 * watcher of EV_MAXPRI that the wake-up's internal watcher queues.  The clock jumps 100 s at
 * the send, past the sweep's next step (which a busy loop takes after 256 iterations). */
static void
ev_async__a_wakeup_is_queued_before_the_closed_fd_sweeps_ev_error (void **state)
{
  skip_on_real_libev (); /* no sweep */
  skip_where_valgrind_holds_wakeups ();
  if (test_backend != EVBACKEND_EPOLL)
    skip ();
  struct ev_loop *loop = *state;
  int p[2];
  assert_int_equal (pipe (p), 0);
  ev_io w;
  ev_io_init (&w, trace_io_revents_cb, p[0], EV_READ);
  w.data = "io";
  ev_set_priority (&w, EV_MAXPRI);
  ev_io_start (loop, &w);
  ev_async a;
  ev_async_init (&a, trace_async_cb);
  a.data = "async";
  ev_set_priority (&a, EV_MAXPRI);
  ev_async_start (loop, &a);
  for (int i = 0; i < 300; ++i)
    ev_run (loop, EVRUN_NOWAIT);
  close (p[0]); /* behind the loop's back */
  close (p[1]);
  trace_reset ();
  struct sender s = { loop, &a, 0.03, 0, 0. };
  clock_jump_at_send = 100.;
  assert_int_equal (pthread_create (&s.thread, NULL, set_clock_and_send_thread, &s), 0);
  ev_run (loop, EVRUN_ONCE);
  pthread_join (s.thread, NULL);
  clock_jump = 0.;
  ev_now_update (loop);
  expect_trace ("io:0x80000003,async");
  assert_false (ev_is_active (&w));
  ev_async_stop (loop, &a);
}

/* The system refuses the wake-up fd (no eventfd, no pipe: EMFILE, or a sandbox) and the
 * program's syserr callback returns: the failure is reported a bounded number of times, then
 * the loop does without the fd, looking for sends at least every 10 ms, and a send from
 * another thread still arrives.  An earlier libev-ng (and libev 4.33) called the callback
 * again and again, forever. */
static int wakeup_syserr_calls;

static void
count_wakeup_syserr (const char *msg) EV_NOEXCEPT
{
  if (strstr (msg, "signal/async pipe"))
    ++wakeup_syserr_calls;
}

static void
refused_wakeup_child (void *arg)
{
  (void)arg;
  struct ev_loop *loop = ev_loop_new (test_backend | EVFLAG_NOENV);
  if (!loop)
    _exit (2);
  ev_set_syserr_cb (count_wakeup_syserr);
  const long nrs[] = { SYS_eventfd2, SYS_eventfd, SYS_pipe2, SYS_pipe };
  if (refuse_syscalls (nrs, 4, EMFILE) < 0)
    _exit (3);
  static ev_async a;
  ev_async_init (&a, count_cb);
  ev_async_start (loop, &a); /* the loop wants its wake-up fd now */
  if (wakeup_syserr_calls < 1 || wakeup_syserr_calls > 3)
    {
      fprintf (stderr, "%d syserr calls\n", wakeup_syserr_calls);
      _exit (4);
    }
  calls = 0;
  for (int round = 1; round <= 3; ++round)
    {
      struct sender s = { loop, &a, 0.03, 0, 0. };
      double t0 = harness_monotonic ();
      if (pthread_create (&s.thread, NULL, sender_thread, &s))
        _exit (5);
      while (calls < round && harness_monotonic () - t0 < harness_slack (2.))
        ev_run (loop, EVRUN_ONCE);
      pthread_join (s.thread, NULL);
      if (calls != round)
        {
          fprintf (stderr, "round %d: %d callbacks\n", round, calls);
          _exit (6);
        }
    }
  if (wakeup_syserr_calls > 3)
    _exit (7);
  ev_async_stop (loop, &a);
  ev_loop_destroy (loop);
}

static void
ev_async__works_without_a_wakeup_fd_the_system_refuses (void **state)
{
  (void)state;
  skip_on_real_libev (); /* libev 4.33 retries forever */
  skip_where_valgrind_holds_wakeups ();
  struct harness_child c;
  harness_child_run (refused_wakeup_child, NULL, 10, &c);
  if (!c.exited || c.status != 0)
    fail_msg ("child: %s %d: %s", c.exited ? "exit status" : "signal", c.exited ? c.status : c.signo, c.err);
}

/* In a forked child (the test changes a signal disposition): a POSIX timer's SIGUSR1 arrives
 * while the loop blocks, and the program's handler sends. */
static struct ev_loop *handler_loop;
static ev_async handler_async;

static void
sending_handler (int signo)
{
  (void)signo;
  ev_async_send (handler_loop, &handler_async);
}

static void
send_from_handler_child (void *arg)
{
  (void)arg;
  handler_loop = ev_loop_new (test_backend | EVFLAG_NOENV);
  if (!handler_loop)
    _exit (2);
  ev_async_init (&handler_async, count_cb);
  ev_async_start (handler_loop, &handler_async);
  struct sigaction sa;
  memset (&sa, 0, sizeof sa);
  sa.sa_handler = sending_handler;
  sa.sa_flags = SA_RESTART;
  sigaction (SIGUSR1, &sa, NULL);
  /* a timer of its own: alarm() is the harness's timeout */
  timer_t timer;
  struct sigevent sev;
  memset (&sev, 0, sizeof sev);
  sev.sigev_notify = SIGEV_SIGNAL;
  sev.sigev_signo = SIGUSR1;
  if (timer_create (CLOCK_MONOTONIC, &sev, &timer))
    _exit (3);
  struct itimerspec its = { { 0, 0 }, { 0, 30 * 1000 * 1000 } };
  calls = 0;
  for (int round = 1; round <= 3; ++round)
    {
      timer_settime (timer, 0, &its, NULL);
      /* blocks: only the signal can wake it (and its arrival may end one iteration early,
       * by interrupting the poll, before the send is seen) */
      double t0 = harness_monotonic ();
      while (calls < round && harness_monotonic () - t0 < harness_slack (2.))
        ev_run (handler_loop, EVRUN_ONCE);
      if (calls != round)
        {
          fprintf (stderr, "round %d: %d callbacks\n", round, calls);
          _exit (4);
        }
    }
  /* and a send from a handler before the loop looks, too */
  raise (SIGUSR1);
  ev_run (handler_loop, EVRUN_NOWAIT);
  if (calls != 4 || last_revents != EV_ASYNC)
    _exit (5);
  timer_delete (timer);
  ev_async_stop (handler_loop, &handler_async);
  ev_loop_destroy (handler_loop);
}

static void
ev_async__send_from_a_signal_handler (void **state)
{
  (void)state;
  skip_where_valgrind_holds_wakeups ();
  struct harness_child c;
  harness_child_run (send_from_handler_child, NULL, 10, &c);
  if (!c.exited || c.status != 0)
    fail_msg ("child: %s %d: %s", c.exited ? "status" : "signal", c.exited ? c.status : c.signo, c.err);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    loop_test (ev_async__sends_before_the_loop_looks_are_coalesced),
    loop_test (ev_async__pending_from_send_until_the_loop_notices),
    loop_test (ev_async__a_send_before_start_is_lost),
    loop_test (ev_async__a_send_to_a_stopped_watcher_is_not_delivered),
    loop_test (ev_async__only_the_sent_watchers_run_in_start_order),
    loop_test (ev_async__sent_watchers_run_in_start_order_among_many),
    loop_test (ev_async__sends_survive_the_watcher_count_growing_and_shrinking),
    loop_test (ev_async__holds_a_reference),
    loop_test (ev_async__sending_from_its_own_callback_runs_it_again),
    loop_test (ev_async__wakes_a_blocked_loop_from_another_thread),
    loop_test (ev_async__every_send_wakes_a_loop_that_blocks_or_is_about_to),
    loop_test (ev_async__a_wakeup_from_another_thread_costs_the_loop_no_read_on_epoll_and_io_uring),
    loop_test (ev_async__a_wakeup_and_an_expired_timer_in_one_iteration_run_in_libevs_order),
    loop_test (ev_async__a_wakeup_is_queued_before_the_closed_fd_sweeps_ev_error),
    plain_test (ev_async__send_from_a_signal_handler),
    plain_test (ev_async__works_without_a_wakeup_fd_the_system_refuses),
  };
  return HARNESS_RUN ("ev_async", tests);
}
