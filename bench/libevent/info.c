/* SPDX-License-Identifier: BSD-2-Clause */
/* info.c - which libevent this process runs against */
#define _GNU_SOURCE
#include "libevent.h"
#include "common/harness.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

void
lib_info (void)
{
  Dl_info dl;
  char real[PATH_MAX];
  if (!dladdr ((void *)event_base_loop, &dl) || !dl.dli_fname)
    die ("dladdr(event_base_loop) failed");
  info ("library", "libevent");
  info ("version", "%s", event_get_version ());
  info ("object", "%s", realpath (dl.dli_fname, real) ? real : dl.dli_fname);
}

struct event_base *
bench_event_base (void)
{
  struct event_base *base = event_base_new ();
  if (!base)
    die ("event_base_new failed");
  const char *method = event_base_get_method (base);
  if (strcmp (method, "epoll"))
    die ("libevent uses %s, not epoll", method);
  return base;
}

void
event_array_init (struct event_array *a, size_t n)
{
  a->stride = (event_get_struct_event_size () + 15) & ~(size_t)15;
  a->mem = aligned_alloc (16, n * a->stride);
  CHECK (a->mem, "aligned_alloc");
}
