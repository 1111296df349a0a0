/* SPDX-License-Identifier: BSD-2-Clause */
/* t/backend_iouring.c - the io_uring backend (EVBACKEND_IOURING, backends/iouring.cc): it must
 * behave like the other backends - level-triggered ev_io, bad fds as EV_ERROR, timers never
 * early, fork, embedding - plus what is particular to io_uring: one-shot polls re-armed after
 * the callbacks, completions of removed polls that must neither be reported nor cut a wait
 * short, polls holding their file open, the ring growing with the number of fds, polls of an
 * exited thread, a kernel that refuses io_uring_setup, and one without multishot polls.
 *
 * Every test runs against the system libev 4.33 too (t/system-libev.sh backend_iouring):
 * where libev aborts (bad fds) the test expects that abort there; libev-ng improvements
 * (embedding: libev's io_uring loop has no fd) skip() there. */
#define _GNU_SOURCE 1
#include "harness.h"
#include "next.h"
#include "refuse.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

TRACE_REVENTS_CB (io)

static void
stop_self_cb (struct ev_loop *loop, ev_io *w, int revents)
{
  trace_add ("%s:0x%x", (const char *)w->data, (unsigned)revents);
  ev_io_stop (loop, w);
}

static void
sockets (int s[2])
{
  assert_int_equal (socketpair (AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, s), 0);
}

static void
pipes (int p[2])
{
  assert_int_equal (pipe2 (p, O_NONBLOCK | O_CLOEXEC), 0);
}

static void
close_pair (int p[2])
{
  close (p[0]);
  close (p[1]);
}

static void
put_byte (int fd)
{
  assert_int_equal (write (fd, "x", 1), 1);
}

static int
drain (int fd)
{
  char buf[256];
  int total = 0;
  ssize_t n;
  while ((n = read (fd, buf, sizeof buf)) > 0)
    total += (int)n;
  return total;
}

/* epoll_wait() as the library calls it, counted while count_waits is set. */
static int count_waits, waits;

int
epoll_wait (int epfd, struct epoll_event *events, int maxevents, int timeout)
{
  if (count_waits)
    ++waits;
  return (int)syscall (SYS_epoll_pwait, (long)epfd, events, (long)maxevents, (long)timeout, NULL, (long)8);
}

/* A loop of the io_uring backend made with LIBEV_NG_IOURING=level (backends/iouring_ring.h):
 * "6.1" acts as Debian 12's kernel, whose wait is epoll_wait (backends/iouring.cc (d)). */
static struct ev_loop *
level_loop_new (const char *level)
{
  const char *old = getenv ("LIBEV_NG_IOURING");
  char *saved = old ? strdup (old) : NULL;
  setenv ("LIBEV_NG_IOURING", level, 1);
  struct ev_loop *loop = ev_loop_new (EVBACKEND_IOURING | EVFLAG_NOENV);
  if (saved)
    setenv ("LIBEV_NG_IOURING", saved, 1);
  else
    unsetenv ("LIBEV_NG_IOURING");
  free (saved);
  assert_non_null (loop);
  assert_int_equal (ev_backend (loop), EVBACKEND_IOURING);
  return loop;
}

/* ---- selection ------------------------------------------------------------------------------ */

static void
iouring__supported_embeddable_but_not_recommended (void **state)
{
  (void)state;
  assert_int_equal (ev_supported_backends () & EVBACKEND_IOURING, EVBACKEND_IOURING);
  assert_int_equal (ev_recommended_backends () & EVBACKEND_IOURING, 0);
  assert_int_equal (ev_embeddable_backends () & EVBACKEND_IOURING, EVBACKEND_IOURING);
  /* libev 4.33 on Linux: 0x87 and 0x07 */
  assert_int_equal (ev_supported_backends (), 0x87);
  assert_int_equal (ev_recommended_backends (), 0x07);
}

static void
iouring__chosen_only_when_requested_and_then_first (void **state)
{
  (void)state;
  static const struct
  {
    unsigned flags, backend;
  } cases[] = {
    { 0, EVBACKEND_EPOLL },
    { EVBACKEND_IOURING, EVBACKEND_IOURING },
    { EVBACKEND_IOURING | EVBACKEND_EPOLL, EVBACKEND_IOURING },
    { EVBACKEND_IOURING | EVBACKEND_POLL | EVBACKEND_SELECT, EVBACKEND_IOURING },
    { EVBACKEND_ALL, EVBACKEND_IOURING },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i)
    {
      struct ev_loop *loop = ev_loop_new (cases[i].flags | EVFLAG_NOENV);
      assert_non_null (loop);
      assert_int_equal (ev_backend (loop), cases[i].backend);
      ev_loop_destroy (loop);
    }
}

/* A seccomp filter makes io_uring_setup fail (as kernel.io_uring_disabled=2 or a container
 * profile would): no io_uring loop, the others fall back.  Runs in a child (filters stay). */
struct refused_report
{
  int only_iouring_is_null;
  unsigned fallback_backend;
  unsigned default_backend;
};
static struct refused_report *refused;

static void
refused_child (void *arg)
{
  (void)arg;
  const long nrs[] = { __NR_io_uring_setup };
  if (refuse_syscalls (nrs, 1, EPERM) < 0)
    _exit (5);

  struct ev_loop *loop = ev_loop_new (EVBACKEND_IOURING | EVFLAG_NOENV);
  refused->only_iouring_is_null = loop == NULL;
  if (loop)
    ev_loop_destroy (loop);
  loop = ev_loop_new (EVBACKEND_IOURING | EVBACKEND_EPOLL | EVFLAG_NOENV);
  refused->fallback_backend = loop ? ev_backend (loop) : 0;
  if (loop)
    ev_loop_destroy (loop);
  loop = ev_loop_new (EVFLAG_NOENV);
  refused->default_backend = loop ? ev_backend (loop) : 0;
  if (loop)
    ev_loop_destroy (loop);
}

static void
iouring__refused_setup_means_no_loop_or_a_fallback (void **state)
{
  (void)state;
  struct harness_child c;
  refused = harness_shared_new (sizeof *refused);
  harness_child_run (refused_child, NULL, 10, &c);
  struct refused_report r = *refused;
  harness_shared_free (refused, sizeof *refused);
  if (!c.exited || c.status != 0)
    fail_msg ("child: %s %d, stderr: %s", c.exited ? "status" : "signal", c.exited ? c.status : c.signo, c.err);
  assert_int_equal (r.only_iouring_is_null, 1);
  assert_int_equal (r.fallback_backend, EVBACKEND_EPOLL);
  assert_int_equal (r.default_backend, EVBACKEND_EPOLL);
}

/* A seccomp filter that allows io_uring_setup but refuses io_uring_enter (some container
 * profiles do): the ring would be useless, so creation fails and the next backend asked for
 * is used.  An earlier libev-ng made an io_uring loop that aborted at its first wait, or with
 * a syserr callback that returns, called it about 400,000 times a second. */
static void
refused_enter_child (void *arg)
{
  (void)arg;
  const long nrs[] = { __NR_io_uring_enter };
  if (refuse_syscalls (nrs, 1, EPERM) < 0)
    _exit (5);
  struct ev_loop *loop = ev_loop_new (EVBACKEND_IOURING | EVFLAG_NOENV);
  refused->only_iouring_is_null = loop == NULL;
  if (loop)
    ev_loop_destroy (loop);
  loop = ev_loop_new (EVBACKEND_IOURING | EVBACKEND_EPOLL | EVFLAG_NOENV);
  refused->fallback_backend = loop ? ev_backend (loop) : 0;
  if (loop)
    ev_loop_destroy (loop);
}

static void
iouring__refused_enter_means_no_loop_or_a_fallback (void **state)
{
  (void)state;
  skip_on_real_libev (); /* libev 4.33 makes the loop and aborts in it */
  struct harness_child c;
  refused = harness_shared_new (sizeof *refused);
  harness_child_run (refused_enter_child, NULL, 10, &c);
  struct refused_report r = *refused;
  harness_shared_free (refused, sizeof *refused);
  if (!c.exited || c.status != 0)
    fail_msg ("child: %s %d, stderr: %s", c.exited ? "status" : "signal", c.exited ? c.status : c.signo, c.err);
  assert_int_equal (r.only_iouring_is_null, 1);
  assert_int_equal (r.fallback_backend, EVBACKEND_EPOLL);
}

/* The ring fd must not leak into exec'd programs. */
static void
iouring__ring_fd_is_close_on_exec (void **state)
{
  (void)state;
  int before = harness_open_fds ();
  struct ev_loop *loop = test_loop_new ();
  int found = 0;
  for (int fd = 0; fd < 1024; ++fd)
    {
      char path[64], link[128];
      snprintf (path, sizeof path, "/proc/self/fd/%d", fd);
      ssize_t n = readlink (path, link, sizeof link - 1);
      if (n <= 0)
        continue;
      link[n] = 0;
      if (strstr (link, "io_uring"))
        {
          ++found;
          assert_true (fcntl (fd, F_GETFD) & FD_CLOEXEC);
        }
    }
  assert_true (found >= 1);
  ev_loop_destroy (loop);
  assert_int_equal (harness_open_fds (), before);
}

/* ---- readiness ------------------------------------------------------------------------------ */

/* One-shot polls, re-armed while watched: data left unread is reported again in every
 * iteration, read data is not (no stale completion from before the callback read it). */
static void
iouring__level_triggered_read_and_write (void **state)
{
  struct ev_loop *loop = *state;
  int p[2];
  ev_io r, w;
  pipes (p);
  ev_io_init (&r, trace_io_revents_cb, p[0], EV_READ);
  r.data = "r";
  ev_io_init (&w, stop_self_cb, p[1], EV_WRITE);
  w.data = "w";
  ev_io_start (loop, &r);
  ev_io_start (loop, &w);
  ev_run (loop, EVRUN_NOWAIT);
  expect_trace ("w:0x2");
  ev_run (loop, EVRUN_NOWAIT);
  expect_trace_empty ();

  put_byte (p[1]);
  for (int i = 0; i < 3; ++i)
    {
      ev_run (loop, EVRUN_NOWAIT);
      expect_trace ("r:0x1");
    }
  assert_int_equal (drain (p[0]), 1);
  ev_run (loop, EVRUN_NOWAIT);
  ev_run (loop, EVRUN_NOWAIT);
  expect_trace_empty ();

  /* consumed inside the callback: not reported again either */
  put_byte (p[1]);
  ev_run (loop, EVRUN_NOWAIT);
  expect_trace ("r:0x1");
  drain (p[0]);
  ev_run (loop, EVRUN_NOWAIT);
  expect_trace_empty ();

  ev_io_stop (loop, &r);
  close_pair (p);
}

static void
read_once_cb (struct ev_loop *loop, ev_io *w, int revents)
{
  (void)loop;
  trace_add ("%s:0x%x:%d", (const char *)w->data, (unsigned)revents, drain (w->fd));
}

/* A blocking ev_run wakes for data written by another process while it waits. */
static void
iouring__wakes_up_for_data_from_another_process (void **state)
{
  struct ev_loop *loop = *state;
  int p[2];
  ev_io r;
  pipes (p);
  ev_io_init (&r, read_once_cb, p[0], EV_READ);
  r.data = "r";
  ev_io_start (loop, &r);
  /* before the fork: the child writes 50 ms after it at the earliest, however late the parent
     runs again */
  double t0 = harness_monotonic ();
  pid_t pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      usleep (50000);
      _exit (write (p[1], "x", 1) == 1 ? 0 : 1);
    }
  ev_run (loop, EVRUN_ONCE);
  double t1 = harness_monotonic ();
  expect_trace ("r:0x1:1");
  assert_true (t1 - t0 >= 0.03);
  assert_true (t1 - t0 < harness_slack (2.));
  int st;
  assert_int_equal (waitpid (pid, &st, 0), pid);
  ev_io_stop (loop, &r);
  close_pair (p);
}

