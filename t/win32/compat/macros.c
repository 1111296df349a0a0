/* SPDX-License-Identifier: BSD-2-Clause */
/* t/win32/compat/macros.c - ev(3)'s Windows macros of an embedded core, EMBEDDING
 * "EV_FD_TO_WIN32_HANDLE", "EV_WIN32_HANDLE_TO_FD", "EV_WIN32_CLOSE_FD" (macros_config.h sets
 * them to counting functions) and FD_SETSIZE: which of them the loop uses for an ev_io on a
 * socket, an ev_async and the loop's end, and how many sockets of a set larger than
 * FD_SETSIZE it reports.  The same lines are expected from libev 4.33's ev.c and from
 * libev-ng's kit (t/win32/compat/run.sh), but for the count of sockets, which libev caps, and
 * the line of libev-ng's AFD backend, which libev has not. */
#include <winsock2.h>
#include <io.h>
#include <stdio.h>
#include <string.h>

#include "ev.h"
#include "../socket_pair.h"

static int to_handle, to_fd, closes;

intptr_t
counted_fd_to_handle (int fd)
{
  ++to_handle;
  return _get_osfhandle (fd);
}

int
counted_handle_to_fd (intptr_t handle)
{
  ++to_fd;
  return _open_osfhandle (handle, 0);
}

int
counted_close (int fd)
{
  ++closes;
  return _close (fd);
}

#define SOCKETS 40
static int readable;

static void
io_cb (struct ev_loop *loop, ev_io *w, int revents)
{
  (void)loop;
  if (revents & EV_READ)
    ++readable;
  ev_io_stop (loop, w);
}

static void
async_cb (struct ev_loop *loop, ev_async *w, int revents)
{
  (void)w;
  (void)revents;
  ev_break (loop, EVBREAK_ONE);
}

int
main (void)
{
  static int pairs[SOCKETS][2];
  static ev_io ios[SOCKETS];
  WSADATA data;
  ev_async async;
  struct ev_loop *loop;
  int i, before;

  WSAStartup (MAKEWORD (2, 2), &data);
  loop = ev_loop_new (EVBACKEND_SELECT);
  printf ("FD_SETSIZE %d\n", (int)FD_SETSIZE);

  before = to_handle;
  if (win32_socket_pair (pairs[0]))
    return 1;
  ev_io_init (&ios[0], io_cb, pairs[0][0], EV_READ);
  ev_io_start (loop, &ios[0]);
  send ((SOCKET)_get_osfhandle (pairs[0][1]), "x", 1, 0);
  ev_run (loop, 0);
  printf ("ev_io on a socket: EV_FD_TO_WIN32_HANDLE %s, readable %d\n", to_handle > before ? "used" : "not used", readable);

  before = to_fd;
  ev_async_init (&async, async_cb);
  ev_async_start (loop, &async);
  ev_async_send (loop, &async);
  ev_run (loop, 0);
  printf ("ev_async: EV_WIN32_HANDLE_TO_FD %s\n", to_fd > before ? "used" : "not used");
  ev_async_stop (loop, &async);

  before = closes;
  ev_loop_destroy (loop);
  printf ("ev_loop_destroy: EV_WIN32_CLOSE_FD %s\n", closes > before ? "used" : "not used");

#ifdef EVBACKEND_NG_AFD
  /* libev-ng's AFD backend (none in libev 4.33) maps the fd of an ev_io as select does; the
   * byte sent above is still unread */
  loop = ev_loop_new (EVBACKEND_NG_AFD);
  before = to_handle;
  readable = 0;
  ev_io_init (&ios[0], io_cb, pairs[0][0], EV_READ);
  ev_io_start (loop, &ios[0]);
  ev_run (loop, 0);
  printf ("AFD: ev_io on a socket: EV_FD_TO_WIN32_HANDLE %s, readable %d\n", to_handle > before ? "used" : "not used",
          readable);
  ev_loop_destroy (loop);
#endif

  /* more sockets than FD_SETSIZE, all readable */
  loop = ev_loop_new (EVBACKEND_SELECT);
  readable = 0;
  for (i = 1; i < SOCKETS; ++i)
    {
      if (win32_socket_pair (pairs[i]))
        return 1;
      ev_io_init (&ios[i], io_cb, pairs[i][0], EV_READ);
      ev_io_start (loop, &ios[i]);
      send ((SOCKET)_get_osfhandle (pairs[i][1]), "x", 1, 0);
    }
  fflush (stdout);
  ev_run (loop, 0);
  printf ("%d sockets, FD_SETSIZE %d: %d reported\n", SOCKETS - 1, (int)FD_SETSIZE, readable);
  ev_loop_destroy (loop);
  return 0;
}
