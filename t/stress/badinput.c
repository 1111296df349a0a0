/* SPDX-License-Identifier: BSD-2-Clause */
/* t/stress/badinput.c - make check-stress: bad input and misuse, one process per case.
 *
 * A table of cases (negative, huge, never-opened and closed descriptors, illegal event
 * masks, NaN/infinite/negative times, bad signal numbers, watchers re-initialised while
 * active, started twice, stopped when never started, priorities changed while pending,
 * loops embedded into themselves, memory that is not a watcher (0x00, 0xff, 0xa5) handed to
 * every stop, ev_feed_event and ev_clear_pending, watchers stopped through a loop that does
 * not run them, null callbacks, libevent-emulation and C++-wrapper misuse, ...) runs once
 * per backend (select, poll, epoll, io_uring), each case in a forked process with a time
 * limit and its standard error captured.  The outcome is one of
 *
 *   defined      the program went on; the case's own checks of the documented result held
 *   EV_ERROR     a watcher was stopped and invoked with EV_ERROR
 *   usage error  the process aborted after "libev-ng: usage error in CALL (ARG = VALUE)"
 *
 * and must be the expected one of the table (so a regression fails).  Anything else is a
 * finding: a crash (signal, or an ASan/UBSan report), a hang or a spin (time limit; a spin
 * burnt the CPU meanwhile), an abort without a usage-error message, a failed check of the
 * case ("wrong result"), or memory still allocated after the loops were destroyed (the
 * cases count live blocks through ev_set_allocator).
 *
 * With --reference BIN (badinput.sh builds BIN: this same source against Debian's ev.h and
 * libev 4.33) every case also runs against libev 4.33, whose outcome becomes a column of the
 * table, with the relation of the two: "same", "ng better" (libev aborts, hangs, crashes or
 * loses events where libev-ng gives one of the three outcomes above), "documented" (a
 * difference listed in ev(3) DIFFERENCES FROM LIBEV 4.33) or "NG WORSE" (a finding).
 *
 *   badinput [--reference BIN] [--table FILE] [--only SUBSTRING] [-v]
 *   badinput --one NAME BACKEND       (run one case in this process: what the children do)
 *
 * Figures: cases x backends, outcomes by class, libev 4.33's outcomes, libev-ng worse than
 * libev (must be 0), findings (must be 0). */
#define _GNU_SOURCE 1
#include "stress.h"
#include "event.h"
#include "badinput.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef BADINPUT_LIBEVENT
#define BADINPUT_LIBEVENT 1
#endif

/* ==== the running case ============================================================== */

struct bcase;
typedef void case_fn (const struct bcase *k);

struct bcase
{
  const char *name;   /* unique: the key between this program and the reference build */
  const char *expect; /* "defined", "EV_ERROR" or "usage:CALL"; ";backend=OUTCOME" overrides */
  case_fn *fn;
  long i;             /* parameters */
  double d, d2;
  unsigned flags;
};

/* flags */
#define DOC 1u      /* a documented difference: libev-ng may differ from a "defined" libev */
#define OWNLOOP 2u  /* the case makes its own loops (no loop is created for it) */
#define NOLEAK 4u   /* memory may legitimately stay allocated (no live-block check) */
#define UB 8u       /* undefined in ev(3) (e.g. modifying an active watcher): libev-ng's trace
                     * may differ from libev's, a usage error instead of libev's silence is fine */
#define FIRES 16u   /* the watcher under test must have been invoked (else: wrong result) */

static struct
{
  unsigned backend;
  const char *bname;
  struct ev_loop *loop;
  char obs[3072];
  size_t obslen;
  int events_logged;
  int got_error;
  int wrong;
  char wrong_msg[256];
} C;

static long live_blocks;

static void *
counting_alloc (void *ptr, long size) EV_NOEXCEPT
{
  if (size == 0)
    {
      if (ptr)
        --live_blocks;
      free (ptr);
      return NULL;
    }
  void *p = realloc (ptr, (size_t)size);
  if (p && !ptr)
    ++live_blocks;
  return p;
}

static char last_event[64];

void
bad_obs (const char *fmt, ...)
{
  va_list ap;
  last_event[0] = 0;
  if (C.obslen + 2 >= sizeof C.obs)
    return;
  if (C.obslen)
    C.obs[C.obslen++] = ' ';
  va_start (ap, fmt);
  int n = vsnprintf (C.obs + C.obslen, sizeof C.obs - C.obslen, fmt, ap);
  va_end (ap);
  if (n > 0)
    C.obslen += (size_t)n < sizeof C.obs - C.obslen ? (size_t)n : sizeof C.obs - C.obslen - 1;
}

void
bad_wrong (const char *fmt, ...)
{
  va_list ap;
  if (!C.wrong)
    {
      va_start (ap, fmt);
      vsnprintf (C.wrong_msg, sizeof C.wrong_msg, fmt, ap);
      va_end (ap);
    }
  C.wrong = 1;
}

/* Repetitions of the same event in a row are logged once, with a "+": how often a watcher
 * that is ready in every iteration runs depends on the speed of the machine (and of a
 * sanitizer build), not on the library. */
void
bad_event (const char *name, int revents)
{
  char ev[64];
  if (revents & EV_ERROR)
    C.got_error = 1;
  ++C.events_logged;
  snprintf (ev, sizeof ev, "%s:%x", name, (unsigned)revents);
  if (!strcmp (ev, last_event))
    {
      if (C.obslen && C.obs[C.obslen - 1] != '+' && C.obslen + 1 < sizeof C.obs)
        {
          C.obs[C.obslen++] = '+';
          C.obs[C.obslen] = 0;
        }
      return;
    }
  bad_obs ("%s", ev);
  snprintf (last_event, sizeof last_event, "%s", ev);
}

#define CHECK(cond)                                                                       \
  do                                                                                      \
    {                                                                                     \
      if (!(cond))                                                                        \
        bad_wrong ("%s:%d: %s", __FILE__, __LINE__, #cond);                               \
    }                                                                                     \
  while (0)

#define L (C.loop)

#define LOG_CB(type)                                                                      \
  static void cb_##type (struct ev_loop *l_, ev_##type *w_, int r_)                        \
  {                                                                                       \
    (void)l_;                                                                             \
    bad_event (w_->data ? (const char *)w_->data : #type, r_);                            \
  }
LOG_CB (io)
LOG_CB (timer)
LOG_CB (periodic)
LOG_CB (signal)
LOG_CB (child)
LOG_CB (stat)
LOG_CB (idle)
LOG_CB (prepare)
LOG_CB (check)
LOG_CB (embed)
LOG_CB (fork)
LOG_CB (cleanup)
LOG_CB (async)

static void
nowait (int n)
{
  for (int i = 0; i < n; ++i)
    ev_run (L, EVRUN_NOWAIT);
}

static int guard_fired;
static void
guard_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)w, (void)revents;
  guard_fired = 1;
  ev_break (loop, EVBREAK_ALL);
}

/* EVRUN_ONCE iterations until a guard timer of `seconds` fires (at most 200 iterations), but
 * at least two: on a slow machine (a sanitizer build, a loaded CI host) the first iteration can
 * take the whole guard time, and a watcher that is ready in every iteration would then be seen
 * once instead of repeatedly ("+", see bad_event).  The guard repeats, so that the second
 * iteration ends too.  Records whether it fired.  The guard is not logged. */
static void
run_guarded (struct ev_loop *loop, double seconds)
{
  ev_timer g;
  ev_timer_init (&g, guard_cb, seconds, seconds);
  ev_timer_start (loop, &g);
  guard_fired = 0;
  int i;
  for (i = 0; i < 200 && !(guard_fired && i >= 2); ++i)
    ev_run (loop, EVRUN_ONCE);
  ev_timer_stop (loop, &g);
  /* 1: the loop went on (the guard fired, or 200 iterations came first, which happens when a
   * watcher is ready in every iteration); 0: it got stuck before */
  bad_obs ("guard=%d", guard_fired || i == 200);
}

static int
xpipe (int p[2])
{
  if (pipe (p))
    {
      perror ("pipe");
      _exit (70);
    }
  return p[0];
}

static void
xwrite (int fd)
{
  if (write (fd, "x", 1) != 1)
    _exit (71);
}

/* A number that is not an open descriptor, near `want`. */
static int
closed_fd (int want)
{
  while (fcntl (want, F_GETFD) >= 0)
    ++want;
  return want;
}

static struct ev_loop *
new_loop (unsigned flags)
{
  struct ev_loop *l = ev_loop_new (flags | EVFLAG_NOENV);
  if (!l)
    {
      fprintf (stderr, "badinput: cannot create a loop with flags 0x%x\n", flags);
      _exit (72);
    }
  return l;
}

/* ==== ev_io: descriptors and masks ================================================== */

static void
io_fd (const struct bcase *k)
{
  ev_io w;
  ev_io_init (&w, cb_io, (int)k->i, k->d2 ? EV_WRITE : EV_READ);
  w.data = "io";
  ev_io_start (L, &w);
  nowait (2);
  bad_obs ("active=%d", ev_is_active (&w));
  ev_io_stop (L, &w);
}

static void
io_fd_never_opened (const struct bcase *k)
{
  ev_io w;
  ev_io_init (&w, cb_io, closed_fd ((int)k->i), EV_READ);
  w.data = "io";
  ev_io_start (L, &w);
  nowait (2);
  bad_obs ("active=%d", ev_is_active (&w));
  ev_io_stop (L, &w);
}

/* a pipe with a byte to read; the watcher's mask is k->i */
static void
io_mask (const struct bcase *k)
{
  int p[2];
  ev_io w;
  xpipe (p);
  xwrite (p[1]);
  ev_io_init (&w, cb_io, k->d ? p[1] : p[0], (int)k->i);
  w.data = "io";
  ev_io_start (L, &w);
  nowait (2);
  bad_obs ("active=%d", ev_is_active (&w));
  ev_io_stop (L, &w);
  close (p[0]);
  close (p[1]);
}

enum fdkind
{
  FD_FILE, FD_DIR, FD_DEVNULL, FD_EPOLL, FD_EVENTFD, FD_SOCKET, FD_LISTEN, FD_PROC,
  FD_PIPE_WRITE_END_READ, FD_OWN_BACKEND, FD_DEVZERO, FD_PIPE_READER_GONE, FD_STDIN_CLOSED,
  FD_OTHER_LOOP_BACKEND, FD_TTY_PATH,
};

/* The highest open descriptor whose /proc link contains `what` (the loop's own kernel fds
 * are anon inodes: "anon_inode:[eventpoll]", "anon_inode:[io_uring]"). */
static int
find_anon (const char *what)
{
  int found = -1;
  for (int fd = 0; fd < 4096; ++fd)
    {
      char path[64], link[256];
      snprintf (path, sizeof path, "/proc/self/fd/%d", fd);
      ssize_t n = readlink (path, link, sizeof link - 1);
      if (n <= 0)
        continue;
      link[n] = 0;
      if (strstr (link, what))
        found = fd;
    }
  return found;
}

static int
open_kind (int kind, int *extra)
{
  int p[2], sv[2], fd = -1;
  *extra = -1;
  switch (kind)
    {
    case FD_FILE:
      {
        char tmpl[] = "/tmp/badinput-XXXXXX";
        fd = mkstemp (tmpl);
        unlink (tmpl);
        if (write (fd, "data", 4) != 4)
          _exit (71);
        lseek (fd, 0, SEEK_SET);
        break;
      }
    case FD_DIR: fd = open ("/", O_RDONLY | O_DIRECTORY); break;
    case FD_DEVNULL: fd = open ("/dev/null", O_RDWR); break;
    case FD_DEVZERO: fd = open ("/dev/zero", O_RDONLY); break;
    case FD_EPOLL: fd = epoll_create1 (EPOLL_CLOEXEC); break;
    case FD_EVENTFD: fd = eventfd (0, EFD_CLOEXEC); break;
    case FD_SOCKET:
      socketpair (AF_UNIX, SOCK_STREAM, 0, sv);
      fd = sv[0];
      *extra = sv[1];
      break;
    case FD_LISTEN:
      fd = socket (AF_UNIX, SOCK_STREAM, 0);
      listen (fd, 1); /* unbound: an abstract autobind address */
      break;
    case FD_PROC: fd = open ("/proc/self/stat", O_RDONLY); break;
    case FD_PIPE_WRITE_END_READ:
      xpipe (p);
      fd = p[1];
      *extra = p[0];
      break;
    case FD_PIPE_READER_GONE:
      xpipe (p);
      close (p[0]);
      fd = p[1];
      break;
    case FD_OWN_BACKEND:
      fd = find_anon (C.backend == EVBACKEND_IOURING ? "[io_uring]" : "[eventpoll]");
      if (fd < 0 || (C.backend != EVBACKEND_EPOLL && C.backend != EVBACKEND_IOURING))
        {
          /* select and poll have none: an epoll fd of our own */
          fd = epoll_create1 (EPOLL_CLOEXEC);
          break;
        }
      *extra = -2; /* the loop's: not ours to close */
      return fd;
    case FD_OTHER_LOOP_BACKEND:
      {
        struct ev_loop *other = new_loop (EVBACKEND_EPOLL);
        int efd = find_anon ("[eventpoll]");
        fd = dup (efd);
        ev_loop_destroy (other);
        break;
      }
    case FD_STDIN_CLOSED:
      close (0);
      return 0;
    case FD_TTY_PATH: fd = open ("/dev/tty", O_RDWR | O_NOCTTY);
      if (fd < 0)
        fd = open ("/dev/null", O_RDWR);
      break;
    }
  if (fd < 0)
    {
      perror ("badinput: open_kind");
      _exit (73);
    }
  return fd;
}

static void
io_kind (const struct bcase *k)
{
  int extra;
  int fd = open_kind ((int)k->i, &extra);
  ev_io w;
  signal (SIGPIPE, SIG_IGN);
  ev_io_init (&w, cb_io, fd, EV_READ | EV_WRITE);
  w.data = "io";
  ev_io_start (L, &w);
  nowait (3);
  bad_obs ("active=%d", ev_is_active (&w));
  ev_io_stop (L, &w);
  if (extra != -2)
    close (fd);
  if (extra >= 0)
    close (extra);
}

/* ==== ev_io: operations ============================================================== */

enum ioop
{
  IO_START_TWICE, IO_STOP_TWICE, IO_STOP_NEVER_STARTED, IO_STOP_ZEROED, IO_SET_SAME_FD_ACTIVE,
  IO_SET_OTHER_FD_ACTIVE, IO_INIT_ACTIVE_THEN_START, IO_INIT_ACTIVE_THEN_STOP, IO_MODIFY_ACTIVE,
  IO_CLOSED_WHILE_ACTIVE, IO_CLOSED_REUSED_NO_SET, IO_CLOSED_REUSED_WITH_SET, IO_DUP_TWO_WATCHERS,
  IO_CLOSED_BEFORE_START, IO_DUP2_OVER_ACTIVE, IO_FEED_FD_BAD, IO_FEED_FD_NEGATIVE,
  IO_FEED_FD_HUGE, IO_RAW_FD_NEGATIVE_ACTIVE, IO_SAME_WATCHER_TWO_FDS_RESTART,
};

static void
io_op (const struct bcase *k)
{
  int p[2], q[2];
  ev_io w, w2;
  xpipe (p);
  xwrite (p[1]);
  ev_io_init (&w, cb_io, p[0], EV_READ);
  w.data = "io";
  switch (k->i)
    {
    case IO_START_TWICE:
      ev_io_start (L, &w);
      ev_io_start (L, &w);
      nowait (1);
      break;
    case IO_STOP_TWICE:
      ev_io_start (L, &w);
      nowait (1);
      ev_io_stop (L, &w);
      ev_io_stop (L, &w);
      nowait (1);
      break;
    case IO_STOP_NEVER_STARTED:
      ev_io_stop (L, &w);
      nowait (1);
      break;
    case IO_STOP_ZEROED:
      memset (&w, 0, sizeof w);
      ev_io_stop (L, &w);
      nowait (1);
      break;
    case IO_SET_SAME_FD_ACTIVE:
      ev_io_start (L, &w);
      nowait (1);
      ev_io_set (&w, p[0], EV_READ);
      nowait (1);
      ev_io_stop (L, &w);
      break;
    case IO_SET_OTHER_FD_ACTIVE:
      ev_io_start (L, &w);
      nowait (1);
      ev_io_set (&w, p[1], EV_WRITE);
      nowait (1);
      ev_io_stop (L, &w);
      break;
    case IO_INIT_ACTIVE_THEN_START:
      ev_io_start (L, &w);
      nowait (1);
      ev_io_init (&w, cb_io, p[0], EV_READ);
      w.data = "io";
      ev_io_start (L, &w);
      nowait (1);
      ev_io_stop (L, &w);
      nowait (1);
      break;
    case IO_INIT_ACTIVE_THEN_STOP:
      ev_io_start (L, &w);
      nowait (1);
      ev_io_init (&w, cb_io, p[0], EV_READ);
      w.data = "io";
      ev_io_stop (L, &w);
      nowait (1);
      break;
    case IO_MODIFY_ACTIVE:
      ev_io_start (L, &w);
      nowait (1);
      ev_io_modify (&w, EV_READ | EV_WRITE);
      nowait (1);
      ev_io_stop (L, &w);
      ev_io_start (L, &w);
      nowait (1);
      ev_io_stop (L, &w);
      break;
    case IO_CLOSED_WHILE_ACTIVE:
      ev_io_start (L, &w);
      nowait (1);
      close (p[0]);
      p[0] = -1;
      /* epoll learns of it from the closed-fd sweep, after a wait that timed out: at most
       * every 0.1 s of an idle loop, at least once a second of a busy one (ev(3), ev_io) */
      {
        ev_timer tick;
        ev_timer_init (&tick, guard_cb, 0.05, 0.05);
        ev_timer_start (L, &tick);
        double t0 = stress_now ();
        while (!C.got_error && stress_now () - t0 < 1.6)
          ev_run (L, EVRUN_ONCE);
        ev_timer_stop (L, &tick);
        bad_obs ("in time=%d", C.got_error);
      }
      ev_io_stop (L, &w);
      break;
    case IO_CLOSED_REUSED_NO_SET:
      ev_io_start (L, &w);
      nowait (1);
      ev_io_stop (L, &w);
      close (p[0]);
      xpipe (q);
      xwrite (q[1]);
      if (q[0] != w.fd)
        _exit (74);
      ev_io_start (L, &w);
      nowait (2);
      ev_io_stop (L, &w);
      close (q[1]);
      break;
    case IO_CLOSED_REUSED_WITH_SET:
      ev_io_start (L, &w);
      nowait (1);
      ev_io_stop (L, &w);
      close (p[0]);
      xpipe (q);
      xwrite (q[1]);
      if (q[0] != w.fd)
        _exit (74);
      ev_io_set (&w, q[0], EV_READ);
      ev_io_start (L, &w);
      nowait (2);
      ev_io_stop (L, &w);
      close (q[1]);
      break;
    case IO_DUP_TWO_WATCHERS:
      {
        int d = dup (p[0]);
        ev_io_init (&w2, cb_io, d, EV_READ);
        w2.data = "dup";
        ev_io_start (L, &w);
        ev_io_start (L, &w2);
        /* two descriptors ready in one iteration: their order is the kernel's, count only */
        int logged = C.events_logged;
        size_t mark = C.obslen;
        nowait (1);
        C.obslen = mark;
        C.obs[mark] = 0;
        bad_obs ("events=%d", C.events_logged - logged);
        ev_io_stop (L, &w2);
        ev_io_stop (L, &w);
        close (d);
        break;
      }
    case IO_CLOSED_BEFORE_START:
      close (p[0]);
      ev_io_start (L, &w);
      nowait (2);
      bad_obs ("active=%d", ev_is_active (&w));
      ev_io_stop (L, &w);
      p[0] = -1;
      break;
    case IO_DUP2_OVER_ACTIVE:
      /* the number now names another file (an empty pipe) without the loop being told */
      ev_io_start (L, &w);
      nowait (1);
      xpipe (q);
      dup2 (q[0], p[0]);
      close (q[0]);
      nowait (1);
      bad_obs ("active=%d", ev_is_active (&w));
      ev_io_stop (L, &w);
      close (q[1]);
      break;
    case IO_FEED_FD_BAD:
      ev_io_start (L, &w);
      ev_feed_fd_event (L, closed_fd (900), EV_READ);
      ev_invoke_pending (L);
      ev_io_stop (L, &w);
      break;
    case IO_FEED_FD_NEGATIVE:
      ev_io_start (L, &w);
      ev_feed_fd_event (L, -1, EV_READ);
      ev_feed_fd_event (L, INT_MIN, EV_READ);
      ev_invoke_pending (L);
      ev_io_stop (L, &w);
      break;
    case IO_FEED_FD_HUGE:
      ev_io_start (L, &w);
      ev_feed_fd_event (L, INT_MAX, EV_READ);
      ev_feed_fd_event (L, 1 << 30, EV_READ);
      ev_invoke_pending (L);
      ev_io_stop (L, &w);
      break;
    case IO_RAW_FD_NEGATIVE_ACTIVE:
      /* the program scribbles a negative number into an active watcher, then stops it */
      ev_io_start (L, &w);
      nowait (1);
      w.fd = -1;
      ev_io_stop (L, &w);
      break;
    case IO_SAME_WATCHER_TWO_FDS_RESTART:
      xpipe (q);
      ev_io_start (L, &w);
      nowait (1);
      ev_io_stop (L, &w);
      ev_io_set (&w, q[1], EV_WRITE);
      ev_io_start (L, &w);
      nowait (1);
      ev_io_stop (L, &w);
      close (q[0]);
      close (q[1]);
      break;
    }
  bad_obs ("end active=%d", ev_is_active (&w));
  if (p[0] >= 0)
    close (p[0]);
  close (p[1]);
}

