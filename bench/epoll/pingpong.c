/* SPDX-License-Identifier: BSD-2-Clause */
/* pingpong.c - the ping-pong workload (common/pingpong.h) on the raw epoll loop */
#include "rl.h"
#include "common/pingpong.h"

static struct pingpong pp;
static struct rl_io ends[2];

static void
read_cb (struct rl_loop *loop, struct rl_io *io, uint32_t events)
{
  (void)events;
  if (pingpong_event (&pp, (int)(io - ends)))
    rl_stop (loop);
}

void
wl_pingpong (void)
{
  pingpong_setup (&pp);
  static struct rl_loop loop;
  rl_init (&loop);
  for (int i = 0; i < 2; ++i)
    {
      ends[i].fd = pp.fds[i];
      ends[i].cb = read_cb;
      rl_io_start (&loop, &ends[i], EPOLLIN);
    }
  struct region r;
  region_begin (&r, "pingpong");
  pingpong_serve (&pp);
  rl_run (&loop, RL_DEFAULT);
  region_end (&r, (double)pp.count, "ns/message");
  for (int i = 0; i < 2; ++i)
    rl_io_stop (&loop, &ends[i]);
  rl_destroy (&loop);
  pingpong_teardown (&pp);
}
