/* SPDX-License-Identifier: BSD-2-Clause */
/* libevent emulation: io events on a pipe without and with EV_PERSIST, EV_READ|EV_WRITE,
 * event_del, event_pending for io, a timeout on an io event (EV_TIMEOUT when the fd stays
 * quiet), the EVENT_FD macro, event_get_callback. */
#include "scenario.h"
#include <event.h>

static struct event once, persist, rw, to;
static const struct { struct event *ev; const char *name; } names[4] = {
  { &once, "once" }, { &persist, "persist" }, { &rw, "rw" }, { &to, "timeout" }
};

static void
cb (int fd, short events, void *arg)
{
  struct event *ev = (struct event *)arg;
  char c;
  int n = -1;

  (void)fd;
  if (events & EV_READ)
    n = (int)read (EVENT_FD (ev), &c, 1);
  T ("%s events=0x%x read=%d flags 0x%x", ev == names[0].ev ? names[0].name : ev == names[1].ev ? names[1].name : ev == names[2].ev ? names[2].name : names[3].name, (unsigned int)events, n,
     (unsigned int)ev->ev_flags);
}

static void
scenario (void)
{
  struct timeval tv = { 0, 3000 };
  int p[2], q[2];

  sc_backend_env ();
  SC_REQUIRE (event_init ());
  SC_REQUIRE (pipe (p) == 0 && pipe (q) == 0);

  event_set (&once, p[0], EV_READ, cb, &once);
  T ("get_callback is cb %d", B (event_get_callback (&once) == cb));
  event_add (&once, NULL);
  T ("pending READ %d WRITE %d flags 0x%x", event_pending (&once, EV_READ, NULL),
     event_pending (&once, EV_WRITE, NULL), (unsigned int)once.ev_flags);
  SC_REQUIRE (write (p[1], "ab", 2) == 2);
  T ("-- non-persistent, 2 bytes");
  T ("event_loop returns %d", event_loop (0));

  event_set (&persist, p[0], EV_READ | EV_PERSIST, cb, &persist);
  event_add (&persist, NULL);
  SC_REQUIRE (write (p[1], "c", 1) == 1);
  T ("-- persistent, 2 bytes in the pipe");
  event_loop (EVLOOP_ONCE);
  event_loop (EVLOOP_ONCE);
  T ("still pending %d", event_pending (&persist, EV_READ, NULL));
  T ("event_del returns %d", event_del (&persist));
  T ("nothing left: event_loop (EVLOOP_NONBLOCK) returns %d", event_loop (EVLOOP_NONBLOCK));

  T ("-- READ|WRITE on the write end");
  event_set (&rw, q[1], EV_READ | EV_WRITE, cb, &rw);
  event_add (&rw, NULL);
  event_loop (0);

  T ("-- READ with a 3 ms timeout on an empty pipe");
  event_set (&to, q[0], EV_READ, cb, &to);
  event_add (&to, &tv);
  T ("flags 0x%x", (unsigned int)to.ev_flags);
  event_loop (0);

  close (p[0]);
  close (p[1]);
  close (q[0]);
  close (q[1]);
}
