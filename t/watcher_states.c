/* SPDX-License-Identifier: BSD-2-Clause */
/* t/watcher_states.c - ev(3) "WATCHER STATES": initialised, started/active, pending,
 * stopped, and the transitions between them.  The state at the moment callbacks are about
 * to run is observed through ev_set_invoke_pending_cb. */
#include "harness.h"

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

TRACE_CB (timer)
TRACE_CB (idle)
TRACE_REVENTS_CB (io)

/* The invoke-pending hook: runs `before_invoke` (what the test wants to look at or change
 * while the pass is queued), then the normal invocation. */
static void (*before_invoke) (struct ev_loop *loop);

static void
observing_invoke (struct ev_loop *loop)
{
  if (before_invoke)
    before_invoke (loop);
  ev_invoke_pending (loop);
}

static void
observe (struct ev_loop *loop, void (*fn) (struct ev_loop *))
{
  before_invoke = fn;
  ev_set_invoke_pending_cb (loop, observing_invoke);
}

static void
state_of (const char *name, void *w)
{
  trace_add ("%s %s%s", name, ev_is_active ((ev_watcher *)w) ? "active" : "inactive",
             ev_is_pending ((ev_watcher *)w) ? "+pending" : "");
}

/* ---- io: active while pending ------------------------------------------------------------ */

static ev_io io_w;

static void
io_states_cb (struct ev_loop *loop, ev_io *w, int revents)
{
  (void)loop, (void)revents;
  state_of ("in cb", w);
}

static void
look_at_io (struct ev_loop *loop)
{
  (void)loop;
  /* the hook also runs when nothing is pending (e.g. on entry of ev_run) */
  if (ev_is_pending (&io_w))
    state_of ("queued", &io_w);
}

static void
watcher_states__io_is_active_and_pending_then_only_active_in_its_callback (void **state)
{
  struct ev_loop *loop = *state;
  int p[2];
  assert_int_equal (pipe (p), 0);
  assert_int_equal (write (p[1], "x", 1), 1);
  ev_io_init (&io_w, io_states_cb, p[0], EV_READ);
  state_of ("initialised", &io_w);
  ev_io_start (loop, &io_w);
  state_of ("started", &io_w);
  observe (loop, look_at_io);
  ev_run (loop, EVRUN_NOWAIT);
  ev_io_stop (loop, &io_w);
  state_of ("stopped", &io_w);
  /* pending is reset just before the callback is entered */
  expect_trace ("initialised inactive,started active,queued active+pending,in cb active,stopped inactive");
  close (p[0]);
  close (p[1]);
}

/* ---- timers: stopped while pending ---------------------------------------------------- */

static ev_timer tm;

static void
timer_states_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)loop, (void)revents;
  state_of ("in cb", w);
}

static void
look_at_timer (struct ev_loop *loop)
{
  (void)loop;
  if (ev_is_pending (&tm))
    state_of ("queued", &tm);
}

static void
watcher_states__expired_timer_is_pending_but_no_longer_active (void **state)
{
  struct ev_loop *loop = *state;
  ev_timer_init (&tm, timer_states_cb, 0., 0.);
  ev_timer_start (loop, &tm);
  observe (loop, look_at_timer);
  ev_run (loop, 0);
  expect_trace ("queued inactive+pending,in cb inactive");
}

static void
watcher_states__expired_repeating_timer_stays_active (void **state)
{
  struct ev_loop *loop = *state;
  ev_timer_init (&tm, timer_states_cb, 0., 10.);
  ev_timer_start (loop, &tm);
  observe (loop, look_at_timer);
  ev_run (loop, EVRUN_NOWAIT);
  expect_trace ("queued active+pending,in cb active");
  ev_timer_stop (loop, &tm);
}

static void
stop_it_before_invocation (struct ev_loop *loop)
{
  if (ev_is_pending (&tm))
    ev_timer_stop (loop, &tm);
}

static void
watcher_states__stop_while_pending_cancels_the_callback (void **state)
{
  struct ev_loop *loop = *state;
  ev_timer_init (&tm, timer_states_cb, 0., 10.);
  ev_timer_start (loop, &tm);
  observe (loop, stop_it_before_invocation);
  ev_run (loop, EVRUN_NOWAIT);
  expect_trace_empty ();
  state_of ("after", &tm);
  expect_trace ("after inactive");
}

static int cleared_revents;

static void
clear_it_before_invocation (struct ev_loop *loop)
{
  if (ev_is_pending (&tm))
    cleared_revents = ev_clear_pending (loop, &tm);
}

