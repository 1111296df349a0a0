/* SPDX-License-Identifier: BSD-2-Clause */
/* t/libev_ng_any_loop.c - ev(3) "LIBEV-NG EXTENSIONS", "Signals and children in any loop":
 * EVFLAG_NG_ANY_LOOP (one signal watched by several loops, ev_child in any loop through a
 * pidfd) and EVFLAG_NG_REAP_OWN (the default loop reaps only the children it watches), on
 * every backend; and that without the flags both misuses still abort as in libev 4.33.
 * libev-ng only, so not part of t/system-libev.sh. */
#define _GNU_SOURCE 1
#define EV_WALK_ENABLE 1 /* ev_walk: the pidfd watcher is the loop's own, not listed */
#include "harness.h"
#include "refuse.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static struct ev_loop *
loop_with (unsigned int flags)
{
  struct ev_loop *loop = ev_loop_new (test_backend | EVFLAG_NOENV | flags);
  assert_non_null (loop);
  return loop;
}

/* Run loop (EVRUN_NOWAIT passes) until *count reaches want, at most a few seconds. */
static void
run_until_count (struct ev_loop *loop, volatile int *count, int want)
{
  double deadline = harness_monotonic () + harness_slack (5.);
  while (*count < want && harness_monotonic () < deadline)
    {
      ev_run (loop, EVRUN_NOWAIT);
      if (*count < want)
        usleep (1000);
    }
}

static int
signal_disposition_is_default (int signum)
{
  struct sigaction sa;
  sigaction (signum, NULL, &sa);
  return sa.sa_handler == SIG_DFL;
}

static int
signal_is_blocked (int signum)
{
  sigset_t set;
  sigprocmask (SIG_BLOCK, NULL, &set);
  return sigismember (&set, signum);
}

/* ---- one signal, several loops ------------------------------------------------------------ */

/* The signals the cases send: on Windows two of the C runtime's, which has no SIGUSR1 or
 * SIGUSR2 (kill there is raise, t/win32/posix.c) */
#ifdef _WIN32
#define SIGNAL_A SIGTERM
#define SIGNAL_B SIGBREAK
#else
#define SIGNAL_A SIGUSR1
#define SIGNAL_B SIGUSR2
#endif

static int signal_count[3];

static void
count_signal_cb (struct ev_loop *loop, ev_signal *w, int revents)
{
  (void)loop;
  assert_int_equal (revents, EV_SIGNAL);
  ++signal_count[(intptr_t)w->data];
}

static void
extensions__any_loop_signal_reaches_every_loop (void **state)
{
  (void)state;
  /* the owner reads it from a signalfd (the signal is blocked, no handler runs): it must
   * pass it on; the second loop asked for sharing, the third did not need to */
  struct ev_loop *owner = loop_with (EVFLAG_SIGNALFD), *asking = loop_with (EVFLAG_NG_ANY_LOOP),
                 *plain = loop_with (0);
  struct ev_loop *loops[3] = { owner, asking, plain };
  ev_signal w[3];
  memset (signal_count, 0, sizeof signal_count);
  for (long i = 0; i < 3; ++i)
    {
      ev_signal_init (&w[i], count_signal_cb, SIGNAL_A);
      w[i].data = (void *)(intptr_t)i;
      ev_signal_start (loops[i], &w[i]);
    }

  for (int round = 1; round <= 3; ++round)
    {
      kill (getpid (), SIGNAL_A);
      for (int i = 0; i < 3; ++i)
        run_until_count (loops[i], &signal_count[i], round);
      for (int i = 0; i < 3; ++i)
        assert_int_equal (signal_count[i], round);
    }

  /* the owner leaves: the others keep receiving it, through the handler now */
  ev_signal_stop (owner, &w[0]);
  assert_false (signal_is_blocked (SIGNAL_A));
  assert_false (signal_disposition_is_default (SIGNAL_A));
  kill (getpid (), SIGNAL_A);
  run_until_count (asking, &signal_count[1], 4);
  run_until_count (plain, &signal_count[2], 4);
  ev_run (owner, EVRUN_NOWAIT);
  assert_int_equal (signal_count[0], 3);
  assert_int_equal (signal_count[1], 4);
  assert_int_equal (signal_count[2], 4);

  /* the last one leaves: the default disposition is back */
  ev_signal_stop (asking, &w[1]);
  assert_false (signal_disposition_is_default (SIGNAL_A));
  ev_signal_stop (plain, &w[2]);
  assert_true (signal_disposition_is_default (SIGNAL_A));
  for (int i = 0; i < 3; ++i)
    ev_loop_destroy (loops[i]);
}

