/* SPDX-License-Identifier: BSD-2-Clause */
/* t/harness.c - cmocka glue shared by the ev(3) test suites (see harness.h). */
#define _GNU_SOURCE 1
#include "harness.h"
#include "harness_win32.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __linux__
#include <sys/epoll.h>
#endif
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifdef _WIN32
/* (mmap and munmap: t/win32/posix.h's, on VirtualAlloc) */
#define malloc_usable_size _msize
#endif

unsigned int test_backend = EVBACKEND_EPOLL;
const char *test_backend_name = "epoll";

/* ---- allocator -------------------------------------------------------------------------- */

/* Counters are plain longs: a loop belongs to one thread and the suites are single threaded. */
static struct harness_alloc_stats alloc_stats;
static long alloc_fail_at;    /* 0: never fail; else the index (in alloc_seen) that fails first */
static long alloc_seen;       /* allocating calls since the last harness_alloc_fail_at() */
static long alloc_large_size; /* harness_alloc_limit_large(): blocks larger than this ... */
static long alloc_large_max;  /* ... at most this many live at once (0: no limit) */
static long alloc_large_live;

/* harness_alloc_unmap_freed(): blocks of their own mappings, unmapped when freed, so that a
 * later access faults at once.  Each starts with a header that holds its size; the mapped
 * blocks are remembered in a small table (blocks from before the switch, and all blocks of a
 * process that never switches, are malloc's). */
static int alloc_unmap_freed;
enum { kMappedHeader = 16, kMappedMax = 4096 };
static void *mapped[kMappedMax];
static int nmapped;

static int
mapped_index (void *ptr)
{
  for (int i = 0; ptr && i < nmapped; ++i)
    if (mapped[i] == ptr)
      return i;
  return -1;
}

static int
is_mapped_block (void *ptr)
{
  return nmapped && mapped_index (ptr) >= 0;
}

static void
mapped_free (void *ptr)
{
  int i = mapped_index (ptr);
  mapped[i] = mapped[--nmapped];
  char *base = (char *)ptr - kMappedHeader;
  munmap (base, (size_t) * (long *)base + kMappedHeader);
}

static void *
mapped_realloc (void *ptr, long size)
{
  if (nmapped == kMappedMax)
    abort ();
  char *base = mmap (NULL, (size_t)size + kMappedHeader, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED)
    return NULL;
  *(long *)base = size;
  if (ptr)
    {
      long old = is_mapped_block (ptr) ? *(long *)((char *)ptr - kMappedHeader) : (long)malloc_usable_size (ptr);
      memcpy (base + kMappedHeader, ptr, (size_t)(old < size ? old : size));
      if (is_mapped_block (ptr))
        mapped_free (ptr);
      else
        free (ptr);
    }
  mapped[nmapped++] = base + kMappedHeader;
  return base + kMappedHeader;
}

void
harness_alloc_unmap_freed (int on)
{
  alloc_unmap_freed = on;
}

/* realloc semantics as ev_set_allocator documents them: size 0 frees and returns NULL. */
static void *
harness_alloc (void *ptr, long size) EV_NOEXCEPT
{
  if (size == 0)
    {
      if (ptr)
        {
          __atomic_fetch_add (&alloc_stats.frees, 1, __ATOMIC_RELAXED);
          __atomic_fetch_sub (&alloc_stats.live, 1, __ATOMIC_RELAXED);
        }
      /* (a block made before the limit was set may count off one made after: never below 0) */
      if (alloc_large_max && ptr && !is_mapped_block (ptr) && (long)malloc_usable_size (ptr) > alloc_large_size
          && __atomic_load_n (&alloc_large_live, __ATOMIC_RELAXED) > 0)
        __atomic_fetch_sub (&alloc_large_live, 1, __ATOMIC_RELAXED);
      if (is_mapped_block (ptr))
        mapped_free (ptr);
      else
        free (ptr);
      return NULL;
    }

  /* atomic, since ev_ng_post allocates on the threads that post */
  __atomic_fetch_add (&alloc_stats.calls, 1, __ATOMIC_RELAXED);
  long seen = __atomic_add_fetch (&alloc_seen, 1, __ATOMIC_RELAXED);
  if (alloc_fail_at > 0 && seen >= alloc_fail_at)
    {
      __atomic_fetch_add (&alloc_stats.failed, 1, __ATOMIC_RELAXED);
      return NULL;
    }

  if (alloc_large_max && !ptr && size > alloc_large_size)
    {
      if (__atomic_add_fetch (&alloc_large_live, 1, __ATOMIC_RELAXED) > alloc_large_max)
        {
          __atomic_fetch_sub (&alloc_large_live, 1, __ATOMIC_RELAXED);
          __atomic_fetch_add (&alloc_stats.failed, 1, __ATOMIC_RELAXED);
          return NULL;
        }
    }

  void *p = alloc_unmap_freed || is_mapped_block (ptr) ? mapped_realloc (ptr, size) : realloc (ptr, (size_t)size);
  if (p && !ptr)
    __atomic_fetch_add (&alloc_stats.live, 1, __ATOMIC_RELAXED);
  return p;
}

