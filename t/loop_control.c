/* SPDX-License-Identifier: BSD-2-Clause */
/* t/loop_control.c - ev(3) "FUNCTIONS CONTROLLING EVENT LOOPS":
 * ev_default_loop, ev_loop_new (flags, LIBEV_FLAGS, EVFLAG_NOENV), ev_loop_destroy,
 * ev_is_default_loop, ev_iteration, ev_depth, ev_backend, ev_now, ev_now_update,
 * ev_suspend/ev_resume, ev_run (return value, EVRUN_NOWAIT/ONCE), ev_break (ONE/ALL/CANCEL,
 * nesting), ev_ref/ev_unref, the collect intervals, ev_invoke_pending, ev_pending_count,
 * ev_set_invoke_pending_cb, ev_set_loop_release_cb, ev_set_userdata/ev_userdata,
 * EVFLAG_FORKCHECK and ev_loop_fork (seen through an ev_fork watcher).
 * Order of phases inside one iteration: t/watcher_priority.c and t/ev_prepare_check.c. */
#define _GNU_SOURCE 1
#include "harness.h"
#include "next.h"
#include "time64.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#ifndef _WIN32
#include <sys/epoll.h>
#endif
#include <sys/select.h>
#include <sys/time.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/mman.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

TRACE_CB (idle)
TRACE_CB (timer)
TRACE_CB (io)

/* The waiting system calls of the select, poll and epoll backends, counted while
 * polls_counted is set (these definitions take the place of libc's for the library too).
 * Each is counted only under its own backend: epoll and io_uring also call poll() with a zero
 * timeout to find closed fds, at most once a second, which under valgrind can fall inside a
 * counted section. */
static int polls_counted, polls;

#ifndef _WIN32 /* (a DLL's calls go to the C runtime: the cases that count them are skipped there) */
int
epoll_wait (int epfd, struct epoll_event *events, int maxevents, int timeout)
{
  polls += polls_counted && test_backend == EVBACKEND_EPOLL;
  return NEXT (epoll_wait) (epfd, events, maxevents, timeout);
}

int
poll (struct pollfd *fds, nfds_t nfds, int timeout)
{
  polls += polls_counted && test_backend == EVBACKEND_POLL;
  return NEXT (poll) (fds, nfds, timeout);
}

int
select (int nfds, fd_set *r, fd_set *w, fd_set *e, struct timeval *tv)
{
  polls += polls_counted && test_backend == EVBACKEND_SELECT;
  return NEXT_NAMED (select, LIBC_T64 ("select", "__select64")) (nfds, r, w, e, tv);
}
#endif

static void
nop_timer_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)loop, (void)w, (void)revents;
}

static void
break_one_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)revents;
  trace_add ("%s", (const char *)w->data);
  ev_break (loop, EVBREAK_ONE);
}

/* A supported backend other than the one under test (epoll or select; poll in the portable
 * build, which has no epoll) */
static unsigned
other_backend (void)
{
#ifdef _WIN32
  /* select and the AFD backend, the only two there */
  return test_backend == EVBACKEND_SELECT ? EVBACKEND_NG_AFD : EVBACKEND_SELECT;
#endif
  unsigned other = test_backend == EVBACKEND_EPOLL ? EVBACKEND_SELECT : EVBACKEND_EPOLL;
  if (!(ev_supported_backends () & other))
    other = test_backend == EVBACKEND_POLL ? EVBACKEND_SELECT : EVBACKEND_POLL;
  return other;
}

/* ---- creation --------------------------------------------------------------------------- */

static void
loop_control__new_loop_starts_empty (void **state)
{
  struct ev_loop *loop = *state;
  assert_false (ev_is_default_loop (loop));
  assert_int_equal (ev_backend (loop), test_backend);
  assert_int_equal (ev_depth (loop), 0);
  assert_int_equal (ev_iteration (loop), 0);
  assert_int_equal (ev_pending_count (loop), 0);
  assert_null (ev_userdata (loop));
  /* ev_now is set at creation, to the wall clock */
  assert_true (ev_now (loop) > 1.5e9);
  assert_true (ev_now (loop) <= ev_time () + 0.001);
}

/* The program kept the default loop's address past ev_loop_destroy; arg: 0 runs it, 1 destroys
 * it again, 2 makes it anew first (the same address, a loop again) */
static void
use_destroyed_default_loop (void *arg)
{
  int how = *(int *)arg;
  struct ev_loop *d = ev_default_loop (test_backend | EVFLAG_NOENV);
  ev_loop_destroy (d);
  if (how == 2)
    {
      CHECK (ev_default_loop (test_backend | EVFLAG_NOENV) == d);
      ev_run (d, EVRUN_NOWAIT);
      ev_loop_destroy (d);
      return;
    }
  if (how == 0)
    ev_run (d, EVRUN_NOWAIT);
  else
    ev_loop_destroy (d);
}

static void
loop_control__the_destroyed_default_loop_is_a_usage_error (void **state)
{
  (void)state;
  skip_on_real_libev (); /* libev 4.33 aborts in its backend's wait, or frees static memory */
  int how = 0;
  expect_abort (use_destroyed_default_loop, &how, "\"libev: ev_run called with the default loop after "
                                                  "ev_loop_destroy destroyed it; call ev_default_loop to make it again\"");
  expect_abort (use_destroyed_default_loop, &how, "libev-ng: usage error in ev_run (loop = 0x");
  how = 1;
  expect_abort (use_destroyed_default_loop, &how, "libev-ng: usage error in ev_loop_destroy (loop = 0x");
  /* made again, it is a loop like any other */
  how = 2;
  harness_expect_child_ok (use_destroyed_default_loop, &how, 20, "the default loop made again");
}

/* ev_run from a release or acquire callback (ev_set_loop_release_cb: "must not ... call ev_run");
 * arg: 0 from the release callback, 1 from the acquire callback.  The hooks are set after the loop
 * runs once, so that ev_run must notice them then. */
static void
release_hook_runs_loop (struct ev_loop *loop)
{
  ev_run (loop, EVRUN_NOWAIT);
}

static void
run_from_a_hook (void *arg)
{
  struct ev_loop *loop = test_loop_new ();
  ev_timer t;
  ev_timer_init (&t, nop_timer_cb, 1., 0.);
  ev_timer_start (loop, &t);
  ev_run (loop, EVRUN_NOWAIT);
  if (*(int *)arg == 0)
    ev_set_loop_release_cb (loop, release_hook_runs_loop, NULL);
  else
    ev_set_loop_release_cb (loop, NULL, release_hook_runs_loop);
  ev_run (loop, EVRUN_ONCE);
}

static void
loop_control__ev_run_in_a_release_or_acquire_callback_is_a_usage_error (void **state)
{
  (void)state;
  skip_on_real_libev (); /* libev 4.33 checks it with assert(), which NDEBUG drops */
  for (int which = 0; which < 2; ++which)
    expect_abort (run_from_a_hook, &which,
                  "libev-ng: usage error in ev_run: \"libev: ev_loop recursion during release detected\"");
}

/* pthread_cancel of a thread blocked in ev_run (the wait is a cancellation point): the thread
 * unwinds as from a C++ exception (ev(3) C++ SUPPORT): ev_depth stays 1, and the loop may be run
 * again by another thread and destroyed.  libev 4.33 leaves its loop marked as inside the
 * release of the wait and aborts at the next ev_run ("ev_loop recursion during release
 * detected").  Trials at random moments, some while a callback runs. */
static int cancel_pipe[2];
static ev_io cancel_io;
static ev_timer cancel_timer;
static int cancel_timer_fired;

static void
cancel_io_cb (struct ev_loop *loop, ev_io *w, int revents)
{
  (void)loop, (void)revents;
  char buf[16];
  (void)!read (w->fd, buf, sizeof buf);
}

static void
cancel_timer_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)loop, (void)w, (void)revents;
  ++cancel_timer_fired;
}

static void *
cancel_runner (void *arg)
{
  ev_run ((struct ev_loop *)arg, 0);
  return NULL;
}