/* ==== timers ========================================================================== */

/* a timer (after = k->d, repeat = k->d2) and a guard timer of 30 ms */
static void
timer_values (const struct bcase *k)
{
  ev_timer t;
  ev_timer_init (&t, cb_timer, k->d, k->d2);
  t.data = "t";
  ev_timer_start (L, &t);
  int before = C.events_logged;
  run_guarded (L, 0.03);
  bad_obs ("active=%d", ev_is_active (&t) ? 1 : 0);
  if (k->flags & FIRES)
    CHECK (C.events_logged > before);
  ev_timer_stop (L, &t);
}

enum timerop
{
  T_SET_ACTIVE_THEN_STOP, T_INIT_ACTIVE_THEN_START, T_START_TWICE, T_STOP_TWICE,
  T_STOP_ZEROED, T_AGAIN_NAN_REPEAT, T_AGAIN_NEG_REPEAT, T_AGAIN_INF_REPEAT, T_REPEAT_NEG_WHILE_ACTIVE,
  T_REPEAT_NAN_WHILE_ACTIVE, T_REMAINING_INACTIVE, T_REMAINING_ZEROED, T_AGAIN_ZEROED,
  T_MANY_NAN_SIBLINGS, T_SET_NAN_ACTIVE_THEN_STOP, T_AGAIN_ACTIVE_BAD_REPEAT,
};

static void
timer_op (const struct bcase *k)
{
  ev_timer t, t2;
  ev_timer_init (&t, cb_timer, 0.001, 0.);
  t.data = "t";
  ev_timer_init (&t2, cb_timer, 0.002, 0.);
  t2.data = "t2";
  switch (k->i)
    {
    case T_SET_ACTIVE_THEN_STOP:
      ev_timer_start (L, &t);
      ev_timer_start (L, &t2);
      ev_timer_set (&t, 100., 0.);
      ev_timer_stop (L, &t);
      run_guarded (L, 0.03);
      break;
    case T_INIT_ACTIVE_THEN_START:
      ev_timer_start (L, &t);
      ev_timer_start (L, &t2);
      ev_timer_init (&t, cb_timer, 0.001, 0.);
      t.data = "t";
      ev_timer_start (L, &t);
      run_guarded (L, 0.03);
      ev_timer_stop (L, &t);
      break;
    case T_START_TWICE:
      ev_timer_start (L, &t);
      ev_timer_start (L, &t);
      run_guarded (L, 0.03);
      break;
    case T_STOP_TWICE:
      ev_timer_start (L, &t);
      ev_timer_stop (L, &t);
      ev_timer_stop (L, &t);
      run_guarded (L, 0.03);
      break;
    case T_STOP_ZEROED:
      memset (&t, 0, sizeof t);
      ev_timer_stop (L, &t);
      run_guarded (L, 0.01);
      break;
    case T_AGAIN_NAN_REPEAT:
      ev_timer_set (&t, 0.001, NAN);
      ev_timer_again (L, &t);
      run_guarded (L, 0.03);
      ev_timer_stop (L, &t);
      break;
    case T_AGAIN_NEG_REPEAT:
      ev_timer_set (&t, 0.001, -1.);
      ev_timer_again (L, &t);
      run_guarded (L, 0.03);
      ev_timer_stop (L, &t);
      break;
    case T_AGAIN_INF_REPEAT:
      ev_timer_set (&t, 0.001, INFINITY);
      ev_timer_again (L, &t);
      run_guarded (L, 0.03);
      bad_obs ("active=%d", ev_is_active (&t) ? 1 : 0);
      ev_timer_stop (L, &t);
      break;
    case T_REPEAT_NEG_WHILE_ACTIVE:
      ev_timer_set (&t, 0.001, 0.001);
      ev_timer_start (L, &t);
      t.repeat = -1.;
      run_guarded (L, 0.03);
      ev_timer_stop (L, &t);
      break;
    case T_REPEAT_NAN_WHILE_ACTIVE:
      ev_timer_set (&t, 0.001, 0.001);
      ev_timer_start (L, &t);
      t.repeat = NAN;
      run_guarded (L, 0.03);
      ev_timer_stop (L, &t);
      break;
    case T_REMAINING_INACTIVE:
      bad_obs ("remaining=%g", ev_timer_remaining (L, &t));
      break;
    case T_REMAINING_ZEROED:
      memset (&t, 0, sizeof t);
      bad_obs ("remaining=%g", ev_timer_remaining (L, &t));
      break;
    case T_AGAIN_ZEROED:
      memset (&t, 0, sizeof t);
      ev_timer_again (L, &t);
      bad_obs ("active=%d", ev_is_active (&t) ? 1 : 0);
      break;
    case T_MANY_NAN_SIBLINGS:
      {
        /* an infinite timer in a heap of good ones: every good one must still fire */
        static ev_timer many[16];
        for (int i = 0; i < 16; ++i)
          {
            ev_timer_init (&many[i], cb_timer, i == 5 ? INFINITY : 0.001 * (i % 4), 0.);
            many[i].data = i == 5 ? "inf" : "m";
            ev_timer_start (L, &many[i]);
          }
        run_guarded (L, 0.03);
        for (int i = 0; i < 16; ++i)
          ev_timer_stop (L, &many[i]);
        break;
      }
    case T_SET_NAN_ACTIVE_THEN_STOP:
      ev_timer_start (L, &t);
      ev_timer_set (&t, NAN, 0.);
      ev_timer_stop (L, &t);
      run_guarded (L, 0.01);
      break;
    case T_AGAIN_ACTIVE_BAD_REPEAT: /* an active timer, again with the repeat k->d */
      ev_timer_set (&t, 0.5, 0.5);
      ev_timer_start (L, &t);
      t.repeat = k->d;
      ev_timer_again (L, &t);
      run_guarded (L, 0.03);
      ev_timer_stop (L, &t);
      break;
    }
  bad_obs ("end active=%d", ev_is_active (&t) ? 1 : 0);
}

/* ==== periodics ======================================================================= */

/* offset k->d, interval k->d2: relative to now when flags & 8 (k->i) */
static void
periodic_values (const struct bcase *k)
{
  ev_periodic p;
  double ofs = k->d;
  if (k->i == 1)
    ofs += ev_now (L);
  ev_periodic_init (&p, cb_periodic, ofs, k->d2, 0);
  p.data = "p";
  ev_periodic_start (L, &p);
  run_guarded (L, 0.03);
  bad_obs ("active=%d", ev_is_active (&p) ? 1 : 0);
  if (k->flags & FIRES)
    CHECK (C.events_logged > 0);
  ev_periodic_stop (L, &p);
}

static double resched_offset;
static int resched_calls;
static ev_tstamp
resched_cb (ev_periodic *w, ev_tstamp now) EV_NOEXCEPT
{
  (void)w;
  if (++resched_calls > 1000)
    {
      bad_wrong ("reschedule_cb called %d times", resched_calls);
      return now + 1e6;
    }
  if (isnan (resched_offset))
    return NAN;
  if (isinf (resched_offset))
    return resched_offset;
  return now + resched_offset;
}

static void
periodic_resched (const struct bcase *k)
{
  ev_periodic p;
  resched_offset = k->d;
  ev_periodic_init (&p, cb_periodic, 0., 0., resched_cb);
  p.data = "p";
  ev_periodic_start (L, &p);
  run_guarded (L, 0.03);
  bad_obs ("active=%d calls>0=%d", ev_is_active (&p) ? 1 : 0, resched_calls > 0);
  ev_periodic_stop (L, &p);
}

enum periodicop
{
  P_AGAIN_INACTIVE, P_START_TWICE, P_STOP_ZEROED, P_SET_ACTIVE_THEN_STOP, P_INIT_ACTIVE_THEN_START,
  P_INTERVAL_NEG_WHILE_ACTIVE, P_AGAIN_ZEROED,
};

static void
periodic_op (const struct bcase *k)
{
  ev_periodic p;
  ev_periodic_init (&p, cb_periodic, ev_now (L) + 0.001, 0., 0);
  p.data = "p";
  switch (k->i)
    {
    case P_AGAIN_INACTIVE:
      ev_periodic_again (L, &p);
      run_guarded (L, 0.03);
      break;
    case P_START_TWICE:
      ev_periodic_start (L, &p);
      ev_periodic_start (L, &p);
      run_guarded (L, 0.03);
      break;
    case P_STOP_ZEROED:
      memset (&p, 0, sizeof p);
      ev_periodic_stop (L, &p);
      run_guarded (L, 0.01);
      break;
    case P_SET_ACTIVE_THEN_STOP:
      ev_periodic_start (L, &p);
      ev_periodic_set (&p, NAN, NAN, 0);
      ev_periodic_stop (L, &p);
      run_guarded (L, 0.01);
      break;
    case P_INIT_ACTIVE_THEN_START:
      ev_periodic_start (L, &p);
      ev_periodic_init (&p, cb_periodic, ev_now (L) + 0.002, 0., 0);
      p.data = "p";
      ev_periodic_start (L, &p);
      run_guarded (L, 0.03);
      ev_periodic_stop (L, &p);
      break;
    case P_INTERVAL_NEG_WHILE_ACTIVE:
      ev_periodic_set (&p, 0., 0.001, 0);
      ev_periodic_start (L, &p);
      p.interval = -1.;
      run_guarded (L, 0.03);
      ev_periodic_stop (L, &p);
      break;
    case P_AGAIN_ZEROED:
      memset (&p, 0, sizeof p);
      ev_periodic_again (L, &p);
      run_guarded (L, 0.01);
      ev_periodic_stop (L, &p);
      break;
    }
  bad_obs ("end active=%d", ev_is_active (&p) ? 1 : 0);
  ev_periodic_stop (L, &p);
}

/* ==== signals ========================================================================= */

static void
signal_num (const struct bcase *k)
{
  ev_signal s;
  ev_signal_init (&s, cb_signal, (int)k->i);
  s.data = "sig";
  ev_signal_start (L, &s);
  bad_obs ("started");
  if (k->d)
    raise ((int)k->i);
  nowait (2);
  ev_signal_stop (L, &s);
}

static void
signal_feed (const struct bcase *k)
{
  ev_signal s;
  ev_signal_init (&s, cb_signal, SIGUSR1);
  s.data = "sig";
  ev_signal_start (L, &s);
  if (k->d)
    ev_feed_signal_event (L, (int)k->i);
  else
    ev_feed_signal ((int)k->i);
  nowait (2);
  ev_signal_stop (L, &s);
}

enum sigop
{
  S_CHANGED_WHILE_ACTIVE, S_TWO_LOOPS, S_TWO_WATCHERS, S_AFTER_DESTROYED_LOOP, S_SIGNALFD_RAISE,
  S_START_TWICE, S_STOP_ZEROED, S_INIT_ACTIVE_THEN_START, S_SIGNALFD_TWO_LOOPS, S_DEFAULT_AND_OTHER,
  S_STOP_TWICE,
};

static void
signal_op (const struct bcase *k)
{
  ev_signal s, s2;
  struct ev_loop *other;
  ev_signal_init (&s, cb_signal, SIGUSR1);
  s.data = "sig";
  ev_signal_init (&s2, cb_signal, SIGUSR1);
  s2.data = "sig2";
  switch (k->i)
    {
    case S_CHANGED_WHILE_ACTIVE:
      ev_signal_start (L, &s);
      s.signum = SIGUSR2;
      ev_signal_stop (L, &s);
      break;
    case S_TWO_LOOPS:
      other = new_loop (C.backend);
      ev_signal_start (L, &s);
      ev_signal_start (other, &s2);
      raise (SIGUSR1);
      nowait (1);
      ev_run (other, EVRUN_NOWAIT);
      ev_signal_stop (other, &s2);
      ev_loop_destroy (other);
      ev_signal_stop (L, &s);
      break;
    case S_SIGNALFD_TWO_LOOPS:
      {
        struct ev_loop *a = new_loop (C.backend | EVFLAG_SIGNALFD);
        struct ev_loop *b = new_loop (C.backend | EVFLAG_SIGNALFD);
        ev_signal_start (a, &s);
        ev_signal_start (b, &s2);
        raise (SIGUSR1);
        ev_run (a, EVRUN_NOWAIT);
        ev_run (b, EVRUN_NOWAIT);
        ev_signal_stop (b, &s2);
        ev_signal_stop (a, &s);
        ev_loop_destroy (b);
        ev_loop_destroy (a);
        break;
      }
    case S_TWO_WATCHERS:
      ev_signal_start (L, &s);
      ev_signal_start (L, &s2);
      raise (SIGUSR1);
      nowait (2);
      ev_signal_stop (L, &s2);
      ev_signal_stop (L, &s);
      break;
    case S_AFTER_DESTROYED_LOOP:
      other = new_loop (C.backend);
      ev_signal_start (other, &s2);
      ev_loop_destroy (other);
      ev_signal_start (L, &s);
      raise (SIGUSR1);
      nowait (2);
      ev_signal_stop (L, &s);
      break;
    case S_SIGNALFD_RAISE:
      other = new_loop (C.backend | EVFLAG_SIGNALFD);
      ev_signal_start (other, &s);
      raise (SIGUSR1);
      ev_run (other, EVRUN_NOWAIT);
      ev_run (other, EVRUN_NOWAIT);
      ev_signal_stop (other, &s);
      ev_loop_destroy (other);
      break;
    case S_START_TWICE:
      ev_signal_start (L, &s);
      ev_signal_start (L, &s);
      raise (SIGUSR1);
      nowait (2);
      ev_signal_stop (L, &s);
      break;
    case S_STOP_TWICE:
      ev_signal_start (L, &s);
      ev_signal_stop (L, &s);
      ev_signal_stop (L, &s);
      nowait (1);
      break;
    case S_STOP_ZEROED:
      memset (&s, 0, sizeof s);
      ev_signal_stop (L, &s);
      nowait (1);
      break;
    case S_INIT_ACTIVE_THEN_START:
      ev_signal_start (L, &s);
      ev_signal_init (&s, cb_signal, SIGUSR1);
      s.data = "sig";
      ev_signal_start (L, &s);
      raise (SIGUSR1);
      nowait (2);
      ev_signal_stop (L, &s);
      break;
    case S_DEFAULT_AND_OTHER:
      {
        struct ev_loop *def = ev_default_loop (C.backend | EVFLAG_NOENV);
        ev_signal_start (def, &s);
        ev_signal_start (L, &s2);
        ev_signal_stop (L, &s2);
        ev_signal_stop (def, &s);
        ev_loop_destroy (def);
        break;
      }
    }
  bad_obs ("end");
}

/* ==== child =========================================================================== */

static void
child_pid (const struct bcase *k)
{
  struct ev_loop *def = ev_default_loop (C.backend | EVFLAG_NOENV);
  ev_child any, bad;
  ev_child_init (&any, cb_child, 0, 0);
  any.data = "any";
  ev_child_init (&bad, cb_child, (int)k->i, (int)k->d);
  bad.data = "bad";
  ev_child_start (def, &bad);
  ev_child_start (def, &any);
  pid_t pid = fork ();
  if (pid == 0)
    _exit (3);
  run_guarded (def, 0.2);
  bad_obs ("any_status=%d", WEXITSTATUS (any.rstatus));
  ev_child_stop (def, &any);
  ev_child_stop (def, &bad);
  ev_loop_destroy (def);
}

static void
child_op (const struct bcase *k)
{
  ev_child c;
  ev_child_init (&c, cb_child, 0, 0);
  c.data = "child";
  switch (k->i)
    {
    case 0: /* a non-default loop */
      ev_child_start (L, &c);
      ev_child_stop (L, &c);
      break;
    case 1: /* stop zeroed */
      memset (&c, 0, sizeof c);
      ev_child_stop (L, &c);
      break;
    case 2: /* start twice in the default loop */
      {
        struct ev_loop *def = ev_default_loop (C.backend | EVFLAG_NOENV);
        ev_child_start (def, &c);
        ev_child_start (def, &c);
        ev_child_stop (def, &c);
        ev_loop_destroy (def);
        break;
      }
    }
  bad_obs ("end");
}

/* ==== stat ============================================================================ */

static char long_path[8192];

static const char *
stat_path (long which)
{
  switch (which)
    {
    case 0: return "";
    case 1: return "/nonexistent-badinput/dir/file";
    case 2:
      memset (long_path, 'a', sizeof long_path - 1);
      for (size_t i = 100; i < sizeof long_path - 1; i += 100)
        long_path[i] = '/';
      long_path[0] = '/';
      return long_path;
    case 3:
      {
        static char name[300];
        memset (name, 'n', 299);
        name[0] = '/';
        return name;
      }
    case 4: return "relative-nonexistent-badinput";
    case 5: return "/proc/self/fd/999999";
    case 6: return "/";
    case 7: return "/dev/null/notadir";
    case 8: return NULL;
    }
  return "";
}