void
harness_alloc_limit_large (long size, long count)
{
  alloc_large_size = size;
  alloc_large_max = count;
  alloc_large_live = 0;
}

void
harness_alloc_stats (struct harness_alloc_stats *out)
{
  *out = alloc_stats;
}

void
harness_alloc_reset_stats (void)
{
  memset (&alloc_stats, 0, sizeof alloc_stats);
}

void
harness_alloc_fail_at (long nth)
{
  alloc_fail_at = nth;
  alloc_seen = 0;
}

/* ---- which library ------------------------------------------------------------------------ */

int
harness_linux_apis (void)
{
  return (ev_supported_backends () & EVBACKEND_EPOLL) != 0;
}

unsigned
harness_default_backend (void)
{
  const unsigned order[] = { EVBACKEND_EPOLL, EVBACKEND_POLL, EVBACKEND_SELECT };
  for (size_t i = 0; i < sizeof order / sizeof order[0]; ++i)
    if (ev_recommended_backends () & order[i])
      return order[i];
  return 0;
}

unsigned
harness_embeddable_backend (void)
{
  unsigned set = ev_embeddable_backends () & ev_supported_backends ();
  return set & -set;
}

int
harness_is_real_libev (void)
{
  static int cached = -1;
  if (cached < 0)
    {
      cached = 0;
      /* HARNESS_RUN_DIVERGENCES=1 runs the divergence tests anyway (to see libev fail them) */
      const char *force = getenv ("HARNESS_RUN_DIVERGENCES");
      if (force && *force == '1')
        return cached;
#ifndef _WIN32
      Dl_info info;
      /* The shared library that holds ev_run, without libev-ng's ev_ng_version: the real
       * libev, whatever the architecture's library directory. */
      if (dladdr ((void *)ev_run, &info) && info.dli_fname)
        {
          void *lib = dlopen (info.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
          if (lib)
            {
              cached = dlsym (lib, "ev_ng_version") == NULL;
              dlclose (lib);
            }
        }
#endif
    }
  return cached;
}

int
harness_under_valgrind (void)
{
  const char *p = getenv ("LD_PRELOAD");
  return p && strstr (p, "vgpreload") != NULL;
}

void
harness_need_fds (long n)
{
  struct rlimit rl;
  assert_int_equal (getrlimit (RLIMIT_NOFILE, &rl), 0);
  if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < (rlim_t)n)
    {
      if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < (rlim_t)n)
        {
          print_message ("skipped: needs %ld descriptors, the hard limit is %lu\n", n, (unsigned long)rl.rlim_max);
          skip ();
        }
      rl.rlim_cur = (rlim_t)n;
      assert_int_equal (setrlimit (RLIMIT_NOFILE, &rl), 0);
    }
}

int
harness_valgrind_holds_wakeups (void)
{
  return test_backend == EVBACKEND_IOURING && harness_under_valgrind ();
}

/* ---- time ----------------------------------------------------------------------------------- */

