/* SPDX-License-Identifier: BSD-2-Clause */
/* t/ev_io.c - ev(3) "ev_io - is this file descriptor readable or writable?", including
 * "The special problem of disappearing file descriptors", "... of dup'ed file descriptors",
 * "... of files", ev_feed_fd_event, and bad descriptors (doc/semantics.md §10). */
#define _GNU_SOURCE 1
#ifdef HAVE_CONFIG_H
#include "config.h" /* EV_NG_SMALL */
#endif
#include "harness.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

TRACE_REVENTS_CB (io)

static void
stop_self_cb (struct ev_loop *loop, ev_io *w, int revents)
{
  trace_add ("%s:0x%x", (const char *)w->data, (unsigned)revents);
  ev_io_stop (loop, w);
}

static void
make_pipe (int p[2])
{
  assert_int_equal (pipe2 (p, O_CLOEXEC), 0);
}

static void
close_pair (int p[2])
{
  close (p[0]);
  close (p[1]);
}

static void
ev_io__start_consumes_the_fdset_flag (void **state)
{
  struct ev_loop *loop = *state;
  int p[2];
  ev_io w;
  make_pipe (p);
  ev_io_init (&w, trace_io_revents_cb, p[0], EV_READ);
  assert_int_equal (w.events, EV_READ | EV__IOFDSET);
  ev_io_start (loop, &w);
  assert_int_equal (w.events, EV_READ);
  assert_int_equal (ev_is_active (&w), 1);
  assert_int_equal (w.fd, p[0]);
  ev_io_stop (loop, &w);
  assert_int_equal (w.events, EV_READ);
  assert_int_equal (ev_is_active (&w), 0);
  /* ev_io_modify keeps a flag that start has not consumed yet */
  ev_io_set (&w, p[0], EV_READ);
  ev_io_modify (&w, EV_WRITE);
  assert_int_equal (w.events, EV_WRITE | EV__IOFDSET);
  close_pair (p);
}

static void
ev_io__readable_and_writable_pipe_ends (void **state)
{
  struct ev_loop *loop = *state;
  int p[2];
  ev_io r, w;
  make_pipe (p);
  ev_io_init (&r, stop_self_cb, p[0], EV_READ);
  r.data = "r";
  ev_io_init (&w, stop_self_cb, p[1], EV_WRITE);
  w.data = "w";
  ev_io_start (loop, &r);
  ev_io_start (loop, &w);
  /* an empty pipe is writable, not readable */
  ev_run (loop, EVRUN_NOWAIT);
  expect_trace ("w:0x2");
  assert_true (ev_is_active (&r));
  assert_int_equal (write (p[1], "x", 1), 1);
  ev_run (loop, EVRUN_NOWAIT);
  expect_trace ("r:0x1");
  assert_int_equal (ev_run (loop, EVRUN_NOWAIT), 0);
  close_pair (p);
}

static void
ev_io__level_triggered_until_drained (void **state)
{
  struct ev_loop *loop = *state;
  int p[2];
  char c;
  ev_io r;
  make_pipe (p);
  ev_io_init (&r, trace_io_revents_cb, p[0], EV_READ);
  r.data = "r";
  ev_io_start (loop, &r);
  assert_int_equal (write (p[1], "x", 1), 1);
  ev_run (loop, EVRUN_NOWAIT);
  ev_run (loop, EVRUN_NOWAIT);
  expect_trace ("r:0x1,r:0x1");
  assert_int_equal (read (p[0], &c, 1), 1);
  ev_run (loop, EVRUN_NOWAIT);
  expect_trace_empty ();
  ev_io_stop (loop, &r);
  close_pair (p);
}

