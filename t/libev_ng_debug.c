/* SPDX-License-Identifier: BSD-2-Clause */
/* t/libev_ng_debug.c - ev(3) "LIBEV-NG EXTENSIONS", "Debug mode" (EVFLAG_NG_DEBUG,
 * LIBEV_NG_DEBUG): each misuse it catches is reported as a usage error that names the call,
 * the watcher (address and type) and what to do, and the program aborts; a correct program
 * runs without a report; without debug mode the same misuse behaves as before.  On every
 * backend.  libev-ng only (not part of t/system-libev.sh).
 *
 * Every misuse runs in a forked child (the abort must happen there).  cmocka's assertions
 * must not be used in a child (a failure would longjmp into the child's copy of the test
 * runner): CHECK() reports on stderr and _exit(1)s.  The watchers live in static storage, so
 * that their addresses are the same in the child and in the parent, which builds the
 * expected messages, and so that "freeing" one is a memset of memory that stays valid. */
#define _GNU_SOURCE 1
#include "config.h" /* EV_NG_SMALL */
#include "harness.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static struct ev_loop *
debug_loop_new (void)
{
  struct ev_loop *loop = ev_loop_new (test_backend | EVFLAG_NOENV | EVFLAG_NG_DEBUG);
  CHECK (loop && ev_backend (loop) == test_backend);
  return loop;
}

static struct ev_loop *
plain_loop_new (void)
{
  struct ev_loop *loop = ev_loop_new (test_backend | EVFLAG_NOENV);
  CHECK (loop && ev_backend (loop) == test_backend);
  return loop;
}

static void
make_pipe (int p[2])
{
  CHECK (pipe2 (p, O_NONBLOCK | O_CLOEXEC) == 0);
}

static void
nothing_io_cb (struct ev_loop *loop, ev_io *w, int revents)
{
  (void)loop, (void)w, (void)revents;
}

static void
nothing_timer_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)loop, (void)w, (void)revents;
}

/* Runs fn in a child and asserts that it died by SIGABRT with every one of the needles in its
 * stderr (up to one with a null format; each format may print its pointer with %p), and that
 * the report is a single line. */
#define MAX_NEEDLES 8
struct needle
{
  const char *fmt;
  const void *p;
};

static void
expect_report (void (*fn) (void *), const struct needle *needles)
{
  struct harness_child c;
  harness_child_run (fn, NULL, 20, &c);
  if (!c.signaled || c.signo != SIGABRT)
    fail_msg ("expected SIGABRT, the child %s %d; its stderr:\n%s", c.exited ? "exited with status" : "was killed by signal",
              c.exited ? c.status : c.signo, c.err);
  for (int i = 0; i < MAX_NEEDLES && needles[i].fmt; ++i)
    {
      char want[256];
      snprintf (want, sizeof want, needles[i].fmt, needles[i].p);
      if (!strstr (c.err, want))
        fail_msg ("the child aborted, but its stderr lacks \"%s\":\n%s", want, c.err);
    }
  if (strstr (c.err, "\n") != strrchr (c.err, '\n'))
    fail_msg ("more than one line on stderr:\n%s", c.err);
}

/* Runs fn in a child and asserts that it exited with status 0 and wrote nothing to stderr. */
static void
expect_clean (void (*fn) (void *))
{
  struct harness_child c;
  harness_child_run (fn, NULL, 30, &c);
  if (!c.exited || c.status != 0 || c.err[0])
    fail_msg ("the child %s %d; its stderr:\n%s", c.exited ? "exited with status" : "was killed by signal",
              c.exited ? c.status : c.signo, c.err);
}

static ev_io io_w, io_b;
static ev_timer timer_w;
static ev_idle idle_w;
static struct ev_loop *loop_a, *loop_b;

/* ---- a watcher re-initialised while active ------------------------------------------------- */

static void
reinit_io_and_restart (void *arg)
{
  (void)arg;
  int p[2];
  make_pipe (p);
  struct ev_loop *loop = debug_loop_new ();
  ev_io_init (&io_w, nothing_io_cb, p[0], EV_READ);
  ev_io_start (loop, &io_w);
  ev_run (loop, EVRUN_NOWAIT);
  ev_io_init (&io_w, nothing_io_cb, p[0], EV_READ);
  ev_io_start (loop, &io_w);
}

static void
reinit_timer_and_run (void *arg)
{
  (void)arg;
  struct ev_loop *loop = debug_loop_new ();
  ev_timer_init (&timer_w, nothing_timer_cb, 10., 0.);
  ev_timer_start (loop, &timer_w);
  ev_run (loop, EVRUN_NOWAIT);
  ev_timer_init (&timer_w, nothing_timer_cb, 5., 0.); /* the program believes it stopped it */
  ev_run (loop, EVRUN_NOWAIT);
}

/* The start of a re-initialised active watcher is reported at the start (libev 4.33 finds a
 * corrupted list later, or never); one that is left alone at the next iteration. */
static void
extensions__debug_reports_a_watcher_reinitialised_while_active (void **state)
{
  (void)state;
  const struct needle at_start[] = {
    { "libev-ng: usage error in ev_io_start (active = 0): \"debug mode: ", NULL },
    { "ev_io watcher %p was re-initialised (ev_io_init or ev_init)", &io_w },
    { "stop it (ev_io_stop) before re-initialising it", NULL },
    { NULL, NULL },
  };
  expect_report (reinit_io_and_restart, at_start);
  const struct needle in_run[] = {
    { "libev-ng: usage error in ev_run (active = 0): \"debug mode: ", NULL },
    { "ev_timer watcher %p was re-initialised (ev_timer_init or ev_init)", &timer_w },
    { "stop it (ev_timer_stop) before re-initialising it", NULL },
    { NULL, NULL },
  };
  expect_report (reinit_timer_and_run, in_run);
}

