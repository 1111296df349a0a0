/* SPDX-License-Identifier: BSD-2-Clause */
/* echo.c - the TCP echo server (common/echo.h) on the raw epoll loop */
#include "rl.h"
#include "common/echo.h"

#include <stdlib.h>
#include <unistd.h>

static struct echo_server s;

static void
conn_cb (struct rl_loop *loop, struct rl_io *io, uint32_t events)
{
  (void)events;
  if (!echo_fd (&s, io->fd))
    return;
  rl_io_stop (loop, io);
  close (io->fd);
  free (io);
  if (echo_closed (&s))
    rl_stop (loop);
}

static void
accept_cb (struct rl_loop *loop, struct rl_io *io, uint32_t events)
{
  (void)io;
  (void)events;
  for (int fd; (fd = echo_accept (&s)) >= 0;)
    {
      struct rl_io *c = malloc (sizeof *c);
      CHECK (c, "malloc");
      *c = (struct rl_io){ .fd = fd, .cb = conn_cb };
      rl_io_start (loop, c, EPOLLIN);
    }
}

void
wl_echo (void)
{
  static struct rl_loop loop;
  rl_init (&loop);
  echo_start (&s);
  struct rl_io lw = { .fd = s.lfd, .cb = accept_cb };
  rl_io_start (&loop, &lw, EPOLLIN);
  rl_run (&loop, RL_DEFAULT);
  rl_io_stop (&loop, &lw);
  echo_finish (&s);
  rl_destroy (&loop);
}
