/* SPDX-License-Identifier: BSD-2-Clause */
/* echo.c - the TCP echo server (common/echo.h) with libev: one ev_io per
 * connection, level-triggered reads echoed at once */
#include "libev.h"
#include "common/echo.h"

#include <stdlib.h>
#include <unistd.h>

static struct echo_server s;

static void
conn_cb (struct ev_loop *loop, ev_io *w, int revents)
{
  (void)revents;
  if (!echo_fd (&s, w->fd))
    return;
  ev_io_stop (loop, w);
  close (w->fd);
  free (w);
  if (echo_closed (&s))
    ev_break (loop, EVBREAK_ALL);
}

static void
accept_cb (struct ev_loop *loop, ev_io *w, int revents)
{
  (void)w;
  (void)revents;
  for (int fd; (fd = echo_accept (&s)) >= 0;)
    {
      ev_io *c = malloc (sizeof *c);
      CHECK (c, "malloc");
      ev_io_init (c, conn_cb, fd, EV_READ);
      ev_io_start (loop, c);
    }
}

void
wl_echo (void)
{
  struct ev_loop *loop = bench_ev_loop ();
  echo_start (&s);
  ev_io lw;
  ev_io_init (&lw, accept_cb, s.lfd, EV_READ);
  ev_io_start (loop, &lw);
  ev_run (loop, 0);
  ev_io_stop (loop, &lw);
  echo_finish (&s);
  ev_loop_destroy (loop);
}
