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

struct ev_loop *
bench_ev_loop (void)
{
  struct ev_loop *loop = ev_loop_new (EVBACKEND_EPOLL | EVFLAG_NOENV);
  if (!loop || ev_backend (loop) != EVBACKEND_EPOLL)
    die ("ev_loop_new(EVBACKEND_EPOLL) failed");
  return loop;
}
