/* SPDX-License-Identifier: BSD-2-Clause */
/* t/win32/socket_pair.h - what Windows has instead of pipe and socketpair for the Windows
 * test programs (t/win32/, t/win32/compat/): Winsock's select and AFD wait for sockets alone
 * (ev(3) WIN32 PLATFORM LIMITATIONS AND WORKAROUNDS), so a pair of connected loopback TCP
 * sockets, as C runtime fds, stands for both.  Winsock must be started (WSAStartup). */
#ifndef WIN32_SOCKET_PAIR_H
#define WIN32_SOCKET_PAIR_H

#include <winsock2.h>
#include <ws2tcpip.h>
#include <io.h>
#include <stdint.h>
#include <string.h>

/* two connected sockets as C runtime fds, fds[0] for `first`: 0, or -1 with both closed when
 * the C runtime's fd table is full */
static __attribute__ ((unused)) int
win32_fds_of_sockets (SOCKET first, SOCKET second, int fds[2])
{
  fds[0] = _open_osfhandle ((intptr_t)first, 0);
  fds[1] = fds[0] >= 0 ? _open_osfhandle ((intptr_t)second, 0) : -1;
  if (fds[1] >= 0)
    return 0;
  if (fds[0] >= 0)
    _close (fds[0]);
  else
    closesocket (first);
  closesocket (second);
  return -1;
}

/* fds[0] the accepted end, fds[1] the connecting one (either reads and writes); 0, or -1
 * with nothing left open when the system or the C runtime's fd table refuses */
static __attribute__ ((unused)) int
win32_socket_pair (int fds[2])
{
  SOCKET lst = socket (AF_INET, SOCK_STREAM, IPPROTO_TCP), out = INVALID_SOCKET, in = INVALID_SOCKET;
  struct sockaddr_in addr;
  int len = sizeof addr, one = 1;

  memset (&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  if (lst != INVALID_SOCKET && !bind (lst, (struct sockaddr *)&addr, sizeof addr) && !listen (lst, 1)
      && !getsockname (lst, (struct sockaddr *)&addr, &len)
      && (out = socket (AF_INET, SOCK_STREAM, IPPROTO_TCP)) != INVALID_SOCKET
      && !connect (out, (struct sockaddr *)&addr, sizeof addr))
    in = accept (lst, NULL, NULL);
  if (lst != INVALID_SOCKET)
    closesocket (lst);
  if (in == INVALID_SOCKET)
    {
      if (out != INVALID_SOCKET)
        closesocket (out);
      return -1;
    }
  /* as a pipe's, a write arrives at once: no Nagle delay before the reader's event */
  setsockopt (in, IPPROTO_TCP, TCP_NODELAY, (char *)&one, sizeof one);
  setsockopt (out, IPPROTO_TCP, TCP_NODELAY, (char *)&one, sizeof one);
  return win32_fds_of_sockets (in, out, fds);
}

#endif
