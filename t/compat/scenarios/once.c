/* SPDX-License-Identifier: BSD-2-Clause */
/* ev_once: timeout only (fd < 0), io only (timeout < 0), io not ready so the timeout
 * wins, io and timeout in the same iteration (the union EV_READ|EV_TIMER), the argument,
 * and the reference it holds until it fired. */
#include "scenario.h"

static void
cb (int revents, void *arg)
{
  T ("once %s revents=0x%x", (const char *)arg, revents);
}

static void
scenario (void)
{
  struct ev_loop *loop = sc_loop_new (0);
  int ready[2], empty[2];

  SC_REQUIRE (pipe (ready) == 0 && pipe (empty) == 0);
  SC_REQUIRE (write (ready[1], "x", 1) == 1);

  ev_once (loop, -1, 0, 0., cb, (void *)"timeout 0");
  T ("pending once: NOWAIT returns %d", ev_run (loop, EVRUN_NOWAIT));
  ev_once (loop, -1, 0, 0.003, cb, (void *)"timeout 3 ms");
  T ("run returns %d", ev_run (loop, 0));
  ev_once (loop, ready[0], EV_READ, -1., cb, (void *)"ready fd, no timeout");
  T ("run returns %d", ev_run (loop, 0));
  ev_once (loop, empty[0], EV_READ, 0.003, cb, (void *)"empty fd, 3 ms");
  T ("run returns %d", ev_run (loop, 0));
  ev_once (loop, ready[0], EV_READ, 0., cb, (void *)"ready fd, timeout 0");
  T ("run returns %d", ev_run (loop, 0));
  ev_once (loop, empty[1], EV_WRITE, 10., cb, (void *)"writable fd, 10 s");
  T ("run returns %d", ev_run (loop, 0));

  close (ready[0]);
  close (ready[1]);
  close (empty[0]);
  close (empty[1]);
  ev_loop_destroy (loop);
}
