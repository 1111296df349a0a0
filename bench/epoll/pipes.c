/* SPDX-License-Identifier: BSD-2-Clause */
/* pipes.c - the classic benchmark (common/pipes.h) on the raw epoll loop.
 * Re-arm is the floor: a descriptor whose interest does not change stays
 * registered (nothing to do), and its timeout is moved in place.  On
 * bench-epoll-ev (rl.h) it is what the libev program does. */
#include "rl.h"
#include "common/pipes.h"

#include <stdlib.h>

static struct pipes p;
static struct rl_io *ios;
static struct rl_timer *tos;

static void
read_cb (struct rl_loop *loop, struct rl_io *io, uint32_t events)
{
  (void)loop;
  (void)events;
  pipes_event (&p, (int)(io - ios));
}

static void
timeout_cb (struct rl_loop *loop, struct rl_timer *t)
{
  (void)loop;
  (void)t;
  die ("pipes: a 10 s timeout expired");
}

void
wl_pipes (void)
{
  pipes_setup (&p);
  static struct rl_loop loop;
  rl_init (&loop);
  ios = calloc ((size_t)p.n, sizeof *ios);
  tos = calloc ((size_t)p.n, sizeof *tos);
  CHECK (ios && tos, "calloc");
  for (int i = 0; i < p.n; ++i)
    {
      ios[i].fd = p.fds[i];
      ios[i].cb = read_cb;
      rl_io_start (&loop, &ios[i], EPOLLIN);
      tos[i].slot = RL_INACTIVE;
      tos[i].cb = timeout_cb;
    }
  for (int run = 0; run <= p.runs; ++run)
    {
      struct region r;
      for (int pass = 0; pass < p.rearm_passes; ++pass)
        {
          if (pass)
            rl_run (&loop, RL_NOWAIT);
          if (run)
            region_begin (&r, p.rearm_label);
          for (int i = 0; i < p.n; ++i)
            {
#ifdef RL_LIBEV_IO
              /* the libev program's re-arm: ev_io_stop, ev_io_set, ev_io_start,
                 ev_timer_stop, ev_timer_set, ev_timer_start */
              rl_io_stop (&loop, &ios[i]);
              rl_io_start (&loop, &ios[i], EPOLLIN);
              rl_timer_stop (&loop, &tos[i]);
              rl_timer_start (&loop, &tos[i], pipes_timeout_us (&p) * 1000);
#else
              rl_timer_again (&loop, &tos[i], pipes_timeout_us (&p) * 1000);
#endif
            }
          if (run)
            region_end (&r, p.n, "ns/watcher");
        }
      if (run)
        region_begin (&r, p.process_label);
      pipes_start_chains (&p);
      while (!pipes_done (&p))
        rl_run (&loop, RL_ONCE);
      if (run)
        region_end (&r, (double)p.fired, "ns/event");
    }
  for (int i = 0; i < p.n; ++i)
    {
      rl_io_stop (&loop, &ios[i]);
      rl_timer_stop (&loop, &tos[i]);
    }
  rl_destroy (&loop);
  free (ios);
  free (tos);
  pipes_teardown (&p);
}