static void
loop_control__a_thread_cancelled_in_ev_run_leaves_a_usable_loop (void **state)
{
  (void)state;
  skip_on_real_libev (); /* libev 4.33 aborts at the next ev_run */
  srand (49);
  for (int trial = 0; trial < 50; ++trial)
    {
      struct ev_loop *loop = test_loop_new ();
      assert_int_equal (pipe (cancel_pipe), 0);
      ev_io_init (&cancel_io, cancel_io_cb, cancel_pipe[0], EV_READ);
      ev_io_start (loop, &cancel_io);
      ev_timer_init (&cancel_timer, cancel_timer_cb, 0.0005, 0.0005);
      ev_timer_start (loop, &cancel_timer);
      pthread_t t;
      assert_int_equal (pthread_create (&t, NULL, cancel_runner, loop), 0);
      if (trial & 1)
        assert_int_equal (write (cancel_pipe[1], "x", 1), 1);
      struct timespec ts = { 0, (long)(rand () % 3000000) };
      nanosleep (&ts, NULL);
      assert_int_equal (pthread_cancel (t), 0);
      void *ret;
      assert_int_equal (pthread_join (t, &ret), 0);
      assert_ptr_equal (ret, PTHREAD_CANCELED);
      assert_true (ev_depth (loop) <= 1); /* 0: cancelled before ev_run began */
      /* the loop goes on in this thread: a timer fires, nothing is left running */
      ev_timer_stop (loop, &cancel_timer);
      ev_timer_set (&cancel_timer, 0., 0.);
      ev_timer_start (loop, &cancel_timer);
      cancel_timer_fired = 0;
      ev_io_stop (loop, &cancel_io);
      assert_int_equal (ev_run (loop, 0), 0);
      assert_int_equal (cancel_timer_fired, 1);
      ev_loop_destroy (loop);
      close (cancel_pipe[0]), close (cancel_pipe[1]);
    }
}

static void
loop_control__default_loop_is_one_object_and_ignores_later_flags (void **state)
{
  (void)state;
  assert_null (ev_default_loop_ptr);
  struct ev_loop *d = ev_default_loop (test_backend | EVFLAG_NOENV);
  assert_non_null (d);
  assert_ptr_equal (ev_default_loop_ptr, d);
  assert_true (ev_is_default_loop (d));
  assert_int_equal (ev_backend (d), test_backend);

  /* a second call returns the same loop and ignores its flags */
  assert_ptr_equal (ev_default_loop (other_backend () | EVFLAG_NOENV), d);
  assert_int_equal (ev_backend (d), test_backend);

  /* a loop from ev_loop_new is never the default one */
  struct ev_loop *l = test_loop_new ();
  assert_false (ev_is_default_loop (l));
  assert_ptr_not_equal (l, d);
  ev_loop_destroy (l);

  /* destroying the default loop clears the pointer; the next call makes a new one */
  ev_loop_destroy (d);
  assert_null (ev_default_loop_ptr);
  d = ev_default_loop (other_backend () | EVFLAG_NOENV);
  assert_non_null (d);
  assert_int_equal (ev_backend (d), other_backend ());
  ev_loop_destroy (d);
  assert_null (ev_default_loop_ptr);
}

static void
loop_control__failed_default_loop_is_retried (void **state)
{
  (void)state;
  /* kqueue does not exist on Linux: no loop, and nothing is remembered */
  assert_null (ev_default_loop (EVBACKEND_KQUEUE | EVFLAG_NOENV));
  assert_null (ev_default_loop_ptr);
  struct ev_loop *d = ev_default_loop (test_backend | EVFLAG_NOENV);
  assert_non_null (d);
  assert_int_equal (ev_backend (d), test_backend);
  ev_loop_destroy (d);
  assert_null (ev_loop_new (EVBACKEND_KQUEUE | EVFLAG_NOENV));
}

static void
loop_control__libev_flags_replaces_flags_unless_noenv (void **state)
{
  (void)state;
  char value[32];
  struct ev_loop *l;

  snprintf (value, sizeof value, "%u", test_backend);
  assert_int_equal (setenv ("LIBEV_FLAGS", value, 1), 0);

  l = ev_loop_new (other_backend ());
  assert_non_null (l);
  assert_int_equal (ev_backend (l), test_backend);
  ev_loop_destroy (l);

  l = ev_loop_new (other_backend () | EVFLAG_NOENV);
  assert_non_null (l);
  assert_int_equal (ev_backend (l), other_backend ());
  ev_loop_destroy (l);

  /* the default loop reads it too */
  l = ev_default_loop (other_backend ());
  assert_non_null (l);
  assert_int_equal (ev_backend (l), test_backend);
  ev_loop_destroy (l);

  /* it replaces the whole value: a backend that cannot work means no loop */
  assert_int_equal (setenv ("LIBEV_FLAGS", "8", 1), 0);
  assert_null (ev_loop_new (other_backend ()));
  l = ev_loop_new (other_backend () | EVFLAG_NOENV);
  assert_non_null (l);
  ev_loop_destroy (l);

  /* no backend bit in it: the recommended set, i.e. epoll (poll in the portable build) */
  assert_int_equal (setenv ("LIBEV_FLAGS", "0", 1), 0);
  l = ev_loop_new (EVBACKEND_SELECT);
  assert_non_null (l);
  assert_int_equal (ev_backend (l), harness_default_backend ());
  ev_loop_destroy (l);

  unsetenv ("LIBEV_FLAGS");
}

static void
loop_control__destroy_null_is_a_no_op (void **state)
{
  (void)state;
  ev_loop_destroy (NULL);
}

static void
loop_control__destroy_without_cleanup_watchers_invokes_nothing (void **state)
{
  (void)state;
  /* ev_loop_destroy runs an invocation pass only to call cleanup watchers (ev_cleanup's
   * suite covers that); without any, a watcher still pending is dropped, not called */
  struct ev_loop *l = test_loop_new ();
  ev_idle w;
  ev_idle_init (&w, trace_idle_cb);
  w.data = "W";
  ev_feed_event (l, &w, EV_CUSTOM);
  ev_loop_destroy (l);
  expect_trace_empty ();
}

/* ev(3) ev_loop_destroy: "None of the active event watchers will be stopped in the normal sense,
 * so e.g. ev_is_active might still return true": libev 4.33 does not even read them (a program
 * may free its watchers first, active or not), and its watchers of every type stay active, a
 * pending one pending.  Checked in a child with every watcher but the cleanup watcher (which
 * destroy invokes) in memory that is inaccessible while the loop is destroyed: an access
 * faults.  (An earlier libev-ng made them inactive at destroy and faulted here.)  With "default"
 * the default loop, with a child watcher as well. */
static void nop_cb (struct ev_loop *l, void *w, int r) { (void)l, (void)w, (void)r; }
#define NOP_CB(type) ((void (*) (struct ev_loop *, type *, int))nop_cb)

struct every_watcher
{
  ev_io io;
  ev_timer timer;
  ev_periodic per;
  ev_signal sig;
  ev_child child;
  ev_stat st;
  ev_idle idle;
  ev_prepare prep;
  ev_check check;
  ev_fork fork_w;
  ev_async async;
  ev_embed embed;
  ev_idle fed; /* fed to a loop without cleanup watchers, which runs no invocation pass */
};

