/* SPDX-License-Identifier: BSD-2-Clause */
/* t/libev_ng_extensions.c - ev(3) "LIBEV-NG EXTENSIONS": what each opt-in extension does, on
 * every backend, and that a loop that does not ask for it behaves as libev 4.33 does.
 * libev-ng only (the real libev has none of these), so not part of t/system-libev.sh.
 *
 * Timing tests compare medians, not means, with bounds well away from what they separate
 * (a millisecond-granular wait against a sub-millisecond one), and skip under valgrind. */
#define _GNU_SOURCE 1
#define EV_WALK_ENABLE 1 /* ev_walk and ev_dump are declared on request */
#include "config.h" /* EV_NG_SMALL */
#include "harness.h"
#include "proc_status.h"
#include "refuse.h"

#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <math.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

TRACE_REVENTS_CB (io)

static double
thread_cpu_seconds (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int
compare_doubles (const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* ---- EVFLAG_NG_PRECISE_TIMERS ----------------------------------------------------------- */

static double timer_fired_at;
static struct harness_mark timer_fired;

static void
note_firing_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)loop, (void)w, (void)revents;
  timer_fired = harness_mark ();
  timer_fired_at = timer_fired.at;
}

/* The median lateness of n one-shot timers of `after` seconds, each started with a fresh loop
 * time and measured from the moment it was started.  The start is read before the loop's clock:
 * the timer is due `after` past the loop's reading, so "never early" holds exactly even when the
 * test is preempted between the two readings (read the other way round, a preemption there made
 * a timer that fired on time look early).  With `beyond_cpu_wait`, what the timer's callback
 * came later than the wait for a CPU in between explains: the backend's part of the lateness
 * (a loaded machine wakes the thread late, but it does not make a loop ask for a longer wait). */
static double
median_lateness (struct ev_loop *loop, double after, int n, int beyond_cpu_wait)
{
  double late[64];
  assert_true (n <= 64);
  for (int i = 0; i < n; ++i)
    {
      ev_timer t;
      ev_timer_init (&t, note_firing_cb, after, 0.);
      struct harness_mark start = harness_mark ();
      ev_now_update (loop);
      ev_timer_start (loop, &t);
      timer_fired_at = 0.;
      while (timer_fired_at == 0.)
        ev_run (loop, EVRUN_ONCE);
      late[i] = timer_fired_at - start.at - after;
      assert_true (late[i] >= -1e-6); /* never early */
      if (beyond_cpu_wait)
        late[i] -= timer_fired.waited - start.waited;
    }
  qsort (late, (size_t)n, sizeof late[0], compare_doubles);
  return late[n / 2];
}

static struct ev_loop *
flagged_loop_new (unsigned int flags)
{
  struct ev_loop *loop = ev_loop_new (test_backend | EVFLAG_NOENV | flags);
  assert_non_null (loop);
  assert_int_equal (ev_backend (loop), test_backend);
  return loop;
}

/* A 100 us timer fires well within a millisecond on every backend: epoll and poll wait with
 * epoll_pwait2 and ppoll (nanoseconds) instead of epoll_wait and poll (milliseconds).  (The
 * lateness is taken beyond the thread's waits for a CPU: a loaded machine's, not the loop's.) */
static void
extensions__precise_timers_fire_within_a_fraction_of_a_millisecond (void **state)
{
  (void)state;
  if (harness_under_valgrind ())
    skip ();
  if (test_backend == EVBACKEND_POLL && !harness_linux_apis ())
    skip (); /* the portable build has no ppoll: poll waits whole milliseconds there */
  struct ev_loop *loop = flagged_loop_new (EVFLAG_NG_PRECISE_TIMERS);
  double median = median_lateness (loop, 100e-6, 41, 1);
  ev_loop_destroy (loop);
  if (median >= 500e-6)
    fail_msg ("median lateness of a 100 us timer: %.0f us (want < 500)", median * 1e6);
}

/* Without the flag, epoll and poll wait whole milliseconds, as libev 4.33 does (a loop that
 * does not ask for an extension behaves as libev).  (A lower bound: load only adds to it.) */
static void
extensions__without_precise_timers_epoll_and_poll_round_up_to_a_millisecond (void **state)
{
  (void)state;
  if (harness_under_valgrind ())
    skip ();
  if (test_backend != EVBACKEND_EPOLL && test_backend != EVBACKEND_POLL)
    skip (); /* select and io_uring wait in microseconds or finer anyway */
  struct ev_loop *loop = flagged_loop_new (0);
  double median = median_lateness (loop, 100e-6, 21, 0);
  ev_loop_destroy (loop);
  if (median < 800e-6)
    fail_msg ("median lateness of a 100 us timer: %.0f us (want >= 800, a whole millisecond's wait)",
              median * 1e6);
}

