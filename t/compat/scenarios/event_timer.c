/* SPDX-License-Identifier: BSD-2-Clause */
/* libevent emulation (event.h): event_init returns the default loop, evtimer_set/add,
 * the ev_flags values libev stores (0x80 after event_set, 0x89 while a timeout is added,
 * 0x80 again in the callback), the callback arguments, event_pending with and without a
 * timeval, event_loop return values, event_initialized, evtimer_del, timeout_*. */
#include "scenario.h"
#include <event.h>

static int fired;

static void
cb (int fd, short events, void *arg)
{
  struct event *ev = (struct event *)arg;

  ++fired;
  T ("timer cb fd=%d events=0x%x flags in cb 0x%x pending %d", fd, (unsigned int)events,
     (unsigned int)ev->ev_flags, event_pending (ev, EV_TIMEOUT, NULL));
}

static void
scenario (void)
{
  struct event ev, ev2;
  struct timeval tv = { 0, 2000 }, left;
  void *base;
  int r;

  sc_backend_env ();
  base = event_init ();
  SC_REQUIRE (base);
  T ("event_init is the default loop %d, backend ok %d", B (base == (void *)ev_default_loop (0)),
     B (ev_backend ((struct ev_loop *)base) == sc_backend));

  memset (&ev, 0xff, sizeof ev);
  evtimer_set (&ev, cb, &ev);
  T ("after evtimer_set: flags 0x%x initialized %d fd %d pri %d res %d", (unsigned int)ev.ev_flags,
     B (event_initialized (&ev)), ev.ev_fd, ev.ev_pri, ev.ev_res);
  T ("pending before add %d", event_pending (&ev, EV_TIMEOUT, NULL));
  r = evtimer_add (&ev, &tv);
  T ("evtimer_add returns %d; flags 0x%x pending %d", r, (unsigned int)ev.ev_flags,
     event_pending (&ev, EV_TIMEOUT, NULL));
  memset (&left, 0, sizeof left);
  T ("pending with tv: %d, remaining within 2 ms %d", event_pending (&ev, EV_TIMEOUT, &left),
     B (left.tv_sec == 0 && left.tv_usec <= 2000));
  r = event_loop (0);
  T ("event_loop returns %d; fired %d; flags 0x%x", r, fired, (unsigned int)ev.ev_flags);

  evtimer_set (&ev2, cb, &ev2);
  evtimer_add (&ev2, &tv);
  r = evtimer_del (&ev2);
  T ("evtimer_del returns %d; pending %d; flags 0x%x", r, event_pending (&ev2, EV_TIMEOUT, NULL),
     (unsigned int)ev2.ev_flags);
  T ("event_dispatch with nothing returns %d", event_dispatch ());
  T ("timeout_* macros: a zero timeout");
  timeout_set (&ev2, cb, &ev2);
  tv.tv_usec = 0;
  timeout_add (&ev2, &tv);
  T ("event_loop (EVLOOP_ONCE) returns %d", event_loop (EVLOOP_ONCE));
}