static void
destroy_touches_no_watcher (void *arg)
{
  int use_default = arg != NULL;
  size_t size = (sizeof (struct every_watcher) + 4095) & ~(size_t)4095;
  struct every_watcher *a = mmap (NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (a == MAP_FAILED)
    _exit (2);
  if (use_default && ev_default_loop_uc_ ())
    ev_loop_destroy (ev_default_loop_uc_ ()); /* the test process's, copied into this child */
  struct ev_loop *l = use_default ? ev_default_loop (test_backend | EVFLAG_NOENV)
                                  : ev_loop_new (test_backend | EVFLAG_NOENV);
  /* (an embedded loop where one can be had: not in the portable build) */
  unsigned embeddable = harness_embeddable_backend ();
  struct ev_loop *inner = embeddable ? ev_loop_new (embeddable | EVFLAG_NOENV) : NULL;
  struct ev_loop *l2 = ev_loop_new (test_backend | EVFLAG_NOENV);
  int p[2];
  if (!l || (embeddable && !inner) || !l2 || pipe (p))
    _exit (2);
  ev_io_init (&a->io, NOP_CB (ev_io), p[0], EV_READ);
  ev_timer_init (&a->timer, NOP_CB (ev_timer), 10., 0.);
  ev_periodic_init (&a->per, NOP_CB (ev_periodic), 0., 10., 0);
  ev_signal_init (&a->sig, NOP_CB (ev_signal), SIGUSR1);
  ev_child_init (&a->child, NOP_CB (ev_child), 0, 0);
  ev_stat_init (&a->st, NOP_CB (ev_stat), "/", 0.);
  ev_idle_init (&a->idle, NOP_CB (ev_idle));
  ev_prepare_init (&a->prep, NOP_CB (ev_prepare));
  ev_check_init (&a->check, NOP_CB (ev_check));
  ev_fork_init (&a->fork_w, NOP_CB (ev_fork));
  ev_async_init (&a->async, NOP_CB (ev_async));
  ev_embed_init (&a->embed, NULL, inner);
  ev_idle_init (&a->fed, NOP_CB (ev_idle));
  ev_cleanup cleanup; /* outside: ev_loop_destroy invokes it */
  ev_cleanup_init (&cleanup, NOP_CB (ev_cleanup));
  ev_io_start (l, &a->io);
  ev_timer_start (l, &a->timer);
  ev_periodic_start (l, &a->per);
  ev_signal_start (l, &a->sig);
  if (use_default)
    ev_child_start (l, &a->child);
  ev_stat_start (l, &a->st);
  ev_idle_start (l, &a->idle);
  ev_prepare_start (l, &a->prep);
  ev_check_start (l, &a->check);
  ev_fork_start (l, &a->fork_w);
  ev_cleanup_start (l, &cleanup);
  ev_async_start (l, &a->async);
  if (inner)
    ev_embed_start (l, &a->embed);
  ev_run (l, EVRUN_NOWAIT);
  ev_feed_event (l2, &a->fed, EV_CUSTOM);

  if (mprotect (a, size, PROT_NONE))
    _exit (2);
  ev_loop_destroy (l);
  ev_loop_destroy (l2);
  if (mprotect (a, size, PROT_READ | PROT_WRITE))
    _exit (2);

  ev_watcher *all[] = { (ev_watcher *)&a->io, (ev_watcher *)&a->timer, (ev_watcher *)&a->per,
                        (ev_watcher *)&a->sig, (ev_watcher *)&a->child, (ev_watcher *)&a->st,
                        (ev_watcher *)&a->idle, (ev_watcher *)&a->prep, (ev_watcher *)&a->check,
                        (ev_watcher *)&a->fork_w, (ev_watcher *)&a->async, (ev_watcher *)&a->embed };
  for (size_t i = 0; i < sizeof all / sizeof all[0]; ++i)
    if ((ev_is_active (all[i]) != 0)
            != ((all[i] != (ev_watcher *)&a->child || use_default) && (all[i] != (ev_watcher *)&a->embed || inner))
        || ev_is_pending (all[i]))
      _exit (10 + (int)i);
  if (!ev_is_active (&cleanup) || ev_is_pending (&cleanup))
    _exit (30);
  if (!ev_is_pending (&a->fed) || ev_is_active (&a->fed))
    _exit (31);
  _exit (0);
}

static void
loop_control__destroy_touches_no_watcher_and_leaves_them_active (void **state)
{
  (void)state;
  struct harness_child c;
  harness_child_run (destroy_touches_no_watcher, NULL, 10, &c);
  if (!c.exited || c.status != 0)
    fail_msg ("ev_loop_destroy: child ended with %s %d, stderr: %s", c.exited ? "status" : "signal",
              c.exited ? c.status : c.signo, c.err);
  harness_child_run (destroy_touches_no_watcher, "default", 10, &c);
  if (!c.exited || c.status != 0)
    fail_msg ("ev_loop_destroy of the default loop: child ended with %s %d, stderr: %s",
              c.exited ? "status" : "signal", c.exited ? c.status : c.signo, c.err);
}

/* ---- ev_run: return value, flags ------------------------------------------------------- */

static void
loop_control__run_without_watchers_runs_one_iteration (void **state)
{
  struct ev_loop *loop = *state;
  assert_int_equal (ev_run (loop, 0), 0);
  assert_int_equal (ev_iteration (loop), 1);
  assert_int_equal (ev_depth (loop), 0);
}

static void
loop_control__run_returns_the_reference_count (void **state)
{
  struct ev_loop *loop = *state;
  ev_timer longs[4], b;
  for (int i = 0; i < 4; ++i)
    {
      ev_timer_init (&longs[i], nop_timer_cb, 60., 0.);
      ev_timer_start (loop, &longs[i]);
    }
  ev_timer_init (&b, break_one_cb, 0., 0.);
  b.data = "b";
  ev_timer_start (loop, &b);
  /* b is stopped before its callback: four references remain, and ev_run returns that
   * count itself, not just "true" */
  assert_int_equal (ev_run (loop, 0), 4);
  expect_trace ("b");
  for (int i = 0; i < 4; ++i)
    ev_timer_stop (loop, &longs[i]);
  assert_int_equal (ev_run (loop, EVRUN_NOWAIT), 0);
}

static void
loop_control__run_returns_when_no_watcher_is_left (void **state)
{
  struct ev_loop *loop = *state;
  ev_timer t;
  ev_timer_init (&t, trace_timer_cb, 0.01, 0.);
  t.data = "t";
  ev_timer_start (loop, &t);
  assert_int_equal (ev_run (loop, 0), 0);
  expect_trace ("t");
  assert_false (ev_is_active (&t));
}

static void
loop_control__unref_lets_run_return_without_firing (void **state)
{
  struct ev_loop *loop = *state;
  ev_timer t;
  /* due after the unreferenced run's one iteration, however slow (valgrind) */
  ev_timer_init (&t, trace_timer_cb, harness_slack (0.2), 0.);
  t.data = "t";
  ev_timer_start (loop, &t);
  ev_unref (loop);
  assert_int_equal (ev_run (loop, 0), 0);
  expect_trace_empty ();
  assert_true (ev_is_active (&t));
  /* ref again: now it keeps the loop running until it fired */
  ev_ref (loop);
  assert_int_equal (ev_run (loop, 0), 0);
  expect_trace ("t");
}

static void
loop_control__ref_keeps_run_alive (void **state)
{
  struct ev_loop *loop = *state;
  ev_timer t;
  ev_timer_init (&t, break_one_cb, 0.01, 0.);
  t.data = "t";
  ev_timer_start (loop, &t);
  ev_ref (loop); /* an extra reference nobody will drop: only the break ends ev_run */
  assert_int_equal (ev_run (loop, 0), 1);
  expect_trace ("t");
  ev_unref (loop);
  assert_int_equal (ev_run (loop, EVRUN_NOWAIT), 0);
}

static void
loop_control__nowait_does_not_block (void **state)
{
  struct ev_loop *loop = *state;
  ev_timer t;
  ev_timer_init (&t, trace_timer_cb, 30., 0.);
  t.data = "t";
  ev_timer_start (loop, &t);
  struct harness_mark start = harness_mark ();
  assert_int_equal (ev_run (loop, EVRUN_NOWAIT), 1);
  assert_true (harness_elapsed_unloaded (start, harness_mark ()) < harness_slack (1.));
  assert_int_equal (ev_iteration (loop), 1);
  expect_trace_empty ();
  ev_timer_stop (loop, &t);
}

static int hook_calls;

static void
count_hook (struct ev_loop *loop)
{
  (void)loop;
  ++hook_calls;
}

/* libev-ng divergence (fewer system calls, nothing else): with no fd to watch, a zero-timeout
 * poll could only report nothing, so an EVRUN_NOWAIT iteration of a loop without io watchers
 * does not make it (libev 4.33 makes one per iteration).  Everything else of the iteration
 * stays: the counter, the release/acquire pair, and events of io watchers started later. */
static void
loop_control__nowait_without_io_watchers_skips_the_poll_call (void **state)
{
  skip_on_real_libev ();
  struct ev_loop *loop = *state;
  /* io_uring reads completions from memory: it never needs a call here anyway */
  const int calls_expected = test_backend != EVBACKEND_IOURING;
  ev_timer t;
  ev_timer_init (&t, trace_timer_cb, 30., 0.);
  t.data = "t";
  ev_timer_start (loop, &t);
  hook_calls = polls = 0;
  polls_counted = 1;
  for (int i = 0; i < 10; ++i)
    assert_int_equal (ev_run (loop, EVRUN_NOWAIT), 1);
  assert_int_equal (polls, 0);
  assert_int_equal (ev_iteration (loop), 10);
  /* with release/acquire callbacks (a separate path in some backends): they still bracket
   * every (skipped) poll */
  ev_set_loop_release_cb (loop, count_hook, count_hook);
  for (int i = 0; i < 10; ++i)
    assert_int_equal (ev_run (loop, EVRUN_NOWAIT), 1);
  assert_int_equal (polls, 0);
  assert_int_equal (ev_iteration (loop), 20);
  assert_int_equal (hook_calls, 2 * 10);

  /* an io watcher: the kernel is asked again, and its event arrives */
  int p[2];
  assert_int_equal (pipe (p), 0);
  assert_int_equal (write (p[1], "x", 1), 1);
  ev_io r;
  ev_io_init (&r, trace_io_cb, p[0], EV_READ);
  r.data = "r";
  ev_io_start (loop, &r);
  ev_run (loop, EVRUN_NOWAIT);
  expect_trace ("r");
  assert_int_equal (polls, calls_expected);

  /* stopped: at most one more call (a lazily kept registration is dropped when its fd
   * reports), then none */
  ev_io_stop (loop, &r);
  ev_run (loop, EVRUN_NOWAIT);
  ev_run (loop, EVRUN_NOWAIT);
  polls = 0;
  for (int i = 0; i < 5; ++i)
    ev_run (loop, EVRUN_NOWAIT);
  assert_int_equal (polls, 0);
  expect_trace_empty ();

  /* started again on the still readable pipe: reported in the very next iteration */
  ev_io_start (loop, &r);
  ev_run (loop, EVRUN_NOWAIT);
  expect_trace ("r");
  assert_int_equal (polls, calls_expected);

  /* a blocking iteration without io watchers still waits in the kernel, for the timer */
  ev_io_stop (loop, &r);
  ev_run (loop, EVRUN_NOWAIT);
  ev_run (loop, EVRUN_NOWAIT);
  polls = 0;
  ev_timer_stop (loop, &t);
  ev_timer_set (&t, 0.02, 0.);
  double start = harness_monotonic (); /* before the loop time the timer counts from */
  ev_now_update (loop);
  ev_timer_start (loop, &t);
  ev_run (loop, EVRUN_ONCE);
  expect_trace ("t");
  assert_true (harness_monotonic () - start >= 0.015);
  assert_int_equal (polls, calls_expected);

  polls_counted = 0;
  ev_set_loop_release_cb (loop, NULL, NULL);
  close (p[0]);
  close (p[1]);
}

static void
loop_control__once_blocks_for_an_event_and_returns (void **state)
{
  struct ev_loop *loop = *state;
  ev_timer t, later;
  ev_timer_init (&t, trace_timer_cb, 0.05, 0.);
  t.data = "t";
  ev_timer_init (&later, trace_timer_cb, 30., 0.);
  later.data = "later";
  /* timers count from the loop time: refresh it, and read the start before it, so that the
   * loop time of the test's setup (stale under valgrind) cannot make t look early */
  double start = harness_monotonic ();
  ev_now_update (loop);
  ev_timer_start (loop, &t);
  ev_timer_start (loop, &later);
  /* blocks until t expires (never early), runs it, returns after that one iteration
   * although `later` is still active */
  assert_int_equal (ev_run (loop, EVRUN_ONCE), 1);
  assert_true (harness_monotonic () - start >= 0.049);
  expect_trace ("t");
  ev_timer_stop (loop, &later);
}

/* ---- depth and iteration ---------------------------------------------------------------- */

static ev_timer nest_inner, nest_keep;
static unsigned nest_inner_return;

static void
record_depth_and_break (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)w, (void)revents;
  trace_add ("inner depth %u", ev_depth (loop));
  ev_break (loop, EVBREAK_ONE);
}