/* A sleeping loop does not spin: waiting 0.3 s for a timer costs next to no CPU. */
static void
extensions__precise_timers_sleep_without_spinning (void **state)
{
  (void)state;
  struct ev_loop *loop = flagged_loop_new (EVFLAG_NG_PRECISE_TIMERS);
  ev_timer t;
  ev_timer_init (&t, note_firing_cb, 0.3, 0.);
  ev_timer_start (loop, &t);
  timer_fired_at = 0.;
  double cpu = thread_cpu_seconds ();
  unsigned iterations = ev_iteration (loop);
  while (timer_fired_at == 0.)
    ev_run (loop, EVRUN_ONCE);
  cpu = thread_cpu_seconds () - cpu;
  iterations = ev_iteration (loop) - iterations;
  ev_verify (loop);
  ev_loop_destroy (loop);
  assert_true (iterations <= 3);
  if (cpu > harness_slack (0.02))
    fail_msg ("%.3f s of CPU for 0.3 s of sleep", cpu);
}

/* Where the kernel (or a sandbox) refuses epoll_pwait2, the loop goes on with epoll_wait: the
 * timers still fire, a millisecond late, and nothing spins. */
static void
refused_pwait2_child (void *arg)
{
  (void)arg;
#ifdef SYS_epoll_pwait2
  const long nrs[] = { SYS_epoll_pwait2 };
  if (refuse_syscalls (nrs, 1, ENOSYS) < 0)
    _exit (77);
#endif
  struct ev_loop *loop = ev_loop_new (EVBACKEND_EPOLL | EVFLAG_NOENV | EVFLAG_NG_PRECISE_TIMERS);
  if (!loop)
    _exit (2);
  double cpu = thread_cpu_seconds ();
  for (int i = 0; i < 20; ++i)
    {
      ev_timer t;
      ev_timer_init (&t, note_firing_cb, 100e-6, 0.);
      double start = harness_monotonic ();
      ev_now_update (loop);
      ev_timer_start (loop, &t);
      timer_fired_at = 0.;
      unsigned before = ev_iteration (loop);
      while (timer_fired_at == 0.)
        ev_run (loop, EVRUN_ONCE);
      if (timer_fired_at - start < 100e-6)
        _exit (3); /* early */
      if (ev_iteration (loop) - before > 3)
        _exit (4); /* spinning */
    }
  if (thread_cpu_seconds () - cpu > 0.1)
    _exit (5);
  ev_loop_destroy (loop);
  _exit (0);
}

static void
extensions__precise_timers_fall_back_when_epoll_pwait2_is_refused (void **state)
{
  (void)state;
  if (test_backend != EVBACKEND_EPOLL)
    skip ();
  struct harness_child c;
  harness_child_run (refused_pwait2_child, NULL, 30, &c);
  if (c.exited && c.status == 77)
    skip ();
  if (!c.exited || c.status != 0)
    fail_msg ("child: %s %d\n%s", c.exited ? "status" : "signal", c.exited ? c.status : c.signo, c.err);
}

/* ---- EVFLAG_NG_NEVER_EARLY --------------------------------------------------------------- */

/* A slow callback (50 ms), then, in a later callback of the same iteration, a 20 ms timer is
 * started (or an active repeating one restarted with ev_timer_again).  libev measures from the
 * loop time, taken before the slow callback: the timer is due at once, and fires in the next
 * iteration.  With EVFLAG_NG_NEVER_EARLY it is due, and fires, 20 ms after it was started. */
struct slow_then_start
{
  int again;             /* restart with ev_timer_again instead of starting */
  ev_timer timer;
  double started_at;
  double due_at;         /* the timer's deadline (its `at`, monotonic) right after the start */
  unsigned started_in;   /* ev_iteration () at the start, and when it fired */
  unsigned fired_in;
  double fired_at;
};

static void
slow_cb (struct ev_loop *loop, ev_idle *w, int revents)
{
  (void)revents;
  ev_idle_stop (loop, w);
  double until = harness_monotonic () + 0.05;
  while (harness_monotonic () < until)
    ;
}

static void
fired_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)revents;
  struct slow_then_start *s = w->data;
  s->fired_at = harness_monotonic ();
  s->fired_in = ev_iteration (loop);
  ev_timer_stop (loop, w);
}

static void
start_after_slow_cb (struct ev_loop *loop, ev_idle *w, int revents)
{
  (void)revents;
  struct slow_then_start *s = w->data;
  ev_idle_stop (loop, w);
  s->started_at = harness_monotonic ();
  s->started_in = ev_iteration (loop);
  if (s->again)
    ev_timer_again (loop, &s->timer);
  else
    ev_timer_start (loop, &s->timer);
  s->due_at = s->timer.at;
}