struct signal_thread
{
  struct ev_loop *loop;
  pthread_t thread;
  volatile int got;
  volatile int ready;
};

static void
break_on_signal_cb (struct ev_loop *loop, ev_signal *w, int revents)
{
  (void)revents;
  ((struct signal_thread *)w->data)->got = 1;
  ev_break (loop, EVBREAK_ALL);
}

static void
give_up_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)w, (void)revents;
  ev_break (loop, EVBREAK_ALL);
}

static void *
signal_thread_main (void *arg)
{
  struct signal_thread *t = arg;
  ev_signal s;
  ev_timer give_up;
  ev_signal_init (&s, break_on_signal_cb, SIGNAL_B);
  s.data = t;
  ev_timer_init (&give_up, give_up_cb, harness_slack (10.), 0.);
  ev_signal_start (t->loop, &s);
  ev_timer_start (t->loop, &give_up);
  t->ready = 1;
  ev_run (t->loop, 0);
  ev_signal_stop (t->loop, &s);
  ev_timer_stop (t->loop, &give_up);
  return NULL;
}

static void
extensions__any_loop_signal_reaches_loops_in_other_threads (void **state)
{
  (void)state;
  skip_where_valgrind_holds_wakeups ();
  enum { N = 4 };
  struct signal_thread t[N];
  memset (t, 0, sizeof t);
  for (int i = 0; i < N; ++i)
    {
      t[i].loop = loop_with (EVFLAG_NG_ANY_LOOP);
      assert_int_equal (pthread_create (&t[i].thread, NULL, signal_thread_main, &t[i]), 0);
      while (!t[i].ready)
        usleep (1000);
    }
  kill (getpid (), SIGNAL_B); /* one signal to the process: every loop must see it */
  for (int i = 0; i < N; ++i)
    {
      pthread_join (t[i].thread, NULL);
      assert_true (t[i].got);
      ev_loop_destroy (t[i].loop);
    }
  assert_true (signal_disposition_is_default (SIGNAL_B));
}

static void
start_signal_in_two_plain_loops (void *arg)
{
  (void)arg;
  struct ev_loop *a = loop_with (0), *b = loop_with (0);
  ev_signal x, y;
  ev_signal_init (&x, count_signal_cb, SIGNAL_A);
  ev_signal_init (&y, count_signal_cb, SIGNAL_A);
  ev_signal_start (a, &x);
  ev_signal_start (b, &y);
}

static void
extensions__without_any_loop_a_signal_in_two_loops_aborts_as_libev (void **state)
{
  (void)state;
  expect_abort (start_signal_in_two_plain_loops, NULL, "libev: a signal must not be attached to two different loops");
}

/* ---- children in any loop ------------------------------------------------------------------ */

static int child_calls, child_revents, child_rpid, child_rstatus;

static void
note_child_cb (struct ev_loop *loop, ev_child *w, int revents)
{
  (void)loop;
  ++child_calls;
  child_revents = revents;
  child_rpid = w->rpid;
  child_rstatus = w->rstatus;
}

static int walked_children, walked_others;

static void
count_walked_cb (struct ev_loop *loop, int type, void *w)
{
  (void)loop, (void)w;
  if (type == EV_CHILD)
    ++walked_children;
  else
    ++walked_others;
}

static pid_t
child_exiting (int status, useconds_t after)
{
  pid_t pid = fork ();
  assert_true (pid >= 0);
  if (!pid)
    {
      usleep (after);
      _exit (status);
    }
  return pid;
}

/* A child that exits with status once the parent closes *release (read by the parent itself
 * otherwise): where no pidfd exists, ev_child_start looks at the pid at once and may collect a
 * child that has already exited, so a test of the program reaping first must hold it until then. */
static pid_t
child_exiting_when_released (int status, int *release)
{
  int p[2];
  assert_int_equal (pipe (p), 0);
  pid_t pid = fork ();
  assert_true (pid >= 0);
  if (!pid)
    {
      char c;
      close (p[1]);
      while (read (p[0], &c, 1) < 0 && errno == EINTR)
        ;
      _exit (status);
    }
  close (p[0]);
  *release = p[1];
  return pid;
}

