/* SPDX-License-Identifier: BSD-2-Clause */
/* t/other_functions.c - ev(3) "OTHER FUNCTIONS" (doc/semantics.md §19): ev_once (timeout
 * only, io only, both in one iteration giving the union, the meaning of fd < 0 and of a
 * negative timeout, 0 as a valid timeout, the argument, the references, memory freed before
 * the callback), ev_feed_fd_event (every watcher of the fd, masked by its events), and the
 * signal feeding functions ev_feed_signal / ev_feed_signal_event (in forked children, which
 * may change signal dispositions). */
#define _GNU_SOURCE 1
#include "harness.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* ---- ev_once ------------------------------------------------------------------------------------- */

struct once_record
{
  int calls;
  int revents;
  void *arg;
  long live_in_cb; /* blocks allocated through the library's allocator, inside the callback */
};

static struct once_record once;

static void
once_cb (int revents, void *arg)
{
  struct harness_alloc_stats st;
  harness_alloc_stats (&st);
  ++once.calls;
  once.revents = revents;
  once.arg = arg;
  once.live_in_cb = st.live;
}

static long
live_blocks (void)
{
  struct harness_alloc_stats st;
  harness_alloc_stats (&st);
  return st.live;
}

/* One ev_once of the same kind run to completion first, on the same fd, so that the loop's own
 * arrays (timer heap, pending queue, fd table, and a backend's per-fd records, which the AFD
 * backend allocates for each fd it is first given) have grown and the block count measures
 * only ev_once.  For EV_READ, `peer` makes fd readable, and what it wrote is read again. */
static void
warm_up (struct ev_loop *loop, int fd, int peer, int events, ev_tstamp timeout)
{
  if (fd >= 0 && (events & EV_READ))
    {
      char c;
      ev_once (loop, fd, EV_READ, timeout, once_cb, NULL);
      assert_int_equal (write (peer, "x", 1), 1);
      ev_run (loop, 0);
      assert_int_equal (read (fd, &c, 1), 1);
    }
  ev_once (loop, fd >= 0 && (events & EV_WRITE) ? fd : -1, events & EV_WRITE, timeout < 0 ? 0. : 0.001,
           once_cb, NULL);
  ev_run (loop, 0);
  memset (&once, 0, sizeof once);
}

static void
other_functions__once_with_a_timeout_only (void **state)
{
  struct ev_loop *loop = *state;
  int token;
  warm_up (loop, -1, -1, 0, 0.02);
  long before = live_blocks ();
  ev_now_update (loop);
  ev_tstamp now0 = ev_now (loop);
  /* fd < 0: no io part (the events are ignored) */
  ev_once (loop, -1, EV_READ | EV_WRITE, 0.02, once_cb, &token);
  /* it keeps the loop alive until it has fired */
  assert_int_equal (ev_run (loop, 0), 0);
  assert_int_equal (once.calls, 1);
  assert_int_equal (once.revents, EV_TIMER);
  assert_ptr_equal (once.arg, &token);
  /* not early, by the loop's clock */
  assert_true (ev_now (loop) - now0 >= 0.02 - harness_ev_now_rounding (loop));
  /* what it allocated was freed before the callback ran */
  assert_int_equal (once.live_in_cb, before);
  assert_int_equal (live_blocks (), before);
}

static void
other_functions__once_with_timeout_zero_fires_in_the_first_iteration (void **state)
{
  struct ev_loop *loop = *state;
  memset (&once, 0, sizeof once);
  ev_once (loop, -1, 0, 0., once_cb, NULL);
  ev_run (loop, EVRUN_NOWAIT);
  assert_int_equal (once.calls, 1);
  assert_int_equal (once.revents, EV_TIMER);
  assert_null (once.arg);
}

