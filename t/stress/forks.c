/* SPDX-License-Identifier: BSD-2-Clause */
/* t/stress/forks.c - fork() inside every kind of callback, with every kind of child (ev(3)
 * "ev_loop_fork", EVFLAG_FORKCHECK, "The special problem of fork"): the parent must never lose
 * an event.
 *
 * The parent's default loop watches one of everything: an fd (a pipe), a repeating timer, a
 * periodic, a signal, an ev_async, an ev_stat (a temporary file), an idle watcher (started when
 * needed), prepare and check watchers, a child watcher (for the child it forks) and an embedded
 * epoll loop with an fd of its own.  In one scenario the callback of one kind forks, and the
 * child then
 *   loop-fork   calls ev_loop_fork, runs its copy of the loop, stops its copies of the watchers
 *   forkcheck   the same without ev_loop_fork, in a loop made with EVFLAG_FORKCHECK
 *   forgets     runs and stops its copies without ev_loop_fork (ev(3) requires it: libev-ng
 *               gives the child kernel state of its own anyway)
 *   exits       _exit at once
 *   execs       execs true
 * and once the child has exited, the parent makes every watcher's event happen and must see
 * each of them (and the child's exit) within a few seconds.  Every scenario runs in a process
 * of its own.  Backends x callback kinds x child behaviours: 4 x 11 x 5. */
#define _GNU_SOURCE 1
#include "stress.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

enum kind { K_IO, K_TIMER, K_PERIODIC, K_SIGNAL, K_ASYNC, K_STAT, K_IDLE, K_PREPARE, K_CHECK, K_CHILD, K_EMBED, KINDS };
static const char *const kind_names[KINDS] = { "io",   "timer",   "periodic", "signal", "async", "stat",
                                               "idle", "prepare", "check",    "child",  "embed" };
enum behaviour { B_LOOP_FORK, B_FORKCHECK, B_FORGETS, B_EXITS, B_EXECS, BEHAVIOURS };
static const char *const behaviour_names[BEHAVIOURS] = { "loop-fork", "forkcheck", "forgets", "exits", "execs" };

/* events: one bit per kind, set by its callback (after the fork) */
enum { E_IO = 1 << K_IO, E_TIMER = 1 << K_TIMER, E_PERIODIC = 1 << K_PERIODIC, E_SIGNAL = 1 << K_SIGNAL,
       E_ASYNC = 1 << K_ASYNC, E_STAT = 1 << K_STAT, E_EMBED = 1 << K_EMBED, E_FORKED_CHILD = 1 << 16 };

static struct
{
  struct ev_loop *loop, *inner;
  enum kind fork_in;
  enum behaviour behaviour;
  int forked;           /* the fork happened (in the parent) */
  pid_t child;
  unsigned seen;        /* events since the child exited */
  int child_status;
  int pipe_fd[2], inner_fd[2];
  char path[64];
  ev_io io, inner_io;
  ev_timer timer;
  ev_periodic periodic;
  ev_signal sig;
  ev_async async;
  ev_stat st;
  ev_idle idle;
  ev_prepare prepare;
  ev_check check;
  ev_child childw, forked_w;
  ev_embed embed;
  pid_t helper;
} S;

static void stop_all (struct ev_loop *loop);

/* What the child does after the fork. */
static void
child_part (void)
{
  switch (S.behaviour)
    {
    case B_EXITS:
      _exit (0);
    case B_EXECS:
      execlp ("true", "true", (char *)NULL);
      _exit (127);
    case B_LOOP_FORK:
      ev_loop_fork (S.loop);
      ev_loop_fork (S.inner);
      /* fall through */
    case B_FORKCHECK:
    case B_FORGETS:
      for (int i = 0; i < 3; ++i)
        ev_run (S.loop, EVRUN_NOWAIT);
      stop_all (S.loop);
      for (int i = 0; i < 3; ++i)
        ev_run (S.loop, EVRUN_NOWAIT);
      _exit (0);
    default:
      _exit (0);
    }
}

static void
forked_child_cb (struct ev_loop *loop, ev_child *w, int revents)
{
  (void)loop, (void)revents;
  S.child_status = w->rstatus;
  S.seen |= E_FORKED_CHILD;
  ev_child_stop (loop, w);
}

/* Called by every callback: forks if this is the kind, and records the event otherwise. */
static void
event (enum kind k)
{
  if (!S.forked && S.fork_in == k)
    {
      S.forked = 1;
      fflush (stdout);
      pid_t pid = fork ();
      if (pid == 0)
        child_part ();
      S.child = pid;
      ev_child_init (&S.forked_w, forked_child_cb, pid, 0);
      ev_child_start (S.loop, &S.forked_w);
      return;
    }
  if (S.forked)
    S.seen |= 1u << k;
}