static void
extensions__any_loop_child_reports_the_exit_in_another_loop (void **state)
{
  (void)state;
  struct ev_loop *loop = loop_with (EVFLAG_NG_ANY_LOOP);
  child_calls = 0;
  pid_t pid = child_exiting (7, 20000);
  ev_child w;
  ev_child_init (&w, note_child_cb, pid, 0);
  ev_child_start (loop, &w);
  walked_children = walked_others = 0;
  ev_walk (loop, EV_CHILD | EV_IO, count_walked_cb);
  assert_int_equal (walked_children, 1);
  assert_int_equal (walked_others, 0); /* the loop's own pidfd watcher is not the program's */
  run_until_count (loop, &child_calls, 1);
  assert_int_equal (child_calls, 1);
  assert_int_equal (child_revents, EV_CHILD);
  assert_int_equal (child_rpid, pid);
  assert_true (WIFEXITED (child_rstatus) && WEXITSTATUS (child_rstatus) == 7);
  assert_true (ev_is_active (&w)); /* as in the default loop */
  assert_int_equal (ev_priority (&w), EV_MAXPRI);
  /* collected: no zombie left */
  assert_int_equal (waitpid (pid, NULL, WNOHANG), -1);
  assert_int_equal (errno, ECHILD);
  /* nothing more comes, and the watcher holds its reference until stopped */
  ev_run (loop, EVRUN_NOWAIT);
  assert_int_equal (child_calls, 1);
  ev_child_stop (loop, &w);
  assert_int_equal (ev_run (loop, EVRUN_NOWAIT), 0);
  ev_loop_destroy (loop);
}

/* The lowest fd number that is open now and was not in `before` (fds 0..1023), or -1. */
static int
new_fd (const unsigned char *before)
{
  for (int fd = 0; fd < 1024; ++fd)
    if (!before[fd] && fcntl (fd, F_GETFD) >= 0)
      return fd;
  return -1;
}

static void
mark_open_fds (unsigned char *open_now)
{
  for (int fd = 0; fd < 1024; ++fd)
    open_now[fd] = fcntl (fd, F_GETFD) >= 0;
}

/* The program closes the loop's pidfd behind its back (a close-all-fds loop before exec, say):
 * the loop must not mistake it for a user watcher's closed fd, re-open it and still report. */
static void
extensions__any_loop_child_pidfd_closed_behind_the_loop_is_reopened (void **state)
{
  (void)state;
  struct ev_loop *loop = loop_with (EVFLAG_NG_ANY_LOOP);
  ev_run (loop, EVRUN_NOWAIT); /* the loop's own fds first */
  static unsigned char before[1024];
  mark_open_fds (before);
  pid_t pid = child_exiting (4, 50000);
  ev_child w;
  ev_child_init (&w, note_child_cb, pid, 0);
  ev_child_start (loop, &w);
  int pidfd = new_fd (before);
  if (pidfd < 0) /* no pidfd here (valgrind, old kernel): the SIGCHLD path has none to lose */
    {
      kill (pid, SIGKILL);
      waitpid (pid, NULL, 0);
      ev_child_stop (loop, &w);
      ev_loop_destroy (loop);
      skip ();
    }
  close (pidfd);
  child_calls = 0;
  run_until_count (loop, &child_calls, 1);
  assert_int_equal (child_calls, 1);
  assert_int_equal (child_revents, EV_CHILD);
  assert_int_equal (WEXITSTATUS (child_rstatus), 4);
  assert_true (ev_is_active (&w));
  assert_int_equal (ev_run (loop, EVRUN_NOWAIT), 1); /* the watcher's reference, and no other */
  ev_child_stop (loop, &w);
  assert_int_equal (ev_run (loop, EVRUN_NOWAIT), 0);
  ev_loop_destroy (loop);
}

static void
extensions__any_loop_child_killed_by_a_signal (void **state)
{
  (void)state;
  struct ev_loop *loop = loop_with (EVFLAG_NG_ANY_LOOP);
  child_calls = 0;
  pid_t pid = child_exiting (0, 10000000);
  ev_child w;
  ev_child_init (&w, note_child_cb, pid, 0);
  ev_child_start (loop, &w);
  kill (pid, SIGKILL);
  run_until_count (loop, &child_calls, 1);
  assert_int_equal (child_calls, 1);
  assert_true (WIFSIGNALED (child_rstatus) && WTERMSIG (child_rstatus) == SIGKILL);
  ev_child_stop (loop, &w);
  ev_loop_destroy (loop);
}

