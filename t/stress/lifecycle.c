/* SPDX-License-Identifier: BSD-2-Clause */
/* t/stress/lifecycle.c - the life cycle of file descriptors under every backend: numbers closed
 * and reused (with and without ev_io_set), closed while watched, dup'ed, replaced with dup2,
 * shared with a child, never opened, stopped after the close, and the backend's own fd closed
 * behind the loop's back (ev(3) ev_io, "The special problem of disappearing file descriptors"
 * and "... of dup'ed file descriptors").
 *
 * A round runs many independent cases ("slots") in one loop at once, in four steps with a
 * random number of loop iterations (0-2) between them, so that every step happens both in the
 * same iteration as the one before and later:
 *   A  set up: a pipe watched for reading (and what the case needs later, allocated now, so
 *      that no number freed in step B is handed out again by accident)
 *   B  the case's first action (stop, close, close while active, ...)
 *   C  its second action (reuse the number, restart, ...)
 *   D  make the file the watcher should hear readable, then run until every slot has its
 *      outcome or the round's time is up.
 * A number closed and reused behind an untouched watcher (reuse-untouched, in rounds of their
 * own: see step_a) must not be silent: epoll gives EV_ERROR (its registration went with the
 * old file) unless another slot's stale registration rebuilt the set, the others hear the new
 * file; each gives EV_ERROR when the loop looked between the close and the reuse.
 * epoll and io_uring may report the old file's readiness under the number first (io_uring's
 * poll holds the old file: backends/iouring.cc (d); epoll's registration stays with the old
 * file while a child of another slot keeps it open: epoll.cc (a)): the watcher then reads
 * nothing (EAGAIN), counted apart, never another file's data.
 * Each slot then must have exactly its expected outcome: one read of the right file, or one
 * EV_ERROR, or nothing at all.  Findings: a missing outcome (a silent loss), data from the
 * wrong file or a wake-up with nothing to read (a stale event), a second callback, and of
 * course any crash or abort (each backend runs in a child process).
 *
 * Short mode: 10^4 cases per backend; long mode: 10^5. */
#define _GNU_SOURCE 1
#include "stress.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

enum kind
{
  KEEP,             /* control: a plain watched pipe */
  REUSE_SET,        /* stop, close, the number reused for a new pipe, ev_io_set, start */
  REUSE_NOSET,      /* the same, restarted without ev_io_set */
  DUP2_SET,         /* stop, dup2 a new pipe over the open number, ev_io_set, start */
  CLOSE_ACTIVE,     /* closed while its watcher is active: EV_ERROR */
  DUP_CLOSE,        /* a dup keeps the file open; the watched number is closed while active */
  SHARED_CHILD,     /* a child keeps the file open; the number is reused for a new pipe */
  NEVER_OPENED,     /* a watcher on a number that is not open: EV_ERROR */
  STOP_AFTER_CLOSE, /* closed while active, stopped before the loop noticed: nothing */
  REUSE_UNTOUCHED,  /* closed while active, the number reused for a new pipe, the watcher untouched:
                     * one read of the new file or one EV_ERROR, never nothing */
  KINDS
};

static const char *const kind_names[KINDS] = {
  "keep", "reuse+set", "reuse-noset", "dup2+set", "close-active", "dup-close", "shared-child", "never-opened",
  "stop-after-close", "reuse-untouched",
};

struct slot
{
  enum kind kind;
  ev_io w, w2;     /* w: the watcher under test; w2: the dup's (DUP_CLOSE) */
  int num;         /* the number under test */
  int p[2];        /* the first pipe */
  int q[2];        /* the second pipe (reuse cases), allocated in step A */
  int dup;         /* DUP_CLOSE: the dup */
  pid_t child;     /* SHARED_CHILD */
  char marker;     /* the byte written into the file the watcher should hear */
  int noticed;     /* STOP_AFTER_CLOSE: the loop iterated between the close and the stop, so
                    * it may have reported the closed fd (EV_ERROR) before the stop */
  /* what happened */
  int reads, errors, stale, spurious, closed_fd_reads, dup_reads;
};

static unsigned current_backend;

struct totals
{
  long cases[KINDS];
  long failures, losses, stale, extra, backend_fd_closes, closed_fd_reads, old_file_reports;
};