/* ---- ev_io_set, ev_timer_set and ev_set_priority on an active watcher ---------------------- */

static int set_p[2], set_q[2];

static void
io_set_and_run (void *arg)
{
  (void)arg;
  struct ev_loop *loop = debug_loop_new ();
  ev_io_init (&io_w, nothing_io_cb, set_p[0], EV_READ);
  ev_io_start (loop, &io_w);
  ev_run (loop, EVRUN_NOWAIT);
  ev_io_set (&io_w, set_q[0], EV_READ);
  ev_run (loop, EVRUN_NOWAIT);
}

static void
io_set_and_stop (void *arg)
{
  (void)arg;
  struct ev_loop *loop = debug_loop_new ();
  ev_io_init (&io_w, nothing_io_cb, set_p[0], EV_READ);
  ev_io_start (loop, &io_w);
  ev_io_set (&io_w, set_p[0], EV_READ | EV_WRITE);
  ev_io_stop (loop, &io_w);
}

/* ev_io_modify and ev_io_set with the same fd and another mask, in ev_run: the kernel is not
 * told, so without debug mode the watcher silently keeps its old mask (libev 4.33 the same) */
static int io_mask_set; /* 1: ev_io_set, 0: ev_io_modify */

static void
io_mask_changed_and_run (void *arg)
{
  (void)arg;
  struct ev_loop *loop = debug_loop_new ();
  ev_io_init (&io_w, nothing_io_cb, set_p[1], EV_READ);
  ev_io_start (loop, &io_w);
  ev_run (loop, EVRUN_NOWAIT);
  if (io_mask_set)
    ev_io_set (&io_w, set_p[1], EV_WRITE);
  else
    ev_io_modify (&io_w, EV_WRITE);
  ev_run (loop, EVRUN_NOWAIT);
}

static void
extensions__debug_reports_io_modify_on_an_active_watcher (void **state)
{
  (void)state;
  make_pipe (set_p);
  char fd_arg[64], fds[128];
  snprintf (fd_arg, sizeof fd_arg, "usage error in ev_run (fd = %d): \"debug mode: ", set_p[1]);
  snprintf (fds, sizeof fds, "it has fd %d and events 0x2, it was started with fd %d and events 0x1", set_p[1],
            set_p[1]);
  const struct needle in_run[] = {
    { fd_arg, NULL },
    { "ev_io watcher %p was changed while active", &io_w },
    { fds, NULL },
    { NULL, NULL },
  };
  for (io_mask_set = 0; io_mask_set < 2; ++io_mask_set)
    expect_report (io_mask_changed_and_run, in_run);
  close (set_p[0]), close (set_p[1]);
}

static void
extensions__debug_reports_io_set_on_an_active_watcher (void **state)
{
  (void)state;
  make_pipe (set_p);
  make_pipe (set_q);
  char fd_arg[64], fds[128];
  snprintf (fd_arg, sizeof fd_arg, "usage error in ev_run (fd = %d): \"debug mode: ", set_q[0]);
  snprintf (fds, sizeof fds, "it has fd %d and events 0x1, it was started with fd %d and events 0x1", set_q[0],
            set_p[0]);
  const struct needle in_run[] = {
    { fd_arg, NULL },
    { "ev_io watcher %p was changed while active", &io_w },
    { fds, NULL },
    { "(ev_io_set or ev_io_modify on an active watcher); stop it (ev_io_stop) before ev_io_set, then start it "
      "again",
      NULL },
    { NULL, NULL },
  };
  expect_report (io_set_and_run, in_run);
  const struct needle at_stop[] = {
    { "usage error in ev_io_stop (fd = ", NULL },
    { "ev_io watcher %p was changed while active", &io_w },
    { "and events 0x3, it was started with", NULL },
    { NULL, NULL },
  };
  expect_report (io_set_and_stop, at_stop);
  close (set_p[0]), close (set_p[1]), close (set_q[0]), close (set_q[1]);
}

static void
timer_set_and_stop (void *arg)
{
  (void)arg;
  struct ev_loop *loop = debug_loop_new ();
  ev_timer_init (&timer_w, nothing_timer_cb, 10., 0.);
  ev_timer_start (loop, &timer_w);
  ev_timer_set (&timer_w, 5., 0.);
  ev_timer_stop (loop, &timer_w);
}

static void
timer_set_and_run (void *arg)
{
  (void)arg;
  struct ev_loop *loop = debug_loop_new ();
  ev_timer_init (&timer_w, nothing_timer_cb, 10., 0.);
  ev_timer_start (loop, &timer_w);
  ev_timer_set (&timer_w, 5., 1.);
  ev_run (loop, EVRUN_NOWAIT);
}

static ev_periodic periodic_w;

static void
nothing_periodic_cb (struct ev_loop *loop, ev_periodic *w, int revents)
{
  (void)loop, (void)w, (void)revents;
}

static void
periodic_at_changed_and_stop (void *arg)
{
  (void)arg;
  struct ev_loop *loop = debug_loop_new ();
  ev_periodic_init (&periodic_w, nothing_periodic_cb, ev_now (loop) + 1000., 0., 0);
  ev_periodic_start (loop, &periodic_w);
  periodic_w.at = 5.; /* read-only while active (ev(3) ev_periodic) */
  ev_periodic_stop (loop, &periodic_w);
}

