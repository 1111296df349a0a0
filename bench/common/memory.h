/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * memory.h - resident memory per watcher.
 *
 * what=timers: M (arg m, 1e6) active timers with far timeouts;
 * what=io:     N (arg n, 1e4) active read watchers on N socketpair ends.
 * The peak RSS (VmHWM) is reset after the loop and the descriptors exist;
 * then the watchers (an array owned by the program, as users embed them) are
 * initialised and started and one non-blocking iteration runs (so the
 * backend registers everything).  Reported: (VmHWM - RSS before) / count,
 * i.e. the watcher structure itself plus everything the library allocates
 * for it, at its peak (array doubling included).  The process runs without
 * address-space randomisation (see no_aslr in harness.c), which makes the
 * peak the same in every run.
 */
#ifndef BENCH_MEMORY_H
#define BENCH_MEMORY_H

/* resets VmHWM to the current RSS (if the kernel allows it) and returns the
 * current RSS in bytes */
long mem_baseline (void);
/* VmHWM in bytes */
long mem_peak (void);
/* adds the metric memory/<what>/<M or N>=count */
void mem_report (const char *what, long count, long baseline);

#endif
