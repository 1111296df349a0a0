/* SPDX-License-Identifier: BSD-2-Clause */
/* t/stress/signals.c - signals and children under load (ev(3) ev_signal, ev_child, EVFLAG_SIGNALFD,
 * EVFLAG_NOSIGMASK), on every backend, with signal handlers and with signalfd:
 *
 *   rounds   another process sends a signal and waits for the loop's answer, thousands of times;
 *            a single lost signal leaves a round unanswered (each round has a time limit)
 *   bursts   another process sends bursts of signals while the loop is busy in callbacks; after
 *            each burst's last signal the loop must still make a callback (signals coalesce, but
 *            the last one is never lost)
 *   restart  a signal raised while its watcher is active, the watcher stopped and started again
 *            (several times, with and without loop iterations in between): delivered exactly
 *            once when the loop looks while the watcher is active
 *   mask     a child that execs gets exactly the signal mask the program had before the loop
 *            started watching (handler path: libev-ng blocks nothing; /proc/PID/status SigBlk);
 *            with EVFLAG_SIGNALFD the watched signals stay blocked, as ev(3) documents
 *   children 10^3 (short) / 10^4 (long) children exiting at once, watched by pid and by a pid-0
 *            watcher: each status delivered exactly once per matching watcher, no zombie left
 *
 * Each part runs in a child process per backend and mode (a crash is a finding of its own). */
#define _GNU_SOURCE 1
#include "stress.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void
guard_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)loop, (void)revents;
  *(int *)w->data = 1;
}

/* Runs the loop until *flag >= target or `seconds` pass; returns whether it got there. */
static int
run_until (struct ev_loop *loop, volatile int *flag, int target, double seconds)
{
  int expired = 0;
  ev_timer guard;
  ev_timer_init (&guard, guard_cb, seconds, 0.);
  guard.data = &expired;
  ev_timer_start (loop, &guard);
  while (*flag < target && !expired)
    ev_run (loop, EVRUN_ONCE);
  ev_timer_stop (loop, &guard);
  return *flag >= target;
}

/* ---- rounds and bursts: a sender process and the loop, talking over a pipe ---------------- */

static volatile int calls;
static int ack_fd;

static void
count_and_ack_cb (struct ev_loop *loop, ev_signal *w, int revents)
{
  (void)loop, (void)w, (void)revents;
  ++calls;
  char c = 'a';
  if (ack_fd >= 0 && write (ack_fd, &c, 1) != 1)
    _exit (9);
}

/* Wait for one byte on fd, at most `seconds`; 1 if it came. */
static int
wait_byte (int fd, double seconds)
{
  double end = stress_now () + seconds;
  char c;
  for (;;)
    {
      ssize_t n = read (fd, &c, 1);
      if (n == 1)
        return 1;
      if (stress_now () > end)
        return 0;
      struct timespec ts = { 0, 100000 };
      nanosleep (&ts, NULL);
    }
}

static void
busy_idle_cb (struct ev_loop *loop, ev_idle *w, int revents)
{
  (void)loop, (void)w, (void)revents;
  double end = stress_now () + 50e-6; /* a busy loop: callbacks that take time */
  while (stress_now () < end)
    ;
}

/* The sender: `rounds` single signals, each answered; then `bursts` bursts.  Exit status 0 when
 * every round and every burst was answered. */
static int
sender (pid_t target, int ack_read, int go_write, long rounds, long bursts, uint64_t seed)
{
  for (long r = 0; r < rounds; ++r)
    {
      kill (target, SIGUSR1);
      if (!wait_byte (ack_read, 5.))
        {
          fprintf (stderr, "round %ld of %ld: no answer (a lost signal)\n", r + 1, rounds);
          return 1;
        }
    }
  /* bursts: the loop answers each callback; drain, then check that the last one was seen */
  char go = 'b';
  if (write (go_write, &go, 1) != 1) /* tell the loop to get busy */
    return 2;
  for (long b = 0; b < bursts; ++b)
    {
      unsigned n = 1 + stress_below (&seed, 200);
      for (unsigned i = 0; i < n; ++i)
        kill (target, SIGUSR1);
      /* at least one answer after the last signal of the burst */
      if (!wait_byte (ack_read, 5.))
        {
          fprintf (stderr, "burst %ld (%u signals): no answer after its last signal\n", b + 1, n);
          return 3;
        }
      /* answers of earlier signals of the burst may still be on their way: drain them */
      struct timespec ts = { 0, 2000000 };
      nanosleep (&ts, NULL);
      char buf[256];
      while (read (ack_read, buf, sizeof buf) > 0)
        ;
    }
  return 0;
}