static void
watcher_states__clear_pending_leaves_an_expired_timer_stopped (void **state)
{
  struct ev_loop *loop = *state;
  ev_timer_init (&tm, timer_states_cb, 0., 0.);
  ev_timer_start (loop, &tm);
  observe (loop, clear_it_before_invocation);
  cleared_revents = 0;
  assert_int_equal (ev_run (loop, 0), 0);
  expect_trace_empty ();
  assert_int_equal (cleared_revents, EV_TIMER);
  state_of ("after", &tm);
  expect_trace ("after inactive");
}

/* ---- pending events merge ------------------------------------------------------------------- */

static void
feed_custom_to_io (struct ev_loop *loop)
{
  if (ev_is_pending (&io_w))
    ev_feed_event (loop, &io_w, EV_CUSTOM);
}

static void
watcher_states__feeding_a_pending_watcher_merges_revents (void **state)
{
  struct ev_loop *loop = *state;
  int p[2];
  assert_int_equal (pipe (p), 0);
  assert_int_equal (write (p[1], "x", 1), 1);
  ev_io_init (&io_w, trace_io_revents_cb, p[0], EV_READ);
  io_w.data = "io";
  ev_io_start (loop, &io_w);
  observe (loop, feed_custom_to_io);
  ev_run (loop, EVRUN_NOWAIT);
  expect_trace ("io:0x1000001");
  ev_io_stop (loop, &io_w);
  close (p[0]);
  close (p[1]);
}

/* ---- stopping and freeing other watchers from a callback ---------------------------------- */

static ev_idle *victim;

static void
stop_and_free_victim_cb (struct ev_loop *loop, ev_idle *w, int revents)
{
  (void)revents;
  trace_add ("%s", (const char *)w->data);
  ev_idle_stop (loop, victim);
  free (victim);
  victim = NULL;
}

static void
watcher_states__stopped_pending_watcher_may_be_freed (void **state)
{
  struct ev_loop *loop = *state;
  ev_idle a;
  victim = malloc (sizeof *victim);
  assert_non_null (victim);
  ev_idle_init (victim, trace_idle_cb);
  victim->data = "B";
  ev_idle_init (&a, stop_and_free_victim_cb);
  a.data = "A";
  ev_idle_start (loop, victim);
  /* B is queued first, so A runs first (last queued, first invoked) and frees B: the pass
   * must not touch B's memory afterwards (valgrind checks that) */
  ev_feed_event (loop, victim, EV_CUSTOM);
  ev_feed_event (loop, &a, EV_CUSTOM);
  assert_int_equal (ev_pending_count (loop), 2);
  ev_invoke_pending (loop);
  expect_trace ("A");
  assert_null (victim);
  /* nothing is active any more */
  assert_int_equal (ev_run (loop, EVRUN_NOWAIT), 0);
}

static ev_timer *self_freeing;

static void
free_self_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)revents;
  trace_add ("freed");
  ev_timer_stop (loop, w);
  free (w);
  self_freeing = NULL;
}

static void
watcher_states__watcher_may_free_itself_in_its_callback (void **state)
{
  struct ev_loop *loop = *state;
  self_freeing = malloc (sizeof *self_freeing);
  assert_non_null (self_freeing);
  /* repeating: still active in its callback, the callback stops it */
  ev_timer_init (self_freeing, free_self_cb, 0., 1.);
  ev_timer_start (loop, self_freeing);
  assert_int_equal (ev_run (loop, 0), 0);
  expect_trace ("freed");
}

/* ---- start/stop idempotence ---------------------------------------------------------------- */

static void
watcher_states__start_of_an_active_watcher_does_nothing (void **state)
{
  struct ev_loop *loop = *state;
  ev_timer a, b;
  ev_timer_init (&a, trace_timer_cb, 60., 0.);
  ev_timer_init (&b, trace_timer_cb, 60., 0.);
  ev_timer_start (loop, &a);
  ev_timer_start (loop, &b);
  int index = ev_is_active (&a);
  ev_tstamp at = a.at;
  ev_timer_start (loop, &a);
  assert_int_equal (ev_is_active (&a), index);
  assert_true (a.at == at);
  /* one reference per watcher, not per start call */
  assert_int_equal (ev_run (loop, EVRUN_NOWAIT), 2);
  ev_timer_stop (loop, &a);
  assert_int_equal (ev_run (loop, EVRUN_NOWAIT), 1);
  ev_timer_stop (loop, &b);
  assert_int_equal (ev_run (loop, EVRUN_NOWAIT), 0);
}

