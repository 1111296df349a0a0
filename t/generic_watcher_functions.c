/* SPDX-License-Identifier: BSD-2-Clause */
/* t/generic_watcher_functions.c - ev(3) "ANATOMY OF A WATCHER" / "GENERIC WATCHER FUNCTIONS":
 * ev_init, ev_TYPE_set, ev_is_active, ev_is_pending, ev_cb, ev_set_cb, ev_priority,
 * ev_set_priority, ev_invoke, ev_clear_pending, ev_feed_event, and the fields the library
 * reads and writes (doc/semantics.md §3). */
#include "harness.h"

#include <string.h>

TRACE_CB (idle)
TRACE_REVENTS_CB (idle)
TRACE_CB (timer)

static struct ev_loop *cb_loop_seen;
static void *cb_watcher_seen;

static void
other_idle_cb (struct ev_loop *loop, ev_idle *w, int revents)
{
  cb_loop_seen = loop;
  cb_watcher_seen = w;
  trace_add ("other:0x%x", (unsigned)revents);
}

static void
generic_watcher_functions__init_writes_only_the_generic_part (void **state)
{
  (void)state;
  ev_timer t;
  int anchor;
  memset (&t, 0x5a, sizeof t);
  t.data = &anchor;
  t.at = 7.;
  ev_init (&t, trace_timer_cb);
  assert_int_equal (t.active, 0);
  assert_int_equal (t.pending, 0);
  assert_int_equal (ev_priority (&t), 0);
  assert_true (ev_cb (&t) == trace_timer_cb);
  /* data and the type part are untouched */
  assert_ptr_equal (t.data, &anchor);
  assert_true (t.at == 7.);
  ev_timer_set (&t, 1.5, 2.5);
  assert_true (t.at == 1.5);
  assert_true (t.repeat == 2.5);

  ev_io io;
  ev_init (&io, NULL);
  ev_io_set (&io, 5, EV_READ);
  assert_int_equal (io.fd, 5);
  /* EV__IOFDSET: "the fd may denote a different file now", consumed by ev_io_start */
  assert_int_equal (io.events, EV_READ | EV__IOFDSET);
}

static void
generic_watcher_functions__callback_gets_loop_watcher_and_revents (void **state)
{
  struct ev_loop *loop = *state;
  ev_idle w;
  ev_idle_init (&w, other_idle_cb);
  ev_idle_start (loop, &w);
  cb_loop_seen = NULL;
  ev_run (loop, EVRUN_NOWAIT);
  assert_ptr_equal (cb_loop_seen, loop);
  assert_ptr_equal (cb_watcher_seen, &w);
  expect_trace ("other:0x2000");
  ev_idle_stop (loop, &w);
}

static void
generic_watcher_functions__set_cb_changes_what_is_called (void **state)
{
  struct ev_loop *loop = *state;
  ev_idle w;
  ev_idle_init (&w, trace_idle_cb);
  w.data = "first";
  ev_idle_start (loop, &w);
  ev_run (loop, EVRUN_NOWAIT);
  expect_trace ("first");
  /* allowed at any time, also while active */
  ev_set_cb (&w, other_idle_cb);
  assert_true (ev_cb (&w) == other_idle_cb);
  ev_run (loop, EVRUN_NOWAIT);
  expect_trace ("other:0x2000");
  ev_idle_stop (loop, &w);
}

static void
generic_watcher_functions__is_active_and_is_pending_are_the_raw_fields (void **state)
{
  struct ev_loop *loop = *state;
  ev_timer a, b;
  ev_idle x, y, z;
  ev_timer_init (&a, trace_timer_cb, 60., 0.);
  ev_timer_init (&b, trace_timer_cb, 60., 0.);
  assert_int_equal (ev_is_active (&a), 0);
  ev_timer_start (loop, &a);
  ev_timer_start (loop, &b);
  /* the 4-heap is rooted at index 3: the first timer's active field is 3, the next 4 */
  assert_int_equal (ev_is_active (&a), 3);
  assert_int_equal (ev_is_active (&b), 4);

  ev_idle_init (&x, trace_idle_cb);
  ev_idle_init (&y, trace_idle_cb);
  ev_idle_init (&z, trace_idle_cb);
  x.data = "x", y.data = "y", z.data = "z";
  assert_int_equal (ev_is_pending (&x), 0);
  ev_feed_event (loop, &x, EV_CUSTOM);
  ev_feed_event (loop, &y, EV_CUSTOM);
  ev_feed_event (loop, &z, EV_CUSTOM);
  /* pending is the 1-based slot in its priority's pending array */
  assert_int_equal (ev_is_pending (&x), 1);
  assert_int_equal (ev_is_pending (&y), 2);
  assert_int_equal (ev_is_pending (&z), 3);
  /* fed, not started */
  assert_int_equal (ev_is_active (&x), 0);
  ev_invoke_pending (loop);
  expect_trace ("z,y,x");
  assert_int_equal (ev_is_pending (&x), 0);
  ev_timer_stop (loop, &a);
  ev_timer_stop (loop, &b);
}