double
harness_monotonic (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Everything runs much slower under valgrind: HARNESS_TIME_SCALE multiplies time limits. */
static unsigned
time_scale (void)
{
  const char *s = getenv ("HARNESS_TIME_SCALE");
  int v = s ? atoi (s) : 1;
  return v > 0 ? (unsigned)v : 1;
}

double
harness_slack (double seconds)
{
  return seconds * time_scale ();
}

/* ---- timing on a loaded machine ------------------------------------------------------------ */

/* The second field of /proc/thread-self/schedstat: nanoseconds spent on a run queue waiting for
 * a CPU (Linux with CONFIG_SCHED_INFO, which Debian's kernels have).  Opened for each reading:
 * a descriptor kept open would count as leaked by the test (the fixtures' fd check), and it
 * would be the parent's in a forked child.  -1 where the kernel does not tell. */
static double
cpu_waited (void)
{
  int fd = open ("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1.;
  char buf[128];
  ssize_t n = read (fd, buf, sizeof buf - 1);
  close (fd);
  unsigned long long running, waiting;
  if (n <= 0)
    return -1.;
  buf[n] = 0;
  if (sscanf (buf, "%llu %llu", &running, &waiting) != 2)
    return -1.;
  return (double)waiting * 1e-9;
}

int
harness_sched_known (void)
{
  static int known = -1;
  if (known < 0)
    known = cpu_waited () >= 0.;
  return known;
}

struct harness_mark
harness_mark (void)
{
  struct harness_mark m;
  double waited = cpu_waited ();
  m.waited = waited > 0. ? waited : 0.;
  m.at = harness_monotonic ();
  return m;
}

double
harness_elapsed_unloaded (struct harness_mark from, struct harness_mark to)
{
  return (to.at - from.at) - (to.waited - from.waited);
}

double
harness_loop_work (void)
{
  return harness_slack (0.002);
}

static int
attempts_allowed (void)
{
  const char *env = getenv ("HARNESS_ATTEMPTS");
  return env && atoi (env) > 0 ? atoi (env) : 3;
}

void
harness_retry (int attempt, const char *fmt, ...)
{
  int attempts = attempts_allowed ();
  char why[512];
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (why, sizeof why, fmt, ap);
  va_end (ap);
  if (attempt >= attempts)
    fail_msg ("%d attempts, none counted; the last: %s", attempts, why);
  print_message ("[ RETRY    ] attempt %d of %d did not count: %s\n", attempt, attempts, why);
}

int
harness_last_attempt (int attempt)
{
  return attempt >= attempts_allowed ();
}

void
harness_counted (int attempt)
{
  if (attempt > 1)
    print_message ("[ RETRY    ] attempt %d of %d counted\n", attempt, attempts_allowed ());
}

/* ---- trace -------------------------------------------------------------------------------- */

static char trace_buf[16384];
static size_t trace_len;
static int trace_overflow;

void
trace_add (const char *fmt, ...)
{
  char entry[256];
  va_list ap;
  va_start (ap, fmt);
  int n = vsnprintf (entry, sizeof entry, fmt, ap);
  va_end (ap);

  size_t need = (size_t)n + (trace_len ? 1 : 0);
  if (n < 0 || (size_t)n >= sizeof entry || trace_len + need >= sizeof trace_buf)
    {
      /* reported by the next expect_trace: failing here could longjmp out of a callback */
      trace_overflow = 1;
      return;
    }
  if (trace_len)
    trace_buf[trace_len++] = ',';
  memcpy (trace_buf + trace_len, entry, (size_t)n + 1);
  trace_len += (size_t)n;
}

const char *
trace_get (void)
{
  return trace_buf;
}

void
trace_reset (void)
{
  trace_len = 0;
  trace_buf[0] = 0;
  trace_overflow = 0;
}

void
_expect_trace (const char *expected, const char *file, int line)
{
  int overflow = trace_overflow;
  int same = strcmp (trace_buf, expected) == 0;
  if (overflow || !same)
    {
      print_error ("trace mismatch%s\n  expected: \"%s\"\n  actual:   \"%s\"\n",
                   overflow ? " (trace overflowed)" : "", expected, trace_buf);
      trace_reset ();
      _fail (file, line);
    }
  trace_reset ();
}

/* ---- fds ----------------------------------------------------------------------------------- */

int
harness_open_fds (void)
{
#ifdef _WIN32
  return harness_win32_open_fds ();
#endif
  DIR *d = opendir ("/proc/self/fd");
  int n = 0;
  struct dirent *e;
  if (!d)
    return -1;
  while ((e = readdir (d)))
    if (e->d_name[0] != '.')
      ++n;
  closedir (d);
  return n - 1; /* the directory stream's own descriptor */
}

int
harness_unused_fd (void)
{
  int fd = dup (0);
  if (fd < 0)
    fd = open ("/dev/null", O_RDONLY);
  assert_true (fd >= 0);
  close (fd);
  return fd;
}

/* ---- loops and fixtures -------------------------------------------------------------------- */

struct ev_loop *
test_loop_new (void)
{
  struct ev_loop *loop = ev_loop_new (test_backend | EVFLAG_NOENV);
  assert_non_null (loop);
  assert_int_equal (ev_backend (loop), test_backend);
  return loop;
}

static int fixture_fds;

/* A ring given up makes the kernel interrupt one later blocking wait of each thread that used it
 * (its exit's task work): epoll_wait returns EINTR, and an io_uring loop whose wait is epoll_wait
 * ends that iteration early (ev(3) EVBACKEND_IOURING; backends/iouring.cc (d)).  An io_uring test
 * that counts iterations or expects an event of its first one starts after the notices of the
 * rings that earlier tests gave up: it waits until 20 ms pass without one, at most 80 ms for the
 * first. */
static void
absorb_ring_exit_notices (void)
{
#ifdef __linux__
  if (test_backend != EVBACKEND_IOURING)
    return;
  int epfd = epoll_create1 (EPOLL_CLOEXEC);
  if (epfd < 0)
    return;
  struct epoll_event ev;
  int quiet_ms = 80;
  while (epoll_wait (epfd, &ev, 1, quiet_ms) < 0 && errno == EINTR)
    quiet_ms = 20;
  close (epfd);
#endif
}

int
harness_setup_plain (void **state)
{
  (void)state;
  absorb_ring_exit_notices ();
  trace_reset ();
  harness_alloc_fail_at (0);
  harness_alloc_limit_large (0, 0);
  fixture_fds = harness_open_fds ();
  return 0;
}

int
harness_teardown_plain (void **state)
{
  (void)state;
  harness_alloc_fail_at (0);
  harness_alloc_limit_large (0, 0);
  int now = harness_open_fds ();
  if (now != fixture_fds)
    {
      print_error ("file descriptors leaked: %d open before the test, %d after\n", fixture_fds, now);
      return -1;
    }
  return 0;
}

int
harness_setup_loop (void **state)
{
  harness_setup_plain (state);
  *state = test_loop_new ();
  return 0;
}

static void
verify_in_child (void *loop)
{
  ev_verify (loop);
}

#ifdef _WIN32
static jmp_buf verify_abort;

static void
verify_aborted (int signo)
{
  (void)signo;
  longjmp (verify_abort, 1);
}

static void
verify_here (struct ev_loop *loop, struct harness_child *c)
{
  memset (c, 0, sizeof *c);
  void (*was) (int) = signal (SIGABRT, verify_aborted);
  if (!setjmp (verify_abort))
    {
      verify_in_child (loop);
      c->exited = 1;
    }
  else
    c->signaled = 1, c->signo = SIGABRT;
  signal (SIGABRT, was);
}
#endif

int
harness_teardown_loop (void **state)
{
  struct ev_loop *loop = *state;
  int rc = 0;
  if (loop)
    {
      /* Every test leaves the loop's structures consistent, whatever it did.  Checked in a
       * child: after a failed assertion the loop may still hold watchers that lived on the
       * test's stack, and a verification abort must not take the whole suite down. */
      struct harness_child c;
#ifdef _WIN32
      /* On Windows a child is the test run again (harness_win32.c), which would double every
       * case: checked here, where its abort comes back as SIGABRT (a crash, cmocka's exception
       * filter takes). */
      verify_here (loop, &c);
#else
      harness_child_run (verify_in_child, loop, 20, &c);
#endif
      if (!c.exited || c.status != 0)
        {
          print_error ("ev_verify failed after the test (%s %d): %s\n", c.exited ? "exit status" : "signal",
                       c.exited ? c.status : c.signo, c.err);
          rc = -1;
        }
      ev_loop_destroy (loop);
      *state = NULL;
    }
  return harness_teardown_plain (state) ? -1 : rc;
}

/* ---- running ------------------------------------------------------------------------------- */

static void
guard_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)revents;
  *(int *)w->data = 1;
  ev_break (loop, EVBREAK_ALL);
}

