/* SPDX-License-Identifier: BSD-2-Clause */
/* t/ev_embed.c - ev(3) "ev_embed - when one backend isn't enough..."
 * (doc/semantics.md §7 and §15): which backends can be embedded, the automatic sweep (no
 * callback), EV_EMBED with a callback and ev_embed_sweep, the four references, stopping,
 * forwarding a fork to the embedded loop, and the usage errors (a loop that cannot be
 * embedded, a loop into itself).
 *
 * The embedding ("outer") loop uses the backend of the pass; the embedded ("inner") loop is
 * always epoll, the only embeddable backend here. */
#define _GNU_SOURCE 1
#include "harness.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct inner
{
  struct ev_loop *loop;
  int pipe[2];
  ev_io io;
  int io_calls;
  int io_revents;
  int depth_in_cb;
};

static void
inner_io_cb (struct ev_loop *loop, ev_io *w, int revents)
{
  struct inner *in = w->data;
  char buf[16];
  ++in->io_calls;
  in->io_revents = revents;
  in->depth_in_cb = ev_depth (loop);
  /* consume, so the embedded loop has nothing left to report */
  (void)!read (w->fd, buf, sizeof buf);
}

static void
inner_new (struct inner *in)
{
  memset (in, 0, sizeof *in);
  skip_without_embeddable_backend ();
  in->loop = ev_loop_new (harness_embeddable_backend () | EVFLAG_NOENV);
  assert_non_null (in->loop);
  assert_int_equal (pipe (in->pipe), 0);
  ev_io_init (&in->io, inner_io_cb, in->pipe[0], EV_READ);
  in->io.data = in;
  ev_io_start (in->loop, &in->io);
}

static void
inner_poke (struct inner *in)
{
  assert_int_equal (write (in->pipe[1], "x", 1), 1);
}

static void
inner_free (struct inner *in)
{
  ev_io_stop (in->loop, &in->io);
  ev_loop_destroy (in->loop);
  close (in->pipe[0]);
  close (in->pipe[1]);
}

static void
guard_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)loop, (void)revents;
  *(int *)w->data = 1;
}

/* Runs `loop` (EVRUN_ONCE) until *counter reaches target or `seconds` pass. */
static void
run_until_count (struct ev_loop *loop, int *counter, int target, double seconds)
{
  int expired = 0;
  ev_timer guard;
  ev_timer_init (&guard, guard_cb, harness_slack (seconds), 0.);
  guard.data = &expired;
  ev_timer_start (loop, &guard);
  while (*counter < target && !expired)
    ev_run (loop, EVRUN_ONCE);
  ev_timer_stop (loop, &guard);
  /* reached only because the guard woke the loop up is not good enough */
  if (*counter < target || expired)
    fail_msg ("count %d, expected %d within %.1f s", *counter, target, seconds);
}

/* ---- tests ------------------------------------------------------------------------------------ */

static void
ev_embed__only_epoll_is_embeddable_here (void **state)
{
  (void)state;
  unsigned e = ev_embeddable_backends ();
  /* epoll is counted on Linux alone, as libev 4.33 does; the portable build stands for the
   * other systems (global_functions__embeddable_backends_are_libevs_for_the_system) */
  assert_int_equal ((e & EVBACKEND_EPOLL) != 0, harness_linux_apis ());
  assert_false (e & (EVBACKEND_SELECT | EVBACKEND_POLL));
}

static void
ev_embed__without_callback_the_embedded_loop_is_swept_automatically (void **state)
{
  struct ev_loop *outer = *state;
  struct inner in;
  inner_new (&in);
  ev_embed e;
  ev_embed_init (&e, 0, in.loop);
  ev_embed_start (outer, &e);
  assert_int_equal (ev_is_active (&e), 1);
  assert_true (e.other == in.loop);
  /* One iteration first: the embedding loop hands the embedded loop's pending fd changes
   * to the kernel, running the embedded loop once without blocking to do so.  (An event
   * that is ready already would be consumed by that run, and the iteration would then
   * block with nothing left to report.) */
  ev_run (outer, EVRUN_NOWAIT);

  inner_poke (&in);
  /* the embedded loop's watchers run while the embedding loop runs */
  run_until_count (outer, &in.io_calls, 1, 2.);
  assert_int_equal (in.io_revents, EV_READ);
  /* inside a sweep: one ev_run of the embedded loop */
  assert_int_equal (in.depth_in_cb, 1);
  inner_poke (&in);
  run_until_count (outer, &in.io_calls, 2, 2.);

  ev_embed_stop (outer, &e);
  inner_free (&in);
}

