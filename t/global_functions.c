/* SPDX-License-Identifier: BSD-2-Clause */
/* t/global_functions.c - ev(3) "GLOBAL FUNCTIONS":
 * ev_time, ev_sleep, ev_version_major/minor, ev_supported/recommended/embeddable_backends,
 * ev_set_allocator, ev_set_syserr_cb.  (ev_feed_signal belongs to the ev_signal suite.) */
#define _GNU_SOURCE 1
#include "harness.h"
#include "refuse.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double
realtime (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void
global_functions__version_is_4_33 (void **state)
{
  (void)state;
  /* the ABI version of the library equals the header's: libev-ng is libev 4.33 */
  assert_int_equal (ev_version_major (), EV_VERSION_MAJOR);
  assert_int_equal (ev_version_minor (), EV_VERSION_MINOR);
  assert_int_equal (ev_version_major (), 4);
  assert_int_equal (ev_version_minor (), 33);
}

static void
global_functions__backend_sets (void **state)
{
  (void)state;
  unsigned supported = ev_supported_backends ();
  unsigned recommended = ev_recommended_backends ();
  unsigned embeddable = ev_embeddable_backends ();

  /* Linux: select, poll and epoll are compiled in and recommended, io_uring compiled in but
   * used only when asked for (as in libev 4.33, also its Linux AIO); the portable build (configure
   * --disable-linux-apis) has select and poll alone, both recommended */
  const unsigned portable = EVBACKEND_SELECT | EVBACKEND_POLL;
  const unsigned linux_set = portable | EVBACKEND_EPOLL;
#ifdef _WIN32
  /* Windows: select alone, as libev 4.33 built the documented Windows way (ev(3) WIN32) */
  assert_int_equal (supported, EVBACKEND_SELECT);
  assert_int_equal (recommended, EVBACKEND_SELECT);
  return;
#endif
  if (supported & EVBACKEND_EPOLL)
    {
      assert_int_equal (supported & linux_set, linux_set);
      assert_int_equal (recommended, supported & ~(unsigned)(EVBACKEND_IOURING | EVBACKEND_LINUXAIO));
    }
  else
    {
      assert_int_equal (supported, portable);
      assert_int_equal (recommended, portable);
    }
  /* "recommended" is a subset of "supported" (the manual: compiled in *and* recommended) */
  assert_int_equal (recommended & ~supported, 0);
  /* nothing outside the backend bits */
  assert_int_equal (supported & ~(unsigned)EVBACKEND_MASK, 0);
  /* kqueue, /dev/poll and ports do not exist on Linux */
  assert_int_equal (supported & (EVBACKEND_KQUEUE | EVBACKEND_DEVPOLL | EVBACKEND_PORT), 0);
  /* select and poll can never be embedded (the exact set: the next test) */
  assert_int_equal (embeddable & (EVBACKEND_SELECT | EVBACKEND_POLL), 0);
  /* global functions: the same answer every time, before or after loops exist */
  struct ev_loop *loop = test_loop_new ();
  assert_int_equal (ev_supported_backends (), supported);
  assert_int_equal (ev_recommended_backends (), recommended);
  assert_int_equal (ev_embeddable_backends (), embeddable);
  ev_loop_destroy (loop);
}

static void
global_functions__embeddable_backends_are_libevs_for_the_system (void **state)
{
  (void)state;
  /* libev 4.33 answers a fixed set, whether or not those backends are compiled in: kqueue,
   * ports and io_uring everywhere, and epoll (embeddable since Linux 2.6.32) on Linux alone:
   * 0xac on Linux, 0xa8 on every other system, which the portable build stands for */
  const unsigned everywhere = EVBACKEND_KQUEUE | EVBACKEND_PORT | EVBACKEND_IOURING;
  if (harness_linux_apis ())
    assert_int_equal (ev_embeddable_backends (), everywhere | EVBACKEND_EPOLL);
  else
    assert_int_equal (ev_embeddable_backends (), everywhere);
}

static void
global_functions__no_backend_flag_picks_epoll (void **state)
{
  (void)state;
  /* libev's preference order puts epoll before poll and select (epoll where the library has
   * it, else poll) */
  struct ev_loop *loop = ev_loop_new (EVFLAG_NOENV);
  assert_non_null (loop);
  assert_int_equal (ev_backend (loop), harness_linux_apis () ? EVBACKEND_EPOLL
#ifdef _WIN32
                                                             : EVBACKEND_SELECT); /* select alone there */
#else
                                                             : EVBACKEND_POLL);
#endif
  ev_loop_destroy (loop);
}

