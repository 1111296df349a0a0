/* SPDX-License-Identifier: BSD-2-Clause */
/* t/stress/fdreuse.c - a watched number reused while its old file lives on, under every backend
 * and every io_uring level (ev(3) ev_io, "The special problem of disappearing file descriptors"
 * and "The special problem of dup'ed file descriptors").
 *
 * epoll's interest set keys on the open file, not the number: when a number is reused while the
 * old file stays open elsewhere (a dup, a forked child, a descriptor in flight in an SCM_RIGHTS
 * message), the old file's registration stays in the set, and its readiness must never reach
 * the watcher of the new file.  Each case runs in rounds of many watched socket pairs at once;
 * the old file is made readable (and never read, so that a level-triggered registration of it
 * keeps reporting), the new file gets one marker byte:
 *   dup2-dup     a dup keeps the old file; stop, dup2 the new file over the number, ev_io_set, start
 *   fork-reuse   a child keeps every fd open; stop, close, the number reused, ev_io_set, start
 *   scm-reuse    the old file in flight in an SCM_RIGHTS message; stop, close, reuse, set, start
 *   restart      a dup keeps the old file; stop, close, reuse, start again without ev_io_set
 *                (ev(3) asks for ev_io_set; the loop follows the number all the same:
 *                backends/epoll_set.h, rule 2)
 *   untouched    closed and reused behind an active watcher (misuse that ev(3) warns about)
 * The first four sequences must give exactly one read of the marker and no stale callback (a
 * callback whose read finds no data or another file's), and the loop must sleep in a 20 ms quiet
 * window after the round (at most kQuietIterations iterations: a registration of the old file
 * left in the set would wake it again and again).  The misuse must lose nothing silently: each
 * watcher reads the marker or gets EV_ERROR; a wake-up with nothing to read first is counted
 * apart, never data of the old file.
 *
 * Short mode: 10^4 cases per case and backend, in rounds of 2,000; long mode: 10^5. */
#define _GNU_SOURCE 1
#include "stress.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

enum kind
{
  DUP2_DUP,
  FORK_REUSE,
  SCM_REUSE,
  RESTART,
  UNTOUCHED,
  KINDS
};
static const char *const kind_names[KINDS] = { "dup2-dup", "fork-reuse", "scm-reuse", "restart", "untouched" };

/* Iterations a sleeping loop may make in the quiet window: its timer, and a wake-up or two of
 * the backend's own (a rebuild after a stale registration reported once). */
enum { kQuietIterations = 4 };

/* How long the misuse may take to be noticed: epoll and io_uring never hear of a
 * number closed and reused behind a watcher, and the loop's closed-fd sweep (fd/fd.h), which
 * finds it, looks at a few hundred fds at a time, keeping to a small share of the loop's time. */
static const double kSweepDeadline = 60.;

struct slot
{
  ev_io w;
  int num;      /* the watched number */
  int old_peer; /* the old file's peer: written to, to make the old file readable */
  int fresh[2]; /* the new file's pair, made in the round's first step; fresh[0] moves to num */
  int keep;     /* the dup that keeps the old file (dup2-dup, restart), or -1 */
  int in_flight[2]; /* scm-reuse: the old file travels here, or -1 */
  char marker;
  int reads, errors, stale, wakeups;
};

struct totals
{
  long cases, reads, errors, stale, wakeups, losses, extra, noisy_rounds, max_quiet;
  double max_wait; /* the longest a round waited for its last slot */
};

static void
io_cb (struct ev_loop *loop, ev_io *w, int revents)
{
  struct slot *s = w->data;
  (void)loop;
  if (revents & EV_ERROR)
    {
      ++s->errors; /* the library stopped the watcher */
      return;
    }
  char buf[16];
  ssize_t n = read (w->fd, buf, sizeof buf);
  if (n == 1 && buf[0] == s->marker)
    ++s->reads; /* stays active: a stale event after the read counts too */
  else if (n < 0 && (errno == EAGAIN || errno == EBADF))
    ++s->wakeups; /* readiness that is not the file's, or the number's while it was closed */
  else
    ++s->stale; /* another file's data, or an end of file */
}

static void
xsocketpair (int sv[2])
{
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0)
    {
      perror ("socketpair");
      exit (2);
    }
}

