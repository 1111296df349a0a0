/* SPDX-License-Identifier: BSD-2-Clause */
/* pingpong.c - the ping-pong workload (common/pingpong.h) with libev */
#include "libev.h"
#include "common/pingpong.h"

static struct pingpong pp;
static ev_io ends[2];

static void
read_cb (struct ev_loop *loop, ev_io *w, int revents)
{
  (void)revents;
  if (pingpong_event (&pp, (int)(w - ends)))
    ev_break (loop, EVBREAK_ALL);
}

void
wl_pingpong (void)
{
  pingpong_setup (&pp);
  struct ev_loop *loop = bench_ev_loop ();
  for (int i = 0; i < 2; ++i)
    {
      ev_io_init (&ends[i], read_cb, pp.fds[i], EV_READ);
      ev_io_start (loop, &ends[i]);
    }
  struct region r;
  region_begin (&r, "pingpong");
  pingpong_serve (&pp);
  ev_run (loop, 0);
  region_end (&r, (double)pp.count, "ns/message");
  for (int i = 0; i < 2; ++i)
    ev_io_stop (loop, &ends[i]);
  ev_loop_destroy (loop);
  pingpong_teardown (&pp);
}