/* The start (or restart), the timer's deadline and its callback. */
static struct slow_then_start
slow_then_start (unsigned int flags, int again)
{
  struct ev_loop *loop = flagged_loop_new (flags);
  struct slow_then_start s = { again, { 0 }, 0., 0., 0, 0, 0. };
  ev_idle slow, starter;
  /* (to be restarted, it is started far off: due before the restart, on a loaded machine or
   * under valgrind, it would fire first and leave nothing to restart) */
  ev_timer_init (&s.timer, fired_cb, again ? 10. : 0.02, again ? 0.02 : 0.);
  s.timer.data = &s;
  if (again)
    ev_timer_start (loop, &s.timer); /* active: ev_timer_again restarts it */
  /* idle watchers of one priority run in reverse start order: slow first, then the starter */
  ev_idle_init (&starter, start_after_slow_cb);
  starter.data = &s;
  ev_idle_start (loop, &starter);
  ev_idle_init (&slow, slow_cb);
  ev_idle_start (loop, &slow);
  double deadline = harness_monotonic () + 5.;
  while (s.fired_at == 0. && harness_monotonic () < deadline)
    ev_run (loop, EVRUN_ONCE);
  ev_verify (loop);
  ev_loop_destroy (loop);
  assert_true (s.fired_at > 0.);
  assert_true (s.started_at > 0.);
  return s;
}

static void
extensions__never_early_timers_count_from_their_start (void **state)
{
  (void)state;
  struct slow_then_start s = slow_then_start (EVFLAG_NG_NEVER_EARLY, 0);
  if (s.fired_at - s.started_at < 0.02 || s.due_at - s.started_at < 0.02)
    fail_msg ("a 20 ms timer fired %.1f ms after its start, due %.1f ms after it", (s.fired_at - s.started_at) * 1e3,
              (s.due_at - s.started_at) * 1e3);
}

static void
extensions__never_early_timer_again_counts_from_the_restart (void **state)
{
  (void)state;
  struct slow_then_start s = slow_then_start (EVFLAG_NG_NEVER_EARLY, 1);
  if (s.fired_at - s.started_at < 0.02 || s.due_at - s.started_at < 0.02)
    fail_msg ("a 20 ms timer restarted with ev_timer_again fired %.1f ms after the restart, due %.1f ms after it",
              (s.fired_at - s.started_at) * 1e3, (s.due_at - s.started_at) * 1e3);
}

/* Without the flag: libev 4.33's loop time, taken before the 50 ms callback: the timer is due
 * before it was started, and fires in the next iteration (how soon that comes in seconds is
 * the machine's: a loaded one may preempt the thread for longer than the timer's 20 ms). */
static void
extensions__without_never_early_timers_count_from_the_loop_time (void **state)
{
  (void)state;
  for (int again = 0; again <= 1; ++again)
    {
      struct slow_then_start s = slow_then_start (0, again);
      if (s.due_at > s.started_at - 0.02 || s.fired_in != s.started_in + 1)
        fail_msg ("%s: a 20 ms timer due %.1f ms after its start, fired %u iterations later: not from the loop time",
                  again ? "ev_timer_again" : "ev_timer_start", (s.due_at - s.started_at) * 1e3,
                  s.fired_in - s.started_in);
    }
}

/* ---- EV_NG_EXCLUSIVE --------------------------------------------------------------------- */

/* N processes, each with its own loop, wait for connections on one listening socket; the
 * parent connects M times, one connection at a time.  A connection wakes every waiting
 * process (the thundering herd) unless the registration is exclusive; most of those woken
 * find nothing (another accepted first) and sleep again inside epoll_wait, so the wake-ups
 * are counted where the kernel counts them: the workers' voluntary context switches
 * (/proc/PID/status), which nothing else causes while the connections are made (the workers
 * have no timer; SIGTERM ends them). */
enum { kWorkers = 16, kConnections = 60 };

struct herd
{
  volatile int ready;
  volatile int accepted;
};

static struct herd *herd;

static void
herd_accept_cb (struct ev_loop *loop, ev_io *w, int revents)
{
  (void)loop, (void)revents;
  int fd = accept4 (w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd >= 0)
    {
      __atomic_add_fetch (&herd->accepted, 1, __ATOMIC_SEQ_CST);
      close (fd);
    }
}

static void
herd_stop_cb (struct ev_loop *loop, ev_signal *w, int revents)
{
  (void)w, (void)revents;
  ev_break (loop, EVBREAK_ALL);
}

static void
herd_worker (int listener, int events)
{
  struct ev_loop *loop = ev_loop_new (EVBACKEND_EPOLL | EVFLAG_NOENV);
  if (!loop)
    _exit (2);
  ev_io io;
  ev_io_init (&io, herd_accept_cb, listener, events);
  ev_io_start (loop, &io);
  ev_signal stop;
  ev_signal_init (&stop, herd_stop_cb, SIGTERM);
  ev_signal_start (loop, &stop);
  sigset_t term;
  sigemptyset (&term);
  sigaddset (&term, SIGTERM);
  sigprocmask (SIG_UNBLOCK, &term, NULL); /* (libev leaves the mask alone) */
  ev_run (loop, EVRUN_NOWAIT); /* registered */
  __atomic_add_fetch (&herd->ready, 1, __ATOMIC_SEQ_CST);
  ev_run (loop, 0);
  ev_loop_destroy (loop);
  _exit (0);
}