struct embed_record
{
  int calls;
  int revents;
  int sweep;   /* sweep from the callback */
};

static void
embed_cb (struct ev_loop *loop, ev_embed *w, int revents)
{
  struct embed_record *r = w->data;
  ++r->calls;
  r->revents = revents;
  if (r->sweep)
    ev_embed_sweep (loop, w);
}

static void
ev_embed__with_callback_ev_embed_is_reported_until_swept (void **state)
{
  struct ev_loop *outer = *state;
  struct inner in;
  struct embed_record r = { 0 };
  inner_new (&in);
  ev_embed e;
  ev_embed_init (&e, embed_cb, in.loop);
  e.data = &r;
  ev_embed_start (outer, &e);
  /* one iteration first, as above */
  ev_run (outer, EVRUN_NOWAIT);
  assert_int_equal (r.calls, 0);

  inner_poke (&in);
  run_until_count (outer, &r.calls, 1, 2.);
  assert_int_equal (r.revents, EV_EMBED);
  /* nobody swept: the embedded loop's watcher has not run, and the callback comes again */
  assert_int_equal (in.io_calls, 0);
  ev_run (outer, EVRUN_NOWAIT);
  assert_int_equal (r.calls, 2);
  assert_int_equal (in.io_calls, 0);

  /* a sweep from the callback runs the embedded loop's watchers */
  r.sweep = 1;
  ev_run (outer, EVRUN_NOWAIT);
  assert_int_equal (r.calls, 3);
  assert_int_equal (in.io_calls, 1);
  /* and with nothing left in the embedded loop the callback stops coming */
  ev_run (outer, EVRUN_NOWAIT);
  ev_run (outer, EVRUN_NOWAIT);
  assert_int_equal (r.calls, 3);

  ev_embed_stop (outer, &e);
  inner_free (&in);
}

static void
inner_timer_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)loop, (void)revents;
  ++*(int *)w->data;
}

static void
ev_embed__sweep_runs_the_embedded_loop_once_without_blocking (void **state)
{
  struct ev_loop *outer = *state;
  struct inner in;
  inner_new (&in);
  ev_embed e;
  ev_embed_init (&e, embed_cb, in.loop);
  struct embed_record r = { 0 };
  e.data = &r;
  ev_embed_start (outer, &e);
  /* a timer of the embedded loop does not make its backend ready: only a sweep runs it */
  int fired = 0;
  ev_timer t;
  ev_timer_init (&t, inner_timer_cb, 0.01, 0.);
  t.data = &fired;
  ev_timer_start (in.loop, &t);
  ev_sleep (0.03);
  struct harness_mark t0 = harness_mark ();
  ev_embed_sweep (outer, &e);
  assert_true (harness_elapsed_unloaded (t0, harness_mark ()) < 0.5);
  assert_int_equal (fired, 1);
  /* with nothing due, a sweep returns at once too */
  ev_timer_set (&t, 10., 0.);
  ev_timer_start (in.loop, &t);
  t0 = harness_mark ();
  ev_embed_sweep (outer, &e);
  assert_true (harness_elapsed_unloaded (t0, harness_mark ()) < 0.5);
  assert_int_equal (fired, 1);
  ev_timer_stop (in.loop, &t);
  ev_embed_stop (outer, &e);
  inner_free (&in);
}

static void
ev_embed__holds_four_references_in_the_embedding_loop (void **state)
{
  struct ev_loop *outer = *state;
  skip_without_embeddable_backend ();
  struct ev_loop *inner = ev_loop_new (harness_embeddable_backend () | EVFLAG_NOENV);
  assert_non_null (inner);
  ev_embed e;
  ev_embed_init (&e, 0, inner);
  ev_embed_start (outer, &e);
  /* its own, plus its internal io, prepare and fork watchers */
  assert_int_equal (ev_run (outer, EVRUN_NOWAIT), 4);
  /* none in the embedded loop */
  assert_int_equal (ev_run (inner, EVRUN_NOWAIT), 0);
  ev_embed_stop (outer, &e);
  assert_false (ev_is_active (&e));
  assert_int_equal (ev_run (outer, EVRUN_NOWAIT), 0);
  ev_loop_destroy (inner);
}