static void
other_functions__once_with_io_only (void **state)
{
  struct ev_loop *loop = *state;
  int p[2];
  assert_int_equal (pipe (p), 0);
  warm_up (loop, p[0], p[1], EV_READ, -1.);
  long before = live_blocks ();
  /* timeout < 0: no timer, waits for the fd alone */
  ev_once (loop, p[0], EV_READ, -1., once_cb, p);
  assert_int_equal (ev_run (loop, EVRUN_NOWAIT), 1);
  assert_int_equal (once.calls, 0);
  assert_int_equal (write (p[1], "x", 1), 1);
  assert_int_equal (ev_run (loop, 0), 0);
  assert_int_equal (once.calls, 1);
  assert_int_equal (once.revents, EV_READ);
  assert_ptr_equal (once.arg, p);
  assert_int_equal (once.live_in_cb, before);
  assert_int_equal (live_blocks (), before);
  /* the descriptor is no longer watched: still readable, no second call */
  ev_run (loop, EVRUN_NOWAIT);
  assert_int_equal (once.calls, 1);
  close (p[0]);
  close (p[1]);
}

static void
other_functions__once_io_before_the_timeout (void **state)
{
  struct ev_loop *loop = *state;
  int p[2];
  assert_int_equal (pipe (p), 0);
  warm_up (loop, p[1], -1, EV_WRITE, 10.);
  long before = live_blocks ();
  ev_once (loop, p[1], EV_WRITE, 10., once_cb, NULL);
  double t0 = harness_monotonic ();
  assert_int_equal (ev_run (loop, 0), 0);
  assert_true (harness_monotonic () - t0 < 5.);
  assert_int_equal (once.calls, 1);
  assert_int_equal (once.revents, EV_WRITE);
  /* the timer part was stopped too */
  assert_int_equal (ev_run (loop, EVRUN_NOWAIT), 0);
  assert_int_equal (live_blocks (), before);
  close (p[0]);
  close (p[1]);
}

static void
other_functions__once_timeout_before_io (void **state)
{
  struct ev_loop *loop = *state;
  int p[2];
  assert_int_equal (pipe (p), 0);
  warm_up (loop, p[0], p[1], EV_READ, 0.01);
  long before = live_blocks ();
  ev_once (loop, p[0], EV_READ, 0.01, once_cb, NULL);
  assert_int_equal (ev_run (loop, 0), 0);
  assert_int_equal (once.calls, 1);
  assert_int_equal (once.revents, EV_TIMER);
  /* the io part was stopped too: data now brings nothing */
  assert_int_equal (write (p[1], "x", 1), 1);
  assert_int_equal (ev_run (loop, EVRUN_NOWAIT), 0);
  assert_int_equal (once.calls, 1);
  assert_int_equal (live_blocks (), before);
  close (p[0]);
  close (p[1]);
}

static void
other_functions__once_io_and_timeout_in_one_iteration_give_the_union (void **state)
{
  struct ev_loop *loop = *state;
  int p[2];
  assert_int_equal (pipe (p), 0);
  assert_int_equal (write (p[1], "x", 1), 1);
  memset (&once, 0, sizeof once);
  /* both ready in the first iteration: one call with both */
  ev_once (loop, p[0], EV_READ, 0., once_cb, NULL);
  ev_run (loop, EVRUN_ONCE);
  assert_int_equal (once.calls, 1);
  assert_int_equal (once.revents, EV_READ | EV_TIMER);
  ev_run (loop, EVRUN_NOWAIT);
  assert_int_equal (once.calls, 1);
  close (p[0]);
  close (p[1]);
}

static void
other_functions__once_holds_one_reference_per_part (void **state)
{
  struct ev_loop *loop = *state;
  int p[2];
  assert_int_equal (pipe (p), 0);
  memset (&once, 0, sizeof once);
  ev_once (loop, p[0], EV_READ, -1., once_cb, NULL);
  assert_int_equal (ev_run (loop, EVRUN_NOWAIT), 1);
  ev_once (loop, p[0], EV_READ, 5., once_cb, NULL);
  assert_int_equal (ev_run (loop, EVRUN_NOWAIT), 3);
  /* both fire on the same data, then nothing is left */
  assert_int_equal (write (p[1], "x", 1), 1);
  assert_int_equal (ev_run (loop, 0), 0);
  assert_int_equal (once.calls, 2);
  close (p[0]);
  close (p[1]);
}

