/* SPDX-License-Identifier: BSD-2-Clause */
/* idle.c - many idle connections and a 1 ms repeating timer (common/idle.h)
 * with libevent: a persistent read event per end, one persistent timer. */
#include "libevent.h"
#include "common/idle.h"

#include <stdlib.h>

static struct idle s;
static struct event_array evs;

static void
read_cb (evutil_socket_t fd, short what, void *arg)
{
  (void)fd;
  (void)what;
  (void)arg;
  die ("idle: an idle socket became readable");
}

static void
tick_cb (evutil_socket_t fd, short what, void *arg)
{
  (void)fd;
  (void)what;
  if (idle_tick (&s))
    event_del (arg);
}

void
wl_idle (void)
{
  idle_setup (&s);
  struct event_base *base = bench_event_base ();
  event_array_init (&evs, (size_t)s.n);
  for (int i = 0; i < s.n; ++i)
    {
      event_assign (event_at (&evs, i), base, s.fds[i], EV_READ | EV_PERSIST, read_cb, NULL);
      event_add (event_at (&evs, i), NULL);
    }
  struct event *tick = event_new (base, -1, EV_PERSIST, tick_cb, event_self_cbarg ());
  CHECK (tick, "event_new");
  struct timeval ms = tv_us (1000);
  event_base_loop (base, EVLOOP_NONBLOCK); /* the registrations, outside the measured runs */
  for (int run = 0; run <= s.runs; ++run)
    {
      struct region r;
      s.fired = 0;
      event_add (tick, &ms);
      if (run)
        region_begin (&r, s.label);
      while (event_pending (tick, EV_TIMEOUT, NULL))
        event_base_loop (base, EVLOOP_ONCE);
      if (run)
        region_end (&r, (double)s.fired, "ns/tick");
    }
  event_free (tick);
  for (int i = 0; i < s.n; ++i)
    event_del (event_at (&evs, i));
  event_base_free (base);
  free (evs.mem);
  idle_teardown (&s);
}