/* Several watchers on one fd: each gets its own share, in the same order as with epoll. */
static void
several_watchers_scene (struct ev_loop *loop)
{
  int s[2];
  ev_io a, b, c;
  sockets (s);
  ev_io_init (&a, trace_io_revents_cb, s[0], EV_READ);
  a.data = "a";
  ev_io_init (&b, trace_io_revents_cb, s[0], EV_WRITE);
  b.data = "b";
  ev_io_init (&c, trace_io_revents_cb, s[0], EV_READ | EV_WRITE);
  c.data = "c";
  ev_io_start (loop, &a);
  ev_io_start (loop, &b);
  ev_io_start (loop, &c);
  ev_run (loop, EVRUN_NOWAIT);
  trace_add ("|");
  put_byte (s[1]);
  ev_run (loop, EVRUN_NOWAIT);
  trace_add ("|");
  ev_io_stop (loop, &b);
  ev_run (loop, EVRUN_NOWAIT);
  trace_add ("|");
  /* the peer goes away: hang-up makes the fd readable and writable */
  drain (s[0]);
  close (s[1]);
  ev_run (loop, EVRUN_NOWAIT);
  ev_io_stop (loop, &a);
  ev_io_stop (loop, &c);
  close (s[0]);
}

static void
iouring__several_watchers_per_fd_like_epoll (void **state)
{
  struct ev_loop *loop = *state;
  struct ev_loop *ref = ev_loop_new (EVBACKEND_EPOLL | EVFLAG_NOENV);
  assert_non_null (ref);
  several_watchers_scene (ref);
  char expected[512];
  snprintf (expected, sizeof expected, "%s", trace_get ());
  trace_reset ();
  ev_loop_destroy (ref);
  assert_string_equal (expected, "b:0x2,c:0x2,|,a:0x1,b:0x2,c:0x3,|,a:0x1,c:0x3,|,a:0x1,c:0x3");

  several_watchers_scene (loop);
  expect_trace (expected);
}

/* Start, stop and modify before the loop runs: only the final state reaches the kernel. */
static void
iouring__start_stop_modify_within_one_iteration (void **state)
{
  struct ev_loop *loop = *state;
  int s[2];
  ev_io w;
  sockets (s);
  put_byte (s[1]); /* s[0] is readable and writable */
  ev_io_init (&w, trace_io_revents_cb, s[0], EV_READ);
  w.data = "w";
  ev_io_start (loop, &w);
  ev_io_stop (loop, &w);
  ev_run (loop, EVRUN_NOWAIT);
  expect_trace_empty ();

  ev_io_start (loop, &w);
  ev_io_stop (loop, &w);
  ev_io_set (&w, s[0], EV_WRITE);
  ev_io_start (loop, &w);
  ev_run (loop, EVRUN_NOWAIT);
  expect_trace ("w:0x2");

  /* armed for WRITE now; READ instead, within one iteration */
  ev_io_stop (loop, &w);
  ev_io_modify (&w, EV_READ);
  ev_io_start (loop, &w);
  ev_run (loop, EVRUN_NOWAIT);
  expect_trace ("w:0x1");
  ev_io_stop (loop, &w);
  ev_run (loop, EVRUN_NOWAIT);
  expect_trace_empty ();
  close_pair (s);
}

static void
flip_to_read_cb (struct ev_loop *loop, ev_io *w, int revents)
{
  trace_add ("%s:0x%x", (const char *)w->data, (unsigned)revents);
  ev_io_stop (loop, w);
  ev_io_modify (w, EV_READ);
  ev_io_start (loop, w);
}

/* A callback changes its own events: the next iteration waits for the new ones only. */
static void
iouring__callback_modifies_its_watcher (void **state)
{
  struct ev_loop *loop = *state;
  int s[2];
  ev_io w;
  sockets (s);
  ev_io_init (&w, flip_to_read_cb, s[0], EV_WRITE);
  w.data = "w";
  ev_io_start (loop, &w);
  ev_run (loop, EVRUN_NOWAIT);
  expect_trace ("w:0x2");
  ev_run (loop, EVRUN_NOWAIT);
  ev_run (loop, EVRUN_NOWAIT);
  expect_trace_empty ();
  put_byte (s[1]);
  ev_run (loop, EVRUN_NOWAIT);
  expect_trace ("w:0x1");
  ev_io_stop (loop, &w);
  close_pair (s);
}

/* ev_io_set on a number that now names another file: the old file's poll must neither report
 * events nor keep the old file open. */
static void
iouring__fd_reuse_with_ev_io_set (void **state)
{
  struct ev_loop *loop = *state;
  int a[2], b[2];
  ev_io w;
  pipes (a);
  ev_io_init (&w, trace_io_revents_cb, a[0], EV_READ);
  w.data = "w";
  ev_io_start (loop, &w);
  ev_run (loop, EVRUN_NOWAIT); /* a poll on the old file is armed */
  expect_trace_empty ();

  /* a[0]'s number becomes the read end of pipe b, while the watcher is stopped */
  ev_io_stop (loop, &w);
  pipes (b);
  int num = a[0];
  assert_int_equal (dup3 (b[0], num, O_CLOEXEC), num);
  close (b[0]);
  ev_io_set (&w, num, EV_READ);
  ev_io_start (loop, &w);
  ev_run (loop, EVRUN_NOWAIT);
  expect_trace_empty ();

  /* the old pipe is closed for real: its writer sees EPIPE, and writing into it wakes nobody */
  signal (SIGPIPE, SIG_IGN);
  assert_int_equal (write (a[1], "x", 1), -1);
  assert_int_equal (errno, EPIPE);
  ev_run (loop, EVRUN_NOWAIT);
  expect_trace_empty ();

  put_byte (b[1]);
  ev_run (loop, EVRUN_NOWAIT);
  expect_trace ("w:0x1");
  ev_io_stop (loop, &w);
  close (num);
  close (a[1]);
  close (b[1]);
}

/* A poll holds its file: a watcher stopped before its fd is closed releases the file in the
 * next iteration (libev 4.33 the same); one stopped by its own callback at once. */
static void
iouring__closed_file_released_by_the_next_iteration (void **state)
{
  struct ev_loop *loop = *state;
  int s[2];
  char c;
  ev_io w;
  sockets (s);
  ev_io_init (&w, trace_io_revents_cb, s[0], EV_READ);
  w.data = "w";
  ev_io_start (loop, &w);
  ev_run (loop, EVRUN_NOWAIT);
  ev_io_stop (loop, &w);
  close (s[0]);
  ev_run (loop, EVRUN_NOWAIT);
  assert_int_equal (read (s[1], &c, 1), 0); /* EOF: the peer is gone */
  close (s[1]);
  expect_trace_empty ();
}

/* ev(3) ev_io, "The special problem of dup'ed file descriptors": a number closed and reused
 * while a forked child still holds the old file.  The old file's registration in the set
 * (backends/iouring.cc (b)) lives on with it; what it reports is not the watcher's, which
 * hears only the file now under the number. */
static void
iouring__number_reused_while_a_child_holds_the_old_file_hears_only_the_new (void **state)
{
  struct ev_loop *loop = *state;
  int a[2], b[2], go[2];
  ev_io w;
  pipes (a);
  pipes (go);
  ev_io_init (&w, trace_io_revents_cb, a[0], EV_READ);
  w.data = "w";
  ev_io_start (loop, &w);
  ev_run (loop, EVRUN_NOWAIT); /* registered for the old file */
  pid_t child = fork ();
  assert_true (child >= 0);
  if (child == 0)
    {
      char c;
      close (go[1]);
      while (read (go[0], &c, 1) < 0 && errno == EAGAIN)
        usleep (1000);
      _exit (0); /* held a[0] until now */
    }
  close (go[0]);

  /* stopped for an iteration (the registration stays), the number reused for pipe b */
  ev_io_stop (loop, &w);
  ev_run (loop, EVRUN_NOWAIT);
  int num = a[0];
  pipes (b);
  assert_int_equal (dup3 (b[0], num, O_CLOEXEC), num);
  close (b[0]);
  ev_io_set (&w, num, EV_READ);
  ev_io_start (loop, &w);
  ev_run (loop, EVRUN_NOWAIT);
  expect_trace_empty ();

  put_byte (a[1]); /* the old file, open in the child */
  for (int i = 0; i < 3; ++i)
    ev_run (loop, EVRUN_NOWAIT);
  expect_trace_empty ();

  put_byte (b[1]);
  ev_run (loop, EVRUN_NOWAIT);
  expect_trace ("w:0x1");
  assert_int_equal (drain (num), 1);
  ev_run (loop, EVRUN_NOWAIT);
  expect_trace_empty ();

  ev_io_stop (loop, &w);
  close (go[1]);
  assert_int_equal (waitpid (child, NULL, 0), child);
  close (num);
  close (a[1]);
  close (b[1]);
}

/* The numbers of the loop's anonymous files named `what` ("[io_uring]", "[eventpoll]") that
 * are not in `before` (n of them); at most `max` go to out.  Returns how many. */
static int
anon_fds (const char *what, int *out, int max, const int *before, int n)
{
  char path[64], target[64];
  int found = 0;
  for (int fd = 0; fd < 1024 && found < max; ++fd)
    {
      snprintf (path, sizeof path, "/proc/self/fd/%d", fd);
      ssize_t len = readlink (path, target, sizeof target - 1);
      if (len <= 0)
        continue;
      target[len] = 0;
      if (!strstr (target, what))
        continue;
      int old = 0;
      for (int i = 0; i < n; ++i)
        old |= before[i] == fd;
      if (!old)
        out[found++] = fd;
    }
  return found;
}

/* ev(3) ev_io, "The special problem of disappearing file descriptors", for the loop's own: the
 * ring's fd, or its set, closed behind the loop's back, or closed and its number another
 * file's now, is replaced as epoll replaces its set (backends/epoll.cc (h),
 * iouring_life.cc (k), iouring.cc (e)): the watchers armed before and those started after
 * hear their fds, and none gets EV_ERROR for it. */
static void
backend_fd_lost_scene (const char *what, int reuse)
{
  int before[16], nb = anon_fds ("[", before, 16, NULL, 0);
  struct ev_loop *loop = ev_loop_new (EVBACKEND_IOURING | EVFLAG_NOENV);
  assert_non_null (loop);
  int mine[4];
  if (anon_fds (what, mine, 4, before, nb) != 1)
    {
      ev_loop_destroy (loop); /* libev 4.33 has no set */
      return;
    }
  int p[2], q[2], other[2] = { -1, -1 };
  ev_io a, b;
  pipes (p);
  pipes (q);
  ev_io_init (&a, trace_io_revents_cb, p[0], EV_READ);
  a.data = "a";
  ev_io_start (loop, &a);
  ev_run (loop, EVRUN_NOWAIT);

  close (mine[0]); /* behind the loop's back */
  if (reuse)
    {
      pipes (other); /* (the lowest number: likely the one just closed) */
      if (other[0] != mine[0])
        {
          assert_int_equal (dup3 (other[0], mine[0], O_CLOEXEC), mine[0]);
          close (other[0]);
          other[0] = mine[0];
        }
    }
  ev_io_init (&b, trace_io_revents_cb, q[0], EV_READ);
  b.data = "b";
  ev_io_start (loop, &b);
  for (int i = 0; i < 3; ++i)
    ev_run (loop, EVRUN_NOWAIT);
  expect_trace_empty ();

  for (int round = 0; round < 2; ++round)
    {
      put_byte (p[1]);
      ev_run (loop, EVRUN_NOWAIT);
      expect_trace ("a:0x1");
      assert_int_equal (drain (p[0]), 1);
      put_byte (q[1]);
      ev_run (loop, EVRUN_NOWAIT);
      expect_trace ("b:0x1");
      assert_int_equal (drain (q[0]), 1);
    }

  ev_io_stop (loop, &a);
  ev_io_stop (loop, &b);
  ev_loop_destroy (loop);
  if (reuse)
    close_pair (other);
  close_pair (p);
  close_pair (q);
}

