/* SPDX-License-Identifier: BSD-2-Clause */
/* t/ev_cleanup.c - ev(3) "ev_cleanup - even the best things end" and the destruction part of
 * ev_loop_destroy (doc/semantics.md §7 and §17): cleanup watchers run when the loop is
 * destroyed (and only then), hold no reference, may use the library, are not stopped; the
 * destroy pass also runs every other pending watcher, through the user's invoke-pending
 * callback if one is set; a loop with nothing but cleanup watchers. */
#include "harness.h"

#include <string.h>
#include <unistd.h>

TRACE_REVENTS_CB (cleanup)
TRACE_REVENTS_CB (idle)

/* The tests destroy the fixture's loop themselves, then clear *state so that the teardown
 * does not touch it again. */
static void
destroy (void **state)
{
  ev_loop_destroy (*state);
  *state = NULL;
}

static int active_in_cb;

static void
record_active_cb (struct ev_loop *loop, ev_cleanup *w, int revents)
{
  active_in_cb = ev_is_active (w);
  trace_cleanup_revents_cb (loop, w, revents);
}

static void
ev_cleanup__runs_when_the_loop_is_destroyed (void **state)
{
  struct ev_loop *loop = *state;
  ev_cleanup c;
  ev_cleanup_init (&c, record_active_cb);
  c.data = "cleanup";
  ev_cleanup_start (loop, &c);
  assert_int_equal (ev_is_active (&c), 1);
  active_in_cb = 0;
  /* not before */
  ev_run (loop, EVRUN_NOWAIT);
  ev_run (loop, EVRUN_NOWAIT);
  expect_trace_empty ();
  destroy (state);
  expect_trace ("cleanup:0x40000");
  /* it is not stopped before its callback, nor afterwards (ev(3): "ev_is_active might still
   * return true"; libev 4.33: it does, and so does libev-ng, which does not touch the
   * watchers of a loop it destroys: t/loop_control.c) */
  assert_true (active_in_cb);
  assert_true (ev_is_active (&c));
}

static void
ev_cleanup__holds_no_reference (void **state)
{
  struct ev_loop *loop = *state;
  ev_cleanup c;
  ev_cleanup_init (&c, trace_cleanup_revents_cb);
  c.data = "cleanup";
  ev_cleanup_start (loop, &c);
  /* a loop with only a cleanup watcher has nothing to wait for */
  assert_int_equal (ev_run (loop, 0), 0);
  assert_int_equal (ev_iteration (loop), 1);
  ev_idle i;
  ev_idle_init (&i, trace_idle_revents_cb);
  i.data = "idle";
  ev_idle_start (loop, &i);
  assert_int_equal (ev_run (loop, EVRUN_NOWAIT), 1);
  expect_trace ("idle:0x2000");
  ev_idle_stop (loop, &i);
  assert_int_equal (ev_run (loop, EVRUN_NOWAIT), 0);
  /* and stopping it does not drop a reference it never held */
  ev_cleanup_stop (loop, &c);
  ev_idle_start (loop, &i);
  assert_int_equal (ev_run (loop, EVRUN_NOWAIT), 1);
  expect_trace ("idle:0x2000");
  ev_idle_stop (loop, &i);
}

static void
ev_cleanup__stopped_watchers_do_not_run (void **state)
{
  struct ev_loop *loop = *state;
  ev_cleanup a, b;
  ev_cleanup_init (&a, trace_cleanup_revents_cb);
  a.data = "a";
  ev_cleanup_init (&b, trace_cleanup_revents_cb);
  b.data = "b";
  ev_cleanup_start (loop, &a);
  ev_cleanup_start (loop, &b);
  ev_cleanup_stop (loop, &a);
  assert_false (ev_is_active (&a));
  destroy (state);
  expect_trace ("b:0x40000");
}

static void
ev_cleanup__all_run_in_one_pass (void **state)
{
  struct ev_loop *loop = *state;
  ev_cleanup c[3];
  static const char *names[] = { "c0", "c1", "c2" };
  for (int i = 0; i < 3; ++i)
    {
      ev_cleanup_init (&c[i], trace_cleanup_revents_cb);
      c[i].data = (void *)names[i];
      ev_cleanup_start (loop, &c[i]);
      assert_int_equal (ev_is_active (&c[i]), i + 1);
    }
  destroy (state);
  /* queued in start order, invoked last queued first, like any pending watchers */
  expect_trace ("c2:0x40000,c1:0x40000,c0:0x40000");
}

