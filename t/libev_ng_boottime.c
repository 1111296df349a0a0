/* SPDX-License-Identifier: BSD-2-Clause */
/* t/libev_ng_boottime.c - ev(3) "Timers that count a suspend" (LIBEV-NG EXTENSIONS,
 * EVFLAG_NG_BOOTTIME), on every backend.  libev-ng only.
 *
 * The machine cannot suspend, so the tests simulate one: the library's readings of
 * CLOCK_BOOTTIME come here (this definition of clock_gettime takes the place of the C
 * library's for the whole process) and run ahead of the real clock by `suspended` seconds,
 * as CLOCK_BOOTTIME runs ahead of CLOCK_MONOTONIC after a real suspend.  The scale is
 * shrunk so that a test takes well under a second: a 0.6 s suspend and a 0.9 s timer stand
 * for a 60 s suspend and a 90 s timer (BOOTTIME_TEST_SCALE=100 runs that one in real time).
 * One test runs on the real clock, unchanged, to show that the kernel's CLOCK_BOOTTIME is
 * the one the library measures.
 *
 * "Never early" is checked in the library's own terms: the loop's monotonic time at the
 * callback (ev_monotonic_now), plus the time suspended since the start, is at least the
 * loop's monotonic time at the start plus the timer's delay. */
#define _GNU_SOURCE 1
#include "harness.h"
#include "time64.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

/* ---- the simulated suspend ------------------------------------------------------------ */

/* nanoseconds CLOCK_BOOTTIME is ahead of the real one; a thread may add to it */
static long long suspended_ns;
static long boottime_reads;

static int
real_clock_gettime (clockid_t id, struct timespec *ts)
{
  static int (*real) (clockid_t, struct timespec *);
  if (!real)
    real = (int (*) (clockid_t, struct timespec *))dlsym (RTLD_NEXT, LIBC_T64 ("clock_gettime", "__clock_gettime64"));
  return real (id, ts);
}

int
clock_gettime (clockid_t id, struct timespec *ts)
{
  int result = real_clock_gettime (id, ts);
  if (id == CLOCK_BOOTTIME && result == 0)
    {
      __atomic_add_fetch (&boottime_reads, 1, __ATOMIC_RELAXED);
      long long ns = (long long)ts->tv_nsec + __atomic_load_n (&suspended_ns, __ATOMIC_RELAXED);
      ts->tv_sec += (time_t)(ns / 1000000000LL);
      ts->tv_nsec = (long)(ns % 1000000000LL);
    }
  return result;
}

static void
simulate_suspend (double seconds)
{
  __atomic_add_fetch (&suspended_ns, (long long)(seconds * 1e9), __ATOMIC_RELAXED);
}

static double
suspended (void)
{
  return (double)__atomic_load_n (&suspended_ns, __ATOMIC_RELAXED) * 1e-9;
}

static struct ev_loop *
boottime_loop_new (void)
{
  __atomic_store_n (&suspended_ns, 0, __ATOMIC_RELAXED);
  struct ev_loop *loop = ev_loop_new (test_backend | EVFLAG_NOENV | EVFLAG_NG_BOOTTIME);
  assert_non_null (loop);
  assert_int_equal (ev_backend (loop), test_backend);
  return loop;
}

/* A timer that notes the loop's times when it fires, and stops. */
struct noted_timer
{
  ev_timer w;
  const char *name;
  ev_tstamp mn_at_start; /* ev_monotonic_now at the start, suspended time added */
  ev_tstamp mn_fired;    /* ... at the callback */
  ev_tstamp now_fired;   /* ev_now at the callback */
  struct harness_mark fired;
  int count;
};

static void
noted_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)revents;
  struct noted_timer *t = (struct noted_timer *)w;
  t->mn_fired = ev_monotonic_now (loop) + suspended ();
  t->now_fired = ev_now (loop);
  t->fired = harness_mark ();
  ++t->count;
  trace_add ("%s", t->name);
  ev_timer_stop (loop, w);
}

static void
noted_init (struct noted_timer *t, const char *name, double after, double repeat)
{
  ev_timer_init (&t->w, noted_cb, after, repeat);
  t->name = name;
  t->count = 0;
}

