/* SPDX-License-Identifier: BSD-2-Clause */
/* Priorities of io and timer watchers that become ready in the same iteration: the pass
 * runs them from priority 2 down to -2, within a priority timers before io. */
#include "scenario.h"

static void
cb (struct ev_loop *loop, ev_watcher *w, int revents)
{
  (void)loop;
  T ("%s prio=%d revents=0x%x", (const char *)w->data, ev_priority (w), revents);
}

#define CB(type) ((void (*) (struct ev_loop *, type *, int))cb)

static void
scenario (void)
{
  struct ev_loop *loop = sc_loop_new (0);
  static const char *ionames[5] = { "io-2", "io-1", "io0", "io1", "io2" };
  static const char *tnames[5] = { "timer-2", "timer-1", "timer0", "timer1", "timer2" };
  ev_io io[5];
  ev_timer t[5];
  int p[2], i;

  SC_REQUIRE (pipe (p) == 0);
  SC_REQUIRE (write (p[1], "x", 1) == 1);
  for (i = 0; i < 5; ++i)
    {
      /* started in a shuffled priority order */
      int prio = (i * 3) % 5 - 2;

      ev_io_init (&io[i], CB (ev_io), p[0], EV_READ);
      io[i].data = (void *)ionames[prio + 2];
      ev_set_priority (&io[i], prio);
      ev_io_start (loop, &io[i]);
      ev_timer_init (&t[i], CB (ev_timer), 0., 0.);
      t[i].data = (void *)tnames[prio + 2];
      ev_set_priority (&t[i], prio);
      ev_timer_start (loop, &t[i]);
    }
  ev_run (loop, EVRUN_NOWAIT);
  T ("-- second iteration: io only");
  ev_run (loop, EVRUN_NOWAIT);
  for (i = 0; i < 5; ++i)
    ev_io_stop (loop, &io[i]);
  close (p[0]);
  close (p[1]);
  ev_loop_destroy (loop);
}
