/* SPDX-License-Identifier: BSD-2-Clause */
/* t/install/hello.c - a libev client built against an installed libev-ng
 * (through pkg-config, or CMake: cmake-project/).  Runs a loop with a timer
 * and an ev_async, checks the version, and prints where the library was
 * loaded from (or "static"), which the test compares with the installed tree.
 */
#define _POSIX_C_SOURCE 200809L

#include <ev.h>

#include <stdio.h>
#include <string.h>

#include "where.h"

static ev_timer timer;
static ev_async async;
static int steps;

static void
on_async (struct ev_loop *loop, ev_async *w, int revents)
{
  (void) revents;
  steps = steps * 10 + 2;
  ev_async_stop (loop, w);         /* the last watcher: ev_run returns */
}

static void
on_timer (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void) w;
  (void) revents;
  steps = steps * 10 + 1;
  ev_async_send (loop, &async);
}

int
main (void)
{
  struct ev_loop *loop = ev_loop_new (EVFLAG_AUTO);
  if (!loop)
    return 1;
  ev_timer_init (&timer, on_timer, 0.01, 0.);
  ev_timer_start (loop, &timer);
  ev_async_init (&async, on_async);
  ev_async_start (loop, &async);
  ev_run (loop, 0);
  ev_loop_destroy (loop);

  if (steps != 12 || ev_version_major () != EV_VERSION_MAJOR || ev_version_minor () != EV_VERSION_MINOR)
    {
      printf ("failed: steps %d, version %d.%d\n", steps, ev_version_major (), ev_version_minor ());
      return 1;
    }
  printf ("hello: libev %d.%d ok\n", ev_version_major (), ev_version_minor ());
  print_where ();
  return 0;
}
