/* SPDX-License-Identifier: BSD-2-Clause */
/* 100 pipes: every ready fd is reported once per iteration, none twice, none lost, also
 * after the watcher set changes between iterations (order across fds is the kernel's, so
 * only counts are printed). */
#include "scenario.h"

#define N 100

static int p[N][2];
static ev_io w[N];
static int calls[N];

static void
cb (struct ev_loop *loop, ev_io *x, int revents)
{
  int i = (int)(x - w);
  char c;

  (void)loop;
  SC_REQUIRE (revents == EV_READ);
  if (calls[i]++ == 0)
    SC_REQUIRE (read (x->fd, &c, 1) == 1);
}

static void
summary (const char *what)
{
  int i, once = 0, twice = 0, never = 0, more = 0;

  for (i = 0; i < N; ++i)
    {
      once += calls[i] == 1;
      twice += calls[i] == 2;
      never += calls[i] == 0;
      more += calls[i] > 2;
      calls[i] = 0;
    }
  T ("%s: called never %d, once %d, twice %d, more %d", what, never, once, twice, more);
}

static void
scenario (void)
{
  struct ev_loop *loop = sc_loop_new (0);
  int i;

  for (i = 0; i < N; ++i)
    {
      SC_REQUIRE (pipe (p[i]) == 0);
      ev_io_init (&w[i], cb, p[i][0], EV_READ);
      ev_io_start (loop, &w[i]);
    }
  /* every third pipe readable */
  for (i = 0; i < N; i += 3)
    SC_REQUIRE (write (p[i][1], "x", 1) == 1);
  ev_run (loop, EVRUN_NOWAIT);
  summary ("every third written");
  ev_run (loop, EVRUN_NOWAIT);
  summary ("after reading them");

  /* stop the odd ones, write to all: only the even ones report */
  for (i = 1; i < N; i += 2)
    ev_io_stop (loop, &w[i]);
  for (i = 0; i < N; ++i)
    SC_REQUIRE (write (p[i][1], "y", 1) == 1);
  ev_run (loop, EVRUN_NOWAIT);
  summary ("odd ones stopped, all written");
  for (i = 1; i < N; i += 2)
    ev_io_start (loop, &w[i]);
  ev_run (loop, EVRUN_NOWAIT);
  summary ("odd ones restarted");
  ev_run (loop, EVRUN_NOWAIT);
  summary ("all drained");

  for (i = 0; i < N; ++i)
    {
      ev_io_stop (loop, &w[i]);
      close (p[i][0]);
      close (p[i][1]);
    }
  ev_loop_destroy (loop);
}