static long
herd_switches (const pid_t *pids)
{
  long t = 0;
  for (int i = 0; i < kWorkers; ++i)
    t += proc_status_field (pids[i], "voluntary_ctxt_switches");
  return t;
}

/* Wake-ups (of all workers) per connection. */
static double
herd_wakeups_per_connection (int events)
{
  herd = harness_shared_new (sizeof *herd);
  int listener = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  assert_true (listener >= 0);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  socklen_t alen = sizeof a;
  assert_int_equal (bind (listener, (struct sockaddr *)&a, sizeof a), 0);
  assert_int_equal (listen (listener, 128), 0);
  assert_int_equal (getsockname (listener, (struct sockaddr *)&a, &alen), 0);

  /* SIGTERM blocked until each worker's loop has its signal watcher */
  sigset_t term, old;
  sigemptyset (&term);
  sigaddset (&term, SIGTERM);
  sigprocmask (SIG_BLOCK, &term, &old);
  pid_t pids[kWorkers];
  for (int i = 0; i < kWorkers; ++i)
    {
      pids[i] = fork ();
      assert_true (pids[i] >= 0);
      if (pids[i] == 0)
        herd_worker (listener, events);
    }
  sigprocmask (SIG_SETMASK, &old, NULL);
  double deadline = harness_monotonic () + harness_slack (10.);
  while (herd->ready < kWorkers && harness_monotonic () < deadline)
    usleep (1000);
  int all_ready = herd->ready == kWorkers;
  usleep (20000); /* every worker asleep in epoll_wait */

  long before = herd_switches (pids);
  int made = 0;
  for (int c = 0; all_ready && c < kConnections; ++c)
    {
      int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      assert_true (fd >= 0);
      if (connect (fd, (struct sockaddr *)&a, sizeof a) != 0)
        {
          close (fd);
          break;
        }
      double until = harness_monotonic () + harness_slack (2.);
      while (herd->accepted < c + 1 && harness_monotonic () < until)
        usleep (200);
      usleep (3000); /* every woken process back asleep */
      close (fd);
      ++made;
    }
  long switches = herd_switches (pids) - before;
  for (int i = 0; i < kWorkers; ++i)
    kill (pids[i], SIGTERM);
  int clean = 1;
  double until = harness_monotonic () + harness_slack (10.);
  for (int i = 0; i < kWorkers; ++i)
    {
      int st = 0;
      pid_t r;
      while ((r = waitpid (pids[i], &st, WNOHANG)) == 0 && harness_monotonic () < until)
        usleep (1000);
      if (r == 0)
        {
          kill (pids[i], SIGKILL); /* a worker that does not stop fails the test */
          waitpid (pids[i], &st, 0);
        }
      clean = clean && r == pids[i] && WIFEXITED (st) && WEXITSTATUS (st) == 0;
    }
  close (listener);
  int accepted = herd->accepted;
  harness_shared_free (herd, sizeof *herd);
  assert_true (all_ready);
  assert_true (clean);
  assert_int_equal (made, kConnections);
  assert_int_equal (accepted, kConnections);
  return (double)switches / kConnections;
}

/* With the bit, epoll wakes one of the 16 processes per connection (EPOLLEXCLUSIVE). */
static void
extensions__exclusive_wakes_one_process_per_connection (void **state)
{
  (void)state;
  if (test_backend != EVBACKEND_EPOLL || harness_under_valgrind ())
    skip ();
  double per = herd_wakeups_per_connection (EV_READ | EV_NG_EXCLUSIVE);
  print_message ("EV_NG_EXCLUSIVE: %.2f wake-ups per connection, %d processes\n", per, kWorkers);
  if (per > 1.1)
    fail_msg ("%.2f wake-ups per connection (want <= 1.1)", per);
}

/* Without it, every process is woken (the thundering herd), as with libev. */
static void
extensions__without_exclusive_every_process_wakes (void **state)
{
  (void)state;
  if (test_backend != EVBACKEND_EPOLL || harness_under_valgrind ())
    skip ();
  double per = herd_wakeups_per_connection (EV_READ);
  print_message ("without EV_NG_EXCLUSIVE: %.2f wake-ups per connection, %d processes\n", per, kWorkers);
  if (per < kWorkers / 2)
    fail_msg ("%.2f wake-ups per connection (want about %d)", per, kWorkers);
}

