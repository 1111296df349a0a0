/* SPDX-License-Identifier: BSD-2-Clause */
/* A signal sent by another process (a forked child that kill()s its parent) wakes a
 * blocked loop; priorities of signal watchers; the child is reaped by the test. */
#include "scenario.h"

static void
cb (struct ev_loop *loop, ev_signal *w, int revents)
{
  T ("%s revents=0x%x prio=%d", (const char *)w->data, revents, ev_priority (w));
  if (w->signum == SIGUSR2)
    ev_break (loop, EVBREAK_ONE);
}

static void
scenario (void)
{
  struct ev_loop *loop = sc_loop_new (0);
  ev_signal lo, hi;
  ev_timer guard;
  pid_t pid;
  int r;

  ev_signal_init (&lo, cb, SIGUSR2);
  lo.data = (void *)"usr2 prio -1";
  ev_set_priority (&lo, -1);
  ev_signal_init (&hi, cb, SIGUSR1);
  hi.data = (void *)"usr1 prio 1";
  ev_set_priority (&hi, 1);
  ev_signal_start (loop, &lo);
  ev_signal_start (loop, &hi);
  ev_timer_init (&guard, 0, 10., 0.);
  ev_timer_start (loop, &guard);

  pid = sc_fork ();
  SC_REQUIRE (pid >= 0);
  if (pid == 0)
    {
      /* both signals at once: the parent sees them in one iteration, by priority */
      kill (getppid (), SIGUSR2);
      kill (getppid (), SIGUSR1);
      _exit (0);
    }
  sc_print_status ("child", sc_wait_status (pid));
  r = ev_run (loop, 0);
  T ("run returns %d, guard active %d", r, B (ev_is_active (&guard)));
  ev_timer_stop (loop, &guard);
  ev_signal_stop (loop, &lo);
  ev_signal_stop (loop, &hi);
  ev_loop_destroy (loop);
}