static void
io_cb (struct ev_loop *loop, ev_io *w, int revents)
{
  struct slot *s = w->data;
  if (revents & EV_ERROR)
    {
      ++s->errors;
      return; /* the library stopped the watcher */
    }
  char buf[64];
  ssize_t n = read (w->fd, buf, sizeof buf);
  (void)loop;
  if (n < 0 && errno == EBADF)
    ++s->closed_fd_reads; /* an event of the file a closed number still had (dup-close) */
  else if (n < 0 && errno == EAGAIN)
    ++s->spurious; /* (io_uring, reuse-untouched: the old file's event, see the top) */
  else if (n > 0 && buf[0] == s->marker)
    {
      ++s->reads;
      ev_io_stop (loop, w);
    }
  else
    ++s->stale; /* another file's data, or its end */
}

static void
dup_cb (struct ev_loop *loop, ev_io *w, int revents)
{
  struct slot *s = w->data;
  char buf[64];
  if (revents & EV_ERROR)
    {
      ++s->stale;
      return;
    }
  if (read (w->fd, buf, sizeof buf) > 0)
    {
      ++s->dup_reads;
      ev_io_stop (loop, w);
    }
}

static void
xpipe (int p[2])
{
  if (pipe2 (p, O_NONBLOCK | O_CLOEXEC) != 0)
    {
      perror ("pipe2");
      exit (2);
    }
}

/* dup2 src onto num and close src (unless src already is num) */
static void
move_fd (int src, int num)
{
  if (src == num)
    return;
  if (dup2 (src, num) != num)
    {
      perror ("dup2");
      exit (2);
    }
  fcntl (num, F_SETFD, FD_CLOEXEC);
  close (src);
}

/* Every other round has reuse-untouched slots and no shared-child ones (nor a closed backend
 * fd): a child holding a reused number's old file makes epoll report the old registration,
 * which rebuilds the set and so registers every number anew, the reused one too; the
 * reuse-untouched slots would then hear their new file whatever the sweep does. */
static int untouched_round;

static void
step_a (struct slot *s, struct ev_loop *loop, uint64_t *rng)
{
  memset (s, 0, sizeof *s);
  s->kind = (enum kind)stress_below (rng, KINDS);
  if (untouched_round && s->kind == SHARED_CHILD)
    s->kind = REUSE_UNTOUCHED;
  else if (!untouched_round && s->kind == REUSE_UNTOUCHED)
    s->kind = SHARED_CHILD;
  s->dup = s->q[0] = s->q[1] = -1;
  s->marker = (char)('a' + stress_below (rng, 26));
  if (s->kind == NEVER_OPENED)
    {
      s->p[0] = s->p[1] = -1;
      s->num = open ("/dev/null", O_RDONLY | O_CLOEXEC); /* the number, reserved until step B */
      return;
    }
  xpipe (s->p);
  s->num = s->p[0];
  ev_io_init (&s->w, io_cb, s->num, EV_READ);
  s->w.data = s;
  ev_io_start (loop, &s->w);
  if (s->kind == REUSE_SET || s->kind == REUSE_NOSET || s->kind == DUP2_SET || s->kind == SHARED_CHILD
      || s->kind == REUSE_UNTOUCHED)
    xpipe (s->q);
  if (s->kind == DUP_CLOSE)
    {
      s->dup = fcntl (s->num, F_DUPFD_CLOEXEC, 0);
      ev_io_init (&s->w2, dup_cb, s->dup, EV_READ);
      s->w2.data = s;
      ev_io_start (loop, &s->w2);
    }
  if (s->kind == SHARED_CHILD)
    {
      /* The child keeps its copy of the pipe open a while and touches nothing of the loop.
       * It keeps no other slot's files open: a reuse-untouched slot's old file would stay
       * registered with epoll under its number (see the top).  The parent goes on once the
       * child closed them. */
      int sync[2];
      if (pipe2 (sync, O_CLOEXEC) != 0)
        {
          perror ("pipe2");
          exit (2);
        }
      s->child = fork ();
      if (s->child == 0)
        {
          for (int fd = 3; fd < 4096; ++fd)
            if (fd != s->p[0] && fd != s->p[1] && fd != s->q[0] && fd != s->q[1] && fd != sync[1])
              close (fd);
          if (write (sync[1], "x", 1) != 1)
            _exit (1);
          close (sync[1]);
          usleep (300000);
          _exit (0);
        }
      close (sync[1]);
      char c;
      while (read (sync[0], &c, 1) < 0 && errno == EINTR)
        ;
      close (sync[0]);
    }
}