static int sender_status;

static void
sender_done_cb (struct ev_loop *loop, ev_child *w, int revents)
{
  (void)loop, (void)revents;
  sender_status = w->rstatus;
}

static void
part_rounds_and_bursts (const struct stress_backend *b, unsigned flags, const char *mode)
{
  int failures_before = stress_failures ();
  long rounds = stress_scale (3000, 30000), bursts = stress_scale (300, 3000);
  int ack[2], go[2];
  if (pipe2 (ack, O_CLOEXEC | O_NONBLOCK) || pipe2 (go, O_CLOEXEC | O_NONBLOCK))
    _exit (2);
  sigset_t usr1;
  sigemptyset (&usr1);
  sigaddset (&usr1, SIGUSR1);
  sigprocmask (SIG_BLOCK, &usr1, NULL); /* until the watcher is there */
  struct ev_loop *loop = ev_default_loop (b->flag | EVFLAG_NOENV | flags);
  if (!loop)
    _exit (2);
  ev_signal s;
  ev_signal_init (&s, count_and_ack_cb, SIGUSR1);
  ev_signal_start (loop, &s);
  if (!(flags & EVFLAG_SIGNALFD))
    sigprocmask (SIG_UNBLOCK, &usr1, NULL);
  ack_fd = ack[1];

  pid_t me = getpid ();
  pid_t pid = fork ();
  if (pid == 0)
    _exit (sender (me, ack[0], go[1], rounds, bursts, stress_seed (7) ^ b->flag));
  /* the default loop reaps every child: the sender's end comes through an ev_child */
  ev_child sender_w;
  ev_child_init (&sender_w, sender_done_cb, pid, 0);
  ev_child_start (loop, &sender_w);
  double start = stress_now ();
  ev_idle busy;
  ev_idle_init (&busy, busy_idle_cb);
  sender_status = -1;
  while (sender_status < 0)
    {
      ev_run (loop, EVRUN_ONCE);
      char c;
      if (!ev_is_active (&busy) && read (go[0], &c, 1) == 1)
        ev_idle_start (loop, &busy);
    }
  if (!WIFEXITED (sender_status) || WEXITSTATUS (sender_status))
    stress_fail ("%s %s: signal rounds and bursts: the sender failed (status %d)", b->name, mode, sender_status);
  ev_child_stop (loop, &sender_w);
  stress_figure ("%s %s: %ld signal round trips and %ld bursts while busy: %d callbacks, %s, %.1f s", b->name, mode,
                 rounds, bursts, calls, stress_failures () > failures_before ? "LOST SIGNALS" : "0 lost",
                 stress_now () - start);
  ev_idle_stop (loop, &busy);
  ev_signal_stop (loop, &s);
}

/* ---- restart: raised while active, stopped and started before the loop looks ------------------- */

static volatile int restart_calls;

static void
restart_cb (struct ev_loop *loop, ev_signal *w, int revents)
{
  (void)loop, (void)w, (void)revents;
  ++restart_calls;
}

static void
part_restart (const struct stress_backend *b, unsigned flags, const char *mode)
{
  long cycles = stress_scale (2000, 20000);
  uint64_t rng = stress_seed (11) ^ b->flag;
  struct ev_loop *loop = ev_default_loop (b->flag | EVFLAG_NOENV | flags);
  ev_signal s;
  ev_signal_init (&s, restart_cb, SIGUSR2);
  /* With signalfd a stop unblocks the signal, and the kernel delivers one that is pending to
   * its disposition (as in libev 4.33): ignored here, so it is gone; with handlers it waits for
   * the restarted watcher. */
  const int signalfd = (flags & EVFLAG_SIGNALFD) != 0;
  if (signalfd)
    signal (SIGUSR2, SIG_IGN);
  long wrong = 0;
  for (long c = 0; c < cycles; ++c)
    {
      restart_calls = 0;
      ev_signal_start (loop, &s);
      if (stress_below (&rng, 2))
        ev_run (loop, EVRUN_NOWAIT);
      raise (SIGUSR2);
      unsigned restarts = stress_below (&rng, 3);
      for (unsigned k = restarts; k--;)
        {
          ev_signal_stop (loop, &s);
          ev_signal_start (loop, &s);
        }
      ev_run (loop, EVRUN_NOWAIT);
      if (!restart_calls)
        ev_run (loop, EVRUN_NOWAIT);
      int expected = signalfd && restarts ? 0 : 1;
      if (restart_calls != expected && wrong++ < 5)
        stress_fail ("%s %s: restart cycle %ld (%u restarts): %d callbacks, expected %d", b->name, mode, c, restarts,
                     restart_calls, expected);
      ev_signal_stop (loop, &s);
    }
  stress_figure ("%s %s: %ld raise/stop/start cycles: %s (%ld wrong)", b->name, mode, cycles,
                 signalfd ? "delivered exactly once without a restart, discarded by a restart (SIG_IGN)"
                          : "each signal delivered exactly once",
                 wrong);
}

