/* SPDX-License-Identifier: BSD-2-Clause */
/* t/stress/allocfail.c - make check-stress: every allocation failing in turn, and every
 * descriptor the loop opens refused.
 *
 * Part 1, memory.  A deterministic script (a loop of the backend and the default loop, an
 * embedded epoll loop, then ~1000 operations across every watcher type, feeds, runs, a
 * fork rebuild, ev_once, teardown) runs once with a counting allocator (ev_set_allocator):
 * N allocating calls, and after ev_loop_destroy of every loop no block may be live.  Then,
 * for k = 1 .. N, the script runs in a child in which allocation k and all later ones fail.
 * The only acceptable outcomes: libev's "(libev) cannot allocate N bytes, aborting." (with
 * the N of the failed request) and SIGABRT, or success of the whole script (its own checks
 * held) when the allocation was not needed.  Anything else (another signal, a sanitizer
 * report, another message, a hang, a failed check) is a finding.
 *
 * Part 2, descriptors.  Every point where the loop opens a descriptor (the backend, its
 * rebuild after ev_loop_fork, the wake-up eventfd of ev_async and ev_signal, the signalfd
 * with EVFLAG_SIGNALFD, the timerfd of periodics, inotify for ev_stat, the io_uring ring and
 * its io_uring_enter) is made to fail, by RLIMIT_NOFILE below the descriptors already open
 * (EMFILE) and by a seccomp filter refusing the system call (t/refuse.h), with and without
 * a syserr callback that returns.  Acceptable: a clear message naming the call and abort
 * (no callback), a documented fallback that still delivers (handlers instead of signalfd,
 * polling instead of inotify, no timerfd), or EV_ERROR to the watchers concerned; with a
 * returning callback the loop neither spins (callback calls per second bounded) nor hangs;
 * and a loop asked for one backend is that backend or NULL, never another.
 *
 *   allocfail [--only TEXT] [-v] */
#define _GNU_SOURCE 1
#include "stress.h"
#include "t/refuse.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int verbose;

/* ==== the counting, failing allocator ================================================ */

struct shared
{
  long calls;          /* allocating calls so far (size > 0) */
  long live;           /* blocks allocated and not freed */
  long fail_at;        /* 0: never; else the first failing call */
  long failed_size;    /* the size asked for by the first failed call */
  unsigned long sizes_hash; /* hash of the sequence of sizes (determinism) */
  int script_ok;       /* the script ran to its end and its checks held */
  char why[256];       /* the first failed check */
  /* part 2 */
  int cb_calls;
  double cb_first, cb_last;
  char cb_msg[128];
  char verdict[256];
  int ok;
};
static struct shared *sh;

static void *
failing_alloc (void *ptr, long size) EV_NOEXCEPT
{
  if (size == 0)
    {
      if (ptr)
        --sh->live;
      free (ptr);
      return NULL;
    }
  ++sh->calls;
  sh->sizes_hash = sh->sizes_hash * 31u + (unsigned long)size;
  if (sh->fail_at && sh->calls >= sh->fail_at)
    {
      if (!sh->failed_size)
        sh->failed_size = size;
      return NULL;
    }
  void *p = realloc (ptr, (size_t)size);
  if (p && !ptr)
    ++sh->live;
  return p;
}

static void
script_check (int cond, const char *what)
{
  if (!cond && !sh->why[0])
    snprintf (sh->why, sizeof sh->why, "%s", what);
}

/* ==== the script ====================================================================== */

#define NIO 12
#define NTIMER 48
#define NPER 12
#define NHOOK 6
#define NSIGW 3
#define NSTAT 5
#define NASYNC 3

static struct ev_loop *L1, *D, *inner;
static ev_io ios[NIO];
static int pipes[NIO][2];
static ev_timer timers[NTIMER];
static ev_periodic pers[NPER];
static ev_idle idles[NHOOK];
static ev_prepare preps[NHOOK];
static ev_check checks[NHOOK];
static ev_fork forks[NHOOK];
static ev_cleanup cleanups[NHOOK];
static ev_signal sigs[NSIGW];
static ev_child kids[2];
static ev_stat stats[NSTAT];
static ev_async asyncs[NASYNC];
static ev_embed emb;
static ev_io inner_io;
static char stat_paths[NSTAT][64];

/* The files a child creates carry this run's pid and the child's; run_child removes them after
   it reaps the child, because a child that fails an allocation or is killed never reaches its own
   unlink, and main checks that none is left. */
static pid_t run_owner;

static void
stat_path (char *buf, size_t cap, pid_t pid, int i)
{
  snprintf (buf, cap, "/tmp/allocfail-%d-%d-%d", (int)run_owner, (int)pid, i);
}

static void
inotify_path (char *buf, size_t cap, pid_t pid)
{
  snprintf (buf, cap, "/tmp/allocfail-%d-%d-ino", (int)run_owner, (int)pid);
}

static void
remove_child_files (pid_t pid)
{
  char path[64];
  for (int i = 0; i < NSTAT; ++i)
    {
      stat_path (path, sizeof path, pid, i);
      unlink (path);
    }
  inotify_path (path, sizeof path, pid);
  unlink (path);
}