void
harness_run_until (struct ev_loop *loop, volatile int *flag, double seconds)
{
  int expired = 0;
  ev_timer guard;
  ev_timer_init (&guard, guard_cb, harness_slack (seconds), 0.);
  guard.data = &expired;
  ev_timer_start (loop, &guard);
  while (!*flag && !expired)
    ev_run (loop, EVRUN_ONCE);
  ev_timer_stop (loop, &guard);
  if (!*flag)
    fail_msg ("condition not reached within %.1f s", harness_slack (seconds));
}

static void
set_flag_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)loop, (void)revents;
  *(int *)w->data = 1;
}

void
harness_expect_blocks_until_timer (struct ev_loop *loop, double after)
{
  int expired = 0;
  ev_timer t;
  ev_timer_init (&t, set_flag_cb, after, 0.);
  t.data = &expired;
  /* a timer runs from ev_now (ev(3) "The special problem of time updates"), which the loop
     last read when the caller's ev_run returned, however long ago that was */
  ev_now_update (loop);
  ev_timer_start (loop, &t);
  const unsigned int iterations = ev_iteration (loop);
  const double t0 = harness_monotonic ();
  while (!expired)
    ev_run (loop, EVRUN_ONCE);
  assert_true (harness_monotonic () - t0 >= 0.8 * after);
  assert_in_range (ev_iteration (loop) - iterations, 1, 2);
}

