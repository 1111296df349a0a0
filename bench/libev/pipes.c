/* SPDX-License-Identifier: BSD-2-Clause */
/* pipes.c - the classic benchmark (common/pipes.h) with libev: an ev_io and
 * an ev_timer per end; re-arm is stop, set, start for both. */
#include "libev.h"
#include "common/pipes.h"

#include <stdlib.h>

static struct pipes p;
static ev_io *ios;
static ev_timer *tos;

static void
read_cb (struct ev_loop *loop, ev_io *w, int revents)
{
  (void)loop;
  (void)revents;
  pipes_event (&p, (int)(w - ios));
}

static void
timeout_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)loop;
  (void)w;
  (void)revents;
  die ("pipes: a 10 s timeout expired");
}

void
wl_pipes (void)
{
  pipes_setup (&p);
  struct ev_loop *loop = bench_ev_loop ();
  ios = calloc ((size_t)p.n, sizeof *ios);
  tos = calloc ((size_t)p.n, sizeof *tos);
  CHECK (ios && tos, "calloc");
  for (int i = 0; i < p.n; ++i)
    {
      ev_io_init (&ios[i], read_cb, p.fds[i], EV_READ);
      ev_timer_init (&tos[i], timeout_cb, 0., 0.);
    }
  for (int run = 0; run <= p.runs; ++run)
    {
      struct region r;
      for (int pass = 0; pass < p.rearm_passes; ++pass)
        {
          if (pass)
            ev_run (loop, EVRUN_NOWAIT);
          if (run)
            region_begin (&r, p.rearm_label);
          for (int i = 0; i < p.n; ++i)
            {
              ev_io_stop (loop, &ios[i]);
              ev_io_set (&ios[i], p.fds[i], EV_READ);
              ev_io_start (loop, &ios[i]);
              ev_timer_stop (loop, &tos[i]);
              ev_timer_set (&tos[i], pipes_timeout_us (&p) * 1e-6, 0.);
              ev_timer_start (loop, &tos[i]);
            }
          if (run)
            region_end (&r, p.n, "ns/watcher");
        }
      if (run)
        region_begin (&r, p.process_label);
      pipes_start_chains (&p);
      while (!pipes_done (&p))
        ev_run (loop, EVRUN_ONCE);
      if (run)
        region_end (&r, (double)p.fired, "ns/event");
    }
  for (int i = 0; i < p.n; ++i)
    {
      ev_io_stop (loop, &ios[i]);
      ev_timer_stop (loop, &tos[i]);
    }
  ev_loop_destroy (loop);
  free (ios);
  free (tos);
  pipes_teardown (&p);
}
