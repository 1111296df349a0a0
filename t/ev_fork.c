/* SPDX-License-Identifier: BSD-2-Clause */
/* t/ev_fork.c - ev(3) "ev_fork - the audacity to resume the event loop after a fork", the
 * "FORK" section and EVFLAG_FORKCHECK (doc/semantics.md §16): fork watchers run in the
 * next iteration after ev_loop_fork, before the prepare watchers, only in the process that
 * announced the fork; no fork callbacks without it; EVFLAG_FORKCHECK notices a fork by
 * itself; the parent is unaffected; and a fork with every watcher type active, after which
 * the child's io, timers, periodics, signals, children, async, stat and embedded loop all
 * work (the child's epoll sets are its own), and so do the parent's.
 *
 * Children report failures with CHECK() (stderr and _exit(1)), never with cmocka's
 * assertions, which would longjmp into the child's copy of the test runner. */
#define _GNU_SOURCE 1
#include "harness.h"
#include "refuse.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kcmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

TRACE_REVENTS_CB (fork)
TRACE_CB (prepare)

static void
guard_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)loop, (void)revents;
  *(int *)w->data = 1;
}

/* ---- fork watchers and ev_loop_fork ---------------------------------------------------------- */

struct scene
{
  struct ev_loop *loop;
  ev_fork f;
  ev_prepare p;
};

static void
scene_start (struct scene *s, unsigned flags)
{
  s->loop = ev_loop_new (test_backend | EVFLAG_NOENV | flags);
  assert_non_null (s->loop);
  ev_fork_init (&s->f, trace_fork_revents_cb);
  s->f.data = "fork";
  ev_fork_start (s->loop, &s->f);
  ev_prepare_init (&s->p, trace_prepare_cb);
  s->p.data = "prepare";
  ev_prepare_start (s->loop, &s->p);
  ev_run (s->loop, EVRUN_NOWAIT);
  expect_trace ("prepare");
}

static void
scene_stop (struct scene *s)
{
  ev_fork_stop (s->loop, &s->f);
  ev_prepare_stop (s->loop, &s->p);
  ev_loop_destroy (s->loop);
}

static void
child_with_loop_fork (void *arg)
{
  struct scene *s = arg;
  ev_loop_fork (s->loop);
  /* nothing happens before the next iteration */
  CHECK (strcmp (trace_get (), "") == 0);
  ev_run (s->loop, EVRUN_NOWAIT);
  /* the fork watchers first, before the prepare watchers, once */
  CHECK (strcmp (trace_get (), "fork:0x20000,prepare") == 0);
  trace_reset ();
  ev_run (s->loop, EVRUN_NOWAIT);
  CHECK (strcmp (trace_get (), "prepare") == 0);
  CHECK (ev_is_active (&s->f));
}

static void
ev_fork__watchers_run_in_the_child_after_ev_loop_fork_before_prepare (void **state)
{
  (void)state;
  struct scene s;
  scene_start (&s, 0);
  harness_expect_child_ok (child_with_loop_fork, &s, 10, NULL);
  /* the parent was told nothing */
  ev_run (s.loop, EVRUN_NOWAIT);
  expect_trace ("prepare");
  scene_stop (&s);
}

static void
child_without_loop_fork (void *arg)
{
  struct scene *s = arg;
  /* the child keeps using the loop without telling it: no fork callbacks; timers (which
   * need no kernel state) still work */
  int fired = 0;
  ev_timer t;
  ev_timer_init (&t, guard_cb, 0.01, 0.);
  t.data = &fired;
  ev_timer_start (s->loop, &t);
  while (!fired)
    ev_run (s->loop, EVRUN_ONCE);
  CHECK (strstr (trace_get (), "fork") == NULL);
  CHECK (strstr (trace_get (), "prepare") != NULL);
}

static void
ev_fork__no_fork_callbacks_without_ev_loop_fork (void **state)
{
  (void)state;
  struct scene s;
  scene_start (&s, 0);
  harness_expect_child_ok (child_without_loop_fork, &s, 10, NULL);
  ev_run (s.loop, EVRUN_NOWAIT);
  expect_trace ("prepare");
  scene_stop (&s);
}

