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

/* A Winsock program starts Winsock first; libev 4.33 does not, and without it an ev_async
 * fails with "(libev) error creating signal/async pipe" (libev-ng starts it itself). */
static void
sc_start_winsock (void)
{
  WSADATA data;

  WSAStartup (MAKEWORD (2, 2), &data);
}

static __attribute__ ((unused)) int
sc_pipe (int fds[2])
{
  struct sockaddr_in addr;
  int len = sizeof addr;
  SOCKET lst, out, in;

  memset (&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  lst = socket (AF_INET, SOCK_STREAM, IPPROTO_TCP);
  if (lst == INVALID_SOCKET || bind (lst, (struct sockaddr *)&addr, sizeof addr)
      || listen (lst, 1) || getsockname (lst, (struct sockaddr *)&addr, &len))
    return -1;
  out = socket (AF_INET, SOCK_STREAM, IPPROTO_TCP);
  if (out == INVALID_SOCKET || connect (out, (struct sockaddr *)&addr, sizeof addr))
    return -1;
  in = accept (lst, 0, 0);
  closesocket (lst);
  if (in == INVALID_SOCKET)
    return -1;
  fds[0] = _open_osfhandle ((intptr_t)in, 0);
  fds[1] = _open_osfhandle ((intptr_t)out, 0);
  return fds[0] >= 0 && fds[1] >= 0 ? 0 : -1;
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

#define pipe sc_pipe
#define read sc_read
#define write sc_write

#endif