static void
ev_cleanup__the_destroy_pass_also_runs_other_pending_watchers (void **state)
{
  struct ev_loop *loop = *state;
  ev_cleanup c;
  ev_idle fed, hi;
  ev_cleanup_init (&c, trace_cleanup_revents_cb);
  c.data = "cleanup";
  ev_cleanup_start (loop, &c);
  /* made pending outside of ev_run: never invoked before the loop goes */
  ev_idle_init (&fed, trace_idle_revents_cb);
  fed.data = "fed";
  ev_feed_event (loop, &fed, EV_CUSTOM);
  ev_idle_init (&hi, trace_idle_revents_cb);
  hi.data = "high";
  ev_set_priority (&hi, 2);
  ev_feed_event (loop, &hi, EV_CUSTOM);
  destroy (state);
  /* one normal invocation pass: priorities first, then last queued first */
  expect_trace ("high:0x1000000,cleanup:0x40000,fed:0x1000000");
}

static int custom_invokes;

static void
counting_invoke_pending (struct ev_loop *loop)
{
  ++custom_invokes;
  ev_invoke_pending (loop);
}

static void
ev_cleanup__destroy_uses_the_invoke_pending_callback (void **state)
{
  struct ev_loop *loop = *state;
  ev_cleanup c;
  ev_cleanup_init (&c, trace_cleanup_revents_cb);
  c.data = "cleanup";
  ev_cleanup_start (loop, &c);
  ev_set_invoke_pending_cb (loop, counting_invoke_pending);
  custom_invokes = 0;
  destroy (state);
  assert_int_equal (custom_invokes, 1);
  expect_trace ("cleanup:0x40000");
}

/* what a cleanup callback typically does: stop and free what belongs to the loop */
struct connection
{
  int fd[2];
  ev_io io;
  ev_timer timeout;
  ev_cleanup cleanup;
};

static void
nop_io_cb (struct ev_loop *loop, ev_io *w, int revents)
{
  (void)loop, (void)w, (void)revents;
}

static void
nop_timer_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)loop, (void)w, (void)revents;
}

static void
connection_cleanup_cb (struct ev_loop *loop, ev_cleanup *w, int revents)
{
  (void)revents;
  struct connection *c = w->data;
  ev_io_stop (loop, &c->io);
  ev_timer_stop (loop, &c->timeout);
  ev_cleanup_stop (loop, w);
  close (c->fd[0]);
  close (c->fd[1]);
  trace_add ("closed");
}

static void
ev_cleanup__callbacks_may_stop_watchers_and_free_resources (void **state)
{
  struct ev_loop *loop = *state;
  struct connection c;
  assert_int_equal (pipe (c.fd), 0);
  ev_io_init (&c.io, nop_io_cb, c.fd[0], EV_READ);
  ev_io_start (loop, &c.io);
  ev_timer_init (&c.timeout, nop_timer_cb, 60., 0.);
  ev_timer_start (loop, &c.timeout);
  ev_cleanup_init (&c.cleanup, connection_cleanup_cb);
  c.cleanup.data = &c;
  ev_cleanup_start (loop, &c.cleanup);
  ev_run (loop, EVRUN_NOWAIT);
  destroy (state);
  expect_trace ("closed");
  assert_false (ev_is_active (&c.io));
  assert_false (ev_is_active (&c.timeout));
  assert_false (ev_is_active (&c.cleanup));
  /* the teardown checks that no descriptor is left open */
}

static void
ev_cleanup__a_loop_with_only_cleanup_watchers_is_destroyed_normally (void **state)
{
  (void)state;
  struct harness_alloc_stats before, after;
  harness_alloc_stats (&before);
  struct ev_loop *loop = test_loop_new ();
  ev_cleanup c;
  ev_cleanup_init (&c, trace_cleanup_revents_cb);
  c.data = "cleanup";
  ev_cleanup_start (loop, &c);
  assert_int_equal (ev_run (loop, 0), 0);
  ev_loop_destroy (loop);
  expect_trace ("cleanup:0x40000");
  /* and everything the loop allocated is freed */
  harness_alloc_stats (&after);
  assert_int_equal (after.live, before.live);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    loop_test (ev_cleanup__runs_when_the_loop_is_destroyed),
    loop_test (ev_cleanup__holds_no_reference),
    loop_test (ev_cleanup__stopped_watchers_do_not_run),
    loop_test (ev_cleanup__all_run_in_one_pass),
    loop_test (ev_cleanup__the_destroy_pass_also_runs_other_pending_watchers),
    loop_test (ev_cleanup__destroy_uses_the_invoke_pending_callback),
    loop_test (ev_cleanup__callbacks_may_stop_watchers_and_free_resources),
    plain_test (ev_cleanup__a_loop_with_only_cleanup_watchers_is_destroyed_normally),
  };
  return HARNESS_RUN ("ev_cleanup", tests);
}