static void
child_forkcheck (void *arg)
{
  struct scene *s = arg;
  /* EVFLAG_FORKCHECK: the loop compares getpid() itself */
  ev_run (s->loop, EVRUN_NOWAIT);
  CHECK (strcmp (trace_get (), "fork:0x20000,prepare") == 0);
  trace_reset ();
  ev_run (s->loop, EVRUN_NOWAIT);
  CHECK (strcmp (trace_get (), "prepare") == 0);
}

static void
ev_fork__forkcheck_notices_the_fork_by_itself (void **state)
{
  (void)state;
  struct scene s;
  scene_start (&s, EVFLAG_FORKCHECK);
  harness_expect_child_ok (child_forkcheck, &s, 10, NULL);
  /* the parent's pid did not change */
  ev_run (s.loop, EVRUN_NOWAIT);
  ev_run (s.loop, EVRUN_NOWAIT);
  expect_trace ("prepare,prepare");
  scene_stop (&s);
}

static int io_calls;

static void
io_cb (struct ev_loop *loop, ev_io *w, int revents)
{
  (void)loop, (void)revents;
  char buf[16];
  (void)!read (w->fd, buf, sizeof buf);
  ++io_calls;
}

static void
ev_fork__ev_loop_fork_without_a_fork_is_harmless (void **state)
{
  (void)state;
  struct scene s;
  scene_start (&s, 0);
  int p[2];
  assert_int_equal (pipe (p), 0);
  ev_io io;
  ev_io_init (&io, io_cb, p[0], EV_READ);
  ev_io_start (s.loop, &io);
  ev_run (s.loop, EVRUN_NOWAIT);
  expect_trace ("prepare");
  /* announced in this process: the watchers run here, and the rebuilt loop works */
  ev_loop_fork (s.loop);
  ev_run (s.loop, EVRUN_NOWAIT);
  expect_trace ("fork:0x20000,prepare");
  io_calls = 0;
  assert_int_equal (write (p[1], "x", 1), 1);
  ev_run (s.loop, EVRUN_NOWAIT);
  assert_int_equal (io_calls, 1);
  expect_trace ("prepare");
  ev_io_stop (s.loop, &io);
  close (p[0]);
  close (p[1]);
  scene_stop (&s);
}

/* ---- a fork with every watcher type active ---------------------------------------------------- */

/* One of everything, in the default loop (for ev_child), run inside a harness child so that
 * the test process never has a default loop.  The same checks run in the forked child
 * (after ev_loop_fork) and afterwards in the parent. */
struct all
{
  struct ev_loop *loop, *inner;
  int io_pipe[2], inner_pipe[2];
  char file[80];
  ev_io io, inner_io;
  ev_timer timer;
  ev_periodic periodic;
  ev_signal sig;
  ev_child child;
  ev_stat stat;
  ev_idle idle;
  ev_prepare prepare;
  ev_check check;
  ev_fork fork;
  ev_cleanup cleanup;
  ev_async async;
  ev_embed embed;
  /* calls */
  int n_io, n_inner_io, n_timer, n_periodic, n_sig, n_child, n_stat, n_idle, n_prepare, n_check,
    n_fork, n_cleanup, n_async;
  int child_status;
};

static struct all all;
static char fork_dir[64]; /* made and removed by the test process */

#define COUNTER_CB(type, field)                                                            \
  static void count_##type##_cb (struct ev_loop *l_, ev_##type *w_, int r_)                \
  {                                                                                        \
    (void)l_, (void)w_, (void)r_;                                                          \
    ++all.field;                                                                           \
  }
COUNTER_CB (timer, n_timer)
COUNTER_CB (periodic, n_periodic)
COUNTER_CB (signal, n_sig)
COUNTER_CB (stat, n_stat)
COUNTER_CB (prepare, n_prepare)
COUNTER_CB (check, n_check)
COUNTER_CB (cleanup, n_cleanup)
COUNTER_CB (async, n_async)

static void
count_fork_cb (struct ev_loop *l, ev_fork *w, int r)
{
  (void)l, (void)w, (void)r;
  ++all.n_fork;
  /* before the prepare watchers of the same iteration */
  CHECK (all.n_prepare == 0);
}