/* ---- mask: what an exec'd child inherits -------------------------------------------------------- */

/* SigBlk of the process `pid`, as a bit mask, or ~0 if unreadable. */
static unsigned long long
sigblk_of (pid_t pid)
{
  char path[64], line[256];
  snprintf (path, sizeof path, "/proc/%d/status", (int)pid);
  FILE *f = fopen (path, "r");
  unsigned long long mask = ~0ULL;
  while (f && fgets (line, sizeof line, f))
    if (sscanf (line, "SigBlk: %llx", &mask) == 1)
      break;
  if (f)
    fclose (f);
  return mask;
}

/* The SigBlk of a child that execs `sleep` while the loop watches SIGUSR1, SIGUSR2, SIGHUP
 * and children. */
static unsigned long long
exec_child_mask (struct ev_loop *loop)
{
  (void)loop;
  pid_t pid = fork ();
  if (pid == 0)
    {
      execlp ("sleep", "sleep", "1", (char *)NULL);
      _exit (127);
    }
  /* wait until it is sleep (its comm changed), then read its status */
  double end = stress_now () + 2.;
  char path[64], comm[64];
  snprintf (path, sizeof path, "/proc/%d/comm", (int)pid);
  while (stress_now () < end)
    {
      FILE *f = fopen (path, "r");
      int ok = f && fgets (comm, sizeof comm, f) && !strncmp (comm, "sleep", 5);
      if (f)
        fclose (f);
      if (ok)
        break;
      usleep (1000);
    }
  unsigned long long mask = sigblk_of (pid);
  kill (pid, SIGKILL);
  waitpid (pid, NULL, 0);
  return mask;
}

static void
part_mask (const struct stress_backend *b, unsigned flags, const char *mode)
{
  unsigned long long before = sigblk_of (getpid ());
  struct ev_loop *loop = ev_default_loop (b->flag | EVFLAG_NOENV | flags);
  ev_signal s1, s2, s3;
  ev_child c;
  ev_signal_init (&s1, restart_cb, SIGUSR1);
  ev_signal_init (&s2, restart_cb, SIGUSR2);
  ev_signal_init (&s3, restart_cb, SIGHUP);
  ev_child_init (&c, NULL, 0, 0);
  ev_signal_start (loop, &s1);
  ev_signal_start (loop, &s2);
  ev_signal_start (loop, &s3);
  ev_run (loop, EVRUN_NOWAIT);
  unsigned long long child = exec_child_mask (loop);
  unsigned long long watched = (1ULL << (SIGUSR1 - 1)) | (1ULL << (SIGUSR2 - 1)) | (1ULL << (SIGHUP - 1));
  if (flags & EVFLAG_SIGNALFD)
    {
      /* ev(3): signalfd blocks the watched signals, and a child inherits the mask */
      if ((child & ~before) & ~(watched | (1ULL << (SIGCHLD - 1))))
        stress_fail ("%s %s: an exec'd child inherited blocked signals beyond the watched ones: %llx (before %llx)",
                     b->name, mode, child, before);
      stress_figure ("%s %s: an exec'd child's SigBlk %llx: the watched signals, as ev(3) documents for signalfd",
                     b->name, mode, child);
    }
  else
    {
      if (child != before)
        stress_fail ("%s %s: an exec'd child's SigBlk is %llx, the program's was %llx", b->name, mode, child, before);
      stress_figure ("%s %s: an exec'd child's SigBlk is the program's (%llx): 0 blocked signals leaked", b->name, mode,
                     child);
    }
  ev_signal_stop (loop, &s1);
  ev_signal_stop (loop, &s2);
  ev_signal_stop (loop, &s3);
}

/* ---- children: many exiting at once ---------------------------------------------------------------- */

struct child_seen
{
  ev_child w;
  int calls;
  int status;
};
static struct child_seen *kids;
static int any_calls, kids_done;

static void
kid_cb (struct ev_loop *loop, ev_child *w, int revents)
{
  (void)loop, (void)revents;
  struct child_seen *k = (struct child_seen *)w;
  if (!k->calls++)
    ++kids_done;
  k->status = w->rstatus;
  ev_child_stop (loop, w);
}