static void
stat_path_case (const struct bcase *k)
{
  struct ev_loop *loop = L;
  ev_stat s;
  if (k->d2)
    loop = new_loop (C.backend | EVFLAG_NOINOTIFY);
  ev_stat_init (&s, cb_stat, stat_path (k->i), k->d);
  s.data = "stat";
  ev_stat_start (loop, &s);
  ev_run (loop, EVRUN_NOWAIT);
  bad_obs ("nlink=%d active=%d", (int)s.attr.st_nlink, ev_is_active (&s) ? 1 : 0);
  ev_stat_stat (loop, &s);
  ev_stat_stop (loop, &s);
  if (loop != L)
    ev_loop_destroy (loop);
}

static void
stat_interval (const struct bcase *k)
{
  ev_stat s;
  ev_stat_init (&s, cb_stat, "/", k->d);
  s.data = "stat";
  ev_stat_start (L, &s);
  run_guarded (L, 0.02);
  bad_obs ("active=%d", ev_is_active (&s) ? 1 : 0);
  ev_stat_stop (L, &s);
}

enum statop
{
  ST_SET_ACTIVE_THEN_STOP, ST_START_TWICE, ST_STOP_ZEROED, ST_STAT_UNSTARTED_NULL,
  ST_INIT_ACTIVE_THEN_START, ST_SAME_PATH_TWO_WATCHERS,
};

static void
stat_op (const struct bcase *k)
{
  ev_stat s, s2;
  ev_stat_init (&s, cb_stat, "/nonexistent-badinput-x", 0.);
  s.data = "stat";
  ev_stat_init (&s2, cb_stat, "/nonexistent-badinput-x", 0.);
  s2.data = "stat2";
  switch (k->i)
    {
    case ST_SET_ACTIVE_THEN_STOP:
      ev_stat_start (L, &s);
      ev_stat_set (&s, "/nonexistent-badinput-y", 0.);
      ev_stat_stop (L, &s);
      nowait (1);
      break;
    case ST_START_TWICE:
      ev_stat_start (L, &s);
      ev_stat_start (L, &s);
      nowait (1);
      ev_stat_stop (L, &s);
      break;
    case ST_STOP_ZEROED:
      memset (&s, 0, sizeof s);
      ev_stat_stop (L, &s);
      break;
    case ST_STAT_UNSTARTED_NULL:
      ev_stat_init (&s, cb_stat, "/nonexistent-badinput-z", 0.);
      ev_stat_stat (L, &s);
      bad_obs ("nlink=%d", (int)s.attr.st_nlink);
      break;
    case ST_INIT_ACTIVE_THEN_START:
      ev_stat_start (L, &s);
      ev_stat_init (&s, cb_stat, "/nonexistent-badinput-x", 0.);
      s.data = "stat";
      ev_stat_start (L, &s);
      nowait (1);
      ev_stat_stop (L, &s);
      break;
    case ST_SAME_PATH_TWO_WATCHERS:
      ev_stat_start (L, &s);
      ev_stat_start (L, &s2);
      nowait (1);
      ev_stat_stop (L, &s);
      ev_stat_stop (L, &s2);
      break;
    }
  bad_obs ("end active=%d", ev_is_active (&s) ? 1 : 0);
}

/* ==== embed =========================================================================== */

enum embedop
{
  E_ITSELF, E_NOT_EMBEDDABLE_SELECT, E_NOT_EMBEDDABLE_POLL, E_IOURING_INNER, E_START_TWICE,
  E_SWEEP_UNSTARTED, E_MUTUAL, E_STOP_ZEROED, E_OUTER_DESTROYED_FIRST_INACTIVE, E_SWEEP_NEVER_SET_ZEROED,
  E_SWEEP_NEVER_SET_INIT, E_SWEEP_INNER_DESTROYED,
};

static void
embed_op (const struct bcase *k)
{
  ev_embed e, e2;
  struct ev_loop *inner = NULL;
  switch (k->i)
    {
    case E_ITSELF:
      ev_embed_init (&e, 0, L);
      ev_embed_start (L, &e);
      nowait (1);
      ev_embed_stop (L, &e);
      break;
    case E_NOT_EMBEDDABLE_SELECT:
    case E_NOT_EMBEDDABLE_POLL:
      inner = new_loop (k->i == E_NOT_EMBEDDABLE_SELECT ? EVBACKEND_SELECT : EVBACKEND_POLL);
      ev_embed_init (&e, 0, inner);
      ev_embed_start (L, &e);
      nowait (1);
      ev_embed_stop (L, &e);
      break;
    case E_IOURING_INNER:
      inner = new_loop (EVBACKEND_IOURING);
      ev_embed_init (&e, 0, inner);
      ev_embed_start (L, &e);
      nowait (1);
      ev_embed_stop (L, &e);
      break;
    case E_START_TWICE:
      inner = new_loop (EVBACKEND_EPOLL);
      ev_embed_init (&e, 0, inner);
      ev_embed_start (L, &e);
      ev_embed_start (L, &e);
      nowait (1);
      ev_embed_stop (L, &e);
      break;
    case E_SWEEP_UNSTARTED:
      inner = new_loop (EVBACKEND_EPOLL);
      ev_embed_init (&e, 0, inner);
      ev_embed_sweep (L, &e);
      break;
    case E_SWEEP_NEVER_SET_ZEROED:
    case E_SWEEP_NEVER_SET_INIT:
      /* never ev_embed_set: its loop member is zero, or what the memory held (0xa5 here) */
      memset (&e, k->i == E_SWEEP_NEVER_SET_ZEROED ? 0 : 0xa5, sizeof e);
      ev_init (&e, cb_embed);
      ev_embed_sweep (L, &e);
      break;
    case E_SWEEP_INNER_DESTROYED:
      {
        struct ev_loop *gone = new_loop (EVBACKEND_EPOLL);
        ev_embed_init (&e, 0, gone);
        ev_loop_destroy (gone);
        ev_embed_sweep (L, &e);
        break;
      }
    case E_MUTUAL:
      {
        /* two epoll loops embedded into each other */
        struct ev_loop *a = new_loop (EVBACKEND_EPOLL), *b = new_loop (EVBACKEND_EPOLL);
        ev_embed_init (&e, 0, b);
        ev_embed_init (&e2, 0, a);
        ev_embed_start (a, &e);
        ev_embed_start (b, &e2);
        ev_run (a, EVRUN_NOWAIT);
        ev_run (b, EVRUN_NOWAIT);
        ev_embed_stop (b, &e2);
        ev_embed_stop (a, &e);
        ev_loop_destroy (a);
        ev_loop_destroy (b);
        break;
      }
    case E_STOP_ZEROED:
      memset (&e, 0, sizeof e);
      ev_embed_stop (L, &e);
      break;
    case E_OUTER_DESTROYED_FIRST_INACTIVE:
      inner = new_loop (EVBACKEND_EPOLL);
      ev_embed_init (&e, 0, inner);
      ev_embed_start (L, &e);
      ev_embed_stop (L, &e);
      ev_loop_destroy (L);
      L = NULL;
      ev_embed_stop (NULL, &e);
      break;
    }
  bad_obs ("end");
  if (inner)
    ev_loop_destroy (inner);
}

/* ==== generic watcher functions ======================================================= */

enum generic
{
  G_CLEAR_NOT_PENDING, G_CLEAR_NEVER_STARTED, G_CLEAR_ZEROED, G_CLEAR_TWICE, G_PRIO_PENDING,
  G_PRIO_PENDING_THEN_STOP, G_PRIO_HIGH_THEN_START, G_PRIO_ACTIVE_NOT_PENDING, G_FEED_REVENTS_ZERO,
  G_FEED_TWICE_OR, G_FEED_ERROR, G_INVOKE_UNSTARTED, G_FEED_PRIO, G_FEED_THEN_STOP_ZEROED_PRIO,
  G_CLEAR_THEN_RUN, G_FEED_MANY,
};

static void
generic_op (const struct bcase *k)
{
  ev_idle w;
  ev_idle_init (&w, cb_idle);
  w.data = "w";
  switch (k->i)
    {
    case G_CLEAR_NOT_PENDING:
      ev_idle_start (L, &w);
      bad_obs ("clear=%d", ev_clear_pending (L, &w));
      ev_idle_stop (L, &w);
      break;
    case G_CLEAR_NEVER_STARTED:
      bad_obs ("clear=%d", ev_clear_pending (L, &w));
      break;
    case G_CLEAR_ZEROED:
      memset (&w, 0, sizeof w);
      bad_obs ("clear=%d", ev_clear_pending (L, &w));
      break;
    case G_CLEAR_TWICE:
      ev_feed_event (L, &w, EV_CUSTOM);
      bad_obs ("clear=%x", (unsigned)ev_clear_pending (L, &w));
      bad_obs ("clear=%x", (unsigned)ev_clear_pending (L, &w));
      bad_obs ("count=%u", ev_pending_count (L));
      ev_invoke_pending (L);
      break;
    case G_CLEAR_THEN_RUN:
      ev_feed_event (L, &w, EV_CUSTOM);
      ev_clear_pending (L, &w);
      nowait (1);
      bad_obs ("count=%u", ev_pending_count (L));
      break;
    case G_PRIO_PENDING:
      ev_feed_event (L, &w, EV_CUSTOM);
      ev_set_priority (&w, 2);
      ev_invoke_pending (L);
      break;
    case G_PRIO_PENDING_THEN_STOP:
      ev_idle_start (L, &w);
      ev_feed_event (L, &w, EV_CUSTOM);
      ev_set_priority (&w, -2);
      ev_idle_stop (L, &w);
      nowait (1);
      break;
    case G_PRIO_HIGH_THEN_START:
      {
        ev_prepare pw;
        ev_prepare_init (&pw, cb_prepare);
        pw.data = "w";
        ev_set_priority (&pw, (int)k->d);
        ev_prepare_start (L, &pw);
        bad_obs ("prio=%d", ev_priority (&pw));
        nowait (1);
        ev_prepare_stop (L, &pw);
        bad_obs ("prio=%d", ev_priority (&pw));
        break;
      }
    case G_PRIO_ACTIVE_NOT_PENDING:
      {
        /* an active timer's priority changed (undefined, but not pending) */
        ev_timer t;
        ev_timer_init (&t, cb_timer, 0., 0.);
        t.data = "t";
        ev_timer_start (L, &t);
        ev_set_priority (&t, 2);
        nowait (1);
        ev_timer_stop (L, &t);
        break;
      }
    case G_FEED_REVENTS_ZERO:
      ev_feed_event (L, &w, 0);
      ev_invoke_pending (L);
      break;
    case G_FEED_TWICE_OR:
      ev_feed_event (L, &w, EV_READ);
      ev_feed_event (L, &w, EV_WRITE);
      ev_invoke_pending (L);
      break;
    case G_FEED_ERROR:
      ev_idle_start (L, &w);
      ev_feed_event (L, &w, EV_ERROR);
      ev_invoke_pending (L);
      bad_obs ("active=%d", ev_is_active (&w) ? 1 : 0);
      ev_idle_stop (L, &w);
      break;
    case G_INVOKE_UNSTARTED:
      ev_invoke (L, &w, EV_CUSTOM);
      break;
    case G_FEED_PRIO:
      /* an unstarted watcher with a raw out-of-range priority (ev_set_priority writes it
       * verbatim; only start clamps) is fed */
      w.priority = (int)k->d;
      ev_feed_event (L, &w, EV_CUSTOM);
      nowait (1);
      break;
    case G_FEED_THEN_STOP_ZEROED_PRIO:
      ev_feed_event (L, &w, EV_CUSTOM);
      ev_idle_stop (L, &w);
      bad_obs ("pending=%d", ev_is_pending (&w) ? 1 : 0);
      nowait (1);
      break;
    case G_FEED_MANY:
      for (int i = 0; i < 100000; ++i)
        ev_feed_event (L, &w, EV_CUSTOM);
      ev_invoke_pending (L);
      break;
    }
  bad_obs ("end");
}

/* start twice / stop twice / stop with a NULL loop, for every watcher type */
enum wtype
{
  W_IO, W_TIMER, W_PERIODIC, W_SIGNAL, W_CHILD, W_STAT, W_IDLE, W_PREPARE, W_CHECK, W_EMBED,
  W_FORK, W_CLEANUP, W_ASYNC,
};
static const char *const wtype_names[] = { "io", "timer", "periodic", "signal", "child", "stat",
                                           "idle", "prepare", "check", "embed", "fork", "cleanup",
                                           "async" };

static union
{
  ev_io io;
  ev_timer timer;
  ev_periodic periodic;
  ev_signal signal;
  ev_child child;
  ev_stat stat;
  ev_idle idle;
  ev_prepare prepare;
  ev_check check;
  ev_embed embed;
  ev_fork fork;
  ev_cleanup cleanup;
  ev_async async;
} any;
static int any_pipe[2];
static struct ev_loop *any_inner;

static void
any_init (int type)
{
  switch (type)
    {
    case W_IO: xpipe (any_pipe); ev_io_init (&any.io, cb_io, any_pipe[1], EV_WRITE); break;
    case W_TIMER: ev_timer_init (&any.timer, cb_timer, 0., 0.); break;
    case W_PERIODIC: ev_periodic_init (&any.periodic, cb_periodic, 0., 0., 0); break;
    case W_SIGNAL: ev_signal_init (&any.signal, cb_signal, SIGUSR2); break;
    case W_CHILD: ev_child_init (&any.child, cb_child, 0, 0); break;
    case W_STAT: ev_stat_init (&any.stat, cb_stat, "/", 0.); break;
    case W_IDLE: ev_idle_init (&any.idle, cb_idle); break;
    case W_PREPARE: ev_prepare_init (&any.prepare, cb_prepare); break;
    case W_CHECK: ev_check_init (&any.check, cb_check); break;
    case W_EMBED:
      any_inner = new_loop (EVBACKEND_EPOLL);
      ev_embed_init (&any.embed, cb_embed, any_inner);
      break;
    case W_FORK: ev_fork_init (&any.fork, cb_fork); break;
    case W_CLEANUP: ev_cleanup_init (&any.cleanup, cb_cleanup); break;
    case W_ASYNC: ev_async_init (&any.async, cb_async); break;
    }
  any.io.data = (void *)wtype_names[type];
}

static void
any_start (struct ev_loop *loop, int type)
{
  switch (type)
    {
    case W_IO: ev_io_start (loop, &any.io); break;
    case W_TIMER: ev_timer_start (loop, &any.timer); break;
    case W_PERIODIC: ev_periodic_start (loop, &any.periodic); break;
    case W_SIGNAL: ev_signal_start (loop, &any.signal); break;
    case W_CHILD: ev_child_start (loop, &any.child); break;
    case W_STAT: ev_stat_start (loop, &any.stat); break;
    case W_IDLE: ev_idle_start (loop, &any.idle); break;
    case W_PREPARE: ev_prepare_start (loop, &any.prepare); break;
    case W_CHECK: ev_check_start (loop, &any.check); break;
    case W_EMBED: ev_embed_start (loop, &any.embed); break;
    case W_FORK: ev_fork_start (loop, &any.fork); break;
    case W_CLEANUP: ev_cleanup_start (loop, &any.cleanup); break;
    case W_ASYNC: ev_async_start (loop, &any.async); break;
    }
}

static void
any_stop (struct ev_loop *loop, int type)
{
  switch (type)
    {
    case W_IO: ev_io_stop (loop, &any.io); break;
    case W_TIMER: ev_timer_stop (loop, &any.timer); break;
    case W_PERIODIC: ev_periodic_stop (loop, &any.periodic); break;
    case W_SIGNAL: ev_signal_stop (loop, &any.signal); break;
    case W_CHILD: ev_child_stop (loop, &any.child); break;
    case W_STAT: ev_stat_stop (loop, &any.stat); break;
    case W_IDLE: ev_idle_stop (loop, &any.idle); break;
    case W_PREPARE: ev_prepare_stop (loop, &any.prepare); break;
    case W_CHECK: ev_check_stop (loop, &any.check); break;
    case W_EMBED: ev_embed_stop (loop, &any.embed); break;
    case W_FORK: ev_fork_stop (loop, &any.fork); break;
    case W_CLEANUP: ev_cleanup_stop (loop, &any.cleanup); break;
    case W_ASYNC: ev_async_stop (loop, &any.async); break;
    }
}

static void
any_done (int type)
{
  if (type == W_IO)
    {
      close (any_pipe[0]);
      close (any_pipe[1]);
    }
  if (type == W_EMBED)
    ev_loop_destroy (any_inner);
}

/* k->d: 0 start twice, 1 stop twice, 2 stop with a NULL loop (inactive), 3 stop never
 * started, 4 destroy the loop while active (then nothing) */
static void
any_op (const struct bcase *k)
{
  int type = (int)k->i;
  int mode = (int)k->d;
  struct ev_loop *loop = L;
  if (type == W_CHILD)
    loop = ev_default_loop (C.backend | EVFLAG_NOENV);
  any_init (type);
  switch (mode)
    {
    case 0:
      any_start (loop, type);
      any_start (loop, type);
      ev_run (loop, EVRUN_NOWAIT);
      bad_obs ("active=%d", ev_is_active (&any.io) ? 1 : 0);
      any_stop (loop, type);
      break;
    case 1:
      any_start (loop, type);
      ev_run (loop, EVRUN_NOWAIT);
      any_stop (loop, type);
      any_stop (loop, type);
      ev_run (loop, EVRUN_NOWAIT);
      break;
    case 2:
      any_stop (NULL, type);
      break;
    case 3:
      any_stop (loop, type);
      ev_run (loop, EVRUN_NOWAIT);
      break;
    case 4:
      any_start (loop, type);
      ev_run (loop, EVRUN_NOWAIT);
      ev_loop_destroy (loop);
      if (loop == L)
        L = NULL;
      bad_obs ("after destroy active=%d", ev_is_active (&any.io) ? 1 : 0);
      break;
    }
  if (mode != 4 && type == W_CHILD)
    ev_loop_destroy (loop);
  bad_obs ("pending=%d", ev_is_pending (&any.io) ? 1 : 0);
  any_done (type);
}

/* ==== watchers that are not what the call takes them for ================================ */

/* Memory that is not a watcher, every byte k->d (0x00: a watcher never started, neither active
 * nor pending; 0xff and 0xa5: "active" and "pending" at absurd indices), handed to the stop of
 * the type k->i (W_*), or to ev_feed_event (GB_FEED) or ev_clear_pending (GB_CLEAR). */
enum { GB_FEED = 100, GB_CLEAR };

static void
garbage_op (const struct bcase *k)
{
  memset (&any, (int)k->d, sizeof any);
  if (k->i == GB_FEED)
    ev_feed_event (L, &any, EV_CUSTOM);
  else if (k->i == GB_CLEAR)
    bad_obs ("cleared=%x", (unsigned)ev_clear_pending (L, &any));
  else
    any_stop (L, (int)k->i);
  nowait (1);
  bad_obs ("went on");
}

/* A watcher of type k->i started in one loop and stopped through another one (then through
 * its own). */