static void
ev_io__revents_are_masked_per_watcher_in_start_order (void **state)
{
  struct ev_loop *loop = *state;
  int sv[2];
  ev_io r, rw, wo;
  assert_int_equal (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  assert_int_equal (write (sv[1], "x", 1), 1); /* sv[0]: readable and writable */
  ev_io_init (&r, trace_io_revents_cb, sv[0], EV_READ);
  r.data = "r";
  ev_io_init (&rw, trace_io_revents_cb, sv[0], EV_READ | EV_WRITE);
  rw.data = "rw";
  ev_io_init (&wo, trace_io_revents_cb, sv[0], EV_WRITE);
  wo.data = "w";
  ev_io_start (loop, &r);
  ev_io_start (loop, &rw);
  ev_io_start (loop, &wo);
  ev_run (loop, EVRUN_NOWAIT);
  /* each gets only the bits it asked for; watchers of one fd run oldest first */
  expect_trace ("r:0x1,rw:0x3,w:0x2");
  /* stopping one leaves the others working */
  ev_io_stop (loop, &rw);
  ev_run (loop, EVRUN_NOWAIT);
  expect_trace ("r:0x1,w:0x2");
  ev_io_stop (loop, &r);
  ev_io_stop (loop, &wo);
  close_pair (sv);
}

static void
ev_io__modify_changes_the_reported_events (void **state)
{
  struct ev_loop *loop = *state;
  int sv[2];
  ev_io w;
  assert_int_equal (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  assert_int_equal (write (sv[1], "x", 1), 1);
  ev_io_init (&w, trace_io_revents_cb, sv[0], EV_READ);
  w.data = "w";
  ev_io_start (loop, &w);
  ev_run (loop, EVRUN_NOWAIT);
  expect_trace ("w:0x1");
  ev_io_stop (loop, &w);
  ev_io_modify (&w, EV_WRITE);
  ev_io_start (loop, &w);
  ev_run (loop, EVRUN_NOWAIT);
  expect_trace ("w:0x2");
  ev_io_stop (loop, &w);
  ev_io_modify (&w, EV_READ | EV_WRITE);
  ev_io_start (loop, &w);
  ev_run (loop, EVRUN_NOWAIT);
  expect_trace ("w:0x3");
  ev_io_stop (loop, &w);
  close_pair (sv);
}

static void
ev_io__stop_and_restart_in_the_callback (void **state)
{
  struct ev_loop *loop = *state;
  int p[2];
  ev_io w;
  make_pipe (p);
  assert_int_equal (write (p[1], "x", 1), 1);
  ev_io_init (&w, stop_self_cb, p[0], EV_READ);
  w.data = "w";
  for (int i = 0; i < 3; ++i)
    {
      /* a stop and start of the same watcher between two polls */
      ev_io_start (loop, &w);
      ev_run (loop, EVRUN_NOWAIT);
    }
  expect_trace ("w:0x1,w:0x1,w:0x1");
  close_pair (p);
}

static void
ev_io__zero_event_mask_is_accepted (void **state)
{
  struct ev_loop *loop = *state;
  int p[2];
  ev_io w;
  make_pipe (p);
  assert_int_equal (write (p[1], "x", 1), 1);
  ev_io_init (&w, trace_io_revents_cb, p[0], 0);
  w.data = "w";
  ev_io_start (loop, &w);
  assert_true (ev_is_active (&w));
  /* active (it holds a reference), never called */
  assert_int_equal (ev_run (loop, EVRUN_NOWAIT), 1);
  expect_trace_empty ();
  ev_io_stop (loop, &w);
  close_pair (p);
}

static void
ev_io__pipe_writer_closed_gives_read (void **state)
{
  struct ev_loop *loop = *state;
  int p[2];
  ev_io r;
  make_pipe (p);
  close (p[1]);
  ev_io_init (&r, stop_self_cb, p[0], EV_READ);
  r.data = "r";
  ev_io_start (loop, &r);
  ev_run (loop, EVRUN_NOWAIT);
  /* hang-up counts as readable (and writable, if asked) */
  expect_trace ("r:0x1");
  close (p[0]);
}

static void
ev_io__reader_closed_makes_the_writer_ready (void **state)
{
  struct ev_loop *loop = *state;
  int p[2];
  ev_io w;
  make_pipe (p);
  close (p[0]);
  ev_io_init (&w, stop_self_cb, p[1], EV_READ | EV_WRITE);
  w.data = "w";
  ev_io_start (loop, &w);
  ev_run (loop, EVRUN_NOWAIT);
  /* an error condition on the fd is reported as both directions the watcher asked for */
  expect_trace ("w:0x3");
  close (p[1]);
}

static void
ev_io__regular_files_and_dev_null_are_always_ready (void **state)
{
  struct ev_loop *loop = *state;
  char path[] = "/tmp/ev_io-test-XXXXXX";
  int fd = mkstemp (path);
  assert_true (fd >= 0);
  unlink (path);
  ev_io w;
  /* epoll refuses them (EPERM); libev then treats them as always ready, like poll/select */
  ev_io_init (&w, trace_io_revents_cb, fd, EV_READ | EV_WRITE);
  w.data = "file";
  ev_io_start (loop, &w);
  for (int i = 0; i < 3; ++i)
    ev_run (loop, EVRUN_NOWAIT);
  expect_trace ("file:0x3,file:0x3,file:0x3");
  ev_io_stop (loop, &w);
  close (fd);

  fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  assert_true (fd >= 0);
  ev_io_init (&w, trace_io_revents_cb, fd, EV_READ);
  w.data = "null";
  ev_io_start (loop, &w);
  for (int i = 0; i < 3; ++i)
    ev_run (loop, EVRUN_NOWAIT);
  expect_trace ("null:0x1,null:0x1,null:0x1");
  ev_io_stop (loop, &w);
  close (fd);
}

static void
ev_io__reused_fd_number_needs_io_set (void **state)
{
  struct ev_loop *loop = *state;
  int p[2], q[2];
  ev_io w;
  make_pipe (p);
  ev_io_init (&w, trace_io_revents_cb, p[0], EV_READ);
  w.data = "w";
  ev_io_start (loop, &w);
  ev_run (loop, EVRUN_NOWAIT);
  ev_io_stop (loop, &w);
  close_pair (p);
  make_pipe (q);
  assert_int_equal (q[0], w.fd); /* the lowest free numbers come back */
  assert_int_equal (write (q[1], "x", 1), 1);

  /* Without ev_io_set libev 4.33 assumes the number still denotes the same file: under epoll,
   * which forgot the closed file, the restarted watcher hears nothing, ever.  libev-ng knows
   * that the fd had no watcher for a moment (it may have been closed), checks, and
   * registers the new pipe; poll and select look at the number every time anyway. */
  ev_io_start (loop, &w);
  ev_run (loop, EVRUN_NOWAIT);
  ev_run (loop, EVRUN_NOWAIT);
  if (test_backend == EVBACKEND_EPOLL && harness_is_real_libev ())
    expect_trace_empty ();
  else
    expect_trace ("w:0x1,w:0x1");
  ev_io_stop (loop, &w);

  /* ev_io_set says "this may be a new file": re-registered, events again */
  ev_io_set (&w, q[0], EV_READ);
  ev_io_start (loop, &w);
  ev_run (loop, EVRUN_NOWAIT);
  expect_trace ("w:0x1");
  ev_io_stop (loop, &w);
  close_pair (q);
}

static void
ev_io__dup_of_a_watched_fd_is_independent (void **state)
{
  struct ev_loop *loop = *state;
  int p[2];
  ev_io a, b;
  make_pipe (p);
  int d = fcntl (p[0], F_DUPFD_CLOEXEC, 0);
  assert_true (d >= 0);
  ev_io_init (&a, trace_io_revents_cb, p[0], EV_READ);
  a.data = "a";
  ev_io_init (&b, trace_io_revents_cb, d, EV_READ);
  b.data = "b";
  ev_io_start (loop, &a);
  ev_io_start (loop, &b);
  ev_run (loop, EVRUN_NOWAIT);
  expect_trace_empty ();
  assert_int_equal (write (p[1], "x", 1), 1);
  ev_run (loop, EVRUN_NOWAIT);
  /* two fds, one file: both report; their order is the kernel's */
  assert_true (strcmp (trace_get (), "a:0x1,b:0x1") == 0 || strcmp (trace_get (), "b:0x1,a:0x1") == 0);
  trace_reset ();
  ev_io_stop (loop, &a);
  ev_io_stop (loop, &b);
  close (d);
  close_pair (p);
}

static ev_io late_io, starter, *starter_target;

static void
start_target_cb (struct ev_loop *loop, ev_io *w, int revents)
{
  trace_add ("%s:0x%x", (const char *)w->data, (unsigned)revents);
  if (starter_target && !ev_is_active (starter_target))
    ev_io_start (loop, starter_target);
  ev_io_stop (loop, w);
}

static ev_io *victim_io;

static void
stop_victim_cb (struct ev_loop *loop, ev_io *w, int revents)
{
  trace_add ("%s:0x%x", (const char *)w->data, (unsigned)revents);
  if (victim_io)
    ev_io_stop (loop, victim_io);
}

static void
ev_io__watcher_stopped_by_an_earlier_callback_of_its_fd_is_not_called (void **state)
{
  struct ev_loop *loop = *state;
  int p[2];
  ev_io x, y, z;
  make_pipe (p);
  assert_int_equal (write (p[1], "x", 1), 1);
  ev_io_init (&x, stop_victim_cb, p[0], EV_READ);
  x.data = "X";
  ev_io_init (&y, trace_io_revents_cb, p[0], EV_READ);
  y.data = "Y";
  ev_io_init (&z, trace_io_revents_cb, p[0], EV_READ);
  z.data = "Z";
  ev_io_start (loop, &x);
  ev_io_start (loop, &y);
  ev_io_start (loop, &z);
  victim_io = &y;
  /* all three were queued by the same fd event; X runs first and stops Y */
  ev_run (loop, EVRUN_NOWAIT);
  expect_trace ("X:0x1,Z:0x1");
  assert_false (ev_is_active (&y));
  victim_io = NULL;
  ev_run (loop, EVRUN_NOWAIT);
  expect_trace ("X:0x1,Z:0x1");
  ev_io_stop (loop, &x);
  ev_io_stop (loop, &z);
  close_pair (p);
}

static void
ev_io__fd_replaced_between_two_polls (void **state)
{
  struct ev_loop *loop = *state;
  int p[2], q[2];
  ev_io w;
  make_pipe (p);
  ev_io_init (&w, trace_io_revents_cb, p[0], EV_READ);
  w.data = "w";
  ev_io_start (loop, &w);
  ev_run (loop, EVRUN_NOWAIT); /* p[0] is registered with the kernel */
  expect_trace_empty ();
  /* the documented way to switch files: stop, close, open, set, start - no poll between */
  ev_io_stop (loop, &w);
  close_pair (p);
  make_pipe (q);
  assert_int_equal (q[0], w.fd);
  ev_io_set (&w, q[0], EV_READ);
  ev_io_start (loop, &w);
  ev_run (loop, EVRUN_NOWAIT);
  expect_trace_empty ();
  assert_int_equal (write (q[1], "x", 1), 1);
  ev_run (loop, EVRUN_NOWAIT);
  expect_trace ("w:0x1");
  ev_io_stop (loop, &w);
  close_pair (q);
}

static void
ev_io__watcher_started_in_a_callback_waits_for_the_next_poll (void **state)
{
  struct ev_loop *loop = *state;
  int p[2];
  ev_io first;
  make_pipe (p);
  assert_int_equal (write (p[1], "x", 1), 1);
  ev_io_init (&first, trace_io_revents_cb, p[0], EV_READ);
  first.data = "first";
  ev_io_init (&late_io, trace_io_revents_cb, p[0], EV_READ);
  late_io.data = "late";
  ev_io_start (loop, &first);
  starter_target = &late_io;
  ev_io_init (&starter, start_target_cb, p[1], EV_WRITE);
  starter.data = "starter";
  ev_io_start (loop, &starter);
  ev_run (loop, EVRUN_NOWAIT);
  /* same poll, same pass: late is only started there, the fd event was already queued */
  assert_true (strstr (trace_get (), "late") == NULL);
  trace_reset ();
  ev_run (loop, EVRUN_NOWAIT);
  assert_true (strstr (trace_get (), "first:0x1,late:0x1") != NULL);
  trace_reset ();
  ev_io_stop (loop, &first);
  ev_io_stop (loop, &late_io);
  close_pair (p);
}

enum { MANY = 100 };

static void
count_cb (struct ev_loop *loop, ev_io *w, int revents)
{
  (void)loop;
  if (revents == EV_READ)
    ++*(int *)w->data;
}

static void
ev_io__many_fds_each_reported_once_per_iteration (void **state)
{
  struct ev_loop *loop = *state;
  static int p[MANY][2], calls[MANY];
  static ev_io w[MANY];
  for (int i = 0; i < MANY; ++i)
    {
      make_pipe (p[i]);
      calls[i] = 0;
      ev_io_init (&w[i], count_cb, p[i][0], EV_READ);
      w[i].data = &calls[i];
      ev_io_start (loop, &w[i]);
      if (i % 2 == 0)
        assert_int_equal (write (p[i][1], "x", 1), 1);
    }
  ev_run (loop, EVRUN_NOWAIT);
  ev_run (loop, EVRUN_NOWAIT);
  for (int i = 0; i < MANY; ++i)
    {
      assert_int_equal (calls[i], i % 2 == 0 ? 2 : 0);
      ev_io_stop (loop, &w[i]);
      close_pair (p[i]);
    }
}

static void
ev_io__fd_above_1024_works (void **state)
{
  struct ev_loop *loop = *state;
  int p[2];
  ev_io w;
  need_fds (1400);
  make_pipe (p);
  /* beyond FD_SETSIZE: select's sets must grow with the fd, not overflow */
  int high = fcntl (p[0], F_DUPFD_CLOEXEC, 1300);
  assert_true (high >= 1300);
  ev_io_init (&w, trace_io_revents_cb, high, EV_READ);
  w.data = "high";
  ev_io_start (loop, &w);
  ev_run (loop, EVRUN_NOWAIT);
  expect_trace_empty ();
  assert_int_equal (write (p[1], "x", 1), 1);
  ev_run (loop, EVRUN_NOWAIT);
  expect_trace ("high:0x1");
  ev_io_stop (loop, &w);
  close (high);
  close_pair (p);
}

static void
ev_io__feed_fd_event_masks_per_watcher (void **state)
{
  struct ev_loop *loop = *state;
  int p[2];
  ev_io r, rw, wo;
  make_pipe (p);
  ev_io_init (&r, trace_io_revents_cb, p[0], EV_READ);
  ev_io_init (&rw, trace_io_revents_cb, p[0], EV_READ | EV_WRITE);
  ev_io_init (&wo, trace_io_revents_cb, p[0], EV_WRITE);
  ev_io_start (loop, &r);
  ev_io_start (loop, &rw);
  ev_io_start (loop, &wo);
  ev_feed_fd_event (loop, p[0], EV_READ | EV_WRITE);
  assert_int_equal (ev_clear_pending (loop, &r), EV_READ);
  assert_int_equal (ev_clear_pending (loop, &rw), EV_READ | EV_WRITE);
  assert_int_equal (ev_clear_pending (loop, &wo), EV_WRITE);
  ev_feed_fd_event (loop, p[0], EV_WRITE);
  assert_false (ev_is_pending (&r));
  assert_int_equal (ev_clear_pending (loop, &rw), EV_WRITE);
  assert_int_equal (ev_clear_pending (loop, &wo), EV_WRITE);
  /* an fd nobody watches: nothing happens */
  ev_feed_fd_event (loop, p[1], EV_READ);
  assert_int_equal (ev_pending_count (loop), 5);
  ev_io_stop (loop, &r);
  ev_io_stop (loop, &rw);
  ev_io_stop (loop, &wo);
  close_pair (p);
}

/* ---- bad descriptors ------------------------------------------------------------------------
 * libev 4.33: select reports EV_ERROR|EV_READ|EV_WRITE to every watcher of a bad fd and
 * stops them; poll and epoll abort on a never-opened fd, poll aborts and epoll stays silent
 * on an fd closed while watched.  libev-ng does what select does on every backend (issue 2),
 * so these tests run on the real libev only for select. */

struct badfd_report
{
  int calls[2], revents[2], active_in_cb[2], still_active[2];
  int control_calls, run_returned, guard_fired;
};
static struct badfd_report *bad;
static ev_io bad_w[2];

static void
bad_cb (struct ev_loop *loop, ev_io *w, int revents)
{
  (void)loop;
  int i = w == &bad_w[0] ? 0 : 1;
  ++bad->calls[i];
  bad->revents[i] = revents;
  bad->active_in_cb[i] = ev_is_active (w) != 0;
}

static void
control_cb (struct ev_loop *loop, ev_io *w, int revents)
{
  (void)revents;
  ++bad->control_calls;
  ev_io_stop (loop, w);
}

static int guard_ticks;

/* Ticks every 50 ms (epoll cannot tell that a registered fd was closed, so the loop may only
 * notice it when it wakes up for something else: the ticks provide those wake-ups), and
 * gives up after 2 s. */
static void
bad_guard_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)w, (void)revents;
  if (++guard_ticks == 40)
    {
      bad->guard_fired = 1;
      ev_break (loop, EVBREAK_ALL);
    }
}