static void
check_no_files_left (void)
{
  char prefix[64];
  int left = 0;
  snprintf (prefix, sizeof prefix, "allocfail-%d-", (int)run_owner);
  DIR *d = opendir ("/tmp");
  if (!d)
    return;
  for (struct dirent *e; (e = readdir (d));)
    left += !strncmp (e->d_name, prefix, strlen (prefix));
  closedir (d);
  if (left)
    stress_fail ("%d files of this run left in /tmp (/tmp/%s*)", left, prefix);
}
static long invoked, errors, once_calls, once_started;
static const int signums[NSIGW] = { SIGUSR1, SIGUSR2, SIGWINCH };

static void
count_cb (struct ev_loop *loop, ev_watcher *w, int revents)
{
  (void)loop, (void)w;
  ++invoked;
  if (revents & EV_ERROR)
    ++errors;
}
#define CB(type) ((void (*) (struct ev_loop *, ev_##type *, int))count_cb)

static void
once_cb (int revents, void *arg)
{
  (void)revents, (void)arg;
  ++once_calls;
}

static void
toggle_io (int i)
{
  if (ev_is_active (&ios[i]))
    ev_io_stop (L1, &ios[i]);
  else
    ev_io_start (L1, &ios[i]);
}

/* the script: backend `flag`; nops operations; seed fixed */
static void
script (unsigned flag, int nops)
{
  uint64_t rnd = 0x5eed0001u + flag;
  invoked = errors = once_calls = once_started = 0;
  L1 = ev_loop_new (flag | EVFLAG_NOENV);
  script_check (L1 != NULL, "ev_loop_new");
  if (!L1)
    return;
  script_check (ev_backend (L1) == flag, "ev_loop_new gave another backend");
  D = ev_default_loop (flag | EVFLAG_NOENV);
  script_check (D != NULL, "ev_default_loop");
  if (!D)
    return;
  inner = ev_loop_new (EVBACKEND_EPOLL | EVFLAG_NOENV);
  script_check (inner != NULL, "ev_loop_new inner");
  if (!inner)
    return;

  for (int i = 0; i < NIO; ++i)
    {
      if (pipe (pipes[i]))
        abort ();
      if (write (pipes[i][1], "x", 1) != 1)
        abort ();
      ev_io_init (&ios[i], CB (io), (i & 1) ? pipes[i][0] : pipes[i][1], (i & 1) ? EV_READ : EV_WRITE);
    }
  for (int i = 0; i < NTIMER; ++i)
    ev_timer_init (&timers[i], CB (timer), 0., 0.);
  for (int i = 0; i < NPER; ++i)
    ev_periodic_init (&pers[i], CB (periodic), 0., 0., 0);
  for (int i = 0; i < NHOOK; ++i)
    {
      ev_idle_init (&idles[i], CB (idle));
      ev_prepare_init (&preps[i], CB (prepare));
      ev_check_init (&checks[i], CB (check));
      ev_fork_init (&forks[i], CB (fork));
      ev_cleanup_init (&cleanups[i], CB (cleanup));
      ev_set_priority (&idles[i], i % 5 - 2);
    }
  for (int i = 0; i < NSIGW; ++i)
    ev_signal_init (&sigs[i], CB (signal), signums[i]);
  for (int i = 0; i < 2; ++i)
    ev_child_init (&kids[i], CB (child), 0, 0);
  for (int i = 0; i < NSTAT; ++i)
    {
      stat_path (stat_paths[i], sizeof stat_paths[i], getpid (), i);
      if (i & 1)
        close (open (stat_paths[i], O_CREAT | O_WRONLY, 0600));
      ev_stat_init (&stats[i], CB (stat), stat_paths[i], 0.);
    }
  for (int i = 0; i < NASYNC; ++i)
    ev_async_init (&asyncs[i], CB (async));
  ev_embed_init (&emb, 0, inner);
  int p = pipes[0][1];
  ev_io_init (&inner_io, CB (io), p, EV_WRITE);
  ev_io_start (inner, &inner_io);

  int forks_left = 2;
  for (int op = 0; op < nops; ++op)
    {
      unsigned r = stress_below (&rnd, 100);
      unsigned i = stress_below (&rnd, 64);
      if (r < 12)
        toggle_io ((int)(i % NIO));
      else if (r < 30)
        {
          ev_timer *t = &timers[i % NTIMER];
          if (ev_is_active (t))
            ev_timer_stop (L1, t);
          else
            {
              ev_timer_set (t, (i & 3) ? 1000. + i : 0., 0.);
              ev_timer_start (L1, t);
            }
        }
      else if (r < 36)
        {
          ev_periodic *pr = &pers[i % NPER];
          if (ev_is_active (pr))
            ev_periodic_stop (L1, pr);
          else
            {
              ev_periodic_set (pr, (i & 1) ? ev_now (L1) + 5000. : 0., (i & 2) ? 3600. : 0., 0);
              ev_periodic_start (L1, pr);
            }
        }
      else if (r < 48)
        {
          unsigned k = i % NHOOK;
          switch (i % 5)
            {
            case 0: ev_is_active (&idles[k]) ? ev_idle_stop (L1, &idles[k]) : ev_idle_start (L1, &idles[k]); break;
            case 1: ev_is_active (&preps[k]) ? ev_prepare_stop (L1, &preps[k]) : ev_prepare_start (L1, &preps[k]); break;
            case 2: ev_is_active (&checks[k]) ? ev_check_stop (L1, &checks[k]) : ev_check_start (L1, &checks[k]); break;
            case 3: ev_is_active (&forks[k]) ? ev_fork_stop (L1, &forks[k]) : ev_fork_start (L1, &forks[k]); break;
            case 4: ev_is_active (&cleanups[k]) ? ev_cleanup_stop (L1, &cleanups[k]) : ev_cleanup_start (L1, &cleanups[k]); break;
            }
        }
      else if (r < 54)
        {
          ev_signal *s = &sigs[i % NSIGW];
          if (ev_is_active (s))
            ev_signal_stop (L1, s);
          else
            {
              ev_signal_start (L1, s);
              if (i & 1)
                raise (s->signum);
            }
        }
      else if (r < 57)
        {
          ev_child *c = &kids[i % 2];
          if (ev_is_active (c))
            ev_child_stop (D, c);
          else
            {
              ev_child_start (D, c);
              if (forks_left > 0 && (i & 1))
                {
                  --forks_left;
                  pid_t pid = fork ();
                  if (pid == 0)
                    _exit (0);
                }
            }
        }
      else if (r < 64)
        {
          ev_stat *st = &stats[i % NSTAT];
          if (ev_is_active (st))
            ev_stat_stop (L1, st);
          else
            ev_stat_start (L1, st);
          if (i & 1)
            {
              int fd = open (st->path, O_CREAT | O_WRONLY | O_APPEND, 0600);
              if (fd >= 0)
                {
                  if (write (fd, "y", 1) != 1)
                    abort ();
                  close (fd);
                }
            }
        }
      else if (r < 72)
        {
          ev_async *a = &asyncs[i % NASYNC];
          if (!ev_is_active (a))
            ev_async_start (L1, a);
          else if (i & 1)
            ev_async_stop (L1, a);
          ev_async_send (L1, a);
        }
      else if (r < 75)
        {
          if (ev_is_active (&emb))
            ev_embed_stop (L1, &emb);
          else
            ev_embed_start (L1, &emb);
        }
      else if (r < 80)
        {
          ++once_started;
          ev_once (L1, (i & 1) ? pipes[1][0] : -1, EV_READ, (i & 1) ? -1. : 0., once_cb, NULL);
        }
      else if (r < 85)
        ev_feed_event (L1, &timers[i % NTIMER], EV_CUSTOM);
      else if (r < 86)
        ev_loop_fork (L1);
      else if (r < 88)
        ev_run (D, EVRUN_NOWAIT);
      else
        ev_run (L1, EVRUN_NOWAIT);
    }

  /* every ev_once must have been called back by now (zero timeouts, a readable pipe) */
  for (int n = 0; n < 5 && once_calls < once_started; ++n)
    ev_run (L1, EVRUN_NOWAIT);
  script_check (once_calls == once_started, "an ev_once was never called back");
  script_check (errors == 0, "a watcher got EV_ERROR");
  script_check (invoked > 0, "nothing was invoked");

  for (int i = 0; i < NIO; ++i)
    ev_io_stop (L1, &ios[i]);
  for (int i = 0; i < NTIMER; ++i)
    ev_timer_stop (L1, &timers[i]);
  for (int i = 0; i < NPER; ++i)
    ev_periodic_stop (L1, &pers[i]);
  for (int i = 0; i < NHOOK; ++i)
    {
      ev_idle_stop (L1, &idles[i]);
      ev_prepare_stop (L1, &preps[i]);
      ev_check_stop (L1, &checks[i]);
      ev_fork_stop (L1, &forks[i]);
      ev_cleanup_stop (L1, &cleanups[i]);
    }
  for (int i = 0; i < NSIGW; ++i)
    ev_signal_stop (L1, &sigs[i]);
  for (int i = 0; i < 2; ++i)
    ev_child_stop (D, &kids[i]);
  for (int i = 0; i < NSTAT; ++i)
    {
      ev_stat_stop (L1, &stats[i]);
      unlink (stat_paths[i]);
    }
  for (int i = 0; i < NASYNC; ++i)
    ev_async_stop (L1, &asyncs[i]);
  ev_embed_stop (L1, &emb);
  ev_io_stop (inner, &inner_io);
  ev_run (L1, EVRUN_NOWAIT);
  ev_verify (L1);
  ev_loop_destroy (L1);
  ev_loop_destroy (inner);
  ev_loop_destroy (D);
  for (int i = 0; i < NIO; ++i)
    {
      close (pipes[i][0]);
      close (pipes[i][1]);
    }
  while (waitpid (-1, NULL, WNOHANG) > 0)
    ;
  sh->script_ok = 1;
}

