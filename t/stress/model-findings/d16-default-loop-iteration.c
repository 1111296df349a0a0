/* SPDX-License-Identifier: BSD-2-Clause */
/* The default loop destroyed and created again: its ev_iteration.  Both print
 *   after recreate it=2   (the count goes on)
 * (libev-ng used to start again at 0.)
 * Status: same */
#include <ev.h>
#include <stdio.h>

int
main (void)
{
  struct ev_loop *l = ev_default_loop (EVBACKEND_POLL | EVFLAG_NOENV);
  ev_run (l, EVRUN_NOWAIT);
  ev_run (l, EVRUN_NOWAIT);
  ev_loop_destroy (l);
  l = ev_default_loop (EVBACKEND_POLL | EVFLAG_NOENV);
  printf ("after recreate it=%u\n", ev_iteration (l));
  return 0;
}