static void
extensions__debug_reports_a_timer_or_periodic_changed_while_active (void **state)
{
  (void)state;
  const struct needle at_stop[] = {
    { "libev-ng: usage error in ev_timer_stop (at = 5): \"debug mode: ", NULL },
    { "ev_timer watcher %p was changed while active: its at field is 5.000000", &timer_w },
    { "(ev_timer_set on an active timer); stop it (ev_timer_stop) before ev_timer_set, or set only its repeat "
      "value and call ev_timer_again",
      NULL },
    { NULL, NULL },
  };
  expect_report (timer_set_and_stop, at_stop);
  const struct needle in_run[] = {
    { "usage error in ev_run (at = 5)", NULL },
    { "ev_timer watcher %p was changed while active", &timer_w },
    { NULL, NULL },
  };
  expect_report (timer_set_and_run, in_run);
  /* a periodic's at, with its own remedy */
  const struct needle periodic[] = {
    { "libev-ng: usage error in ev_periodic_stop (at = 5): \"debug mode: ev_periodic watcher %p was changed while "
      "active: its at field is 5.000000, the loop has it due at ",
      &periodic_w },
    { " (at is read-only); stop it (ev_periodic_stop) before changing it\"", NULL },
    { NULL, NULL },
  };
  expect_report (periodic_at_changed_and_stop, periodic);
}

static void
priority_set_and_stop (void *arg)
{
  (void)arg;
  struct ev_loop *loop = debug_loop_new ();
  ev_idle_init (&idle_w, (void (*) (struct ev_loop *, ev_idle *, int))nothing_timer_cb);
  ev_idle_start (loop, &idle_w);
  ev_set_priority (&idle_w, 2);
  ev_idle_stop (loop, &idle_w);
}

static void
extensions__debug_reports_a_priority_changed_while_active (void **state)
{
  (void)state;
  const struct needle needles[] = {
    { "usage error in ev_idle_stop (priority = 2)", NULL },
    { "ev_idle watcher %p had its priority changed from 0 to 2 while active", &idle_w },
    { "stop it (ev_idle_stop) before ev_set_priority", NULL },
    { NULL, NULL },
  };
  expect_report (priority_set_and_stop, needles);
}

/* ---- a watcher freed (overwritten) while active -------------------------------------------- */

static void
free_io_and_run (void *arg)
{
  (void)arg;
  int p[2];
  make_pipe (p);
  struct ev_loop *loop = debug_loop_new ();
  ev_io_init (&io_w, nothing_io_cb, p[0], EV_READ);
  ev_io_start (loop, &io_w);
  ev_run (loop, EVRUN_NOWAIT);
  memset (&io_w, 0xa5, sizeof io_w); /* freed, and the memory reused */
  CHECK (write (p[1], "x", 1) == 1);
  ev_run (loop, EVRUN_NOWAIT);
}

static void
free_timer_and_run (void *arg)
{
  (void)arg;
  struct ev_loop *loop = debug_loop_new ();
  ev_timer_init (&timer_w, nothing_timer_cb, 0., 0.);
  ev_timer_start (loop, &timer_w);
  memset (&timer_w, 0x5a, sizeof timer_w);
  ev_run (loop, EVRUN_NOWAIT);
}

/* Watcher a (higher priority) frees watcher b; both are pending in the same pass. */
static void
free_other_cb (struct ev_loop *loop, ev_io *w, int revents)
{
  (void)loop, (void)w, (void)revents;
  memset (&io_b, 0xa5, sizeof io_b);
}

static void
free_pending_watcher (void *arg)
{
  (void)arg;
  int p[2];
  make_pipe (p);
  struct ev_loop *loop = debug_loop_new ();
  ev_io_init (&io_w, free_other_cb, p[0], EV_READ);
  ev_set_priority (&io_w, 1);
  ev_io_init (&io_b, nothing_io_cb, p[0], EV_READ);
  ev_io_start (loop, &io_w);
  ev_io_start (loop, &io_b);
  CHECK (write (p[1], "x", 1) == 1);
  ev_run (loop, EVRUN_NOWAIT);
}

static void
extensions__debug_reports_a_watcher_freed_while_active (void **state)
{
  (void)state;
  const struct needle io_needles[] = {
    { "libev-ng: usage error in ev_run (active = -1515870811): \"debug mode: ", NULL },
    { "ev_io watcher %p was freed or overwritten while active", &io_w },
    { "stop a watcher (ev_io_stop) before its memory is freed or reused", NULL },
    { NULL, NULL },
  };
  expect_report (free_io_and_run, io_needles);
  const struct needle timer_needles[] = {
    { "usage error in ev_run (active = 1515870810)", NULL },
    { "ev_timer watcher %p was freed or overwritten while active", &timer_w },
    { "stop a watcher (ev_timer_stop) before its memory is freed or reused", NULL },
    { NULL, NULL },
  };
  expect_report (free_timer_and_run, timer_needles);
  /* (found before its callback, in ev_run: the call the program made, not the loop's own
   * ev_invoke_pending) */
  const struct needle callback_needles[] = {
    { "usage error in ev_run (active = -1515870811)", NULL },
    { "ev_io watcher %p was freed or overwritten while active", &io_b },
    { NULL, NULL },
  };
  expect_report (free_pending_watcher, callback_needles);
}

/* ---- a loop used after ev_loop_destroy ------------------------------------------------------ */

/* The loop's memory is kept for a while (with its debug marks), so that a call with the
 * destroyed loop is reported instead of reading freed memory (a crash before). */
