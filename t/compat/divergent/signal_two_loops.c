/* SPDX-License-Identifier: BSD-2-Clause */
/* Starting a watcher for a signal another loop is watching.
 * libev-ng: a usage error naming the call and the signal, then abort.
 * libev 4.33: an assertion failure (source location, libev's text), then abort. */
#include "../scenarios/scenario.h"

static void
scenario (void)
{
  struct ev_loop *l1 = sc_loop_new (0), *l2 = sc_loop_new (0);
  ev_signal a, b;

  ev_signal_init (&a, 0, SIGUSR1);
  ev_signal_init (&b, 0, SIGUSR1);
  ev_signal_start (l1, &a);
  T ("first loop watches SIGUSR1; starting it in a second loop");
  ev_signal_start (l2, &b);
  T ("not reached");
}