static void
count_idle_cb (struct ev_loop *l, ev_idle *w, int r)
{
  (void)r;
  ++all.n_idle;
  ev_idle_stop (l, w); /* once is enough, and lets the loop block again */
}

static void
count_io_cb (struct ev_loop *l, ev_io *w, int r)
{
  char buf[16];
  (void)l, (void)r;
  (void)!read (w->fd, buf, sizeof buf);
  if (w == &all.io)
    ++all.n_io;
  else
    ++all.n_inner_io;
}

static void
count_child_cb (struct ev_loop *l, ev_child *w, int r)
{
  (void)l, (void)r;
  ++all.n_child;
  all.child_status = w->rstatus;
}

static void
all_start (void)
{
  struct all *a = &all;
  memset (a, 0, sizeof *a);
  a->loop = ev_default_loop (test_backend | EVFLAG_NOENV);
  CHECK (a->loop && ev_backend (a->loop) == test_backend);
  a->inner = ev_loop_new (EVBACKEND_EPOLL | EVFLAG_NOENV);
  CHECK (a->inner);
  CHECK (pipe (a->io_pipe) == 0 && pipe (a->inner_pipe) == 0);
  /* Parent and child share these pipes.  A readiness the parent's loop had already
   * registered can be reported after the child consumed the byte (io_uring reports what its
   * one-shot poll saw, in libev 4.33 too), so the reads must not block. */
  for (int i = 0; i < 2; ++i)
    {
      fcntl (a->io_pipe[i], F_SETFL, O_NONBLOCK);
      fcntl (a->inner_pipe[i], F_SETFL, O_NONBLOCK);
    }
  snprintf (a->file, sizeof a->file, "%.64s/file", fork_dir);
  int fd = open (a->file, O_WRONLY | O_CREAT, 0600);
  CHECK (fd >= 0);
  close (fd);

  ev_io_init (&a->io, count_io_cb, a->io_pipe[0], EV_READ);
  ev_io_start (a->loop, &a->io);
  ev_io_init (&a->inner_io, count_io_cb, a->inner_pipe[0], EV_READ);
  ev_io_start (a->inner, &a->inner_io);
  ev_timer_init (&a->timer, count_timer_cb, 0.01, 0.01);
  ev_timer_start (a->loop, &a->timer);
  ev_periodic_init (&a->periodic, count_periodic_cb, 0., 0.01, 0);
  ev_periodic_start (a->loop, &a->periodic);
  ev_signal_init (&a->sig, count_signal_cb, SIGUSR1);
  ev_signal_start (a->loop, &a->sig);
  ev_child_init (&a->child, count_child_cb, 0, 0);
  ev_child_start (a->loop, &a->child);
  ev_stat_init (&a->stat, count_stat_cb, a->file, 0.01);
  ev_stat_start (a->loop, &a->stat);
  ev_idle_init (&a->idle, count_idle_cb);
  /* highest priority: the frequent timers of priority 0 must not starve it (idle rule) */
  ev_set_priority (&a->idle, EV_MAXPRI);
  ev_idle_start (a->loop, &a->idle);
  ev_prepare_init (&a->prepare, count_prepare_cb);
  ev_prepare_start (a->loop, &a->prepare);
  ev_check_init (&a->check, count_check_cb);
  ev_check_start (a->loop, &a->check);
  ev_fork_init (&a->fork, count_fork_cb);
  ev_fork_start (a->loop, &a->fork);
  ev_cleanup_init (&a->cleanup, count_cleanup_cb);
  ev_cleanup_start (a->loop, &a->cleanup);
  ev_async_init (&a->async, count_async_cb);
  ev_async_start (a->loop, &a->async);
  ev_embed_init (&a->embed, 0, a->inner);
  ev_embed_start (a->loop, &a->embed);
  /* everything registered with the kernel */
  ev_run (a->loop, EVRUN_NOWAIT);
  ev_run (a->loop, EVRUN_NOWAIT);
}

static void
reset_counts (void)
{
  struct all *a = &all;
  a->n_io = a->n_inner_io = a->n_timer = a->n_periodic = a->n_sig = a->n_child = a->n_stat = 0;
  a->n_idle = a->n_prepare = a->n_check = a->n_fork = a->n_cleanup = a->n_async = 0;
}