static void
nest_outer_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)w, (void)revents;
  trace_add ("outer depth %u", ev_depth (loop));
  ev_timer_init (&nest_inner, record_depth_and_break, 0., 0.);
  ev_timer_start (loop, &nest_inner);
  ev_timer_init (&nest_keep, nop_timer_cb, 60., 0.);
  ev_timer_start (loop, &nest_keep);
  nest_inner_return = (unsigned)ev_run (loop, 0);
  trace_add ("back at depth %u", ev_depth (loop));
  ev_timer_stop (loop, &nest_keep);
}

static void
loop_control__depth_counts_nested_runs (void **state)
{
  struct ev_loop *loop = *state;
  ev_timer outer;
  assert_int_equal (ev_depth (loop), 0);
  ev_timer_init (&outer, nest_outer_cb, 0., 0.);
  ev_timer_start (loop, &outer);
  assert_int_equal (ev_run (loop, 0), 0);
  expect_trace ("outer depth 1,inner depth 2,back at depth 1");
  /* the inner run returned its reference count: nest_keep only */
  assert_int_equal (nest_inner_return, 1);
  assert_int_equal (ev_depth (loop), 0);
}

static void
loop_control__iteration_counts_polls (void **state)
{
  struct ev_loop *loop = *state;
  assert_int_equal (ev_iteration (loop), 0);
  for (int i = 0; i < 3; ++i)
    ev_run (loop, EVRUN_NOWAIT);
  assert_int_equal (ev_iteration (loop), 3);
}

/* ---- ev_break ------------------------------------------------------------------------------ */

static ev_timer brk_inner, brk_after;
static int brk_how;

static void
brk_inner_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)w, (void)revents;
  ev_break (loop, brk_how);
}

static void
brk_after_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)w, (void)revents;
  trace_add ("outer continued");
  ev_break (loop, EVBREAK_ONE);
}

static void
brk_outer_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)w, (void)revents;
  ev_timer_init (&brk_inner, brk_inner_cb, 0., 0.);
  ev_timer_start (loop, &brk_inner);
  ev_run (loop, 0);
  trace_add ("inner returned");
  /* due at once: it runs in the outer loop's next iteration, if there is one */
  ev_timer_init (&brk_after, brk_after_cb, 0., 0.);
  ev_timer_start (loop, &brk_after);
}

static void
nested_break (struct ev_loop *loop, int how)
{
  ev_timer outer, guard;
  brk_how = how;
  ev_timer_init (&outer, brk_outer_cb, 0., 0.);
  ev_timer_start (loop, &outer);
  ev_timer_init (&guard, nop_timer_cb, 30., 0.); /* keeps both runs from ending by themselves */
  ev_timer_start (loop, &guard);
  assert_int_equal (ev_run (loop, 0), how == EVBREAK_ALL ? 2 : 1);
  trace_add ("outer returned");
  ev_timer_stop (loop, &guard);
  ev_timer_stop (loop, &brk_after);
}

static void
loop_control__break_one_only_leaves_innermost_run (void **state)
{
  nested_break (*state, EVBREAK_ONE);
  expect_trace ("inner returned,outer continued,outer returned");
}

static void
loop_control__break_all_leaves_every_nested_run (void **state)
{
  nested_break (*state, EVBREAK_ALL);
  expect_trace ("inner returned,outer returned");
}

static void
loop_control__break_finishes_the_current_pass (void **state)
{
  struct ev_loop *loop = *state;
  ev_timer a, b, c, guard;
  ev_timer_init (&a, trace_timer_cb, 0., 0.);
  a.data = "A";
  ev_timer_init (&b, trace_timer_cb, 0., 0.);
  b.data = "B";
  ev_timer_init (&c, break_one_cb, 0., 0.);
  c.data = "C";
  ev_timer_init (&guard, nop_timer_cb, 30., 0.);
  ev_timer_start (loop, &guard);
  /* fed before ev_run: invoked before the first iteration, last fed first */
  ev_feed_event (loop, &a, EV_TIMER);
  ev_feed_event (loop, &b, EV_TIMER);
  ev_feed_event (loop, &c, EV_TIMER);
  double start = harness_monotonic ();
  assert_int_equal (ev_run (loop, 0), 1);
  assert_true (harness_monotonic () - start < 10.);
  expect_trace ("C,B,A");
  /* the break came before any poll */
  assert_int_equal (ev_iteration (loop), 0);
  ev_timer_stop (loop, &guard);
}

static void
trace_prepare_cb (struct ev_loop *loop, ev_prepare *w, int revents)
{
  (void)loop, (void)w, (void)revents;
  trace_add ("prepare");
}

static void
nop_async_cb (struct ev_loop *loop, ev_async *w, int revents)
{
  (void)loop, (void)w, (void)revents;
}

/* A break from a callback invoked on entry still lets the prepare watchers of
   the first iteration run (steps 2 and 3 of ev(3) ev_run), then no poll; with
   none, the run ends at once (the same in libev 4.33). */
static void
loop_control__break_on_entry_runs_the_prepares_then_stops (void **state)
{
  struct ev_loop *loop = *state;
  ev_prepare p;
  ev_timer c, guard;
  ev_prepare_init (&p, trace_prepare_cb);
  ev_prepare_start (loop, &p);
  ev_timer_init (&guard, nop_timer_cb, 30., 0.);
  ev_timer_start (loop, &guard);
  ev_timer_init (&c, break_one_cb, 0., 0.);
  c.data = "C";
  ev_feed_event (loop, &c, EV_TIMER);
  assert_int_equal (ev_run (loop, 0), 2);
  expect_trace ("C,prepare");
  assert_int_equal (ev_iteration (loop), 0);

  trace_reset ();
  ev_prepare_stop (loop, &p);
  ev_feed_event (loop, &c, EV_TIMER);
  assert_int_equal (ev_run (loop, 0), 1);
  expect_trace ("C");
  assert_int_equal (ev_iteration (loop), 0);

  /* the same when the loop has work in the wait but none in steps 1-2 (an
     ev_async: the loop's wake-up fd) */
  trace_reset ();
  ev_async as;
  ev_async_init (&as, nop_async_cb);
  ev_async_start (loop, &as);
  ev_feed_event (loop, &c, EV_TIMER);
  double start = harness_monotonic ();
  assert_int_equal (ev_run (loop, 0), 2);
  assert_true (harness_monotonic () - start < 10.);
  expect_trace ("C");
  assert_int_equal (ev_iteration (loop), 0);
  ev_async_stop (loop, &as);
  ev_timer_stop (loop, &guard);
}