static void
start_on_a_destroyed_loop (void *arg)
{
  (void)arg;
  loop_a = debug_loop_new ();
  ev_loop_destroy (loop_a);
  ev_timer_init (&timer_w, nothing_timer_cb, 1., 0.);
  ev_timer_start (loop_a, &timer_w);
}

static void
run_a_destroyed_loop (void *arg)
{
  (void)arg;
  loop_a = debug_loop_new ();
  ev_loop_destroy (loop_a);
  ev_run (loop_a, EVRUN_NOWAIT);
}

/* An active watcher of the loop, stopped after the loop was destroyed (ev(3): the loop leaves
 * its watchers alone; a program that stops them afterwards uses the destroyed loop). */
static void
stop_on_a_destroyed_loop (void *arg)
{
  (void)arg;
  int p[2];
  make_pipe (p);
  loop_a = debug_loop_new ();
  ev_io_init (&io_w, nothing_io_cb, p[0], EV_READ);
  ev_io_start (loop_a, &io_w);
  ev_run (loop_a, EVRUN_NOWAIT);
  ev_loop_destroy (loop_a);
  ev_io_stop (loop_a, &io_w);
}

/* Destroyed twice, and the default loop destroyed and used. */
static void
destroy_a_destroyed_loop (void *arg)
{
  (void)arg;
  loop_a = debug_loop_new ();
  ev_loop_destroy (loop_a);
  ev_loop_destroy (loop_a);
}

static void
use_a_destroyed_default_loop (void *arg)
{
  (void)arg;
  loop_a = ev_default_loop (test_backend | EVFLAG_NOENV | EVFLAG_NG_DEBUG);
  ev_loop_destroy (loop_a);
  ev_idle_init (&idle_w, (void (*) (struct ev_loop *, ev_idle *, int))nothing_timer_cb);
  ev_feed_event (loop_a, &idle_w, EV_CUSTOM);
}

/* Many loops destroyed after the one that is used: only the last 16 are kept, so a call with
 * an older one is undefined again; a new default loop in the old one's storage runs. */
static void
many_destroyed_loops_then_a_new_default (void *arg)
{
  (void)arg;
  for (int i = 0; i < 40; ++i)
    ev_loop_destroy (debug_loop_new ());
  loop_a = ev_default_loop (test_backend | EVFLAG_NOENV | EVFLAG_NG_DEBUG);
  ev_loop_destroy (loop_a);
  loop_b = ev_default_loop (test_backend | EVFLAG_NOENV | EVFLAG_NG_DEBUG);
  CHECK (loop_a == loop_b);
  ev_timer_init (&timer_w, nothing_timer_cb, 0., 0.);
  ev_timer_start (loop_b, &timer_w);
  ev_run (loop_b, 0);
  ev_loop_destroy (loop_b);
  _exit (0);
}

static void
extensions__debug_reports_a_call_with_a_destroyed_loop (void **state)
{
  (void)state;
  const struct needle start[] = {
    { "libev-ng: usage error in ev_timer_start: \"debug mode: ev_timer_start was called with loop ", NULL },
    { "which ev_loop_destroy destroyed", NULL },
    { NULL, NULL },
  };
  expect_report (start_on_a_destroyed_loop, start);
  const struct needle run[] = {
    { "libev-ng: usage error in ev_run: \"debug mode: ev_run was called with loop ", NULL },
    { NULL, NULL },
  };
  expect_report (run_a_destroyed_loop, run);
  const struct needle stop[] = {
    { "libev-ng: usage error in ev_io_stop: \"debug mode: ev_io_stop was called with loop ", NULL },
    { NULL, NULL },
  };
  expect_report (stop_on_a_destroyed_loop, stop);
  const struct needle destroy[] = {
    { "libev-ng: usage error in ev_loop_destroy: \"debug mode: ev_loop_destroy was called with loop ", NULL },
    { NULL, NULL },
  };
  expect_report (destroy_a_destroyed_loop, destroy);
  const struct needle feed[] = {
    { "libev-ng: usage error in ev_feed_event: \"debug mode: ev_feed_event was called with loop ", NULL },
    { NULL, NULL },
  };
  expect_report (use_a_destroyed_default_loop, feed);
  expect_clean (many_destroyed_loops_then_a_new_default);
}

/* ---- a watcher started on two loops --------------------------------------------------------- */

static void
start_on_two_loops (void *arg)
{
  (void)arg;
  int p[2];
  make_pipe (p);
  loop_a = debug_loop_new ();
  loop_b = debug_loop_new ();
  ev_io_init (&io_w, nothing_io_cb, p[0], EV_READ);
  ev_io_start (loop_a, &io_w);
  ev_io_start (loop_b, &io_w);
}

static void
stop_on_the_other_loop (void *arg)
{
  (void)arg;
  loop_a = debug_loop_new ();
  loop_b = debug_loop_new ();
  ev_timer_init (&timer_w, nothing_timer_cb, 10., 0.);
  ev_timer_start (loop_a, &timer_w);
  ev_timer_stop (loop_b, &timer_w);
}

/* The first loop without debug mode: the second one still knows the watcher is not its own. */
static void
start_on_a_plain_and_a_debug_loop (void *arg)
{
  (void)arg;
  loop_a = plain_loop_new ();
  loop_b = debug_loop_new ();
  ev_timer_init (&timer_w, nothing_timer_cb, 10., 0.);
  ev_timer_start (loop_a, &timer_w);
  ev_timer_start (loop_b, &timer_w);
}