static int default_calls, default_rstatus;

static void
note_default_child_cb (struct ev_loop *loop, ev_child *w, int revents)
{
  (void)loop, (void)revents;
  ++default_calls;
  default_rstatus = w->rstatus;
}

static void
extensions__any_loop_child_status_survives_the_default_loop_reaping_it (void **state)
{
  (void)state;
  /* The default loop reaps every child (libev's rule); the status of one that another loop
   * watches is handed over, so both loops see it. */
  struct ev_loop *dflt = ev_default_loop (test_backend | EVFLAG_NOENV);
  struct ev_loop *loop = loop_with (EVFLAG_NG_ANY_LOOP);
  ev_child any, mine;
  ev_child_init (&any, note_default_child_cb, 0, 0);
  ev_child_start (dflt, &any);
  child_calls = default_calls = 0;
  pid_t pid = child_exiting (9, 10000);
  ev_child_init (&mine, note_child_cb, pid, 0);
  ev_child_start (loop, &mine);

  run_until_count (dflt, &default_calls, 1); /* the default loop collects it first */
  assert_int_equal (default_calls, 1);
  assert_int_equal (WEXITSTATUS (default_rstatus), 9);
  run_until_count (loop, &child_calls, 1);
  assert_int_equal (child_calls, 1);
  assert_int_equal (child_revents, EV_CHILD);
  assert_int_equal (child_rpid, pid);
  assert_int_equal (WEXITSTATUS (child_rstatus), 9);

  ev_child_stop (loop, &mine);
  ev_child_stop (dflt, &any);
  ev_loop_destroy (loop);
  ev_loop_destroy (dflt);
}

/* The default loop reaps the child before the other loop starts its ev_child (a worker that
 * forks, then starts its watcher a little later, while the default loop runs elsewhere): the
 * status is kept for the watcher that comes (libev-ng used to give it EV_ERROR). */
static void
extensions__any_loop_child_started_after_the_default_loop_reaped_it (void **state)
{
  (void)state;
  struct ev_loop *dflt = ev_default_loop (test_backend | EVFLAG_NOENV);
  struct ev_loop *loop = loop_with (EVFLAG_NG_ANY_LOOP);
  ev_child any, mine;
  ev_child_init (&any, note_default_child_cb, 0, 0);
  ev_child_start (dflt, &any);
  child_calls = default_calls = 0;
  pid_t pid = child_exiting (11, 0);
  run_until_count (dflt, &default_calls, 1); /* reaped by the default loop */
  assert_int_equal (default_calls, 1);
  assert_int_equal (waitpid (pid, NULL, WNOHANG), -1); /* gone */
  ev_child_init (&mine, note_child_cb, pid, 0);
  ev_child_start (loop, &mine);
  run_until_count (loop, &child_calls, 1);
  assert_int_equal (child_calls, 1);
  assert_int_equal (child_revents, EV_CHILD);
  assert_int_equal (child_rpid, pid);
  assert_true (WIFEXITED (child_rstatus) && WEXITSTATUS (child_rstatus) == 11);
  assert_true (ev_is_active (&mine)); /* as in the default loop */
  ev_child_stop (loop, &mine);
  ev_child_stop (dflt, &any);
  ev_loop_destroy (loop);
  ev_loop_destroy (dflt);
}

/* The same as a race, as a program meets it: the default loop runs in a thread of its own
 * while a worker loop forks children and starts a watcher for each, at once or 0-3 ms later;
 * every child's exit status reaches the worker. */
struct default_runner
{
  struct ev_loop *loop;
  ev_async stop;
};

static void
stop_default_cb (struct ev_loop *loop, ev_async *w, int revents)
{
  (void)w, (void)revents;
  ev_break (loop, EVBREAK_ALL);
}

static void *
run_default (void *arg)
{
  struct default_runner *r = arg;
  ev_run (r->loop, 0);
  return NULL;
}

enum { RACED_CHILDREN = 40 };
static int raced_status[RACED_CHILDREN], raced_revents[RACED_CHILDREN], raced_calls;

static void
raced_child_cb (struct ev_loop *loop, ev_child *w, int revents)
{
  (void)loop;
  intptr_t i = (intptr_t)w->data;
  raced_status[i] = w->rstatus;
  raced_revents[i] = revents;
  ++raced_calls;
  ev_child_stop (loop, w);
}

