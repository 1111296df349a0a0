/* SPDX-License-Identifier: BSD-2-Clause */
/* loop.c - the loop-overhead workload (common/loop.h) with libev */
#include "libev.h"
#include "common/loop.h"
#include "common/sockets.h"

static struct loop_bench b;

static void
count_cb (struct ev_loop *loop, ev_watcher *w, int revents)
{
  (void)loop;
  (void)w;
  (void)revents;
  ++b.calls;
}

static void
never_cb (struct ev_loop *loop, ev_io *w, int revents)
{
  (void)loop;
  (void)w;
  (void)revents;
  die ("loop: the idle descriptor became ready");
}

void
wl_loop (void)
{
  loop_setup (&b);
  struct ev_loop *loop = bench_ev_loop ();
  int *fds = socket_ring (2);
  ev_io keep;
  ev_io_init (&keep, never_cb, fds[0], EV_READ);
  ev_io_start (loop, &keep);
  static ev_prepare prep[LOOP_MAX_K];
  static ev_check chk[LOOP_MAX_K];
  static ev_idle idl[LOOP_MAX_K];

  for (int ki = 0; ki < 3; ++ki)
    {
      int k = loop_ks[ki];
      long iters = loop_iters (&b, k);
      for (int i = 0; i < k; ++i)
        {
          ev_prepare_init (&prep[i], (void (*) (struct ev_loop *, ev_prepare *, int))count_cb);
          ev_check_init (&chk[i], (void (*) (struct ev_loop *, ev_check *, int))count_cb);
          ev_idle_init (&idl[i], (void (*) (struct ev_loop *, ev_idle *, int))count_cb);
          ev_prepare_start (loop, &prep[i]);
          ev_check_start (loop, &chk[i]);
          ev_idle_start (loop, &idl[i]);
        }
      for (int i = 0; i < 100; ++i) /* warm-up */
        ev_run (loop, EVRUN_NOWAIT);
      b.calls = 0;
      struct region r;
      region_begin (&r, b.label[ki]);
      for (long n = 0; n < iters; ++n)
        ev_run (loop, EVRUN_NOWAIT);
      region_end (&r, (double)iters, "ns/iter");
      loop_check_calls (&b, iters * 3 * k, b.label[ki]);
      for (int i = 0; i < k; ++i)
        {
          ev_prepare_stop (loop, &prep[i]);
          ev_check_stop (loop, &chk[i]);
          ev_idle_stop (loop, &idl[i]);
        }
    }

  ev_idle fed;
  ev_idle_init (&fed, (void (*) (struct ev_loop *, ev_idle *, int))count_cb);
  struct region r;
  region_begin (&r, "loop/feed-invoke");
  for (long n = 0; n < b.feeds; ++n)
    {
      ev_feed_event (loop, &fed, EV_CUSTOM);
      ev_invoke_pending (loop);
    }
  region_end (&r, (double)b.feeds, "ns/event");
  loop_check_calls (&b, b.feeds, "feed-invoke");

  ev_io_stop (loop, &keep);
  ev_loop_destroy (loop);
  socket_ring_free (fds, 2);
}
