/* SPDX-License-Identifier: BSD-2-Clause */
/* async.c - the async workload (common/async.h) with libuv: uv_async_t */
#include "libuv.h"
#include "common/async.h"

static struct async_bench b;
static uv_async_t as;
static long flood_calls;

static void
wake_send (void *ctx)
{
  (void)ctx;
  uv_async_send (&as);
}

static void
wake_cb (uv_async_t *h)
{
  if (async_received (&b))
    uv_stop (h->loop);
}

static void
flood_cb (uv_async_t *h)
{
  (void)h;
  ++flood_calls;
}

void
wl_async (void)
{
  async_setup (&b, wake_send, 0);
  static uv_loop_t loop;
  bench_uv_loop (&loop);
  UVCHECK (uv_async_init (&loop, &as, wake_cb));
  async_sender_start (&b);
  uv_run (&loop, UV_RUN_DEFAULT);
  async_sender_join (&b);
  async_report_latency (&b);
  uv_close ((uv_handle_t *)&as, 0);
  uv_run (&loop, UV_RUN_NOWAIT);

  UVCHECK (uv_async_init (&loop, &as, flood_cb));
  uv_async_send (&as); /* pending from now on */
  struct region r;
  region_begin (&r, "async/redundant-send");
  for (long n = 0; n < b.sends; ++n)
    uv_async_send (&as);
  region_end (&r, (double)b.sends, "ns/send");
  uv_run (&loop, UV_RUN_NOWAIT);
  if (flood_calls != 1)
    die ("async: %ld callbacks after a flood, expected 1", flood_calls);
  bench_uv_loop_close (&loop);
}
