/* SPDX-License-Identifier: BSD-2-Clause */
/* echo.c - the TCP echo server (common/echo.h) with libevent: one persistent
 * read event per connection (plain events, not bufferevents, so every
 * library makes the same read and write calls) */
#include "libevent.h"
#include "common/echo.h"

#include <unistd.h>

static struct echo_server s;
static struct event_base *base;

static void
conn_cb (evutil_socket_t fd, short what, void *arg)
{
  (void)what;
  if (!echo_fd (&s, fd))
    return;
  event_free (arg);
  close (fd);
  if (echo_closed (&s))
    event_base_loopbreak (base);
}

static void
accept_cb (evutil_socket_t lfd, short what, void *arg)
{
  (void)lfd;
  (void)what;
  (void)arg;
  for (int fd; (fd = echo_accept (&s)) >= 0;)
    {
      struct event *c = event_new (base, fd, EV_READ | EV_PERSIST, conn_cb, event_self_cbarg ());
      CHECK (c && !event_add (c, 0), "event_add");
    }
}

void
wl_echo (void)
{
  base = bench_event_base ();
  echo_start (&s);
  struct event *lw = event_new (base, s.lfd, EV_READ | EV_PERSIST, accept_cb, 0);
  CHECK (lw && !event_add (lw, 0), "event_add");
  event_base_dispatch (base);
  event_free (lw);
  echo_finish (&s);
  event_base_free (base);
}
