/* SPDX-License-Identifier: BSD-2-Clause */
/* I/O: three watchers of one pipe at priorities -1, 0, 1 run
 * highest first; a watcher stopped by another's callback in the same pass does not run;
 * ev_feed_fd_event; a write watcher; ev_io_set between runs. */
#include "../scenario.h"

static int p[2];
static ev_io lo, mid, hi, wr;

static void
cb (EV_P_ ev_io *w, int revents)
{
  T ("%s fd-ok=%d revents=0x%x", w->name, B (w->fd == p[0] || w->fd == p[1]), (unsigned)revents);
  if (w == &hi && hi.cb_calls == 2)
    ev_io_stop (EV_A_ &lo);
  if (w == &wr)
    ev_io_stop (EV_A_ w);
}

static void
scenario (void)
{
  char c;

  SC_REQUIRE (pipe (p) == 0);
  ev_io_init (&lo, cb, p[0], EV_READ);
  ev_io_init (&mid, cb, p[0], EV_READ);
  ev_io_init (&hi, cb, p[0], EV_READ);
  sc_watch (&lo, "lo");
  sc_watch (&mid, "mid");
  sc_watch (&hi, "hi");
  ev_set_priority (&lo, -1);
  ev_set_priority (&hi, 1);
  ev_io_start (EV_A_ &lo);
  ev_io_start (EV_A_ &mid);
  ev_io_start (EV_A_ &hi);
  T ("-- readable");
  SC_REQUIRE (write (p[1], "x", 1) == 1);
  ev_run (EV_A_ EVRUN_ONCE);
  T ("-- again: hi stops lo");
  ev_run (EV_A_ EVRUN_ONCE);
  T ("lo active %d", B (ev_is_active (&lo)));
  SC_REQUIRE (read (p[0], &c, 1) == 1);
  T ("-- fed");
  ev_feed_fd_event (EV_A_ p[0], EV_READ);
  T ("pending %d", SC_PENDING ());
  ev_run (EV_A_ EVRUN_NOWAIT);
  T ("-- writable");
  ev_io_init (&wr, cb, p[1], EV_WRITE);
  sc_watch (&wr, "wr");
  ev_io_start (EV_A_ &wr);
  ev_run (EV_A_ EVRUN_NOWAIT);
  ev_io_stop (EV_A_ &mid);
  ev_io_stop (EV_A_ &hi);
  T ("-- ev_io_set to the write end, while stopped");
  ev_io_set (&mid, p[1], EV_WRITE);
  ev_io_start (EV_A_ &mid);
  ev_run (EV_A_ EVRUN_NOWAIT);
  ev_io_stop (EV_A_ &mid);
  T ("calls lo %d mid %d hi %d wr %d", lo.cb_calls, mid.cb_calls, hi.cb_calls, wr.cb_calls);
  SC_COMMON (&mid);
  close (p[0]);
  close (p[1]);
}