/* ==== children ========================================================================= */

struct child
{
  int exited, status, signaled, signo, timed_out;
  double cpu;
  char err[4096];
};

static void
run_child (void (*fn) (void *), void *arg, double timeout, struct child *out)
{
  int e[2];
  memset (out, 0, sizeof *out);
  if (pipe2 (e, O_CLOEXEC))
    abort ();
  fflush (stdout);
  pid_t pid = fork ();
  if (pid == 0)
    {
      dup2 (e[1], 2);
      setpgid (0, 0);
      sigset_t none;
      sigemptyset (&none);
      sigprocmask (SIG_SETMASK, &none, NULL);
      for (int s = 1; s < 32; ++s)
        if (s != SIGKILL && s != SIGSTOP)
          signal (s, SIG_DFL);
      fn (arg);
      _exit (0);
    }
  close (e[1]);
  fcntl (e[0], F_SETFL, O_NONBLOCK);
  size_t len = 0;
  double start = stress_now ();
  int status = 0;
  struct rusage ru;
  for (;;)
    {
      ssize_t n = read (e[0], out->err + len, sizeof out->err - 1 - len);
      if (n > 0)
        len += (size_t)n;
      pid_t w = wait4 (pid, &status, WNOHANG, &ru);
      if (w == pid)
        break;
      if (stress_now () - start > timeout)
        {
          kill (-pid, SIGKILL);
          kill (pid, SIGKILL);
          wait4 (pid, &status, 0, &ru);
          out->timed_out = 1;
          break;
        }
      usleep (n > 0 ? 0 : 1000);
    }
  ssize_t n;
  while ((n = read (e[0], out->err + len, sizeof out->err - 1 - len)) > 0)
    len += (size_t)n;
  out->err[len] = 0;
  close (e[0]);
  kill (-pid, SIGKILL);
  remove_child_files (pid);
  out->cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6
             + (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
  if (!out->timed_out)
    {
      out->exited = WIFEXITED (status);
      out->status = WIFEXITED (status) ? WEXITSTATUS (status) : 0;
      out->signaled = WIFSIGNALED (status);
      out->signo = WIFSIGNALED (status) ? WTERMSIG (status) : 0;
    }
}

static int
sanitizer_report (const char *err)
{
  return strstr (err, "AddressSanitizer") || strstr (err, "runtime error:") || strstr (err, "LeakSanitizer");
}

static const char *
describe_child (const struct child *c, char *buf, size_t cap)
{
  if (c->timed_out)
    snprintf (buf, cap, "time limit (%.1f s CPU)", c->cpu);
  else if (c->signaled)
    snprintf (buf, cap, "signal %d, stderr: %.200s", c->signo, c->err);
  else
    snprintf (buf, cap, "exit %d, stderr: %.200s", c->status, c->err);
  return buf;
}

/* ==== part 1 ========================================================================== */

static unsigned script_flag;
static int script_ops;

static void
script_child (void *arg)
{
  (void)arg;
  ev_set_allocator (failing_alloc);
  script (script_flag, script_ops);
  fflush (stdout);
  _exit (sh->script_ok && !sh->why[0] ? 0 : 5);
}

static void
part1 (const struct stress_backend *b, long *total_runs, long *aborts_ok, long *successes)
{
  struct child c;
  char buf[512];
  script_flag = b->flag;
  script_ops = (int)stress_scale (1000, 4000);

  /* the counting run, twice: N, the live count after teardown, determinism */
  long n[2];
  unsigned long hash[2];
  for (int rep = 0; rep < 2; ++rep)
    {
      memset (sh, 0, sizeof *sh);
      run_child (script_child, NULL, 30, &c);
      if (!c.exited || c.status != 0 || sh->why[0])
        {
          stress_fail ("[%s] the script fails without fault injection: %s; %s", b->name,
                       sh->why[0] ? sh->why : "-", describe_child (&c, buf, sizeof buf));
          return;
        }
      if (sh->live != 0)
        stress_fail ("[%s] %ld blocks still allocated after every loop was destroyed (leak)", b->name, sh->live);
      n[rep] = sh->calls;
      hash[rep] = sh->sizes_hash;
    }
  long N = n[0] > n[1] ? n[0] : n[1];
  stress_figure ("[%s] script of %d operations: %ld allocations, 0 live after teardown: %s; "
                 "same sequence of sizes in two runs: %s",
                 b->name, script_ops, n[0], sh->live == 0 ? "yes" : "NO",
                 n[0] == n[1] && hash[0] == hash[1] ? "yes" : "no (timing)");

  long ok_abort = 0, ok_success = 0, bad = 0;
  double t0 = stress_now ();
  for (long k = 1; k <= N + 1; ++k)
    {
      memset (sh, 0, sizeof *sh);
      sh->fail_at = k;
      run_child (script_child, NULL, 20, &c);
      ++*total_runs;
      long want = sh->failed_size;
      char expect[96];
      snprintf (expect, sizeof expect, "(libev) cannot allocate %ld bytes, aborting.", want);
      if (c.signaled && c.signo == SIGABRT && want > 0 && strstr (c.err, expect) && !sanitizer_report (c.err))
        ++ok_abort;
      else if (c.exited && c.status == 0 && sh->script_ok && !sh->why[0] && !sanitizer_report (c.err))
        ++ok_success;
      else
        {
          ++bad;
          if (bad <= 10)
            stress_fail ("[%s] allocation %ld of %ld failing (%ld bytes): %s%s%s", b->name, k, N, want,
                         describe_child (&c, buf, sizeof buf), sh->why[0] ? "; check: " : "", sh->why);
        }
      if (verbose)
        printf ("  [%s] k=%ld: %s\n", b->name, k, describe_child (&c, buf, sizeof buf));
    }
  *aborts_ok += ok_abort;
  *successes += ok_success;
  stress_figure ("[%s] allocation k of %ld failing, k = 1..%ld: %ld clear out-of-memory aborts, "
                 "%ld runs that did not need it, %ld other outcomes (must be 0), %.0f s",
                 b->name, N, N + 1, ok_abort, ok_success, bad, stress_now () - t0);
}

/* ==== part 2: descriptors ============================================================= */

enum method { M_RLIMIT, M_SECCOMP };
enum point
{
  P_BACKEND_NEW, P_BACKEND_DEFAULT, P_BACKEND_ANY, P_REBUILD_AFTER_FORK, P_WAKEUP_ASYNC,
  P_WAKEUP_SIGNAL, P_WAKEUP_CHILD, P_WAKEUP_REBUILD, P_SIGNALFD, P_SIGNALFD_REBUILD, P_TIMERFD,
  P_TIMERFD_REBUILD, P_INOTIFY, P_INOTIFY_REBUILD, P_IOURING_ENTER, P_COUNT
};
static const char *const point_names[] = {
  "backend of ev_loop_new", "backend of ev_default_loop", "ev_loop_new(0) any backend",
  "backend rebuilt after ev_loop_fork", "wake-up fd for ev_async", "wake-up fd for ev_signal",
  "wake-up fd for ev_child (SIGCHLD)", "wake-up fd rebuilt after ev_loop_fork",
  "signalfd (EVFLAG_SIGNALFD)", "signalfd rebuilt after ev_loop_fork", "timerfd (ev_periodic)",
  "timerfd rebuilt after ev_loop_fork", "inotify (ev_stat)", "inotify rebuilt after ev_loop_fork",
  "io_uring_enter",
};

struct fdcase
{
  int point, method, with_cb;
  unsigned backend;
  const char *bname;
};
static const struct fdcase *cur;

static void
syserr_counter (const char *msg) EV_NOEXCEPT
{
  double now = stress_now ();
  if (!sh->cb_calls++)
    sh->cb_first = now;
  sh->cb_last = now;
  snprintf (sh->cb_msg, sizeof sh->cb_msg, "%s", msg);
}

static void
verdict (int ok, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (sh->verdict, sizeof sh->verdict, fmt, ap);
  va_end (ap);
  sh->ok = ok;
}

/* the fd-refusing step of a case: after it, creating the loop's descriptor fails */
static void
refuse_now (void)
{
  if (cur->method == M_RLIMIT)
    {
      /* below the descriptors already open: every new one fails with EMFILE, even after the
       * loop closed its old one first */
      struct rlimit rl = { 3, 3 };
      getrlimit (RLIMIT_NOFILE, &rl);
      rl.rlim_cur = 3;
      if (setrlimit (RLIMIT_NOFILE, &rl))
        _exit (4);
      return;
    }
  long nrs[8];
  int n = 0;
  switch (cur->point)
    {
    case P_BACKEND_NEW:
    case P_BACKEND_DEFAULT:
    case P_BACKEND_ANY:
    case P_REBUILD_AFTER_FORK:
      if (cur->backend == EVBACKEND_IOURING)
        nrs[n++] = SYS_io_uring_setup;
      else
        {
          nrs[n++] = SYS_epoll_create1;
          nrs[n++] = SYS_epoll_create;
        }
      break;
    case P_WAKEUP_ASYNC:
    case P_WAKEUP_SIGNAL:
    case P_WAKEUP_CHILD:
    case P_WAKEUP_REBUILD:
      nrs[n++] = SYS_eventfd2;
      nrs[n++] = SYS_eventfd;
      nrs[n++] = SYS_pipe2;
      nrs[n++] = SYS_pipe;
      break;
    case P_SIGNALFD:
    case P_SIGNALFD_REBUILD:
      nrs[n++] = SYS_signalfd4;
      nrs[n++] = SYS_signalfd;
      break;
    case P_TIMERFD:
    case P_TIMERFD_REBUILD:
      nrs[n++] = SYS_timerfd_create;
      break;
    case P_INOTIFY:
    case P_INOTIFY_REBUILD:
      nrs[n++] = SYS_inotify_init1;
      nrs[n++] = SYS_inotify_init;
      break;
    case P_IOURING_ENTER:
      nrs[n++] = SYS_io_uring_enter;
      break;
    }
  if (refuse_syscalls (nrs, n, cur->method == M_SECCOMP && cur->point == P_IOURING_ENTER ? EPERM : EMFILE) < 0)
    _exit (77);
}

static void
restore_fds (void)
{
  if (cur->method == M_RLIMIT)
    {
      struct rlimit rl;
      getrlimit (RLIMIT_NOFILE, &rl);
      rl.rlim_cur = rl.rlim_max < 1024 ? rl.rlim_max : 1024;
      setrlimit (RLIMIT_NOFILE, &rl);
    }
  /* a seccomp filter cannot be removed: the refused call stays refused */
}

static int flag_hit, flag_err;
static void
hit_cb (struct ev_loop *loop, ev_watcher *w, int revents)
{
  (void)loop, (void)w;
  if (revents & EV_ERROR)
    flag_err = 1;
  else
    flag_hit = 1;
}
#define HIT(type) ((void (*) (struct ev_loop *, ev_##type *, int))hit_cb)

static void
stop_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)w, (void)revents;
  ev_break (loop, EVBREAK_ALL);
}