static void
extensions__debug_reports_a_watcher_started_on_two_loops (void **state)
{
  (void)state;
  /* (loop_a and loop_b are set in the child: the addresses are those of the child's loops,
   * which the parent cannot know; the messages are checked for their text) */
  const struct needle start[] = {
    { "libev-ng: usage error in ev_io_start: \"debug mode: ", NULL },
    { "ev_io watcher %p is active on loop 0x", &io_w },
    { "and was passed to ev_io_start for loop 0x", NULL },
    { "a watcher can be active on one loop at a time: stop it on loop 0x", NULL },
    { "first (ev_io_stop), or give each loop its own watcher", NULL },
    { NULL, NULL },
  };
  expect_report (start_on_two_loops, start);
  const struct needle stop[] = {
    { "libev-ng: usage error in ev_timer_stop: \"debug mode: ", NULL },
    { "ev_timer watcher %p is active on loop 0x", &timer_w },
    { "and was passed to ev_timer_stop for loop 0x", NULL },
    { NULL, NULL },
  };
  expect_report (stop_on_the_other_loop, stop);
  const struct needle plain[] = {
    { "libev-ng: usage error in ev_timer_start (active = 3): \"debug mode: ", NULL },
    { "ev_timer watcher %p is active, but not on loop 0x", &timer_w },
    { "it was started on another loop (one without debug mode)", NULL },
    { NULL, NULL },
  };
  expect_report (start_on_a_plain_and_a_debug_loop, plain);
}

/* ---- a loop used from another thread -------------------------------------------------------- */

static struct ev_loop *thread_loop;
static ev_async stop_async;
static ev_prepare running_prepare;
static volatile int loop_running;
static pthread_mutex_t loop_lock = PTHREAD_MUTEX_INITIALIZER;
static int loop_thread_locks; /* the loop thread holds loop_lock while it runs (release callbacks) */

static void
stop_cb (struct ev_loop *loop, ev_async *w, int revents)
{
  (void)w, (void)revents;
  ev_break (loop, EVBREAK_ALL);
}

static void
running_cb (struct ev_loop *loop, ev_prepare *w, int revents)
{
  (void)loop, (void)w, (void)revents;
  __atomic_store_n (&loop_running, 1, __ATOMIC_SEQ_CST);
}

static void *
run_loop_thread (void *arg)
{
  (void)arg;
  if (loop_thread_locks)
    pthread_mutex_lock (&loop_lock);
  ev_run (thread_loop, 0);
  if (loop_thread_locks)
    pthread_mutex_unlock (&loop_lock);
  return NULL;
}

/* The loop running in a thread of its own (until stop_async is sent), once it has started. */
static pthread_t
start_loop_thread (struct ev_loop *loop)
{
  thread_loop = loop;
  if (!ev_is_active (&stop_async))
    {
      ev_async_init (&stop_async, stop_cb);
      ev_async_start (loop, &stop_async);
      ev_prepare_init (&running_prepare, running_cb);
      ev_prepare_start (loop, &running_prepare);
    }
  __atomic_store_n (&loop_running, 0, __ATOMIC_SEQ_CST);
  pthread_t t;
  CHECK (pthread_create (&t, NULL, run_loop_thread, NULL) == 0);
  while (!__atomic_load_n (&loop_running, __ATOMIC_SEQ_CST))
    usleep (1000);
  return t;
}

static void
start_from_another_thread (void *arg)
{
  (void)arg;
  start_loop_thread (debug_loop_new ());
  ev_timer_init (&timer_w, nothing_timer_cb, 10., 0.);
  ev_timer_start (thread_loop, &timer_w);
}

static void
feed_from_another_thread (void *arg)
{
  (void)arg;
  start_loop_thread (debug_loop_new ());
  ev_idle_init (&idle_w, (void (*) (struct ev_loop *, ev_idle *, int))nothing_timer_cb);
  ev_feed_event (thread_loop, &idle_w, EV_CUSTOM);
}

static void
extensions__debug_reports_a_loop_used_from_another_thread (void **state)
{
  (void)state;
  skip_where_valgrind_holds_wakeups ();
  const struct needle start[] = {
    { "libev-ng: usage error in ev_timer_start: \"debug mode: ev_timer_start was called (ev_timer watcher %p) "
      "for loop 0x",
      &timer_w },
    { "from a thread other than the one running the loop (in ev_run)", NULL },
    { "other threads may only call ev_async_send and ev_feed_signal", NULL },
    { NULL, NULL },
  };
  expect_report (start_from_another_thread, start);
  const struct needle feed[] = {
    { "usage error in ev_feed_event: \"debug mode: ev_feed_event was called (a watcher %p)", &idle_w },
    { "from a thread other than the one running the loop", NULL },
    { NULL, NULL },
  };
  expect_report (feed_from_another_thread, feed);
}

static void
lock_loop (struct ev_loop *loop) EV_NOEXCEPT
{
  (void)loop;
  pthread_mutex_lock (&loop_lock);
}

static void
unlock_loop (struct ev_loop *loop) EV_NOEXCEPT
{
  (void)loop;
  pthread_mutex_unlock (&loop_lock);
}

static volatile int timer_fired;

static void
fired_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)loop, (void)w, (void)revents;
  __atomic_store_n (&timer_fired, 1, __ATOMIC_SEQ_CST);
}

/* The thread-safe calls, and the documented pattern of ev(3) THREADS AND SIGNALS: the loop
 * releases a lock while it waits, and another thread takes it to start a watcher. */
