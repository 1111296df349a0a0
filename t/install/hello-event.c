/* SPDX-License-Identifier: BSD-2-Clause */
/* t/install/hello-event.c - the installed event.h (the libevent 1.x
 * emulation): a timeout event, then event_dispatch returns. */
#define _POSIX_C_SOURCE 200809L

#include <event.h>

#include <stdio.h>

#include "where.h"

static int fired;

static void
on_timeout (int fd, short events, void *arg)
{
  (void) fd;
  fired = (events & EV_TIMEOUT) && arg == &fired;
}

int
main (void)
{
  struct event ev;
  struct timeval tv = { 0, 10000 };
  event_init ();
  evtimer_set (&ev, on_timeout, &fired);
  evtimer_add (&ev, &tv);
  event_dispatch ();             /* returns once no event is left */
  if (!fired)
    return 1;
  printf ("hello-event: event.h ok\n");
  print_where ();
  return 0;
}