static void
extensions__any_loop_child_status_survives_a_default_loop_running_in_another_thread (void **state)
{
  (void)state;
  skip_where_valgrind_holds_wakeups ();
  struct default_runner r;
  r.loop = ev_default_loop (test_backend | EVFLAG_NOENV);
  ev_async_init (&r.stop, stop_default_cb);
  ev_async_start (r.loop, &r.stop);
  pthread_t t;
  assert_int_equal (pthread_create (&t, NULL, run_default, &r), 0);
  struct ev_loop *loop = loop_with (EVFLAG_NG_ANY_LOOP);
  ev_child w[RACED_CHILDREN];
  raced_calls = 0;
  for (long i = 0; i < RACED_CHILDREN; ++i)
    {
      raced_revents[i] = 0;
      pid_t pid = child_exiting ((int)i + 1, 0);
      if (i % 4)
        usleep ((useconds_t)(i % 4) * 1000);
      ev_child_init (&w[i], raced_child_cb, pid, 0);
      w[i].data = (void *)(intptr_t)i;
      ev_child_start (loop, &w[i]);
    }
  run_until_count (loop, &raced_calls, RACED_CHILDREN);
  ev_async_send (r.loop, &r.stop);
  assert_int_equal (pthread_join (t, NULL), 0);
  int errors = 0;
  for (int i = 0; i < RACED_CHILDREN; ++i)
    if (raced_revents[i] != EV_CHILD || !WIFEXITED (raced_status[i]) || WEXITSTATUS (raced_status[i]) != i + 1)
      ++errors;
  if (errors)
    fail_msg ("%d of %d children: no status (EV_ERROR or nothing)", errors, RACED_CHILDREN);
  assert_int_equal (raced_calls, RACED_CHILDREN);
  ev_async_stop (r.loop, &r.stop);
  ev_loop_destroy (loop);
  ev_loop_destroy (r.loop);
}

static void
extensions__any_loop_child_reaped_by_the_program_gets_ev_error (void **state)
{
  (void)state;
  struct ev_loop *loop = loop_with (EVFLAG_NG_ANY_LOOP);
  child_calls = 0;
  int release;
  pid_t pid = child_exiting_when_released (3, &release);
  ev_child w;
  ev_child_init (&w, note_child_cb, pid, 0);
  ev_child_start (loop, &w);
  close (release);
  assert_int_equal (waitpid (pid, NULL, 0), pid); /* the status is the program's now */
  run_until_count (loop, &child_calls, 1);
  assert_int_equal (child_calls, 1);
  assert_int_equal (child_revents, EV_ERROR);
  assert_false (ev_is_active (&w));

  /* a pid that is nobody's child: at once */
  child_calls = 0;
  ev_child_init (&w, note_child_cb, pid, 0); /* reaped above: no such process now */
  ev_child_start (loop, &w);
  assert_false (ev_is_active (&w));
  ev_run (loop, EVRUN_NOWAIT);
  assert_int_equal (child_calls, 1);
  assert_int_equal (child_revents, EV_ERROR);
  ev_loop_destroy (loop);
}

/* In a child process whose pidfd_open is refused (a sandbox, an old kernel): the loop falls
 * back to SIGCHLD, and still reports exactly its own child.  The verdict goes through shared
 * memory; exit status 0 only if every check held. */
struct fallback_result
{
  int calls, revents, rpid_ok, status, other_left;
};

static void
child_without_pidfds (void *arg)
{
  struct fallback_result *r = arg;
  long nr = SYS_pidfd_open;
  if (refuse_syscalls (&nr, 1, ENOSYS) < 0)
    _exit (77);
  struct ev_loop *loop = loop_with (EVFLAG_NG_ANY_LOOP);
  pid_t other = child_exiting (1, 0); /* not watched: must be left alone */
  pid_t pid = child_exiting (6, 20000);
  ev_child w;
  ev_child_init (&w, note_child_cb, pid, 0);
  child_calls = 0;
  ev_child_start (loop, &w);
  run_until_count (loop, &child_calls, 1);
  r->calls = child_calls;
  r->revents = child_revents;
  r->rpid_ok = child_rpid == pid;
  r->status = child_rstatus;
  usleep (20000);
  ev_run (loop, EVRUN_NOWAIT);
  /* still ours to reap (it may not have exited yet): the loop left it alone */
  r->other_left = waitpid (other, NULL, 0) == other;
  ev_child_stop (loop, &w);
  ev_loop_destroy (loop);
  r->calls += 100 * signal_disposition_is_default (SIGCHLD); /* the last one restored it */
}