static void
noted_start (struct ev_loop *loop, struct noted_timer *t)
{
  t->mn_at_start = ev_monotonic_now (loop) + suspended ();
  ev_timer_start (loop, &t->w);
}

/* fired once, and not before its delay had passed on the simulated boottime clock */
static void
assert_never_early (const struct noted_timer *t, double after)
{
  if (t->count != 1)
    fail_msg ("timer %s fired %d times", t->name, t->count);
  if (t->mn_fired < t->mn_at_start + after - 1e-9)
    fail_msg ("timer %s of %.3f s fired %.6f s early on the boottime clock", t->name, after,
              t->mn_at_start + after - t->mn_fired);
}

/* ---- the tests ------------------------------------------------------------------------- */

static void
nop_timer_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)loop, (void)w, (void)revents;
}

static struct noted_timer suspend_at;
static double suspend_for;

static void
suspend_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  simulate_suspend (suspend_for);
  noted_cb (loop, w, revents);
}

static void
trace_periodic_cb (struct ev_loop *loop, ev_periodic *w, int revents)
{
  (void)loop, (void)revents;
  trace_add ("%s", (const char *)w->data);
}

/* The trace of the issue: a 90 s timer, a 60 s suspend 2 s after its start (scaled by
 * 1/100): it fires 30 s after its start on the monotonic clock, 28 s after the resume,
 * where it would fire 88 s after it without the flag.  A periodic 50 s after the start
 * fires after the timer: periodics and ev_now () do not count the suspend. */
static void
timers_that_count_a_suspend__a_timer_fires_the_suspended_time_sooner (void **state)
{
  (void)state;
  skip_without_linux_apis (); /* no CLOCK_BOOTTIME there: the flag is ignored (ev(3)) */
  const char *scale_env = getenv ("BOOTTIME_TEST_SCALE");
  double scale = scale_env ? atof (scale_env) : 1.;
  double after = 0.9 * scale, sleep = 0.6 * scale, at = 0.02 * scale, wall = 0.5 * scale;
  struct ev_loop *loop = boottime_loop_new ();
  struct noted_timer t;
  ev_periodic p;
  noted_init (&t, "t", after, 0.);
  noted_init (&suspend_at, "suspend", at, 0.);
  ev_set_cb (&suspend_at.w, suspend_cb);
  suspend_for = sleep;
  ev_now_update (loop);
  ev_tstamp now0 = ev_now (loop);
  struct harness_mark start = harness_mark ();
  noted_start (loop, &t);
  noted_start (loop, &suspend_at);
  ev_periodic_init (&p, trace_periodic_cb, now0 + wall, 0., 0);
  p.data = "periodic";
  ev_periodic_start (loop, &p);
  ev_run (loop, 0);
  printf ("[%s] a %.3f s timer, a %.3f s suspend simulated %.3f s after its start: fired %.3f s after "
          "the start, %.3f s after the resume (ev_now () +%.3f s)\n",
          test_backend_name, after, sleep, suspend_at.fired.at - start.at, t.fired.at - start.at,
          t.fired.at - suspend_at.fired.at, t.now_fired - now0);
  expect_trace ("suspend,t,periodic");
  assert_never_early (&t, after);
  /* ev_now () stays the monotonic clock's: it did not jump by the suspend */
  if (t.now_fired - now0 > after - sleep + (wall - (after - sleep)) / 2)
    fail_msg ("ev_now () moved %.3f s by the timer's callback", t.now_fired - now0);
  ev_loop_destroy (loop);
}

static void *
suspend_soon (void *arg)
{
  (void)arg;
  usleep (50000);
  simulate_suspend (1.3);
  return NULL;
}

/* A suspend while the loop waits in the kernel, which wakes nobody: the kernel's wait does
 * not count a suspend either, so the loop wakes within a second to look.  The 1.6 s timer
 * is due 0.3 s after its start once the 1.3 s suspend is counted, and fires at the loop's
 * next wake-up, 1 s after the start (1.6 s without the flag). */
