/* SPDX-License-Identifier: BSD-2-Clause */
/* t/ev_child.c - ev(3) "ev_child - watch out for process status changes"
 * (doc/semantics.md §12): pid match and pid 0 = any, rpid/rstatus, the trace flag (stop and
 * continue), priority forced to EV_MAXPRI, watchers stay active, every child is reaped
 * (watched or not), the default-loop-only usage error, and 1000 children exiting at once:
 * every status delivered exactly once, no zombie left; a process forked by one thread while
 * another thread's default loop reaps can reap its own children.
 *
 * Child watchers need the default loop, which takes over SIGCHLD: every test runs in a forked
 * child (harness_child_run) that creates the default loop there, so the test process never
 * has one.  As in t/ev_signal.c, CHECK() replaces cmocka's assertions inside the child. */
#define _GNU_SOURCE 1
#include "harness.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- a wider window for a fork while another thread reaps -------------------------------------- */

/* The library reaps with waitpid (through the PLT: this definition wins).  While reap_widen
 * is set, the first call from a thread other than reap_main sleeps 0.3 s (times the harness's
 * time scale: a fork under qemu-user can take longer) before it reaps, with in_reap set: a
 * fork in that time happens while the other thread is reaping. */
static volatile int reap_widen, in_reap;
static pthread_t reap_main;

pid_t
waitpid (pid_t pid, int *status, int options)
{
  if (reap_widen && !pthread_equal (pthread_self (), reap_main))
    {
      reap_widen = 0;
      in_reap = 1;
      usleep ((useconds_t)(harness_slack (0.3) * 1e6));
    }
  return wait4 (pid, status, options, NULL);
}

/* ---- running a test body in a child ---------------------------------------------------------- */

