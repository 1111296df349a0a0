/* SPDX-License-Identifier: BSD-2-Clause */
/* t/stress/stress.h - what every stress program shares: the mode (short or long), figures
 * for the scoreboard, a seeded random generator, the backends, a clock and a watchdog.
 *
 * A stress program prints its findings and exits 0 when every check held, 1 otherwise.
 * Lines it prints with stress_figure() start with "figure: " and go to the scoreboard
 * (t/stress/run collects them into t/stress/scoreboard.txt and the README quotes them). */
#ifndef LIBEV_NG_T_STRESS_H
#define LIBEV_NG_T_STRESS_H

#include <stdint.h>
#include "ev.h"

#ifdef __cplusplus
extern "C" {
#endif

/* STRESS_MODE from the environment: 0 = short (the default, what CI runs), 1 = long. */
int stress_long (void);
/* n in the short mode, n_long in the long one. */
long stress_scale (long n, long n_long);

/* One scoreboard line: "figure: <program>: <text>". */
void stress_figure (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
/* A failed check: prints "FAIL: <text>" and makes stress_exit_status() 1. */
void stress_fail (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
int stress_failures (void);
int stress_exit_status (void);

/* The program's name for figures (set from argv[0] by stress_init). */
void stress_init (int argc, char **argv);
const char *stress_name (void);

/* xorshift64*: deterministic for a seed; STRESS_SEED in the environment overrides the
 * default seed a program passes. */
uint64_t stress_seed (uint64_t fallback);
uint64_t stress_rand (uint64_t *state);
/* uniform in [0, n) */
unsigned stress_below (uint64_t *state, unsigned n);

/* The backends this machine supports, in the order select, poll, epoll, io_uring. */
struct stress_backend
{
  const char *name;
  unsigned int flag;
};
int stress_backends (struct stress_backend out[4]);

/* CLOCK_MONOTONIC seconds, and CPU time of this process in seconds. */
double stress_now (void);
double stress_cpu (void);

/* Kill the process (with a message naming what) if it is still running after `seconds`:
 * a hang is a failure, never a stuck CI job.  0 disarms. */
void stress_watchdog (double seconds, const char *what);

#ifdef __cplusplus
}
#endif

#endif