/* select, poll and io_uring accept the bit and ignore it: the watcher works as without. */
static void
extensions__exclusive_is_ignored_by_other_backends (void **state)
{
  struct ev_loop *loop = *state;
  int p[2];
  assert_int_equal (pipe (p), 0);
  ev_io w;
  ev_io_init (&w, trace_io_revents_cb, p[0], EV_READ | EV_NG_EXCLUSIVE);
  w.data = "x";
  ev_io_start (loop, &w);
  assert_int_equal (write (p[1], "!", 1), 1);
  ev_run (loop, EVRUN_ONCE);
  expect_trace ("x:0x1"); /* the bit is never delivered */
  /* changes of an exclusive registration (a DEL and an ADD on epoll) keep it working */
  ev_io_stop (loop, &w);
  ev_io_set (&w, p[0], EV_READ | EV_WRITE | EV_NG_EXCLUSIVE);
  ev_io_start (loop, &w);
  ev_run (loop, EVRUN_ONCE);
  expect_trace ("x:0x1");
  ev_io_stop (loop, &w);
  ev_io_set (&w, p[1], EV_WRITE);
  ev_io_start (loop, &w);
  ev_run (loop, EVRUN_ONCE);
  expect_trace ("x:0x2");
  ev_io_stop (loop, &w);
  close (p[0]);
  close (p[1]);
}

/* ---- ev_walk, ev_dump ----------------------------------------------------------------------- */

struct seen
{
  int n;
  int types[64];
  void *ws[64];
};
static struct seen seen;

static void
note_walk_cb (struct ev_loop *loop, int type, void *w)
{
  (void)loop;
  assert_true (seen.n < 64);
  seen.types[seen.n] = type;
  seen.ws[seen.n++] = w;
}

static int
times_seen (int type, void *w)
{
  int k = 0;
  for (int i = 0; i < seen.n; ++i)
    if (seen.ws[i] == w)
      {
        assert_int_equal (seen.types[i], type);
        ++k;
      }
  return k;
}

static void
nothing_cb (struct ev_loop *loop, ev_watcher *w, int revents)
{
  (void)loop, (void)w, (void)revents;
}

static void
once_nothing_cb (int revents, void *arg)
{
  (void)revents, (void)arg;
}

static void
stop_it_cb (struct ev_loop *loop, int type, void *w)
{
  switch (type)
    {
    case EV_IO: ev_io_stop (loop, w); break;
    case EV_TIMER: ev_timer_stop (loop, w); break;
    case EV_IDLE: ev_idle_stop (loop, w); break;
    case EV_PREPARE: ev_prepare_stop (loop, w); break;
    default: fail_msg ("unexpected type 0x%x", type);
    }
}

/* Every active watcher of every type once, with its type; the watchers the loop or another
 * watcher uses inside are not reported (the ev_embed and ev_stat themselves are, once); a
 * stopped watcher is not; `types` selects. */