static void
released_loop_used_from_another_thread (void *arg)
{
  (void)arg;
  struct ev_loop *loop = debug_loop_new ();
  ev_set_loop_release_cb (loop, unlock_loop, lock_loop);
  loop_thread_locks = 1;

  /* the thread-safe calls, while the loop runs */
  pthread_t t = start_loop_thread (loop);
  ev_feed_signal (SIGUSR2); /* (no loop watches it: ignored) */
  ev_async_send (loop, &stop_async);
  pthread_join (t, NULL);

  /* a start under the lock while the loop waits, released */
  t = start_loop_thread (loop);
  pthread_mutex_lock (&loop_lock);
  ev_timer_init (&timer_w, fired_cb, 0.001, 0.);
  ev_timer_start (loop, &timer_w);
  ev_async_send (loop, &stop_async); /* wake it up (it stops) */
  pthread_mutex_unlock (&loop_lock);
  pthread_join (t, NULL);

  /* and the loop in this thread now that the other one is done with it */
  pthread_mutex_lock (&loop_lock);
  while (!__atomic_load_n (&timer_fired, __ATOMIC_SEQ_CST))
    ev_run (loop, EVRUN_ONCE);
  ev_set_loop_release_cb (loop, NULL, NULL);
  ev_loop_destroy (loop);
  pthread_mutex_unlock (&loop_lock);
}

static void
extensions__debug_allows_the_thread_safe_calls_and_a_released_loop (void **state)
{
  (void)state;
  skip_where_valgrind_holds_wakeups ();
  expect_clean (released_loop_used_from_another_thread);
}

/* ---- a correct program ---------------------------------------------------------------------- */

struct workload
{
  int p[2];
  ev_io reader, writer;
  ev_timer repeating, restarted, again;
  ev_timer *oneshot;  /* malloc'd, freed by its own callback */
  ev_periodic periodic;
  ev_idle idle;
  ev_prepare prepare;
  ev_check check;
  ev_async async;
  ev_signal signal;
  ev_stat stat;
  ev_fork fork;
  ev_cleanup cleanup;
  ev_child child;
  char path[64];
  int reads, restarts, agains, idles, checks, asyncs, signals, stats, forks, cleanups, onces, children;
  int oneshots, fed, done;
};

static struct workload wl;

static void
reader_cb (struct ev_loop *loop, ev_io *w, int revents)
{
  (void)revents;
  char c;
  while (read (w->fd, &c, 1) == 1)
    ++wl.reads;
  /* stop, move (ev_io_set on a stopped watcher), start again */
  ev_io_stop (loop, w);
  ev_io_set (w, wl.p[0], EV_READ);
  ev_io_start (loop, w);
}

static void
writer_cb (struct ev_loop *loop, ev_io *w, int revents)
{
  (void)revents;
  CHECK (write (wl.p[1], "x", 1) == 1);
  ev_io_stop (loop, w);
}

static void
oneshot_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)loop, (void)revents;
  ++wl.oneshots;
  free (w); /* stopped by the loop: the program may free it */
}

static void
restarted_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)revents;
  if (++wl.restarts < 5)
    {
      ev_timer_set (w, 0.001, 0.); /* stopped by the loop: may be set */
      ev_timer_start (loop, w);
    }
  if (wl.restarts == 2)
    {
      wl.oneshot = malloc (sizeof *wl.oneshot);
      CHECK (wl.oneshot);
      ev_timer_init (wl.oneshot, oneshot_cb, 0., 0.);
      ev_timer_start (loop, wl.oneshot);
      ev_io_start (loop, &wl.writer);
      ev_async_send (loop, &wl.async);
      raise (SIGUSR1);
      ev_feed_event (loop, &wl.idle, EV_CUSTOM);
      ev_clear_pending (loop, &wl.idle);
      ev_feed_event (loop, &wl.idle, EV_CUSTOM);
    }
}

static void
again_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)revents;
  ++wl.agains;
  w->repeat = 0.002; /* repeat may change at any time */
  ev_timer_again (loop, w);
  if (wl.agains == 3)
    ev_timer_stop (loop, w);
}

static void
idle_cb (struct ev_loop *loop, ev_idle *w, int revents)
{
  if (revents & EV_CUSTOM)
    ++wl.fed;
  if (++wl.idles == 3)
    ev_idle_stop (loop, w);
}

static void
prepare_cb (struct ev_loop *loop, ev_prepare *w, int revents)
{
  (void)loop, (void)w, (void)revents;
}

static void
check_cb (struct ev_loop *loop, ev_check *w, int revents)
{
  (void)revents;
  ++wl.checks;
  if (wl.restarts >= 5 && wl.agains >= 3 && wl.oneshots && wl.asyncs && wl.signals && wl.onces && wl.fed
      && wl.children && wl.reads && wl.idles >= 3 && wl.forks)
    {
      ev_check_stop (loop, w);
      ev_break (loop, EVBREAK_ALL);
      wl.done = 1;
    }
}

static void
async_cb (struct ev_loop *loop, ev_async *w, int revents)
{
  (void)loop, (void)w, (void)revents;
  ++wl.asyncs;
}

static void
signal_cb (struct ev_loop *loop, ev_signal *w, int revents)
{
  (void)loop, (void)w, (void)revents;
  ++wl.signals;
}

static void
stat_cb (struct ev_loop *loop, ev_stat *w, int revents)
{
  (void)loop, (void)w, (void)revents;
  ++wl.stats;
}

static void
fork_cb (struct ev_loop *loop, ev_fork *w, int revents)
{
  (void)loop, (void)w, (void)revents;
  ++wl.forks;
}

static void
cleanup_cb (struct ev_loop *loop, ev_cleanup *w, int revents)
{
  (void)loop, (void)w, (void)revents;
  ++wl.cleanups;
}

