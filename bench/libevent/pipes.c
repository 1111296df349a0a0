/* SPDX-License-Identifier: BSD-2-Clause */
/* pipes.c - the classic benchmark (common/pipes.h) with libevent: one event
 * per end carrying both the read interest and the timeout; re-arm is
 * event_del, event_assign, event_add(timeout), as in the original benchmark */
#include "libevent.h"
#include "common/pipes.h"

#include <stdlib.h>

static struct pipes p;
static struct event_array evs;

static void
read_cb (evutil_socket_t fd, short what, void *arg)
{
  (void)fd;
  (void)arg;
  if (what & EV_TIMEOUT)
    die ("pipes: a 10 s timeout expired");
  pipes_event (&p, (int)(intptr_t)arg);
}

void
wl_pipes (void)
{
  pipes_setup (&p);
  struct event_base *base = bench_event_base ();
  event_array_init (&evs, (size_t)p.n);
  for (int i = 0; i < p.n; ++i)
    event_assign (event_at (&evs, i), base, p.fds[i], EV_READ | EV_PERSIST, read_cb, (void *)(intptr_t)i);
  for (int run = 0; run <= p.runs; ++run)
    {
      struct region r;
      for (int pass = 0; pass < p.rearm_passes; ++pass)
        {
          if (pass)
            event_base_loop (base, EVLOOP_NONBLOCK);
          if (run)
            region_begin (&r, p.rearm_label);
          for (int i = 0; i < p.n; ++i)
            {
              struct event *ev = event_at (&evs, i);
              struct timeval tv = tv_us (pipes_timeout_us (&p));
              event_del (ev);
              event_assign (ev, base, p.fds[i], EV_READ | EV_PERSIST, read_cb, (void *)(intptr_t)i);
              event_add (ev, &tv);
            }
          if (run)
            region_end (&r, p.n, "ns/watcher");
        }
      if (run)
        region_begin (&r, p.process_label);
      pipes_start_chains (&p);
      while (!pipes_done (&p))
        event_base_loop (base, EVLOOP_ONCE);
      if (run)
        region_end (&r, (double)p.fired, "ns/event");
    }
  for (int i = 0; i < p.n; ++i)
    event_del (event_at (&evs, i));
  event_base_free (base);
  free (evs.mem);
  pipes_teardown (&p);
}