static void
step_b (struct slot *s, struct ev_loop *loop)
{
  switch (s->kind)
    {
    case REUSE_SET:
    case REUSE_NOSET:
    case SHARED_CHILD:
      ev_io_stop (loop, &s->w);
      close (s->p[0]);
      break;
    case DUP2_SET:
      ev_io_stop (loop, &s->w);
      break;
    case CLOSE_ACTIVE:
    case DUP_CLOSE:
    case STOP_AFTER_CLOSE:
    case REUSE_UNTOUCHED:
      close (s->p[0]);
      break;
    case NEVER_OPENED:
      close (s->num);
      break;
    default:
      break;
    }
}

static void
step_c (struct slot *s, struct ev_loop *loop)
{
  switch (s->kind)
    {
    case REUSE_SET:
    case DUP2_SET:
    case SHARED_CHILD:
      move_fd (s->q[0], s->num);
      s->q[0] = s->num;
      ev_io_set (&s->w, s->num, EV_READ);
      ev_io_start (loop, &s->w);
      break;
    case REUSE_NOSET:
      move_fd (s->q[0], s->num);
      s->q[0] = s->num;
      ev_io_start (loop, &s->w);
      break;
    case STOP_AFTER_CLOSE:
      ev_io_stop (loop, &s->w);
      break;
    case REUSE_UNTOUCHED:
      move_fd (s->q[0], s->num);
      s->q[0] = s->num;
      break;
    case NEVER_OPENED:
      ev_io_init (&s->w, io_cb, s->num, EV_READ);
      s->w.data = s;
      ev_io_start (loop, &s->w);
      break;
    default:
      break;
    }
}

static void
put (int fd, char c)
{
  if (fd >= 0 && write (fd, &c, 1) != 1 && errno != EPIPE)
    {
      perror ("write");
      exit (2);
    }
}

/* Step D's writes.  The old pipe of a reused number is written to first (only a stale
 * registration could report it), then, after one iteration, the file the watcher must hear. */
static void
step_d_old (struct slot *s)
{
  if (s->kind == SHARED_CHILD || s->kind == REUSE_SET || s->kind == REUSE_NOSET)
    put (s->p[1], 'Z');
  /* (half of them: io_uring's poll holds the old file, and an event of it makes io_uring arm
   * the number anew; the other half has none) */
  if (s->kind == REUSE_UNTOUCHED && (s->marker & 1))
    put (s->p[1], 'Z');
}

static void
step_d_new (struct slot *s)
{
  switch (s->kind)
    {
    case KEEP:
      put (s->p[1], s->marker);
      break;
    case REUSE_SET:
    case REUSE_NOSET:
    case DUP2_SET:
    case SHARED_CHILD:
      put (s->q[1], s->marker);
      break;
    case DUP_CLOSE:
      put (s->p[1], s->marker);
      break;
    case REUSE_UNTOUCHED:
      put (s->q[1], s->marker);
      break;
    default:
      break;
    }
}

/* The expected outcome: 'r' one read, 'e' one EV_ERROR, '-' nothing, '?' at most one EV_ERROR,
 * 'x' one read or one EV_ERROR. */
static char
expected (const struct slot *s)
{
  switch (s->kind)
    {
    case REUSE_UNTOUCHED:
      return 'x';
    case CLOSE_ACTIVE:
    case DUP_CLOSE:
    case NEVER_OPENED:
      return 'e';
    case STOP_AFTER_CLOSE:
      return s->noticed ? '?' : '-';
    default:
      return 'r';
    }
}

static int
resolved (const struct slot *s)
{
  char e = expected (s);
  if (e == 'r')
    return s->reads > 0;
  if (e == 'e')
    return s->errors > 0 && (s->kind != DUP_CLOSE || s->dup_reads > 0);
  if (e == 'x')
    return s->reads > 0 || s->errors > 0;
  return 1;
}

static void
cleanup (struct slot *s, struct ev_loop *loop)
{
  ev_io_stop (loop, &s->w);
  if (s->kind == DUP_CLOSE)
    ev_io_stop (loop, &s->w2);
  /* numbers this slot still owns */
  switch (s->kind)
    {
    case KEEP:
    case DUP2_SET:
      close (s->p[0]);
      break;
    default:
      break;
    }
  if (s->p[1] >= 0)
    close (s->p[1]);
  if (s->q[0] >= 0)
    close (s->q[0]);
  if (s->q[1] >= 0)
    close (s->q[1]);
  if (s->dup >= 0)
    close (s->dup);
  if (s->child > 0)
    waitpid (s->child, NULL, 0);
}

