/* SPDX-License-Identifier: BSD-2-Clause */
/* epoll reports events for a registration that belongs to a file the program already
 * closed (its number was reused, but a duplicate keeps the old file open, so the kernel
 * keeps the old registration).
 * libev-ng: repairs the registration internally; no ev_fork watcher runs.
 * libev 4.33: handles it by pretending a fork happened: the ev_fork watchers run.
 * (select and poll have no registrations: the same on both.) */
#include "../scenarios/scenario.h"

static void
cb (struct ev_loop *loop, ev_watcher *w, int revents)
{
  (void)loop;
  T ("%s revents=0x%x", (const char *)w->data, revents);
}

static void
scenario (void)
{
  struct ev_loop *loop = sc_loop_new (0);
  ev_io w;
  ev_fork fk;
  int p[2], q[2], keep;
  char c;

  ev_fork_init (&fk, (void (*) (struct ev_loop *, ev_fork *, int))cb);
  fk.data = (void *)"fork watcher";
  ev_fork_start (loop, &fk);
  SC_REQUIRE (pipe (p) == 0);
  keep = dup (p[0]);
  SC_REQUIRE (keep >= 0);
  ev_io_init (&w, (void (*) (struct ev_loop *, ev_io *, int))cb, p[0], EV_READ);
  w.data = (void *)"io";
  ev_io_start (loop, &w);
  T ("registered: NOWAIT returns %d", ev_run (loop, EVRUN_NOWAIT));

  /* the number now denotes another pipe; the old file lives on as `keep` */
  ev_io_stop (loop, &w);
  close (p[0]);
  SC_REQUIRE (pipe (q) == 0);
  SC_REQUIRE (q[0] == w.fd);
  ev_io_set (&w, q[0], EV_READ);
  ev_io_start (loop, &w);
  ev_run (loop, EVRUN_NOWAIT);
  T ("-- the OLD pipe becomes readable");
  SC_REQUIRE (write (p[1], "o", 1) == 1);
  ev_run (loop, EVRUN_NOWAIT);
  ev_run (loop, EVRUN_NOWAIT);
  T ("-- the new pipe becomes readable");
  SC_REQUIRE (write (q[1], "n", 1) == 1);
  ev_run (loop, EVRUN_NOWAIT);
  SC_REQUIRE (read (q[0], &c, 1) == 1);
  ev_io_stop (loop, &w);
  ev_fork_stop (loop, &fk);
  close (keep);
  close (p[1]);
  close (q[0]);
  close (q[1]);
  ev_loop_destroy (loop);
}