static void
wrong_loop_op (const struct bcase *k)
{
  int type = (int)k->i;
  struct ev_loop *owner = type == W_CHILD ? ev_default_loop (C.backend | EVFLAG_NOENV) : L;
  struct ev_loop *other = new_loop (C.backend);
  any_init (type);
  if (type == W_TIMER) /* (still active after the first iteration) */
    ev_timer_set (&any.timer, 10., 0.);
  if (type == W_PERIODIC)
    ev_periodic_set (&any.periodic, 0., 10., 0);
  any_start (owner, type);
  ev_run (owner, EVRUN_NOWAIT);
  any_stop (other, type);
  bad_obs ("active=%d", ev_is_active (&any.io) ? 1 : 0);
  ev_run (other, EVRUN_NOWAIT);
  ev_loop_destroy (other);
  any_stop (owner, type);
  if (type == W_CHILD)
    ev_loop_destroy (owner);
  any_done (type);
}

/* A watcher of type k->i started without a callback (ev_init with a null one), made to fire;
 * a cleanup watcher fires when the loop is destroyed. */
static void
null_cb_start_op (const struct bcase *k)
{
  int type = (int)k->i;
  any_init (type);
  any.io.cb = NULL; /* (the callback is at the same place in every member) */
  any_start (L, type);
  if (type == W_ASYNC)
    ev_async_send (L, &any.async);
  if (type == W_SIGNAL)
    raise (SIGUSR2);
  nowait (2);
  bad_obs ("not called");
  if (type != W_CLEANUP)
    any_stop (L, type);
  any_done (type);
}

enum { NC_FEED, NC_INVOKE, NC_ONCE, NC_FEED_STARTED, NC_INVOKE_STARTED };

/* A null callback handed to ev_feed_event, ev_invoke or ev_once. */
static void
null_cb_op (const struct bcase *k)
{
  ev_idle w;
  ev_init (&w, NULL);
  switch (k->i)
    {
    case NC_FEED:
      ev_feed_event (L, &w, EV_CUSTOM);
      nowait (1);
      break;
    case NC_INVOKE:
      ev_invoke (L, &w, EV_CUSTOM);
      break;
    case NC_ONCE:
      ev_once (L, -1, 0, 0.001, NULL, NULL);
      run_guarded (L, 0.02);
      break;
    case NC_FEED_STARTED:
    case NC_INVOKE_STARTED:
      /* started without one first, which libev-ng's start replaces */
      ev_idle_start (L, &w);
      if (k->i == NC_FEED_STARTED)
        ev_feed_event (L, &w, EV_CUSTOM);
      else
        ev_invoke (L, &w, EV_CUSTOM);
      nowait (1);
      ev_idle_stop (L, &w);
      break;
    }
  bad_obs ("not called");
}

/* ==== the loop ======================================================================== */

static void
release_runs (struct ev_loop *loop) EV_NOEXCEPT
{
  ev_run (loop, EVRUN_NOWAIT);
}

static void
nothing_hook (struct ev_loop *loop) EV_NOEXCEPT
{
  (void)loop;
}

static void
prepare_runs (struct ev_loop *loop, ev_prepare *w, int revents)
{
  (void)revents;
  bad_obs ("prepare");
  ev_prepare_stop (loop, w);
  ev_run (loop, EVRUN_NOWAIT);
}

static void
fed_breaks (struct ev_loop *loop, ev_idle *w, int revents)
{
  (void)w;
  bad_event ("fed", revents);
  ev_break (loop, EVBREAK_ALL);
}

enum loopop
{
  LO_BREAK_OUTSIDE, LO_BREAK_BAD_HOW, LO_BREAK_NEG_HOW, LO_UNREF_NO_WATCHERS, LO_REF_NOWAIT,
  LO_REF_GUARDED, LO_RUN_BAD_FLAGS, LO_RUN_NEG_FLAGS, LO_RUN_FROM_RELEASE, LO_RUN_FROM_ACQUIRE,
  LO_RUN_FROM_PREPARE, LO_DESTROY_NULL, LO_IO_COLLECT, LO_TIMEOUT_COLLECT, LO_SLEEP,
  LO_SUSPEND_TWICE, LO_RESUME_ONLY, LO_LOOP_FORK_NO_FORK, LO_INVOKE_PENDING_EMPTY,
  LO_NULL_INVOKE_CB, LO_NULL_RELEASE_CB, LO_NULL_ALLOCATOR, LO_VERIFY_FRESH, LO_DEPTH_FRESH,
  LO_BREAK_ALL_THEN_RUN, LO_UNREF_THEN_WATCHER, LO_DEFAULT_DESTROY_TWICE, LO_NOW_UPDATE_SUSPENDED,
  LO_DEFAULT_RUN_DESTROYED, LO_DEFAULT_DESTROYED_TWICE,
};

static void
loop_op (const struct bcase *k)
{
  ev_idle w;
  ev_idle_init (&w, fed_breaks);
  switch (k->i)
    {
    case LO_BREAK_OUTSIDE:
      ev_break (L, EVBREAK_ALL);
      ev_feed_event (L, &w, EV_CUSTOM);
      bad_obs ("run=%d", ev_run (L, EVRUN_NOWAIT));
      break;
    case LO_BREAK_BAD_HOW:
    case LO_BREAK_NEG_HOW:
      {
        ev_timer t;
        ev_timer_init (&t, cb_timer, 0.001, 0.);
        t.data = "t";
        ev_timer_start (L, &t);
        ev_break (L, k->i == LO_BREAK_BAD_HOW ? 7 : -1);
        run_guarded (L, 0.02);
        ev_timer_stop (L, &t);
        break;
      }
    case LO_UNREF_NO_WATCHERS:
      ev_unref (L);
      ev_unref (L);
      ev_unref (L);
      bad_obs ("run=%d", ev_run (L, 0));
      ev_ref (L);
      ev_ref (L);
      ev_ref (L);
      break;
    case LO_REF_NOWAIT:
      ev_ref (L);
      ev_ref (L);
      bad_obs ("run=%d", ev_run (L, EVRUN_NOWAIT));
      ev_unref (L);
      ev_unref (L);
      break;
    case LO_REF_GUARDED:
      ev_ref (L);
      run_guarded (L, 0.02);
      ev_unref (L);
      break;
    case LO_RUN_BAD_FLAGS:
    case LO_RUN_NEG_FLAGS:
      ev_feed_event (L, &w, EV_CUSTOM);
      bad_obs ("run=%d", ev_run (L, k->i == LO_RUN_BAD_FLAGS ? 0x7ff0 : -1));
      break;
    case LO_RUN_FROM_RELEASE:
      ev_set_loop_release_cb (L, release_runs, nothing_hook);
      ev_run (L, EVRUN_NOWAIT);
      ev_set_loop_release_cb (L, 0, 0);
      break;
    case LO_RUN_FROM_ACQUIRE:
      ev_set_loop_release_cb (L, nothing_hook, release_runs);
      ev_run (L, EVRUN_NOWAIT);
      ev_set_loop_release_cb (L, 0, 0);
      break;
    case LO_RUN_FROM_PREPARE:
      {
        ev_prepare p;
        ev_prepare_init (&p, prepare_runs);
        ev_prepare_start (L, &p);
        ev_run (L, EVRUN_NOWAIT);
        ev_prepare_stop (L, &p);
        break;
      }
    case LO_DESTROY_NULL:
      ev_loop_destroy (NULL);
      break;
    case LO_IO_COLLECT:
      ev_set_io_collect_interval (L, k->d);
      run_guarded (L, 0.02);
      break;
    case LO_TIMEOUT_COLLECT:
      ev_set_timeout_collect_interval (L, k->d);
      run_guarded (L, 0.02);
      break;
    case LO_SLEEP:
      ev_sleep (k->d);
      break;
    case LO_SUSPEND_TWICE:
      ev_suspend (L);
      ev_suspend (L);
      ev_resume (L);
      ev_resume (L);
      run_guarded (L, 0.01);
      break;
    case LO_RESUME_ONLY:
      ev_resume (L);
      run_guarded (L, 0.01);
      break;
    case LO_NOW_UPDATE_SUSPENDED:
      ev_suspend (L);
      ev_now_update (L);
      ev_resume (L);
      run_guarded (L, 0.01);
      break;
    case LO_LOOP_FORK_NO_FORK:
      {
        ev_fork f;
        ev_fork_init (&f, cb_fork);
        f.data = "fork";
        ev_fork_start (L, &f);
        ev_loop_fork (L);
        nowait (2);
        ev_fork_stop (L, &f);
        break;
      }
    case LO_INVOKE_PENDING_EMPTY:
      ev_invoke_pending (L);
      bad_obs ("count=%u", ev_pending_count (L));
      break;
    case LO_NULL_INVOKE_CB:
      ev_set_invoke_pending_cb (L, NULL);
      ev_feed_event (L, &w, EV_CUSTOM);
      ev_run (L, EVRUN_NOWAIT);
      break;
    case LO_NULL_RELEASE_CB:
      ev_set_loop_release_cb (L, NULL, NULL);
      run_guarded (L, 0.01);
      break;
    case LO_NULL_ALLOCATOR:
      ev_set_allocator (NULL);
      {
        struct ev_loop *l2 = new_loop (C.backend);
        ev_feed_event (l2, &w, EV_CUSTOM);
        ev_run (l2, EVRUN_NOWAIT);
        ev_loop_destroy (l2);
      }
      break;
    case LO_VERIFY_FRESH:
      ev_verify (L);
      break;
    case LO_DEPTH_FRESH:
      bad_obs ("depth=%u iteration=%u", ev_depth (L), ev_iteration (L));
      break;
    case LO_BREAK_ALL_THEN_RUN:
      {
        ev_timer t;
        ev_timer_init (&t, cb_timer, 0.001, 0.);
        t.data = "t";
        ev_timer_start (L, &t);
        ev_feed_event (L, &w, EV_CUSTOM);
        ev_run (L, 0);
        run_guarded (L, 0.02);
        ev_timer_stop (L, &t);
        break;
      }
    case LO_UNREF_THEN_WATCHER:
      {
        ev_timer t;
        /* not due in the one iteration ev_run makes without a reference (1 ms was: a loaded
         * machine made it due there, with libev too) */
        ev_timer_init (&t, cb_timer, 0.1, 0.);
        t.data = "t";
        ev_timer_start (L, &t);
        ev_unref (L);
        bad_obs ("run=%d", ev_run (L, 0));
        ev_ref (L);
        ev_timer_stop (L, &t);
        break;
      }
    case LO_DEFAULT_DESTROY_TWICE:
      {
        struct ev_loop *def = ev_default_loop (C.backend | EVFLAG_NOENV);
        ev_loop_destroy (def);
        def = ev_default_loop (C.backend | EVFLAG_NOENV);
        bad_obs ("again=%d", def != NULL);
        ev_loop_destroy (def);
        break;
      }
    case LO_DEFAULT_RUN_DESTROYED:
    case LO_DEFAULT_DESTROYED_TWICE:
      {
        /* the program kept the default loop's address past its ev_loop_destroy */
        struct ev_loop *def = ev_default_loop (C.backend | EVFLAG_NOENV);
        ev_loop_destroy (def);
        if (k->i == LO_DEFAULT_RUN_DESTROYED)
          ev_run (def, EVRUN_NOWAIT);
        else
          ev_loop_destroy (def);
        break;
      }
    }
  bad_obs ("end");
}

/* ev_loop_new / ev_default_loop with odd flags */
static void
loop_flags (const struct bcase *k)
{
  struct ev_loop *l2 = k->d ? ev_default_loop ((unsigned)k->i) : ev_loop_new ((unsigned)k->i);
  bad_obs ("loop=%d", l2 != NULL);
  if (l2)
    {
      bad_obs ("backend=%x", ev_backend (l2));
      ev_run (l2, EVRUN_NOWAIT);
      ev_loop_destroy (l2);
    }
}

/* Watchers of every kind freed while active (and one while pending), then the loop destroyed:
 * ev(3) says the loop does not stop them, and libev 4.33 does not even read them; a program's
 * shutdown often frees its objects first.  The block is freed (ASan: any later read is a
 * report), so ev_loop_destroy must not look at them (an earlier libev-ng did). */
static void
freed_then_destroyed (const struct bcase *k)
{
  struct block
  {
    ev_io io;
    ev_timer timer;
    ev_periodic per;
    ev_stat st;
    ev_idle idle;
    ev_prepare prep;
    ev_check check;
    ev_fork fork_w;
    ev_async async;
    ev_signal sig;
    ev_embed embed;
    ev_idle fed;
  };
  int p[2];
  (void)k;
  xpipe (p);
  struct ev_loop *inner = new_loop (EVBACKEND_EPOLL);
  struct block *b = calloc (1, sizeof *b);
  if (!b)
    abort ();
  ev_io_init (&b->io, cb_io, p[0], EV_READ);
  ev_io_start (L, &b->io);
  ev_timer_init (&b->timer, cb_timer, 100., 0.);
  ev_timer_start (L, &b->timer);
  ev_periodic_init (&b->per, cb_periodic, 0., 100., 0);
  ev_periodic_start (L, &b->per);
  ev_stat_init (&b->st, cb_stat, "/", 0.);
  ev_stat_start (L, &b->st);
  ev_idle_init (&b->idle, cb_idle);
  ev_idle_start (L, &b->idle);
  ev_prepare_init (&b->prep, cb_prepare);
  ev_prepare_start (L, &b->prep);
  ev_check_init (&b->check, cb_check);
  ev_check_start (L, &b->check);
  ev_fork_init (&b->fork_w, cb_fork);
  ev_fork_start (L, &b->fork_w);
  ev_async_init (&b->async, cb_async);
  ev_async_start (L, &b->async);
  ev_signal_init (&b->sig, cb_signal, SIGUSR2);
  ev_signal_start (L, &b->sig);
  ev_embed_init (&b->embed, NULL, inner);
  ev_embed_start (L, &b->embed);
  ev_idle_init (&b->fed, cb_idle);
  ev_feed_event (L, &b->fed, EV_CUSTOM);
  free (b);
  ev_loop_destroy (L);
  L = NULL;
  bad_obs ("destroyed");
  ev_loop_destroy (inner);
  close (p[0]);
  close (p[1]);
}

/* ==== async and once ================================================================= */

enum asyncop
{
  A_SEND_NEVER_STARTED, A_SEND_STOPPED, A_SEND_THEN_START, A_STOP_ZEROED, A_SEND_ZEROED_INIT,
  A_START_TWICE_SEND, A_PENDING_AFTER_STOP,
};

static void
async_op (const struct bcase *k)
{
  ev_async a;
  ev_async_init (&a, cb_async);
  a.data = "async";
  switch (k->i)
    {
    case A_SEND_NEVER_STARTED:
      ev_async_send (L, &a);
      nowait (2);
      bad_obs ("pending=%d", ev_async_pending (&a) ? 1 : 0);
      break;
    case A_SEND_STOPPED:
      ev_async_start (L, &a);
      nowait (1);
      ev_async_stop (L, &a);
      ev_async_send (L, &a);
      nowait (2);
      break;
    case A_SEND_THEN_START:
      ev_async_send (L, &a);
      ev_async_start (L, &a);
      nowait (2);
      ev_async_stop (L, &a);
      break;
    case A_STOP_ZEROED:
      memset (&a, 0, sizeof a);
      ev_async_stop (L, &a);
      break;
    case A_SEND_ZEROED_INIT:
      memset (&a, 0, sizeof a);
      ev_async_send (L, &a);
      nowait (1);
      break;
    case A_START_TWICE_SEND:
      ev_async_start (L, &a);
      ev_async_start (L, &a);
      ev_async_send (L, &a);
      nowait (2);
      ev_async_stop (L, &a);
      break;
    case A_PENDING_AFTER_STOP:
      ev_async_start (L, &a);
      ev_async_send (L, &a);
      ev_async_stop (L, &a);
      nowait (2);
      bad_obs ("pending=%d", ev_async_pending (&a) ? 1 : 0);
      break;
    }
  bad_obs ("end active=%d", ev_is_active (&a) ? 1 : 0);
}

static void
once_cb (int revents, void *arg)
{
  bad_event ((const char *)arg, revents);
}

/* k->i: fd (-2: a pipe with data, -3: a closed fd), k->d timeout, k->d2 events */
static void
once_case (const struct bcase *k)
{
  int p[2] = { -1, -1 };
  int fd = (int)k->i;
  if (fd == -2)
    {
      xpipe (p);
      xwrite (p[1]);
      fd = p[0];
    }
  else if (fd == -3)
    fd = closed_fd (900);
  ev_once (L, fd, (int)k->d2, k->d, once_cb, "once");
  run_guarded (L, 0.03);
  if (p[0] >= 0)
    {
      close (p[0]);
      close (p[1]);
    }
}

/* ==== libevent emulation ============================================================== */

#if BADINPUT_LIBEVENT
static void
ev_cb_log (int fd, short events, void *arg)
{
  (void)fd;
  bad_event ((const char *)arg, events);
}

enum levop
{
  LV_DEL_NEVER_ADDED, LV_DEL_ZEROED, LV_ADD_ZEROED, LV_ADD_TWICE, LV_DEL_TWICE, LV_SET_WHILE_ADDED,
  LV_ADD_NEG_TV, LV_ADD_BIG_USEC, LV_ACTIVE_NOT_ADDED, LV_FD_NEGATIVE, LV_FD_CLOSED,
  LV_SIGNAL_ZERO, LV_SIGNAL_65, LV_PRIORITY_BAD, LV_PENDING_NULL_TV, LV_LOOPEXIT_NULL,
  LV_ONCE_BAD_FD, LV_BASE_FREE_NEW, LV_ADD_NEG_USEC, LV_BASE_SET_OTHER_WHILE_ADDED,
};

