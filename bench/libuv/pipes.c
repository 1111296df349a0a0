/* SPDX-License-Identifier: BSD-2-Clause */
/* pipes.c - the classic benchmark (common/pipes.h) with libuv: a uv_poll_t
 * and a uv_timer_t per end; re-arm is uv_poll_start and uv_timer_start on
 * the active handles, which libuv documents as updating them in place */
#include "libuv.h"
#include "common/pipes.h"

#include <stdlib.h>

static struct pipes p;
static uv_poll_t *ios;
static uv_timer_t *tos;

static void
read_cb (uv_poll_t *h, int status, int events)
{
  (void)events;
  if (status < 0)
    die ("pipes: poll error %s", uv_strerror (status));
  pipes_event (&p, (int)(h - ios));
}

static void
timeout_cb (uv_timer_t *h)
{
  (void)h;
  die ("pipes: a 10 s timeout expired");
}

void
wl_pipes (void)
{
  pipes_setup (&p);
  static uv_loop_t loop;
  bench_uv_loop (&loop);
  ios = calloc ((size_t)p.n, sizeof *ios);
  tos = calloc ((size_t)p.n, sizeof *tos);
  CHECK (ios && tos, "calloc");
  for (int i = 0; i < p.n; ++i)
    {
      UVCHECK (uv_poll_init_socket (&loop, &ios[i], p.fds[i]));
      UVCHECK (uv_timer_init (&loop, &tos[i]));
    }
  for (int run = 0; run <= p.runs; ++run)
    {
      struct region r;
      for (int pass = 0; pass < p.rearm_passes; ++pass)
        {
          if (pass)
            uv_run (&loop, UV_RUN_NOWAIT);
          if (run)
            region_begin (&r, p.rearm_label);
          for (int i = 0; i < p.n; ++i)
            {
              uv_poll_start (&ios[i], UV_READABLE, read_cb);
              uv_timer_start (&tos[i], timeout_cb, (uint64_t)pipes_timeout_us (&p) / 1000, 0);
            }
          if (run)
            region_end (&r, p.n, "ns/watcher");
        }
      if (run)
        region_begin (&r, p.process_label);
      pipes_start_chains (&p);
      while (!pipes_done (&p))
        uv_run (&loop, UV_RUN_ONCE);
      if (run)
        region_end (&r, (double)p.fired, "ns/event");
    }
  bench_uv_loop_close (&loop);
  free (ios);
  free (tos);
  pipes_teardown (&p);
}