/* runs the loop until hit/error or `seconds`; a repeating timer bounds every wait (a
 * one-shot one would leave the last ev_run without a timer: a refused wait then sleeps the
 * loop's longest block time) */
static void
run_for (struct ev_loop *loop, double seconds)
{
  ev_timer t;
  ev_timer_init (&t, stop_cb, 0.05, 0.05);
  ev_timer_start (loop, &t);
  double t0 = stress_now ();
  while (!flag_hit && !flag_err && stress_now () - t0 < seconds)
    ev_run (loop, EVRUN_ONCE);
  ev_timer_stop (loop, &t);
}

static void
fd_case_child (void *arg)
{
  cur = arg;
  ev_set_allocator (failing_alloc);
  if (cur->with_cb)
    ev_set_syserr_cb (syserr_counter);
  unsigned B = cur->backend | EVFLAG_NOENV;
  struct ev_loop *loop = NULL;
  static ev_io io;
  static ev_async a;
  static ev_signal s;
  static ev_periodic pr;
  static ev_stat st;
  static ev_child ch;
  int p[2];
  if (pipe (p))
    _exit (6);
  if (write (p[1], "x", 1) != 1)
    _exit (6);
  ev_io_init (&io, HIT (io), p[0], EV_READ);
  flag_hit = flag_err = 0;

  switch (cur->point)
    {
    case P_BACKEND_NEW:
    case P_BACKEND_DEFAULT:
      refuse_now ();
      loop = cur->point == P_BACKEND_NEW ? ev_loop_new (B) : ev_default_loop (B);
      if (!loop)
        verdict (1, "NULL");
      else if (ev_backend (loop) != cur->backend)
        verdict (0, "silently created with backend 0x%x instead", ev_backend (loop));
      else if (cur->backend == EVBACKEND_SELECT || cur->backend == EVBACKEND_POLL)
        {
          /* these need no descriptor: the loop must work */
          ev_io_start (loop, &io);
          run_for (loop, 0.5);
          verdict (flag_hit, flag_hit ? "created, works" : "created, but io never came");
        }
      else
        verdict (0, "created although its descriptor could not be had?");
      break;
    case P_BACKEND_ANY:
      refuse_now ();
      loop = ev_loop_new (EVFLAG_NOENV);
      if (!loop)
        verdict (0, "NULL although poll and select need no descriptor");
      else if (!(ev_backend (loop) & ev_recommended_backends ()))
        verdict (0, "backend 0x%x not in the recommended set", ev_backend (loop));
      else
        {
          ev_io_start (loop, &io);
          run_for (loop, 0.5);
          verdict (flag_hit, "fell back to %s%s", ev_backend (loop) == EVBACKEND_POLL ? "poll" : "another",
                   flag_hit ? ", works" : ", io never came");
        }
      break;
    case P_REBUILD_AFTER_FORK:
      loop = ev_loop_new (B);
      ev_io_start (loop, &io);
      ev_run (loop, EVRUN_NOWAIT);
      flag_hit = 0;
      ev_loop_fork (loop);
      refuse_now ();
      run_for (loop, 0.5);
      restore_fds ();
      if (flag_err)
        verdict (1, "EV_ERROR to the io watcher");
      else if (flag_hit)
        verdict (1, "io still delivered");
      else
        verdict (0, "the io watcher silently gets nothing");
      break;
    case P_WAKEUP_ASYNC:
    case P_WAKEUP_SIGNAL:
    case P_WAKEUP_CHILD:
      loop = cur->point == P_WAKEUP_CHILD ? ev_default_loop (B) : ev_loop_new (B);
      ev_run (loop, EVRUN_NOWAIT);
      refuse_now ();
      if (cur->point == P_WAKEUP_ASYNC)
        {
          ev_async_init (&a, HIT (async));
          ev_async_start (loop, &a);
          ev_async_send (loop, &a);
        }
      else if (cur->point == P_WAKEUP_SIGNAL)
        {
          ev_signal_init (&s, HIT (signal), SIGUSR1);
          ev_signal_start (loop, &s);
          raise (SIGUSR1);
        }
      else
        {
          ev_child_init (&ch, HIT (child), 0, 0);
          ev_child_start (loop, &ch);
          if (fork () == 0)
            _exit (0);
        }
      run_for (loop, 0.5);
      restore_fds ();
      if (!flag_hit && !flag_err)
        {
          /* a later send, with descriptors to be had again */
          if (cur->point == P_WAKEUP_ASYNC)
            ev_async_send (loop, &a);
          else if (cur->point == P_WAKEUP_SIGNAL)
            raise (SIGUSR1);
          run_for (loop, 0.5);
        }
      verdict (flag_hit || flag_err, flag_err ? "EV_ERROR" : flag_hit ? "delivered" : "never delivered, no EV_ERROR");
      break;
    case P_WAKEUP_REBUILD:
      loop = ev_loop_new (B);
      ev_async_init (&a, HIT (async));
      ev_async_start (loop, &a);
      ev_run (loop, EVRUN_NOWAIT);
      ev_loop_fork (loop);
      refuse_now ();
      ev_async_send (loop, &a);
      run_for (loop, 0.5);
      restore_fds ();
      if (!flag_hit && !flag_err)
        {
          ev_async_send (loop, &a);
          run_for (loop, 0.5);
        }
      verdict (flag_hit || flag_err, flag_err ? "EV_ERROR" : flag_hit ? "delivered" : "never delivered, no EV_ERROR");
      break;
    case P_SIGNALFD:
    case P_SIGNALFD_REBUILD:
      loop = ev_loop_new (B | EVFLAG_SIGNALFD);
      /* the wake-up fd first, so that only the signalfd is missing */
      ev_async_init (&a, HIT (async));
      ev_async_start (loop, &a);
      ev_signal_init (&s, HIT (signal), SIGUSR2);
      if (cur->point == P_SIGNALFD_REBUILD)
        {
          ev_signal_start (loop, &s);
          ev_run (loop, EVRUN_NOWAIT);
          ev_loop_fork (loop);
          refuse_now ();
        }
      else
        {
          ev_run (loop, EVRUN_NOWAIT);
          refuse_now ();
          ev_signal_start (loop, &s);
        }
      raise (SIGUSR2);
      run_for (loop, 0.5);
      restore_fds ();
      if (!flag_hit && !flag_err)
        {
          raise (SIGUSR2);
          run_for (loop, 0.5);
        }
      verdict (flag_hit || flag_err, flag_hit ? "delivered (fallback)" : flag_err ? "EV_ERROR" : "signal lost");
      break;
    case P_TIMERFD:
    case P_TIMERFD_REBUILD:
      loop = ev_loop_new (B);
      ev_periodic_init (&pr, HIT (periodic), 0., 0., 0);
      if (cur->point == P_TIMERFD_REBUILD)
        {
          static ev_periodic far;
          ev_periodic_init (&far, HIT (periodic), ev_now (loop) + 1e6, 0., 0);
          ev_periodic_start (loop, &far);
          ev_run (loop, EVRUN_NOWAIT);
          ev_loop_fork (loop);
          refuse_now ();
          ev_run (loop, EVRUN_NOWAIT);
          ev_periodic_stop (loop, &far);
        }
      else
        refuse_now ();
      ev_periodic_set (&pr, ev_now (loop) + 0.05, 0., 0);
      ev_periodic_start (loop, &pr);
      run_for (loop, 0.5);
      restore_fds ();
      verdict (flag_hit || flag_err, flag_hit ? "fired (no timerfd)" : flag_err ? "EV_ERROR" : "never fired");
      break;
    case P_INOTIFY:
    case P_INOTIFY_REBUILD:
      {
        static char path[64];
        inotify_path (path, sizeof path, getpid ());
        close (open (path, O_CREAT | O_WRONLY | O_TRUNC, 0600));
        loop = ev_loop_new (B);
        ev_stat_init (&st, HIT (stat), path, 0.1); /* polling: every 0.1074891 s */
        if (cur->point == P_INOTIFY_REBUILD)
          {
            ev_stat_start (loop, &st);
            ev_run (loop, EVRUN_NOWAIT);
            ev_loop_fork (loop);
            refuse_now ();
          }
        else
          {
            refuse_now ();
            ev_stat_start (loop, &st);
          }
        ev_run (loop, EVRUN_NOWAIT);
        if (truncate (path, 100)) /* no descriptor needed */
          _exit (6);
        run_for (loop, 1.5);
        restore_fds ();
        unlink (path);
        verdict (flag_hit || flag_err, flag_hit ? "change seen" : flag_err ? "EV_ERROR" : "change never seen");
        break;
      }
    case P_IOURING_ENTER:
      loop = ev_loop_new (B);
      ev_io_start (loop, &io);
      refuse_now ();
      run_for (loop, 0.5);
      verdict (flag_hit || flag_err, flag_hit ? "io delivered" : flag_err ? "EV_ERROR" : "io never came");
      break;
    }
  fflush (stdout);
  _exit (0);
}