static void
iouring__backend_fd_closed_behind_the_loops_back_is_replaced (void **state)
{
  (void)state;
  skip_on_real_libev ();
  backend_fd_lost_scene ("[eventpoll]", 0);
  backend_fd_lost_scene ("[eventpoll]", 1);
  backend_fd_lost_scene ("[io_uring]", 0);
  backend_fd_lost_scene ("[io_uring]", 1);
}

/* A program's watcher on the ring's own fd hears what the ring polls as (writable), as with
 * libev 4.33. */
static void
iouring__a_watcher_on_the_rings_own_fd_hears_it_writable (void **state)
{
  (void)state;
  int before[16], nb = anon_fds ("[", before, 16, NULL, 0);
  struct ev_loop *loop = ev_loop_new (EVBACKEND_IOURING | EVFLAG_NOENV);
  assert_non_null (loop);
  int ring;
  assert_int_equal (anon_fds ("[io_uring]", &ring, 1, before, nb), 1);
  ev_io w;
  ev_io_init (&w, trace_io_revents_cb, ring, EV_WRITE);
  w.data = "w";
  ev_io_start (loop, &w);
  ev_run (loop, EVRUN_NOWAIT);
  expect_trace ("w:0x2");
  ev_run (loop, EVRUN_NOWAIT);
  expect_trace ("w:0x2");
  ev_io_stop (loop, &w);
  ev_loop_destroy (loop);
}

/* Regular files are always ready (as with epoll). */
static void
iouring__regular_file_always_ready (void **state)
{
  struct ev_loop *loop = *state;
  char path[] = "/tmp/ev-iouring-XXXXXX";
  int fd = mkostemp (path, O_CLOEXEC);
  assert_true (fd >= 0);
  unlink (path);
  ev_io r, w;
  ev_io_init (&r, trace_io_revents_cb, fd, EV_READ);
  r.data = "r";
  ev_io_init (&w, trace_io_revents_cb, fd, EV_WRITE);
  w.data = "w";
  ev_io_start (loop, &r);
  ev_io_start (loop, &w);
  ev_run (loop, EVRUN_NOWAIT);
  expect_trace ("r:0x1,w:0x2");
  ev_run (loop, EVRUN_NOWAIT);
  expect_trace ("r:0x1,w:0x2");
  ev_io_stop (loop, &r);
  ev_io_stop (loop, &w);
  close (fd);
}

/* ---- bad fds ---------------------------------------------------------------------------------- */

struct bad_report
{
  int calls[2];
  int revents[2];
  int active_in_cb[2];
  int control_calls;
};
static struct bad_report *bad;
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

static void
guard_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)w, (void)revents;
  ev_break (loop, EVBREAK_ALL);
}

static int guard_ticks;

/* Ticks every 50 ms (wake-ups for the closed-fd sweep), gives up after 2 s. */
static void
ticker_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)w, (void)revents;
  if (++guard_ticks == 40)
    ev_break (loop, EVBREAK_ALL);
}

/* Watchers for READ and WRITE on fd, a healthy watcher elsewhere, an unreferenced ticker;
 * runs until no watcher is left.  With close_after_arming, the watchers' poll is armed
 * first, then fd (and `other`, if not -1) is closed behind the loop's back. */
static int ctl[2]; /* the healthy watcher's pipe */

static void
bad_fd_scene (struct ev_loop *loop, int fd, int close_after_arming, int other)
{
  ev_io control;
  ev_timer ticker;
  ev_io_init (&bad_w[0], bad_cb, fd, EV_READ);
  ev_io_init (&bad_w[1], bad_cb, fd, EV_WRITE);
  ev_io_start (loop, &bad_w[0]);
  ev_io_start (loop, &bad_w[1]);
  if (close_after_arming)
    {
      ev_run (loop, EVRUN_NOWAIT);
      memset (bad, 0, sizeof *bad);
      close (fd);
      if (other >= 0)
        close (other); /* the pipe's other end: the armed poll sees a hang-up */
    }
  ev_io_init (&control, control_cb, ctl[0], EV_READ);
  ev_io_start (loop, &control);
  guard_ticks = 0;
  ev_timer_init (&ticker, ticker_cb, 0.05, 0.05);
  ev_timer_start (loop, &ticker);
  ev_unref (loop);
  ev_run (loop, 0);
  ev_ref (loop);
  ev_timer_stop (loop, &ticker);
  ev_loop_destroy (loop);
}

/* The loop and the healthy pipe come first: neither may take the bad fd's number. */
static struct ev_loop *
bad_loop_new (void)
{
  struct ev_loop *loop = ev_loop_new (EVBACKEND_IOURING | EVFLAG_NOENV);
  if (!loop || pipe (ctl) || write (ctl[1], "x", 1) != 1)
    _exit (4);
  return loop;
}

static void
never_opened_child (void *arg)
{
  (void)arg;
  struct ev_loop *loop = bad_loop_new ();
  bad_fd_scene (loop, harness_unused_fd (), 0, -1);
}

static void
closed_while_armed_child (void *arg)
{
  (void)arg;
  struct ev_loop *loop = bad_loop_new ();
  int p[2];
  if (pipe (p))
    _exit (4);
  bad_fd_scene (loop, p[0], 1, -1);
  close (p[1]);
}

static void
closed_with_hangup_child (void *arg)
{
  (void)arg;
  struct ev_loop *loop = bad_loop_new ();
  int p[2];
  if (pipe (p))
    _exit (4);
  bad_fd_scene (loop, p[0], 1, p[1]);
}

static void
expect_bad_fd_killed (void (*scenario) (void *))
{
  if (harness_is_real_libev ())
    {
      /* libev 4.33 aborts when the kernel rejects the fd */
      bad = harness_shared_new (sizeof *bad);
      expect_abort (scenario, NULL, "libev: event loop rejected bad fd");
      harness_shared_free (bad, sizeof *bad);
      return;
    }
  struct harness_child c;
  bad = harness_shared_new (sizeof *bad);
  harness_child_run (scenario, NULL, 10, &c);
  struct bad_report r = *bad;
  harness_shared_free (bad, sizeof *bad);
  if (!c.exited || c.status != 0)
    fail_msg ("child: %s %d, stderr: %s", c.exited ? "status" : "signal", c.exited ? c.status : c.signo, c.err);
  for (int i = 0; i < 2; ++i)
    {
      assert_int_equal (r.calls[i], 1);
      assert_int_equal ((unsigned)r.revents[i], (unsigned)(EV_ERROR | EV_READ | EV_WRITE));
      assert_int_equal (r.active_in_cb[i], 0);
    }
  assert_int_equal (r.control_calls, 1);
}

static void
iouring__never_opened_fd_gets_ev_error (void **state)
{
  (void)state;
  expect_bad_fd_killed (never_opened_child);
}

/* Closed behind the loop's back while its poll is armed: the poll keeps the file alive, so
 * nothing happens on it; the closed-fd sweep finds the number closed. */
static void
iouring__fd_closed_while_armed_gets_ev_error (void **state)
{
  (void)state;
  if (harness_is_real_libev ())
    skip (); /* libev 4.33: the watchers wait forever (the guard ends the run) */
  expect_bad_fd_killed (closed_while_armed_child);
}

/* ... and when the armed poll then reports the hang-up of the other end, the watchers get
 * EV_ERROR, not a hang-up of a file nobody can read any more. */
static void
iouring__fd_closed_then_hung_up_gets_ev_error_once (void **state)
{
  (void)state;
  expect_bad_fd_killed (closed_with_hangup_child);
}

/* ---- timers and waiting ------------------------------------------------------------------------ */

static double fired_at;
static struct harness_mark fired;

static void
record_time_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)loop, (void)w, (void)revents;
  fired = harness_mark ();
  fired_at = fired.at;
}

/* Never early, and not late beyond the time the thread waited for a CPU meanwhile (the
 * machine's part of the lateness, not the loop's). */
static void
iouring__timers_never_early (void **state)
{
  struct ev_loop *loop = *state;
  static const double delays[] = { 0.0002, 0.0009, 0.001, 0.0031, 0.0123, 0.05, 0.1 };
  for (size_t i = 0; i < sizeof delays / sizeof delays[0]; ++i)
    for (int rep = 0; rep < 3; ++rep)
      {
        ev_timer t;
        ev_timer_init (&t, record_time_cb, delays[i], 0.);
        struct harness_mark t0 = harness_mark (); /* before ev_now_update: t0 <= the loop's now */
        ev_now_update (loop);
        ev_timer_start (loop, &t);
        fired_at = 0.;
        while (!fired_at)
          ev_run (loop, EVRUN_ONCE);
        if (fired_at < t0.at + delays[i])
          fail_msg ("timer of %g s fired %g s early", delays[i], t0.at + delays[i] - fired_at);
        const double late = fired_at - t0.at - delays[i], waited = fired.waited - t0.waited;
        if (late - waited >= harness_slack (0.05))
          fail_msg ("timer of %g s fired %g s late, %g s of it waiting for a CPU", delays[i], late, waited);
      }
}

static void
toggle_prepare_cb (struct ev_loop *loop, ev_prepare *p, int revents)
{
  (void)revents;
  ev_io *w = p->data;
  if (ev_is_active (w))
    ev_io_stop (loop, w);
  else
    ev_io_start (loop, w);
}

/* Removing an armed poll makes the kernel post completions for the removal; they must not end
 * the wait: one EVRUN_ONCE iteration still blocks until the timer is due. */
static void
iouring__removed_polls_do_not_cut_the_wait_short (void **state)
{
  struct ev_loop *loop = *state;
  skip_on_real_libev (); /* libev 4.33: the iteration ends early, the timer fires in a later one */
  int p[2];
  ev_io w;
  ev_prepare prep;
  ev_timer t;
  pipes (p);
  ev_io_init (&w, trace_io_revents_cb, p[0], EV_READ);
  w.data = "w";
  ev_io_start (loop, &w);
  ev_run (loop, EVRUN_NOWAIT); /* armed */
  ev_prepare_init (&prep, toggle_prepare_cb);
  prep.data = &w;
  ev_prepare_start (loop, &prep);
  for (int i = 0; i < 4; ++i)
    {
      ev_timer_init (&t, record_time_cb, 0.05, 0.);
      double t0 = harness_monotonic ();
      ev_now_update (loop);
      ev_timer_start (loop, &t);
      fired_at = 0.;
      unsigned before = ev_iteration (loop);
      ev_run (loop, EVRUN_ONCE);
      assert_int_equal (ev_iteration (loop) - before, 1);
      assert_true (fired_at >= t0 + 0.05);
      assert_int_equal (ev_is_active (&w), i % 2);
    }
  expect_trace_empty ();
  ev_prepare_stop (loop, &prep);
  ev_io_stop (loop, &w);
  close_pair (p);
}

static void
quiet_handler (int signum)
{
  (void)signum;
}

/* A signal whose handler (no SA_RESTART) interrupts the wait ends the iteration, as an
 * interrupted epoll_wait does, also when the enter that waited submitted requests (its result
 * is then their count, not EINTR): a program that sets a flag in the handler and looks at it
 * in a check watcher sees it at once, not at the next timer. */
