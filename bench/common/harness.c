/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * harness.c - arguments, regions, metric table, output and main() of every
 * benchmark program (see harness.h for the output format).
 */
#define _GNU_SOURCE
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
/* callgrind's client requests (a few no-op instructions natively); without
 * valgrind's headers the regions are only timed */
#if __has_include(<valgrind/callgrind.h>)
# include <valgrind/callgrind.h>
#else
# define CALLGRIND_ZERO_STATS do { } while (0)
# define CALLGRIND_DUMP_STATS_AT(label) do { (void)(label); } while (0)
#endif

/* ---- arguments ------------------------------------------------------------ */

static int g_argc;
static char **g_argv;

const char *
arg_str (const char *key, const char *def)
{
  size_t len = strlen (key);
  for (int i = 2; i < g_argc; ++i)
    if (!strncmp (g_argv[i], key, len) && g_argv[i][len] == '=')
      return g_argv[i] + len + 1;
  return def;
}

long
arg_long (const char *key, long def)
{
  const char *s = arg_str (key, NULL);
  if (!s)
    return def;
  char *end;
  /* strtod so that 1e6 is accepted */
  double v = strtod (s, &end);
  if (*end || end == s)
    die ("argument %s=%s is not a number", key, s);
  return (long)v;
}

double
arg_scale (void)
{
  const char *s = arg_str ("scale", "1");
  double v = strtod (s, NULL);
  if (!(v > 0))
    die ("scale=%s must be positive", s);
  return v;
}

long
arg_work (const char *key, long def, long lo)
{
  long v = arg_long (key, -1);
  if (v >= 0)
    return v; /* given explicitly: not scaled */
  v = (long)(def * arg_scale ());
  return v < lo ? lo : v;
}

/* ---- errors and output ---------------------------------------------------- */

void
die (const char *fmt, ...)
{
  va_list ap;
  fprintf (stderr, "bench: ");
  va_start (ap, fmt);
  vfprintf (stderr, fmt, ap);
  va_end (ap);
  fputc ('\n', stderr);
  exit (2);
}

void
die_errno (const char *what)
{
  die ("%s: %s", what, strerror (errno));
}

void
info (const char *key, const char *fmt, ...)
{
  va_list ap;
  printf ("I\t%s\t", key);
  va_start (ap, fmt);
  vprintf (fmt, ap);
  va_end (ap);
  putchar ('\n');
}

const char *
fmt_label (char *buf, unsigned size, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (buf, size, fmt, ap);
  va_end (ap);
  return buf;
}

/* ---- system call counter -------------------------------------------------- */

/* With BENCH_SYSCALLS=1 a perf counter on the raw_syscalls:sys_enter
 * tracepoint counts this process's system calls (threads included: the
 * counter is inherited and a thread's count joins ours when it exits).  It is
 * off by default because an active tracepoint slows every system call. */
static int sys_fd = -1;