static void
global_functions__time_is_the_wall_clock (void **state)
{
  (void)state;
  double before = realtime ();
  double t = ev_time ();
  double after = realtime ();
  /* CLOCK_REALTIME in seconds, as a double */
  assert_true (t >= before - 0.001);
  assert_true (t <= after + 0.001);
  assert_true (t > 1.5e9);
}

static void
global_functions__sleep_sleeps (void **state)
{
  (void)state;
  double start = harness_monotonic ();
  ev_sleep (0.05);
  double slept = harness_monotonic () - start;
  /* "approximately - it might return a bit earlier" */
  assert_true (slept >= 0.045);
  assert_true (slept < harness_slack (2.0));
}

/* A delay below the system's sleep unit (Windows' Sleep counts milliseconds) still sleeps:
 * rounding it down to nothing would make a loop spin until its next timer. */
static void
global_functions__sleep_shorter_than_a_millisecond_sleeps (void **state)
{
  (void)state;
  double start = harness_monotonic ();
  for (int i = 0; i < 20; ++i)
    ev_sleep (0.0005);
  double slept = harness_monotonic () - start;
  assert_true (slept >= 0.009);
  assert_true (slept < harness_slack (2.0));
}

static void
global_functions__sleep_nonpositive_returns_at_once (void **state)
{
  (void)state;
  struct harness_mark start = harness_mark ();
  ev_sleep (0.);
  ev_sleep (-1.);
  ev_sleep (-1e9);
  assert_true (harness_elapsed_unloaded (start, harness_mark ()) < harness_slack (0.05));
}

/* ---- ev_set_allocator ------------------------------------------------------------------ */

static void
nop_io_cb (struct ev_loop *loop, ev_io *w, int revents)
{
  (void)loop, (void)w, (void)revents;
}

static void
nop_timer_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)loop, (void)w, (void)revents;
}

enum { MANY_TIMERS = 300 };

/* Creates a loop, makes its arrays grow (a few hundred timers, io on a pipe), runs it once
 * and tears everything down. */
static void
loop_lifecycle (void)
{
  static ev_timer timers[MANY_TIMERS];
  ev_io io;
  int p[2];
  struct ev_loop *loop = test_loop_new ();

  if (pipe (p))
    abort ();
  ev_io_init (&io, nop_io_cb, p[0], EV_READ);
  ev_io_start (loop, &io);
  for (int i = 0; i < MANY_TIMERS; ++i)
    {
      ev_timer_init (&timers[i], nop_timer_cb, 100. + i, 0.);
      ev_timer_start (loop, &timers[i]);
    }
  ev_run (loop, EVRUN_NOWAIT);
  for (int i = 0; i < MANY_TIMERS; ++i)
    ev_timer_stop (loop, &timers[i]);
  ev_io_stop (loop, &io);
  ev_loop_destroy (loop);
  close (p[0]);
  close (p[1]);
}

static void
global_functions__replaced_allocator_is_used_and_everything_freed (void **state)
{
  (void)state;
  struct harness_alloc_stats before, after;
  harness_alloc_stats (&before);
  loop_lifecycle ();
  harness_alloc_stats (&after);
  /* the library allocated through our allocator (loop, fd table, timer heap) ... */
  assert_true (after.calls - before.calls >= 2);
  /* ... and gave every block back through it */
  assert_true (after.frees > before.frees);
  assert_int_equal (after.live, before.live);
  assert_int_equal (after.failed, before.failed);
}