static void
extensions__any_loop_child_without_pidfds_falls_back_to_sigchld (void **state)
{
  (void)state;
  struct fallback_result *r = harness_shared_new (sizeof *r);
  struct harness_child out;
  harness_child_run (child_without_pidfds, r, 10, &out);
  if (out.exited && out.status == 77)
    {
      harness_shared_free (r, sizeof *r);
      skip ();
    }
  assert_true (out.exited && out.status == 0);
  assert_int_equal (r->calls, 101);
  assert_int_equal (r->revents, EV_CHILD);
  assert_true (r->rpid_ok);
  assert_true (WIFEXITED (r->status) && WEXITSTATUS (r->status) == 6);
  assert_true (r->other_left);
  harness_shared_free (r, sizeof *r);
}

/* The loop stops the watchers of a child reaped elsewhere itself, from the callback of its
 * pidfd watcher: debug mode (EVFLAG_NG_DEBUG) must not take that for a misuse. */
static void
child_ev_error_in_debug_mode (void *arg)
{
  (void)arg;
  struct ev_loop *loop = loop_with (EVFLAG_NG_ANY_LOOP | EVFLAG_NG_DEBUG);
  int release;
  pid_t pid = child_exiting_when_released (3, &release);
  ev_child w;
  ev_child_init (&w, note_child_cb, pid, 0);
  ev_child_start (loop, &w);
  close (release);
  waitpid (pid, NULL, 0);
  child_calls = 0;
  run_until_count (loop, &child_calls, 1);
  if (child_calls != 1 || child_revents != EV_ERROR || ev_is_active (&w))
    _exit (1);
  ev_loop_destroy (loop);
}

static void
extensions__any_loop_child_ev_error_is_no_misuse_in_debug_mode (void **state)
{
  (void)state;
  struct harness_child out;
  harness_child_run (child_ev_error_in_debug_mode, NULL, 10, &out);
  if (!out.exited || out.status != 0)
    fail_msg ("exited %d status %d signal %d: %s", out.exited, out.status, out.signo, out.err);
}

static void
watch_any_child_in_other_loop (void *arg)
{
  struct ev_loop *loop = loop_with ((unsigned int)(intptr_t)arg);
  ev_child w;
  ev_child_init (&w, note_child_cb, 0, 0);
  ev_child_start (loop, &w);
}

static void
extensions__any_loop_child_of_pid_zero_is_a_usage_error (void **state)
{
  (void)state;
  expect_abort (watch_any_child_in_other_loop, (void *)(intptr_t)EVFLAG_NG_ANY_LOOP,
                "only the default loop, which reaps all children, can watch any child");
}

static void
extensions__without_any_loop_a_child_in_another_loop_aborts_as_libev (void **state)
{
  (void)state;
  expect_abort (watch_any_child_in_other_loop, (void *)0L, "libev: child watchers are only supported in the default loop");
}

/* ---- EVFLAG_NG_REAP_OWN --------------------------------------------------------------------- */

static void
reap_own_or_all (unsigned int flag, int *unwatched_left)
{
  struct ev_loop *dflt = ev_default_loop (test_backend | EVFLAG_NOENV | flag);
  child_calls = 0;
  pid_t other = child_exiting (1, 0); /* a library's child, say */
  /* other has exited (not reaped: WNOWAIT) before mine exits and the loop looks: otherwise, on a
   * slow machine (valgrind), other may exit after the loop's last look, and stay, without
   * REAP_OWN too */
  siginfo_t exited;
  assert_int_equal (waitid (P_PID, (id_t)other, &exited, WEXITED | WNOWAIT), 0);
  pid_t mine = child_exiting (2, 20000);
  ev_child w;
  ev_child_init (&w, note_child_cb, mine, 0);
  ev_child_start (dflt, &w);
  run_until_count (dflt, &child_calls, 1);
  assert_int_equal (child_calls, 1);
  assert_int_equal (child_rpid, mine);
  assert_int_equal (WEXITSTATUS (child_rstatus), 2);
  int status = 0;
  *unwatched_left = waitpid (other, &status, WNOHANG) == other;
  if (*unwatched_left)
    assert_int_equal (WEXITSTATUS (status), 1);
  ev_child_stop (dflt, &w);
  ev_loop_destroy (dflt);
}