static void
iouring__a_signal_ends_a_wait_that_submitted_requests (void **state)
{
  struct ev_loop *loop = *state;
  skip_on_real_libev ();
  skip_where_valgrind_holds_wakeups ();
  int p[2];
  ev_io w;
  ev_prepare prep;
  ev_timer t;
  pipes (p);
  ev_io_init (&w, trace_io_revents_cb, p[0], EV_READ);
  w.data = "w";
  ev_io_start (loop, &w);
  ev_run (loop, EVRUN_NOWAIT); /* armed */
  ev_prepare_init (&prep, toggle_prepare_cb); /* a change to submit in every poll */
  prep.data = &w;
  ev_prepare_start (loop, &prep);
  struct sigaction sa, old_sa;
  memset (&sa, 0, sizeof sa);
  sa.sa_handler = quiet_handler;
  sigaction (SIGALRM, &sa, &old_sa);
  for (int i = 0; i < 4; ++i)
    {
      ev_timer_init (&t, record_time_cb, 1.0, 0.);
      ev_now_update (loop);
      ev_timer_start (loop, &t);
      fired_at = 0.;
      double t0 = harness_monotonic ();
      /* every 50 ms: on a loaded machine the first can come before the wait has begun */
      struct itimerval it = { { 0, 50000 }, { 0, 50000 } }, off = { { 0, 0 }, { 0, 0 } };
      setitimer (ITIMER_REAL, &it, NULL);
      ev_run (loop, EVRUN_ONCE);
      double took = harness_monotonic () - t0;
      setitimer (ITIMER_REAL, &off, NULL);
      ev_timer_stop (loop, &t);
      if (fired_at != 0. || took >= 0.5)
        fail_msg ("round %d: the interrupted wait went on for %.3f s (timer fired: %d)", i, took, fired_at != 0.);
    }
  sigaction (SIGALRM, &old_sa, NULL);
  expect_trace_empty ();
  ev_prepare_stop (loop, &prep);
  ev_io_stop (loop, &w);
  close_pair (p);
}

static int releases, acquires;

static void
release_cb (struct ev_loop *loop) EV_NOEXCEPT
{
  (void)loop;
  ++releases;
}

static void
acquire_cb (struct ev_loop *loop) EV_NOEXCEPT
{
  (void)loop;
  ++acquires;
}

/* The release/acquire hooks: one pair around each poll, as libev does for io_uring. */
static void
iouring__release_acquire_once_per_iteration (void **state)
{
  struct ev_loop *loop = *state;
  int p[2];
  ev_io r;
  pipes (p);
  ev_set_loop_release_cb (loop, release_cb, acquire_cb);
  releases = acquires = 0;
  ev_io_init (&r, trace_io_revents_cb, p[0], EV_READ);
  r.data = "r";
  ev_io_start (loop, &r);
  for (int i = 0; i < 3; ++i)
    ev_run (loop, EVRUN_NOWAIT);
  assert_int_equal (releases, 3);
  assert_int_equal (acquires, 3);
  put_byte (p[1]);
  ev_run (loop, EVRUN_ONCE);
  expect_trace ("r:0x1");
  assert_int_equal (releases, 4);
  assert_int_equal (acquires, 4);
  ev_io_stop (loop, &r);
  ev_set_loop_release_cb (loop, NULL, NULL);
  close_pair (p);
}

static void
sigusr1_cb (struct ev_loop *loop, ev_signal *w, int revents)
{
  (void)loop, (void)w;
  trace_add ("sig:0x%x", (unsigned)revents);
}

/* A signal arriving while the loop waits in io_uring_enter: the handler's wake-up completes
 * the wait, and the signal watcher is invoked in the same iteration (libev 4.33 too).  Where
 * the wait is epoll_wait (backends/iouring.cc (d)), the interrupted iteration ends first, as
 * with epoll, and the next one invokes it. */
static void
iouring__signal_while_waiting (void **state)
{
  (void)state;
  /* valgrind 3.19 holds signals back until io_uring_enter returns (libev 4.33 the same) */
  if (harness_under_valgrind ())
    skip ();
  struct ev_loop *loop = test_loop_new ();
  ev_signal s;
  ev_timer guard;
  ev_signal_init (&s, sigusr1_cb, SIGUSR1);
  ev_signal_start (loop, &s);
  ev_timer_init (&guard, guard_cb, harness_slack (3.), 0.);
  ev_timer_start (loop, &guard);
  pid_t parent = getpid ();
  pid_t pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      usleep (50000);
      kill (parent, SIGUSR1);
      _exit (0);
    }
  struct harness_mark t0 = harness_mark ();
  waits = 0;
  count_waits = 1;
  ev_run (loop, EVRUN_ONCE);
  count_waits = 0;
  if (waits && !*trace_get ())
    ev_run (loop, EVRUN_ONCE);
  assert_true (harness_elapsed_unloaded (t0, harness_mark ()) < harness_slack (2.));
  expect_trace ("sig:0x400");
  int st;
  waitpid (pid, &st, 0);
  ev_timer_stop (loop, &guard);
  ev_signal_stop (loop, &s);
  ev_loop_destroy (loop);
}

/* ---- many fds ---------------------------------------------------------------------------------- */

enum { kPairs = 1000 };

static int *calls;


static void
count_cb (struct ev_loop *loop, ev_io *w, int revents)
{
  (void)loop;
  int i = (int)(intptr_t)w->data;
  calls[i] += revents == EV_READ ? 1 : revents == EV_WRITE ? 1000 : 1000000;
}

/* 2000 fds: far more events at once than the first wait takes (the buffer grows, and the same
 * poll takes the rest); every watcher sees exactly its events. */
static void
iouring__a_thousand_socketpairs (void **state)
{
  struct ev_loop *loop = *state;
  /* libev 4.33: 64 of the 2000 watchers are called once, the others never */
  skip_on_real_libev ();
  need_fds (2 * kPairs + 100);
  int (*s)[2] = calloc (kPairs, sizeof *s);
  ev_io *w = calloc (2 * kPairs, sizeof *w);
  calls = calloc (2 * kPairs, sizeof *calls);
  assert_non_null (s);
  assert_non_null (w);
  assert_non_null (calls);
  for (int i = 0; i < kPairs; ++i)
    sockets (s[i]);

  /* all 2000 writable at once */
  for (int i = 0; i < 2 * kPairs; ++i)
    {
      ev_io_init (&w[i], count_cb, s[i / 2][i % 2], EV_WRITE);
      w[i].data = (void *)(intptr_t)i;
      ev_io_start (loop, &w[i]);
    }
  for (int round = 1; round <= 3; ++round)
    {
      ev_run (loop, EVRUN_NOWAIT);
      for (int i = 0; i < 2 * kPairs; ++i)
        if (calls[i] != round * 1000)
          fail_msg ("round %d: watcher %d: %d", round, i, calls[i]);
    }

  /* now READ: only the ends whose peer wrote */
  memset (calls, 0, 2 * kPairs * sizeof *calls);
  for (int i = 0; i < 2 * kPairs; ++i)
    {
      ev_io_stop (loop, &w[i]);
      ev_io_set (&w[i], s[i / 2][i % 2], EV_READ);
      ev_io_start (loop, &w[i]);
    }
  ev_run (loop, EVRUN_NOWAIT);
  for (int i = 0; i < kPairs; i += 7)
    put_byte (s[i][1]);
  for (int round = 1; round <= 2; ++round)
    {
      ev_run (loop, EVRUN_ONCE);
      for (int i = 0; i < 2 * kPairs; ++i)
        {
          int want = (i % 2 == 0 && (i / 2) % 7 == 0) ? round : 0;
          if (calls[i] != want)
            fail_msg ("read round %d: watcher %d: %d, want %d", round, i, calls[i], want);
        }
    }
  for (int i = 0; i < kPairs; i += 7)
    drain (s[i][0]);
  ev_run (loop, EVRUN_NOWAIT);
  for (int i = 0; i < 2 * kPairs; ++i)
    assert_true (calls[i] <= 2);

  for (int i = 0; i < 2 * kPairs; ++i)
    ev_io_stop (loop, &w[i]);
  for (int i = 0; i < kPairs; ++i)
    close_pair (s[i]);
  free (calls);
  free (w);
  free (s);
}

/* ev(3) ev_io: a stopped watcher's registration stays (lazy removal, backends/epoll_set.h rule
 * 3), so 2000 ready fds whose watchers were all stopped report once more, and the loop then drops
 * every registration that no watcher wants: a loop that waits next sleeps, at most 3 iterations
 * in a 20 ms quiet window (epoll: 6, its buffer growing a wait at a time).  io_uring dropped 64 a
 * wait before, the room of one submission, 27 iterations. */
static void
iouring__registrations_no_watcher_wants_are_dropped_at_once (void **state)
{
  struct ev_loop *loop = *state;
  skip_on_real_libev (); /* libev 4.33's one-shot polls are removed with their watchers */
  need_fds (2 * kPairs + 100);
  int (*s)[2] = calloc (kPairs, sizeof *s);
  ev_io *w = calloc (kPairs, sizeof *w);
  assert_non_null (s);
  assert_non_null (w);
  for (int i = 0; i < kPairs; ++i)
    {
      sockets (s[i]);
      ev_io_init (&w[i], trace_io_revents_cb, s[i][0], EV_READ);
      w[i].data = "stopped";
      ev_io_start (loop, &w[i]);
    }
  ev_run (loop, EVRUN_NOWAIT);
  for (int i = 0; i < kPairs; ++i)
    put_byte (s[i][1]);
  for (int i = 0; i < kPairs; ++i)
    ev_io_stop (loop, &w[i]);
  ev_run (loop, EVRUN_NOWAIT);
  ev_timer quiet;
  ev_timer_init (&quiet, guard_cb, 0.02, 0.);
  ev_timer_start (loop, &quiet);
  const unsigned before = ev_iteration (loop);
  ev_run (loop, 0);
  const unsigned iterations = ev_iteration (loop) - before;
  if (iterations > 3)
    fail_msg ("%u iterations in the quiet window", iterations);
  expect_trace_empty ();
  for (int i = 0; i < kPairs; ++i)
    close_pair (s[i]);
  free (w);
  free (s);
}

/* Many more iterations than the submission queue has entries, each with a change of the
 * watcher's events (a request of its own): every iteration reports the fd, as it is. */
static void
iouring__changes_in_every_iteration_for_many_iterations (void **state)
{
  struct ev_loop *loop = *state;
  int s[2];
  ev_io w;
  sockets (s);
  put_byte (s[1]); /* readable and writable from now on */
  ev_io_init (&w, count_cb, s[0], EV_READ);
  w.data = (void *)(intptr_t)0;
  int got[2] = { 0, 0 };
  calls = got;
  ev_io_start (loop, &w);
  for (int i = 0; i < 2000; ++i)
    {
      const int ev = i % 3 == 2 ? EV_WRITE : EV_READ;
      ev_io_stop (loop, &w);
      ev_io_set (&w, s[0], ev);
      ev_io_start (loop, &w);
      got[0] = 0;
      ev_run (loop, EVRUN_NOWAIT);
      if (got[0] != (ev == EV_READ ? 1 : 1000))
        fail_msg ("iteration %d: %d for %s", i, got[0], ev == EV_READ ? "EV_READ" : "EV_WRITE");
    }
  calls = NULL;
  ev_io_stop (loop, &w);
  close_pair (s);
}

/* Level-triggered readiness as epoll reports it: every fd ready when the loop polls is reported
 * by that poll, however long before the others it became ready and however many there are,
 * whether it waits in the ring or with epoll_wait (an io_uring loop embedded, or run by another
 * thread than the one it began in: backends/iouring.cc (d)). */
enum { kReady = 200 };

struct ready_scene
{
  int at_least; /* an embedded loop runs before the outer one polls too: fds may come twice */
  struct ev_loop *loop, *outer;
  int (*s)[2];
  ev_io *w;
  int *got;
};

static void
ready_scene_begin (struct ready_scene *r, struct ev_loop *loop)
{
  r->loop = loop;
  r->outer = NULL;
  r->at_least = 0;
  r->s = calloc (kReady, sizeof *r->s);
  r->w = calloc (kReady, sizeof *r->w);
  r->got = calloc (kReady, sizeof *r->got);
  assert_non_null (r->s);
  assert_non_null (r->w);
  assert_non_null (r->got);
  for (int i = 0; i < kReady; ++i)
    {
      sockets (r->s[i]);
      ev_io_init (&r->w[i], count_cb, r->s[i][0], EV_READ);
      r->w[i].data = (void *)(intptr_t)i;
      ev_io_start (loop, &r->w[i]);
    }
}

