/* SPDX-License-Identifier: BSD-2-Clause */
/* pingpong.c - the ping-pong workload (common/pingpong.h) with libevent */
#include "libevent.h"
#include "common/pingpong.h"

#include <stdint.h>

static struct pingpong pp;
static struct event_base *base;

static void
read_cb (evutil_socket_t fd, short what, void *arg)
{
  (void)fd;
  (void)what;
  if (pingpong_event (&pp, (int)(intptr_t)arg))
    event_base_loopbreak (base);
}

void
wl_pingpong (void)
{
  pingpong_setup (&pp);
  base = bench_event_base ();
  struct event *ends[2];
  for (int i = 0; i < 2; ++i)
    {
      ends[i] = event_new (base, pp.fds[i], EV_READ | EV_PERSIST, read_cb, (void *)(intptr_t)i);
      CHECK (ends[i] && !event_add (ends[i], 0), "event_add");
    }
  struct region r;
  region_begin (&r, "pingpong");
  pingpong_serve (&pp);
  event_base_dispatch (base);
  region_end (&r, (double)pp.count, "ns/message");
  for (int i = 0; i < 2; ++i)
    event_free (ends[i]);
  event_base_free (base);
  pingpong_teardown (&pp);
}
