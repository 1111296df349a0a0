/* SPDX-License-Identifier: BSD-2-Clause */
/* t/stress/timers.c - never early in ev_now () terms (ev(3) ev_timer, "The special problem of
 * time updates"): one-shot timers with random delays, each started again from its callback
 * with a new delay, 2,000 at a time; in every callback ev_now () must be at least the
 * ev_now () of the start plus the delay.  ev_now () is the wall clock derived from the
 * monotonic one, the offset between the two measured again every half second; a measurement
 * must never move ev_now () back.  Each backend runs twice: as the clocks come, and with a
 * thread preempted now and then around its clock readings (1 reading in 64 is followed or
 *  preceded by 3 us of busy waiting).
 *
 * Rounding: ev_now () is some 1.7e9 s, a double holds it to 2^-22 s (0.24 us), and the
 * check's own sum rounds too, so a callback may see ev_now () up to a few tenths of a
 * microsecond below the sum; "early" is more than 1 us below it.
 *
 * With EVFLAG_NG_BOOTTIME (ev(3) "Timers that count a suspend") each backend runs twice more:
 * once with the flag alone, checked as above, and once with a simulated suspend of up to
 * 50 ms after 1 callback in 500: CLOCK_BOOTTIME, as the library reads it here, jumps ahead
 * of CLOCK_MONOTONIC.  That run checks "never early" in the terms of the boottime clock: the
 * loop's monotonic time (ev_monotonic_now) plus the time suspended so far must be at least
 * their sum at the start plus the delay.
 *
 * Short mode: 5 x 10^4 timers per backend and run; long mode: 10^6. */
#define _GNU_SOURCE 1
#include "stress.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>

enum
{
  CONCURRENT = 2000
};
static const double kMaxDelay = 0.1;
static const double kEarly = 1e-6;

/* ---- preemption around clock readings, on demand ------------------------------------------ */

static int preempting;
static uint64_t preempt_rng;

/* the simulated suspends so far, in seconds: CLOCK_BOOTTIME is ahead by this much */
static double suspended;

static int
real_clock_gettime (clockid_t id, struct timespec *ts)
{
  static int (*real) (clockid_t, struct timespec *);
  if (!real)
    real = (int (*) (clockid_t, struct timespec *))dlsym (RTLD_NEXT, "clock_gettime");
  return real (id, ts);
}

static void
busy_wait (double seconds)
{
  struct timespec a, b;
  real_clock_gettime (CLOCK_MONOTONIC, &a);
  do
    real_clock_gettime (CLOCK_MONOTONIC, &b);
  while ((double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) * 1e-9 < seconds);
}

/* 0: no delay; 1: before the reading; 2: after it */
static int
preemption (void)
{
  if (!preempting)
    return 0;
  unsigned r = stress_below (&preempt_rng, 64);
  return r < 2 ? (int)r + 1 : 0;
}

/* The library's clock readings come here (these definitions take the place of the C
 * library's for the whole process; libev 4.33 reads the wall clock with gettimeofday). */
int
clock_gettime (clockid_t id, struct timespec *ts)
{
  int where = preemption ();
  if (where == 1)
    busy_wait (3e-6);
  int result = real_clock_gettime (id, ts);
#ifdef CLOCK_BOOTTIME
  if (id == CLOCK_BOOTTIME && suspended > 0.)
    {
      long ns = ts->tv_nsec + (long)((suspended - (double)(long)suspended) * 1e9);
      ts->tv_sec += (time_t)(long)suspended + ns / 1000000000L;
      ts->tv_nsec = ns % 1000000000L;
    }
#endif
  if (where == 2)
    busy_wait (3e-6);
  return result;
}

int
gettimeofday (struct timeval *restrict tv, void *restrict tz)
{
  static int (*real) (struct timeval *restrict, void *restrict);
  if (!real)
    real = (int (*) (struct timeval *restrict, void *restrict))dlsym (RTLD_NEXT, "gettimeofday");
  int where = preemption ();
  if (where == 1)
    busy_wait (3e-6);
  int result = real (tv, tz);
  if (where == 2)
    busy_wait (3e-6);
  return result;
}

/* ---- the run ---------------------------------------------------------------------------------- */

struct timer
{
  ev_timer w;
  ev_tstamp start;
  ev_tstamp start_mono; /* ev_monotonic_now at the start */
  double delay;
};

static long started, fired, early, target;
/* timers that fired before their delay had passed on the monotonic clock: they counted a
 * suspend, so the run with suspends shows the flag at work */
static long counted;
static double worst;
static uint64_t rng;
/* the run with simulated suspends: "never early" in boottime terms */
static int suspending;
static uint64_t suspend_rng;

/* now in the terms "never early" is checked in */
static ev_tstamp
check_now (struct ev_loop *loop)
{
#ifdef EV_NG_FEATURE_BOOTTIME
  if (suspending)
    return ev_monotonic_now (loop) + suspended;
#endif
  return ev_now (loop);
}