static void
watcher_states__stop_of_an_inactive_watcher_does_nothing (void **state)
{
  struct ev_loop *loop = *state;
  ev_timer keep, never;
  ev_io io;
  ev_idle idle;
  ev_timer_init (&keep, trace_timer_cb, 60., 0.);
  ev_timer_start (loop, &keep);
  ev_timer_init (&never, trace_timer_cb, 1., 0.);
  ev_io_init (&io, trace_io_revents_cb, 0, EV_READ);
  ev_idle_init (&idle, trace_idle_cb);
  ev_timer_stop (loop, &never);
  ev_io_stop (loop, &io);
  ev_idle_stop (loop, &idle);
  ev_timer_stop (loop, &never);
  /* the reference count is untouched */
  assert_int_equal (ev_run (loop, EVRUN_NOWAIT), 1);
  ev_timer_stop (loop, &keep);
  ev_timer_stop (loop, &keep);
  assert_int_equal (ev_run (loop, EVRUN_NOWAIT), 0);
  /* the stopped watcher is like an initialised one: start works */
  ev_timer_set (&never, 0., 0.);
  never.data = "never";
  ev_timer_start (loop, &never);
  ev_run (loop, 0);
  expect_trace ("never");
}

/* Stopping a watcher that is neither active nor pending, and ev_clear_pending of a watcher
 * that is not pending, read nothing but the watcher: not even the loop pointer is used, so a
 * watcher may be stopped after its loop is gone (C++ destructors do) or with no loop at all.
 * (An earlier libev-ng's ev_io_stop read the loop and crashed.)  Every watcher type. */
static void
stop_inactive_without_loop (void *arg)
{
  (void)arg;
  struct ev_loop *none = NULL;
  ev_io io;
  ev_timer timer;
  ev_periodic periodic;
  ev_signal sig;
  ev_child child;
  ev_stat st;
  ev_idle idle;
  ev_prepare prepare;
  ev_check check;
  ev_embed embed;
  ev_fork fork_w;
  ev_cleanup cleanup;
  ev_async async;
  ev_io_init (&io, NULL, 0, EV_READ);
  ev_timer_init (&timer, NULL, 1., 0.);
  ev_periodic_init (&periodic, NULL, 0., 1., NULL);
  ev_signal_init (&sig, NULL, SIGUSR1);
  ev_child_init (&child, NULL, 0, 0);
  ev_stat_init (&st, NULL, "/", 0.);
  ev_idle_init (&idle, NULL);
  ev_prepare_init (&prepare, NULL);
  ev_check_init (&check, NULL);
  ev_embed_init (&embed, NULL, NULL);
  ev_fork_init (&fork_w, NULL);
  ev_cleanup_init (&cleanup, NULL);
  ev_async_init (&async, NULL);
  void *all[] = { &io, &timer, &periodic, &sig, &child, &st, &idle, &prepare, &check, &embed, &fork_w, &cleanup, &async };
  for (size_t i = 0; i < sizeof all / sizeof all[0]; ++i)
    if (ev_clear_pending (none, all[i]) != 0)
      _exit (2);
  ev_io_stop (none, &io);
  ev_timer_stop (none, &timer);
  ev_periodic_stop (none, &periodic);
  ev_signal_stop (none, &sig);
  ev_child_stop (none, &child);
  ev_stat_stop (none, &st);
  ev_idle_stop (none, &idle);
  ev_prepare_stop (none, &prepare);
  ev_check_stop (none, &check);
  ev_embed_stop (none, &embed);
  ev_fork_stop (none, &fork_w);
  ev_cleanup_stop (none, &cleanup);
  ev_async_stop (none, &async);
  for (size_t i = 0; i < sizeof all / sizeof all[0]; ++i)
    if (ev_is_active (all[i]) || ev_is_pending (all[i]))
      _exit (3);
  _exit (0);
}

static void
watcher_states__stop_of_an_inactive_watcher_never_reads_the_loop (void **state)
{
  (void)state;
  struct harness_child c;
  harness_child_run (stop_inactive_without_loop, NULL, 10, &c);
  if (!c.exited || c.status != 0)
    fail_msg ("child: %s %d: %s", c.exited ? "exit status" : "signal", c.exited ? c.status : c.signo, c.err);
}

static int restarts;

static void
restart_self_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)revents;
  trace_add ("fire %d", ++restarts);
  if (restarts < 3)
    {
      /* inactive here (non-repeating); may be set and started again */
      ev_timer_set (w, 0., 0.);
      ev_timer_start (loop, w);
      state_of ("restarted", w);
    }
}

static void
watcher_states__timer_may_restart_itself_in_its_callback (void **state)
{
  struct ev_loop *loop = *state;
  ev_timer t;
  restarts = 0;
  ev_timer_init (&t, restart_self_cb, 0., 0.);
  ev_timer_start (loop, &t);
  assert_int_equal (ev_run (loop, 0), 0);
  expect_trace ("fire 1,restarted active,fire 2,restarted active,fire 3");
  /* each restart took a new iteration: a fresh start is never due in the running pass */
  assert_int_equal (ev_iteration (loop), 3);
}