static void
cancel_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)revents;
  trace_add ("%s", (const char *)w->data);
  ev_break (loop, EVBREAK_CANCEL);
}

static void
loop_control__break_cancel_in_the_same_pass_undoes_it (void **state)
{
  struct ev_loop *loop = *state;
  ev_timer a, x, c, t;
  ev_timer_init (&a, trace_timer_cb, 0., 0.);
  a.data = "A";
  ev_timer_init (&x, cancel_cb, 0., 0.);
  x.data = "X";
  ev_timer_init (&c, break_one_cb, 0., 0.);
  c.data = "C";
  ev_timer_init (&t, break_one_cb, 0.01, 0.);
  t.data = "T";
  ev_timer_start (loop, &t);
  ev_feed_event (loop, &a, EV_TIMER);
  ev_feed_event (loop, &x, EV_TIMER);
  ev_feed_event (loop, &c, EV_TIMER);
  /* C breaks, X cancels: the loop goes on until T breaks */
  assert_int_equal (ev_run (loop, 0), 0);
  expect_trace ("C,X,A,T");
}

static void
loop_control__break_outside_run_has_no_effect (void **state)
{
  struct ev_loop *loop = *state;
  ev_timer t;
  ev_timer_init (&t, trace_timer_cb, 0.01, 0.);
  t.data = "t";
  ev_timer_start (loop, &t);
  ev_break (loop, EVBREAK_ALL);
  assert_int_equal (ev_run (loop, 0), 0);
  expect_trace ("t");
  assert_true (ev_iteration (loop) >= 1);
}

static void
loop_control__run_after_break_all_works_again (void **state)
{
  struct ev_loop *loop = *state;
  nested_break (loop, EVBREAK_ALL);
  trace_reset ();
  /* the ALL state is reset on entry of the next ev_run */
  loop_control__run_returns_when_no_watcher_is_left (state);
}

/* ---- time ---------------------------------------------------------------------------------- */

static void
loop_control__now_is_frozen_until_updated (void **state)
{
  struct ev_loop *loop = *state;
  ev_tstamp n0 = ev_now (loop);
  ev_sleep (0.02);
  assert_true (ev_now (loop) == n0);
  struct harness_mark updating = harness_mark ();
  ev_now_update (loop);
  ev_tstamp n1 = ev_now (loop);
  assert_true (n1 >= n0 + 0.019);
  /* ev_now is the wall clock as of the last update, derived from the monotonic clock plus
   * an offset measured at most half a second before: allow for the rounding of two doubles
   * near 1.7e9 (about 0.25 us each) and for a small step or slew of the wall clock since
   * the offset was measured (the host's time sync; libev keeps its offset too until it
   * re-reads the wall clock).  1 us was too little under valgrind with two suites at once.
   * (Later by what passed since the update: a loaded machine may hold the thread up.) */
  ev_tstamp t = ev_time ();
  double since_update = harness_mark ().at - updating.at;
  assert_true (t >= n1 - 1e-3);
  assert_true (t - n1 - since_update < harness_slack (0.5));
}

static ev_tstamp now_in_cb[2];

static void
now_frozen_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)w, (void)revents;
  now_in_cb[0] = ev_now (loop);
  ev_sleep (0.02);
  now_in_cb[1] = ev_now (loop);
}

static void
loop_control__run_updates_now_but_not_during_callbacks (void **state)
{
  struct ev_loop *loop = *state;
  ev_timer t;
  ev_tstamp n0 = ev_now (loop);
  ev_timer_init (&t, now_frozen_cb, 0.03, 0.);
  ev_timer_start (loop, &t);
  ev_run (loop, 0);
  assert_true (now_in_cb[0] >= n0 + 0.03);
  assert_true (now_in_cb[1] == now_in_cb[0]);
}

static void
loop_control__suspend_resume_delays_timers (void **state)
{
  struct ev_loop *loop = *state;
  ev_timer t;
  ev_timer_init (&t, trace_timer_cb, 0.1, 0.);
  t.data = "t";
  ev_timer_start (loop, &t);
  ev_tstamp n0 = ev_now (loop);
  ev_suspend (loop);
  ev_sleep (0.15);
  ev_resume (loop);
  /* resume updates ev_now ... */
  assert_true (ev_now (loop) >= n0 + 0.149);
  /* ... and shifts every timer by the suspended time: t is not overdue */
  ev_tstamp left = ev_timer_remaining (loop, &t);
  assert_true (left > 0.05);
  assert_true (left <= 0.1);
  ev_run (loop, EVRUN_NOWAIT);
  expect_trace_empty ();
  ev_run (loop, 0);
  expect_trace ("t");
}

/* ev_resume without ev_suspend: timers move by the time since the loop time was last updated,
 * exactly as in libev 4.33 (ev_suspend only updates the loop time; nothing is remembered).
 * An earlier libev-ng measured from a suspension time of 0 and pushed every timer back by the
 * machine's uptime. */
static void
loop_control__resume_without_suspend_shifts_by_the_time_since_the_last_update (void **state)
{
  struct ev_loop *loop = *state;
  ev_timer t;
  ev_timer_init (&t, trace_timer_cb, 0.2, 0.);
  t.data = "t";
  ev_timer_start (loop, &t);
  ev_now_update (loop);
  ev_sleep (0.05);
  ev_resume (loop);
  ev_tstamp left = ev_timer_remaining (loop, &t);
  assert_true (left > 0.1);
  assert_true (left <= 0.2);
  struct harness_mark start = harness_mark ();
  ev_run (loop, 0);
  expect_trace ("t");
  assert_true (harness_elapsed_unloaded (start, harness_mark ()) < harness_slack (1.));
}

/* ---- collect intervals ------------------------------------------------------------------ */

static void
drain_nothing_cb (struct ev_loop *loop, ev_io *w, int revents)
{
  (void)loop, (void)w, (void)revents;
}

/* Time of five EVRUN_ONCE iterations while a pipe stays readable, less the thread's waits for
 * a CPU (a loaded machine's, which only a bound on how long the loop slept must leave out). */
static double
five_busy_iterations (struct ev_loop *loop)
{
  int p[2];
  ev_io io;
  assert_int_equal (pipe (p), 0);
  assert_int_equal (write (p[1], "x", 1), 1);
  ev_io_init (&io, drain_nothing_cb, p[0], EV_READ);
  ev_io_start (loop, &io);
  struct harness_mark start = harness_mark ();
  for (int i = 0; i < 5; ++i)
    ev_run (loop, EVRUN_ONCE);
  double took = harness_elapsed_unloaded (start, harness_mark ());
  ev_io_stop (loop, &io);
  close (p[0]);
  close (p[1]);
  return took;
}

static void
loop_control__io_collect_interval_spaces_out_polls (void **state)
{
  struct ev_loop *loop = *state;
  ev_timer keep;
  ev_timer_init (&keep, nop_timer_cb, 60., 0.);
  ev_timer_start (loop, &keep);
  /* without: the ready fd makes every iteration return at once */
  assert_true (five_busy_iterations (loop) < harness_slack (0.1));
  /* with 40 ms: libev sleeps so that polls are at least that far apart */
  ev_set_io_collect_interval (loop, 0.04);
  assert_true (five_busy_iterations (loop) >= 0.15);
  ev_set_io_collect_interval (loop, 0.);
  ev_timer_stop (loop, &keep);
}

static void
count_in_data_cb (struct ev_loop *loop, ev_io *w, int revents)
{
  (void)loop, (void)revents;
  ++*(int *)w->data;
}


/* The interval's point: what becomes ready while the loop collects is reported by the poll after
 * it, in the same iteration as what was ready before it.  A pipe readable at once, another made so
 * 50 ms into a 300 ms interval by a child process (not a thread: valgrind 3.19 runs no other
 * thread while one waits in io_uring_enter): one EVRUN_ONCE iteration invokes both, as after
 * libev 4.33's sleep.  (io_uring's wait collects itself on Linux 6.12 and later: where the ring's
 * EPOLL_WAIT reports, one completed early must not be all the poll reports.) */
