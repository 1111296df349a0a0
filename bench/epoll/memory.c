/* SPDX-License-Identifier: BSD-2-Clause */
/* memory.c - resident memory per watcher (common/memory.h) on the raw epoll loop */
#include "rl.h"
#include "common/harness.h"
#include "common/memory.h"
#include "common/sockets.h"

#include <stdlib.h>
#include <string.h>

static void
timer_cb (struct rl_loop *loop, struct rl_timer *t)
{
  (void)loop;
  (void)t;
}

static void
io_cb (struct rl_loop *loop, struct rl_io *io, uint32_t events)
{
  (void)loop;
  (void)io;
  (void)events;
}

void
wl_memory (void)
{
  const char *what = arg_str ("what", "timers");
  static struct rl_loop loop;
  rl_init (&loop);
  struct rng rng = rng_seed (3);
  if (!strcmp (what, "timers"))
    {
      long m = arg_long ("m", 1000000);
      long base = mem_baseline ();
      struct rl_timer *w = malloc ((size_t)m * sizeof *w);
      CHECK (w, "malloc");
      for (long i = 0; i < m; ++i)
        {
          w[i].slot = RL_INACTIVE;
          w[i].cb = timer_cb;
          rl_timer_start (&loop, &w[i], (1000000000L + rng_below (&rng, 1000000)) * 1000);
        }
      rl_run (&loop, RL_NOWAIT);
      mem_report (what, m, base);
      free (w);
    }
  else if (!strcmp (what, "io"))
    {
      int n = (int)arg_long ("n", 10000);
      int *fds = socket_ring (n);
      long base = mem_baseline ();
      struct rl_io *w = malloc ((size_t)n * sizeof *w);
      CHECK (w, "malloc");
      for (int i = 0; i < n; ++i)
        {
          w[i] = (struct rl_io){ .fd = fds[i], .cb = io_cb };
          rl_io_start (&loop, &w[i], EPOLLIN);
        }
      rl_run (&loop, RL_NOWAIT);
      mem_report (what, n, base);
      free (w);
      socket_ring_free (fds, n);
    }
  else
    die ("memory: what=%s: expected timers or io", what);
  rl_destroy (&loop);
}