static void
any_cb (struct ev_loop *loop, ev_child *w, int revents)
{
  (void)loop, (void)w, (void)revents;
  ++any_calls;
}

static void
part_children (const struct stress_backend *b, unsigned flags, const char *mode)
{
  int n = (int)stress_scale (1000, 10000);
  struct ev_loop *loop = ev_default_loop (b->flag | EVFLAG_NOENV | flags);
  kids = calloc ((size_t)n, sizeof *kids);
  any_calls = kids_done = 0;
  ev_child any;
  ev_child_init (&any, any_cb, 0, 0);
  ev_child_start (loop, &any);
  int gate[2];
  if (pipe (gate))
    _exit (2);
  double start = stress_now ();
  for (int i = 0; i < n; ++i)
    {
      pid_t pid = fork ();
      if (pid < 0)
        {
          stress_fail ("%s %s: fork: %s (after %d children)", b->name, mode, strerror (errno), i);
          n = i;
          break;
        }
      if (pid == 0)
        {
          char c;
          close (gate[1]);
          if (read (gate[0], &c, 1) < 0) /* all exit together, when the gate closes */
            _exit (1);
          _exit (i & 0x7f);
        }
      ev_child_init (&kids[i].w, kid_cb, pid, 0);
      ev_child_start (loop, &kids[i].w);
    }
  close (gate[0]);
  close (gate[1]); /* go */
  int ok = run_until (loop, &kids_done, n, 60.);
  ev_run (loop, EVRUN_NOWAIT); /* anything late */
  long wrong = 0;
  for (int i = 0; i < n; ++i)
    if (kids[i].calls != 1 || !WIFEXITED (kids[i].status) || WEXITSTATUS (kids[i].status) != (i & 0x7f))
      if (wrong++ < 5)
        stress_fail ("%s %s: child %d: %d callbacks, status %d", b->name, mode, i, kids[i].calls, kids[i].status);
  int zombies = waitpid (-1, NULL, WNOHANG) > 0;
  if (!ok || zombies || any_calls != n)
    stress_fail ("%s %s: children: %d of %d reported, pid-0 watcher %d calls, zombies %d", b->name, mode, kids_done,
                 n, any_calls, zombies);
  stress_figure ("%s %s: %d children exiting at once: each status exactly once (%ld wrong), pid-0 watcher %d of %d, "
                 "no zombie: %s, %.1f s",
                 b->name, mode, n, wrong, any_calls, n, zombies ? "NO" : "yes", stress_now () - start);
  ev_child_stop (loop, &any);
  free (kids);
}

/* ---- main ------------------------------------------------------------------------------------------- */

typedef void part_fn (const struct stress_backend *, unsigned, const char *);

static int
in_child (part_fn *part, const struct stress_backend *b, unsigned flags, const char *mode, const char *what)
{
  fflush (stdout);
  pid_t pid = fork ();
  if (pid == 0)
    {
      int before = stress_failures (); /* (inherited from the parent) */
      stress_watchdog (stress_scale (120, 1200), what);
      part (b, flags, mode);
      fflush (stdout);
      _exit (stress_failures () > before);
    }
  int st;
  waitpid (pid, &st, 0);
  if (WIFEXITED (st) && WEXITSTATUS (st) == 0)
    return 0;
  stress_fail ("%s %s: %s: %s %d", b->name, mode, what, WIFSIGNALED (st) ? "killed by signal" : "exit status",
               WIFSIGNALED (st) ? WTERMSIG (st) : WEXITSTATUS (st));
  return 1;
}

int
main (int argc, char **argv)
{
  stress_init (argc, argv);
  struct stress_backend backends[4];
  int nb = stress_backends (backends);
  static const struct
  {
    unsigned flags;
    const char *name;
  } modes[] = { { 0, "handlers" }, { EVFLAG_SIGNALFD, "signalfd" } };
  int status = 0;
  for (int i = 0; i < nb; ++i)
    for (unsigned m = 0; m < sizeof modes / sizeof modes[0]; ++m)
      {
        status |= in_child (part_rounds_and_bursts, &backends[i], modes[m].flags, modes[m].name, "rounds and bursts");
        status |= in_child (part_restart, &backends[i], modes[m].flags, modes[m].name, "restart");
        status |= in_child (part_mask, &backends[i], modes[m].flags, modes[m].name, "mask");
        status |= in_child (part_children, &backends[i], modes[m].flags, modes[m].name, "children");
      }
  return status || stress_exit_status ();
}
