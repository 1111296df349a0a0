/* SPDX-License-Identifier: BSD-2-Clause */
/* calls.c - the calls servers make most (common/calls.h) with libevent 2.1:
 * a stop is event_del of an event that is not added (io, timer, signal),
 * "again" is event_add with the timeout, a re-arm event_del + event_assign +
 * event_add (as in pipes); the rest has no equivalent */
#include "libevent.h"
#include "common/calls.h"
#include "common/sockets.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

static struct calls_bench b;

static void
never_cb (evutil_socket_t fd, short what, void *arg)
{
  (void)fd;
  (void)what;
  (void)arg;
  die ("calls: an event that never fires was called");
}

static void
stop_row (unsigned kind, struct event *ev)
{
  struct region r;
  region_begin (&r, calls_stop_label (kind));
  for (long n = 0; n < b.ops; ++n)
    event_del (ev);
  region_end (&r, (double)b.ops, "ns/call");
}

void
wl_calls (void)
{
  calls_setup (&b);
  struct event_base *base = bench_event_base ();
  int *fds = socket_ring (CALLS_N);
  struct event_array one;
  event_array_init (&one, 3);
  event_assign (event_at (&one, 0), base, fds[0], EV_READ | EV_PERSIST, never_cb, NULL);
  evtimer_assign (event_at (&one, 1), base, never_cb, NULL);
  evsignal_assign (event_at (&one, 2), base, SIGUSR1, never_cb, NULL);
  for (unsigned k = 0; k < CALLS_STOP_KINDS; ++k)
    {
      const char *kind = calls_stop_kinds[k];
      if (!strcmp (kind, "io"))
        stop_row (k, event_at (&one, 0));
      else if (!strcmp (kind, "timer"))
        stop_row (k, event_at (&one, 1));
      else if (!strcmp (kind, "signal"))
        stop_row (k, event_at (&one, 2));
      else
        metric_na (calls_stop_label (k), "libevent 2.1 has no such watcher");
    }
  metric_na ("calls/clear-pending", "libevent 2.1 has no call that only clears an activation");

  struct event_array tm;
  event_array_init (&tm, CALLS_N);
  for (int i = 0; i < CALLS_N; ++i)
    evtimer_assign (event_at (&tm, i), base, never_cb, NULL);
  struct region r;
  for (long p = 0; p < b.passes; ++p)
    {
      region_begin (&r, "calls/timer-again-inactive");
      for (int i = 0; i < CALLS_N; ++i)
        {
          struct timeval tv = tv_us (60000000 + i * 1000);
          event_add (event_at (&tm, i), &tv);
        }
      region_end (&r, (double)CALLS_N, "ns/call");
      for (int i = 0; i < CALLS_N; ++i)
        event_del (event_at (&tm, i));
    }
  for (int i = 0; i < CALLS_N; ++i)
    {
      struct timeval tv = tv_us (60000000 + i * 1000);
      event_add (event_at (&tm, i), &tv);
    }
  region_begin (&r, "calls/timer-again-active");
  for (long p = 0; p < b.passes; ++p)
    for (int i = 0; i < CALLS_N; ++i)
      {
        struct timeval tv = tv_us (60000000 + i * 1000);
        event_add (event_at (&tm, i), &tv);
      }
  region_end (&r, (double)b.passes * CALLS_N, "ns/call");
  for (int i = 0; i < CALLS_N; ++i)
    event_del (event_at (&tm, i));

  metric_na ("calls/feed-invoke/N=1000", "libevent 2.1 cannot invoke activated events without polling");

  struct event_array io;
  event_array_init (&io, CALLS_N);
  for (int i = 0; i < CALLS_N; ++i)
    {
      event_assign (event_at (&io, i), base, fds[i], EV_READ | EV_PERSIST, never_cb, NULL);
      event_add (event_at (&io, i), NULL);
    }
  event_base_loop (base, EVLOOP_NONBLOCK);
  region_begin (&r, "calls/io-rearm/N=1000");
  for (long p = 0; p < b.passes; ++p)
    {
      for (int i = 0; i < CALLS_N; ++i)
        {
          struct event *ev = event_at (&io, i);
          event_del (ev);
          event_assign (ev, base, fds[i], EV_READ | EV_PERSIST, never_cb, NULL);
          event_add (ev, NULL);
        }
      event_base_loop (base, EVLOOP_NONBLOCK);
    }
  region_end (&r, (double)b.passes * CALLS_N, "ns/op");
  for (int i = 0; i < CALLS_N; ++i)
    event_del (event_at (&io, i));
  event_del (event_at (&one, 0));

  event_base_free (base);
  free (one.mem);
  free (tm.mem);
  free (io.mem);
  socket_ring_free (fds, CALLS_N);
}