static void
libevent_op (const struct bcase *k)
{
  struct event ev;
  struct timeval tv = { 0, 1000 };
  int p[2];
  xpipe (p);
  xwrite (p[1]);
  void *base = event_base_new ();
  memset (&ev, 0, sizeof ev);
  event_set (&ev, p[0], EV_READ, ev_cb_log, "ev");
  event_base_set (base, &ev);
  switch (k->i)
    {
    case LV_DEL_NEVER_ADDED:
      bad_obs ("del=%d", event_del (&ev));
      break;
    case LV_DEL_ZEROED:
      memset (&ev, 0, sizeof ev);
      bad_obs ("del=%d", event_del (&ev));
      break;
    case LV_ADD_ZEROED:
      memset (&ev, 0, sizeof ev);
      bad_obs ("add=%d", event_add (&ev, NULL));
      event_base_loop (base, EVLOOP_NONBLOCK);
      event_del (&ev);
      break;
    case LV_ADD_TWICE:
      event_add (&ev, NULL);
      event_add (&ev, NULL);
      event_base_loop (base, EVLOOP_NONBLOCK);
      break;
    case LV_DEL_TWICE:
      event_add (&ev, &tv);
      event_del (&ev);
      bad_obs ("del=%d", event_del (&ev));
      event_base_loop (base, EVLOOP_NONBLOCK);
      break;
    case LV_SET_WHILE_ADDED:
      event_add (&ev, NULL);
      event_set (&ev, p[1], EV_WRITE, ev_cb_log, "ev2");
      event_base_set (base, &ev);
      event_del (&ev);
      event_base_loop (base, EVLOOP_NONBLOCK);
      break;
    case LV_ADD_NEG_TV:
      tv.tv_sec = -5;
      event_set (&ev, -1, 0, ev_cb_log, "tmo");
      event_base_set (base, &ev);
      event_add (&ev, &tv);
      event_base_loop (base, EVLOOP_ONCE);
      break;
    case LV_ADD_BIG_USEC:
      tv.tv_sec = 0;
      tv.tv_usec = 5000000; /* not normalised: 5 s in the microseconds */
      event_set (&ev, -1, 0, ev_cb_log, "tmo");
      event_base_set (base, &ev);
      event_add (&ev, &tv);
      event_base_loop (base, EVLOOP_NONBLOCK);
      event_del (&ev);
      break;
    case LV_ADD_NEG_USEC:
      tv.tv_sec = 0;
      tv.tv_usec = -1000;
      event_set (&ev, -1, 0, ev_cb_log, "tmo");
      event_base_set (base, &ev);
      event_add (&ev, &tv);
      event_base_loop (base, EVLOOP_ONCE);
      break;
    case LV_ACTIVE_NOT_ADDED:
      event_active (&ev, EV_READ, 1);
      event_base_loop (base, EVLOOP_NONBLOCK);
      break;
    case LV_FD_NEGATIVE:
      event_set (&ev, -1, EV_READ, ev_cb_log, "ev");
      event_base_set (base, &ev);
      event_add (&ev, NULL);
      event_base_loop (base, EVLOOP_NONBLOCK);
      event_del (&ev);
      break;
    case LV_FD_CLOSED:
      event_set (&ev, closed_fd (900), EV_READ, ev_cb_log, "ev");
      event_base_set (base, &ev);
      event_add (&ev, NULL);
      event_base_loop (base, EVLOOP_NONBLOCK);
      event_base_loop (base, EVLOOP_NONBLOCK);
      bad_obs ("pending=%d", event_pending (&ev, EV_READ, NULL));
      event_del (&ev);
      break;
    case LV_SIGNAL_ZERO:
    case LV_SIGNAL_65:
      event_set (&ev, k->i == LV_SIGNAL_ZERO ? 0 : 65, EV_SIGNAL, ev_cb_log, "sig");
      event_base_set (base, &ev);
      event_add (&ev, NULL);
      event_base_loop (base, EVLOOP_NONBLOCK);
      event_del (&ev);
      break;
    case LV_PRIORITY_BAD:
      bad_obs ("prio=%d", event_priority_set (&ev, 100));
      bad_obs ("init=%d", event_base_priority_init (base, -5));
      event_add (&ev, NULL);
      event_base_loop (base, EVLOOP_NONBLOCK);
      event_del (&ev);
      break;
    case LV_PENDING_NULL_TV:
      bad_obs ("pending=%d", event_pending (&ev, EV_TIMEOUT | EV_READ, NULL));
      break;
    case LV_LOOPEXIT_NULL:
      event_base_loopexit (base, NULL);
      event_add (&ev, NULL);
      bad_obs ("loop=%d", event_base_loop (base, 0));
      event_del (&ev);
      break;
    case LV_ONCE_BAD_FD:
      event_base_once (base, closed_fd (900), EV_READ, ev_cb_log, "once", NULL);
      event_base_loop (base, EVLOOP_NONBLOCK);
      event_base_loop (base, EVLOOP_NONBLOCK);
      break;
    case LV_BASE_FREE_NEW:
      event_base_free (base);
      base = NULL;
      break;
    case LV_BASE_SET_OTHER_WHILE_ADDED:
      {
        void *other = event_base_new ();
        event_add (&ev, NULL);
        bad_obs ("set=%d", event_base_set (other, &ev));
        event_del (&ev);
        event_base_free (other);
        break;
      }
    }
  bad_obs ("end");
  if (base)
    event_base_free (base);
  close (p[0]);
  close (p[1]);
}
#endif

/* ==== C++ ============================================================================= */

static void
cxx_case (const struct bcase *k)
{
  switch (k->i)
    {
    case 0: cxx_io_outlives_inactive (C.backend); break;
    case 2: cxx_timer_set_while_active (C.backend); break;
    case 3: cxx_sig_bad_signum (C.backend); break;
    case 4: cxx_dynamic_loop_bad_flags (C.backend); break;
    case 5: cxx_default_loop_bad_flags (C.backend); break;
    case 6: cxx_io_set_bad_fd_while_active (C.backend); break;
    case 7: cxx_stat_set_while_active (C.backend); break;
    }
}

/* ==== the table ======================================================================= */

#define N_ NAN
#define I_ INFINITY

