/* SPDX-License-Identifier: BSD-2-Clause */
/* calls.c - the calls servers make most (common/calls.h) with libuv: a stop
 * is uv_*_stop of a handle never started (poll, timer, signal, idle,
 * prepare, check), "again" on an inactive timer uv_timer_start (libuv's
 * uv_timer_again refuses a timer never started), on an active one
 * uv_timer_again, a re-arm uv_poll_start on the started handle (libuv
 * documents it as updating it); the rest has no equivalent */
#include "libuv.h"
#include "common/calls.h"
#include "common/sockets.h"

#include <signal.h>
#include <string.h>

static struct calls_bench b;

static void
never_timer (uv_timer_t *h)
{
  (void)h;
  die ("calls: a timer that never fires was called");
}

static void
never_poll (uv_poll_t *h, int status, int events)
{
  (void)h;
  (void)status;
  (void)events;
  die ("calls: a descriptor that never becomes ready was reported");
}

#define STOP_ROW(kind, stop, h)                                                                            \
  do                                                                                                       \
    {                                                                                                      \
      struct region r;                                                                                     \
      region_begin (&r, calls_stop_label (kind));                                                          \
      for (long n = 0; n < b.ops; ++n)                                                                     \
        stop (h);                                                                                          \
      region_end (&r, (double)b.ops, "ns/call");                                                           \
    }                                                                                                      \
  while (0)

void
wl_calls (void)
{
  calls_setup (&b);
  static uv_loop_t loop;
  bench_uv_loop (&loop);
  int *fds = socket_ring (CALLS_N);

  static uv_poll_t po;
  static uv_timer_t tm1;
  static uv_signal_t si;
  static uv_idle_t id;
  static uv_prepare_t pr;
  static uv_check_t ck;
  UVCHECK (uv_poll_init_socket (&loop, &po, fds[0]));
  UVCHECK (uv_timer_init (&loop, &tm1));
  UVCHECK (uv_signal_init (&loop, &si));
  UVCHECK (uv_idle_init (&loop, &id));
  UVCHECK (uv_prepare_init (&loop, &pr));
  UVCHECK (uv_check_init (&loop, &ck));
  for (unsigned k = 0; k < CALLS_STOP_KINDS; ++k)
    {
      const char *kind = calls_stop_kinds[k];
      if (!strcmp (kind, "io"))
        STOP_ROW (k, uv_poll_stop, &po);
      else if (!strcmp (kind, "timer"))
        STOP_ROW (k, uv_timer_stop, &tm1);
      else if (!strcmp (kind, "signal"))
        STOP_ROW (k, uv_signal_stop, &si);
      else if (!strcmp (kind, "idle"))
        STOP_ROW (k, uv_idle_stop, &id);
      else if (!strcmp (kind, "prepare"))
        STOP_ROW (k, uv_prepare_stop, &pr);
      else if (!strcmp (kind, "check"))
        STOP_ROW (k, uv_check_stop, &ck);
      else
        metric_na (calls_stop_label (k), "libuv has no such handle, or no stop for it");
    }
  metric_na ("calls/clear-pending", "libuv has no pending state a program can clear");

  static uv_timer_t tm[CALLS_N];
  for (int i = 0; i < CALLS_N; ++i)
    UVCHECK (uv_timer_init (&loop, &tm[i]));
  struct region r;
  for (long p = 0; p < b.passes; ++p)
    {
      region_begin (&r, "calls/timer-again-inactive");
      for (int i = 0; i < CALLS_N; ++i)
        uv_timer_start (&tm[i], never_timer, 60000 + i, 60000 + i);
      region_end (&r, (double)CALLS_N, "ns/call");
      for (int i = 0; i < CALLS_N; ++i)
        uv_timer_stop (&tm[i]);
    }
  for (int i = 0; i < CALLS_N; ++i)
    UVCHECK (uv_timer_start (&tm[i], never_timer, 60000 + i, 60000 + i));
  region_begin (&r, "calls/timer-again-active");
  for (long p = 0; p < b.passes; ++p)
    for (int i = 0; i < CALLS_N; ++i)
      uv_timer_again (&tm[i]);
  region_end (&r, (double)b.passes * CALLS_N, "ns/call");
  for (int i = 0; i < CALLS_N; ++i)
    uv_timer_stop (&tm[i]);

  metric_na ("calls/feed-invoke/N=1000", "libuv has no call that feeds an event to a handle");

  static uv_poll_t io[CALLS_N];
  UVCHECK (uv_poll_start (&po, UV_READABLE, never_poll));
  uv_poll_stop (&po);
  for (int i = 1; i < CALLS_N; ++i)
    UVCHECK (uv_poll_init_socket (&loop, &io[i], fds[i]));
  uv_poll_t *h[CALLS_N];
  h[0] = &po;
  for (int i = 1; i < CALLS_N; ++i)
    h[i] = &io[i];
  for (int i = 0; i < CALLS_N; ++i)
    UVCHECK (uv_poll_start (h[i], UV_READABLE, never_poll));
  uv_run (&loop, UV_RUN_NOWAIT);
  region_begin (&r, "calls/io-rearm/N=1000");
  for (long p = 0; p < b.passes; ++p)
    {
      for (int i = 0; i < CALLS_N; ++i)
        uv_poll_start (h[i], UV_READABLE, never_poll);
      uv_run (&loop, UV_RUN_NOWAIT);
    }
  region_end (&r, (double)b.passes * CALLS_N, "ns/op");
  for (int i = 0; i < CALLS_N; ++i)
    uv_poll_stop (h[i]);

  bench_uv_loop_close (&loop);
  socket_ring_free (fds, CALLS_N);
}
