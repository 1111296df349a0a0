/* SPDX-License-Identifier: BSD-2-Clause */
/* A signal that arrived while its watcher was active keeps its pending mark through a stop:
 * started again before the loop looks, the watcher still gets it.  When the loop looks while
 * nobody watches the signal, the mark stays too (the signal is not delivered then), and comes
 * out the next time the loop looks at its signals for another one. */
#include "scenario.h"

static void
cb (struct ev_loop *l, ev_signal *w, int r)
{
  (void)l;
  T ("  %s revents=0x%x", w->signum == SIGUSR1 ? "USR1" : "USR2", r);
}

static void
probe (int variant)
{
  struct ev_loop *loop = sc_loop_new (0);
  ev_signal s1, s2;

  T ("variant %d", variant);
  ev_signal_init (&s1, cb, SIGUSR1);
  ev_signal_init (&s2, cb, SIGUSR2);
  ev_signal_start (loop, &s1);
  if (variant == 1)
    ev_run (loop, EVRUN_NOWAIT);
  raise (SIGUSR1);
  ev_signal_stop (loop, &s1);
  signal (SIGUSR1, SIG_IGN);
  if (variant >= 2)
    {
      ev_run (loop, EVRUN_NOWAIT);
      T (" looked while stopped");
    }
  ev_signal_start (loop, &s1);
  if (variant == 3)
    {
      ev_signal_start (loop, &s2);
      raise (SIGUSR2);
    }
  ev_run (loop, EVRUN_NOWAIT);
  T (" looked after the restart");
  ev_run (loop, EVRUN_NOWAIT);
  T (" looked again");
  ev_signal_stop (loop, &s1);
  ev_signal_stop (loop, &s2);
  ev_loop_destroy (loop);
}

static void
scenario (void)
{
  for (int v = 0; v < 4; ++v)
    probe (v);
}