static void
generic_watcher_functions__priority_is_stored_verbatim_until_start (void **state)
{
  (void)state;
  ev_idle w;
  ev_idle_init (&w, trace_idle_cb);
  assert_int_equal (ev_priority (&w), 0);
  ev_set_priority (&w, 1);
  assert_int_equal (ev_priority (&w), 1);
  ev_set_priority (&w, EV_MINPRI);
  assert_int_equal (ev_priority (&w), -2);
  /* out of range is fine to store: only *_start clamps (t/watcher_priority.c) */
  ev_set_priority (&w, 7);
  assert_int_equal (ev_priority (&w), 7);
  assert_int_equal (EV_MINPRI, -2);
  assert_int_equal (EV_MAXPRI, 2);
}

static void
generic_watcher_functions__invoke_calls_synchronously (void **state)
{
  struct ev_loop *loop = *state;
  ev_idle w;
  ev_idle_init (&w, trace_idle_revents_cb);
  w.data = "w";
  /* on an inactive watcher, with any revents */
  ev_invoke (loop, &w, 12345);
  expect_trace ("w:0x3039");
  assert_int_equal (ev_is_pending (&w), 0);
  /* on a pending one: called, but the pending state is left alone */
  ev_feed_event (loop, &w, EV_IDLE);
  ev_invoke (loop, &w, EV_CUSTOM);
  expect_trace ("w:0x1000000");
  assert_true (ev_is_pending (&w));
  ev_invoke_pending (loop);
  expect_trace ("w:0x2000");
}

static void
generic_watcher_functions__feed_twice_invokes_once_with_the_union (void **state)
{
  struct ev_loop *loop = *state;
  ev_idle w;
  ev_idle_init (&w, trace_idle_revents_cb);
  w.data = "w";
  ev_feed_event (loop, &w, EV_READ);
  ev_feed_event (loop, &w, EV_CUSTOM);
  assert_int_equal (ev_pending_count (loop), 1);
  ev_invoke_pending (loop);
  expect_trace ("w:0x1000001");
}

static void
generic_watcher_functions__feed_works_on_unstarted_watchers_and_runs_in_ev_run (void **state)
{
  struct ev_loop *loop = *state;
  ev_idle w;
  ev_idle_init (&w, trace_idle_revents_cb);
  w.data = "w";
  ev_feed_event (loop, &w, EV_CUSTOM | EV_WRITE);
  assert_true (ev_is_pending (&w));
  assert_false (ev_is_active (&w));
  /* ev_run invokes what is already pending first; no watcher is active, so it returns */
  assert_int_equal (ev_run (loop, 0), 0);
  expect_trace ("w:0x1000002");
  assert_false (ev_is_pending (&w));
}

static void
generic_watcher_functions__clear_pending_returns_revents (void **state)
{
  struct ev_loop *loop = *state;
  ev_idle a, b;
  ev_idle_init (&a, trace_idle_cb);
  a.data = "A";
  ev_idle_init (&b, trace_idle_cb);
  b.data = "B";
  /* not pending: 0 */
  assert_int_equal (ev_clear_pending (loop, &a), 0);
  ev_feed_event (loop, &a, EV_CUSTOM);
  ev_feed_event (loop, &b, EV_READ);
  assert_int_equal (ev_clear_pending (loop, &a), EV_CUSTOM);
  assert_false (ev_is_pending (&a));
  /* the slot becomes a dummy and is still counted until the next invocation pass */
  assert_int_equal (ev_pending_count (loop), 2);
  ev_invoke_pending (loop);
  expect_trace ("B");
  assert_int_equal (ev_pending_count (loop), 0);
  assert_int_equal (ev_clear_pending (loop, &a), 0);
}

static void
generic_watcher_functions__stop_clears_pending_of_a_fed_watcher (void **state)
{
  struct ev_loop *loop = *state;
  ev_idle w;
  ev_timer t;
  ev_idle_init (&w, trace_idle_cb);
  w.data = "w";
  ev_timer_init (&t, trace_timer_cb, 1., 0.);
  t.data = "t";
  /* never started, only fed: stop still clears the pending state */
  ev_feed_event (loop, &w, EV_IDLE);
  ev_feed_event (loop, &t, EV_TIMER);
  ev_idle_stop (loop, &w);
  ev_timer_stop (loop, &t);
  assert_false (ev_is_pending (&w));
  assert_false (ev_is_pending (&t));
  ev_invoke_pending (loop);
  expect_trace_empty ();
}

static void
generic_watcher_functions__data_is_never_touched (void **state)
{
  struct ev_loop *loop = *state;
  ev_timer t;
  int anchor;
  ev_timer_init (&t, trace_timer_cb, 0., 0.);
  t.data = &anchor;
  ev_timer_start (loop, &t);
  assert_ptr_equal (t.data, &anchor);
  ev_timer_stop (loop, &t);
  assert_ptr_equal (t.data, &anchor);
  /* data may be changed while active (the callback reads it) */
  t.data = "t";
  ev_timer_start (loop, &t);
  ev_run (loop, 0);
  expect_trace ("t");
  assert_string_equal (t.data, "t");
}