static void
extensions__walk_visits_every_active_watcher_once (void **state)
{
  struct ev_loop *loop = *state;
  int p[2];
  assert_int_equal (pipe (p), 0);
  char path[] = "/tmp/ev-walk-XXXXXX";
  int tmpfd = mkstemp (path);
  assert_true (tmpfd >= 0);

  ev_io io, stopped;
  ev_timer timer;
  ev_periodic periodic;
  ev_signal sig;
  ev_stat st;
  ev_idle idle;
  ev_prepare prepare;
  ev_check check;
  ev_fork fork_w;
  ev_cleanup cleanup;
  ev_async async;
  ev_io_init (&io, (void *)nothing_cb, p[0], EV_READ);
  ev_io_init (&stopped, (void *)nothing_cb, p[1], EV_WRITE);
  ev_timer_init (&timer, (void *)nothing_cb, 10., 0.);
  ev_periodic_init (&periodic, (void *)nothing_cb, 0., 3600., 0);
  ev_signal_init (&sig, (void *)nothing_cb, SIGUSR2);
  ev_stat_init (&st, (void *)nothing_cb, path, 0.);
  ev_idle_init (&idle, (void *)nothing_cb);
  ev_prepare_init (&prepare, (void *)nothing_cb);
  ev_check_init (&check, (void *)nothing_cb);
  ev_fork_init (&fork_w, (void *)nothing_cb);
  ev_cleanup_init (&cleanup, (void *)nothing_cb);
  ev_async_init (&async, (void *)nothing_cb);
  ev_io_start (loop, &io);
  ev_io_start (loop, &stopped);
  ev_io_stop (loop, &stopped);
  ev_timer_start (loop, &timer);
  ev_periodic_start (loop, &periodic);
  ev_signal_start (loop, &sig);
  ev_stat_start (loop, &st);
  ev_idle_start (loop, &idle);
  ev_prepare_start (loop, &prepare);
  ev_check_start (loop, &check);
  ev_fork_start (loop, &fork_w);
  ev_cleanup_start (loop, &cleanup);
  ev_async_start (loop, &async);
  ev_once (loop, p[0], EV_READ, 10., once_nothing_cb, NULL); /* the loop's own, not reported */

  struct ev_loop *inner = NULL;
  ev_embed embed;
  if (ev_embeddable_backends () & ev_supported_backends () & EVBACKEND_EPOLL)
    {
      inner = ev_loop_new (EVBACKEND_EPOLL | EVFLAG_NOENV);
      ev_embed_init (&embed, NULL, inner);
      ev_embed_start (loop, &embed);
    }
  ev_run (loop, EVRUN_NOWAIT); /* everything applied */

  seen.n = 0;
  ev_walk (loop, ~0, note_walk_cb);
  assert_int_equal (times_seen (EV_IO, &io), 1);
  assert_int_equal (times_seen (EV_IO, &stopped), 0);
  assert_int_equal (times_seen (EV_TIMER, &timer), 1);
  assert_int_equal (times_seen (EV_PERIODIC, &periodic), 1);
  assert_int_equal (times_seen (EV_SIGNAL, &sig), 1);
  assert_int_equal (times_seen (EV_STAT, &st), 1);
  assert_int_equal (times_seen (EV_IDLE, &idle), 1);
  assert_int_equal (times_seen (EV_PREPARE, &prepare), 1);
  assert_int_equal (times_seen (EV_CHECK, &check), 1);
  assert_int_equal (times_seen (EV_FORK, &fork_w), 1);
  assert_int_equal (times_seen (EV_CLEANUP, &cleanup), 1);
  assert_int_equal (times_seen (EV_ASYNC, &async), 1);
  if (inner)
    assert_int_equal (times_seen (EV_EMBED, &embed), 1);
  /* nothing else: no internal watcher (ev_once's, ev_stat's timer, ev_embed's, the loop's) */
  assert_int_equal (seen.n, 11 + (inner != NULL));

  /* types select */
  seen.n = 0;
  ev_walk (loop, EV_TIMER | EV_STAT, note_walk_cb);
  assert_int_equal (seen.n, 2);
  assert_int_equal (times_seen (EV_TIMER, &timer), 1);
  assert_int_equal (times_seen (EV_STAT, &st), 1);

  /* the callback may stop the watcher it is given */
  ev_walk (loop, EV_IO | EV_TIMER | EV_IDLE | EV_PREPARE, stop_it_cb);
  assert_false (ev_is_active (&io));
  assert_false (ev_is_active (&timer));
  assert_false (ev_is_active (&idle));
  assert_false (ev_is_active (&prepare));
  seen.n = 0;
  ev_walk (loop, EV_IO | EV_TIMER | EV_IDLE | EV_PREPARE, note_walk_cb);
  assert_int_equal (seen.n, 0);

  if (inner)
    {
      ev_embed_stop (loop, &embed);
      ev_loop_destroy (inner);
    }
  ev_periodic_stop (loop, &periodic);
  ev_signal_stop (loop, &sig);
  ev_stat_stop (loop, &st);
  ev_check_stop (loop, &check);
  ev_fork_stop (loop, &fork_w);
  ev_cleanup_stop (loop, &cleanup);
  ev_async_stop (loop, &async);
  ev_run (loop, EVRUN_NOWAIT);
  close (tmpfd);
  unlink (path);
  close (p[0]);
  close (p[1]);
}

/* An ev_stat that polls (no inotify) is reported once, its timer not. */
static void
extensions__walk_reports_a_polling_stat_watcher_once (void **state)
{
  (void)state;
  struct ev_loop *loop = flagged_loop_new (EVFLAG_NOINOTIFY);
  ev_stat st;
  ev_stat_init (&st, (void *)nothing_cb, "/", 0.);
  ev_stat_start (loop, &st);
  seen.n = 0;
  ev_walk (loop, ~0, note_walk_cb);
  assert_int_equal (seen.n, 1);
  assert_int_equal (times_seen (EV_STAT, &st), 1);
  ev_stat_stop (loop, &st);
  ev_loop_destroy (loop);
}

/* Child watchers are kept by the default loop. */
static void
extensions__walk_reports_child_watchers_of_the_default_loop (void **state)
{
  (void)state;
  struct ev_loop *def = ev_default_loop (test_backend | EVFLAG_NOENV);
  assert_non_null (def);
  ev_child c;
  ev_child_init (&c, (void *)nothing_cb, 12345, 0);
  ev_child_start (def, &c);
  seen.n = 0;
  ev_walk (def, EV_CHILD | EV_SIGNAL, note_walk_cb);
  assert_int_equal (seen.n, 1); /* not the loop's own SIGCHLD watcher */
  assert_int_equal (times_seen (EV_CHILD, &c), 1);
  ev_child_stop (def, &c);
  ev_loop_destroy (def);
}

