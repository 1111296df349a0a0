/* SPDX-License-Identifier: BSD-2-Clause */
/* t/ev_signal.c - ev(3) "ev_signal - signal me when a signal gets signalled!" and the signal
 * parts of "THREADS AND SIGNALS" (doc/semantics.md §11): several watchers per signal in
 * start order, coalescing, revents, delivery while the loop blocks, ev_feed_signal from
 * another thread and from a signal handler, ev_feed_signal_event (and a wrong loop), the
 * disposition reset to SIG_DFL after the last stop, the signal mask (libev 4.33's inverted
 * EVFLAG_NOSIGMASK, EVFLAG_SIGNALFD blocking and unblocking), handing a signal over to
 * another loop, and the usage errors (numbers outside 1..64, one signal in two loops).
 *
 * Every test runs in a forked child (harness_child_run), so that the dispositions and the
 * signal mask of the test process stay clean.  cmocka's assertions must not be used there
 * (a failure would longjmp into the child's copy of the test runner): CHECK() reports on
 * stderr and _exit(1)s, and the parent turns that into a test failure. */
#define _GNU_SOURCE 1
#include "harness.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- running a test body in a child ---------------------------------------------------------- */

/* CHILD_TEST (name) { body }: a cmocka test that runs `body` in a forked child (after
 * `skips`, the test's reasons to skip, in CHILD_TEST_SKIPPING). */
#define CHILD_TEST_SKIPPING(name, skips)                                                 \
  static void name##_body (void *arg_);                                                  \
  static void name (void **state)                                                        \
  {                                                                                      \
    (void)state;                                                                         \
    skips;                                                                               \
    harness_expect_child_ok (name##_body, NULL, 10, #name);                              \
  }                                                                                      \
  static void name##_body (void *arg_)
#define CHILD_TEST(name) CHILD_TEST_SKIPPING (name, (void)0)
/* ... whose loop must be woken from a blocking wait by a signal or another thread */
#define WAKEUP_CHILD_TEST(name) CHILD_TEST_SKIPPING (name, skip_where_valgrind_holds_wakeups ())

static struct ev_loop *
child_loop (unsigned flags)
{
  struct ev_loop *loop = ev_loop_new (test_backend | EVFLAG_NOENV | flags);
  CHECK (loop);
  CHECK (ev_backend (loop) == test_backend);
  return loop;
}

static void
guard_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)loop, (void)revents;
  *(int *)w->data = 1;
}

/* Runs the loop (EVRUN_ONCE iterations) until *flag is set, at most `seconds`; returns
 * whether the flag was set. */
static int
run_until (struct ev_loop *loop, volatile int *flag, double seconds)
{
  int expired = 0;
  ev_timer guard;
  ev_timer_init (&guard, guard_cb, harness_slack (seconds), 0.);
  guard.data = &expired;
  ev_timer_start (loop, &guard);
  while (!*flag && !expired)
    ev_run (loop, EVRUN_ONCE);
  ev_timer_stop (loop, &guard);
  return *flag != 0;
}

static int
is_blocked (int signo)
{
  sigset_t ss;
  sigprocmask (SIG_BLOCK, NULL, &ss);
  return sigismember (&ss, signo);
}

static void
block (int signo, int how)
{
  sigset_t ss;
  sigemptyset (&ss);
  sigaddset (&ss, signo);
  sigprocmask (how, &ss, NULL);
}

static struct sigaction
disposition (int signo)
{
  struct sigaction sa;
  sigaction (signo, NULL, &sa);
  return sa;
}

/* ---- callbacks ---------------------------------------------------------------------------------- */

TRACE_REVENTS_CB (signal)

static volatile int calls;

static void
count_cb (struct ev_loop *loop, ev_signal *w, int revents)
{
  (void)loop, (void)w;
  CHECK (revents == EV_SIGNAL);
  ++calls;
}

/* stays active after its callback, and records that */
static volatile int active_in_cb;

static void
active_cb (struct ev_loop *loop, ev_signal *w, int revents)
{
  count_cb (loop, w, revents);
  active_in_cb = ev_is_active (w);
}