/* The backend's own fd (epoll set, io_uring ring), found in /proc/self/fd, or -1. */
static int
backend_fd (void)
{
  DIR *d = opendir ("/proc/self/fd");
  struct dirent *e;
  int found = -1;
  while (d && (e = readdir (d)))
    {
      char path[300], link[128];
      snprintf (path, sizeof path, "/proc/self/fd/%s", e->d_name);
      ssize_t n = readlink (path, link, sizeof link - 1);
      if (n <= 0)
        continue;
      link[n] = 0;
      if (strstr (link, "[eventpoll]") || strstr (link, "[io_uring]"))
        found = atoi (e->d_name);
    }
  if (d)
    closedir (d);
  return found;
}

static void
guard_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)loop, (void)revents;
  *(int *)w->data = 1;
}

static void
tick_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)loop, (void)w, (void)revents;
}

static void
iterate (struct ev_loop *loop, unsigned n)
{
  while (n--)
    ev_run (loop, EVRUN_NOWAIT);
}

/* One round of `n` slots; adds to t; returns 0 if every slot had its outcome. */
static int
round_run (struct ev_loop *loop, struct slot *slots, int n, uint64_t *rng, struct totals *t, int close_backend)
{
  for (int i = 0; i < n; ++i)
    step_a (&slots[i], loop, rng);
  iterate (loop, stress_below (rng, 3));
  for (int i = 0; i < n; ++i)
    step_b (&slots[i], loop);
  if (close_backend)
    {
      int bfd = backend_fd ();
      if (bfd >= 0)
        {
          close (bfd); /* behind the loop's back */
          ++t->backend_fd_closes;
        }
    }
  unsigned between = stress_below (rng, 3);
  iterate (loop, between);
  for (int i = 0; i < n; ++i)
    {
      slots[i].noticed = between > 0;
      step_c (&slots[i], loop);
    }
  iterate (loop, stress_below (rng, 3));
  for (int i = 0; i < n; ++i)
    step_d_old (&slots[i]);
  iterate (loop, 1);
  for (int i = 0; i < n; ++i)
    step_d_new (&slots[i]);

  int expired = 0;
  ev_timer guard;
  ev_timer_init (&guard, guard_cb, 5., 0.);
  guard.data = &expired;
  ev_timer_start (loop, &guard);
  for (;;)
    {
      int open = 0;
      for (int i = 0; i < n; ++i)
        open += !resolved (&slots[i]);
      if (!open || expired)
        {
          if (expired)
            for (int i = 0; i < n; ++i)
              if (!resolved (&slots[i]))
                printf ("unresolved at the deadline: %s fd %d reads %d errors %d dup reads %d\n",
                        kind_names[slots[i].kind], slots[i].num, slots[i].reads, slots[i].errors,
                        slots[i].dup_reads);
          break;
        }
      ev_run (loop, EVRUN_ONCE);
    }
  /* a little longer: anything arriving now is a second (extra) callback */
  ev_timer_stop (loop, &guard);
  expired = 0;
  ev_timer_set (&guard, 0.02, 0.);
  ev_timer_start (loop, &guard);
  while (!expired)
    ev_run (loop, EVRUN_ONCE);
  ev_timer_stop (loop, &guard);

  int bad = 0;
  for (int i = 0; i < n; ++i)
    {
      struct slot *s = &slots[i];
      char e = expected (s);
      ++t->cases[s->kind];
      t->closed_fd_reads += s->closed_fd_reads;
      if (s->kind == REUSE_UNTOUCHED && current_backend != EVBACKEND_SELECT && current_backend != EVBACKEND_POLL)
        {
          t->old_file_reports += s->spurious;
          s->spurious = 0;
        }
      const char *what = NULL;
      if (s->stale || s->spurious)
        {
          what = "stale event";
          ++t->stale;
        }
      else if ((e == 'r' && !s->reads) || (e == 'e' && !s->errors) || (e == 'x' && !s->reads && !s->errors)
               || (s->kind == DUP_CLOSE && !s->dup_reads))
        {
          what = "silent loss";
          ++t->losses;
        }
      else if (s->reads > (e == 'r' || e == 'x') || s->errors > (e == 'e' || e == '?' || e == 'x')
               || (e != 'r' && e != 'x' && s->reads) || (e == 'x' && s->reads && s->errors))
        {
          what = "extra callback";
          ++t->extra;
        }
      if (what)
        {
          ++bad;
          if (t->failures++ < 10)
            stress_fail ("%s: case %s: reads %d errors %d stale %d spurious %d dup reads %d", what,
                         kind_names[s->kind], s->reads, s->errors, s->stale, s->spurious, s->dup_reads);
        }
      cleanup (s, loop);
    }
  return bad;
}