static void
fail_first_allocation (void *arg)
{
  (void)arg;
  harness_alloc_fail_at (1);
  ev_loop_new (test_backend | EVFLAG_NOENV);
}

static void
global_functions__allocation_failure_aborts_with_message (void **state)
{
  (void)state;
  /* no recovery path: "(libev) cannot allocate N bytes, aborting." and abort() */
  expect_abort (fail_first_allocation, NULL, "(libev) cannot allocate ");
  expect_abort (fail_first_allocation, NULL, " bytes, aborting.");
}

static long fail_nth;

static void
fail_nth_allocation (void *arg)
{
  (void)arg;
  harness_alloc_fail_at (fail_nth);
  loop_lifecycle ();
}

static void
global_functions__every_allocation_failure_aborts_cleanly (void **state)
{
  (void)state;
  /* Fail the 1st, 2nd, ... allocation until the whole lifecycle gets through.  Each failure
   * must end exactly as libev ends it (doc/semantics.md §20): the message and SIGABRT, never
   * a crash, a hang or a silently broken loop. */
  struct harness_child c;
  long n;
  for (n = 1; n <= 200; ++n)
    {
      fail_nth = n;
      harness_child_run (fail_nth_allocation, NULL, 10, &c);
      if (c.exited)
        break;
      if (!c.signaled || c.signo != SIGABRT || !strstr (c.err, "(libev) cannot allocate "))
        fail_msg ("failing allocation #%ld: %s %d, stderr: %s", n, c.signaled ? "signal" : "exit",
                  c.signaled ? c.signo : c.status, c.err);
      long bytes = 0;
      const char *m = strstr (c.err, "(libev) cannot allocate ");
      assert_int_equal (sscanf (m, "(libev) cannot allocate %ld bytes, aborting.", &bytes), 1);
      assert_true (bytes > 0);
    }
  /* the lifecycle allocates at least twice (loop + something), and eventually succeeds */
  assert_true (n > 2);
  assert_true (n <= 200);
  assert_int_equal (c.status, 0);
}

/* A server's day, as sniproxy's HTTP mode lives it: connections come and go, their numbers
 * reused at once, each with a read watcher that is re-armed (stop, ev_io_set, start) and a
 * timeout.  Once the loop's arrays have grown to the load, the loop calls the allocator no more:
 * not per connection, not per iteration, so that nothing it does changes the heap the program
 * allocates from.  libev 4.33 grows its arrays and never shrinks them either.  (Issue 48: the
 * allocator's cost in such a server follows the program's own order, not the library.) */
enum { CHURN_CONNS = 40, CHURN_ROUNDS = 20 };
struct churn_conn
{
  ev_io io;
  ev_timer timeout;
  int fd[2];
  int reads;
};
static struct churn_conn churn[CHURN_CONNS];
static int churn_closed;

static void
churn_read_cb (struct ev_loop *loop, ev_io *w, int revents)
{
  (void)revents;
  struct churn_conn *c = w->data;
  char b[8];
  if (read (c->fd[0], b, sizeof b) <= 0)
    abort ();
  if (++c->reads == 1)
    {
      /* the re-arm sniproxy makes after each read, and the peer's next message */
      ev_io_stop (loop, w);
      ev_io_set (w, c->fd[0], EV_READ);
      ev_io_start (loop, w);
      if (write (c->fd[1], "y", 1) != 1)
        abort ();
      return;
    }
  ev_io_stop (loop, w);
  ev_timer_stop (loop, &c->timeout);
  close (c->fd[0]);
  close (c->fd[1]);
  ++churn_closed;
}