static void
start_one (struct ev_loop *loop, struct timer *t)
{
  t->start = check_now (loop);
#ifdef EV_NG_FEATURE_BOOTTIME
  t->start_mono = ev_monotonic_now (loop);
#endif
  t->delay = (double)stress_below (&rng, 1u << 30) / (double)(1u << 30) * kMaxDelay;
  ev_timer_set (&t->w, t->delay, 0.);
  ev_timer_start (loop, &t->w);
  ++started;
}

static void
timer_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)revents;
  struct timer *t = (struct timer *)w;
  double by = t->start + t->delay - check_now (loop);
  if (by > worst)
    worst = by;
  if (by > kEarly)
    ++early;
#ifdef EV_NG_FEATURE_BOOTTIME
  if (ev_monotonic_now (loop) < t->start_mono + t->delay)
    ++counted;
#endif
  ++fired;
  if (suspending && stress_below (&suspend_rng, 500) == 0)
    suspended += (double)stress_below (&suspend_rng, 50000) * 1e-6;
  if (started < target)
    start_one (loop, t);
}

/* the runs of each backend: as the clocks come, preempted, and with EVFLAG_NG_BOOTTIME
 * without and with simulated suspends */
static const struct
{
  const char *name;
  unsigned flags;
  int preempting, suspending;
} runs[] = {
  { "", 0, 0, 0 },
  { " (preempted)", 0, 1, 0 },
#ifdef EV_NG_FEATURE_BOOTTIME
  { " (EVFLAG_NG_BOOTTIME)", EVFLAG_NG_BOOTTIME, 0, 0 },
  { " (EVFLAG_NG_BOOTTIME, suspends)", EVFLAG_NG_BOOTTIME, 0, 1 },
#endif
};

int
main (int argc, char **argv)
{
  stress_init (argc, argv);
  target = stress_scale (50000, 1000000);
  rng = stress_seed (0x7133);
  preempt_rng = rng ^ 0x9e3779b97f4a7c15ull;
  suspend_rng = rng ^ 0x5851f42d4c957f2dull;
  stress_watchdog (stress_long () ? 3600. : 600., "timers");

  struct stress_backend backends[4];
  int nb = stress_backends (backends);
  struct timer *ts = calloc (CONCURRENT, sizeof *ts);
  if (!ts)
    return 1;
  char line[512] = "";
  int len = 0;
  long early_total = 0;
  double worst_total = 0.;
  long suspend_early = -1;
  double suspended_total = 0.;
  for (int b = 0; b < nb; ++b)
    for (size_t r = 0; r < sizeof runs / sizeof runs[0]; ++r)
      {
        preempting = runs[r].preempting;
        suspending = runs[r].suspending;
        suspended = 0.;
        struct ev_loop *loop = ev_loop_new (backends[b].flag | EVFLAG_NOENV | runs[r].flags);
        if (!loop)
          {
            stress_fail ("ev_loop_new (%s) failed", backends[b].name);
            continue;
          }
        started = fired = early = counted = 0;
        worst = -1.;
        double t0 = stress_now ();
        for (int i = 0; i < CONCURRENT; ++i)
          {
            ev_init (&ts[i].w, timer_cb);
            start_one (loop, &ts[i]);
          }
        ev_run (loop, 0);
        ev_loop_destroy (loop);
        printf ("%s%s: %ld timers in %.1f s, %ld early by more than 1 us, the latest by %.3f us", backends[b].name,
                runs[r].name, fired, stress_now () - t0, early, worst * 1e6);
        if (suspending)
          printf (", %.3f s of suspends simulated, %ld timers counted one", suspended, counted);
        printf ("\n");
        if (fired != target)
          stress_fail ("%s: %ld callbacks for %ld timers", backends[b].name, fired, target);
        if (early)
          stress_fail ("%s%s: %ld timers early in %s terms (by up to %.3f us)", backends[b].name, runs[r].name,
                       early, suspending ? "boottime" : "ev_now ()", worst * 1e6);
        early_total += early;
        if (suspending && !counted)
          stress_fail ("%s%s: no timer counted the %.3f s of simulated suspends", backends[b].name, runs[r].name,
                       suspended);
        if (suspending)
          {
            suspend_early = (suspend_early < 0 ? 0 : suspend_early) + early;
            suspended_total += suspended;
          }
        if (worst > worst_total)
          worst_total = worst;
        if (r == 0)
          len += snprintf (line + len, sizeof line - (size_t)len, "%s%s %ld", len ? ", " : "", backends[b].name,
                           early);
      }
  free (ts);
  stress_figure ("%ld one-shot timers with random delays per backend, twice (the second run preempted around 1 "
                 "clock reading in 64): early in ev_now () terms by more than 1 us: %s (and %ld in all runs); "
                 "the latest callback before start + delay in ev_now () terms by %.3f us (rounding)",
                 target, line, early_total, worst_total > 0. ? worst_total * 1e6 : 0.);
  if (suspend_early >= 0)
    stress_figure ("EVFLAG_NG_BOOTTIME with %.3f s of simulated suspends over all backends: %ld timers early in "
                   "boottime terms by more than 1 us",
                   suspended_total, suspend_early);
  return stress_exit_status ();
}
