/* SPDX-License-Identifier: BSD-2-Clause */
/* memory.c - resident memory per watcher (common/memory.h) with libevent */
#include "libevent.h"
#include "common/harness.h"
#include "common/memory.h"
#include "common/sockets.h"

#include <stdlib.h>
#include <string.h>

static void
nop_cb (evutil_socket_t fd, short what, void *arg)
{
  (void)fd;
  (void)what;
  (void)arg;
}

void
wl_memory (void)
{
  const char *what = arg_str ("what", "timers");
  struct event_base *base = bench_event_base ();
  struct rng rng = rng_seed (3);
  struct event_array w;
  if (!strcmp (what, "timers"))
    {
      long m = arg_long ("m", 1000000);
      long base_rss = mem_baseline ();
      event_array_init (&w, (size_t)m);
      for (long i = 0; i < m; ++i)
        {
          struct timeval tv = tv_us (1000000000L + rng_below (&rng, 1000000));
          evtimer_assign (event_at (&w, i), base, nop_cb, 0);
          evtimer_add (event_at (&w, i), &tv);
        }
      event_base_loop (base, EVLOOP_NONBLOCK);
      mem_report (what, m, base_rss);
      for (long i = 0; i < m; ++i)
        event_del (event_at (&w, i));
      free (w.mem);
    }
  else if (!strcmp (what, "io"))
    {
      int n = (int)arg_long ("n", 10000);
      int *fds = socket_ring (n);
      long base_rss = mem_baseline ();
      event_array_init (&w, (size_t)n);
      for (int i = 0; i < n; ++i)
        {
          event_assign (event_at (&w, i), base, fds[i], EV_READ | EV_PERSIST, nop_cb, 0);
          event_add (event_at (&w, i), 0);
        }
      event_base_loop (base, EVLOOP_NONBLOCK);
      mem_report (what, n, base_rss);
      for (int i = 0; i < n; ++i)
        event_del (event_at (&w, i));
      free (w.mem);
      socket_ring_free (fds, n);
    }
  else
    die ("memory: what=%s: expected timers or io", what);
  event_base_free (base);
}