static int
everything_seen (void)
{
  struct all *a = &all;
  return a->n_io && a->n_inner_io && a->n_timer && a->n_periodic && a->n_sig && a->n_child && a->n_stat
         && a->n_async;
}

static int
quick_child (void)
{
  return 5;
}

/* Makes every watcher type fire in this process, and runs the loop until all have. */
static void
exercise_everything (void)
{
  struct all *a = &all;
  CHECK (write (a->io_pipe[1], "x", 1) == 1);
  CHECK (write (a->inner_pipe[1], "y", 1) == 1);
  raise (SIGUSR1);
  ev_async_send (a->loop, &a->async);
  int fd = open (a->file, O_WRONLY | O_APPEND);
  CHECK (fd >= 0);
  CHECK (write (fd, "z", 1) == 1);
  close (fd);
  pid_t pid = fork ();
  CHECK (pid >= 0);
  if (pid == 0)
    _exit (quick_child ());

  int expired = 0;
  ev_timer guard;
  ev_timer_init (&guard, guard_cb, harness_slack (3.), 0.);
  guard.data = &expired;
  ev_timer_start (a->loop, &guard);
  while (!everything_seen () && !expired)
    ev_run (a->loop, EVRUN_ONCE);
  ev_timer_stop (a->loop, &guard);
  if (!everything_seen ())
    fprintf (stderr,
             "pid %d: io %d inner io %d timer %d periodic %d signal %d child %d stat %d async %d\n",
             (int)getpid (), a->n_io, a->n_inner_io, a->n_timer, a->n_periodic, a->n_sig, a->n_child,
             a->n_stat, a->n_async);
  CHECK (everything_seen ());
  CHECK (WIFEXITED (a->child_status) && WEXITSTATUS (a->child_status) == 5);
  CHECK (a->n_prepare > 0 && a->n_check > 0);
}

/* kcmp(2): whether fd1 of pid1 and fd2 of pid2 are the same open file; -1 if unknown
 * (kcmp unavailable, e.g. under valgrind) */
static int
same_file (pid_t pid1, int fd1, pid_t pid2, int fd2)
{
  long r = syscall (SYS_kcmp, pid1, pid2, KCMP_FILE, fd1, fd2);
  return r < 0 ? -1 : r == 0;
}

/* The kernel objects a loop holds besides ordinary files: epoll sets, eventfd, signalfd,
 * timerfd, inotify (all "anon_inode:..." in /proc/self/fd). */
struct kobjs
{
  int n;
  int fd[64];
  char name[64][64];
};

static void
list_kernel_objects (struct kobjs *k)
{
  char link[64], target[64];
  int fds[256], nfds = 0;
  k->n = 0;
  for (int fd = 0; fd < 1024 && nfds < 256; ++fd)
    if (fcntl (fd, F_GETFD) != -1)
      fds[nfds++] = fd;
  for (int i = 0; i < nfds && k->n < 64; ++i)
    {
      snprintf (link, sizeof link, "/proc/self/fd/%d", fds[i]);
      ssize_t len = readlink (link, target, sizeof target - 1);
      if (len <= 0)
        continue;
      target[len] = 0;
      if (strncmp (target, "anon_inode:", 11) != 0)
        continue;
      k->fd[k->n] = fds[i];
      memcpy (k->name[k->n], target + 11, (size_t)len - 11 + 1);
      ++k->n;
    }
}

static struct kobjs parent_kobjs;
static pid_t parent_pid;
static int done_pipe[2]; /* the child's end closes when it exits */

/* none of this process's kernel objects may be one of the parent's */
static void
check_no_shared_kernel_objects (void)
{
  struct kobjs mine;
  list_kernel_objects (&mine);
  for (int i = 0; i < mine.n; ++i)
    for (int j = 0; j < parent_kobjs.n; ++j)
      if (same_file (parent_pid, parent_kobjs.fd[j], getpid (), mine.fd[i]) == 1)
        {
          fprintf (stderr, "the child's fd %d (%s) is the parent's fd %d\n", mine.fd[i], mine.name[i],
                   parent_kobjs.fd[j]);
          CHECK (!"kernel object shared with the parent after ev_loop_fork");
        }
}