static void
extensions__reap_own_leaves_other_children_to_their_owner (void **state)
{
  (void)state;
  int left;
  reap_own_or_all (EVFLAG_NG_REAP_OWN, &left);
  assert_true (left);
}

static void
extensions__without_reap_own_the_default_loop_reaps_every_child (void **state)
{
  (void)state;
  int left;
  reap_own_or_all (0, &left);
  assert_false (left);
}

/* ---- no blocked signal leaks into an exec'd child ------------------------------------------ */

/* The SigBlk mask of a child that execs cat on its own status file. */
static unsigned long long
exec_child_sigblk (void)
{
  int p[2];
  assert_int_equal (pipe (p), 0);
  pid_t pid = fork ();
  assert_true (pid >= 0);
  if (!pid)
    {
      dup2 (p[1], 1);
      execl ("/bin/cat", "cat", "/proc/self/status", (char *)NULL);
      _exit (127);
    }
  close (p[1]);
  char buf[8192];
  size_t got = 0;
  ssize_t n;
  while ((n = read (p[0], buf + got, sizeof buf - 1 - got)) > 0)
    got += (size_t)n;
  buf[got] = 0;
  close (p[0]);
  assert_int_equal (waitpid (pid, NULL, 0), pid);
  const char *line = strstr (buf, "\nSigBlk:");
  assert_non_null (line);
  return strtoull (line + 8, NULL, 16);
}

static void
extensions__any_loop_leaks_no_blocked_signal_into_an_exec_child (void **state)
{
  (void)state;
  unsigned long long before = exec_child_sigblk ();
  struct ev_loop *a = loop_with (EVFLAG_NG_ANY_LOOP), *b = loop_with (EVFLAG_NG_ANY_LOOP);
  ev_signal sa, sb;
  ev_signal_init (&sa, count_signal_cb, SIGHUP);
  ev_signal_init (&sb, count_signal_cb, SIGHUP);
  ev_signal_start (a, &sa);
  ev_signal_start (b, &sb);
  pid_t pid = child_exiting (0, 10000000);
  ev_child c;
  ev_child_init (&c, note_child_cb, pid, 0);
  ev_child_start (b, &c);
  ev_run (a, EVRUN_NOWAIT);
  ev_run (b, EVRUN_NOWAIT);

  assert_true (exec_child_sigblk () == before);

  kill (pid, SIGKILL);
  child_calls = 0;
  run_until_count (b, &child_calls, 1);
  assert_int_equal (child_calls, 1);
  ev_child_stop (b, &c);
  ev_signal_stop (a, &sa);
  ev_signal_stop (b, &sb);
  ev_loop_destroy (a);
  ev_loop_destroy (b);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    plain_test (extensions__any_loop_signal_reaches_every_loop),
    plain_test (extensions__any_loop_signal_reaches_loops_in_other_threads),
    plain_test (extensions__without_any_loop_a_signal_in_two_loops_aborts_as_libev),
    plain_test (extensions__any_loop_child_reports_the_exit_in_another_loop),
    plain_test (extensions__any_loop_child_started_after_the_default_loop_reaped_it),
    plain_test (extensions__any_loop_child_status_survives_a_default_loop_running_in_another_thread),
    plain_test (extensions__any_loop_child_killed_by_a_signal),
    plain_test (extensions__any_loop_child_pidfd_closed_behind_the_loop_is_reopened),
    plain_test (extensions__any_loop_child_status_survives_the_default_loop_reaping_it),
    plain_test (extensions__any_loop_child_reaped_by_the_program_gets_ev_error),
    plain_test (extensions__any_loop_child_without_pidfds_falls_back_to_sigchld),
    plain_test (extensions__any_loop_child_ev_error_is_no_misuse_in_debug_mode),
    plain_test (extensions__any_loop_child_of_pid_zero_is_a_usage_error),
    plain_test (extensions__without_any_loop_a_child_in_another_loop_aborts_as_libev),
    plain_test (extensions__reap_own_leaves_other_children_to_their_owner),
    plain_test (extensions__without_reap_own_the_default_loop_reaps_every_child),
    plain_test (extensions__any_loop_leaks_no_blocked_signal_into_an_exec_child),
  };
  return HARNESS_RUN ("libev_ng_any_loop", tests);
}