/* ev_dump names the loop, every active watcher with what it watches, and the pending ones. */
static void
extensions__dump_lists_active_and_pending_watchers (void **state)
{
  struct ev_loop *loop = *state;
  int p[2];
  assert_int_equal (pipe (p), 0);
  ev_io io;
  ev_timer timer;
  ev_io_init (&io, (void *)nothing_cb, p[0], EV_READ);
  ev_io_start (loop, &io);
  ev_timer_init (&timer, (void *)nothing_cb, 2.5, 1.);
  ev_set_priority (&timer, 2);
  ev_timer_start (loop, &timer);
  ev_feed_event (loop, &timer, EV_TIMER);

  char *text = NULL;
  size_t size = 0;
  FILE *f = open_memstream (&text, &size);
  assert_non_null (f);
  ev_dump (loop, f);
  fclose (f);
  char expect[160];
  snprintf (expect, sizeof expect, "backend %s,", test_backend_name);
#ifdef EV_NG_SMALL /* a build for size prints the loop's line alone, as ev(3) says */
  if (!strstr (text, expect) || !strstr (text, "\n (no watchers listed: a build for size)\n"))
    fail_msg ("no loop line or note in:\n%s", text);
#else
  if (!strstr (text, expect) || !strstr (text, " 2 active watcher(s):"))
    fail_msg ("no loop line or count in:\n%s", text);
  snprintf (expect, sizeof expect, "  io       %p priority 0 cb ", (void *)&io);
  if (!strstr (text, expect))
    fail_msg ("no \"%s\" in:\n%s", expect, text);
  snprintf (expect, sizeof expect, " fd %d events READ\n", p[0]);
  if (!strstr (text, expect))
    fail_msg ("no \"%s\" in:\n%s", expect, text);
  snprintf (expect, sizeof expect, "  timer    %p priority 2 cb ", (void *)&timer);
  if (!strstr (text, expect) || !strstr (text, " repeat 1.000000\n"))
    fail_msg ("no timer line in:\n%s", text);
  snprintf (expect, sizeof expect, " 1 pending:\n  %p priority 2 revents 0x100\n", (void *)&timer);
  if (!strstr (text, expect))
    fail_msg ("no \"%s\" in:\n%s", expect, text);
#endif
  free (text);

  ev_clear_pending (loop, &timer);
  ev_timer_stop (loop, &timer);
  ev_io_stop (loop, &io);
  close (p[0]);
  close (p[1]);
}

/* ---- ev_monotonic_time, ev_monotonic_now --------------------------------------------------- */

static void
extensions__monotonic_time_is_clock_monotonic (void **state)
{
  (void)state;
  double before = harness_monotonic ();
  double t = ev_monotonic_time ();
  double after = harness_monotonic ();
  assert_true (before <= t && t <= after);
}

/* The loop's monotonic time is the one its relative timers count from: it moves only when
 * the loop updates its time, and an active timer's deadline is it plus the timeout. */
static void
extensions__monotonic_now_is_the_loop_time_of_relative_timers (void **state)
{
  struct ev_loop *loop = *state;
  double before = harness_monotonic ();
  ev_now_update (loop);
  double after = harness_monotonic ();
  double now = ev_monotonic_now (loop);
  assert_true (before <= now && now <= after);
  usleep (2000);
  assert_true (ev_monotonic_now (loop) == now); /* cached, like ev_now */

  ev_timer t;
  ev_timer_init (&t, note_firing_cb, 5., 0.);
  ev_timer_start (loop, &t);
  assert_true (fabs (t.at - (now + 5.)) < 1e-9);
  assert_true (fabs (ev_timer_remaining (loop, &t) - 5.) < 1e-9);
  ev_timer_stop (loop, &t);

  ev_run (loop, EVRUN_NOWAIT);
  assert_true (ev_monotonic_now (loop) >= now + 0.002);
  /* ev_now follows the wall clock, ev_monotonic_now the monotonic one: both moved alike */
  assert_true (ev_monotonic_now (loop) - now < 1.);
}

/* ---- a library built for size ------------------------------------------------------------ */

/* configure --enable-small leaves out debug mode, the metrics, the watchdog and the probes:
 * their flags are ignored, ev_metrics_get answers -1 with the members zeroed, ev_watchdog_start
 * fails with ENOSYS, and the loop runs as without them.  The default build has them all
 * (t/libev_ng_debug.c, t/libev_ng_metrics.c, t/observe/watchdog.sh, t/observe/probes.sh). */