static void
ev_embed__stopped_embedding_leaves_the_loops_independent (void **state)
{
  struct ev_loop *outer = *state;
  struct inner in;
  inner_new (&in);
  ev_embed e;
  ev_embed_init (&e, 0, in.loop);
  ev_embed_start (outer, &e);
  ev_embed_stop (outer, &e);
  inner_poke (&in);
  ev_run (outer, EVRUN_NOWAIT);
  ev_run (outer, EVRUN_NOWAIT);
  assert_int_equal (in.io_calls, 0);
  /* the embedded loop still works on its own */
  ev_run (in.loop, EVRUN_NOWAIT);
  assert_int_equal (in.io_calls, 1);
  inner_free (&in);
}

static void
inner_fork_cb (struct ev_loop *loop, ev_fork *w, int revents)
{
  (void)loop, (void)revents;
  ++*(int *)w->data;
}

/* what the forked child works with */
static struct
{
  struct ev_loop *outer;
  struct inner *in;
  int *inner_forks;
} fork_scene;

/* in a forked child: only the embedding loop is told about the fork */
static void
fork_forwarded_child (void *arg)
{
  (void)arg;
  struct inner *in = fork_scene.in;
  ev_loop_fork (fork_scene.outer);
  int expired = 0;
  ev_timer guard;
  ev_timer_init (&guard, guard_cb, harness_slack (2.), 0.);
  guard.data = &expired;
  ev_timer_start (fork_scene.outer, &guard);
  /* the iteration that handles the fork (and rebuilds the embedded loop) comes first */
  ev_run (fork_scene.outer, EVRUN_NOWAIT);
  inner_poke (in);
  /* the embedded loop's fork watcher runs, and its io watcher works in the child */
  while ((in->io_calls < 1 || *fork_scene.inner_forks < 1) && !expired)
    ev_run (fork_scene.outer, EVRUN_ONCE);
  ev_timer_stop (fork_scene.outer, &guard);
  if (expired || in->io_calls != 1 || *fork_scene.inner_forks != 1)
    {
      fprintf (stderr, "in the child: inner io calls %d, inner fork calls %d (expected 1, 1)\n",
               in->io_calls, *fork_scene.inner_forks);
      _exit (1);
    }
}

static void
ev_embed__a_fork_is_passed_on_to_the_embedded_loop (void **state)
{
  struct ev_loop *outer = *state;
  struct inner in;
  inner_new (&in);
  int forks = 0;
  ev_fork f;
  ev_fork_init (&f, inner_fork_cb);
  f.data = &forks;
  ev_fork_start (in.loop, &f);
  ev_embed e;
  ev_embed_init (&e, 0, in.loop);
  ev_embed_start (outer, &e);
  ev_run (outer, EVRUN_NOWAIT);

  fork_scene.outer = outer;
  fork_scene.in = &in;
  fork_scene.inner_forks = &forks;
  struct harness_child c;
  harness_child_run (fork_forwarded_child, NULL, 10, &c);
  if (!c.exited || c.status != 0)
    fail_msg ("child: %s %d: %s", c.exited ? "status" : "signal", c.exited ? c.status : c.signo, c.err);

  /* the parent was not told about any fork, and its loops work as before */
  inner_poke (&in);
  run_until_count (outer, &in.io_calls, 1, 2.);
  assert_int_equal (forks, 0);
  ev_embed_stop (outer, &e);
  ev_fork_stop (in.loop, &f);
  inner_free (&in);
}

/* ---- usage errors ---------------------------------------------------------------------------------- */

static void
embed_poll_loop (void *arg)
{
  (void)arg;
  struct ev_loop *outer = ev_loop_new (test_backend | EVFLAG_NOENV);
  struct ev_loop *inner = ev_loop_new (EVBACKEND_POLL | EVFLAG_NOENV);
  ev_embed e;
  ev_embed_init (&e, 0, inner);
  ev_embed_start (outer, &e);
}

static void
ev_embed__a_loop_that_cannot_be_embedded_is_a_usage_error (void **state)
{
  (void)state;
  expect_abort (embed_poll_loop, NULL, "libev: loop to be embedded is not embeddable");
}

static void
embed_itself (void *arg)
{
  (void)arg;
  struct ev_loop *loop = ev_loop_new (test_backend | EVFLAG_NOENV);
  ev_embed e;
  ev_embed_init (&e, 0, loop);
  ev_embed_start (loop, &e);
  /* libev 4.33 notices only when it registers its own epoll descriptor with itself */
  ev_run (loop, EVRUN_NOWAIT);
}