static void
loop_control__io_collect_interval_reports_what_became_ready_meanwhile (void **state)
{
  struct ev_loop *loop = *state;
  int a[2], b[2], calls_a = 0, calls_b = 0;
  assert_int_equal (pipe (a), 0);
  assert_int_equal (pipe (b), 0);
  assert_int_equal (write (a[1], "x", 1), 1);
  ev_io io_a, io_b;
  ev_io_init (&io_a, count_in_data_cb, a[0], EV_READ);
  ev_io_init (&io_b, count_in_data_cb, b[0], EV_READ);
  io_a.data = &calls_a;
  io_b.data = &calls_b;
  ev_io_start (loop, &io_a);
  ev_io_start (loop, &io_b);
  ev_timer keep;
  ev_timer_init (&keep, nop_timer_cb, 60., 0.);
  ev_timer_start (loop, &keep);
  ev_run (loop, EVRUN_NOWAIT); /* the registrations are made, a's callback may run */
  calls_a = 0;
  ev_set_io_collect_interval (loop, 0.3);
  ev_now_update (loop); /* the interval counts from the last poll's end: now */
  pid_t writer = fork ();
  assert_true (writer >= 0);
  if (writer == 0)
    {
      usleep (50000);
      if (write (b[1], "x", 1) != 1)
        _exit (1);
      pause (); /* until killed: an exit's SIGCHLD would end the wait early */
      _exit (0);
    }
  struct harness_mark start = harness_mark ();
  ev_run (loop, EVRUN_ONCE);
  struct harness_mark end = harness_mark ();
  int status;
  assert_int_equal (kill (writer, SIGKILL), 0);
  assert_int_equal (waitpid (writer, &status, 0), writer);
  assert_int_equal (calls_a, 1);
  assert_int_equal (calls_b, 1);
  /* and it waited for the interval, no longer than the slack allows */
  assert_true (end.at - start.at >= 0.25);
  assert_true (harness_elapsed_unloaded (start, end) < harness_slack (1.));
  ev_set_io_collect_interval (loop, 0.);
  ev_timer_stop (loop, &keep);
  ev_io_stop (loop, &io_a);
  ev_io_stop (loop, &io_b);
  for (int i = 0; i < 2; ++i)
    close (a[i]), close (b[i]);
}

/* An io collect interval of any length, DBL_MAX and infinity too, sleeps no longer than until
 * the next timer (as in libev 4.33). */
static void
loop_control__io_collect_interval_of_any_length_ends_at_the_next_timer (void **state)
{
  struct ev_loop *loop = *state;
  const double lengths[] = { DBL_MAX, HUGE_VAL, 1e10 };
  for (unsigned i = 0; i < sizeof lengths / sizeof lengths[0]; ++i)
    {
      ev_timer t;
      ev_timer_init (&t, trace_timer_cb, 0.05, 0.);
      t.data = "t";
      ev_set_io_collect_interval (loop, lengths[i]);
      ev_now_update (loop);
      ev_timer_start (loop, &t);
      struct harness_mark start = harness_mark ();
      ev_run (loop, 0);
      expect_trace ("t");
      assert_true (harness_elapsed_unloaded (start, harness_mark ()) < harness_slack (1.));
    }
  ev_set_io_collect_interval (loop, 0.);
}

/* A timeout collect interval is a minimum wait; one longer than the longest wait a backend
 * makes in one go (2e6 s, 23 days) cannot be waited for.  libev-ng reports it as a usage error
 * naming the call and the value, as an infinite one; libev 4.33 hangs on epoll, poll and
 * io_uring, and aborts on select ("(libev) select: Invalid argument"). */
static void
set_timeout_collect_interval_then_run (void *arg)
{
  struct ev_loop *loop = test_loop_new ();
  ev_timer t;
  ev_timer_init (&t, nop_timer_cb, 0.01, 0.);
  ev_timer_start (loop, &t);
  ev_set_timeout_collect_interval (loop, *(double *)arg);
  ev_run (loop, EVRUN_ONCE);
}

static void
loop_control__timeout_collect_interval_beyond_the_longest_wait_is_a_usage_error (void **state)
{
  struct ev_loop *loop = *state;
  skip_on_real_libev ();
  double dbl_max = DBL_MAX, huge = 1e300, month = 3e6, inf = HUGE_VAL;
  expect_abort (set_timeout_collect_interval_then_run, &dbl_max,
                "libev-ng: usage error in ev_set_timeout_collect_interval (interval = 1.79769e+308)");
  expect_abort (set_timeout_collect_interval_then_run, &huge, "usage error in ev_set_timeout_collect_interval (interval = 1e+300)");
  expect_abort (set_timeout_collect_interval_then_run, &month, "usage error in ev_set_timeout_collect_interval (interval = 3e+06)");
  expect_abort (set_timeout_collect_interval_then_run, &inf, "usage error in ev_set_timeout_collect_interval (interval = inf)");
  /* the longest is taken (and the loop still works: nothing is due, it does not wait) */
  ev_set_timeout_collect_interval (loop, 2e6);
  ev_run (loop, EVRUN_NOWAIT);
  ev_set_timeout_collect_interval (loop, 0.);
}

static void
loop_control__timeout_collect_interval_delays_timers (void **state)
{
  struct ev_loop *loop = *state;
  ev_timer t;
  ev_timer_init (&t, trace_timer_cb, 0.01, 0.);
  t.data = "t";
  ev_set_timeout_collect_interval (loop, 0.15);
  ev_now_update (loop);
  ev_timer_start (loop, &t);
  double start = harness_monotonic ();
  ev_run (loop, 0);
  double took = harness_monotonic () - start;
  expect_trace ("t");
  /* the poll does not return before the collect interval */
  assert_true (took >= 0.14);

  ev_set_timeout_collect_interval (loop, 0.);
  ev_now_update (loop);
  ev_timer_start (loop, &t);
  struct harness_mark again = harness_mark ();
  ev_run (loop, 0);
  expect_trace ("t");
  /* (beyond the thread's waits for a CPU: a loaded machine may wake it late) */
  assert_true (harness_elapsed_unloaded (again, harness_mark ()) < harness_slack (0.14));
}

/* ---- pending, hooks, userdata -------------------------------------------------------------- */

static void
loop_control__pending_count_and_invoke_pending (void **state)
{
  struct ev_loop *loop = *state;
  ev_idle a, b, c;
  ev_idle_init (&a, trace_idle_cb);
  a.data = "A";
  ev_idle_init (&b, trace_idle_cb);
  b.data = "B";
  ev_idle_init (&c, trace_idle_cb);
  c.data = "C";
  assert_int_equal (ev_pending_count (loop), 0);
  ev_feed_event (loop, &a, EV_IDLE);
  ev_feed_event (loop, &b, EV_IDLE);
  ev_feed_event (loop, &c, EV_IDLE);
  assert_int_equal (ev_pending_count (loop), 3);
  ev_invoke_pending (loop);
  expect_trace ("C,B,A");
  assert_int_equal (ev_pending_count (loop), 0);
  assert_false (ev_is_pending (&a));
}

static void
loop_control__userdata_roundtrip (void **state)
{
  struct ev_loop *loop = *state;
  int x;
  assert_null (ev_userdata (loop));
  ev_set_userdata (loop, &x);
  assert_ptr_equal (ev_userdata (loop), &x);
  ev_set_userdata (loop, NULL);
  assert_null (ev_userdata (loop));
}

static int invoke_hook_calls, invoke_hook_forwards;
static unsigned invoke_hook_pending_seen;

static void
invoke_hook (struct ev_loop *loop)
{
  ++invoke_hook_calls;
  invoke_hook_pending_seen += ev_pending_count (loop);
  assert_ptr_equal (ev_userdata (loop), &invoke_hook_calls);
  if (invoke_hook_forwards)
    ev_invoke_pending (loop);
}

