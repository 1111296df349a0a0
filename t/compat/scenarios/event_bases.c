/* SPDX-License-Identifier: BSD-2-Clause */
/* libevent emulation with several bases: event_base_new makes new loops, event_set binds
 * to the current base (the one of event_init), event_base_set moves an event,
 * event_base_loop/dispatch/loopexit per base, event_base_free. */
#include "scenario.h"
#include <event.h>

static void
cb (int fd, short events, void *arg)
{
  (void)fd;
  T ("%s events=0x%x", (const char *)arg, (unsigned int)events);
}

static void
scenario (void)
{
  struct event_base *b1, *b2;
  struct event e1, e2, e3;
  struct timeval zero = { 0, 0 }, ms = { 0, 1000 };
  void *def;
  int r;

  sc_backend_env ();
  def = event_init ();
  b1 = event_base_new ();
  b2 = event_base_new ();
  SC_REQUIRE (def && b1 && b2);
  T ("bases distinct %d, b1 backend ok %d, b1 not default %d", B (b1 != b2 && (void *)b1 != def),
     B (ev_backend ((struct ev_loop *)b1) == sc_backend), B (!ev_is_default_loop ((struct ev_loop *)b1)));

  evtimer_set (&e1, cb, (void *)"e1 (base 1)");
  T ("event_set binds to the current base %d", B (e1.ev_base == def));
  T ("event_base_set returns %d", event_base_set (b1, &e1));
  evtimer_add (&e1, &zero);
  evtimer_set (&e2, cb, (void *)"e2 (base 2)");
  event_base_set (b2, &e2);
  evtimer_add (&e2, &ms);
  evtimer_set (&e3, cb, (void *)"e3 (default)");
  evtimer_add (&e3, &zero);

  T ("-- base 2");
  T ("event_base_dispatch returns %d", event_base_dispatch (b2));
  T ("-- base 1");
  T ("event_base_loop returns %d", event_base_loop (b1, 0));
  T ("-- default");
  T ("event_loop returns %d", event_loop (0));

  T ("-- loopexit on base 1 only");
  evtimer_add (&e1, &ms);
  T ("event_base_loopexit returns %d", event_base_loopexit (b1, &zero));
  r = event_base_loop (b1, 0);
  T ("event_base_loop returns %d, e1 pending %d", r, event_pending (&e1, EV_TIMEOUT, NULL));
  event_del (&e1);
  event_base_free (b1);
  event_base_free (b2);
  T ("bases freed");
}