static void
part2 (const struct stress_backend *bs, int nb, const char *only, long *runs, long *bad_total)
{
  long by[4] = { 0 }; /* message+abort, fallback/delivered, EV_ERROR, NULL */
  struct child c;
  char buf[512];
  for (int point = 0; point < P_COUNT; ++point)
    for (int bi = 0; bi < nb; ++bi)
      for (int method = 0; method < 2; ++method)
        for (int with_cb = 0; with_cb < 2; ++with_cb)
          {
            struct fdcase fc = { point, method, with_cb, bs[bi].flag, bs[bi].name };
            int kernel_backend = bs[bi].flag == EVBACKEND_EPOLL || bs[bi].flag == EVBACKEND_IOURING;
            /* points that do not exist on a backend */
            if (point == P_REBUILD_AFTER_FORK && !kernel_backend)
              continue;
            if (point == P_IOURING_ENTER && bs[bi].flag != EVBACKEND_IOURING)
              continue;
            if (point == P_BACKEND_ANY && bi > 0)
              continue;
            if (method == M_SECCOMP && (point == P_BACKEND_NEW || point == P_BACKEND_DEFAULT) && !kernel_backend)
              continue;
            if (method == M_RLIMIT && point == P_IOURING_ENTER)
              continue;
            char name[160];
            snprintf (name, sizeof name, "%s [%s, %s, %s]", point_names[point], bs[bi].name,
                      method == M_RLIMIT ? "EMFILE" : "seccomp", with_cb ? "returning syserr cb" : "no syserr cb");
            if (only && !strstr (name, only))
              continue;
            memset (sh, 0, sizeof *sh);
            run_child (fd_case_child, &fc, 20, &c);
            ++*runs;
            const char *outcome;
            int ok;
            double rate = sh->cb_calls > 1 && sh->cb_last > sh->cb_first
                              ? (sh->cb_calls - 1) / (sh->cb_last - sh->cb_first) : 0.;
            if (c.exited && c.status == 77)
              {
                printf ("  skip %s: seccomp not allowed here\n", name);
                continue;
              }
            if (sanitizer_report (c.err))
              {
                const char *r = strstr (c.err, "ERROR: ");
                if (!r)
                  r = strstr (c.err, "runtime error");
                snprintf (buf, sizeof buf, "sanitizer report: %.*s", (int)strcspn (r ? r : c.err, "\n"), r ? r : c.err);
                ok = 0, outcome = buf;
              }
            else if (c.signaled && c.signo == SIGABRT && strstr (c.err, "(libev) ") && !with_cb)
              {
                ok = 1;
                outcome = "message + abort";
                ++by[0];
              }
            else if (c.exited && c.status == 0)
              {
                ok = sh->ok;
                outcome = sh->verdict;
                if (ok)
                  ++by[strstr (outcome, "EV_ERROR") ? 2 : !strcmp (outcome, "NULL") ? 3 : 1];
              }
            else
              ok = 0, outcome = describe_child (&c, buf, sizeof buf);
            /* a returning callback must not be called in a busy loop: a few retries (a burst)
             * are fine, and so is one call per iteration (run_for's timer makes 20 a
             * second); a steady stream faster than that is a spin */
            if (ok && with_cb && (sh->cb_calls > 500 || (sh->cb_calls > 10 && rate > 100.)))
              {
                ok = 0;
                snprintf (buf, sizeof buf, "syserr callback spins: %d calls, %.0f per second (%s)",
                          sh->cb_calls, rate, sh->cb_msg);
                outcome = buf;
              }
            if (!ok)
              {
                ++*bad_total;
                stress_fail ("descriptor refused at %s: %s", name, outcome);
              }
            if (verbose || !ok)
              printf ("  %s: %s%s (syserr cb %d calls%s%s)\n", name, outcome, ok ? "" : " **FINDING**",
                      sh->cb_calls, sh->cb_calls ? ": " : "", sh->cb_msg);
            if (c.signaled && c.signo == SIGABRT && verbose)
              printf ("    stderr: %.*s\n", (int)strcspn (c.err, "\n"), c.err);
          }
  stress_figure ("descriptors refused at %d points of the loop (EMFILE by RLIMIT_NOFILE and seccomp refusals; "
                 "with and without a returning syserr callback): %ld runs: message + abort %ld, "
                 "fallback that still delivers %ld, EV_ERROR %ld, NULL loop %ld, other outcomes %ld (must be 0)",
                 (int)P_COUNT, *runs, by[0], by[1], by[2], by[3], *bad_total);
}