static void
churn_round (struct ev_loop *loop)
{
  churn_closed = 0;
  for (int i = 0; i < CHURN_CONNS; ++i)
    {
      struct churn_conn *c = &churn[i];
      if (socketpair (AF_UNIX, SOCK_STREAM, 0, c->fd))
        abort ();
      c->reads = 0;
      ev_io_init (&c->io, churn_read_cb, c->fd[0], EV_READ);
      c->io.data = c;
      ev_io_start (loop, &c->io);
      ev_timer_init (&c->timeout, nop_timer_cb, 60., 0.);
      ev_timer_start (loop, &c->timeout);
      if (write (c->fd[1], "x", 1) != 1)
        abort ();
    }
  for (int n = 0; churn_closed < CHURN_CONNS; ++n)
    {
      assert_true (n < 100 * CHURN_CONNS);
      ev_run (loop, EVRUN_ONCE);
    }
}

static void
global_functions__allocator_is_not_called_once_arrays_reach_the_load (void **state)
{
  struct ev_loop *loop = *state;
  struct harness_alloc_stats before, after;
  churn_round (loop); /* the fd table, the change queue, the pending queue, the heap grow now */
  churn_round (loop);
  harness_alloc_stats (&before);
  for (int r = 0; r < CHURN_ROUNDS; ++r)
    churn_round (loop);
  harness_alloc_stats (&after);
  assert_int_equal (after.calls, before.calls);
  assert_int_equal (after.frees, before.frees);
}

/* ---- ev_set_syserr_cb ------------------------------------------------------------------ */

struct syserr_report
{
  int calls;
  double seconds;
  double seconds_unloaded; /* less the waits for a CPU (harness_elapsed_unloaded) */
  char msg[256];
};
static struct syserr_report *report;

static void
record_syserr (const char *msg) EV_NOEXCEPT
{
  ++report->calls;
  snprintf (report->msg, sizeof report->msg, "%s", msg);
  /* libev retries after the callback returns; the error would repeat forever */
  _exit (0);
}

/* Make the backend's next wait fail with an error libev cannot handle by itself: a seccomp
 * filter refuses the waiting system call (EPERM), as a sandbox would. */
static void
break_backend_and_run (int with_cb)
{
  static int p[2];
  static ev_io io;
  if (with_cb)
    ev_set_syserr_cb (record_syserr);
  if (pipe (p))
    abort ();

  struct ev_loop *loop = test_loop_new ();
  ev_io_init (&io, nop_io_cb, p[0], EV_READ);
  ev_io_start (loop, &io);
  ev_run (loop, EVRUN_NOWAIT); /* the fd is now registered */

  if (refuse_backend_wait (test_backend, EPERM) < 0)
    _exit (4);
  if (test_backend == EVBACKEND_IOURING)
    {
      /* a non-blocking poll with nothing to submit makes no system call: give it something */
      static ev_io io2;
      ev_io_init (&io2, nop_io_cb, p[1], EV_WRITE);
      ev_io_start (loop, &io2);
    }
  ev_run (loop, EVRUN_NOWAIT);
  _exit (3); /* not reached if libev called the syserr callback or aborted */
}

static void
run_with_syserr_cb (void *arg)
{
  (void)arg;
  break_backend_and_run (1);
}

static void
run_without_syserr_cb (void *arg)
{
  (void)arg;
  break_backend_and_run (0);
}

static const char *
backend_syscall (void)
{
  return test_backend == EVBACKEND_EPOLL     ? "(libev) epoll_wait"
         : test_backend == EVBACKEND_IOURING ? "(libev) io_uring_enter"
         : test_backend == EVBACKEND_SELECT  ? "(libev) select"
                                             : "(libev) poll";
}

/* libev 4.33's io_uring backend asserts on its own timerfd first. */
static int
cannot_break_backend (void)
{
  return test_backend == EVBACKEND_IOURING && harness_is_real_libev ();
}

