/* SPDX-License-Identifier: BSD-2-Clause */
/* pingpong.c - the ping-pong workload (common/pingpong.h) with libuv */
#include "libuv.h"
#include "common/pingpong.h"

static struct pingpong pp;
static uv_poll_t ends[2];

static void
read_cb (uv_poll_t *h, int status, int events)
{
  (void)events;
  if (status < 0)
    die ("pingpong: poll error %s", uv_strerror (status));
  if (pingpong_event (&pp, (int)(h - ends)))
    uv_stop (h->loop);
}

void
wl_pingpong (void)
{
  pingpong_setup (&pp);
  static uv_loop_t loop;
  bench_uv_loop (&loop);
  for (int i = 0; i < 2; ++i)
    {
      UVCHECK (uv_poll_init_socket (&loop, &ends[i], pp.fds[i]));
      UVCHECK (uv_poll_start (&ends[i], UV_READABLE, read_cb));
    }
  struct region r;
  region_begin (&r, "pingpong");
  pingpong_serve (&pp);
  uv_run (&loop, UV_RUN_DEFAULT);
  region_end (&r, (double)pp.count, "ns/message");
  bench_uv_loop_close (&loop);
  pingpong_teardown (&pp);
}