/* ---- forked children ----------------------------------------------------------------------- */

void *
harness_shared_new (size_t size)
{
#ifdef _WIN32
  return harness_win32_shared_new (size);
#endif
  void *p = mmap (NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  assert_true (p != MAP_FAILED);
  return p;
}

void
harness_shared_free (void *p, size_t size)
{
#ifdef _WIN32
  (void)size;
  harness_win32_shared_free (p);
  return;
#endif
  munmap (p, size);
}

#ifndef _WIN32
void
harness_child_run (void (*fn) (void *arg), void *arg, unsigned timeout_s, struct harness_child *out)
{
  static const int fatal[] = { SIGABRT, SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGALRM, SIGPIPE };
  int errp[2];
  memset (out, 0, sizeof *out);
  assert_int_equal (pipe2 (errp, O_CLOEXEC), 0);
  fflush (stdout);
  fflush (stderr);

  pid_t pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; ++i)
        signal (fatal[i], SIG_DFL);
      dup2 (errp[1], 2);
      close (errp[0]);
      alarm (timeout_s * time_scale ());
      fn (arg);
      _exit (0);
    }

  close (errp[1]);
  size_t len = 0;
  for (;;)
    {
      ssize_t n = read (errp[0], out->err + len, sizeof out->err - 1 - len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      len += (size_t)n;
      if (len == sizeof out->err - 1)
        {
          /* keep draining so the child never blocks on a full pipe */
          char sink[512];
          while (read (errp[0], sink, sizeof sink) > 0)
            ;
          break;
        }
    }
  out->err[len] = 0;
  close (errp[0]);

  int st = 0;
  while (waitpid (pid, &st, 0) < 0 && errno == EINTR)
    ;
  if (WIFEXITED (st))
    {
      out->exited = 1;
      out->status = WEXITSTATUS (st);
    }
  else if (WIFSIGNALED (st))
    {
      out->signaled = 1;
      out->signo = WTERMSIG (st);
    }
}
#endif

void
harness_expect_child_ok (void (*fn) (void *), void *arg, unsigned timeout_s, const char *what)
{
  struct harness_child c;
  harness_child_run (fn, arg, timeout_s, &c);
  if (!c.exited || c.status != 0)
    fail_msg ("%s%sthe child %s %d\n%s", what ? what : "", what ? ": " : "",
              c.exited ? "exited with status" : "was killed by signal", c.exited ? c.status : c.signo, c.err);
}

void
harness_child_check_failed (const char *file, int line, const char *what)
{
  fprintf (stderr, "%s:%d: check failed in pid %d: %s (trace \"%s\")\n", file, line, (int)getpid (), what,
           trace_get ());
  _exit (1);
}