static const struct bcase cases[] = {
  /* ev_io: descriptor numbers */
  { "io fd=-1", "usage:ev_io_start", io_fd, -1, 0, 0, 0 },
  { "io fd=-2", "usage:ev_io_start", io_fd, -2, 0, 0, 0 },
  { "io fd=-100 write", "usage:ev_io_start", io_fd, -100, 0, 1, 0 },
  { "io fd=INT_MIN", "usage:ev_io_start", io_fd, INT_MIN, 0, 0, 0 },
  { "io fd never opened (~1000)", "EV_ERROR", io_fd_never_opened, 1000, 0, 0, DOC },
  { "io fd never opened (~1000) write", "EV_ERROR", io_fd_never_opened, 1000, 0, 1, DOC },
  { "io fd never opened (~65535)", "EV_ERROR", io_fd_never_opened, 65535, 0, 0, DOC },
  { "io fd=1048575 (nr_open-1)", "EV_ERROR", io_fd, 1048575, 0, 0, DOC },
  { "io fd=1048576 (nr_open)", "EV_ERROR", io_fd, 1048576, 0, 0, DOC },
  { "io fd=1e8", "EV_ERROR", io_fd, 100000000, 0, 0, DOC },
  { "io fd=2^30", "EV_ERROR", io_fd, 1 << 30, 0, 0, DOC },
  { "io fd=INT_MAX", "EV_ERROR", io_fd, INT_MAX, 0, 0, DOC },
  { "io fd=INT_MAX write", "EV_ERROR", io_fd, INT_MAX, 0, 1, DOC },
  /* ev_io: event masks on a pipe */
  { "io mask=0", "defined", io_mask, 0, 0, 0, 0 },
  { "io mask=0x80 (EV__IOFDSET)", "defined", io_mask, 0x80, 0, 0, 0 },
  { "io mask=READ|0x80", "defined", io_mask, EV_READ | 0x80, 0, 0, 0 },
  { "io mask=READ|WRITE on read end", "defined", io_mask, EV_READ | EV_WRITE, 0, 0, 0 },
  { "io mask=READ|WRITE on write end", "defined", io_mask, EV_READ | EV_WRITE, 1, 0, 0 },
  { "io mask=EV_TIMER", "usage:ev_io_start", io_mask, EV_TIMER, 0, 0, 0 },
  { "io mask=EV_SIGNAL", "usage:ev_io_start", io_mask, EV_SIGNAL, 0, 0, 0 },
  { "io mask=EV_ERROR", "usage:ev_io_start", io_mask, EV_ERROR, 0, 0, 0 },
  { "io mask=-1", "usage:ev_io_start", io_mask, -1, 0, 0, 0 },
  { "io mask=0x7fffffff", "usage:ev_io_start", io_mask, 0x7fffffff, 0, 0, 0 },
  { "io mask=READ|EV_CUSTOM", "usage:ev_io_start", io_mask, EV_READ | EV_CUSTOM, 0, 0, 0 },
  { "io mask=0x4 (bit 2)", "usage:ev_io_start", io_mask, 0x4, 0, 0, 0 },
  /* ev_io: kinds of descriptors */
  { "io regular file", "defined", io_kind, FD_FILE, 0, 0, 0 },
  { "io directory", "defined", io_kind, FD_DIR, 0, 0, 0 },
  { "io /dev/null", "defined", io_kind, FD_DEVNULL, 0, 0, 0 },
  { "io /dev/zero", "defined", io_kind, FD_DEVZERO, 0, 0, 0 },
  { "io /dev/tty or /dev/null", "defined", io_kind, FD_TTY_PATH, 0, 0, 0 },
  { "io an epoll fd", "defined", io_kind, FD_EPOLL, 0, 0, 0 },
  { "io an eventfd", "defined", io_kind, FD_EVENTFD, 0, 0, 0 },
  { "io a socket", "defined", io_kind, FD_SOCKET, 0, 0, 0 },
  { "io a listening socket", "defined", io_kind, FD_LISTEN, 0, 0, 0 },
  { "io /proc/self/stat", "defined", io_kind, FD_PROC, 0, 0, 0 },
  { "io pipe write end for READ|WRITE", "defined", io_kind, FD_PIPE_WRITE_END_READ, 0, 0, 0 },
  { "io pipe whose reader is gone", "defined", io_kind, FD_PIPE_READER_GONE, 0, 0, 0 },
  { "io the loop's own backend fd", "defined;epoll=EV_ERROR", io_kind, FD_OWN_BACKEND, 0, 0, 0 },
  { "io another loop's epoll fd", "defined", io_kind, FD_OTHER_LOOP_BACKEND, 0, 0, 0 },
  { "io fd 0 closed", "EV_ERROR", io_kind, FD_STDIN_CLOSED, 0, 0, DOC },
  /* ev_io: operations */
  { "io start twice", "defined", io_op, IO_START_TWICE, 0, 0, 0 },
  { "io stop twice", "defined", io_op, IO_STOP_TWICE, 0, 0, 0 },
  { "io stop never started", "defined", io_op, IO_STOP_NEVER_STARTED, 0, 0, 0 },
  { "io stop zeroed watcher", "defined", io_op, IO_STOP_ZEROED, 0, 0, 0 },
  { "io ev_io_set same fd while active", "defined", io_op, IO_SET_SAME_FD_ACTIVE, 0, 0, UB },
  { "io ev_io_set other fd while active, stop", "defined", io_op, IO_SET_OTHER_FD_ACTIVE, 0, 0, UB },
  { "io ev_io_init while active, start", "usage:ev_io_start", io_op, IO_INIT_ACTIVE_THEN_START, 0, 0, UB },
  { "io ev_io_init while active, stop", "defined", io_op, IO_INIT_ACTIVE_THEN_STOP, 0, 0, UB },
  { "io ev_io_modify while active", "defined", io_op, IO_MODIFY_ACTIVE, 0, 0, UB },
  { "io fd closed while active", "EV_ERROR", io_op, IO_CLOSED_WHILE_ACTIVE, 0, 0, DOC },
  { "io fd closed, reused, restarted without ev_io_set", "defined", io_op, IO_CLOSED_REUSED_NO_SET, 0, 0, DOC },
  { "io fd closed, reused, ev_io_set, restarted", "defined", io_op, IO_CLOSED_REUSED_WITH_SET, 0, 0, 0 },
  { "io two watchers on dup'ed fds", "defined", io_op, IO_DUP_TWO_WATCHERS, 0, 0, 0 },
  { "io fd closed before start", "EV_ERROR", io_op, IO_CLOSED_BEFORE_START, 0, 0, DOC },
  { "io dup2 over an active fd", "defined", io_op, IO_DUP2_OVER_ACTIVE, 0, 0, UB },
  { "io ev_feed_fd_event on a closed fd", "defined", io_op, IO_FEED_FD_BAD, 0, 0, 0 },
  { "io ev_feed_fd_event fd=-1, INT_MIN", "defined", io_op, IO_FEED_FD_NEGATIVE, 0, 0, 0 },
  { "io ev_feed_fd_event fd=INT_MAX, 2^30", "defined", io_op, IO_FEED_FD_HUGE, 0, 0, 0 },
  { "io fd set to -1 while active, stop", "defined", io_op, IO_RAW_FD_NEGATIVE_ACTIVE, 0, 0, UB },
  { "io restart on another fd after stop", "defined", io_op, IO_SAME_WATCHER_TWO_FDS_RESTART, 0, 0, 0 },
  /* timers: after, repeat */
  { "timer after=NaN", "usage:ev_timer_start", timer_values, 0, N_, 0, DOC },
  { "timer after=+inf", "defined", timer_values, 0, I_, 0, 0 },
  { "timer after=-inf", "defined", timer_values, 0, -I_, 0, FIRES },
  { "timer after=-1", "defined", timer_values, 0, -1, 0, FIRES },
  { "timer after=-0.0", "defined", timer_values, 0, -0.0, 0, FIRES },
  { "timer after=1e300", "defined", timer_values, 0, 1e300, 0, 0 },
  { "timer after=-1e300", "defined", timer_values, 0, -1e300, 0, FIRES },
  { "timer after=DBL_MAX", "defined", timer_values, 0, DBL_MAX, 0, 0 },
  { "timer after=-DBL_MAX", "defined", timer_values, 0, -DBL_MAX, 0, FIRES },
  { "timer after=DBL_MIN", "defined", timer_values, 0, DBL_MIN, 0, FIRES },
  { "timer after=denormal", "defined", timer_values, 0, 4.9e-324, 0, FIRES },
  { "timer after=1e-9", "defined", timer_values, 0, 1e-9, 0, FIRES },
  { "timer repeat=NaN", "usage:ev_timer_start", timer_values, 0, 0.001, N_, DOC },
  { "timer repeat=+inf", "defined", timer_values, 0, 0.001, I_, FIRES },
  { "timer repeat=-inf", "usage:ev_timer_start", timer_values, 0, 0.001, -I_, 0 },
  { "timer repeat=-1", "usage:ev_timer_start", timer_values, 0, 0.001, -1, 0 },
  { "timer repeat=-0.0", "defined", timer_values, 0, 0.001, -0.0, FIRES },
  { "timer repeat=1e-300", "defined", timer_values, 0, 0.001, 1e-300, FIRES },
  { "timer repeat=DBL_MAX", "defined", timer_values, 0, 0.001, DBL_MAX, FIRES },
  { "timer after=NaN repeat=NaN", "usage:ev_timer_start", timer_values, 0, N_, N_, DOC },
  { "timer after=-inf repeat=1e-300", "defined", timer_values, 0, -I_, 1e-300, FIRES },
  /* timers: operations */
  { "timer ev_timer_set while active, stop", "defined", timer_op, T_SET_ACTIVE_THEN_STOP, 0, 0, UB },
  { "timer ev_timer_init while active, start", "usage:ev_timer_init", timer_op, T_INIT_ACTIVE_THEN_START, 0, 0, UB },
  { "timer start twice", "defined", timer_op, T_START_TWICE, 0, 0, 0 },
  { "timer stop twice", "defined", timer_op, T_STOP_TWICE, 0, 0, 0 },
  { "timer stop zeroed", "defined", timer_op, T_STOP_ZEROED, 0, 0, 0 },
  { "timer again repeat=NaN", "usage:ev_timer_again", timer_op, T_AGAIN_NAN_REPEAT, 0, 0, DOC },
  { "timer again repeat=-1", "usage:ev_timer_again", timer_op, T_AGAIN_NEG_REPEAT, 0, 0, 0 },
  { "timer again repeat=+inf", "defined", timer_op, T_AGAIN_INF_REPEAT, 0, 0, 0 },
  { "timer repeat set to -1 while active", "usage:ev_timer", timer_op, T_REPEAT_NEG_WHILE_ACTIVE, 0, 0, 0 },
  { "timer repeat set to NaN while active", "usage:ev_timer", timer_op, T_REPEAT_NAN_WHILE_ACTIVE, 0, 0, DOC },
  { "timer remaining inactive", "defined", timer_op, T_REMAINING_INACTIVE, 0, 0, 0 },
  { "timer remaining zeroed", "defined", timer_op, T_REMAINING_ZEROED, 0, 0, 0 },
  { "timer again zeroed", "defined", timer_op, T_AGAIN_ZEROED, 0, 0, 0 },
  { "timer +inf among 15 others", "defined", timer_op, T_MANY_NAN_SIBLINGS, 0, 0, 0 },
  { "timer set NaN while active, stop", "defined", timer_op, T_SET_NAN_ACTIVE_THEN_STOP, 0, 0, UB },
  { "timer again active repeat=NaN", "usage:ev_timer_again", timer_op, T_AGAIN_ACTIVE_BAD_REPEAT, N_, 0, DOC },
  { "timer again active repeat=-1", "usage:ev_timer_again", timer_op, T_AGAIN_ACTIVE_BAD_REPEAT, -1, 0, 0 },
  { "timer again active repeat=-inf", "usage:ev_timer_again", timer_op, T_AGAIN_ACTIVE_BAD_REPEAT, -I_, 0, 0 },
  { "timer again active repeat=-DBL_MIN", "usage:ev_timer_again", timer_op, T_AGAIN_ACTIVE_BAD_REPEAT, -DBL_MIN, 0, 0 },
  /* periodics: offset (absolute time or relative to now), interval */
  { "periodic at=NaN", "usage:ev_periodic_start", periodic_values, 0, N_, 0, DOC },
  { "periodic at=+inf", "defined", periodic_values, 0, I_, 0, 0 },
  { "periodic at=-inf", "defined", periodic_values, 0, -I_, 0, FIRES },
  { "periodic at=1e300", "defined", periodic_values, 0, 1e300, 0, 0 },
  { "periodic at=-1e300", "defined", periodic_values, 0, -1e300, 0, FIRES },
  { "periodic at=0 (1970)", "defined", periodic_values, 0, 0, 0, FIRES },
  { "periodic at=now-1", "defined", periodic_values, 1, -1, 0, FIRES },
  { "periodic at=DBL_MAX", "defined", periodic_values, 0, DBL_MAX, 0, 0 },
  { "periodic interval=NaN", "usage:ev_periodic_start", periodic_values, 0, 0, N_, DOC },
  { "periodic interval=-1", "usage:ev_periodic_start", periodic_values, 0, 0, -1, 0 },
  { "periodic interval=-inf", "usage:ev_periodic_start", periodic_values, 0, 0, -I_, 0 },
  { "periodic interval=+inf", "defined", periodic_values, 0, 0, I_, 0 },
  { "periodic interval=1e-300", "defined", periodic_values, 0, 0, 1e-300, FIRES },
  { "periodic interval=1e-9", "defined", periodic_values, 0, 0, 1e-9, FIRES },
  { "periodic interval=DBL_MAX", "defined", periodic_values, 0, 0, DBL_MAX, 0 },
  { "periodic interval=DBL_MIN", "defined", periodic_values, 0, 0, DBL_MIN, FIRES },
  { "periodic offset=NaN interval=1", "usage:ev_periodic_start", periodic_values, 0, N_, 1, DOC },
  { "periodic offset=+inf interval=1", "usage:ev_periodic_start", periodic_values, 0, I_, 1, DOC },
  { "periodic offset=-inf interval=1", "usage:ev_periodic_start", periodic_values, 0, -I_, 1, DOC },
  { "periodic offset=1e300 interval=1", "defined", periodic_values, 0, 1e300, 1, 0 },
  { "periodic offset=-1e300 interval=1", "defined", periodic_values, 0, -1e300, 1, 0 },
  { "periodic offset=now+1e9 interval=1e-9", "defined", periodic_values, 1, 1e9, 1e-9, FIRES },
  { "periodic reschedule_cb returns now-100", "usage:ev_periodic reschedule_cb", periodic_resched, 0, -100, 0, 0 },
  { "periodic reschedule_cb returns NaN", "usage:ev_periodic reschedule_cb", periodic_resched, 0, N_, 0, DOC },
  { "periodic reschedule_cb returns -inf", "usage:ev_periodic reschedule_cb", periodic_resched, 0, -I_, 0, 0 },
  { "periodic reschedule_cb returns +inf", "defined", periodic_resched, 0, I_, 0, 0 },
  { "periodic reschedule_cb returns now", "defined", periodic_resched, 0, 0., 0, 0 },
  { "periodic reschedule_cb returns now+1e300", "defined", periodic_resched, 0, 1e300, 0, 0 },
  { "periodic again inactive", "defined", periodic_op, P_AGAIN_INACTIVE, 0, 0, 0 },
  { "periodic start twice", "defined", periodic_op, P_START_TWICE, 0, 0, 0 },
  { "periodic stop zeroed", "defined", periodic_op, P_STOP_ZEROED, 0, 0, 0 },
  { "periodic set NaN while active, stop", "defined", periodic_op, P_SET_ACTIVE_THEN_STOP, 0, 0, UB },
  { "periodic init while active, start", "usage:ev_periodic_init", periodic_op, P_INIT_ACTIVE_THEN_START, 0, 0, UB },
  { "periodic interval set to -1 while active", "defined|usage:*", periodic_op, P_INTERVAL_NEG_WHILE_ACTIVE, 0, 0, UB },
  { "periodic again zeroed (NULL callback)", "usage:*", periodic_op, P_AGAIN_ZEROED, 0, 0, 0 },
  /* signals */
  { "signal signum=0", "usage:ev_signal_start", signal_num, 0, 0, 0, 0 },
  { "signal signum=-1", "usage:ev_signal_start", signal_num, -1, 0, 0, 0 },
  { "signal signum=65", "usage:ev_signal_start", signal_num, 65, 0, 0, 0 },
  { "signal signum=1000", "usage:ev_signal_start", signal_num, 1000, 0, 0, 0 },
  { "signal signum=INT_MIN", "usage:ev_signal_start", signal_num, INT_MIN, 0, 0, 0 },
  { "signal signum=INT_MAX", "usage:ev_signal_start", signal_num, INT_MAX, 0, 0, 0 },
  { "signal signum=64 (SIGRTMAX), raised", "defined", signal_num, 64, 1, 0, 0 },
  { "signal signum=SIGKILL", "defined", signal_num, SIGKILL, 0, 0, 0 },
  { "signal signum=SIGSTOP", "defined", signal_num, SIGSTOP, 0, 0, 0 },
  { "signal signum=32 (glibc-internal)", "defined", signal_num, 32, 0, 0, 0 },
  { "signal ev_feed_signal(0)", "defined", signal_feed, 0, 0, 0, 0 },
  { "signal ev_feed_signal(-1)", "defined", signal_feed, -1, 0, 0, 0 },
  { "signal ev_feed_signal(65)", "defined", signal_feed, 65, 0, 0, 0 },
  { "signal ev_feed_signal(1000)", "defined", signal_feed, 1000, 0, 0, 0 },
  { "signal ev_feed_signal(INT_MIN)", "defined", signal_feed, INT_MIN, 0, 0, 0 },
  { "signal ev_feed_signal(SIGUSR1)", "defined", signal_feed, SIGUSR1, 0, 0, 0 },
  { "signal ev_feed_signal_event(0)", "defined", signal_feed, 0, 1, 0, 0 },
  { "signal ev_feed_signal_event(-1)", "defined", signal_feed, -1, 1, 0, 0 },
  { "signal ev_feed_signal_event(65)", "defined", signal_feed, 65, 1, 0, 0 },
  { "signal ev_feed_signal_event(1000)", "defined", signal_feed, 1000, 1, 0, 0 },
  { "signal ev_feed_signal_event(INT_MAX)", "defined", signal_feed, INT_MAX, 1, 0, 0 },
  { "signal signum changed while active, stop", "defined", signal_op, S_CHANGED_WHILE_ACTIVE, 0, 0, UB },
  { "signal same signal in two loops", "usage:ev_signal_start", signal_op, S_TWO_LOOPS, 0, 0, 0 },
  { "signal same signal in two signalfd loops", "usage:ev_signal_start", signal_op, S_SIGNALFD_TWO_LOOPS, 0, 0, 0 },
  { "signal same signal in default and other loop", "usage:ev_signal_start", signal_op, S_DEFAULT_AND_OTHER, 0, 0, 0 },
  { "signal two watchers one loop", "defined", signal_op, S_TWO_WATCHERS, 0, 0, 0 },
  { "signal after its loop was destroyed", "defined", signal_op, S_AFTER_DESTROYED_LOOP, 0, 0, DOC },
  { "signal EVFLAG_SIGNALFD raised", "defined", signal_op, S_SIGNALFD_RAISE, 0, 0, 0 },
  { "signal start twice", "defined", signal_op, S_START_TWICE, 0, 0, 0 },
  { "signal stop twice", "defined", signal_op, S_STOP_TWICE, 0, 0, 0 },
  { "signal stop zeroed", "defined", signal_op, S_STOP_ZEROED, 0, 0, 0 },
  { "signal init while active, start", "usage:ev_signal_start", signal_op, S_INIT_ACTIVE_THEN_START, 0, 0, UB },
  /* child */
  { "child in a non-default loop", "usage:ev_child_start", child_op, 0, 0, 0, 0 },
  { "child stop zeroed", "defined", child_op, 1, 0, 0, 0 },
  { "child start twice", "defined", child_op, 2, 0, 0, 0 },
  { "child pid=-1", "defined", child_pid, -1, 0, 0, 0 },
  { "child pid=INT_MIN", "defined", child_pid, INT_MIN, 0, 0, 0 },
  { "child pid=INT_MAX", "defined", child_pid, INT_MAX, 0, 0, 0 },
  { "child trace=2", "defined", child_pid, 1, 2, 0, 0 },
  { "child trace=-1", "defined", child_pid, 1, -1, 0, 0 },
  /* stat */
  { "stat path=\"\"", "defined", stat_path_case, 0, 0, 0, 0 },
  { "stat path in a non-existent dir", "defined", stat_path_case, 1, 0, 0, 0 },
  { "stat path 8191 chars", "defined", stat_path_case, 2, 0, 0, 0 },
  { "stat path component 299 chars", "defined", stat_path_case, 3, 0, 0, 0 },
  { "stat relative non-existent path", "defined", stat_path_case, 4, 0, 0, 0 },
  { "stat /proc/self/fd/999999", "defined", stat_path_case, 5, 0, 0, 0 },
  { "stat path=/", "defined", stat_path_case, 6, 0, 0, 0 },
  { "stat /dev/null/notadir", "defined", stat_path_case, 7, 0, 0, 0 },
  { "stat path=\"\" without inotify", "defined", stat_path_case, 0, 0, 1, 0 },
  { "stat path 8191 chars without inotify", "defined", stat_path_case, 2, 0, 1, 0 },
  { "stat interval=NaN", "usage:ev_stat_start", stat_interval, 0, N_, 0, DOC },
  { "stat interval=-1", "defined", stat_interval, 0, -1, 0, 0 },
  { "stat interval=+inf", "defined", stat_interval, 0, I_, 0, 0 },
  { "stat interval=-inf", "defined", stat_interval, 0, -I_, 0, 0 },
  { "stat interval=1e-300", "defined", stat_interval, 0, 1e-300, 0, 0 },
  { "stat interval=1e300", "defined", stat_interval, 0, 1e300, 0, 0 },
  { "stat ev_stat_set while active, stop", "defined", stat_op, ST_SET_ACTIVE_THEN_STOP, 0, 0, UB },
  { "stat start twice", "defined", stat_op, ST_START_TWICE, 0, 0, 0 },
  { "stat stop zeroed", "defined", stat_op, ST_STOP_ZEROED, 0, 0, 0 },
  { "stat ev_stat_stat unstarted", "defined", stat_op, ST_STAT_UNSTARTED_NULL, 0, 0, 0 },
  { "stat init while active, start", "usage:ev_stat_start", stat_op, ST_INIT_ACTIVE_THEN_START, 0, 0, UB },
  { "stat two watchers one path", "defined", stat_op, ST_SAME_PATH_TWO_WATCHERS, 0, 0, 0 },
  /* embed */
  { "embed a loop into itself", "usage:ev_embed_start", embed_op, E_ITSELF, 0, 0, DOC },
  { "embed a select loop", "usage:ev_embed_start", embed_op, E_NOT_EMBEDDABLE_SELECT, 0, 0, 0 },
  { "embed a poll loop", "usage:ev_embed_start", embed_op, E_NOT_EMBEDDABLE_POLL, 0, 0, 0 },
  { "embed an io_uring loop", "defined", embed_op, E_IOURING_INNER, 0, 0, DOC },
  { "embed start twice", "defined", embed_op, E_START_TWICE, 0, 0, 0 },
  { "embed sweep unstarted", "defined", embed_op, E_SWEEP_UNSTARTED, 0, 0, 0 },
  { "embed sweep never set (zeroed)", "usage:ev_embed_sweep", embed_op, E_SWEEP_NEVER_SET_ZEROED, 0, 0, 0 },
  { "embed sweep never set (ev_init only)", "usage:ev_embed_sweep", embed_op, E_SWEEP_NEVER_SET_INIT, 0, 0, 0 },
  { "embed sweep after its loop was destroyed", "usage:ev_embed_sweep", embed_op, E_SWEEP_INNER_DESTROYED, 0, 0, UB },
  { "embed two loops into each other", "defined", embed_op, E_MUTUAL, 0, 0, 0 },
  { "embed stop zeroed", "defined", embed_op, E_STOP_ZEROED, 0, 0, 0 },
  { "embed stop with NULL loop after destroy", "defined", embed_op, E_OUTER_DESTROYED_FIRST_INACTIVE, 0, 0, 0 },
  /* generic watcher functions */
  { "ev_clear_pending not pending", "defined", generic_op, G_CLEAR_NOT_PENDING, 0, 0, 0 },
  { "ev_clear_pending never started", "defined", generic_op, G_CLEAR_NEVER_STARTED, 0, 0, 0 },
  { "ev_clear_pending zeroed", "defined", generic_op, G_CLEAR_ZEROED, 0, 0, 0 },
  { "ev_clear_pending twice", "defined", generic_op, G_CLEAR_TWICE, 0, 0, 0 },
  { "ev_clear_pending then run", "defined", generic_op, G_CLEAR_THEN_RUN, 0, 0, 0 },
  { "ev_set_priority on an unstarted pending watcher, invoke", "defined", generic_op, G_PRIO_PENDING, 0, 0, DOC },
  { "ev_set_priority on a pending watcher, stop", "usage:ev_idle_stop", generic_op, G_PRIO_PENDING_THEN_STOP, 0, 0, DOC },
  { "ev_set_priority 10 then start", "defined", generic_op, G_PRIO_HIGH_THEN_START, 10, 0, 0 },
  { "ev_set_priority -10 then start", "defined", generic_op, G_PRIO_HIGH_THEN_START, -10, 0, 0 },
  { "ev_set_priority INT_MIN then start", "defined", generic_op, G_PRIO_HIGH_THEN_START, INT_MIN, 0, 0 },
  { "ev_set_priority on an active timer", "defined", generic_op, G_PRIO_ACTIVE_NOT_PENDING, 0, 0, UB },
  { "ev_feed_event revents=0", "defined", generic_op, G_FEED_REVENTS_ZERO, 0, 0, 0 },
  { "ev_feed_event twice ORs", "defined", generic_op, G_FEED_TWICE_OR, 0, 0, 0 },
  { "ev_feed_event EV_ERROR", "EV_ERROR", generic_op, G_FEED_ERROR, 0, 0, 0 },
  { "ev_invoke unstarted", "defined", generic_op, G_INVOKE_UNSTARTED, 0, 0, 0 },
  { "ev_feed_event priority=3", "defined", generic_op, G_FEED_PRIO, 3, 0, 0 },
  { "ev_feed_event priority=-3", "defined", generic_op, G_FEED_PRIO, -3, 0, 0 },
  { "ev_feed_event priority=1000", "defined", generic_op, G_FEED_PRIO, 1000, 0, 0 },
  { "ev_feed_event priority=INT_MIN", "defined", generic_op, G_FEED_PRIO, INT_MIN, 0, 0 },
  { "ev_feed_event then stop unstarted", "defined", generic_op, G_FEED_THEN_STOP_ZEROED_PRIO, 0, 0, 0 },
  { "ev_feed_event 100000 times", "defined", generic_op, G_FEED_MANY, 0, 0, 0 },
  /* null callbacks */
  { "ev_feed_event with a NULL callback", "usage:ev_feed_event", null_cb_op, NC_FEED, 0, 0, 0 },
  { "ev_invoke with a NULL callback", "usage:ev_invoke", null_cb_op, NC_INVOKE, 0, 0, 0 },
  { "ev_once with a NULL callback", "usage:ev_once", null_cb_op, NC_ONCE, 0, 0, 0 },
  { "ev_feed_event of a watcher started with a NULL callback", "usage:ev_feed_event", null_cb_op, NC_FEED_STARTED, 0, 0, 0 },
  { "ev_invoke of a watcher started with a NULL callback", "usage:ev_invoke", null_cb_op, NC_INVOKE_STARTED, 0, 0, 0 },
#define NULLCB(t, s, call) { "NULL callback: " s " started, fires", "usage:" call, null_cb_start_op, t, 0, 0, 0 }
  NULLCB (W_IO, "io", "ev_io_start"),
  NULLCB (W_TIMER, "timer", "ev_timer_start"),
  NULLCB (W_PERIODIC, "periodic", "ev_periodic_start"),
  NULLCB (W_SIGNAL, "signal", "ev_signal_start"),
  NULLCB (W_IDLE, "idle", "ev_idle_start"),
  NULLCB (W_PREPARE, "prepare", "ev_prepare_start"),
  NULLCB (W_CHECK, "check", "ev_check_start"),
  NULLCB (W_CLEANUP, "cleanup", "ev_cleanup_start"),
  NULLCB (W_ASYNC, "async", "ev_async_start"),
  /* memory that is not a watcher: zeroed (never started), 0xff and 0xa5 (absurd indices) */
#define GARBAGE(t, s, call)                                                                     \
  { "garbage 0x00 to " s, "defined", garbage_op, t, 0x00, 0, 0 },                                \
  { "garbage 0xff to " s, "usage:" call, garbage_op, t, 0xff, 0, UB },                          \
  { "garbage 0xa5 to " s, "usage:" call, garbage_op, t, 0xa5, 0, UB }
  GARBAGE (W_IO, "ev_io_stop", "ev_io_stop"),
  GARBAGE (W_TIMER, "ev_timer_stop", "ev_timer_stop"),
  GARBAGE (W_PERIODIC, "ev_periodic_stop", "ev_periodic_stop"),
  GARBAGE (W_SIGNAL, "ev_signal_stop", "ev_signal_stop"),
  GARBAGE (W_CHILD, "ev_child_stop", "ev_child_stop"),
  GARBAGE (W_STAT, "ev_stat_stop", "ev_stat_stop"),
  GARBAGE (W_IDLE, "ev_idle_stop", "ev_idle_stop"),
  GARBAGE (W_PREPARE, "ev_prepare_stop", "ev_prepare_stop"),
  GARBAGE (W_CHECK, "ev_check_stop", "ev_check_stop"),
  GARBAGE (W_EMBED, "ev_embed_stop", "ev_embed_stop"),
  GARBAGE (W_FORK, "ev_fork_stop", "ev_fork_stop"),
  GARBAGE (W_CLEANUP, "ev_cleanup_stop", "ev_cleanup_stop"),
  GARBAGE (W_ASYNC, "ev_async_stop", "ev_async_stop"),
  GARBAGE (GB_CLEAR, "ev_clear_pending", "ev_clear_pending"),
  { "garbage 0x00 to ev_feed_event", "usage:ev_feed_event", garbage_op, GB_FEED, 0x00, 0, 0 },
  { "garbage 0xff to ev_feed_event", "usage:ev_feed_event", garbage_op, GB_FEED, 0xff, 0, UB },
  { "garbage 0xa5 to ev_feed_event", "usage:ev_feed_event", garbage_op, GB_FEED, 0xa5, 0, UB },
  /* a watcher stopped through a loop that does not run it */
#define WRONGLOOP(t, s, call) { s " stopped through another loop", "usage:" call, wrong_loop_op, t, 0, 0, UB }
  WRONGLOOP (W_IO, "io", "ev_io_stop"),
  WRONGLOOP (W_TIMER, "timer", "ev_timer_stop"),
  WRONGLOOP (W_PERIODIC, "periodic", "ev_periodic_stop"),
  WRONGLOOP (W_SIGNAL, "signal", "ev_signal_stop"),
  WRONGLOOP (W_CHILD, "child", "ev_child_stop"),
  WRONGLOOP (W_STAT, "stat", "ev_stat_stop"),
  WRONGLOOP (W_IDLE, "idle", "ev_idle_stop"),
  WRONGLOOP (W_PREPARE, "prepare", "ev_prepare_stop"),
  WRONGLOOP (W_CHECK, "check", "ev_check_stop"),
  WRONGLOOP (W_EMBED, "embed", "ev_embed_stop"),
  WRONGLOOP (W_FORK, "fork", "ev_fork_stop"),
  WRONGLOOP (W_CLEANUP, "cleanup", "ev_cleanup_stop"),
  WRONGLOOP (W_ASYNC, "async", "ev_async_stop"),
  /* every watcher type: start twice (d=0), stop twice (1), stop with a NULL loop when
   * inactive (2), stop never started (3), loop destroyed while active (4) */
#define ANY5(t, s)                                                                        \
  { s " start twice", "defined", any_op, t, 0, 0, 0 },                                    \
  { s " stop twice", "defined", any_op, t, 1, 0, 0 },                                     \
  { s " stop NULL loop, inactive", "defined", any_op, t, 2, 0, 0 },                       \
  { s " stop never started", "defined", any_op, t, 3, 0, 0 },                             \
  { s " loop destroyed while active", "defined", any_op, t, 4, 0, DOC }
  ANY5 (W_IO, "any io"),
  ANY5 (W_TIMER, "any timer"),
  ANY5 (W_PERIODIC, "any periodic"),
  ANY5 (W_SIGNAL, "any signal"),
  ANY5 (W_CHILD, "any child"),
  ANY5 (W_STAT, "any stat"),
  ANY5 (W_IDLE, "any idle"),
  ANY5 (W_PREPARE, "any prepare"),
  ANY5 (W_CHECK, "any check"),
  ANY5 (W_EMBED, "any embed"),
  ANY5 (W_FORK, "any fork"),
  ANY5 (W_CLEANUP, "any cleanup"),
  ANY5 (W_ASYNC, "any async"),
  /* the loop */
  { "ev_break outside ev_run", "defined", loop_op, LO_BREAK_OUTSIDE, 0, 0, 0 },
  { "ev_break how=7", "defined", loop_op, LO_BREAK_BAD_HOW, 0, 0, 0 },
  { "ev_break how=-1", "defined", loop_op, LO_BREAK_NEG_HOW, 0, 0, 0 },
  { "ev_unref x3 with no watchers, ev_run", "defined", loop_op, LO_UNREF_NO_WATCHERS, 0, 0, 0 },
  { "ev_ref x2, ev_run NOWAIT", "defined", loop_op, LO_REF_NOWAIT, 0, 0, 0 },
  { "ev_ref, guarded run", "defined", loop_op, LO_REF_GUARDED, 0, 0, 0 },
  { "ev_unref with a timer, ev_run", "defined", loop_op, LO_UNREF_THEN_WATCHER, 0, 0, 0 },
  { "ev_run flags=0x7ff0", "defined", loop_op, LO_RUN_BAD_FLAGS, 0, 0, 0 },
  { "ev_run flags=-1", "defined", loop_op, LO_RUN_NEG_FLAGS, 0, 0, 0 },
  { "ev_run from a release callback", "usage:ev_run", loop_op, LO_RUN_FROM_RELEASE, 0, 0, 0 },
  { "ev_run from an acquire callback", "usage:ev_run", loop_op, LO_RUN_FROM_ACQUIRE, 0, 0, 0 },
  { "ev_run from a prepare callback", "defined", loop_op, LO_RUN_FROM_PREPARE, 0, 0, 0 },
  { "ev_break ALL, then run again", "defined", loop_op, LO_BREAK_ALL_THEN_RUN, 0, 0, 0 },
  { "ev_loop_destroy(NULL)", "defined", loop_op, LO_DESTROY_NULL, 0, 0, 0 },
  { "ev_loop_destroy default twice", "defined", loop_op, LO_DEFAULT_DESTROY_TWICE, 0, 0, 0 },
  { "ev_run with the destroyed default loop", "usage:ev_run", loop_op, LO_DEFAULT_RUN_DESTROYED, 0, 0, DOC },
  { "ev_loop_destroy default twice, no ev_default_loop between", "usage:ev_loop_destroy", loop_op, LO_DEFAULT_DESTROYED_TWICE, 0, 0, 0 },
  { "watchers freed while active, then ev_loop_destroy", "defined", freed_then_destroyed, 0, 0, 0, 0 },
  { "io_collect_interval=NaN", "defined", loop_op, LO_IO_COLLECT, N_, 0, 0 },
  { "io_collect_interval=-1", "defined", loop_op, LO_IO_COLLECT, -1, 0, 0 },
  { "io_collect_interval=+inf", "defined", loop_op, LO_IO_COLLECT, I_, 0, 0 },
  { "io_collect_interval=1e300", "defined", loop_op, LO_IO_COLLECT, 1e300, 0, 0 },
  { "timeout_collect_interval=NaN", "defined", loop_op, LO_TIMEOUT_COLLECT, N_, 0, 0 },
  { "timeout_collect_interval=-1", "defined", loop_op, LO_TIMEOUT_COLLECT, -1, 0, 0 },
  { "timeout_collect_interval=+inf", "defined|usage:ev_set_timeout_collect_interval", loop_op, LO_TIMEOUT_COLLECT, I_, 0, 0 },
  { "ev_sleep(NaN)", "defined", loop_op, LO_SLEEP, N_, 0, 0 },
  { "ev_sleep(-inf)", "defined", loop_op, LO_SLEEP, -I_, 0, 0 },
  { "ev_sleep(-1)", "defined", loop_op, LO_SLEEP, -1, 0, 0 },
  { "ev_sleep(1e-300)", "defined", loop_op, LO_SLEEP, 1e-300, 0, 0 },
  { "ev_suspend twice, ev_resume twice", "defined", loop_op, LO_SUSPEND_TWICE, 0, 0, 0 },
  { "ev_resume without ev_suspend", "defined", loop_op, LO_RESUME_ONLY, 0, 0, 0 },
  { "ev_now_update while suspended", "defined", loop_op, LO_NOW_UPDATE_SUSPENDED, 0, 0, 0 },
  { "ev_loop_fork without a fork", "defined", loop_op, LO_LOOP_FORK_NO_FORK, 0, 0, 0 },
  { "ev_invoke_pending with nothing pending", "defined", loop_op, LO_INVOKE_PENDING_EMPTY, 0, 0, 0 },
  { "ev_set_invoke_pending_cb(NULL)", "defined", loop_op, LO_NULL_INVOKE_CB, 0, 0, DOC },
  { "ev_set_loop_release_cb(NULL, NULL)", "defined", loop_op, LO_NULL_RELEASE_CB, 0, 0, 0 },
  { "ev_set_allocator(NULL)", "defined", loop_op, LO_NULL_ALLOCATOR, 0, 0, DOC | NOLEAK },
  { "ev_verify a fresh loop", "defined", loop_op, LO_VERIFY_FRESH, 0, 0, 0 },
  { "ev_depth/ev_iteration of a fresh loop", "defined", loop_op, LO_DEPTH_FRESH, 0, 0, 0 },
  /* (every flag: debug mode too, which keeps a destroyed loop's memory a while to catch a
   * later use of it: NOLEAK) */
  { "ev_loop_new flags=0xffffffff", "defined", loop_flags, (long)0xffffffffu, 0, 0, OWNLOOP | NOLEAK },
  { "ev_loop_new EVBACKEND_KQUEUE", "defined", loop_flags, EVBACKEND_KQUEUE | EVFLAG_NOENV, 0, 0, OWNLOOP },
  { "ev_loop_new EVBACKEND_PORT", "defined", loop_flags, EVBACKEND_PORT | EVFLAG_NOENV, 0, 0, OWNLOOP },
  { "ev_loop_new EVBACKEND_DEVPOLL", "defined", loop_flags, EVBACKEND_DEVPOLL | EVFLAG_NOENV, 0, 0, OWNLOOP },
  { "ev_loop_new EVBACKEND_LINUXAIO", "defined", loop_flags, EVBACKEND_LINUXAIO | EVFLAG_NOENV, 0, 0, OWNLOOP },
  { "ev_loop_new flags=0x80000000 (unknown bit)", "defined", loop_flags, (long)0x80000000u, 0, 0, OWNLOOP },
  { "ev_default_loop EVBACKEND_KQUEUE", "defined", loop_flags, EVBACKEND_KQUEUE | EVFLAG_NOENV, 1, 0, OWNLOOP },
  { "ev_default_loop flags=0xffffffff", "defined", loop_flags, (long)0xffffffffu, 1, 0, OWNLOOP | NOLEAK },
  /* ev_async */
  { "async send never started", "defined", async_op, A_SEND_NEVER_STARTED, 0, 0, 0 },
  { "async send stopped", "defined", async_op, A_SEND_STOPPED, 0, 0, 0 },
  { "async send then start (lost)", "defined", async_op, A_SEND_THEN_START, 0, 0, 0 },
  { "async stop zeroed", "defined", async_op, A_STOP_ZEROED, 0, 0, 0 },
  { "async send zeroed", "defined", async_op, A_SEND_ZEROED_INIT, 0, 0, 0 },
  { "async start twice, send", "defined", async_op, A_START_TWICE_SEND, 0, 0, 0 },
  { "async send, stop, pending", "defined", async_op, A_PENDING_AFTER_STOP, 0, 0, 0 },
  /* ev_once */
  { "once fd=-1 timeout=-1", "defined", once_case, -1, -1, 0, 0 },
  { "once fd=-1 timeout=NaN", "usage:*", once_case, -1, N_, 0, DOC },
  { "once fd=-1 timeout=+inf", "defined", once_case, -1, I_, 0, 0 },
  { "once fd=-1 timeout=-inf", "defined", once_case, -1, -I_, 0, 0 },
  { "once closed fd READ", "EV_ERROR", once_case, -3, -1, EV_READ, DOC },
  { "once pipe events=0 timeout=0.001", "defined", once_case, -2, 0.001, 0, 0 },
  { "once pipe events=EV_TIMER", "usage:ev_io_start", once_case, -2, 0.001, EV_TIMER, 0 },
  { "once pipe READ timeout=-1", "defined", once_case, -2, -1, EV_READ, 0 },
#if BADINPUT_LIBEVENT
  /* libevent emulation */
  { "event_del never added", "defined", libevent_op, LV_DEL_NEVER_ADDED, 0, 0, 0 },
  { "event_del zeroed event", "defined", libevent_op, LV_DEL_ZEROED, 0, 0, 0 },
  { "event_add zeroed event", "defined", libevent_op, LV_ADD_ZEROED, 0, 0, 0 },
  { "event_add twice", "defined", libevent_op, LV_ADD_TWICE, 0, 0, 0 },
  { "event_del twice", "defined", libevent_op, LV_DEL_TWICE, 0, 0, 0 },
  { "event_set while added, event_del", "defined", libevent_op, LV_SET_WHILE_ADDED, 0, 0, UB },
  { "event_add tv_sec=-5", "usage:ev_timer_again", libevent_op, LV_ADD_NEG_TV, 0, 0, 0 },
  { "event_add tv_usec=5000000", "defined", libevent_op, LV_ADD_BIG_USEC, 0, 0, 0 },
  { "event_add tv_usec=-1000", "usage:ev_timer_again", libevent_op, LV_ADD_NEG_USEC, 0, 0, 0 },
  { "event_active not added", "defined", libevent_op, LV_ACTIVE_NOT_ADDED, 0, 0, 0 },
  { "event_add fd=-1 EV_READ", "usage:ev_io_start", libevent_op, LV_FD_NEGATIVE, 0, 0, 0 },
  { "event_add closed fd", "defined", libevent_op, LV_FD_CLOSED, 0, 0, DOC },
  { "signal_add signum=0", "usage:ev_signal_start", libevent_op, LV_SIGNAL_ZERO, 0, 0, 0 },
  { "signal_add signum=65", "usage:ev_signal_start", libevent_op, LV_SIGNAL_65, 0, 0, 0 },
  { "event_priority_set 100", "defined", libevent_op, LV_PRIORITY_BAD, 0, 0, 0 },
  { "event_pending NULL tv", "defined", libevent_op, LV_PENDING_NULL_TV, 0, 0, 0 },
  { "event_base_loopexit NULL", "defined", libevent_op, LV_LOOPEXIT_NULL, 0, 0, 0 },
  { "event_base_once closed fd", "defined", libevent_op, LV_ONCE_BAD_FD, 0, 0, DOC },
  { "event_base_free of a new base", "defined", libevent_op, LV_BASE_FREE_NEW, 0, 0, 0 },
  { "event_base_set while added", "usage:ev_io_stop", libevent_op, LV_BASE_SET_OTHER_WHILE_ADDED, 0, 0, UB },
#endif
  /* the C++ wrapper */
  { "c++ inactive ev::io outlives its dynamic_loop", "defined", cxx_case, 0, 0, 0, OWNLOOP },
  { "c++ ev::timer::set while active", "defined", cxx_case, 2, 0, 0, OWNLOOP },
  { "c++ ev::sig::start(0)", "usage:ev_signal_start", cxx_case, 3, 0, 0, OWNLOOP },
  { "c++ ev::dynamic_loop(EVBACKEND_KQUEUE)", "defined", cxx_case, 4, 0, 0, OWNLOOP },
  { "c++ ev::default_loop(EVBACKEND_PORT)", "defined", cxx_case, 5, 0, 0, OWNLOOP },
  { "c++ ev::io::set onto a bad fd while active", "EV_ERROR", cxx_case, 6, 0, 0, OWNLOOP | DOC },
  { "c++ ev::stat::set while active", "defined", cxx_case, 7, 0, 0, OWNLOOP },
};