/* After `delay` seconds, from another thread: kill(getpid(), sig), or ev_feed_signal(sig). */
struct later
{
  double delay;
  int signo;
  int feed;
  pthread_t thread;
};

static void *
later_thread (void *arg)
{
  struct later *l = arg;
  struct timespec ts = { 0, (long)(l->delay * 1e9) };
  nanosleep (&ts, NULL);
  if (l->feed)
    ev_feed_signal (l->signo);
  else
    kill (getpid (), l->signo);
  return NULL;
}

static void
later_start (struct later *l, double delay, int signo, int feed)
{
  l->delay = delay;
  l->signo = signo;
  l->feed = feed;
  CHECK (pthread_create (&l->thread, NULL, later_thread, l) == 0);
}

/* ---- watchers and delivery ------------------------------------------------------------------------ */

CHILD_TEST (ev_signal__several_watchers_of_one_signal_run_in_start_order)
{
  (void)arg_;
  struct ev_loop *loop = child_loop (0);
  ev_signal w[3];
  static const char *names[] = { "a", "b", "c" };
  for (int i = 0; i < 3; ++i)
    {
      ev_signal_init (&w[i], trace_signal_revents_cb, SIGUSR1);
      w[i].data = (void *)names[i];
      ev_signal_start (loop, &w[i]);
      CHECK (ev_is_active (&w[i]) == 1);
    }
  raise (SIGUSR1);
  ev_run (loop, EVRUN_NOWAIT);
  CHECK (strcmp (trace_get (), "a:0x400,b:0x400,c:0x400") == 0);
  /* a watcher stopped in between is left out, the others keep their order */
  trace_reset ();
  ev_signal_stop (loop, &w[1]);
  raise (SIGUSR1);
  ev_run (loop, EVRUN_NOWAIT);
  CHECK (strcmp (trace_get (), "a:0x400,c:0x400") == 0);
  ev_signal_stop (loop, &w[0]);
  ev_signal_stop (loop, &w[2]);
  ev_loop_destroy (loop);
}

CHILD_TEST (ev_signal__signals_before_the_loop_looks_are_coalesced)
{
  (void)arg_;
  struct ev_loop *loop = child_loop (0);
  ev_signal a, b;
  ev_signal_init (&a, count_cb, SIGUSR1);
  ev_signal_init (&b, count_cb, SIGUSR1);
  ev_signal_start (loop, &a);
  ev_signal_start (loop, &b);
  for (int i = 0; i < 3; ++i)
    raise (SIGUSR1);
  calls = 0;
  ev_run (loop, EVRUN_NOWAIT);
  ev_run (loop, EVRUN_NOWAIT);
  /* one call per watcher, not three */
  CHECK (calls == 2);
  ev_signal_stop (loop, &a);
  ev_signal_stop (loop, &b);
  ev_loop_destroy (loop);
}

WAKEUP_CHILD_TEST (ev_signal__a_signal_wakes_the_blocked_loop_and_the_watcher_stays_active)
{
  (void)arg_;
  struct ev_loop *loop = child_loop (0);
  ev_signal w;
  ev_signal_init (&w, active_cb, SIGUSR1);
  ev_signal_start (loop, &w);
  calls = 0;
  struct later l;
  struct harness_mark t0 = harness_mark ();
  later_start (&l, 0.05, SIGUSR1, 0); /* may be delivered to either thread */
  CHECK (run_until (loop, &calls, 5.));
  CHECK (harness_elapsed_unloaded (t0, harness_mark ()) < harness_slack (2.));
  pthread_join (l.thread, NULL);
  CHECK (calls == 1);
  CHECK (active_in_cb);
  CHECK (ev_is_active (&w));
  /* it holds a reference: the only one in this loop */
  CHECK (ev_run (loop, EVRUN_NOWAIT) == 1);
  ev_signal_stop (loop, &w);
  CHECK (ev_run (loop, EVRUN_NOWAIT) == 0);
  ev_loop_destroy (loop);
}