static void
loop_control__invoke_pending_cb_replaces_invocation (void **state)
{
  struct ev_loop *loop = *state;
  ev_timer t;
  ev_set_userdata (loop, &invoke_hook_calls);
  ev_set_invoke_pending_cb (loop, invoke_hook);

  /* a hook that does not invoke: the timer expires but stays pending */
  invoke_hook_calls = 0, invoke_hook_forwards = 0, invoke_hook_pending_seen = 0;
  ev_timer_init (&t, trace_timer_cb, 0., 0.);
  t.data = "t";
  ev_timer_start (loop, &t);
  ev_run (loop, EVRUN_NOWAIT);
  assert_true (invoke_hook_calls >= 1);
  assert_true (invoke_hook_pending_seen >= 1);
  expect_trace_empty ();
  assert_true (ev_is_pending (&t));

  /* a hook that forwards to ev_invoke_pending: the callback runs */
  invoke_hook_forwards = 1;
  ev_run (loop, EVRUN_NOWAIT);
  expect_trace ("t");
  assert_false (ev_is_pending (&t));

  /* restoring the default */
  ev_set_invoke_pending_cb (loop, ev_invoke_pending);
  invoke_hook_calls = 0;
  ev_timer_start (loop, &t);
  ev_run (loop, 0);
  expect_trace ("t");
  assert_int_equal (invoke_hook_calls, 0);
}

/* ev(3) ev_set_invoke_pending_cb: what the program's callback leaves pending is the program's
 * business; the loop blocks as it would with nothing pending (libev 4.33 does: a hook that hands
 * the invocation to another thread must not make the loop spin).  (An earlier libev-ng never
 * blocked while anything was pending, so the far timer had not expired yet.) */
static void
loop_control__invoke_pending_cb_leaving_events_pending_still_blocks (void **state)
{
  struct ev_loop *loop = *state;
  ev_timer now, far;
  ev_set_userdata (loop, &invoke_hook_calls);
  ev_set_invoke_pending_cb (loop, invoke_hook);
  invoke_hook_forwards = 0;
  ev_timer_init (&now, trace_timer_cb, 0., 0.);
  ev_timer_init (&far, trace_timer_cb, 0.2, 0.);
  now.data = "now";
  far.data = "far";
  ev_timer_start (loop, &now);
  ev_timer_start (loop, &far);
  ev_run (loop, EVRUN_ONCE);
  assert_true (ev_is_pending (&now));
  double start = harness_monotonic ();
  ev_run (loop, EVRUN_ONCE);
  assert_true (harness_monotonic () - start >= 0.15);
  assert_true (ev_is_pending (&far));
  assert_int_equal (ev_pending_count (loop), 2);
  expect_trace_empty ();
  ev_set_invoke_pending_cb (loop, ev_invoke_pending);
  ev_invoke_pending (loop);
  expect_trace ("far,now");
}

static int released, release_calls, acquire_calls, cb_while_released;
static unsigned iteration_at_release;

static void
on_release (struct ev_loop *loop) EV_NOEXCEPT
{
  if (released)
    trace_add ("double release");
  released = 1;
  ++release_calls;
  iteration_at_release = ev_iteration (loop);
}

static void
on_acquire (struct ev_loop *loop) EV_NOEXCEPT
{
  (void)loop;
  if (!released)
    trace_add ("acquire without release");
  released = 0;
  ++acquire_calls;
}

static void
check_not_released_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)loop, (void)w, (void)revents;
  cb_while_released += released;
}

static void
loop_control__release_cb_brackets_each_poll_once (void **state)
{
  struct ev_loop *loop = *state;
  ev_timer t;
  released = release_calls = acquire_calls = cb_while_released = 0;
  ev_set_loop_release_cb (loop, on_release, on_acquire);
  ev_timer_init (&t, check_not_released_cb, 0.02, 0.01);
  ev_timer_start (loop, &t);
  for (int i = 1; i <= 5; ++i)
    {
      ev_run (loop, EVRUN_ONCE);
      /* exactly one pair per iteration, released only around the poll */
      assert_int_equal (release_calls, i);
      assert_int_equal (acquire_calls, i);
      assert_int_equal (ev_iteration (loop), (unsigned)i);
      /* the iteration counter is incremented before the poll */
      assert_int_equal (iteration_at_release, (unsigned)i);
    }
  assert_int_equal (released, 0);
  assert_int_equal (cb_while_released, 0);
  expect_trace_empty ();
  ev_timer_stop (loop, &t);
  ev_set_loop_release_cb (loop, NULL, NULL);
}

/* ev_now in a release callback: the loop updates its time before it computes how long to
 * wait, so the callback sees the time of the wait, not the one of the last iteration (the
 * loop does not read the clock there unless it has to; with a release callback it does). */
static ev_tstamp now_at_release;

static void
note_now_at_release (struct ev_loop *loop) EV_NOEXCEPT
{
  now_at_release = ev_now (loop);
}

static void
nothing_acquired (struct ev_loop *loop) EV_NOEXCEPT
{
  (void)loop;
}

static void
loop_control__release_cb_sees_now_updated_before_the_wait (void **state)
{
  struct ev_loop *loop = *state;
  int p[2];
  assert_int_equal (pipe (p), 0);
  ev_io r;
  ev_io_init (&r, NOP_CB (ev_io), p[0], EV_READ);
  ev_io_start (loop, &r);
  ev_timer t;
  ev_timer_init (&t, NOP_CB (ev_timer), 10., 0.);
  ev_set_loop_release_cb (loop, note_now_at_release, nothing_acquired);
  for (int with_timer = 1; with_timer >= 0; --with_timer)
    {
      if (with_timer)
        ev_timer_start (loop, &t);
      else
        ev_timer_stop (loop, &t);
      ev_now_update (loop);
      ev_tstamp before = ev_now (loop);
      usleep (30000); /* the program's time: ev_now is not updated */
      assert_int_equal (write (p[1], "x", 1), 1); /* so that the wait does not block */
      ev_run (loop, EVRUN_ONCE);
      char c;
      assert_int_equal (read (p[0], &c, 1), 1);
      if (now_at_release < before + 0.025)
        fail_msg ("with_timer=%d: ev_now in the release callback is %.6f, %.6f s after the last "
                  "update, not the time of the wait (>= 0.030 s after it)",
                  with_timer, now_at_release, now_at_release - before);
    }
  ev_set_loop_release_cb (loop, NULL, NULL);
  ev_io_stop (loop, &r);
  close (p[0]);
  close (p[1]);
}

/* An acquire callback that changes errno (it made a system call of its own, say) after a wait
 * that a signal interrupted: the wait stays an interruption, not an error (libev 4.33 reports
 * the callback's errno as the wait's: ev_syserr, which aborts by default). */
static int syserr_calls;

static void
count_syserr (const char *msg)
{
  (void)msg;
  ++syserr_calls;
}

static void
acquire_changing_errno (struct ev_loop *loop) EV_NOEXCEPT
{
  (void)loop;
  errno = EIO;
}

static void
interrupting_handler (int signum)
{
  (void)signum;
}

static void
loop_control__release_cb_acquire_changing_errno_keeps_an_interrupted_wait_quiet (void **state)
{
  struct ev_loop *loop = *state;
  skip_on_real_libev ();
  skip_where_valgrind_holds_wakeups (); /* its SIGALRM would arrive after the test */
  struct sigaction sa, old_sa;
  memset (&sa, 0, sizeof sa);
  sa.sa_handler = interrupting_handler; /* (no SA_RESTART: the wait returns EINTR) */
  sigaction (SIGALRM, &sa, &old_sa);
  syserr_calls = 0;
  ev_set_syserr_cb (count_syserr);
  ev_set_loop_release_cb (loop, nothing_acquired, acquire_changing_errno);
  ev_timer t;
  ev_timer_init (&t, NOP_CB (ev_timer), 0.3, 0.);
  ev_timer_start (loop, &t);
  struct itimerval it = { { 0, 0 }, { 0, 50000 } };
  setitimer (ITIMER_REAL, &it, NULL);
  ev_run (loop, 0);
  ev_set_syserr_cb (NULL);
  sigaction (SIGALRM, &old_sa, NULL);
  ev_set_loop_release_cb (loop, NULL, NULL);
  assert_int_equal (syserr_calls, 0);
  assert_true (ev_iteration (loop) >= 2); /* (the interrupted wait, then the timer's) */
}

/* ---- fork: EVFLAG_FORKCHECK, ev_loop_fork ----------------------------------------------------
 * A fork is detected (FORKCHECK: getpid() changed; or ev_loop_fork was called) in the next
 * iteration: fork watchers run and the kernel state is rebuilt, so the child can keep using
 * the loop.  Watched with an ev_fork watcher and an io watcher on a readable pipe. */

struct fork_report
{
  int child_fork_calls, child_io_calls, child_exited_ok;
  int parent_fork_calls, parent_io_calls;
};

static int fork_calls, fork_io_calls;

static void
count_fork_cb (struct ev_loop *loop, ev_fork *w, int revents)
{
  (void)loop, (void)w, (void)revents;
  ++fork_calls;
}

