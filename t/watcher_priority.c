/* SPDX-License-Identifier: BSD-2-Clause */
/* t/watcher_priority.c - ev(3) "WATCHER PRIORITY MODELS" and the order of one iteration:
 * pending order (highest priority first, last queued first within a priority, a feed during
 * the pass restarts the scan at the top), clamping at start, and the order of the watcher
 * types inside one iteration (doc/semantics.md §4, §5, §14).  The idle lock-out model is
 * in t/ev_idle.c. */
#include "harness.h"

#include <unistd.h>

TRACE_CB (idle)
TRACE_CB (timer)
TRACE_CB (prepare)
TRACE_CB (check)

static void
init_fed (ev_idle *w, const char *name, int priority)
{
  ev_idle_init (w, trace_idle_cb);
  ev_set_priority (w, priority);
  w->data = (void *)name;
}

static void
watcher_priority__same_priority_runs_last_fed_first (void **state)
{
  struct ev_loop *loop = *state;
  ev_idle a, b, c;
  init_fed (&a, "A", 0);
  init_fed (&b, "B", 0);
  init_fed (&c, "C", 0);
  ev_feed_event (loop, &a, EV_CUSTOM);
  ev_feed_event (loop, &b, EV_CUSTOM);
  ev_feed_event (loop, &c, EV_CUSTOM);
  ev_invoke_pending (loop);
  expect_trace ("C,B,A");
}

static void
watcher_priority__higher_priority_runs_first (void **state)
{
  struct ev_loop *loop = *state;
  ev_idle p0a, p2, pm2, p0b, p1, pm1;
  init_fed (&p0a, "p0a", 0);
  init_fed (&p2, "p2", 2);
  init_fed (&pm2, "pm2", -2);
  init_fed (&p0b, "p0b", 0);
  init_fed (&p1, "p1", 1);
  init_fed (&pm1, "pm1", -1);
  ev_feed_event (loop, &p0a, EV_CUSTOM);
  ev_feed_event (loop, &p2, EV_CUSTOM);
  ev_feed_event (loop, &pm2, EV_CUSTOM);
  ev_feed_event (loop, &p0b, EV_CUSTOM);
  ev_feed_event (loop, &pm1, EV_CUSTOM);
  ev_feed_event (loop, &p1, EV_CUSTOM);
  /* ev_run invokes them (fed before it started) in the same order */
  assert_int_equal (ev_run (loop, 0), 0);
  expect_trace ("p2,p1,p0b,p0a,pm1,pm2");
}

static ev_idle fed_d, fed_e;

static void
feeding_cb (struct ev_loop *loop, ev_idle *w, int revents)
{
  (void)revents;
  trace_add ("%s", (const char *)w->data);
  ev_feed_event (loop, &fed_d, EV_CUSTOM);
  ev_feed_event (loop, &fed_e, EV_CUSTOM);
}

static void
watcher_priority__feed_during_the_pass_restarts_at_the_top (void **state)
{
  struct ev_loop *loop = *state;
  ev_idle a, b, c;
  init_fed (&a, "A", 0);
  init_fed (&b, "B", 0);
  init_fed (&c, "C", 0);
  ev_set_cb (&c, feeding_cb);
  init_fed (&fed_d, "D", 0);
  init_fed (&fed_e, "E", 2);
  ev_feed_event (loop, &a, EV_CUSTOM);
  ev_feed_event (loop, &b, EV_CUSTOM);
  ev_feed_event (loop, &c, EV_CUSTOM);
  ev_invoke_pending (loop);
  /* E (priority 2) runs next, and D, queued after B, runs before B */
  expect_trace ("C,E,D,B,A");
}

static int self_feeds;

static void
feed_self_cb (struct ev_loop *loop, ev_idle *w, int revents)
{
  (void)revents;
  trace_add ("%s", (const char *)w->data);
  if (self_feeds++ < 2)
    ev_feed_event (loop, w, EV_CUSTOM);
}