/* The scene around the bad fd: a control watcher on a healthy pipe (created before any fd
 * is closed, so it cannot take over the bad number) and an unreferenced repeating guard
 * timer (repeating, so the library never stops it and the reference count stays right). */
struct bad_scene
{
  struct ev_loop *loop;
  int ctl[2];
  ev_io control;
  ev_timer guard;
};

static void
bad_scene_new (struct bad_scene *s)
{
  s->loop = test_loop_new ();
  if (pipe (s->ctl) || write (s->ctl[1], "x", 1) != 1)
    _exit (4);
  ev_io_init (&s->control, control_cb, s->ctl[0], EV_READ);
  guard_ticks = 0;
  ev_timer_init (&s->guard, bad_guard_cb, 0.05, 0.05);
}

static void
start_bad_watchers (struct ev_loop *loop, int fd)
{
  ev_io_init (&bad_w[0], bad_cb, fd, EV_READ);
  ev_io_init (&bad_w[1], bad_cb, fd, EV_WRITE);
  ev_io_start (loop, &bad_w[0]);
  ev_io_start (loop, &bad_w[1]);
}

/* ev_run until no reference is left (or the guard breaks), record, tear down. */
static void
bad_scene_run (struct bad_scene *s)
{
  ev_io_start (s->loop, &s->control);
  ev_timer_start (s->loop, &s->guard);
  ev_unref (s->loop);
  bad->run_returned = ev_run (s->loop, 0);
  for (int i = 0; i < 2; ++i)
    {
      bad->still_active[i] = ev_is_active (&bad_w[i]) != 0;
      ev_io_stop (s->loop, &bad_w[i]);
    }
  ev_ref (s->loop);
  ev_timer_stop (s->loop, &s->guard);
  ev_loop_destroy (s->loop);
  close (s->ctl[0]);
  close (s->ctl[1]);
}

