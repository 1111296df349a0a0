/* SPDX-License-Identifier: BSD-2-Clause */
/* calls.c - the calls servers make most (common/calls.h) with libev */
#include "libev.h"
#include "common/calls.h"
#include "common/sockets.h"

#include <signal.h>
#include <stdlib.h>

static struct calls_bench b;

static void
count_cb (struct ev_loop *loop, ev_watcher *w, int revents)
{
  (void)loop;
  (void)w;
  (void)revents;
  ++b.calls;
}

static void
never_cb (struct ev_loop *loop, ev_watcher *w, int revents)
{
  (void)loop;
  (void)w;
  (void)revents;
  die ("calls: a watcher that never fires was called");
}

#define CB(type) ((void (*) (struct ev_loop *, type *, int))never_cb)

/* ops calls of STOP on the never-started watcher W, in a region */
#define STOP_ROW(kind, stop, w)                                                                            \
  do                                                                                                       \
    {                                                                                                      \
      struct region r;                                                                                     \
      region_begin (&r, calls_stop_label (kind));                                                          \
      for (long n = 0; n < b.ops; ++n)                                                                     \
        stop (loop, w);                                                                                    \
      region_end (&r, (double)b.ops, "ns/call");                                                           \
      if (ev_is_active (w) || ev_is_pending (w))                                                           \
        die ("calls: the stopped watcher is active or pending");                                          \
    }                                                                                                      \
  while (0)

static void
stop_rows (struct ev_loop *loop, int fd)
{
  ev_io io;
  ev_timer tm;
  ev_periodic pe;
  ev_signal si;
  ev_child ch;
  ev_stat st;
  ev_idle id;
  ev_prepare pr;
  ev_check ck;
  ev_fork fo;
  ev_cleanup cl;
  ev_async as;
  ev_embed em;
  ev_io_init (&io, CB (ev_io), fd, EV_READ);
  ev_timer_init (&tm, CB (ev_timer), 1., 0.);
  ev_periodic_init (&pe, CB (ev_periodic), 0., 1., 0);
  ev_signal_init (&si, CB (ev_signal), SIGUSR1);
  ev_child_init (&ch, CB (ev_child), 0, 0);
  ev_stat_init (&st, CB (ev_stat), "/", 0.);
  ev_idle_init (&id, CB (ev_idle));
  ev_prepare_init (&pr, CB (ev_prepare));
  ev_check_init (&ck, CB (ev_check));
  ev_fork_init (&fo, CB (ev_fork));
  ev_cleanup_init (&cl, CB (ev_cleanup));
  ev_async_init (&as, CB (ev_async));
  ev_embed_init (&em, CB (ev_embed), NULL); /* never started: its loop is never read */
  unsigned k = 0;
  STOP_ROW (k++, ev_io_stop, &io);
  STOP_ROW (k++, ev_timer_stop, &tm);
  STOP_ROW (k++, ev_periodic_stop, &pe);
  STOP_ROW (k++, ev_signal_stop, &si);
  STOP_ROW (k++, ev_child_stop, &ch);
  STOP_ROW (k++, ev_stat_stop, &st);
  STOP_ROW (k++, ev_idle_stop, &id);
  STOP_ROW (k++, ev_prepare_stop, &pr);
  STOP_ROW (k++, ev_check_stop, &ck);
  STOP_ROW (k++, ev_fork_stop, &fo);
  STOP_ROW (k++, ev_cleanup_stop, &cl);
  STOP_ROW (k++, ev_async_stop, &as);
  STOP_ROW (k++, ev_embed_stop, &em);
  if (k != CALLS_STOP_KINDS)
    die ("calls: %u stop rows for %u kinds", k, (unsigned)CALLS_STOP_KINDS);

  struct region r;
  region_begin (&r, "calls/clear-pending");
  long cleared = 0;
  for (long n = 0; n < b.ops; ++n)
    cleared += ev_clear_pending (loop, &tm);
  region_end (&r, (double)b.ops, "ns/call");
  if (cleared)
    die ("calls: ev_clear_pending found a pending watcher");
}

void
wl_calls (void)
{
  calls_setup (&b);
  struct ev_loop *loop = bench_ev_loop ();
  int *fds = socket_ring (CALLS_N);
  stop_rows (loop, fds[0]);

  static ev_timer tm[CALLS_N];
  struct region r;
  for (int i = 0; i < CALLS_N; ++i)
    ev_timer_init (&tm[i], CB (ev_timer), 0., 60. + i * 1e-3);
  for (long p = 0; p < b.passes; ++p)
    {
      region_begin (&r, "calls/timer-again-inactive");
      for (int i = 0; i < CALLS_N; ++i)
        ev_timer_again (loop, &tm[i]);
      region_end (&r, (double)CALLS_N, "ns/call");
      for (int i = 0; i < CALLS_N; ++i)
        ev_timer_stop (loop, &tm[i]);
    }
  for (int i = 0; i < CALLS_N; ++i)
    ev_timer_again (loop, &tm[i]);
  region_begin (&r, "calls/timer-again-active");
  for (long p = 0; p < b.passes; ++p)
    for (int i = 0; i < CALLS_N; ++i)
      ev_timer_again (loop, &tm[i]);
  region_end (&r, (double)b.passes * CALLS_N, "ns/call");
  for (int i = 0; i < CALLS_N; ++i)
    ev_timer_stop (loop, &tm[i]);

  static ev_idle fed[CALLS_N];
  for (int i = 0; i < CALLS_N; ++i)
    ev_idle_init (&fed[i], (void (*) (struct ev_loop *, ev_idle *, int))count_cb);
  region_begin (&r, "calls/feed-invoke/N=1000");
  for (long p = 0; p < b.passes; ++p)
    {
      for (int i = 0; i < CALLS_N; ++i)
        ev_feed_event (loop, &fed[i], EV_CUSTOM);
      ev_invoke_pending (loop);
    }
  region_end (&r, (double)b.passes * CALLS_N, "ns/event");
  calls_check (&b, b.passes * CALLS_N, "feed-invoke");

  static ev_io io[CALLS_N];
  for (int i = 0; i < CALLS_N; ++i)
    {
      ev_io_init (&io[i], CB (ev_io), fds[i], EV_READ);
      ev_io_start (loop, &io[i]);
    }
  ev_run (loop, EVRUN_NOWAIT);
  region_begin (&r, "calls/io-rearm/N=1000");
  for (long p = 0; p < b.passes; ++p)
    {
      for (int i = 0; i < CALLS_N; ++i)
        {
          ev_io_stop (loop, &io[i]);
          ev_io_set (&io[i], fds[i], EV_READ);
          ev_io_start (loop, &io[i]);
        }
      ev_run (loop, EVRUN_NOWAIT);
    }
  region_end (&r, (double)b.passes * CALLS_N, "ns/op");
  for (int i = 0; i < CALLS_N; ++i)
    ev_io_stop (loop, &io[i]);

  ev_loop_destroy (loop);
  socket_ring_free (fds, CALLS_N);
}
