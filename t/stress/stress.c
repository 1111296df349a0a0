/* SPDX-License-Identifier: BSD-2-Clause */
/* t/stress/stress.c - the helpers of stress.h. */
#define _GNU_SOURCE 1
#include "stress.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static const char *program = "stress";
static int failures;
static char watchdog_what[256];

void
stress_init (int argc, char **argv)
{
  (void)argc;
  if (argv && argv[0])
    {
      const char *slash = strrchr (argv[0], '/');
      program = slash ? slash + 1 : argv[0];
      if (!strncmp (program, "lt-", 3)) /* libtool's wrapper runs .libs/lt-NAME */
        program += 3;
    }
  setvbuf (stdout, NULL, _IOLBF, 0);
}

const char *
stress_name (void)
{
  return program;
}

int
stress_long (void)
{
  const char *m = getenv ("STRESS_MODE");
  return m && !strcmp (m, "long");
}

long
stress_scale (long n, long n_long)
{
  return stress_long () ? n_long : n;
}

void
stress_figure (const char *fmt, ...)
{
  va_list ap;
  printf ("figure: %s: ", program);
  va_start (ap, fmt);
  vprintf (fmt, ap);
  va_end (ap);
  printf ("\n");
}

void
stress_fail (const char *fmt, ...)
{
  va_list ap;
  printf ("FAIL: %s: ", program);
  va_start (ap, fmt);
  vprintf (fmt, ap);
  va_end (ap);
  printf ("\n");
  ++failures;
}

int
stress_failures (void)
{
  return failures;
}

int
stress_exit_status (void)
{
  return failures ? 1 : 0;
}

uint64_t
stress_seed (uint64_t fallback)
{
  const char *s = getenv ("STRESS_SEED");
  uint64_t seed = s && *s ? strtoull (s, NULL, 0) : fallback;
  return seed ? seed : 0x9e3779b97f4a7c15ull;
}

uint64_t
stress_rand (uint64_t *state)
{
  uint64_t x = *state;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *state = x;
  return x * 0x2545f4914f6cdd1dull;
}

unsigned
stress_below (uint64_t *state, unsigned n)
{
  return n ? (unsigned)((stress_rand (state) >> 32) % n) : 0;
}

int
stress_backends (struct stress_backend out[4])
{
  static const struct stress_backend all[] = {
    { "select", EVBACKEND_SELECT },
    { "poll", EVBACKEND_POLL },
    { "epoll", EVBACKEND_EPOLL },
    { "io_uring", EVBACKEND_IOURING },
  };
  int n = 0;
  for (unsigned i = 0; i < sizeof all / sizeof all[0]; ++i)
    if (ev_supported_backends () & all[i].flag)
      out[n++] = all[i];
  return n;
}

double
stress_now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double
stress_cpu (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void
watchdog_fired (int sig)
{
  (void)sig;
  static const char head[] = "FAIL: watchdog: still running after the time limit: ";
  ssize_t r = write (2, head, sizeof head - 1);
  r = write (2, watchdog_what, strlen (watchdog_what));
  r = write (2, "\n", 1);
  (void)r;
  _exit (3);
}

void
stress_watchdog (double seconds, const char *what)
{
  struct itimerval it;
  memset (&it, 0, sizeof it);
  snprintf (watchdog_what, sizeof watchdog_what, "%s: %s", program, what ? what : "");
  if (seconds > 0)
    {
      signal (SIGALRM, watchdog_fired);
      it.it_value.tv_sec = (time_t)seconds;
      it.it_value.tv_usec = (suseconds_t)((seconds - (double)(time_t)seconds) * 1e6);
    }
  setitimer (ITIMER_REAL, &it, NULL);
}