/* run: one iteration of the loop (or of the outer one); each round writes to other peers */
static void
ready_scene_rounds (struct ready_scene *r, void (*run) (struct ready_scene *))
{
  calls = r->got;
  run (r); /* registered, a request for events in flight (or, in another thread, a new ring) */
  run (r);
  for (int round = 0; round < 3; ++round)
    {
      memset (r->got, 0, kReady * sizeof *r->got);
      for (int i = round; i < kReady; i += 3)
        put_byte (r->s[i][1]);
      run (r);
      for (int i = 0; i < kReady; ++i)
        {
          const int want = i % 3 == round ? 1 : 0;
          if (r->at_least && want ? r->got[i] < want : r->got[i] != want)
            fail_msg ("round %d: watcher %d: %d", round, i, r->got[i]);
        }
      for (int i = round; i < kReady; i += 3)
        drain (r->s[i][0]);
    }
  calls = NULL;
}

static void
ready_scene_end (struct ready_scene *r)
{
  for (int i = 0; i < kReady; ++i)
    {
      ev_io_stop (r->loop, &r->w[i]);
      close_pair (r->s[i]);
    }
  free (r->s);
  free (r->w);
  free (r->got);
}

static void
run_once_nowait (struct ready_scene *r)
{
  ev_run (r->loop, EVRUN_NOWAIT);
}

static void
iouring__every_fd_ready_at_the_poll_is_reported_by_it (void **state)
{
  struct ready_scene r;
  ready_scene_begin (&r, *state);
  ready_scene_rounds (&r, run_once_nowait);
  ready_scene_end (&r);
}

static void
run_outer_once (struct ready_scene *r)
{
  ev_run (r->outer, EVRUN_NOWAIT);
}

static void
iouring__every_fd_ready_is_reported_by_one_sweep_of_an_embedded_loop (void **state)
{
  (void)state;
  skip_on_real_libev (); /* libev 4.33: its io_uring loop cannot be embedded */
  struct ready_scene r;
  ready_scene_begin (&r, ev_loop_new (EVBACKEND_IOURING | EVFLAG_NOENV));
  r.outer = ev_loop_new (EVBACKEND_EPOLL | EVFLAG_NOENV);
  r.at_least = 1;
  ev_embed e;
  ev_embed_init (&e, 0, r.loop);
  ev_embed_start (r.outer, &e);
  ready_scene_rounds (&r, run_outer_once);
  ev_embed_stop (r.outer, &e);
  ready_scene_end (&r);
  ev_loop_destroy (r.loop);
  ev_loop_destroy (r.outer);
}

static void *
ready_scene_thread (void *p)
{
  struct ready_scene *r = p;
  /* The first poll that enters finds the ring refuses this thread (single-issuer): a new
   * ring (iouring.cc (n)), before the next poll; that one reports nothing. */
  int got[kReady];
  calls = got;
  put_byte (r->s[0][1]);
  for (int i = 0; i < 3; ++i)
    ev_run (r->loop, EVRUN_NOWAIT);
  drain (r->s[0][0]);
  calls = NULL;
  ready_scene_rounds (r, run_once_nowait);
  return NULL;
}

static void
iouring__every_fd_ready_is_reported_in_a_loop_run_by_another_thread (void **state)
{
  struct ev_loop *loop = *state;
  struct ready_scene r;
  ready_scene_begin (&r, loop);
  ev_run (loop, EVRUN_NOWAIT); /* the ring is this thread's now (single-issuer) */
  pthread_t t;
  assert_int_equal (pthread_create (&t, NULL, ready_scene_thread, &r), 0);
  assert_int_equal (pthread_join (t, NULL), 0);
  ready_scene_end (&r);
}

/* ---- threads ----------------------------------------------------------------------------------- */

struct thread_arg
{
  struct ev_loop *loop;
  ev_io *w;
};

static void *
arm_in_thread (void *p)
{
  struct thread_arg *a = p;
  ev_io_start (a->loop, a->w);
  ev_run (a->loop, EVRUN_NOWAIT); /* the poll is submitted by this thread, which then exits */
  return NULL;
}

static void
set_flag_cb (struct ev_loop *loop, ev_io *w, int revents)
{
  (void)loop, (void)revents;
  drain (w->fd);
  *(volatile int *)w->data = 1;
}

/* The kernel cancels the requests of a thread that exits: the loop, run by another thread
 * now, re-arms them. */
static void
exited_thread_scene (struct ev_loop *loop)
{
  int p[2];
  volatile int got = 0;
  ev_io w;
  pthread_t t;
  pipes (p);
  ev_io_init (&w, set_flag_cb, p[0], EV_READ);
  w.data = (void *)&got;
  struct thread_arg a = { loop, &w };
  assert_int_equal (pthread_create (&t, NULL, arm_in_thread, &a), 0);
  assert_int_equal (pthread_join (t, NULL), 0);
  usleep (20000);
  ev_run (loop, EVRUN_NOWAIT);
  put_byte (p[1]);
  harness_run_until (loop, &got, 2.);
  ev_io_stop (loop, &w);
  close_pair (p);
}

static void
exited_thread_child (void *arg)
{
  (void)arg;
  exited_thread_scene (test_loop_new ());
}

static void
iouring__polls_of_an_exited_thread_are_rearmed (void **state)
{
  if (harness_is_real_libev ())
    {
      /* libev 4.33 takes the cancellation for a failure of the system */
      expect_abort (exited_thread_child, NULL, "(libev) IORING_OP_POLL_ADD");
      return;
    }
  exited_thread_scene (*state);
}

/* ---- fork -------------------------------------------------------------------------------------- */

struct fork_report
{
  int child_calls;
  int child_new_calls;
  int child_done;
};
static struct fork_report *fr;

static void
child_read_cb (struct ev_loop *loop, ev_io *w, int revents)
{
  (void)loop, (void)revents;
  drain (w->fd);
  ++fr->child_calls;
}

static void
child_new_cb (struct ev_loop *loop, ev_io *w, int revents)
{
  (void)revents;
  ++fr->child_new_calls;
  ev_io_stop (loop, w);
}

/* The child announces the fork (or the loop checks for it) and uses the loop: the watcher it
 * inherited (moved to another inherited pipe: data on a pipe both processes watch would wake
 * both) and a new one.  The parent's ring and its armed poll are not disturbed by that. */
static void
fork_scene (struct ev_loop *loop, int announce)
{
  int p[2], c[2];
  ev_io r;
  pipes (p);
  pipes (c);
  fr = harness_shared_new (sizeof *fr);
  ev_io_init (&r, trace_io_revents_cb, p[0], EV_READ);
  r.data = "r";
  ev_io_start (loop, &r);
  ev_run (loop, EVRUN_NOWAIT); /* armed in the parent's ring */

  fflush (stdout);
  pid_t pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      int q[2];
      ev_io n;
      if (announce)
        ev_loop_fork (loop);
      ev_io_stop (loop, &r);
      ev_io_init (&r, child_read_cb, c[0], EV_READ);
      ev_io_start (loop, &r);
      if (pipe (q) || write (q[1], "y", 1) != 1 || write (c[1], "x", 1) != 1)
        _exit (3);
      ev_io_init (&n, child_new_cb, q[1], EV_WRITE);
      ev_io_start (loop, &n);
      for (int i = 0; i < 3; ++i)
        ev_run (loop, EVRUN_NOWAIT);
      ev_io_stop (loop, &r);
      fr->child_done = 1;
      _exit (0);
    }
  int st;
  assert_int_equal (waitpid (pid, &st, 0), pid);
  assert_true (WIFEXITED (st) && WEXITSTATUS (st) == 0);
  assert_int_equal (fr->child_done, 1);
  assert_int_equal (fr->child_calls, 1);
  assert_int_equal (fr->child_new_calls, 1);
  harness_shared_free (fr, sizeof *fr);

  /* the parent's poll is still armed, and only the parent's watchers are called */
  ev_run (loop, EVRUN_NOWAIT);
  expect_trace_empty ();
  put_byte (p[1]);
  ev_run (loop, EVRUN_NOWAIT);
  expect_trace ("r:0x1");
  drain (p[0]);
  ev_io_stop (loop, &r);
  close_pair (p);
  close_pair (c);
}

static void
iouring__fork_with_ev_loop_fork_in_the_child (void **state)
{
  fork_scene (*state, 1);
}

static void
iouring__fork_detected_with_forkcheck (void **state)
{
  (void)state;
  struct ev_loop *loop = ev_loop_new (EVBACKEND_IOURING | EVFLAG_FORKCHECK | EVFLAG_NOENV);
  assert_non_null (loop);
  fork_scene (loop, 0);
  ev_loop_destroy (loop);
}

/* A child that uses the loop without ev_loop_fork (a mistake, but a common one) works, and
 * does not corrupt the parent's ring. */
static void
iouring__fork_unannounced_child_uses_the_loop (void **state)
{
  /* libev 4.33: the child consumes the parent's completions, whose watcher never fires again */
  skip_on_real_libev ();
  /* a corrupted ring used to make the parent spin: fail by SIGALRM rather than hang */
  alarm ((unsigned)harness_slack (10.));
  fork_scene (*state, 0);
  alarm (0);
}

/* A child that only exits (fork + _exit, as before an exec) does not disturb the parent. */
static void
iouring__child_that_only_exits (void **state)
{
  struct ev_loop *loop = *state;
  int p[2];
  ev_io r;
  pipes (p);
  ev_io_init (&r, trace_io_revents_cb, p[0], EV_READ);
  r.data = "r";
  ev_io_start (loop, &r);
  ev_run (loop, EVRUN_NOWAIT);
  pid_t pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    _exit (0);
  int st;
  waitpid (pid, &st, 0);
  put_byte (p[1]);
  ev_run (loop, EVRUN_NOWAIT);
  expect_trace ("r:0x1");
  ev_io_stop (loop, &r);
  close_pair (p);
}

/* ---- a ring given up holds no socket ------------------------------------------------------------ */

/* A ring lives while any process holds it: a child forked after the loop was made (sniproxy's
 * binder, a worker that never uses libev) keeps the ring and set it inherited.  A request that
 * held a socket (the poll requests of an earlier libev-ng, and libev 4.33's) would keep it open
 * while the child lives, its peer never seeing EOF (issue 42: sniproxy's clients waited 300 s);
 * a registration in an epoll set holds nothing, and the wait in flight holds only the set
 * (backends/iouring_life.cc (k)).  Each scene: kStrandPairs socketpairs watched (more than one
 * submission's requests) or a few, a child holding the ring, the watchers stopped and the ends
 * closed; every peer must read EOF. */
enum { kStrandPairs = 70, kStrandFew = 10 };

struct strand
{
  int (*s)[2];
  ev_io *w;
  int n;
  int child_pipe[2]; /* the child holds the ring until this closes */
  pid_t child;
};

/* n socketpairs, a watcher on one end of each: its trace names it "strand" (counted, in calls[],
 * with `count`). */
static void
strand_open_with (struct ev_loop *loop, struct strand *st, int n, int count)
{
  st->n = n;
  st->s = calloc ((size_t)n, sizeof *st->s);
  st->w = calloc ((size_t)n, sizeof *st->w);
  assert_non_null (st->s);
  assert_non_null (st->w);
  for (int i = 0; i < n; ++i)
    {
      sockets (st->s[i]);
      if (count)
        {
          ev_io_init (&st->w[i], count_cb, st->s[i][0], EV_READ);
          st->w[i].data = (void *)(intptr_t)i;
        }
      else
        {
          ev_io_init (&st->w[i], trace_io_revents_cb, st->s[i][0], EV_READ);
          st->w[i].data = "strand";
        }
      ev_io_start (loop, &st->w[i]);
    }
}