static void
never_opened_fd_child (void *arg)
{
  (void)arg;
  struct bad_scene s;
  bad_scene_new (&s);
  start_bad_watchers (s.loop, harness_unused_fd ());
  bad_scene_run (&s);
}

static void
closed_while_active_child (void *arg)
{
  (void)arg;
  struct bad_scene s;
  int p[2];
  signal (SIGPIPE, SIG_IGN);
  bad_scene_new (&s);
  if (pipe (p))
    _exit (4);
  start_bad_watchers (s.loop, p[0]);
  ev_run (s.loop, EVRUN_NOWAIT); /* now registered with the kernel (nothing is ready) */
  memset (bad, 0, sizeof *bad);
  close (p[0]); /* behind the loop's back */
  close (p[1]);
  bad_scene_run (&s);
}

static void
expect_bad_fd_killed (void (*scenario) (void *))
{
  struct harness_child c;
  bad = harness_shared_new (sizeof *bad);
  harness_child_run (scenario, NULL, 10, &c);
  struct badfd_report r = *bad;
  harness_shared_free (bad, sizeof *bad);
  if (!c.exited || c.status != 0)
    fail_msg ("the loop did not survive the bad fd: %s %d, stderr: %s", c.exited ? "exit status" : "signal",
              c.exited ? c.status : c.signo, c.err);
  for (int i = 0; i < 2; ++i)
    {
      /* every watcher of the fd: one call with EV_ERROR|EV_READ|EV_WRITE, stopped before it */
      assert_int_equal (r.calls[i], 1);
      assert_int_equal ((unsigned)r.revents[i], (unsigned)(EV_ERROR | EV_READ | EV_WRITE));
      assert_int_equal (r.active_in_cb[i], 0);
      assert_int_equal (r.still_active[i], 0);
    }
  /* the rest of the loop is unaffected, and it ended because nothing was left */
  assert_int_equal (r.control_calls, 1);
  assert_int_equal (r.guard_fired, 0);
  assert_int_equal (r.run_returned, 0);
}