/* (EPIPE: the old file of an untouched number is gone with its number) */
static void
put (int fd, char c)
{
  if (write (fd, &c, 1) != 1 && errno != EPIPE)
    {
      perror ("write");
      exit (2);
    }
}

static void
iterate (struct ev_loop *loop, unsigned n)
{
  while (n--)
    ev_run (loop, EVRUN_NOWAIT);
}

static void
flag_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)loop, (void)revents;
  *(int *)w->data = 1;
}

static int
resolved (const struct slot *s, enum kind k)
{
  return s->reads || (k == UNTOUCHED && s->errors);
}

/* One round of n slots of kind k; adds to t. */
static void
round_run (struct ev_loop *loop, struct slot *slots, int n, enum kind k, unsigned variant, uint64_t *rng,
           struct totals *t)
{
  for (int i = 0; i < n; ++i)
    {
      struct slot *s = &slots[i];
      int old[2];
      memset (s, 0, sizeof *s);
      xsocketpair (old);
      xsocketpair (s->fresh);
      s->num = old[0];
      s->old_peer = old[1];
      s->keep = s->in_flight[0] = s->in_flight[1] = -1;
      if (k == SCM_REUSE)
        xsocketpair (s->in_flight);
      s->marker = (char)('a' + stress_below (rng, 26));
      ev_io_init (&s->w, io_cb, s->num, EV_READ);
      s->w.data = s;
      ev_io_start (loop, &s->w);
    }
  iterate (loop, 1 + stress_below (rng, 2)); /* registered */

  /* what keeps the old files alive */
  pid_t child = -1;
  int child_go[2] = { -1, -1 };
  if (k == FORK_REUSE)
    {
      if (pipe2 (child_go, O_CLOEXEC) != 0)
        {
          perror ("pipe2");
          exit (2);
        }
      child = fork ();
      if (child == 0)
        {
          /* keeps every fd open, the loop's too, until the parent has looked */
          char c;
          close (child_go[1]);
          while (read (child_go[0], &c, 1) < 0 && errno == EINTR)
            ;
          _exit (0);
        }
      close (child_go[0]);
    }
  for (int i = 0; i < n; ++i)
    {
      struct slot *s = &slots[i];
      if (k == DUP2_DUP || k == RESTART)
        s->keep = fcntl (s->num, F_DUPFD_CLOEXEC, 0);
      else if (k == SCM_REUSE)
        {
          char byte = 0;
          struct iovec iov = { &byte, 1 };
          union
          {
            char buf[CMSG_SPACE (sizeof (int))];
            struct cmsghdr align;
          } u;
          struct msghdr m;
          memset (&m, 0, sizeof m);
          memset (&u, 0, sizeof u); /* the control message's padding goes to the kernel too */
          m.msg_iov = &iov;
          m.msg_iovlen = 1;
          m.msg_control = u.buf;
          m.msg_controllen = sizeof u.buf;
          struct cmsghdr *c = CMSG_FIRSTHDR (&m);
          c->cmsg_level = SOL_SOCKET;
          c->cmsg_type = SCM_RIGHTS;
          c->cmsg_len = CMSG_LEN (sizeof (int));
          memcpy (CMSG_DATA (c), &s->num, sizeof (int));
          if (sendmsg (s->in_flight[0], &m, 0) != 1)
            {
              perror ("sendmsg");
              exit (2);
            }
        }
    }