static void
count_io_cb (struct ev_loop *loop, ev_io *w, int revents)
{
  (void)loop, (void)w, (void)revents;
  ++fork_io_calls;
}

enum fork_how { FORK_PLAIN, FORK_CALL_LOOP_FORK };

static void
fork_scenario (struct ev_loop *loop, enum fork_how how, struct fork_report *r)
{
  int p[2];
  ev_fork fw;
  ev_io io;
  assert_int_equal (pipe (p), 0);
  assert_int_equal (write (p[1], "x", 1), 1);
  ev_fork_init (&fw, count_fork_cb);
  ev_fork_start (loop, &fw);
  ev_io_init (&io, count_io_cb, p[0], EV_READ);
  ev_io_start (loop, &io);
  fork_calls = fork_io_calls = 0;
  ev_run (loop, EVRUN_NOWAIT); /* io registered with the kernel before the fork */
  assert_int_equal (fork_calls, 0);
  assert_int_equal (fork_io_calls, 1);

  fflush (stdout);
  pid_t pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      if (how == FORK_CALL_LOOP_FORK)
        ev_loop_fork (loop);
      fork_calls = fork_io_calls = 0;
      ev_run (loop, EVRUN_NOWAIT);
      ev_run (loop, EVRUN_NOWAIT);
      r->child_fork_calls = fork_calls;
      r->child_io_calls = fork_io_calls;
      ev_io_stop (loop, &io);
      ev_fork_stop (loop, &fw);
      ev_loop_destroy (loop);
      r->child_exited_ok = 1;
      _exit (0);
    }
  int st;
  assert_int_equal (waitpid (pid, &st, 0), pid);
  assert_true (WIFEXITED (st) && WEXITSTATUS (st) == 0);
  fork_calls = fork_io_calls = 0;
  ev_run (loop, EVRUN_NOWAIT);
  r->parent_fork_calls = fork_calls;
  r->parent_io_calls = fork_io_calls;
  ev_io_stop (loop, &io);
  ev_fork_stop (loop, &fw);
  close (p[0]);
  close (p[1]);
}

/* Run fork_scenario on loop, destroy the loop, and return what the parent and
 * the child saw (the child writes into memory shared across the fork). */
static struct fork_report
fork_and_report (struct ev_loop *loop, enum fork_how how)
{
  struct fork_report *r = harness_shared_new (sizeof *r);
  fork_scenario (loop, how, r);
  ev_loop_destroy (loop);
  struct fork_report got = *r;
  harness_shared_free (r, sizeof *r);
  return got;
}

static void
loop_control__forkcheck_detects_a_fork_in_the_child (void **state)
{
  (void)state;
  struct ev_loop *loop = ev_loop_new (test_backend | EVFLAG_NOENV | EVFLAG_FORKCHECK);
  assert_non_null (loop);
  struct fork_report got = fork_and_report (loop, FORK_PLAIN);
  assert_int_equal (got.child_exited_ok, 1);
  /* the child noticed by itself, once, and its loop still works */
  assert_int_equal (got.child_fork_calls, 1);
  assert_int_equal (got.child_io_calls, 2);
  /* the parent is not affected */
  assert_int_equal (got.parent_fork_calls, 0);
  assert_int_equal (got.parent_io_calls, 1);
}

static void
loop_control__without_forkcheck_a_fork_goes_unnoticed (void **state)
{
  (void)state;
  struct ev_loop *loop = test_loop_new ();
  struct fork_report got = fork_and_report (loop, FORK_PLAIN);
  assert_int_equal (got.child_exited_ok, 1);
  assert_int_equal (got.child_fork_calls, 0);
  assert_int_equal (got.parent_fork_calls, 0);
  assert_int_equal (got.parent_io_calls, 1);
}

static void
loop_control__loop_fork_in_the_child_rebuilds_the_loop (void **state)
{
  (void)state;
  struct ev_loop *loop = test_loop_new ();
  struct fork_report got = fork_and_report (loop, FORK_CALL_LOOP_FORK);
  assert_int_equal (got.child_exited_ok, 1);
  assert_int_equal (got.child_fork_calls, 1);
  assert_int_equal (got.child_io_calls, 2);
  assert_int_equal (got.parent_fork_calls, 0);
  assert_int_equal (got.parent_io_calls, 1);
}

static void
loop_control__libev_flags_cannot_turn_on_forkcheck (void **state)
{
  (void)state;
  char value[32];
  snprintf (value, sizeof value, "%u", test_backend | (unsigned)EVFLAG_FORKCHECK);
  assert_int_equal (setenv ("LIBEV_FLAGS", value, 1), 0);
  struct ev_loop *loop = ev_loop_new (other_backend ());
  unsetenv ("LIBEV_FLAGS");
  assert_non_null (loop);
  /* the backend comes from the environment, FORKCHECK only from the program */
  assert_int_equal (ev_backend (loop), test_backend);
  struct fork_report got = fork_and_report (loop, FORK_PLAIN);
  assert_int_equal (got.child_exited_ok, 1);
  assert_int_equal (got.child_fork_calls, 0);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    loop_test (loop_control__new_loop_starts_empty),
    plain_test (loop_control__default_loop_is_one_object_and_ignores_later_flags),
    plain_test (loop_control__failed_default_loop_is_retried),
    plain_test (loop_control__libev_flags_replaces_flags_unless_noenv),
    plain_test (loop_control__destroy_null_is_a_no_op),
    plain_test (loop_control__destroy_without_cleanup_watchers_invokes_nothing),
    plain_test (loop_control__destroy_touches_no_watcher_and_leaves_them_active),
    loop_test (loop_control__run_without_watchers_runs_one_iteration),
    loop_test (loop_control__run_returns_the_reference_count),
    loop_test (loop_control__run_returns_when_no_watcher_is_left),
    loop_test (loop_control__unref_lets_run_return_without_firing),
    loop_test (loop_control__ref_keeps_run_alive),
    loop_test (loop_control__nowait_does_not_block),
    loop_test (loop_control__nowait_without_io_watchers_skips_the_poll_call),
    loop_test (loop_control__once_blocks_for_an_event_and_returns),
    loop_test (loop_control__depth_counts_nested_runs),
    loop_test (loop_control__iteration_counts_polls),
    loop_test (loop_control__break_one_only_leaves_innermost_run),
    loop_test (loop_control__break_all_leaves_every_nested_run),
    loop_test (loop_control__break_finishes_the_current_pass),
    loop_test (loop_control__break_on_entry_runs_the_prepares_then_stops),
    loop_test (loop_control__break_cancel_in_the_same_pass_undoes_it),
    loop_test (loop_control__break_outside_run_has_no_effect),
    loop_test (loop_control__run_after_break_all_works_again),
    loop_test (loop_control__now_is_frozen_until_updated),
    loop_test (loop_control__run_updates_now_but_not_during_callbacks),
    loop_test (loop_control__suspend_resume_delays_timers),
    loop_test (loop_control__resume_without_suspend_shifts_by_the_time_since_the_last_update),
    loop_test (loop_control__io_collect_interval_spaces_out_polls),
    loop_test (loop_control__io_collect_interval_reports_what_became_ready_meanwhile),
    loop_test (loop_control__timeout_collect_interval_delays_timers),
    loop_test (loop_control__io_collect_interval_of_any_length_ends_at_the_next_timer),
    loop_test (loop_control__timeout_collect_interval_beyond_the_longest_wait_is_a_usage_error),
    loop_test (loop_control__pending_count_and_invoke_pending),
    loop_test (loop_control__userdata_roundtrip),
    loop_test (loop_control__invoke_pending_cb_replaces_invocation),
    loop_test (loop_control__invoke_pending_cb_leaving_events_pending_still_blocks),
    loop_test (loop_control__release_cb_brackets_each_poll_once),
    loop_test (loop_control__release_cb_sees_now_updated_before_the_wait),
    loop_test (loop_control__release_cb_acquire_changing_errno_keeps_an_interrupted_wait_quiet),
    plain_test (loop_control__forkcheck_detects_a_fork_in_the_child),
    plain_test (loop_control__without_forkcheck_a_fork_goes_unnoticed),
    plain_test (loop_control__loop_fork_in_the_child_rebuilds_the_loop),
    plain_test (loop_control__libev_flags_cannot_turn_on_forkcheck),
    plain_test (loop_control__the_destroyed_default_loop_is_a_usage_error),
    plain_test (loop_control__ev_run_in_a_release_or_acquire_callback_is_a_usage_error),
    plain_test (loop_control__a_thread_cancelled_in_ev_run_leaves_a_usable_loop),
  };
  return HARNESS_RUN ("loop_control", tests);
}
