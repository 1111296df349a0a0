/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * harness.h - what every benchmark program shares: arguments, clock, random
 * numbers, measured regions and the result lines bench/run parses.
 *
 * A benchmark program is one library's implementation of every workload
 * (the files in bench/<library>/) linked with this harness.  It is started as
 *     bench-<library> <workload> [key=value ...]
 * and prints tab-separated lines on stdout:
 *     I <key> <value>...                       information (library, path, backend)
 *     R <metric> <value> <unit> <units> <sys> <cpu>
 *                                              one measured metric: value (wall-clock
 *                                              ns, or bytes) per unit, units of work,
 *                                              system calls per unit (or -), process
 *                                              CPU ns per unit (or -)
 *     N <metric> <reason>                      the library has no natural equivalent
 * Metrics are accumulated by label over all regions with that label.
 */
#ifndef BENCH_HARNESS_H
#define BENCH_HARNESS_H

#include <stdint.h>
#include <time.h>

/* ---- arguments ------------------------------------------------------------ */

/* key=value argument, or the default when absent.  "scale" multiplies the
 * amount of work (not the sizes N, M, C): bench/run --quick passes 0.1. */
long arg_long (const char *key, long def);
const char *arg_str (const char *key, const char *def);
double arg_scale (void);
/* max(lo, def * scale): an amount of work scaled by arg_scale() */
long arg_work (const char *key, long def, long lo);

/* ---- clock and random numbers --------------------------------------------- */

static inline int64_t
now_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* xorshift64*: a few instructions, inline, the same sequence for every
 * library, so all of them see the same random timeouts and indices. */
struct rng { uint64_t s; };

static inline uint64_t
rng_next (struct rng *r)
{
  r->s ^= r->s >> 12;
  r->s ^= r->s << 25;
  r->s ^= r->s >> 27;
  return r->s * 2685821657736338717ULL;
}

/* uniform in [0, n) without a division (multiply-shift) */
static inline uint32_t
rng_below (struct rng *r, uint32_t n)
{
  return (uint32_t)(((rng_next (r) >> 32) * n) >> 32);
}

static inline struct rng
rng_seed (uint64_t seed)
{
  struct rng r = { seed * 0x9E3779B97F4A7C15ULL | 1 };
  return r;
}

/* ---- measured regions ----------------------------------------------------- */

/* A region is timed (wall clock, and the process's CPU time, which leaves out
 * the time this process waited while others ran: steadier on a busy machine,
 * but blind to latency), counted by callgrind (stats zeroed at begin, dumped
 * at end with the label, so bench/callgrind can sum the dumps per label) and,
 * with BENCH_SYSCALLS=1, its system calls are counted.  Nothing else may run
 * between begin and end. */
struct region
{
  const char *label;
  int64_t t0, cpu0;
  uint64_t sys0;
};

void region_begin (struct region *r, const char *label);
void region_end (struct region *r, double units, const char *unit);

/* add to a metric without a region (e.g. a latency summed by a callback) */
void metric_add (const char *label, double value_total, double units, const char *unit);
/* mark a metric "no natural equivalent in this library" */
void metric_na (const char *label, const char *reason);

/* ---- output and errors ---------------------------------------------------- */

void info (const char *key, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
void die (const char *fmt, ...) __attribute__ ((format (printf, 1, 2), noreturn));
/* die with strerror(errno) when cond is false */
#define CHECK(cond, what) do { if (!(cond)) die_errno (what); } while (0)
void die_errno (const char *what) __attribute__ ((noreturn));

/* label helper: a static buffer per call site is the caller's job */
const char *fmt_label (char *buf, unsigned size, const char *fmt, ...) __attribute__ ((format (printf, 3, 4)));

/* ---- what each library provides ------------------------------------------- */

/* One function per workload; each creates its own loop, runs, frees it. */
void wl_pipes (void);
void wl_timers (void);
void wl_loop (void);
void wl_async (void);
void wl_pingpong (void);
void wl_echo (void);
void wl_memory (void);
void wl_idle (void);
void wl_calls (void);
/* I lines: library name, version, the shared object it really came from */
void lib_info (void);

#endif
