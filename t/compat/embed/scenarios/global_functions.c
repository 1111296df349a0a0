/* SPDX-License-Identifier: BSD-2-Clause */
/* t/compat/embed/scenarios/global_functions.c - ev(3) GLOBAL FUNCTIONS as a program compiling
 * the loop in sees them: the backend sets (the embeddable one is the system's, whatever the
 * configuration compiled in), and ev_set_allocator in a steady state: once a loop has watched
 * 40 watchers of one fd, doing it again needs no memory, so an allocator that refuses every
 * request from then on changes nothing (libev 4.33 aborts when a request is refused). */
#include "../scenario.h"

#define N 40

static ev_io w[N];
static int order[N], called;
static int refusing;

static void *
sc_realloc (void *ptr, long size)
{
  if (size == 0)
    {
      free (ptr);
      return NULL;
    }
  return refusing ? NULL : realloc (ptr, (size_t)size);
}

static void
io_cb (EV_P_ ev_io *io, int revents)
{
  (void)revents;
  if (called < N)
    order[called] = (int)(io - w);
  ++called;
}

/* start all N on fd, oldest first, make it readable, run once, stop all, oldest first (the
 * deepest in the list each time), run again: the callbacks, in the order they ran */
static void
round_trip (int p[2])
{
  char c;
  int i, in_order = 1;

  for (i = 0; i < N; ++i)
    {
      ev_io_init (&w[i], io_cb, p[0], EV_READ);
      ev_io_start (EV_A_ &w[i]);
    }
  called = 0;
  SC_REQUIRE (write (p[1], "x", 1) == 1);
  ev_run (EV_A_ EVRUN_ONCE);
  for (i = 0; i < called && i < N; ++i)
    in_order &= order[i] == i;
  T ("called %d, oldest first %d", called, in_order);
  for (i = 0; i < N; ++i)
    ev_io_stop (EV_A_ &w[i]);
  ev_run (EV_A_ EVRUN_NOWAIT);
  T ("after the stops: called %d, active %d", called, B (ev_is_active (&w[N / 2])));
  SC_REQUIRE (read (p[0], &c, 1) == 1);
}

static void
scenario (void)
{
  int p[2];

  T ("supported 0x%x recommended 0x%x embeddable 0x%x", ev_supported_backends (),
     ev_recommended_backends (), ev_embeddable_backends ());

  ev_set_allocator (sc_realloc);
  SC_REQUIRE (pipe (p) == 0);
  T ("-- %d watchers of one fd", N);
  round_trip (p);
  T ("-- again, every request for memory refused");
  refusing = 1;
  round_trip (p);
  refusing = 0;
  close (p[0]);
  close (p[1]);
}