WAKEUP_CHILD_TEST (ev_signal__feed_signal_from_another_thread_wakes_the_loop)
{
  (void)arg_;
  struct ev_loop *loop = child_loop (0);
  ev_signal w;
  ev_signal_init (&w, count_cb, SIGUSR2);
  ev_signal_start (loop, &w);
  calls = 0;
  struct later l;
  later_start (&l, 0.05, SIGUSR2, 1);
  CHECK (run_until (loop, &calls, 5.));
  pthread_join (l.thread, NULL);
  CHECK (calls == 1);
  ev_signal_stop (loop, &w);
  ev_loop_destroy (loop);
}

/* libev 4.33 aborts here (its loop has no wake-up fd: the signals come through the signalfd);
 * libev-ng keeps a wake-up fd for ev_feed_signal in such a loop too */
static void
feed_signal_into_a_signalfd_loop (void *arg_)
{
  (void)arg_;
  struct ev_loop *loop = child_loop (EVFLAG_SIGNALFD);
  ev_signal w;
  ev_signal_init (&w, count_cb, SIGUSR2);
  ev_signal_start (loop, &w);
  calls = 0;
  struct later l;
  later_start (&l, 0.05, SIGUSR2, 1);
  CHECK (run_until (loop, &calls, 5.));
  pthread_join (l.thread, NULL);
  CHECK (calls == 1);
  /* and from this thread, before the loop runs */
  ev_feed_signal (SIGUSR2);
  ev_run (loop, EVRUN_NOWAIT);
  CHECK (calls == 2);
  ev_signal_stop (loop, &w);
  ev_loop_destroy (loop);
}

/* Not a WAKEUP_CHILD_TEST: the skip on libev 4.33 must happen here, in cmocka's process; a
 * child that skipped would go on to run the rest of the suite. */
static void
ev_signal__feed_signal_from_another_thread_wakes_a_signalfd_loop (void **state)
{
  (void)state;
  skip_on_real_libev ();
  skip_where_valgrind_holds_wakeups ();
  harness_expect_child_ok (feed_signal_into_a_signalfd_loop, NULL, 10,
                           "ev_signal__feed_signal_from_another_thread_wakes_a_signalfd_loop");
}

/* a handler of the program's own, for a signal without watchers, passing SIGUSR1 on */
static void
forwarding_handler (int signo)
{
  (void)signo;
  ev_feed_signal (SIGUSR1);
}

WAKEUP_CHILD_TEST (ev_signal__feed_signal_from_a_signal_handler)
{
  (void)arg_;
  struct ev_loop *loop = child_loop (0);
  ev_signal w;
  ev_signal_init (&w, count_cb, SIGUSR1);
  ev_signal_start (loop, &w);
  struct sigaction sa;
  memset (&sa, 0, sizeof sa);
  sa.sa_handler = forwarding_handler;
  sigaction (SIGUSR2, &sa, NULL);
  calls = 0;
  /* while the loop is blocked */
  struct later l;
  later_start (&l, 0.05, SIGUSR2, 0);
  CHECK (run_until (loop, &calls, 5.));
  pthread_join (l.thread, NULL);
  /* and synchronously, before the loop looks */
  raise (SIGUSR2);
  ev_run (loop, EVRUN_NOWAIT);
  CHECK (calls == 2);
  ev_signal_stop (loop, &w);
  ev_loop_destroy (loop);
}