static void
timers_that_count_a_suspend__a_suspend_while_the_loop_blocks_is_noticed_within_a_second (void **state)
{
  (void)state;
  skip_without_linux_apis (); /* no CLOCK_BOOTTIME there: the flag is ignored (ev(3)) */
  for (int attempt = 1;; ++attempt)
    {
      struct ev_loop *loop = boottime_loop_new ();
      struct noted_timer t;
      noted_init (&t, "t", 1.6, 0.);
      ev_now_update (loop);
      struct harness_mark start = harness_mark ();
      noted_start (loop, &t);
      pthread_t thread;
      assert_int_equal (pthread_create (&thread, NULL, suspend_soon, NULL), 0);
      ev_run (loop, 0);
      pthread_join (thread, NULL);
      ev_loop_destroy (loop);
      expect_trace ("t");
      assert_never_early (&t, 1.6);
      double took = harness_elapsed_unloaded (start, t.fired);
      if (took < 1. + harness_slack (0.25))
        {
          harness_counted (attempt);
          break;
        }
      harness_retry (attempt, "the 1.6 s timer fired %.3f s after its start, 1.3 s of it suspended", took);
    }
}

static void
timers_that_count_a_suspend__ev_timer_remaining_counts_the_suspend (void **state)
{
  (void)state;
  skip_without_linux_apis (); /* no CLOCK_BOOTTIME there: the flag is ignored (ev(3)) */
  struct ev_loop *loop = boottime_loop_new ();
  ev_timer t;
  ev_timer_init (&t, nop_timer_cb, 0.9, 0.);
  ev_timer_start (loop, &t);
  assert_true (ev_timer_remaining (loop, &t) > 0.9 - 1e-9);
  simulate_suspend (0.6);
  /* the loop time has not moved: what remains is the 0.3 s the suspend left */
  double left = ev_timer_remaining (loop, &t);
  if (left < 0.3 - 1e-9 || left > 0.3 + 1e-3)
    fail_msg ("%.6f s remain of a 0.9 s timer after a 0.6 s suspend", left);
  ev_timer_stop (loop, &t);
  ev_loop_destroy (loop);
}

/* What a suspend before its start does not count: a timer started, or restarted by
 * ev_timer_again, after the suspend, counts from then.  The loop learns of the suspend only
 * at its next clock update, after the starts. */
static void
timers_that_count_a_suspend__a_timer_started_after_a_suspend_does_not_count_it (void **state)
{
  (void)state;
  skip_without_linux_apis (); /* no CLOCK_BOOTTIME there: the flag is ignored (ev(3)) */
  struct ev_loop *loop = boottime_loop_new ();
  struct noted_timer before, started, again_new, again_active;
  noted_init (&before, "before", 0.9, 0.);
  noted_init (&started, "started", 0.2, 0.);
  noted_init (&again_new, "again_new", 0., 0.25);
  noted_init (&again_active, "again_active", 0.9, 0.4);
  ev_now_update (loop);
  noted_start (loop, &before);
  noted_start (loop, &again_active);
  simulate_suspend (0.6);
  noted_start (loop, &started);
  again_new.mn_at_start = ev_monotonic_now (loop) + suspended ();
  ev_timer_again (loop, &again_new.w);
  again_active.mn_at_start = ev_monotonic_now (loop) + suspended ();
  ev_timer_again (loop, &again_active.w);
  ev_run (loop, 0);
  /* before: 0.3 s after the start once the suspend is counted; the others from their starts */
  expect_trace ("started,again_new,before,again_active");
  assert_never_early (&started, 0.2);
  assert_never_early (&again_new, 0.25);
  assert_never_early (&again_active, 0.4);
  assert_never_early (&before, 0.9);
  ev_loop_destroy (loop);
}

/* LIBEV_FLAGS is a number: the backend's bit plus 262144 (0x40000) turns the flag on for a
 * program that does not know of it. */
