/* SPDX-License-Identifier: BSD-2-Clause */
/* libevent emulation: event_get_version/event_get_method, event_loopexit (with a
 * timeval and NULL), event_once and event_base_once, event_active, signal_set/add,
 * the priority functions (accepted, no effect). */
#include "scenario.h"
#include <event.h>

static void
once_cb (int fd, short events, void *arg)
{
  T ("once %s fd=%d events=0x%x", (const char *)arg, fd, (unsigned int)events);
}

static void
cb (int fd, short events, void *arg)
{
  (void)fd;
  T ("%s events=0x%x", (const char *)arg, (unsigned int)events);
}

static void
scenario (void)
{
  struct event t, s, a;
  struct timeval tv = { 0, 2000 }, zero = { 0, 0 }, ten = { 10, 0 };
  void *base;
  int r;

  sc_backend_env ();
  base = event_init ();
  SC_REQUIRE (base);
  T ("version %s method %s base method %s", event_get_version (), event_get_method (),
     event_base_get_method ((struct event_base *)base));
  T ("priority_init %d base_priority_init %d", event_priority_init (4),
     event_base_priority_init ((struct event_base *)base, 4));

  T ("-- loopexit after 2 ms with a 10 s timer pending");
  evtimer_set (&t, cb, (void *)"10 s timer");
  evtimer_add (&t, &ten);
  T ("event_priority_set %d", event_priority_set (&t, 1));
  r = event_loopexit (&tv);
  T ("event_loopexit returns %d", r);
  r = event_dispatch ();
  T ("event_dispatch returns %d, timer still pending %d", r, event_pending (&t, EV_TIMEOUT, NULL));
  event_del (&t);

  T ("-- event_once and event_base_once");
  r = event_once (-1, EV_TIMEOUT, once_cb, (void *)"timeout", &zero);
  T ("event_once returns %d", r);
  r = event_base_once ((struct event_base *)base, -1, EV_TIMEOUT, once_cb, (void *)"base", &tv);
  T ("event_base_once returns %d", r);
  T ("event_loop returns %d", event_loop (0));

  T ("-- event_active");
  evtimer_set (&a, cb, (void *)"activated");
  event_active (&a, EV_READ | EV_TIMEOUT, 1);
  T ("event_loop (EVLOOP_NONBLOCK) returns %d", event_loop (EVLOOP_NONBLOCK));

  T ("-- signal_set/add: SIGUSR1 raised");
  signal_set (&s, SIGUSR1, cb, (void *)"SIGUSR1");
  signal_add (&s, NULL);
  T ("EVENT_SIGNAL %d pending %d", B (EVENT_SIGNAL (&s) == SIGUSR1), signal_pending (&s, NULL));
  raise (SIGUSR1);
  event_loop (EVLOOP_ONCE);
  signal_del (&s);
  T ("after signal_del pending %d", signal_pending (&s, NULL));

  T ("-- loopexit (NULL) from inside the loop");
  evtimer_set (&t, cb, (void *)"timer");
  evtimer_add (&t, &zero);
  event_loopexit (NULL);
  r = event_loop (0);
  T ("event_loop returns %d, timer pending %d", r, event_pending (&t, EV_TIMEOUT, NULL));
  event_del (&t);
}