static void
ev_io__never_opened_fd_gets_ev_error_and_is_stopped (void **state)
{
  (void)state;
  if (test_backend != EVBACKEND_SELECT)
    skip_on_real_libev (); /* libev 4.33 aborts here (poll, epoll) */
  expect_bad_fd_killed (never_opened_fd_child);
}

static void
ev_io__fd_closed_while_active_gets_ev_error_and_is_stopped (void **state)
{
  (void)state;
  if (test_backend != EVBACKEND_SELECT)
    skip_on_real_libev (); /* libev 4.33 aborts (poll) or ignores it silently (epoll) */
  expect_bad_fd_killed (closed_while_active_child);
}

/* ---- usage errors ---------------------------------------------------------------------------- */

static void
start_negative_fd (void *arg)
{
  (void)arg;
  ev_io w;
  ev_io_init (&w, trace_io_revents_cb, -1, EV_READ);
  ev_io_start (test_loop_new (), &w);
}

static void
start_illegal_mask (void *arg)
{
  (void)arg;
  ev_io w;
  ev_io_init (&w, trace_io_revents_cb, 0, EV_READ | EV_CUSTOM);
  ev_io_start (test_loop_new (), &w);
}

static void
ev_io__negative_fd_is_a_usage_error (void **state)
{
  (void)state;
  expect_abort (start_negative_fd, NULL, "libev: ev_io_start called with negative fd");
  /* libev-ng also names the argument and its value */
  if (!harness_is_real_libev ())
    expect_abort (start_negative_fd, NULL, "libev-ng: usage error in ev_io_start (fd = -1): ");
}

static void
ev_io__illegal_event_mask_is_a_usage_error (void **state)
{
  (void)state;
  expect_abort (start_illegal_mask, NULL, "libev: ev_io_start called with illegal event mask");
  if (!harness_is_real_libev ())
    expect_abort (start_illegal_mask, NULL, "libev-ng: usage error in ev_io_start (events = ");
}

/* Re-initialised while active (a common bug): libev 4.33 aborts with "corrupted watcher" when
 * the watcher is started again; an earlier libev-ng spun at 100% CPU instead.  libev-ng also
 * names the call, the fd and the watcher. */
static void
reinit_active_and_restart (void *arg)
{
  (void)arg;
  static ev_io w;
  int p[2];
  make_pipe (p);
  struct ev_loop *loop = test_loop_new ();
  ev_io_init (&w, trace_io_revents_cb, p[0], EV_READ);
  ev_io_start (loop, &w);
  ev_run (loop, EVRUN_NOWAIT);
  ev_io_init (&w, trace_io_revents_cb, p[0], EV_READ);
  ev_io_start (loop, &w);
  assert_int_equal (write (p[1], "x", 1), 1);
  ev_run (loop, EVRUN_NOWAIT);
}

/* Re-initialised while active and left so (the program believes ev_io_init stopped it): libev
 * 4.33 keeps it in the fd's list, calls it for the fd's events and keeps its reference;
 * libev-ng drops it the next time it looks at the fd's watchers. */
static void
ev_io__reinitialised_active_watcher_left_alone_is_dropped (void **state)
{
  struct ev_loop *loop = *state;
  skip_on_real_libev ();
  static ev_io w, other;
  int p[2];
  make_pipe (p);
  ev_io_init (&w, trace_io_revents_cb, p[0], EV_READ);
  w.data = "zombie";
  ev_io_start (loop, &w);
  ev_run (loop, EVRUN_NOWAIT);
  ev_io_init (&w, trace_io_revents_cb, p[0], EV_READ);
  w.data = "zombie";
  assert_int_equal (write (p[1], "x", 1), 1);
  ev_io_init (&other, stop_self_cb, p[0], EV_READ);
  other.data = "other";
  ev_io_start (loop, &other); /* makes the loop look at the fd's watchers */
  ev_run (loop, EVRUN_NOWAIT);
  expect_trace ("other:0x1");
  assert_int_equal (ev_run (loop, EVRUN_NOWAIT), 0); /* no reference left behind */
  close_pair (p);
}