static void
forked_with_everything (void *arg)
{
  (void)arg;
  struct all *a = &all;
  close (done_pipe[0]);
  reset_counts ();
  ev_loop_fork (a->loop);
  /* the iteration that handles the fork: fork watchers, then the kernel state is rebuilt
   * (a change of the stat path before that could go unnoticed: the new inotify watch is
   * created after it) */
  ev_run (a->loop, EVRUN_NOWAIT);
  CHECK (a->n_fork == 1);
  exercise_everything ();
  CHECK (a->n_fork == 1);
  /* the idle watcher was stopped before the fork: restart it once.  It runs in the first
   * iteration with nothing else of its priority pending; a late wake-up (the loop's own
   * watcher, also of the highest priority) may take one iteration first, as in libev (seen
   * under ASan: a slow child made the first iteration busy) */
  ev_idle_start (a->loop, &a->idle);
  for (int i = 0; i < 100 && !a->n_idle; ++i)
    ev_run (a->loop, EVRUN_NOWAIT);
  CHECK (a->n_idle == 1);
  /* the kernel state is the child's own: epoll sets (of the loop and, passed on by the embed
   * watcher, of the embedded loop), wake-up descriptor, inotify, timerfd */
  check_no_shared_kernel_objects ();
  /* and the cleanup watcher runs when the child destroys its copy of the loop */
  ev_embed_stop (a->loop, &a->embed);
  ev_loop_destroy (a->inner);
  ev_loop_destroy (a->loop);
  CHECK (a->n_cleanup == 1);
  _exit (0);
}

static void
fork_with_everything (void *arg)
{
  (void)arg;
  struct all *a = &all;
  all_start ();
  /* first in this process, so that the idle watcher has run and stopped itself */
  exercise_everything ();
  CHECK (a->n_idle == 1 && a->n_fork == 0);

  parent_pid = getpid ();
  list_kernel_objects (&parent_kobjs);
  CHECK (parent_kobjs.n >= 2); /* at least the embedded loop's epoll set and the inotify */
  CHECK (pipe (done_pipe) == 0);
  fflush (stderr);
  pid_t pid = fork ();
  CHECK (pid >= 0);
  if (pid == 0)
    forked_with_everything (NULL);

  /* The parent does not run its loop while the child works: both have the same pipes, and
   * the parent's io watchers would take the child's bytes.  It waits until the child is
   * done (EOF when the child exits), then learns the child's status through its pid-0
   * child watcher... */
  char c;
  close (done_pipe[1]);
  while (read (done_pipe[0], &c, 1) < 0 && errno == EINTR)
    ;
  close (done_pipe[0]);
  reset_counts ();
  int expired = 0;
  ev_timer guard;
  ev_timer_init (&guard, guard_cb, harness_slack (8.), 0.);
  guard.data = &expired;
  ev_timer_start (a->loop, &guard);
  while (!a->n_child && !expired)
    ev_run (a->loop, EVRUN_ONCE);
  ev_timer_stop (a->loop, &guard);
  CHECK (a->n_child == 1);
  if (!WIFEXITED (a->child_status) || WEXITSTATUS (a->child_status) != 0)
    fprintf (stderr, "the forked child failed (status 0x%x)\n", a->child_status);
  CHECK (WIFEXITED (a->child_status) && WEXITSTATUS (a->child_status) == 0);
  /* ...was told about no fork, and everything still works here */
  reset_counts ();
  exercise_everything ();
  CHECK (a->n_fork == 0);

  ev_embed_stop (a->loop, &a->embed);
  ev_loop_destroy (a->inner);
  ev_loop_destroy (a->loop);
  CHECK (a->n_cleanup == 1);
}

