/* SPDX-License-Identifier: BSD-2-Clause */
/* t/ev_idle.c - ev(3) "ev_idle - when you've got nothing better to do...": the lock-out
 * rule (doc/semantics.md §14), zero poll timeout, active index per priority. */
#include "harness.h"

#include <unistd.h>

TRACE_CB (idle)
TRACE_CB (timer)
TRACE_CB (check)

static void
nop_timer_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)loop, (void)w, (void)revents;
}

static void
init_idle (ev_idle *w, const char *name, int priority)
{
  ev_idle_init (w, trace_idle_cb);
  ev_set_priority (w, priority);
  w->data = (void *)name;
}

static void
ev_idle__runs_every_iteration_and_never_blocks (void **state)
{
  struct ev_loop *loop = *state;
  ev_idle w;
  ev_timer far;
  init_idle (&w, "idle", 0);
  ev_idle_start (loop, &w);
  ev_timer_init (&far, nop_timer_cb, 30., 0.);
  ev_timer_start (loop, &far);
  struct harness_mark start = harness_mark ();
  /* EVRUN_ONCE would block for the timer; an active idle watcher makes the poll timeout 0 */
  for (int i = 0; i < 3; ++i)
    ev_run (loop, EVRUN_ONCE);
  assert_true (harness_elapsed_unloaded (start, harness_mark ()) < harness_slack (1.));
  expect_trace ("idle,idle,idle");
  assert_int_equal (ev_iteration (loop), 3);
  ev_idle_stop (loop, &w);
  ev_timer_stop (loop, &far);
}

static int idle_countdown;

static void
countdown_cb (struct ev_loop *loop, ev_idle *w, int revents)
{
  (void)revents;
  if (--idle_countdown == 0)
    ev_idle_stop (loop, w);
}

static void
ev_idle__keeps_the_loop_running_until_stopped (void **state)
{
  struct ev_loop *loop = *state;
  ev_idle w;
  idle_countdown = 5;
  ev_idle_init (&w, countdown_cb);
  ev_idle_start (loop, &w);
  assert_int_equal (ev_run (loop, 0), 0);
  assert_int_equal (idle_countdown, 0);
  assert_int_equal (ev_iteration (loop), 5);
}

static void
ev_idle__only_the_highest_idle_priority_runs (void **state)
{
  struct ev_loop *loop = *state;
  ev_idle hi, lo, lo2;
  init_idle (&hi, "p1", 1);
  init_idle (&lo, "p0", 0);
  init_idle (&lo2, "p0b", 0);
  ev_idle_start (loop, &lo);
  ev_idle_start (loop, &hi);
  ev_idle_start (loop, &lo2);
  for (int i = 0; i < 3; ++i)
    ev_run (loop, EVRUN_NOWAIT);
  /* the priority-1 idle watcher locks the lower ones out for good */
  expect_trace ("p1,p1,p1");
  ev_idle_stop (loop, &hi);
  ev_run (loop, EVRUN_NOWAIT);
  /* now level 0 is the highest: all of its idle watchers, last queued first */
  expect_trace ("p0b,p0");
  ev_idle_stop (loop, &lo);
  ev_idle_stop (loop, &lo2);
}

static void
idle_with_pending_timer (struct ev_loop *loop, int timer_priority)
{
  ev_idle idle;
  ev_timer t;
  init_idle (&idle, "idle", 0);
  ev_timer_init (&t, trace_timer_cb, 0., 0.);
  ev_set_priority (&t, timer_priority);
  t.data = "timer";
  ev_idle_start (loop, &idle);
  ev_timer_start (loop, &t);
  ev_run (loop, EVRUN_NOWAIT);
  ev_run (loop, EVRUN_NOWAIT);
  ev_idle_stop (loop, &idle);
}

static void
ev_idle__pending_watcher_of_lower_priority_does_not_lock_out (void **state)
{
  idle_with_pending_timer (*state, -1);
  /* same iteration: the idle watcher (level 0) runs first, then the level -1 timer */
  expect_trace ("idle,timer,idle");
}

