/* SPDX-License-Identifier: BSD-2-Clause */
/* loop.c - the loop-overhead workload (common/loop.h) with libevent.
 * libevent 2.1 has no prepare, check or idle watchers and no call that
 * invokes fed events without polling: those metrics are n/a. */
#include "libevent.h"
#include "common/loop.h"
#include "common/sockets.h"

#include <stdlib.h>

static void
never_cb (evutil_socket_t fd, short what, void *arg)
{
  (void)fd;
  (void)what;
  (void)arg;
  die ("loop: the idle descriptor became ready");
}

void
wl_loop (void)
{
  struct loop_bench b;
  loop_setup (&b);
  struct event_base *base = bench_event_base ();
  int *fds = socket_ring (2);
  struct event *keep = event_new (base, fds[0], EV_READ | EV_PERSIST, never_cb, 0);
  CHECK (keep && !event_add (keep, 0), "event_add");

  for (int i = 0; i < 100; ++i)
    event_base_loop (base, EVLOOP_NONBLOCK);
  long iters = loop_iters (&b, 0);
  struct region r;
  region_begin (&r, b.label[0]);
  for (long n = 0; n < iters; ++n)
    event_base_loop (base, EVLOOP_NONBLOCK);
  region_end (&r, (double)iters, "ns/iter");
  metric_na (b.label[1], "libevent 2.1 has no prepare/check/idle watchers");
  metric_na (b.label[2], "libevent 2.1 has no prepare/check/idle watchers");
  metric_na ("loop/feed-invoke", "libevent 2.1 cannot invoke activated events without polling");

  event_free (keep);
  event_base_free (base);
  socket_ring_free (fds, 2);
}
