/* SPDX-License-Identifier: BSD-2-Clause */
/* ev_embed: an epoll loop embedded into a loop of each backend. With a NULL callback the
 * outer loop sweeps the inner one itself (the inner io callback runs from the outer
 * ev_run); with a callback it gets EV_EMBED and sweeps with ev_embed_sweep; an active
 * embed holds 4 references in the outer loop; stopping it. */
#include "scenario.h"

static struct ev_loop *inner;

static void
inner_io_cb (struct ev_loop *loop, ev_io *w, int revents)
{
  char c;

  T ("inner io revents=0x%x read=%d inner depth %d", revents, (int)read (w->fd, &c, 1),
     ev_depth (loop));
}

static void
embed_cb (struct ev_loop *loop, ev_embed *w, int revents)
{
  T ("embed revents=0x%x outer depth %d", revents, ev_depth (loop));
  ev_embed_sweep (loop, w);
}

static void
scenario (void)
{
  struct ev_loop *outer = sc_loop_new (0);
  ev_embed e;
  ev_io io;
  int p[2];

  SC_REQUIRE (ev_embeddable_backends () & ev_supported_backends () & EVBACKEND_EPOLL);
  inner = ev_loop_new (EVBACKEND_EPOLL);
  SC_REQUIRE (inner);
  SC_REQUIRE (pipe (p) == 0);
  ev_io_init (&io, inner_io_cb, p[0], EV_READ);
  ev_io_start (inner, &io);

  ev_embed_init (&e, 0, inner);
  ev_embed_start (outer, &e);
  T ("embed active %d; outer NOWAIT returns %d", e.active, ev_run (outer, EVRUN_NOWAIT));

  T ("-- automatic sweep");
  SC_REQUIRE (write (p[1], "a", 1) == 1);
  ev_run (outer, EVRUN_ONCE);
  T ("outer NOWAIT with nothing ready returns %d", ev_run (outer, EVRUN_NOWAIT));
  ev_embed_stop (outer, &e);
  T ("stopped: outer NOWAIT returns %d", ev_run (outer, EVRUN_NOWAIT));

  T ("-- with a callback");
  ev_embed_init (&e, embed_cb, inner);
  ev_embed_start (outer, &e);
  SC_REQUIRE (write (p[1], "b", 1) == 1);
  ev_run (outer, EVRUN_ONCE);
  ev_run (outer, EVRUN_NOWAIT);

  T ("-- a watcher restarted in the inner loop while embedded: the embed's prepare");
  T ("   watcher brings the inner loop up to date before the outer loop blocks");
  ev_io_stop (inner, &io);
  SC_REQUIRE (write (p[1], "c", 1) == 1);
  ev_io_start (inner, &io);
  ev_run (outer, EVRUN_NOWAIT);
  T ("-- second NOWAIT");
  ev_run (outer, EVRUN_NOWAIT);
  ev_embed_stop (outer, &e);

  ev_io_stop (inner, &io);
  close (p[0]);
  close (p[1]);
  ev_loop_destroy (inner);
  ev_loop_destroy (outer);
}