CHILD_TEST (ev_signal__feed_signal_event_makes_the_watchers_pending_at_once)
{
  (void)arg_;
  struct ev_loop *loop = child_loop (0);
  struct ev_loop *other = child_loop (0);
  ev_signal a, b;
  ev_signal_init (&a, trace_signal_revents_cb, SIGUSR1);
  a.data = "a";
  ev_signal_init (&b, trace_signal_revents_cb, SIGUSR1);
  b.data = "b";
  ev_signal_start (loop, &a);
  ev_signal_start (loop, &b);
  ev_feed_signal_event (loop, SIGUSR1);
  CHECK (ev_is_pending (&a) && ev_is_pending (&b));
  CHECK (ev_pending_count (loop) == 2);
  CHECK (strcmp (trace_get (), "") == 0);
  ev_invoke_pending (loop);
  CHECK (strcmp (trace_get (), "a:0x400,b:0x400") == 0);
  trace_reset ();
  /* a loop that does not own the signal ignores it */
  ev_feed_signal_event (other, SIGUSR1);
  CHECK (!ev_is_pending (&a) && !ev_is_pending (&b));
  CHECK (ev_pending_count (other) == 0);
  ev_run (other, EVRUN_NOWAIT);
  ev_run (loop, EVRUN_NOWAIT);
  CHECK (strcmp (trace_get (), "") == 0);
  /* and so does the owner for a signal it does not watch */
  ev_feed_signal_event (loop, SIGUSR2);
  CHECK (ev_pending_count (loop) == 0);
  ev_signal_stop (loop, &a);
  ev_signal_stop (loop, &b);
  ev_loop_destroy (other);
  ev_loop_destroy (loop);
}

CHILD_TEST (ev_signal__another_loop_may_take_the_signal_after_the_last_stop)
{
  (void)arg_;
  struct ev_loop *first = child_loop (0);
  struct ev_loop *second = child_loop (0);
  ev_signal a, b;
  ev_signal_init (&a, count_cb, SIGUSR1);
  ev_signal_start (first, &a);
  ev_signal_stop (first, &a);
  ev_signal_init (&b, count_cb, SIGUSR1);
  ev_signal_start (second, &b);
  calls = 0;
  raise (SIGUSR1);
  CHECK (run_until (second, &calls, 5.));
  ev_run (first, EVRUN_NOWAIT);
  CHECK (calls == 1);
  ev_signal_stop (second, &b);
  ev_loop_destroy (first);
  ev_loop_destroy (second);
}

/* ---- dispositions ------------------------------------------------------------------------------- */

static void
program_handler (int signo)
{
  (void)signo;
}

CHILD_TEST (ev_signal__last_stop_resets_the_disposition_to_default)
{
  (void)arg_;
  struct ev_loop *loop = child_loop (0);
  signal (SIGUSR1, program_handler);
  ev_signal a, b;
  ev_signal_init (&a, count_cb, SIGUSR1);
  ev_signal_init (&b, count_cb, SIGUSR1);
  ev_signal_start (loop, &a);
  /* the library's handler replaced the program's, and restarts system calls */
  struct sigaction sa = disposition (SIGUSR1);
  CHECK (sa.sa_handler != program_handler);
  CHECK (sa.sa_handler != SIG_DFL && sa.sa_handler != SIG_IGN);
  CHECK (sa.sa_flags & SA_RESTART);
  ev_signal_start (loop, &b);
  ev_signal_stop (loop, &a);
  /* one watcher left: still handled */
  sa = disposition (SIGUSR1);
  CHECK (sa.sa_handler != SIG_DFL && sa.sa_handler != program_handler);
  calls = 0;
  raise (SIGUSR1);
  CHECK (run_until (loop, &calls, 5.));
  ev_signal_stop (loop, &b);
  /* the last one gone: SIG_DFL, the program's handler is not restored */
  sa = disposition (SIGUSR1);
  CHECK (sa.sa_handler == SIG_DFL);
  ev_loop_destroy (loop);
}

/* ---- the signal mask ---------------------------------------------------------------------------- */

CHILD_TEST (ev_signal__start_leaves_a_blocked_signal_blocked_by_default)
{
  (void)arg_;
  struct ev_loop *loop = child_loop (0);
  block (SIGUSR1, SIG_BLOCK);
  ev_signal w;
  ev_signal_init (&w, count_cb, SIGUSR1);
  ev_signal_start (loop, &w);
  CHECK (is_blocked (SIGUSR1));
  /* so it is not reported while blocked... */
  calls = 0;
  raise (SIGUSR1);
  ev_run (loop, EVRUN_NOWAIT);
  ev_run (loop, EVRUN_NOWAIT);
  CHECK (calls == 0);
  /* ...and is once the program unblocks it */
  block (SIGUSR1, SIG_UNBLOCK);
  CHECK (run_until (loop, &calls, 5.));
  ev_signal_stop (loop, &w);
  ev_loop_destroy (loop);
}