  /* the old file made readable after the stop (or, untouched, before the close), before or
   * after the number goes, with or without a look of the loop in between: every round another
   * of the four, as a look between the stop and the start changes what the backend is asked */
  int early = variant & 1, look = variant >> 1 & 1;
  for (int i = 0; i < n; ++i)
    {
      struct slot *s = &slots[i];
      if (k != UNTOUCHED)
        ev_io_stop (loop, &s->w);
      if (early)
        put (s->old_peer, 'Z');
    }
  iterate (loop, k == UNTOUCHED ? 0 : (unsigned)look);
  for (int i = 0; i < n; ++i)
    if (k != DUP2_DUP)
      close (slots[i].num); /* dup2 closes it itself */
  if (!early)
    for (int i = 0; i < n; ++i)
      put (slots[i].old_peer, 'Z');
  iterate (loop, k == UNTOUCHED ? stress_below (rng, 2) : (unsigned)look);
  for (int i = 0; i < n; ++i)
    {
      struct slot *s = &slots[i];
      if (dup2 (s->fresh[0], s->num) != s->num)
        {
          perror ("dup2");
          exit (2);
        }
      close (s->fresh[0]);
      s->fresh[0] = s->num;
      if (k == RESTART)
        ev_io_start (loop, &s->w);
      else if (k != UNTOUCHED)
        {
          ev_io_set (&s->w, s->num, EV_READ);
          ev_io_start (loop, &s->w);
        }
    }
  iterate (loop, stress_below (rng, 2));
  for (int i = 0; i < n; ++i)
    put (slots[i].fresh[1], slots[i].marker);

  /* every slot resolved, or the deadline (a timer wakes the loop now and then, as in most
   * programs, which is when the closed-fd sweep looks) */
  int expired = 0, tick_fired = 0;
  ev_timer deadline, tick;
  ev_timer_init (&deadline, flag_cb, k == UNTOUCHED ? kSweepDeadline : 5., 0.);
  deadline.data = &expired;
  ev_timer_start (loop, &deadline);
  ev_timer_init (&tick, flag_cb, 0.05, 0.05);
  tick.data = &tick_fired;
  ev_timer_start (loop, &tick);
  double began = stress_now ();
  for (;;)
    {
      int open = 0;
      for (int i = 0; i < n; ++i)
        open += !resolved (&slots[i], k);
      if (!open || expired)
        break;
      ev_run (loop, EVRUN_ONCE);
    }
  if (stress_now () - began > t->max_wait)
    t->max_wait = stress_now () - began;
  ev_timer_stop (loop, &tick);
  ev_timer_stop (loop, &deadline);

  /* the quiet window: nothing is ready but what no watcher may hear */
  expired = 0;
  ev_timer_set (&deadline, 0.02, 0.);
  ev_timer_start (loop, &deadline);
  unsigned before = ev_iteration (loop);
  while (!expired)
    ev_run (loop, EVRUN_ONCE);
  long quiet = (long)(ev_iteration (loop) - before);
  ev_timer_stop (loop, &deadline);
  if (quiet > t->max_quiet)
    t->max_quiet = quiet;
  if (k != UNTOUCHED && quiet > kQuietIterations)
    ++t->noisy_rounds;

  for (int i = 0; i < n; ++i)
    {
      struct slot *s = &slots[i];
      ++t->cases;
      t->reads += s->reads > 0;
      t->errors += s->errors > 0;
      t->stale += s->stale;
      if (k == UNTOUCHED)
        t->wakeups += s->wakeups;
      else
        t->stale += s->wakeups;
      if (!resolved (s, k))
        ++t->losses;
      else if (s->reads > 1 || s->errors > 1 || (s->reads && s->errors))
        ++t->extra;
      ev_io_stop (loop, &s->w);
      close (s->num);
      close (s->old_peer);
      close (s->fresh[1]);
      if (s->keep >= 0)
        close (s->keep);
      if (s->in_flight[0] >= 0)
        {
          close (s->in_flight[0]);
          close (s->in_flight[1]);
        }
    }
  if (child > 0)
    {
      close (child_go[1]);
      waitpid (child, NULL, 0);
    }
}

/* One backend (or io_uring mode), all cases, in a child process: an abort or a crash there is
 * a finding of its own. */