/* ---- ev_feed_fd_event -------------------------------------------------------------------------- */

TRACE_REVENTS_CB (io)

/* ev_once without a callback: libev 4.33 calls address 0 when the event comes; libev-ng
 * reports the call.  (Nothing to wait for: nothing is ever called, no report.) */
static void
once_without_callback (void *arg)
{
  (void)arg;
  struct ev_loop *loop = test_loop_new ();
  ev_once (loop, -1, 0, -1., NULL, NULL); /* nothing to wait for */
  ev_run (loop, EVRUN_NOWAIT);
  ev_once (loop, -1, 0, 0., NULL, NULL);
  ev_run (loop, EVRUN_NOWAIT);
}

static void
other_functions__once_without_a_callback_is_a_usage_error (void **state)
{
  (void)state;
  skip_on_real_libev ();
  expect_abort (once_without_callback, NULL, "libev-ng: usage error in ev_once (cb = 0): ");
}

static void
other_functions__feed_fd_event_masks_by_each_watchers_events (void **state)
{
  struct ev_loop *loop = *state;
  int p[2];
  assert_int_equal (pipe (p), 0);
  ev_io r, w, rw;
  ev_io_init (&r, trace_io_revents_cb, p[0], EV_READ);
  r.data = "r";
  ev_io_init (&w, trace_io_revents_cb, p[0], EV_WRITE);
  w.data = "w";
  ev_io_init (&rw, trace_io_revents_cb, p[0], EV_READ | EV_WRITE);
  rw.data = "rw";
  ev_io_start (loop, &r);
  ev_io_start (loop, &w);
  ev_io_start (loop, &rw);

  ev_feed_fd_event (loop, p[0], EV_READ | EV_WRITE);
  /* pending at once, invoked by the next pass */
  assert_true (ev_is_pending (&r) && ev_is_pending (&w) && ev_is_pending (&rw));
  ev_invoke_pending (loop);
  /* in start order, as for events from the kernel */
  expect_trace ("r:0x1,w:0x2,rw:0x3");

  ev_feed_fd_event (loop, p[0], EV_WRITE);
  assert_false (ev_is_pending (&r));
  ev_invoke_pending (loop);
  expect_trace ("w:0x2,rw:0x2");

  /* a stopped watcher is not fed */
  ev_io_stop (loop, &rw);
  ev_feed_fd_event (loop, p[0], EV_READ);
  ev_invoke_pending (loop);
  expect_trace ("r:0x1");

  ev_io_stop (loop, &r);
  ev_io_stop (loop, &w);
  close (p[0]);
  close (p[1]);
}

static void
other_functions__feed_fd_event_without_watchers_does_nothing (void **state)
{
  struct ev_loop *loop = *state;
  int p[2];
  assert_int_equal (pipe (p), 0);
  ev_io r;
  ev_io_init (&r, trace_io_revents_cb, p[0], EV_READ);
  r.data = "r";
  ev_io_start (loop, &r);
  /* another descriptor, one beyond anything the loop knows */
  ev_feed_fd_event (loop, p[1], EV_READ | EV_WRITE);
  ev_feed_fd_event (loop, 900, EV_READ);
  assert_int_equal (ev_pending_count (loop), 0);
  ev_run (loop, EVRUN_NOWAIT);
  expect_trace_empty ();
  ev_io_stop (loop, &r);
  close (p[0]);
  close (p[1]);
}

/* ---- ev_feed_signal, ev_feed_signal_event (in forked children) ------------------------------------ */

TRACE_REVENTS_CB (signal)

