/* SPDX-License-Identifier: BSD-2-Clause */
/* idle.c - many idle connections and a 1 ms repeating timer (common/idle.h)
 * with libuv: a uv_poll_t per end, one repeating uv_timer_t. */
#include "libuv.h"
#include "common/idle.h"

#include <stdlib.h>

static struct idle s;

static void
read_cb (uv_poll_t *h, int status, int events)
{
  (void)h;
  (void)status;
  (void)events;
  die ("idle: an idle socket became readable");
}

static void
tick_cb (uv_timer_t *h)
{
  if (idle_tick (&s))
    uv_timer_stop (h);
}

void
wl_idle (void)
{
  idle_setup (&s);
  static uv_loop_t loop;
  bench_uv_loop (&loop);
  uv_poll_t *ios = calloc ((size_t)s.n, sizeof *ios);
  CHECK (ios, "calloc");
  for (int i = 0; i < s.n; ++i)
    {
      UVCHECK (uv_poll_init_socket (&loop, &ios[i], s.fds[i]));
      UVCHECK (uv_poll_start (&ios[i], UV_READABLE, read_cb));
    }
  static uv_timer_t tick;
  UVCHECK (uv_timer_init (&loop, &tick));
  uv_run (&loop, UV_RUN_NOWAIT); /* the registrations, outside the measured runs */
  for (int run = 0; run <= s.runs; ++run)
    {
      struct region r;
      s.fired = 0;
      UVCHECK (uv_timer_start (&tick, tick_cb, 1, 1));
      if (run)
        region_begin (&r, s.label);
      while (uv_is_active ((uv_handle_t *)&tick))
        uv_run (&loop, UV_RUN_ONCE);
      if (run)
        region_end (&r, (double)s.fired, "ns/tick");
    }
  bench_uv_loop_close (&loop);
  free (ios);
  idle_teardown (&s);
}