static void
timers_that_count_a_suspend__libev_flags_turns_it_on_for_an_unmodified_program (void **state)
{
  (void)state;
  skip_without_linux_apis (); /* no CLOCK_BOOTTIME there: the flag is ignored (ev(3)) */
  char flags[32];
  snprintf (flags, sizeof flags, "%u", test_backend | 262144u);
  assert_int_equal (setenv ("LIBEV_FLAGS", flags, 1), 0);
  __atomic_store_n (&suspended_ns, 0, __ATOMIC_RELAXED);
  struct ev_loop *loop = ev_loop_new (0);
  unsetenv ("LIBEV_FLAGS");
  assert_non_null (loop);
  assert_int_equal (ev_backend (loop), test_backend);
  ev_timer t;
  ev_timer_init (&t, nop_timer_cb, 0.9, 0.);
  ev_timer_start (loop, &t);
  simulate_suspend (0.6);
  double left = ev_timer_remaining (loop, &t);
  if (left < 0.3 - 1e-9 || left > 0.3 + 1e-3)
    fail_msg ("LIBEV_FLAGS=%s: %.6f s remain of a 0.9 s timer after a 0.6 s suspend", flags, left);
  ev_timer_stop (loop, &t);
  ev_loop_destroy (loop);
}

/* Without a simulated suspend, on the kernel's own CLOCK_BOOTTIME: the library reads it, and
 * timers fire on time, never early on it. */
static void
timers_that_count_a_suspend__timers_fire_on_time_on_the_real_boottime_clock (void **state)
{
  (void)state;
  skip_without_linux_apis (); /* no CLOCK_BOOTTIME there: the flag is ignored (ev(3)) */
  for (int attempt = 1;; ++attempt)
    {
      struct ev_loop *loop = boottime_loop_new ();
      long reads = __atomic_load_n (&boottime_reads, __ATOMIC_RELAXED);
      struct noted_timer a, b;
      noted_init (&a, "a", 0.05, 0.);
      noted_init (&b, "b", 0.1, 0.);
      /* Read before the update the timers count from: read after it, a thread preempted
       * between the two (valgrind on a busy machine: 16 ms) saw a timer "early". */
      struct timespec boot0, boot1;
      real_clock_gettime (CLOCK_BOOTTIME, &boot0);
      ev_now_update (loop);
      struct harness_mark start = harness_mark ();
      noted_start (loop, &a);
      noted_start (loop, &b);
      ev_run (loop, 0);
      real_clock_gettime (CLOCK_BOOTTIME, &boot1);
      ev_loop_destroy (loop);
      expect_trace ("a,b");
      assert_never_early (&a, 0.05);
      assert_never_early (&b, 0.1);
      double boot = (double)(boot1.tv_sec - boot0.tv_sec) + (double)(boot1.tv_nsec - boot0.tv_nsec) * 1e-9;
      if (boot < 0.1)
        fail_msg ("the 0.1 s timer fired after %.6f s of CLOCK_BOOTTIME", boot);
      if (__atomic_load_n (&boottime_reads, __ATOMIC_RELAXED) == reads)
        fail_msg ("the loop never read CLOCK_BOOTTIME");
      double late = harness_elapsed_unloaded (start, b.fired) - 0.1;
      if (late < harness_slack (0.02))
        {
          harness_counted (attempt);
          break;
        }
      harness_retry (attempt, "the 0.1 s timer fired %.6f s late", late);
    }
}

/* Every loop of the process counts a suspend, however many have the flag: an earlier libev-ng
 * kept each loop's offset in a table of 255, and a loop made while 255 had the flag ignored
 * it.  300 loops on poll, which needs no kernel object per loop. */
enum { MANY_LOOPS = 300 };

static void
timers_that_count_a_suspend__every_loop_of_the_process_counts_it (void **state)
{
  (void)state;
  skip_without_linux_apis (); /* no CLOCK_BOOTTIME there: the flag is ignored (ev(3)) */
  if (test_backend != EVBACKEND_POLL)
    skip (); /* once is enough: the flag does not depend on the backend */
  __atomic_store_n (&suspended_ns, 0, __ATOMIC_RELAXED);
  static struct ev_loop *loops[MANY_LOOPS];
  static ev_timer timers[MANY_LOOPS];
  for (int i = 0; i < MANY_LOOPS; ++i)
    {
      loops[i] = ev_loop_new (EVBACKEND_POLL | EVFLAG_NOENV | EVFLAG_NG_BOOTTIME);
      assert_non_null (loops[i]);
      ev_timer_init (&timers[i], nop_timer_cb, 0.9, 0.);
      ev_timer_start (loops[i], &timers[i]);
    }
  simulate_suspend (0.6);
  int counted = 0;
  for (int i = 0; i < MANY_LOOPS; ++i)
    {
      double left = ev_timer_remaining (loops[i], &timers[i]);
      counted += left > 0.3 - 1e-9 && left < 0.3 + 1e-3;
    }
  for (int i = 0; i < MANY_LOOPS; ++i)
    {
      ev_timer_stop (loops[i], &timers[i]);
      ev_loop_destroy (loops[i]);
    }
  if (counted != MANY_LOOPS)
    fail_msg ("%d of %d loops with EVFLAG_NG_BOOTTIME counted a 0.6 s suspend", counted, MANY_LOOPS);
}