static void
feed_signal_child (void *arg)
{
  (void)arg;
  struct ev_loop *loop = ev_loop_new (test_backend | EVFLAG_NOENV);
  CHECK (loop);
  ev_signal s;
  ev_signal_init (&s, trace_signal_revents_cb, SIGUSR1);
  s.data = "usr1";
  ev_signal_start (loop, &s);
  /* as if the signal had arrived (the process does not actually get it) */
  ev_feed_signal (SIGUSR1);
  ev_run (loop, EVRUN_NOWAIT);
  CHECK (strcmp (trace_get (), "usr1:0x400") == 0);
  trace_reset ();
  /* a signal that no loop watches: ignored, and its disposition is left alone */
  struct sigaction before, after;
  sigaction (SIGUSR2, NULL, &before);
  ev_feed_signal (SIGUSR2);
  sigaction (SIGUSR2, NULL, &after);
  CHECK (before.sa_handler == after.sa_handler);
  ev_run (loop, EVRUN_NOWAIT);
  CHECK (strcmp (trace_get (), "") == 0);
  ev_signal_stop (loop, &s);
  /* and after the last watcher stopped, it is ignored too */
  ev_feed_signal (SIGUSR1);
  ev_run (loop, EVRUN_NOWAIT);
  CHECK (strcmp (trace_get (), "") == 0);
  ev_loop_destroy (loop);
}

static void
other_functions__feed_signal_reaches_the_loop_watching_the_signal (void **state)
{
  (void)state;
  harness_expect_child_ok (feed_signal_child, NULL, 10, NULL);
}

static void
feed_signal_event_child (void *arg)
{
  (void)arg;
  struct ev_loop *owner = ev_loop_new (test_backend | EVFLAG_NOENV);
  struct ev_loop *other = ev_loop_new (test_backend | EVFLAG_NOENV);
  CHECK (owner && other);
  ev_signal s;
  ev_signal_init (&s, trace_signal_revents_cb, SIGUSR1);
  s.data = "usr1";
  ev_signal_start (owner, &s);
  /* pending immediately, no ev_run needed to notice it */
  ev_feed_signal_event (owner, SIGUSR1);
  CHECK (ev_is_pending (&s));
  ev_invoke_pending (owner);
  CHECK (strcmp (trace_get (), "usr1:0x400") == 0);
  trace_reset ();
  /* a loop that does not own the signal: ignored */
  ev_feed_signal_event (other, SIGUSR1);
  CHECK (!ev_is_pending (&s));
  CHECK (ev_pending_count (other) == 0);
  ev_run (other, EVRUN_NOWAIT);
  ev_run (owner, EVRUN_NOWAIT);
  CHECK (strcmp (trace_get (), "") == 0);
  ev_signal_stop (owner, &s);
  ev_loop_destroy (other);
  ev_loop_destroy (owner);
}

static void
other_functions__feed_signal_event_only_for_the_owning_loop (void **state)
{
  (void)state;
  harness_expect_child_ok (feed_signal_event_child, NULL, 10, NULL);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    loop_test (other_functions__once_with_a_timeout_only),
    loop_test (other_functions__once_with_timeout_zero_fires_in_the_first_iteration),
    loop_test (other_functions__once_with_io_only),
    loop_test (other_functions__once_io_before_the_timeout),
    loop_test (other_functions__once_timeout_before_io),
    loop_test (other_functions__once_io_and_timeout_in_one_iteration_give_the_union),
    loop_test (other_functions__once_holds_one_reference_per_part),
    plain_test (other_functions__once_without_a_callback_is_a_usage_error),
    loop_test (other_functions__feed_fd_event_masks_by_each_watchers_events),
    loop_test (other_functions__feed_fd_event_without_watchers_does_nothing),
    plain_test (other_functions__feed_signal_reaches_the_loop_watching_the_signal),
    plain_test (other_functions__feed_signal_event_only_for_the_owning_loop),
  };
  return HARNESS_RUN ("other_functions", tests);
}