void
_expect_abort (void (*fn) (void *), void *arg, const char *message, const char *file, int line)
{
  struct harness_child c;
  harness_child_run (fn, arg, 10, &c);
  if (!c.signaled || c.signo != SIGABRT)
    {
      if (c.exited)
        print_error ("expected SIGABRT, the child exited with status %d\n", c.status);
      else
        print_error ("expected SIGABRT, the child was killed by signal %d (%s)\n", c.signo, strsignal (c.signo));
      print_error ("child stderr: %s\n", c.err);
      _fail (file, line);
    }
  if (!strstr (c.err, message))
    {
      print_error ("the child aborted, but its stderr lacks \"%s\":\n%s\n", message, c.err);
      _fail (file, line);
    }
}

/* ---- groups --------------------------------------------------------------------------------- */

static const struct
{
  const char *name;
  unsigned int flag;
} backends[] = {
  { "select", EVBACKEND_SELECT },
  { "poll", EVBACKEND_POLL },
  { "epoll", EVBACKEND_EPOLL },
  { "io_uring", EVBACKEND_IOURING },
#ifdef _WIN32
  { "afd", EVBACKEND_NG_AFD },
#endif
};

/* A backend this system runs: libev's answer, or for an opt-in backend, which is in none of
 * libev's answers (EVBACKEND_NG_AFD), a loop that gets it when asked. */
static int
backend_here (unsigned int flag)
{
  if (ev_supported_backends () & flag)
    return 1;
  if (!(flag & ~(unsigned int)EVBACKEND_ALL))
    return 0;
  struct ev_loop *loop = ev_loop_new (flag);
  if (!loop)
    return 0;
  int here = ev_backend (loop) == flag;
  ev_loop_destroy (loop);
  return here;
}

static int
backend_wanted (const char *name)
{
  const char *list = getenv ("HARNESS_BACKENDS");
  if (!list || !*list)
    return 1;
  size_t len = strlen (name);
  for (const char *p = list; *p;)
    {
      const char *end = strchr (p, ',');
      size_t n = end ? (size_t)(end - p) : strlen (p);
      if (n == len && strncmp (p, name, n) == 0)
        return 1;
      if (!end)
        break;
      p = end + 1;
    }
  return 0;
}

/* ---- the skip list of an emulated run ------------------------------------------------------ */

/* HARNESS_SKIP_FILE names a list of cases that cannot run in this environment, with the
 * reason (t/port/cross-skip.txt: what qemu-user cannot do), HARNESS_SKIP_TAGS the words that
 * describe the run ("arm64 qemu qemu:arm64": the Debian architecture, and how its programs
 * run).  One line a skip:
 *   WHERE | TEST | CASES | REASON
 * WHERE: comma-separated words, one of which is *, or a word of HARNESS_SKIP_TAGS; TEST: a
 * pattern of the test's path, whose last part is matched against the suite's name; CASES: a
 * pattern of "[backend] name" (patterns: * is any text, everything else itself, brackets
 * too).  A skipped case runs neither its fixtures nor its body, and says why. */
static char *
trim (char *s)
{
  while (*s == ' ' || *s == '\t')
    ++s;
  char *e = s + strlen (s);
  while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n'))
    *--e = 0;
  return s;
}

static int
pattern_matches (const char *p, const char *s)
{
  for (; *p; ++p, ++s)
    if (*p == '*')
      {
        for (const char *t = s;; ++t)
          {
            if (pattern_matches (p + 1, t))
              return 1;
            if (!*t)
              return 0;
          }
      }
    else if (*p != *s)
      return 0;
  return !*s;
}

/* 1 if a word of the comma-separated `list` is * or one of the space-separated `tags` */
static int
where_listed (const char *list, const char *tags)
{
  for (const char *p = list; *p;)
    {
      size_t n = strcspn (p, ",");
      const char *w = p;
      while (n && *w == ' ')
        ++w, --n;
      while (n && w[n - 1] == ' ')
        --n;
      if (n == 1 && *w == '*')
        return 1;
      for (const char *t = tags; *t;)
        {
          size_t m = strcspn (t, " ");
          if (m == n && !strncmp (t, w, n))
            return 1;
          t += m;
          t += strspn (t, " ");
        }
      p += strcspn (p, ",");
      if (*p)
        ++p;
    }
  return 0;
}