#define CHILD_TEST_TIMEOUT(name, timeout)                                                     \
  static void name##_body (void *arg_);                                                       \
  static void name (void **state)                                                             \
  {                                                                                           \
    (void)state;                                                                              \
    harness_expect_child_ok (name##_body, NULL, timeout, #name);                              \
  }                                                                                           \
  static void name##_body (void *arg_)
#define CHILD_TEST(name) CHILD_TEST_TIMEOUT (name, 10)
/* ... whose loop must be woken from a blocking wait by SIGCHLD */
#define WAKEUP_CHILD_TEST(name)                                                               \
  static void name##_body (void *arg_);                                                       \
  static void name (void **state)                                                             \
  {                                                                                           \
    (void)state;                                                                              \
    skip_where_valgrind_holds_wakeups ();                                                     \
    harness_expect_child_ok (name##_body, NULL, 10, #name);                                   \
  }                                                                                           \
  static void name##_body (void *arg_)

static struct ev_loop *
default_loop (void)
{
  struct ev_loop *loop = ev_default_loop (test_backend | EVFLAG_NOENV);
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

/* Runs the loop (EVRUN_ONCE iterations) until *counter reaches target, at most `seconds`;
 * returns whether it did. */
static int
run_until_count (struct ev_loop *loop, volatile int *counter, int target, double seconds)
{
  int expired = 0;
  ev_timer guard;
  ev_timer_init (&guard, guard_cb, harness_slack (seconds), 0.);
  guard.data = &expired;
  ev_timer_start (loop, &guard);
  while (*counter < target && !expired)
    ev_run (loop, EVRUN_ONCE);
  ev_timer_stop (loop, &guard);
  return *counter >= target;
}

static int
run_until (struct ev_loop *loop, volatile int *flag, double seconds)
{
  return run_until_count (loop, flag, 1, seconds);
}

/* fork a process that runs fn() and _exits with its result */
static pid_t
spawn (int (*fn) (void))
{
  pid_t pid = fork ();
  CHECK (pid >= 0);
  if (pid == 0)
    _exit (fn ());
  return pid;
}

static int
exit_3 (void)
{
  return 3;
}

static int
no_zombies (void)
{
  return waitpid (-1, NULL, WNOHANG) == -1 && errno == ECHILD;
}

/* ---- recording callbacks ------------------------------------------------------------------------ */

struct seen
{
  volatile int calls;
  int revents, rpid, rstatus, priority, active;
  int history[4]; /* rstatus of the first calls */
};

static void
seen_cb (struct ev_loop *loop, ev_child *w, int revents)
{
  (void)loop;
  struct seen *s = w->data;
  ++s->calls;
  s->revents = revents;
  s->rpid = w->rpid;
  s->rstatus = w->rstatus;
  if (s->calls <= 4)
    s->history[s->calls - 1] = w->rstatus;
  s->priority = ev_priority (w);
  s->active = ev_is_active (w);
}

/* ---- tests -------------------------------------------------------------------------------------- */

WAKEUP_CHILD_TEST (ev_child__watcher_for_a_pid_gets_its_exit_status)
{
  (void)arg_;
  struct ev_loop *loop = default_loop ();
  struct seen one = { 0 }, any = { 0 }, other = { 0 };
  ev_child c, a, o;
  /* started right after fork, before the loop runs: sees even an immediate exit */
  pid_t pid = spawn (exit_3);
  ev_child_init (&c, seen_cb, pid, 0);
  c.data = &one;
  ev_set_priority (&c, -1);
  ev_child_start (loop, &c);
  ev_child_init (&a, seen_cb, 0, 0);
  a.data = &any;
  ev_child_start (loop, &a);
  ev_child_init (&o, seen_cb, pid == 1 ? 2 : 1, 0); /* init, never our child */
  o.data = &other;
  ev_child_start (loop, &o);
  CHECK (run_until (loop, &one.calls, 5.));
  CHECK (run_until (loop, &any.calls, 1.));
  ev_run (loop, EVRUN_NOWAIT);

  CHECK (one.calls == 1);
  CHECK (one.revents == EV_CHILD);
  CHECK (one.rpid == pid);
  CHECK (WIFEXITED (one.rstatus) && WEXITSTATUS (one.rstatus) == 3);
  /* forced to the highest priority before the call, and it keeps that */
  CHECK (one.priority == EV_MAXPRI);
  CHECK (ev_priority (&c) == EV_MAXPRI);
  /* not stopped by the exit of its process */
  CHECK (one.active);
  CHECK (ev_is_active (&c));
  CHECK (c.pid == pid);
  /* pid 0: any child; the field keeps 0 */
  CHECK (any.calls == 1);
  CHECK (any.rpid == pid);
  CHECK (WIFEXITED (any.rstatus) && WEXITSTATUS (any.rstatus) == 3);
  CHECK (a.pid == 0);
  CHECK (other.calls == 0);
  ev_child_stop (loop, &c);
  ev_child_stop (loop, &a);
  ev_child_stop (loop, &o);
  CHECK (no_zombies ());
  ev_loop_destroy (loop);
}

WAKEUP_CHILD_TEST (ev_child__status_of_a_killed_child)
{
  (void)arg_;
  struct ev_loop *loop = default_loop ();
  struct seen s = { 0 };
  int p[2];
  CHECK (pipe (p) == 0);
  pid_t pid = fork ();
  CHECK (pid >= 0);
  if (pid == 0)
    {
      char c;
      close (p[1]);
      (void)!read (p[0], &c, 1); /* until killed */
      _exit (0);
    }
  close (p[0]);
  ev_child w;
  ev_child_init (&w, seen_cb, pid, 0);
  w.data = &s;
  ev_child_start (loop, &w);
  kill (pid, SIGKILL);
  CHECK (run_until (loop, &s.calls, 5.));
  CHECK (s.rpid == pid);
  CHECK (WIFSIGNALED (s.rstatus) && WTERMSIG (s.rstatus) == SIGKILL);
  close (p[1]);
  ev_child_stop (loop, &w);
  ev_loop_destroy (loop);
}

/* The child stops itself, and after it was continued waits on a pipe: the continue must be
 * collected before the exit, because the kernel reports only the exit of a process that has
 * exited. */
static int trace_gate[2];

static int
stop_then_exit_7 (void)
{
  char c;
  close (trace_gate[1]);
  /* a process group of its own: should the test fail while it is stopped, the group is
   * orphaned when the test's child exits, and the kernel hangs it up instead of leaving a
   * stopped process behind */
  setpgid (0, 0);
  raise (SIGSTOP);
  (void)!read (trace_gate[0], &c, 1);
  return 7;
}

WAKEUP_CHILD_TEST (ev_child__trace_reports_stop_and_continue_too)
{
  (void)arg_;
  struct ev_loop *loop = default_loop ();
  struct seen traced = { 0 }, plain = { 0 };
  ev_child t, n;
  CHECK (pipe (trace_gate) == 0);
  pid_t pid = spawn (stop_then_exit_7);
  close (trace_gate[0]);
  ev_child_init (&t, seen_cb, pid, 1);
  t.data = &traced;
  ev_child_start (loop, &t);
  ev_child_init (&n, seen_cb, pid, 0);
  n.data = &plain;
  ev_child_start (loop, &n);

  CHECK (run_until (loop, &traced.calls, 5.));
  CHECK (traced.rpid == pid);
  CHECK (WIFSTOPPED (traced.history[0]) && WSTOPSIG (traced.history[0]) == SIGSTOP);

  kill (pid, SIGCONT);
  CHECK (run_until_count (loop, &traced.calls, 2, 5.));
  CHECK (traced.calls == 2);
  CHECK (WIFCONTINUED (traced.history[1]));
  /* without trace, neither the stop nor the continue is reported */
  CHECK (plain.calls == 0);

  close (trace_gate[1]);
  CHECK (run_until (loop, &plain.calls, 5.));
  ev_run (loop, EVRUN_NOWAIT);
  CHECK (traced.calls == 3);
  CHECK (WIFEXITED (traced.history[2]) && WEXITSTATUS (traced.history[2]) == 7);
  CHECK (plain.calls == 1);
  CHECK (WIFEXITED (plain.rstatus) && WEXITSTATUS (plain.rstatus) == 7);
  ev_child_stop (loop, &t);
  ev_child_stop (loop, &n);
  CHECK (no_zombies ());
  ev_loop_destroy (loop);
}

static void
stop_self_cb (struct ev_loop *loop, ev_child *w, int revents)
{
  seen_cb (loop, w, revents);
  ev_child_stop (loop, w);
}

CHILD_TEST (ev_child__sigchld_handling_holds_no_reference)
{
  (void)arg_;
  struct ev_loop *loop = default_loop ();
  /* nothing active: the internal SIGCHLD watcher does not keep ev_run going */
  CHECK (ev_run (loop, 0) == 0);
  struct seen s = { 0 };
  ev_child w;
  pid_t pid = spawn (exit_3);
  ev_child_init (&w, stop_self_cb, pid, 0);
  w.data = &s;
  ev_child_start (loop, &w);
  /* runs until the watcher stops itself, then returns 0 */
  CHECK (ev_run (loop, 0) == 0);
  CHECK (s.calls == 1);
  CHECK (!ev_is_active (&w));
  ev_loop_destroy (loop);
}

static void
tick_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)loop, (void)revents;
  pid_t pid = *(pid_t *)w->data;
  int st;
  if (waitpid (pid, &st, WNOHANG) == -1 && errno == ECHILD)
    *(pid_t *)w->data = 0;
}

CHILD_TEST (ev_child__unwatched_children_are_reaped_too)
{
  (void)arg_;
  struct ev_loop *loop = default_loop ();
  volatile pid_t pid = spawn (exit_3);
  /* no watcher at all: the loop still collects the status (and discards it) */
  ev_timer tick;
  ev_timer_init (&tick, tick_cb, 0.01, 0.01);
  tick.data = (void *)&pid;
  ev_timer_start (loop, &tick);
  double t0 = harness_monotonic ();
  while (pid && harness_monotonic () - t0 < harness_slack (3.))
    ev_run (loop, EVRUN_ONCE);
  CHECK (pid == 0);
  ev_timer_stop (loop, &tick);
  ev_loop_destroy (loop);
}

/* ---- many children ------------------------------------------------------------------------------ */

struct crowd
{
  int n;
  pid_t *pid;
  ev_child *w;
  int *calls;         /* per child: its own watcher's calls */
  int *status;        /* per child: the status its own watcher got */
  int *any_calls;     /* per child: how often the pid-0 watcher reported it */
  volatile int total; /* calls of the per-pid watchers */
};

static struct crowd crowd;

static void
crowd_cb (struct ev_loop *loop, ev_child *w, int revents)
{
  (void)loop, (void)revents;
  int i = (int)(w - crowd.w);
  CHECK (w->rpid == crowd.pid[i]);
  ++crowd.calls[i];
  crowd.status[i] = w->rstatus;
  ++crowd.total;
}

static void
crowd_any_cb (struct ev_loop *loop, ev_child *w, int revents)
{
  (void)loop, (void)revents;
  for (int i = 0; i < crowd.n; ++i)
    if (crowd.pid[i] == w->rpid)
      {
        ++crowd.any_calls[i];
        return;
      }
  harness_child_check_failed (__FILE__, __LINE__, "the pid-0 watcher reported a process that is not ours");
}

/* The number of children; CHILD_CROWD overrides (fewer under valgrind, where each fork
 * copies the whole instrumented process). */
static int
crowd_size (void)
{
  const char *s = getenv ("CHILD_CROWD");
  int n = s ? atoi (s) : 0;
  if (n <= 0)
    n = getenv ("HARNESS_TIME_SCALE") && atoi (getenv ("HARNESS_TIME_SCALE")) > 1 ? 100 : 1000;
  return n;
}

CHILD_TEST_TIMEOUT (ev_child__a_thousand_children_exiting_at_once, 60)
{
  (void)arg_;
  struct ev_loop *loop = default_loop ();
  memset (&crowd, 0, sizeof crowd);
  crowd.n = crowd_size ();
  crowd.pid = calloc ((size_t)crowd.n, sizeof *crowd.pid);
  crowd.w = calloc ((size_t)crowd.n, sizeof *crowd.w);
  crowd.calls = calloc ((size_t)crowd.n, sizeof *crowd.calls);
  crowd.status = calloc ((size_t)crowd.n, sizeof *crowd.status);
  crowd.any_calls = calloc ((size_t)crowd.n, sizeof *crowd.any_calls);
  CHECK (crowd.pid && crowd.w && crowd.calls && crowd.status && crowd.any_calls);

  ev_child any;
  ev_child_init (&any, crowd_any_cb, 0, 0);
  ev_child_start (loop, &any);

  /* every child waits on the pipe; closing its write end releases all of them at once */
  int gate[2];
  CHECK (pipe (gate) == 0);
  for (int i = 0; i < crowd.n; ++i)
    {
      pid_t pid = fork ();
      CHECK (pid >= 0);
      if (pid == 0)
        {
          char c;
          close (gate[1]);
          (void)!read (gate[0], &c, 1);
          _exit (i & 0x7f);
        }
      crowd.pid[i] = pid;
      ev_child_init (&crowd.w[i], crowd_cb, pid, 0);
      ev_child_start (loop, &crowd.w[i]);
    }
  close (gate[0]);
  close (gate[1]);

  int expired = 0;
  ev_timer guard;
  ev_timer_init (&guard, guard_cb, harness_slack (20.), 0.);
  guard.data = &expired;
  ev_timer_start (loop, &guard);
  while (crowd.total < crowd.n && !expired)
    ev_run (loop, EVRUN_ONCE);
  ev_timer_stop (loop, &guard);
  /* anything left over would show up now */
  ev_run (loop, EVRUN_NOWAIT);

  if (crowd.total != crowd.n)
    fprintf (stderr, "%d of %d statuses delivered\n", crowd.total, crowd.n);
  CHECK (crowd.total == crowd.n);
  int bad = 0;
  for (int i = 0; i < crowd.n; ++i)
    if (crowd.calls[i] != 1 || crowd.any_calls[i] != 1)
      ++bad;
  if (bad)
    fprintf (stderr, "%d of %d children not reported exactly once to both watchers\n", bad, crowd.n);
  for (int i = 0; i < crowd.n; ++i)
    {
      if (crowd.calls[i] != 1 || crowd.any_calls[i] != 1)
        fprintf (stderr, "child %d (pid %d): %d calls, %d from the pid-0 watcher\n", i, (int)crowd.pid[i],
                 crowd.calls[i], crowd.any_calls[i]);
      CHECK (crowd.calls[i] == 1);
      CHECK (crowd.any_calls[i] == 1);
      CHECK (WIFEXITED (crowd.status[i]) && WEXITSTATUS (crowd.status[i]) == (i & 0x7f));
    }
  /* all reaped: no zombie left */
  CHECK (no_zombies ());

  for (int i = 0; i < crowd.n; ++i)
    ev_child_stop (loop, &crowd.w[i]);
  ev_child_stop (loop, &any);
  ev_loop_destroy (loop);
  free (crowd.pid);
  free (crowd.w);
  free (crowd.calls);
  free (crowd.status);
  free (crowd.any_calls);
}

/* ---- fork while another thread reaps ------------------------------------------------------------- */

/* ev(3) ev_child and "ev_loop_fork": a thread forks while another thread's default loop
 * reaps a child (its SIGCHLD handling inside waitpid, widened to 0.3 s above); the new
 * process then runs the default loop for a child of its own and must get its status.
 * libev-ng reaps under a lock (its EVFLAG_NG_ANY_LOOP loops share children with the default
 * loop); a child forked while another thread held it used to inherit it held by a thread it
 * does not have, and blocked forever at its first SIGCHLD. */
static void
reaped_cb (struct ev_loop *loop, ev_child *w, int revents)
{
  (void)revents;
  struct seen *s = w->data;
  ++s->calls;
  s->rpid = w->rpid;
  s->rstatus = w->rstatus;
  ev_child_stop (loop, w);
}

static void *
run_default_loop (void *loop)
{
  ev_run (loop, 0);
  return NULL;
}

WAKEUP_CHILD_TEST (ev_child__fork_while_another_thread_reaps_leaves_the_child_able_to_reap)
{
  (void)arg_;
  if (harness_is_real_libev () && test_backend == EVBACKEND_IOURING)
    _exit (0); /* libev 4.33's io_uring loop never wakes in the forked process, reaping or not */
  struct ev_loop *loop = default_loop ();
  struct seen first = { 0 };
  ev_child any;
  ev_child_init (&any, reaped_cb, 0, 0);
  any.data = &first;
  ev_child_start (loop, &any); /* the loop runs until a child exits */
  reap_main = pthread_self ();
  in_reap = 0;
  reap_widen = 1;
  pid_t pid = spawn (exit_3);
  pthread_t reaper;
  CHECK (pthread_create (&reaper, NULL, run_default_loop, loop) == 0);
  for (double t0 = harness_monotonic (); !in_reap && harness_monotonic () - t0 < harness_slack (5.);)
    usleep (1000);
  CHECK (in_reap);
  int go[2];
  CHECK (pipe (go) == 0);
  pid_t forked = fork (); /* while the other thread reaps */
  CHECK (forked >= 0);
  if (forked == 0)
    {
      alarm ((unsigned)harness_slack (5.));
      close (go[1]);
      ev_loop_fork (loop);
      ev_child_stop (loop, &any); /* the parent's: this process waits for a child of its own */
      struct seen own = { 0 };
      ev_child w;
      pid_t mine = spawn (exit_3);
      ev_child_init (&w, reaped_cb, mine, 0);
      w.data = &own;
      ev_child_start (loop, &w);
      char c;
      (void)!read (go[0], &c, 1); /* the parent's loop no longer reaps: this process cannot end too soon */
      ev_run (loop, 0);
      _exit (own.calls == 1 && own.rpid == mine && WIFEXITED (own.rstatus) && WEXITSTATUS (own.rstatus) == 3 ? 0 : 1);
    }
  close (go[0]);
  CHECK (pthread_join (reaper, NULL) == 0); /* its loop ends with the first child's status */
  CHECK (first.calls == 1 && first.rpid == pid);
  CHECK (write (go[1], "x", 1) == 1);
  close (go[1]);
  int status;
  CHECK (waitpid (forked, &status, 0) == forked);
  /* killed by its alarm: blocked at its first SIGCHLD */
  CHECK (!WIFSIGNALED (status));
  CHECK (WIFEXITED (status) && WEXITSTATUS (status) == 0);
}

/* ---- usage error ---------------------------------------------------------------------------------- */

static void
start_on_other_loop (void *arg)
{
  (void)arg;
  struct ev_loop *loop = ev_loop_new (test_backend | EVFLAG_NOENV);
  ev_child w;
  ev_child_init (&w, seen_cb, 0, 0);
  ev_child_start (loop, &w);
}

/* A child watcher that is already pending (fed by the program) when its child is reaped in
 * the same invocation pass: it stays where it is queued and gets EV_CHILD and the status on
 * top.  libev 4.33 moves it to EV_MAXPRI anyway and loses the status; an earlier libev-ng
 * aborted with a usage error about ev_set_priority, which the program never called. */
static ev_child pending_cw;

static void
feed_child_watcher_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)w, (void)revents;
  ev_feed_event (loop, &pending_cw, EV_CUSTOM);
}