static void
ev_idle__pending_watcher_of_same_priority_locks_out (void **state)
{
  idle_with_pending_timer (*state, 0);
  /* the timer's iteration has no idle call; the next one has */
  expect_trace ("timer,idle");
}

static void
ev_idle__pending_watcher_of_higher_priority_locks_out (void **state)
{
  idle_with_pending_timer (*state, 2);
  expect_trace ("timer,idle");
}

static void
io_cb (struct ev_loop *loop, ev_io *w, int revents)
{
  (void)loop, (void)revents;
  trace_add ("%s", (const char *)w->data);
}

static void
ev_idle__busy_fd_of_same_priority_starves_idle (void **state)
{
  struct ev_loop *loop = *state;
  int p[2];
  ev_io io;
  ev_idle idle;
  assert_int_equal (pipe (p), 0);
  assert_int_equal (write (p[1], "x", 1), 1);
  ev_io_init (&io, io_cb, p[0], EV_READ);
  io.data = "io";
  init_idle (&idle, "idle", 0);
  ev_io_start (loop, &io);
  ev_idle_start (loop, &idle);
  for (int i = 0; i < 3; ++i)
    ev_run (loop, EVRUN_NOWAIT);
  expect_trace ("io,io,io");
  /* a lower-priority fd does not */
  ev_io_stop (loop, &io);
  ev_set_priority (&io, -1);
  ev_io_start (loop, &io);
  ev_run (loop, EVRUN_NOWAIT);
  expect_trace ("idle,io");
  ev_io_stop (loop, &io);
  ev_idle_stop (loop, &idle);
  close (p[0]);
  close (p[1]);
}

static void
ev_idle__checks_do_not_lock_out_and_run_before_idle (void **state)
{
  struct ev_loop *loop = *state;
  ev_idle idle;
  ev_check check;
  init_idle (&idle, "idle", 0);
  ev_check_init (&check, trace_check_cb);
  check.data = "check";
  ev_idle_start (loop, &idle);
  ev_check_start (loop, &check);
  ev_run (loop, EVRUN_NOWAIT);
  ev_run (loop, EVRUN_NOWAIT);
  expect_trace ("check,idle,check,idle");
  ev_idle_stop (loop, &idle);
  ev_check_stop (loop, &check);
}

static void
ev_idle__active_is_the_index_within_its_priority (void **state)
{
  struct ev_loop *loop = *state;
  ev_idle a, b, c;
  init_idle (&a, "a", 0);
  init_idle (&b, "b", 0);
  init_idle (&c, "c", 1);
  ev_idle_start (loop, &a);
  ev_idle_start (loop, &b);
  ev_idle_start (loop, &c);
  assert_int_equal (ev_is_active (&a), 1);
  assert_int_equal (ev_is_active (&b), 2);
  assert_int_equal (ev_is_active (&c), 1);
  /* removal moves the last one into the hole */
  ev_idle_stop (loop, &a);
  assert_int_equal (ev_is_active (&b), 1);
  ev_idle_stop (loop, &b);
  ev_idle_stop (loop, &c);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    loop_test (ev_idle__runs_every_iteration_and_never_blocks),
    loop_test (ev_idle__keeps_the_loop_running_until_stopped),
    loop_test (ev_idle__only_the_highest_idle_priority_runs),
    loop_test (ev_idle__pending_watcher_of_lower_priority_does_not_lock_out),
    loop_test (ev_idle__pending_watcher_of_same_priority_locks_out),
    loop_test (ev_idle__pending_watcher_of_higher_priority_locks_out),
    loop_test (ev_idle__busy_fd_of_same_priority_starves_idle),
    loop_test (ev_idle__checks_do_not_lock_out_and_run_before_idle),
    loop_test (ev_idle__active_is_the_index_within_its_priority),
  };
  return HARNESS_RUN ("ev_idle", tests);
}