/* The reason to skip the case `name` of `suite`, or NULL (a string that lives on). */
static const char *
skip_reason (const char *suite, const char *name)
{
  const char *file = getenv ("HARNESS_SKIP_FILE"), *tags = getenv ("HARNESS_SKIP_TAGS");
  if (!file || !*file)
    return NULL;
  FILE *f = fopen (file, "r");
  assert_non_null (f);
  char line[1024];
  const char *reason = NULL;
  while (!reason && fgets (line, sizeof line, f))
    {
      char *field[4], *p = line;
      int n = 0;
      if (*trim (line) == '#' || !*trim (line))
        continue;
      for (; n < 4; ++n)
        {
          field[n] = p;
          p = n < 3 ? strchr (p, '|') : NULL;
          if (!p)
            break;
          *p++ = 0;
        }
      if (n != 3)
        continue;
      const char *test = trim (field[1]);
      const char *base = strrchr (test, '/') ? strrchr (test, '/') + 1 : test;
      if (where_listed (trim (field[0]), tags ? tags : "") && pattern_matches (base, suite)
          && pattern_matches (trim (field[2]), name))
        reason = strdup (trim (field[3]));
    }
  fclose (f);
  return reason;
}

static void
skipped_here (void **state)
{
  print_message ("skipped here: %s\n", (const char *)*state);
  skip ();
}

int
harness_run_groups (const char *suite, const struct CMUnitTest *tests, size_t n)
{
  int failed = 0;
  const char *filter = getenv ("HARNESS_FILTER");

  /* Installed once, before any loop exists, and never removed: every block the library
   * allocates then goes through it, so the counters are meaningful in every test. */
  ev_set_allocator (harness_alloc);
  if (filter && *filter)
    cmocka_set_test_filter (filter);

  /* A suite that hangs must fail, not block `make check`: a generous watchdog for the
   * whole suite (all backends), stretched like every other time limit. */
  alarm ((unsigned) (300 * time_scale ()));

  struct CMUnitTest *named = calloc (n, sizeof *named);
  char **names = calloc (n, sizeof *names);
  assert_non_null (named);
  assert_non_null (names);

#ifdef _WIN32
  /* a child run again (harness_win32.c) runs its one case */
  const char *child_backend = NULL;
  size_t child_index = 0;
  int child = harness_win32_child (&child_backend, &child_index);
#endif

  for (size_t b = 0; b < sizeof backends / sizeof backends[0]; ++b)
    {
      if (!backend_wanted (backends[b].name))
        continue;
#ifdef _WIN32
      if (child && strcmp (child_backend, backends[b].name) != 0)
        continue;
#endif
      if (!backend_here (backends[b].flag))
        {
          printf ("[ SKIPPED  ] %s: backend %s not supported here\n", suite, backends[b].name);
          continue;
        }
      test_backend = backends[b].flag;
      test_backend_name = backends[b].name;

      for (size_t i = 0; i < n; ++i)
        {
          size_t len = strlen (tests[i].name) + strlen (test_backend_name) + 4;
          names[i] = malloc (len);
          assert_non_null (names[i]);
          snprintf (names[i], len, "[%s] %s", test_backend_name, tests[i].name);
          named[i] = tests[i];
          named[i].name = names[i];
          const char *reason = skip_reason (suite, names[i]);
          if (reason)
            {
              named[i].test_func = skipped_here;
              named[i].setup_func = named[i].teardown_func = NULL;
              named[i].initial_state = (void *)reason;
            }
        }

      char group[256];
      snprintf (group, sizeof group, "%s [%s]", suite, test_backend_name);
#ifdef _WIN32
      /* one case a group, so that a child can be told which case it runs */
      for (size_t i = 0; i < n; ++i)
        if (!child || i == child_index)
          {
            harness_win32_case (test_backend_name, i);
            failed += _cmocka_run_group_tests (group, named + i, 1, NULL, NULL);
          }
      if (child)
        harness_win32_child_lost ();
#else
      failed += _cmocka_run_group_tests (group, named, n, NULL, NULL);
#endif

      for (size_t i = 0; i < n; ++i)
        free (names[i]);
    }

  free (named);
  free (names);
  /* an exit status, not a count: 256 failures must not wrap around to "success" */
  return failed != 0;
}