int
main (int argc, char **argv)
{
  const char *only = NULL;
  int skip1 = 0, skip2 = 0;
  stress_init (argc, argv);
  for (int i = 1; i < argc; ++i)
    {
      if (!strcmp (argv[i], "-v"))
        verbose = 1;
      else if (!strcmp (argv[i], "--only") && i + 1 < argc)
        only = argv[++i];
      else if (!strcmp (argv[i], "--no-alloc"))
        skip1 = 1;
      else if (!strcmp (argv[i], "--no-fds"))
        skip2 = 1;
      else
        {
          fprintf (stderr, "usage: allocfail [--only TEXT] [--no-alloc] [--no-fds] [-v]\n");
          return 2;
        }
    }
  unsetenv ("LIBEV_FLAGS");
  run_owner = getpid ();
  sh = mmap (NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (sh == MAP_FAILED)
    return 2;
  stress_watchdog (stress_long () ? 7200 : 900, "allocfail");
  struct stress_backend bs[4];
  int nb = stress_backends (bs);
  double t0 = stress_now ();
  if (!skip1)
    {
      long runs = 0, aborts = 0, successes = 0;
      for (int b = 0; b < nb; ++b)
        if (!only || strstr (bs[b].name, only))
          part1 (&bs[b], &runs, &aborts, &successes);
      stress_figure ("allocation failures: %ld runs, each failing allocation ended in the "
                     "out-of-memory message + abort (%ld) or was not needed (%ld); %.0f s",
                     runs, aborts, successes, stress_now () - t0);
    }
  if (!skip2)
    {
      long runs = 0, bad = 0;
      double t1 = stress_now ();
      part2 (bs, nb, only && skip1 ? only : NULL, &runs, &bad);
      printf ("descriptor part: %.0f s\n", stress_now () - t1);
    }
  check_no_files_left ();
  return stress_exit_status ();
}