static void
ev_fork__fork_with_every_watcher_type_active (void **state)
{
  (void)state;
  /* (it counts the kernel objects parent and child share: epoll sets, inotify, timerfd) */
  skip_without_linux_apis ();
  snprintf (fork_dir, sizeof fork_dir, "%s/ev_fork-XXXXXX", getenv ("TMPDIR") ? getenv ("TMPDIR") : "/tmp");
  assert_non_null (mkdtemp (fork_dir));
  struct harness_child c;
  harness_child_run (fork_with_everything, NULL, 20, &c);
  /* removed whatever happened in the children */
  char file[96];
  snprintf (file, sizeof file, "%s/file", fork_dir);
  unlink (file);
  rmdir (fork_dir);
  if (!c.exited || c.status != 0)
    fail_msg ("the child %s %d\n%s", c.exited ? "exited with status" : "was killed by signal",
              c.exited ? c.status : c.signo, c.err);
}

/* After a fork the child's loop needs a kernel object of its own (epoll set, io_uring ring),
 * and the system refuses it (EMFILE, a sandbox), with a syserr callback that returns: the
 * failure is reported a bounded number of times; the child's io watchers get EV_ERROR (they
 * cannot be watched); its timers keep working (the loop sleeps instead of polling).  An
 * earlier libev-ng (and libev 4.33) called the callback again and again, forever.  select
 * and poll keep no kernel object: there nothing changes. */
static int fork_syserr_calls;

static void
count_fork_syserr (const char *msg) EV_NOEXCEPT
{
  (void)msg;
  ++fork_syserr_calls;
}

static void
timer_trace_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)loop, (void)revents;
  trace_add ("%s", (const char *)w->data);
}

static void
io_trace_cb (struct ev_loop *loop, ev_io *w, int revents)
{
  (void)loop;
  trace_add ("%s:0x%x", (const char *)w->data, (unsigned)revents);
  ev_io_stop (loop, w);
}

static void
refused_kernel_object_child (void *arg)
{
  (void)arg;
  int p[2];
  CHECK (pipe2 (p, O_CLOEXEC) == 0);
  CHECK (write (p[1], "x", 1) == 1);
  struct ev_loop *loop = ev_loop_new (test_backend | EVFLAG_NOENV);
  CHECK (loop);
  static ev_io r;
  static ev_timer t;
  ev_io_init (&r, io_trace_cb, p[0], EV_READ);
  r.data = "r";
  /* The ready pipe is seen in the first iteration, the timer in a later one: it is due
   * well after now, counted from after the filter is in (slow under valgrind). */
  ev_timer_init (&t, timer_trace_cb, 0.3, 0.);
  t.data = "t";
  ev_set_syserr_cb (count_fork_syserr);
  const long nrs[] = { SYS_epoll_create1, SYS_epoll_create, SYS_io_uring_setup };
  CHECK (refuse_syscalls (nrs, 3, EMFILE) == 0);
  ev_loop_fork (loop); /* as if this were the child of a fork */
  ev_now_update (loop);
  ev_io_start (loop, &r);
  ev_timer_start (loop, &t);
  struct harness_mark start = harness_mark ();
  ev_run (loop, 0);
  CHECK (harness_elapsed_unloaded (start, harness_mark ()) < harness_slack (2.));
  int kernel_object = test_backend == EVBACKEND_EPOLL || test_backend == EVBACKEND_IOURING;
  if (kernel_object)
    {
      CHECK (fork_syserr_calls >= 1 && fork_syserr_calls <= 3);
      CHECK (!strcmp (trace_get (), "r:0x80000003,t"));
    }
  else
    {
      CHECK (fork_syserr_calls == 0);
      CHECK (!strcmp (trace_get (), "r:0x1,t"));
    }
  _exit (0);
}

static void
ev_fork__kernel_object_refused_after_fork (void **state)
{
  (void)state;
  skip_on_real_libev (); /* libev 4.33 retries forever */
  harness_expect_child_ok (refused_kernel_object_child, NULL, 10, NULL);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    plain_test (ev_fork__watchers_run_in_the_child_after_ev_loop_fork_before_prepare),
    plain_test (ev_fork__no_fork_callbacks_without_ev_loop_fork),
    plain_test (ev_fork__forkcheck_notices_the_fork_by_itself),
    plain_test (ev_fork__ev_loop_fork_without_a_fork_is_harmless),
    plain_test (ev_fork__fork_with_every_watcher_type_active),
    plain_test (ev_fork__kernel_object_refused_after_fork),
  };
  return HARNESS_RUN ("ev_fork", tests);
}
