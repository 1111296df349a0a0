/* SPDX-License-Identifier: BSD-2-Clause */
/* t/win32/compat/scenario_win32.h - what the embedded scenarios (t/compat/embed/scenario.h)
 * take from POSIX, on Windows, the same for libev 4.33 and libev-ng: Winsock's select waits
 * for sockets alone (ev(3) WIN32 PLATFORM LIMITATIONS), so a scenario's pipe is a pair of
 * connected loopback sockets as C runtime fds, read and written with recv and send.  Also
 * included by the portable scenarios' t/compat/scenarios/scenario.h. */
#ifndef SCENARIO_WIN32_H
#define SCENARIO_WIN32_H

#include <winsock2.h>
#include <io.h>

#include "../socket_pair.h"

/* A Winsock program starts Winsock first; libev 4.33 does not, and without it an ev_async
 * fails with "(libev) error creating signal/async pipe" (libev-ng starts it itself). */
static void
sc_start_winsock (void)
{
  WSADATA data;

  WSAStartup (MAKEWORD (2, 2), &data);
}

/* a socket's fd goes to recv and send, any other (stdout) to the C runtime */
static __attribute__ ((unused)) int
sc_is_socket (int fd)
{
  int type, len = sizeof type;

  return getsockopt ((SOCKET)_get_osfhandle (fd), SOL_SOCKET, SO_TYPE, (char *)&type, &len) == 0;
}

static __attribute__ ((unused)) int
sc_read (int fd, void *buf, unsigned len)
{
  if (!sc_is_socket (fd))
    return _read (fd, buf, len);
  return recv ((SOCKET)_get_osfhandle (fd), (char *)buf, (int)len, 0);
}

static __attribute__ ((unused)) int
sc_write (int fd, const void *buf, unsigned len)
{
  if (!sc_is_socket (fd))
    return _write (fd, buf, len);
  return send ((SOCKET)_get_osfhandle (fd), (const char *)buf, (int)len, 0);
}

#define pipe win32_socket_pair
#define read sc_read
#define write sc_write

#endif
