/* SPDX-License-Identifier: BSD-2-Clause */
/* t/ev_prepare_check.c - ev(3) "ev_prepare and ev_check - customise your event loop!":
 * prepare watchers have their own invocation pass just before the poll (what they start or
 * feed takes effect in that same iteration), check watchers are queued right after it and
 * run before everything else of their priority; a break in prepare skips the poll. */
#include "harness.h"

#include <unistd.h>

TRACE_CB (prepare)
TRACE_CB (check)
TRACE_CB (idle)

static void
nop_timer_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)loop, (void)w, (void)revents;
}

static void
trace_io_cb (struct ev_loop *loop, ev_io *w, int revents)
{
  (void)revents;
  trace_add ("%s", (const char *)w->data);
  ev_io_stop (loop, w);
}

static ev_io late_io;
static ev_idle fed_idle;

static void
prepare_starts_io_cb (struct ev_loop *loop, ev_prepare *w, int revents)
{
  (void)revents;
  trace_add ("%s", (const char *)w->data);
  if (!ev_is_active (&late_io))
    ev_io_start (loop, &late_io);
}

static void
ev_prepare_check__prepare_changes_count_in_the_same_iteration (void **state)
{
  struct ev_loop *loop = *state;
  int p[2];
  ev_prepare prep;
  assert_int_equal (pipe (p), 0);
  assert_int_equal (write (p[1], "x", 1), 1);
  ev_io_init (&late_io, trace_io_cb, p[0], EV_READ);
  late_io.data = "io";
  ev_prepare_init (&prep, prepare_starts_io_cb);
  prep.data = "prepare";
  ev_prepare_start (loop, &prep);
  /* the io watcher started in prepare is handed to the kernel before this poll */
  ev_run (loop, EVRUN_NOWAIT);
  expect_trace ("prepare,io");
  assert_int_equal (ev_iteration (loop), 1);
  ev_prepare_stop (loop, &prep);
  close (p[0]);
  close (p[1]);
}

static void
prepare_feeds_cb (struct ev_loop *loop, ev_prepare *w, int revents)
{
  (void)revents;
  trace_add ("%s", (const char *)w->data);
  ev_feed_event (loop, &fed_idle, EV_CUSTOM);
}

static void
ev_prepare_check__prepare_pass_runs_what_it_feeds_before_the_poll (void **state)
{
  struct ev_loop *loop = *state;
  ev_prepare prep;
  ev_check check;
  ev_idle_init (&fed_idle, trace_idle_cb);
  fed_idle.data = "fed";
  ev_prepare_init (&prep, prepare_feeds_cb);
  prep.data = "prepare";
  ev_check_init (&check, trace_check_cb);
  check.data = "check";
  ev_prepare_start (loop, &prep);
  ev_check_start (loop, &check);
  ev_run (loop, EVRUN_NOWAIT);
  expect_trace ("prepare,fed,check");
  ev_prepare_stop (loop, &prep);
  ev_check_stop (loop, &check);
}

static void
break_in_prepare_cb (struct ev_loop *loop, ev_prepare *w, int revents)
{
  (void)revents;
  trace_add ("%s", (const char *)w->data);
  ev_break (loop, EVBREAK_ONE);
}

static void
ev_prepare_check__break_in_prepare_skips_the_poll (void **state)
{
  struct ev_loop *loop = *state;
  ev_prepare prep;
  ev_check check;
  ev_timer far;
  ev_prepare_init (&prep, break_in_prepare_cb);
  prep.data = "prepare";
  ev_check_init (&check, trace_check_cb);
  check.data = "check";
  ev_timer_init (&far, nop_timer_cb, 30., 0.);
  ev_prepare_start (loop, &prep);
  ev_check_start (loop, &check);
  ev_timer_start (loop, &far);
  struct harness_mark start = harness_mark ();
  /* returns the reference count (3 watchers) at once: no poll, no check */
  assert_int_equal (ev_run (loop, 0), 3);
  assert_true (harness_elapsed_unloaded (start, harness_mark ()) < harness_slack (1.));
  expect_trace ("prepare");
  assert_int_equal (ev_iteration (loop), 0);
  ev_prepare_stop (loop, &prep);
  ev_check_stop (loop, &check);
  ev_timer_stop (loop, &far);
}

static void
ev_prepare_check__check_runs_first_within_its_priority (void **state)
{
  struct ev_loop *loop = *state;
  int p[2];
  ev_io io;
  ev_check check;
  assert_int_equal (pipe (p), 0);
  assert_int_equal (write (p[1], "x", 1), 1);
  ev_io_init (&io, trace_io_cb, p[0], EV_READ);
  io.data = "io";
  ev_check_init (&check, trace_check_cb);
  check.data = "check";
  ev_io_start (loop, &io);
  ev_check_start (loop, &check);
  ev_run (loop, EVRUN_NOWAIT);
  expect_trace ("check,io");
  /* at a lower priority it comes after */
  ev_check_stop (loop, &check);
  ev_set_priority (&check, -1);
  ev_check_start (loop, &check);
  ev_io_start (loop, &io);
  ev_run (loop, EVRUN_NOWAIT);
  expect_trace ("io,check");
  ev_check_stop (loop, &check);
  close (p[0]);
  close (p[1]);
}