static void
strand_open (struct ev_loop *loop, struct strand *st, int n)
{
  strand_open_with (loop, st, n, 0);
}

static int
strand_child_main (void *arg)
{
  struct strand *st = arg;
  char c;
  close (st->child_pipe[1]);
  (void)!read (st->child_pipe[0], &c, 1); /* until the parent closes its end */
  _exit (0);
}

/* A child that holds the ring until strand_end: made by fork(3) (its handlers run: the loop's
 * child handler lets go of the ring) or by a raw clone(2), which runs none and keeps it. */
static void
strand_child (struct strand *st, int raw)
{
  assert_int_equal (pipe2 (st->child_pipe, O_CLOEXEC), 0);
  if (raw)
    st->child = (pid_t)syscall (SYS_clone, SIGCHLD, 0, 0, 0, 0);
  else
    st->child = fork ();
  assert_true (st->child >= 0);
  if (st->child == 0)
    strand_child_main (st);
  close (st->child_pipe[0]);
}

/* Stops every watcher, closes the watched ends, lets the loop iterate (after the iteration
 * that applies the stops nothing may hold them), and counts the peers that read EOF. */
static int
strand_close_count_eof (struct ev_loop *loop, struct strand *st)
{
  for (int i = 0; i < st->n; ++i)
    {
      if (loop) /* (none: destroyed with its watchers) */
        ev_io_stop (loop, &st->w[i]);
      close (st->s[i][0]);
    }
  if (loop)
    ev_run (loop, EVRUN_NOWAIT);
  int eof = 0;
  for (int i = 0; i < st->n; ++i)
    {
      char c;
      if (read (st->s[i][1], &c, 1) == 0)
        ++eof;
    }
  return eof;
}

static void
strand_end (struct strand *st)
{
  close (st->child_pipe[1]);
  int status;
  assert_int_equal (waitpid (st->child, &status, 0), st->child);
  for (int i = 0; i < st->n; ++i)
    close (st->s[i][1]);
  free (st->s);
  free (st->w);
}

/* Runs a few iterations, so that every watcher is registered. */
static void
strand_iterate (struct ev_loop *loop)
{
  for (int i = 0; i < 3; ++i)
    ev_run (loop, EVRUN_NOWAIT);
}

static void
strand_many (int raw)
{
  skip_on_real_libev (); /* libev 4.33: its poll requests hold the sockets */
  struct ev_loop *loop = test_loop_new ();
  struct strand st;
  strand_child (&st, raw);
  strand_open (loop, &st, kStrandPairs);
  strand_iterate (loop);
  assert_int_equal (strand_close_count_eof (loop, &st), kStrandPairs);
  expect_trace_empty ();
  ev_loop_destroy (loop);
  strand_end (&st);
}

/* ev(3) EVBACKEND_IOURING; backends/iouring_life.cc (k): the issue's 70 socketpairs, a child of
 * fork(3) that never touches libev: 0 of 70 peers saw EOF with the poll requests of before. */
static void
iouring__many_watched_sockets_stay_free_of_a_forked_child (void **state)
{
  (void)state;
  strand_many (0);
}

/* ... and a child of a raw clone(2), which runs no fork handler and keeps the ring and set. */
static void
iouring__many_watched_sockets_stay_free_of_a_cloned_child (void **state)
{
  (void)state;
  strand_many (1);
}

static void
strand_loop_fork (int raw)
{
  skip_on_real_libev ();
  struct ev_loop *loop = test_loop_new ();
  struct strand st;
  strand_child (&st, raw);
  strand_open (loop, &st, kStrandFew);
  strand_iterate (loop);
  ev_loop_fork (loop); /* the loop's own fork: the parent replaces its ring (allowed by ev(3)) */
  strand_iterate (loop);
  assert_int_equal (strand_close_count_eof (loop, &st), kStrandFew);
  expect_trace_empty ();
  ev_loop_destroy (loop);
  strand_end (&st);
}

/* ev(3) ev_loop_fork, called in the parent too (which ev(3) allows): the parent replaces its ring
 * while a child holds the old one; 0 of 10 peers saw EOF before. */
static void
iouring__loop_fork_in_the_parent_strands_no_socket_in_a_forked_child (void **state)
{
  (void)state;
  strand_loop_fork (0);
}

static void
iouring__loop_fork_in_the_parent_strands_no_socket_in_a_cloned_child (void **state)
{
  (void)state;
  strand_loop_fork (1);
}

/* ev_loop_destroy with watchers armed (ev(3): it never touches the program's watchers) while a
 * cloned child holds the ring: the sockets are free once the loop is gone. */
static void
iouring__loop_destroy_strands_no_socket_in_a_cloned_child (void **state)
{
  (void)state;
  skip_on_real_libev ();
  struct ev_loop *loop = test_loop_new ();
  struct strand st;
  strand_child (&st, 1);
  strand_open (loop, &st, kStrandFew);
  strand_iterate (loop);
  ev_loop_destroy (loop);
  assert_int_equal (strand_close_count_eof (NULL, &st), kStrandFew);
  strand_end (&st);
}

/* A kernel without cqe-skip (before Linux 5.17: LIBEV_NG_IOURING=5.6) posts a completion for
 * every request, so 600 watchers started in one iteration post more than the completion queue
 * holds (backends/iouring_life.cc (h)): the kernel keeps the rest (nodrop) and the loop takes
 * them back.  With a cloned child holding the ring, every watcher still sees its event and
 * every peer its EOF. */
static void
iouring__completions_beyond_the_queue_are_kept (void **state)
{
  (void)state;
  skip_on_real_libev ();
  enum { kMany = 600 };
  need_fds (2 * kMany + 50);
  struct ev_loop *loop = level_loop_new ("5.6");
  struct strand st;
  strand_child (&st, 1);
  calls = calloc (kMany, sizeof *calls);
  assert_non_null (calls);
  strand_open_with (loop, &st, kMany, 1);
  ev_run (loop, EVRUN_NOWAIT);
  for (int i = 0; i < kMany; ++i)
    put_byte (st.s[i][1]); /* all ready at once: more completions than the first queue holds */
  for (int i = 0; i < 4; ++i)
    ev_run (loop, EVRUN_NOWAIT);
  for (int i = 0; i < kMany; ++i)
    if (calls[i] < 1)
      fail_msg ("watcher %d saw no event", i);
  free (calls);
  calls = NULL;
  for (int i = 0; i < kMany; ++i)
    drain (st.s[i][0]);
  assert_int_equal (strand_close_count_eof (loop, &st), kMany);
  ev_loop_destroy (loop);
  strand_end (&st);
}

/* A child of fork(3) holds neither the ring's fd nor its memory (backends/iouring.cc (l)): the
 * loop's fork handler let go of both.  The child reports what it finds in /proc/self. */
static int
proc_self_mentions (const char *file, const char *what)
{
  char cmd[256];
  snprintf (cmd, sizeof cmd, "ls -l /proc/%d/%s 2>/dev/null | grep -q '%s'", (int)getpid (), file, what);
  if (!strcmp (file, "maps"))
    snprintf (cmd, sizeof cmd, "grep -q '%s' /proc/%d/maps", what, (int)getpid ());
  return system (cmd) == 0;
}

static void
iouring__a_forked_child_holds_nothing_of_the_ring (void **state)
{
  struct ev_loop *loop = *state;
  skip_on_real_libev ();
  int p[2];
  ev_io r;
  pipes (p);
  ev_io_init (&r, trace_io_revents_cb, p[0], EV_READ);
  r.data = "r";
  ev_io_start (loop, &r);
  ev_run (loop, EVRUN_NOWAIT);
  assert_true (proc_self_mentions ("fd", "io_uring"));
  assert_true (proc_self_mentions ("maps", "io_uring"));
  pid_t pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    _exit ((proc_self_mentions ("fd", "io_uring") ? 1 : 0) | (proc_self_mentions ("maps", "io_uring") ? 2 : 0));
  int status;
  assert_int_equal (waitpid (pid, &status, 0), pid);
  assert_true (WIFEXITED (status));
  assert_int_equal (WEXITSTATUS (status), 0);
  put_byte (p[1]); /* the parent's loop is untouched */
  ev_run (loop, EVRUN_NOWAIT);
  expect_trace ("r:0x1");
  ev_io_stop (loop, &r);
  close_pair (p);
}

/* ---- embedding --------------------------------------------------------------------------------- */

static void
embed_cb (struct ev_loop *loop, ev_embed *w, int revents)
{
  trace_add ("embed:0x%x", (unsigned)revents);
  ev_embed_sweep (loop, w);
}

/* The trace holds one or two "r:0x1" and, with an embed callback, nothing but EV_EMBED. */
static void
expect_only_reads (int with_cb)
{
  char buf[512], embed[32];
  int reads = 0;
  snprintf (buf, sizeof buf, "%s", trace_get ());
  snprintf (embed, sizeof embed, "embed:0x%x", (unsigned)EV_EMBED);
  trace_reset ();
  for (char *tok = strtok (buf, ","); tok; tok = strtok (NULL, ","))
    if (strcmp (tok, "r:0x1") == 0)
      ++reads;
    else if (!with_cb || strcmp (tok, embed) != 0)
      fail_msg ("unexpected trace entry %s", tok);
  if (reads < 1 || reads > 2)
    fail_msg ("%d reads in one outer iteration", reads);
}

/* An io_uring loop embedded into a loop of each other backend: its fd events arrive through
 * the outer loop, level-triggered, with or without an embed callback. */
static void
embed_into (unsigned outer_backend, int with_cb)
{
  struct ev_loop *outer = ev_loop_new (outer_backend | EVFLAG_NOENV);
  struct ev_loop *inner = ev_loop_new (EVBACKEND_IOURING | EVFLAG_NOENV);
  assert_non_null (outer);
  assert_non_null (inner);
  assert_int_equal (ev_backend (outer), outer_backend);
  int p[2];
  ev_io r;
  ev_embed e;
  ev_timer guard;
  pipes (p);
  ev_embed_init (&e, with_cb ? embed_cb : NULL, inner);
  ev_embed_start (outer, &e);
  ev_io_init (&r, trace_io_revents_cb, p[0], EV_READ);
  r.data = "r";
  ev_io_start (inner, &r);
  ev_timer_init (&guard, guard_cb, harness_slack (2.), 0.);
  ev_timer_start (outer, &guard);

  ev_run (outer, EVRUN_NOWAIT);
  expect_trace_empty ();
  put_byte (p[1]);
  /* level-triggered: every outer iteration reports the unread byte (once or twice: the
   * embed watcher's prepare runs the inner loop too, and io_uring re-arms through changes) */
  for (int i = 0; i < 3; ++i)
    {
      ev_run (outer, EVRUN_ONCE);
      expect_only_reads (with_cb);
    }
  drain (p[0]);
  ev_run (outer, EVRUN_NOWAIT);
  ev_run (outer, EVRUN_NOWAIT);
  /* at most one spurious EV_EMBED may be left from the last sweep; no io event */
  assert_null (strstr (trace_get (), "r:"));
  trace_reset ();

  /* data arriving while the outer loop blocks */
  pid_t pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      usleep (50000);
      _exit (write (p[1], "z", 1) == 1 ? 0 : 1);
    }
  double t0 = harness_monotonic ();
  while (!strstr (trace_get (), "r:0x1") && harness_monotonic () - t0 < harness_slack (2.))
    ev_run (outer, EVRUN_ONCE);
  assert_non_null (strstr (trace_get (), "r:0x1"));
  trace_reset ();
  int st;
  waitpid (pid, &st, 0);

  ev_timer_stop (outer, &guard);
  ev_io_stop (inner, &r);
  ev_embed_stop (outer, &e);
  ev_loop_destroy (inner);
  ev_loop_destroy (outer);
  close_pair (p);
}

static void
embed_real_libev_child (void *arg)
{
  (void)arg;
  embed_into (EVBACKEND_EPOLL, 0);
}

