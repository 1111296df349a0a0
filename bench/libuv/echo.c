/* SPDX-License-Identifier: BSD-2-Clause */
/* echo.c - the TCP echo server (common/echo.h) with libuv streams:
 * uv_listen/uv_accept, uv_read_start into one static buffer, uv_try_write
 * back (a 64-byte echo is never partial, see common/echo.c) */
#include "libuv.h"
#include "common/echo.h"

#include <stdlib.h>

static struct echo_server s;
static char buf[65536];

static void
alloc_cb (uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
  (void)h;
  (void)suggested;
  *b = uv_buf_init (buf, sizeof buf);
}

static void
free_cb (uv_handle_t *h)
{
  free (h);
}

static void
read_cb (uv_stream_t *c, ssize_t n, const uv_buf_t *b)
{
  echo_readable (&s); /* (libuv has read already: one read of thousands) */
  if (n > 0)
    {
      uv_buf_t out = uv_buf_init (b->base, (unsigned)n);
      if (uv_try_write (c, &out, 1) != n)
        die ("echo: short write");
      echo_count (&s, n);
      return;
    }
  if (!n)
    return; /* EAGAIN */
  uv_close ((uv_handle_t *)c, free_cb);
  if (echo_closed (&s))
    uv_stop (c->loop);
}

static void
connection_cb (uv_stream_t *server, int status)
{
  if (status < 0)
    die ("echo: listen error %s", uv_strerror (status));
  uv_tcp_t *c = malloc (sizeof *c);
  CHECK (c, "malloc");
  UVCHECK (uv_tcp_init (server->loop, c));
  UVCHECK (uv_accept (server, (uv_stream_t *)c));
  echo_accepted (&s);
  UVCHECK (uv_read_start ((uv_stream_t *)c, alloc_cb, read_cb));
}

void
wl_echo (void)
{
  static uv_loop_t loop;
  bench_uv_loop (&loop);
  echo_start (&s);
  uv_tcp_t server;
  UVCHECK (uv_tcp_init (&loop, &server));
  UVCHECK (uv_tcp_open (&server, s.lfd));
  s.lfd = -1; /* libuv owns and closes it */
  UVCHECK (uv_listen ((uv_stream_t *)&server, 4096, connection_cb));
  uv_run (&loop, UV_RUN_DEFAULT);
  echo_finish (&s);
  bench_uv_loop_close (&loop);
}
