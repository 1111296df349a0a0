/* SPDX-License-Identifier: BSD-2-Clause */
/* async.c - the async workload (common/async.h) with libev: ev_async */
#include "libev.h"
#include "common/async.h"

static struct async_bench b;
static struct ev_loop *loop;
static ev_async as;
static long flood_calls;

static void
wake_send (void *ctx)
{
  (void)ctx;
  ev_async_send (loop, &as);
}

static void
wake_cb (struct ev_loop *l, ev_async *w, int revents)
{
  (void)w;
  (void)revents;
  if (async_received (&b))
    ev_break (l, EVBREAK_ALL);
}

static void
flood_cb (struct ev_loop *l, ev_async *w, int revents)
{
  (void)l;
  (void)w;
  (void)revents;
  ++flood_calls;
}

void
wl_async (void)
{
  async_setup (&b, wake_send, 0);
  loop = bench_ev_loop ();
  ev_async_init (&as, wake_cb);
  ev_async_start (loop, &as);
  async_sender_start (&b);
  ev_run (loop, 0);
  async_sender_join (&b);
  async_report_latency (&b);

  ev_set_cb (&as, flood_cb);
  ev_async_send (loop, &as); /* pending from now on */
  struct region r;
  region_begin (&r, "async/redundant-send");
  for (long n = 0; n < b.sends; ++n)
    ev_async_send (loop, &as);
  region_end (&r, (double)b.sends, "ns/send");
  ev_run (loop, EVRUN_NOWAIT);
  if (flood_calls != 1)
    die ("async: %ld callbacks after a flood, expected 1", flood_calls);

  ev_async_stop (loop, &as);
  ev_loop_destroy (loop);
}