static void
io_cb (struct ev_loop *loop, ev_io *w, int revents)
{
  (void)loop, (void)revents;
  char buf[64];
  if (read (w->fd, buf, sizeof buf) > 0)
    event (w == &S.inner_io ? K_EMBED : K_IO);
}

static void timer_cb (struct ev_loop *l, ev_timer *w, int r) { (void)l, (void)w, (void)r; event (K_TIMER); }
static void periodic_cb (struct ev_loop *l, ev_periodic *w, int r) { (void)l, (void)w, (void)r; event (K_PERIODIC); }
static void signal_cb (struct ev_loop *l, ev_signal *w, int r) { (void)l, (void)w, (void)r; event (K_SIGNAL); }
static void async_cb (struct ev_loop *l, ev_async *w, int r) { (void)l, (void)w, (void)r; event (K_ASYNC); }
static void stat_cb (struct ev_loop *l, ev_stat *w, int r) { (void)l, (void)w, (void)r; event (K_STAT); }
static void idle_cb (struct ev_loop *l, ev_idle *w, int r) { (void)r; ev_idle_stop (l, w); event (K_IDLE); }
static void prepare_cb (struct ev_loop *l, ev_prepare *w, int r) { (void)l, (void)w, (void)r; event (K_PREPARE); }
static void check_cb (struct ev_loop *l, ev_check *w, int r) { (void)l, (void)w, (void)r; event (K_CHECK); }
static void helper_cb (struct ev_loop *l, ev_child *w, int r) { (void)r; ev_child_stop (l, w); event (K_CHILD); }

static void
stop_all (struct ev_loop *loop)
{
  ev_io_stop (loop, &S.io);
  ev_io_stop (S.inner, &S.inner_io);
  ev_timer_stop (loop, &S.timer);
  ev_periodic_stop (loop, &S.periodic);
  ev_signal_stop (loop, &S.sig);
  ev_async_stop (loop, &S.async);
  ev_stat_stop (loop, &S.st);
  ev_idle_stop (loop, &S.idle);
  ev_prepare_stop (loop, &S.prepare);
  ev_check_stop (loop, &S.check);
  ev_child_stop (loop, &S.childw);
  ev_embed_stop (loop, &S.embed);
}

static void
put (int fd)
{
  if (write (fd, "x", 1) != 1)
    _exit (3);
}

static void
guard_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)loop, (void)revents;
  *(int *)w->data = 1;
}