static void
iouring__embedded_into_epoll_poll_select_and_io_uring (void **state)
{
  (void)state;
  if (harness_is_real_libev ())
    {
      /* libev 4.33's io_uring loop has no fd to watch */
      expect_abort (embed_real_libev_child, NULL, "libev: ev_io_start called with negative fd");
      return;
    }
  static const unsigned outers[] = { EVBACKEND_EPOLL, EVBACKEND_POLL, EVBACKEND_SELECT, EVBACKEND_IOURING };
  /* an embed watcher that reran the inner loop while it had changes would never finish (every
   * io_uring event is followed by a re-arm): fail by SIGALRM rather than hang */
  alarm ((unsigned)harness_slack (20.));
  for (size_t i = 0; i < sizeof outers / sizeof outers[0]; ++i)
    {
      embed_into (outers[i], 0);
      embed_into (outers[i], 1);
    }
  alarm (0);
}

/* The embedded loop rebuilds its ring (a fork): the outer loop follows the new fd. */
static void
iouring__embedded_loop_survives_fork (void **state)
{
  (void)state;
  if (harness_is_real_libev ())
    skip ();
  alarm ((unsigned)harness_slack (10.)); /* see above */
  struct ev_loop *outer = ev_loop_new (EVBACKEND_EPOLL | EVFLAG_NOENV);
  struct ev_loop *inner = ev_loop_new (EVBACKEND_IOURING | EVFLAG_NOENV);
  int p[2];
  ev_io r;
  ev_embed e;
  pipes (p);
  ev_embed_init (&e, NULL, inner);
  ev_embed_start (outer, &e);
  ev_io_init (&r, trace_io_revents_cb, p[0], EV_READ);
  r.data = "r";
  ev_io_start (inner, &r);
  ev_run (outer, EVRUN_NOWAIT);

  fr = harness_shared_new (sizeof *fr);
  pid_t pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      ev_loop_fork (outer);
      put_byte (p[1]);
      for (int i = 0; i < 3; ++i)
        ev_run (outer, EVRUN_NOWAIT);
      fr->child_calls = strstr (trace_get (), "r:0x1") != NULL;
      fr->child_done = 1;
      _exit (0);
    }
  int st;
  waitpid (pid, &st, 0);
  assert_int_equal (fr->child_done, 1);
  assert_int_equal (fr->child_calls, 1);
  harness_shared_free (fr, sizeof *fr);
  /* the child's byte is still in the pipe: the parent sees it as well */
  ev_run (outer, EVRUN_ONCE);
  expect_only_reads (0);
  drain (p[0]);
  alarm (0);

  ev_io_stop (inner, &r);
  ev_embed_stop (outer, &e);
  ev_loop_destroy (inner);
  ev_loop_destroy (outer);
  close_pair (p);
}

/* A watched fd was closed behind the loop's back, and its number is the lowest free one, so the
 * new ring that ev_loop_fork in the parent makes (allowed by ev(3)) gets it.  Its watcher must
 * get EV_ERROR (its fd is gone), never the ring's own readiness as if it were its fd's (an
 * earlier libev-ng re-armed the watcher on the new ring's fd). */
static void
iouring__a_new_ring_never_hands_a_closed_watched_number_to_its_watcher (void **state)
{
  (void)state;
  skip_on_real_libev ();
  enum { kMany = 80 };
  int (*p)[2] = calloc (kMany, sizeof *p);
  ev_io *w = calloc (kMany, sizeof *w);
  assert_non_null (p);
  assert_non_null (w);
  for (int i = 0; i < kMany; ++i)
    pipes (p[i]); /* numbers below the ring's */
  struct ev_loop *loop = test_loop_new ();
  for (int i = 0; i < kMany; ++i)
    {
      ev_io_init (&w[i], trace_io_revents_cb, p[i][0], EV_READ);
      w[i].data = i == 0 ? "closed" : "other";
      ev_io_start (loop, &w[i]);
    }
  ev_run (loop, EVRUN_NOWAIT); /* all registered */
  expect_trace_empty ();
  close (p[0][0]); /* the lowest number of all, now free */
  ev_loop_fork (loop);
  for (int i = 0; i < 5; ++i)
    ev_run (loop, EVRUN_NOWAIT);
  expect_trace ("closed:0x80000003");
  assert_false (ev_is_active (&w[0]));
  put_byte (p[1][1]); /* the others still work */
  ev_run (loop, EVRUN_NOWAIT);
  expect_trace ("other:0x1");
  for (int i = 1; i < kMany; ++i)
    ev_io_stop (loop, &w[i]);
  ev_loop_destroy (loop);
  close (p[0][1]);
  for (int i = 1; i < kMany; ++i)
    close_pair (p[i]);
  free (w);
  free (p);
}

/* An embedded loop with more fds than one submission's requests: the outer loop wakes for the
 * inner loop's event by itself in every round, through the set the inner loop waits on
 * (backends/iouring_life.cc (l)).
 *
 * Each round first lets the outer loop apply the inner loop's pending changes without
 * waiting, because the embed watcher's prepare runs the inner loop once when it has changes,
 * as libev's does: the byte would be reported there, before the outer loop polls, and the
 * outer loop would then rightly wait for a new event until the guard fires. */
static void
iouring__embedded_loop_with_many_fds_wakes_the_outer_loop (void **state)
{
  (void)state;
  if (harness_is_real_libev ())
    skip ();
  enum { kMany = 300 };
  alarm ((unsigned)harness_slack (10.)); /* see above */
  struct ev_loop *outer = ev_loop_new (EVBACKEND_EPOLL | EVFLAG_NOENV);
  struct ev_loop *inner = ev_loop_new (EVBACKEND_IOURING | EVFLAG_NOENV);
  int (*s)[2] = calloc (kMany, sizeof *s);
  ev_io *w = calloc (kMany, sizeof *w);
  int p[2];
  ev_io r;
  ev_embed e;
  ev_timer guard;
  assert_non_null (s);
  assert_non_null (w);
  pipes (p);
  ev_embed_init (&e, embed_cb, inner); /* the callback tells that the outer loop's poll woke */
  ev_embed_start (outer, &e);
  ev_io_init (&r, read_once_cb, p[0], EV_READ);
  r.data = "r";
  ev_io_start (inner, &r);
  ev_timer_init (&guard, guard_cb, harness_slack (2.), 0.);
  ev_timer_start (outer, &guard);
  ev_run (outer, EVRUN_NOWAIT);

  for (int i = 0; i < kMany; ++i)
    {
      sockets (s[i]);
      ev_io_init (&w[i], trace_io_revents_cb, s[i][0], EV_READ);
      w[i].data = "idle";
      ev_io_start (inner, &w[i]);
    }
  for (int round = 0; round < 4; ++round)
    {
      /* the inner loop's changes applied (the first round's register all 300 fds); no io
       * event */
      ev_run (outer, EVRUN_NOWAIT);
      assert_null (strstr (trace_get (), "r:"));
      trace_reset ();
      /* the guard times one iteration, not the setup before it (a loaded machine's) */
      ev_timer_stop (outer, &guard);
      ev_now_update (outer);
      ev_timer_start (outer, &guard);
      put_byte (p[1]);
      ev_run (outer, EVRUN_ONCE);
      /* reported by the sweep of the outer loop's poll */
      expect_trace ("embed:0x10000,r:0x1:1");
      assert_true (ev_is_active (&guard));
    }
  ev_timer_stop (outer, &guard);
  for (int i = 0; i < kMany; ++i)
    {
      ev_io_stop (inner, &w[i]);
      close_pair (s[i]);
    }
  ev_io_stop (inner, &r);
  ev_embed_stop (outer, &e);
  ev_loop_destroy (inner);
  ev_loop_destroy (outer);
  close_pair (p);
  free (w);
  free (s);
  alarm (0);
}

/* ---- the features used ----------------------------------------------------------------------- */

static unsigned setup_flags, register_ops; /* the last ring's setup flags; the register calls made */

/* Whether this kernel takes a ring with these setup flags. */
static int
kernel_takes (unsigned flags)
{
  struct io_uring_params p;
  memset (&p, 0, sizeof p);
  p.flags = flags;
  p.cq_entries = 8;
  long fd = syscall (__NR_io_uring_setup, 4, &p);
  if (fd < 0)
    return 0;
  close ((int)fd);
  return 1;
}

/* Whether this kernel has the request opcode op (IORING_REGISTER_PROBE, Linux 5.6). */
static int
kernel_has_op (unsigned op)
{
  struct io_uring_params p;
  memset (&p, 0, sizeof p);
  long fd = syscall (__NR_io_uring_setup, 4, &p);
  if (fd < 0)
    return 0;
  size_t size = sizeof (struct io_uring_probe) + 256 * sizeof (struct io_uring_probe_op);
  struct io_uring_probe *probe = calloc (1, size);
  assert_non_null (probe);
  int has = syscall (__NR_io_uring_register, (int)fd, IORING_REGISTER_PROBE, probe, 256) == 0 && op <= probe->last_op
            && (probe->ops[op].flags & IO_URING_OP_SUPPORTED);
  free (probe);
  close ((int)fd);
  return has;
}

static int
loop_holds_an_epoll_fd (void)
{
  char path[64], target[64];
  int n = 0;
  for (int fd = 0; fd < 1024; ++fd)
    {
      snprintf (path, sizeof path, "/proc/self/fd/%d", fd);
      ssize_t len = readlink (path, target, sizeof target - 1);
      if (len > 0)
        {
          target[len] = 0;
          n += strcmp (target, "anon_inode:[eventpoll]") == 0;
        }
    }
  return n;
}

/* Each feature is used where both the kernel and LIBEV_NG_IOURING allow it, and not where the
 * level leaves it out (backends/iouring_ring.h): the ring's setup flags, its registration
 * (single-issuer's enabling, the registered ring fd) and the wait in the ring, an EPOLL_WAIT
 * request where the kernel has it (Linux 6.15) and the ring has defer-taskrun, else epoll_wait
 * (backends/iouring.cc (d)).  Every level has an epoll set; below Linux 5.6, which brought
 * IORING_OP_EPOLL_CTL, there is no io_uring loop. */
static void
iouring__uses_each_feature_the_kernel_and_the_level_allow (void **state)
{
  (void)state;
  skip_on_real_libev ();
  static const struct
  {
    const char *level;
    int version; /* 100 * major + minor; 9999: every feature */
  } levels[] = { { "", 9999 },   { "-epoll-wait", 9999 }, { "6.12", 612 }, { "6.1", 601 }, { "6.0", 600 },
                 { "5.19", 519 }, { "5.15", 515 },       { "5.6", 506 },  { "5.5", 505 } };
  const int has_epoll_wait = kernel_has_op (59); /* IORING_OP_EPOLL_WAIT, Linux 6.15 */
  const unsigned defer = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
  const int has_defer = kernel_takes (defer);
  const int has_single = kernel_takes (IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_R_DISABLED);
  const int has_submit_all = kernel_takes (IORING_SETUP_SUBMIT_ALL);
  const int epoll_fds = loop_holds_an_epoll_fd ();
  for (size_t i = 0; i < sizeof levels / sizeof levels[0]; ++i)
    {
      const int v = levels[i].version;
      setenv ("LIBEV_NG_IOURING", levels[i].level, 1);
      setup_flags = register_ops = 0;
      struct ev_loop *loop = ev_loop_new (EVBACKEND_IOURING | EVFLAG_NOENV);
      unsetenv ("LIBEV_NG_IOURING");
      if (v < 506)
        {
          if (loop)
            fail_msg ("level '%s': an io_uring loop without IORING_OP_EPOLL_CTL", levels[i].level);
          continue;
        }
      assert_non_null (loop);
      int p[2];
      ev_io w;
      pipes (p);
      ev_io_init (&w, trace_io_revents_cb, p[0], EV_READ);
      ev_io_start (loop, &w);
      waits = 0;
      count_waits = 1;
      ev_run (loop, EVRUN_NOWAIT);
      ev_run (loop, EVRUN_NOWAIT);
      count_waits = 0;
      const unsigned f = setup_flags;
      const int want_defer = has_defer && v >= 601;
      const int want_ring_wait
          = has_epoll_wait && want_defer && v >= 615 && strcmp (levels[i].level, "-epoll-wait") != 0;
      if (!!(f & IORING_SETUP_DEFER_TASKRUN) != want_defer)
        fail_msg ("level '%s': defer-taskrun %s", levels[i].level, want_defer ? "unused" : "used");
      if (!!(f & IORING_SETUP_SINGLE_ISSUER) != (has_single && v >= 600))
        fail_msg ("level '%s': setup flags %#x, single-issuer wrong", levels[i].level, f);
      if (!!(f & IORING_SETUP_SUBMIT_ALL) != (has_submit_all && v >= 518))
        fail_msg ("level '%s': setup flags %#x, submit-all wrong", levels[i].level, f);
      if (!!(register_ops & (1u << IORING_REGISTER_RING_FDS)) != (has_submit_all && v >= 518))
        fail_msg ("level '%s': registered ring %s", levels[i].level, v >= 518 ? "unused" : "used");
      if (loop_holds_an_epoll_fd () <= epoll_fds)
        fail_msg ("level '%s': no epoll set", levels[i].level);
      if ((waits == 0) != want_ring_wait)
        fail_msg ("level '%s': %d epoll_wait calls, the wait in the ring %s", levels[i].level, waits,
                  want_ring_wait ? "unused" : "used");
      ev_io_stop (loop, &w);
      ev_loop_destroy (loop);
      close_pair (p);
    }
}

