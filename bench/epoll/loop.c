/* SPDX-License-Identifier: BSD-2-Clause */
/* loop.c - the loop-overhead workload (common/loop.h) on the raw epoll loop */
#include "rl.h"
#include "common/loop.h"
#include "common/sockets.h"

static struct loop_bench b;

static void
count_cb (struct rl_loop *loop, struct rl_hook *h)
{
  (void)loop;
  (void)h;
  ++b.calls;
}

static void
fed_cb (struct rl_loop *loop, void *arg)
{
  (void)loop;
  (void)arg;
  ++b.calls;
}

static void
never_cb (struct rl_loop *loop, struct rl_io *io, uint32_t events)
{
  (void)loop;
  (void)io;
  (void)events;
  die ("loop: the idle descriptor became ready");
}

void
wl_loop (void)
{
  loop_setup (&b);
  static struct rl_loop loop;
  rl_init (&loop);
  int *fds = socket_ring (2);
  struct rl_io keep = { .fd = fds[0], .cb = never_cb };
  rl_io_start (&loop, &keep, EPOLLIN);
  static struct rl_hook prep[LOOP_MAX_K], chk[LOOP_MAX_K], idl[LOOP_MAX_K];

  for (int ki = 0; ki < 3; ++ki)
    {
      int k = loop_ks[ki];
      long iters = loop_iters (&b, k);
      for (int i = 0; i < k; ++i)
        {
          prep[i].cb = chk[i].cb = idl[i].cb = count_cb;
          rl_prepare_start (&loop, &prep[i]);
          rl_check_start (&loop, &chk[i]);
          rl_idle_start (&loop, &idl[i]);
        }
      for (int i = 0; i < 100; ++i)
        rl_run (&loop, RL_NOWAIT);
      b.calls = 0;
      struct region r;
      region_begin (&r, b.label[ki]);
      for (long n = 0; n < iters; ++n)
        rl_run (&loop, RL_NOWAIT);
      region_end (&r, (double)iters, "ns/iter");
      loop_check_calls (&b, iters * 3 * k, b.label[ki]);
      for (int i = 0; i < k; ++i)
        {
          rl_prepare_stop (&loop, &prep[i]);
          rl_check_stop (&loop, &chk[i]);
          rl_idle_stop (&loop, &idl[i]);
        }
    }

  struct region r;
  region_begin (&r, "loop/feed-invoke");
  for (long n = 0; n < b.feeds; ++n)
    {
      rl_feed (&loop, fed_cb, 0);
      rl_invoke_pending (&loop);
    }
  region_end (&r, (double)b.feeds, "ns/event");
  loop_check_calls (&b, b.feeds, "feed-invoke");

  rl_io_stop (&loop, &keep);
  rl_destroy (&loop);
  socket_ring_free (fds, 2);
}
