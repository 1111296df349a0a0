/* SPDX-License-Identifier: BSD-2-Clause */
/* examples/tcp.c - socket helpers shared by the example servers (see tcp.h). */
#define _POSIX_C_SOURCE 200809L

#include "tcp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int
tcp_set_nonblocking (int fd)
{
  int flags = fcntl (fd, F_GETFL);
  if (flags < 0)
    return -1;
  return fcntl (fd, F_SETFL, flags | O_NONBLOCK);
}

int
tcp_listen_loopback (unsigned port, unsigned *bound_port)
{
  int fd = socket (AF_INET, SOCK_STREAM, 0);
  if (fd < 0)
    {
      perror ("socket");
      return -1;
    }

  /* Without SO_REUSEADDR a restarted server could not bind its port again
   * while connections of the previous run sit in TIME_WAIT. */
  int one = 1;
  setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);

  struct sockaddr_in addr;
  memset (&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  addr.sin_port = htons ((unsigned short) port);

  socklen_t len = sizeof addr;
  if (bind (fd, (struct sockaddr *) &addr, sizeof addr) < 0
      || listen (fd, SOMAXCONN) < 0
      || getsockname (fd, (struct sockaddr *) &addr, &len) < 0   /* learn the ephemeral port */
      || tcp_set_nonblocking (fd) < 0)
    {
      fprintf (stderr, "cannot listen on 127.0.0.1:%u: %s\n", port, strerror (errno));
      close (fd);
      return -1;
    }

  *bound_port = ntohs (addr.sin_port);
  return fd;
}

int
tcp_parse_port (const char *arg, unsigned *port)
{
  char *end;
  errno = 0;
  unsigned long value = strtoul (arg, &end, 10);
  if (errno || end == arg || *end || value > 65535 || arg[0] == '-')
    return -1;
  *port = (unsigned) value;
  return 0;
}