static void
child_cb (struct ev_loop *loop, ev_child *w, int revents)
{
  (void)revents;
  ++wl.children;
  ev_child_stop (loop, w);
}

static void
once_cb (int revents, void *arg)
{
  (void)revents, (void)arg;
  ++wl.onces;
}

static void
nested_cb (struct ev_loop *loop, ev_periodic *w, int revents)
{
  (void)w, (void)revents;
  if (!wl.done) /* (a nested ev_run would cancel the break) */
    ev_run (loop, EVRUN_NOWAIT); /* nested, same thread */
}

static void
correct_program (void *arg)
{
  (void)arg;
  /* the default loop, for the child watcher */
  struct ev_loop *loop = ev_default_loop (test_backend | EVFLAG_NOENV | EVFLAG_NG_DEBUG);
  CHECK (loop && ev_backend (loop) == test_backend);
  make_pipe (wl.p);
  ev_io_init (&wl.reader, reader_cb, wl.p[0], EV_READ);
  ev_io_init (&wl.writer, writer_cb, wl.p[1], EV_WRITE);
  ev_io_start (loop, &wl.reader);
  ev_io_start (loop, &wl.reader); /* (already active: nothing happens) */
  ev_timer_init (&wl.repeating, nothing_timer_cb, 0.001, 0.001);
  ev_timer_start (loop, &wl.repeating);
  ev_timer_init (&wl.restarted, restarted_cb, 0.001, 0.);
  ev_timer_start (loop, &wl.restarted);
  ev_timer_init (&wl.again, again_cb, 0., 0.001);
  ev_timer_again (loop, &wl.again);
  ev_periodic_init (&wl.periodic, nested_cb, 0., 0.002, NULL);
  ev_periodic_start (loop, &wl.periodic);
  ev_idle_init (&wl.idle, idle_cb);
  ev_set_priority (&wl.idle, -1); /* (before the start) */
  ev_idle_start (loop, &wl.idle);
  ev_prepare_init (&wl.prepare, prepare_cb);
  ev_prepare_start (loop, &wl.prepare);
  ev_check_init (&wl.check, check_cb);
  ev_check_start (loop, &wl.check);
  ev_async_init (&wl.async, async_cb);
  ev_async_start (loop, &wl.async);
  ev_signal_init (&wl.signal, signal_cb, SIGUSR1);
  ev_signal_start (loop, &wl.signal);
  snprintf (wl.path, sizeof wl.path, "/tmp/libev-ng-debug-%d", (int)getpid ());
  ev_stat_init (&wl.stat, stat_cb, wl.path, 0.01);
  ev_stat_start (loop, &wl.stat);
  ev_fork_init (&wl.fork, fork_cb);
  ev_fork_start (loop, &wl.fork);
  ev_cleanup_init (&wl.cleanup, cleanup_cb);
  ev_cleanup_start (loop, &wl.cleanup);
  ev_once (loop, -1, 0, 0.001, once_cb, NULL);
  pid_t pid = fork ();
  CHECK (pid >= 0);
  if (pid == 0)
    _exit (0);
  ev_child_init (&wl.child, child_cb, pid, 0);
  ev_child_start (loop, &wl.child);
  ev_loop_fork (loop);

  struct ev_loop *inner = NULL;
  ev_embed embed;
  if (test_backend == EVBACKEND_EPOLL)
    {
      inner = ev_loop_new (EVBACKEND_EPOLL | EVFLAG_NOENV | EVFLAG_NG_DEBUG);
      CHECK (inner);
      ev_embed_init (&embed, NULL, inner);
      ev_embed_start (loop, &embed);
    }

  ev_run (loop, 0);
  ev_verify (loop);

  CHECK (wl.reads > 0 && wl.idles >= 3 && wl.forks == 1 && wl.children == 1);
  ev_io_stop (loop, &wl.reader);
  ev_io_stop (loop, &wl.writer); /* (stopped already) */
  ev_timer_stop (loop, &wl.repeating);
  ev_timer_stop (loop, &wl.restarted);
  ev_timer_stop (loop, &wl.again);
  ev_periodic_stop (loop, &wl.periodic);
  ev_prepare_stop (loop, &wl.prepare);
  ev_async_stop (loop, &wl.async);
  ev_signal_stop (loop, &wl.signal);
  ev_stat_stop (loop, &wl.stat);
  ev_fork_stop (loop, &wl.fork);
  memset (&wl.reader, 0xa5, sizeof wl.reader); /* stopped: may be freed */
  if (inner)
    {
      ev_embed_stop (loop, &embed);
      ev_loop_destroy (inner);
    }
  ev_loop_destroy (loop);
  CHECK (wl.cleanups == 1);
  close (wl.p[0]);
  close (wl.p[1]);
}

static void
extensions__debug_a_correct_program_runs_without_reports (void **state)
{
  (void)state;
  expect_clean (correct_program);
}

/* ---- without debug mode, and from the environment -------------------------------------------- */

/* The same misuse without debug mode: what libev-ng did before (and libev 4.33 does, where it
 * does not misbehave): no report. */