static void
watcher_states__stopped_watcher_can_move_in_memory (void **state)
{
  struct ev_loop *loop = *state;
  ev_timer first, second;
  ev_timer_init (&first, trace_timer_cb, 60., 0.);
  first.data = "moved";
  ev_timer_start (loop, &first);
  ev_timer_stop (loop, &first);
  /* stopped and not pending: plain memory, the copy is a valid watcher */
  second = first;
  ev_timer_set (&second, 0., 0.);
  ev_timer_start (loop, &second);
  ev_run (loop, 0);
  expect_trace ("moved");
}

/* ---- a stop through a loop that does not run the watcher ------------------------------------
 * ev(3): a watcher belongs to the loop it was started in.  A stop through another loop made
 * libev 4.33 (and libev-ng) write through the watcher's index into the wrong loop's arrays:
 * a crash, or another watcher silently lost.  libev-ng checks that the watcher is where its
 * `active` says in the loop the stop names, and reports a usage error naming the call. */

static void nop_timer_cb (struct ev_loop *l, ev_timer *w, int r) { (void)l, (void)w, (void)r; }
static void nop_idle_cb (struct ev_loop *l, ev_idle *w, int r) { (void)l, (void)w, (void)r; }
static void nop_signal_cb (struct ev_loop *l, ev_signal *w, int r) { (void)l, (void)w, (void)r; }
static void nop_periodic_cb (struct ev_loop *l, ev_periodic *w, int r) { (void)l, (void)w, (void)r; }
static void nop_async_cb (struct ev_loop *l, ev_async *w, int r) { (void)l, (void)w, (void)r; }

static void
stop_through_another_loop (void *arg)
{
  struct ev_loop *owner = test_loop_new (), *other = test_loop_new ();
  /* the other loop has watchers of its own, which a stop at a wrong index would take */
  ev_timer t2;
  ev_idle i2;
  ev_timer_init (&t2, nop_timer_cb, 10., 0.);
  ev_timer_start (other, &t2);
  ev_idle_init (&i2, nop_idle_cb);
  ev_idle_start (other, &i2);
  ev_timer t;
  ev_idle i;
  ev_signal s;
  ev_periodic p;
  ev_async a;
  switch (*(int *)arg)
    {
    case 0:
      ev_timer_init (&t, nop_timer_cb, 10., 0.);
      ev_timer_start (owner, &t);
      ev_timer_stop (other, &t);
      break;
    case 1:
      ev_idle_init (&i, nop_idle_cb);
      ev_idle_start (owner, &i);
      ev_idle_stop (other, &i);
      break;
    case 2:
      ev_signal_init (&s, nop_signal_cb, SIGUSR2);
      ev_signal_start (owner, &s);
      ev_signal_stop (other, &s);
      break;
    case 3:
      ev_periodic_init (&p, nop_periodic_cb, 0., 10., 0);
      ev_periodic_start (owner, &p);
      ev_periodic_stop (other, &p);
      break;
    case 4:
      ev_async_init (&a, nop_async_cb);
      ev_async_start (owner, &a);
      ev_async_stop (other, &a);
      break;
    }
}

static void
watcher_states__stop_through_another_loop_is_a_usage_error (void **state)
{
  (void)state;
  skip_on_real_libev ();
  static const char *const expected[] = {
    "libev-ng: usage error in ev_timer_stop (active = 3): ",
    "libev-ng: usage error in ev_idle_stop (active = 1): ",
    "libev-ng: usage error in ev_signal_stop (active = 1): ",
    "libev-ng: usage error in ev_periodic_stop (active = 3): ",
    "libev-ng: usage error in ev_async_stop (active = 1): ",
  };
  for (int k = 0; k < 5; ++k)
    expect_abort (stop_through_another_loop, &k, expected[k]);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    loop_test (watcher_states__io_is_active_and_pending_then_only_active_in_its_callback),
    loop_test (watcher_states__expired_timer_is_pending_but_no_longer_active),
    loop_test (watcher_states__expired_repeating_timer_stays_active),
    loop_test (watcher_states__stop_while_pending_cancels_the_callback),
    loop_test (watcher_states__clear_pending_leaves_an_expired_timer_stopped),
    loop_test (watcher_states__feeding_a_pending_watcher_merges_revents),
    loop_test (watcher_states__stopped_pending_watcher_may_be_freed),
    loop_test (watcher_states__watcher_may_free_itself_in_its_callback),
    loop_test (watcher_states__start_of_an_active_watcher_does_nothing),
    loop_test (watcher_states__stop_of_an_inactive_watcher_does_nothing),
    plain_test (watcher_states__stop_of_an_inactive_watcher_never_reads_the_loop),
    loop_test (watcher_states__timer_may_restart_itself_in_its_callback),
    loop_test (watcher_states__stopped_watcher_can_move_in_memory),
    plain_test (watcher_states__stop_through_another_loop_is_a_usage_error),
  };
  return HARNESS_RUN ("watcher_states", tests);
}