/* ev(3) EVBACKEND_IOURING: below Linux 5.6 (no IORING_OP_EPOLL_CTL) io_uring is not supported, as
 * where the system refuses it (iouring__refused_setup_means_no_loop_or_a_fallback):
 * ev_supported_backends leaves it out, and a loop asked for it alone is not made, as libev's
 * when a backend is unavailable.  In a new process (this program again, told so by
 * kWithoutEpollCtl, outside valgrind), since the answer is kept for the process. */
static const char kWithoutEpollCtl[] = "BACKEND_IOURING_WITHOUT_EPOLL_CTL";

static int
without_epoll_ctl_main (void)
{
  if (ev_supported_backends () & EVBACKEND_IOURING)
    return 1;
  if (ev_loop_new (EVBACKEND_IOURING) || ev_default_loop (EVBACKEND_IOURING))
    return 2;
  struct ev_loop *loop = ev_loop_new (EVBACKEND_IOURING | EVBACKEND_POLL);
  if (!loop || ev_backend (loop) != EVBACKEND_POLL)
    return 3;
  ev_loop_destroy (loop);
  return 0;
}

static void
iouring__not_supported_without_epoll_ctl (void **state)
{
  (void)state;
  skip_on_real_libev (); /* libev 4.33 takes io_uring from 5.1 on */
  pid_t pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      setenv ("LIBEV_NG_IOURING", "5.5", 1);
      setenv (kWithoutEpollCtl, "1", 1);
      /* this program's file: under valgrind /proc/self/exe is valgrind's */
      execl (program_invocation_name, "backend_iouring", (char *)NULL);
      _exit (99);
    }
  int status;
  assert_int_equal (waitpid (pid, &status, 0), pid);
  assert_true (WIFEXITED (status));
  assert_int_equal (WEXITSTATUS (status), 0);
}

/* syscall() as the library calls it (both libraries make their io_uring calls through it): the
 * last ring's setup flags and the register calls made. */
long
syscall (long nr, ...)
{
  static long (*real) (long, ...);
  if (!real)
    real = (long (*) (long, ...))dlsym (RTLD_NEXT, "syscall");
  va_list ap;
  va_start (ap, nr);
  long a[6];
  for (int i = 0; i < 6; ++i)
    a[i] = va_arg (ap, long);
  va_end (ap);
  long r = real (nr, a[0], a[1], a[2], a[3], a[4], a[5]);
  if (nr == __NR_io_uring_setup && r >= 0)
    setup_flags = ((struct io_uring_params *)a[1])->flags;
  if (nr == __NR_io_uring_register && r >= 0 && a[1] >= 0 && a[1] < 32)
    register_ops |= 1u << a[1];
  return r;
}

/* read() as the libraries call it, counted while count_reads is set (by the loop's thread: the
 * sender makes no read). */
static int count_reads, reads;

ssize_t
read (int fd, void *buf, size_t n)
{
  if (count_reads)
    ++reads;
  return (ssize_t)syscall (SYS_read, fd, buf, n);
}

static int async_calls;

static void
async_count_cb (struct ev_loop *loop, ev_async *w, int revents)
{
  (void)loop, (void)w, (void)revents;
  ++async_calls;
}

static void *
send_later_thread (void *arg)
{
  struct timespec ts = { 0, 30 * 1000 * 1000 };
  nanosleep (&ts, NULL);
  ev_async_send (((ev_async *)arg)->data, arg);
  return NULL;
}

/* ev(3) EVBACKEND_IOURING, ev_async_send: cross-thread wake-ups of a loop at `level`: each send
 * wakes the blocked loop, which never reads its eventfd (registered edge-triggered on every
 * level: libev 4.33 reads it once a wake-up), and the unread eventfd makes no iteration spin
 * (afterwards an iteration blocks until its timer); the loop leaves no fd open behind it. */
static void
wakeups_read_nothing (const char *level)
{
  skip_where_valgrind_holds_wakeups ();
  enum { kRounds = 4 };
  const int fds_before = harness_open_fds ();
  struct ev_loop *loop = harness_is_real_libev () ? test_loop_new () : level_loop_new (level);
  ev_async a;
  ev_async_init (&a, async_count_cb);
  a.data = loop;
  ev_async_start (loop, &a);
  ev_run (loop, EVRUN_NOWAIT);
  ev_run (loop, EVRUN_NOWAIT);
  async_calls = 0;
  reads = 0;
  count_reads = 1;
  for (int round = 1; round <= kRounds; ++round)
    {
      pthread_t t;
      assert_int_equal (pthread_create (&t, NULL, send_later_thread, &a), 0);
      /* only the send can end it, or a signal (a SIGCHLD of the harness's children) */
      for (int i = 0; i < 10 && async_calls < round; ++i)
        ev_run (loop, EVRUN_ONCE);
      pthread_join (t, NULL);
      assert_int_equal (async_calls, round);
    }
  count_reads = 0;
  if (harness_is_real_libev ())
    assert_in_range (reads, 1, 2 * kRounds);
  else
    assert_int_equal (reads, 0);
  harness_expect_blocks_until_timer (loop, 0.05);
  ev_async_stop (loop, &a);
  ev_loop_destroy (loop);
  assert_int_equal (harness_open_fds (), fds_before);
}

static void
iouring__wakeups_read_nothing_with_the_wait_in_the_ring (void **state)
{
  (void)state;
  wakeups_read_nothing ("");
}

static void
iouring__wakeups_read_nothing_with_epoll_wait (void **state)
{
  (void)state;
  wakeups_read_nothing ("6.1");
}

int
main (void)
{
  if (getenv (kWithoutEpollCtl))
    return without_epoll_ctl_main ();
  test_backend = EVBACKEND_IOURING;
  test_backend_name = "io_uring";
  if (!(ev_supported_backends () & EVBACKEND_IOURING))
    {
      printf ("[ SKIPPED  ] backend_iouring: io_uring not supported here\n");
      return 77;
    }
  struct ev_loop *probe = ev_loop_new (EVBACKEND_IOURING | EVFLAG_NOENV);
  if (!probe)
    {
      printf ("[ SKIPPED  ] backend_iouring: io_uring_setup refused by this kernel\n");
      return 77;
    }
  ev_loop_destroy (probe);

  const struct CMUnitTest tests[] = {
    plain_test (iouring__supported_embeddable_but_not_recommended),
    plain_test (iouring__chosen_only_when_requested_and_then_first),
    plain_test (iouring__refused_setup_means_no_loop_or_a_fallback),
    plain_test (iouring__refused_enter_means_no_loop_or_a_fallback),
    plain_test (iouring__ring_fd_is_close_on_exec),
    plain_test (iouring__not_supported_without_epoll_ctl),
    plain_test (iouring__wakeups_read_nothing_with_the_wait_in_the_ring),
    plain_test (iouring__wakeups_read_nothing_with_epoll_wait),
    loop_test (iouring__level_triggered_read_and_write),
    loop_test (iouring__wakes_up_for_data_from_another_process),
    loop_test (iouring__several_watchers_per_fd_like_epoll),
    loop_test (iouring__start_stop_modify_within_one_iteration),
    loop_test (iouring__callback_modifies_its_watcher),
    loop_test (iouring__fd_reuse_with_ev_io_set),
    loop_test (iouring__closed_file_released_by_the_next_iteration),
    loop_test (iouring__number_reused_while_a_child_holds_the_old_file_hears_only_the_new),
    plain_test (iouring__backend_fd_closed_behind_the_loops_back_is_replaced),
    plain_test (iouring__a_watcher_on_the_rings_own_fd_hears_it_writable),
    loop_test (iouring__regular_file_always_ready),
    plain_test (iouring__never_opened_fd_gets_ev_error),
    plain_test (iouring__fd_closed_while_armed_gets_ev_error),
    plain_test (iouring__fd_closed_then_hung_up_gets_ev_error_once),
    loop_test (iouring__timers_never_early),
    loop_test (iouring__removed_polls_do_not_cut_the_wait_short),
    loop_test (iouring__a_signal_ends_a_wait_that_submitted_requests),
    loop_test (iouring__release_acquire_once_per_iteration),
    plain_test (iouring__signal_while_waiting),
    loop_test (iouring__a_thousand_socketpairs),
    loop_test (iouring__registrations_no_watcher_wants_are_dropped_at_once),
    loop_test (iouring__changes_in_every_iteration_for_many_iterations),
    loop_test (iouring__every_fd_ready_at_the_poll_is_reported_by_it),
    plain_test (iouring__every_fd_ready_is_reported_by_one_sweep_of_an_embedded_loop),
    loop_test (iouring__every_fd_ready_is_reported_in_a_loop_run_by_another_thread),
    loop_test (iouring__polls_of_an_exited_thread_are_rearmed),
    loop_test (iouring__fork_with_ev_loop_fork_in_the_child),
    plain_test (iouring__fork_detected_with_forkcheck),
    loop_test (iouring__fork_unannounced_child_uses_the_loop),
    loop_test (iouring__child_that_only_exits),
    plain_test (iouring__many_watched_sockets_stay_free_of_a_forked_child),
    plain_test (iouring__many_watched_sockets_stay_free_of_a_cloned_child),
    plain_test (iouring__loop_fork_in_the_parent_strands_no_socket_in_a_forked_child),
    plain_test (iouring__loop_fork_in_the_parent_strands_no_socket_in_a_cloned_child),
    plain_test (iouring__loop_destroy_strands_no_socket_in_a_cloned_child),
    plain_test (iouring__completions_beyond_the_queue_are_kept),
    loop_test (iouring__a_forked_child_holds_nothing_of_the_ring),
    plain_test (iouring__embedded_into_epoll_poll_select_and_io_uring),
    plain_test (iouring__embedded_loop_survives_fork),
    plain_test (iouring__embedded_loop_with_many_fds_wakes_the_outer_loop),
    plain_test (iouring__a_new_ring_never_hands_a_closed_watched_number_to_its_watcher),
    plain_test (iouring__uses_each_feature_the_kernel_and_the_level_allow),
  };
  const char *filter = getenv ("HARNESS_FILTER");
  if (filter && *filter)
    cmocka_set_test_filter (filter);
  return cmocka_run_group_tests_name ("backend_iouring", tests, NULL, NULL);
}