CHILD_TEST (ev_child__pending_watcher_reaped_in_the_same_pass_gets_the_status)
{
  (void)arg_;
  if (harness_is_real_libev ())
    _exit (0); /* libev 4.33 loses the status here */
  struct ev_loop *loop = default_loop ();
  struct seen s = { 0 };
  ev_child_init (&pending_cw, seen_cb, 0, 0);
  pending_cw.data = &s;
  ev_child_start (loop, &pending_cw);
  pid_t pid = spawn (exit_3);
  /* exited and its SIGCHLD delivered, but not reaped yet */
  siginfo_t si;
  do
    {
      memset (&si, 0, sizeof si);
      CHECK (waitid (P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0);
    }
  while (si.si_pid != pid);
  usleep (10000);
  /* a timer of the highest priority runs first in the pass and feeds the child watcher; the
   * SIGCHLD handling (also EV_MAXPRI) runs next and reaps */
  ev_timer feeder;
  ev_timer_init (&feeder, feed_child_watcher_cb, 0., 0.);
  ev_set_priority (&feeder, EV_MAXPRI);
  ev_timer_start (loop, &feeder);
  CHECK (run_until (loop, &s.calls, 2.));
  CHECK (s.calls == 1);
  CHECK (s.revents == (EV_CHILD | EV_CUSTOM));
  CHECK (s.rpid == pid);
  CHECK (WIFEXITED (s.rstatus) && WEXITSTATUS (s.rstatus) == 3);
  CHECK (no_zombies ());
  ev_child_stop (loop, &pending_cw);
}

static void
ev_child__non_default_loop_is_a_usage_error (void **state)
{
  (void)state;
  expect_abort (start_on_other_loop, NULL, "libev: child watchers are only supported in the default loop");
}

static void
ev_child__usage_error_message_names_the_call (void **state)
{
  (void)state;
  skip_on_real_libev (); /* libev 4.33 reports an assertion in ev.c */
  expect_abort (start_on_other_loop, NULL, "usage error in ev_child_start");
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    plain_test (ev_child__watcher_for_a_pid_gets_its_exit_status),
    plain_test (ev_child__status_of_a_killed_child),
    plain_test (ev_child__trace_reports_stop_and_continue_too),
    plain_test (ev_child__sigchld_handling_holds_no_reference),
    plain_test (ev_child__unwatched_children_are_reaped_too),
    plain_test (ev_child__a_thousand_children_exiting_at_once),
    plain_test (ev_child__pending_watcher_reaped_in_the_same_pass_gets_the_status),
    plain_test (ev_child__fork_while_another_thread_reaps_leaves_the_child_able_to_reap),
    plain_test (ev_child__non_default_loop_is_a_usage_error),
    plain_test (ev_child__usage_error_message_names_the_call),
  };
  return HARNESS_RUN ("ev_child", tests);
}