#define NCASES ((int)(sizeof cases / sizeof cases[0]))

/* ==== one case in this process ======================================================== */

static const struct stress_backend *
backend_by_name (const char *name)
{
  static struct stress_backend all[4];
  static int n = -1;
  if (n < 0)
    n = stress_backends (all);
  for (int i = 0; i < n; ++i)
    if (!strcmp (all[i].name, name))
      return &all[i];
  return NULL;
}

static const struct bcase *
case_by_name (const char *name)
{
  for (int i = 0; i < NCASES; ++i)
    if (!strcmp (cases[i].name, name))
      return &cases[i];
  return NULL;
}

/* Runs one case; prints "class: ..." and "obs: ..." on stdout; exits. */
static void
run_one (const struct bcase *k, const struct stress_backend *b)
{
  ev_set_allocator (counting_alloc);
  memset (&C, 0, sizeof C);
  C.backend = b->flag;
  C.bname = b->name;
  if (!(k->flags & OWNLOOP))
    C.loop = new_loop (b->flag);
  k->fn (k);
  if (C.loop)
    ev_loop_destroy (C.loop);
  if (ev_default_loop_uc_ ())
    ev_loop_destroy (ev_default_loop_uc_ ());
  long live = live_blocks;
  Dl_info info;
  if (dladdr ((void *)ev_run, &info) && info.dli_fname)
    printf ("lib: %s\n", info.dli_fname);
  printf ("obs: %s\n", C.obs);
  if (C.wrong)
    printf ("class: wrong result: %s\n", C.wrong_msg);
  else if (live && !(k->flags & NOLEAK))
    printf ("class: leak: %ld blocks still allocated\n", live);
  else
    printf ("class: %s\n", C.got_error ? "EV_ERROR" : "defined");
  fflush (stdout);
  _exit (0);
}

/* ==== the runner ====================================================================== */

enum outcome
{
  O_DEFINED, O_EVERROR, O_USAGE, O_ASSERT, O_OOM, O_SYSERR, O_ABORT, O_CRASH, O_SANITIZER,
  O_HANG, O_SPIN, O_WRONG, O_LEAK, O_EXIT, O_NONE, O_COUNT
};
static const char *const outcome_names[] = {
  "defined", "EV_ERROR", "usage error", "assert", "out of memory", "syserr abort", "abort",
  "crash", "sanitizer report", "hang", "spin", "wrong result", "leak", "exit", "not run",
};

struct result
{
  enum outcome o;
  char detail[200]; /* the usage-error call, assertion text, signal, ... */
  char obs[600];
};

struct job
{
  int ci, bi, ref;  /* case, backend, reference run */
  pid_t pid;
  int out, err;     /* pipes */
  char obuf[4096], ebuf[8192];
  size_t olen, elen;
  double start;
};

static double case_timeout = 3.0;
static const char *reference;
static struct stress_backend backends[4];
static int nbackends;
static struct result *res_ng, *res_ref;
static int verbose;

static void
start_job (struct job *j)
{
  int o[2], e[2];
  if (pipe2 (o, O_CLOEXEC) || pipe2 (e, O_CLOEXEC))
    {
      perror ("pipe");
      exit (2);
    }
  fflush (stdout);
  fflush (stderr);
  j->start = stress_now ();
  j->pid = fork ();
  if (j->pid < 0)
    {
      perror ("fork");
      exit (2);
    }
  if (j->pid == 0)
    {
      dup2 (o[1], 1);
      dup2 (e[1], 2);
      int devnull = open ("/dev/null", O_RDONLY);
      dup2 (devnull, 0);
      /* default dispositions, nothing blocked: the library's abort() must not be caught */
      sigset_t none;
      sigemptyset (&none);
      sigprocmask (SIG_SETMASK, &none, NULL);
      for (int s = 1; s < 32; ++s)
        if (s != SIGKILL && s != SIGSTOP)
          signal (s, SIG_DFL);
      setpgid (0, 0);
      if (j->ref)
        {
          char *argv[] = { (char *)reference, "--one", (char *)cases[j->ci].name,
                           (char *)backends[j->bi].name, NULL };
          unsetenv ("LD_LIBRARY_PATH");
          unsetenv ("LD_PRELOAD");
          execv (reference, argv);
          perror ("exec reference");
          _exit (127);
        }
      run_one (&cases[j->ci], &backends[j->bi]);
    }
  close (o[1]);
  close (e[1]);
  j->out = o[0];
  j->err = e[0];
  j->olen = j->elen = 0;
}

static void
classify (struct job *j, int status, struct rusage *ru, int timed_out, struct result *r)
{
  j->obuf[j->olen] = 0;
  j->ebuf[j->elen] = 0;
  memset (r, 0, sizeof *r);
  const char *obs = strstr (j->obuf, "obs: ");
  if (obs)
    {
      obs += 5;
      size_t n = strcspn (obs, "\n");
      snprintf (r->obs, sizeof r->obs, "%.*s", (int)n, obs);
    }
  const char *cls = strstr (j->obuf, "class: ");
  const char *lib = strstr (j->obuf, "lib: ");
  if (lib)
    {
      /* which library ran: the reference must be Debian's libev.so.4, the rest ours */
      char path[512];
      snprintf (path, sizeof path, "%.*s", (int)strcspn (lib + 5, "\n"), lib + 5);
      char *real = realpath (path, NULL);
      /* (Debian's library of this architecture: t/stress/badinput.sh says which) */
      const char *syslib = getenv ("BADINPUT_SYSLIB");
      char *sys = syslib ? realpath (syslib, NULL) : NULL;
      int is_sys = real && sys && !strcmp (real, sys);
      if (is_sys != j->ref)
        {
          fprintf (stderr, "badinput: %s run loaded %s\n", j->ref ? "the reference" : "a libev-ng", path);
          exit (2);
        }
      free (real);
      free (sys);
    }
  const char *usage = strstr (j->ebuf, "libev-ng: usage error in ");
  if (timed_out)
    {
      double cpu = (double)ru->ru_utime.tv_sec + (double)ru->ru_utime.tv_usec * 1e-6
                   + (double)ru->ru_stime.tv_sec + (double)ru->ru_stime.tv_usec * 1e-6;
      /* a blocked process uses next to no CPU; a busy one at least its share of the two
       * cores among the parallel jobs */
      r->o = cpu > 0.15 * case_timeout ? O_SPIN : O_HANG;
      snprintf (r->detail, sizeof r->detail, "%.1f s CPU in %.0f s", cpu, case_timeout);
    }
  else if (strstr (j->ebuf, "AddressSanitizer") || strstr (j->ebuf, "runtime error:")
           || strstr (j->ebuf, "LeakSanitizer") || strstr (j->ebuf, "UndefinedBehaviorSanitizer"))
    {
      r->o = O_SANITIZER;
      const char *s = strstr (j->ebuf, "ERROR: ");
      if (!s)
        s = strstr (j->ebuf, "runtime error:");
      snprintf (r->detail, sizeof r->detail, "%.*s", (int)strcspn (s ? s : j->ebuf, "\n"), s ? s : j->ebuf);
    }
  else if (WIFSIGNALED (status) && WTERMSIG (status) == SIGABRT)
    {
      if (usage)
        {
          r->o = O_USAGE;
          usage += strlen ("libev-ng: usage error in ");
          snprintf (r->detail, sizeof r->detail, "%.*s", (int)strcspn (usage, "\n"), usage);
        }
      else if (strstr (j->ebuf, "Assertion"))
        {
          const char *a = strstr (j->ebuf, "Assertion");
          r->o = O_ASSERT;
          snprintf (r->detail, sizeof r->detail, "%.*s", (int)strcspn (a, "\n"), a);
        }
      else if (strstr (j->ebuf, "cannot allocate"))
        {
          r->o = O_OOM;
          snprintf (r->detail, sizeof r->detail, "%.*s", (int)strcspn (j->ebuf, "\n"), j->ebuf);
        }
      else if (strstr (j->ebuf, "(libev) "))
        {
          r->o = O_SYSERR;
          const char *a = strstr (j->ebuf, "(libev) ");
          snprintf (r->detail, sizeof r->detail, "%.*s", (int)strcspn (a, "\n"), a);
        }
      else
        {
          r->o = O_ABORT;
          snprintf (r->detail, sizeof r->detail, "%.*s", (int)strcspn (j->ebuf, "\n"), j->ebuf);
        }
    }
  else if (WIFSIGNALED (status))
    {
      r->o = O_CRASH;
      snprintf (r->detail, sizeof r->detail, "signal %d (%s)", WTERMSIG (status), strsignal (WTERMSIG (status)));
    }
  else if (WIFEXITED (status) && WEXITSTATUS (status) == 0 && cls)
    {
      cls += 7;
      if (!strncmp (cls, "EV_ERROR", 8))
        r->o = O_EVERROR;
      else if (!strncmp (cls, "defined", 7))
        r->o = O_DEFINED;
      else if (!strncmp (cls, "leak", 4))
        r->o = O_LEAK;
      else
        r->o = O_WRONG;
      if (r->o == O_LEAK || r->o == O_WRONG)
        snprintf (r->detail, sizeof r->detail, "%.*s", (int)strcspn (cls, "\n"), cls);
    }
  else
    {
      r->o = O_EXIT;
      snprintf (r->detail, sizeof r->detail, "exit %d: %.*s", WIFEXITED (status) ? WEXITSTATUS (status) : -1,
                (int)strcspn (j->ebuf, "\n"), j->ebuf);
    }
  /* the libev-ng message must name the call and the value */
  if (r->o == O_USAGE && !j->ref && !strstr (r->detail, " = ") && !strchr (r->detail, ':'))
    {
      r->o = O_ABORT;
    }
}

