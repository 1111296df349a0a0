/* SPDX-License-Identifier: BSD-2-Clause */
/* info.c - which libuv this process runs against */
#define _GNU_SOURCE
#include "libuv.h"
#include "common/harness.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdlib.h>

void
lib_info (void)
{
  Dl_info dl;
  char real[PATH_MAX];
  if (!dladdr ((void *)uv_run, &dl) || !dl.dli_fname)
    die ("dladdr(uv_run) failed");
  info ("library", "libuv");
  info ("version", "%s", uv_version_string ());
  info ("object", "%s", realpath (dl.dli_fname, real) ? real : dl.dli_fname);
}

void
bench_uv_loop (uv_loop_t *loop)
{
  UVCHECK (uv_loop_init (loop));
}

static void
close_walk (uv_handle_t *h, void *arg)
{
  (void)arg;
  if (!uv_is_closing (h))
    uv_close (h, 0);
}

void
bench_uv_loop_close (uv_loop_t *loop)
{
  uv_walk (loop, close_walk, 0);
  uv_run (loop, UV_RUN_DEFAULT);
  UVCHECK (uv_loop_close (loop));
}
