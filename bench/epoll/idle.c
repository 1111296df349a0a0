/* SPDX-License-Identifier: BSD-2-Clause */
/* idle.c - many idle connections and a 1 ms repeating timer (common/idle.h)
 * on the raw epoll loop: the floor is one epoll_wait per tick, the idle fds
 * registered once. */
#include "rl.h"
#include "common/idle.h"

#include <stdlib.h>

static struct idle s;
static int ticking;

static void
read_cb (struct rl_loop *loop, struct rl_io *io, uint32_t events)
{
  (void)loop;
  (void)io;
  (void)events;
  die ("idle: an idle socket became readable");
}

static void
tick_cb (struct rl_loop *loop, struct rl_timer *t)
{
  if (idle_tick (&s))
    ticking = 0;
  else
    rl_timer_start (loop, t, 1000000);
}

void
wl_idle (void)
{
  idle_setup (&s);
  static struct rl_loop loop;
  rl_init (&loop);
  struct rl_io *ios = calloc ((size_t)s.n, sizeof *ios);
  CHECK (ios, "calloc");
  for (int i = 0; i < s.n; ++i)
    {
      ios[i].fd = s.fds[i];
      ios[i].cb = read_cb;
      rl_io_start (&loop, &ios[i], EPOLLIN);
    }
  struct rl_timer tick = { .slot = RL_INACTIVE, .cb = tick_cb };
  for (int run = 0; run <= s.runs; ++run)
    {
      struct region r;
      s.fired = 0;
      ticking = 1;
      rl_timer_start (&loop, &tick, 1000000);
      if (run)
        region_begin (&r, s.label);
      while (ticking)
        rl_run (&loop, RL_ONCE);
      if (run)
        region_end (&r, (double)s.fired, "ns/tick");
    }
  for (int i = 0; i < s.n; ++i)
    rl_io_stop (&loop, &ios[i]);
  rl_destroy (&loop);
  free (ios);
  idle_teardown (&s);
}