static int
read_some (int fd, char *buf, size_t *len, size_t cap)
{
  char tmp[4096];
  ssize_t n = read (fd, tmp, sizeof tmp);
  if (n <= 0)
    return 0;
  size_t room = cap - 1 - *len;
  size_t take = (size_t)n < room ? (size_t)n : room;
  memcpy (buf + *len, tmp, take);
  *len += take;
  return 1;
}

/* Runs every (case, backend[, reference]) job, at most `parallel` at a time. */
static void
run_all (int *sel, int nsel, int parallel)
{
  int total = nsel * nbackends * (reference ? 2 : 1);
  int next = 0, done = 0;
  struct job *jobs = calloc ((size_t)parallel, sizeof *jobs);
  int *busy = calloc ((size_t)parallel, sizeof *busy);
  while (done < total)
    {
      for (int s = 0; s < parallel && next < total; ++s)
        if (!busy[s])
          {
            int per = reference ? 2 : 1;
            int idx = next / per;
            jobs[s].ref = next % per;
            jobs[s].ci = sel[idx / nbackends];
            jobs[s].bi = idx % nbackends;
            start_job (&jobs[s]);
            busy[s] = 1;
            ++next;
          }
      struct pollfd pfd[64];
      int map[64], np = 0;
      for (int s = 0; s < parallel; ++s)
        if (busy[s])
          {
            if (jobs[s].out >= 0)
              {
                pfd[np] = (struct pollfd){ jobs[s].out, POLLIN, 0 };
                map[np++] = s;
              }
            if (jobs[s].err >= 0)
              {
                pfd[np] = (struct pollfd){ jobs[s].err, POLLIN, 0 };
                map[np++] = -s - 1;
              }
          }
      poll (pfd, (nfds_t)np, 20);
      for (int i = 0; i < np; ++i)
        if (pfd[i].revents)
          {
            struct job *j = &jobs[map[i] >= 0 ? map[i] : -map[i] - 1];
            int *fd = map[i] >= 0 ? &j->out : &j->err;
            int ok = map[i] >= 0 ? read_some (*fd, j->obuf, &j->olen, sizeof j->obuf)
                                 : read_some (*fd, j->ebuf, &j->elen, sizeof j->ebuf);
            if (!ok)
              {
                close (*fd);
                *fd = -1;
              }
          }
      double now = stress_now ();
      for (int s = 0; s < parallel; ++s)
        {
          if (!busy[s])
            continue;
          struct job *j = &jobs[s];
          int status = 0, timed_out = 0;
          struct rusage ru;
          memset (&ru, 0, sizeof ru);
          pid_t w = 0;
          if (j->out < 0 && j->err < 0)
            w = wait4 (j->pid, &status, 0, &ru);
          else if (now - j->start > case_timeout)
            {
              kill (-j->pid, SIGKILL);
              kill (j->pid, SIGKILL);
              w = wait4 (j->pid, &status, 0, &ru);
              timed_out = 1;
            }
          else
            w = wait4 (j->pid, &status, WNOHANG, &ru);
          if (w != j->pid)
            continue;
          /* drain what is left in the pipes (the child is gone) */
          if (!timed_out)
            {
              while (j->out >= 0 && read_some (j->out, j->obuf, &j->olen, sizeof j->obuf))
                ;
              while (j->err >= 0 && read_some (j->err, j->ebuf, &j->elen, sizeof j->ebuf))
                ;
            }
          if (j->out >= 0)
            close (j->out);
          if (j->err >= 0)
            close (j->err);
          j->out = j->err = -1;
          /* the child's own children (ev_child cases, io_uring workers) */
          kill (-j->pid, SIGKILL);
          struct result *r = (j->ref ? res_ref : res_ng) + j->ci * nbackends + j->bi;
          classify (j, status, &ru, timed_out, r);
          if (verbose)
            printf ("  %s [%s]%s: %s %s | %s\n", cases[j->ci].name, backends[j->bi].name,
                    j->ref ? " (libev)" : "", outcome_names[r->o], r->detail, r->obs);
          busy[s] = 0;
          ++done;
        }
    }
  free (jobs);
  free (busy);
}

/* the expected outcome of a case on a backend: "defined", "EV_ERROR" or "usage:CALL" */
static void
expected_for (const struct bcase *k, const char *backend, char *out, size_t cap)
{
  const char *e = k->expect;
  const char *semi = strchr (e, ';');
  snprintf (out, cap, "%.*s", (int)(semi ? (size_t)(semi - e) : strlen (e)), e);
  while (semi)
    {
      const char *item = semi + 1;
      semi = strchr (item, ';');
      size_t len = semi ? (size_t)(semi - item) : strlen (item);
      const char *eq = memchr (item, '=', len);
      if (eq && (size_t)(eq - item) == strlen (backend) && !strncmp (item, backend, (size_t)(eq - item)))
        snprintf (out, cap, "%.*s", (int)(len - (size_t)(eq - item) - 1), eq + 1);
    }
}

static int matches_one (const char *exp, const struct result *r);

/* exp: alternatives separated by '|' */
static int
matches_expected (const char *exp, const struct result *r)
{
  char buf[128];
  snprintf (buf, sizeof buf, "%s", exp);
  for (char *save = NULL, *alt = strtok_r (buf, "|", &save); alt; alt = strtok_r (NULL, "|", &save))
    if (matches_one (alt, r))
      return 1;
  return 0;
}

static int
matches_one (const char *exp, const struct result *r)
{
  if (!strcmp (exp, "usage:*"))
    return r->o == O_USAGE;
  if (!strcmp (exp, "defined"))
    return r->o == O_DEFINED;
  if (!strcmp (exp, "EV_ERROR"))
    return r->o == O_EVERROR;
  if (!strncmp (exp, "usage:", 6))
    {
      size_t n = strlen (exp + 6);
      return r->o == O_USAGE && !strncmp (r->detail, exp + 6, n)
             && (r->detail[n] == ' ' || r->detail[n] == ':');
    }
  return 0;
}

static int
is_finding (enum outcome o)
{
  return o != O_DEFINED && o != O_EVERROR && o != O_USAGE;
}

/* libev 4.33's outcome in the words of the table */
static const char *
libev_word (const struct result *r)
{
  switch (r->o)
    {
    case O_DEFINED: return "runs";
    case O_EVERROR: return "EV_ERROR";
    case O_USAGE: return "usage error";
    case O_ASSERT: return "aborts (assert)";
    case O_OOM: return "aborts (out of memory)";
    case O_SYSERR: return "aborts (syserr)";
    case O_ABORT: return "aborts";
    case O_CRASH: return "crashes";
    case O_SANITIZER: return "crashes";
    case O_HANG: return "hangs";
    case O_SPIN: return "spins";
    case O_WRONG: return "runs (other result)";
    case O_LEAK: return "leaks";
    case O_EXIT: return "exits";
    default: return "not run";
    }
}

enum relation { R_SAME, R_BETTER, R_DOC, R_UNDEF, R_WORSE, R_NA };
static const char *const relation_names[] = { "same", "ng better", "documented", "undefined in ev(3)", "NG WORSE", "-" };

static enum relation
relate (const struct bcase *k, const struct result *ng, const struct result *ref)
{
  if (!ref || ref->o == O_NONE)
    return R_NA;
  if (is_finding (ng->o))
    return R_WORSE;
  if (ng->o == ref->o && (ng->o == O_USAGE || !strcmp (ng->obs, ref->obs)))
    return R_SAME;
  if (ng->o == O_USAGE && ref->o == O_ASSERT)
    return R_SAME; /* both abort on the usage error: libev with assert(), libev-ng naming it */
  if (ref->o == O_DEFINED || ref->o == O_EVERROR)
    return (k->flags & DOC) ? R_DOC : (k->flags & UB) ? R_UNDEF : R_WORSE;
  /* libev aborts, crashes, hangs, spins, leaks or gives another result; libev-ng does one
   * of the three defined outcomes */
  return (k->flags & DOC) ? R_DOC : R_BETTER;
}

static void
md_escape (FILE *f, const char *s)
{
  for (; *s; ++s)
    {
      if (*s == '|')
        fputs ("\\|", f);
      else if (*s == '\n')
        fputc (' ', f);
      else
        fputc (*s, f);
    }
}

static void
describe (FILE *f, const struct result *r, int ng)
{
  if (ng)
    {
      if (r->o == O_USAGE)
        {
          fputs ("usage error: ", f);
          md_escape (f, r->detail);
        }
      else
        {
          fputs (outcome_names[r->o], f);
          if (r->detail[0])
            {
              fputs (" (", f);
              md_escape (f, r->detail);
              fputs (")", f);
            }
        }
    }
  else
    {
      fputs (libev_word (r), f);
      if (r->o == O_ASSERT || r->o == O_SYSERR || r->o == O_CRASH || r->o == O_SANITIZER
          || r->o == O_HANG || r->o == O_SPIN || r->o == O_OOM)
        {
          fputs (": ", f);
          md_escape (f, r->detail);
        }
    }
}

int
main (int argc, char **argv)
{
  const char *table = NULL, *only = NULL;
  int list = 0;
  stress_init (argc, argv);
  if (argc == 4 && !strcmp (argv[1], "--one"))
    {
      const struct bcase *k = case_by_name (argv[2]);
      const struct stress_backend *b = backend_by_name (argv[3]);
      if (!k || !b)
        {
          fprintf (stderr, "badinput: no case '%s' or backend '%s'\n", argv[2], argv[3]);
          return 2;
        }
      run_one (k, b);
    }
  for (int i = 1; i < argc; ++i)
    {
      if (!strcmp (argv[i], "--reference") && i + 1 < argc)
        reference = argv[++i];
      else if (!strcmp (argv[i], "--table") && i + 1 < argc)
        table = argv[++i];
      else if (!strcmp (argv[i], "--only") && i + 1 < argc)
        only = argv[++i];
      else if (!strcmp (argv[i], "--timeout") && i + 1 < argc)
        case_timeout = atof (argv[++i]);
      else if (!strcmp (argv[i], "-v"))
        verbose = 1;
      else if (!strcmp (argv[i], "--list"))
        list = 1;
      else
        {
          fprintf (stderr, "usage: badinput [--reference BIN] [--table FILE] [--only TEXT] [-v] [--list]\n"
                           "       badinput --one CASE BACKEND\n");
          return 2;
        }
    }
  if (list)
    {
      for (int i = 0; i < NCASES; ++i)
        printf ("%s\t%s\n", cases[i].name, cases[i].expect);
      return 0;
    }
  if (reference && access (reference, X_OK))
    {
      printf ("badinput: no reference build at %s: libev 4.33's column is left out\n", reference);
      reference = NULL;
    }
  unsetenv ("LIBEV_FLAGS");
  /* ASan makes every process slower (the longest case, the epoll closed-fd sweep, takes
   * 1.6 s natively); most of the run time is spent on the runs that hang until the limit */
  if (getenv ("LIBEV_NG_SANITIZE") && *getenv ("LIBEV_NG_SANITIZE"))
    case_timeout = 4.0;
  nbackends = stress_backends (backends);
  int *sel = malloc (sizeof (int) * NCASES), nsel = 0;
  for (int i = 0; i < NCASES; ++i)
    {
      for (int j = 0; j < i; ++j)
        if (!strcmp (cases[i].name, cases[j].name))
          {
            fprintf (stderr, "badinput: duplicate case name '%s'\n", cases[i].name);
            return 2;
          }
      if (!only || strstr (cases[i].name, only))
        sel[nsel++] = i;
    }
  res_ng = calloc ((size_t)(NCASES * nbackends), sizeof *res_ng);
  res_ref = calloc ((size_t)(NCASES * nbackends), sizeof *res_ref);
  for (int i = 0; i < NCASES * nbackends; ++i)
    res_ng[i].o = res_ref[i].o = O_NONE;

  stress_watchdog (stress_long () ? 3600 : 600, "badinput");
  double t0 = stress_now ();
  run_all (sel, nsel, 4);
  double secs = stress_now () - t0;

  /* ---- compare, count, write the table ---- */
  long by_class[O_COUNT] = { 0 }, ref_class[O_COUNT] = { 0 }, by_rel[6] = { 0 };
  long findings = 0, unexpected = 0, runs = 0;
  FILE *f = table ? fopen (table, "w") : NULL;
  if (table && !f)
    perror (table);
  if (f)
    {
      fprintf (f, "# badinput: libev-ng and libev 4.33 on bad input and misuse\n\n"
                  "Generated by t/stress/badinput (make check-stress); one process per case and "
                  "backend, time limit %.0f s.\n"
                  "Expected: the outcome libev-ng must give (defined, EV_ERROR, or a usage error "
                  "naming the call).\n"
                  "Relation: same; ng better (libev aborts, crashes, hangs or loses events); "
                  "documented (ev(3) DIFFERENCES FROM LIBEV 4.33); undefined in ev(3) (both run, "
                  "with other traces, where ev(3) calls the call undefined); NG WORSE (a finding).\n\n"
                  "| case | backends | expected | libev-ng | libev 4.33 | relation |\n"
                  "|---|---|---|---|---|---|\n",
               case_timeout);
    }
  for (int s = 0; s < nsel; ++s)
    {
      int ci = sel[s];
      const struct bcase *k = &cases[ci];
      /* group backends with the same row text */
      char rows[4][1024];
      int nrows = 0;
      char rowb[4][64];
      for (int b = 0; b < nbackends; ++b)
        {
          struct result *ng = &res_ng[ci * nbackends + b];
          struct result *ref = reference ? &res_ref[ci * nbackends + b] : NULL;
          char exp[96];
          expected_for (k, backends[b].name, exp, sizeof exp);
          ++runs;
          ++by_class[ng->o];
          if (ref)
            ++ref_class[ref->o];
          int ok = matches_expected (exp, ng);
          if (is_finding (ng->o))
            ++findings;
          if (!ok)
            {
              ++unexpected;
              stress_fail ("%s [%s]: expected %s, got %s%s%s%s%s", k->name, backends[b].name, exp,
                           outcome_names[ng->o], ng->detail[0] ? " (" : "", ng->detail,
                           ng->detail[0] ? ")" : "", ng->obs[0] ? "" : "");
            }
          enum relation rel = relate (k, ng, ref);
          ++by_rel[rel];
          if (rel == R_WORSE && ok)
            stress_fail ("%s [%s]: libev-ng %s (%s), libev 4.33 %s (%s)", k->name, backends[b].name,
                         outcome_names[ng->o], ng->obs, libev_word (ref), ref->obs);
          if (verbose && rel != R_SAME)
            printf ("  diff %s [%s]: ng %s {%s} libev %s {%s}\n", k->name, backends[b].name,
                    outcome_names[ng->o], ng->obs, libev_word (ref ? ref : ng), ref ? ref->obs : "");
          if (f)
            {
              char *line = NULL;
              size_t len = 0;
              FILE *m = open_memstream (&line, &len);
              fprintf (m, "| %s%s | ", exp, ok ? "" : " **(FAIL)**");
              describe (m, ng, 1);
              fputs (" | ", m);
              if (ref)
                describe (m, ref, 0);
              else
                fputs ("-", m);
              fprintf (m, " | %s |", relation_names[rel]);
              fclose (m);
              int found = -1;
              for (int r = 0; r < nrows; ++r)
                if (!strcmp (rows[r], line))
                  found = r;
              if (found < 0)
                {
                  found = nrows++;
                  snprintf (rows[found], sizeof rows[found], "%s", line);
                  rowb[found][0] = 0;
                }
              size_t bl = strlen (rowb[found]);
              snprintf (rowb[found] + bl, sizeof rowb[found] - bl, "%s%s", bl ? ", " : "", backends[b].name);
              free (line);
            }
        }
      if (f)
        for (int r = 0; r < nrows; ++r)
          {
            fputs ("| ", f);
            md_escape (f, k->name);
            fprintf (f, " | %s %s\n", nrows == 1 ? "all" : rowb[r], rows[r]);
          }
    }
  if (f)
    fclose (f);

  stress_figure ("%d cases x %d backends = %ld runs, each in its own process (%.0f s)", nsel, nbackends, runs, secs);
  stress_figure ("libev-ng outcomes: defined %ld, EV_ERROR %ld, usage error naming the call %ld; "
                 "findings (crash, hang, spin, leak, other abort, wrong result) %ld",
                 by_class[O_DEFINED], by_class[O_EVERROR], by_class[O_USAGE], findings);
  stress_figure ("outcome differs from the expected one: %ld of %ld", unexpected, runs);
  if (reference)
    {
      stress_figure ("libev 4.33 on the same runs: runs %ld, EV_ERROR %ld, aborts %ld "
                     "(assert %ld, syserr %ld, out of memory %ld), crashes %ld, hangs %ld, spins %ld, "
                     "leaks %ld, other result %ld",
                     ref_class[O_DEFINED], ref_class[O_EVERROR],
                     ref_class[O_ASSERT] + ref_class[O_SYSERR] + ref_class[O_OOM] + ref_class[O_ABORT],
                     ref_class[O_ASSERT], ref_class[O_SYSERR], ref_class[O_OOM],
                     ref_class[O_CRASH] + ref_class[O_SANITIZER], ref_class[O_HANG], ref_class[O_SPIN],
                     ref_class[O_LEAK], ref_class[O_WRONG] + ref_class[O_EXIT]);
      stress_figure ("relation to libev 4.33: same %ld, libev-ng better %ld, documented difference %ld, "
                     "other trace where ev(3) leaves it undefined %ld, libev-ng worse %ld (must be 0)",
                     by_rel[R_SAME], by_rel[R_BETTER], by_rel[R_DOC], by_rel[R_UNDEF], by_rel[R_WORSE]);
    }
  if (table)
    printf ("badinput: outcome table written to %s\n", table);
  free (sel);
  if (findings)
    stress_fail ("%ld runs ended in a finding", findings);
  if (reference && by_rel[R_WORSE])
    stress_fail ("libev-ng worse than libev 4.33 in %ld runs", by_rel[R_WORSE]);
  return stress_exit_status ();
}
