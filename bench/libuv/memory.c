/* SPDX-License-Identifier: BSD-2-Clause */
/* memory.c - resident memory per watcher (common/memory.h) with libuv */
#include "libuv.h"
#include "common/harness.h"
#include "common/memory.h"
#include "common/sockets.h"

#include <stdlib.h>
#include <string.h>

static void timer_cb (uv_timer_t *h) { (void)h; }

static void
io_cb (uv_poll_t *h, int status, int events)
{
  (void)h;
  (void)status;
  (void)events;
}

void
wl_memory (void)
{
  const char *what = arg_str ("what", "timers");
  static uv_loop_t loop;
  bench_uv_loop (&loop);
  struct rng rng = rng_seed (3);
  if (!strcmp (what, "timers"))
    {
      long m = arg_long ("m", 1000000);
      long base = mem_baseline ();
      uv_timer_t *w = malloc ((size_t)m * sizeof *w);
      CHECK (w, "malloc");
      for (long i = 0; i < m; ++i)
        {
          UVCHECK (uv_timer_init (&loop, &w[i]));
          uv_timer_start (&w[i], timer_cb, (1000000000UL + rng_below (&rng, 1000000)) / 1000, 0);
        }
      uv_run (&loop, UV_RUN_NOWAIT);
      mem_report (what, m, base);
      bench_uv_loop_close (&loop);
      free (w);
    }
  else if (!strcmp (what, "io"))
    {
      int n = (int)arg_long ("n", 10000);
      int *fds = socket_ring (n);
      long base = mem_baseline ();
      uv_poll_t *w = malloc ((size_t)n * sizeof *w);
      CHECK (w, "malloc");
      for (int i = 0; i < n; ++i)
        {
          UVCHECK (uv_poll_init_socket (&loop, &w[i], fds[i]));
          UVCHECK (uv_poll_start (&w[i], UV_READABLE, io_cb));
        }
      uv_run (&loop, UV_RUN_NOWAIT);
      mem_report (what, n, base);
      bench_uv_loop_close (&loop);
      free (w);
      socket_ring_free (fds, n);
    }
  else
    die ("memory: what=%s: expected timers or io", what);
}
