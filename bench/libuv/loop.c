/* SPDX-License-Identifier: BSD-2-Clause */
/* loop.c - the loop-overhead workload (common/loop.h) with libuv.  libuv has
 * no call that feeds an event to a handle: feed-invoke is n/a. */
#include "libuv.h"
#include "common/loop.h"
#include "common/sockets.h"

static struct loop_bench b;

static void prep_cb (uv_prepare_t *h) { (void)h; ++b.calls; }
static void check_cb (uv_check_t *h) { (void)h; ++b.calls; }
static void idle_cb (uv_idle_t *h) { (void)h; ++b.calls; }

static void
never_cb (uv_poll_t *h, int status, int events)
{
  (void)h;
  (void)status;
  (void)events;
  die ("loop: the idle descriptor became ready");
}

void
wl_loop (void)
{
  loop_setup (&b);
  static uv_loop_t loop;
  bench_uv_loop (&loop);
  int *fds = socket_ring (2);
  uv_poll_t keep;
  UVCHECK (uv_poll_init_socket (&loop, &keep, fds[0]));
  UVCHECK (uv_poll_start (&keep, UV_READABLE, never_cb));
  static uv_prepare_t prep[LOOP_MAX_K];
  static uv_check_t chk[LOOP_MAX_K];
  static uv_idle_t idl[LOOP_MAX_K];
  for (int i = 0; i < LOOP_MAX_K; ++i)
    {
      UVCHECK (uv_prepare_init (&loop, &prep[i]));
      UVCHECK (uv_check_init (&loop, &chk[i]));
      UVCHECK (uv_idle_init (&loop, &idl[i]));
    }

  for (int ki = 0; ki < 3; ++ki)
    {
      int k = loop_ks[ki];
      long iters = loop_iters (&b, k);
      for (int i = 0; i < k; ++i)
        {
          uv_prepare_start (&prep[i], prep_cb);
          uv_check_start (&chk[i], check_cb);
          uv_idle_start (&idl[i], idle_cb);
        }
      for (int i = 0; i < 100; ++i)
        uv_run (&loop, UV_RUN_NOWAIT);
      b.calls = 0;
      struct region r;
      region_begin (&r, b.label[ki]);
      for (long n = 0; n < iters; ++n)
        uv_run (&loop, UV_RUN_NOWAIT);
      region_end (&r, (double)iters, "ns/iter");
      loop_check_calls (&b, iters * 3 * k, b.label[ki]);
      for (int i = 0; i < k; ++i)
        {
          uv_prepare_stop (&prep[i]);
          uv_check_stop (&chk[i]);
          uv_idle_stop (&idl[i]);
        }
    }
  metric_na ("loop/feed-invoke", "libuv has no call that feeds an event to a handle");

  bench_uv_loop_close (&loop);
  socket_ring_free (fds, 2);
}
