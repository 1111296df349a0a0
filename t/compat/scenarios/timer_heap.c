/* SPDX-License-Identifier: BSD-2-Clause */
/* The timer heap under load: 300 timers with pseudo-random delays from a few distinct
 * values (many ties), a pseudo-random third stopped and some restarted before the loop
 * runs; the firing order (including the order among equal deadlines, which follows libev's
 * heap) is printed. */
#include "scenario.h"

#define N 300

static ev_timer t[N];
static char line[4096];
static int len, fired;

static void
cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)loop;
  SC_REQUIRE (revents == EV_TIMER);
  len += snprintf (line + len, sizeof line - (size_t)len, " %d", (int)(w - t));
  ++fired;
  if (len > 3900)
    {
      T ("fired:%s", line);
      len = 0;
    }
}

static void
scenario (void)
{
  struct ev_loop *loop = sc_loop_new (0);
  unsigned int seed = 12345;
  int i;

  for (i = 0; i < N; ++i)
    {
      seed = seed * 1103515245u + 12345u;
      ev_timer_init (&t[i], cb, 0.001 * ((seed >> 16) % 5), 0.);
      ev_timer_start (loop, &t[i]);
    }
  for (i = 0; i < N; ++i)
    {
      seed = seed * 1103515245u + 12345u;
      if ((seed >> 16) % 3 == 0)
        ev_timer_stop (loop, &t[i]);
    }
  for (i = 0; i < N; i += 7)
    if (!ev_is_active (&t[i]))
      {
        ev_timer_set (&t[i], 0.002, 0.);
        ev_timer_start (loop, &t[i]);
      }
  {
    int act = 0, maxidx = 0;

    for (i = 0; i < N; ++i)
      if (ev_is_active (&t[i]))
        {
          ++act;
          if (t[i].active > maxidx)
            maxidx = t[i].active;
        }
    T ("active %d, largest heap index %d", act, maxidx);
  }
  ev_run (loop, 0);
  if (len)
    T ("fired:%s", line);
  T ("fired %d", fired);
  ev_loop_destroy (loop);
}