static void
watcher_priority__watcher_fed_in_its_own_callback_runs_again_in_the_same_pass (void **state)
{
  struct ev_loop *loop = *state;
  ev_idle a, b;
  init_fed (&a, "A", 0);
  init_fed (&b, "B", 0);
  ev_set_cb (&b, feed_self_cb);
  self_feeds = 0;
  ev_feed_event (loop, &a, EV_CUSTOM);
  ev_feed_event (loop, &b, EV_CUSTOM);
  /* not pending while its callback runs, so the feed queues it anew: on top of A */
  ev_invoke_pending (loop);
  expect_trace ("B,B,B,A");
  assert_int_equal (ev_pending_count (loop), 0);
}

static void
watcher_priority__start_clamps_the_priority (void **state)
{
  struct ev_loop *loop = *state;
  int p[2];
  ev_idle idle;
  ev_timer timer;
  ev_io io;
  ev_prepare prepare;
  ev_check check;
  assert_int_equal (pipe (p), 0);

  ev_idle_init (&idle, trace_idle_cb);
  ev_set_priority (&idle, 10);
  ev_idle_start (loop, &idle);
  assert_int_equal (ev_priority (&idle), EV_MAXPRI);
  ev_idle_stop (loop, &idle);
  /* the clamped value was written back and stays */
  assert_int_equal (ev_priority (&idle), EV_MAXPRI);

  ev_timer_init (&timer, trace_timer_cb, 60., 0.);
  ev_set_priority (&timer, -10);
  ev_timer_start (loop, &timer);
  assert_int_equal (ev_priority (&timer), EV_MINPRI);
  ev_timer_stop (loop, &timer);
  assert_int_equal (ev_priority (&timer), EV_MINPRI);

  ev_io_init (&io, NULL, p[0], EV_READ);
  ev_set_priority (&io, 3);
  ev_io_start (loop, &io);
  assert_int_equal (ev_priority (&io), EV_MAXPRI);
  ev_io_stop (loop, &io);

  ev_prepare_init (&prepare, trace_prepare_cb);
  ev_set_priority (&prepare, -3);
  ev_prepare_start (loop, &prepare);
  assert_int_equal (ev_priority (&prepare), EV_MINPRI);
  ev_prepare_stop (loop, &prepare);

  ev_check_init (&check, trace_check_cb);
  ev_set_priority (&check, 1000);
  ev_check_start (loop, &check);
  assert_int_equal (ev_priority (&check), EV_MAXPRI);
  ev_check_stop (loop, &check);

  /* in range: untouched */
  ev_set_priority (&idle, -1);
  ev_idle_start (loop, &idle);
  assert_int_equal (ev_priority (&idle), -1);
  ev_idle_stop (loop, &idle);
  close (p[0]);
  close (p[1]);
}

static void
watcher_priority__clamped_watcher_runs_at_the_top_level (void **state)
{
  struct ev_loop *loop = *state;
  ev_idle x, p2, p1;
  init_fed (&x, "X", 99);
  init_fed (&p2, "P2", 2);
  init_fed (&p1, "P1", 1);
  ev_idle_start (loop, &x); /* clamps 99 to 2 */
  ev_feed_event (loop, &p2, EV_CUSTOM);
  ev_feed_event (loop, &p1, EV_CUSTOM);
  ev_feed_event (loop, &x, EV_CUSTOM);
  ev_invoke_pending (loop);
  expect_trace ("X,P2,P1");
  ev_idle_stop (loop, &x);
}

/* ---- one iteration ------------------------------------------------------------------------- */

static void
io_stop_cb (struct ev_loop *loop, ev_io *w, int revents)
{
  (void)revents;
  trace_add ("%s", (const char *)w->data);
  ev_io_stop (loop, w);
}