static void
extensions__a_build_for_size_has_no_diagnostics (void **state)
{
  (void)state;
#ifndef EV_NG_SMALL
  skip ();
#else
  struct ev_loop *loop = ev_loop_new (test_backend | EVFLAG_NOENV | EVFLAG_NG_DEBUG | EVFLAG_NG_METRICS);
  assert_non_null (loop);
  assert_int_equal (ev_backend (loop), test_backend);
  ev_metrics_enable (loop, 1);
  ev_timer t;
  ev_timer_init (&t, note_firing_cb, 0.001, 0.);
  ev_timer_start (loop, &t);
  assert_int_equal (ev_run (loop, 0), 0);
  assert_true (ev_iteration (loop) >= 1);

  struct ev_metrics m;
  memset (&m, 0xff, sizeof m);
  m.size = sizeof m;
  assert_int_equal (ev_metrics_get (loop, &m), -1);
  assert_int_equal (m.size, sizeof m);
  assert_int_equal (m.iterations, 0);
  assert_int_equal (m.poll_events, 0);
  assert_true (m.elapsed == 0. && m.time_blocked == 0.);
  ev_metrics_reset (loop);
  assert_int_equal (ev_metrics_get (loop, &m), -1);

  errno = 0;
  assert_int_equal (ev_watchdog_start (loop, 0.1, NULL, NULL), -1);
  assert_int_equal (errno, ENOSYS);
  ev_watchdog_stop (loop);
  ev_loop_destroy (loop);
#endif
}

/* ---- EVBACKEND_NG_AFD ------------------------------------------------------------------ */

/* The AFD backend is Windows' (t/win32/ev_io.c tests it under Wine): elsewhere its bit is a
 * backend the system lacks, as kqueue is on Linux, and no answer names it. */
static void
extensions__afd_backend_is_had_by_its_bit_on_windows_only (void **state)
{
  (void)state;
  assert_int_equal (EVBACKEND_NG_AFD & EVBACKEND_MASK, EVBACKEND_NG_AFD);
  assert_int_equal (EVBACKEND_NG_AFD & EVBACKEND_ALL, 0);
  assert_int_equal (ev_supported_backends () & EVBACKEND_NG_AFD, 0);
  assert_int_equal (ev_recommended_backends () & EVBACKEND_NG_AFD, 0);
  assert_int_equal (ev_embeddable_backends () & EVBACKEND_NG_AFD, 0);
#ifdef _WIN32
  /* asked for by its bit, alone or beside select, it is the loop's backend */
  struct ev_loop *loop = ev_loop_new (EVBACKEND_NG_AFD | EVFLAG_NOENV);
  assert_non_null (loop);
  assert_int_equal (ev_backend (loop), EVBACKEND_NG_AFD);
  ev_loop_destroy (loop);
  loop = ev_loop_new (EVBACKEND_NG_AFD | EVBACKEND_SELECT | EVFLAG_NOENV);
  assert_non_null (loop);
  assert_int_equal (ev_backend (loop), EVBACKEND_NG_AFD);
  ev_loop_destroy (loop);
#else
  /* elsewhere, as with libev 4.33, which has no backend for the bit */
  assert_null (ev_loop_new (EVBACKEND_NG_AFD | EVFLAG_NOENV));
  assert_null (ev_default_loop (EVBACKEND_NG_AFD | EVFLAG_NOENV));
  struct ev_loop *loop = ev_loop_new (EVBACKEND_NG_AFD | test_backend | EVFLAG_NOENV);
  assert_non_null (loop);
  assert_int_equal (ev_backend (loop), test_backend);
  ev_loop_destroy (loop);
#endif
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    plain_test (extensions__precise_timers_fire_within_a_fraction_of_a_millisecond),
    plain_test (extensions__without_precise_timers_epoll_and_poll_round_up_to_a_millisecond),
    plain_test (extensions__precise_timers_sleep_without_spinning),
    plain_test (extensions__precise_timers_fall_back_when_epoll_pwait2_is_refused),
    plain_test (extensions__never_early_timers_count_from_their_start),
    plain_test (extensions__never_early_timer_again_counts_from_the_restart),
    plain_test (extensions__without_never_early_timers_count_from_the_loop_time),
    plain_test (extensions__exclusive_wakes_one_process_per_connection),
    plain_test (extensions__without_exclusive_every_process_wakes),
    loop_test (extensions__exclusive_is_ignored_by_other_backends),
    loop_test (extensions__walk_visits_every_active_watcher_once),
    plain_test (extensions__walk_reports_a_polling_stat_watcher_once),
    plain_test (extensions__walk_reports_child_watchers_of_the_default_loop),
    loop_test (extensions__dump_lists_active_and_pending_watchers),
    plain_test (extensions__monotonic_time_is_clock_monotonic),
    loop_test (extensions__monotonic_now_is_the_loop_time_of_relative_timers),
    plain_test (extensions__a_build_for_size_has_no_diagnostics),
    plain_test (extensions__afd_backend_is_had_by_its_bit_on_windows_only),
  };
  return HARNESS_RUN ("libev_ng_extensions", tests);
}