CHILD_TEST (ev_signal__nosigmask_start_unblocks_the_signal)
{
  (void)arg_;
  /* libev 4.33's flag test is inverted: with EVFLAG_NOSIGMASK it *does* touch the mask */
  struct ev_loop *loop = child_loop (EVFLAG_NOSIGMASK);
  block (SIGUSR1, SIG_BLOCK);
  ev_signal w;
  ev_signal_init (&w, count_cb, SIGUSR1);
  ev_signal_start (loop, &w);
  CHECK (!is_blocked (SIGUSR1));
  calls = 0;
  raise (SIGUSR1);
  CHECK (run_until (loop, &calls, 5.));
  ev_signal_stop (loop, &w);
  ev_loop_destroy (loop);
}

CHILD_TEST_SKIPPING (ev_signal__signalfd_blocks_while_watched_and_unblocks_after,
                     skip_without_linux_apis (); skip_where_valgrind_holds_wakeups ())
{
  (void)arg_;
  struct ev_loop *loop = child_loop (EVFLAG_SIGNALFD);
  CHECK (!is_blocked (SIGUSR1));
  ev_signal a, b;
  ev_signal_init (&a, count_cb, SIGUSR1);
  ev_signal_init (&b, count_cb, SIGUSR1);
  ev_signal_start (loop, &a);
  ev_signal_start (loop, &b);
  CHECK (is_blocked (SIGUSR1));
  /* delivered through the signalfd */
  calls = 0;
  raise (SIGUSR1);
  raise (SIGUSR1);
  CHECK (run_until (loop, &calls, 5.));
  ev_run (loop, EVRUN_NOWAIT);
  CHECK (calls == 2);
  /* while the loop blocks, from another thread (which has it blocked too: inherited) */
  calls = 0;
  struct later l;
  later_start (&l, 0.05, SIGUSR1, 0);
  CHECK (run_until (loop, &calls, 5.));
  pthread_join (l.thread, NULL);
  ev_signal_stop (loop, &a);
  CHECK (is_blocked (SIGUSR1));
  ev_signal_stop (loop, &b);
  CHECK (!is_blocked (SIGUSR1));
  ev_loop_destroy (loop);
}

CHILD_TEST_SKIPPING (ev_signal__signalfd_stop_unblocks_even_a_signal_blocked_before, skip_without_linux_apis ())
{
  (void)arg_;
  struct ev_loop *loop = child_loop (EVFLAG_SIGNALFD);
  block (SIGUSR2, SIG_BLOCK);
  ev_signal w;
  ev_signal_init (&w, count_cb, SIGUSR2);
  ev_signal_start (loop, &w);
  CHECK (is_blocked (SIGUSR2));
  ev_signal_stop (loop, &w);
  CHECK (!is_blocked (SIGUSR2));
  ev_loop_destroy (loop);
}

/* ---- usage errors ------------------------------------------------------------------------------- */

static void
start_signum (void *arg)
{
  struct ev_loop *loop = ev_loop_new (test_backend | EVFLAG_NOENV);
  ev_signal w;
  ev_signal_init (&w, count_cb, *(int *)arg);
  ev_signal_start (loop, &w);
}

static void
ev_signal__numbers_outside_1_to_64_are_usage_errors (void **state)
{
  (void)state;
  /* (1 .. NSIG - 1: 64 on most architectures, 127 on MIPS) */
  static int bad[] = { 0, NSIG, -1 };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; ++i)
    expect_abort (start_signum, &bad[i], "libev: ev_signal_start called with illegal signal number");
}