/* One scenario, in a process of its own: exit status 0 when the parent saw everything. */
static int
scenario (unsigned backend, enum kind k, enum behaviour b)
{
  memset (&S, 0, sizeof S);
  S.fork_in = k;
  S.behaviour = b;
  unsigned flags = backend | EVFLAG_NOENV | (b == B_FORKCHECK ? EVFLAG_FORKCHECK : 0);
  S.loop = ev_default_loop (flags);
  S.inner = ev_loop_new (EVBACKEND_EPOLL | EVFLAG_NOENV);
  if (!S.loop || !S.inner || pipe2 (S.pipe_fd, O_NONBLOCK | O_CLOEXEC) || pipe2 (S.inner_fd, O_NONBLOCK | O_CLOEXEC))
    return 2;
  snprintf (S.path, sizeof S.path, "/tmp/libev-ng-forks-%d", (int)getpid ());
  int f = open (S.path, O_CREAT | O_TRUNC | O_WRONLY, 0600);
  close (f);

  ev_io_init (&S.io, io_cb, S.pipe_fd[0], EV_READ);
  ev_io_start (S.loop, &S.io);
  ev_io_init (&S.inner_io, io_cb, S.inner_fd[0], EV_READ);
  ev_io_start (S.inner, &S.inner_io);
  ev_embed_init (&S.embed, NULL, S.inner);
  ev_embed_start (S.loop, &S.embed);
  ev_timer_init (&S.timer, timer_cb, 0.02, 0.02);
  ev_timer_start (S.loop, &S.timer);
  ev_periodic_init (&S.periodic, periodic_cb, 0., 0.02, NULL);
  ev_periodic_start (S.loop, &S.periodic);
  ev_signal_init (&S.sig, signal_cb, SIGUSR1);
  ev_signal_start (S.loop, &S.sig);
  ev_async_init (&S.async, async_cb);
  ev_async_start (S.loop, &S.async);
  ev_stat_init (&S.st, stat_cb, S.path, 0.);
  ev_stat_start (S.loop, &S.st);
  ev_idle_init (&S.idle, idle_cb);
  ev_prepare_init (&S.prepare, prepare_cb);
  ev_prepare_start (S.loop, &S.prepare);
  ev_check_init (&S.check, check_cb);
  ev_check_start (S.loop, &S.check);
  ev_run (S.loop, EVRUN_NOWAIT);

  /* make the forking callback happen */
  switch (k)
    {
    case K_IO: put (S.pipe_fd[1]); break;
    case K_EMBED: put (S.inner_fd[1]); break;
    case K_SIGNAL: raise (SIGUSR1); break;
    case K_ASYNC: ev_async_send (S.loop, &S.async); break;
    case K_STAT: f = open (S.path, O_WRONLY | O_APPEND); put (f); close (f); break;
    case K_IDLE: ev_idle_start (S.loop, &S.idle); break;
    case K_CHILD:
      S.helper = fork ();
      if (S.helper == 0)
        _exit (0);
      ev_child_init (&S.childw, helper_cb, S.helper, 0);
      ev_child_start (S.loop, &S.childw);
      break;
    default: break;
    }
  int expired = 0;
  ev_timer guard;
  ev_timer_init (&guard, guard_cb, 3., 0.);
  guard.data = &expired;
  ev_timer_start (S.loop, &guard);
  while (!S.forked && !expired)
    ev_run (S.loop, EVRUN_ONCE);
  if (!S.forked)
    {
      fprintf (stderr, "the %s callback never came\n", kind_names[k]);
      return 4;
    }
  /* the child's end */
  while (!(S.seen & E_FORKED_CHILD) && !expired)
    ev_run (S.loop, EVRUN_ONCE);

  /* now everything, once more: none may be lost */
  S.seen &= E_FORKED_CHILD;
  put (S.pipe_fd[1]);
  put (S.inner_fd[1]);
  raise (SIGUSR1);
  ev_async_send (S.loop, &S.async);
  f = open (S.path, O_WRONLY | O_APPEND);
  put (f);
  close (f);
  const unsigned want = E_IO | E_TIMER | E_PERIODIC | E_SIGNAL | E_ASYNC | E_STAT | E_EMBED | E_FORKED_CHILD;
  ev_timer_stop (S.loop, &guard);
  expired = 0;
  ev_timer_set (&guard, 3., 0.);
  ev_timer_start (S.loop, &guard);
  while ((S.seen & want) != want && !expired)
    ev_run (S.loop, EVRUN_ONCE);
  ev_timer_stop (S.loop, &guard);
  unlink (S.path);
  if ((S.seen & want) != want)
    {
      fprintf (stderr, "lost:");
      for (int i = 0; i < KINDS; ++i)
        if ((want & (1u << i)) && !(S.seen & (1u << i)))
          fprintf (stderr, " %s", kind_names[i]);
      if (!(S.seen & E_FORKED_CHILD))
        fprintf (stderr, " the child's exit");
      fprintf (stderr, "\n");
      return 1;
    }
  if (!WIFEXITED (S.child_status) || WEXITSTATUS (S.child_status))
    {
      fprintf (stderr, "the child ended with status %d\n", S.child_status);
      return 5;
    }
  stop_all (S.loop);
  ev_loop_destroy (S.inner);
  ev_loop_destroy (S.loop);
  return 0;
}

int
main (int argc, char **argv)
{
  stress_init (argc, argv);
  struct stress_backend backends[4];
  int nb = stress_backends (backends);
  int rounds = (int)stress_scale (1, 10);
  double start = stress_now ();
  long runs = 0, lost = 0;
  for (int round = 0; round < rounds; ++round)
    for (int i = 0; i < nb; ++i)
      for (int k = 0; k < KINDS; ++k)
        for (int b = 0; b < BEHAVIOURS; ++b)
          {
            fflush (stdout);
            int err[2];
            if (pipe (err))
              return 2;
            pid_t pid = fork ();
            if (pid == 0)
              {
                dup2 (err[1], 2);
                close (err[0]);
                stress_watchdog (20., "a fork scenario");
                _exit (scenario (backends[i].flag, (enum kind)k, (enum behaviour)b));
              }
            close (err[1]);
            char msg[512] = "";
            ssize_t n = read (err[0], msg, sizeof msg - 1);
            msg[n > 0 ? n : 0] = 0;
            close (err[0]);
            int st;
            waitpid (pid, &st, 0);
            ++runs;
            if (!WIFEXITED (st) || WEXITSTATUS (st))
              {
                ++lost;
                char *nl = strchr (msg, '\n');
                if (nl)
                  *nl = 0;
                stress_fail ("%s: fork in the %s callback, child %s: %s %d: %s", backends[i].name, kind_names[k],
                             behaviour_names[b], WIFSIGNALED (st) ? "signal" : "status",
                             WIFSIGNALED (st) ? WTERMSIG (st) : WEXITSTATUS (st), msg);
              }
          }
  stress_figure ("%ld scenarios (%d backends x %d callback kinds x %d child behaviours x %d rounds): "
                 "the parent lost an event in %ld; %.1f s",
                 runs, nb, KINDS, BEHAVIOURS, rounds, lost, stress_now () - start);
  return stress_exit_status ();
}