static void
ev_io__reinitialising_an_active_watcher_is_a_usage_error (void **state)
{
  (void)state;
  expect_abort (reinit_active_and_restart, NULL, "libev: ev_io_start called with corrupted watcher");
  if (harness_is_real_libev ())
    return;
  expect_abort (reinit_active_and_restart, NULL, "libev-ng: usage error in ev_io_start (fd = ");
}

static void
tick_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)loop, (void)w, (void)revents;
}

/* ev_io_set on an active watcher (ev(3) forbids it): libev 4.33 keeps the watcher listed under
 * its old fd and never reports the new one.  libev-ng moves it to the new fd the next time it
 * looks at the old fd's watchers, at the latest with the periodic fd sweep (0.1 s when idle,
 * 1 s when busy), and it then hears the new fd; stopped before that, it is found where it
 * was started (libev 4.33 leaves it listed there). */
static void
ev_io__io_set_on_an_active_watcher_moves_it_to_the_new_fd (void **state)
{
  struct ev_loop *loop = *state;
  skip_on_real_libev ();
  int p[2], q[2];
  ev_io w;
  make_pipe (p);
  make_pipe (q);
  ev_io_init (&w, stop_self_cb, p[0], EV_READ);
  w.data = "w";
  ev_io_start (loop, &w);
  ev_run (loop, EVRUN_NOWAIT);
  ev_io_set (&w, q[0], EV_READ);
  assert_int_equal (write (q[1], "x", 1), 1);
  ev_timer tick; /* the loop wakes up now and then, as most loops do */
  double start = harness_monotonic ();
  ev_timer_init (&tick, tick_cb, 0.05, 0.05);
  ev_timer_start (loop, &tick);
  while (!strcmp (trace_get (), "") && harness_monotonic () - start < harness_slack (3.))
    ev_run (loop, EVRUN_ONCE);
  ev_timer_stop (loop, &tick);
  expect_trace ("w:0x1");
  assert_false (ev_is_active (&w));
  ev_verify (loop);

  /* stopped right after the ev_io_set, before it was moved: found where it was started */
  ev_io_set (&w, p[0], EV_READ);
  ev_io_start (loop, &w);
  ev_run (loop, EVRUN_NOWAIT);
  ev_io_set (&w, q[0], EV_READ);
  ev_io_stop (loop, &w);
  ev_verify (loop);
  ev_run (loop, EVRUN_NOWAIT);
  expect_trace_empty ();
  close_pair (p);
  close_pair (q);
}

/* ev_io_set on an active watcher, then ev_io_start without the ev_io_stop the program forgot
 * (ev(3) forbids both): the start moves the watcher to its new fd at once, and the next
 * iteration reports the new fd, with nothing else waking the loop (libev-ng used to wait for
 * a wake-up and its periodic fd check; libev 4.33 never reports the new fd: skipped there). */
static void
ev_io__start_after_io_set_on_an_active_watcher_moves_it_at_once (void **state)
{
  struct ev_loop *loop = *state;
  skip_on_real_libev ();
  int p[2], q[2];
  ev_io w;
  make_pipe (p);
  make_pipe (q);
  ev_io_init (&w, stop_self_cb, p[0], EV_READ);
  w.data = "w";
  ev_io_start (loop, &w);
  ev_run (loop, EVRUN_NOWAIT);
  ev_io_set (&w, q[0], EV_READ);
  ev_io_start (loop, &w);
  assert_int_equal (write (q[1], "x", 1), 1);
  ev_timer guard; /* only ends a wait that would not: the loop has nothing else */
  ev_timer_init (&guard, tick_cb, harness_slack (2.), 0.);
  ev_timer_start (loop, &guard);
  struct harness_mark start = harness_mark ();
  ev_run (loop, EVRUN_ONCE);
  ev_timer_stop (loop, &guard);
  expect_trace ("w:0x1");
  assert_true (harness_elapsed_unloaded (start, harness_mark ()) < 1.);
  assert_false (ev_is_active (&w));
  ev_verify (loop);
  close_pair (p);
  close_pair (q);
}

/* ev_io_set on an active watcher (ev(3) forbids it), found when the loop applies the changes
 * of its old fd (another watcher of that fd stopped): the move takes effect in that
 * iteration, whose wait reports the new fd, with nothing else waking the loop (libev-ng used
 * to watch the new fd only after the loop's next wake-up; libev 4.33 never reports the new
 * fd: skipped there). */
static void
ev_io__io_set_on_an_active_watcher_found_with_the_fd_changes_is_watched_at_once (void **state)
{
  struct ev_loop *loop = *state;
  skip_on_real_libev ();
  int p[2], q[2];
  ev_io w, other;
  make_pipe (p);
  make_pipe (q);
  ev_io_init (&w, stop_self_cb, p[0], EV_READ);
  w.data = "w";
  ev_io_start (loop, &w);
  ev_io_init (&other, stop_self_cb, p[0], EV_READ);
  other.data = "other";
  ev_io_start (loop, &other);
  ev_run (loop, EVRUN_NOWAIT);
  ev_io_set (&w, q[0], EV_READ);
  ev_io_stop (loop, &other); /* the loop looks at the old fd's watchers to apply this */
  assert_int_equal (write (q[1], "x", 1), 1);
  ev_timer guard; /* only ends a wait that would not: the loop has nothing else */
  ev_timer_init (&guard, tick_cb, harness_slack (2.), 0.);
  ev_timer_start (loop, &guard);
  struct harness_mark start = harness_mark ();
  ev_run (loop, EVRUN_ONCE);
  ev_timer_stop (loop, &guard);
  expect_trace ("w:0x1");
  assert_true (harness_elapsed_unloaded (start, harness_mark ()) < 1.);
  assert_false (ev_is_active (&w));
  ev_verify (loop);
  close_pair (p);
  close_pair (q);
}