static void
watcher_priority__one_iteration_at_one_priority (void **state)
{
  struct ev_loop *loop = *state;
  int p[2];
  ev_prepare prepare;
  ev_check check;
  ev_timer timer;
  ev_io io;
  ev_idle idle;
  assert_int_equal (pipe (p), 0);
  assert_int_equal (write (p[1], "x", 1), 1);

  ev_prepare_init (&prepare, trace_prepare_cb);
  prepare.data = "prepare";
  ev_check_init (&check, trace_check_cb);
  check.data = "check";
  ev_timer_init (&timer, trace_timer_cb, 0., 0.);
  timer.data = "timer";
  ev_io_init (&io, io_stop_cb, p[0], EV_READ);
  io.data = "io";
  ev_idle_init (&idle, trace_idle_cb);
  idle.data = "idle";
  ev_io_start (loop, &io);
  ev_idle_start (loop, &idle);
  ev_check_start (loop, &check);
  ev_timer_start (loop, &timer);
  ev_prepare_start (loop, &prepare);

  /* prepare has its own pass before the poll; after it, everything is queued (io, timers,
   * idle only if nothing of its priority is pending, check) and run last-queued first;
   * the idle watcher is locked out by the pending timer and io */
  ev_run (loop, EVRUN_NOWAIT);
  expect_trace ("prepare,check,timer,io");
  /* next iteration: nothing else pending, so the idle watcher runs, after check */
  ev_run (loop, EVRUN_NOWAIT);
  expect_trace ("prepare,check,idle");

  ev_idle_stop (loop, &idle);
  ev_check_stop (loop, &check);
  ev_prepare_stop (loop, &prepare);
  close (p[0]);
  close (p[1]);
}

static void
watcher_priority__priorities_reorder_one_iteration (void **state)
{
  struct ev_loop *loop = *state;
  int p[2];
  ev_check check;
  ev_timer timer;
  ev_io io;
  assert_int_equal (pipe (p), 0);
  assert_int_equal (write (p[1], "x", 1), 1);
  ev_io_init (&io, io_stop_cb, p[0], EV_READ);
  ev_set_priority (&io, 1);
  io.data = "io_p1";
  ev_timer_init (&timer, trace_timer_cb, 0., 0.);
  ev_set_priority (&timer, -1);
  timer.data = "timer_pm1";
  ev_check_init (&check, trace_check_cb);
  check.data = "check_p0";
  ev_io_start (loop, &io);
  ev_timer_start (loop, &timer);
  ev_check_start (loop, &check);
  ev_run (loop, EVRUN_NOWAIT);
  expect_trace ("io_p1,check_p0,timer_pm1");
  ev_check_stop (loop, &check);
  close (p[0]);
  close (p[1]);
}

static void
watcher_priority__priority_beats_start_order_on_one_fd (void **state)
{
  struct ev_loop *loop = *state;
  int p[2];
  ev_io low, high, mid;
  assert_int_equal (pipe (p), 0);
  assert_int_equal (write (p[1], "x", 1), 1);
  ev_io_init (&low, io_stop_cb, p[0], EV_READ);
  ev_set_priority (&low, -2);
  low.data = "low";
  ev_io_init (&mid, io_stop_cb, p[0], EV_READ);
  mid.data = "mid";
  ev_io_init (&high, io_stop_cb, p[0], EV_READ);
  ev_set_priority (&high, 2);
  high.data = "high";
  ev_io_start (loop, &low);
  ev_io_start (loop, &mid);
  ev_io_start (loop, &high);
  ev_run (loop, EVRUN_NOWAIT);
  expect_trace ("high,mid,low");
  close (p[0]);
  close (p[1]);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    loop_test (watcher_priority__same_priority_runs_last_fed_first),
    loop_test (watcher_priority__higher_priority_runs_first),
    loop_test (watcher_priority__feed_during_the_pass_restarts_at_the_top),
    loop_test (watcher_priority__watcher_fed_in_its_own_callback_runs_again_in_the_same_pass),
    loop_test (watcher_priority__start_clamps_the_priority),
    loop_test (watcher_priority__clamped_watcher_runs_at_the_top_level),
    loop_test (watcher_priority__one_iteration_at_one_priority),
    loop_test (watcher_priority__priorities_reorder_one_iteration),
    loop_test (watcher_priority__priority_beats_start_order_on_one_fd),
  };
  return HARNESS_RUN ("watcher_priority", tests);
}
