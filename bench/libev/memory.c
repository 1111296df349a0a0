/* SPDX-License-Identifier: BSD-2-Clause */
/* memory.c - resident memory per watcher (common/memory.h) with libev */
#include "libev.h"
#include "common/memory.h"
#include "common/harness.h"
#include "common/sockets.h"

#include <stdlib.h>
#include <string.h>

static void
timer_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)loop;
  (void)w;
  (void)revents;
}

static void
io_cb (struct ev_loop *loop, ev_io *w, int revents)
{
  (void)loop;
  (void)w;
  (void)revents;
}

void
wl_memory (void)
{
  const char *what = arg_str ("what", "timers");
  struct ev_loop *loop = bench_ev_loop ();
  struct rng rng = rng_seed (3);
  if (!strcmp (what, "timers"))
    {
      long m = arg_long ("m", 1000000);
      long base = mem_baseline ();
      ev_timer *w = malloc ((size_t)m * sizeof *w);
      CHECK (w, "malloc");
      for (long i = 0; i < m; ++i)
        {
          ev_timer_init (&w[i], timer_cb, 1000. + rng_below (&rng, 1000000) * 1e-6, 0.);
          ev_timer_start (loop, &w[i]);
        }
      ev_run (loop, EVRUN_NOWAIT);
      mem_report (what, m, base);
      for (long i = 0; i < m; ++i)
        ev_timer_stop (loop, &w[i]);
      free (w);
    }
  else if (!strcmp (what, "io"))
    {
      int n = (int)arg_long ("n", 10000);
      int *fds = socket_ring (n);
      long base = mem_baseline ();
      ev_io *w = malloc ((size_t)n * sizeof *w);
      CHECK (w, "malloc");
      for (int i = 0; i < n; ++i)
        {
          ev_io_init (&w[i], io_cb, fds[i], EV_READ);
          ev_io_start (loop, &w[i]);
        }
      ev_run (loop, EVRUN_NOWAIT);
      mem_report (what, n, base);
      for (int i = 0; i < n; ++i)
        ev_io_stop (loop, &w[i]);
      free (w);
      socket_ring_free (fds, n);
    }
  else
    die ("memory: what=%s: expected timers or io", what);
  ev_loop_destroy (loop);
}