/* ---- many watchers on one fd ------------------------------------------------------------------ */

/* ev(3) ev_io: "you can register any number of watchers for the same fd".  libev-ng indexes a
 * long list of one fd's watchers (fd/io_list.h), so that starting and stopping stay O(1)
 * in any order; with random starts, stops and restarts of 200 watchers of one pipe, exactly the
 * active ones must be called for its readiness, in the order they were started (libev 4.33
 * too), and ev_verify must hold after every round. */
#define MANY 200
static int many_order[MANY], many_called;

static void
many_cb (struct ev_loop *loop, ev_io *w, int revents)
{
  (void)loop, (void)revents;
  if (many_called < MANY)
    many_order[many_called] = (int)(intptr_t)w->data;
  ++many_called;
}

static unsigned
many_rand (uint64_t *s)
{
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return (unsigned)(*s >> 11);
}

static void
many_stop (struct ev_loop *loop, ev_io *w, unsigned long *started, int i)
{
  ev_io_stop (loop, &w[i]);
  started[i] = 0;
}

static void
ev_io__many_watchers_on_one_fd_start_and_stop_in_any_order (void **state)
{
  struct ev_loop *loop = *state;
  static ev_io w[MANY];
  unsigned long started[MANY] = { 0 }, clock = 0; /* when each was started, 0: stopped */
  int p[2];
  make_pipe (p);
  for (int i = 0; i < MANY; ++i)
    {
      ev_io_init (&w[i], many_cb, p[0], EV_READ);
      w[i].data = (void *)(intptr_t)i;
    }
  uint64_t rng = 0x5eed;
  for (int round = 0; round < 80; ++round)
    {
      int ops = 1 + (int)(many_rand (&rng) % 300);
      for (int op = 0; op < ops; ++op)
        {
          int i = (int)(many_rand (&rng) % MANY);
          unsigned what = many_rand (&rng) % 40;
          if (what < 20 && !started[i])
            {
              if (what < 10)
                ev_io_set (&w[i], p[0], EV_READ); /* fresh (EV__IOFDSET) or a plain restart */
              ev_io_start (loop, &w[i]);
              started[i] = ++clock;
            }
          else if (what < 38 && started[i])
            many_stop (loop, w, started, i);
          else if (what == 38)
            {
              /* all of them, oldest first: the quadratic case of a plain list */
              for (unsigned long t = 1; t <= clock; ++t)
                for (int j = 0; j < MANY; ++j)
                  if (started[j] == t)
                    many_stop (loop, w, started, j);
            }
          else if (what == 39)
            {
              /* all of them, newest first */
              for (unsigned long u = clock; u >= 1; --u)
                for (int k = 0; k < MANY; ++k)
                  if (started[k] == u)
                    many_stop (loop, w, started, k);
            }
        }
      ev_verify (loop);

      int expected[MANY], n = 0;
      for (unsigned long t = 1; t <= clock; ++t)
        for (int j = 0; j < MANY; ++j)
          if (started[j] == t)
            expected[n++] = j;
      many_called = 0;
      assert_int_equal (write (p[1], "x", 1), 1);
      ev_run (loop, EVRUN_NOWAIT);
      char c;
      assert_int_equal (read (p[0], &c, 1), 1);
      assert_int_equal (many_called, n);
      for (int k = 0; k < n; ++k)
        assert_int_equal (many_order[k], expected[k]);
    }
  for (int i = 0; i < MANY; ++i)
    if (started[i])
      many_stop (loop, w, started, i);
  ev_verify (loop);
  close_pair (p);
}

/* The misuses that fd/fd.cc looks for, deep in a long list: a watcher re-initialised while active
 * and started again is reported (libev 4.33 makes the list a cycle and spins) ... */
static void
reinit_deep_in_a_long_list (void *arg)
{
  (void)arg;
  static ev_io w[40];
  int p[2];
  make_pipe (p);
  struct ev_loop *loop = test_loop_new ();
  for (int i = 0; i < 40; ++i)
    {
      ev_io_init (&w[i], many_cb, p[0], EV_READ);
      ev_io_start (loop, &w[i]);
    }
  ev_io_init (&w[3], many_cb, p[0], EV_READ); /* 37 watchers after it in the list */
  ev_io_start (loop, &w[3]);
  ev_run (loop, EVRUN_NOWAIT);
}

/* ... and one moved with ev_io_set while active is found where it was started when it is
 * stopped (see ev_io__io_set_on_an_active_watcher_moves_it_to_the_new_fd). */
static void
ev_io__io_set_on_an_active_watcher_deep_in_a_long_list_then_stop (void **state)
{
  struct ev_loop *loop = *state;
  skip_on_real_libev ();
  static ev_io w[40];
  int p[2], q[2];
  make_pipe (p);
  make_pipe (q);
  for (int i = 0; i < 40; ++i)
    {
      ev_io_init (&w[i], many_cb, p[0], EV_READ);
      w[i].data = (void *)(intptr_t)i;
      ev_io_start (loop, &w[i]);
    }
  ev_run (loop, EVRUN_NOWAIT);
  ev_io_stop (loop, &w[0]); /* the oldest: makes the loop index the list */
  ev_io_set (&w[2], q[0], EV_READ);
  ev_io_stop (loop, &w[2]);
  ev_verify (loop);
  many_called = 0;
  assert_int_equal (write (p[1], "x", 1), 1);
  ev_run (loop, EVRUN_NOWAIT);
  assert_int_equal (many_called, 38);
  for (int k = 0; k < 38; ++k)
    assert_int_equal (many_order[k], k < 1 ? 1 : k + 2);
  for (int i = 3; i < 40; ++i)
    ev_io_stop (loop, &w[i]);
  ev_io_stop (loop, &w[1]);
  ev_verify (loop);
  close_pair (p);
  close_pair (q);
}