static int wait_pipe[2];
static double wait_began;
static int io_fired, long_empty_waits;

static void *
write_late (void *arg)
{
  (void)arg;
  usleep (1300000);
  if (write (wait_pipe[1], "x", 1) != 1)
    abort ();
  return NULL;
}

static void
break_io_cb (struct ev_loop *loop, ev_io *w, int revents)
{
  (void)w, (void)revents;
  io_fired = 1;
  ev_break (loop, EVBREAK_ALL);
}

static void
wait_begins_cb (struct ev_loop *loop, ev_prepare *w, int revents)
{
  (void)loop, (void)w, (void)revents;
  wait_began = ev_time ();
  io_fired = 0;
}

/* At EV_MINPRI, after the io watcher of the same iteration. */
static void
wait_ended_cb (struct ev_loop *loop, ev_check *w, int revents)
{
  (void)loop, (void)w, (void)revents;
  if (!io_fired && ev_time () - wait_began >= 0.5)
    ++long_empty_waits;
}

/* A loop with the flag and no timers has nothing a suspend could make due, so it waits for its
 * events as long as a loop without the flag: for an event 1.3 s away no wait ends empty after
 * half a second or more, where an earlier libev-ng woke after a second to look at the clock.
 * (A wait may end early and empty, as for a signal.) */
static void
timers_that_count_a_suspend__a_loop_without_timers_waits_without_waking (void **state)
{
  (void)state;
  skip_without_linux_apis (); /* no CLOCK_BOOTTIME there: the flag is ignored (ev(3)) */
  skip_where_valgrind_holds_wakeups (); /* the writing thread would wait for the loop's wait */
  struct ev_loop *loop = boottime_loop_new ();
  assert_int_equal (pipe (wait_pipe), 0);
  ev_io w;
  ev_io_init (&w, break_io_cb, wait_pipe[0], EV_READ);
  ev_io_start (loop, &w);
  ev_prepare before;
  ev_prepare_init (&before, wait_begins_cb);
  ev_prepare_start (loop, &before);
  ev_check after;
  ev_check_init (&after, wait_ended_cb);
  ev_set_priority (&after, EV_MINPRI);
  ev_check_start (loop, &after);
  long_empty_waits = 0;
  pthread_t thread;
  assert_int_equal (pthread_create (&thread, NULL, write_late, NULL), 0);
  ev_run (loop, 0);
  pthread_join (thread, NULL);
  ev_check_stop (loop, &after);
  ev_prepare_stop (loop, &before);
  ev_io_stop (loop, &w);
  ev_loop_destroy (loop);
  close (wait_pipe[0]);
  close (wait_pipe[1]);
  if (long_empty_waits)
    fail_msg ("%d waits ended without an event after half a second or more, for an event 1.3 s away",
              long_empty_waits);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    plain_test (timers_that_count_a_suspend__a_timer_fires_the_suspended_time_sooner),
    plain_test (timers_that_count_a_suspend__a_suspend_while_the_loop_blocks_is_noticed_within_a_second),
    plain_test (timers_that_count_a_suspend__ev_timer_remaining_counts_the_suspend),
    plain_test (timers_that_count_a_suspend__a_timer_started_after_a_suspend_does_not_count_it),
    plain_test (timers_that_count_a_suspend__libev_flags_turns_it_on_for_an_unmodified_program),
    plain_test (timers_that_count_a_suspend__timers_fire_on_time_on_the_real_boottime_clock),
    plain_test (timers_that_count_a_suspend__every_loop_of_the_process_counts_it),
    plain_test (timers_that_count_a_suspend__a_loop_without_timers_waits_without_waking),
  };
  return HARNESS_RUN ("libev_ng_boottime", tests);
}