static void
ev_prepare_check__several_run_last_started_first (void **state)
{
  struct ev_loop *loop = *state;
  ev_prepare p1, p2, p3;
  ev_check c1, c2, c3;
  ev_prepare_init (&p1, trace_prepare_cb);
  p1.data = "p1";
  ev_prepare_init (&p2, trace_prepare_cb);
  p2.data = "p2";
  ev_prepare_init (&p3, trace_prepare_cb);
  p3.data = "p3";
  ev_check_init (&c1, trace_check_cb);
  c1.data = "c1";
  ev_check_init (&c2, trace_check_cb);
  c2.data = "c2";
  ev_check_init (&c3, trace_check_cb);
  c3.data = "c3";
  ev_prepare_start (loop, &p1);
  ev_prepare_start (loop, &p2);
  ev_prepare_start (loop, &p3);
  ev_check_start (loop, &c1);
  ev_check_start (loop, &c2);
  ev_check_start (loop, &c3);
  assert_int_equal (ev_is_active (&p1), 1);
  assert_int_equal (ev_is_active (&p3), 3);
  assert_int_equal (ev_is_active (&c2), 2);
  ev_run (loop, EVRUN_NOWAIT);
  /* queued in array order, invoked last queued first */
  expect_trace ("p3,p2,p1,c3,c2,c1");
  /* stopping the first moves the last one into its slot, which changes the order */
  ev_prepare_stop (loop, &p1);
  ev_check_stop (loop, &c1);
  assert_int_equal (ev_is_active (&p3), 1);
  assert_int_equal (ev_is_active (&c3), 1);
  ev_run (loop, EVRUN_NOWAIT);
  expect_trace ("p2,p3,c2,c3");
  ev_prepare_stop (loop, &p2);
  ev_prepare_stop (loop, &p3);
  ev_check_stop (loop, &c2);
  ev_check_stop (loop, &c3);
}

static unsigned iteration_in_prepare, iteration_in_check;
static ev_tstamp now_in_prepare, now_in_check;

static void
record_prepare_cb (struct ev_loop *loop, ev_prepare *w, int revents)
{
  (void)w, (void)revents;
  iteration_in_prepare = ev_iteration (loop);
  now_in_prepare = ev_now (loop);
}

static void
record_check_cb (struct ev_loop *loop, ev_check *w, int revents)
{
  (void)w, (void)revents;
  iteration_in_check = ev_iteration (loop);
  now_in_check = ev_now (loop);
}

static void
ev_prepare_check__poll_happens_between_prepare_and_check (void **state)
{
  struct ev_loop *loop = *state;
  ev_prepare prep;
  ev_check check;
  ev_timer t;
  ev_prepare_init (&prep, record_prepare_cb);
  ev_check_init (&check, record_check_cb);
  ev_timer_init (&t, nop_timer_cb, 0.03, 0.);
  ev_prepare_start (loop, &prep);
  ev_check_start (loop, &check);
  ev_timer_start (loop, &t);
  ev_run (loop, EVRUN_ONCE);
  /* the iteration counter is incremented between them, and the clock is updated after the poll */
  assert_int_equal (iteration_in_check, iteration_in_prepare + 1);
  assert_true (now_in_check - now_in_prepare >= 0.029);
  ev_prepare_stop (loop, &prep);
  ev_check_stop (loop, &check);
  /* (an iteration may end before the timer is due, on a wait that returned early) */
  ev_timer_stop (loop, &t);
}

static void
ev_prepare_check__unreferenced_pair_sees_the_single_iteration (void **state)
{
  struct ev_loop *loop = *state;
  ev_prepare prep;
  ev_check check;
  ev_prepare_init (&prep, trace_prepare_cb);
  prep.data = "prepare";
  ev_check_init (&check, trace_check_cb);
  check.data = "check";
  ev_prepare_start (loop, &prep);
  ev_unref (loop);
  ev_check_start (loop, &check);
  ev_unref (loop);
  /* no reference: ev_run does one iteration, with both, and returns 0 */
  assert_int_equal (ev_run (loop, 0), 0);
  expect_trace ("prepare,check");
  ev_ref (loop);
  ev_prepare_stop (loop, &prep);
  ev_ref (loop);
  ev_check_stop (loop, &check);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    loop_test (ev_prepare_check__prepare_changes_count_in_the_same_iteration),
    loop_test (ev_prepare_check__prepare_pass_runs_what_it_feeds_before_the_poll),
    loop_test (ev_prepare_check__break_in_prepare_skips_the_poll),
    loop_test (ev_prepare_check__check_runs_first_within_its_priority),
    loop_test (ev_prepare_check__several_run_last_started_first),
    loop_test (ev_prepare_check__poll_happens_between_prepare_and_check),
    loop_test (ev_prepare_check__unreferenced_pair_sees_the_single_iteration),
  };
  return HARNESS_RUN ("ev_prepare_check", tests);
}
