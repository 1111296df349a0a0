/* SPDX-License-Identifier: BSD-2-Clause */
/* ev_feed_fd_event feeds every watcher on the fd with revents & its mask; a watcher that
 * asked for none of the bits is not fed; ev_feed_event on an io watcher is not masked. */
#include "scenario.h"

static void
cb (struct ev_loop *loop, ev_io *w, int revents)
{
  (void)loop;
  T ("%s revents=0x%x", (const char *)w->data, revents);
}

static void
scenario (void)
{
  struct ev_loop *loop = sc_loop_new (0);
  ev_io r, w, rw;
  int p[2];

  SC_REQUIRE (pipe (p) == 0);
  /* all on the read end of an empty pipe: only fed events can arrive */
  ev_io_init (&r, cb, p[0], EV_READ);
  r.data = (void *)"R";
  ev_io_init (&w, cb, p[0], EV_WRITE);
  w.data = (void *)"W";
  ev_io_init (&rw, cb, p[0], EV_READ | EV_WRITE);
  rw.data = (void *)"RW";
  ev_io_start (loop, &r);
  ev_io_start (loop, &w);
  ev_io_start (loop, &rw);

  T ("-- feed READ");
  ev_feed_fd_event (loop, p[0], EV_READ);
  T ("pending R=%d W=%d RW=%d", B (ev_is_pending (&r)), B (ev_is_pending (&w)),
     B (ev_is_pending (&rw)));
  ev_invoke_pending (loop);
  T ("-- feed WRITE|READ");
  ev_feed_fd_event (loop, p[0], EV_WRITE | EV_READ);
  ev_invoke_pending (loop);
  T ("-- feed READ twice then WRITE");
  ev_feed_fd_event (loop, p[0], EV_READ);
  ev_feed_fd_event (loop, p[0], EV_READ);
  ev_feed_fd_event (loop, p[0], EV_WRITE);
  ev_run (loop, EVRUN_NOWAIT);
  T ("-- ev_feed_event on R with WRITE|TIMER (not masked)");
  ev_feed_event (loop, &r, EV_WRITE | EV_TIMER);
  ev_invoke_pending (loop);
  T ("-- feed on an fd nobody watches");
  ev_feed_fd_event (loop, p[1], EV_READ | EV_WRITE);
  T ("pending count %u", ev_pending_count (loop));

  ev_io_stop (loop, &r);
  ev_io_stop (loop, &w);
  ev_io_stop (loop, &rw);
  close (p[0]);
  close (p[1]);
  ev_loop_destroy (loop);
}