static void
start_on_two_loops (void *arg)
{
  (void)arg;
  struct ev_loop *a = ev_loop_new (test_backend | EVFLAG_NOENV);
  struct ev_loop *b = ev_loop_new (test_backend | EVFLAG_NOENV);
  ev_signal wa, wb;
  ev_signal_init (&wa, count_cb, SIGUSR1);
  ev_signal_init (&wb, count_cb, SIGUSR1);
  ev_signal_start (a, &wa);
  ev_signal_start (b, &wb);
}

static void
ev_signal__one_signal_in_two_loops_is_a_usage_error (void **state)
{
  (void)state;
  expect_abort (start_on_two_loops, NULL, "libev: a signal must not be attached to two different loops");
}

static void
ev_signal__usage_error_messages_name_the_call_and_the_value (void **state)
{
  (void)state;
  skip_on_real_libev (); /* libev 4.33's assert shows the expression, not the value */
  int zero = 0, big = NSIG; /* (65 on most architectures, 128 on MIPS) */
  char msg[64];
  expect_abort (start_signum, &zero, "ev_signal_start (signum = 0)");
  snprintf (msg, sizeof msg, "ev_signal_start (signum = %d)", NSIG);
  expect_abort (start_signum, &big, msg);
  snprintf (msg, sizeof msg, "ev_signal_start (signum = %d)", SIGUSR1);
  expect_abort (start_on_two_loops, NULL, msg);
}

/* Re-initialised while active, then started again (a common bug): libev 4.33 makes the
 * signal's watcher list a cycle and spins at 100% CPU once the signal arrives, as did an
 * earlier libev-ng; libev-ng reports it at the start, naming the call and the signal. */
static void
reinit_active_and_restart (void *arg)
{
  (void)arg;
  static ev_signal w;
  struct ev_loop *loop = ev_loop_new (test_backend | EVFLAG_NOENV);
  ev_signal_init (&w, count_cb, SIGUSR1);
  ev_signal_start (loop, &w);
  ev_signal_init (&w, count_cb, SIGUSR1);
  ev_signal_start (loop, &w);
  raise (SIGUSR1);
  ev_run (loop, EVRUN_NOWAIT);
}

static void
ev_signal__reinitialising_an_active_watcher_is_a_usage_error (void **state)
{
  (void)state;
  skip_on_real_libev (); /* libev 4.33 spins */
  char msg[128];
  snprintf (msg, sizeof msg, "libev-ng: usage error in ev_signal_start (signum = %d): \"libev: ev_signal_start called with corrupted watcher", SIGUSR1);
  expect_abort (reinit_active_and_restart, NULL, msg);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    plain_test (ev_signal__several_watchers_of_one_signal_run_in_start_order),
    plain_test (ev_signal__signals_before_the_loop_looks_are_coalesced),
    plain_test (ev_signal__a_signal_wakes_the_blocked_loop_and_the_watcher_stays_active),
    plain_test (ev_signal__feed_signal_from_another_thread_wakes_the_loop),
    plain_test (ev_signal__feed_signal_from_another_thread_wakes_a_signalfd_loop),
    plain_test (ev_signal__feed_signal_from_a_signal_handler),
    plain_test (ev_signal__feed_signal_event_makes_the_watchers_pending_at_once),
    plain_test (ev_signal__another_loop_may_take_the_signal_after_the_last_stop),
    plain_test (ev_signal__last_stop_resets_the_disposition_to_default),
    plain_test (ev_signal__start_leaves_a_blocked_signal_blocked_by_default),
    plain_test (ev_signal__nosigmask_start_unblocks_the_signal),
    plain_test (ev_signal__signalfd_blocks_while_watched_and_unblocks_after),
    plain_test (ev_signal__signalfd_stop_unblocks_even_a_signal_blocked_before),
    plain_test (ev_signal__numbers_outside_1_to_64_are_usage_errors),
    plain_test (ev_signal__one_signal_in_two_loops_is_a_usage_error),
    plain_test (ev_signal__usage_error_messages_name_the_call_and_the_value),
    plain_test (ev_signal__reinitialising_an_active_watcher_is_a_usage_error),
  };
  return HARNESS_RUN ("ev_signal", tests);
}