static void
global_functions__syserr_cb_gets_the_failing_call (void **state)
{
  (void)state;
  if (cannot_break_backend ())
    skip ();
  report = harness_shared_new (sizeof *report);
  struct harness_child c;
  harness_child_run (run_with_syserr_cb, NULL, 10, &c);
  struct syserr_report r = *report;
  harness_shared_free (report, sizeof *report);
  if (!c.exited || c.status != 0)
    fail_msg ("child ended with %s %d, stderr: %s", c.exited ? "status" : "signal",
              c.exited ? c.status : c.signo, c.err);
  assert_int_equal (r.calls, 1);
  assert_string_equal (r.msg, backend_syscall ());
}

static void
global_functions__syserr_default_prints_and_aborts (void **state)
{
  (void)state;
  if (cannot_break_backend ())
    skip ();
  /* the default is perror (msg) and abort () */
  expect_abort (run_without_syserr_cb, NULL, backend_syscall ());
}

static void
count_syserr (const char *msg) EV_NOEXCEPT
{
  (void)msg;
  ++report->calls;
}

static void
timer_break_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)w, (void)revents;
  ev_break (loop, EVBREAK_ALL);
}

/* A refused wait, a syserr callback that returns, and a timer 0.3 s away: the loop must
 * neither spin (libev-ng waits the time the wait would have taken) nor lose the timer. */
static void
refused_wait_with_returning_cb (void *arg)
{
  (void)arg;
  static int p[2];
  static ev_io io;
  static ev_timer t;
  ev_set_syserr_cb (count_syserr);
  if (pipe (p))
    abort ();
  struct ev_loop *loop = test_loop_new ();
  ev_io_init (&io, nop_io_cb, p[0], EV_READ);
  ev_io_start (loop, &io);
  ev_run (loop, EVRUN_NOWAIT);
  if (refuse_backend_wait (test_backend, EPERM) < 0)
    _exit (4);
  ev_timer_init (&t, timer_break_cb, 0.3, 0.);
  ev_timer_start (loop, &t);
  struct harness_mark start = harness_mark ();
  ev_run (loop, 0);
  struct harness_mark end = harness_mark ();
  report->seconds = end.at - start.at;
  report->seconds_unloaded = harness_elapsed_unloaded (start, end);
  _exit (0);
}

/* libev-ng divergence: libev 4.33 calls the callback again at once, in a busy loop. */
static void
global_functions__returning_syserr_cb_does_not_make_the_loop_spin (void **state)
{
  (void)state;
  skip_on_real_libev ();
  report = harness_shared_new (sizeof *report);
  struct harness_child c;
  harness_child_run (refused_wait_with_returning_cb, NULL, 10, &c);
  struct syserr_report r = *report;
  harness_shared_free (report, sizeof *report);
  if (!c.exited || c.status != 0)
    fail_msg ("child ended with %s %d, stderr: %s", c.exited ? "status" : "signal",
              c.exited ? c.status : c.signo, c.err);
  assert_true (r.calls >= 1);
  assert_true (r.calls <= 5);
  assert_true (r.seconds >= 0.25 && r.seconds_unloaded < harness_slack (2.));
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    plain_test (global_functions__version_is_4_33),
    plain_test (global_functions__backend_sets),
    plain_test (global_functions__embeddable_backends_are_libevs_for_the_system),
    plain_test (global_functions__no_backend_flag_picks_epoll),
    plain_test (global_functions__time_is_the_wall_clock),
    plain_test (global_functions__sleep_sleeps),
    plain_test (global_functions__sleep_shorter_than_a_millisecond_sleeps),
    plain_test (global_functions__sleep_nonpositive_returns_at_once),
    plain_test (global_functions__replaced_allocator_is_used_and_everything_freed),
    plain_test (global_functions__allocation_failure_aborts_with_message),
    plain_test (global_functions__every_allocation_failure_aborts_cleanly),
    loop_test (global_functions__allocator_is_not_called_once_arrays_reach_the_load),
    plain_test (global_functions__syserr_cb_gets_the_failing_call),
    plain_test (global_functions__syserr_default_prints_and_aborts),
    plain_test (global_functions__returning_syserr_cb_does_not_make_the_loop_spin),
  };
  return HARNESS_RUN ("global_functions", tests);
}