/* ---- misuse: a null callback, memory that is not a watcher ----------------------------------
 * libev 4.33 crashes in each of these (it calls address 0, or writes through the garbage
 * `pending` index); libev-ng reports a usage error naming the call and the value (ev(3)
 * "Misuse that is detected"), so the tests skip on the real libev. */

static void
feed_without_callback (void *arg)
{
  (void)arg;
  struct ev_loop *loop = test_loop_new ();
  ev_idle w;
  ev_init (&w, NULL);
  ev_feed_event (loop, &w, EV_CUSTOM);
  ev_run (loop, EVRUN_NOWAIT);
}

static void
invoke_without_callback (void *arg)
{
  (void)arg;
  struct ev_loop *loop = test_loop_new ();
  ev_idle w;
  ev_init (&w, NULL);
  ev_invoke (loop, &w, EV_CUSTOM);
}

/* started without a callback, which the start replaces with one of libev-ng's: the feed or the
 * invocation still names the program's call, not the internal one */
static void
feed_or_invoke_started_without_callback (void *arg)
{
  struct ev_loop *loop = test_loop_new ();
  static ev_idle w;
  ev_init (&w, NULL);
  ev_idle_start (loop, &w);
  if (*(int *)arg)
    ev_invoke (loop, &w, EV_CUSTOM);
  else
    ev_feed_event (loop, &w, EV_CUSTOM);
  ev_run (loop, EVRUN_NOWAIT);
}

/* a watcher whose memory is all `fill` bytes: "active" and "pending" at absurd indices */
static void
garbage_to (void *arg)
{
  struct ev_loop *loop = test_loop_new ();
  ev_idle w;
  memset (&w, 0xa5, sizeof w);
  switch (*(int *)arg)
    {
    case 0: ev_feed_event (loop, &w, EV_CUSTOM); break;
    case 1: ev_clear_pending (loop, &w); break;
    case 2: ev_idle_stop (loop, &w); break;
    }
}

static void
generic_watcher_functions__misuse_without_a_callback_names_the_call (void **state)
{
  (void)state;
  skip_on_real_libev ();
  expect_abort (feed_without_callback, NULL, "libev-ng: usage error in ev_feed_event (cb = 0): ");
  expect_abort (invoke_without_callback, NULL, "libev-ng: usage error in ev_invoke (cb = 0): ");
  int invoke = 0;
  expect_abort (feed_or_invoke_started_without_callback, &invoke,
                "libev-ng: usage error in ev_feed_event (cb = 0): \"libev: watcher ");
  expect_abort (feed_or_invoke_started_without_callback, &invoke, "without a callback (ev_init with a null one) and "
                                                                  "was fed events 0x1000000\"");
  invoke = 1;
  expect_abort (feed_or_invoke_started_without_callback, &invoke, "libev-ng: usage error in ev_invoke (cb = 0): ");
}

static void
generic_watcher_functions__memory_that_is_not_a_watcher_is_a_usage_error (void **state)
{
  (void)state;
  skip_on_real_libev ();
  int op = 0;
  expect_abort (garbage_to, &op, "libev-ng: usage error in ev_feed_event (pending = -1515870811): ");
  op = 1;
  expect_abort (garbage_to, &op, "libev-ng: usage error in ev_clear_pending (pending = -1515870811): ");
  op = 2;
  expect_abort (garbage_to, &op, "libev-ng: usage error in ev_idle_stop (pending = -1515870811): ");
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    plain_test (generic_watcher_functions__init_writes_only_the_generic_part),
    loop_test (generic_watcher_functions__callback_gets_loop_watcher_and_revents),
    loop_test (generic_watcher_functions__set_cb_changes_what_is_called),
    loop_test (generic_watcher_functions__is_active_and_is_pending_are_the_raw_fields),
    plain_test (generic_watcher_functions__priority_is_stored_verbatim_until_start),
    loop_test (generic_watcher_functions__invoke_calls_synchronously),
    loop_test (generic_watcher_functions__feed_twice_invokes_once_with_the_union),
    loop_test (generic_watcher_functions__feed_works_on_unstarted_watchers_and_runs_in_ev_run),
    loop_test (generic_watcher_functions__clear_pending_returns_revents),
    loop_test (generic_watcher_functions__stop_clears_pending_of_a_fed_watcher),
    loop_test (generic_watcher_functions__data_is_never_touched),
    plain_test (generic_watcher_functions__misuse_without_a_callback_names_the_call),
    plain_test (generic_watcher_functions__memory_that_is_not_a_watcher_is_a_usage_error),
  };
  return HARNESS_RUN ("generic_watcher_functions", tests);
}