/* ... and one re-initialised while active deep in a long list and started on an fd without
 * watchers (so that no list walk at the start sees it): it is still in its old list, which
 * the loop looks at before it polls (the old fd is queued), and the misuse is reported there,
 * as without the index (libev 4.33 silently loses the watchers behind it in the old list). */
static void
reinit_deep_and_start_elsewhere (void *arg)
{
  (void)arg;
  static ev_io w[40];
  int p[2], q[2];
  make_pipe (p);
  make_pipe (q);
  struct ev_loop *loop = test_loop_new ();
  for (int i = 0; i < 40; ++i)
    {
      ev_io_init (&w[i], many_cb, p[0], EV_READ);
      ev_io_start (loop, &w[i]);
    }
  ev_run (loop, EVRUN_NOWAIT);
  ev_io_stop (loop, &w[0]); /* indexes the list, and queues the fd */
  ev_io_init (&w[20], many_cb, q[0], EV_READ);
  ev_io_start (loop, &w[20]);
  ev_run (loop, EVRUN_NOWAIT);
}

static void
ev_io__reinitialising_an_active_watcher_deep_in_a_long_list_is_a_usage_error (void **state)
{
  (void)state;
  skip_on_real_libev ();
  expect_abort (reinit_deep_in_a_long_list, NULL, "libev-ng: usage error in ev_io_start (fd = ");
  expect_abort (reinit_deep_and_start_elsewhere, NULL, "libev-ng: usage error in ev_io_start (fd = ");
}

/* The index is an optimisation: when the allocator has no memory for it, long lists are walked
 * as before (ev_set_allocator; libev 4.33 allocates nothing here either, so nothing may abort). */
static void
ev_io__many_watchers_on_one_fd_without_memory_for_the_index (void **state)
{
  struct ev_loop *loop = *state;
  static ev_io w[300];
  int p[2];
  make_pipe (p);
  ev_io_init (&w[0], many_cb, p[0], EV_READ); /* the fd table and the change queue grow now */
  ev_io_start (loop, &w[0]);
  ev_run (loop, EVRUN_NOWAIT);
  ev_io_stop (loop, &w[0]);
  harness_alloc_fail_at (1);
  for (int i = 0; i < 300; ++i)
    {
      ev_io_init (&w[i], many_cb, p[0], EV_READ);
      ev_io_start (loop, &w[i]);
    }
  for (int i = 0; i < 300; ++i)
    ev_io_stop (loop, &w[i]);
  struct harness_alloc_stats st;
  harness_alloc_stats (&st);
  harness_alloc_fail_at (0);
  ev_verify (loop);
#ifndef EV_NG_SMALL /* a build for size has no index: ev(3) EV_FEATURES without bit 2 */
  if (!harness_is_real_libev ())
    assert_true (st.failed > 0); /* it did try */
#endif
  close_pair (p);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    loop_test (ev_io__start_consumes_the_fdset_flag),
    loop_test (ev_io__readable_and_writable_pipe_ends),
    loop_test (ev_io__level_triggered_until_drained),
    loop_test (ev_io__revents_are_masked_per_watcher_in_start_order),
    loop_test (ev_io__modify_changes_the_reported_events),
    loop_test (ev_io__stop_and_restart_in_the_callback),
    loop_test (ev_io__zero_event_mask_is_accepted),
    loop_test (ev_io__pipe_writer_closed_gives_read),
    loop_test (ev_io__reader_closed_makes_the_writer_ready),
    loop_test (ev_io__regular_files_and_dev_null_are_always_ready),
    loop_test (ev_io__reused_fd_number_needs_io_set),
    loop_test (ev_io__dup_of_a_watched_fd_is_independent),
    loop_test (ev_io__watcher_stopped_by_an_earlier_callback_of_its_fd_is_not_called),
    loop_test (ev_io__fd_replaced_between_two_polls),
    loop_test (ev_io__watcher_started_in_a_callback_waits_for_the_next_poll),
    loop_test (ev_io__many_fds_each_reported_once_per_iteration),
    loop_test (ev_io__fd_above_1024_works),
    loop_test (ev_io__feed_fd_event_masks_per_watcher),
    plain_test (ev_io__never_opened_fd_gets_ev_error_and_is_stopped),
    plain_test (ev_io__fd_closed_while_active_gets_ev_error_and_is_stopped),
    plain_test (ev_io__negative_fd_is_a_usage_error),
    plain_test (ev_io__illegal_event_mask_is_a_usage_error),
    plain_test (ev_io__reinitialising_an_active_watcher_is_a_usage_error),
    loop_test (ev_io__reinitialised_active_watcher_left_alone_is_dropped),
    loop_test (ev_io__io_set_on_an_active_watcher_moves_it_to_the_new_fd),
    loop_test (ev_io__start_after_io_set_on_an_active_watcher_moves_it_at_once),
    loop_test (ev_io__io_set_on_an_active_watcher_found_with_the_fd_changes_is_watched_at_once),
    loop_test (ev_io__many_watchers_on_one_fd_start_and_stop_in_any_order),
    plain_test (ev_io__reinitialising_an_active_watcher_deep_in_a_long_list_is_a_usage_error),
    loop_test (ev_io__io_set_on_an_active_watcher_deep_in_a_long_list_then_stop),
    loop_test (ev_io__many_watchers_on_one_fd_without_memory_for_the_index),
  };
  return HARNESS_RUN ("ev_io", tests);
}