static void
misuse_without_debug_mode (void *arg)
{
  (void)arg;
  int p[2], q[2];
  make_pipe (p);
  make_pipe (q);
  struct ev_loop *loop = plain_loop_new ();
  struct ev_loop *other = plain_loop_new ();
  ev_io_init (&io_w, nothing_io_cb, p[0], EV_READ);
  ev_io_start (loop, &io_w);
  ev_run (loop, EVRUN_NOWAIT);
  ev_io_set (&io_w, q[0], EV_READ); /* libev-ng moves it to the new fd */
  ev_run (loop, EVRUN_NOWAIT);
  ev_io_stop (loop, &io_w);
  CHECK (!ev_is_active (&io_w));

  ev_timer_init (&timer_w, nothing_timer_cb, 10., 0.);
  ev_timer_start (loop, &timer_w);
  ev_timer_set (&timer_w, 5., 0.);
  ev_timer_stop (loop, &timer_w);
  CHECK (!ev_is_active (&timer_w));

  ev_timer_set (&timer_w, 10., 0.);
  ev_timer_start (loop, &timer_w);
  ev_timer_start (other, &timer_w); /* active: nothing happens */
  CHECK (ev_is_active (&timer_w) && ev_pending_count (other) == 0);
  ev_timer_stop (loop, &timer_w);

  ev_idle_init (&idle_w, (void (*) (struct ev_loop *, ev_idle *, int))nothing_timer_cb);
  ev_idle_start (loop, &idle_w);
  ev_run (loop, EVRUN_NOWAIT);
  ev_idle_stop (loop, &idle_w);
  ev_verify (loop);
  ev_loop_destroy (other);
  ev_loop_destroy (loop);
}

static void
reinit_io_and_restart_without_debug_mode (void *arg)
{
  (void)arg;
  int p[2];
  make_pipe (p);
  struct ev_loop *loop = plain_loop_new ();
  ev_io_init (&io_w, nothing_io_cb, p[0], EV_READ);
  ev_io_start (loop, &io_w);
  ev_run (loop, EVRUN_NOWAIT);
  ev_io_init (&io_w, nothing_io_cb, p[0], EV_READ);
  ev_io_start (loop, &io_w);
}

static void
extensions__without_debug_mode_the_misuse_behaves_as_before (void **state)
{
  (void)state;
  expect_clean (misuse_without_debug_mode);
  /* the usage error libev-ng always had (libev 4.33: "corrupted watcher" as well) */
  const struct needle needles[] = {
    { "libev-ng: usage error in ev_io_start (fd = ", NULL },
    { "\"libev: ev_io_start called with corrupted watcher: %p was re-initialised", &io_w },
    { NULL, NULL },
  };
  expect_report (reinit_io_and_restart_without_debug_mode, needles);
  struct harness_child c;
  harness_child_run (reinit_io_and_restart_without_debug_mode, NULL, 10, &c);
  assert_null (strstr (c.err, "debug mode"));
}

static const char *env_debug_value;
static const char *env_flags_value;

static void
timer_set_and_stop_env (void *arg)
{
  (void)arg;
  if (env_debug_value)
    setenv ("LIBEV_NG_DEBUG", env_debug_value, 1);
  else
    unsetenv ("LIBEV_NG_DEBUG");
  unsigned int flags = test_backend | EVFLAG_NOENV;
  if (env_flags_value)
    {
      setenv ("LIBEV_FLAGS", env_flags_value, 1);
      flags = test_backend;
    }
  struct ev_loop *loop = ev_loop_new (flags);
  CHECK (loop);
  ev_timer_init (&timer_w, nothing_timer_cb, 10., 0.);
  ev_timer_start (loop, &timer_w);
  ev_timer_set (&timer_w, 5., 0.);
  ev_timer_stop (loop, &timer_w);
  ev_loop_destroy (loop);
}

/* LIBEV_NG_DEBUG=1 turns debug mode on for every loop, even one created with EVFLAG_NOENV;
 * 0 leaves it off; LIBEV_FLAGS may carry EVFLAG_NG_DEBUG like any flag. */
static void
extensions__debug_mode_from_the_environment (void **state)
{
  (void)state;
  const struct needle needles[] = {
    { "usage error in ev_timer_stop (at = 5): \"debug mode: ", NULL },
    { NULL, NULL },
  };
  env_debug_value = "1";
  env_flags_value = NULL;
  expect_report (timer_set_and_stop_env, needles);
  env_debug_value = "0";
  expect_clean (timer_set_and_stop_env);
  env_debug_value = NULL;
  expect_clean (timer_set_and_stop_env);
  char flags[32];
  snprintf (flags, sizeof flags, "%u", test_backend | EVFLAG_NG_DEBUG);
  env_flags_value = flags;
  expect_report (timer_set_and_stop_env, needles);
  env_flags_value = NULL;
}

int
main (void)
{
#ifdef EV_NG_SMALL
  puts ("SKIP: a library built for size (configure --enable-small) has no debug mode");
  return 77;
#endif
  const struct CMUnitTest tests[] = {
    plain_test (extensions__debug_reports_a_call_with_a_destroyed_loop),
    plain_test (extensions__debug_reports_a_watcher_reinitialised_while_active),
    plain_test (extensions__debug_reports_io_set_on_an_active_watcher),
    plain_test (extensions__debug_reports_io_modify_on_an_active_watcher),
    plain_test (extensions__debug_reports_a_timer_or_periodic_changed_while_active),
    plain_test (extensions__debug_reports_a_priority_changed_while_active),
    plain_test (extensions__debug_reports_a_watcher_freed_while_active),
    plain_test (extensions__debug_reports_a_watcher_started_on_two_loops),
    plain_test (extensions__debug_reports_a_loop_used_from_another_thread),
    plain_test (extensions__debug_allows_the_thread_safe_calls_and_a_released_loop),
    plain_test (extensions__debug_a_correct_program_runs_without_reports),
    plain_test (extensions__without_debug_mode_the_misuse_behaves_as_before),
    plain_test (extensions__debug_mode_from_the_environment),
  };
  return HARNESS_RUN ("libev_ng_debug", tests);
}