/* One backend, in a child process: an abort or a crash there is a finding of its own. */
static int
run_backend (const struct stress_backend *b, long cases, uint64_t seed)
{
  enum { kSlots = 400 };
  current_backend = b->flag;
  struct ev_loop *loop = ev_loop_new (b->flag | EVFLAG_NOENV);
  if (!loop)
    {
      printf ("%s: no loop (skipped)\n", b->name);
      return 0;
    }
  static struct slot slots[kSlots];
  /* like most programs, the loop wakes up now and then (a closed fd is found when the loop
   * wakes up: a loop blocked for good would find it only then) */
  ev_timer tick;
  ev_timer_init (&tick, tick_cb, 0.05, 0.05);
  ev_timer_start (loop, &tick);
  ev_unref (loop);
  struct totals t;
  memset (&t, 0, sizeof t);
  uint64_t rng = seed;
  double start = stress_now ();
  long done = 0;
  for (int round = 0; done < cases; ++round)
    {
      int n = cases - done < kSlots ? (int)(cases - done) : kSlots;
      untouched_round = round % 2;
      int close_backend = (b->flag == EVBACKEND_EPOLL || b->flag == EVBACKEND_IOURING) && round % 5 == 4
                          && !untouched_round;
      round_run (loop, slots, n, &rng, &t, close_backend);
      done += n;
    }
  ev_ref (loop);
  ev_timer_stop (loop, &tick);
  ev_verify (loop);
  ev_loop_destroy (loop);
  char per_kind[1024];
  int len = 0;
  for (int k = 0; k < KINDS; ++k)
    len += snprintf (per_kind + len, sizeof per_kind - (size_t)len, "%s%s %ld", k ? ", " : "", kind_names[k],
                     t.cases[k]);
  stress_figure ("%s: %ld cases (%s), backend fd closed %ld times: %ld silent losses, %ld stale events, "
                 "%ld extra callbacks, 0 aborts; %.1f s",
                 b->name, done, per_kind, t.backend_fd_closes, t.losses, t.stale, t.extra, stress_now () - start);
  if (t.closed_fd_reads)
    printf ("%s: %ld events of a closed number's file before its EV_ERROR (dup-close, as libev)\n", b->name,
            t.closed_fd_reads);
  if (t.old_file_reports)
    printf ("%s: %ld events of the old file of a reused number before the new file's (reuse-untouched)\n",
            b->name, t.old_file_reports);
  return t.failures ? 1 : 0;
}

int
main (int argc, char **argv)
{
  stress_init (argc, argv);
  signal (SIGPIPE, SIG_IGN);
  long cases = stress_scale (10000, 100000);
  uint64_t seed = stress_seed (0x11fec7c1e5ULL);
  printf ("seed 0x%llx (STRESS_SEED), %ld cases per backend\n", (unsigned long long)seed, cases);

  /* up to 5 fds per slot */
  struct rlimit rl;
  getrlimit (RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < 4096)
    {
      rl.rlim_cur = rl.rlim_max < 4096 ? rl.rlim_max : 4096;
      setrlimit (RLIMIT_NOFILE, &rl);
    }

  struct stress_backend backends[4];
  int nb = stress_backends (backends);
  int status = 0;
  for (int i = 0; i < nb; ++i)
    {
      fflush (stdout);
      pid_t pid = fork ();
      if (pid == 0)
        {
          stress_watchdog (stress_scale (240, 2400), backends[i].name);
          _exit (run_backend (&backends[i], cases, seed + (uint64_t)i));
        }
      int st;
      waitpid (pid, &st, 0);
      if (!WIFEXITED (st) || WEXITSTATUS (st) != 0)
        {
          if (WIFSIGNALED (st))
            stress_fail ("%s: killed by signal %d (an abort or a crash)", backends[i].name, WTERMSIG (st));
          else
            stress_fail ("%s: exit status %d", backends[i].name, WEXITSTATUS (st));
          status = 1;
        }
    }
  return status || stress_exit_status ();
}