static void
ev_embed__a_loop_embedded_into_itself_aborts (void **state)
{
  (void)state;
  if (test_backend == EVBACKEND_IOURING && harness_is_real_libev ())
    {
      /* libev 4.33's io_uring loop has no descriptor to embed */
      expect_abort (embed_itself, NULL, "libev: ev_io_start called with negative fd");
      return;
    }
  if (!(test_backend & (EVBACKEND_EPOLL | EVBACKEND_IOURING)))
    {
      /* not embeddable in the first place */
      expect_abort (embed_itself, NULL, "libev: loop to be embedded is not embeddable");
      return;
    }
  /* Either way an abort, never a hang or a loop that silently waits on itself: libev 4.33
   * fails when it registers its own epoll descriptor with itself, libev-ng reports a usage
   * error of ev_embed_start (next test). */
  if (harness_is_real_libev ())
    expect_abort (embed_itself, NULL, "libev: I/O watcher with invalid fd found in epoll_ctl");
  else
    expect_abort (embed_itself, NULL, "libev: ");
}

/* arg: 0 a zeroed watcher, 1 one only ev_init'ed in memory that held 0xa5, 2 one whose loop was
 * destroyed: its loop member is no loop, where libev 4.33 runs whatever it holds */
static void
sweep_without_a_loop (void *arg)
{
  struct ev_loop *loop = test_loop_new ();
  static ev_embed e;
  int how = *(int *)arg;
  memset (&e, how == 1 ? 0xa5 : 0, sizeof e);
  ev_init (&e, NULL);
  if (how == 2)
    {
      struct ev_loop *gone = ev_loop_new (EVFLAG_NOENV); /* any backend: the portable build has no epoll */
      ev_embed_set (&e, gone);
      ev_loop_destroy (gone);
    }
  ev_embed_sweep (loop, &e);
}

static void
ev_embed__sweep_of_a_watcher_without_a_loop_is_a_usage_error (void **state)
{
  (void)state;
  skip_on_real_libev (); /* libev 4.33 crashes */
  int how = 0;
  expect_abort (sweep_without_a_loop, &how, "libev-ng: usage error in ev_embed_sweep (other = NULL): \"libev: "
                                            "ev_embed_sweep called with an ev_embed watcher whose loop is not a loop");
  how = 1;
  /* (the poison fills the pointer: 8 bytes of 0xa5, or 4 on a 32-bit system) */
  expect_abort (sweep_without_a_loop, &how,
                sizeof (void *) == 8 ? "usage error in ev_embed_sweep (other = 0xa5a5a5a5a5a5a5a5)"
                                     : "usage error in ev_embed_sweep (other = 0xa5a5a5a5)");
  how = 2;
  expect_abort (sweep_without_a_loop, &how, "usage error in ev_embed_sweep (other = 0x");
}

static void
ev_embed__embedding_into_itself_is_a_usage_error_of_ev_embed_start (void **state)
{
  (void)state;
  skip_on_real_libev (); /* libev 4.33 fails later, in epoll_ctl */
  /* (for a select or poll loop: because it cannot be embedded at all) */
  expect_abort (embed_itself, NULL, "usage error in ev_embed_start");
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    plain_test (ev_embed__only_epoll_is_embeddable_here),
    loop_test (ev_embed__without_callback_the_embedded_loop_is_swept_automatically),
    loop_test (ev_embed__with_callback_ev_embed_is_reported_until_swept),
    loop_test (ev_embed__sweep_runs_the_embedded_loop_once_without_blocking),
    loop_test (ev_embed__holds_four_references_in_the_embedding_loop),
    loop_test (ev_embed__stopped_embedding_leaves_the_loops_independent),
    loop_test (ev_embed__a_fork_is_passed_on_to_the_embedded_loop),
    plain_test (ev_embed__a_loop_that_cannot_be_embedded_is_a_usage_error),
    plain_test (ev_embed__a_loop_embedded_into_itself_aborts),
    plain_test (ev_embed__embedding_into_itself_is_a_usage_error_of_ev_embed_start),
    plain_test (ev_embed__sweep_of_a_watcher_without_a_loop_is_a_usage_error),
  };
  return HARNESS_RUN ("ev_embed", tests);
}
