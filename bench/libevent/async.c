/* SPDX-License-Identifier: BSD-2-Clause */
/* async.c - the async workload (common/async.h) with libevent: the natural
 * cross-thread wake-up is event_active() on a base made thread-safe with
 * evthread_use_pthreads() (which wakes the base through its notify fd) */
#include "libevent.h"
#include "common/async.h"

#include <event2/thread.h>

static struct async_bench b;
static struct event_base *base;
static struct event *ev;
static long flood_calls;

static void
wake_send (void *ctx)
{
  (void)ctx;
  event_active (ev, EV_READ, 1);
}

static void
wake_cb (evutil_socket_t fd, short what, void *arg)
{
  (void)fd;
  (void)what;
  (void)arg;
  if (async_received (&b))
    event_base_loopbreak (base);
}

static void
flood_cb (evutil_socket_t fd, short what, void *arg)
{
  (void)fd;
  (void)what;
  (void)arg;
  ++flood_calls;
}

void
wl_async (void)
{
  if (evthread_use_pthreads ())
    die ("evthread_use_pthreads failed");
  async_setup (&b, wake_send, 0);
  base = bench_event_base ();
  ev = event_new (base, -1, 0, wake_cb, 0);
  CHECK (ev, "event_new");
  async_sender_start (&b);
  event_base_loop (base, EVLOOP_NO_EXIT_ON_EMPTY);
  async_sender_join (&b);
  async_report_latency (&b);
  event_free (ev);

  ev = event_new (base, -1, 0, flood_cb, 0);
  CHECK (ev, "event_new");
  event_active (ev, EV_READ, 1); /* active from now on */
  struct region r;
  region_begin (&r, "async/redundant-send");
  for (long n = 0; n < b.sends; ++n)
    event_active (ev, EV_READ, 1);
  region_end (&r, (double)b.sends, "ns/send");
  event_base_loop (base, EVLOOP_NONBLOCK);
  if (flood_calls != 1)
    die ("async: %ld callbacks after a flood, expected 1", flood_calls);
  event_free (ev);
  event_base_free (base);
}