static void
sys_open (void)
{
  const char *e = getenv ("BENCH_SYSCALLS");
  if (!e || strcmp (e, "1"))
    return;
  static const char *const ids[] = {
    "/sys/kernel/tracing/events/raw_syscalls/sys_enter/id",
    "/sys/kernel/debug/tracing/events/raw_syscalls/sys_enter/id",
  };
  long id = -1;
  for (unsigned i = 0; i < sizeof ids / sizeof *ids && id < 0; ++i)
    {
      FILE *f = fopen (ids[i], "r");
      if (f)
        {
          if (fscanf (f, "%ld", &id) != 1)
            id = -1;
          fclose (f);
        }
    }
  if (id < 0)
    die ("BENCH_SYSCALLS=1: cannot read the raw_syscalls:sys_enter tracepoint id (is tracefs mounted?)");
  struct perf_event_attr a;
  memset (&a, 0, sizeof a);
  a.size = sizeof a;
  a.type = PERF_TYPE_TRACEPOINT;
  a.config = (uint64_t)id;
  a.inherit = 1;
  a.exclude_kernel = 0;
  sys_fd = (int)syscall (SYS_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
  if (sys_fd < 0)
    die_errno ("BENCH_SYSCALLS=1: perf_event_open(raw_syscalls:sys_enter)");
}

static uint64_t
sys_read (void)
{
  uint64_t v = 0;
  if (sys_fd >= 0 && read (sys_fd, &v, sizeof v) != sizeof v)
    die_errno ("read(perf counter)");
  return v;
}

/* ---- metric table --------------------------------------------------------- */

struct metric
{
  char label[96];
  char unit[24];
  double value; /* ns (or bytes) summed over all regions */
  double units;
  double syscalls;
  double cpu;   /* process CPU ns summed over all regions, -1 without regions */
  int na;
  char reason[120];
};

static struct metric metrics[64];
static unsigned n_metrics;

static struct metric *
metric_get (const char *label)
{
  for (unsigned i = 0; i < n_metrics; ++i)
    if (!strcmp (metrics[i].label, label))
      return &metrics[i];
  if (n_metrics == sizeof metrics / sizeof *metrics)
    die ("too many metrics");
  struct metric *m = &metrics[n_metrics++];
  snprintf (m->label, sizeof m->label, "%s", label);
  return m;
}

void
metric_add (const char *label, double value_total, double units, const char *unit)
{
  struct metric *m = metric_get (label);
  snprintf (m->unit, sizeof m->unit, "%s", unit);
  m->value += value_total;
  m->units += units;
  m->syscalls = -1; /* not a region: no system call count, no CPU time */
  m->cpu = -1;
}

void
metric_na (const char *label, const char *reason)
{
  struct metric *m = metric_get (label);
  m->na = 1;
  snprintf (m->reason, sizeof m->reason, "%s", reason);
}

static int64_t
cpu_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The order keeps the bookkeeping out of what is measured: the CPU clock (a
 * real system call) is read outside the system call count, and both outside
 * callgrind's zero..dump window. */
void
region_begin (struct region *r, const char *label)
{
  r->label = label;
  r->cpu0 = cpu_ns ();
  r->sys0 = sys_read ();
  CALLGRIND_ZERO_STATS;
  r->t0 = now_ns ();
}

void
region_end (struct region *r, double units, const char *unit)
{
  int64_t t1 = now_ns ();
  char dump[128];
  snprintf (dump, sizeof dump, "bench:%s|%.0f", r->label, units);
  CALLGRIND_DUMP_STATS_AT (dump);
  uint64_t sys1 = sys_read ();
  int64_t cpu1 = cpu_ns ();
  struct metric *m = metric_get (r->label);
  snprintf (m->unit, sizeof m->unit, "%s", unit);
  m->value += (double)(t1 - r->t0);
  m->cpu += (double)(cpu1 - r->cpu0);
  m->units += units;
  /* the closing read() is itself counted: subtract it */
  if (sys_fd >= 0)
    m->syscalls += (double)(sys1 - r->sys0) - 1;
  else
    m->syscalls = -1;
}

static void
metrics_print (void)
{
  for (unsigned i = 0; i < n_metrics; ++i)
    {
      struct metric *m = &metrics[i];
      if (m->na)
        printf ("N\t%s\t%s\n", m->label, m->reason);
      else if (m->units > 0)
        {
          printf ("R\t%s\t%.4f\t%s\t%.0f\t", m->label, m->value / m->units, m->unit, m->units);
          if (m->syscalls >= 0)
            printf ("%.4f\t", m->syscalls / m->units);
          else
            printf ("-\t");
          if (m->cpu >= 0)
            printf ("%.4f\n", m->cpu / m->units);
          else
            printf ("-\n");
        }
    }
}

/* ---- main ----------------------------------------------------------------- */

/* The peak RSS of the memory workload depends on where address-space
 * randomisation puts the arrays a library reallocates (whether realloc can
 * grow in place): up to 10% between two runs of the same binary.  Without
 * randomisation it is the same every run, so the memory workload re-executes
 * itself once with ADDR_NO_RANDOMIZE (what `setarch -R` does). */
static void
no_aslr (char **argv)
{
  int cur = personality (0xffffffff);
  if (cur < 0 || (cur & ADDR_NO_RANDOMIZE))
    return;
  if (personality ((unsigned long)cur | ADDR_NO_RANDOMIZE) < 0)
    return;
  execv ("/proc/self/exe", argv);
  /* still randomised: the result is only noisier */
}

static const struct
{
  const char *name;
  void (*fn) (void);
} workloads[] = {
  { "pipes", wl_pipes }, { "timers", wl_timers }, { "loop", wl_loop },
  { "async", wl_async }, { "pingpong", wl_pingpong }, { "echo", wl_echo },
  { "memory", wl_memory }, { "idle", wl_idle }, { "calls", wl_calls },
};

int
main (int argc, char **argv)
{
  g_argc = argc;
  g_argv = argv;
  if (argc < 2 || !strcmp (argv[1], "-h") || !strcmp (argv[1], "--help"))
    {
      fprintf (stderr, "usage: %s <workload> [key=value ...]\nworkloads:", argv[0]);
      for (unsigned i = 0; i < sizeof workloads / sizeof *workloads; ++i)
        fprintf (stderr, " %s", workloads[i].name);
      fprintf (stderr, "\n(see bench/README.md for the keys of each workload)\n");
      return argc < 2 ? 2 : 0;
    }
  /* N=10000 socketpair ends and 1000 connections need more than the usual
   * soft limit of 1024 descriptors */
  struct rlimit rl;
  if (!getrlimit (RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max)
    {
      rl.rlim_cur = rl.rlim_max;
      setrlimit (RLIMIT_NOFILE, &rl);
    }
  if (!strcmp (argv[1], "memory"))
    no_aslr (argv);
  for (unsigned i = 0; i < sizeof workloads / sizeof *workloads; ++i)
    if (!strcmp (argv[1], workloads[i].name))
      {
        lib_info ();
        info ("workload", "%s", argv[1]);
        sys_open ();
        workloads[i].fn ();
        metrics_print ();
        return 0;
      }
  die ("unknown workload '%s'", argv[1]);
}
