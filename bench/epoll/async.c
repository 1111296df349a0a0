/* SPDX-License-Identifier: BSD-2-Clause */
/* async.c - the async workload (common/async.h) on the raw epoll loop:
 * an eventfd written only when the handle's flag goes from 0 to 1 */
#include "rl.h"
#include "common/async.h"

static struct async_bench b;
static struct rl_loop loop;
static struct rl_async as;
static long flood_calls;

static void
wake_send (void *ctx)
{
  (void)ctx;
  rl_async_send (&loop, &as);
}

static void
wake_cb (struct rl_loop *l, struct rl_async *a)
{
  (void)a;
  if (async_received (&b))
    rl_stop (l);
}

static void
flood_cb (struct rl_loop *l, struct rl_async *a)
{
  (void)l;
  (void)a;
  ++flood_calls;
}

void
wl_async (void)
{
  async_setup (&b, wake_send, 0);
  rl_init (&loop);
  as.cb = wake_cb;
  rl_async_start (&loop, &as);
  async_sender_start (&b);
  rl_run (&loop, RL_DEFAULT);
  async_sender_join (&b);
  async_report_latency (&b);

  as.cb = flood_cb;
  rl_async_send (&loop, &as);
  struct region r;
  region_begin (&r, "async/redundant-send");
  for (long n = 0; n < b.sends; ++n)
    rl_async_send (&loop, &as);
  region_end (&r, (double)b.sends, "ns/send");
  rl_run (&loop, RL_NOWAIT);
  if (flood_calls != 1)
    die ("async: %ld callbacks after a flood, expected 1", flood_calls);
  rl_destroy (&loop);
}
