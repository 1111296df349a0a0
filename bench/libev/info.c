/* SPDX-License-Identifier: BSD-2-Clause */
/* info.c - which libev this process really runs against (LD_LIBRARY_PATH
 * decides between libev 4.33 and libev-ng; bench/run checks this line). */
#define _GNU_SOURCE
#include "libev.h"
#include "common/harness.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdlib.h>

void
lib_info (void)
{
  Dl_info dl;
  char real[PATH_MAX];
  if (!dladdr ((void *)ev_run, &dl) || !dl.dli_fname)
    die ("dladdr(ev_run) failed");
  info ("library", "libev");
  info ("version", "%d.%d", ev_version_major (), ev_version_minor ());
  info ("object", "%s", realpath (dl.dli_fname, real) ? real : dl.dli_fname);
}

/* epoll, unless BENCH_EV_BACKEND names another backend by its number (the
 * io_uring column of bench/: BENCH_EV_BACKEND=128); BENCH_LIBEV_FLAGS (a number, as strtoul
 * reads it: 0x20000000) adds loop flags, to measure what an opt-in extension costs
 * (EVFLAG_NG_METRICS); libev 4.33 ignores the libev-ng bits. */
struct ev_loop *
bench_ev_loop (void)
{
  const char *env = getenv ("BENCH_EV_BACKEND");
  unsigned int backend = env && *env ? (unsigned int)strtoul (env, NULL, 0) : EVBACKEND_EPOLL;
  const char *extra = getenv ("BENCH_LIBEV_FLAGS");
  unsigned int flags = extra ? (unsigned int)strtoul (extra, NULL, 0) : 0u;
  struct ev_loop *loop = ev_loop_new (backend | EVFLAG_NOENV | flags);
  if (!loop || ev_backend (loop) != backend)
    die ("ev_loop_new(backend %u) failed", backend);
  return loop;
}