static int
run_backend (const char *name, unsigned flag, long cases, int round_size, uint64_t seed)
{
  struct ev_loop *loop = ev_loop_new (flag);
  if (!loop)
    {
      printf ("%s: no loop (skipped)\n", name);
      return 0;
    }
  struct slot *slots = calloc ((size_t)round_size, sizeof *slots);
  uint64_t rng = seed;
  int failed = 0;
  for (int k = 0; k < KINDS; ++k)
    {
      struct totals t;
      memset (&t, 0, sizeof t);
      double start = stress_now ();
      unsigned variant = 0;
      for (long done = 0; done < cases; done += round_size)
        round_run (loop, slots, cases - done < round_size ? (int)(cases - done) : round_size, (enum kind)k,
                   variant++ % 4, &rng, &t);
      stress_figure ("%s: %s: %ld cases: %ld read, %ld EV_ERROR, %ld silent losses, %ld stale callbacks, "
                     "%ld extra; at most %ld iterations in a quiet window; the last slot of a round after %.2f s; "
                     "%.1f s",
                     name, kind_names[k], t.cases, t.reads, t.errors, t.losses, t.stale, t.extra, t.max_quiet,
                     t.max_wait, stress_now () - start);
      if (t.wakeups)
        printf ("%s: %s: %ld wake-ups with nothing to read before the new file's data (misuse)\n", name,
                kind_names[k], t.wakeups);
      if (t.losses || t.stale || t.extra || t.noisy_rounds || (k != UNTOUCHED && t.errors))
        {
          stress_fail ("%s: %s: %ld silent losses, %ld stale callbacks, %ld extra, %ld EV_ERROR, %ld rounds "
                       "with more than %d iterations in the quiet window",
                       name, kind_names[k], t.losses, t.stale, t.extra, k != UNTOUCHED ? t.errors : 0L,
                       t.noisy_rounds, kQuietIterations);
          failed = 1;
        }
    }
  ev_verify (loop);
  ev_loop_destroy (loop);
  free (slots);
  return failed;
}

int
main (int argc, char **argv)
{
  stress_init (argc, argv);
  signal (SIGPIPE, SIG_IGN);
  long cases = stress_scale (10000, 100000);
  uint64_t seed = stress_seed (0xfd2e05eULL);
  /* up to six fds a slot */
  int round_size = 2000;
  struct rlimit rl;
  getrlimit (RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < 14000)
    {
      rl.rlim_cur = rl.rlim_max < 14000 ? rl.rlim_max : 14000;
      setrlimit (RLIMIT_NOFILE, &rl);
    }
  if (rl.rlim_cur < 14000)
    round_size = (int)(rl.rlim_cur - 64) / 7;
  printf ("seed 0x%llx (STRESS_SEED), %ld cases per case and backend, rounds of %d\n", (unsigned long long)seed,
          cases, round_size);

  /* the backends, then io_uring once more per mode and fallback it can be forced to */
  struct run
  {
    char name[48];
    unsigned flag;
    const char *iouring_env;
  } runs[12];
  int nruns = 0;
  struct stress_backend backends[4];
  int nb = stress_backends (backends);
  for (int i = 0; i < nb; ++i)
    {
      snprintf (runs[nruns].name, sizeof runs[nruns].name, "%s", backends[i].name);
      runs[nruns].flag = backends[i].flag;
      runs[nruns++].iouring_env = NULL;
      if (backends[i].flag == EVBACKEND_IOURING)
        {
          static const char *const modes[] = { "-epoll-wait", "6.1", "5.6", "-defer-taskrun", "-cqe-skip" };
          for (unsigned m = 0; m < sizeof modes / sizeof *modes; ++m)
            {
              snprintf (runs[nruns].name, sizeof runs[nruns].name, "io_uring(%s)", modes[m]);
              runs[nruns].flag = EVBACKEND_IOURING;
              runs[nruns++].iouring_env = modes[m];
            }
        }
    }

  int status = 0;
  for (int i = 0; i < nruns; ++i)
    {
      fflush (stdout);
      pid_t pid = fork ();
      if (pid == 0)
        {
          if (runs[i].iouring_env)
            setenv ("LIBEV_NG_IOURING", runs[i].iouring_env, 1);
          stress_watchdog (stress_scale (300, 3000), runs[i].name);
          _exit (run_backend (runs[i].name, runs[i].flag, cases, round_size, seed + (uint64_t)i));
        }
      int st;
      waitpid (pid, &st, 0);
      if (!WIFEXITED (st) || WEXITSTATUS (st) != 0)
        {
          if (WIFSIGNALED (st))
            stress_fail ("%s: killed by signal %d (an abort or a crash)", runs[i].name, WTERMSIG (st));
          else if (WEXITSTATUS (st) != 1)
            stress_fail ("%s: exit status %d", runs[i].name, WEXITSTATUS (st));
          status = 1;
        }
    }
  return status || stress_exit_status ();
}
